//! Issue 10's ELOG promises and SCPI details, through the SCPI command path
//! of the instrument with the real simulator and acquisition (stepped
//! deterministically, no clock).

use std::sync::Arc;

use elog::acquisition::{Acquisition, lock, shared};
use elog::elog_core::{Duration, Instant};
use elog::instrument::SourceClock;
use elog::scpi_parser::Session;
use elog::{ChannelSpec, ElogInstrument, Simulator};

fn send(inst: &mut ElogInstrument, s: &mut Session, msg: &str) -> String {
    let tree = ElogInstrument::tree();
    let mut out = Vec::new();
    s.process(&tree, msg.as_bytes(), inst, &mut out);
    String::from_utf8(out).unwrap()
}

fn errors(inst: &mut ElogInstrument, s: &mut Session) -> Vec<String> {
    let mut v = Vec::new();
    loop {
        let e = send(inst, s, ":SYST:ERR?");
        if e.starts_with("0,") {
            return v;
        }
        v.push(e.trim_end().to_string());
    }
}

/// A1 (instrument level): `RB=ramp:3:7@1000` and `SLOW=const:1@2.5`, PER
/// 0.4, nothing fetched for 25 s of 10 ms acquisition ticks: at least 51
/// records (20.4 s) answer, not 49.
#[test]
fn slow_item_mix_keeps_20_s_through_scpi() {
    let inst = shared(ElogInstrument::default());
    let mut acq = Acquisition::new(Arc::clone(&inst));
    let rb: ChannelSpec = "RB=ramp:3:7@1000".parse().unwrap();
    let slow: ChannelSpec = "SLOW=const:1@2.5".parse().unwrap();
    acq.add_source(Simulator::from_specs([&rb, &slow])).unwrap();
    let mut s = Session::new();
    // Some acquisition time passes before STARt, off the slow item's grid.
    let mut t = Instant::ZERO;
    let tick = Duration::from_millis(10);
    while t < Instant::from_millis(1_230) {
        t = t + tick;
        acq.step_to(t);
    }
    let r = send(
        &mut lock(&inst),
        &mut s,
        ":ELOG:ITEM \"RB\",\"SLOW\";:ELOG:PER 0.4;:ELOG:TIM REL;:ELOG:CALC AVG;:ELOG:STAR",
    );
    assert_eq!(r, "");
    let end = t + Duration::from_secs(25);
    while t < end {
        t = t + tick;
        acq.step_to(t);
    }
    let mut g = lock(&inst);
    let answer = send(&mut g, &mut s, ":ELOG:FETC?");
    // REL timestamp + RB + SLOW per record.
    let fields = answer.trim_end().split(',').count();
    assert_eq!(fields % 3, 0, "{answer}");
    let records = fields / 3;
    assert!(records >= 51, "{records} records kept");
    let errs = errors(&mut g, &mut s);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("203,"), "{errs:?}");
}

/// A2: with a live clock ahead of what the acquisition delivered, STARt
/// happens at the clock's time: samples taken before the command (but
/// delivered after it) never enter a record.
#[test]
fn t0_never_precedes_start() {
    let mut inst = ElogInstrument::default();
    let a = inst.register_channel("A", 1000.0).unwrap();
    // Delivered up to 1.000 s; the command arrives at 1.007 s.
    inst.advance_to(Instant::from_millis(1_000));
    inst.set_clock(Some(SourceClock::new(|| Instant::from_millis(1_007))));
    assert_eq!(inst.start_time(), Instant::from_millis(1_007));
    let mut s = Session::new();
    send(
        &mut inst,
        &mut s,
        ":ELOG:ITEM \"A\";:ELOG:TIM OFF;:ELOG:CALC MIN;:ELOG:STAR",
    );
    // The tick's samples: 1.000 .. 1.200 s, value = sample index.
    let values: Vec<f64> = (0..200).map(f64::from).collect();
    inst.push_batch(
        a,
        Instant::from_millis(1_000),
        Duration::from_millis(1),
        &values,
    )
    .unwrap();
    assert_eq!(inst.engine().t0(), Some(Instant::from_millis(1_007)));
    // Window 0 = [1.007, 1.107): its MIN is sample 7, not 0.
    assert_eq!(send(&mut inst, &mut s, ":ELOG:FETC? 1"), "7.0E+0\n");
    // A clock behind the delivered time never moves STARt backwards.
    inst.set_clock(Some(SourceClock::new(|| Instant::from_millis(10))));
    inst.advance_to(Instant::from_millis(2_000));
    assert_eq!(inst.start_time(), Instant::from_millis(2_000));
}

