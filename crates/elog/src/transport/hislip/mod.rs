//! The HiSLIP 2.0 server (IVI-6.1, feature `hislip`): the instrument as a
//! VISA `TCPIP::host::hislip0::INSTR` resource (default port 4880).
//!
//! One TCP port carries both channels of a session: the synchronous channel
//! (`Initialize`, then `Data`/`DataEnd` program messages and their answers,
//! `DeviceClearComplete`, `Trigger`) and the asynchronous one
//! (`AsyncInitialize`, `AsyncMaximumMessageSize`, `AsyncLock`,
//! `AsyncLockInfo`, `AsyncStatusQuery`, `AsyncDeviceClear`,
//! `AsyncRemoteLocalControl`). The version is negotiated down to the
//! client's (pyvisa-py 0.8 speaks 1.0). Each session owns one
//! [`Link`], so program messages go through the same
//! [`dispatch::dispatch`](crate::dispatch::dispatch) as the raw socket, within
//! the same [`ServerConfig`] limits. Answers carry the message id of the
//! `Data`/`DataEnd` that asked; the server prefers synchronized mode and
//! accepts overlapped mode when the client asks for it at device clear.
//! Malformed headers get `FatalError` (and the session is closed), unknown
//! or oversized messages get `Error`.
//!
//! Connections are admitted and timed by the raw server's machinery
//! ([`crate::server::admission`], [`crate::server::deadline`]): the
//! synchronous channel takes the session's slot; the asynchronous one is
//! admitted like any connection and gives its slot back when
//! `AsyncInitialize` attaches it to its session; a complete HiSLIP message
//! on either channel is the session's progress; evicting the session closes
//! both channels.
//!
//! ```no_run
//! use elog::transport::hislip::{self, HislipServer};
//! use elog::{ElogInstrument, acquisition::shared};
//!
//! let instrument = shared(ElogInstrument::default());
//! let server = HislipServer::bind(hislip::default_config(), instrument)?;
//! println!("hislip listening on {}", server.local_addr()?);
//! server.spawn()?.wait();
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod header;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::header::{HEADER_LEN, Header, error_code, fatal_code, kind, negotiate};
use super::Link;
use super::lock::{DeviceLock, Released};
use super::net::{self, Conn, Shared, Streams, TransportHandle, guard};
use crate::acquisition::{SharedInstrument, lock};
use crate::dispatch::{AnswerBuffer, Verdict};
use crate::instrument::{ElogInstrument, ElogTree};
use crate::server::ServerConfig;
use crate::server::admission::{Close, Ticket};
use crate::server::connection::End;
use crate::server::output::Output;

/// The IANA HiSLIP port.
pub const HISLIP_PORT: u16 = 4880;
/// The default listen address: the HiSLIP port on the loopback interface.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), HISLIP_PORT);
/// The vendor id this server sends in `AsyncInitializeResponse` ("EL").
pub const VENDOR_ID: u16 = u16::from_be_bytes(*b"EL");
/// The longest `Initialize` sub-address or `AsyncLock` key accepted.
const MAX_SMALL_PAYLOAD: u64 = 256;
/// The longest wait an `AsyncLock` request may ask for.
const MAX_LOCK_WAIT: Duration = Duration::from_secs(3600);

/// The raw server's defaults, listening on [`DEFAULT_LISTEN`].
pub fn default_config() -> ServerConfig {
    ServerConfig::default().with_listen(DEFAULT_LISTEN)
}

/// A bound, not yet running HiSLIP server.
#[derive(Debug)]
pub struct HislipServer {
    listener: TcpListener,
    config: ServerConfig,
    instrument: SharedInstrument,
}

impl HislipServer {
    /// Binds `config.listen` (see [`default_config`]). Every limit of the
    /// raw server's [`ServerConfig`] applies, through the raw server's
    /// admission and deadlines: a session holds one slot for its two
    /// channels, each HiSLIP message is a message for the deadlines and
    /// for admission, and eviction closes both channels.
    pub fn bind(config: ServerConfig, instrument: SharedInstrument) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen)?;
        Ok(Self {
            listener,
            config,
            instrument,
        })
    }

    /// The bound address (the real port when the configuration said 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Runs the server on its own threads (one per channel).
    pub fn spawn(self) -> io::Result<TransportHandle> {
        let addr = self.local_addr()?;
        let shared = Arc::new(Shared::default());
        let ctx = Arc::new(Ctx {
            instrument: self.instrument,
            tree: ElogInstrument::tree(),
            config: self.config.clone(),
            sessions: Mutex::new(HashMap::new()),
            next_session: Mutex::new(0),
            next_owner: AtomicU64::new(1),
            lock: DeviceLock::default(),
        });
        let handler: net::Handler = Arc::new(move |conn| serve(&ctx, conn));
        let t = net::spawn_listener(
            self.listener,
            &self.config,
            &shared,
            "hislip connection",
            handler,
        )?;
        Ok(TransportHandle::new(vec![addr], shared, vec![t]))
    }
}

