//! The portmapper (RFC 1833, program 100000 version 2) a VISA client asks
//! for the core channel's port: a built-in one answering `GETPORT` and
//! `DUMP` for this server's two programs, or registration with the host's
//! rpcbind.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::transport::net::Shared;

use super::core::{ABORT_PROG, CORE_PROG, VXI11_VERSION};
use super::rpc::{self, Reader, Writer, accept};

/// The portmapper program number.
pub const PMAP_PROG: u32 = 100_000;
/// The portmapper version answered.
pub const PMAP_VERSION: u32 = 2;
/// The portmapper's well-known port.
pub const PMAP_PORT: u16 = 111;
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: u32 = 6;

const SET: u32 = 1;
const UNSET: u32 = 2;
const GETPORT: u32 = 3;
const DUMP: u32 = 4;

/// The ports this server's programs listen on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ports {
    pub(crate) core: u16,
    pub(crate) abort: u16,
}

impl Ports {
    fn lookup(&self, prog: u32, vers: u32, prot: u32) -> u16 {
        if vers != VXI11_VERSION || prot != IPPROTO_TCP {
            return 0;
        }
        match prog {
            CORE_PROG => self.core,
            ABORT_PROG => self.abort,
            _ => 0,
        }
    }
}

/// Answers one portmapper call record.
pub(crate) fn answer(ports: &Ports, record: &[u8]) -> super::Action {
    super::answer(record, PMAP_PROG, PMAP_VERSION, |proc_, r, w| {
        match proc_ {
            0 => {}
            SET | UNSET => {
                // Registrations belong to the system's rpcbind, not to us.
                for _ in 0..4 {
                    r.u32()?;
                }
                w.u32(0);
            }
            GETPORT => {
                let (prog, vers, prot) = (r.u32()?, r.u32()?, r.u32()?);
                r.u32()?;
                w.u32(u32::from(ports.lookup(prog, vers, prot)));
            }
            DUMP => {
                for (prog, port) in [(CORE_PROG, ports.core), (ABORT_PROG, ports.abort)] {
                    w.u32(1)
                        .u32(prog)
                        .u32(VXI11_VERSION)
                        .u32(IPPROTO_TCP)
                        .u32(u32::from(port));
                }
                w.u32(0);
            }
            _ => return Err(super::core::RequestError::NoProcedure),
        }
        Ok(())
    })
}

/// Answers portmapper calls arriving as datagrams on `udp` (one call per
/// datagram, no record marking) until the server stops.
pub(crate) fn spawn_udp(
    udp: UdpSocket,
    ports: Ports,
    allow: Option<Vec<IpAddr>>,
    shared: Arc<Shared>,
) -> io::Result<JoinHandle<()>> {
    // Wakes now and then to see whether the server stopped.
    udp.set_read_timeout(Some(Duration::from_millis(200)))?;
    std::thread::Builder::new()
        .name("vxi11-portmap-udp".into())
        .spawn(move || {
            let mut buf = [0u8; 1024];
            while !shared.stop.load(Ordering::SeqCst) {
                let Ok((n, peer)) = udp.recv_from(&mut buf) else {
                    continue;
                };
                if allow.as_ref().is_some_and(|a| !a.contains(&peer.ip())) {
                    continue;
                }
                if let super::Action::Reply(w) = answer(&ports, &buf[..n]) {
                    let _ = udp.send_to(&w.buf, peer);
                }
            }
        })
}

/// Calls the portmapper at `pmap` with `SET` (`set`) or `UNSET` for
/// `prog`/`port`; whether it agreed.
pub(crate) fn register(pmap: SocketAddr, prog: u32, port: u16, set: bool) -> io::Result<bool> {
    let mut s = TcpStream::connect_timeout(&pmap, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut w = Writer::default();
    w.u32(0x454c_4f47).u32(rpc::CALL).u32(rpc::RPC_VERSION);
    w.u32(PMAP_PROG)
        .u32(PMAP_VERSION)
        .u32(if set { SET } else { UNSET });
    w.u32(0).u32(0).u32(0).u32(0); // AUTH_NONE credential and verifier
    w.u32(prog)
        .u32(VXI11_VERSION)
        .u32(IPPROTO_TCP)
        .u32(u32::from(port));
    let mut rec = Vec::with_capacity(4 + w.buf.len());
    rec.extend_from_slice(&(rpc::LAST_FRAGMENT | w.buf.len() as u32).to_be_bytes());
    rec.extend_from_slice(&w.buf);
    s.write_all(&rec)?;
    let reply =
        super::read_record(|b| read_full(&mut s, b), 1024)?.ok_or(io::ErrorKind::UnexpectedEof)?;
    let mut r = Reader::new(&reply);
    let ok = (|| {
        let _xid = r.u32()?;
        let ty = r.u32()?;
        let stat = r.u32()?;
        r.u32()?;
        r.opaque(rpc::MAX_AUTH)?;
        let acc = r.u32()?;
        let v = r.u32()?;
        Ok::<bool, rpc::XdrError>(ty == rpc::REPLY && stat == 0 && acc == accept::SUCCESS && v == 1)
    })();
    Ok(ok.unwrap_or(false))
}

/// Reads exactly `buf.len()` bytes from `s`; `Ok(false)` on a clean end of
/// stream before the first byte.
fn read_full(s: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
