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
fn ownership_is_released_on_drop_unless_persisted() {
    let emu = common::emulator(EmuModel::Go);
    let first = common::connect(&emu);
    // Owned: a second client without force_connect is refused by the device.
    let e = common::connect_with(&emu, ConnectOptions::default()).unwrap_err();
    assert!(e.api_code().is_some(), "{e}");
    drop(first);
    // Relinquished on drop: a plain connect works again.
    let keep = ConnectOptions {
        relinquish_on_drop: false,
        ..ConnectOptions::default()
    };
    let persisted = common::connect_with(&emu, keep).unwrap();
    drop(persisted);
    assert!(common::connect_with(&emu, ConnectOptions::default()).is_err());
    // force_connect takes it over.
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
    common::connect(&emu);
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

#[test]
fn bitstream_policies() {
    let emu = common::emulator(EmuModel::Go);
    let require = ConnectOptions {
        bitstreams: BitstreamPolicy::Require,
        ..ConnectOptions::default()
    };
    // The emulator starts without bitstreams: Require refuses (and relinquishes), Check warns.
    let e = common::connect_with(&emu, require.clone()).unwrap_err();
    assert!(
        matches!(e, Error::MissingBitstream(ref n) if n == "01-000"),
        "{e}"
    );
    let dl = common::connect(&emu);
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
    let listed = dl.session().list_bitstreams().unwrap();
    assert!(
        listed
            .iter()
            .any(|b| b["filename"] == "01-007-00" && b["sha256"] == "bb"),
        "{listed:?}"
    );
    drop(dl);
    let dl = common::connect_with(&emu, require).unwrap();
    assert!(dl.session().take_warnings().is_empty());
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
