//! Session-level behaviour against the emulator: ownership, describe, files, bitstreams, slots.
#![cfg(feature = "ureq")]

mod common;

use moku_client::{
    BitstreamPolicy, ConnectOptions, Datalogger, Error, FileTarget, Model, MultiInstrument,
    Session, Waveform,
};
use moku_emulator::Model as EmuModel;

#[test]
fn describe_and_device_endpoints() {
    let emu = common::emulator(EmuModel::Delta);
    let s = Session::connect(&emu.host(), ConnectOptions::default()).unwrap();
    assert_eq!(s.model(), Model::Delta);
    let d = s.description();
    assert_eq!(d.proxy_version, Some(3));
    assert!(!d.mokuos.is_empty());
    assert_eq!(s.describe().unwrap().model, Model::Delta);
    assert!(s.client_key().is_some());
    assert!(s.is_owner());
    assert!(!s.name().unwrap().is_empty());
    assert_eq!(s.serial_number().unwrap(), "000123");
    assert_eq!(s.mokuos_version().unwrap(), d.mokuos);
    assert!(!s.calibration_date().unwrap().is_empty());
    assert!(!s.summary().unwrap().is_empty());
    assert_eq!(s.host().url_authority(), emu.host());
}

#[test]
fn an_empty_host_needs_a_serial() {
    let err = Datalogger::connect(" ", ConnectOptions::default()).expect_err("no host");
    assert!(
        matches!(
            err,
            Error::NoHost {
                serial_given: false
            }
        ),
        "{err:?}"
    );
}

/// Without the `discovery` feature, `serial=` with no host is refused, never ignored.
#[cfg(not(feature = "discovery"))]
#[test]
fn serial_without_discovery_is_refused() {
    let options = ConnectOptions {
        serial: Some("000123".into()),
        ..ConnectOptions::default()
    };
    let err = Datalogger::connect("", options).expect_err("no discovery in this build");
    assert!(
        matches!(err, Error::NoHost { serial_given: true }),
        "{err:?}"
    );
    assert!(err.to_string().contains("feature `discovery`"), "{err}");
}

#[test]
fn serial_is_checked_after_connect_as_a_number() {
    let emu = common::emulator(EmuModel::Go); // serial 000123
    let with = |serial: &str| ConnectOptions {
        serial: Some(serial.into()),
        ..ConnectOptions::default()
    };
    // Regression: "123" used to be refused (text compare) although discovery, as the official
    // client, matches it to the published 000123.
    for same in ["000123", "123", " 123 "] {
        let s = Session::connect(&emu.host(), with(same)).unwrap();
        s.relinquish_ownership().unwrap();
    }
    let err = Session::connect(&emu.host(), with("124")).err().unwrap();
    assert!(
        matches!(&err, Error::SerialMismatch { expected, found } if expected == "124" && found == "000123"),
        "{err:?}"
    );
    // The refused connect let the device go: a plain connect needs no force_connect.
    Session::connect(&emu.host(), ConnectOptions::default()).unwrap();
}

#[test]
fn ownership_is_kept_on_drop_as_python_does() {
    let emu = common::emulator(EmuModel::Go);
    let first = common::connect(&emu);
    // Owned: a second client without force_connect is refused by the device.
    let e = common::connect_with(&emu, ConnectOptions::default()).unwrap_err();
    assert!(e.api_code().is_some(), "{e}");
    // Python never relinquishes on its own: dropping the handle leaves the device owned.
    drop(first);
    let e = common::connect_with(&emu, ConnectOptions::default()).unwrap_err();
    assert!(e.api_code().is_some(), "{e}");
    // force_connect takes it over; an explicit relinquish lets it go (once).
    let forced = common::connect_with(
        &emu,
        ConnectOptions {
            force_connect: true,
            ..ConnectOptions::default()
        },
    )
    .unwrap();
    forced.relinquish_ownership().unwrap();
    assert!(!forced.session().is_owner());
    forced.relinquish_ownership().unwrap(); // sends nothing the second time
    drop(forced);
    // Opt-in relinquish on drop.
    let on_drop = ConnectOptions {
        relinquish_on_drop: true,
        ..ConnectOptions::default()
    };
    drop(common::connect_with(&emu, on_drop.clone()).unwrap());
    // ...but never while a logging session it started is running (the seed's warning).
    let logger = common::connect_with(&emu, on_drop).unwrap();
    logger
        .start_logging(&moku_client::LoggingOptions {
            duration: 30.into(),
            ..Default::default()
        })
        .unwrap();
    drop(logger);
    let e = common::connect_with(&emu, ConnectOptions::default()).unwrap_err();
    assert!(e.api_code().is_some(), "{e}");
    let again = common::connect_with(
        &emu,
        ConnectOptions {
            force_connect: true,
            ignore_busy: true,
            ..ConnectOptions::default()
        },
    )
    .unwrap();
    again.stop_logging().unwrap();
    again.relinquish_ownership().unwrap();
}

