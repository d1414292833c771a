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
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::header::{HEADER_LEN, Header, error_code, fatal_code, kind, negotiate};
use super::Link;
use super::lock::{DeviceLock, Released};
use super::net::{self, Conn, Shared, TransportHandle, guard, read_full};
use crate::acquisition::{SharedInstrument, lock};
use crate::dispatch::Verdict;
use crate::instrument::{ElogInstrument, ElogTree};
use crate::server::ServerConfig;

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
    /// Binds `config.listen` (see [`default_config`]); every limit of the
    /// raw server's [`ServerConfig`] applies per TCP connection (a HiSLIP
    /// session uses two).
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
        let t = net::spawn_listener(self.listener, &self.config, &shared, "hislip", handler)?;
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
    streams: Mutex<Vec<TcpStream>>,
}

impl HsSession {
    fn close(&self) {
        for s in guard(&self.streams).iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn send(stream: &mut TcpStream, h: Header, payload: &[u8]) -> io::Result<()> {
    let h = h.with_len(payload.len() as u64);
    if payload.len() <= 4096 {
        let mut buf = [0u8; HEADER_LEN + 4096];
        buf[..HEADER_LEN].copy_from_slice(&h.encode());
        buf[HEADER_LEN..HEADER_LEN + payload.len()].copy_from_slice(payload);
        stream.write_all(&buf[..HEADER_LEN + payload.len()])
    } else {
        stream.write_all(&h.encode())?;
        stream.write_all(payload)
    }
}

fn fatal(stream: &mut TcpStream, code: u8, text: &str) {
    let _ = send(
        stream,
        Header::new(kind::FATAL_ERROR, code, 0),
        text.as_bytes(),
    );
    let _ = stream.flush();
}

fn error(stream: &mut TcpStream, code: u8, text: &str) -> io::Result<()> {
    send(stream, Header::new(kind::ERROR, code, 0), text.as_bytes())
}

/// Reads a payload of at most `max` bytes into `buf`; `Ok(false)` if it is
/// longer (then nothing was read).
fn read_payload(
    stream: &mut TcpStream,
    h: &Header,
    max: u64,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    if h.len > max {
        return Ok(false);
    }
    buf.clear();
    buf.resize(usize::try_from(h.len).unwrap_or(0), 0);
    if !read_full(stream, buf)? && !buf.is_empty() {
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

    /// Skips the payload of a message that is answered with `Error`;
    /// `false` (after a `FatalError`) if it is too long even to skip.
    fn skip_or_fatal(&self, stream: &mut TcpStream, h: &Header) -> bool {
        if h.len > self.skip_bound() {
            fatal(stream, fatal_code::UNIDENTIFIED, "message too large");
            return false;
        }
        net::skip(stream, h.len).is_ok()
    }

    fn new_session(&self, version: u16, stream: &TcpStream) -> Option<Arc<HsSession>> {
        let mut sessions = guard(&self.sessions);
        let mut next = guard(&self.next_session);
        let id = (0..=u16::MAX).find_map(|_| {
            *next = next.wrapping_add(1).max(1);
            (!sessions.contains_key(&next)).then_some(*next)
        })?;
        let _ = version;
        let s = Arc::new(HsSession {
            id,
            owner: self.next_owner.fetch_add(1, Ordering::Relaxed),
            link: Mutex::new(Link::new(self.config.connection_limits())),
            mav: AtomicBool::new(false),
            clearing: AtomicBool::new(false),
            overlap: AtomicBool::new(false),
            async_attached: AtomicBool::new(false),
            client_max: AtomicU64::new(0),
            streams: Mutex::new(stream.try_clone().ok().into_iter().collect()),
        });
        sessions.insert(id, Arc::clone(&s));
        Some(s)
    }

    fn end_session(&self, s: &HsSession) {
        guard(&self.sessions).remove(&s.id);
        self.lock.release_all(s.owner);
        s.close();
    }

    fn lock_wait(&self) -> Duration {
        self.config.idle_timeout.unwrap_or(MAX_LOCK_WAIT)
    }
}

fn serve(ctx: &Arc<Ctx>, mut conn: Conn) {
    let mut hb = [0u8; HEADER_LEN];
    if !matches!(read_full(&mut conn.stream, &mut hb), Ok(true)) {
        return;
    }
    let h = match Header::decode(&hb) {
        Ok(h) => h,
        Err(_) => {
            return fatal(
                &mut conn.stream,
                fatal_code::POORLY_FORMED_HEADER,
                "bad prologue",
            );
        }
    };
    match h.kind {
        kind::INITIALIZE => sync_channel(ctx, conn, h),
        kind::ASYNC_INITIALIZE => async_channel(ctx, conn, h),
        _ => fatal(
            &mut conn.stream,
            fatal_code::INVALID_INITIALIZATION,
            "expected Initialize or AsyncInitialize",
        ),
    }
}

fn sync_channel(ctx: &Arc<Ctx>, mut conn: Conn, init: Header) {
    let stream = &mut conn.stream;
    let mut payload = Vec::new();
    if !matches!(
        read_payload(stream, &init, MAX_SMALL_PAYLOAD, &mut payload),
        Ok(true)
    ) {
        return fatal(
            stream,
            fatal_code::POORLY_FORMED_HEADER,
            "sub-address too long",
        );
    }
    if !payload.is_empty() && !payload.starts_with(b"hislip") {
        return fatal(
            stream,
            fatal_code::INVALID_INITIALIZATION,
            "unknown sub-address",
        );
    }
    let version = negotiate(u16::try_from(init.param >> 16).unwrap_or(0));
    let Some(sess) = ctx.new_session(version, stream) else {
        return fatal(stream, fatal_code::MAX_CLIENTS, "no session id left");
    };
    let param = (u32::from(version) << 16) | u32::from(sess.id);
    if send(
        stream,
        Header::new(kind::INITIALIZE_RESPONSE, 0, param),
        &[],
    )
    .is_ok()
    {
        run_sync(ctx, stream, &sess);
    }
    ctx.end_session(&sess);
}

fn run_sync(ctx: &Ctx, stream: &mut TcpStream, sess: &HsSession) {
    let max_input = ctx.config.max_input as u64;
    let mut payload = Vec::new();
    let mut out = Vec::new();
    let mut hb = [0u8; HEADER_LEN];
    while matches!(read_full(stream, &mut hb), Ok(true)) {
        let Ok(h) = Header::decode(&hb) else {
            return fatal(stream, fatal_code::POORLY_FORMED_HEADER, "bad prologue");
        };
        match h.kind {
            kind::DATA | kind::DATA_END => {
                if !sess.async_attached.load(Ordering::SeqCst) {
                    return fatal(
                        stream,
                        fatal_code::NO_BOTH_CHANNELS,
                        "no asynchronous channel",
                    );
                }
                match read_payload(stream, &h, max_input, &mut payload) {
                    Ok(true) => {}
                    Ok(false) => {
                        if !ctx.skip_or_fatal(stream, &h)
                            || error(stream, error_code::MESSAGE_TOO_LARGE, "message too large")
                                .is_err()
                        {
                            return;
                        }
                        continue;
                    }
                    Err(_) => return,
                }
                if h.control & 1 != 0 {
                    sess.mav.store(false, Ordering::SeqCst);
                }
                if sess.clearing.load(Ordering::SeqCst) {
                    continue;
                }
                if !ctx.lock.wait_access(sess.owner, ctx.lock_wait()) {
                    return fatal(stream, fatal_code::UNIDENTIFIED, "device locked");
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
                    let chunk = match sess.client_max.load(Ordering::SeqCst) {
                        0 => out.len(),
                        n => usize::try_from(n).unwrap_or(usize::MAX).max(1),
                    };
                    // MAV before the bytes leave: a status query racing the
                    // answer must already see it.
                    sess.mav.store(true, Ordering::SeqCst);
                    let mut parts = out.chunks(chunk).peekable();
                    while let Some(part) = parts.next() {
                        let k = if parts.peek().is_some() {
                            kind::DATA
                        } else {
                            kind::DATA_END
                        };
                        if send(stream, Header::new(k, 0, h.param), part).is_err() {
                            return;
                        }
                    }
                    out.clear();
                    if out.capacity() > 4 << 20 {
                        out.shrink_to(64 * 1024);
                    }
                }
                if verdict != Verdict::Continue {
                    return fatal(
                        stream,
                        fatal_code::UNIDENTIFIED,
                        "input or output limit exceeded",
                    );
                }
            }
            kind::DEVICE_CLEAR_COMPLETE => {
                if !ctx.skip_or_fatal(stream, &h) {
                    return;
                }
                let overlap = h.control & 1 != 0;
                sess.overlap.store(overlap, Ordering::SeqCst);
                guard(&sess.link).clear();
                sess.mav.store(false, Ordering::SeqCst);
                sess.clearing.store(false, Ordering::SeqCst);
                let ack = Header::new(kind::DEVICE_CLEAR_ACKNOWLEDGE, u8::from(overlap), 0);
                if send(stream, ack, &[]).is_err() {
                    return;
                }
            }
            kind::TRIGGER => {
                // No trigger model: a Trigger is accepted and does nothing.
                if !ctx.skip_or_fatal(stream, &h) {
                    return;
                }
            }
            kind::INITIALIZE | kind::ASYNC_INITIALIZE => {
                return fatal(
                    stream,
                    fatal_code::INVALID_INITIALIZATION,
                    "already initialized",
                );
            }
            other => {
                if !unknown(ctx, stream, &h, other) {
                    return;
                }
            }
        }
    }
}

/// Answers a message this channel does not know with `Error`; `false` when
/// the connection must close.
fn unknown(ctx: &Ctx, stream: &mut TcpStream, h: &Header, k: u8) -> bool {
    let code = if k >= kind::VENDOR_FIRST {
        error_code::UNRECOGNIZED_VENDOR_MESSAGE
    } else {
        error_code::UNRECOGNIZED_MESSAGE_TYPE
    };
    ctx.skip_or_fatal(stream, h) && error(stream, code, "unrecognized message type").is_ok()
}

fn async_channel(ctx: &Arc<Ctx>, mut conn: Conn, init: Header) {
    let stream = &mut conn.stream;
    if init.len != 0 {
        return fatal(
            stream,
            fatal_code::POORLY_FORMED_HEADER,
            "AsyncInitialize has no payload",
        );
    }
    let id = u16::try_from(init.param & 0xffff).unwrap_or(0);
    let sess = guard(&ctx.sessions).get(&id).cloned();
    let Some(sess) = sess.filter(|s| !s.async_attached.swap(true, Ordering::SeqCst)) else {
        return fatal(
            stream,
            fatal_code::INVALID_INITIALIZATION,
            "unknown session id",
        );
    };
    if let Ok(c) = stream.try_clone() {
        guard(&sess.streams).push(c);
    }
    let resp = Header::new(kind::ASYNC_INITIALIZE_RESPONSE, 0, u32::from(VENDOR_ID));
    if send(stream, resp, &[]).is_ok() {
        run_async(ctx, stream, &sess);
    }
    ctx.end_session(&sess);
}

fn run_async(ctx: &Ctx, stream: &mut TcpStream, sess: &HsSession) {
    let mut payload = Vec::new();
    let mut hb = [0u8; HEADER_LEN];
    while matches!(read_full(stream, &mut hb), Ok(true)) {
        let Ok(h) = Header::decode(&hb) else {
            return fatal(stream, fatal_code::POORLY_FORMED_HEADER, "bad prologue");
        };
        let reply = match h.kind {
            kind::ASYNC_MAXIMUM_MESSAGE_SIZE => {
                if h.len != 8 {
                    if !ctx.skip_or_fatal(stream, &h) {
                        return;
                    }
                    if error(stream, error_code::UNIDENTIFIED, "size payload is 8 bytes").is_err() {
                        return;
                    }
                    continue;
                }
                let mut b = [0u8; 8];
                if !matches!(read_full(stream, &mut b), Ok(true)) {
                    return;
                }
                // The client's bound counts the header; answers use payloads.
                let client = u64::from_be_bytes(b)
                    .saturating_sub(HEADER_LEN as u64)
                    .max(1);
                sess.client_max.store(client, Ordering::SeqCst);
                let ours = (ctx.config.max_input as u64).saturating_add(HEADER_LEN as u64);
                let h = Header::new(kind::ASYNC_MAXIMUM_MESSAGE_SIZE_RESPONSE, 0, 0);
                if send(stream, h, &ours.to_be_bytes()).is_err() {
                    return;
                }
                continue;
            }
            kind::ASYNC_LOCK => {
                if !matches!(
                    read_payload(stream, &h, MAX_SMALL_PAYLOAD, &mut payload),
                    Ok(true)
                ) {
                    return fatal(
                        stream,
                        fatal_code::POORLY_FORMED_HEADER,
                        "lock key too long",
                    );
                }
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
                        if error(
                            stream,
                            error_code::UNRECOGNIZED_CONTROL_CODE,
                            "lock control",
                        )
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
                if !ctx.skip_or_fatal(stream, &h) {
                    return;
                }
                let (exclusive, holders) = ctx.lock.info();
                Header::new(kind::ASYNC_LOCK_INFO_RESPONSE, u8::from(exclusive), holders)
            }
            kind::ASYNC_STATUS_QUERY => {
                if !ctx.skip_or_fatal(stream, &h) {
                    return;
                }
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
                if !ctx.skip_or_fatal(stream, &h) {
                    return;
                }
                sess.clearing.store(true, Ordering::SeqCst);
                guard(&sess.link).clear();
                sess.mav.store(false, Ordering::SeqCst);
                // Our preference: synchronized mode.
                Header::new(kind::ASYNC_DEVICE_CLEAR_ACKNOWLEDGE, 0, 0)
            }
            kind::ASYNC_REMOTE_LOCAL_CONTROL => {
                if !ctx.skip_or_fatal(stream, &h) {
                    return;
                }
                Header::new(kind::ASYNC_REMOTE_LOCAL_RESPONSE, 0, 0)
            }
            kind::INITIALIZE | kind::ASYNC_INITIALIZE => {
                return fatal(
                    stream,
                    fatal_code::INVALID_INITIALIZATION,
                    "already initialized",
                );
            }
            other => {
                if !unknown(ctx, stream, &h, other) {
                    return;
                }
                continue;
            }
        };
        if send(stream, reply, &[]).is_err() {
            return;
        }
    }
}
