//! Zero heap allocations per message in the steady state, counted by a
//! counting global allocator.
//!
//! The counter is process-wide, so this binary has no libtest harness
//! (`harness = false`): the check runs on the main thread with no other thread
//! alive, and `main` speaks just enough of the libtest command line for
//! `cargo test` and `cargo nextest` (`--list`, `--exact NAME`).

mod common;

use std::alloc::System;

use common::{Elog, tree};
use scpi_parser::{Framer, Session};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Typical ELOG traffic: short, long and mixed headers, compound messages,
/// string lists, units, a 1 KiB block, queries, errors.
fn corpus() -> Vec<u8> {
    let mut c = Vec::new();
    for line in [
        &b":COMM:HEAD OFF"[..],
        b"*IDN?",
        b"*VER?",
        b":ELOG:ITEM \"AI 1/1\",\"AI 1/2\"",
        b":ELOG:ITEMS \"AI 1/1\",\"AI 9/9\"",
        b":elog:calculation AVG, MIN;:ELOG:CALC?",
        b":ELOG:PER 100ms",
        b":ELOG:PERIOD 0.100000;PER?",
        b":ELOG:FORM BIN_INTEL;FORM ASCII",
        b":ELOG:STAR;:ELOG:STAT?",
        b":ELOG:FETC? 10",
        b":ELOG:FETCH?",
        b":ELOG:STOP",
        b":SYST:ERR?;*CLS;COUN?",
        b":SYST:ERR:ALL?",
        b"OUTP2:STAT ON;STAT?",
        b"MEAS:VOLT?",
        b":ELOG:FETC? 2,",
        b"ROUT:CLOS (@1,3:5)",
        b"BOGUS:HEADER 1",
    ] {
        c.extend_from_slice(line);
        c.extend_from_slice(b"\r\n");
    }
    c.extend_from_slice(b":ELOG:DATA #41024");
    c.extend((0..1024).map(|i| (i % 256) as u8));
    c.extend_from_slice(b";:ELOG:DATA?\n");
    c
}

fn steady_state_does_not_allocate() {
    let tree = tree();
    let mut dev = Elog::default();
    let mut session = Session::new();
    let mut framer = Framer::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    let corpus = corpus();
    let mut round = |out: &mut Vec<u8>| {
        out.clear();
        // Feed in uneven chunks so that the framer's copy path is exercised too.
        for chunk in corpus.chunks(37) {
            session.feed(&mut framer, chunk, &tree, &mut dev, out);
        }
        session.feed(&mut framer, &corpus, &tree, &mut dev, out);
        while session.pop_error().is_some() {}
    };
    // The counter is live: one box is one allocation.
    let control = Region::new(GLOBAL);
    drop(std::hint::black_box(Box::new(7u64)));
    assert_eq!(control.change().allocations, 1);

    round(&mut out); // warm-up
    assert!(!out.is_empty());
    let region = Region::new(GLOBAL);
    for _ in 0..50 {
        round(&mut out);
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "heap use in the steady state: {stats:?}"
    );
    assert!(out.windows(6).any(|w| w == b"#41024"));
}

const NAME: &str = "steady_state_does_not_allocate";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // `--ignored` asks for the ignored tests: there are none.
        if !args.iter().any(|a| a == "--ignored") {
            println!("{NAME}: test");
        }
        return;
    }
    // A filter (positional argument) that does not match skips the test.
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if !filters.is_empty() && !filters.iter().any(|f| NAME.contains(f.as_str())) {
        println!("running 0 tests");
        return;
    }
    println!("running 1 test");
    steady_state_does_not_allocate();
    println!("test {NAME} ... ok");
    println!("\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
}
