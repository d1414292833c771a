//! Arbitrary sequences of configure / start / push / fetch / stop / reset /
//! channel-change never panic and keep the engine's invariants: the buffer
//! stays within its capacity, configuration is accepted exactly in CONFIG,
//! the state machine follows the spec, and every answer decodes back.
#![no_main]

use arbitrary::Arbitrary;
use elog_core::{
    CalcList, ChannelId, Duration, Engine, Error, Format, Instant, Limits, State, StaticCatalog,
    Timebase, TimestampMode, decode,
};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 7] = [
    "AI 1/1", "AI 1/2", "Slow", "Fast", "Vec", "Async", "missing",
];

#[derive(Arbitrary, Debug)]
enum Op {
    Items(Vec<u8>),
    PeriodMicros(u32),
    PeriodSecs(f64),
    Calcs(Vec<u8>),
    Format(u8),
    Timestamp(u8),
    Start {
        now_ms: i16,
        acq_ms: i16,
        wall_s: u32,
    },
    Stop,
    Reset,
    Batch {
        ch: u8,
        first_ms: i32,
        interval_us: u16,
        n: u16,
        value: f32,
        step: f32,
    },
    Sample {
        ch: u8,
        t_us: i64,
        value: f64,
    },
    Group(Vec<u8>),
    Frames {
        group: u8,
        first_ms: i32,
        interval_us: u16,
        frames: u8,
        value: f64,
    },
    Fetch {
        max: u8,
        to_vec: bool,
        small: bool,
    },
    Changed(u8),
    Removed(u8),
}

fn catalog() -> StaticCatalog {
    let mut c = StaticCatalog::new();
    c.add_scalar(NAMES[0], 1000.0);
    c.add_scalar(NAMES[1], 1000.0);
    c.add_scalar(NAMES[2], 2.0);
    c.add_scalar(NAMES[3], 100_000.0);
    c.add(NAMES[4], false, Some(10.0));
    c.add(NAMES[5], true, None);
    c
}

fn check(e: &Engine) {
    assert!(e.buffered() <= e.capacity() + e.lag_windows());
    assert!(e.available() <= e.buffered());
    if e.state() != State::Running {
        assert_eq!((e.available(), e.capacity(), e.lag_windows()), (0, 0, 0));
    }
    assert_eq!(e.state() == State::Invalid, e.invalid_cause().is_some());
}

