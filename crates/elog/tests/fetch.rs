//! FETCh? answers over real TCP: every form of the spec, multi-rate
//! channels, overrun, and channel removal. Source time is stepped by the test
//! (no wall-clock dependence).
#![cfg(feature = "tcp")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Rig, blocks, floats};
use elog::elog_core::{Duration, Instant, Timebase};
use elog::source::{ChannelDecl, Progress, SampleBuffer, Simulator, Source, SourceError};

const TWO: &[&str] = &["AI 1/1=const:1.0@1000", "AI 1/2=const:-2.5@1000"];

/// The example session of the spec, byte for byte.
#[test]
fn spec_example_session() {
    let mut rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MIN;:ELOG:TIM OFF");
    c.send(":ELOG:STAR");
    rig.step_ms(300);
    assert_eq!(
        c.ask_raw(":ELOG:FETC? 2"),
        b"1.0E+0,1.0E+0,-2.5E+0,-2.5E+0,1.0E+0,1.0E+0,-2.5E+0,-2.5E+0\n"
    );
    c.no_error();
}

#[test]
fn none_error_and_consumption() {
    let mut rig = Rig::new(TWO);
    let mut c = rig.connect();
    assert_eq!(c.ask(":ELOG:FETC?"), "ERROR");
    assert_eq!(c.error(), "-221,\"Settings conflict;ELOG not started\"");
    c.send(":ELOG:ITEM \"AI 1/1\";:ELOG:TIM ELOG;:ELOG:STAR");
    assert_eq!(c.ask(":ELOG:FETC?"), "NONE");
    rig.step_ms(1000);
    // 10 complete records: 0.1 … 1.0.
    assert_eq!(c.ask(":ELOG:FETC? 3"), "0.1,1.0E+0,0.2,1.0E+0,0.3,1.0E+0");
    assert_eq!(c.ask(":ELOG:FETCh? 1"), "0.4,1.0E+0");
    assert_eq!(
        c.ask(":ELOG:FETC? 0"),
        "0.5,1.0E+0,0.6,1.0E+0,0.7,1.0E+0,0.8,1.0E+0,0.9,1.0E+0,1.0,1.0E+0"
    );
    assert_eq!(c.ask(":ELOG:FETC?"), "NONE", "each record exactly once");
    assert_eq!(c.ask(":ELOG:FETC? -1"), "ERROR");
    assert_eq!(
        c.error(),
        "-222,\"Data out of range;negative record count\""
    );
    // Every count that parses gets a line.
    assert_eq!(c.ask(":ELOG:FETC? NAN"), "ERROR");
    assert_eq!(
        c.error(),
        "-222,\"Data out of range;record count is not a number\""
    );
    assert_eq!(c.ask(":ELOG:FETC? -1e30"), "ERROR");
    assert!(c.error().starts_with("-222,"));
    rig.step_ms(1200);
    assert_eq!(c.ask(":ELOG:FETC? 1.4"), "1.1,1.0E+0");
    assert_eq!(c.ask(":ELOG:FETC? MAX"), "1.2,1.0E+0");
    rig.step_ms(1400);
    assert_eq!(c.ask(":ELOG:FETC? 1e300"), "1.3,1.0E+0,1.4,1.0E+0");
    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:FETC?"), "ERROR");
    assert!(c.error().starts_with("-221,"));
    c.no_error();
}

#[test]
fn ascii_timestamp_modes() {
    for (mode, want) in [
        ("OFF", "1.0E+0,-2.5E+0,1.0E+0,-2.5E+0"),
        ("ELOG", "0.1,1.0E+0,-2.5E+0,0.2,1.0E+0,-2.5E+0"),
        // The source ran 1 s before STARt; the first sample after it is at 1.001 s.
        ("REL", "1.101,1.0E+0,-2.5E+0,1.201,1.0E+0,-2.5E+0"),
        (
            "ABS",
            "2023-11-14T22:13:21.101000,1.0E+0,-2.5E+0,2023-11-14T22:13:21.201000,1.0E+0,-2.5E+0",
        ),
    ] {
        let mut rig = Rig::new(TWO);
        rig.set_timebase(Timebase {
            acquisition_start: Instant::ZERO,
            // 2023-11-14T22:13:20 on the wall clock at acquisition start.
            wall_offset: Duration::from_secs(1_700_000_000),
        });
        let mut c = rig.connect();
        c.send(":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC MAX");
        rig.step_ms(1000);
        c.send(&format!(":ELOG:TIM {mode};:ELOG:STAR"));
        rig.step_ms(1250);
        assert_eq!(c.ask(":ELOG:FETC? 2"), want, "{mode}");
        c.no_error();
    }
}