/// What every channel of the server shares.
struct Ctx {
    instrument: SharedInstrument,
    tree: ElogTree,
    config: ServerConfig,
    sessions: Mutex<HashMap<u16, Arc<HsSession>>>,
    next_session: Mutex<u16>,
    next_owner: AtomicU64,
    lock: DeviceLock,
}

/// One HiSLIP session: its link and the state both channels see.
struct HsSession {
    id: u16,
    /// The session's identity for the device lock.
    owner: u64,
    link: Mutex<Link>,
    /// An answer was sent and the client has not reported RMT delivered.
    mav: AtomicBool,
    /// Between `AsyncDeviceClear` and `DeviceClearComplete`: data is dropped.
    clearing: AtomicBool,
    overlap: AtomicBool,
    async_attached: AtomicBool,
    /// The most payload bytes per message the client accepts (0: no bound).
    client_max: AtomicU64,
    /// The session's one admission slot (taken by its synchronous channel).
    ticket: Arc<Ticket>,
    /// Both channels' sockets: closing the slot (eviction, shutdown)
    /// closes the whole session.
    streams: Arc<Streams>,
}

/// Sends one message as an answer of its own (one write deadline).
fn send(conn: &mut Conn, h: Header, payload: &[u8]) -> io::Result<()> {
    conn.begin_answer();
    send_part(conn, h, payload)
}

/// Sends one message within the current answer's write deadline.
fn send_part(conn: &mut Conn, h: Header, payload: &[u8]) -> io::Result<()> {
    let h = h.with_len(payload.len() as u64);
    if payload.len() <= 4096 {
        let mut buf = [0u8; HEADER_LEN + 4096];
        buf[..HEADER_LEN].copy_from_slice(&h.encode());
        buf[HEADER_LEN..HEADER_LEN + payload.len()].copy_from_slice(payload);
        conn.write_all(&buf[..HEADER_LEN + payload.len()])
    } else {
        conn.write_all(&h.encode())?;
        conn.write_all(payload)
    }
}

fn fatal(conn: &mut Conn, code: u8, text: &str) {
    let _ = send(
        conn,
        Header::new(kind::FATAL_ERROR, code, 0),
        text.as_bytes(),
    );
    let _ = conn.stream.flush();
}

fn error(conn: &mut Conn, code: u8, text: &str) -> io::Result<()> {
    send(conn, Header::new(kind::ERROR, code, 0), text.as_bytes())
}

/// Reads a payload of at most `max` bytes into `buf`; `Ok(false)` if it is
/// longer (then nothing was read).
fn read_payload(conn: &mut Conn, h: &Header, max: u64, buf: &mut Vec<u8>) -> io::Result<bool> {
    if h.len > max {
        return Ok(false);
    }
    buf.clear();
    buf.resize(usize::try_from(h.len).unwrap_or(0), 0);
    if !conn.read_full(buf)? && !buf.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(true)
}

impl Ctx {
    /// How far past `max_input` a payload may run before the session is
    /// closed instead of skipped.
    fn skip_bound(&self) -> u64 {
        (self.config.max_input as u64).saturating_add(self.config.max_discard as u64)
    }

    /// Skips the payload of a message; `false` (after a `FatalError`) if it
    /// is too long even to skip, or the connection failed.
    fn skip_or_fatal(&self, conn: &mut Conn, h: &Header) -> bool {
        if h.len > self.skip_bound() {
            conn.ended(End::Limit(Verdict::InputLimit));
            fatal(conn, fatal_code::UNIDENTIFIED, "message too large");
            return false;
        }
        conn.skip(h.len).is_ok()
    }

