//! Property tests: chunking, number round trips, string quoting.

mod common;

use common::{Elog, tree};
use proptest::prelude::*;
use scpi_parser::{Framer, Session};

fn run_chunks(chunks: &[&[u8]]) -> (Vec<u8>, Vec<String>, u32) {
    let tree = tree();
    let mut dev = Elog::default();
    let mut s = Session::new();
    let mut framer = Framer::with_capacity(256);
    let mut out = Vec::new();
    for c in chunks {
        s.feed(&mut framer, c, &tree, &mut dev, &mut out);
    }
    s.finish(&mut framer, &tree, &mut dev, &mut out);
    let mut errors = Vec::new();
    while let Some(e) = s.pop_error() {
        errors.push(e.to_string());
    }
    (out, errors, dev.executed)
}

fn one(line: &str) -> Vec<u8> {
    let (o, e, _) = run_chunks(&[line.as_bytes()]);
    assert!(e.is_empty(), "{line:?}: {e:?}");
    o
}

/// Fragments that combine into plausible (and implausible) messages.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b":ELOG:PER 100ms".to_vec()),
        Just(b";PER?".to_vec()),
        Just(b":ELOG:ITEM \"AI 1/1\",'AI 2/1'".to_vec()),
        Just(b":ELOG:DATA #15a\nb;c".to_vec()),
        Just(b":ELOG:DATA #0x\r".to_vec()),
        Just(b"*IDN?".to_vec()),
        Just(b":SYST:ERR?".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b";".to_vec()),
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"#2".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Feeding the same bytes in random chunks gives the same responses,
    /// errors and device effects as one feed.
    #[test]
    fn chunking_is_invisible(parts in proptest::collection::vec(fragment(), 0..12), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10)) {
        let data: Vec<u8> = parts.concat();
        let expected = run_chunks(&[&data]);
        let mut pos: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        pos.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for p in pos {
            chunks.push(&data[prev..p]);
            prev = p;
        }
        chunks.push(&data[prev..]);
        prop_assert_eq!(run_chunks(&chunks), expected);
    }

    /// NR3 written by the response writer, parsed back by the NRf lexer, is
    /// the same `f64`.
    #[test]
    fn nr3_round_trips(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        let out = one(&format!("NUM? {v:e}"));
        let text = std::str::from_utf8(&out).unwrap().trim_end();
        let back = scpi_parser::nrf::parse_nrf(text).unwrap();
        prop_assert_eq!(back, v, "{}", text);
        // And through the instrument again: NUM? <nr3> answers the same text.
        let again = one(&format!("NUM? {text}"));
        prop_assert_eq!(again, out);
    }

    /// NR2 written then parsed gives the same value.
    #[test]
    fn nr2_round_trips(v in -1e15f64..1e15) {
        let out = one(&format!("NUM? {v:e},NR2"));
        let text = std::str::from_utf8(&out).unwrap().trim_end();
        prop_assert!(!text.contains('E'));
        prop_assert_eq!(scpi_parser::nrf::parse_nrf(text).unwrap(), v);
    }

    /// Any text quoted with doubled quotes is received unescaped and written
    /// back quoted identically.
    #[test]
    fn string_quoting_round_trips(text in "[ -~]{0,40}", single in any::<bool>()) {
        let q = if single { '\'' } else { '"' };
        let quoted: String = std::iter::once(q)
            .chain(text.chars().flat_map(|c| if c == q { vec![c, c] } else { vec![c] }))
            .chain(std::iter::once(q))
            .collect();
        let out = one(&format!("ECHO? {quoted}"));
        let expected = format!("\"{}\"\n", text.replace('"', "\"\""));
        prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    /// Arbitrary bytes never panic and every message ends with at most one LF.
    #[test]
    fn arbitrary_bytes_are_safe(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (out, errors, _) = run_chunks(&[&data]);
        prop_assert!(errors.len() <= 16);
        prop_assert!(out.is_empty() || out.ends_with(b"\n"));
    }
}
