//! What the command-line examples share: host names with a default port, a
//! stdout that treats a closed pipe as the end of the run, and logging.
//!
//! Included with `#[path = "support/cli.rs"] #[macro_use] mod cli;` (examples are single
//! files; this is not a library). Not every example uses every item.
#![allow(dead_code, unused_macros)]

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};

/// The ELOG port of this project's server (and of OXYGEN's SCPI interface).
pub const ELOG_PORT: u16 = 10001;

/// A host and port as given on the command line (`localhost`, `host:port`,
/// `192.168.1.5`, `[::1]:5025`), resolved when parsed so a typo fails early.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The host name or IP address, as typed (IPv6 without brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// Every address the host resolved to.
    pub addrs: Vec<SocketAddr>,
}

impl Endpoint {
    /// Parses `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare `V6`
    /// address; a bare `PORT` (digits only) means `default_host:PORT`.
    pub fn parse(text: &str, default_host: &str, default_port: u16) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!(
                "empty address: give HOST, HOST:PORT or PORT (e.g. {default_host}:{default_port})"
            ));
        }
        let port_of = |p: &str| {
            p.parse::<u16>().map_err(|_| {
                format!("{p:?} is not a port: give a number 0..=65535, e.g. {default_port}")
            })
        };
        let (host, port) = if text.bytes().all(|b| b.is_ascii_digit()) {
            (default_host.to_string(), port_of(text)?)
        } else if let Some(rest) = text.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{text:?}: an IPv6 address in brackets needs its ']'"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => port_of(p)?,
                None if after.is_empty() => default_port,
                None => return Err(format!("{text:?}: expected [IPv6]:PORT")),
            };
            (h.to_string(), port)
        } else if text.matches(':').count() > 1 {
            // A bare IPv6 address (its colons are not a port separator).
            (text.to_string(), default_port)
        } else {
            match text.split_once(':') {
                Some((h, p)) => (h.to_string(), port_of(p)?),
                None => (text.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(format!(
                "{text:?}: the host is missing, e.g. {default_host}:{port}"
            ));
        }
        let addrs: Vec<SocketAddr> = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| {
                format!(
                    "cannot resolve host {host:?} ({e}): give an IP address or a known host name"
                )
            })?
            .collect();
        if addrs.is_empty() {
            return Err(format!("host {host:?} has no address"));
        }
        Ok(Endpoint { host, port, addrs })
    }

    /// The address to listen on: the first IPv4 one if the name has one
    /// (`localhost` → 127.0.0.1, as clients usually try first), else the first.
    pub fn listen_addr(&self) -> SocketAddr {
        self.addrs
            .iter()
            .find(|a| a.is_ipv4())
            .copied()
            .unwrap_or(self.addrs[0])
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// `--addr` of a client: a bare port means `127.0.0.1:PORT`.
pub fn client_endpoint(text: &str) -> Result<Endpoint, String> {
    Endpoint::parse(text, "127.0.0.1", ELOG_PORT)
}

/// `--listen` of a server: a bare port means `127.0.0.1:PORT` (this machine
/// only; `0.0.0.0:PORT` serves every interface).
pub fn listen_endpoint(text: &str) -> Result<Endpoint, String> {
    Endpoint::parse(text, "127.0.0.1", ELOG_PORT)
}

/// Whether an I/O error means the reader of our output went away
/// (`elog_server | head`): the run ends quietly and successfully.
pub fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// Writes a line to stdout and flushes it; a closed stdout ends the process
/// quietly with exit code 0 (what `| head` expects), any other error is returned.
pub fn out_line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let r = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    let r = r.and_then(|()| out.flush());
    match r {
        Err(e) if is_closed_pipe(&e) => std::process::exit(0),
        other => other,
    }
}

/// `println!` that exits quietly when stdout is closed (`#[macro_use] mod cli;`).
macro_rules! outln {
    ($($arg:tt)*) => {
        // Other write errors on stdout are not worth a panic either.
        let _ = $crate::cli::out_line(format_args!($($arg)*));
    };
}

/// Sets up `log` through env_logger on stderr: `RUST_LOG` wins when set,
/// else `-v` gives `info`, `-vv` `debug`, `-vvv` `trace` (default `warn`).
pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_target(false)
        .init();
}
