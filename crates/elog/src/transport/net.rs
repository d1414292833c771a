//! The socket transports (HiSLIP, VXI-11) on the raw server's machinery:
//! the same allow-list check and [`Admission`] table (members, probation,
//! eviction: [`crate::server::admission`]), the same read-side deadlines
//! (idle, message, probation: [`crate::server::deadline`]), one write
//! deadline per answer, and the same log events. Only the framing differs:
//! a transport reads whole protocol messages (a HiSLIP message, an RPC
//! record) through [`Conn::read_full`] and reports each complete one with
//! [`Conn::complete`].
//!
//! A *message* for the deadlines and for admission is one protocol message:
//! its first byte starts the message deadline, and reading its last byte
//! ([`Conn::complete`]) is the progress that keeps a member from eviction
//! and lets a probationer take a slot.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::server::ServerConfig;
use crate::server::admission::{Admission, Close, Promotion, Ticket};
use crate::server::connection::{End, log_end, log_promotion};
use crate::server::deadline::{Expiry, ReadClock, ReadTimeouts, WriteDeadline};

/// Locks a mutex, recovering the data of a poisoned one.
pub(crate) fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sockets one admission slot stands for (a HiSLIP session: both its
/// channels); closing the slot shuts them all down.
#[derive(Debug, Default)]
pub(crate) struct Streams(Mutex<Vec<TcpStream>>);

impl Streams {
    /// Adds a socket (a clone of it) to close with the others.
    pub(crate) fn push(&self, s: &TcpStream) {
        if let Ok(c) = s.try_clone() {
            guard(&self.0).push(c);
        }
    }
}

impl Close for Streams {
    fn close(&self) {
        for s in guard(&self.0).iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// The stop flag and the admission tables of a transport's listeners.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) stop: AtomicBool,
    tables: Mutex<Vec<Admission>>,
}

/// One admitted TCP connection: its socket, its slot and its deadlines.
/// Dropping it logs why it ended, closes the socket and (with the last
/// reference to its ticket) frees the slot.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    what: &'static str,
    ticket: Arc<Ticket>,
    // Read by HiSLIP only (a session's slot closes both channels).
    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    streams: Arc<Streams>,
    clock: ReadClock,
    write_timeout: Option<Duration>,
    answer: WriteDeadline,
    /// Whether the connection ever completed a message.
    talked: bool,
    /// Why it ended, once known (else: closed by the peer or the server).
    end: Option<End>,
}

impl Conn {
    /// The connection's number in its listener's table.
    pub(crate) fn id(&self) -> u64 {
        self.ticket.id()
    }

    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    /// The slot this connection counts against.
    pub(crate) fn ticket(&self) -> &Arc<Ticket> {
        &self.ticket
    }

    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    /// The sockets closed with this connection's slot.
    pub(crate) fn streams(&self) -> &Arc<Streams> {
        &self.streams
    }

    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    /// Counts from now on against `ticket` (whose slot closes `streams`,
    /// to which this socket is added) instead of its own slot, which is
    /// given back: a HiSLIP asynchronous channel joining its session.
    pub(crate) fn attach(&mut self, ticket: Arc<Ticket>, streams: Arc<Streams>) {
        streams.push(&self.stream);
        self.clock.set_probation(ticket.probation_deadline());
        self.ticket = ticket;
        self.streams = streams;
    }

    /// Records that the message being read is complete (see the module
    /// docs): its deadline is lifted and the slot sees progress.
    pub(crate) fn complete(&mut self) {
        self.clock.bytes(Instant::now(), false);
        self.talked = true;
        let p = self.ticket.completed();
        log_promotion(self.what, self.ticket.id(), p);
        if p != Promotion::Waiting {
            self.clock.set_probation(None);
        }
    }

    /// Sets how the connection ended, for the log (a transport-level limit).
    pub(crate) fn ended(&mut self, end: End) {
        self.end.get_or_insert(end);
    }

    /// Reads exactly `buf.len()` bytes within the read deadlines;
    /// `Ok(false)` on a clean end of stream before the first byte.
    pub(crate) fn read_full(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            self.arm_read()?;
            match self.stream.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    got += n;
                    self.clock.bytes(Instant::now(), true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Sets the socket's read timeout to the nearest deadline, or fails
    /// with the expiry (a probationer at its grace end tries for a slot
    /// first).
    fn arm_read(&mut self) -> io::Result<()> {
        loop {
            let now = Instant::now();
            let wait = match self.clock.next() {
                Some((deadline, why)) if deadline <= now => {
                    if why == Expiry::Probation {
                        let p = self.ticket.promote(self.talked);
                        log_promotion(self.what, self.ticket.id(), p);
                        if p != Promotion::Waiting {
                            self.clock.set_probation(None);
                            continue;
                        }
                    }
                    self.ended(End::Expired(why));
                    return Err(ErrorKind::TimedOut.into());
                }
                Some((deadline, _)) => Some((deadline - now).max(Duration::from_millis(1))),
                None => None,
            };
            return self.stream.set_read_timeout(wait);
        }
    }

    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    /// Reads and drops `n` bytes.
    pub(crate) fn skip(&mut self, mut n: u64) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        while n > 0 {
            let want = usize::try_from(n.min(buf.len() as u64)).unwrap_or(buf.len());
            if !self.read_full(&mut buf[..want])? {
                return Err(ErrorKind::UnexpectedEof.into());
            }
            n -= want as u64;
        }
        Ok(())
    }

    /// Starts an answer: everything written until the next call must have
    /// left within one write timeout from now.
    pub(crate) fn begin_answer(&mut self) {
        self.answer = WriteDeadline::start(Instant::now(), self.write_timeout);
    }

    /// Writes `bytes` within the current answer's deadline.
    pub(crate) fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let Ok(wait) = self.answer.remaining(Instant::now()) else {
                self.ended(End::WriteTimeout);
                return Err(ErrorKind::TimedOut.into());
            };
            self.stream.set_write_timeout(wait)?;
            match self.stream.write(bytes) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        log_end(self.what, self.ticket.id(), self.end.unwrap_or(End::Closed));
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// The per-connection handler a listener runs on its own thread.
pub(crate) type Handler = Arc<dyn Fn(Conn) + Send + Sync>;

/// Runs the accept loop of `listener` on a new thread with its own
/// admission table: admits within `config` (allow-list, slots, probation)
/// and runs `handler` for each admitted connection on its own thread.
/// `what` names its connections in the log ("hislip connection").
pub(crate) fn spawn_listener(
    listener: TcpListener,
    config: &ServerConfig,
    shared: &Arc<Shared>,
    what: &'static str,
    handler: Handler,
) -> io::Result<JoinHandle<()>> {
    let config = config.clone();
    let shared = Arc::clone(shared);
    let admission = Admission::new(config.admission());
    guard(&shared.tables).push(admission.clone());
    let thread_name = what.replace(' ', "-");
    std::thread::Builder::new()
        .name(format!("{thread_name}-accept"))
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
                let Some(conn) = admit(stream, &config, &admission, what) else {
                    continue;
                };
                let h = Arc::clone(&handler);
                if let Ok(w) = std::thread::Builder::new()
                    .name(format!("{thread_name}-{}", conn.id()))
                    .spawn(move || h(conn))
                {
                    workers.push(w);
                }
            }
            admission.close_all();
            for w in workers {
                let _ = w.join();
            }
        })
}

