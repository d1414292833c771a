//! The spec's configuration, state machine and readout rules, one test each.

use std::num::NonZeroUsize;

use elog_core::{
    Calc, CalcList, ChannelId, Duration, Engine, Error, Format, Instant, Layout, Limits,
    RecordTime, State, StaticCatalog, Timebase, TimestampMode, decode, fetch_count,
};

fn ms(v: i64) -> Duration {
    Duration::from_millis(v)
}

fn at(v: i64) -> Instant {
    Instant::from_millis(v)
}

/// Catalogue: AI 1/1 and AI 1/2 at 1 kHz, "Slow" at 2 Hz, "Vec" not scalar, "Async" without rate.
fn catalog() -> (StaticCatalog, [ChannelId; 5]) {
    let mut c = StaticCatalog::new();
    let a = c.add_scalar("AI 1/1", 1000.0);
    let b = c.add_scalar("AI 1/2", 1000.0);
    let s = c.add_scalar("Slow", 2.0);
    let v = c.add("Vec", false, Some(1000.0));
    let y = c.add("Async", true, None);
    (c, [a, b, s, v, y])
}

fn text(e: &Engine, f: impl Fn(&Engine, &mut Vec<u8>) -> elog_core::Result<()>) -> String {
    let mut v = Vec::new();
    f(e, &mut v).unwrap();
    String::from_utf8(v).unwrap()
}

/// A fetch maximum: 0 = all.
fn upto(max: usize) -> Option<NonZeroUsize> {
    NonZeroUsize::new(max)
}

fn fetch_text(e: &mut Engine, max: usize) -> String {
    let mut v = Vec::new();
    e.fetch_into(upto(max), &mut v).unwrap();
    String::from_utf8(v).unwrap()
}

#[test]
fn defaults_and_queries() {
    let e = Engine::default();
    assert_eq!(e.state(), State::Config);
    assert_eq!(text(&e, Engine::write_items), "NONE");
    assert_eq!(text(&e, Engine::write_calculations), "AVG");
    assert_eq!(text(&e, Engine::write_period), "0.1");
    assert_eq!(e.format().as_str(), "ASCII");
    assert_eq!(e.timestamp().as_str(), "ELOG");
    assert_eq!(e.state().as_str(), "CONFIG");
}

#[test]
fn items_keep_the_good_ones() {
    let (cat, _) = catalog();
    let mut e = Engine::default();
    let out = e
        .set_items(&cat, ["AI 1/1", "nope", "Vec", "AI 1/2", "AI 1/1"])
        .unwrap();
    assert_eq!(out.accepted, 2);
    assert_eq!(
        out.refused,
        [
            Error::UnknownChannel {
                channel: "nope".into()
            },
            Error::NotScalar {
                channel: "Vec".into()
            },
            Error::DuplicateChannel {
                channel: "AI 1/1".into()
            },
        ]
    );
    assert!(out.refused.iter().all(|r| r.code() == -224));
    assert_eq!(text(&e, Engine::write_items), "\"AI 1/1\",\"AI 1/2\"");
    let mut small = Engine::new(Limits {
        max_items: 1,
        ..Limits::default()
    });
    let out = small.set_items(&cat, ["AI 1/1", "AI 1/2"]).unwrap();
    assert_eq!(out.refused[0].code(), -223);
    let mut q = StaticCatalog::new();
    q.add_scalar("say \"hi\"", 10.0);
    let mut e = Engine::default();
    assert!(!e.set_items(&q, ["say \"hi\""]).unwrap().kept_nothing());
    assert_eq!(text(&e, Engine::write_items), "\"say \"\"hi\"\"\"");
}

