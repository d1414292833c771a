//! The VXI-11 server over real sockets, driven by a small ONC RPC client
//! written here: portmapper, core and abort channels, END and termination
//! character semantics, locks, malformed RPC.
#![cfg(feature = "vxi11")]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::Rig;
use elog::server::ServerConfig;
use elog::transport::TransportHandle;
use elog::transport::vxi11::core::{ABORT_PROG, CORE_PROG, error, flags, procedure as p, reason};
use elog::transport::vxi11::portmap::{IPPROTO_TCP, PMAP_PROG};
use elog::transport::vxi11::rpc::{LAST_FRAGMENT, Reader, Writer, accept};
use elog::transport::vxi11::{Portmapper, Vxi11Server};

const TWO: &[&str] = &["AI 1/1=const:1.0@1000", "AI 1/2=const:-2.5@1000"];

struct Rpc {
    s: TcpStream,
    prog: u32,
    vers: u32,
    xid: u32,
}

impl Rpc {
    fn connect(addr: SocketAddr, prog: u32) -> Rpc {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(StdDuration::from_secs(60)))
            .unwrap();
        Rpc {
            s,
            prog,
            vers: if prog == PMAP_PROG { 2 } else { 1 },
            xid: 0,
        }
    }

    fn send_record(&mut self, body: &[u8]) {
        let mut rec = (LAST_FRAGMENT | u32::try_from(body.len()).unwrap())
            .to_be_bytes()
            .to_vec();
        rec.extend_from_slice(body);
        self.s.write_all(&rec).unwrap();
    }

    fn recv_record(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let mut h = [0u8; 4];
            self.s.read_exact(&mut h).ok()?;
            let v = u32::from_be_bytes(h);
            let mut b = vec![0u8; (v & !LAST_FRAGMENT) as usize];
            self.s.read_exact(&mut b).ok()?;
            out.extend_from_slice(&b);
            if v & LAST_FRAGMENT != 0 {
                return Some(out);
            }
        }
    }

    /// A call; the accept status and the result bytes.
    fn call_raw(
        &mut self,
        rpcvers: u32,
        prog: u32,
        vers: u32,
        proc_: u32,
        args: &[u8],
    ) -> (u32, Vec<u8>) {
        self.xid += 1;
        let mut w = Writer::default();
        w.u32(self.xid)
            .u32(0)
            .u32(rpcvers)
            .u32(prog)
            .u32(vers)
            .u32(proc_);
        w.u32(0).opaque(&[]).u32(0).opaque(&[]);
        w.buf.extend_from_slice(args);
        self.send_record(&w.buf);
        let rep = self.recv_record().expect("reply");
        let mut r = Reader::new(&rep);
        assert_eq!(r.u32().unwrap(), self.xid);
        assert_eq!(r.u32().unwrap(), 1, "a reply");
        let stat = r.u32().unwrap();
        if stat == 1 {
            return (u32::MAX, r.rest().to_vec()); // denied
        }
        r.u32().unwrap();
        r.opaque(400).unwrap();
        let acc = r.u32().unwrap();
        (acc, r.rest().to_vec())
    }

    fn call(&mut self, proc_: u32, args: &Writer) -> Vec<u8> {
        let (acc, res) = self.call_raw(2, self.prog, self.vers, proc_, &args.buf);
        assert_eq!(acc, accept::SUCCESS);
        res
    }
}

fn w() -> Writer {
    Writer::default()
}

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect()
}

/// A VXI-11 client on one link.
struct Dev {
    core: Rpc,
    lid: i32,
    abort_port: u16,
    max_recv: u32,
}

impl Dev {
    fn open(addr: SocketAddr) -> Dev {
        let mut core = Rpc::connect(addr, CORE_PROG);
        let mut a = w();
        a.i32(7).u32(0).u32(0).opaque(b"inst0");
        let r = u32s(&core.call(p::CREATE_LINK, &a));
        assert_eq!(r[0], error::NO_ERROR);
        Dev {
            core,
            lid: i32::try_from(r[1]).unwrap(),
            abort_port: u16::try_from(r[2]).unwrap(),
            max_recv: r[3],
        }
    }

