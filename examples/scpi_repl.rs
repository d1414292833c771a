//! A fake digital multimeter on stdin/stdout, built with `scpi-parser`.
//!
//! ```text
//! cargo run -p elog-examples --example scpi_repl
//! *IDN?
//! CONF:VOLT 10;:MEAS:VOLT?
//! SENS:VOLT:RANG?;:SYST:ERR?
//! ```
//!
//! Every line is one program message; answers are printed one line per
//! message. Errors go to the queue: ask `SYST:ERR?` (or `SYST:ERR:ALL?`).
//! The program ends at the end of its input (Ctrl-D), or quietly when its
//! stdout is closed (`scpi_repl < cmds | head`). Options: `--help`, `--version`.

#[path = "support/cli.rs"]
#[macro_use]
mod cli;

use std::io::{IsTerminal, Read, Write};

use clap::Parser;

use scpi_parser::error::code;
use scpi_parser::{Call, Device, Error, Framer, Identity, Param, Session, Tree, Unit};

#[derive(Clone, Copy, Debug)]
enum Cmd {
    Configure,
    Measure,
    Range,
    RangeQ,
    TriggerCount,
    TriggerCountQ,
    Read,
    Display,
    DisplayQ,
    Close,
    CloseQ,
}

const RANGE: &[Param] = &[Param::number(Unit::Volt)
    .range(0.1, 1000.0)
    .default_value(10.0)];
const OPT_RANGE: &[Param] = &[Param::number(Unit::Volt)
    .range(0.1, 1000.0)
    .default_value(10.0)
    .optional()];
const COUNT: &[Param] = &[Param::integer(1, 100)];
const TEXT: &[Param] = &[Param::string()];
const CHANNELS: &[Param] = &[Param::channel_list()];

/// The meter's state.
struct Dmm {
    range: f64,
    count: i64,
    display: [u8; 32],
    display_len: usize,
    closed: [bool; 16],
    tick: u32,
}

impl Dmm {
    fn new() -> Self {
        Self {
            range: 10.0,
            count: 1,
            display: [0; 32],
            display_len: 0,
            closed: [false; 16],
            tick: 0,
        }
    }

    /// A deterministic "reading": a slow sawtooth within the range.
    fn reading(&mut self) -> f64 {
        self.tick = self.tick.wrapping_add(1);
        // Whole numbers divided once: the printed digits stay short.
        let steps = (self.range * 1e4).round();
        steps * f64::from(1234 + (self.tick % 10) * 10) / 1e8
    }
}

impl Device for Dmm {
    type Command = Cmd;

    fn execute(&mut self, cmd: Cmd, call: &mut Call<'_>) -> Result<(), Error> {
        match cmd {
            Cmd::Configure => {
                if let Some(r) = call.args().opt_f64(0)? {
                    self.range = r;
                }
            }
            Cmd::Measure => {
                let v = self.reading();
                call.response().nr3(v)?;
            }
            Cmd::Range => self.range = call.args().f64(0)?,
            Cmd::RangeQ => call.response().nr3(self.range)?,
            Cmd::TriggerCount => self.count = call.args().i64(0)?,
            Cmd::TriggerCountQ => call.response().nr1(self.count)?,
            Cmd::Read => {
                for i in 0..self.count {
                    let v = self.reading();
                    let r = call.response();
                    if i > 0 {
                        r.comma()?;
                    }
                    r.nr3(v)?;
                }
            }
            Cmd::Display => {
                let text = call.args().str(0)?;
                match text.copy_into(&mut self.display) {
                    Some(t) => self.display_len = t.len(),
                    None => {
                        return Err(
                            Error::new(code::TOO_MUCH_DATA).with_detail("32 characters at most")
                        );
                    }
                }
            }
            Cmd::DisplayQ => call
                .response()
                .string_bytes(&self.display[..self.display_len])?,
            Cmd::Close => {
                let list = call.args().channels(0)?;
                let mut next = [false; 16];
                for r in list.iter() {
                    let (a, b) = (r.first.number(), r.last.number());
                    if a == 0 || b as usize > next.len() || a > b {
                        return Err(
                            Error::new(code::DATA_OUT_OF_RANGE).with_detail("channels 1..16")
                        );
                    }
                    for c in a..=b {
                        next[c as usize - 1] = true;
                    }
                }
                self.closed = next;
            }
            Cmd::CloseQ => {
                let r = call.response();
                r.raw(b"(@")?;
                let mut first = true;
                for (i, _) in self.closed.iter().enumerate().filter(|c| *c.1) {
                    if !first {
                        r.comma()?;
                    }
                    first = false;
                    r.nr1(i as i64 + 1)?;
                }
                r.raw(b")")?;
            }
        }
        Ok(())
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            manufacturer: "ACME Instruments",
            model: "DMM-1",
            serial: "0001",
            version: "1.0",
        }
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

fn build_tree() -> Result<Tree<Cmd>, scpi_parser::TreeError> {
    let mut t = Tree::new();
    t.add("CONFigure:VOLTage[:DC]", OPT_RANGE, Cmd::Configure)?;
    t.add("MEASure:VOLTage[:DC]?", &[], Cmd::Measure)?;
    t.add("[SENSe]:VOLTage[:DC]:RANGe", RANGE, Cmd::Range)?;
    t.add("[SENSe]:VOLTage[:DC]:RANGe?", &[], Cmd::RangeQ)?;
    t.add("TRIGger:COUNt", COUNT, Cmd::TriggerCount)?;
    t.add("TRIGger:COUNt?", &[], Cmd::TriggerCountQ)?;
    t.add("READ?", &[], Cmd::Read)?;
    t.add("DISPlay:TEXT", TEXT, Cmd::Display)?;
    t.add("DISPlay:TEXT?", &[], Cmd::DisplayQ)?;
    t.add("ROUTe:CLOSe", CHANNELS, Cmd::Close)?;
    t.add("ROUTe:CLOSe?", &[], Cmd::CloseQ)?;
    Ok(t)
}

/// A fake digital multimeter on stdin/stdout, built with scpi-parser: one
/// program message per line, answers one line per message. Try `*IDN?`,
/// `CONF:VOLT 10;:MEAS:VOLT?`, `SYST:ERR?`; Ctrl-D quits.
#[derive(Parser, Debug)]
#[command(name = "scpi_repl", version)]
struct Args {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Args {} = Args::parse();
    match repl() {
        Err(e) if cli::is_closed_pipe(&e) => Ok(()),
        other => Ok(other?),
    }
}

fn repl() -> std::io::Result<()> {
    let tree = build_tree().map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let mut dmm = Dmm::new();
    let mut session = Session::new();
    let mut framer = Framer::with_capacity(16 * 1024);
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    if stdin.is_terminal() {
        eprintln!("DMM-1 ready. Try: *IDN?   MEAS:VOLT?   SYST:ERR?   (Ctrl-D quits)");
    }
    let mut buf = [0u8; 4096];
    let mut out = Vec::with_capacity(4096);
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.clear();
        session.feed(&mut framer, &buf[..n], &tree, &mut dmm, &mut out);
        stdout.write_all(&out)?;
        stdout.flush()?;
    }
    // End of input: a last line without LF still counts.
    out.clear();
    session.finish(&mut framer, &tree, &mut dmm, &mut out);
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}
