//! The SCPI socket server (feature `tcp`): raw SCPI over TCP, as OXYGEN
//! speaks it (default `127.0.0.1:10001`; 5025 or any other by configuration).
//!
//! One thread per connection. Each connection has its own framer (bounded by
//! [`ServerConfig::max_input`]), header mode, error queue and status
//! registers — a `scpi_parser::Session` — while all connections share the one
//! instrument and so the one ELOG session. Input is executed under the
//! instrument's lock, at most 512 bytes of it per hold, into a
//! per-connection buffer; the answers are written to the socket after the
//! lock is released, so a slow reader never stalls the acquisition and a
//! client pipelining queries never makes others wait long for the lock.
//!
//! Every connection runs within limits a deployer sets in [`ServerConfig`]
//! (connections, input and output bytes, idle, message and write timeouts,
//! an allow-list), with safe defaults; [`crate::dispatch`] enforces the byte
//! bounds, [`deadline`] the time limits and [`admission`] who holds a slot
//! (members, probation, eviction: no lockout by silent or trickling
//! clients). Bytes after the last LF when a client disconnects are a cut
//! message and are dropped, never executed. With the `log` feature the
//! server logs accepts, refusals, evictions and every close with its reason.
//!
//! ```no_run
//! use elog::server::{Server, ServerConfig};
//! use elog::{ElogInstrument, acquisition::shared};
//!
//! let instrument = shared(ElogInstrument::default());
//! let server = Server::bind(ServerConfig::default(), instrument)?;
//! println!("listening on {}", server.local_addr()?);
//! let handle = server.spawn()?;
//! handle.wait();
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod admission;
pub(crate) mod connection;
pub mod deadline;
pub(crate) mod output;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::acquisition::SharedInstrument;
use crate::dispatch::ConnectionLimits;
pub use crate::dispatch::{DEFAULT_MAX_DISCARD, DEFAULT_MAX_INPUT, DEFAULT_MAX_OUTPUT};
use crate::instrument::{ElogInstrument, ElogTree};
use admission::{Admission, AdmissionConfig, Close, Refusal};
pub use admission::{DEFAULT_GRACE, DEFAULT_MAX_CONNECTIONS, DEFAULT_PROBATION};
use connection::Connection;
use deadline::ReadTimeouts;
pub use deadline::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MESSAGE_TIMEOUT, DEFAULT_WRITE_TIMEOUT};
pub use output::KEPT_OUTPUT;

/// The default listen address: OXYGEN's SCPI port on the loopback interface.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 10001);
/// The generic SCPI socket port (IANA "scpi-raw").
pub const SCPI_RAW_PORT: u16 = 5025;

/// How the server listens and what it allows.
///
/// `#[non_exhaustive]`: build it from [`ServerConfig::default`] and the
/// `with_*` methods, so that further limits can be added without breaking
/// callers.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where to listen (port 0: any free port, see [`Server::local_addr`]).
    pub listen: SocketAddr,
    /// The longest program message a connection may send; a longer one is
    /// dropped with `-363 Input buffer overrun` and the framer resynchronises.
    pub max_input: usize,
    /// How far an overlong message may run past `max_input` (waiting for
    /// its terminator) before the connection is closed.
    pub max_discard: usize,
    /// The most answer bytes one dispatch step (a read, executed in slices of
    /// at most 512 bytes of input) may produce; an answer beyond is
    /// dropped (`-430`) and the connection closed.
    pub max_output: usize,
    /// The most simultaneous member connections (default
    /// [`DEFAULT_MAX_CONNECTIONS`]); beyond, `probation` more are served for
    /// `grace` and must take a member's slot (see [`admission`]).
    pub max_connections: Option<usize>,
    /// Connections admitted on probation beyond `max_connections` (default
    /// [`DEFAULT_PROBATION`]); further ones are closed at once.
    pub probation: usize,
    /// A probationer's time to take a slot, and a member's protection from
    /// eviction after each complete message (default [`DEFAULT_GRACE`]).
    pub grace: Duration,
    /// A connection that sends nothing for this long is closed (default
    /// [`DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: Option<Duration>,
    /// A program message not complete this long after its first byte closes
    /// the connection (default [`DEFAULT_MESSAGE_TIMEOUT`]).
    pub message_timeout: Option<Duration>,
    /// An answer that has not entirely left this long after it was ready
    /// closes the connection (default [`DEFAULT_WRITE_TIMEOUT`]).
    pub write_timeout: Option<Duration>,
    /// If set, only these client addresses are served.
    pub allow: Option<Vec<IpAddr>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            max_input: DEFAULT_MAX_INPUT,
            max_discard: DEFAULT_MAX_DISCARD,
            max_output: DEFAULT_MAX_OUTPUT,
            max_connections: Some(DEFAULT_MAX_CONNECTIONS),
            probation: DEFAULT_PROBATION,
            grace: DEFAULT_GRACE,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            message_timeout: Some(DEFAULT_MESSAGE_TIMEOUT),
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            allow: None,
        }
    }
}

impl ServerConfig {
    /// Listen on `addr`.
    #[must_use]
    pub fn with_listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Bound each program message to `bytes` (at least 64).
    #[must_use]
    pub fn with_max_input(mut self, bytes: usize) -> Self {
        self.max_input = bytes.max(64);
        self
    }

    /// Let an overlong message run `bytes` past `max_input` before closing.
    #[must_use]
    pub fn with_max_discard(mut self, bytes: usize) -> Self {
        self.max_discard = bytes;
        self
    }