    fn write_flags(&mut self, data: &[u8], f: u32) -> u32 {
        let mut a = w();
        a.i32(self.lid).u32(1000).u32(0).u32(f).opaque(data);
        let r = u32s(&self.core.call(p::DEVICE_WRITE, &a));
        if r[0] == 0 {
            assert_eq!(r[1] as usize, data.len());
        }
        r[0]
    }

    fn write(&mut self, msg: &str) {
        assert_eq!(
            self.write_flags(format!("{msg}\n").as_bytes(), flags::END),
            0
        );
    }

    /// One device_read: (error, reason, data).
    fn read_once(&mut self, size: u32, f: u32, term: u8) -> (u32, u32, Vec<u8>) {
        let mut a = w();
        a.i32(self.lid)
            .u32(size)
            .u32(1000)
            .u32(0)
            .u32(f)
            .u32(u32::from(term));
        let res = self.core.call(p::DEVICE_READ, &a);
        let mut r = Reader::new(&res);
        let e = r.u32().unwrap();
        let why = r.u32().unwrap();
        let data = r.opaque(usize::MAX).unwrap().to_vec();
        (e, why, data)
    }

    /// Reads until END.
    fn read(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let (e, why, d) = self.read_once(1 << 20, 0, 0);
            assert_eq!(e, 0);
            out.extend_from_slice(&d);
            if why & reason::END != 0 {
                return out;
            }
        }
    }

    fn query(&mut self, msg: &str) -> Vec<u8> {
        self.write(msg);
        self.read()
    }

    fn ask(&mut self, msg: &str) -> String {
        String::from_utf8(self.query(msg))
            .unwrap()
            .trim_end()
            .to_owned()
    }

    fn generic(&mut self, proc_: u32) -> Vec<u32> {
        let mut a = w();
        a.i32(self.lid).u32(0).u32(0).u32(1000);
        u32s(&self.core.call(proc_, &a))
    }

    fn lock(&mut self, wait_ms: Option<u32>) -> u32 {
        let mut a = w();
        a.i32(self.lid)
            .u32(if wait_ms.is_some() {
                flags::WAITLOCK
            } else {
                0
            })
            .u32(wait_ms.unwrap_or(0));
        u32s(&self.core.call(p::DEVICE_LOCK, &a))[0]
    }

    fn unlock(&mut self) -> u32 {
        let mut a = w();
        a.i32(self.lid);
        u32s(&self.core.call(p::DEVICE_UNLOCK, &a))[0]
    }
}

fn serve(rig: &Rig, config: ServerConfig) -> TransportHandle {
    Vxi11Server::bind(
        config.with_listen("127.0.0.1:0".parse().unwrap()),
        Portmapper::Builtin("127.0.0.1:0".parse().unwrap()),
        Arc::clone(&rig.instrument),
    )
    .unwrap()
    .spawn()
    .unwrap()
}

#[test]
fn portmapper_finds_both_channels() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default());
    let addrs = srv.local_addrs().to_vec();
    assert_eq!(addrs.len(), 3);
    let mut pm = Rpc::connect(addrs[2], PMAP_PROG);
    let mut a = w();
    a.u32(CORE_PROG).u32(1).u32(IPPROTO_TCP).u32(0);
    assert_eq!(u32s(&pm.call(3, &a)), [u32::from(addrs[0].port())]);
    let mut a = w();
    a.u32(ABORT_PROG).u32(1).u32(IPPROTO_TCP).u32(0);
    assert_eq!(u32s(&pm.call(3, &a)), [u32::from(addrs[1].port())]);
    let mut a = w();
    a.u32(CORE_PROG).u32(1).u32(17).u32(0);
    assert_eq!(u32s(&pm.call(3, &a)), [0], "no UDP");
    let dump = u32s(&pm.call(4, &w()));
    assert_eq!(dump.len(), 11);
    // rpcbind version 3 is not spoken: PROG_MISMATCH 2..2.
    let (acc, res) = pm.call_raw(2, PMAP_PROG, 3, 3, &[]);
    assert_eq!((acc, u32s(&res)), (accept::PROG_MISMATCH, vec![2, 2]));
    let mut d = Dev::open(addrs[0]);
    assert_eq!(d.abort_port, addrs[1].port());
    assert!(d.ask("*IDN?").starts_with("elog,ELOG,"));
}