fuzz_target!(|ops: Vec<Op>| {
    let cat = catalog();
    let limits = Limits {
        max_buffer_bytes: 1 << 20,
        max_groups: 4,
        ..Limits::default()
    };
    let mut e = Engine::new(limits);
    let mut groups = Vec::new();
    // Records fetched in the current run (reset by every STARt / STOP / RESet).
    let mut fetched: u64 = 0;
    for op in ops.into_iter().take(64) {
        let before = e.state();
        let config_result: Option<Result<(), Error>> = match op {
            Op::Items(ix) => {
                let names = ix
                    .iter()
                    .take(10)
                    .map(|&i| NAMES[usize::from(i) % NAMES.len()]);
                Some(
                    e.set_items(&cat, names)
                        .map(|out| assert!(out.accepted <= 6)),
                )
            }
            Op::PeriodMicros(us) => Some(e.set_period(Duration::from_micros(i64::from(us)))),
            Op::PeriodSecs(s) => Some(e.set_period_secs(s)),
            Op::Calcs(ix) => match CalcList::parse(
                ix.iter()
                    .take(6)
                    .map(|&i| ["AVG", "MIN", "MAX", "RMS", "X"][usize::from(i) % 5]),
            ) {
                Ok(list) => Some(e.set_calculations(list)),
                Err(err) => {
                    assert_eq!(err.code(), -224);
                    None
                }
            },
            Op::Format(f) => Some(e.set_format(Format::ALL[usize::from(f) % 3])),
            Op::Timestamp(t) => Some(e.set_timestamp(TimestampMode::ALL[usize::from(t) % 4])),
            Op::Start {
                now_ms,
                acq_ms,
                wall_s,
            } => {
                let tb = Timebase {
                    acquisition_start: Instant::from_millis(i64::from(acq_ms)),
                    wall_offset: Duration::from_secs(i64::from(wall_s)),
                };
                match e.start(Instant::from_millis(i64::from(now_ms)), tb) {
                    Ok(()) => {
                        assert_eq!((before, e.state()), (State::Config, State::Running));
                        fetched = 0;
                    }
                    Err(Error::AlreadyRunning) => assert_eq!(before, State::Running),
                    Err(Error::PeriodBelowSampleInterval { .. }) => {
                        assert_eq!(e.state(), State::Invalid)
                    }
                    Err(err) => {
                        assert_eq!(e.state(), before);
                        assert!(matches!(err.code(), -221 | -225), "{err}");
                    }
                }
                None
            }
            Op::Stop => {
                e.stop();
                assert_eq!(e.state(), State::Config);
                None
            }
            Op::Reset => {
                e.reset();
                assert_eq!((e.state(), e.items().len()), (State::Config, 0));
                None
            }
            Op::Batch {
                ch,
                first_ms,
                interval_us,
                n,
                value,
                step,
            } => {
                let vals: Vec<f64> = (0..usize::from(n % 4096))
                    .map(|i| f64::from(value) + f64::from(step) * i as f64)
                    .collect();
                let _ = e.push_batch(
                    ChannelId(u32::from(ch % 8)),
                    Instant::from_millis(i64::from(first_ms)),
                    Duration::from_micros(i64::from(interval_us)),
                    &vals,
                );
                None
            }
            Op::Sample { ch, t_us, value } => {
                let _ = e.push_sample(
                    ChannelId(u32::from(ch % 8)),
                    Instant::from_micros(t_us),
                    value,
                );
                None
            }
            Op::Group(ix) => {
                let ids: Vec<ChannelId> = ix
                    .iter()
                    .take(20)
                    .map(|&i| ChannelId(u32::from(i % 8)))
                    .collect();
                if let Ok(g) = e.declare_group(&ids) {
                    groups.push((g, ids.len()));
                }
                None
            }
            Op::Frames {
                group,
                first_ms,
                interval_us,
                frames,
                value,
            } => {
                if let Some(&(g, n)) = groups.get(usize::from(group) % groups.len().max(1)) {
                    let data: Vec<f64> = (0..n * usize::from(frames))
                        .map(|i| value * i as f64)
                        .collect();
                    let _ = e.push_frames(
                        g,
                        Instant::from_millis(i64::from(first_ms)),
                        Duration::from_micros(i64::from(interval_us)),
                        &data,
                    );
                }
                None
            }
            Op::Fetch { max, to_vec, small } => {
                let avail = e.available();
                let layout = e.layout();
                let mut out = Vec::new();
                let res = if small {
                    let mut buf = [0u8; 96];
                    let mut s = elog_core::SliceSink::new(&mut buf);
                    let r = e.fetch_into(core::num::NonZeroUsize::new(usize::from(max)), &mut s);
                    out.extend_from_slice(s.written());
                    r
                } else if to_vec {
                    e.fetch_into_vec(core::num::NonZeroUsize::new(usize::from(max)), &mut out)
                } else {
                    e.fetch_into(core::num::NonZeroUsize::new(usize::from(max)), &mut out)
                };
                match res {
                    Ok(f) => {
                        assert_eq!(before, State::Running);
                        assert!(f.records <= avail);
                        assert!(max == 0 || f.records <= usize::from(max));
                        fetched += f.records as u64;
                        let back = decode(&out, layout).unwrap_or_else(|err| {
                            panic!("{err}: {:?}", String::from_utf8_lossy(&out))
                        });
                        assert_eq!(back.len(), f.records);
                    }
                    Err(Error::Output(_)) => assert!(small && e.available() == avail),
                    Err(err) => {
                        assert_ne!(before, State::Running);
                        assert_eq!(err.code() == -221, before == State::Config);
                    }
                }
                None
            }
            Op::Changed(i) => {
                if let Some(err) = e.channel_changed(ChannelId(u32::from(i % 8))) {
                    assert_eq!((err.code(), e.state()), (201, State::Invalid));
                }
                None
            }
            Op::Removed(i) => {
                if let Some(err) = e.channel_removed(ChannelId(u32::from(i % 8))) {
                    assert_eq!((err.code(), e.state()), (202, State::Invalid));
                }
                None
            }
        };
        if let Some(r) = config_result {
            match r {
                Ok(()) => assert_eq!(before, State::Config),
                Err(Error::NotInConfig) => assert_ne!(before, State::Config),
                Err(err) => assert!(matches!(err.code(), -222 | -224), "{err}"),
            }
            assert_eq!(e.state(), before);
        }
        check(&e);
        if e.state() == State::Running {
            assert_eq!(
                fetched + e.lost_total(),
                e.read_position(),
                "exactly once or counted"
            );
        }
    }
});
