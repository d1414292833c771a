//! Every error path through the emulator's fault injection.
#![cfg(feature = "ureq")]

mod common;

use std::time::Duration;

use moku_client::li::LiError;
use moku_client::{
    ApiCode, ConnectOptions, Error, FileTarget, Session, Timeouts, TransportErrorKind, Waveform,
};
use moku_emulator::{Fault, FaultRule, Model};

fn status(code: u16, body: &str) -> Fault {
    Fault::Status {
        code,
        body: body.into(),
    }
}

#[test]
fn http_statuses_on_enveloped_endpoints() {
    let emu = common::emulator(Model::Go);
    let dl = common::connect(&emu);
    let f = emu.faults();
    f.inject(FaultRule::once("get_samplerate", status(404, "")));
    assert!(matches!(
        dl.get_samplerate(),
        Err(Error::OperationNotFound { .. })
    ));
    f.inject(FaultRule::once("get_samplerate", status(500, "kaboom")));
    match dl.get_samplerate() {
        Err(Error::ServerError { body: Some(b), .. }) => assert_eq!(b, "kaboom"),
        other => panic!("{other:?}"),
    }
    f.inject(FaultRule::once("get_samplerate", status(500, "")));
    let e = dl.get_samplerate().unwrap_err();
    assert!(matches!(e, Error::ServerError { body: None, .. }));
    assert!(
        e.to_string()
            .ends_with("Unknown exception. Status code: 500")
    );
    f.inject(FaultRule::once(
        "get_samplerate",
        status(502, "bad gateway"),
    ));
    assert!(matches!(
        dl.get_samplerate(),
        Err(Error::MissingApiServer { .. })
    ));
    f.inject(FaultRule::once("get_samplerate", status(504, "")));
    assert!(matches!(
        dl.get_samplerate(),
        Err(Error::GatewayTimeout { .. })
    ));
    f.inject(FaultRule::once("get_samplerate", status(418, "teapot")));
    assert!(matches!(
        dl.get_samplerate(),
        Err(Error::UnexpectedStatus { status: 418, .. })
    ));
    f.inject(FaultRule::once("get_samplerate", Fault::NotJson));
    assert!(matches!(
        dl.get_samplerate(),
        Err(Error::MalformedReply { .. })
    ));
    // The session still works afterwards.
    dl.get_samplerate().unwrap();
}