#[test]
fn portmapper_answers_datagrams_too() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default());
    let addrs = srv.local_addrs().to_vec();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(StdDuration::from_secs(60)))
        .unwrap();
    let mut call = w();
    call.u32(77).u32(0).u32(2).u32(PMAP_PROG).u32(2).u32(3);
    call.u32(0).opaque(&[]).u32(0).opaque(&[]);
    call.u32(CORE_PROG).u32(1).u32(IPPROTO_TCP).u32(0);
    udp.send_to(&call.buf, addrs[2]).unwrap();
    let mut buf = [0u8; 256];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    // xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS, port.
    assert_eq!(
        u32s(&buf[..n]),
        [77, 1, 0, 0, 0, 0, u32::from(addrs[0].port())]
    );
    // Garbage is answered with GARBAGE_ARGS, never a panic.
    udp.send_to(&[0, 0, 0, 78, 0, 0], addrs[2]).unwrap();
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert_eq!(u32s(&buf[..n])[5], accept::GARBAGE_ARGS);
    srv.shutdown();
}

#[test]
fn end_and_termination_character() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default());
    let mut d = Dev::open(srv.local_addr());
    assert_eq!(d.max_recv as usize, elog::server::DEFAULT_MAX_INPUT);
    // A message in two writes, the last with END and no LF.
    assert_eq!(d.write_flags(b"*ID", 0), 0);
    assert_eq!(
        d.read_once(100, 0, 0).0,
        error::IO_TIMEOUT,
        "nothing to read yet"
    );
    assert_eq!(d.write_flags(b"N?", flags::END), 0);
    let idn = d.read();
    assert!(idn.starts_with(b"elog,ELOG,") && idn.ends_with(b"\n"));
    // Two answers waiting: a read of 2 bytes stops at REQCNT, then the
    // termination character stops at the first LF, then END.
    d.write("*OPC?");
    d.write("*IDN?");
    let (e, why, data) = d.read_once(2, 0, 0);
    assert_eq!((e, why, data.as_slice()), (0, reason::REQCNT, &b"1\n"[..]));
    let mut d2 = Dev::open(srv.local_addr());
    d2.write("*OPC?;*OPC?");
    d2.write("*IDN?");
    let (_, why, data) = d2.read_once(1000, flags::TERMCHRSET, b'\n');
    assert_eq!((why, data.as_slice()), (reason::CHR, &b"1;1\n"[..]));
    let (_, why, data) = d2.read_once(1000, flags::TERMCHRSET, b'\n');
    assert_eq!(why, reason::CHR | reason::END);
    assert!(data.starts_with(b"elog,"));
    assert_eq!(d.read(), idn);
}

#[test]
fn elog_flow_matches_the_raw_socket() {
    let mut rig_v = Rig::new(TWO);
    let srv = serve(&rig_v, ServerConfig::default());
    let mut raw_rig = Rig::new(TWO);
    let mut d = Dev::open(srv.local_addr());
    let mut r = raw_rig.connect();
    for (i, format) in ["ASCii", "BIN_INTEL", "BIN_MOTOROLA"]
        .into_iter()
        .enumerate()
    {
        let setup = format!(
            ":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MAX;:ELOG:FORM {format};:ELOG:TIM ELOG;:ELOG:STAR"
        );
        d.write(&setup);
        r.send(&setup);
        let until = 250 * (i64::try_from(i).unwrap() + 1);
        rig_v.step_ms(until);
        raw_rig.step_ms(until);
        let via_vxi = d.query(":ELOG:FETC?");
        let via_raw = r.ask_raw(":ELOG:FETC?");
        assert!(via_raw.len() > 16, "{format}");
        assert_eq!(via_vxi, via_raw, "{format}");
        d.write(":ELOG:STOP");
        r.send(":ELOG:STOP");
        assert_eq!(d.ask("SYST:ERR?"), "0,\"No error\"");
    }
}

