//! The HiSLIP server over real sockets, driven by a small HiSLIP client
//! written here (it exercises what pyvisa-py 0.8 cannot: HiSLIP 2.0
//! negotiation, locks, lock info, overlapped mode, malformed messages).
#![cfg(feature = "hislip")]

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::hislip_client::{Hs, connect, recv, send};
use common::{Rig, simulated};
use elog::acquisition::SharedInstrument;
use elog::server::ServerConfig;
use elog::transport::TransportHandle;
use elog::transport::hislip::header::{Header, error_code, fatal_code, kind};
use elog::transport::hislip::{self, HislipServer};

const TWO: &[&str] = &["AI 1/1=const:1.0@1000", "AI 1/2=const:-2.5@1000"];

fn serve(instrument: SharedInstrument, config: ServerConfig) -> TransportHandle {
    HislipServer::bind(
        config.with_listen("127.0.0.1:0".parse().unwrap()),
        instrument,
    )
    .unwrap()
    .spawn()
    .unwrap()
}

fn rig(specs: &[&str], config: ServerConfig) -> (Rig, TransportHandle) {
    let rig = Rig::new(specs);
    let hs = serve(Arc::clone(&rig.instrument), config);
    (rig, hs)
}

#[test]
fn default_port_and_version_negotiation() {
    assert_eq!(hislip::DEFAULT_LISTEN.to_string(), "127.0.0.1:4880");
    assert_eq!(hislip::default_config().listen, hislip::DEFAULT_LISTEN);
    let (_rig, srv) = rig(&[], ServerConfig::default());
    let a = Hs::open(srv.local_addr(), 0x0100);
    assert_eq!(a.version, 0x0100, "down to the client's 1.0");
    let b = Hs::open(srv.local_addr(), 0x0305);
    assert_eq!(b.version, 0x0200, "ours is 2.0");
    assert_ne!(a.session, b.session);
    let mut c = Hs::open(srv.local_addr(), 0x0200);
    assert!(c.ask("*IDN?").starts_with("elog,ELOG,"));
}

#[test]
fn data_split_over_messages_and_end_without_lf() {
    let (_rig, srv) = rig(&[], ServerConfig::default());
    let mut c = Hs::open(srv.local_addr(), 0x0100);
    send(&mut c.sync, kind::DATA, 0, c.id, b"*ID");
    let id = c.write(b"N?");
    assert!(
        String::from_utf8(c.read(id))
            .unwrap()
            .starts_with("elog,ELOG,")
    );
    // Two queries in one message: one answer message.
    assert_eq!(c.ask("*OPC?;*OPC?"), "1;1");
    assert_eq!(c.ask("SYST:ERR?"), "0,\"No error\"");
}

#[test]
fn elog_flow_matches_the_raw_socket() {
    let (mut rig_h, srv) = rig(TWO, ServerConfig::default());
    let mut raw_rig = Rig::new(TWO);
    let mut h = Hs::open(srv.local_addr(), 0x0100);
    let mut r = raw_rig.connect();
    for (i, format) in ["ASCii", "BIN_INTEL", "BIN_MOTOROLA"]
        .into_iter()
        .enumerate()
    {
        let setup = format!(
            ":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MAX;:ELOG:FORM {format};:ELOG:TIM ELOG"
        );
        h.write(format!("{setup}\n").as_bytes());
        r.send(&setup);
        h.write(b":ELOG:STAR\n");
        r.send(":ELOG:STAR");
        assert_eq!(
            h.ask("*OPC?"),
            "1",
            "configured before the acquisition steps"
        );
        let until = 250 * (i64::try_from(i).unwrap() + 1);
        rig_h.step_ms(until);
        raw_rig.step_ms(until);
        let via_hislip = h.query(":ELOG:FETC?");
        let via_raw = r.ask_raw(":ELOG:FETC?");
        assert!(via_raw.len() > 16, "{format}: {via_raw:?}");
        assert_eq!(via_hislip, via_raw, "{format}");
        h.write(b":ELOG:STOP\n");
        r.send(":ELOG:STOP");
        assert_eq!(h.ask("SYST:ERR?"), "0,\"No error\"");
    }
}

#[test]
fn status_query_reports_mav_and_errors() {
    let (_rig, srv) = rig(&[], ServerConfig::default());
    let mut c = Hs::open(srv.local_addr(), 0x0100);
    assert_eq!(c.status(), 0);
    // An answer sent and not yet reported delivered: MAV (bit 4).
    let id = c.write(b"*IDN?\n");
    let _ = c.read(id);
    c.rmt = 0;
    assert_eq!(c.status() & 0x10, 0x10);
    // RMT delivered with the status query clears it.
    c.rmt = 1;
    assert_eq!(c.status() & 0x10, 0);
    // A command error: the error queue bit (EAV, bit 2) and ESB after *ESE.
    c.write(b"*ESE 255;:NOPE\n");
    // The channels are independent: wait until the sync channel ran it.
    assert_eq!(c.ask("*OPC?"), "1");
    let stb = c.status();
    assert_eq!(stb & 0x04, 0x04, "{stb:#x}");
    assert_eq!(stb & 0x20, 0x20, "{stb:#x}");
    assert!(c.ask("SYST:ERR?").starts_with("-113"));
}