#[test]
fn setters_refuse_bad_values_unchanged() {
    let mut e = Engine::default();
    assert_eq!(e.set_period_secs(0.0).unwrap_err().code(), -222);
    assert_eq!(e.set_period_secs(3600.5).unwrap_err().code(), -222);
    assert_eq!(e.period(), ms(100));
    e.set_period_secs(0.5).unwrap();
    assert_eq!(text(&e, Engine::write_period), "0.5");
    assert_eq!(CalcList::parse(["AVG", "FOO"]).unwrap_err().code(), -224);
    e.set_calculations(CalcList::parse(["AVG", "MAX", "RMS"]).unwrap())
        .unwrap();
    assert_eq!(text(&e, Engine::write_calculations), "AVG,MAX,RMS");
    assert_eq!(Format::parse("BIN_FOO").unwrap_err().code(), -224);
    assert_eq!(TimestampMode::parse("NOW").unwrap_err().code(), -224);
}

#[test]
fn configuration_only_in_config() {
    let (cat, _) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.start(at(0), Timebase::default()).unwrap();
    assert_eq!(e.state(), State::Running);
    assert_eq!(e.set_period_secs(1.0), Err(Error::NotInConfig));
    assert_eq!(e.set_format(Format::BinIntel), Err(Error::NotInConfig));
    assert_eq!(e.set_timestamp(TimestampMode::Off), Err(Error::NotInConfig));
    assert_eq!(
        e.set_calculations(CalcList::default()),
        Err(Error::NotInConfig)
    );
    assert_eq!(e.set_items(&cat, ["AI 1/2"]).unwrap_err().code(), -221);
    assert_eq!(e.period(), ms(100));
    assert_eq!(e.items().collect::<Vec<_>>(), ["AI 1/1"]);
    assert_eq!(
        e.start(at(5), Timebase::default()),
        Err(Error::AlreadyRunning)
    );
    assert_eq!(e.state(), State::Running);
    e.stop();
    assert_eq!(e.state(), State::Config);
    assert_eq!(e.items().len(), 1, "STOP keeps the configuration");
    e.set_period_secs(1.0).unwrap();
}

