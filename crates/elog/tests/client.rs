//! The Rust ELOG client against the real server, over TCP on 127.0.0.1.
//!
//! Source time is driven by the test ([`Acquisition::step_to`]), so record
//! counts and timestamps are deterministic; nothing here measures time.
#![cfg(feature = "tcp")]

mod common;

use std::net::SocketAddr;
use std::time::Instant as WallInstant;

use common::{serve, simulated};
use elog::acquisition::Acquisition;
use elog::client::{
    Calc, CalcList, ClientError, ElogClient, ElogConfig, Event, Format, Record, RecordTime, State,
    TimestampMode,
};
use elog::elog_core::{Duration, Instant};
use elog::server::{ServerConfig, ServerHandle};

/// A server on a free port whose source time the test advances by hand.
struct Rig {
    acquisition: Acquisition,
    server: Option<ServerHandle>,
    now: Instant,
}

impl Rig {
    fn new(specs: &[String]) -> Rig {
        let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
        let (instrument, acquisition) = simulated(&specs);
        let server = serve(instrument, ServerConfig::default());
        Rig {
            acquisition,
            server: Some(server),
            now: Instant::ZERO,
        }
    }

    /// `AI 1/1` = 1.0 at 1 kHz and `AI 1/2` = −2.5 at 100 Hz.
    fn constants() -> Rig {
        Rig::new(&[
            "AI 1/1=const:1.0@1000".to_string(),
            "AI 1/2=const:-2.5@100".to_string(),
        ])
    }

    fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }

    fn client(&self) -> ElogClient {
        ElogClient::connect(self.addr()).unwrap()
    }

    /// Advances source time by `d`, delivering every sample up to it.
    fn advance(&mut self, d: Duration) {
        self.now = self.now.saturating_add(d);
        assert!(self.acquisition.step_to(self.now).is_empty());
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

/// The client's edge takes std durations; source time is elog-core's.
fn std(d: Duration) -> std::time::Duration {
    std::time::Duration::from_nanos(d.as_nanos().unsigned_abs())
}

fn calcs(c: &[Calc]) -> CalcList {
    CalcList::new(c).unwrap()
}

fn elapsed_ns(r: &Record) -> i64 {
    match r.time {
        Some(RecordTime::Elapsed(d)) => d.as_nanos(),
        other => panic!("expected an elapsed time, got {other:?}"),
    }
}

/// Collects up to `want` records from a stream, failing on anything else.
fn records_of(events: Vec<Event>) -> Vec<Record> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Record(r) => r,
            Event::Lost(l) => panic!("unexpected loss {l:?}"),
        })
        .collect()
}

/// Drains every event the server has now (bounded: one stream poll per call).
fn drain(stream: &mut elog::client::RecordStream<'_>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = stream.next_before(WallInstant::now()).unwrap() {
        out.push(e);
    }
    out
}

#[test]
fn handshake_reads_identity_version_and_configuration() {
    let rig = Rig::constants();
    let mut c = rig.client();
    assert_eq!(c.identity().manufacturer, "elog");
    assert_eq!(c.identity().model, "ELOG");
    assert!(c.version().unwrap() >= elog::client::ProtocolVersion::ELOG);
    assert_eq!(c.config(), &ElogConfig::default());
    assert_eq!(c.state().unwrap(), State::Config);
    let names: Vec<String> = c.channels().unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["AI 1/1", "AI 1/2"]);
    assert!(c.errors().unwrap().is_empty());
}

