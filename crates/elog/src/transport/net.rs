//! What the socket transports share with the raw server: admission (the
//! allow-list, the connection count), per-socket timeouts, a registry of
//! open sockets to shut them down, and the handle that stops them all.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::server::ServerConfig;

/// Sockets and counters shared by a transport's listeners and connections.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) stop: AtomicBool,
    next_id: AtomicU64,
    active: AtomicUsize,
    streams: Mutex<HashMap<u64, TcpStream>>,
}

/// Locks a mutex, recovering the data of a poisoned one.
pub(crate) fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One admitted TCP connection; dropping it closes the socket and frees its
/// place in the connection count.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) id: u64,
    pub(crate) stream: TcpStream,
    shared: Arc<Shared>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        guard(&self.shared.streams).remove(&self.id);
        self.shared.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on a clean end of stream
/// before the first byte.
pub(crate) fn read_full(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Reads and drops `n` bytes.
pub(crate) fn skip(stream: &mut TcpStream, mut n: u64) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    while n > 0 {
        let want = usize::try_from(n.min(buf.len() as u64)).unwrap_or(buf.len());
        if !read_full(stream, &mut buf[..want])? {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        n -= want as u64;
    }
    Ok(())
}

/// The per-connection handler a listener runs on its own thread.
pub(crate) type Handler = Arc<dyn Fn(Conn) + Send + Sync>;

/// Runs the accept loop of `listener` on a new thread: admits within
/// `config` (allow-list, connection count, timeouts) and runs `handler` for
/// each admitted connection on its own thread.
pub(crate) fn spawn_listener(
    listener: TcpListener,
    config: &ServerConfig,
    shared: &Arc<Shared>,
    name: &str,
    handler: Handler,
) -> io::Result<JoinHandle<()>> {
    let config = config.clone();
    let shared = Arc::clone(shared);
    let tname = name.to_owned();
    std::thread::Builder::new()
        .name(format!("{name}-accept"))
        .spawn(move || {
            let mut workers: Vec<JoinHandle<()>> = Vec::new();
            for incoming in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                workers.retain(|w| !w.is_finished());
                let Ok(stream) = incoming else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let Some(conn) = admit(stream, &config, &shared) else {
                    continue;
                };
                let h = Arc::clone(&handler);
                if let Ok(w) = std::thread::Builder::new()
                    .name(format!("{tname}-{}", conn.id))
                    .spawn(move || h(conn))
                {
                    workers.push(w);
                }
            }
            for w in workers {
                let _ = w.join();
            }
        })
}

fn admit(stream: TcpStream, config: &ServerConfig, shared: &Arc<Shared>) -> Option<Conn> {
    if let Some(allow) = &config.allow {
        match stream.peer_addr() {
            Ok(peer) if allow.contains(&peer.ip()) => {}
            _ => {
                let _ = stream.shutdown(Shutdown::Both);
                return None;
            }
        }
    }
    if let Some(max) = config.max_connections
        && shared.active.load(Ordering::SeqCst) >= max
    {
        let _ = stream.shutdown(Shutdown::Both);
        return None;
    }
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(config.idle_timeout);
    let _ = stream.set_write_timeout(config.write_timeout);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let clone = stream.try_clone().ok()?;
    guard(&shared.streams).insert(id, clone);
    shared.active.fetch_add(1, Ordering::SeqCst);
    Some(Conn {
        id,
        stream,
        shared: Arc::clone(shared),
    })
}

/// A running transport server: its listening addresses, and the way to stop
/// it (dropping the handle stops it too).
pub struct TransportHandle {
    addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    on_stop: Option<OnStop>,
}

/// What runs when a transport stops (e.g. unregistering from rpcbind).
type OnStop = Box<dyn FnOnce() + Send>;

impl std::fmt::Debug for OnStopDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0 { "Some(..)" } else { "None" })
    }
}

struct OnStopDebug<'a>(bool, std::marker::PhantomData<&'a ()>);

impl TransportHandle {
    pub(crate) fn new(
        addrs: Vec<SocketAddr>,
        shared: Arc<Shared>,
        threads: Vec<JoinHandle<()>>,
    ) -> Self {
        Self {
            addrs,
            shared,
            threads,
            on_stop: None,
        }
    }

    /// Runs `f` when the server stops.
    #[cfg_attr(not(feature = "vxi11"), allow(dead_code))]
    pub(crate) fn on_stop(&mut self, f: OnStop) {
        self.on_stop = Some(f);
    }

    /// The main listening address (HiSLIP: the one port; VXI-11: the core
    /// channel).
    pub fn local_addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Every listening address, the main one first.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// How many TCP connections are open.
    pub fn connections(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }

    /// Blocks until the server stops (it runs until
    /// [`shutdown`](Self::shutdown)).
    pub fn wait(mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }

    /// Stops accepting, closes every connection and waits for the threads.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.shared.stop.store(true, Ordering::SeqCst);
        for s in guard(&self.shared.streams).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        for addr in &self.addrs {
            let wake = match addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => {
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
                }
                IpAddr::V6(ip) if ip.is_unspecified() => {
                    SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
                }
                _ => *addr,
            };
            let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(f) = self.on_stop.take() {
            f();
        }
    }
}

impl std::fmt::Debug for TransportHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportHandle")
            .field("addrs", &self.addrs)
            .field("connections", &self.connections())
            .field(
                "on_stop",
                &OnStopDebug(self.on_stop.is_some(), std::marker::PhantomData),
            )
            .finish_non_exhaustive()
    }
}

impl Drop for TransportHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