    fn new_session(&self, conn: &Conn) -> Option<Arc<HsSession>> {
        let mut sessions = guard(&self.sessions);
        let mut next = guard(&self.next_session);
        let id = (0..=u16::MAX).find_map(|_| {
            *next = next.wrapping_add(1).max(1);
            (!sessions.contains_key(&next)).then_some(*next)
        })?;
        let s = Arc::new(HsSession {
            id,
            owner: self.next_owner.fetch_add(1, Ordering::Relaxed),
            link: Mutex::new(Link::new(self.config.connection_limits())),
            mav: AtomicBool::new(false),
            clearing: AtomicBool::new(false),
            overlap: AtomicBool::new(false),
            async_attached: AtomicBool::new(false),
            client_max: AtomicU64::new(0),
            ticket: Arc::clone(conn.ticket()),
            streams: Arc::clone(conn.streams()),
        });
        sessions.insert(id, Arc::clone(&s));
        Some(s)
    }

    fn end_session(&self, s: &HsSession) {
        guard(&self.sessions).remove(&s.id);
        self.lock.release_all(s.owner);
        s.streams.close();
    }

    fn lock_wait(&self) -> Duration {
        self.config.idle_timeout.unwrap_or(MAX_LOCK_WAIT)
    }
}

fn serve(ctx: &Arc<Ctx>, mut conn: Conn) {
    let mut hb = [0u8; HEADER_LEN];
    if !matches!(conn.read_full(&mut hb), Ok(true)) {
        return;
    }
    let h = match Header::decode(&hb) {
        Ok(h) => h,
        Err(_) => {
            return fatal(&mut conn, fatal_code::POORLY_FORMED_HEADER, "bad prologue");
        }
    };
    match h.kind {
        kind::INITIALIZE => sync_channel(ctx, &mut conn, h),
        kind::ASYNC_INITIALIZE => async_channel(ctx, &mut conn, h),
        _ => fatal(
            &mut conn,
            fatal_code::INVALID_INITIALIZATION,
            "expected Initialize or AsyncInitialize",
        ),
    }
}

fn sync_channel(ctx: &Arc<Ctx>, conn: &mut Conn, init: Header) {
    let mut payload = Vec::new();
    if !matches!(
        read_payload(conn, &init, MAX_SMALL_PAYLOAD, &mut payload),
        Ok(true)
    ) {
        return fatal(
            conn,
            fatal_code::POORLY_FORMED_HEADER,
            "sub-address too long",
        );
    }
    conn.complete();
    if !payload.is_empty() && !payload.starts_with(b"hislip") {
        return fatal(
            conn,
            fatal_code::INVALID_INITIALIZATION,
            "unknown sub-address",
        );
    }
    let version = negotiate(u16::try_from(init.param >> 16).unwrap_or(0));
    let Some(sess) = ctx.new_session(conn) else {
        return fatal(conn, fatal_code::MAX_CLIENTS, "no session id left");
    };
    let param = (u32::from(version) << 16) | u32::from(sess.id);
    if send(conn, Header::new(kind::INITIALIZE_RESPONSE, 0, param), &[]).is_ok() {
        run_sync(ctx, conn, &sess);
    }
    ctx.end_session(&sess);
}

