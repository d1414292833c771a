//! The VXI-11 server (feature `vxi11`): the instrument as a VISA
//! `TCPIP::host::inst0::INSTR` resource, over ONC RPC on TCP.
//!
//! Three listeners: the core channel (`create_link`, `device_write`,
//! `device_read` with END and termination-character semantics,
//! `device_readstb`, `device_clear`, `device_lock`/`device_unlock`,
//! `destroy_link`, …), the abort channel (`device_abort`), and — so that a
//! VISA client finds the core channel — a portmapper ([`Portmapper`]). Each
//! link owns one [`Link`](super::Link): program messages go through the same
//! [`dispatch::dispatch`](crate::dispatch::dispatch) as the raw socket, within
//! the same [`ServerConfig`] limits. Records are bounded (`max_input` plus
//! room for the RPC header); a malformed call gets an RPC error
//! (`GARBAGE_ARGS`, `PROC_UNAVAIL`, `PROG_UNAVAIL`, `PROG_MISMATCH`,
//! `RPC_MISMATCH`), a record beyond the bound closes the connection.
//!
//! Each listener admits and times its connections with the raw server's
//! machinery ([`crate::server::admission`], [`crate::server::deadline`]),
//! in a slot table of its own: a complete RPC call record is a complete
//! message (its first byte starts the message deadline; it counts as the
//! connection's progress), each reply leaves within one write deadline, and
//! a link's unread answers beyond 64 KiB live in a mapping given back once
//! read.
//!
//! ```no_run
//! use elog::transport::vxi11::{self, Portmapper, Vxi11Server};
//! use elog::{ElogInstrument, acquisition::shared};
//!
//! let instrument = shared(ElogInstrument::default());
//! let server = Vxi11Server::bind(vxi11::default_config(), Portmapper::Auto, instrument)?;
//! println!("vxi11 core channel on {}", server.local_addr()?);
//! println!("{}", server.portmapper_status());
//! server.spawn()?.wait();
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod core;
mod link;
pub mod portmap;
pub mod rpc;

use std::io::{self, ErrorKind};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;

use self::core::{ABORT_PROG, CORE_PROG, RequestError, VXI11_VERSION};
use self::rpc::{CallError, CallHeader, LAST_FRAGMENT, Reader, Writer, accept};
use super::net::{self, Conn, Shared, TransportHandle};
use crate::acquisition::SharedInstrument;
use crate::dispatch::Verdict;
use crate::server::ServerConfig;
use crate::server::connection::End;

/// The default listen address of the core channel: any free port on the
/// loopback interface (clients find it through the portmapper).
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The raw server's defaults, the core channel on [`DEFAULT_LISTEN`].
pub fn default_config() -> ServerConfig {
    ServerConfig::default().with_listen(DEFAULT_LISTEN)
}

/// How a VISA client finds the core channel.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Portmapper {
    /// The built-in portmapper on port 111 of the listen address when it can
    /// bind it (root, no rpcbind running); else registration with the
    /// system's rpcbind; else none.
    Auto,
    /// The built-in portmapper on this address (port 0: any; for tests).
    Builtin(SocketAddr),
    /// Registration with the rpcbind at this address (unregistered at
    /// shutdown).
    Register(SocketAddr),
    /// None: clients name the port (`TCPIP::host,port::inst0::INSTR`).
    Off,
}

/// What a connection does with a record.
pub(crate) enum Action {
    Reply(Writer),
    Ignore,
    Close,
}

