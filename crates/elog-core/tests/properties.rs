//! Property tests: the engine against a naive f64 reference, encode/decode
//! round trips, and exactly-once-or-counted readout.

use elog_core::{
    Calc, CalcList, ChannelId, Duration, Engine, Format, Instant, Layout, Limits, RecordTime,
    Records, StaticCatalog, Timebase, TimestampMode, decode, encode, encode_to_vec,
};
use proptest::prelude::*;

/// One channel of a generated stream: uniformly spaced samples.
#[derive(Clone, Debug)]
struct Stream {
    first_ns: i64,
    interval_ns: i64,
    values: Vec<f64>,
}

impl Stream {
    fn time(&self, i: usize) -> i64 {
        self.first_ns + i as i64 * self.interval_ns
    }
}

fn stream() -> impl Strategy<Value = Stream> {
    (0i64..5_000_000, 100_000i64..20_000_000, 0usize..600).prop_flat_map(|(first, dt, n)| {
        prop::collection::vec(-1e3f64..1e3, n).prop_map(move |values| Stream {
            first_ns: first,
            interval_ns: dt,
            values,
        })
    })
}

/// The naive reference: per complete window, per channel, f64 statistics.
fn reference(
    streams: &[Stream],
    order: &[(usize, usize, usize)],
    start: i64,
    p: i64,
) -> Vec<Vec<f32>> {
    // t0: the first pushed sample at or after STARt, in push order.
    let mut t0 = None;
    for &(ch, from, to) in order {
        if let Some(i) = (from..to).find(|&i| streams[ch].time(i) >= start) {
            t0 = Some(streams[ch].time(i));
            break;
        }
    }
    let Some(t0) = t0 else { return Vec::new() };
    let window = |t: i64| (t - t0).div_euclid(p);
    let complete = streams
        .iter()
        .map(|s| {
            s.values
                .len()
                .checked_sub(1)
                .map_or(0, |l| window(s.time(l)).max(0))
        })
        .min()
        .unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..complete {
        let mut rec = Vec::new();
        for s in streams {
            let xs: Vec<f64> = (0..s.values.len())
                .filter(|&i| s.time(i) >= t0 && window(s.time(i)) == k)
                .map(|i| s.values[i])
                .collect();
            if xs.is_empty() {
                rec.extend([f32::NAN; 4]);
                continue;
            }
            let n = xs.len() as f64;
            rec.push((xs.iter().sum::<f64>() / n) as f32);
            rec.push(xs.iter().copied().fold(f64::INFINITY, f64::min) as f32);
            rec.push(xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) as f32);
            rec.push((xs.iter().map(|x| x * x).sum::<f64>() / n).sqrt() as f32);
        }
        out.push(rec);
    }
    out
}