#[test]
fn device_clear_drops_the_partial_message_and_sets_the_mode() {
    let (_rig, srv) = rig(&[], ServerConfig::default());
    let mut c = Hs::open(srv.local_addr(), 0x0100);
    send(&mut c.sync, kind::DATA, 0, c.id, b":NOPE");
    assert_eq!(c.device_clear(true), 1, "overlapped mode accepted");
    assert!(c.ask("*IDN?").starts_with("elog,"));
    assert_eq!(
        c.ask("SYST:ERR?"),
        "0,\"No error\"",
        "the cut message never ran"
    );
    assert_eq!(c.device_clear(false), 0, "back to synchronized");
    assert_eq!(c.ask("*OPC?"), "1");
}

#[test]
fn exclusive_and_shared_locks() {
    let (_rig, srv) = rig(&[], ServerConfig::default());
    let mut a = Hs::open(srv.local_addr(), 0x0200);
    let mut b = Hs::open(srv.local_addr(), 0x0200);
    assert_eq!(a.lock_info(), (0, 0));
    assert_eq!(b.unlock(), 3, "nothing to release");
    assert_eq!(a.lock(0, b""), 1);
    assert_eq!(b.lock(0, b""), 0, "held by a");
    assert_eq!(
        b.lock(50, b"k"),
        0,
        "a shared lock waits for the exclusive one"
    );
    assert_eq!(b.lock_info(), (1, 1));
    assert!(a.ask("*IDN?").starts_with("elog,"), "the holder is served");
    // b's query waits for the lock; a releases it from another thread.
    let id = b.write(b"*OPC?\n");
    assert_eq!(a.unlock(), 1);
    assert_eq!(b.read(id), b"1\n");
    assert_eq!(a.lock(0, b"key"), 1);
    assert_eq!(b.lock(0, b"key"), 1, "same key: shared");
    assert_eq!(b.lock_info(), (0, 2));
    assert_eq!(a.unlock(), 2);
    assert_eq!(b.unlock(), 2);
    // A client that goes away gives its lock back.
    assert_eq!(a.lock(0, b""), 1);
    drop(a);
    assert_eq!(b.lock(60_000, b""), 1);
}

#[test]
fn maximum_message_size_and_long_answers() {
    let (mut rig, srv) = rig(TWO, ServerConfig::default().with_max_input(4096));
    let mut c = Hs::open(srv.local_addr(), 0x0100);
    let (h, p) = c.async_query(
        kind::ASYNC_MAXIMUM_MESSAGE_SIZE,
        0,
        0,
        &(16u64 + 100).to_be_bytes(),
    );
    assert_eq!(h.kind, kind::ASYNC_MAXIMUM_MESSAGE_SIZE_RESPONSE);
    assert_eq!(u64::from_be_bytes(p.try_into().unwrap()), 4096 + 16);
    // A size that is not 8 bytes: Error, also right after a valid one.
    let (h, _) = c.async_query(kind::ASYNC_MAXIMUM_MESSAGE_SIZE, 0, 0, &[0, 0, 1, 0]);
    assert_eq!(h.kind, kind::ERROR);
    c.write(b":ELOG:ITEM \"AI 1/1\";:ELOG:TIM ELOG;:ELOG:STAR\n");
    assert_eq!(c.ask("*OPC?"), "1");
    rig.step_ms(5000);
    // The answer comes in Data messages of at most 100 payload bytes.
    let id = c.write(b":ELOG:FETC?\n");
    let mut parts = 0;
    let mut answer = Vec::new();
    loop {
        let (h, p) = recv(&mut c.sync).unwrap();
        assert_eq!(h.param, id);
        assert!(p.len() <= 100);
        answer.extend_from_slice(&p);
        parts += 1;
        if h.kind == kind::DATA_END {
            break;
        }
    }
    assert!(parts > 2, "{parts}");
    assert_eq!(answer.iter().filter(|&&b| b == b'\n').count(), 1);
    // A message beyond our maximum: Error "message too large", still serving.
    send(&mut c.sync, kind::DATA_END, 0, c.id, &vec![b'A'; 5000]);
    let (h, _) = recv(&mut c.sync).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::ERROR, error_code::MESSAGE_TOO_LARGE)
    );
    assert_eq!(c.ask("*OPC?"), "1");
}