/// Decodes a call for program `prog` version `vers` and answers it: `f`
/// gets the procedure and the arguments and appends the results; its
/// errors become `PROC_UNAVAIL` / `GARBAGE_ARGS`.
pub(crate) fn answer(
    record: &[u8],
    prog: u32,
    vers: u32,
    f: impl FnOnce(u32, &mut Reader<'_>, &mut Writer) -> Result<(), RequestError>,
) -> Action {
    let mut r = Reader::new(record);
    let h = match CallHeader::decode(&mut r) {
        Ok(h) => h,
        Err(CallError::NoXid) => return Action::Close,
        Err(CallError::NotACall(_)) => return Action::Ignore,
        Err(CallError::Garbage(xid)) => {
            return Action::Reply(rpc::accepted(xid, accept::GARBAGE_ARGS));
        }
    };
    if h.rpcvers != rpc::RPC_VERSION {
        return Action::Reply(rpc::rpc_mismatch(h.xid));
    }
    if h.prog != prog {
        return Action::Reply(rpc::accepted(h.xid, accept::PROG_UNAVAIL));
    }
    if h.vers != vers {
        let mut w = rpc::accepted(h.xid, accept::PROG_MISMATCH);
        w.u32(vers).u32(vers);
        return Action::Reply(w);
    }
    let mut w = rpc::accepted(h.xid, accept::SUCCESS);
    match f(h.proc_, &mut r, &mut w) {
        Ok(()) => Action::Reply(w),
        Err(RequestError::NoProcedure) => Action::Reply(rpc::accepted(h.xid, accept::PROC_UNAVAIL)),
        Err(RequestError::Garbage) => Action::Reply(rpc::accepted(h.xid, accept::GARBAGE_ARGS)),
    }
}

/// Reads one record (its fragments joined) of at most `max` bytes through
/// `read_full` (exactly the buffer's bytes; `Ok(false)` at a clean end of
/// stream); `Ok(None)` at a clean end of stream, an error beyond `max`.
pub(crate) fn read_record(
    mut read_full: impl FnMut(&mut [u8]) -> io::Result<bool>,
    max: usize,
) -> io::Result<Option<Vec<u8>>> {
    let mut rec = Vec::new();
    loop {
        let mut hb = [0u8; 4];
        if !read_full(&mut hb)? {
            return if rec.is_empty() {
                Ok(None)
            } else {
                Err(ErrorKind::UnexpectedEof.into())
            };
        }
        let (last, len) = rpc::fragment_header(hb);
        let len = len as usize;
        if rec.len().saturating_add(len) > max {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "RPC record too long",
            ));
        }
        let start = rec.len();
        rec.resize(start + len, 0);
        if len > 0 && !read_full(&mut rec[start..])? {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        if last {
            return Ok(Some(rec));
        }
    }
}

/// Writes one record (a single fragment) as one answer, within one write
/// deadline.
fn write_record(conn: &mut Conn, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| io::Error::from(ErrorKind::InvalidData))?;
    let mark = (LAST_FRAGMENT | len).to_be_bytes();
    conn.begin_answer();
    if body.len() <= 4096 {
        let mut buf = [0u8; 4 + 4096];
        buf[..4].copy_from_slice(&mark);
        buf[4..4 + body.len()].copy_from_slice(body);
        conn.write_all(&buf[..4 + body.len()])
    } else {
        conn.write_all(&mark)?;
        conn.write_all(body)
    }
}

/// Reads records and writes the answers `f` gives until the peer leaves.
/// Each complete record is a complete message (see [`net`]): it lifts the
/// message deadline and counts as the connection's progress.
fn serve_records(conn: &mut Conn, max: usize, mut f: impl FnMut(&[u8]) -> Action) {
    loop {
        let rec = match read_record(|b| conn.read_full(b), max) {
            Ok(Some(rec)) => rec,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == ErrorKind::InvalidData {
                    conn.ended(End::Limit(Verdict::InputLimit));
                }
                return;
            }
        };
        conn.complete();
        match f(&rec) {
            Action::Reply(w) => {
                if write_record(conn, &w.buf).is_err() {
                    return;
                }
            }
            Action::Ignore => {}
            Action::Close => return,
        }
    }
}

/// A bound, not yet running VXI-11 server.
#[derive(Debug)]
pub struct Vxi11Server {
    core: TcpListener,
    abort: TcpListener,
    portmap: Option<TcpListener>,
    registered: Option<SocketAddr>,
    status: String,
    config: ServerConfig,
    instrument: SharedInstrument,
}

