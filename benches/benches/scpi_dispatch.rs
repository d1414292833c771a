//! Parse + resolve + validate + dispatch of a corpus of typical ELOG program
//! messages: `scpi-parser` against the `scpi` crate 1.x, same tree, same
//! corpus, same run (see `elog_benches::perf::scpi` for both sides).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use elog_benches::perf::scpi::{OursRig, TheirsRig, corpus};
use scpi_parser::{Framer, Session};

fn dispatch(c: &mut Criterion) {
    let corpus = corpus();
    let mut g = c.benchmark_group("scpi_dispatch");
    g.throughput(Throughput::Elements(corpus.len() as u64));

    let mut ours = OursRig::new();
    g.bench_function("scpi-parser", |b| {
        b.iter(|| {
            ours.round(black_box(&corpus));
            black_box(ours.out.len())
        })
    });

    let mut theirs = TheirsRig::new();
    g.bench_function("scpi-rs", |b| {
        b.iter(|| {
            theirs.round(black_box(&corpus));
            black_box(theirs.out.len())
        })
    });

    // scpi-parser with its framer in front: the whole stream (LF-terminated)
    // fed in 1460-byte segments, as it comes off a TCP socket.
    let mut stream = Vec::new();
    for m in &corpus {
        stream.extend_from_slice(m);
        stream.extend_from_slice(b"\r\n");
    }
    let tree = elog_benches::perf::scpi::ours_tree();
    let mut dev = elog_benches::perf::scpi::Ours::default();
    let mut session = Session::new();
    let mut framer = Framer::with_capacity(16 * 1024);
    let mut out = Vec::with_capacity(64 * 1024);
    g.bench_function("scpi-parser+framer", |b| {
        b.iter(|| {
            out.clear();
            for seg in black_box(&stream).chunks(1460) {
                session.feed(&mut framer, seg, &tree, &mut dev, &mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
