//! Logging and streaming sessions progressing in real time, LI v3 output, signals.

mod common;

use common::{Conn, decode_li, emulator, owner, wait_for};
use moku_emulator::{Model, Signal, li};
use serde_json::{Value, json};

fn chunk(c: &mut Conn, body: &str) -> common::Resp {
    let r = c.post("/api/v2/get_chunk", body);
    assert_eq!(r.status, 200);
    r
}

/// Reads the stream to its end, returning per-channel samples and the documents' start offsets.
fn drain(c: &mut Conn, body: &str) -> (Vec<Vec<f64>>, Vec<f64>, f64) {
    let mut channels: Vec<Vec<f64>> = Vec::new();
    let mut offsets = Vec::new();
    let mut step = 0.0;
    wait_for(|| {
        let r = chunk(c, body);
        if r.body.is_empty() {
            return None;
        }
        if r.body[0] == b'{' {
            assert_eq!(r.json(), json!({"error": "End of stream"}));
            return Some(());
        }
        let d = decode_li(&r.body).expect("chunk is a valid LI v3 document");
        assert_eq!(d.instrument_id, 7);
        channels.resize(d.channels.len(), Vec::new());
        offsets.push(d.start_offset);
        step = d.time_step;
        for (all, new) in channels.iter_mut().zip(d.channels) {
            all.extend(new);
        }
        None
    });
    (channels, offsets, step)
}

