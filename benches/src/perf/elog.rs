//! elog-core headline figures, each measured side by side with its anchor:
//!
//! * ingest, per-channel batches (AVG+MIN+MAX+RMS at once) vs a plain
//!   streaming sum over the same memory (target ≥ 70 %), and vs the same sum
//!   compiled for AVX2 (elog-core dispatches to AVX2/AVX-512F at runtime);
//! * ingest, 16 interleaved channels (target ≥ 2 G samples/s/core);
//! * ASCII FETCh? formatting vs a std `{:E}`-based NR3 writer (target ≥ 3×)
//!   and vs raw `ryu` / `zmij` digits (not NR3: an upper bound);
//! * binary blocks vs a `memcpy` of the payload (targets ≥ 3 G floats/s
//!   big-endian, ≥ 0.8× memcpy little-endian), plus the misaligned-`memcpy`
//!   trap the block writer avoids.
//!
//! The workloads are public so the criterion benches use the very same ones.

use std::hint::black_box;
use std::io::Write as _;
use std::time::Duration as StdDuration;

use elog_core::{
    Calc, CalcList, ChannelId, Duration, Engine, Format, GroupId, Instant, Limits, RecordTime,
    Records, StaticCatalog, Timebase,
};

use crate::Report;

/// Samples per ingest call (8 MiB of `f64`: beyond L2, like a real stream).
pub const INGEST_SAMPLES: usize = 1 << 20;
/// Channels of the interleaved-frames workload.
pub const FRAME_CHANNELS: usize = 16;
/// Records of the ASCII workload.
pub const ASCII_RECORDS: usize = 10_000;
/// Values per record of the ASCII workload (4 items × AVG, MIN).
pub const ASCII_WIDTH: usize = 8;
/// Floats per binary block.
pub const BINARY_FLOATS: usize = 1 << 20;

/// Deterministic pseudo-measurement values.
pub fn signal(n: usize, seed: u64) -> Vec<f64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0
        })
        .collect()
}

/// A running engine fed with one channel at 1 MHz, PERiod 0.1 s.
pub struct BatchIngest {
    engine: Engine,
    id: ChannelId,
    data: Vec<f64>,
    next: i64,
}

impl BatchIngest {
    /// Sets the workload up with [`INGEST_SAMPLES`] samples per call.
    pub fn new() -> Self {
        Self::with_samples(INGEST_SAMPLES)
    }

    /// Sets the workload up with `n` samples per call.
    pub fn with_samples(n: usize) -> Self {
        let mut cat = StaticCatalog::new();
        let id = cat.add_scalar("AI 1/1", 1e6);
        let mut engine = Engine::new(Limits::default());
        assert!(
            !engine
                .set_items(&cat, ["AI 1/1"])
                .expect("items")
                .kept_nothing()
        );
        engine
            .set_calculations(CalcList::new(&Calc::ALL).expect("calcs"))
            .expect("calc");
        engine
            .start(Instant::ZERO, Timebase::default())
            .expect("start");
        BatchIngest {
            engine,
            id,
            data: signal(n, 1),
            next: 0,
        }
    }

    /// Pushes the whole buffer once (the next stretch of time).
    pub fn step(&mut self) {
        let dt = Duration::from_micros(1);
        self.engine
            .push_batch(self.id, Instant::from_nanos(self.next), dt, &self.data)
            .expect("push");
        self.next += self.data.len() as i64 * 1000;
    }

    /// The samples (for the anchor pass over the same memory).
    pub fn data(&self) -> &[f64] {
        &self.data
    }
}

impl Default for BatchIngest {
    fn default() -> Self {
        Self::new()
    }
}

/// A running engine fed with 16 interleaved channels at 1 MHz, PERiod 10 ms.
pub struct FrameIngest {
    engine: Engine,
    group: GroupId,
    data: Vec<f64>,
    next: i64,
}

