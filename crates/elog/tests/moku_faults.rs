//! The Moku side under the emulator's fault injection, through the facade.
//!
//! * A stream that fails in any way — 5xx, an error envelope, dropped
//!   connections, truncated, corrupt or non-LI chunks — turns the session
//!   INVALID with `+202` naming the input: never stale data.
//! * A slow chunk is only late: the session keeps RUNNING, gap-less.
//! * Connecting yields moku-client's typed errors (a device owned by another
//!   client, 5xx, envelopes, dropped connections, non-JSON), and a read
//!   timeout is retried once, as the official client does, then reported.
//!
//! The emulator runs on the wall clock, so waits poll with generous bounds
//! and assert no duration.
#![cfg(all(feature = "tcp", feature = "moku"))]

mod common;

use std::time::Duration as StdDuration;

use common::{Client, constant_emulator, eventually, serve, simulated};
use elog::acquisition::{AcquisitionConfig, AcquisitionHandle};
use elog::moku_client::{ApiCode, ConnectOptions, Datalogger, Error, Timeouts};
use elog::server::{ServerConfig, ServerHandle};
use elog::source::moku::{MokuConfig, MokuSource, MokuSourceError};
use moku_emulator::{Config, Emulator, Fault, FaultRule};

/// An emulator streaming constants into a running ELOG session over TCP.
struct Bench {
    emu: Emulator,
    acquisition: Option<AcquisitionHandle>,
    _server: ServerHandle,
    client: Client,
    /// ELOG timestamps (in periods) of the records fetched so far.
    seen: u64,
}

impl Bench {
    fn start() -> Bench {
        Bench::start_with(|c| c)
    }

    fn start_with(config: impl FnOnce(MokuConfig) -> MokuConfig) -> Bench {
        let emu = constant_emulator();
        let source =
            MokuSource::connect(config(MokuConfig::new(emu.host()).with_rate(1000.0))).unwrap();
        let (instrument, mut acq) = simulated(&[]);
        acq.add_source(source).unwrap();
        let acquisition = acq
            .start(AcquisitionConfig::default().with_tick(StdDuration::from_millis(10)))
            .unwrap();
        let server = serve(instrument, ServerConfig::default());
        let mut client = Client::connect(server.local_addr());
        client.send(":ELOG:ITEM \"Input1\",\"Input2\";:ELOG:PER 0.05;:ELOG:TIM ELOG;:ELOG:STAR");
        client.no_error();
        let mut bench = Bench {
            emu,
            acquisition: Some(acquisition),
            _server: server,
            client,
            seen: 0,
        };
        bench.records_until(3);
        bench
    }

    /// Fetches until `n` more records came; checks they are gap-less and true.
    fn records_until(&mut self, n: u64) {
        let target = self.seen + n;
        eventually("records from the Moku", || {
            let a = self.client.ask(":ELOG:FETC?");
            if a != "NONE" {
                let f: Vec<f64> = a.split(',').map(|x| x.parse().unwrap()).collect();
                for r in f.chunks(3) {
                    self.seen += 1;
                    assert!(
                        (r[0] - 0.05 * self.seen as f64).abs() < 1e-9,
                        "gap-less: record {} at {}",
                        self.seen,
                        r[0]
                    );
                    assert!((r[1] - 0.5).abs() < 1e-3 && (r[2] + 0.25).abs() < 1e-3);
                }
            }
            self.seen >= target
        });
        self.client.no_error();
    }

    /// The stream failed: INVALID, `ERROR`, `+202` naming an input, channels gone.
    fn expect_invalid(&mut self, what: &str) {
        eventually(what, || self.client.ask(":ELOG:STAT?") == "INVALID");
        assert_eq!(
            self.client.ask(":ELOG:FETC?"),
            "ERROR",
            "{what}: no stale data"
        );
        let e = self.client.error();
        assert!(
            e.starts_with("202,\"ELOG channel removed;Input"),
            "{what}: {e}"
        );
        assert_eq!(self.client.ask(":CHANNEL:NAMES?"), "NONE", "{what}");
        self.client.send(":ELOG:STOP");
        assert_eq!(self.client.ask(":ELOG:STAT?"), "CONFIG", "{what}");
        if let Some(a) = self.acquisition.take() {
            a.stop();
        }
    }
}

#[test]
fn every_kind_of_stream_failure_invalidates() {
    let faults = [
        (
            "HTTP 500",
            Fault::Status {
                code: 500,
                body: "boom".into(),
            },
        ),
        (
            "HTTP 503",
            Fault::Status {
                code: 503,
                body: String::new(),
            },
        ),
        (
            "HTTP 504",
            Fault::Status {
                code: 504,
                body: "gateway".into(),
            },
        ),
        (
            "error envelope",
            Fault::Envelope {
                code: "NETWORK_ERROR".into(),
                messages: vec!["stream lost".into()],
            },
        ),
        ("dropped connections", Fault::DropConnection),
        ("truncated chunks", Fault::TruncateChunk(10)),
        ("corrupt chunks", Fault::CorruptChunk),
        ("not LI at all", Fault::NotJson),
    ];
    for (what, fault) in faults {
        let mut bench = Bench::start();
        bench
            .emu
            .faults()
            .inject(FaultRule::always("get_chunk", fault));
        bench.expect_invalid(what);
    }
}

