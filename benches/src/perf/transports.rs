//! The transports side by side in one run: BIN_INTEL `FETCh?` throughput
//! over HiSLIP and VXI-11 as a ratio of the raw socket on loopback, and the
//! small-query round trip (`*OPC?`) over each.
//!
//! Three in-process servers, each with its own instrument and a manually
//! stepped acquisition of the same 64 constant channels, so that every
//! fetch finds the same records: before each fetch (untimed) the
//! acquisition advances 100 s of source time, of which the ring keeps the
//! last 20 s: 200 records of 64 items × AVG, MIN, MAX, RMS in BIN_INTEL
//! with ELOG timestamps, 207 142 bytes per answer; the
//! timed part is the query and the complete answer. Rounds alternate raw,
//! HiSLIP, VXI-11 so that load from elsewhere hits all three alike; the
//! best round of each counts. The clients are minimal and written here:
//! HiSLIP without a negotiated maximum message size (one `DataEnd` per
//! answer), VXI-11 `device_read` with a 1 MiB request size.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant as WallInstant};

use elog::ElogInstrument;
use elog::acquisition::{Acquisition, SharedInstrument, shared};
use elog::elog_core::Instant;
use elog::server::{Server, ServerConfig};
use elog::source::{ChannelSpec, Simulator};
use elog::transport::TransportHandle;
use elog::transport::hislip::HislipServer;
use elog::transport::hislip::header::{Header, kind};
use elog::transport::vxi11::core::{CORE_PROG, flags, reason};
use elog::transport::vxi11::rpc::{LAST_FRAGMENT, Reader, Writer};
use elog::transport::vxi11::{Portmapper, Vxi11Server};

use crate::Report;

const CHANNELS: usize = 64;
const STEP_MS: i64 = 100_000;

/// A query/answer client over one transport.
trait Client {
    fn query(&mut self, msg: &[u8]) -> Vec<u8>;
}

/// Reads through a 64 KiB buffer: the block headers are parsed byte by
/// byte, which must not cost a system call each.
struct Raw(BufReader<TcpStream>);

impl Client for Raw {
    fn query(&mut self, msg: &[u8]) -> Vec<u8> {
        let mut m = msg.to_vec();
        m.push(b'\n');
        self.0.get_mut().write_all(&m).expect("write");
        // Block-aware: LF inside binary data is no terminator.
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        loop {
            self.0.read_exact(&mut b).expect("read");
            out.push(b[0]);
            match b[0] {
                b'\n' => return out,
                b'#' => {
                    self.0.read_exact(&mut b).expect("read");
                    out.push(b[0]);
                    let n = usize::from(b[0] - b'0');
                    let mut digits = vec![0u8; n];
                    self.0.read_exact(&mut digits).expect("read");
                    out.extend_from_slice(&digits);
                    let len: usize = std::str::from_utf8(&digits)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    let start = out.len();
                    out.resize(start + len, 0);
                    self.0.read_exact(&mut out[start..]).expect("read");
                }
                _ => {}
            }
        }
    }
}

struct Hislip {
    sync: TcpStream,
    _async: TcpStream,
    id: u32,
}

fn hs_recv(s: &mut TcpStream, payload: &mut Vec<u8>) -> Header {
    let mut hb = [0u8; 16];
    s.read_exact(&mut hb).expect("header");
    let h = Header::decode(&hb).expect("HS");
    let start = payload.len();
    payload.resize(start + usize::try_from(h.len).unwrap_or(0), 0);
    s.read_exact(&mut payload[start..]).expect("payload");
    h
}

impl Hislip {
    fn open(addr: SocketAddr) -> Self {
        let mut sync = TcpStream::connect(addr).expect("connect");
        sync.set_nodelay(true).ok();
        let init = Header::new(kind::INITIALIZE, 0, 0x0200_0000).with_len(7);
        sync.write_all(&init.encode())
            .and_then(|()| sync.write_all(b"hislip0"))
            .expect("init");
        let h = hs_recv(&mut sync, &mut Vec::new());
        let mut asy = TcpStream::connect(addr).expect("connect");
        asy.write_all(&Header::new(kind::ASYNC_INITIALIZE, 0, h.param & 0xffff).encode())
            .expect("async init");
        hs_recv(&mut asy, &mut Vec::new());
        Self {
            sync,
            _async: asy,
            id: 0xffff_ff00,
        }
    }
}

