//! A deterministic driver for instruction counting under `valgrind --tool=callgrind`.
//!
//! `instr-driver <ours|theirs|framed> <rounds> [message]` runs the SCPI corpus of `perf::scpi` through one
//! side `rounds` times (only message number `message` when given). Run it with N and 2N rounds and take
//! `(I(2N) - I(N)) / (N * messages)`: start-up and tree construction cancel out
//! (`docs/PERFORMANCE.md` shows the exact commands).

use std::hint::black_box;

use elog_benches::perf::scpi::{Ours, OursRig, TheirsRig, corpus, ours_tree};
use scpi_parser::{Framer, Session};

fn main() {
    let mut args = std::env::args().skip(1);
    let side = args.next().unwrap_or_else(|| "ours".into());
    let rounds: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let mut corpus = corpus();
    // An optional third argument keeps only that message of the corpus.
    if let Some(k) = args.next().and_then(|k| k.parse::<usize>().ok()) {
        corpus = vec![corpus.swap_remove(k)];
    }
    match side.as_str() {
        "ours" => {
            let mut rig = OursRig::new();
            for _ in 0..rounds {
                rig.round(black_box(&corpus));
            }
            black_box(&rig.out);
        }
        "theirs" => {
            let mut rig = TheirsRig::new();
            for _ in 0..rounds {
                rig.round(black_box(&corpus));
            }
            black_box(&rig.out);
        }
        "framed" => {
            // Ours with the framer in front: the corpus as one CRLF-terminated
            // stream, fed in 1460-byte segments (as off a TCP socket).
            let mut stream = Vec::new();
            for m in &corpus {
                stream.extend_from_slice(m);
                stream.extend_from_slice(b"\r\n");
            }
            let tree = ours_tree();
            let mut dev = Ours::default();
            let mut session = Session::new();
            let mut framer = Framer::with_capacity(16 * 1024);
            let mut out = Vec::with_capacity(64 * 1024);
            for _ in 0..rounds {
                out.clear();
                for seg in black_box(&stream).chunks(1460) {
                    session.feed(&mut framer, seg, &tree, &mut dev, &mut out);
                }
            }
            black_box(&out);
        }
        other => {
            eprintln!("unknown side {other:?}: use `ours`, `theirs` or `framed`");
            std::process::exit(2);
        }
    }
}
