//! Datalogger state: settings round-trips, per-model limits (strict / non-strict), conflicts.

mod common;

use common::{emulator, owner};
use moku_emulator::Model;
use serde_json::{Value, json};

#[test]
fn frontend_round_trips_through_the_getter() {
    let emu = emulator(Model::Pro);
    let mut c = owner(&emu);
    let set = c.dl(
        "set_frontend",
        Some(r#"{"strict": true, "channel": 3, "impedance": "50Ohm", "coupling": "AC", "range": "400mVpp", "bandwidth": "600MHz"}"#),
    );
    let expected =
        json!({"bandwidth": "600MHz", "coupling": "AC", "impedance": "50Ohm", "range": "400mVpp"});
    assert_eq!(set.data(), expected);
    assert_eq!(
        c.dl("get_frontend", Some(r#"{"channel": 3}"#)).data(),
        expected
    );
    // Channel 4 kept its defaults.
    assert_eq!(
        c.dl("get_frontend", Some(r#"{"channel": 4}"#)).data()["range"],
        "4Vpp"
    );
}

#[test]
fn per_model_frontend_limits() {
    let cases = [
        (Model::Go, "50Ohm", "10Vpp", "1MOhm"),
        (Model::Lab, "1MOhm", "50Vpp", "10Vpp"),
        (Model::Pro, "1MOhm", "2Vpp", "4Vpp"),
        (Model::Delta, "1MOhm", "400mVpp", "1Vpp"),
    ];
    for (model, impedance, bad_range, coerced) in cases {
        let emu = emulator(model);
        let mut c = owner(&emu);
        let strict = format!(
            r#"{{"strict": true, "channel": 1, "impedance": "{impedance}", "coupling": "DC", "range": "{bad_range}", "bandwidth": null}}"#
        );
        let r = c.dl("set_frontend", Some(&strict));
        if model == Model::Go {
            // 50Ohm does not exist on a Go, 10Vpp does.
            assert_eq!(r.code(), "INVALID_PARAM", "{model}");
        } else {
            assert_eq!(r.code(), "INVALID_PARAM", "{model}");
            let lenient = strict.replace(r#""strict": true"#, r#""strict": false"#);
            let r = c.dl("set_frontend", Some(&lenient));
            assert_eq!(r.data()["range"], coerced, "{model}");
            let notes = r.json()["messages"].clone();
            assert!(notes[0].as_str().unwrap().contains(bad_range), "{notes}");
        }
    }
    // Garbage is refused even when not strict.
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    let r = c.dl("set_frontend", Some(r#"{"strict": false, "channel": 1, "impedance": "1MOhm", "coupling": "XX", "range": "10Vpp"}"#));
    assert_eq!(r.code(), "INVALID_PARAM");
    let r = c.dl("set_frontend", Some(r#"{"strict": false, "channel": 1, "impedance": "50Ohm", "coupling": "DC", "range": "10Vpp"}"#));
    assert_eq!(r.data()["impedance"], "1MOhm");
    assert_eq!(
        c.dl("get_frontend", Some(r#"{"channel": 3}"#)).code(),
        "INVALID_PARAM"
    );
}

#[test]
fn samplerate_limits_follow_the_model() {
    for (model, max) in [
        (Model::Go, 1e6),
        (Model::Lab, 2.5e5),
        (Model::Pro, 1.25e6),
        (Model::Delta, 10e6),
    ] {
        let emu = emulator(model);
        let mut c = owner(&emu);
        let r = c.dl(
            "set_samplerate",
            Some(r#"{"strict": true, "sample_rate": 20000000.0}"#),
        );
        assert_eq!(r.code(), "INVALID_PARAM", "{model}");
        let r = c.dl(
            "set_samplerate",
            Some(r#"{"strict": false, "sample_rate": 20000000.0}"#),
        );
        // Pro with four channels enabled is capped at 1.25 MSa/s.
        assert_eq!(r.data()["sample_rate"], max, "{model}");
        assert!(r.json()["messages"].is_array());
        assert_eq!(c.dl("get_samplerate", None).data()["sample_rate"], max);
        // Ints are accepted for floats.
        assert_eq!(
            c.dl(
                "set_samplerate",
                Some(r#"{"strict": true, "sample_rate": 10}"#)
            )
            .data()["sample_rate"],
            10.0
        );
    }
}

#[test]
fn acquisition_mode_and_inputs() {
    let emu = emulator(Model::Lab);
    let mut c = owner(&emu);
    assert_eq!(
        c.dl("get_acquisition_mode", None).data(),
        json!({"mode": "Normal"})
    );
    assert_eq!(
        c.dl(
            "set_acquisition_mode",
            Some(r#"{"strict": true, "mode": "PeakDetect"}"#)
        )
        .code(),
        "INVALID_PARAM"
    );
    let r = c.dl(
        "set_acquisition_mode",
        Some(r#"{"strict": false, "mode": "PeakDetect"}"#),
    );
    assert_eq!(r.data(), json!({"mode": "Normal"}));
    c.dl(
        "set_acquisition_mode",
        Some(r#"{"strict": true, "mode": "Precision"}"#),
    )
    .data();
    assert_eq!(
        c.dl("get_acquisition_mode", None).data(),
        json!({"mode": "Precision"})
    );
    c.dl(
        "enable_input",
        Some(r#"{"strict": true, "channel": 2, "enable": false}"#),
    )
    .data();
    assert!(c.dl("summary", None).data().as_str().unwrap().contains(
        "Input 2 - DC coupling, 1MOhm impedance, 10Vpp range, 200MHz bandwidth (disabled)"
    ));
    c.dl(
        "disable_channel",
        Some(r#"{"strict": true, "channel": 2, "disable": false}"#),
    )
    .data();
    let summary = c.dl("summary", None).data();
    let summary = summary.as_str().unwrap();
    assert!(summary.starts_with("Moku:Lab Data Logger\n"), "{summary}");
    assert!(
        summary.contains("\nAcquisition rate: 1.0000000000e+03 Hz, Precision mode\n"),
        "{summary}"
    );
    assert!(
        !c.dl("summary", None)
            .data()
            .as_str()
            .unwrap()
            .contains("(disabled)")
    );
    assert_eq!(
        c.dl(
            "enable_input",
            Some(r#"{"strict": true, "channel": 3, "enable": true}"#)
        )
        .code(),
        "INVALID_PARAM"
    );
}

#[test]
fn generate_waveform_all_seven_types() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    let body = |ty: &str, extra: &str| {
        format!(
            r#"{{"strict": true, "channel": 1, "type": "{ty}", "amplitude": 1, "frequency": 10000, "offset": 0, "phase": 0, "duty": null, "symmetry": null, "dc_level": null, "edge_time": null, "pulse_width": null{extra}}}"#
        )
    };
    let sine = c.dl("generate_waveform", Some(&body("Sine", ""))).data();
    assert_eq!(
        sine,
        json!({"type": "Sine", "amplitude": 1.0, "frequency": 10000.0, "offset": 0.0, "phase": 0.0})
    );
    let square = c
        .dl(
            "generate_waveform",
            Some(&body("Square", r#", "duty": 30"#).replace(r#""duty": null, "#, "")),
        )
        .data();
    assert_eq!(square["duty"], 30.0);
    let ramp = c
        .dl(
            "generate_waveform",
            Some(&body("Ramp", r#", "symmetry": 80"#).replace(r#""symmetry": null, "#, "")),
        )
        .data();
    assert_eq!(ramp["symmetry"], 80.0);
    let pulse = c
        .dl(
            "generate_waveform",
            Some(
                &body("Pulse", r#", "edge_time": 1e-07, "pulse_width": 2e-05"#)
                    .replace(r#""edge_time": null, "pulse_width": null"#, r#""x": null"#),
            ),
        )
        .data();
    assert_eq!(
        (pulse["edge_time"].as_f64(), pulse["pulse_width"].as_f64()),
        (Some(1e-7), Some(2e-5))
    );
    let noise = c.dl("generate_waveform", Some(&body("Noise", ""))).data();
    assert_eq!(
        noise,
        json!({"type": "Noise", "amplitude": 1.0, "offset": 0.0})
    );
    let dc = c
        .dl(
            "generate_waveform",
            Some(&body("DC", r#", "dc_level": -1.5"#).replace(r#""dc_level": null, "#, "")),
        )
        .data();
    assert_eq!(dc, json!({"type": "DC", "dc_level": -1.5}));
    assert_eq!(
        c.dl("generate_waveform", Some(&body("Off", ""))).data(),
        json!({"type": "Off"})
    );
    assert_eq!(
        c.dl("generate_waveform", Some(&body("Triangle", "")))
            .code(),
        "INVALID_PARAM"
    );
    // Go: amplitude 2e-3..10 Vpp, frequency up to 20 MHz.
    let loud = body("Sine", "").replace(r#""amplitude": 1"#, r#""amplitude": 11"#);
    assert_eq!(
        c.dl("generate_waveform", Some(&loud)).code(),
        "INVALID_PARAM"
    );
    let lenient = loud.replace(r#""strict": true"#, r#""strict": false"#);
    assert_eq!(
        c.dl("generate_waveform", Some(&lenient)).data()["amplitude"],
        10.0
    );
    let fast = body("Sine", "").replace("10000", "3e7");
    assert_eq!(
        c.dl("generate_waveform", Some(&fast)).code(),
        "INVALID_PARAM"
    );
    assert_eq!(c.dl("sync_output_phase", None).data(), Value::Null);
}

#[test]
fn output_termination_and_load() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    let r = c.dl(
        "set_output_termination",
        Some(r#"{"strict": true, "channel": 1, "termination": "50Ohm"}"#),
    );
    assert_eq!(r.code(), "INVALID_REQUEST");
    let emu = emulator(Model::Delta);
    let mut c = owner(&emu);
    let r = c.dl(
        "set_output_termination",
        Some(r#"{"strict": true, "channel": 8, "termination": "50Ohm"}"#),
    );
    assert_eq!(r.data(), json!({"termination": "50Ohm"}));
    assert_eq!(
        c.dl("get_output_termination", Some(r#"{"channel": 8}"#))
            .data(),
        json!({"termination": "50Ohm"})
    );
    let r = c.dl(
        "set_output_load",
        Some(r#"{"strict": true, "channel": 2, "load": "1MOhm"}"#),
    );
    assert_eq!(r.data(), json!({"load": "HiZ"}));
    assert_eq!(
        c.dl("get_output_load", Some(r#"{"channel": 8}"#)).data(),
        json!({"load": "50Ohm"})
    );
    assert_eq!(
        c.dl(
            "set_output_termination",
            Some(r#"{"strict": true, "channel": 9, "termination": "HiZ"}"#)
        )
        .code(),
        "INVALID_PARAM"
    );
}

#[test]
fn save_and_load_settings_round_trip() {
    let emu = emulator(Model::Pro);
    let mut c = owner(&emu);
    c.dl(
        "set_samplerate",
        Some(r#"{"strict": true, "sample_rate": 4321}"#),
    )
    .data();
    c.dl("set_frontend", Some(r#"{"strict": true, "channel": 2, "impedance": "50Ohm", "coupling": "AC", "range": "40Vpp", "bandwidth": null}"#)).data();
    c.dl(
        "generate_waveform",
        Some(r#"{"strict": true, "channel": 1, "type": "DC", "dc_level": 0.5}"#),
    )
    .data();
    let saved = c.get("/api/slot1/datalogger/save_settings");
    assert_eq!(saved.status, 200);
    assert!(!saved.body.is_empty());
    c.dl("set_defaults", None).data();
    assert_eq!(c.dl("get_samplerate", None).data()["sample_rate"], 1000.0);
    let r = c.request(
        "POST",
        "/api/slot1/datalogger/load_settings",
        Some(&saved.body),
    );
    assert_eq!(r.data(), Value::Null);
    assert_eq!(c.dl("get_samplerate", None).data()["sample_rate"], 4321.0);
    assert_eq!(
        c.dl("get_frontend", Some(r#"{"channel": 2}"#)).data()["coupling"],
        "AC"
    );
    let again = c.get("/api/slot1/datalogger/save_settings").body;
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&saved.body)
    );
    let r = c.request(
        "POST",
        "/api/slot1/datalogger/load_settings",
        Some(b"\x00garbage"),
    );
    assert_eq!(r.code(), "INVALID_PARAM");
    // A Go refuses a Pro's settings.
    let go = emulator(Model::Go);
    let mut g = owner(&go);
    let r = g.request(
        "POST",
        "/api/slot1/datalogger/load_settings",
        Some(&saved.body),
    );
    assert_eq!(r.code(), "INVALID_PARAM");
}

#[test]
fn state_conflicts_are_invalid_request() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    assert_eq!(c.dl("stop_logging", None).code(), "INVALID_REQUEST");
    assert_eq!(c.dl("stop_streaming", None).code(), "INVALID_REQUEST");
    c.dl("start_logging", Some(r#"{"strict": true, "duration": 600, "sample_rate": 10, "delay": 0, "trigger_source": null, "trigger_level": null, "file_name_prefix": "", "comments": ""}"#)).data();
    assert_eq!(
        c.dl("start_logging", Some(r#"{"strict": true, "duration": 1}"#))
            .code(),
        "INVALID_REQUEST"
    );
    assert_eq!(
        c.dl("start_streaming", Some(r#"{"strict": true}"#)).code(),
        "INVALID_REQUEST"
    );
    assert_eq!(
        c.dl(
            "set_samplerate",
            Some(r#"{"strict": true, "sample_rate": 100}"#)
        )
        .code(),
        "INVALID_REQUEST"
    );
    assert_eq!(c.dl("set_defaults", None).code(), "INVALID_REQUEST");
    // The waveform generator keeps working while logging.
    c.dl(
        "generate_waveform",
        Some(r#"{"strict": true, "channel": 1, "type": "DC", "dc_level": 0.5}"#),
    )
    .data();
    assert_eq!(c.dl("stop_logging", None).data(), Value::Null);
    assert_eq!(c.dl("stop_logging", None).code(), "INVALID_REQUEST");
    c.dl(
        "enable_input",
        Some(r#"{"strict": true, "channel": 1, "enable": false}"#),
    )
    .data();
    c.dl(
        "enable_input",
        Some(r#"{"strict": true, "channel": 2, "enable": false}"#),
    )
    .data();
    assert_eq!(
        c.dl("start_logging", Some(r#"{"strict": true, "duration": 1}"#))
            .code(),
        "INVALID_REQUEST"
    );
}

#[test]
fn logging_parameters_are_checked() {
    let emu = emulator(Model::Go);
    let mut c = owner(&emu);
    let bad = [
        r#"{"strict": true, "duration": -1}"#,
        r#"{"strict": true, "duration": 1, "sample_rate": 5e6}"#,
        r#"{"strict": true, "duration": 1, "trigger_source": "External"}"#,
        r#"{"strict": true, "duration": 1, "trigger_source": "Input1", "trigger_level": 7}"#,
        r#"{"strict": true, "duration": 1, "file_name_prefix": "a/b"}"#,
        r#"{"strict": true, "duration": 1e9}"#,
    ];
    for body in bad {
        assert_eq!(
            c.dl("start_logging", Some(body)).code(),
            "INVALID_PARAM",
            "{body}"
        );
    }
    let r = c.dl("start_logging", Some(r#"{"strict": false, "duration": 1e9, "sample_rate": 100, "trigger_source": "Input2", "trigger_level": 9, "delay": 5}"#));
    let data = r.data();
    assert_eq!(data["level"], 5.0);
    assert_eq!(data["source"], "Input2");
    assert_eq!(data["Start"], "Delayed");
    assert!(data["duration"].as_f64().unwrap() < 1e9);
    assert_eq!(r.json()["messages"].as_array().unwrap().len(), 2);
    let p = c.dl("logging_progress", None).data();
    assert_eq!(
        (p["running"].as_bool(), p["complete"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(p["time_to_start"].as_u64().unwrap() >= 1);
    c.dl("stop_logging", None).data();
}
