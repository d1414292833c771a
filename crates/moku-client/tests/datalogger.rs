//! Every Datalogger method against the emulator over real HTTP.
#![cfg(feature = "ureq")]
#![allow(deprecated)]

mod common;

use std::time::Duration;

use moku_client::li;
use moku_client::{
    AcquisitionMode, Coupling, Impedance, Load, LogEvent, LoggingOptions, Model, Num, Range,
    StreamState, StreamingOptions, Termination, Waveform, WaveformType,
};
use moku_emulator::{Model as EmuModel, Signal};

#[test]
fn frontend_inputs_and_acquisition() {
    let emu = common::emulator(EmuModel::Pro);
    let dl = common::connect(&emu);
    assert_eq!(dl.session().model(), Model::Pro);
    let fe = dl
        .set_frontend(
            2,
            Impedance::FiftyOhm,
            Coupling::Ac,
            Range::R4Vpp,
            Some(moku_client::Bandwidth::B300MHz),
        )
        .unwrap();
    assert_eq!(fe.impedance, Some(Impedance::FiftyOhm));
    assert_eq!(fe.coupling, Some(Coupling::Ac));
    assert_eq!(fe.range, Some(Range::R4Vpp));
    let got = dl.get_frontend(2).unwrap();
    assert_eq!(got.range, Some(Range::R4Vpp));
    assert_eq!(got.impedance, Some(Impedance::FiftyOhm));
    dl.enable_input(2, false).unwrap();
    dl.enable_input(2, true).unwrap();
    dl.disable_channel(2, false).unwrap();
    assert_eq!(
        dl.set_acquisition_mode(AcquisitionMode::PeakDetect)
            .unwrap(),
        AcquisitionMode::PeakDetect
    );
    assert_eq!(
        dl.get_acquisition_mode().unwrap(),
        AcquisitionMode::PeakDetect
    );
    assert_eq!(dl.set_samplerate(1e3).unwrap(), 1000.0);
    assert_eq!(dl.set_samplerate(2000).unwrap(), 2000.0);
    assert_eq!(dl.get_samplerate().unwrap(), 2000.0);
    dl.set_defaults().unwrap();
    let s = dl.summary().unwrap();
    assert!(s.contains("Moku:Pro"), "{s}");
}

#[test]
fn waveforms_of_every_type() {
    let emu = common::emulator(EmuModel::Lab);
    let dl = common::connect(&emu);
    let cases = [
        Waveform::off(),
        Waveform::sine(1, 1000).with_offset(0.1).with_phase(90),
        Waveform::square(0.5, 2e3).duty(25),
        Waveform::ramp(0.5, 100).symmetry(75),
        Waveform::pulse(1.0, 1e3).edge_time(1e-8).pulse_width(1e-4),
        Waveform::noise(0.2),
        Waveform::dc(0.5),
    ];
    for w in &cases {
        let r = dl.generate_waveform(1, w).unwrap();
        assert_eq!(r.kind.as_ref(), Some(&w.kind), "{w:?}");
    }
    let sine = dl.generate_waveform(2, &Waveform::sine(0.75, 50)).unwrap();
    assert_eq!(sine.amplitude, Some(0.75));
    assert_eq!(sine.frequency, Some(50.0));
    let sq = dl
        .generate_waveform(2, &Waveform::square(1, 10).duty(30))
        .unwrap();
    assert_eq!(sq.duty, Some(30.0));
    let dc = dl.generate_waveform(2, &Waveform::dc(-0.25)).unwrap();
    assert_eq!(dc.kind, Some(WaveformType::Dc));
    assert_eq!(dc.dc_level, Some(-0.25));
    dl.sync_output_phase().unwrap();
    assert_eq!(
        dl.set_output_termination(1, Termination::FiftyOhm).unwrap(),
        Termination::FiftyOhm
    );
    assert_eq!(dl.get_output_termination(1).unwrap(), Termination::FiftyOhm);
    assert_eq!(
        dl.set_output_load(2, Load::OneMegaOhm).unwrap(),
        Termination::HiZ
    );
    assert_eq!(dl.get_output_load(2).unwrap(), Termination::HiZ);
}