/// REL and ABS on a run that does not start at source time 1 s.
#[test]
fn rel_and_abs_follow_source_time() {
    let mut rig = Rig::new(&["x=const:0.5@100"]);
    rig.set_timebase(Timebase {
        acquisition_start: Instant::ZERO,
        wall_offset: Duration::from_secs(1_700_000_000),
    });
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"x\";:ELOG:PER 0.5;:ELOG:TIM REL");
    rig.step_ms(2000);
    c.send(":ELOG:STAR");
    rig.step_ms(3100);
    // t0 = 2.01 s (first sample after STARt at 2 s).
    assert_eq!(c.ask(":ELOG:FETC?"), "2.51,5.0E-1,3.01,5.0E-1");
    c.send(":ELOG:STOP;:ELOG:TIM ABS;:ELOG:STAR");
    rig.step_ms(4000);
    assert_eq!(c.ask(":ELOG:FETC?"), "2023-11-14T22:13:23.610000,5.0E-1");
}

fn binary_case(format: &str, big: bool) {
    let mut rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.send(&format!(
        ":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MAX;:ELOG:FORM {format};:ELOG:TIM ELOG"
    ));
    c.send(":ELOG:STAR");
    assert_eq!(c.ask_raw(":ELOG:FETC?"), b"NONE\n", "NONE stays text");
    rig.step_ms(250);
    let answer = c.ask_raw(":ELOG:FETC? 2");
    let b = blocks(&answer);
    assert_eq!(b.len(), 5, "time block + 2 items x 2 calcs");
    assert_eq!(floats(&b[0], big), [0.1f32, 0.2]);
    assert_eq!(floats(&b[1], big), [1.0f32, 1.0]);
    assert_eq!(floats(&b[2], big), [1.0f32, 1.0]);
    assert_eq!(floats(&b[3], big), [-2.5f32, -2.5]);
    assert_eq!(floats(&b[4], big), [-2.5f32, -2.5]);
    // The exact bytes: `#18<8 bytes>` blocks joined by ',' and one LF.
    let mut want = Vec::new();
    for (i, vals) in [
        [0.1f32, 0.2],
        [1.0, 1.0],
        [1.0, 1.0],
        [-2.5, -2.5],
        [-2.5, -2.5],
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            want.push(b',');
        }
        want.extend_from_slice(b"#18");
        for v in vals {
            want.extend_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
    }
    want.push(b'\n');
    assert_eq!(answer, want);
    // Without timestamps: one block per channel x calculation only.
    c.send(":ELOG:STOP;:ELOG:TIM OFF;:ELOG:STAR");
    rig.step_ms(600);
    let b = blocks(&c.ask_raw(":ELOG:FETC? 3"));
    assert_eq!(b.len(), 4);
    assert_eq!(floats(&b[3], big), [-2.5f32; 3]);
    c.send(":ELOG:STOP");
    assert_eq!(c.ask_raw(":ELOG:FETC?"), b"ERROR\n", "ERROR stays text");
    assert!(c.error().starts_with("-221,"));
    c.no_error();
}

#[test]
fn bin_intel_blocks() {
    binary_case("BIN_INTEL", false);
}

#[test]
fn bin_motorola_blocks() {
    binary_case("BIN_MOTOROLA", true);
}

#[test]
fn multi_rate_channels() {
    let mut rig = Rig::new(&[
        "slow=const:1@100",
        "ramp=ramp:1:10@1000",
        "sine=sine:1:10@10000",
        "fast=const:3@50000",
        "odd=const:-1@3000",
    ]);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"slow\",\"ramp\",\"sine\",\"fast\",\"odd\";:ELOG:CALC AVG,MIN,MAX");
    c.send(":ELOG:STAR");
    rig.step_ms(1000);
    let answer = c.ask(":ELOG:FETC?");
    let fields: Vec<f64> = answer.split(',').map(|f| f.parse().unwrap()).collect();
    let width = 1 + 5 * 3;
    assert_eq!(fields.len(), 10 * width, "10 records of 1 s at 0.1 s");
    for (r, rec) in fields.chunks(width).enumerate() {
        let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol;
        assert!(close(rec[0], 0.1 * (r + 1) as f64, 1e-9));
        assert_eq!(&rec[1..4], &[1.0, 1.0, 1.0], "slow");
        // A 10 Hz sawtooth over one whole period at 1 kHz: mean of 2p-1, p = 0, 0.01, …, 0.99.
        assert!(close(rec[4], -0.01, 1e-6), "ramp avg {}", rec[4]);
        assert!(close(rec[5], -1.0, 1e-6) && close(rec[6], 0.98, 1e-6));
        // One whole sine period: mean 0, extremes ±1.
        assert!(close(rec[7], 0.0, 1e-5), "sine avg {}", rec[7]);
        assert!(close(rec[8], -1.0, 1e-5) && close(rec[9], 1.0, 1e-5));
        assert_eq!(&rec[10..13], &[3.0, 3.0, 3.0], "fast");
        assert_eq!(&rec[13..16], &[-1.0, -1.0, -1.0], "odd rate");
    }
    c.no_error();
}

