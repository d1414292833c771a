//! The main job: an ELOG instrument on a SCPI socket.
//!
//! ```text
//! cargo run --release --example elog_server -- [--listen ADDR] [--hislip [ADDR]] [--vxi11 [ADDR]]
//!     [--channel SPEC]... [--moku HOST | --moku-serial SERIAL | --moku-emulator] [-v]
//! ```
//!
//! * `--listen ADDR` — where to accept connections: `HOST:PORT`, `HOST`
//!   (port 10001) or `PORT` (on 127.0.0.1); default `127.0.0.1:10001`.
//!   `0.0.0.0:5025` serves the generic SCPI port on every interface; port 0
//!   picks a free port. The bound address is printed as `listening on <addr>`.
//! * `--hislip [ADDR]` — also serve HiSLIP (VISA
//!   `TCPIP::host::hislip0::INSTR`), on ADDR (default `127.0.0.1:4880`);
//!   prints `hislip listening on <addr>`. Off by default.
//! * `--vxi11 [ADDR]` — also serve VXI-11 (VISA `TCPIP::host::inst0::INSTR`),
//!   the core channel on ADDR (default `127.0.0.1:0`, any free port), with
//!   the portmapper found automatically (built in on port 111 when it can be
//!   bound, else registration with the system's rpcbind); prints
//!   `vxi11 listening on <addr>` and `portmapper: <status>`. Off by default.
//!   Every transport shares the one instrument (one ELOG session) and the
//!   limits below.
//! * `--channel SPEC` — a simulated channel `NAME=KIND[:ARG]...@RATE` (repeat
//!   for more): `const:V`, `sine:AMPLITUDE:FREQ`, `square:AMPLITUDE:FREQ`,
//!   `ramp:AMPLITUDE:FREQ`, `noise:AMPLITUDE`; e.g.
//!   `--channel "AI 1/1=const:1.0@100" --channel "AI 1/2=sine:2.5:5@1000"`.
//! * `--moku HOST` — stream a Moku Datalogger's inputs (`Input1`…) as channels.
//! * `--moku-serial SERIAL` — with `--moku`, check the device's serial number; alone, find the
//!   Moku on the local network by mDNS (as the official client's `serial=`).
//! * `--moku-emulator` — the same against an in-process Moku emulator.
//! * `--max-connections N`, `--idle-timeout S`, `--allow IP` (repeatable) —
//!   the server's limits (defaults 64, 3600 s, any address; see
//!   `docs/reliability.md`).
//! * `-v` (`-vv`, `-vvv`) or `RUST_LOG=info|debug|trace` — log to stderr.
//!
//! At start it prints its channel table (id, name, rate, kind) — the same
//! channels `:CHANNELlist:NAMes?` lists — then `listening on <addr>`.
//! With neither `--channel` nor a Moku the built-in demo set is served:
//! `AI 1/1` const 1.0 @ 100 Hz, `AI 1/2` sine 2.5 V 5 Hz @ 1 kHz, `AI 1/3`
//! square 1.0 V 10 Hz @ 10 kHz, `AI 1/4` noise 0.1 V @ 50 kHz.
//! Runs until killed.

#[path = "support/cli.rs"]
#[macro_use]
mod cli;

use std::collections::HashMap;
use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use elog::acquisition::{Acquisition, AcquisitionConfig, lock, shared};
use elog::server::{Server, ServerConfig};
use elog::source::moku::{MokuConfig, MokuSource};
use elog::transport::hislip::HislipServer;
use elog::transport::vxi11::{Portmapper, Vxi11Server};
use elog::{ChannelSpec, ElogInstrument, Simulator};

use cli::Endpoint;

/// The built-in demo channels (what `Simulator::demo` serves).
const DEMO: [&str; 4] = [
    "AI 1/1=const:1.0@100",
    "AI 1/2=sine:2.5:5@1000",
    "AI 1/3=square:1.0:10@10000",
    "AI 1/4=noise:0.1@50000",
];

/// An ELOG instrument over SCPI (DEWETRON OXYGEN's ELOG subsystem), fed by
/// simulated channels or a Moku Datalogger.
///
/// Without --channel and without a Moku, four demo channels AI 1/1..AI 1/4
/// are served. Clients list the channels with `:CHANNELlist:NAMes?`.
#[derive(Parser, Debug)]
#[command(name = "elog_server", version)]
struct Args {
    /// Where to listen: HOST:PORT, HOST (port 10001) or PORT (on 127.0.0.1);
    /// 0.0.0.0:5025 serves every interface, port 0 any free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:10001", value_parser = cli::listen_endpoint)]
    listen: Endpoint,

