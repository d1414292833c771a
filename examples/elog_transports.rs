//! The ELOG instrument on every transport at once: the raw SCPI socket,
//! HiSLIP and VXI-11 (features `hislip`, `vxi11` of `elog`), all sharing one
//! instrument and one ELOG session.
//!
//! ```text
//! cargo run --release --example elog_transports -- [--raw ADDR] [--hislip ADDR] [--vxi11 ADDR]
//!     [--portmapper auto|off|ADDR] [--channel SPEC]...
//! ```
//!
//! Each listener prints `<transport> listening on <addr>` (raw, hislip,
//! vxi11) and the VXI-11 portmapper a `portmapper: ...` line. Defaults: raw
//! on 127.0.0.1:0, HiSLIP on 127.0.0.1:0, VXI-11 core channel on
//! 127.0.0.1:0, portmapper `auto` (built in on port 111 when it can bind it,
//! else registration with the system's rpcbind). `--channel` as in
//! `elog_server`; without it the demo channels are served.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use elog::ElogInstrument;
use elog::acquisition::{Acquisition, AcquisitionConfig, shared};
use elog::server::{Server, ServerConfig};
use elog::source::{ChannelSpec, Simulator};
use elog::transport::hislip::HislipServer;
use elog::transport::vxi11::{Portmapper, Vxi11Server};

const USAGE: &str = "\
usage: elog_transports [--raw ADDR] [--hislip ADDR] [--vxi11 ADDR] [--portmapper auto|off|ADDR] [--channel SPEC]...";

struct Args {
    raw: SocketAddr,
    hislip: SocketAddr,
    vxi11: SocketAddr,
    portmapper: Portmapper,
    channels: Vec<ChannelSpec>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let any: SocketAddr = "127.0.0.1:0".parse().map_err(|_| "address")?;
    let mut args = Args {
        raw: any,
        hislip: any,
        vxi11: any,
        portmapper: Portmapper::Auto,
        channels: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let addr = |name: &str, v: String| {
            v.parse::<SocketAddr>()
                .map_err(|e| format!("{name} {v:?}: {e}"))
        };
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--raw" => args.raw = addr("--raw", value("--raw")?)?,
            "--hislip" => args.hislip = addr("--hislip", value("--hislip")?)?,
            "--vxi11" => args.vxi11 = addr("--vxi11", value("--vxi11")?)?,
            "--portmapper" => {
                let v = value("--portmapper")?;
                args.portmapper = match v.as_str() {
                    "auto" => Portmapper::Auto,
                    "off" => Portmapper::Off,
                    _ => Portmapper::Builtin(addr("--portmapper", v)?),
                };
            }
            "--channel" => {
                let v = value("--channel")?;
                args.channels
                    .push(v.parse().map_err(|e| format!("--channel {v:?}: {e}"))?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(args))
}

fn run(args: Args) -> Result<(), String> {
    let instrument = shared(ElogInstrument::default());
    let mut acquisition = Acquisition::new(instrument.clone());
    let sim = if args.channels.is_empty() {
        Simulator::demo()
    } else {
        Simulator::from_specs(&args.channels)
    };
    acquisition
        .add_source(sim)
        .map_err(|e| format!("--channel: {e}"))?;
    let _running = acquisition
        .start(AcquisitionConfig::default())
        .map_err(|e| format!("starting the acquisition: {e}"))?;
    let raw = Server::bind(
        ServerConfig::default().with_listen(args.raw),
        instrument.clone(),
    )
    .map_err(|e| format!("raw on {}: {e}", args.raw))?;
    let hislip = HislipServer::bind(
        ServerConfig::default().with_listen(args.hislip),
        instrument.clone(),
    )
    .map_err(|e| format!("hislip on {}: {e}", args.hislip))?;
    let vxi11 = Vxi11Server::bind(
        ServerConfig::default().with_listen(args.vxi11),
        args.portmapper,
        instrument,
    )
    .map_err(|e| format!("vxi11 on {}: {e}", args.vxi11))?;
    let mut out = std::io::stdout();
    let addrs = [
        raw.local_addr().map_err(|e| e.to_string())?,
        hislip.local_addr().map_err(|e| e.to_string())?,
        vxi11.local_addr().map_err(|e| e.to_string())?,
    ];
    let _ = writeln!(out, "portmapper: {}", vxi11.portmapper_status());
    let raw = raw.spawn().map_err(|e| e.to_string())?;
    let _hislip = hislip.spawn().map_err(|e| e.to_string())?;
    let _vxi11 = vxi11.spawn().map_err(|e| e.to_string())?;
    for (name, addr) in ["raw", "hislip", "vxi11"].iter().zip(addrs) {
        let _ = writeln!(out, "{name} listening on {addr}");
    }
    let _ = out.flush();
    raw.wait();
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
                eprintln!("elog_transports: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("elog_transports: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
