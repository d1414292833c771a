//! Ownership and client-key rules, device endpoints, bitstreams, slots.

mod common;

use common::{Conn, claim, emulator, owner};
use moku_emulator::{Config, Emulator, Model};
use serde_json::{Value, json};

#[test]
fn claim_returns_a_string_key_in_data_and_header() {
    let emu = emulator(Model::Go);
    let mut c = Conn::open(emu.addr());
    let r = claim(&mut c, false);
    let data = r.data();
    assert!(data.is_string());
    assert_eq!(r.header("Moku-Client-Key"), data.as_str());
    let v = r.json();
    for key in ["success", "data", "code", "messages"] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn another_clients_key_is_refused_while_owned() {
    let emu = emulator(Model::Go);
    let mut a = owner(&emu);
    let mut b = Conn::open(emu.addr());
    // Without force_connect the second claim is refused.
    let r = claim(&mut b, false);
    assert_eq!(r.code(), "INVALID_REQUEST");
    assert!(r.header("Moku-Client-Key").is_none());
    // A stale or foreign key is refused with a clear message.
    b.key = Some("someone-else".into());
    let r = b.get("/api/moku/describe");
    assert_eq!(r.code(), "INVALID_REQUEST");
    assert!(
        r.json()["messages"][0]
            .as_str()
            .unwrap()
            .contains("owned by another client")
    );
    // The owner carries on.
    assert_eq!(a.get("/api/moku/describe").data()["hardware"], "Moku:Go");
    // force_connect takes over; the first owner's key is now refused.
    b.key = None;
    claim(&mut b, true).data();
    assert_eq!(a.get("/api/moku/describe").code(), "INVALID_REQUEST");
    assert_eq!(b.get("/api/moku/describe").data()["proxy_version"], "3");
}

#[test]
fn keyless_requests_are_refused_unless_key_free() {
    let emu = emulator(Model::Pro);
    let mut anon = Conn::open(emu.addr());
    assert_eq!(anon.get("/api/moku/describe").code(), "INVALID_REQUEST");
    let _owner = owner(&emu);
    assert_eq!(
        anon.get("/api/slot1/datalogger/get_samplerate").code(),
        "INVALID_REQUEST"
    );
    // File endpoints are documented as key-free.
    assert_eq!(anon.get("/api/ssd/list").data(), json!([]));
    // Without require_client_key, keyless requests pass.
    let lax = Emulator::start(Config {
        require_client_key: false,
        ..Config::default()
    })
    .unwrap();
    let mut anon = Conn::open(lax.addr());
    assert_eq!(anon.get("/api/moku/describe").data()["hardware"], "Moku:Go");
}

#[test]
fn reclaiming_with_the_own_key_keeps_it() {
    let emu = emulator(Model::Go);
    let mut a = owner(&emu);
    let key = a.key.clone();
    claim(&mut a, false).data();
    assert_eq!(a.key, key);
}

#[test]
fn claim_while_logging_needs_ignore_busy_and_keeps_the_session() {
    let emu = emulator(Model::Go);
    let mut a = owner(&emu);
    a.dl(
        "start_logging",
        Some(r#"{"strict": true, "duration": 600, "sample_rate": 10}"#),
    )
    .data();
    let mut b = Conn::open(emu.addr());
    let busy = r#"{"force_connect": true, "ignore_busy": false, "persist_state": false}"#;
    assert_eq!(
        b.post("/api/moku/claim_ownership", busy).code(),
        "INVALID_REQUEST"
    );
    let go = r#"{"force_connect": true, "ignore_busy": true, "persist_state": false}"#;
    let r = b.post("/api/moku/claim_ownership", go);
    b.key = r.header("Moku-Client-Key").map(str::to_owned);
    assert!(
        b.dl("logging_progress", None).data()["running"]
            .as_bool()
            .unwrap()
    );
    b.dl("stop_logging", None).data();
}

#[test]
fn persist_state_keeps_settings_and_a_fresh_claim_resets_them() {
    let emu = emulator(Model::Go);
    let mut a = owner(&emu);
    a.dl(
        "set_samplerate",
        Some(r#"{"strict": true, "sample_rate": 1234}"#),
    )
    .data();
    a.post_empty("/api/moku/relinquish_ownership");
    let mut b = Conn::open(emu.addr());
    let keep = r#"{"force_connect": false, "ignore_busy": false, "persist_state": true}"#;
    let r = b.post("/api/moku/claim_ownership", keep);
    b.key = r.header("Moku-Client-Key").map(str::to_owned);
    assert_eq!(b.dl("get_samplerate", None).data()["sample_rate"], 1234.0);
    claim(&mut b, false).data();
    assert_eq!(b.dl("get_samplerate", None).data()["sample_rate"], 1000.0);
}

#[test]
fn describe_and_device_strings() {
    for model in Model::ALL {
        let emu = emulator(model);
        let mut c = owner(&emu);
        let d = c.get("/api/moku/describe").data();
        assert_eq!(d["hardware"], model.hardware());
        assert_eq!(d["proxy_version"], "3");
        assert!(d["instruments_build"].is_u64());
        assert!(d["mokuOS"].is_string());
        for path in ["name", "serial_number", "mokuos_version", "summary"] {
            assert!(
                c.get(&format!("/api/moku/{path}")).data().is_string(),
                "{path}"
            );
        }
        assert!(c.get("/api/moku/calibration_date").data()["calibration_date"].is_string());
    }
}

#[test]
fn instrument_and_platform_support() {
    let emu = emulator(Model::Pro);
    let mut c = owner(&emu);
    let ok = c.post(
        "/api/moku/instrument_supported",
        r#"{"num_slots": 1, "instrument_id": 7, "slot_idx": 0}"#,
    );
    assert_eq!(ok.data(), Value::Null);
    let bad = c.post(
        "/api/moku/instrument_supported",
        r#"{"num_slots": 1, "instrument_id": 1, "slot_idx": 0}"#,
    );
    assert_eq!(bad.code(), "INSTRUMENT_NOT_SUPPORTED");
    assert_eq!(
        c.post("/api/moku/platform_supported", r#"{"num_slots": 4}"#)
            .data(),
        Value::Null
    );
    assert_eq!(
        c.post("/api/moku/platform_supported", r#"{"num_slots": 2}"#)
            .code(),
        "PLATFORM_NOT_SUPPORTED"
    );
}

#[test]
fn bitstream_upload_is_listed_under_its_bare_name() {
    let emu = Emulator::start(Config {
        model: Model::Go,
        bitstreams_installed: false,
        ..Config::default()
    })
    .expect("start emulator");
    let mut c = owner(&emu);
    let r = c.get("/api/v2/bitstreams");
    assert_eq!(r.json(), json!([]));
    let manifest = br#"{"items": [{"sha256": "cafe"}]}"#;
    let mut tar = vec![0u8; 512];
    tar[..8].copy_from_slice(b"MANIFEST");
    tar[124..136].copy_from_slice(format!("{:011o}\0", manifest.len()).as_bytes());
    tar.extend_from_slice(manifest);
    tar.resize(2048, 0);
    let r = c.request(
        "POST",
        "/api/bitstreams/upload/01-007-00.mokuinst",
        Some(&tar),
    );
    assert_eq!(r.data(), Value::Null);
    assert_eq!(
        c.get("/api/v2/bitstreams").json(),
        json!([{"filename": "01-007-00", "sha256": "cafe"}])
    );
    let junk = c.request(
        "POST",
        "/api/bitstreams/upload/x.mokuinst",
        Some(b"not a tar"),
    );
    assert_eq!(junk.code(), "INVALID_PARAM");
    // The default emulator lists the model's bitstreams, as a device used before would.
    let used = emulator(Model::Go);
    let mut c = owner(&used);
    let listed = c.get("/api/v2/bitstreams").json();
    for name in ["01-000", "01-007-00", "02-000-01", "03-007-02"] {
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["filename"] == name),
            "{name}: {listed}"
        );
    }
}

#[test]
fn multi_instrument_slots_deploy_explicitly() {
    let emu = emulator(Model::Lab);
    let mut c = owner(&emu);
    assert_eq!(
        c.get("/api/mim/get_instruments").data(),
        json!(["datalogger"])
    );
    // The unslotted form of the vendor's cURL examples reaches slot 1.
    assert_eq!(
        c.get("/api/datalogger/get_samplerate").data()["sample_rate"],
        1000.0
    );
    assert_eq!(c.get("/api/moku/platform/2").data(), Value::Null);
    assert_eq!(c.get("/api/mim/get_instruments").data(), json!(["", ""]));
    assert_eq!(
        c.get("/api/slot2/datalogger/get_samplerate").code(),
        "INVALID_REQUEST"
    );
    assert_eq!(c.get("/api/slot2/datalogger").data(), Value::Null);
    assert_eq!(
        c.get("/api/mim/get_instruments").data(),
        json!(["", "datalogger"])
    );
    let r = c.post(
        "/api/slot2/datalogger/start_streaming",
        r#"{"strict": true, "duration": 1, "sample_rate": 100}"#,
    );
    assert_eq!(r.data()["stream_id"], "logsink1");
    let conns = r#"{"connections": [{"source": "Input1", "destination": "Slot2InA"}]}"#;
    assert_eq!(
        c.post("/api/mim/set_connections", conns).data(),
        json!([{"source": "Input1", "destination": "Slot2InA"}])
    );
    assert_eq!(
        c.get("/api/moku/platform/5").code(),
        "PLATFORM_NOT_SUPPORTED"
    );
    // A single-instrument connect afterwards brings slot 1 back.
    let single = r#"{"num_slots": 1, "instrument_id": 7, "slot_idx": 0}"#;
    assert_eq!(
        c.post("/api/moku/instrument_supported", single).data(),
        Value::Null
    );
    assert_eq!(
        c.get("/api/mim/get_instruments").data(),
        json!(["datalogger"])
    );
}

#[test]
fn reboot_returns_to_the_power_on_state() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    c.dl(
        "set_samplerate",
        Some(r#"{"strict": true, "sample_rate": 500}"#),
    )
    .data();
    c.request("POST", "/api/persist/upload/keep.txt", Some(b"kept"));
    let r = c.post("/api/v2/hwstate", r#"{"power": "reboot"}"#);
    assert_eq!(r.json(), json!({"power": "reboot"}));
    assert_eq!(r.header("Connection"), Some("close"));
    let mut c = owner(&emu);
    assert_eq!(c.dl("get_samplerate", None).data()["sample_rate"], 1000.0);
    assert_eq!(c.get("/api/persist/list").data(), json!(["keep.txt"]));
    assert_eq!(c.post("/api/v2/hwstate", r#"{"power": "off"}"#).status, 400);
}

#[test]
fn multi_instrument_wiring_is_incremental_and_refuses_impossible_wires() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    assert_eq!(c.get("/api/moku/platform/2").data(), Value::Null);
    assert_eq!(c.get("/api/slot2/datalogger").data(), Value::Null);
    let wires = json!([
        {"source": "Input1", "destination": "Slot2InA"},
        {"source": "Slot2OutA", "destination": "Output1"},
        {"source": "DIO", "destination": "Slot1InB"}
    ]);
    let r = c.post(
        "/api/mim/set_connections",
        &json!({ "connections": wires }).to_string(),
    );
    assert_eq!(r.data(), wires);
    // A new source for Output1 replaces the old wire; the others stay.
    c.post(
        "/api/mim/set_connections",
        r#"{"connections": [{"source": "Input2", "destination": "Output1"}]}"#,
    );
    let now = c.get("/api/mim/get_connections").data();
    assert_eq!(
        now,
        json!([
            {"source": "Input1", "destination": "Slot2InA"},
            {"source": "DIO", "destination": "Slot1InB"},
            {"source": "Input2", "destination": "Output1"}
        ])
    );
    // Impossible wiring is INVALID_PARAM and changes nothing, even next to a good wire.
    for bad in [
        r#"{"source": "Output1", "destination": "Slot1InA"}"#,
        r#"{"source": "Input3", "destination": "Slot1InA"}"#,
        r#"{"source": "Input1", "destination": "Slot3InA"}"#,
        r#"{"source": "Input1", "destination": "Slot1InE"}"#,
        r#"{"source": "Input1", "destination": "Input2"}"#,
        r#"{"source": "Input1"}"#,
    ] {
        let body = format!(
            r#"{{"connections": [{{"source": "Input1", "destination": "Slot1InA"}}, {bad}]}}"#
        );
        let r = c.post("/api/mim/set_connections", &body);
        assert_eq!(r.code(), "INVALID_PARAM", "{bad}");
        assert_eq!(c.get("/api/mim/get_connections").data(), now, "{bad}");
    }
    // The platform's front end and output gain (none to set on a Go).
    let fe = c.post(
        "/api/mim/set_frontend",
        r#"{"strict": true, "channel": 2, "impedance": "1MOhm", "coupling": "AC", "attenuation": "14dB", "gain": null, "bandwidth": null}"#,
    );
    assert_eq!(fe.data()["attenuation"], "14dB");
    assert_eq!(
        c.post("/api/mim/get_frontend", r#"{"channel": 2}"#).data()["coupling"],
        "AC"
    );
    assert_eq!(
        c.post("/api/mim/get_frontend", r#"{"channel": 3}"#).code(),
        "INVALID_PARAM"
    );
    let r = c.post(
        "/api/mim/set_output",
        r#"{"strict": true, "channel": 1, "output_gain": "14dB"}"#,
    );
    assert_eq!(r.code(), "INVALID_PARAM");
    assert_eq!(
        c.post("/api/mim/get_output", r#"{"channel": 1}"#).data(),
        json!({"output_gain": "0dB"})
    );
}