fn admit(
    stream: TcpStream,
    config: &ServerConfig,
    admission: &Admission,
    what: &'static str,
) -> Option<Conn> {
    let peer = stream.peer_addr().ok();
    let streams = Arc::new(Streams::default());
    streams.push(&stream);
    let closer: Arc<dyn Close> = Arc::clone(&streams) as Arc<dyn Close>;
    let ticket = crate::server::admit(
        &stream,
        peer,
        config.allow.as_deref(),
        admission,
        closer,
        what,
    )?;
    let _ = stream.set_nodelay(true);
    let now = Instant::now();
    let mut clock = ReadClock::new(
        ReadTimeouts {
            idle: config.idle_timeout,
            message: config.message_timeout,
        },
        now,
    );
    clock.set_probation(ticket.probation_deadline());
    Some(Conn {
        stream,
        what,
        ticket: Arc::new(ticket),
        streams,
        clock,
        write_timeout: config.write_timeout,
        answer: WriteDeadline::start(now, config.write_timeout),
        talked: false,
        end: None,
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

    /// How many connection slots are held, over all listeners (a HiSLIP
    /// session holds one for its two channels).
    pub fn connections(&self) -> usize {
        guard(&self.shared.tables).iter().map(Admission::len).sum()
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
        for t in guard(&self.shared.tables).iter() {
            t.close_all();
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
            .field("on_stop", &self.on_stop.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for TransportHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
