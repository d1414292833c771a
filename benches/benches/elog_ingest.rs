//! Ingest throughput of elog-core, each workload next to its anchor (a plain
//! streaming sum over the same memory).
//!
//! `cargo bench -p elog-benches --bench elog_ingest`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use elog_benches::perf::elog::{BatchIngest, FrameIngest, INGEST_SAMPLES, lane_sum, naive_sum};

fn batches(c: &mut Criterion) {
    let mut g = c.benchmark_group("elog_ingest_batch");
    g.throughput(Throughput::Elements(INGEST_SAMPLES as u64));
    let mut w = BatchIngest::new();
    g.bench_function("push_batch_avg_min_max_rms", |b| b.iter(|| w.step()));
    let data = w.data().to_vec();
    g.bench_function("anchor_lane_sum", |b| {
        b.iter(|| black_box(lane_sum(black_box(&data))))
    });
    g.bench_function("anchor_iter_sum", |b| {
        b.iter(|| black_box(naive_sum(black_box(&data))))
    });
    g.finish();
}

fn frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("elog_ingest_frames16");
    g.throughput(Throughput::Elements(INGEST_SAMPLES as u64));
    let mut w = FrameIngest::new();
    g.bench_function("push_frames_avg_min_max_rms", |b| b.iter(|| w.step()));
    let data = w.data().to_vec();
    g.bench_function("anchor_lane_sum", |b| {
        b.iter(|| black_box(lane_sum(black_box(&data))))
    });
    g.finish();
}

criterion_group!(benches, batches, frames);
criterion_main!(benches);