#[test]
fn readstb_clear_and_abort() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default());
    let mut d = Dev::open(srv.local_addr());
    assert_eq!(d.generic(p::DEVICE_READSTB), [0, 0]);
    d.write("*IDN?");
    assert_eq!(d.generic(p::DEVICE_READSTB), [0, 0x10], "MAV");
    assert_eq!(d.generic(p::DEVICE_CLEAR), [0]);
    assert_eq!(
        d.generic(p::DEVICE_READSTB),
        [0, 0],
        "the answer was dropped"
    );
    assert_eq!(d.read_once(100, 0, 0).0, error::IO_TIMEOUT);
    d.write("*ESE 255;:NOPE");
    assert_eq!(d.generic(p::DEVICE_READSTB), [0, 0x24]);
    // A partial message is dropped by device_clear.
    assert_eq!(d.write_flags(b":ELOG:PER 10", 0), 0);
    assert_eq!(d.generic(p::DEVICE_CLEAR), [0]);
    assert!(d.ask("SYST:ERR?").starts_with("-113"));
    assert_eq!(d.ask("SYST:ERR?"), "0,\"No error\"");
    assert_eq!(d.generic(p::DEVICE_TRIGGER), [0]);
    // The abort channel.
    let mut ab = Rpc::connect(srv.local_addrs()[1], ABORT_PROG);
    let mut a = w();
    a.i32(d.lid);
    assert_eq!(u32s(&ab.call(1, &a)), [0]);
    let mut a = w();
    a.i32(9999);
    assert_eq!(u32s(&ab.call(1, &a)), [error::INVALID_LINK]);
    // destroy_link, then the link is gone.
    let mut a = w();
    a.i32(d.lid);
    assert_eq!(u32s(&d.core.call(p::DESTROY_LINK, &a)), [0]);
    assert_eq!(d.generic(p::DEVICE_READSTB), [error::INVALID_LINK, 0]);
}

#[test]
fn locks_between_links() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default());
    let mut a = Dev::open(srv.local_addr());
    let mut b = Dev::open(srv.local_addr());
    assert_eq!(b.unlock(), error::NO_LOCK_HELD);
    assert_eq!(a.lock(None), 0);
    assert_eq!(b.lock(None), error::DEVICE_LOCKED);
    assert_eq!(b.lock(Some(50)), error::DEVICE_LOCKED);
    assert_eq!(b.write_flags(b"*OPC?\n", flags::END), error::DEVICE_LOCKED);
    assert!(a.ask("*IDN?").starts_with("elog,"));
    assert_eq!(a.unlock(), 0);
    assert_eq!(b.ask("*OPC?"), "1");
    // create_link with lock_device, and a link closed with its connection.
    let mut c = Rpc::connect(srv.local_addr(), CORE_PROG);
    let mut args = w();
    args.i32(1).u32(1).u32(0).opaque(b"inst0");
    assert_eq!(u32s(&c.call(p::CREATE_LINK, &args))[0], 0);
    assert_eq!(b.lock(None), error::DEVICE_LOCKED);
    drop(c);
    assert_eq!(
        b.lock(Some(60_000)),
        0,
        "the lock came back when its link went"
    );
}

