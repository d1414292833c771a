//! No lockout by hostile clients from the same address (issue 10, C1/C2),
//! with the server's default connection settings: silent connections,
//! trickling ones, and a client that asks and never reads. The bounds are the
//! issue's acceptance bounds, asserted as generous upper deadlines.
#![cfg(feature = "tcp")]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Rig, eventually};
use elog::server::ServerConfig;

/// One well-behaved attempt: connect, `*IDN?`, read the line.
fn try_idn(addr: SocketAddr) -> Option<TcpStream> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.write_all(b"*IDN?\n").ok()?;
    let line = read_line(&mut s)?;
    line.starts_with("elog,").then_some(s)
}

fn read_line(s: &mut TcpStream) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match s.read(&mut b) {
            Ok(1) if b[0] == b'\n' => return String::from_utf8(line).ok(),
            Ok(1) => line.push(b[0]),
            _ => return None,
        }
    }
}

/// A well-behaved client retrying its connect every 0.5 s until `*IDN?` is
/// answered; the time it took.
fn served_within(addr: SocketAddr, bound: Duration) -> (Duration, TcpStream) {
    let t0 = Instant::now();
    loop {
        if let Some(s) = try_idn(addr) {
            return (t0.elapsed(), s);
        }
        assert!(
            t0.elapsed() < bound,
            "a well-behaved client was locked out for {:?}",
            t0.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// After being served once, the client keeps being served on the same
/// connection (it is never pushed out by the hostile newcomers).
fn keeps_being_served(s: &mut TcpStream, for_how_long: Duration) {
    let t0 = Instant::now();
    while t0.elapsed() < for_how_long {
        s.write_all(b"*IDN?\n").unwrap();
        let line = read_line(s).expect("the served client keeps its connection");
        assert!(line.starts_with("elog,"), "{line}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn five_hundred_silent_connections_do_not_lock_a_client_out() {
    let rig = Rig::new(&[]);
    let addr = rig.server.local_addr();
    let silent: Vec<TcpStream> = (0..500)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    let (took, mut s) = served_within(addr, Duration::from_secs(10));
    eprintln!(
        "served after {took:?} with {} silent connections",
        silent.len()
    );
    keeps_being_served(&mut s, Duration::from_secs(8));
    drop(silent);
}

#[test]
fn seventy_trickling_clients_do_not_lock_a_client_out() {
    let rig = Rig::new(&[]);
    let addr = rig.server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    // Each trickler sends one byte every 500 ms and never finishes a
    // message; when the server closes it, it comes back.
    let tricklers: Vec<_> = (0..70)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let junk =
                    b":ELOG:ITEM \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
                while !stop.load(Ordering::SeqCst) {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        std::thread::sleep(Duration::from_millis(500));
                        continue;
                    };
                    for &b in junk.iter().cycle() {
                        if stop.load(Ordering::SeqCst) || s.write_all(&[b]).is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(500));
                    }
                }
            })
        })
        .collect();
    // Let the tricklers take every slot first.
    eventually("the tricklers to fill the server", || {
        rig.server.connections() >= 64
    });
    let (took, mut s) = served_within(addr, Duration::from_secs(15));
    eprintln!("served after {took:?} among 70 tricklers");
    keeps_being_served(&mut s, Duration::from_secs(12));
    stop.store(true, Ordering::SeqCst);
    for t in tricklers {
        t.join().unwrap();
    }
}

#[test]
fn a_trickled_message_is_cut_off_at_its_deadline() {
    let config = ServerConfig::default().with_message_timeout(Duration::from_millis(500));
    let rig = Rig::with_config(&[], config);
    let mut s = TcpStream::connect(rig.server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let t0 = Instant::now();
    let mut closed = false;
    // A byte every 100 ms keeps the idle timeout away, never the message one.
    for _ in 0..400 {
        if s.write_all(b"A").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if rig.server.connections() == 0 {
            closed = true;
            break;
        }
    }
    assert!(closed, "the trickler outlived its message deadline");
    assert!(t0.elapsed() < Duration::from_secs(30));
}

/// A client asking `*VER?` 300 000 times and reading nothing is closed one
/// write timeout after its answers stopped leaving, not after each `send()`
/// that moved a byte restarted the wait.
#[test]
fn a_client_that_never_reads_is_closed_one_write_timeout_after_its_answer() {
    let timeout = Duration::from_secs(3);
    let config = ServerConfig::default().with_write_timeout(timeout);
    let rig = Rig::with_config(&[], config);
    let addr = rig.server.local_addr();
    let mut s = TcpStream::connect(addr).unwrap();
    let probe = s.try_clone().unwrap();
    // Shrink nothing, read nothing: the server's answers pile up.
    let writer = std::thread::spawn(move || {
        let ask = b"*VER?\n".repeat(1000);
        for _ in 0..300 {
            if s.write_all(&ask).is_err() {
                break;
            }
        }
        s
    });
    // The first answer is ready as soon as the first bytes are in; from
    // then on the server must close within about one write timeout.
    eventually("the first answers to be produced", || {
        let mut b = [0u8; 1];
        probe.peek(&mut b).is_ok_and(|n| n == 1)
    });
    let t0 = Instant::now();
    eventually("the server to close the reader", || {
        rig.server.connections() == 0
    });
    let took = t0.elapsed();
    eprintln!("closed {took:?} after the first unread answer (write timeout {timeout:?})");
    assert!(
        took < timeout * 2,
        "closed {took:?} after its first unread answer; the write timeout is {timeout:?}"
    );
    drop(writer.join().unwrap());
}

/// Newcomers never push out clients that are exchanging messages; a talking
/// newcomer takes the slot of a silent member; a silent newcomer takes none.
#[test]
fn eviction_spares_active_clients_and_takes_silent_ones() {
    let grace = Duration::from_secs(1);
    let config = ServerConfig::default()
        .with_max_connections(2)
        .with_probation(1, grace);
    let rig = Rig::with_config(&[], config);
    let addr = rig.server.local_addr();
    let mut active = try_idn(addr).expect("a member");
    let mut silent = TcpStream::connect(addr).unwrap();
    eventually("two members", || rig.server.connections() == 2);
    std::thread::sleep(grace * 2);
    // A silent newcomer: served on probation only, never evicts.
    let mut quiet = TcpStream::connect(addr).unwrap();
    quiet
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut b = [0u8; 1];
    assert_eq!(
        quiet.read(&mut b).unwrap_or(0),
        0,
        "closed at its grace end"
    );
    // A talking newcomer evicts the silent member, not the active one.
    active.write_all(b"*IDN?\n").unwrap();
    assert!(read_line(&mut active).is_some());
    let mut talker = try_idn(addr).expect("served on probation");
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(
        silent.read(&mut b).unwrap_or(0),
        0,
        "the silent member was evicted"
    );
    // Both talking clients keep being served, well past the grace.
    for _ in 0..10 {
        for c in [&mut active, &mut talker] {
            c.write_all(b"*IDN?\n").unwrap();
            assert!(read_line(c).is_some_and(|l| l.starts_with("elog,")));
        }
        std::thread::sleep(grace / 3);
    }
    // A third talker finds both members active: it is served on probation,
    // then closed; the members stay.
    let mut third = try_idn(addr).expect("served on probation");
    let t0 = Instant::now();
    loop {
        for c in [&mut active, &mut talker] {
            c.write_all(b"*IDN?\n").unwrap();
            assert!(read_line(c).is_some(), "an active member was pushed out");
        }
        if third.write_all(b"*IDN?\n").is_err() || read_line(&mut third).is_none() {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the third never left"
        );
        std::thread::sleep(grace / 10);
    }
}
