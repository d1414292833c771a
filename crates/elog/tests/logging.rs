//! The `log` feature: the server logs accepts, closes, refusals, evictions
//! and each timeout close through the `log` crate.
#![cfg(all(feature = "tcp", feature = "log"))]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use common::{Rig, eventually};
use elog::server::ServerConfig;

/// A logger that keeps every message.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

fn logged(what: &str) -> bool {
    CAPTURE.0.lock().unwrap().iter().any(|l| l.contains(what))
}

#[test]
fn connection_events_are_logged() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let config = ServerConfig::default()
        .with_max_connections(1)
        .with_probation(1, Duration::from_millis(300))
        .with_idle_timeout(Duration::from_secs(2))
        .with_message_timeout(Duration::from_millis(500));
    let rig = Rig::with_config(&[], config);
    let addr = rig.server.local_addr();
    // A member that goes silent, a talking probationer, a refused third.
    let mut silent = TcpStream::connect(addr).unwrap();
    eventually("a member", || rig.server.connections() == 1);
    let mut talker = TcpStream::connect(addr).unwrap();
    talker
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    talker.write_all(b"*IDN?\n").unwrap();
    let mut b = [0u8; 64];
    assert!(talker.read(&mut b).unwrap() > 0, "served on probation");
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(third.read(&mut b).unwrap_or(0), 0);
    eventually("the refusal to be logged", || logged("full"));
    // At its grace end the talker evicts the silent member.
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(silent.read(&mut b).unwrap_or(0), 0);
    // A cut message runs into its deadline.
    talker.write_all(b"*ID").unwrap();
    eventually("the message deadline", || logged("message deadline"));
    eventually("no connection", || rig.server.connections() == 0);
    for what in ["accepted", "on probation", "evicted", "closed", "full"] {
        assert!(logged(what), "{what}: {:?}", CAPTURE.0.lock().unwrap());
    }
    assert!(logged("elog::server"), "targets are the module paths");
    #[cfg(feature = "hislip")]
    hislip_events_are_logged_the_same_way(&rig);
}

/// The HiSLIP server logs through the same code: its connections are
/// named `hislip connection`.
#[cfg(feature = "hislip")]
fn hislip_events_are_logged_the_same_way(rig: &Rig) {
    use elog::transport::hislip::HislipServer;
    let config = ServerConfig::default()
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_allow_list(vec!["10.9.9.9".parse().unwrap()]);
    let srv = HislipServer::bind(config, std::sync::Arc::clone(&rig.instrument))
        .unwrap()
        .spawn()
        .unwrap();
    let mut s = TcpStream::connect(srv.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut b = [0u8; 16];
    assert_eq!(s.read(&mut b).unwrap_or(0), 0, "not on the allow list");
    eventually("the refusal to be logged", || {
        logged("refused hislip connection")
    });
    let srv = HislipServer::bind(
        ServerConfig::default().with_listen("127.0.0.1:0".parse().unwrap()),
        std::sync::Arc::clone(&rig.instrument),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let (hs, idn) =
        common::hislip_client::try_idn(srv.local_addr(), Duration::from_secs(20)).unwrap();
    assert!(idn.starts_with("elog,"));
    drop(hs);
    eventually("the session to end", || srv.connections() == 0);
    for what in ["hislip connection", "accepted from", "closed"] {
        assert!(logged(what), "{what}: {:?}", CAPTURE.0.lock().unwrap());
    }
    assert!(logged("elog::transport::net") || logged("elog::server"));
}
