//! Random requests never crash the emulator, and every envelope keeps the shapes the official
//! client accepts (docs/moku-protocol.md §2.1: all four keys; `data` never a bare float or a float list).

mod common;

use common::{Conn, emulator, owner};
use moku_emulator::Model;
use proptest::prelude::*;
use serde_json::{Map, Value};

const OPS: &[(&str, &str)] = &[
    ("POST", "slot1/datalogger/set_defaults"),
    ("POST", "slot1/datalogger/set_frontend"),
    ("POST", "slot1/datalogger/get_frontend"),
    ("POST", "slot1/datalogger/enable_input"),
    ("POST", "slot1/datalogger/disable_channel"),
    ("POST", "slot1/datalogger/set_acquisition_mode"),
    ("GET", "slot1/datalogger/get_acquisition_mode"),
    ("POST", "slot1/datalogger/set_samplerate"),
    ("GET", "slot1/datalogger/get_samplerate"),
    ("POST", "slot1/datalogger/start_logging"),
    ("GET", "slot1/datalogger/stop_logging"),
    ("GET", "slot1/datalogger/logging_progress"),
    ("GET", "slot1/datalogger/summary"),
    ("POST", "slot1/datalogger/generate_waveform"),
    ("POST", "slot1/datalogger/sync_output_phase"),
    ("POST", "slot1/datalogger/set_output_termination"),
    ("POST", "slot1/datalogger/get_output_termination"),
    ("POST", "slot1/datalogger/set_output_load"),
    ("POST", "slot1/datalogger/get_output_load"),
    ("POST", "slot1/datalogger/start_streaming"),
    ("POST", "slot1/datalogger/get_stream_status"),
    ("POST", "slot1/datalogger/stop_streaming"),
    ("POST", "slot1/datalogger/load_settings"),
    ("POST", "v2/get_chunk"),
    ("POST", "moku/instrument_supported"),
    ("POST", "moku/platform_supported"),
    ("GET", "moku/platform/1"),
    ("POST", "mim/set_connections"),
    ("GET", "mim/get_instruments"),
    ("POST", "persist/upload/x.li"),
    ("DELETE", "persist/delete/x.li"),
    ("GET", "persist/list"),
    ("POST", "bitstreams/upload/01-007-00.mokuinst"),
];

const KEYS: &[&str] = &[
    "strict",
    "channel",
    "impedance",
    "coupling",
    "range",
    "bandwidth",
    "enable",
    "disable",
    "mode",
    "sample_rate",
    "duration",
    "delay",
    "trigger_source",
    "trigger_level",
    "file_name_prefix",
    "comments",
    "type",
    "amplitude",
    "frequency",
    "offset",
    "phase",
    "duty",
    "symmetry",
    "dc_level",
    "edge_time",
    "pulse_width",
    "termination",
    "load",
    "stream_id",
    "num_slots",
    "instrument_id",
    "slot_idx",
    "connections",
];

const WORDS: &[&str] = &[
    "1MOhm",
    "50Ohm",
    "AC",
    "DC",
    "10Vpp",
    "400mVpp",
    "50Vpp",
    "300MHz",
    "Normal",
    "PeakDetect",
    "Sine",
    "Square",
    "Ramp",
    "Pulse",
    "Noise",
    "Off",
    "HiZ",
    "Input1",
    "Input9",
    "External",
    "logsink0",
    "null",
    "",
    "../x",
    "a b",
];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..12).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![-1e12f64..1e12, 1e-9f64..1e-3, Just(f64::MAX), Just(-0.0)]
            .prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        Just(serde_json::json!({"logsink0": {"topic": "logformat0"}})),
        Just(serde_json::json!([{"source": "Input1", "destination": "Slot1InA"}])),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec((prop::sample::select(KEYS), value()), 0..8).prop_map(|kv| {
            let map: Map<String, Value> = kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            Value::Object(map).to_string().into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// The `data` shapes the official client's pydantic model accepts.
fn allowed_data(data: &Value) -> bool {
    match data {
        Value::Null | Value::String(_) | Value::Object(_) | Value::Bool(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::Array(items) => {
            items.iter().all(Value::is_object)
                || items.iter().all(Value::is_string)
                || items.iter().all(|v| v.is_i64() || v.is_u64())
        }
    }
}

fn raw_answer(path: &str) -> bool {
    path.contains("get_chunk") || path.contains("save_settings") || path.contains("download")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_requests_get_well_formed_answers(
        requests in prop::collection::vec((prop::sample::select(OPS), body()), 1..40),
        model in prop::sample::select(&Model::ALL[..]),
    ) {
        let emu = emulator(model);
        let mut c: Conn = owner(&emu);
        for ((method, path), body) in requests {
            let path = format!("/api/{path}");
            let body = (method != "GET").then_some(body.as_slice());
            let r = c.try_request(method, &path, body);
            prop_assert!(r.is_ok(), "{method} {path} got no answer: {r:?}");
            let r = r.unwrap_or_else(|_| unreachable!());
            prop_assert!(matches!(r.status, 200 | 404 | 405), "{method} {path}: status {}", r.status);
            if r.status == 200 && !raw_answer(&path) && !path.ends_with("v2/bitstreams") {
                let v: Value = serde_json::from_slice(&r.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
                for key in ["success", "data", "code", "messages"] {
                    prop_assert!(v.get(key).is_some(), "{path}: {key} missing in {v}");
                }
                prop_assert!(allowed_data(&v["data"]), "{path}: data shape {}", v["data"]);
                prop_assert!(v["messages"].is_null() || v["messages"].as_array().is_some_and(|m| m.iter().all(Value::is_string)));
            }
        }
        // The device still answers normally.
        let describe = c.get("/api/moku/describe").data();
        prop_assert_eq!(describe["hardware"].as_str(), Some(model.hardware()));
    }
}
