//! Memory of the server process: idle connections give a large answer's
//! memory back (a regression test, issue 10 C3), and the peak RSS with 64
//! well-behaved clients and with 64 hostile ones (measurements, `#[ignore]`d,
//! printing their figures, recorded in `docs/reliability.md`):
//!
//! ```text
//! cargo nextest run --release -p elog --test reliability_memory --run-ignored only --no-capture
//! ```
//!
//! nextest runs each test in its own process, so `VmHWM` (peak resident set)
//! is that scenario's peak; the client sockets of the test live in the same
//! process and are included.
#![cfg(feature = "tcp")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration as StdDuration;

use common::{Client, Rig};
use elog::server::ServerConfig;

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn rig() -> (Rig, Client) {
    let mut rig = Rig::with_config(
        &["A=const:1.0@1000", "B=sine:1:5@10000", "C=ramp:1:1@2000"],
        ServerConfig::default()
            .with_max_connections(200)
            .with_write_timeout(StdDuration::from_secs(1)),
    );
    let mut w = rig.connect();
    w.send(":ELOG:ITEM \"A\",\"B\",\"C\";:ELOG:PER 0.01;:ELOG:CALC AVG,MIN,MAX,RMS;:ELOG:STAR");
    rig.step_ms(10);
    w.no_error();
    (rig, w)
}

#[test]
#[ignore = "measurement: peak RSS with 64 well-behaved clients"]
fn peak_rss_with_64_clients() {
    let before = status_kib("VmHWM:");
    let (mut rig, mut w) = rig();
    let addr = rig.server.local_addr();
    let mut now = 10;
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..64)
            .map(|_| {
                s.spawn(move || {
                    let mut c = Client::connect(addr);
                    for _ in 0..200 {
                        c.write_raw(b"*IDN?\n:ELOG:STAT?;:ELOG:CALC?\n:ELOG:FETC? 50\n");
                        for _ in 0..3 {
                            c.raw_answer();
                        }
                    }
                })
            })
            .collect();
        while !hs.iter().all(|h| h.is_finished()) {
            now += 10;
            rig.step_ms(now);
            std::thread::sleep(StdDuration::from_millis(1));
        }
    });
    assert_eq!(w.ask(":ELOG:STAT?"), "RUNNING");
    let peak = status_kib("VmHWM:");
    eprintln!(
        "memory: 64 clients: peak RSS {peak} KiB (process start {before} KiB), {} ms source time",
        now
    );
}

#[test]
#[ignore = "measurement: peak RSS with 64 hostile clients"]
fn peak_rss_with_64_hostile_clients() {
    let before = status_kib("VmHWM:");
    let (mut rig, mut w) = rig();
    let addr = rig.server.local_addr();
    let mut tried = 0u64;
    let mut threads = Vec::new();
    for i in 0..64 {
        threads.push(std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            let _ = s.set_write_timeout(Some(StdDuration::from_secs(30)));
            let chunk: Vec<u8> = match i % 4 {
                // Stalled readers asking for amplified answers, never reading.
                0 => b"*VER?;*VER?;*VER?;*VER?;:CHAN:NAM?;:ELOG:ITEM?\n".repeat(300),
                // A block header announcing a gigabyte, then data.
                1 => [b":ELOG:ITEM #9999999999".as_slice(), &[b'z'; 16 * 1024]].concat(),
                // An endless line.
                2 => vec![b'A'; 16 * 1024],
                // Binary garbage.
                _ => (0..16 * 1024u32)
                    .map(|k| (k.wrapping_mul(2_654_435_761) >> 13) as u8)
                    .collect(),
            };
            let mut sent = 0u64;
            for _ in 0..2000 {
                if s.write_all(&chunk).is_err() {
                    break;
                }
                sent += 1;
            }
            let mut buf = [0u8; 1024];
            let _ = s.set_read_timeout(Some(StdDuration::from_secs(5)));
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            sent
        }));
    }
    let mut now = 10;
    while !threads.iter().all(|h| h.is_finished()) {
        now += 10;
        rig.step_ms(now);
        assert_eq!(w.ask(":ELOG:STAT?"), "RUNNING", "the witness is served");
        std::thread::sleep(StdDuration::from_millis(5));
    }
    for t in threads {
        tried += t.join().unwrap();
    }
    let peak = status_kib("VmHWM:");
    eprintln!(
        "memory: 64 hostile clients ({tried} hostile chunks of <= 16 KiB sent): peak RSS {peak} KiB (process start {before} KiB)"
    );
    let a = w.ask(":ELOG:FETC? 5");
    assert!(a.split(',').count() >= 5, "{a}");
}

/// Reads one ASCII answer line into a fixed buffer (no allocation on the
/// test's side, so the process's RSS is the server's); its length.
fn drain_line(s: &mut TcpStream) -> usize {
    let mut buf = [0u8; 16 * 1024];
    let mut len = 0;
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed mid-answer");
        len += n;
        if buf[..n].ends_with(b"\n") {
            return len;
        }
    }
}

/// Issue 10 C3: a connection that was sent a large answer and then goes
/// idle gives the memory back — its buffers return to a small bound and the
/// process's resident set comes back within a few seconds (glibc's arenas
/// would otherwise keep each connection's largest answer resident).
#[test]
fn idle_connections_give_large_answers_memory_back() {
    const CLIENTS: usize = 12;
    let mut rig = Rig::with_config(
        &["A=const:1.0@1000", "B=sine:1:5@10000", "C=ramp:1:1@2000"],
        ServerConfig::default(),
    );
    let addr = rig.server.local_addr();
    let mut w = rig.connect();
    w.send(":ELOG:ITEM \"A\",\"B\",\"C\";:ELOG:PER 0.001;:ELOG:CALC AVG,MAX;:ELOG:STAR");
    let mut ms = 0;
    let mut fill = |rig: &mut Rig| {
        for _ in 0..20 {
            ms += 1000;
            rig.step_ms(ms);
        }
    };
    // A first full backlog and fetch, so the engine's own memory is at its
    // steady state before the baseline.
    fill(&mut rig);
    let mut warm = TcpStream::connect(addr).unwrap();
    warm.write_all(b":ELOG:FETC?\n").unwrap();
    let first = drain_line(&mut warm);
    drop(warm);
    std::thread::sleep(StdDuration::from_millis(500));
    let baseline = status_kib("VmRSS:");
    let mut held = Vec::new();
    let mut biggest = 0;
    for _ in 0..CLIENTS {
        fill(&mut rig);
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b":ELOG:FETC?\n").unwrap();
        biggest = biggest.max(drain_line(&mut s));
        held.push(s);
    }
    let peak = status_kib("VmRSS:");
    // The connections are idle now; their memory must come back.
    let bound = baseline + 256 * CLIENTS as u64;
    let t0 = std::time::Instant::now();
    let mut now = status_kib("VmRSS:");
    while now > bound && t0.elapsed() < StdDuration::from_secs(30) {
        std::thread::sleep(StdDuration::from_millis(100));
        now = status_kib("VmRSS:");
    }
    eprintln!(
        "memory: {CLIENTS} idle connections after answers of {first}..{biggest} bytes: \
         RSS {baseline} KiB before, {peak} KiB right after, {now} KiB after {:?} \
         ({} KiB per idle connection)",
        t0.elapsed(),
        now.saturating_sub(baseline) / CLIENTS as u64,
    );
    assert!(
        now <= bound,
        "{CLIENTS} idle connections keep {} KiB resident (bound {} KiB)",
        now - baseline,
        bound - baseline
    );
    assert_eq!(w.ask(":ELOG:STAT?"), "RUNNING");
}
