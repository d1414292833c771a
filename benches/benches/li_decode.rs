//! LI v3 decode throughput (criterion): the s32 fast path against memcpy and a bare
//! i32 → f64 pass over the same bytes, and the general bit-level path.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use elog_benches::perf::moku::{SAMPLES, bitpacked_document, datalogger_document, raw_i32_to_f64};
use moku_client::li;

fn bench(c: &mut Criterion) {
    let doc = datalogger_document(SAMPLES);
    let mut g = c.benchmark_group("li_decode");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    let options = li::DecodeOptions::default();
    let mut prev = li::decode(&doc).expect("decodes").channels;
    g.bench_function("s32_fast_path_recycled", |b| {
        b.iter(|| {
            let d = li::decode_recycling(black_box(&doc), &options, std::mem::take(&mut prev))
                .expect("decodes");
            prev = d.channels;
        });
    });
    g.bench_function("anchor_raw_i32_to_f64_reused", |b| {
        let mut out = Vec::with_capacity(doc.len() / 4);
        b.iter(|| {
            raw_i32_to_f64(black_box(&doc), &mut out);
            black_box(&out);
        });
    });
    g.bench_function("s32_fast_path_fresh", |b| {
        b.iter(|| li::decode(black_box(&doc)).expect("decodes"))
    });
    g.bench_function("anchor_memcpy", |b| {
        let mut copy = vec![0u8; doc.len()];
        b.iter(|| {
            copy.copy_from_slice(black_box(&doc));
            black_box(&copy);
        });
    });
    let bits = bitpacked_document(SAMPLES);
    g.throughput(Throughput::Bytes(bits.len() as u64));
    g.bench_function("bits_general_path", |b| {
        b.iter(|| li::decode(black_box(&bits)).expect("decodes"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