#[test]
fn a_truncated_chunk_once_is_never_silent() {
    // One chunk cut in the middle of its data: the stream must not carry on
    // as if those samples had never existed (the times would slide).
    let mut bench = Bench::start();
    bench
        .emu
        .faults()
        .inject(FaultRule::once("get_chunk", Fault::TruncateChunk(40)));
    bench.expect_invalid("a truncated chunk");
}

#[test]
fn a_slow_chunk_is_only_late() {
    let mut bench = Bench::start();
    bench.emu.faults().inject(FaultRule::once(
        "get_chunk",
        Fault::Delay(StdDuration::from_millis(300)),
    ));
    bench.records_until(10);
    assert_eq!(bench.client.ask(":ELOG:STAT?"), "RUNNING");
    assert_eq!(bench.emu.faults().pending(), 0);
}

#[test]
fn a_hung_device_invalidates_instead_of_stalling() {
    // The device keeps the connection open but stops answering get_chunk: after the
    // source's chunk timeout the stream counts as dead (never a silent stall).
    let mut bench = Bench::start_with(|c| c.with_chunk_timeout(StdDuration::from_millis(300)));
    bench.emu.faults().inject(FaultRule::always(
        "get_chunk",
        Fault::Delay(StdDuration::from_secs(2)),
    ));
    bench.expect_invalid("a hung get_chunk");
    bench.emu.faults().clear();
}

#[test]
fn the_stream_ending_invalidates() {
    let mut bench = Bench::start();
    // The device's streaming session goes away underneath.
    let other = Datalogger::connect(
        &bench.emu.host(),
        ConnectOptions {
            force_connect: true,
            ignore_busy: true,
            ..ConnectOptions::default()
        },
    )
    .unwrap();
    other.stop_streaming().unwrap();
    bench.expect_invalid("stream stopped by another client");
}

/// Whether an error is the expected typed one.
type ErrorCheck = fn(&Error) -> bool;

fn connect_error(emu: &Emulator, force: bool) -> MokuSourceError {
    let mut config = MokuConfig::new(emu.host());
    config.force_connect = force;
    MokuSource::connect(config).unwrap_err()
}

#[test]
fn connecting_yields_typed_errors() {
    // Owned by another client: refused without force, taken over with it.
    let emu = Emulator::start(Config::default()).unwrap();
    emu.claim_for("someone else");
    match connect_error(&emu, false) {
        MokuSourceError::Moku(e) => {
            assert_eq!(e.api_code(), Some(&ApiCode::InvalidRequest), "{e:?}");
            assert!(e.to_string().contains("someone else"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        MokuSource::connect(MokuConfig::new(emu.host()))
            .unwrap()
            .inputs(),
        2
    );

    let cases: [(Fault, ErrorCheck); 4] = [
        (
            Fault::Status {
                code: 500,
                body: "kaputt".into(),
            },
            |e| matches!(e, Error::ServerError { body: Some(b), .. } if b == "kaputt"),
        ),
        (
            Fault::Envelope {
                code: "INVALID_REQUEST".into(),
                messages: vec!["no".into()],
            },
            |e| e.api_code() == Some(&ApiCode::InvalidRequest),
        ),
        (Fault::DropConnection, |e| {
            matches!(e, Error::Transport { .. })
        }),
        (Fault::NotJson, |e| {
            matches!(e, Error::MalformedReply { .. })
        }),
    ];
    for (fault, check) in cases {
        let emu = Emulator::start(Config::default()).unwrap();
        emu.faults().inject(FaultRule::always("", fault.clone()));
        match connect_error(&emu, true) {
            MokuSourceError::Moku(e) => assert!(check(&e), "{fault:?}: {e:?}"),
            other => panic!("{fault:?}: {other:?}"),
        }
    }
}

#[test]
fn a_read_timeout_is_retried_once_then_reported() {
    let emu = Emulator::start(Config::default()).unwrap();
    let options = ConnectOptions {
        timeouts: Timeouts {
            connect: StdDuration::from_secs(5),
            read: StdDuration::from_millis(150),
            ..Timeouts::default()
        },
        force_connect: true,
        ..ConnectOptions::default()
    };
    let dl = Datalogger::connect(&emu.host(), options).unwrap();
    let slow = Fault::Delay(StdDuration::from_millis(600));
    emu.faults()
        .inject(FaultRule::once("enable_input", slow.clone()));
    dl.enable_input(1, true).unwrap();
    emu.faults().inject(FaultRule {
        path_contains: "enable_input".into(),
        times: 2,
        fault: slow,
    });
    let e = dl.enable_input(1, true).unwrap_err();
    assert!(e.is_timeout(), "{e}");
}
