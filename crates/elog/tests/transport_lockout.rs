//! HiSLIP and VXI-11 under hostile clients from the same address (issue 13:
//! the raw server's limits for every transport): a flood of silent and
//! trickling connections cannot lock a well-behaved client out, eviction
//! closes a whole HiSLIP session, and a client that never reads is closed
//! by the write deadline. The mechanism is the raw server's (shared code),
//! so the counts are smaller than in `reliability_lockout.rs`; the bounds
//! are generous deadlines, never speed assertions.
#![cfg(any(feature = "hislip", feature = "vxi11"))]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{Rig, eventually};
use elog::server::ServerConfig;

/// Small slots, a short grace and message deadline: the flood fills every
/// slot at once and the rules turn over quickly.
fn tight() -> ServerConfig {
    ServerConfig::default()
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_max_connections(6)
        .with_probation(2, Duration::from_millis(800))
        .with_message_timeout(Duration::from_secs(2))
}

/// A flood from one address: `silent` connections opened once and held,
/// and `tricklers` threads that each send `junk` one byte every 200 ms,
/// never finishing a message, and reconnect when closed.
struct Flood {
    stop: Arc<AtomicBool>,
    silent: Vec<TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl Flood {
    fn start(addr: SocketAddr, silent: usize, tricklers: usize, junk: &'static [u8]) -> Flood {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..tricklers)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let Ok(mut s) = TcpStream::connect(addr) else {
                            std::thread::sleep(Duration::from_millis(200));
                            continue;
                        };
                        for &b in junk.iter().cycle() {
                            if stop.load(Ordering::SeqCst) || s.write_all(&[b]).is_err() {
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                })
            })
            .collect();
        let silent = (0..silent)
            .filter_map(|_| TcpStream::connect(addr).ok())
            .collect();
        Flood {
            stop,
            silent,
            threads,
        }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            t.join().unwrap();
        }
        drop(self.silent);
    }
}

/// Polls `f` every 20 ms until it holds, within `bound`.
fn within(bound: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < bound, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("{what}: after {:?}", t0.elapsed());
}

