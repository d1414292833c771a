use super::index::not_alpha;
use super::*;
use crate::lexer::{Cursor, parse_header};

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Cmd {
    Volt,
    VoltQ,
    MeasDcQ,
    OutState,
    Ver,
    Item,
}

fn tree() -> Tree<Cmd> {
    let mut t = Tree::new();
    t.add("[:SOURce]:VOLTage[:LEVel]", &[], Cmd::Volt).unwrap();
    t.add("[:SOURce]:VOLTage[:LEVel]?", &[], Cmd::VoltQ)
        .unwrap();
    t.add("MEASure:VOLTage[:DC]?", &[], Cmd::MeasDcQ).unwrap();
    t.add("OUTPut#{1..4}:STATe", &[], Cmd::OutState).unwrap();
    t.add("*VER?", &[], Cmd::Ver).unwrap();
    t.add(":ELOG:ITEMs", &[], Cmd::Item).unwrap();
    t
}

fn res(t: &Tree<Cmd>, path: &Path, s: &str) -> Result<(Cmd, Suffixes, Path), i32> {
    let mut c = Cursor::new(s.as_bytes());
    let h = parse_header(&mut c).map_err(|e| e.code())?;
    let r = t.resolve(path, &h).map_err(|e| e.code())?;
    match r.leaf.target {
        Target::Device(d) => Ok((d, r.suffixes, r.next_path)),
        Target::Builtin(_) => Err(0),
    }
}

#[test]
fn builtins_fit() {
    let t: Tree<Cmd, 16> = Tree::new_sized();
    assert!(t.node_count() <= 16);
    assert_eq!(t.commons_len, 10); // 13 commands, 10 names
    assert!(t.common(b"idn", true).is_some());
    assert!(t.common(b"IDN", false).is_none());
    let p = Path::default();
    let mut c = Cursor::new(b"syst:err?");
    let h = parse_header(&mut c).unwrap();
    assert!(matches!(
        t.resolve(&p, &h).unwrap().leaf.target,
        Target::Builtin(Builtin::ErrNextQ)
    ));
}

#[test]
fn optional_nodes() {
    let t = tree();
    let p = Path::default();
    assert_eq!(res(&t, &p, "VOLT 1").unwrap().0, Cmd::Volt);
    assert_eq!(res(&t, &p, "sour:volt:lev?").unwrap().0, Cmd::VoltQ);
    assert_eq!(res(&t, &p, "SOURCE:VOLTAGE").unwrap().0, Cmd::Volt);
    assert_eq!(res(&t, &p, ":VOLT:LEV").unwrap().0, Cmd::Volt);
    assert_eq!(res(&t, &p, "MEAS:VOLT?").unwrap().0, Cmd::MeasDcQ);
    assert_eq!(res(&t, &p, "MEAS:VOLT:DC?").unwrap().0, Cmd::MeasDcQ);
    assert_eq!(res(&t, &p, "MEAS:VOLT").unwrap_err(), -113);
    assert_eq!(res(&t, &p, "MEAS:VOLTA?").unwrap_err(), -113);
    assert_eq!(res(&t, &p, "ELOG:ITEM").unwrap().0, Cmd::Item);
}

#[test]
fn suffixes() {
    let t = tree();
    let p = Path::default();
    let (c, s, next) = res(&t, &p, "OUTP3:STAT").unwrap();
    assert_eq!(c, Cmd::OutState);
    assert_eq!(s.as_slice(), [3]);
    assert_eq!(res(&t, &p, "OUTPUT:STAT").unwrap().1.as_slice(), [1]);
    assert_eq!(res(&t, &p, "OUTP5:STAT").unwrap_err(), -114);
    assert_eq!(res(&t, &p, "OUTP0:STAT").unwrap_err(), -114);
    assert_eq!(res(&t, &p, "MEAS2:VOLT?").unwrap_err(), -114);
    assert_eq!(res(&t, &p, "OUTP99999999999:STAT").unwrap_err(), -114);
    // The path keeps the suffix: `OUTP3:STAT ON;STAT OFF` stays on 3.
    assert_eq!(res(&t, &next, "STAT").unwrap().1.as_slice(), [3]);
}

