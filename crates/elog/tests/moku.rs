//! The Moku source against the in-process emulator, through the server.
//! The emulator runs on the wall clock, so the test polls with generous
//! bounds and asserts no duration.
#![cfg(all(feature = "tcp", feature = "moku"))]

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::{Client, constant_emulator, eventually, serve, simulated};
use elog::acquisition::{AcquisitionConfig, lock};
use elog::server::ServerConfig;
use elog::source::Source;
use elog::source::moku::{MokuConfig, MokuSource};
use moku_emulator::{Config, Emulator, Fault, FaultRule};

#[test]
fn moku_inputs_stream_into_elog_and_a_dead_stream_invalidates() {
    let emu = constant_emulator();
    let source = MokuSource::connect(MokuConfig::new(emu.host()).with_rate(1000.0)).unwrap();
    assert_eq!(source.inputs(), 2, "Moku:Go has two inputs");
    let names: Vec<String> = source.channels().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Input1", "Input2"]);

    let (instrument, mut acq) = simulated(&[]);
    acq.add_source(source).unwrap();
    let running = acq
        .start(AcquisitionConfig::default().with_tick(StdDuration::from_millis(20)))
        .unwrap();
    let server = serve(Arc::clone(&instrument), ServerConfig::default());
    let mut c = Client::connect(server.local_addr());

    assert_eq!(
        c.ask(":CHANNEL:NAMES?"),
        "(\"1\",\"Input1\"),(\"2\",\"Input2\")"
    );
    c.send(":ELOG:ITEM \"Input1\",\"Input2\";:ELOG:CALC AVG,MAX;:ELOG:TIM ELOG;:ELOG:STAR");
    c.no_error();
    let mut records = Vec::new();
    eventually("3 records from the Moku", || {
        let a = c.ask(":ELOG:FETC?");
        if a != "NONE" {
            let f: Vec<f64> = a.split(',').map(|x| x.parse().unwrap()).collect();
            assert_eq!(f.len() % 5, 0, "{a}");
            records.extend(f.chunks(5).map(<[f64]>::to_vec));
        }
        records.len() >= 3
    });
    for (i, r) in records.iter().enumerate() {
        assert!(
            (r[0] - 0.1 * (i + 1) as f64).abs() < 1e-9,
            "gap-less {records:?}"
        );
        assert!(
            (r[1] - 0.5).abs() < 1e-3 && (r[2] - 0.5).abs() < 1e-3,
            "{r:?}"
        );
        assert!(
            (r[3] + 0.25).abs() < 1e-3 && (r[4] + 0.25).abs() < 1e-3,
            "{r:?}"
        );
    }
    c.no_error();

    // The stream dies: the channels go, the session is INVALID, no stale data.
    emu.faults().inject(FaultRule::always(
        "get_chunk",
        Fault::Status {
            code: 500,
            body: "stream failed".into(),
        },
    ));
    eventually("INVALID", || c.ask(":ELOG:STAT?") == "INVALID");
    assert_eq!(c.ask(":ELOG:FETC?"), "ERROR");
    let e = c.error();
    assert!(e.starts_with("202,\"ELOG channel removed;Input"), "{e}");
    assert_eq!(c.ask(":CHANNEL:NAMES?"), "NONE");
    assert!(lock(&instrument).registry().is_empty());
    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    running.stop();
}

#[test]
fn unreachable_moku_is_an_error_not_a_hang() {
    // A port nobody listens on (bound, then released).
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let e = MokuSource::connect(MokuConfig::new(addr.to_string())).unwrap_err();
    assert!(!e.to_string().is_empty());
    assert!(MokuSource::connect(MokuConfig::new("127.0.0.1:1").with_rate(-1.0)).is_err());
}

#[test]
fn inputs_follow_the_model() {
    for (model, n) in [
        (moku_emulator::Model::Go, 2),
        (moku_emulator::Model::Lab, 2),
        (moku_emulator::Model::Pro, 4),
        (moku_emulator::Model::Delta, 8),
    ] {
        let emu = Emulator::start(Config {
            model,
            ..Config::default()
        })
        .unwrap();
        let source = MokuSource::connect(MokuConfig::new(emu.host())).unwrap();
        let names: Vec<String> = source.channels().into_iter().map(|c| c.name).collect();
        let want: Vec<String> = (1..=n).map(|i| format!("Input{i}")).collect();
        assert_eq!(names, want, "{model:?}");
    }
}