/// Retries `attempt` every 0.5 s until it succeeds, within `bound`.
fn served_within<T>(bound: Duration, mut attempt: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(t) = attempt() {
            eprintln!("served after {:?}", t0.elapsed());
            return t;
        }
        assert!(
            t0.elapsed() < bound,
            "a well-behaved client was locked out for {:?}",
            t0.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(feature = "hislip")]
mod hislip {
    use super::*;
    use common::hislip_client::{self, Hs, recv, try_send};
    use elog::transport::TransportHandle;
    use elog::transport::hislip::HislipServer;
    use elog::transport::hislip::header::{Header, kind};

    fn serve(rig: &Rig, config: ServerConfig) -> TransportHandle {
        HislipServer::bind(config, Arc::clone(&rig.instrument))
            .unwrap()
            .spawn()
            .unwrap()
    }

    fn idn(addr: SocketAddr) -> Option<Hs> {
        let (hs, idn) = hislip_client::try_idn(addr, Duration::from_secs(5))?;
        idn.starts_with("elog,").then_some(hs)
    }

    #[test]
    fn silent_and_trickling_floods_do_not_lock_a_session_out() {
        let rig = Rig::new(&[]);
        let srv = serve(&rig, tight());
        let addr = srv.local_addr();
        // A trickled Initialize header that never completes.
        let junk: &'static [u8] = Header::new(kind::INITIALIZE, 0, 0x0100_0000)
            .with_len(200)
            .encode()
            .to_vec()
            .leak();
        let flood = Flood::start(addr, 30, 4, junk);
        eventually("the flood to fill the slots", || srv.connections() >= 6);
        let mut hs = served_within(Duration::from_secs(60), || idn(addr));
        // Served on, well past the grace: an active session is never evicted.
        for _ in 0..15 {
            let answer = hs.try_ask("*IDN?").expect("the served session stays");
            assert!(answer.starts_with("elog,"), "{answer}");
            std::thread::sleep(Duration::from_millis(200));
        }
        flood.stop();
    }

    /// A HiSLIP session holds one slot for its two channels; evicting it
    /// closes both.
    #[test]
    fn eviction_closes_both_channels_of_a_silent_session() {
        let rig = Rig::new(&[]);
        let config = ServerConfig::default()
            .with_listen("127.0.0.1:0".parse().unwrap())
            .with_max_connections(1)
            .with_probation(1, Duration::from_millis(500));
        let srv = serve(&rig, config);
        let addr = srv.local_addr();
        let mut silent = idn(addr).expect("a member session");
        eventually("one slot for both channels", || srv.connections() == 1);
        std::thread::sleep(Duration::from_secs(1));
        let mut talker = served_within(Duration::from_secs(60), || idn(addr));
        // The silent session lost both channels.
        silent
            .sync
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        silent
            .asy
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        assert!(recv(&mut silent.sync).is_none(), "sync channel closed");
        assert!(recv(&mut silent.asy).is_none(), "async channel closed");
        assert!(talker.try_ask("*OPC?").is_some_and(|a| a == "1"));
        eventually("one slot", || srv.connections() == 1);
    }

    #[test]
    fn a_client_that_never_reads_is_closed_by_the_write_deadline() {
        let rig = Rig::new(&[]);
        let config = tight().with_write_timeout(Duration::from_secs(2));
        let srv = serve(&rig, config);
        let mut hs = idn(srv.local_addr()).expect("a session");
        let mut sync = hs.sync.try_clone().unwrap();
        // Pipelined queries, no answer read: the answers pile up until the
        // server's write deadline closes the session.
        let writer = std::thread::spawn(move || {
            let one = {
                let h = Header::new(kind::DATA_END, 0, 0).with_len(6);
                let mut m = h.encode().to_vec();
                m.extend_from_slice(b"*IDN?\n");
                m
            };
            let batch = one.repeat(1000);
            for _ in 0..2000 {
                if sync.write_all(&batch).is_err() {
                    return true;
                }
            }
            false
        });
        within(
            Duration::from_secs(120),
            "the server to close the session",
            || srv.connections() == 0,
        );
        assert!(writer.join().unwrap(), "the writer saw the close");
        assert!(
            try_send(&mut hs.asy, kind::ASYNC_STATUS_QUERY, 0, 0, b"").is_none()
                || recv(&mut hs.asy).is_none()
        );
    }
}

#[cfg(feature = "vxi11")]
mod vxi11 {
    use super::*;
    use elog::transport::TransportHandle;
    use elog::transport::vxi11::core::{CORE_PROG, flags, procedure as p};
    use elog::transport::vxi11::rpc::{LAST_FRAGMENT, Reader, Writer};
    use elog::transport::vxi11::{Portmapper, Vxi11Server};
    use std::io::Read;

    fn serve(rig: &Rig, config: ServerConfig) -> TransportHandle {
        Vxi11Server::bind(config, Portmapper::Off, Arc::clone(&rig.instrument))
            .unwrap()
            .spawn()
            .unwrap()
    }

    /// One core channel call record.
    fn call(xid: u32, proc_: u32, args: &Writer) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(xid).u32(0).u32(2).u32(CORE_PROG).u32(1).u32(proc_);
        w.u32(0).opaque(&[]).u32(0).opaque(&[]);
        w.buf.extend_from_slice(&args.buf);
        let mut rec = (LAST_FRAGMENT | u32::try_from(w.buf.len()).unwrap())
            .to_be_bytes()
            .to_vec();
        rec.extend_from_slice(&w.buf);
        rec
    }

    /// The results of one reply record (after the accepted-reply header).
    fn reply(s: &mut TcpStream) -> Option<Vec<u8>> {
        let mut h = [0u8; 4];
        s.read_exact(&mut h).ok()?;
        let mut b = vec![0u8; (u32::from_be_bytes(h) & !LAST_FRAGMENT) as usize];
        s.read_exact(&mut b).ok()?;
        let mut r = Reader::new(&b);
        let _xid = r.u32().ok()?;
        let _reply = r.u32().ok()?;
        (r.u32().ok()? == 0).then_some(())?;
        r.u32().ok()?;
        r.opaque(400).ok()?;
        (r.u32().ok()? == 0).then_some(())?;
        Some(r.rest().to_vec())
    }

    fn write_args(lid: i32, msg: &[u8]) -> Writer {
        let mut a = Writer::default();
        a.i32(lid).u32(1000).u32(0).u32(flags::END).opaque(msg);
        a
    }

    fn read_args(lid: i32) -> Writer {
        let mut a = Writer::default();
        a.i32(lid).u32(1 << 20).u32(1000).u32(0).u32(0).u32(0);
        a
    }

    /// create_link, `*IDN?`: the core connection and the link id.
    fn idn(addr: SocketAddr) -> Option<(TcpStream, i32)> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut a = Writer::default();
        a.i32(1).u32(0).u32(0).opaque(b"inst0");
        s.write_all(&call(1, p::CREATE_LINK, &a)).ok()?;
        let r = reply(&mut s)?;
        let mut r = Reader::new(&r);
        (r.u32().ok()? == 0).then_some(())?;
        let lid = r.i32().ok()?;
        ask_idn(&mut s, lid)?;
        Some((s, lid))
    }

    fn ask_idn(s: &mut TcpStream, lid: i32) -> Option<()> {
        s.write_all(&call(2, p::DEVICE_WRITE, &write_args(lid, b"*IDN?\n")))
            .ok()?;
        reply(s)?;
        s.write_all(&call(3, p::DEVICE_READ, &read_args(lid)))
            .ok()?;
        let r = reply(s)?;
        let mut r = Reader::new(&r);
        (r.u32().ok()? == 0).then_some(())?;
        r.u32().ok()?;
        r.opaque(1 << 20).ok()?.starts_with(b"elog,").then_some(())
    }

    #[test]
    fn silent_and_trickling_floods_do_not_lock_a_link_out() {
        let rig = Rig::new(&[]);
        let srv = serve(&rig, tight());
        let addr = srv.local_addr();
        // A record that announces 64 bytes and trickles them.
        let junk: &'static [u8] = &[0x80, 0, 0, 64, 0, 0, 0, 1, 0, 0, 0, 0];
        let flood = Flood::start(addr, 30, 4, junk);
        eventually("the flood to fill the slots", || srv.connections() >= 6);
        let (mut s, lid) = served_within(Duration::from_secs(60), || idn(addr));
        for _ in 0..15 {
            ask_idn(&mut s, lid).expect("the served link stays");
            std::thread::sleep(Duration::from_millis(200));
        }
        flood.stop();
    }

    #[test]
    fn a_client_that_never_reads_is_closed_by_the_write_deadline() {
        let rig = Rig::new(&[]);
        let config = tight().with_write_timeout(Duration::from_secs(2));
        let srv = serve(&rig, config);
        let (s, lid) = idn(srv.local_addr()).expect("a link");
        let mut w = s.try_clone().unwrap();
        // Pipelined write and read calls, no reply read.
        let writer = std::thread::spawn(move || {
            let mut pair = call(9, p::DEVICE_WRITE, &write_args(lid, b"*IDN?\n"));
            pair.extend_from_slice(&call(10, p::DEVICE_READ, &read_args(lid)));
            let batch = pair.repeat(500);
            for _ in 0..2000 {
                if w.write_all(&batch).is_err() {
                    return true;
                }
            }
            false
        });
        within(
            Duration::from_secs(120),
            "the server to close the link",
            || srv.connections() == 0,
        );
        assert!(writer.join().unwrap(), "the writer saw the close");
        drop(s);
    }
}
