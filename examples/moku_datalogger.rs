//! Drives a Moku Datalogger: configure, log a short session and download it, then stream.
//!
//! ```text
//! cargo run --example moku_datalogger -- [--host IP[:PORT] | --model go|lab|pro|delta]
//!     [--seconds S] [--save FILE.li] [--force-connect] [--ignore-busy] [--serial N [--advertised-port]]
//!     [--data-dir DIR]
//! ```
//!
//! Without `--host` and `--serial` an emulator (`moku-emulator`) is started in-process, with
//! input 1 wired to output 1, so the example runs without hardware; `--model` picks the emulated
//! model. `--serial N` without `--host` finds the Moku by mDNS as the official client's
//! `serial=` does (up to 10 s; `--advertised-port` for an emulator started with
//! `moku_emulator --mdns`, which serves on another port than 80). With
//! `--save FILE.li` the downloaded log is written to FILE.li (convert it with `li_to_csv`).
//! Warnings (device coercion notes, bitstream notes) are printed to stderr as they arrive.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use moku_client::limits::ModelLimits;
use moku_client::{
    ApiCode, ConnectOptions, Coupling, Datalogger, Error, LogEvent, LoggingOptions,
    StreamingOptions, Waveform, li,
};

/// Configure a Moku Datalogger, log a short session and download it, then stream.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The Moku's address (`IP`, `IP:PORT`, `[IPv6]`); without it an emulator is started here.
    #[arg(long, value_name = "IP[:PORT]")]
    host: Option<String>,
    /// The emulated model (only without --host: a real device reports its own model).
    #[arg(long, value_name = "go|lab|pro|delta", conflicts_with = "host")]
    model: Option<moku_emulator::Model>,
    /// Length of the logging session and of the stream, in seconds.
    #[arg(long, default_value_t = 1.0, value_parser = positive_seconds, allow_negative_numbers = true)]
    seconds: f64,
    /// Write the downloaded `.li` log to this file (convert it with `li_to_csv FILE.li`).
    #[arg(long, value_name = "FILE.li")]
    save: Option<PathBuf>,
    /// Take ownership even if another client owns the Moku.
    #[arg(long)]
    force_connect: bool,
    /// Go ahead even if an instrument is busy (e.g. logging).
    #[arg(long)]
    ignore_busy: bool,
    /// The Moku's serial number: without --host, find it by mDNS (`_moku._tcp.local.`); with
    /// --host, refuse to go on unless the Moku there reports it.
    #[arg(long, value_name = "N")]
    serial: Option<String>,
    /// With --serial and no --host: connect to the port the mDNS record advertises instead of
    /// HTTP port 80 (the official client uses only the address).
    #[arg(long, requires = "serial", conflicts_with = "host")]
    advertised_port: bool,
    /// The data directory with the instrument bitstreams (default: $MOKU_DATA_PATH, then
    /// the official client's default).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a positive number of seconds (try --seconds 1.5)"
        )),
    }
}

