//! Converts an LI v3 file (a Moku Datalogger `.li` log) to CSV.
//!
//! ```text
//! cargo run --example li_to_csv -- INPUT.li [OUTPUT.csv]
//! ```
//!
//! Writes `Time (s)` and one column per channel (and per field, for multi-field records), to
//! OUTPUT or to stdout. The whole file is decoded in memory.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use moku_client::li;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output) = match args.as_slice() {
        [i] => (i, None),
        [i, o] => (i, Some(o)),
        _ => {
            eprintln!("usage: li_to_csv INPUT.li [OUTPUT.csv]");
            return ExitCode::from(2);
        }
    };
    match convert(input, output.map(String::as_str)) {
        Ok(rows) => {
            eprintln!("{rows} rows");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("li_to_csv: {e}");
            ExitCode::FAILURE
        }
    }
}

fn convert(input: &str, output: Option<&str>) -> Result<usize, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(input)?;
    let doc = li::decode(&bytes)?;
    let out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::fs::File::create(path)?),
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
    let step = doc.header.time_step;
    for i in 0..rows {
        write!(w, "{}", doc.header.start_offset + i as f64 * step)?;
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
