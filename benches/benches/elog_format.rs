//! FETCh? formatting throughput of elog-core next to its anchors: std `{:E}`
//! NR3 and raw ryu/zmij digits for ASCII, a payload `memcpy` for the blocks.
//!
//! `cargo bench -p elog-benches --bench elog_format`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use elog_benches::perf::elog::{
    ASCII_RECORDS, ASCII_WIDTH, BINARY_FLOATS, ascii_elog, ascii_records, ascii_ryu, ascii_std,
    ascii_zmij, binary_records, binary_sink, binary_vec, memcpy_after_header, memcpy_aligned,
    payload,
};
use elog_core::Format;

fn ascii(c: &mut Criterion) {
    let mut g = c.benchmark_group("elog_format_ascii");
    g.throughput(Throughput::Elements((ASCII_RECORDS * ASCII_WIDTH) as u64));
    let r = ascii_records();
    let mut out = Vec::with_capacity(1 << 20);
    g.bench_function("elog_nr3", |b| {
        b.iter(|| ascii_elog(black_box(&r), &mut out))
    });
    g.bench_function("anchor_std_E_nr3", |b| {
        b.iter(|| ascii_std(black_box(&r), &mut out))
    });
    g.bench_function("anchor_ryu_raw", |b| {
        b.iter(|| ascii_ryu(black_box(&r), &mut out))
    });
    g.bench_function("anchor_zmij_raw", |b| {
        b.iter(|| ascii_zmij(black_box(&r), &mut out))
    });
    g.finish();
}

fn binary(c: &mut Criterion) {
    let mut g = c.benchmark_group("elog_format_binary");
    g.throughput(Throughput::Elements(BINARY_FLOATS as u64));
    let r = binary_records();
    let p = payload(&r);
    let mut out = Vec::with_capacity(p.len() + 64);
    g.bench_function("bin_intel_vec", |b| {
        b.iter(|| binary_vec(&r, Format::BinIntel, &mut out))
    });
    g.bench_function("bin_motorola_vec", |b| {
        b.iter(|| binary_vec(&r, Format::BinMotorola, &mut out));
    });
    g.bench_function("bin_intel_sink", |b| {
        b.iter(|| binary_sink(&r, Format::BinIntel, &mut out))
    });
    g.bench_function("bin_motorola_sink", |b| {
        b.iter(|| binary_sink(&r, Format::BinMotorola, &mut out));
    });
    g.bench_function("anchor_memcpy", |b| {
        b.iter(|| memcpy_aligned(black_box(&p), &mut out))
    });
    g.bench_function("trap_memcpy_after_header", |b| {
        b.iter(|| memcpy_after_header(black_box(&p), &mut out));
    });
    g.finish();
}

criterion_group!(benches, ascii, binary);
criterion_main!(benches);