#[test]
fn files_upload_list_download_delete() {
    let emu = common::emulator(EmuModel::Pro);
    let dl = common::connect(&emu);
    let s = dl.session();
    let name = "my file ü.bin";
    s.upload(&FileTarget::Tmp, name, b"hello world").unwrap();
    assert!(s.list(&FileTarget::Tmp).unwrap().iter().any(|f| f == name));
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let n = s
        .download_to(&FileTarget::Tmp, name, &mut out, &mut |got, total| {
            seen.push((got, total))
        })
        .unwrap();
    assert_eq!(n, 11);
    assert_eq!(out, b"hello world");
    assert_eq!(seen.last(), Some(&(11, Some(11))));
    assert!(!s.delete(&FileTarget::Tmp, name).unwrap().is_empty());
    assert!(!s.list(&FileTarget::Tmp).unwrap().iter().any(|f| f == name));
    let e = s.download_bytes(&FileTarget::Tmp, name).unwrap_err();
    assert!(
        matches!(e, Error::DownloadFailed { status: 404, .. }),
        "{e}"
    );
}

/// A minimal ustar archive holding one `MANIFEST` file.
fn mokuinst(sha: &str) -> Vec<u8> {
    let content = format!("{{\"items\": [{{\"sha256\": \"{sha}\"}}]}}");
    let mut h = [0u8; 512];
    h[..8].copy_from_slice(b"MANIFEST");
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", content.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(content.as_bytes());
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

/// An emulator that starts without bitstreams, as a fresh device.
fn fresh(model: EmuModel) -> moku_emulator::Emulator {
    moku_emulator::Emulator::start(moku_emulator::Config {
        model,
        bitstreams_installed: false,
        ..moku_emulator::Config::default()
    })
    .unwrap()
}

/// A data directory in the layout `mokucli instrument download` writes (build 4400, the
/// emulator's), holding fake bitstreams `name` → sha256.
struct DataDir(std::path::PathBuf);

impl DataDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "moku-client-test-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn put(&self, hw: &str, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = self.0.join("instruments").join("4400").join(hw);
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(format!("{name}.mokuinst"));
        std::fs::write(&f, bytes).unwrap();
        f
    }
    fn options(&self) -> ConnectOptions {
        ConnectOptions {
            data_dir: Some(self.0.clone()),
            force_connect: true,
            ..ConnectOptions::default()
        }
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn listed(s: &Session, name: &str) -> Option<String> {
    s.list_bitstreams()
        .unwrap()
        .iter()
        .find(|b| b["filename"] == name)
        .and_then(|b| b["sha256"].as_str().map(str::to_owned))
}

#[test]
fn bitstreams_are_uploaded_from_the_data_directory() {
    let emu = fresh(EmuModel::Pro);
    let data = DataDir::new("upload");
    // Nothing on the device, nothing on disk: the error names the file looked for.
    let e = common::connect_with(&emu, data.options()).unwrap_err();
    let want = data.0.join("instruments/4400/mokupro/01-000.mokuinst");
    assert!(
        matches!(&e, Error::MissingBitstream { name, looked_for: Some(p), .. } if name == "01-000" && *p == want),
        "{e}"
    );
    assert!(e.to_string().contains(&want.display().to_string()), "{e}");
    assert!(e.to_string().contains("mokucli instrument download"), "{e}");
    // The platform file alone: the Datalogger's is named next.
    data.put("mokupro", "01-000", &mokuinst("aa"));
    let e = common::connect_with(&emu, data.options()).unwrap_err();
    assert!(
        matches!(&e, Error::MissingBitstream { name, .. } if name == "01-007-00"),
        "{e}"
    );
    data.put("mokupro", "01-007-00", &mokuinst("bb"));
    let dl = common::connect_with(&emu, data.options()).unwrap();
    assert_eq!(listed(dl.session(), "01-000").as_deref(), Some("aa"));
    assert_eq!(listed(dl.session(), "01-007-00").as_deref(), Some("bb"));
    assert!(dl.get_samplerate().unwrap() > 0.0);
    dl.relinquish_ownership().unwrap();
    drop(dl);
    // Same sha256 on both sides: no upload (a failing upload endpoint is never reached).
    emu.faults().inject(moku_emulator::FaultRule::always(
        "bitstreams/upload",
        moku_emulator::Fault::Status {
            code: 500,
            body: "upload refused".into(),
        },
    ));
    let dl = common::connect_with(&emu, data.options()).unwrap();
    dl.relinquish_ownership().unwrap();
    drop(dl);
    // A changed local file is uploaded again (and here the upload fails: the error says so).
    data.put("mokupro", "01-007-00", &mokuinst("cc"));
    let e = common::connect_with(&emu, data.options()).unwrap_err();
    assert!(
        matches!(&e, Error::ServerError { operation, .. } if operation == "bitstreams/upload/01-007-00.mokuinst"),
        "{e}"
    );
    emu.faults().clear();
    let dl = common::connect_with(&emu, data.options()).unwrap();
    assert_eq!(listed(dl.session(), "01-007-00").as_deref(), Some("cc"));
    dl.relinquish_ownership().unwrap();
    drop(dl);
    // A file that is not a .mokuinst archive.
    let bad = data.put("mokupro", "01-000", b"not a tar archive");
    let e = common::connect_with(&emu, data.options()).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidBitstream { path, .. } if *path == bad),
        "{e}"
    );
}

