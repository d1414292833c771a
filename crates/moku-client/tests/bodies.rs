//! The exact requests on the wire: a recording wrapper around the real ureq transport, talking
//! to the emulator. Bodies are compared as text (key order, `null`s, number forms).
#![cfg(feature = "ureq")]
#![allow(deprecated)]

mod common;

use std::sync::{Arc, Mutex};

use moku_client::{
    Bandwidth, ConnectOptions, Coupling, Datalogger, FileTarget, Host, Impedance, Load,
    LoggingOptions, Method, Num, Range, Request, Response, Stack, StreamingOptions,
    StreamingResponse, Termination, Transport, TransportError, TriggerSource, UreqTransport,
    Waveform,
};
use moku_emulator::Model;

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    stack: Stack,
    timeouts: bool,
}

struct Recording {
    inner: UreqTransport,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Recording {
    fn record(&self, r: &Request<'_>) {
        self.log.lock().unwrap().push(Seen {
            method: r.method,
            path: r.path.to_owned(),
            headers: r.headers.clone(),
            body: r.body.map(|b| String::from_utf8_lossy(b).into_owned()),
            stack: r.stack,
            timeouts: r.timeouts,
        });
    }
}

impl Transport for Recording {
    fn exchange(&mut self, r: &Request<'_>) -> Result<Response, TransportError> {
        self.record(r);
        self.inner.exchange(r)
    }
    fn exchange_streaming(&mut self, r: &Request<'_>) -> Result<StreamingResponse, TransportError> {
        self.record(r);
        self.inner.exchange_streaming(r)
    }
}

fn connect(emu: &moku_emulator::Emulator) -> (Datalogger, Arc<Mutex<Vec<Seen>>>) {
    let host = Host::parse(&emu.host()).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let t = Recording {
        inner: UreqTransport::new(&host, Default::default()),
        log: log.clone(),
    };
    let options = ConnectOptions {
        client_name: Some("tester".into()),
        ..ConnectOptions::default()
    };
    (
        Datalogger::connect_with(host, Box::new(t), options).unwrap(),
        log,
    )
}

fn last(log: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    log.lock().unwrap().last().cloned().unwrap()
}

fn header<'a>(s: &'a Seen, name: &str) -> Option<&'a str> {
    s.headers
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn connect_sequence() {
    let emu = common::emulator(Model::Go);
    let (dl, log) = connect(&emu);
    let seen = log.lock().unwrap().clone();
    let paths: Vec<_> = seen.iter().map(|s| (s.method, s.path.as_str())).collect();
    assert_eq!(
        paths,
        [
            (Method::Post, "/api/moku/claim_ownership"),
            (Method::Get, "/api/moku/describe"),
            (Method::Get, "/api/v2/bitstreams"),
            (Method::Post, "/api/moku/instrument_supported"),
            (Method::Get, "/api/v2/bitstreams"),
        ]
    );
    assert_eq!(
        seen[0].body.as_deref(),
        Some(
            r#"{"force_connect": false, "force_deploy": false, "ignore_busy": false, "persist_state": false, "client_name": "tester"}"#
        )
    );
    assert_eq!(header(&seen[0], "Moku-Client-Key"), None);
    assert_eq!(header(&seen[0], "Content-Type"), Some("application/json"));
    assert_eq!(header(&seen[0], "Accept-Encoding"), Some("identity"));
    let key = dl.session().client_key().unwrap();
    for s in &seen[1..] {
        assert_eq!(header(s, "Moku-Client-Key"), Some(key.as_str()), "{s:?}");
    }
    assert_eq!(seen[1].body, None);
    assert_eq!(seen[2].stack, Stack::Bulk);
    assert_eq!(
        seen[3].body.as_deref(),
        Some(r#"{"num_slots": 1, "instrument_id": 7, "slot_idx": 0}"#)
    );
    // As the official client: dropping the handle sends nothing (the device stays owned)...
    let before = log.lock().unwrap().len();
    let dl2 = dl.clone();
    drop(dl2);
    assert_eq!(log.lock().unwrap().len(), before);
    // ...and relinquish_ownership() sends the request.
    dl.relinquish_ownership().unwrap();
    let s = last(&log);
    assert_eq!(
        (s.method, s.path.as_str(), s.body.as_deref()),
        (Method::Post, "/api/moku/relinquish_ownership", Some(""))
    );
    assert_eq!(header(&s, "Content-Type"), Some("application/json"));
    let before = log.lock().unwrap().len();
    drop(dl);
    assert_eq!(log.lock().unwrap().len(), before);
}

#[test]
fn datalogger_bodies() {
    let emu = common::emulator(Model::Pro);
    let (dl, log) = connect(&emu);
    let check = |method: Method, op: &str, body: Option<&str>| {
        let s = last(&log);
        assert_eq!(s.method, method, "{op}");
        assert_eq!(s.path, format!("/api/slot1/datalogger/{op}"));
        assert_eq!(s.body.as_deref(), body, "{op}");
        assert_eq!(s.stack, Stack::Fast, "{op}");
    };
    dl.set_frontend(1, Impedance::OneMegaOhm, Coupling::Dc, Range::R4Vpp, None)
        .unwrap();
    check(
        Method::Post,
        "set_frontend",
        Some(
            r#"{"strict": true, "channel": 1, "impedance": "1MOhm", "coupling": "DC", "range": "4Vpp", "bandwidth": null}"#,
        ),
    );
    dl.set_frontend(
        2,
        Impedance::FiftyOhm,
        Coupling::Ac,
        Range::R400mVpp,
        Some(Bandwidth::B600MHz),
    )
    .unwrap();
    check(
        Method::Post,
        "set_frontend",
        Some(
            r#"{"strict": true, "channel": 2, "impedance": "50Ohm", "coupling": "AC", "range": "400mVpp", "bandwidth": "600MHz"}"#,
        ),
    );
    dl.get_frontend(1).unwrap();
    check(Method::Post, "get_frontend", Some(r#"{"channel": 1}"#));
    dl.enable_input(2, true).unwrap();
    check(
        Method::Post,
        "enable_input",
        Some(r#"{"strict": true, "channel": 2, "enable": true}"#),
    );
    dl.disable_channel(2, false).unwrap();
    check(
        Method::Post,
        "disable_channel",
        Some(r#"{"strict": true, "channel": 2, "disable": false}"#),
    );
    dl.set_acquisition_mode(moku_client::AcquisitionMode::Precision)
        .unwrap();
    check(
        Method::Post,
        "set_acquisition_mode",
        Some(r#"{"strict": true, "mode": "Precision"}"#),
    );
    dl.get_acquisition_mode().unwrap();
    check(Method::Get, "get_acquisition_mode", None);
    dl.set_samplerate(1e3).unwrap();
    check(
        Method::Post,
        "set_samplerate",
        Some(r#"{"strict": true, "sample_rate": 1000.0}"#),
    );
    dl.set_samplerate(Num::Int(500)).unwrap();
    check(
        Method::Post,
        "set_samplerate",
        Some(r#"{"strict": true, "sample_rate": 500}"#),
    );
    dl.get_samplerate().unwrap();
    check(Method::Get, "get_samplerate", None);
    dl.start_logging(&LoggingOptions::default()).unwrap();
    check(
        Method::Post,
        "start_logging",
        Some(
            r#"{"strict": true, "duration": 60, "sample_rate": null, "delay": 0, "trigger_source": null, "trigger_level": null, "file_name_prefix": "", "comments": ""}"#,
        ),
    );
    dl.logging_progress().unwrap();
    check(Method::Get, "logging_progress", None);
    dl.stop_logging().unwrap();
    check(Method::Get, "stop_logging", None);
    dl.start_logging(&LoggingOptions {
        duration: Num::Float(1.5),
        sample_rate: Some(Num::Float(1e4)),
        delay: Num::Int(1),
        trigger_source: Some(TriggerSource::Input2),
        trigger_level: Some(Num::Float(1e-7)),
        file_name_prefix: "p\u{e9}".into(),
        comments: "a \"b\"".into(),
    })
    .unwrap();
    check(
        Method::Post,
        "start_logging",
        Some(
            r#"{"strict": true, "duration": 1.5, "sample_rate": 10000.0, "delay": 1, "trigger_source": "Input2", "trigger_level": 1e-07, "file_name_prefix": "p\u00e9", "comments": "a \"b\""}"#,
        ),
    );
    dl.stop_logging().unwrap();
    dl.summary().unwrap();
    check(Method::Get, "summary", None);
    let rest = r#""duty": null, "symmetry": null, "dc_level": null, "edge_time": null, "pulse_width": null}"#;
    dl.generate_waveform(1, &Waveform::off()).unwrap();
    check(
        Method::Post,
        "generate_waveform",
        Some(&format!(
            r#"{{"strict": true, "channel": 1, "type": "Off", "amplitude": 1, "frequency": 10000, "offset": 0, "phase": 0, {rest}"#
        )),
    );
    dl.generate_waveform(2, &Waveform::sine(0.5, 1e3).with_phase(90))
        .unwrap();
    check(
        Method::Post,
        "generate_waveform",
        Some(&format!(
            r#"{{"strict": true, "channel": 2, "type": "Sine", "amplitude": 0.5, "frequency": 1000.0, "offset": 0, "phase": 90, {rest}"#
        )),
    );
    dl.generate_waveform(
        1,
        &Waveform::pulse(1, 100).edge_time(5e-9).pulse_width(1e-3),
    )
    .unwrap();
    check(
        Method::Post,
        "generate_waveform",
        Some(
            r#"{"strict": true, "channel": 1, "type": "Pulse", "amplitude": 1, "frequency": 100, "offset": 0, "phase": 0, "duty": null, "symmetry": null, "dc_level": null, "edge_time": 5e-09, "pulse_width": 0.001}"#,
        ),
    );
    dl.generate_waveform(1, &Waveform::dc(0.25)).unwrap();
    check(
        Method::Post,
        "generate_waveform",
        Some(
            r#"{"strict": true, "channel": 1, "type": "DC", "amplitude": 1, "frequency": 10000, "offset": 0, "phase": 0, "duty": null, "symmetry": null, "dc_level": 0.25, "edge_time": null, "pulse_width": null}"#,
        ),
    );
    dl.sync_output_phase().unwrap();
    check(Method::Post, "sync_output_phase", Some(""));
    dl.set_output_termination(1, Termination::HiZ).unwrap();
    check(
        Method::Post,
        "set_output_termination",
        Some(r#"{"strict": true, "channel": 1, "termination": "HiZ"}"#),
    );
    dl.get_output_termination(1).unwrap();
    check(
        Method::Post,
        "get_output_termination",
        Some(r#"{"channel": 1}"#),
    );
    dl.set_output_load(1, Load::FiftyOhm).unwrap();
    check(
        Method::Post,
        "set_output_load",
        Some(r#"{"strict": true, "channel": 1, "load": "50Ohm"}"#),
    );
    dl.get_output_load(1).unwrap();
    check(Method::Post, "get_output_load", Some(r#"{"channel": 1}"#));
    dl.set_defaults().unwrap();
    check(Method::Post, "set_defaults", Some(""));
    let dl = dl.with_strict(false);
    dl.start_streaming(&StreamingOptions::default()).unwrap();
    check(
        Method::Post,
        "start_streaming",
        Some(
            r#"{"strict": false, "duration": null, "sample_rate": null, "trigger_source": null, "trigger_level": null}"#,
        ),
    );
    dl.get_stream_status().unwrap();
    check(Method::Post, "get_stream_status", Some(""));
    dl.get_chunk().unwrap();
    let s = last(&log);
    assert_eq!(
        (s.method, s.path.as_str(), s.stack, s.timeouts),
        (Method::Post, "/api/v2/get_chunk", Stack::Bulk, false)
    );
    let id = dl.stream_id().unwrap();
    assert_eq!(
        s.body.unwrap(),
        format!(r#"{{"stream_id": {{"{id}": {{"topic": "logformat0"}}}}}}"#)
    );
    assert_eq!(
        header(&last(&log), "Content-Type"),
        Some("application/json")
    );
    dl.stop_streaming().unwrap();
    check(Method::Post, "stop_streaming", Some(""));
    let saved = dl.save_settings_bytes().unwrap();
    let s = last(&log);
    assert_eq!(
        (s.method, s.stack, s.timeouts, s.body),
        (Method::Get, Stack::Bulk, false, None)
    );
    dl.load_settings_bytes(&saved).unwrap();
    let s = last(&log);
    assert_eq!(
        (s.method, s.path.as_str(), s.stack),
        (
            Method::Post,
            "/api/slot1/datalogger/load_settings",
            Stack::Bulk
        )
    );
    assert_eq!(header(&s, "Content-Type"), None);
    assert_eq!(s.body.as_deref().map(str::len), Some(saved.len()));
}

#[test]
fn file_requests() {
    let emu = common::emulator(Model::Go);
    let (dl, log) = connect(&emu);
    let s = dl.session();
    s.upload(&FileTarget::Tmp, "a b(1).txt", b"x").unwrap();
    let r = last(&log);
    assert_eq!(
        (r.method, r.path.as_str(), r.stack),
        (Method::Post, "/api/tmp/upload/a%20b(1).txt", Stack::Bulk)
    );
    assert_eq!(header(&r, "Content-Type"), None);
    assert!(
        s.list(&FileTarget::Tmp)
            .unwrap()
            .contains(&"a b(1).txt".to_owned())
    );
    assert_eq!(
        (last(&log).method, last(&log).stack),
        (Method::Get, Stack::Fast)
    );
    s.download_bytes(&FileTarget::Tmp, "a b(1).txt").unwrap();
    let r = last(&log);
    assert_eq!(
        (r.method, r.path.as_str(), r.timeouts),
        (Method::Get, "/api/tmp/download/a%20b(1).txt", false)
    );
    s.delete(&FileTarget::Tmp, "a b(1).txt").unwrap();
    let r = last(&log);
    assert_eq!(
        (r.method, r.body.as_deref(), r.timeouts),
        (Method::Delete, Some(""), true)
    );
}
