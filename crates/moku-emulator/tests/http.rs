//! The HTTP/1.1 layer, seen as raw bytes on a real loopback socket.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{Conn, emulator, owner};
use moku_emulator::Model;

#[test]
fn claim_answers_with_the_exact_header_case_in_raw_bytes() {
    let emu = emulator(Model::Go);
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    let body = r#"{"force_connect": true, "force_deploy": false, "ignore_busy": false, "persist_state": false, "client_name": "raw"}"#;
    write!(
        s,
        "POST /api/moku/claim_ownership HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("\r\nMoku-Client-Key: "),
        "header not spelled Moku-Client-Key: {head}"
    );
    assert!(!head.contains("moku-client-key"), "{head}");
    assert!(
        head.contains(&format!("\r\nContent-Length: {}", body.len())),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let key = head
        .split("Moku-Client-Key: ")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap();
    assert_eq!(v["data"], serde_json::Value::String(key.to_owned()));
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let emu = emulator(Model::Lab);
    let mut c = owner(&emu);
    for _ in 0..20 {
        let r = c.get("/api/moku/describe");
        assert_eq!(r.status, 200);
        assert_eq!(r.data()["hardware"], "Moku:Lab");
    }
}

#[test]
fn two_concurrent_connections_share_one_session() {
    let emu = emulator(Model::Go);
    let mut fast = owner(&emu);
    let mut second = Conn::open(emu.addr());
    second.key = fast.key.clone();
    // Interleave the two connections, both kept open.
    for i in 0..5 {
        let rate = 100 + i * 10;
        fast.dl(
            "set_samplerate",
            Some(&format!(r#"{{"strict": true, "sample_rate": {rate}}}"#)),
        );
        let conf = second.get("/api/slot1/datalogger/save_settings");
        assert_eq!(conf.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&conf.body).unwrap();
        assert_eq!(v["settings"]["sample_rate"], f64::from(rate));
    }
}

#[test]
fn empty_body_posts_with_json_content_type_are_accepted() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    for op in ["set_defaults", "sync_output_phase", "get_stream_status"] {
        let r = c.post_empty(&format!("/api/slot1/datalogger/{op}"));
        assert_eq!(r.status, 200, "{op}");
        assert_eq!(r.json()["success"], true, "{op}");
    }
}

#[test]
fn path_segments_are_percent_decoded() {
    let emu = emulator(Model::Pro);
    let mut c = owner(&emu);
    let r = c.request(
        "POST",
        "/api/ssd/upload/my%20file%C3%A9.bin",
        Some(b"\x00\x01payload"),
    );
    assert_eq!(r.data(), serde_json::Value::Null);
    let list = c.get("/api/ssd/list").data();
    assert_eq!(list, serde_json::json!(["my fileé.bin"]));
    let d = c.get("/api/ssd/download/my%20file%C3%A9.bin");
    assert_eq!(d.body, b"\x00\x01payload");
}

#[test]
fn relinquish_answers_then_closes_the_connection() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    let r = c.post_empty("/api/moku/relinquish_ownership");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.closed_by_server());
}

#[test]
fn unknown_paths_are_404_and_wrong_verbs_405() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    assert_eq!(c.get("/api/moku/nonsense").status, 404);
    assert_eq!(c.get("/not-api").status, 404);
    assert_eq!(c.get("/api/slot1/datalogger/no_such_op").status, 404);
    assert_eq!(c.get("/api/slot2/datalogger/summary").status, 404);
    // Getters with a channel are POSTs; stop_logging is a GET.
    assert_eq!(c.get("/api/slot1/datalogger/get_frontend").status, 405);
    assert_eq!(
        c.post_empty("/api/slot1/datalogger/stop_logging").status,
        405
    );
    assert_eq!(
        c.post_empty("/api/slot1/datalogger/get_samplerate").status,
        405
    );
    assert_eq!(c.post_empty("/api/moku/describe").status, 405);
}

#[test]
fn oversized_bodies_are_refused_not_buffered() {
    let emu = moku_emulator::Emulator::start(moku_emulator::Config {
        max_body_bytes: 1024,
        ..moku_emulator::Config::default()
    })
    .unwrap();
    let mut c = owner(&emu);
    let big = vec![b'x'; 4096];
    let r = c.request("POST", "/api/persist/upload/big.bin", Some(&big));
    assert_eq!(r.status, 413);
}

#[test]
fn shutdown_closes_open_connections() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    emu.shutdown();
    // (Whether the port refuses new connections is not asserted: a parallel test may reuse it.)
    assert!(c.try_request("GET", "/api/moku/describe", None).is_err());
}