fn close(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

/// Splits every stream into chunks and interleaves them (keeping each stream's order).
fn schedule(streams: &[Stream], cuts: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut pos = vec![0usize; streams.len()];
    let mut out = Vec::new();
    let mut c = 0;
    loop {
        let live: Vec<usize> = (0..streams.len())
            .filter(|&k| pos[k] < streams[k].values.len())
            .collect();
        if live.is_empty() {
            return out;
        }
        let pick = cuts.get(c).copied().unwrap_or(0);
        c += 1;
        let ch = live[pick % live.len()];
        let n = 1 + pick % 97;
        let to = (pos[ch] + n).min(streams[ch].values.len());
        out.push((ch, pos[ch], to));
        pos[ch] = to;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn aggregation_matches_reference(
        streams in prop::collection::vec(stream(), 1..4),
        period_ns in 20_000_000i64..300_000_000,
        start in 0i64..10_000_000,
        cuts in prop::collection::vec(0usize..10_000, 0..200),
    ) {
        let mut cat = StaticCatalog::new();
        let names: Vec<String> = (0..streams.len()).map(|k| format!("ch{k}")).collect();
        for (k, s) in streams.iter().enumerate() {
            cat.add_scalar(&names[k], 1e9 / s.interval_ns as f64);
        }
        let mut e = Engine::new(Limits { min_capacity: 1 << 12, ..Limits::default() });
        assert!(!e.set_items(&cat, names.iter().map(String::as_str)).unwrap().kept_nothing());
        e.set_calculations(CalcList::new(&Calc::ALL).unwrap()).unwrap();
        e.set_period(Duration::from_nanos(period_ns)).unwrap();
        let order = schedule(&streams, &cuts);
        let started = e.start(Instant::from_nanos(start), Timebase::default());
        let max_interval = streams.iter().map(|s| s.interval_ns).max().unwrap();
        prop_assert_eq!(started.is_ok(), period_ns >= max_interval);
        prop_assume!(started.is_ok());
        for &(ch, from, to) in &order {
            let s = &streams[ch];
            e.push_batch(
                ChannelId(ch as u32),
                Instant::from_nanos(s.time(from)),
                Duration::from_nanos(s.interval_ns),
                &s.values[from..to],
            ).unwrap();
        }
        let expect = reference(&streams, &order, start, period_ns);
        let (got, f) = e.fetch(None).unwrap();
        prop_assert_eq!(f.lost, 0);
        prop_assert_eq!(got.len(), expect.len());
        for (k, rec) in expect.iter().enumerate() {
            let row: Vec<f32> = got.row(k).collect();
            for (c, (&a, &b)) in row.iter().zip(rec).enumerate() {
                prop_assert!(close(a, b), "record {} col {}: {} vs {}", k, c, a, b);
            }
            let t = got.time(k).unwrap();
            prop_assert_eq!(t, RecordTime::Elapsed(Duration::from_nanos((k as i64 + 1) * period_ns)));
        }
    }

    #[test]
    fn frames_match_batches(
        n in 1usize..20,
        frames in 0usize..400,
        period_ms in 2i64..50,
        seed in any::<u64>(),
    ) {
        let mut cat = StaticCatalog::new();
        let names: Vec<String> = (0..n).map(|k| format!("f{k}")).collect();
        let ids: Vec<ChannelId> = names.iter().map(|nm| cat.add_scalar(nm, 1000.0)).collect();
        let val = |f: usize, c: usize| ((seed ^ (f as u64 * 0x9E37_79B9) ^ (c as u64 * 0x85EB_CA6B)) % 2001) as f64 / 7.0 - 100.0;
        let data: Vec<f64> = (0..frames).flat_map(|f| (0..n).map(move |c| val(f, c))).collect();
        let mut a = Engine::default();
        let mut b = Engine::default();
        for e in [&mut a, &mut b] {
            assert!(!e.set_items(&cat, names.iter().map(String::as_str)).unwrap().kept_nothing());
            e.set_calculations(CalcList::new(&Calc::ALL).unwrap()).unwrap();
            e.set_period(Duration::from_millis(period_ms)).unwrap();
            e.start(Instant::ZERO, Timebase::default()).unwrap();
        }
        let g = a.declare_group(&ids).unwrap();
        a.push_frames(g, Instant::ZERO, Duration::from_millis(1), &data).unwrap();
        for (c, id) in ids.iter().enumerate() {
            let col: Vec<f64> = (0..frames).map(|f| val(f, c)).collect();
            b.push_batch(*id, Instant::ZERO, Duration::from_millis(1), &col).unwrap();
        }
        let (x, _) = a.fetch(None).unwrap();
        let (y, _) = b.fetch(None).unwrap();
        // Same windows and times exactly; values equal up to the summation order (the
        // frame kernel adds in 16-lane order, the batch kernel in its own lanes, so a
        // cancelling window may give 1e-15 on one side and 0 on the other).
        prop_assert_eq!(x.len(), y.len());
        prop_assert_eq!(x.width(), y.width());
        for k in 0..x.len() {
            prop_assert_eq!(x.time(k), y.time(k));
            for (c, (p, q)) in x.row(k).zip(y.row(k)).enumerate() {
                prop_assert!(close(p, q), "record {} col {}: {} vs {}", k, c, p, q);
            }
        }
    }
}

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        -10f32..10f32,
    ]
    // The SCPI sentinels' own numbers read back as NaN/∞: a property of the format.
    .prop_filter("not a sentinel", |v| {
        v.is_nan() || v.is_infinite() || (v.abs() != 9.91e37 && v.abs() != 9.9e37)
    })
}