#[test]
fn start_refusals() {
    let (cat, _) = catalog();
    let mut e = Engine::default();
    assert_eq!(e.start(at(0), Timebase::default()), Err(Error::NoItems));
    assert_eq!(e.state(), State::Config);
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.set_format(Format::BinMotorola).unwrap();
    e.set_timestamp(TimestampMode::Abs).unwrap();
    let err = e.start(at(0), Timebase::default()).unwrap_err();
    assert_eq!((err.code(), e.state()), (-221, State::Config));
    e.set_timestamp(TimestampMode::Rel).unwrap();
    assert!(
        !e.set_items(&cat, ["AI 1/1", "Slow", "Async"])
            .unwrap()
            .kept_nothing()
    );
    let err = e.start(at(0), Timebase::default()).unwrap_err();
    assert_eq!(
        err,
        Error::PeriodBelowSampleInterval {
            channel: "Slow".into()
        }
    );
    assert_eq!(err.code(), -222);
    assert_eq!(e.state(), State::Invalid);
    assert_eq!(
        e.start(at(0), Timebase::default()).unwrap_err().code(),
        -221
    );
    assert_eq!(e.set_period_secs(1.0), Err(Error::NotInConfig));
    let mut out = Vec::new();
    assert_eq!(
        e.fetch_into(upto(0), &mut out).unwrap_err(),
        err,
        "FETCh? reports the cause"
    );
    e.stop();
    e.set_period_secs(0.5).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    assert_eq!(e.state(), State::Running);
    let mut tiny = Engine::new(Limits {
        max_buffer_bytes: 100,
        ..Limits::default()
    });
    assert!(!tiny.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    assert_eq!(
        tiny.start(at(0), Timebase::default()).unwrap_err().code(),
        -225
    );
    assert_eq!(tiny.state(), State::Config);
}

#[test]
fn exactly_one_sample_interval_is_enough() {
    let (cat, _) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.set_period_secs(0.001).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    e.stop();
    e.set_period_secs(0.0009).unwrap();
    assert_eq!(
        e.start(at(0), Timebase::default()).unwrap_err().code(),
        -222
    );
}

#[test]
fn reset_restores_defaults() {
    let (cat, _) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.set_period_secs(2.0).unwrap();
    e.set_format(Format::BinIntel).unwrap();
    e.set_timestamp(TimestampMode::Off).unwrap();
    e.set_calculations(CalcList::new(&[Calc::Rms]).unwrap())
        .unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    e.reset();
    assert_eq!(e.state(), State::Config);
    assert_eq!(e.items().len(), 0);
    assert_eq!(e.period(), ms(100));
    assert_eq!(e.format(), Format::Ascii);
    assert_eq!(e.timestamp(), TimestampMode::Elog);
    assert_eq!(e.calculations(), CalcList::default());
}

#[test]
fn fetch_outside_running() {
    let mut e = Engine::default();
    let mut out = Vec::new();
    assert_eq!(e.fetch_into(upto(0), &mut out), Err(Error::NotRunning));
    assert!(out.is_empty());
    assert_eq!(fetch_count(Some(-1)), Err(Error::NegativeCount));
    assert_eq!(fetch_count(None), Ok(None));
    assert_eq!(fetch_count(Some(0)), Ok(None));
    assert_eq!(fetch_count(Some(3)), Ok(upto(3)));
}

#[test]
fn spec_example_session() {
    let (cat, [a, b, ..]) = catalog();
    let mut e = Engine::default();
    assert!(
        !e.set_items(&cat, ["AI 1/1", "AI 1/2"])
            .unwrap()
            .kept_nothing()
    );
    e.set_calculations(CalcList::parse(["AVG", "MIN"]).unwrap())
        .unwrap();
    e.set_timestamp(TimestampMode::Off).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    assert_eq!(fetch_text(&mut e, 0), "NONE");
    e.push_batch(a, at(0), ms(1), &[1.0; 500]).unwrap();
    e.push_batch(b, at(0), ms(1), &[-2.5; 500]).unwrap();
    assert_eq!(e.available(), 4);
    assert_eq!(
        fetch_text(&mut e, 2),
        "1.0E+0,1.0E+0,-2.5E+0,-2.5E+0,1.0E+0,1.0E+0,-2.5E+0,-2.5E+0"
    );
    assert_eq!(e.available(), 2);
}

#[test]
fn records_wait_for_every_item() {
    let (cat, [a, b, ..]) = catalog();
    let mut e = Engine::default();
    assert!(
        !e.set_items(&cat, ["AI 1/1", "AI 1/2"])
            .unwrap()
            .kept_nothing()
    );
    e.start(at(0), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[1.0; 1000]).unwrap();
    assert_eq!(e.available(), 0, "AI 1/2 has not passed any window end");
    e.push_batch(b, at(0), ms(1), &[2.0; 250]).unwrap();
    assert_eq!(e.available(), 2);
    e.push_sample(b, at(300), 2.0).unwrap();
    assert_eq!(e.available(), 3);
}

#[test]
fn timestamps_elog_rel_abs() {
    let (cat, [a, ..]) = catalog();
    let tb = Timebase {
        acquisition_start: at(-2_000),
        // 2024-02-29T12:34:56 local at source time 0.
        wall_offset: Duration::from_secs(1_709_210_096),
    };
    for (mode, expect) in [
        (TimestampMode::Elog, "0.1,1.0E+0,0.2,1.0E+0"),
        (TimestampMode::Rel, "2.105,1.0E+0,2.205,1.0E+0"),
        (
            TimestampMode::Abs,
            "2024-02-29T12:34:56.105000,1.0E+0,2024-02-29T12:34:56.205000,1.0E+0",
        ),
    ] {
        let mut e = Engine::default();
        assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
        e.set_timestamp(mode).unwrap();
        // STARt at 4.2 ms: t0 is the first sample at or after it (5 ms).
        e.start(Instant::from_micros(4_200), tb).unwrap();
        e.push_batch(a, at(0), ms(1), &[1.0; 206]).unwrap();
        assert_eq!(e.t0(), Some(at(5)));
        assert_eq!(fetch_text(&mut e, 0), expect, "{mode:?}");
    }
}

#[test]
fn aggregates_of_a_ramp() {
    let (cat, [a, ..]) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.set_calculations(CalcList::new(&Calc::ALL).unwrap())
        .unwrap();
    e.set_timestamp(TimestampMode::Off).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    let ramp: Vec<f64> = (0..101).map(f64::from).collect();
    e.push_batch(a, at(0), ms(1), &ramp).unwrap();
    let (r, f) = e.fetch(upto(0)).unwrap();
    assert_eq!((f.records, f.lost), (1, 0));
    let rms = ((0..100).map(|x| f64::from(x * x)).sum::<f64>() / 100.0).sqrt() as f32;
    assert_eq!(r.row(0).collect::<Vec<_>>(), [49.5, 0.0, 99.0, rms]);
}

#[test]
fn a_gap_gives_nan() {
    let (cat, [a, b, ..]) = catalog();
    let mut e = Engine::default();
    assert!(
        !e.set_items(&cat, ["AI 1/1", "AI 1/2"])
            .unwrap()
            .kept_nothing()
    );
    e.set_timestamp(TimestampMode::Off).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[1.0; 301]).unwrap();
    e.push_batch(b, at(0), ms(1), &[2.0; 100]).unwrap();
    e.push_batch(b, at(200), ms(1), &[3.0; 101]).unwrap();
    assert_eq!(
        fetch_text(&mut e, 0),
        "1.0E+0,2.0E+0,1.0E+0,9.91E+37,1.0E+0,3.0E+0"
    );
}