#[test]
fn configure_is_read_back_and_refusals_are_typed() {
    let rig = Rig::constants();
    let mut c = rig.client();
    let cfg = ElogConfig::new(["AI 1/2", "AI 1/1"])
        .period(std(Duration::from_millis(250)))
        .calcs(calcs(&[Calc::Rms, Calc::Min]))
        .format(Format::BinMotorola)
        .timestamp(TimestampMode::Rel);
    c.configure(&cfg).unwrap();
    assert_eq!(c.config(), &cfg);
    assert_eq!(c.read_config().unwrap(), &cfg);

    // An unknown channel is left out, the others kept, and the refusal reported.
    let out = c.set_items(&["AI 1/1", "AI 9/9"]).unwrap();
    assert_eq!(out.accepted, ["AI 1/1"]);
    assert_eq!(out.refused.len(), 1);
    assert_eq!(out.refused[0].code, -224);
    assert!(
        out.refused[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("AI 9/9")
    );
    match c.configure(&ElogConfig::new(["nope"])) {
        Err(ClientError::Refused { errors, .. }) => assert_eq!(errors[0].code, -224),
        other => panic!("{other:?}"),
    }
    match c.set_period(std(Duration::from_secs(3601))) {
        Err(ClientError::Refused { errors, .. }) => assert_eq!(errors[0].code, -222),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        c.set_items::<&str>(&[]),
        Err(ClientError::InvalidArgument(_))
    ));
    assert!(matches!(
        c.set_items(&["a\nb"]),
        Err(ClientError::InvalidArgument(_))
    ));

    // Binary + ABS cannot start; configuration is refused while RUNNING.
    c.configure(
        &ElogConfig::new(["AI 1/1"])
            .format(Format::BinIntel)
            .timestamp(TimestampMode::Abs),
    )
    .unwrap();
    match c.start() {
        Err(ClientError::Refused { errors, .. }) => assert_eq!(errors[0].code, -221),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.state().unwrap(), State::Config);
    c.set_timestamp(TimestampMode::Elog).unwrap();
    c.start().unwrap();
    assert_eq!(c.state().unwrap(), State::Running);
    match c.set_format(Format::Ascii) {
        Err(ClientError::Refused { errors, .. }) => assert_eq!(errors[0].code, -221),
        other => panic!("{other:?}"),
    }
    c.stop().unwrap();
    c.reset().unwrap();
    assert_eq!(c.read_config().unwrap(), &ElogConfig::default());
    assert!(!c.is_broken());
}

#[test]
fn fetch_outside_running_fails_with_the_queued_cause() {
    let rig = Rig::constants();
    let mut c = rig.client();
    c.configure(&ElogConfig::new(["AI 1/1"])).unwrap();
    match c.fetch(0) {
        Err(ClientError::FetchFailed { errors }) => assert_eq!(errors[0].code, -221),
        other => panic!("{other:?}"),
    }
    assert!(!c.is_broken());
    assert_eq!(c.state().unwrap(), State::Config);
}

#[test]
fn every_format_and_timestamp_mode_decodes() {
    let mut rig = Rig::constants();
    let mut c = rig.client();
    let all = calcs(&Calc::ALL);
    let period = Duration::from_millis(100);
    // Per channel: AVG, MIN, MAX, RMS of a constant.
    let want = [1.0, 1.0, 1.0, 1.0, -2.5, -2.5, -2.5, 2.5];
    for format in Format::ALL {
        for ts in TimestampMode::ALL {
            if format.is_binary() && ts == TimestampMode::Abs {
                continue;
            }
            let cfg = ElogConfig::new(["AI 1/1", "AI 1/2"])
                .period(std(period))
                .calcs(all)
                .format(format)
                .timestamp(ts);
            c.configure(&cfg).unwrap();
            c.start().unwrap();
            assert!(c.fetch(0).unwrap().is_empty(), "{format:?}/{ts:?}: NONE");
            rig.advance(Duration::from_millis(1050));
            let recs = c.fetch(0).unwrap();
            let label = format!("{format:?}/{ts:?}");
            assert!(recs.len() >= 9, "{label}: {} records", recs.len());
            for i in 0..recs.len() {
                assert_eq!(recs.row(i).collect::<Vec<_>>(), want, "{label} record {i}");
            }
            let ns: Vec<i64> = recs.times().iter().map(|t| t.as_nanos()).collect();
            match ts {
                TimestampMode::Off => assert!(!recs.has_times(), "{label}"),
                TimestampMode::Abs => {
                    assert!(matches!(recs.times()[0], RecordTime::Wall(_)), "{label}");
                    assert!(ns.windows(2).all(|w| w[1] - w[0] == 100_000_000), "{label}");
                }
                _ => {
                    assert!(matches!(recs.times()[0], RecordTime::Elapsed(_)), "{label}");
                    // ASCII carries µs exactly; binary float32 seconds.
                    let tol = if format.is_binary() { 4_000 } else { 0 };
                    let ok = ns
                        .windows(2)
                        .all(|w| (w[1] - w[0] - 100_000_000).abs() <= tol);
                    assert!(ok, "{label}: {ns:?}");
                    if ts == TimestampMode::Elog {
                        assert!((ns[0] - 100_000_000).abs() <= tol, "{label}: {ns:?}");
                    }
                }
            }
            // FETCh? n returns at most n, oldest first.
            rig.advance(Duration::from_millis(500));
            let two = c.fetch(2).unwrap();
            assert_eq!(two.len(), 2, "{label}");
            let rest = c.fetch(0).unwrap();
            assert!(rest.len() >= 2, "{label}");
            if ts.is_on() {
                assert!(
                    two.times()[1].as_nanos() < rest.times()[0].as_nanos(),
                    "{label}"
                );
            }
            c.stop().unwrap();
        }
    }
}