    /// Also serve HiSLIP (VISA TCPIP::host::hislip0::INSTR) on ADDR
    /// (HOST:PORT, HOST or PORT; without ADDR 127.0.0.1:4880).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:4880", value_parser = hislip_endpoint)]
    hislip: Option<Endpoint>,

    /// Also serve VXI-11 (VISA TCPIP::host::inst0::INSTR), the core channel
    /// on ADDR (without ADDR 127.0.0.1 on any free port); the portmapper is
    /// built in on port 111 when it can be bound, else the system's rpcbind.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:0", value_parser = vxi11_endpoint)]
    vxi11: Option<Endpoint>,

    /// A simulated channel NAME=KIND[:ARG]...@RATE (repeatable); KIND one of
    /// const:V, sine:AMPLITUDE:FREQ, square:AMPLITUDE:FREQ,
    /// ramp:AMPLITUDE:FREQ, noise:AMPLITUDE; e.g. "AI 1/2=sine:2.5:5@1000".
    #[arg(long = "channel", value_name = "SPEC", value_parser = parse_spec)]
    channels: Vec<ChannelSpec>,

    /// Stream the inputs of the Moku Datalogger at HOST (channels Input1..).
    #[arg(long, value_name = "HOST", conflicts_with = "moku_emulator")]
    moku: Option<String>,

    /// The Moku's serial number: with --moku it is checked; alone, the Moku is
    /// found on the local network by mDNS (as the official client's serial=).
    #[arg(long, value_name = "SERIAL", conflicts_with = "moku_emulator")]
    moku_serial: Option<String>,

    /// With --moku-serial alone: connect to the port the mDNS record
    /// advertises, not HTTP's 80 (for an emulator started with --mdns).
    #[arg(long, requires = "moku_serial")]
    moku_advertised_port: bool,

    /// Start a Moku emulator in-process and stream from it.
    #[arg(long)]
    moku_emulator: bool,

    /// The Moku sample rate in Hz.
    #[arg(long, value_name = "HZ", default_value_t = 1000.0, value_parser = positive)]
    moku_rate: f64,

    /// The most simultaneous clients.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,

    /// Close a client silent for S seconds.
    #[arg(long, value_name = "S", default_value_t = 3600.0, value_parser = positive)]
    idle_timeout: f64,

    /// Serve only this client address (repeatable; default: any).
    #[arg(long, value_name = "IP")]
    allow: Vec<IpAddr>,

    /// Log to stderr: -v connections and sessions (info), -vv debug, -vvv
    /// trace. RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn parse_spec(text: &str) -> Result<ChannelSpec, String> {
    text.parse::<ChannelSpec>().map_err(|e| {
        format!("{e} (expected NAME=KIND[:ARG]...@RATE, e.g. \"AI 1/1=const:1.0@100\")")
    })
}

fn hislip_endpoint(text: &str) -> Result<Endpoint, String> {
    Endpoint::parse(text, "127.0.0.1", elog::transport::hislip::HISLIP_PORT)
}

fn vxi11_endpoint(text: &str) -> Result<Endpoint, String> {
    Endpoint::parse(text, "127.0.0.1", 0)
}

fn positive(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e9)
        .ok_or_else(|| format!("{text:?}: expected a number above 0"))
}

/// A channel's kind for the table: the waveform of a simulated channel.
fn kind_of(spec: &ChannelSpec) -> String {
    let text = spec.to_string();
    let kind = text.rsplit_once('@').map_or(text.as_str(), |(k, _)| k);
    kind.strip_prefix(&format!("{}=", spec.name))
        .unwrap_or(kind)
        .to_string()
}

