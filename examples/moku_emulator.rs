//! Runs a Moku Datalogger emulator until killed.
//!
//! ```text
//! cargo run --release --example moku_emulator -- [--listen [HOST:]PORT] [--model go|lab|pro|delta]
//!     [--serial S] [--no-key-check] [--no-bitstreams] [--mdns]
//! ```
//!
//! Prints `listening on <addr>` once the server accepts connections (port 0 picks a free port),
//! then serves until the process is killed.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use clap::Parser;
use moku_emulator::{Config, Emulator, Model};

/// Serve an emulated Moku running the Datalogger over HTTP until killed.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Where to listen: `HOST:PORT`, `localhost:8090` or a bare `PORT` (on 127.0.0.1);
    /// port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0", value_parser = listen_addr, value_name = "[HOST:]PORT")]
    listen: SocketAddr,
    /// The emulated model.
    #[arg(long, default_value = "go", value_name = "go|lab|pro|delta")]
    model: Model,
    /// The serial number the device reports.
    #[arg(long, value_name = "S")]
    serial: Option<String>,
    /// Accept requests without a Moku-Client-Key.
    #[arg(long)]
    no_key_check: bool,
    /// Start with no bitstreams, as a fresh device (clients then upload them).
    #[arg(long)]
    no_bitstreams: bool,
    /// Advertise the device over mDNS (`_moku._tcp.local.`, TXT `serial`, …) as a Moku does,
    /// so that `moku_datalogger --serial S --advertised-port` finds it.
    #[arg(long)]
    mdns: bool,
}

fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("{s:?} is not HOST:PORT or PORT (try --listen 127.0.0.1:8090)"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = Config {
        model: args.model,
        listen: args.listen,
        require_client_key: !args.no_key_check,
        bitstreams_installed: !args.no_bitstreams,
        mdns: args.mdns,
        ..Config::default()
    };
    if let Some(s) = args.serial {
        config.serial = s;
    }
    let emulator = match Emulator::start(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the emulator on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "listening on {}", emulator.addr())
        .and_then(|()| out.flush())
        .is_err()
    {
        // Nobody reads stdout (closed pipe): nothing to report the address to.
        return ExitCode::SUCCESS;
    }
    drop(out);
    // Serve until killed: the server runs on its own thread.
    loop {
        std::thread::park();
    }
}