impl FrameIngest {
    /// Sets the workload up.
    pub fn new() -> Self {
        let mut cat = StaticCatalog::new();
        let names: Vec<String> = (0..FRAME_CHANNELS).map(|k| format!("AI 1/{k}")).collect();
        let ids: Vec<ChannelId> = names.iter().map(|n| cat.add_scalar(n, 1e6)).collect();
        let mut engine = Engine::new(Limits::default());
        let items = engine
            .set_items(&cat, names.iter().map(String::as_str))
            .expect("items");
        assert!(!items.kept_nothing());
        engine
            .set_calculations(CalcList::new(&Calc::ALL).expect("calcs"))
            .expect("calc");
        engine.set_period_secs(0.01).expect("period");
        let group = engine.declare_group(&ids).expect("group");
        engine
            .start(Instant::ZERO, Timebase::default())
            .expect("start");
        FrameIngest {
            engine,
            group,
            data: signal(INGEST_SAMPLES, 2),
            next: 0,
        }
    }

    /// Pushes the whole buffer of frames once.
    pub fn step(&mut self) {
        let dt = Duration::from_micros(1);
        let t = Instant::from_nanos(self.next);
        self.engine
            .push_frames(self.group, t, dt, &self.data)
            .expect("push");
        self.next += (self.data.len() / FRAME_CHANNELS) as i64 * 1000;
    }

    /// The samples (for the anchor pass).
    pub fn data(&self) -> &[f64] {
        &self.data
    }
}

impl Default for FrameIngest {
    fn default() -> Self {
        Self::new()
    }
}

/// The anchor: a plain streaming sum, 8 independent lanes so it vectorises
/// (for the default x86-64 target: SSE2, two lanes per instruction).
pub fn lane_sum(xs: &[f64]) -> f64 {
    lane_sum_body(xs)
}

/// The second anchor: the very same [`lane_sum`] compiled inside a
/// `#[target_feature(enable = "avx2")]` function (four lanes per
/// instruction), or `None` when the CPU lacks AVX2 (detected at runtime).
///
/// elog-core's kernels run AVX2/AVX-512F code on such a CPU; this is the
/// plain sum given the same advantage.
#[allow(unsafe_code)]
pub fn lane_sum_avx2(xs: &[f64]) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected at runtime on the line above.
        return Some(unsafe { lane_sum_avx2_unchecked(xs) });
    }
    let _ = xs;
    None
}

/// [`lane_sum`] for a CPU with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lane_sum_avx2_unchecked(xs: &[f64]) -> f64 {
    lane_sum_body(xs)
}

/// The code of [`lane_sum`], inlined into each instantiation.
#[inline(always)]
fn lane_sum_body(xs: &[f64]) -> f64 {
    let mut s = [0.0f64; 8];
    for c in xs.chunks_exact(8) {
        for j in 0..8 {
            s[j] += c[j];
        }
    }
    s.iter().sum::<f64>() + xs.chunks_exact(8).remainder().iter().sum::<f64>()
}

/// A second anchor: the one-accumulator `iter().sum()` most code writes.
pub fn naive_sum(xs: &[f64]) -> f64 {
    xs.iter().sum()
}

/// Records shaped like a 4-item × (AVG, MIN) FETCh? with ELOG timestamps.
pub fn ascii_records() -> Records {
    let vals = signal(ASCII_RECORDS * ASCII_WIDTH, 3);
    let cols: Vec<f32> = vals.iter().map(|&v| (v * 12.345) as f32).collect();
    let times = (1..=ASCII_RECORDS as i64)
        .map(|k| RecordTime::Elapsed(Duration::from_millis(100 * k)))
        .collect();
    Records::from_columns(ASCII_WIDTH, ASCII_RECORDS, times, cols).expect("shape")
}

/// Formats the ASCII answer with elog-core (scpi-parser's own shortest digits and NR3 layout).
pub fn ascii_elog(r: &Records, out: &mut Vec<u8>) {
    out.clear();
    elog_core::encode(r, Format::Ascii, out).expect("encode");
}

