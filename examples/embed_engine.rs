//! The ELOG instrument in a firmware-style host, served over the
//! embedded-io transport.
//!
//! ```text
//! cargo run --example embed_engine
//! ```
//!
//! What a microcontroller would do, simulated on the host:
//!
//! * **no threads, no clock**: one superloop; a 1 kHz "timer tick" counter is
//!   the time: the instrument is advanced to it ([`ElogInstrument::advance_to`])
//!   and every sample carries it as an [`Instant`];
//! * **the board's channel table** is registered once
//!   ([`ElogInstrument::register_channel`]) from a `const` array (names,
//!   rates); the engine's memory is bounded by [`Limits`] and allocated
//!   once, at STARt;
//! * **a "UART"** (an in-memory [`embedded_io::Read`] + [`embedded_io::Write`]
//!   pair: what a UART driver, a smoltcp or an embassy-net socket provides)
//!   carries program messages in and answers out, in arbitrary chunks, as
//!   bytes would arrive;
//! * **the transport** is [`EmbeddedServer`] (feature `embedded-io` of
//!   `elog`, `no_std`): fixed `[u8; N]` buffers for the longest program
//!   message and for each read, the same framing and command handling as
//!   every other transport. The superloop polls it when the UART has bytes
//!   ([`EmbeddedServer::serve_once`]).
//!
//! It takes no options (`--help` and `--version` only) and prints the
//! exchange on stdout; a closed stdout (`embed_engine | head`) ends it quietly.

#[path = "support/cli.rs"]
#[macro_use]
mod cli;

use std::collections::VecDeque;
use std::convert::Infallible;

use clap::Parser;

use elog::InstrumentConfig;
use elog::dispatch::ConnectionLimits;
use elog::transport::embedded::{EmbeddedServer, Ended};
use elog::{ElogInstrument, IdentityInfo};
use elog_core::{ChannelId, Duration, Instant, Limits};

/// The board's analog inputs: name and sample rate (Hz).
const CHANNELS: [(&str, f64); 3] = [("AIN0", 1000.0), ("AIN1", 1000.0), ("TEMP", 10.0)];

/// The UART as the firmware's driver presents it: the bytes received so
/// far, and the bytes sent.
#[derive(Default)]
struct Uart {
    rx: VecDeque<u8>,
    tx: Vec<u8>,
}

impl embedded_io::ErrorType for Uart {
    type Error = Infallible;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let n = buf.len().min(self.rx.len());
        for (b, r) in buf.iter_mut().zip(self.rx.drain(..n)) {
            *b = r;
        }
        Ok(n)
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.tx.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The synthetic ADC: value of channel `ch` at tick `t` (1 ms ticks).
fn adc(ch: usize, tick: i64) -> f64 {
    match ch {
        0 => 1.0,
        1 => {
            if (tick / 50) % 2 == 0 {
                0.5
            } else {
                -0.5
            }
        }
        _ => 21.5 + (tick as f64) * 1e-4,
    }
}

/// The ELOG instrument in a firmware-style host (no threads, no clock,
/// fixed buffers), served over the embedded-io transport: a scripted UART
/// session, printed as `t=<tick> s  <- <answer>` lines.
#[derive(Parser, Debug)]
#[command(name = "embed_engine", version)]
struct Args {}

fn main() {
    let Args {} = Args::parse();
    let config = InstrumentConfig::default()
        .with_identity(IdentityInfo {
            manufacturer: "ACME".into(),
            model: "BOARD-1".into(),
            serial: "0001".into(),
            version: "1.0".into(),
        })
        .with_limits(Limits {
            max_buffer_bytes: 16 * 1024,
            max_items: 4,
            ..Limits::default()
        });
    let mut inst = ElogInstrument::new(config);
    let ids: Vec<ChannelId> = CHANNELS
        .iter()
        .map(|&(name, rate)| {
            inst.register_channel(name, rate)
                .expect("the board's channel table is valid")
        })
        .collect();
    let tree = ElogInstrument::tree();
    // 256 bytes for the longest program message, 64 per UART read.
    let limits = ConnectionLimits {
        max_output: 16 * 1024,
        ..ConnectionLimits::default()
    };
    let mut server: EmbeddedServer<256, 64> = EmbeddedServer::new(limits);
    let mut uart = Uart::default();

    // What the host sends over the UART, and at which tick (chunks split anywhere).
    let script: &[(i64, &[u8])] = &[
        (
            5,
            b"*IDN?\n:ELOG:ITEM \"AIN0\",\"AIN1\",\"TEMP\";:ELOG:PER 0.",
        ),
        (6, b"2;:ELOG:TIM ELOG\n:ELOG:STAR\n:ELOG:STAT?\n"),
        (700, b":ELOG:FETC? 2\n"),
        (
            1500,
            b":ELOG:FETC?\n:SYST:ERR?\n:ELOG:STOP;:ELOG:FETC?\n:SYST:ERR?\n",
        ),
    ];
    let mut next = 0;
    for tick in 0..=1500i64 {
        let now = Instant::from_millis(tick);
        inst.advance_to(now);
        // Timer interrupt: sample every channel that is due at this tick.
        for (ch, (&(_, rate), &id)) in CHANNELS.iter().zip(&ids).enumerate() {
            let every = (1000.0 / rate) as i64;
            if tick % every == 0 {
                // Samples of channels that are not ITEMs are ignored by the engine.
                let _ = inst.engine_mut().push_sample(id, now, adc(ch, tick));
            }
        }
        // UART receive interrupt: the bytes that arrived at this tick.
        while next < script.len() && script[next].0 == tick {
            uart.rx.extend(script[next].1);
            next += 1;
        }
        // Main loop: serve what the UART holds (a read of 0 bytes would
        // mean the line closed, so poll only when bytes are waiting).
        while !uart.rx.is_empty() {
            match server.serve_once(&mut uart, &tree, &mut inst) {
                Ok(None) => {}
                Ok(Some(Ended::Limit(v))) => {
                    eprintln!("embed_engine: connection limit hit ({v:?})");
                    return;
                }
                Ok(Some(Ended::Eof)) | Err(_) => return,
            }
        }
        for line in String::from_utf8_lossy(&uart.tx).lines() {
            outln!(
                "t={:>5.3} s  <- {line}",
                Duration::from_millis(tick).as_secs_f64()
            );
        }
        uart.tx.clear();
    }
}
