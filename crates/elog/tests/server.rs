//! The TCP server: configuration, limits, disconnects, shutdown, and the
//! threaded (wall-clock) acquisition end to end.
#![cfg(feature = "tcp")]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration as StdDuration;

use common::{Client, Rig, eventually, serve, simulated};
use elog::ElogInstrument;
use elog::acquisition::{AcquisitionConfig, shared};
use elog::server::{DEFAULT_LISTEN, ServerConfig};

#[test]
fn default_config_is_oxygens_port() {
    assert_eq!(DEFAULT_LISTEN.to_string(), "127.0.0.1:10001");
    let c = ServerConfig::default();
    assert_eq!(c.listen, DEFAULT_LISTEN);
    assert_eq!(
        c.max_connections,
        Some(elog::server::DEFAULT_MAX_CONNECTIONS)
    );
    assert_eq!(c.idle_timeout, Some(elog::server::DEFAULT_IDLE_TIMEOUT));
    assert_eq!(c.write_timeout, Some(elog::server::DEFAULT_WRITE_TIMEOUT));
    assert!(c.allow.is_none());
}

#[test]
fn bound_address_is_reported() {
    let rig = Rig::new(&[]);
    let addr = rig.server.local_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
}

#[test]
fn input_is_bounded_per_connection() {
    let rig = Rig::with_config(&[], ServerConfig::default().with_max_input(256));
    let mut c = rig.connect();
    let mut long = vec![b'A'; 10_000];
    long.push(b'\n');
    c.write_raw(&long);
    assert!(c.ask("*IDN?").starts_with("elog,"), "still serving");
    assert_eq!(c.error(), "-363,\"Input buffer overrun\"");
    c.no_error();
}

#[test]
fn several_clients_and_disconnects() {
    let rig = Rig::new(&["a=const:1@10"]);
    let mut clients: Vec<Client> = (0..5).map(|_| rig.connect()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send(&format!(
            ":COMM:HEAD {}",
            if i % 2 == 0 { "ON" } else { "OFF" }
        ));
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let want = if i % 2 == 0 {
            ":ELOG:STAT CONFIG"
        } else {
            "CONFIG"
        };
        assert_eq!(c.ask(":ELOG:STAT?"), want);
    }
    eventually("5 connections", || rig.server.connections() == 5);
    // A client vanishing in the middle of a message does not disturb the others.
    let mut half = TcpStream::connect(rig.server.local_addr()).unwrap();
    half.write_all(b":ELOG:ITEM \"a\",").unwrap();
    drop(half);
    clients.truncate(2);
    eventually("2 connections", || rig.server.connections() == 2);
    assert_eq!(clients[1].ask(":ELOG:ITEM?"), "NONE");
    clients[1].no_error();
}

#[test]
fn half_closed_client_gets_its_answers_and_a_cut_message_is_dropped() {
    let rig = Rig::new(&[]);
    let mut s = TcpStream::connect(rig.server.local_addr()).unwrap();
    s.set_read_timeout(Some(StdDuration::from_secs(20)))
        .unwrap();
    // A terminated query, then a message cut off by the end of input.
    s.write_all(b"*IDN?\n:ELOG:PER 1").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("elog,ELOG,0,") && answer.ends_with('\n') && answer.lines().count() == 1,
        "{answer:?}"
    );
    let mut c = rig.connect();
    assert_eq!(
        c.ask(":ELOG:PER?"),
        "0.1",
        "the cut message was not executed"
    );
    c.no_error();
}

#[test]
fn connection_limit_and_allow_list() {
    // Without probation slots, a connection over the limit is closed at once.
    let no_probation = ServerConfig::default()
        .with_max_connections(1)
        .with_probation(0, StdDuration::from_secs(60));
    let rig = Rig::with_config(&[], no_probation);
    let mut first = rig.connect();
    assert!(first.ask("*IDN?").starts_with("elog,"));
    let mut second = rig.connect();
    assert!(second.closed(), "over the limit: closed at once");
    drop(first);
    eventually("the slot to free up", || rig.server.connections() == 0);
    let mut third = rig.connect();
    assert!(third.ask("*IDN?").starts_with("elog,"));

    let only_other = ServerConfig::default().with_allow_list(vec!["10.1.2.3".parse().unwrap()]);
    let rig = Rig::with_config(&[], only_other);
    assert!(rig.connect().closed(), "not on the allow list");
    let loopback = ServerConfig::default().with_allow_list(vec!["127.0.0.1".parse().unwrap()]);
    let rig = Rig::with_config(&[], loopback);
    assert!(rig.connect().ask("*IDN?").starts_with("elog,"));
}

#[test]
fn idle_connections_are_closed() {
    let rig = Rig::with_config(
        &[],
        ServerConfig::default().with_idle_timeout(StdDuration::from_millis(50)),
    );
    let mut c = rig.connect();
    assert!(c.ask("*IDN?").starts_with("elog,"));
    assert!(c.closed());
}

#[test]
fn shutdown_closes_everything() {
    let handle = serve(shared(ElogInstrument::default()), ServerConfig::default());
    let mut a = Client::connect(handle.local_addr());
    assert!(a.ask("*IDN?").starts_with("elog,"));
    handle.shutdown();
    assert!(a.closed());
}

/// The threaded acquisition on the wall clock, end to end: records appear and
/// are gap-less (polled with a generous bound; no duration is asserted).
#[test]
fn threaded_acquisition_end_to_end() {
    let (instrument, acq) = simulated(&["AI 1/1=const:1.0@1000", "AI 1/2=sine:1:10@10000"]);
    let running = acq
        .start(AcquisitionConfig::default().with_tick(StdDuration::from_millis(5)))
        .unwrap();
    let server = serve(instrument, ServerConfig::default());
    let mut c = Client::connect(server.local_addr());
    c.send(":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:PER 0.05;:ELOG:TIM ELOG;:ELOG:STAR");
    let mut times = Vec::new();
    eventually("10 records", || {
        let a = c.ask(":ELOG:FETC?");
        if a != "NONE" {
            let f: Vec<&str> = a.split(',').collect();
            assert_eq!(f.len() % 3, 0);
            for rec in f.chunks(3) {
                times.push(rec[0].parse::<f64>().unwrap());
                assert_eq!(rec[1], "1.0E+0");
            }
        }
        times.len() >= 10
    });
    for (i, t) in times.iter().enumerate() {
        assert!(
            (t - 0.05 * (i + 1) as f64).abs() < 1e-9,
            "gap-less: {times:?}"
        );
    }
    c.no_error();
    running.stop();
}