/// The same answer through std's `{:E}` and a re-layout to NR3 (`1.5E0` → `1.5E+0`).
pub fn ascii_std(r: &Records, out: &mut Vec<u8>) {
    out.clear();
    let mut tmp = String::with_capacity(32);
    let mut first = true;
    for i in 0..r.len() {
        if let Some(RecordTime::Elapsed(d)) = r.time(i) {
            let us = d.round_micros();
            let _ = write!(out, "{}.{:06}", us / 1_000_000, us % 1_000_000);
            first = false;
        }
        for v in r.row(i) {
            if !first {
                out.push(b',');
            }
            first = false;
            tmp.clear();
            std::fmt::Write::write_fmt(&mut tmp, format_args!("{v:E}")).expect("fmt");
            let (mant, exp) = tmp.split_once('E').expect("E");
            out.extend_from_slice(mant.as_bytes());
            if !mant.contains('.') {
                out.extend_from_slice(b".0");
            }
            out.push(b'E');
            if !exp.starts_with('-') {
                out.push(b'+');
            }
            out.extend_from_slice(exp.as_bytes());
        }
    }
}

/// Raw shortest digits from `ryu` (not NR3; the digit-generation bound).
pub fn ascii_ryu(r: &Records, out: &mut Vec<u8>) {
    out.clear();
    let mut b = ryu::Buffer::new();
    for i in 0..r.len() {
        for v in r.row(i) {
            out.extend_from_slice(b.format_finite(v).as_bytes());
            out.push(b',');
        }
    }
}

/// Raw shortest digits from `zmij` (not NR3).
pub fn ascii_zmij(r: &Records, out: &mut Vec<u8>) {
    out.clear();
    let mut b = zmij::Buffer::new();
    for i in 0..r.len() {
        for v in r.row(i) {
            out.extend_from_slice(b.format_finite(v).as_bytes());
            out.push(b',');
        }
    }
}

/// One column of `BINARY_FLOATS` values (one block, no timestamps).
pub fn binary_records() -> Records {
    let cols: Vec<f32> = signal(BINARY_FLOATS, 4).iter().map(|&v| v as f32).collect();
    Records::from_columns(1, BINARY_FLOATS, Vec::new(), cols).expect("shape")
}

/// The block answer through the `Vec` path (payload converted in place).
pub fn binary_vec(r: &Records, format: Format, out: &mut Vec<u8>) {
    out.clear();
    elog_core::encode_to_vec(r, format, out).expect("encode");
}

/// The block answer through the generic `Sink` path (staged, then copied).
pub fn binary_sink(r: &Records, format: Format, out: &mut Vec<u8>) {
    out.clear();
    elog_core::encode(r, format, out).expect("encode");
}

/// The anchor: `memcpy` of the payload bytes to an aligned destination.
pub fn memcpy_aligned(payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(payload);
}

/// The trap: the same `memcpy` after the real 9-byte block header
/// (`#74194304`), i.e. to a destination shifted by an odd number of bytes.
pub fn memcpy_after_header(payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"#74194304");
    out.extend_from_slice(payload);
}

