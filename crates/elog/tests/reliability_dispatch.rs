//! The server reads whatever chunks TCP delivers. Property: through the
//! server's dispatch path (`elog::dispatch::dispatch`), any chunking of a byte
//! stream — valid commands, garbage, blocks, overlong lines mixed — gives the
//! same answers, the same error queue and the same instrument state as the
//! stream in one piece; answers always end with LF.

use elog::ElogInstrument;
use elog::dispatch::{ConnectionLimits, Verdict, dispatch};
use elog::scpi_parser::{Framer, Session};
use proptest::prelude::*;

const LIMITS: ConnectionLimits = ConnectionLimits {
    max_input: 256,
    max_discard: 1024,
    max_output: 1 << 20,
};

const FRAGMENTS: &[&[u8]] = &[
    b":ELOG:ITEM \"AI 1/1\",\"AI 1/2\"\n",
    b":ELOG:PER 0.5;:ELOG:PER?\n",
    b":ELOG:CALC MIN,MAX;CALC?\n",
    b":ELOG:STAR\n",
    b":ELOG:STAT?\n",
    b":ELOG:FETC?\n",
    b":ELOG:STOP\n",
    b"*IDN?\n",
    b"*VER?;:SYST:ERR?\n",
    b":COMM:HEAD ON\n",
    b":COMM:HEAD OFF\r\n",
    b":ELOG:ITEM #14\"x\n\"\n",
    b":ELOG:ITEM \"unterminated\n",
    b"garbage ;; \xff\x00\n",
    b"#9999",
    b"\"",
    b"\n",
    b";",
];

/// Runs `chunks` through a fresh instrument; returns the answers, the error
/// queue and the final configuration.
fn run(chunks: &[&[u8]]) -> (Vec<u8>, String, String) {
    let tree = ElogInstrument::tree();
    let mut inst = ElogInstrument::default();
    inst.register_channel("AI 1/1", 1000.0).unwrap();
    inst.register_channel("AI 1/2", 100.0).unwrap();
    let mut session: Session = Session::new();
    let mut framer = Framer::new(vec![0u8; LIMITS.max_input]);
    let mut all = Vec::new();
    for chunk in chunks {
        let mut out = Vec::new();
        let v = dispatch(
            &mut session,
            &mut framer,
            chunk,
            &tree,
            &mut inst,
            &mut out,
            &LIMITS,
        );
        assert!(out.is_empty() || out.ends_with(b"\n"));
        all.extend_from_slice(&out);
        if v != Verdict::Continue {
            break;
        }
    }
    let mut tail = Vec::new();
    session.process(&tree, b":SYST:ERR:ALL?", &mut inst, &mut tail);
    let errors = String::from_utf8_lossy(&tail).into_owned();
    tail.clear();
    session.process(
        &tree,
        b":COMM:HEAD OFF;:ELOG:ITEM?;PER?;CALC?;STAT?",
        &mut inst,
        &mut tail,
    );
    (all, errors, String::from_utf8_lossy(&tail).into_owned())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn chunking_never_changes_the_answers(
        picks in prop::collection::vec(0..FRAGMENTS.len(), 1..40),
        long in prop::option::of(300usize..2000),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream: Vec<u8> = picks.iter().flat_map(|&i| FRAGMENTS[i].iter().copied()).collect();
        if let Some(n) = long {
            let at = n % (stream.len() + 1);
            let line: Vec<u8> = std::iter::repeat_n(b'A', n).chain([b'\n']).collect();
            stream.splice(at..at, line);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.sort_unstable();
        points.dedup();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut from = 0;
        for p in points {
            chunks.push(&stream[from..p]);
            from = p;
        }
        chunks.push(&stream[from..]);
        let whole = run(&[&stream]);
        let pieces = run(&chunks);
        prop_assert_eq!(whole, pieces);
    }
}
