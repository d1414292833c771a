//! The main job: an ELOG instrument on a SCPI socket.
//!
//! ```text
//! cargo run --release --example elog_server -- [--listen ADDR] [--channel SPEC]... [--moku HOST | --moku-emulator]
//! ```
//!
//! * `--listen ADDR` — where to accept connections (default `127.0.0.1:10001`;
//!   `0.0.0.0:5025` for the generic SCPI port on every interface; port 0 picks
//!   a free port). The bound address is printed as `listening on <addr>`.
//! * `--channel SPEC` — a simulated channel `NAME=KIND[:ARG]...@RATE` (repeat
//!   for more): `const:V`, `sine:AMPLITUDE:FREQ`, `square:AMPLITUDE:FREQ`,
//!   `ramp:AMPLITUDE:FREQ`, `noise:AMPLITUDE`; e.g.
//!   `--channel "AI 1/1=const:1.0@100" --channel "AI 1/2=sine:2.5:5@1000"`.
//! * `--moku HOST` — stream a Moku Datalogger's inputs (`Input1`…) as channels.
//! * `--moku-emulator` — the same against an in-process Moku emulator.
//! * `--max-connections N`, `--idle-timeout S`, `--allow IP` (repeatable) —
//!   the server's limits (defaults 64, 3600 s, any address; see
//!   `docs/reliability.md`).
//!
//! With neither `--channel` nor a Moku the built-in demo set is served:
//! `AI 1/1` const 1.0 @ 100 Hz, `AI 1/2` sine 2.5 V 5 Hz @ 1 kHz, `AI 1/3`
//! square 1.0 V 10 Hz @ 10 kHz, `AI 1/4` noise 0.1 V @ 50 kHz.
//! Runs until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use elog::acquisition::{Acquisition, AcquisitionConfig, shared};
use elog::server::{Server, ServerConfig};
use elog::source::moku::{MokuConfig, MokuSource};
use elog::{ChannelSpec, ElogInstrument, Simulator};

const USAGE: &str = "\
usage: elog_server [--listen ADDR] [--channel SPEC]... [--moku HOST | --moku-emulator]

  --listen ADDR     listen address (default 127.0.0.1:10001; port 0 = any free port)
  --channel SPEC    simulated channel NAME=KIND[:ARG]...@RATE (repeatable), KIND one of
                    const:V  sine:AMPLITUDE:FREQ  square:AMPLITUDE:FREQ
                    ramp:AMPLITUDE:FREQ  noise:AMPLITUDE
                    e.g. --channel \"AI 1/1=const:1.0@100\" --channel \"AI 1/2=sine:2.5:5@1000\"
  --moku HOST       stream the inputs of the Moku Datalogger at HOST (channels Input1..)
  --moku-emulator   start a Moku emulator in-process and stream from it
  --moku-rate HZ    Moku sample rate (default 1000)
  --max-connections N   most simultaneous clients (default 64)
  --idle-timeout S      close a client silent for S seconds (default 3600)
  --allow IP        serve only this client address (repeatable; default: any)
  -h, --help        this text

Without --channel and without a Moku, four demo channels AI 1/1..AI 1/4 are served.";

enum Moku {
    None,
    Host(String),
    Emulator,
}

struct Args {
    listen: SocketAddr,
    channels: Vec<ChannelSpec>,
    moku: Moku,
    moku_rate: f64,
    server: ServerConfig,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        listen: elog::server::DEFAULT_LISTEN,
        channels: Vec::new(),
        moku: Moku::None,
        moku_rate: 1000.0,
        server: ServerConfig::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--listen" => {
                let v = value("--listen")?;
                args.listen = v
                    .parse()
                    .map_err(|e| format!("--listen {v:?}: {e} (expected e.g. 127.0.0.1:10001)"))?;
            }
            "--channel" => {
                let v = value("--channel")?;
                args.channels
                    .push(v.parse().map_err(|e| format!("--channel {v:?}: {e}"))?);
            }
            "--moku" => {
                let v = value("--moku")?;
                if !matches!(args.moku, Moku::None) {
                    return Err("--moku and --moku-emulator exclude each other".into());
                }
                args.moku = Moku::Host(v);
            }
            "--moku-emulator" => {
                if !matches!(args.moku, Moku::None) {
                    return Err("--moku and --moku-emulator exclude each other".into());
                }
                args.moku = Moku::Emulator;
            }
            "--moku-rate" => {
                let v = value("--moku-rate")?;
                args.moku_rate = v
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && *r > 0.0)
                    .ok_or(format!("--moku-rate {v:?}: expected a rate in Hz"))?;
            }
            "--max-connections" => {
                let v = value("--max-connections")?;
                let n = v
                    .parse()
                    .ok()
                    .filter(|n: &usize| *n > 0)
                    .ok_or(format!("--max-connections {v:?}: expected a count above 0"))?;
                args.server = args.server.with_max_connections(n);
            }
            "--idle-timeout" => {
                let v = value("--idle-timeout")?;
                let secs = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or(format!("--idle-timeout {v:?}: expected seconds above 0"))?;
                args.server = args
                    .server
                    .with_idle_timeout(std::time::Duration::from_secs_f64(secs));
            }
            "--allow" => {
                let v = value("--allow")?;
                let ip = v
                    .parse()
                    .map_err(|e| format!("--allow {v:?}: {e} (expected an IP address)"))?;
                let mut list = args.server.allow.clone().unwrap_or_default();
                list.push(ip);
                args.server = args.server.with_allow_list(list);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(args))
}

fn run(args: Args) -> Result<(), String> {
    let instrument = shared(ElogInstrument::default());
    let mut acquisition = Acquisition::new(instrument.clone());
    // Keeps an in-process emulator alive as long as the server runs.
    let mut _emulator = None;
    let moku_host = match args.moku {
        Moku::None => None,
        Moku::Host(h) => Some(h),
        Moku::Emulator => {
            let emu = moku_emulator::Emulator::start(moku_emulator::Config::default())
                .map_err(|e| format!("starting the Moku emulator: {e}"))?;
            let host = emu.host();
            _emulator = Some(emu);
            Some(host)
        }
    };
    if let Some(host) = &moku_host {
        let config = MokuConfig::new(host.clone()).with_rate(args.moku_rate);
        let source = MokuSource::connect(config)
            .map_err(|e| format!("connecting to the Moku at {host}: {e}"))?;
        acquisition
            .add_source(source)
            .map_err(|e| format!("registering the Moku channels: {e}"))?;
    }
    if !args.channels.is_empty() {
        acquisition
            .add_source(Simulator::from_specs(&args.channels))
            .map_err(|e| format!("--channel: {e}"))?;
    } else if moku_host.is_none() {
        acquisition
            .add_source(Simulator::demo())
            .map_err(|e| format!("demo channels: {e}"))?;
    }
    let _running = acquisition
        .start(AcquisitionConfig::default())
        .map_err(|e| format!("starting the acquisition: {e}"))?;
    let server = Server::bind(args.server.with_listen(args.listen), instrument)
        .map_err(|e| format!("listening on {}: {e}", args.listen))?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    let handle = server
        .spawn()
        .map_err(|e| format!("starting the server: {e}"))?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {addr}");
    let _ = stdout.flush();
    handle.wait();
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("elog_server: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("elog_server: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