#[test]
fn malformed_messages() {
    let (_rig, srv) = rig(
        &[],
        ServerConfig::default()
            .with_max_input(1024)
            .with_max_discard(1024),
    );
    let addr = srv.local_addr();
    // A bad prologue: FatalError "poorly formed header", then closed.
    let mut s = connect(addr);
    s.write_all(b"XX\0\0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
    let (h, _) = recv(&mut s).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::FATAL_ERROR, fatal_code::POORLY_FORMED_HEADER)
    );
    assert!(recv(&mut s).is_none());
    // Data before Initialize.
    let mut s = connect(addr);
    send(&mut s, kind::DATA_END, 0, 0, b"*IDN?\n");
    let (h, _) = recv(&mut s).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::FATAL_ERROR, fatal_code::INVALID_INITIALIZATION)
    );
    // AsyncInitialize for a session that does not exist.
    let mut s = connect(addr);
    send(&mut s, kind::ASYNC_INITIALIZE, 0, 0xbeef, b"");
    let (h, _) = recv(&mut s).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::FATAL_ERROR, fatal_code::INVALID_INITIALIZATION)
    );
    // Data on a session without its asynchronous channel.
    let mut s = connect(addr);
    send(&mut s, kind::INITIALIZE, 0, 0x0100_0000, b"hislip0");
    recv(&mut s).unwrap();
    send(&mut s, kind::DATA_END, 0, 0, b"*IDN?\n");
    let (h, _) = recv(&mut s).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::FATAL_ERROR, fatal_code::NO_BOTH_CHANNELS)
    );
    // Unknown and vendor message types: Error, and the session goes on.
    let mut c = Hs::open(addr, 0x0100);
    send(&mut c.sync, 99, 0, 0, b"abc");
    let (h, _) = recv(&mut c.sync).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::ERROR, error_code::UNRECOGNIZED_MESSAGE_TYPE)
    );
    send(&mut c.asy, 200, 0, 0, b"");
    let (h, _) = recv(&mut c.asy).unwrap();
    assert_eq!(
        (h.kind, h.control),
        (kind::ERROR, error_code::UNRECOGNIZED_VENDOR_MESSAGE)
    );
    assert_eq!(c.ask("*OPC?"), "1");
    // A payload announced far beyond what may be skipped: FatalError, closed.
    send(&mut c.sync, kind::DATA_END, 0, c.id, b"");
    c.sync
        .write_all(&Header::new(kind::DATA, 0, 0).with_len(u64::MAX).encode())
        .unwrap();
    loop {
        match recv(&mut c.sync) {
            Some((h, _)) if h.kind == kind::FATAL_ERROR => break,
            Some(_) => continue,
            None => panic!("closed without FatalError"),
        }
    }
    assert!(recv(&mut c.sync).is_none());
    // The server still serves others.
    let mut d = Hs::open(addr, 0x0100);
    assert_eq!(d.ask("*OPC?"), "1");
}

#[test]
fn limits_of_the_raw_server_apply() {
    let (instrument, _acq) = simulated(&[]);
    let srv = serve(
        Arc::clone(&instrument),
        ServerConfig::default().with_allow_list(vec!["10.9.9.9".parse().unwrap()]),
    );
    let mut s = connect(srv.local_addr());
    send(&mut s, kind::INITIALIZE, 0, 0x0100_0000, b"hislip0");
    assert!(recv(&mut s).is_none(), "not on the allow-list");
    let srv = serve(
        instrument,
        ServerConfig::default()
            .with_max_input(64)
            .with_max_discard(100),
    );
    let mut c = Hs::open(srv.local_addr(), 0x0100);
    // An overlong program message in pieces: -363 and resynchronised.
    send(&mut c.sync, kind::DATA, 0, c.id, &[b'A'; 60]);
    send(&mut c.sync, kind::DATA, 0, c.id, b"AAAAAAAAAA\n");
    assert_eq!(c.ask("*OPC?"), "1");
    assert!(c.ask("SYST:ERR?").starts_with("-363"));
    srv.shutdown();
}

/// Random bytes, and random messages behind valid headers, on fresh
/// connections and on an initialized session: the server answers or closes,
/// never hangs or dies, and serves a well-behaved client afterwards.
#[test]
fn hostile_bytes_never_take_the_server_down() {
    let (_rig, srv) = rig(
        &[],
        ServerConfig::default()
            .with_max_input(4096)
            .with_max_discard(4096),
    );
    let addr = srv.local_addr();
    let mut rng = common::Rng(0x4849_534c_4950);
    for round in 0..60 {
        let mut s = connect(addr);
        s.set_read_timeout(Some(StdDuration::from_millis(200)))
            .unwrap();
        let mut bytes = Vec::new();
        if round % 2 == 0 {
            // A valid Initialize first, then random headers with random payloads.
            bytes.extend_from_slice(
                &Header::new(kind::INITIALIZE, 0, 0x0100_0000)
                    .with_len(7)
                    .encode(),
            );
            bytes.extend_from_slice(b"hislip0");
            for _ in 0..4 {
                let len = rng.below(64);
                let k = u8::try_from(rng.below(40)).unwrap();
                let h = Header::new(k, rng.next() as u8, rng.next() as u32).with_len(len);
                bytes.extend_from_slice(&h.encode());
                bytes.extend_from_slice(&rng.bytes(usize::try_from(len).unwrap()));
            }
        } else {
            let n = usize::try_from(rng.below(200)).unwrap();
            bytes = rng.bytes(n);
        }
        let _ = s.write_all(&bytes);
        // End of input: the server answers what it can, then closes.
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = [0u8; 4096];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    }
    let mut c = Hs::open(addr, 0x0100);
    assert_eq!(c.ask("*OPC?"), "1");
}
