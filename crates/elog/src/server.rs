//! The SCPI socket server (feature `tcp`): raw SCPI over TCP, as OXYGEN
//! speaks it (default `127.0.0.1:10001`; 5025 or any other by configuration).
//!
//! One thread per connection. Each connection has its own framer (bounded by
//! [`ServerConfig::max_input`]), header mode, error queue and status
//! registers — a `scpi_parser::Session` — while all connections share the one
//! instrument and so the one ELOG session. A message is processed under the
//! instrument's lock into a per-connection buffer; the answer is written to
//! the socket after the lock is released, so a slow reader never stalls the
//! acquisition.
//!
//! Every connection runs within limits a deployer sets in [`ServerConfig`]
//! (connections, input and output bytes, idle and write timeouts, an
//! allow-list), with safe defaults; [`crate::limits`] enforces the byte
//! bounds. Bytes after the last LF when a client disconnects are a cut
//! message and are dropped, never executed.
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

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use scpi_parser::{Framer, Session};

use crate::acquisition::{SharedInstrument, lock};
use crate::instrument::{ElogInstrument, ElogTree};
use crate::limits::{self, ConnectionLimits, Verdict};
pub use crate::limits::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_DISCARD, DEFAULT_MAX_INPUT,
    DEFAULT_MAX_OUTPUT, DEFAULT_WRITE_TIMEOUT,
};

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
    /// The most answer bytes one read may produce; an answer beyond is
    /// dropped (`-430`) and the connection closed.
    pub max_output: usize,
    /// The most simultaneous connections; further ones are closed at once
    /// (default [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: Option<usize>,
    /// A connection that sends nothing for this long is closed (default
    /// [`DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: Option<Duration>,
    /// A client that takes no byte of its answer for this long is closed
    /// (default [`DEFAULT_WRITE_TIMEOUT`]).
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
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
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

    /// Bound the answers to one read to `bytes` (at least 1 KiB).
    #[must_use]
    pub fn with_max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes.max(1024);
        self
    }

    /// Close clients that take no byte of their answer for `timeout`
    /// (zero: never).
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

    /// Serve only clients from these addresses.
    #[must_use]
    pub fn with_allow_list(mut self, allow: Vec<IpAddr>) -> Self {
        self.allow = Some(allow);
        self
    }
}

/// State shared by the accept loop, the connections and the handle.
#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    next_id: AtomicU64,
    active: AtomicUsize,
    /// A clone of every open connection's socket, to shut them down.
    streams: Mutex<HashMap<u64, TcpStream>>,
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
        let shared = Arc::new(Shared::default());
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
            if !self.admit(&stream, shared) {
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
            match stream.try_clone() {
                Ok(clone) => {
                    lock_streams(shared).insert(id, clone);
                }
                Err(_) => continue,
            }
            shared.active.fetch_add(1, Ordering::SeqCst);
            let conn = Connection {
                id,
                stream,
                instrument: Arc::clone(&self.instrument),
                tree: Arc::clone(&self.tree),
                limits: self.config.connection_limits(),
                idle_timeout: self.config.idle_timeout,
                write_timeout: self.config.write_timeout,
                shared: Arc::clone(shared),
            };
            match std::thread::Builder::new()
                .name(format!("elog-conn-{id}"))
                .spawn(move || conn.serve())
            {
                Ok(w) => workers.push(w),
                Err(_) => {
                    if let Some(s) = lock_streams(shared).remove(&id) {
                        let _ = s.shutdown(Shutdown::Both);
                    }
                    shared.active.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        for s in lock_streams(shared).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        for w in workers {
            let _ = w.join();
        }
    }

    fn admit(&self, stream: &TcpStream, shared: &Shared) -> bool {
        if let Some(allow) = &self.config.allow {
            match stream.peer_addr() {
                Ok(peer) if allow.contains(&peer.ip()) => {}
                _ => return false,
            }
        }
        if let Some(max) = self.config.max_connections
            && shared.active.load(Ordering::SeqCst) >= max
        {
            return false;
        }
        true
    }
}

fn lock_streams(shared: &Shared) -> std::sync::MutexGuard<'_, HashMap<u64, TcpStream>> {
    shared
        .streams
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One client connection: its socket and its own SCPI session.
struct Connection {
    id: u64,
    stream: TcpStream,
    instrument: SharedInstrument,
    tree: Arc<ElogTree>,
    limits: ConnectionLimits,
    idle_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    shared: Arc<Shared>,
}

impl Connection {
    fn serve(mut self) {
        let _ = self.stream.set_nodelay(true);
        let _ = self.stream.set_read_timeout(self.idle_timeout);
        let _ = self.stream.set_write_timeout(self.write_timeout);
        let mut framer = Framer::new(vec![0u8; self.limits.max_input]);
        let mut session: Session = Session::new();
        let mut input = vec![0u8; 16 * 1024];
        let mut out: Vec<u8> = Vec::new();
        loop {
            let n = match self.stream.read(&mut input) {
                Ok(0) => {
                    // End of input. LF ends a program message; bytes after
                    // the last LF are a cut message and are dropped, never
                    // executed in part (a cut `:ELOG:PER 10` must not set 1 s).
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break, // idle timeout, reset, shutdown
            };
            let verdict = {
                let mut inst = lock(&self.instrument);
                let (tree, limits) = (&*self.tree, &self.limits);
                let input = &input[..n];
                limits::dispatch(
                    &mut session,
                    &mut framer,
                    input,
                    tree,
                    &mut *inst,
                    &mut out,
                    limits,
                )
            };
            if verdict != Verdict::Continue {
                // The answers before the offending message still go out.
                let _ = self.stream.write_all(&out);
                break;
            }
            if !out.is_empty() {
                if self.stream.write_all(&out).is_err() {
                    break;
                }
                out.clear();
                // Keep one large answer's buffer from pinning memory forever.
                if out.capacity() > 4 << 20 {
                    out.shrink_to(64 * 1024);
                }
            }
        }
        let _ = self.stream.shutdown(Shutdown::Both);
        lock_streams(&self.shared).remove(&self.id);
        self.shared.active.fetch_sub(1, Ordering::SeqCst);
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
        self.shared.active.load(Ordering::SeqCst)
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
        for s in lock_streams(&self.shared).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
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