#[test]
fn binary_blocks_holding_lf_and_cr_bytes_decode_exactly() {
    // Values whose float32 bytes include LF (0x0A), CR (0x0D) and ',' (0x2C).
    let a = f32::from_le_bytes([0x0A, 0x0D, 0x0A, 0x3F]);
    let b = f32::from_be_bytes([0xC0, 0x0A, 0x2C, 0x0D]);
    let mut rig = Rig::new(&[
        format!("A={}", format_args!("const:{}@1000", f64::from(a))),
        format!("B={}", format_args!("const:{}@1000", f64::from(b))),
    ]);
    let mut c = rig.client();
    for format in [Format::BinIntel, Format::BinMotorola] {
        c.configure(
            &ElogConfig::new(["A", "B"])
                .period(std(Duration::from_millis(10)))
                .calcs(calcs(&[Calc::Avg, Calc::Max]))
                .format(format)
                .timestamp(TimestampMode::Off),
        )
        .unwrap();
        c.start().unwrap();
        rig.advance(Duration::from_millis(505));
        let recs = c.fetch(0).unwrap();
        assert!(recs.len() >= 45, "{format:?}: {}", recs.len());
        for i in 0..recs.len() {
            assert_eq!(
                recs.row(i).collect::<Vec<_>>(),
                [a, a, b, b],
                "{format:?} {i}"
            );
        }
        c.stop().unwrap();
    }
}

#[test]
fn the_stream_yields_every_record_once_and_in_order() {
    let mut rig = Rig::constants();
    let mut c = rig.client();
    let period = Duration::from_millis(10);
    c.configure(
        &ElogConfig::new(["AI 1/1", "AI 1/2"])
            .period(std(period))
            .calcs(calcs(&[Calc::Avg, Calc::Min]))
            .timestamp(TimestampMode::Elog),
    )
    .unwrap();
    c.start().unwrap();
    let mut stream = c
        .records()
        .batch(7)
        .poll_interval(std::time::Duration::ZERO)
        .idle_limit(None);
    let mut got = Vec::new();
    // Irregular steps of source time, draining after each.
    let steps = [3, 17, 1, 250, 9, 40, 120, 5, 33, 77];
    for k in 0..80 {
        rig.advance(Duration::from_millis(steps[k % steps.len()]));
        got.extend(records_of(drain(&mut stream)));
    }
    // 80 steps cover 4.44 s of source time: 444 windows of 10 ms.
    assert!(got.len() >= 440, "{} records", got.len());
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(elapsed_ns(r), (i as i64 + 1) * period.as_nanos());
        assert_eq!(r.values, [1.0, 1.0, -2.5, -2.5]);
    }
    let stats = stream.stats();
    assert_eq!(stats.records, got.len() as u64);
    assert_eq!(stats.lost, 0);
}

#[test]
fn a_stalled_reader_is_told_how_many_records_were_lost() {
    let mut rig = Rig::constants();
    let mut c = rig.client();
    let period = Duration::from_millis(100);
    c.configure(
        &ElogConfig::new(["AI 1/1", "AI 1/2"])
            .period(std(period))
            .timestamp(TimestampMode::Elog),
    )
    .unwrap();
    c.start().unwrap();
    let mut stream = c
        .records()
        .poll_interval(std::time::Duration::ZERO)
        .idle_limit(None);
    rig.advance(Duration::from_millis(1000));
    let first = records_of(drain(&mut stream));
    assert!(first.len() >= 9);
    // Stall well beyond the 20 s retention.
    rig.advance(Duration::from_secs(45));
    let events = drain(&mut stream);
    let Event::Lost(lost) = &events[0] else {
        panic!("expected a loss report first, got {:?}", events.first());
    };
    let count = lost.count.expect("the server states the count");
    assert!(count > 100, "lost {count}");
    assert!(lost.error.code > 0);
    let after = records_of(events[1..].to_vec());
    assert!(after.len() >= 200, "{} kept", after.len());
    // Numbering continues across the loss, and the timestamps prove the
    // reported count exact: record `seq` ends window `seq`.
    let mut seqs = first.iter().chain(&after).map(|r| r.seq);
    let mut expect = 0u64;
    for s in seqs.by_ref().take(first.len()) {
        assert_eq!(s, expect);
        expect += 1;
    }
    expect += count;
    for s in seqs {
        assert_eq!(s, expect);
        expect += 1;
    }
    for r in first.iter().chain(&after) {
        assert_eq!(elapsed_ns(r), (r.seq as i64 + 1) * period.as_nanos());
    }
    let stats = stream.stats();
    assert_eq!(stats.lost, count);
    // Reading on after the loss: nothing more lost, nothing repeated.
    rig.advance(Duration::from_millis(1000));
    let more = records_of(drain(&mut stream));
    assert_eq!(more[0].seq, expect);
}