#[test]
fn compound_path() {
    let t = tree();
    let (_, _, next) = res(&t, &Path::default(), "MEAS:VOLT:DC?").unwrap();
    assert_eq!(res(&t, &next, "DC?").unwrap().0, Cmd::MeasDcQ);
    assert_eq!(res(&t, &next, "MEAS:VOLT?").unwrap_err(), -113);
    assert_eq!(res(&t, &next, ":MEAS:VOLT?").unwrap().0, Cmd::MeasDcQ);
}

#[test]
fn declaration_errors() {
    let mut t: Tree<Cmd> = Tree::new();
    // An answer on refusal needs a query and a one-unit text.
    assert_eq!(
        t.add_answering_refusal("ELOG:FETCh", &[], Cmd::Ver, "ERROR"),
        Err(TreeError::Pattern("ELOG:FETCh"))
    );
    for bad in ["", "A;B", "A B", "A\n"] {
        assert_eq!(
            t.add_answering_refusal("ELOG:FETCh?", &[], Cmd::Ver, bad),
            Err(TreeError::Pattern("ELOG:FETCh?"))
        );
    }
    assert_eq!(
        t.add("*IDN?", &[], Cmd::Ver),
        Err(TreeError::Duplicate("*IDN?"))
    );
    assert_eq!(
        t.add("SYST:ERR:NEXT?", &[], Cmd::Ver),
        Err(TreeError::Conflict("SYST:ERR:NEXT?"))
    );
    assert_eq!(
        t.add("SYSTem:ERRor:NEXT?", &[], Cmd::Ver),
        Err(TreeError::Conflict("SYSTem:ERRor:NEXT?"))
    );
    assert_eq!(
        t.add("SYSTem:ERRor[:NEXT]?", &[], Cmd::Ver),
        Err(TreeError::Duplicate("SYSTem:ERRor[:NEXT]?"))
    );
    assert_eq!(
        t.add("SYSTem:ERRors?", &[], Cmd::Ver),
        Err(TreeError::Conflict("SYSTem:ERRors?"))
    );
    for bad in [
        "", ":", "A::B", "A:", "1A", "A[B", "A#{3..1}", "A#x", "*", "*1", "A2#",
    ] {
        assert_eq!(
            t.add(bad, &[], Cmd::Ver),
            Err(TreeError::Pattern(bad)),
            "{bad}"
        );
    }
    assert_eq!(
        t.add(
            "X",
            const { &[Param::string_list(), Param::string()] },
            Cmd::Ver
        ),
        Err(TreeError::Params("X"))
    );
    let mut small: Tree<Cmd, 16> = Tree::new_sized();
    let mut full = false;
    for p in ["A:B:C:D:E:F", "G:H:I:J:K:L"] {
        full |= small.add(p, &[], Cmd::Ver) == Err(TreeError::Full(p));
    }
    assert!(full);
}

#[test]
fn short_headers() {
    let t = tree();
    let mut c = Cursor::new(b"OUTPUT2:STATE");
    let h = parse_header(&mut c).unwrap();
    let r = t.resolve(&Path::default(), &h).unwrap();
    let mut buf = [0u8; 64];
    let n = t.short_header(r.node, &r.suffixes, &mut buf);
    assert_eq!(&buf[..n], b":OUTP2:STAT");
    let mut c = Cursor::new(b"SOUR:VOLT:LEV?");
    let h = parse_header(&mut c).unwrap();
    let r = t.resolve(&Path::default(), &h).unwrap();
    let n = t.short_header(r.node, &r.suffixes, &mut buf);
    assert_eq!(&buf[..n], b":VOLT");
}

/// The one-pass fast path agrees with the general lexer + resolver on
/// whatever it accepts (and leaves everything else to it).
fn general(t: &Tree<Cmd>, path: &Path, s: &[u8]) -> Option<(NodeId, bool, usize, Path)> {
    let mut c = Cursor::new(s);
    let h = parse_header(&mut c).ok()?;
    if h.common {
        return None;
    }
    let r = t.resolve(path, &h).ok()?;
    Some((r.node, h.query, c.pos, r.next_path))
}