/// Prints a line to stdout; a closed stdout (`| head`) ends the program quietly.
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut out = std::io::stdout().lock();
        if writeln!(out, $($arg)*).and_then(|()| out.flush()).is_err() {
            std::process::exit(0);
        }
    }};
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Keep the in-process emulator alive for the whole run.
    let emulator = match (&args.host, &args.serial) {
        (Some(_), _) | (None, Some(_)) => None,
        (None, None) => match moku_emulator::Emulator::start(moku_emulator::Config {
            model: args.model.unwrap_or(moku_emulator::Model::Go),
            ..Default::default()
        }) {
            Ok(e) => {
                e.set_input_signal(1, moku_emulator::Signal::FromOutput(1));
                say!(
                    "started an emulated {} at {}",
                    e.model().hardware(),
                    e.host()
                );
                Some(e)
            }
            Err(e) => {
                eprintln!("error: cannot start the emulator: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let host = args
        .host
        .clone()
        .unwrap_or_else(|| emulator.as_ref().map(|e| e.host()).unwrap_or_default());
    match run(&host, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = hint(&e) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// What to do about an error, in this tool's terms.
fn hint(e: &Error) -> Option<&'static str> {
    let text = e.to_string();
    match e {
        Error::Api { .. } if text.contains("busy") || text.contains("ignore_busy") => {
            Some("an instrument is busy (e.g. logging): rerun with --ignore-busy")
        }
        Error::Api {
            operation,
            code: ApiCode::InvalidRequest,
            ..
        } if operation == "moku/claim_ownership" => {
            Some("another client owns the Moku: rerun with --force-connect to take it over")
        }
        Error::MissingBitstream { .. } => Some(
            "download the instrument files with `mokucli instrument download`, or pass --data-dir DIR",
        ),
        Error::Transport { .. } => {
            Some("check the address given with --host and that the Moku is on")
        }
        Error::MokuNotFound { .. } => Some(
            "check the serial number and that the Moku is on this network (mDNS), or pass --host",
        ),
        _ => None,
    }
}

fn or_unknown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

fn run(host: &str, args: &Args) -> moku_client::Result<()> {
    let options = ConnectOptions {
        force_connect: args.force_connect,
        ignore_busy: args.ignore_busy,
        serial: args.serial.clone(),
        use_advertised_port: args.advertised_port,
        data_dir: args.data_dir.clone(),
        warning_handler: Some(Arc::new(|w: &moku_client::Warning| {
            eprintln!("warning: {}: {}", w.operation, w.message);
        })),
        ..ConnectOptions::default()
    };
    let dl = Datalogger::connect(host, options)?;
    let result = session(&dl, args);
    // The official client never lets the device go on its own; this tool is done with it.
    let released = dl.relinquish_ownership();
    result.and(released)
}

fn session(dl: &Datalogger, args: &Args) -> moku_client::Result<()> {
    let d = dl.session().description();
    say!(
        "connected to {} (MokuOS {}, serial {})",
        d.model,
        d.mokuos,
        dl.serial_number()?
    );

    // Configure input 1 with the model's first documented impedance and its largest range.
    if let Some(l) = ModelLimits::for_model(&d.model) {
        let fe = dl.set_frontend(
            1,
            l.impedances[0].clone(),
            Coupling::Dc,
            l.ranges[l.ranges.len() - 1].clone(),
            None,
        )?;
        say!(
            "input 1: impedance {}, coupling {}, range {}",
            or_unknown(fe.impedance),
            or_unknown(fe.coupling),
            or_unknown(fe.range)
        );
    }
    let rate = dl.set_samplerate(1000)?;
    say!("sample rate: {rate} Sa/s");
    let w = dl.generate_waveform(1, &Waveform::sine(1, 5))?;
    say!(
        "output 1: {} {} Vpp at {} Hz",
        or_unknown(w.kind),
        or_unknown(w.amplitude),
        or_unknown(w.frequency)
    );

    // Log a short session and download the .li file.
    let opts = LoggingOptions {
        duration: args.seconds.into(),
        file_name_prefix: "example".into(),
        ..LoggingOptions::default()
    };
    let mut bytes = Vec::new();
    let logged = dl.log_to_writer(
        &opts,
        Duration::from_millis(250),
        &mut bytes,
        &mut |e| match e {
            LogEvent::Started(s) => say!(
                "logging to {} in {}",
                s.file_name.as_deref().unwrap_or("?"),
                s.location.as_deref().unwrap_or("?")
            ),
            LogEvent::Progress(p) if p.complete => say!(
                "  logging complete: {} samples",
                or_unknown(p.samples_logged)
            ),
            LogEvent::Progress(p) => say!(
                "  logging: {} samples, {} s remaining",
                or_unknown(p.samples_logged),
                or_unknown(p.time_remaining)
            ),
            LogEvent::Downloading { received, total } => match total {
                Some(t) => say!("  downloaded {received} of {t} bytes"),
                None => say!("  downloaded {received} bytes"),
            },
            _ => {}
        },
    )?;
    if let Some(path) = &args.save {
        std::fs::write(path, &bytes)?;
        say!("saved {} bytes to {}", bytes.len(), path.display());
    }
    let doc = li::decode(&bytes)?;
    say!(
        "{}: {} bytes, {} channel(s)",
        logged.file_name,
        logged.bytes,
        doc.channels.len()
    );
    for ch in &doc.channels {
        let first: Vec<String> = ch
            .iter()
            .take(5)
            .map(|(t, v)| format!("{t:.3} s: {:.4} V", v[0]))
            .collect();
        say!(
            "  channel {}: {} samples; {}",
            ch.channel + 1,
            ch.len(),
            first.join(", ")
        );
    }

    // Stream for a short while and print what arrives.
    let started = dl.start_streaming(&StreamingOptions {
        duration: Some(args.seconds.into()),
        sample_rate: Some(1000.into()),
        ..StreamingOptions::default()
    })?;
    match started.sample_rate {
        Some(rate) => say!("streaming {} at {rate} Sa/s", started.stream_id),
        None => say!("streaming {}", started.stream_id),
    }
    let mut seq = li::ChunkSequence::new();
    const SHOWN: u64 = 5;
    loop {
        match dl.get_chunk() {
            Ok(chunk) if chunk.is_empty() => std::thread::sleep(Duration::from_millis(100)),
            Ok(chunk) => {
                let channels = seq.push(&chunk)?;
                let n = seq.chunks();
                if n <= SHOWN
                    && let Some(first) = channels.first()
                {
                    let t = first.iter().next().map_or(0.0, |(t, _)| t);
                    say!(
                        "  chunk {n}: {} samples on {} channel(s) from {t:.3} s",
                        first.len(),
                        channels.len()
                    );
                } else if n == SHOWN + 1 {
                    say!("  (more chunks follow; a summary comes at the end)");
                }
            }
            Err(e) if e.is_end_of_stream() => break,
            Err(e) => return Err(e),
        }
    }
    say!(
        "stream status: {}",
        or_unknown(dl.get_stream_status()?.status)
    );
    dl.stop_streaming()?;
    let records: Vec<String> = seq.records().iter().map(u64::to_string).collect();
    say!(
        "{} chunks; records per channel: {}",
        seq.chunks(),
        records.join(", ")
    );
    Ok(())
}