#[test]
fn bitstreams_on_the_device_need_no_local_copy() {
    // The default emulator lists every bitstream, as a device used before: no data directory
    // is needed and nothing is uploaded (a failing upload endpoint is never reached).
    let emu = common::emulator(EmuModel::Go);
    emu.faults().inject(moku_emulator::FaultRule::always(
        "bitstreams/upload",
        moku_emulator::Fault::Status {
            code: 500,
            body: String::new(),
        },
    ));
    let data = DataDir::new("none");
    let dl = common::connect_with(&emu, data.options()).unwrap();
    assert!(dl.session().take_warnings().is_empty());
}

#[test]
fn bitstream_policies() {
    let emu = fresh(EmuModel::Go);
    let require = ConnectOptions {
        bitstreams: BitstreamPolicy::Require,
        ..ConnectOptions::default()
    };
    // Require refuses (and relinquishes), Check warns; neither uploads.
    let e = common::connect_with(&emu, require.clone()).unwrap_err();
    assert!(
        matches!(e, Error::MissingBitstream { ref name, looked_for: None, .. } if name == "01-000"),
        "{e}"
    );
    let check = ConnectOptions {
        bitstreams: BitstreamPolicy::Check,
        ..ConnectOptions::default()
    };
    let dl = common::connect_with(&emu, check).unwrap();
    let warnings = dl.session().take_warnings();
    assert!(
        warnings.iter().any(|w| w.message.contains("01-007-00")),
        "{warnings:?}"
    );
    dl.session()
        .upload_bitstream("01-000", &mokuinst("aa"))
        .unwrap();
    dl.session()
        .upload_bitstream("01-007-00", &mokuinst("bb"))
        .unwrap();
    assert_eq!(listed(dl.session(), "01-007-00").as_deref(), Some("bb"));
    dl.relinquish_ownership().unwrap();
    drop(dl);
    let dl = common::connect_with(&emu, require).unwrap();
    assert!(dl.session().take_warnings().is_empty());
    dl.relinquish_ownership().unwrap();
    drop(dl);
    let off = ConnectOptions {
        bitstreams: BitstreamPolicy::Disabled,
        ..ConnectOptions::default()
    };
    emu.faults().inject(moku_emulator::FaultRule::always(
        "bitstreams",
        moku_emulator::Fault::Status {
            code: 500,
            body: String::new(),
        },
    ));
    // No bitstream traffic at all: the failing listing is never asked for.
    common::connect_with(&emu, off).unwrap();
}

