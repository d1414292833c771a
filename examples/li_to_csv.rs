//! Converts an LI v3 file (a Moku Datalogger `.li` log) to CSV.
//!
//! ```text
//! cargo run --example li_to_csv -- INPUT.li [OUTPUT.csv]
//! ```
//!
//! Writes `Time (s)` and one column per channel (and per field, for multi-field records), to
//! OUTPUT or to stdout. Times are computed in integer nanoseconds (`start + i * step`, each
//! rounded to the nanosecond), so `0.009` is printed as `0.009`, never `0.009000000000000001`.
//! The whole file is decoded in memory.

use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use moku_client::li;

/// Convert a Moku Datalogger `.li` log (LI v3) to CSV.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The `.li` file (e.g. written by `moku_datalogger --save FILE.li`).
    input: PathBuf,
    /// Where to write the CSV; stdout when left out.
    output: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match convert(&args) {
        Ok(rows) => {
            eprintln!("{rows} rows");
            ExitCode::SUCCESS
        }
        // A closed stdout (`| head`) is not an error.
        Err(e) if is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("li_to_csv: {e}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe)
}

/// Seconds as integer nanoseconds, rounded.
fn to_ns(seconds: f64) -> i128 {
    (seconds * 1e9).round() as i128
}

/// Integer nanoseconds as decimal seconds without trailing zeros (`9000000` → `0.009`).
fn format_ns(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    let (whole, frac) = (abs / 1_000_000_000, abs % 1_000_000_000);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{frac:09}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

fn convert(args: &Args) -> Result<usize, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(&args.input)
        .map_err(|e| format!("cannot read {}: {e}", args.input.display()))?;
    let doc = li::decode(&bytes)
        .map_err(|e| format!("{} is not a readable LI v3 file: {e}", args.input.display()))?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(out);
    write!(w, "Time (s)")?;
    for ch in &doc.channels {
        for f in 0..ch.fields_per_record {
            if ch.fields_per_record == 1 {
                write!(w, ",Channel {}", ch.channel + 1)?;
            } else {
                write!(w, ",Channel {} field {}", ch.channel + 1, f + 1)?;
            }
        }
    }
    writeln!(w)?;
    let rows = doc
        .channels
        .iter()
        .map(li::ChannelData::len)
        .max()
        .unwrap_or(0);
    let start_ns = to_ns(doc.header.start_offset);
    let step = doc.header.time_step;
    for i in 0..rows {
        let t = start_ns + to_ns(i as f64 * step);
        write!(w, "{}", format_ns(t))?;
        for ch in &doc.channels {
            match ch.record(i) {
                Some(values) => {
                    for v in values {
                        write!(w, ",{v}")?;
                    }
                }
                None => {
                    for _ in 0..ch.fields_per_record {
                        write!(w, ",")?;
                    }
                }
            }
        }
        writeln!(w)?;
    }
    w.flush()?;
    Ok(rows)
}