#[test]
fn overrun_is_reported_never_silent() {
    let mut rig = Rig::new(&["x=ramp:1:0.01@100"]);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"x\";:ELOG:TIM ELOG;:ELOG:STAR");
    // 30 s of records at 0.1 s; the buffer keeps 20 s (201 records).
    rig.step_ms(30_000);
    let first = c.ask(":ELOG:FETC? 1");
    let t: f64 = first.split(',').next().unwrap().parse().unwrap();
    let lost = (t / 0.1).round() as u64 - 1;
    assert!(lost > 0 && lost < 300, "{first}");
    assert_eq!(
        c.error(),
        format!("203,\"ELOG records lost;{lost} records lost\"")
    );
    // The rest is gap-less from there.
    let rest = c.ask(":ELOG:FETC?");
    let times: Vec<f64> = rest
        .split(',')
        .step_by(2)
        .map(|f| f.parse().unwrap())
        .collect();
    assert!(times.len() > 150);
    for (i, tt) in times.iter().enumerate() {
        assert!((tt - (t + 0.1 * (i + 1) as f64)).abs() < 1e-6);
    }
    c.no_error();
}

/// A source that fails when told to (a stream that dies).
struct Switch {
    inner: Simulator,
    fail: Arc<AtomicBool>,
}

impl Source for Switch {
    fn name(&self) -> &str {
        "switch"
    }

    fn channels(&self) -> Vec<ChannelDecl> {
        self.inner.channels()
    }

    fn poll(&mut self, until: Instant, out: &mut SampleBuffer) -> Result<Progress, SourceError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(SourceError::new("unplugged"));
        }
        self.inner.poll(until, out)
    }
}

fn switch(spec: &str) -> (Switch, Arc<AtomicBool>) {
    let fail = Arc::new(AtomicBool::new(false));
    let inner = Simulator::from_specs([&spec.parse().unwrap()]);
    (
        Switch {
            inner,
            fail: Arc::clone(&fail),
        },
        fail,
    )
}

#[test]
fn channel_removal_invalidates_and_stop_recovers() {
    let mut rig = Rig::new(&["keep=const:1@100"]);
    let (src, fail) = switch("gone=const:2@100");
    rig.add_source(src);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"keep\",\"gone\";:ELOG:TIM OFF;:ELOG:STAR");
    rig.step_ms(250);
    assert_eq!(c.ask(":ELOG:FETC?"), "1.0E+0,2.0E+0,1.0E+0,2.0E+0");
    fail.store(true, Ordering::SeqCst);
    let failures = rig.acquisition.step_to(Instant::from_millis(500));
    assert_eq!(failures.len(), 1);
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    assert_eq!(c.ask(":ELOG:FETC?"), "ERROR", "never stale data");
    assert_eq!(c.error(), "202,\"ELOG channel removed;gone\"");
    assert_eq!(c.ask(":CHANNEL:NAMES?"), "(\"1\",\"keep\")");
    c.send(":ELOG:PER 1");
    assert!(c.error().starts_with("-221,"));
    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    // The configuration still names the lost channel: STARt refuses, stays CONFIG.
    c.send(":ELOG:STAR");
    assert_eq!(c.error(), "202,\"ELOG channel removed;gone\"");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    c.send(":ELOG:ITEM \"keep\";:ELOG:STAR");
    rig.step_ms(800);
    assert_eq!(c.ask(":ELOG:FETC?"), "1.0E+0,1.0E+0");
    c.no_error();
}

#[test]
fn removal_in_config_and_reset_recovers() {
    let mut rig = Rig::new(&[]);
    let (src, fail) = switch("gone=const:2@100");
    rig.add_source(src);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"gone\"");
    fail.store(true, Ordering::SeqCst);
    assert_eq!(rig.acquisition.step_to(Instant::from_millis(100)).len(), 1);
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    c.send(":ELOG:RES");
    assert_eq!(c.ask(":ELOG:STAT?;ITEM?"), "CONFIG;NONE");
    c.no_error();
}