    /// Bound the answers to one dispatch step to `bytes` (at least 1 KiB).
    #[must_use]
    pub fn with_max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes.max(1024);
        self
    }

    /// Close clients whose answer has not entirely left `timeout` after it
    /// was ready (zero: never).
    #[must_use]
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = (!timeout.is_zero()).then_some(timeout);
        self
    }

    /// The byte bounds each connection runs with.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_input: self.max_input,
            max_discard: self.max_discard,
            max_output: self.max_output,
        }
    }

    /// Serve at most `n` connections at once.
    #[must_use]
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = Some(n);
        self
    }

    /// Close connections idle for `timeout` (zero: never).
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = (!timeout.is_zero()).then_some(timeout);
        self
    }

    /// Close connections whose program message is not complete `timeout`
    /// after its first byte (zero: never).
    #[must_use]
    pub fn with_message_timeout(mut self, timeout: Duration) -> Self {
        self.message_timeout = (!timeout.is_zero()).then_some(timeout);
        self
    }

    /// Admit `n` connections on probation beyond `max_connections`, each
    /// for `grace` (also a member's protection after a complete message).
    #[must_use]
    pub fn with_probation(mut self, n: usize, grace: Duration) -> Self {
        self.probation = n;
        self.grace = grace;
        self
    }

    /// The admission rules (see [`admission`]).
    pub fn admission(&self) -> AdmissionConfig {
        AdmissionConfig {
            max_connections: self.max_connections,
            probation: self.probation,
            grace: self.grace,
        }
    }

    /// Serve only clients from these addresses.
    #[must_use]
    pub fn with_allow_list(mut self, allow: Vec<IpAddr>) -> Self {
        self.allow = Some(allow);
        self
    }
}

/// State shared by the accept loop, the connections and the handle.
#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    admission: Admission,
}

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    config: ServerConfig,
    instrument: SharedInstrument,
    tree: Arc<ElogTree>,
}

impl Server {
    /// Binds the listen address.
    pub fn bind(config: ServerConfig, instrument: SharedInstrument) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen)?;
        Ok(Self {
            listener,
            config,
            instrument,
            tree: Arc::new(ElogInstrument::tree()),
        })
    }

    /// The bound address (the real port when the configuration said 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Runs the accept loop on a new thread.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let addr = self.local_addr()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            admission: Admission::new(self.config.admission()),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("elog-accept".into())
            .spawn(move || self.accept_loop(&s))?;
        Ok(ServerHandle {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    fn accept_loop(self, shared: &Arc<Shared>) {
        let mut workers: Vec<JoinHandle<()>> = Vec::new();
        for incoming in self.listener.incoming() {
            if shared.stop.load(Ordering::SeqCst) {
                break;
            }
            workers.retain(|w| !w.is_finished());
            let stream = match incoming {
                Ok(s) => s,
                // Per-connection failures (reset before accept, no fds left):
                // keep serving; a short pause avoids spinning on EMFILE.
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            if let Some(w) = self.start(stream, shared) {
                workers.push(w);
            }
        }
        shared.admission.close_all();
        for w in workers {
            let _ = w.join();
        }
    }

    /// Admits an accepted connection and starts its thread, or closes it.
    fn start(&self, stream: TcpStream, shared: &Shared) -> Option<JoinHandle<()>> {
        let peer = stream.peer_addr().ok();
        let closer: Arc<dyn Close> = Arc::new(stream.try_clone().ok()?);
        let ticket = admit(
            &stream,
            peer,
            self.config.allow.as_deref(),
            &shared.admission,
            closer,
            "connection",
        )?;
        let id = ticket.id();
        let conn = Connection {
            ticket,
            peer,
            stream,
            instrument: Arc::clone(&self.instrument),
            tree: Arc::clone(&self.tree),
            limits: self.config.connection_limits(),
            read_timeouts: ReadTimeouts {
                idle: self.config.idle_timeout,
                message: self.config.message_timeout,
            },
            write_timeout: self.config.write_timeout,
            messages: 0,
            talked: false,
        };
        // A failed spawn drops `conn`: its ticket frees the slot, its stream closes.
        std::thread::Builder::new()
            .name(format!("elog-conn-{id}"))
            .spawn(move || conn.serve())
            .ok()
    }
}

/// Admits a just-accepted `stream` from `peer` (any transport): the
/// allow-list first, then the admission table. Logs the accept or the
/// refusal (`what` names the connection kind in the log, e.g. `"hislip
/// connection"`); a refused stream is shut down and `None` returned.
pub(crate) fn admit(
    stream: &TcpStream,
    peer: Option<SocketAddr>,
    allow: Option<&[IpAddr]>,
    admission: &Admission,
    closer: Arc<dyn Close>,
    what: &str,
) -> Option<admission::Ticket> {
    if let Some(allow) = allow
        && !peer.is_some_and(|p| allow.contains(&p.ip()))
    {
        elog_log!(warn, "refused {what} from {peer:?}: not on the allow list");
        let _ = stream.shutdown(Shutdown::Both);
        return None;
    }
    match admission.admit(closer) {
        Ok(ticket) => {
            elog_log!(
                info,
                "{what} {}: accepted from {peer:?}{}",
                ticket.id(),
                if ticket.is_member() {
                    ""
                } else {
                    " on probation"
                }
            );
            Some(ticket)
        }
        Err(Refusal::Full) => {
            elog_log!(
                warn,
                "refused {what} from {peer:?}: full (every slot and probation slot taken)"
            );
            let _ = stream.shutdown(Shutdown::Both);
            let _ = what;
            None
        }
    }
}

/// A running server: its address, and the way to stop it.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server accepts connections on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.shared.admission.len()
    }

    /// Blocks until the server stops (it runs until [`shutdown`](Self::shutdown)).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops accepting, closes every connection and waits for their threads.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.admission.close_all();
        // Wake the blocking accept with a connection of our own.
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), self.addr.port())
            }
            _ => self.addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        let _ = thread.join();
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