#[test]
fn malformed_rpc_gets_rpc_errors() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default().with_max_input(1024));
    let mut c = Rpc::connect(srv.local_addr(), CORE_PROG);
    // Unknown program, version, procedure; wrong RPC version.
    assert_eq!(c.call_raw(2, 1234, 1, 0, &[]).0, accept::PROG_UNAVAIL);
    let (acc, res) = c.call_raw(2, CORE_PROG, 9, 0, &[]);
    assert_eq!((acc, u32s(&res)), (accept::PROG_MISMATCH, vec![1, 1]));
    assert_eq!(c.call_raw(2, CORE_PROG, 1, 77, &[]).0, accept::PROC_UNAVAIL);
    let (acc, res) = c.call_raw(3, CORE_PROG, 1, 0, &[]);
    assert_eq!(
        (acc, u32s(&res)),
        (u32::MAX, vec![0, 2, 2]),
        "RPC_MISMATCH 2..2"
    );
    // Truncated arguments, and a write longer than maxRecvSize.
    assert_eq!(
        c.call_raw(2, CORE_PROG, 1, p::CREATE_LINK, &[0, 0]).0,
        accept::GARBAGE_ARGS
    );
    let mut a = w();
    a.i32(1).u32(0).u32(0).u32(8).opaque(&[b'A'; 1000]);
    a.buf.truncate(a.buf.len() - 500);
    assert_eq!(
        c.call_raw(2, CORE_PROG, 1, p::DEVICE_WRITE, &a.buf).0,
        accept::GARBAGE_ARGS
    );
    // An unknown link and a non-inst device name.
    let mut a = w();
    a.i32(42).u32(0).u32(0).u32(0);
    assert_eq!(
        u32s(&c.call(p::DEVICE_READSTB, &a)),
        [error::INVALID_LINK, 0]
    );
    let mut a = w();
    a.i32(1).u32(0).u32(0).opaque(b"gpib0,5");
    assert_eq!(
        u32s(&c.call(p::CREATE_LINK, &a))[0],
        error::DEVICE_NOT_ACCESSIBLE
    );
    // A header too short to hold an xid closes the connection...
    c.send_record(&[1, 2]);
    assert!(c.recv_record().is_none());
    // ...and so does a record beyond the bound.
    let mut c = Rpc::connect(srv.local_addr(), CORE_PROG);
    c.s.write_all(&(LAST_FRAGMENT | 0x7fff_0000).to_be_bytes())
        .unwrap();
    assert!(c.recv_record().is_none());
    let mut d = Dev::open(srv.local_addr());
    assert_eq!(d.ask("*OPC?"), "1", "still serving");
}

#[test]
fn output_limit_is_an_io_error_and_the_link_goes_on() {
    let mut rig = Rig::new(TWO);
    let srv = serve(&rig, ServerConfig::default().with_max_output(1024));
    let mut d = Dev::open(srv.local_addr());
    d.write(":ELOG:ITEM \"AI 1/1\";:ELOG:TIM ELOG;:ELOG:STAR");
    rig.step_ms(20_000);
    assert_eq!(d.write_flags(b":ELOG:FETC?\n", flags::END), error::IO_ERROR);
    assert!(d.ask("SYST:ERR?").starts_with("-430"));
}

/// Random records (valid record marking, random or half-valid calls) on the
/// core, abort and portmapper ports: RPC errors or a close, never a panic
/// or a hang; a well-behaved client is served afterwards.
#[test]
fn hostile_records_never_take_the_server_down() {
    let rig = Rig::new(&[]);
    let srv = serve(&rig, ServerConfig::default().with_max_input(2048));
    let addrs = srv.local_addrs().to_vec();
    let mut rng = common::Rng(0x0056_5849_3131);
    for round in 0..90 {
        let addr = addrs[round % 3];
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(StdDuration::from_millis(200)))
            .unwrap();
        let mut body = Vec::new();
        if round % 2 == 0 {
            // A call header for a real program and procedure, random arguments.
            let prog = [CORE_PROG, ABORT_PROG, PMAP_PROG][round % 3];
            let mut h = w();
            h.u32(u32::try_from(round).unwrap()).u32(0).u32(2).u32(prog);
            h.u32(if prog == PMAP_PROG { 2 } else { 1 })
                .u32(u32::try_from(rng.below(30)).unwrap());
            h.u32(0).opaque(&[]).u32(0).opaque(&[]);
            body = h.buf;
        }
        let n = usize::try_from(rng.below(120)).unwrap();
        body.extend_from_slice(&rng.bytes(n));
        let mut rec = (LAST_FRAGMENT | u32::try_from(body.len()).unwrap())
            .to_be_bytes()
            .to_vec();
        rec.extend_from_slice(&body);
        let _ = s.write_all(&rec);
        // End of input: the server answers what it can, then closes.
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = [0u8; 4096];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    }
    let mut d = Dev::open(addrs[0]);
    assert_eq!(d.ask("*OPC?"), "1");
}
