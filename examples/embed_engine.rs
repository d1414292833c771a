//! Embedding `elog-core` in a firmware-style host, without the `elog` facade.
//!
//! ```text
//! cargo run --example embed_engine
//! ```
//!
//! What a microcontroller would do, simulated on the host:
//!
//! * **no threads, no clock**: one superloop; a 1 kHz "timer tick" counter is
//!   the time, passed to the engine as an [`Instant`];
//! * **fixed buffers**: the SCPI framer and the response are `[u8; N]` arrays
//!   ([`Framer`], [`SliceSink`]); the engine's memory is bounded by [`Limits`]
//!   and allocated once, at STARt;
//! * **the host's own channel table** implements [`ChannelCatalog`] over a
//!   `const` array (ids, rates), and the host's own [`Device`] binds the few
//!   `:ELOG` commands it needs to the engine (the facade's `ElogInstrument`
//!   does the full set the same way);
//! * a "UART" carries program messages in and answers out, in arbitrary
//!   chunks, as bytes would arrive.
//!
//! Nothing here allocates per sample or per message.
//!
//! It takes no options (`--help` and `--version` only) and prints the
//! exchange on stdout; a closed stdout (`embed_engine | head`) ends it quietly.

#[path = "support/cli.rs"]
#[macro_use]
mod cli;

use clap::Parser;

use elog_core::{
    ChannelCatalog, ChannelId, ChannelInfo, Duration, Engine, Instant, Limits, Timebase,
    TimestampMode, fetch_count,
};
use scpi_parser::error::code;
use scpi_parser::{Call, Device, Error, Framer, Identity, Param, Session, SliceSink, Tree};

/// The board's analog inputs: name, id, sample rate (Hz).
const CHANNELS: [(&str, u32, f64); 3] =
    [("AIN0", 0, 1000.0), ("AIN1", 1, 1000.0), ("TEMP", 2, 10.0)];

/// The channel table as the engine sees it.
struct Board;

impl ChannelCatalog for Board {
    fn lookup(&self, name: &str) -> Option<ChannelInfo> {
        CHANNELS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, id, rate)| ChannelInfo {
                id: ChannelId(id),
                scalar: true,
                sample_rate: Some(rate),
            })
    }

    fn for_each(&self, f: &mut dyn FnMut(ChannelId, &str)) {
        for &(name, id, _) in &CHANNELS {
            f(ChannelId(id), name);
        }
    }
}

/// The commands this firmware implements.
#[derive(Clone, Copy, Debug)]
enum Cmd {
    Items,
    Period,
    Timestamp,
    Start,
    Stop,
    StateQ,
    FetchQ,
}

const ITEMS: &[Param] = &[Param::string_list()];
const PERIOD: &[Param] = &[Param::number(scpi_parser::Unit::Second)];
const TIMESTAMP: &[Param] = &[Param::choice(&["OFF", "REL", "ABS", "ELOG"])];
const FETCH: &[Param] = &[Param::integer(i64::MIN + 1, i64::MAX - 1).optional()];

/// The firmware's instrument: the engine plus the current tick.
struct Firmware {
    engine: Engine,
    now: Instant,
}

impl Device for Firmware {
    type Command = Cmd;

    fn execute(&mut self, cmd: Cmd, call: &mut Call<'_>) -> Result<(), Error> {
        let e = Error::from;
        match cmd {
            Cmd::Items => {
                // Names are copied into a fixed buffer: no heap per message.
                let args = call.args();
                let mut bufs = [[0u8; 16]; 4];
                let mut names: [&str; 4] = [""; 4];
                let mut n = 0;
                for (s, buf) in args.strings().zip(bufs.iter_mut()) {
                    let bytes = s.copy_into(buf).ok_or(Error::new(code::TOO_MUCH_DATA))?;
                    names[n] = core::str::from_utf8(bytes).map_err(|_| Error::new(-224))?;
                    n += 1;
                }
                let outcome = self
                    .engine
                    .set_items(&Board, names[..n].iter().copied())
                    .map_err(e)?;
                for r in &outcome.refused {
                    call.push_error(Error::from(r));
                }
            }
            Cmd::Period => self
                .engine
                .set_period_secs(call.args().f64(0)?)
                .map_err(e)?,
            Cmd::Timestamp => {
                let mode = TimestampMode::ALL[call.args().choice(0)?];
                self.engine.set_timestamp(mode).map_err(e)?;
            }
            Cmd::Start => self
                .engine
                .start(self.now, Timebase::default())
                .map_err(e)?,
            Cmd::Stop => self.engine.stop(),
            Cmd::StateQ => call.response().chars(self.engine.state().as_str())?,
            Cmd::FetchQ => {
                let max = fetch_count(call.args().opt_i64(0)?).map_err(e)?;
                match self.engine.fetch_into(max, call.response()) {
                    Ok(f) => {
                        if let Some(lost) = f.lost_error() {
                            call.push_error(Error::from(lost));
                        }
                    }
                    Err(err) => {
                        call.response().raw(b"ERROR")?;
                        return Err(Error::from(err));
                    }
                }
            }
        }
        Ok(())
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            manufacturer: "ACME",
            model: "BOARD-1",
            serial: "0001",
            version: "1.0",
        }
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

/// Embedding elog-core in a firmware-style host (no threads, no clock, fixed
/// buffers): a scripted UART session against the ELOG engine, printed as
/// `t=<tick> s  <- <answer>` lines.
#[derive(Parser, Debug)]
#[command(name = "embed_engine", version)]
struct Args {}

fn main() {
    let Args {} = Args::parse();
    let mut tree: Tree<Cmd, 32> = Tree::new_sized();
    for (pattern, params, cmd) in [
        (":ELOG:ITEMs", ITEMS, Cmd::Items),
        (":ELOG:PERiod", PERIOD, Cmd::Period),
        (":ELOG:TIMestamp", TIMESTAMP, Cmd::Timestamp),
        (":ELOG:STARt", &[][..], Cmd::Start),
        (":ELOG:STOP", &[][..], Cmd::Stop),
        (":ELOG:STATe?", &[][..], Cmd::StateQ),
        (":ELOG:FETCh?", FETCH, Cmd::FetchQ),
    ] {
        tree.add(pattern, params, cmd)
            .expect("the command table fits the tree");
    }
    let limits = Limits {
        max_buffer_bytes: 16 * 1024,
        max_items: 4,
        ..Limits::default()
    };
    let mut fw = Firmware {
        engine: Engine::new(limits),
        now: Instant::ZERO,
    };
    let mut session: Session = Session::new();
    let mut framer = Framer::new([0u8; 256]);
    let mut tx = [0u8; 2048];

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
        fw.now = Instant::from_millis(tick);
        // Timer interrupt: sample every channel that is due at this tick.
        for (ch, &(_, id, rate)) in CHANNELS.iter().enumerate() {
            let every = (1000.0 / rate) as i64;
            if tick % every == 0 {
                // Samples of channels that are not ITEMs are ignored by the engine.
                let _ = fw.engine.push_sample(ChannelId(id), fw.now, adc(ch, tick));
            }
        }
        // UART receive: feed whatever arrived; answers go to a fixed TX buffer.
        while next < script.len() && script[next].0 == tick {
            let mut out = SliceSink::new(&mut tx);
            session.feed(&mut framer, script[next].1, &tree, &mut fw, &mut out);
            for line in String::from_utf8_lossy(out.written()).lines() {
                outln!(
                    "t={:>5.3} s  <- {line}",
                    Duration::from_millis(tick).as_secs_f64()
                );
            }
            next += 1;
        }
    }
}