fn run_sync(ctx: &Ctx, conn: &mut Conn, sess: &HsSession) {
    let max_input = ctx.config.max_input as u64;
    let mut payload = Vec::new();
    let mut out = Output::new(ctx.config.max_output);
    let mut hb = [0u8; HEADER_LEN];
    while matches!(conn.read_full(&mut hb), Ok(true)) {
        let Ok(h) = Header::decode(&hb) else {
            return fatal(conn, fatal_code::POORLY_FORMED_HEADER, "bad prologue");
        };
        // The payload: read (Data) or skipped (any other message); then the
        // message is complete.
        let fits = if matches!(h.kind, kind::DATA | kind::DATA_END) {
            match read_payload(conn, &h, max_input, &mut payload) {
                Ok(true) => true,
                Ok(false) if ctx.skip_or_fatal(conn, &h) => false,
                _ => return,
            }
        } else {
            if !ctx.skip_or_fatal(conn, &h) {
                return;
            }
            true
        };
        conn.complete();
        match h.kind {
            kind::DATA | kind::DATA_END => {
                if !sess.async_attached.load(Ordering::SeqCst) {
                    return fatal(
                        conn,
                        fatal_code::NO_BOTH_CHANNELS,
                        "no asynchronous channel",
                    );
                }
                if !fits {
                    if error(conn, error_code::MESSAGE_TOO_LARGE, "message too large").is_err() {
                        return;
                    }
                    continue;
                }
                if h.control & 1 != 0 {
                    sess.mav.store(false, Ordering::SeqCst);
                }
                if sess.clearing.load(Ordering::SeqCst) {
                    continue;
                }
                if !ctx.lock.wait_access(sess.owner, ctx.lock_wait()) {
                    return fatal(conn, fatal_code::UNIDENTIFIED, "device locked");
                }
                let verdict = {
                    let mut link = guard(&sess.link);
                    let mut inst = lock(&ctx.instrument);
                    let mut v = link.input(&payload, &ctx.tree, &mut inst, &mut out);
                    if v == Verdict::Continue && h.kind == kind::DATA_END {
                        v = link.end(&ctx.tree, &mut inst, &mut out);
                    }
                    v
                };
                if !out.is_empty() {
                    let written = send_answer(conn, sess, &out, h.param);
                    // A large answer's memory goes back to the system here.
                    out.clear();
                    if written.is_err() {
                        return;
                    }
                }
                if verdict != Verdict::Continue {
                    conn.ended(End::Limit(verdict));
                    return fatal(
                        conn,
                        fatal_code::UNIDENTIFIED,
                        "input or output limit exceeded",
                    );
                }
            }
            kind::DEVICE_CLEAR_COMPLETE => {
                let overlap = h.control & 1 != 0;
                sess.overlap.store(overlap, Ordering::SeqCst);
                guard(&sess.link).clear();
                sess.mav.store(false, Ordering::SeqCst);
                sess.clearing.store(false, Ordering::SeqCst);
                let ack = Header::new(kind::DEVICE_CLEAR_ACKNOWLEDGE, u8::from(overlap), 0);
                if send(conn, ack, &[]).is_err() {
                    return;
                }
            }
            // No trigger model: a Trigger is accepted and does nothing.
            kind::TRIGGER => {}
            kind::INITIALIZE | kind::ASYNC_INITIALIZE => {
                return fatal(
                    conn,
                    fatal_code::INVALID_INITIALIZATION,
                    "already initialized",
                );
            }
            other => {
                if unknown(conn, other).is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends `out` as one answer (`Data`… `DataEnd`, each within the client's
/// maximum message size) under one write deadline.
fn send_answer(conn: &mut Conn, sess: &HsSession, out: &Output, id: u32) -> io::Result<()> {
    let out = out.bytes();
    let chunk = match sess.client_max.load(Ordering::SeqCst) {
        0 => out.len(),
        n => usize::try_from(n).unwrap_or(usize::MAX).max(1),
    };
    // MAV before the bytes leave: a status query racing the answer must
    // already see it.
    sess.mav.store(true, Ordering::SeqCst);
    conn.begin_answer();
    let mut parts = out.chunks(chunk).peekable();
    while let Some(part) = parts.next() {
        let k = if parts.peek().is_some() {
            kind::DATA
        } else {
            kind::DATA_END
        };
        send_part(conn, Header::new(k, 0, id), part)?;
    }
    Ok(())
}

/// Answers a message this channel does not know (its payload skipped
/// already) with `Error`.
fn unknown(conn: &mut Conn, k: u8) -> io::Result<()> {
    let code = if k >= kind::VENDOR_FIRST {
        error_code::UNRECOGNIZED_VENDOR_MESSAGE
    } else {
        error_code::UNRECOGNIZED_MESSAGE_TYPE
    };
    error(conn, code, "unrecognized message type")
}

fn async_channel(ctx: &Arc<Ctx>, conn: &mut Conn, init: Header) {
    if init.len != 0 {
        return fatal(
            conn,
            fatal_code::POORLY_FORMED_HEADER,
            "AsyncInitialize has no payload",
        );
    }
    let id = u16::try_from(init.param & 0xffff).unwrap_or(0);
    let sess = guard(&ctx.sessions).get(&id).cloned();
    let Some(sess) = sess.filter(|s| !s.async_attached.swap(true, Ordering::SeqCst)) else {
        return fatal(
            conn,
            fatal_code::INVALID_INITIALIZATION,
            "unknown session id",
        );
    };
    // From now on the channel counts against its session's slot (its own
    // is given back), and closing that slot closes this channel too.
    conn.attach(Arc::clone(&sess.ticket), Arc::clone(&sess.streams));
    conn.complete();
    let resp = Header::new(kind::ASYNC_INITIALIZE_RESPONSE, 0, u32::from(VENDOR_ID));
    if send(conn, resp, &[]).is_ok() {
        run_async(ctx, conn, &sess);
    }
    ctx.end_session(&sess);
}

fn run_async(ctx: &Ctx, conn: &mut Conn, sess: &HsSession) {
    let mut payload = Vec::new();
    let mut hb = [0u8; HEADER_LEN];
    while matches!(conn.read_full(&mut hb), Ok(true)) {
        let Ok(h) = Header::decode(&hb) else {
            return fatal(conn, fatal_code::POORLY_FORMED_HEADER, "bad prologue");
        };
        // The payload: the size and the lock key are read, anything else
        // skipped; then the message is complete.
        payload.clear();
        match h.kind {
            kind::ASYNC_MAXIMUM_MESSAGE_SIZE if h.len == 8 => {
                payload.resize(8, 0);
                if !matches!(conn.read_full(&mut payload), Ok(true)) {
                    return;
                }
            }
            kind::ASYNC_LOCK => {
                if !matches!(
                    read_payload(conn, &h, MAX_SMALL_PAYLOAD, &mut payload),
                    Ok(true)
                ) {
                    return fatal(conn, fatal_code::POORLY_FORMED_HEADER, "lock key too long");
                }
            }
            _ => {
                if !ctx.skip_or_fatal(conn, &h) {
                    return;
                }
            }
        }
        conn.complete();
        let reply = match h.kind {
            kind::ASYNC_MAXIMUM_MESSAGE_SIZE => {
                let Ok(b) = <[u8; 8]>::try_from(&payload[..]) else {
                    if error(conn, error_code::UNIDENTIFIED, "size payload is 8 bytes").is_err() {
                        return;
                    }
                    continue;
                };
                // The client's bound counts the header; answers use payloads.
                let client = u64::from_be_bytes(b)
                    .saturating_sub(HEADER_LEN as u64)
                    .max(1);
                sess.client_max.store(client, Ordering::SeqCst);
                let ours = (ctx.config.max_input as u64).saturating_add(HEADER_LEN as u64);
                let h = Header::new(kind::ASYNC_MAXIMUM_MESSAGE_SIZE_RESPONSE, 0, 0);
                if send(conn, h, &ours.to_be_bytes()).is_err() {
                    return;
                }
                continue;
            }
            kind::ASYNC_LOCK => {
                let code = match h.control {
                    1 => {
                        let wait = Duration::from_millis(u64::from(h.param)).min(MAX_LOCK_WAIT);
                        let ok = if payload.is_empty() {
                            ctx.lock.lock_exclusive(sess.owner, wait)
                        } else {
                            ctx.lock.lock_shared(sess.owner, &payload, wait)
                        };
                        u8::from(ok)
                    }
                    0 => match ctx.lock.release(sess.owner) {
                        Released::Exclusive => 1,
                        Released::Shared => 2,
                        Released::Nothing => 3,
                    },
                    _ => {
                        if error(conn, error_code::UNRECOGNIZED_CONTROL_CODE, "lock control")
                            .is_err()
                        {
                            return;
                        }
                        continue;
                    }
                };
                Header::new(kind::ASYNC_LOCK_RESPONSE, code, 0)
            }
            kind::ASYNC_LOCK_INFO => {
                let (exclusive, holders) = ctx.lock.info();
                Header::new(kind::ASYNC_LOCK_INFO_RESPONSE, u8::from(exclusive), holders)
            }
            kind::ASYNC_STATUS_QUERY => {
                if h.control & 1 != 0 {
                    sess.mav.store(false, Ordering::SeqCst);
                }
                let stb = {
                    let link = guard(&sess.link);
                    let inst = lock(&ctx.instrument);
                    link.status_byte(&inst, sess.mav.load(Ordering::SeqCst))
                };
                Header::new(kind::ASYNC_STATUS_RESPONSE, stb, 0)
            }
            kind::ASYNC_DEVICE_CLEAR => {
                sess.clearing.store(true, Ordering::SeqCst);
                guard(&sess.link).clear();
                sess.mav.store(false, Ordering::SeqCst);
                // Our preference: synchronized mode.
                Header::new(kind::ASYNC_DEVICE_CLEAR_ACKNOWLEDGE, 0, 0)
            }
            kind::ASYNC_REMOTE_LOCAL_CONTROL => {
                Header::new(kind::ASYNC_REMOTE_LOCAL_RESPONSE, 0, 0)
            }
            kind::INITIALIZE | kind::ASYNC_INITIALIZE => {
                return fatal(
                    conn,
                    fatal_code::INVALID_INITIALIZATION,
                    "already initialized",
                );
            }
            other => {
                if unknown(conn, other).is_err() {
                    return;
                }
                continue;
            }
        };
        if send(conn, reply, &[]).is_err() {
            return;
        }
    }
}