#[test]
fn logging_runs_to_the_end_and_leaves_a_downloadable_li_file() {
    let emu = emulator(Model::Lab);
    emu.set_input_signal(1, Signal::Constant(0.25));
    emu.set_input_signal(2, Signal::Constant(-1.5));
    let mut c = owner(&emu);
    let r = c.dl(
        "start_logging",
        Some(r#"{"strict": true, "duration": 0.05, "sample_rate": 2000, "delay": 0, "trigger_source": null, "trigger_level": null, "file_name_prefix": "test run", "comments": "hi"}"#),
    );
    let data = r.data();
    assert_eq!(data["location"], "media");
    assert_eq!(data["Start"], "Immediate");
    let name = data["file_name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("test run_") && name.ends_with(".li"),
        "{name}"
    );
    let progress = wait_for(|| {
        let p = c.dl("logging_progress", None).data();
        p["complete"].as_bool().unwrap().then_some(p)
    });
    assert_eq!(progress["samples_logged"], 100);
    assert_eq!(progress["file_name"], name.as_str());
    assert_eq!(c.get("/api/media/list").data(), json!([name]));
    let path = format!("/api/media/download/{}", name.replace(' ', "%20"));
    let file = c.get(&path);
    assert_eq!(file.status, 200);
    let doc = decode_li(&file.body).unwrap();
    assert_eq!(doc.channels, vec![vec![0.25; 100], vec![-1.5; 100]]);
    assert_eq!(doc.time_step, 1.0 / 2000.0);
    assert!(
        doc.csv_header.contains("Input 1 (V), Input 2 (V)"),
        "{}",
        doc.csv_header
    );
    // A second session in the same second gets its own file name.
    let r = c.dl("start_logging", Some(r#"{"strict": true, "duration": 0.01, "sample_rate": 1000, "file_name_prefix": "test run"}"#));
    assert_ne!(r.data()["file_name"], name.as_str());
    let del_path = path.replace("/download/", "/delete/");
    let del = c.request("DELETE", &del_path, None);
    assert_eq!(del.data(), "File deleted successfully");
    assert_eq!(c.request("DELETE", &del_path, None).code(), "INVALID_PARAM");
    assert_eq!(c.get(&path).status, 404);
}

#[test]
fn stopping_a_log_keeps_what_was_logged() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    c.dl(
        "enable_input",
        Some(r#"{"strict": true, "channel": 2, "enable": false}"#),
    )
    .data();
    let name = c
        .dl(
            "start_logging",
            Some(r#"{"strict": true, "duration": 100, "sample_rate": 1000}"#),
        )
        .data()["file_name"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for(|| {
        (c.dl("logging_progress", None).data()["samples_logged"]
            .as_u64()
            .unwrap()
            > 0)
        .then_some(())
    });
    assert_eq!(c.dl("stop_logging", None).data(), Value::Null);
    let p = c.dl("logging_progress", None).data();
    assert_eq!(
        (p["complete"].as_bool(), p["running"].as_bool()),
        (Some(true), Some(false))
    );
    let logged = p["samples_logged"].as_u64().unwrap() as usize;
    let doc = decode_li(&c.get(&format!("/api/persist/download/{name}")).body).unwrap();
    assert_eq!(doc.channels.len(), 1);
    assert_eq!(doc.channels[0].len(), logged);
}

#[test]
fn streaming_delivers_every_sample_then_end_of_stream() {
    let emu = emulator(Model::Pro);
    for (input, v) in [(1, 0.5), (2, -0.25), (3, 1.0), (4, 0.0)] {
        emu.set_input_signal(input, Signal::Constant(v));
    }
    let mut c = owner(&emu);
    let r = c.dl("start_streaming", Some(r#"{"strict": true, "duration": 0.1, "sample_rate": 1000, "trigger_source": null, "trigger_level": null}"#));
    let id = r.data()["stream_id"].as_str().unwrap().to_owned();
    assert_eq!(id, "logsink0");
    let body = format!(r#"{{"stream_id": {{"{id}": {{"topic": "logformat0"}}}}}}"#);
    let (channels, offsets, step) = drain(&mut c, &body);
    assert_eq!(channels.len(), 4);
    for (ch, v) in channels.iter().zip([0.5, -0.25, 1.0, 0.0]) {
        assert_eq!(ch, &vec![v; 100]);
    }
    assert_eq!(step, 1e-3);
    assert!(
        offsets.windows(2).all(|w| w[1] > w[0]),
        "start offsets advance: {offsets:?}"
    );
    let status = c.dl("get_stream_status", None).data();
    assert_eq!(status["status"], "COMPLETED");
    assert_eq!(status["stream_id"], "logsink0");
    assert_eq!(c.dl("stop_streaming", None).data(), Value::Null);
    // The official client's body after stop_streaming, and the vendor's cURL body.
    assert_eq!(
        chunk(
            &mut c,
            r#"{"stream_id": {"null": {"topic": "logformat0"}}}"#
        )
        .json(),
        json!({"error": "End of stream"})
    );
    assert_eq!(
        chunk(&mut c, r#"{"stream_id": "logsink0"}"#).json(),
        json!({"error": "End of stream"})
    );
    assert!(
        chunk(&mut c, r#"{"stream_id": "nope"}"#).json()["error"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
}

#[test]
fn chunks_hold_the_samples_acquired_since_the_last_one() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    c.dl(
        "start_streaming",
        Some(r#"{"strict": true, "duration": null, "sample_rate": 10}"#),
    )
    .data();
    let body = r#"{"stream_id": "logsink0"}"#;
    // At 10 Sa/s a poll right after a chunk finds nothing new: 200 with an empty body.
    wait_for(|| chunk(&mut c, body).body.is_empty().then_some(()));
    let first = wait_for(|| decode_li(&chunk(&mut c, body).body));
    let next = wait_for(|| decode_li(&chunk(&mut c, body).body));
    let n = first.channels[0].len() as f64;
    assert!((next.start_offset - first.start_offset - n * 0.1).abs() < 1e-9);
    let status = c.dl("get_stream_status", None).data();
    assert_eq!(status["status"], "RUNNING");
    c.dl("stop_streaming", None).data();
    assert_eq!(
        c.dl("get_stream_status", None).data()["status"],
        "CANCELLED"
    );
    // What was acquired before the stop is still handed out, then the end.
    let _ = drain(&mut c, body);
}

#[test]
fn inputs_can_be_wired_to_the_generated_outputs() {
    let emu = emulator(Model::Go);
    emu.set_input_signal(1, Signal::FromOutput(1));
    emu.set_input_signal(2, Signal::FromOutput(2));
    assert!(!emu.try_set_input_signal(3, Signal::Constant(0.0)));
    let mut c = owner(&emu);
    c.dl(
        "generate_waveform",
        Some(r#"{"strict": true, "channel": 1, "type": "DC", "dc_level": 1.25}"#),
    )
    .data();
    c.dl("generate_waveform", Some(r#"{"strict": true, "channel": 2, "type": "Square", "amplitude": 2, "frequency": 10, "offset": 0, "duty": 50}"#)).data();
    c.dl(
        "start_streaming",
        Some(r#"{"strict": true, "duration": 0.2, "sample_rate": 1000}"#),
    )
    .data();
    let (channels, _, _) = drain(&mut c, r#"{"stream_id": "logsink0"}"#);
    assert_eq!(channels[0], vec![1.25; 200]);
    assert!(channels[1].iter().all(|v| *v == 1.0 || *v == -1.0));
    assert!(channels[1].contains(&1.0) && channels[1].contains(&-1.0));
}

#[test]
fn the_front_end_range_clips_the_input() {
    let emu = emulator(Model::Pro);
    emu.set_input_signal(1, Signal::Constant(3.0));
    let mut c = owner(&emu);
    c.dl("set_frontend", Some(r#"{"strict": true, "channel": 1, "impedance": "1MOhm", "coupling": "DC", "range": "400mVpp"}"#)).data();
    for ch in 2..=4 {
        c.dl(
            "enable_input",
            Some(&format!(
                r#"{{"strict": true, "channel": {ch}, "enable": false}}"#
            )),
        )
        .data();
    }
    c.dl(
        "start_streaming",
        Some(r#"{"strict": true, "duration": 0.01, "sample_rate": 1000}"#),
    )
    .data();
    let (channels, _, _) = drain(&mut c, r#"{"stream_id": "logsink0"}"#);
    assert_eq!(channels, vec![vec![li::quantize(0.2); 10]]);
}

#[test]
fn sine_inputs_follow_their_formula_within_quantisation() {
    let emu = emulator(Model::Go);
    emu.set_input_signal(
        1,
        Signal::Sine {
            amplitude: 2.0,
            frequency: 50.0,
        },
    );
    emu.set_input_signal(2, Signal::Noise { amplitude: 0.5 });
    let mut c = owner(&emu);
    c.dl(
        "start_streaming",
        Some(r#"{"strict": true, "duration": 0.1, "sample_rate": 1000}"#),
    )
    .data();
    let (channels, _, _) = drain(&mut c, r#"{"stream_id": "logsink0"}"#);
    let peak = channels[0].iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(peak > 1.9 && peak <= 2.0, "{peak}");
    assert!(channels[1].iter().all(|v| v.abs() <= 0.5));
    assert!(channels[1].windows(2).any(|w| w[0] != w[1]));
}

#[test]
fn triggered_logging_waits_for_the_rising_edge() {
    let emu = emulator(Model::Go);
    emu.set_input_signal(1, Signal::Constant(0.0));
    emu.set_input_signal(2, Signal::Constant(0.75));
    let mut c = owner(&emu);
    let body = r#"{"strict": true, "duration": 0.05, "sample_rate": 1000, "delay": 0, "trigger_source": "Input1", "trigger_level": 1.0, "file_name_prefix": "trig", "comments": ""}"#;
    let r = c.dl("start_logging", Some(body)).data();
    assert_eq!(
        (r["source"].as_str(), r["level"].as_f64()),
        (Some("Input1"), Some(1.0))
    );
    let name = r["file_name"].as_str().unwrap().to_owned();
    // A constant 0 V never reaches 1 V from below.
    for _ in 0..3 {
        let p = c.dl("logging_progress", None).data();
        assert_eq!(p["message"], "Waiting for trigger");
        assert_eq!(
            (p["running"].as_bool(), p["complete"].as_bool()),
            (Some(false), Some(false))
        );
        assert_eq!(p["samples_logged"], 0);
    }
    emu.set_input_signal(1, Signal::Constant(2.0));
    wait_for(|| {
        c.dl("logging_progress", None).data()["complete"]
            .as_bool()
            .unwrap()
            .then_some(())
    });
    let doc = decode_li(&c.get(&format!("/api/persist/download/{name}")).body).unwrap();
    assert_eq!(doc.channels, vec![vec![2.0; 50], vec![0.75; 50]]);
}

#[test]
fn triggered_streams_start_on_the_edge() {
    let emu = emulator(Model::Go);
    emu.set_input_signal(1, Signal::FromOutput(1));
    let mut c = owner(&emu);
    c.dl(
        "enable_input",
        Some(r#"{"strict": true, "channel": 2, "enable": false}"#),
    )
    .data();
    c.dl("generate_waveform", Some(r#"{"strict": true, "channel": 1, "type": "Square", "amplitude": 2, "frequency": 20, "duty": 50}"#)).data();
    let r = c.dl("start_streaming", Some(r#"{"strict": true, "duration": 0.02, "sample_rate": 1000, "trigger_source": "Input1", "trigger_level": 0.5}"#));
    assert_eq!(r.data()["trigger_source"], "Input1");
    let (channels, _, _) = drain(&mut c, r#"{"stream_id": "logsink0"}"#);
    // 20 ms from the rising edge of a 20 Hz square: all within the high half-period.
    assert_eq!(channels, vec![vec![1.0; 20]]);
}

#[test]
fn ac_coupling_removes_the_mean() {
    let emu = emulator(Model::Go);
    emu.set_input_signal(1, Signal::Constant(0.7));
    emu.set_input_signal(2, Signal::FromOutput(2));
    let mut c = owner(&emu);
    for ch in [1, 2] {
        let body = format!(
            r#"{{"strict": true, "channel": {ch}, "impedance": "1MOhm", "coupling": "AC", "range": "10Vpp"}}"#
        );
        c.dl("set_frontend", Some(&body)).data();
    }
    c.dl(
        "generate_waveform",
        Some(r#"{"strict": true, "channel": 2, "type": "Square", "amplitude": 2, "frequency": 10, "offset": 0.5, "duty": 50}"#),
    )
    .data();
    c.dl(
        "start_streaming",
        Some(r#"{"strict": true, "duration": 0.1, "sample_rate": 1000}"#),
    )
    .data();
    let (channels, _, _) = drain(&mut c, r#"{"stream_id": "logsink0"}"#);
    assert_eq!(channels[0], vec![0.0; 100]);
    assert!(
        channels[1].iter().all(|v| *v == 1.0 || *v == -1.0),
        "{:?}",
        &channels[1][..10]
    );
}