#[test]
fn late_and_early_samples_are_ignored() {
    let (cat, [a, ..]) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.set_timestamp(TimestampMode::Off).unwrap();
    e.start(at(1_000), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[9.0; 1000]).unwrap();
    assert_eq!(e.t0(), None, "all before STARt");
    e.push_batch(a, at(1_000), ms(1), &[1.0; 150]).unwrap();
    e.push_batch(a, at(1_020), ms(1), &[100.0; 10]).unwrap(); // window 0 already closed
    e.push_batch(a, at(1_150), ms(1), &[1.0; 51]).unwrap();
    assert_eq!(fetch_text(&mut e, 0), "1.0E+0,1.0E+0");
}

#[test]
fn overrun_is_counted_and_reported() {
    let (cat, [a, ..]) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.set_period_secs(1.0).unwrap();
    e.set_timestamp(TimestampMode::Elog).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    // 21 complete records kept, plus 2 + ceil(2 s / 1 s) windows for lag.
    assert_eq!((e.capacity(), e.lag_windows()), (21, 4));
    let data: Vec<f64> = (0..30_001).map(|i| f64::from(i / 1000)).collect();
    e.push_batch(a, at(0), ms(1), &data).unwrap();
    assert!(e.buffered() <= e.capacity() + e.lag_windows());
    assert_eq!(e.available(), 24, "window 30 is still filling");
    let (r, f) = e.fetch(upto(3)).unwrap();
    assert_eq!(f.lost, 6);
    assert_eq!(f.lost_error(), Some(Error::RecordsLost { count: 6 }));
    assert_eq!(f.lost_error().unwrap().code(), 203);
    assert_eq!(r.time(0), Some(RecordTime::Elapsed(Duration::from_secs(7))));
    assert_eq!(r.column(0), &[6.0, 7.0, 8.0]);
    let (_, f) = e.fetch(upto(0)).unwrap();
    assert_eq!((f.records, f.lost), (21, 0));
    assert_eq!(e.lost_total(), 6);
}

#[test]
fn channel_change_invalidates() {
    let (mut cat, [a, b, s, ..]) = catalog();
    let mut e = Engine::default();
    assert!(
        !e.set_items(&cat, ["AI 1/1", "AI 1/2"])
            .unwrap()
            .kept_nothing()
    );
    e.start(at(0), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[1.0; 500]).unwrap();
    assert_eq!(e.channel_changed(s), None, "not an item");
    cat.set_rate(b, Some(500.0));
    let err = e.channel_changed(b).unwrap();
    assert_eq!(
        err,
        Error::ChannelChanged {
            channel: "AI 1/2".into()
        }
    );
    assert_eq!(err.code(), 201);
    assert_eq!(e.state(), State::Invalid);
    assert_eq!(e.available(), 0, "data set dropped");
    assert_eq!(e.fetch(upto(0)).unwrap_err(), err);
    assert_eq!(e.channel_removed(a), None, "already INVALID");
    e.stop();
    assert_eq!(e.state(), State::Config);
    let err = e.channel_removed(a).unwrap();
    assert_eq!((err.code(), e.state()), (202, State::Invalid));
    e.reset();
    assert_eq!(e.state(), State::Config);
}