/// The payload bytes (little-endian) of [`binary_records`].
pub fn payload(r: &Records) -> Vec<u8> {
    r.column(0).iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The best single-call rate of `f` (which does `units` units of work) over
/// about `budget`: the call least disturbed by other load on a shared machine.
///
/// Calls here take milliseconds, so one call is the unit of measurement
/// rather than the 20 ms rounds of [`crate::best_rate`], which a single
/// preemption spoils on a loaded 2-core box.
pub fn best_call_rate(budget: StdDuration, units: f64, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let start = std::time::Instant::now();
    let mut best = f64::INFINITY;
    let mut calls = 0;
    while calls < 5 || start.elapsed() < budget {
        let t = std::time::Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
        calls += 1;
    }
    units / best
}

/// Measures this area's figures into `report`.
pub fn run(report: &mut Report) {
    let budget = report.budget(StdDuration::from_millis(1500));

    let mut b = BatchIngest::new();
    let n = INGEST_SAMPLES as f64;
    let batch = best_call_rate(budget, n, || b.step());
    let lanes = best_call_rate(budget, n, || {
        black_box(lane_sum(black_box(b.data())));
    });
    let naive = best_call_rate(budget, n, || {
        black_box(naive_sum(black_box(b.data())));
    });
    report.add(
        "elog.ingest.batch_4stats",
        batch,
        "samples/s",
        "lane_sum_same_memory",
        lanes,
    );
    report.add(
        "elog.ingest.batch_4stats_vs_iter_sum",
        batch,
        "samples/s",
        "iter_sum_same_memory",
        naive,
    );
    if lane_sum_avx2(b.data()).is_some() {
        let wide = best_call_rate(budget, n, || {
            black_box(lane_sum_avx2(black_box(b.data())));
        });
        report.add(
            "elog.ingest.batch_4stats_vs_avx2_sum",
            batch,
            "samples/s",
            "lane_sum_avx2_same_memory",
            wide,
        );
    }
    drop(b);

    // The same with 64 MiB per call: the stream comes from DRAM, not L3.
    let big = INGEST_SAMPLES * 8;
    let mut b = BatchIngest::with_samples(big);
    let dram = best_call_rate(budget, big as f64, || b.step());
    let lanes = best_call_rate(budget, big as f64, || {
        black_box(lane_sum(black_box(b.data())));
    });
    report.add(
        "elog.ingest.batch_4stats_dram",
        dram,
        "samples/s",
        "lane_sum_same_memory",
        lanes,
    );
    drop(b);

    let mut f = FrameIngest::new();
    let frames = best_call_rate(budget, n, || f.step());
    let lanes = best_call_rate(budget, n, || {
        black_box(lane_sum(black_box(f.data())));
    });
    report.add(
        "elog.ingest.frames16_4stats",
        frames,
        "samples/s",
        "lane_sum_same_memory",
        lanes,
    );
    report.add(
        "elog.ingest.frames16_4stats_target",
        frames,
        "samples/s",
        "target_2G",
        2e9,
    );

    let r = ascii_records();
    let fields = (ASCII_RECORDS * (ASCII_WIDTH + 1)) as f64;
    let values = (ASCII_RECORDS * ASCII_WIDTH) as f64;
    let mut out = Vec::with_capacity(1 << 20);
    let elog = best_call_rate(budget, fields, || ascii_elog(&r, &mut out));
    let std = best_call_rate(budget, fields, || ascii_std(&r, &mut out));
    let ryu = best_call_rate(budget, values, || ascii_ryu(&r, &mut out));
    let zmij = best_call_rate(budget, values, || ascii_zmij(&r, &mut out));
    report.add("elog.format.ascii", elog, "fields/s", "std_E_nr3", std);
    report.add(
        "elog.format.ascii_vs_ryu",
        elog,
        "fields/s",
        "ryu_raw_digits",
        ryu,
    );
    report.add(
        "elog.format.ascii_vs_zmij",
        elog,
        "fields/s",
        "zmij_raw_digits",
        zmij,
    );

    let r = binary_records();
    let p = payload(&r);
    let mut out = Vec::with_capacity(p.len() + 64);
    let floats = BINARY_FLOATS as f64;
    let memcpy = best_call_rate(budget, floats, || memcpy_aligned(black_box(&p), &mut out));
    let shifted = best_call_rate(budget, floats, || {
        memcpy_after_header(black_box(&p), &mut out)
    });
    let le = best_call_rate(budget, floats, || {
        binary_vec(&r, Format::BinIntel, &mut out)
    });
    let be = best_call_rate(budget, floats, || {
        binary_vec(&r, Format::BinMotorola, &mut out)
    });
    let le_sink = best_call_rate(budget, floats, || {
        binary_sink(&r, Format::BinIntel, &mut out)
    });
    let be_sink = best_call_rate(budget, floats, || {
        binary_sink(&r, Format::BinMotorola, &mut out)
    });
    report.add(
        "elog.format.bin_intel",
        le,
        "floats/s",
        "memcpy_payload",
        memcpy,
    );
    report.add("elog.format.bin_motorola", be, "floats/s", "target_3G", 3e9);
    report.add(
        "elog.format.bin_motorola_vs_memcpy",
        be,
        "floats/s",
        "memcpy_payload",
        memcpy,
    );
    report.add(
        "elog.format.bin_intel_sink",
        le_sink,
        "floats/s",
        "memcpy_payload",
        memcpy,
    );
    report.add(
        "elog.format.bin_motorola_sink",
        be_sink,
        "floats/s",
        "memcpy_payload",
        memcpy,
    );
    report.add(
        "elog.format.memcpy_after_header",
        shifted,
        "floats/s",
        "memcpy_payload",
        memcpy,
    );
}