#[test]
fn logging_session_downloads_a_decodable_file() {
    let emu = common::emulator(EmuModel::Go);
    emu.set_input_signal(1, Signal::Constant(0.25));
    let dl = common::connect(&emu);
    dl.set_samplerate(1000).unwrap();
    let opts = LoggingOptions {
        duration: Num::Float(0.3),
        file_name_prefix: "test".into(),
        comments: "from rust".into(),
        ..LoggingOptions::default()
    };
    let mut events = Vec::new();
    let mut bytes = Vec::new();
    let logged = dl
        .log_to_writer(&opts, Duration::from_millis(50), &mut bytes, &mut |e| {
            events.push(e.clone())
        })
        .unwrap();
    assert!(matches!(events.first(), Some(LogEvent::Started(_))));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, LogEvent::Progress(p) if p.complete))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, LogEvent::Downloading { .. }))
    );
    assert!(logged.file_name.starts_with("test"), "{}", logged.file_name);
    assert_eq!(logged.location.as_str(), "persist");
    assert_eq!(logged.bytes, bytes.len() as u64);
    let doc = li::decode(&bytes).unwrap();
    assert_eq!(doc.header.instrument_id, 7);
    let ch1 = &doc.channels[0];
    assert!(!ch1.is_empty());
    assert!(ch1.samples().all(|v| v == 0.25), "{:?}", &ch1.values[..4]);
    assert!((doc.header.time_step - 1e-3).abs() < 1e-12);
    // The file is listed, downloadable again, deletable.
    let files = dl.session().list(&logged.location).unwrap();
    assert!(files.contains(&logged.file_name));
    let again = dl
        .session()
        .download_bytes(&logged.location, &logged.file_name)
        .unwrap();
    assert_eq!(again, bytes);
    let dir = std::env::temp_dir().join(format!("moku-client-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dl.li");
    let n = dl
        .session()
        .download(&logged.location, &logged.file_name, &path)
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap().len() as u64, n);
    std::fs::remove_dir_all(&dir).unwrap();
    dl.session()
        .delete(&logged.location, &logged.file_name)
        .unwrap();
    assert!(
        !dl.session()
            .list(&logged.location)
            .unwrap()
            .contains(&logged.file_name)
    );
    // The same through log_to_file.
    let dir = std::env::temp_dir().join(format!("moku-client-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.li");
    let opts = LoggingOptions {
        duration: Num::Float(0.1),
        ..LoggingOptions::default()
    };
    let logged = dl
        .log_to_file(&opts, Duration::from_millis(20), &path, &mut |_| {})
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, logged.bytes);
    assert!(!li::decode(&bytes).unwrap().channels[0].is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn start_stop_logging_and_progress() {
    let emu = common::emulator(EmuModel::Go);
    let dl = common::connect(&emu);
    let idle = dl.logging_progress().unwrap();
    assert!(!idle.running);
    let started = dl
        .start_logging(&LoggingOptions {
            duration: Num::Int(30),
            ..LoggingOptions::default()
        })
        .unwrap();
    let name = started.file_name.clone().unwrap();
    assert!(dl.logging_progress().unwrap().running);
    dl.stop_logging().unwrap();
    let p = dl.logging_progress().unwrap();
    assert!(!p.running);
    let files = dl
        .session()
        .list(&moku_client::FileTarget::Persist)
        .unwrap();
    assert!(files.contains(&name), "{files:?}");
    // A second stop is refused by the device.
    let e = dl.stop_logging().unwrap_err();
    assert_eq!(
        e.api_code(),
        Some(&moku_client::ApiCode::InvalidRequest),
        "{e}"
    );
}

#[test]
fn streaming_chunks_decode() {
    let emu = common::emulator(EmuModel::Go);
    emu.set_input_signal(1, Signal::FromOutput(1));
    let dl = common::connect(&emu);
    dl.generate_waveform(1, &Waveform::dc(0.5)).unwrap();
    let started = dl
        .start_streaming(&StreamingOptions {
            duration: Some(Num::Float(0.3)),
            sample_rate: Some(Num::Int(1000)),
            ..StreamingOptions::default()
        })
        .unwrap();
    assert_eq!(dl.stream_id().as_deref(), Some(started.stream_id.as_str()));
    let status = dl.get_stream_status().unwrap();
    assert!(status.status.is_some());
    let mut seq = li::ChunkSequence::new();
    let mut samples = 0;
    let mut ended = false;
    for _ in 0..400 {
        match dl.get_chunk() {
            Ok(bytes) => {
                for ch in seq.push(&bytes).unwrap() {
                    if ch.channel == 0 {
                        assert!(
                            ch.samples().all(|v| (v - 0.5).abs() < 1e-4),
                            "{:?}",
                            &ch.values[..2]
                        );
                        samples += ch.len();
                    }
                }
                if bytes.is_empty() {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Err(e) if e.is_end_of_stream() => {
                ended = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(ended);
    assert!(samples > 0);
    let done = dl.get_stream_status().unwrap();
    assert!(
        matches!(
            done.status,
            Some(StreamState::Completed | StreamState::Idle)
        ),
        "{done:?}"
    );
    dl.stop_streaming().unwrap();
    // The stream id is kept after stop; an explicit id is accepted too.
    assert_eq!(dl.stream_id().as_deref(), Some(started.stream_id.as_str()));
    let after = dl.get_chunk_for(&started.stream_id);
    assert!(
        after.is_ok() || after.as_ref().is_err_and(|e| e.is_end_of_stream()),
        "{after:?}"
    );
}

#[test]
fn settings_round_trip() {
    let emu = common::emulator(EmuModel::Go);
    let dl = common::connect(&emu);
    dl.set_samplerate(500).unwrap();
    let saved = dl.save_settings_bytes().unwrap();
    assert!(!saved.is_empty());
    dl.set_samplerate(2000).unwrap();
    dl.load_settings_bytes(&saved).unwrap();
    assert_eq!(dl.get_samplerate().unwrap(), 500.0);
    let dir = std::env::temp_dir().join(format!("moku-client-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.mokuconf");
    dl.save_settings(&path).unwrap();
    dl.set_samplerate(2000).unwrap();
    dl.load_settings(&path).unwrap();
    assert_eq!(dl.get_samplerate().unwrap(), 500.0);
    std::fs::remove_dir_all(&dir).unwrap();
    let e = dl.load_settings_bytes(b"garbage").unwrap_err();
    assert!(e.api_code().is_some(), "{e}");
}

#[test]
fn strict_false_coercion_reports_warnings() {
    let emu = common::emulator(EmuModel::Go);
    let dl = std::sync::Arc::new(common::connect(&emu));
    // Per call, through a shared handle: the warnings come back with the call that caused them.
    let r = dl.relaxed(|d| d.set_samplerate(5e6)).unwrap();
    assert!(r.value <= 1e6, "{}", r.value);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.warnings[0].operation, "slot1/datalogger/set_samplerate");
    // A strict call inside relaxed() brings no warnings; the handle itself stays strict.
    assert!(dl.strict());
    let quiet = dl.relaxed(|d| d.get_samplerate()).unwrap();
    assert!(quiet.warnings.is_empty());
    let view = dl.with_strict(false);
    assert!(!view.strict());
    assert!(view.set_samplerate(2e6).unwrap() <= 1e6);
    let w = dl.last_warnings();
    assert!(!w.is_empty());
    let queued = dl.session().take_warnings();
    assert!(
        queued
            .iter()
            .any(|q| q.operation == "slot1/datalogger/set_samplerate")
    );
    assert!(dl.session().take_warnings().is_empty());
    // The same value with strict=true is refused before any request (per-model validation)...
    let e = dl.set_samplerate(5e6).unwrap_err();
    assert!(
        matches!(
            e,
            moku_client::Error::InvalidArgument {
                parameter: "sample_rate",
                ..
            }
        ),
        "{e}"
    );
    // ...and by the device when validation is off.
    let e = dl.with_validation(false).set_samplerate(5e6).unwrap_err();
    assert_eq!(
        e.api_code(),
        Some(&moku_client::ApiCode::InvalidParam),
        "{e}"
    );
}

/// The limits agree with the seed and with the emulator (docs/moku-protocol.md §11.1).
#[test]
fn validation_agrees_with_the_seed_and_the_device() {
    use moku_client::{AcquisitionMode, LoggingOptions};
    // DeepMemory (the seed lists it) is accepted where the model's list does not exclude it...
    let emu = common::emulator(EmuModel::Go);
    let dl = common::connect(&emu);
    assert_eq!(
        dl.set_acquisition_mode(AcquisitionMode::DeepMemory)
            .unwrap(),
        AcquisitionMode::DeepMemory
    );
    // ...the seed's 4 mV amplitude minimum holds on the Go, locally and on the device.
    let e = dl
        .generate_waveform(1, &Waveform::sine(0.003, 10))
        .unwrap_err();
    assert!(e.is_invalid_param(), "{e}");
    let e = dl
        .with_validation(false)
        .generate_waveform(1, &Waveform::sine(0.003, 10))
        .unwrap_err();
    assert!(matches!(e, moku_client::Error::Api { .. }), "{e}");
    assert!(e.is_invalid_param(), "{e}");
    dl.generate_waveform(1, &Waveform::sine(0.004, 10)).unwrap();
    dl.relinquish_ownership().unwrap();
    // Lab's list is Normal and Precision only.
    let lab = common::emulator(EmuModel::Lab);
    let dl = common::connect(&lab);
    let e = dl
        .set_acquisition_mode(AcquisitionMode::DeepMemory)
        .unwrap_err();
    assert!(e.is_invalid_param(), "{e}");
    let e = dl
        .with_validation(false)
        .set_acquisition_mode(AcquisitionMode::DeepMemory)
        .unwrap_err();
    assert!(e.is_invalid_param(), "{e}");
    dl.relinquish_ownership().unwrap();
    // start_logging is 10 Sa/s to 1 MSa/s on every model (the seed), even where set_samplerate
    // goes higher: refused locally, and by the device when validation is off.
    let pro = common::emulator(EmuModel::Pro);
    let dl = common::connect(&pro);
    assert_eq!(dl.set_samplerate(1.2e6).unwrap(), 1.2e6);
    let fast = LoggingOptions {
        sample_rate: Some(1.2e6.into()),
        ..LoggingOptions::default()
    };
    let e = dl.start_logging(&fast).unwrap_err();
    assert!(
        matches!(
            e,
            moku_client::Error::InvalidArgument {
                parameter: "sample_rate",
                ..
            }
        ),
        "{e}"
    );
    let e = dl.with_validation(false).start_logging(&fast).unwrap_err();
    assert!(e.is_invalid_param(), "{e}");
}

/// The device calls Python has on the instrument, and the raw escape hatch.
#[test]
fn device_calls_on_the_instrument_and_call_json() {
    use moku_client::{FileTarget, Method, request_body::Object};
    let emu = common::emulator(EmuModel::Pro);
    let dl = common::connect(&emu);
    assert_eq!(dl.firmware_version().unwrap(), dl.mokuos_version().unwrap());
    assert_eq!(dl.serial_number().unwrap(), "000123");
    assert!(!dl.name().unwrap().is_empty());
    assert_eq!(dl.describe().unwrap().model, moku_client::Model::Pro);
    assert!(!dl.calibration_date().unwrap().is_empty());
    dl.upload(&FileTarget::Tmp, "a.txt", b"hi").unwrap();
    assert!(
        dl.list(&FileTarget::Tmp)
            .unwrap()
            .contains(&"a.txt".to_owned())
    );
    dl.delete(&FileTarget::Tmp, "a.txt").unwrap();
    // Any endpoint, typed or not: GET without a body, POST with one (or an empty one).
    let rate = dl
        .call_json(Method::Get, "slot1/datalogger/get_samplerate", None)
        .unwrap();
    assert!(rate["sample_rate"].as_f64().unwrap() > 0.0);
    let fe = dl
        .call_json(
            Method::Post,
            "/api/slot1/datalogger/get_frontend",
            Some(&Object::new().with("channel", 2)),
        )
        .unwrap();
    assert!(fe.get("range").is_some(), "{fe}");
    assert!(
        dl.call_json(Method::Post, "slot1/datalogger/sync_output_phase", None)
            .unwrap()
            .is_null()
    );
    // Plain Rust numbers convert (u64, usize, f64).
    let n: usize = 2000;
    assert_eq!(dl.set_samplerate(n).unwrap(), 2000.0);
    assert_eq!(dl.set_samplerate(3000u64).unwrap(), 3000.0);
}
