//! Runs a Moku Datalogger emulator until killed.
//!
//! ```text
//! cargo run --release --example moku_emulator -- --listen 127.0.0.1:PORT [--model go|lab|pro|delta]
//! ```
//!
//! Prints `listening on <addr>` once the server accepts connections (port 0 picks a free port),
//! then serves until the process is killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use moku_emulator::{Config, Emulator, Model};

fn usage() -> ExitCode {
    eprintln!(
        "usage: moku_emulator [--listen 127.0.0.1:PORT] [--model go|lab|pro|delta] [--serial S] [--no-key-check]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--no-key-check" => {
                config.require_client_key = false;
                continue;
            }
            "-h" | "--help" => return usage(),
            "--listen" | "--model" | "--serial" => match args.next() {
                Some(v) => v,
                None => return usage(),
            },
            _ => return usage(),
        };
        match arg.as_str() {
            "--listen" => match value.parse::<SocketAddr>() {
                Ok(a) => config.listen = a,
                Err(e) => {
                    eprintln!("bad --listen {value:?}: {e}");
                    return usage();
                }
            },
            "--model" => match value.parse::<Model>() {
                Ok(m) => config.model = m,
                Err(e) => {
                    eprintln!("{e}");
                    return usage();
                }
            },
            _ => config.serial = value,
        }
    }
    let emulator = match Emulator::start(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "listening on {}", emulator.addr())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(out);
    // Serve until killed: the server runs on its own thread.
    loop {
        std::thread::park();
    }
}