impl Vxi11Server {
    /// Binds the core channel on `config.listen`, the abort channel on a
    /// free port of the same address, and the portmapper as `portmapper`
    /// says (see [`portmapper_status`](Self::portmapper_status)).
    pub fn bind(
        config: ServerConfig,
        portmapper: Portmapper,
        instrument: SharedInstrument,
    ) -> io::Result<Self> {
        let core = TcpListener::bind(config.listen)?;
        let abort = TcpListener::bind(SocketAddr::new(config.listen.ip(), 0))?;
        let ports = portmap::Ports {
            core: core.local_addr()?.port(),
            abort: abort.local_addr()?.port(),
        };
        let well_known = SocketAddr::new(config.listen.ip(), portmap::PMAP_PORT);
        let system = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), portmap::PMAP_PORT);
        let (portmap, registered, status) = match portmapper {
            Portmapper::Off => (
                None,
                None,
                "no portmapper: clients name the port".to_owned(),
            ),
            Portmapper::Builtin(addr) => {
                let l = TcpListener::bind(addr)?;
                let status = format!("built-in portmapper on {}", l.local_addr()?);
                (Some(l), None, status)
            }
            Portmapper::Register(pmap) => {
                register_both(pmap, ports)?;
                (
                    None,
                    Some(pmap),
                    format!("registered with the rpcbind at {pmap}"),
                )
            }
            Portmapper::Auto => match TcpListener::bind(well_known) {
                Ok(l) => {
                    let status = format!("built-in portmapper on {}", l.local_addr()?);
                    (Some(l), None, status)
                }
                Err(bind_err) => match register_both(system, ports) {
                    Ok(()) => (
                        None,
                        Some(system),
                        format!("registered with the rpcbind at {system}"),
                    ),
                    Err(reg_err) => (
                        None,
                        None,
                        format!(
                            "no portmapper (binding {well_known}: {bind_err}; registering with rpcbind: {reg_err}): \
                             clients name the port"
                        ),
                    ),
                },
            },
        };
        Ok(Self {
            core,
            abort,
            portmap,
            registered,
            status,
            config,
            instrument,
        })
    }

    /// The core channel's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.core.local_addr()
    }

    /// The abort channel's address.
    pub fn abort_addr(&self) -> io::Result<SocketAddr> {
        self.abort.local_addr()
    }

    /// The built-in portmapper's address, if it runs one.
    pub fn portmapper_addr(&self) -> Option<SocketAddr> {
        self.portmap.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// How clients find the core channel, for the log.
    pub fn portmapper_status(&self) -> &str {
        &self.status
    }

    /// Runs the listeners on their own threads. The handle's addresses are
    /// the core channel, the abort channel and, if built in, the portmapper.
    pub fn spawn(self) -> io::Result<TransportHandle> {
        let core_addr = self.core.local_addr()?;
        let abort_addr = self.abort.local_addr()?;
        let ports = portmap::Ports {
            core: core_addr.port(),
            abort: abort_addr.port(),
        };
        let shared = Arc::new(Shared::default());
        let ctx = Arc::new(link::Links::new(
            self.instrument,
            self.config.clone(),
            ports.abort,
        ));
        let max = ctx.max_record();
        let c = Arc::clone(&ctx);
        let core: net::Handler = Arc::new(move |mut conn: Conn| {
            let mut owned = Vec::new();
            serve_records(&mut conn, max, |rec| {
                answer(rec, CORE_PROG, VXI11_VERSION, |p, r, w| {
                    c.core(p, r, w, &mut owned)
                })
            });
            for lid in owned {
                c.destroy(lid);
            }
        });
        let a = Arc::clone(&ctx);
        let abort: net::Handler = Arc::new(move |mut conn: Conn| {
            serve_records(&mut conn, 1024, |rec| {
                answer(rec, ABORT_PROG, VXI11_VERSION, |p, r, w| a.abort(p, r, w))
            });
        });
        let mut addrs = vec![core_addr, abort_addr];
        let mut threads = vec![
            net::spawn_listener(
                self.core,
                &self.config,
                &shared,
                "vxi11 core connection",
                core,
            )?,
            net::spawn_listener(
                self.abort,
                &self.config,
                &shared,
                "vxi11 abort connection",
                abort,
            )?,
        ];
        if let Some(l) = self.portmap {
            let pm_addr = l.local_addr()?;
            addrs.push(pm_addr);
            // The same answers over UDP on the same port, when it is free
            // (many RPC clients ask the portmapper by datagram).
            if let Ok(udp) = UdpSocket::bind(pm_addr) {
                threads.push(portmap::spawn_udp(
                    udp,
                    ports,
                    self.config.allow.clone(),
                    Arc::clone(&shared),
                )?);
            }
            let pm: net::Handler = Arc::new(move |mut conn: Conn| {
                serve_records(&mut conn, 1024, |rec| portmap::answer(&ports, rec));
            });
            threads.push(net::spawn_listener(
                l,
                &self.config,
                &shared,
                "vxi11 portmapper connection",
                pm,
            )?);
        }
        let mut handle = TransportHandle::new(addrs, shared, threads);
        if let Some(pmap) = self.registered {
            handle.on_stop(Box::new(move || {
                let _ = portmap::register(pmap, CORE_PROG, ports.core, false);
                let _ = portmap::register(pmap, ABORT_PROG, ports.abort, false);
            }));
        }
        Ok(handle)
    }
}

fn register_both(pmap: SocketAddr, ports: portmap::Ports) -> io::Result<()> {
    for (prog, port) in [(CORE_PROG, ports.core), (ABORT_PROG, ports.abort)] {
        if !portmap::register(pmap, prog, port, true)? {
            return Err(io::Error::other("rpcbind refused the registration"));
        }
    }
    Ok(())
}
