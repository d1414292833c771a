//! Drives a Moku Datalogger: configure, log a short session and download it, then stream.
//!
//! ```text
//! cargo run --example moku_datalogger -- [--host IP[:PORT]] [--model go|lab|pro|delta] [--seconds S]
//! ```
//!
//! Without `--host` an emulator (`moku-emulator`) is started in-process, with input 1 wired to
//! output 1, so the example runs without hardware.

use std::process::ExitCode;
use std::time::Duration;

use moku_client::limits::ModelLimits;
use moku_client::{
    ConnectOptions, Coupling, Datalogger, LogEvent, LoggingOptions, Num, StreamingOptions,
    Waveform, li,
};

fn usage() -> ExitCode {
    eprintln!("usage: moku_datalogger [--host IP[:PORT]] [--model go|lab|pro|delta] [--seconds S]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut host = None;
    let mut model = moku_emulator::Model::Go;
    let mut seconds = 1.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(value) = args.next() else {
            return usage();
        };
        match arg.as_str() {
            "--host" => host = Some(value),
            "--model" => match value.parse() {
                Ok(m) => model = m,
                Err(_) => return usage(),
            },
            "--seconds" => match value.parse() {
                Ok(s) if s > 0.0 => seconds = s,
                _ => return usage(),
            },
            _ => return usage(),
        }
    }
    // Keep the in-process emulator alive for the whole run.
    let emulator = match host {
        Some(_) => None,
        None => match moku_emulator::Emulator::start(moku_emulator::Config {
            model,
            ..Default::default()
        }) {
            Ok(e) => {
                e.set_input_signal(1, moku_emulator::Signal::FromOutput(1));
                println!(
                    "started an emulated {} at {}",
                    e.model().hardware(),
                    e.host()
                );
                Some(e)
            }
            Err(e) => {
                eprintln!("cannot start the emulator: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let host = host.unwrap_or_else(|| emulator.as_ref().map(|e| e.host()).unwrap_or_default());
    match run(&host, seconds) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(host: &str, seconds: f64) -> moku_client::Result<()> {
    let dl = Datalogger::connect(host, ConnectOptions::default())?;
    let d = dl.session().description();
    println!(
        "connected to {} (MokuOS {}), client key {:?}",
        d.model,
        d.mokuos,
        dl.session().client_key()
    );
    for w in dl.session().take_warnings() {
        println!("warning: {}", w.message);
    }

    // Configure input 1 with the model's first documented impedance and range.
    if let Some(l) = ModelLimits::for_model(&d.model) {
        let fe = dl.set_frontend(
            1,
            l.impedances[0].clone(),
            Coupling::Dc,
            l.ranges[l.ranges.len() - 1].clone(),
            None,
        )?;
        println!(
            "input 1: {:?} {:?} {:?}",
            fe.impedance, fe.coupling, fe.range
        );
    }
    let rate = dl.set_samplerate(1000)?;
    println!("sample rate {rate} Sa/s");
    let w = dl.generate_waveform(1, &Waveform::sine(1, 5))?;
    println!(
        "output 1: {:?} {:?} Vpp {:?} Hz",
        w.kind, w.amplitude, w.frequency
    );

    // Log a short session and download the .li file.
    let opts = LoggingOptions {
        duration: Num::Float(seconds),
        file_name_prefix: "example".into(),
        ..LoggingOptions::default()
    };
    let mut bytes = Vec::new();
    let logged = dl.log_to_writer(
        &opts,
        Duration::from_millis(250),
        &mut bytes,
        &mut |e| match e {
            LogEvent::Started(s) => println!("logging to {:?} in {:?}", s.file_name, s.location),
            LogEvent::Progress(p) => println!(
                "  progress: running={} complete={} samples={:?} remaining={:?}s",
                p.running, p.complete, p.samples_logged, p.time_remaining
            ),
            LogEvent::Downloading { received, total } => {
                println!("  downloaded {received} of {total:?} bytes")
            }
            _ => {}
        },
    )?;
    let doc = li::decode(&bytes)?;
    println!(
        "{}: {} bytes, {} channel(s)",
        logged.file_name,
        logged.bytes,
        doc.channels.len()
    );
    for ch in &doc.channels {
        let first: Vec<String> = ch
            .iter()
            .take(5)
            .map(|(t, v)| format!("{t:.3}s={:.4}V", v[0]))
            .collect();
        println!(
            "  channel {}: {} samples; {}",
            ch.channel + 1,
            ch.len(),
            first.join(" ")
        );
    }

    // Stream for a short while and print what arrives.
    let started = dl.start_streaming(&StreamingOptions {
        duration: Some(Num::Float(seconds)),
        sample_rate: Some(Num::Int(1000)),
        ..StreamingOptions::default()
    })?;
    match started.sample_rate {
        Some(rate) => println!("streaming {} at {rate} Sa/s", started.stream_id),
        None => println!("streaming {}", started.stream_id),
    }
    let mut seq = li::ChunkSequence::new();
    loop {
        match dl.get_chunk() {
            Ok(chunk) if chunk.is_empty() => std::thread::sleep(Duration::from_millis(100)),
            Ok(chunk) => {
                for ch in seq.push(&chunk)? {
                    let (t, v) = ch.iter().next().map_or((0.0, 0.0), |(t, v)| (t, v[0]));
                    println!(
                        "  chunk: channel {} {} samples from t={t:.3}s ({v:.4} V)",
                        ch.channel + 1,
                        ch.len()
                    );
                }
            }
            Err(e) if e.is_end_of_stream() => break,
            Err(e) => return Err(e),
        }
    }
    println!("stream status: {:?}", dl.get_stream_status()?.status);
    dl.stop_streaming()?;
    println!(
        "{} chunks, records per channel {:?}",
        seq.chunks(),
        seq.records()
    );
    Ok(())
}