fn run(args: Args) -> Result<(), String> {
    let instrument = shared(ElogInstrument::default());
    let mut acquisition = Acquisition::new(instrument.clone());
    let mut kinds: HashMap<String, String> = HashMap::new();
    // Keeps an in-process emulator alive as long as the server runs.
    let mut _emulator = None;
    let moku_host = match (args.moku, args.moku_emulator) {
        (Some(h), _) => Some(h),
        (None, false) if args.moku_serial.is_some() => Some(String::new()),
        (None, true) => {
            let emu = moku_emulator::Emulator::start(moku_emulator::Config::default())
                .map_err(|e| format!("starting the Moku emulator: {e}"))?;
            let host = emu.host();
            log::info!("Moku emulator at {host}");
            _emulator = Some(emu);
            Some(host)
        }
        (None, false) => None,
    };
    if let Some(host) = &moku_host {
        let mut config = MokuConfig::new(host.clone()).with_rate(args.moku_rate);
        if let Some(serial) = &args.moku_serial {
            config = config.with_serial(serial.clone());
        }
        config.use_advertised_port = args.moku_advertised_port;
        let label = match (host.is_empty(), &args.moku_serial) {
            (true, Some(serial)) => format!("serial {serial}"),
            _ => host.clone(),
        };
        let source = MokuSource::connect(config)
            .map_err(|e| format!("connecting to the Moku ({label}): {e}"))?;
        let ids = acquisition
            .add_source(source)
            .map_err(|e| format!("registering the Moku channels: {e}"))?;
        let guard = lock(&instrument);
        for id in ids {
            if let Some(ch) = guard.registry().get(id) {
                kinds.insert(ch.name.to_string(), format!("Moku {label}"));
            }
        }
    }
    let specs: Vec<ChannelSpec> = if !args.channels.is_empty() {
        args.channels
    } else if moku_host.is_none() {
        DEMO.iter().filter_map(|s| s.parse().ok()).collect()
    } else {
        Vec::new()
    };
    if !specs.is_empty() {
        for spec in &specs {
            kinds.insert(spec.name.clone(), kind_of(spec));
        }
        acquisition
            .add_source(Simulator::from_specs(&specs))
            .map_err(|e| format!("--channel: {e}"))?;
    }
    print_channels(&instrument, &kinds);
    let _running = acquisition
        .start(AcquisitionConfig::default())
        .map_err(|e| format!("starting the acquisition: {e}"))?;
    let listen = args.listen.listen_addr();
    let mut config = ServerConfig::default()
        .with_listen(listen)
        .with_max_connections(args.max_connections as usize)
        .with_idle_timeout(std::time::Duration::from_secs_f64(args.idle_timeout));
    if !args.allow.is_empty() {
        config = config.with_allow_list(args.allow);
    }
    let server = Server::bind(config.clone(), instrument.clone()).map_err(|e| {
        format!(
            "cannot listen on {} ({listen}): {e}; pick another port with --listen",
            args.listen
        )
    })?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    let handle = server
        .spawn()
        .map_err(|e| format!("starting the server: {e}"))?;
    outln!("listening on {addr}");
    log::info!("serving ELOG on {addr}");
    let _hislip = match &args.hislip {
        Some(at) => {
            let listen = at.listen_addr();
            let server = HislipServer::bind(config.clone().with_listen(listen), instrument.clone())
                .map_err(|e| {
                    format!("cannot serve HiSLIP on {at} ({listen}): {e}; pick another port with --hislip")
                })?;
            let addr = server.local_addr().map_err(|e| e.to_string())?;
            let handle = server
                .spawn()
                .map_err(|e| format!("starting the HiSLIP server: {e}"))?;
            outln!("hislip listening on {addr}");
            log::info!(
                "serving HiSLIP on {addr} (TCPIP::{}::hislip0,{}::INSTR)",
                addr.ip(),
                addr.port()
            );
            Some(handle)
        }
        None => None,
    };
    let _vxi11 = match &args.vxi11 {
        Some(at) => {
            let listen = at.listen_addr();
            let server = Vxi11Server::bind(
                config.clone().with_listen(listen),
                Portmapper::Auto,
                instrument.clone(),
            )
            .map_err(|e| {
                format!(
                    "cannot serve VXI-11 on {at} ({listen}): {e}; pick another port with --vxi11"
                )
            })?;
            let addr = server.local_addr().map_err(|e| e.to_string())?;
            let status = server.portmapper_status().to_owned();
            let handle = server
                .spawn()
                .map_err(|e| format!("starting the VXI-11 server: {e}"))?;
            outln!("vxi11 listening on {addr}");
            outln!("portmapper: {status}");
            log::info!("serving VXI-11 on {addr}; {status}");
            Some(handle)
        }
        None => None,
    };
    handle.wait();
    Ok(())
}

/// The channel table: what `:CHANNELlist:NAMes?` will list, with rates and kinds.
fn print_channels(
    instrument: &elog::acquisition::SharedInstrument,
    kinds: &HashMap<String, String>,
) {
    let guard = lock(instrument);
    let width = guard
        .registry()
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!("{:>4}  {:<width$}  {:>10}  kind", "id", "name", "rate (Hz)");
    for ch in guard.registry().iter() {
        let rate = ch
            .info
            .sample_rate
            .map_or_else(|| "async".to_string(), |r| format!("{r}"));
        let kind = kinds.get(ch.name).map_or("", String::as_str);
        outln!(
            "{:>4}  {:<width$}  {rate:>10}  {kind}",
            ch.info.id.0,
            ch.name
        );
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::init_logging(args.verbose);
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("elog_server: {e}");
            ExitCode::FAILURE
        }
    }
}