#[test]
fn the_blocking_iterator_reads_a_live_threaded_acquisition() {
    // Real threads and the wall clock; the iterator sleeps between polls.
    // Bounded: the stream's idle limit ends it if the server ever stalls.
    let (instrument, acquisition) = simulated(&["AI 1/1=const:1.0@1000", "AI 1/2=const:-2.5@100"]);
    let server = serve(instrument, ServerConfig::default());
    let running = acquisition
        .start(elog::acquisition::AcquisitionConfig::default())
        .unwrap();
    let mut c = ElogClient::connect(server.local_addr()).unwrap();
    let period = Duration::from_millis(10);
    c.configure(
        &ElogConfig::new(["AI 1/1", "AI 1/2"])
            .period(std(period))
            .format(Format::BinIntel),
    )
    .unwrap();
    c.start().unwrap();
    let recs: Vec<Record> = c
        .records()
        .take(30)
        .map(|e| match e.unwrap() {
            Event::Record(r) => r,
            Event::Lost(l) => panic!("{l:?}"),
        })
        .collect();
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.values, [1.0, -2.5]);
        // float32 seconds of the ELOG time: (seq + 1) periods.
        assert!((elapsed_ns(r) - (i as i64 + 1) * period.as_nanos()).abs() <= 1_000);
    }
    c.stop().unwrap();
    running.stop();
    server.shutdown();
}

#[test]
fn one_fetch_all_returns_every_waiting_record() {
    // 16 items × 4 calculations + a time: 65 fields per ASCII record, the
    // shape whose worst-case budget once cut "all" to 8 034 of 15 000.
    let specs: Vec<String> = (1..=16)
        .map(|k| format!("AI 1/{k}=const:1.5@1000"))
        .collect();
    let mut rig = Rig::new(&specs);
    let mut c = rig.client();
    let items: Vec<&str> = specs.iter().map(|s| s.split('=').next().unwrap()).collect();
    c.configure(
        &ElogConfig::new(items)
            .period(std::time::Duration::from_millis(1))
            .calcs(calcs(&Calc::ALL))
            .timestamp(TimestampMode::Elog),
    )
    .unwrap();
    c.start().unwrap();
    rig.advance(Duration::from_millis(15_000));
    assert!(c.fetch_limit() < 15_000, "one request must not be enough");
    let all = c.fetch(0).unwrap();
    assert_eq!(all.len(), 15_000);
    assert_eq!(all.width(), 64);
    assert!((0..all.len()).all(|i| all.row(i).all(|v| v == 1.5)));
    let ns: Vec<i64> = all.times().iter().map(|t| t.as_nanos()).collect();
    assert!(ns.windows(2).all(|w| w[1] - w[0] == 1_000_000), "in order");
    assert!(c.fetch(0).unwrap().is_empty(), "nothing left");
    assert!(c.errors().unwrap().is_empty(), "nothing lost");
}

#[test]
fn records_name_their_values_and_channels_have_numeric_ids() {
    let mut rig = Rig::constants();
    let mut c = rig.client();
    let ids: Vec<u64> = c.channels().unwrap().iter().map(|ch| ch.id).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    c.configure(
        &ElogConfig::new(["AI 1/2", "AI 1/1"])
            .period(std::time::Duration::from_millis(100))
            .calcs(calcs(&[Calc::Min, Calc::Rms])),
    )
    .unwrap();
    c.start().unwrap();
    rig.advance(Duration::from_millis(250));
    let mut stream = c.records().poll_interval(std::time::Duration::ZERO);
    let r = records_of(drain(&mut stream)).remove(0);
    assert_eq!(r.get("AI 1/2", Calc::Min), Some(-2.5));
    assert_eq!(r.get("AI 1/2", Calc::Rms), Some(2.5));
    assert_eq!(r.get("AI 1/1", Calc::Min), Some(1.0));
    assert_eq!(r.get("AI 1/1", Calc::Avg), None, "not configured");
    assert_eq!(r.get("AI 9/9", Calc::Min), None);
    let named: Vec<(&str, Calc, f32)> = r.iter().collect();
    assert_eq!(
        named,
        [
            ("AI 1/2", Calc::Min, -2.5),
            ("AI 1/2", Calc::Rms, 2.5),
            ("AI 1/1", Calc::Min, 1.0),
            ("AI 1/1", Calc::Rms, 1.0),
        ]
    );
    assert_eq!(r.items(), ["AI 1/2", "AI 1/1"]);
    assert_eq!(r.time_secs(), Some(0.1));
}