impl Client for Hislip {
    fn query(&mut self, msg: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(16 + msg.len() + 1);
        m.extend_from_slice(
            &Header::new(kind::DATA_END, 0, self.id)
                .with_len(msg.len() as u64 + 1)
                .encode(),
        );
        m.extend_from_slice(msg);
        m.push(b'\n');
        self.sync.write_all(&m).expect("write");
        self.id = self.id.wrapping_add(2);
        let mut out = Vec::new();
        while hs_recv(&mut self.sync, &mut out).kind != kind::DATA_END {}
        out
    }
}

struct Vxi11 {
    s: TcpStream,
    lid: i32,
    xid: u32,
}

impl Vxi11 {
    fn call(&mut self, proc_: u32, args: &Writer) -> Vec<u8> {
        self.xid += 1;
        let mut w = Writer::default();
        w.u32(0)
            .u32(self.xid)
            .u32(0)
            .u32(2)
            .u32(CORE_PROG)
            .u32(1)
            .u32(proc_)
            .u32(0)
            .u32(0)
            .u32(0)
            .u32(0);
        w.buf.extend_from_slice(&args.buf);
        let len = u32::try_from(w.buf.len() - 4).unwrap_or(0);
        w.buf[..4].copy_from_slice(&(LAST_FRAGMENT | len).to_be_bytes());
        self.s.write_all(&w.buf).expect("call");
        let mut rec = Vec::new();
        loop {
            let mut h = [0u8; 4];
            self.s.read_exact(&mut h).expect("record");
            let v = u32::from_be_bytes(h);
            let start = rec.len();
            rec.resize(start + (v & !LAST_FRAGMENT) as usize, 0);
            self.s.read_exact(&mut rec[start..]).expect("record");
            if v & LAST_FRAGMENT != 0 {
                break;
            }
        }
        // xid, REPLY, MSG_ACCEPTED, verifier (2 words), SUCCESS.
        rec.split_off(24)
    }

    fn open(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).ok();
        let mut c = Self { s, lid: 0, xid: 0 };
        let mut a = Writer::default();
        a.i32(1).u32(0).u32(0).opaque(b"inst0");
        let r = c.call(10, &a);
        c.lid = i32::from_be_bytes([r[4], r[5], r[6], r[7]]);
        c
    }
}

impl Client for Vxi11 {
    fn query(&mut self, msg: &[u8]) -> Vec<u8> {
        let mut data = msg.to_vec();
        data.push(b'\n');
        let mut a = Writer::default();
        a.i32(self.lid)
            .u32(10_000)
            .u32(0)
            .u32(flags::END)
            .opaque(&data);
        self.call(11, &a);
        let mut out = Vec::new();
        loop {
            let mut a = Writer::default();
            a.i32(self.lid)
                .u32(1 << 20)
                .u32(10_000)
                .u32(0)
                .u32(0)
                .u32(0);
            let r = self.call(12, &a);
            let mut rd = Reader::new(&r);
            let _err = rd.u32();
            let why = rd.u32().unwrap_or(reason::END);
            out.extend_from_slice(rd.opaque(usize::MAX).unwrap_or(&[]));
            if why & reason::END != 0 {
                return out;
            }
        }
    }
}

struct Side {
    name: &'static str,
    acquisition: Acquisition,
    client: Box<dyn Client>,
    now_ms: i64,
    _servers: (Option<elog::server::ServerHandle>, Option<TransportHandle>),
}

fn instrument() -> (SharedInstrument, Acquisition) {
    let instrument = shared(ElogInstrument::default());
    let mut acq = Acquisition::new(Arc::clone(&instrument));
    let specs: Vec<ChannelSpec> = (0..CHANNELS)
        .map(|i| {
            format!("AI {}/{}={}@100", i / 8 + 1, i % 8 + 1, "const:1.5")
                .parse()
                .expect("spec")
        })
        .collect();
    acq.add_source(Simulator::from_specs(&specs))
        .expect("source");
    (instrument, acq)
}