fn records(mode: TimestampMode) -> impl Strategy<Value = Records> {
    (1usize..6, 0usize..12).prop_flat_map(move |(w, n)| {
        let times = prop::collection::vec(
            match mode {
                TimestampMode::Abs => (-62_000_000_000_000_000i64..250_000_000_000_000_000).boxed(),
                _ => (-100_000_000_000_000_000i64..100_000_000_000_000_000).boxed(),
            },
            n,
        );
        (times, prop::collection::vec(value(), w * n)).prop_map(move |(ts, vals)| {
            let times = if mode.is_on() {
                ts.iter()
                    .map(|&t| match mode {
                        TimestampMode::Abs => RecordTime::Wall(Duration::from_nanos(t)),
                        _ => RecordTime::Elapsed(Duration::from_nanos(t)),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Records::from_columns(w, n, times, vals).unwrap()
        })
    })
}

fn same_value(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn check_round_trip(r: &Records, format: Format, mode: TimestampMode) -> Result<(), TestCaseError> {
    let layout = Layout {
        format,
        timestamp: mode,
        width: r.width(),
    };
    let mut a = Vec::new();
    encode(r, format, &mut a).unwrap();
    let mut b = Vec::new();
    encode_to_vec(r, format, &mut b).unwrap();
    prop_assert_eq!(&a, &b);
    let back = decode(&a, layout).unwrap();
    prop_assert_eq!(back.len(), r.len());
    for i in 0..r.len() {
        for c in 0..r.width() {
            let (x, y) = (r.value(i, c).unwrap(), back.value(i, c).unwrap());
            if format == Format::Ascii {
                prop_assert!(same_value(x, y), "{} vs {}", x, y);
            } else {
                prop_assert!(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
            }
        }
        if mode.is_on() {
            let t = r.time(i).unwrap();
            let expect = if format == Format::Ascii {
                t.round_micros()
            } else {
                let secs = (t.as_nanos() as f64 / 1e9) as f32;
                RecordTime::Elapsed(Duration::from_secs_f64(f64::from(secs)).unwrap())
            };
            prop_assert_eq!(back.time(i), Some(expect));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ascii_round_trips(
        (mode, r) in prop::sample::select(TimestampMode::ALL.to_vec()).prop_flat_map(|m| (Just(m), records(m))),
    ) {
        check_round_trip(&r, Format::Ascii, mode)?;
    }

    #[test]
    fn binary_round_trips(
        big in any::<bool>(),
        mode in prop::sample::select(vec![TimestampMode::Off, TimestampMode::Rel, TimestampMode::Elog]),
        r in records(TimestampMode::Elog),
    ) {
        let format = if big { Format::BinMotorola } else { Format::BinIntel };
        let r = if mode.is_on() { r } else { Records::from_columns(r.width(), r.len(), Vec::new(), (0..r.width()).flat_map(|c| r.column(c).to_vec()).collect()).unwrap() };
        check_round_trip(&r, format, mode)?;
    }
}

#[derive(Clone, Debug)]
enum Op {
    Push(usize, usize),
    Fetch(usize),
    /// A fetch whose answer is never delivered (rewound), with samples
    /// pushed between the fetch and the rewind (possibly evicting).
    Undelivered(usize, Option<(usize, usize)>),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0usize..2, 1usize..4000).prop_map(|(c, n)| Op::Push(c, n)),
            1 => (0usize..40).prop_map(Op::Fetch),
            1 => (0usize..40, prop::option::of((0usize..2, 1usize..40_000)))
                .prop_map(|(m, p)| Op::Undelivered(m, p)),
        ],
        1..80,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_record_once_or_counted(ops in ops(), period_ms in 50i64..1500) {
        let mut cat = StaticCatalog::new();
        let a = cat.add_scalar("a", 1000.0);
        let b = cat.add_scalar("b", 1000.0);
        let mut e = Engine::default();
        assert!(!e.set_items(&cat, ["a", "b"]).unwrap().kept_nothing());
        e.set_period(Duration::from_millis(period_ms)).unwrap();
        e.start(Instant::ZERO, Timebase::default()).unwrap();
        let mut next = [0i64; 2];
        let mut seen: Vec<i64> = Vec::new();
        let mut lost = 0u64;
        let take = |e: &mut Engine, max: usize, seen: &mut Vec<i64>, lost: &mut u64| {
            let (r, f) = e.fetch(std::num::NonZeroUsize::new(max)).unwrap();
            prop_assert!(max == 0 || r.len() <= max);
            *lost += f.lost;
            for &t in r.times() {
                let k = t.as_nanos() / (period_ms * 1_000_000) - 1;
                prop_assert!(seen.last().is_none_or(|&l| k > l), "in order, once");
                seen.push(k);
            }
            Ok(())
        };
        for op in ops {
            match op {
                Op::Push(c, n) => {
                    let vals = vec![1.0; n];
                    e.push_batch([a, b][c], Instant::from_millis(next[c]), Duration::from_millis(1), &vals).unwrap();
                    next[c] += n as i64;
                }
                Op::Fetch(max) => take(&mut e, max, &mut seen, &mut lost)?,
                Op::Undelivered(max, push) => {
                    let mark = e.fetch_mark().unwrap();
                    let _ = e.fetch(std::num::NonZeroUsize::new(max)).unwrap();
                    if let Some((c, n)) = push {
                        let vals = vec![1.0; n];
                        e.push_batch([a, b][c], Instant::from_millis(next[c]), Duration::from_millis(1), &vals).unwrap();
                        next[c] += n as i64;
                    }
                    e.rewind_fetch(mark);
                }
            }
            prop_assert!(e.buffered() <= e.capacity() + e.lag_windows());
            prop_assert!(e.available() <= e.buffered());
        }
        take(&mut e, 0, &mut seen, &mut lost)?;
        // Windows every channel has passed: all of them fetched or counted lost.
        let complete = if next[0] == 0 || next[1] == 0 { 0 } else { (next[0].min(next[1]) - 1) / period_ms };
        prop_assert_eq!(lost, e.lost_total());
        // Exactly once or counted: fetched + lost is everything below the read position.
        prop_assert_eq!(seen.len() as u64 + lost, e.read_position());
        prop_assert!(seen.last().is_none_or(|&k| (k as u64) < e.read_position()));
        let below = seen.iter().filter(|&&k| k < complete).count() as i64;
        prop_assert!(((complete - below) as u64) <= lost, "every complete window fetched or lost");
        if lost == 0 {
            prop_assert_eq!(seen, (0..complete).collect::<Vec<_>>());
        }
        prop_assert_eq!(e.available(), 0);
    }
}