#[test]
fn word_classification_matches_the_byte_rule() {
    for b in 0..=255u8 {
        let alpha = b.is_ascii_alphabetic() || b == b'_';
        for p in 0..8 {
            let mut bytes = [b'A'; 8];
            bytes[p] = b;
            let m = not_alpha(u64::from_le_bytes(bytes));
            assert_eq!(m, if alpha { 0 } else { 0x80 << (8 * p) }, "{b:#x} at {p}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
    #[test]
    fn word_keys_equal_byte_keys(
        body in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(&b"aZkQ_"[..]),
                proptest::num::u8::ANY,
            ],
            0..20,
        ),
        tail in proptest::collection::vec(proptest::num::u8::ANY, 0..10),
    ) {
        let mut s = std::vec![b'E'];
        s.extend_from_slice(&body);
        s.extend_from_slice(&tail);
        let run = s
            .iter()
            .take_while(|c| c.is_ascii_alphabetic() || **c == b'_')
            .count();
        let want = (run <= MAX_MNEMONIC_LEN).then(|| (key(&s[..run]), run));
        proptest::prop_assert_eq!(mnemonic_key(&s, 0), want);
    }
}

#[test]
fn common_direct_agrees_with_general() {
    let t = tree();
    let mut taken = 0;
    for h in [
        "*VER?",
        "*ver?",
        "*IDN?",
        "*idn?;*CLS",
        "*CLS",
        "*cls ",
        "*ESE 1",
        "*VER",
        "*FOO?",
        "*VER?x",
        "*VE1?",
        "*VER:X",
        "*_A",
        "*",
        "*?",
        "*RST\t",
        "*OPC?;",
        "*ESR?",
    ] {
        let s = h.as_bytes();
        let general = {
            let mut c = Cursor::new(s);
            parse_header(&mut c).ok().and_then(|hd| {
                let leaf = t.common(hd.body, hd.query)?;
                Some((std::format!("{:?}", leaf.target), hd.query, c.pos))
            })
        };
        if let Some((leaf, q, end)) = t.common_direct(s, 0) {
            taken += 1;
            assert_eq!(
                Some((std::format!("{:?}", leaf.target), q, end)),
                general,
                "{h}"
            );
        }
    }
    assert_eq!(taken, 10);
}

#[test]
fn direct_path_takes_the_usual_headers() {
    let t = tree();
    let p = Path::default();
    for h in [
        ":ELOG:ITEM",
        "elog:items \"x\"",
        "MEAS:VOLT:DC?;",
        "SOUR:VOLT:LEV?",
        "MEAS:VOLT?",
    ] {
        assert!(t.resolve_direct(h.as_bytes(), 0, &p).is_some(), "{h}");
    }
    // Optional nodes skipped, suffixes, bad syntax: the general path.
    for h in ["VOLT", "OUTP2:STAT", "OUTP:STAT", "ELOG:ITEM,", "*VER?"] {
        assert!(t.resolve_direct(h.as_bytes(), 0, &p).is_none(), "{h}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
    #[test]
    fn direct_path_agrees_with_general(
        parts in proptest::collection::vec(
            proptest::sample::select(&[
                "SOUR", "source", "VOLT", "voltage", "LEV", "level", "MEAS", "meas",
                "DC", "OUTP", "OUTP2", "outp4", "STAT", "state", "ELOG", "elog", "ITEM",
                "items", "ITEMS", "SYST", "ERR", "error", "NEXT", "COUN", "X", "VOLTA",
                "", "?", "1", "_A",
            ][..]),
            1..5,
        ),
        absolute in proptest::bool::ANY,
        query in proptest::bool::ANY,
        tail in proptest::sample::select(&["", " 1", ";", "\t", "x", "?", ":", "\u{80}"][..]),
        start in 0usize..4,
    ) {
        let t = tree();
        let mut text = std::string::String::new();
        if absolute {
            text.push(':');
        }
        text.push_str(&parts.join(":"));
        if query {
            text.push('?');
        }
        text.push_str(tail);
        // Start from a few different current paths.
        let path = match start {
            0 => Path::default(),
            _ => {
                let from = ["SOUR:VOLT", "MEAS:VOLT:DC?", "ELOG:ITEM"][start - 1];
                general(&t, &Path::default(), from.as_bytes()).map_or(Path::default(), |g| g.3)
            }
        };
        let s = text.as_bytes();
        if let Some((r, q, end)) = t.resolve_direct(s, 0, &path) {
            let g = general(&t, &path, s);
            proptest::prop_assert!(g.is_some(), "{text:?}: only the fast path accepts");
            let (node, gq, gend, gnext) = g.unwrap();
            proptest::prop_assert_eq!((r.node, q, end), (node, gq, gend), "{:?}", text);
            proptest::prop_assert_eq!(r.next_path.node, gnext.node);
            proptest::prop_assert_eq!(r.suffixes, Suffixes::default());
        }
    }
}