fn sides() -> Vec<Side> {
    let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let config = ServerConfig::default().with_listen(any);
    let mut out = Vec::new();
    for name in ["raw", "hislip", "vxi11"] {
        let (inst, acquisition) = instrument();
        let (client, servers): (Box<dyn Client>, _) = match name {
            "raw" => {
                let h = Server::bind(config.clone(), inst)
                    .and_then(Server::spawn)
                    .expect("raw");
                let c = TcpStream::connect(h.local_addr()).expect("connect");
                c.set_nodelay(true).ok();
                (
                    Box::new(Raw(BufReader::with_capacity(64 * 1024, c))),
                    (Some(h), None),
                )
            }
            "hislip" => {
                let h = HislipServer::bind(config.clone(), inst)
                    .and_then(HislipServer::spawn)
                    .expect("hislip");
                (Box::new(Hislip::open(h.local_addr())), (None, Some(h)))
            }
            _ => {
                let h = Vxi11Server::bind(config.clone(), Portmapper::Off, inst)
                    .and_then(Vxi11Server::spawn)
                    .expect("vxi11");
                (Box::new(Vxi11::open(h.local_addr())), (None, Some(h)))
            }
        };
        out.push(Side {
            name,
            acquisition,
            client,
            now_ms: 0,
            _servers: servers,
        });
    }
    out
}

/// Runs the transport figures.
pub fn run(report: &mut Report) {
    let mut sides = sides();
    let items: Vec<String> = (0..CHANNELS)
        .map(|i| format!("\"AI {}/{}\"", i / 8 + 1, i % 8 + 1))
        .collect();
    let setup = format!(
        ":ELOG:ITEM {};:ELOG:CALC AVG,MIN,MAX,RMS;:ELOG:FORM BIN_INTEL;:ELOG:TIM ELOG;:ELOG:STAR;*OPC?",
        items.join(",")
    );
    for s in &mut sides {
        assert_eq!(s.client.query(setup.as_bytes()), b"1\n", "{} setup", s.name);
    }
    // FETCh? throughput: best round of each, rounds interleaved.
    let budget = report.budget(Duration::from_secs(6));
    let start = WallInstant::now();
    let mut best = [0.0f64; 3];
    let mut size = 0usize;
    while start.elapsed() < budget {
        for (i, s) in sides.iter_mut().enumerate() {
            s.now_ms += STEP_MS;
            let failures = s.acquisition.step_to(Instant::from_millis(s.now_ms));
            assert!(failures.is_empty(), "{failures:?}");
            let t = WallInstant::now();
            let answer = s.client.query(b":ELOG:FETC?");
            let secs = t.elapsed().as_secs_f64();
            size = answer.len();
            best[i] = best[i].max(answer.len() as f64 / secs);
        }
    }
    let mib = |v: f64| v / f64::from(1u32 << 20);
    report.add(
        "transports.fetch_bin_intel.raw_mib_per_s",
        mib(best[0]),
        "MiB/s",
        &format!("raw socket, {size} B answers"),
        mib(best[0]),
    );
    report.add(
        "transports.fetch_bin_intel.hislip_mib_per_s",
        mib(best[1]),
        "MiB/s",
        "raw socket, same run (goal >= 0.8)",
        mib(best[0]),
    );
    report.add(
        "transports.fetch_bin_intel.vxi11_mib_per_s",
        mib(best[2]),
        "MiB/s",
        "raw socket, same run",
        mib(best[0]),
    );
    // Small-query round trips.
    let budget = report.budget(Duration::from_secs(2));
    let mut rates = [0.0f64; 3];
    for (i, s) in sides.iter_mut().enumerate() {
        rates[i] = crate::best_rate(budget, 1.0, || {
            let a = s.client.query(b"*OPC?");
            debug_assert_eq!(a, b"1\n");
        });
    }
    report.add(
        "transports.opc_round_trip.raw_per_s",
        rates[0],
        "msgs/s",
        "raw socket",
        rates[0],
    );
    report.add(
        "transports.opc_round_trip.hislip_per_s",
        rates[1],
        "msgs/s",
        "raw socket, same run",
        rates[0],
    );
    report.add(
        "transports.opc_round_trip.vxi11_per_s",
        rates[2],
        "msgs/s",
        "raw socket, same run",
        rates[0],
    );
}