#[test]
fn frames_equal_batches() {
    let mut cat = StaticCatalog::new();
    let ids: Vec<ChannelId> = (0..16)
        .map(|k| cat.add_scalar(&format!("c{k}"), 1000.0))
        .collect();
    let names: Vec<String> = (0..16).map(|k| format!("c{k}")).collect();
    let mut by_frame = Engine::default();
    let mut by_batch = Engine::default();
    for e in [&mut by_frame, &mut by_batch] {
        assert!(
            !e.set_items(&cat, names.iter().map(String::as_str))
                .unwrap()
                .kept_nothing()
        );
        e.set_calculations(CalcList::new(&Calc::ALL).unwrap())
            .unwrap();
        e.start(at(0), Timebase::default()).unwrap();
    }
    // A group with one non-item member and the items in another order.
    let mut members = ids.clone();
    members.reverse();
    members.insert(3, ChannelId(999));
    let g = by_frame.declare_group(&members).unwrap();
    let frames = 1234;
    let value = |frame: usize, ch: usize| ((frame * 31 + ch * 7) % 97) as f64 - 40.0;
    let mut data = Vec::new();
    for f in 0..frames {
        for m in &members {
            data.push(if m.0 == 999 {
                1e9
            } else {
                value(f, m.0 as usize)
            });
        }
    }
    by_frame
        .push_frames(g, at(0), ms(1), &data[..members.len() * 700])
        .unwrap();
    for f in 700..frames {
        let fr = &data[f * members.len()..(f + 1) * members.len()];
        by_frame.push_frame(g, at(f as i64), fr).unwrap();
    }
    for (k, id) in ids.iter().enumerate() {
        let col: Vec<f64> = (0..frames).map(|f| value(f, k)).collect();
        by_batch.push_batch(*id, at(0), ms(1), &col).unwrap();
    }
    let (x, _) = by_frame.fetch(upto(0)).unwrap();
    let (y, _) = by_batch.fetch(upto(0)).unwrap();
    assert_eq!(x.len(), 12);
    assert_eq!(x, y);
    assert_eq!(
        by_frame
            .push_frames(g, at(0), ms(1), &[1.0; 5])
            .unwrap_err()
            .code(),
        elog_core::error::CODE_BAD_INPUT
    );
}

#[test]
fn mixed_frame_and_single_pushes_fall_back() {
    let (cat, [a, b, ..]) = catalog();
    let mut e = Engine::default();
    assert!(
        !e.set_items(&cat, ["AI 1/1", "AI 1/2"])
            .unwrap()
            .kept_nothing()
    );
    e.set_timestamp(TimestampMode::Off).unwrap();
    let g = e.declare_group(&[a, b]).unwrap();
    e.start(at(0), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[1.0; 150]).unwrap();
    let frames: Vec<f64> = (150..301).flat_map(|_| [1.0, 2.0]).collect();
    e.push_batch(b, at(0), ms(1), &[2.0; 150]).unwrap();
    e.push_frames(g, at(150), ms(1), &frames).unwrap();
    assert_eq!(
        fetch_text(&mut e, 0),
        "1.0E+0,2.0E+0,1.0E+0,2.0E+0,1.0E+0,2.0E+0"
    );
}