/// A3: every FETCh? gets a line, also when the parser refuses its argument.
#[test]
fn every_fetch_gets_a_line() {
    let mut inst = ElogInstrument::default();
    inst.register_channel("A", 1000.0).unwrap();
    let mut s = Session::new();
    send(&mut inst, &mut s, ":ELOG:ITEM \"A\";:ELOG:STAR");
    for arg in [
        "#HFFFFFFFFFFFFFFFFFFFFFF",
        "1e+99999",
        "ABC",
        "\"x\"",
        "-1",
        "NAN",
    ] {
        let r = send(&mut inst, &mut s, &format!(":ELOG:FETC? {arg}"));
        assert_eq!(r, "ERROR\n", "FETC? {arg}");
        let errs = errors(&mut inst, &mut s);
        assert_eq!(errs.len(), 1, "FETC? {arg}: {errs:?}");
        assert!(errs[0].starts_with('-'), "FETC? {arg}: {errs:?}");
    }
    // With HEADer ON the line carries the header, like any answer.
    let r = send(&mut inst, &mut s, ":COMM:HEAD ON;:ELOG:FETC? ABC");
    assert_eq!(r, ":ELOG:FETC ERROR\n");
}

/// A4: PERiod reads back as written (1 ns resolution, shortest decimal).
#[test]
fn period_reads_back_as_written() {
    let mut inst = ElogInstrument::default();
    let mut s = Session::new();
    for (set, get) in [
        ("1.23456789", "1.23456789"),
        ("0.1", "0.1"),
        ("2", "2.0"),
        ("3600", "3600.0"),
        ("0.000000001", "0.000000001"),
        ("1.0000000004", "1.0"),
        ("100ms", "0.1"),
        ("2 MIN", "120.0"),
        ("0.5 HR", "1800.0"),
    ] {
        let r = send(&mut inst, &mut s, &format!(":ELOG:PER {set};:ELOG:PER?"));
        assert_eq!(r, format!("{get}\n"), "PER {set}");
    }
    assert!(errors(&mut inst, &mut s).is_empty());
}

/// B1–B3: refusal codes, time suffixes and choice words as the seed spells them.
#[test]
fn scpi_details() {
    let mut inst = ElogInstrument::default();
    let mut s = Session::new();
    send(&mut inst, &mut s, ":ELOG:CALC FOO");
    let e = errors(&mut inst, &mut s);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("-224,"), "{e:?}");
    assert_eq!(send(&mut inst, &mut s, ":ELOG:CALC?"), "AVG\n");
    // 2 HR = 7200 s is beyond the 3600 s bound.
    send(&mut inst, &mut s, ":ELOG:PER 2 HR");
    let e = errors(&mut inst, &mut s);
    assert!(e.len() == 1 && e[0].starts_with("-222,"), "{e:?}");
    send(&mut inst, &mut s, ":ELOG:PER 2 MIN");
    assert!(errors(&mut inst, &mut s).is_empty());
    // MIN as a parameter of its own still means MINimum: the declared
    // minimum (unbounded here), which the engine refuses as a period
    // (-222, not a syntax error).
    send(&mut inst, &mut s, ":ELOG:PER MIN");
    let e = errors(&mut inst, &mut s);
    assert!(e.len() == 1 && e[0].starts_with("-222,"), "{e:?}");
    // Choice words: exactly the seed's forms, any case, no short forms.
    for ok in [
        ":ELOG:FORM ASCII",
        ":ELOG:FORM bin_intel",
        ":ELOG:FORM BIN_MOTOROLA",
        ":ELOG:TIM OFF",
        ":ELOG:TIM REL",
        ":ELOG:TIM ABS",
        ":ELOG:TIM ELOG",
        ":ELOG:CALC AVG,MIN,MAX,RMS",
    ] {
        send(&mut inst, &mut s, ok);
        assert!(errors(&mut inst, &mut s).is_empty(), "{ok}");
    }
    for bad in [
        ":ELOG:FORM ASC",
        ":ELOG:FORM BIN_INT",
        ":ELOG:FORM BIN_MOT",
        ":ELOG:TIM EL",
        ":ELOG:CALC AV",
        ":ELOG:CALC MINIMUM",
    ] {
        send(&mut inst, &mut s, bad);
        let e = errors(&mut inst, &mut s);
        assert!(e.len() == 1 && e[0].starts_with("-224,"), "{bad}: {e:?}");
    }
}