#[test]
fn envelope_codes() {
    let emu = common::emulator(Model::Go);
    let dl = common::connect(&emu);
    let codes = [
        ("NO_PLATFORM_BIT_STREAM", ApiCode::NoPlatformBitstream),
        ("NO_BITSTREAM", ApiCode::NoInstrumentBitstream),
        ("INVALID_PARAM", ApiCode::InvalidParam),
        ("INVALID_REQUEST", ApiCode::InvalidRequest),
        ("NETWORK_ERROR", ApiCode::NetworkError),
        ("UNEXPECTED_CHANGE", ApiCode::UnexpectedChange),
        ("PLATFORM_NOT_SUPPORTED", ApiCode::PlatformNotSupported),
        ("INSTRUMENT_NOT_SUPPORTED", ApiCode::InstrumentNotSupported),
        ("SOMETHING_NEW", ApiCode::Other("SOMETHING_NEW".into())),
    ];
    for (code, want) in codes {
        emu.faults().inject(FaultRule::once(
            "set_frontend",
            Fault::Envelope {
                code: code.into(),
                messages: vec!["first".into(), "second".into()],
            },
        ));
        let e = dl
            .set_frontend(
                1,
                moku_client::Impedance::OneMegaOhm,
                moku_client::Coupling::Dc,
                moku_client::Range::R10Vpp,
                None,
            )
            .unwrap_err();
        match e {
            Error::Api {
                code,
                messages,
                operation,
            } => {
                assert_eq!(code, want);
                assert_eq!(messages, ["first", "second"]);
                assert_eq!(operation, "slot1/datalogger/set_frontend");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn dropped_connection_is_retried_once() {
    let emu = common::emulator(Model::Go);
    let dl = common::connect(&emu);
    emu.faults()
        .inject(FaultRule::once("get_samplerate", Fault::DropConnection));
    dl.get_samplerate().unwrap();
    emu.faults().inject(FaultRule {
        path_contains: "get_samplerate".into(),
        times: 2,
        fault: Fault::DropConnection,
    });
    let e = dl.get_samplerate().unwrap_err();
    match &e {
        Error::Transport { source, .. } => {
            assert_ne!(source.kind, TransportErrorKind::Timeout, "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.faults().pending(), 0);
    dl.get_samplerate().unwrap();
}

#[test]
fn read_timeout_is_retried_once_then_reported() {
    let emu = common::emulator(Model::Go);
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        read: Duration::from_millis(150),
        ..Timeouts::default()
    };
    let dl = common::connect_with(
        &emu,
        ConnectOptions {
            timeouts,
            ..ConnectOptions::default()
        },
    )
    .unwrap();
    let slow = Fault::Delay(Duration::from_millis(600));
    emu.faults()
        .inject(FaultRule::once("get_acquisition_mode", slow.clone()));
    dl.get_acquisition_mode().unwrap();
    emu.faults().inject(FaultRule {
        path_contains: "get_acquisition_mode".into(),
        times: 2,
        fault: slow,
    });
    let e = dl.get_acquisition_mode().unwrap_err();
    assert!(e.is_timeout(), "{e}");
}

#[test]
fn nothing_listening() {
    let emu = common::emulator(Model::Go);
    let host = emu.host();
    emu.shutdown();
    let e = Session::connect(&host, ConnectOptions::default()).unwrap_err();
    match e {
        Error::Transport { source, operation } => {
            assert_eq!(source.kind, TransportErrorKind::Connect);
            assert_eq!(operation, "moku/claim_ownership");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn connect_time_failures() {
    let emu = common::emulator(Model::Go);
    emu.faults()
        .inject(FaultRule::once("claim_ownership", status(404, "")));
    assert!(matches!(
        common::connect_with(&emu, ConnectOptions::default()),
        Err(Error::MissingApiServer { .. })
    ));
    emu.faults()
        .inject(FaultRule::once("v2/bitstreams", status(503, "busy")));
    match common::connect_with(&emu, ConnectOptions::default()) {
        Err(Error::BitstreamListFailed { status: 503, body }) => assert_eq!(body, "busy"),
        other => panic!("{other:?}"),
    }
    // Unlike the official client, that failure does not leave the device owned.
    common::connect(&emu).relinquish_ownership().unwrap();
    emu.faults().inject(FaultRule::once(
        "instrument_supported",
        Fault::Envelope {
            code: "INSTRUMENT_NOT_SUPPORTED".into(),
            messages: vec!["no".into()],
        },
    ));
    let e = common::connect_with(&emu, ConnectOptions::default()).unwrap_err();
    assert_eq!(e.api_code(), Some(&ApiCode::InstrumentNotSupported));
    // ...and relinquished after a failure once owned.
    emu.faults()
        .inject(FaultRule::once("describe", Fault::NotJson));
    assert!(matches!(
        common::connect_with(&emu, ConnectOptions::default()),
        Err(Error::MalformedReply { .. })
    ));
    common::connect(&emu);
}

#[test]
fn chunk_and_download_failures() {
    let emu = common::emulator(Model::Go);
    let dl = common::connect(&emu);
    dl.set_samplerate(1000).unwrap();
    dl.start_streaming(&Default::default()).unwrap();
    emu.faults()
        .inject(FaultRule::once("get_chunk", status(500, "x")));
    match dl.get_chunk() {
        Err(Error::Stream(m)) => assert_eq!(m, "Error fetching stream."),
        other => panic!("{other:?}"),
    }
    std::thread::sleep(Duration::from_millis(30));
    emu.faults()
        .inject(FaultRule::once("get_chunk", Fault::CorruptChunk));
    let bytes = dl.get_chunk().unwrap();
    assert!(moku_client::li::decode(&bytes).is_err());
    std::thread::sleep(Duration::from_millis(30));
    emu.faults()
        .inject(FaultRule::once("get_chunk", Fault::TruncateChunk(50)));
    let bytes = dl.get_chunk().unwrap();
    assert_eq!(
        moku_client::li::decode(&bytes),
        Err(LiError::Truncated("header"))
    );
    dl.stop_streaming().unwrap();
    emu.faults()
        .inject(FaultRule::once("save_settings", status(500, "nope")));
    assert!(matches!(
        dl.save_settings_bytes(),
        Err(Error::DownloadFailed { status: 500, .. })
    ));
    emu.faults()
        .inject(FaultRule::once("download", status(500, "nope")));
    assert!(matches!(
        dl.session().download_bytes(&FileTarget::Persist, "x.li"),
        Err(Error::DownloadFailed { status: 500, .. })
    ));
    emu.faults()
        .inject(FaultRule::once("upload", status(502, "")));
    assert!(matches!(
        dl.session().upload(&FileTarget::Tmp, "a", b"x"),
        Err(Error::MissingApiServer { .. })
    ));
    emu.faults()
        .inject(FaultRule::once("delete", Fault::NotJson));
    assert!(matches!(
        dl.session().delete(&FileTarget::Tmp, "a"),
        Err(Error::MalformedReply { .. })
    ));
}

#[test]
fn validation_happens_before_any_request() {
    let emu = common::emulator(Model::Go);
    let dl = common::connect(&emu);
    // A pending fault on the path proves no request reached the device.
    emu.faults()
        .inject(FaultRule::once("slot1/datalogger", Fault::NotJson));
    let checks: Vec<moku_client::Result<()>> = vec![
        dl.set_frontend(
            3,
            moku_client::Impedance::OneMegaOhm,
            moku_client::Coupling::Dc,
            moku_client::Range::R10Vpp,
            None,
        )
        .map(drop),
        dl.set_frontend(
            1,
            moku_client::Impedance::FiftyOhm,
            moku_client::Coupling::Dc,
            moku_client::Range::R10Vpp,
            None,
        )
        .map(drop),
        dl.set_frontend(
            1,
            moku_client::Impedance::OneMegaOhm,
            moku_client::Coupling::Dc,
            moku_client::Range::R4Vpp,
            None,
        )
        .map(drop),
        dl.set_acquisition_mode(moku_client::AcquisitionMode::Other("Turbo".into()))
            .map(drop),
        dl.set_samplerate(1).map(drop),
        dl.generate_waveform(1, &Waveform::sine(20, 10)).map(drop),
        dl.generate_waveform(1, &Waveform::sine(1, 1e9)).map(drop),
        dl.generate_waveform(1, &Waveform::square(1, 10).duty(150))
            .map(drop),
        dl.generate_waveform(1, &Waveform::pulse(1, 10).edge_time(1e-9).pulse_width(1e-3))
            .map(drop),
        dl.generate_waveform(
            1,
            &Waveform::new(moku_client::WaveformType::Other("Chirp".into())),
        )
        .map(drop),
        dl.set_output_termination(1, moku_client::Termination::FiftyOhm)
            .map(drop),
        dl.start_logging(&moku_client::LoggingOptions {
            trigger_source: Some(moku_client::TriggerSource::External),
            ..Default::default()
        })
        .map(drop),
        dl.start_streaming(&moku_client::StreamingOptions {
            trigger_level: Some(9.into()),
            ..Default::default()
        })
        .map(drop),
        dl.get_frontend(0).map(drop),
    ];
    for c in checks {
        let e = c.unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        // The same kind as the device's INVALID_PARAM.
        assert!(e.is_invalid_param(), "{e}");
        assert_eq!(e.api_code(), Some(&moku_client::ApiCode::InvalidParam));
    }
    assert_eq!(emu.faults().pending(), 1);
    let e = dl.set_samplerate(5e6).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid sample_rate 5000000 for Moku:Go: allowed 10 to 1000000"
    );
}