#[test]
fn bad_input_is_refused() {
    let (cat, [a, ..]) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.start(at(0), Timebase::default()).unwrap();
    assert_eq!(
        e.push_batch(a, at(0), Duration::ZERO, &[1.0, 2.0])
            .unwrap_err()
            .code(),
        204
    );
    assert!(e.declare_group(&[]).is_err());
    assert_eq!(e.declare_group(&[a, a]).unwrap_err().code(), 204);
    assert_eq!(
        e.push_batch(ChannelId(77), at(0), ms(1), &[1.0; 500]),
        Err(Error::NotAnItem {
            channel: ChannelId(77)
        })
    );
    assert_eq!(
        e.push_sample(ChannelId(77), at(0), 1.0).unwrap_err().code(),
        204
    );
    assert_eq!(e.available(), 0, "nothing of a refused push is used");
}

#[test]
fn samples_outside_running_are_counted() {
    let (cat, [a, ..]) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    // CONFIG: any channel, ignored and counted.
    e.push_batch(a, at(0), ms(1), &[1.0; 10]).unwrap();
    e.push_sample(ChannelId(77), at(0), 1.0).unwrap();
    assert_eq!(e.ignored_samples(), 11);
    e.start(at(0), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[1.0; 10]).unwrap();
    assert_eq!(e.ignored_samples(), 11, "RUNNING: used, not counted");
    e.stop();
    let g = e.declare_group(&[a, ChannelId(77)]).unwrap();
    e.push_frames(g, at(0), ms(1), &[1.0; 6]).unwrap();
    assert_eq!(e.ignored_samples(), 17);
}

#[test]
fn refusing_every_item_is_visible() {
    let (cat, _) = catalog();
    let mut e = Engine::default();
    let out = e.set_items(&cat, ["nope", "Vec"]).unwrap();
    assert!(out.kept_nothing());
    assert_eq!(out.refused.len(), 2);
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
}

#[test]
fn binary_answers_decode() {
    let (cat, [a, b, ..]) = catalog();
    for format in [Format::BinIntel, Format::BinMotorola, Format::Ascii] {
        let mut e = Engine::default();
        assert!(
            !e.set_items(&cat, ["AI 1/1", "AI 1/2"])
                .unwrap()
                .kept_nothing()
        );
        e.set_format(format).unwrap();
        e.set_calculations(CalcList::parse(["MAX", "AVG"]).unwrap())
            .unwrap();
        e.start(at(0), Timebase::default()).unwrap();
        let ramp: Vec<f64> = (0..1000).map(f64::from).collect();
        e.push_batch(a, at(0), ms(1), &ramp).unwrap();
        e.push_batch(b, at(0), ms(1), &[0.5; 1000]).unwrap();
        let layout: Layout = e.layout();
        let mut via_vec = Vec::new();
        let mut twin = e.clone();
        e.fetch_into_vec(upto(4), &mut via_vec).unwrap();
        let mut buf = [0u8; 4096];
        let mut sink = elog_core::SliceSink::new(&mut buf);
        twin.fetch_into(upto(4), &mut sink).unwrap();
        assert_eq!(sink.written(), via_vec, "Vec and generic paths agree");
        let r = decode(&via_vec, layout).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r.row(3).collect::<Vec<_>>(), [399.0, 349.5, 0.5, 0.5]);
        let t0 = r.time(0).unwrap().as_nanos();
        assert!((t0 - 100_000_000).abs() <= 2, "f32 seconds: {t0}");
        let mut via_sink = Vec::new();
        e.fetch_into(upto(0), &mut via_sink).unwrap();
        let rest = decode(&via_sink, layout).unwrap();
        assert_eq!(rest.len(), 5);
        assert_eq!(rest.column(0)[0], 499.0);
    }
}

#[test]
fn failed_output_consumes_nothing() {
    let (cat, [a, ..]) = catalog();
    let mut e = Engine::default();
    assert!(!e.set_items(&cat, ["AI 1/1"]).unwrap().kept_nothing());
    e.start(at(0), Timebase::default()).unwrap();
    e.push_batch(a, at(0), ms(1), &[1.0; 1001]).unwrap();
    let mut small = [0u8; 8];
    let err = e
        .fetch_into(upto(0), &mut elog_core::SliceSink::new(&mut small))
        .unwrap_err();
    assert_eq!(err.code(), -310);
    assert_eq!(e.available(), 10);
}
