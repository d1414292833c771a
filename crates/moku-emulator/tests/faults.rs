//! Fault injection, seen on the wire.

mod common;

use std::time::Duration;

use common::{Conn, decode_li, emulator, owner};
use moku_emulator::{Fault, FaultRule, Model};

#[test]
fn status_faults_with_and_without_body() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    for (code, body) in [
        (404, ""),
        (500, "boom"),
        (500, ""),
        (502, "Bad Gateway"),
        (504, ""),
    ] {
        emu.faults().inject(FaultRule::once(
            "describe",
            Fault::Status {
                code,
                body: body.into(),
            },
        ));
        let r = c.get("/api/moku/describe");
        assert_eq!(r.status, code);
        assert_eq!(r.body, body.as_bytes());
    }
    // Used up: the next request is normal.
    assert_eq!(c.get("/api/moku/describe").status, 200);
    assert_eq!(emu.faults().pending(), 0);
}

#[test]
fn error_envelopes_are_not_carried_out() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    emu.faults().inject(FaultRule::once(
        "set_samplerate",
        Fault::Envelope {
            code: "UNEXPECTED_CHANGE".into(),
            messages: vec!["a".into(), "b".into()],
        },
    ));
    let r = c.dl(
        "set_samplerate",
        Some(r#"{"strict": true, "sample_rate": 100}"#),
    );
    assert_eq!(r.code(), "UNEXPECTED_CHANGE");
    assert_eq!(r.json()["messages"], serde_json::json!(["a", "b"]));
    assert_eq!(c.dl("get_samplerate", None).data()["sample_rate"], 1000.0);
}

#[test]
fn dropped_connections_close_without_an_answer() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    emu.faults().inject(FaultRule {
        path_contains: "summary".into(),
        times: 2,
        fault: Fault::DropConnection,
    });
    assert!(
        c.try_request("GET", "/api/slot1/datalogger/summary", None)
            .is_err()
    );
    let mut retry = Conn::open(emu.addr());
    retry.key = c.key.clone();
    assert!(
        retry
            .try_request("GET", "/api/slot1/datalogger/summary", None)
            .is_err()
    );
    let mut third = Conn::open(emu.addr());
    third.key = c.key.clone();
    assert!(
        third
            .dl("summary", None)
            .data()
            .as_str()
            .unwrap()
            .starts_with("Moku:Go Data Logger")
    );
}

#[test]
fn delayed_requests_are_answered_normally() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    emu.faults().inject(FaultRule::once(
        "describe",
        Fault::Delay(Duration::from_millis(50)),
    ));
    assert_eq!(c.get("/api/moku/describe").data()["hardware"], "Moku:Go");
    assert_eq!(emu.faults().pending(), 0);
}

#[test]
fn not_json_bodies() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    emu.faults()
        .inject(FaultRule::always("/api/moku/", Fault::NotJson));
    for _ in 0..3 {
        let r = c.get("/api/moku/name");
        assert_eq!(r.status, 200);
        assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    }
    emu.faults().clear();
    assert!(c.get("/api/moku/name").data().is_string());
}

fn streaming(emu: &moku_emulator::Emulator) -> Conn {
    let mut c = owner(emu);
    c.dl(
        "start_streaming",
        Some(r#"{"strict": true, "duration": 0.05, "sample_rate": 1000}"#),
    )
    .data();
    // Wait until the stream is over so that the next chunk is known to hold data.
    common::wait_for(|| {
        (c.dl("get_stream_status", None).data()["status"] == "FINALIZING").then_some(())
    });
    c
}

#[test]
fn truncated_chunks() {
    let emu = emulator(Model::Go);
    let mut c = streaming(&emu);
    emu.faults()
        .inject(FaultRule::once("get_chunk", Fault::TruncateChunk(20)));
    let r = c.post("/api/v2/get_chunk", r#"{"stream_id": "logsink0"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 20);
    assert_eq!(&r.body[..3], b"LI3");
    assert!(decode_li(&r.body).is_none());
}

#[test]
fn corrupt_chunks() {
    let emu = emulator(Model::Go);
    let mut c = streaming(&emu);
    emu.faults()
        .inject(FaultRule::once("get_chunk", Fault::CorruptChunk));
    let r = c.post("/api/v2/get_chunk", r#"{"stream_id": "logsink0"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..3], b"LI3");
    assert!(decode_li(&r.body).is_none());
}

#[test]
fn a_device_owned_by_another_client() {
    let emu = emulator(Model::Go);
    let _other = owner(&emu);
    let mut me = Conn::open(emu.addr());
    let r = common::claim(&mut me, false);
    assert_eq!(r.code(), "INVALID_REQUEST");
    assert!(
        r.json()["messages"][0]
            .as_str()
            .unwrap()
            .contains("owned by")
    );
}

#[test]
fn claim_for_makes_another_client_the_owner() {
    let emu = emulator(Model::Go);
    let key = emu.claim_for("Lab PC");
    let mut me = Conn::open(emu.addr());
    let r = common::claim(&mut me, false);
    assert!(r.json()["messages"][0].as_str().unwrap().contains("Lab PC"));
    me.key = Some(key);
    assert_eq!(me.get("/api/moku/describe").data()["hardware"], "Moku:Go");
    me.key = None;
    common::claim(&mut me, true).data();
}