#[test]
fn multi_instrument_uploads_slot_bitstreams_and_wires_the_slot() {
    use moku_client::{Connection, Endpoint};
    let emu = fresh(EmuModel::Pro);
    let data = DataDir::new("multi");
    for name in ["04-000", "04-000-00", "04-000-01", "04-000-02", "04-000-03"] {
        data.put("mokupro", name, &mokuinst(&format!("sha-{name}")));
    }
    let m = MultiInstrument::connect(&emu.host(), 4, data.options()).unwrap();
    assert_eq!(
        listed(m.session(), "04-000-03").as_deref(),
        Some("sha-04-000-03")
    );
    // The Datalogger's slot-2 bitstream is missing: named, with the path.
    let e = m.set_datalogger(2).unwrap_err();
    assert!(
        matches!(&e, Error::MissingBitstream { name, looked_for: Some(_), .. } if name == "04-007-01"),
        "{e}"
    );
    let m = MultiInstrument::connect(&emu.host(), 4, data.options()).unwrap();
    data.put("mokupro", "04-007-01", &mokuinst("dl-slot2"));
    let dl = m.set_datalogger(2).unwrap();
    assert_eq!(
        listed(m.session(), "04-007-01").as_deref(),
        Some("dl-slot2")
    );
    assert_eq!(m.get_instruments().unwrap(), ["", "datalogger", "", ""]);
    // Wiring: Input1 → Slot2InA, Slot2OutA → Output1.
    let wires = [
        Endpoint::Input(1).to(Endpoint::SlotIn(2, 'A')),
        Endpoint::SlotOut(2, 'A').to(Endpoint::Output(1)),
    ];
    assert_eq!(m.set_connections(&wires).unwrap(), wires);
    assert_eq!(m.get_connections().unwrap(), wires);
    // Incremental: a new source for Output1 replaces the old wire.
    let replace = [Endpoint::Input(2).to(Endpoint::Output(1))];
    m.set_connections(&replace).unwrap();
    let now = m.get_connections().unwrap();
    assert_eq!(now, [wires[0].clone(), replace[0].clone()]);
    // Impossible wiring is refused locally (INVALID_PARAM kind)...
    for bad in [
        Endpoint::Output(1).to(Endpoint::SlotIn(2, 'A')),
        Endpoint::Input(5).to(Endpoint::SlotIn(2, 'A')),
        Endpoint::Input(1).to(Endpoint::SlotIn(5, 'A')),
        Endpoint::Dio.to(Endpoint::Output(1)),
    ] {
        let e = m.set_connections(std::slice::from_ref(&bad)).unwrap_err();
        assert!(e.is_invalid_param(), "{bad}: {e}");
    }
    // ...and by the device when the local checks are off.
    let raw = Connection {
        source: Endpoint::Output(1),
        destination: Endpoint::SlotIn(2, 'A'),
    };
    let e = m
        .session()
        .call_json(
            moku_client::Method::Post,
            "mim/set_connections",
            Some(&moku_client::request_body::Object::new().with(
                "connections",
                vec![moku_client::request_body::Object::new()
                    .with("source", raw.source.to_string())
                    .with("destination", raw.destination.to_string())],
            )),
        )
        .unwrap_err();
    assert_eq!(
        e.api_code(),
        Some(&moku_client::ApiCode::InvalidParam),
        "{e}"
    );
    // The platform's front end and outputs.
    let fe = m
        .set_frontend(
            1,
            moku_client::Impedance::OneMegaOhm,
            moku_client::Coupling::Dc,
            Some("0dB"),
            None,
            None,
        )
        .unwrap();
    assert_eq!(fe.impedance, Some(moku_client::Impedance::OneMegaOhm));
    assert_eq!(m.set_output(1, "14dB").unwrap(), "14dB");
    assert_eq!(m.get_output(1).unwrap(), "14dB");
    let e = m.set_output(1, "20dB").unwrap_err();
    assert!(e.is_invalid_param(), "{e}");
    assert!(dl.set_samplerate(1000).is_ok());
    m.relinquish_ownership().unwrap();
}

#[test]
fn multi_instrument_slots() {
    let emu = common::emulator(EmuModel::Go);
    let m = MultiInstrument::connect(&emu.host(), 2, ConnectOptions::default()).unwrap();
    assert_eq!(m.num_slots(), 2);
    let e = Datalogger::for_slot(3, &m).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                parameter: "slot",
                ..
            }
        ),
        "{e}"
    );
    let dl = m.set_datalogger(2).unwrap();
    assert_eq!(dl.slot(), 2);
    let slots = m.get_instruments().unwrap();
    assert_eq!(slots.len(), 2);
    assert!(!slots[1].is_empty(), "{slots:?}");
    assert_eq!(dl.set_samplerate(100).unwrap(), 100.0);
    dl.generate_waveform(1, &Waveform::sine(0.5, 10)).unwrap();
    let started = dl.start_streaming(&Default::default()).unwrap();
    assert!(!started.stream_id.is_empty());
    let chunk = dl.get_chunk().unwrap();
    if !chunk.is_empty() {
        moku_client::li::decode(&chunk).unwrap();
    }
    dl.stop_streaming().unwrap();
    // A slot's relinquish is a client-side no-op; the platform still owns the device.
    dl.relinquish_ownership().unwrap();
    assert!(m.session().is_owner());
    drop(dl);
    m.relinquish_ownership().unwrap();
    assert!(!m.session().is_owner());
}

#[test]
fn unsupported_platform_is_refused_and_relinquished() {
    let emu = common::emulator(EmuModel::Go);
    let e = MultiInstrument::connect(&emu.host(), 7, ConnectOptions::default()).unwrap_err();
    assert_eq!(
        e.api_code(),
        Some(&moku_client::ApiCode::PlatformNotSupported),
        "{e}"
    );
    common::connect(&emu);
}
