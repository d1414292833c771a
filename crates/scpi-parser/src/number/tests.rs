//! The number writer against `ryu`/`zmij`, Rust's own parser and golden texts.

use super::*;
use alloc::string::String;
use alloc::vec::Vec;

fn nr3_32(v: f32) -> String {
    let mut s = Vec::new();
    write_nr3_f32(&mut s, v).unwrap();
    String::from_utf8(s).unwrap()
}

fn nr3_64(v: f64) -> String {
    let mut s = Vec::new();
    write_nr3_f64(&mut s, v).unwrap();
    String::from_utf8(s).unwrap()
}

fn nr2(v: f64) -> String {
    let mut s = Vec::new();
    write_nr2_f64(&mut s, v).unwrap();
    String::from_utf8(s).unwrap()
}

fn micros(v: i64) -> String {
    let mut s = Vec::new();
    write_nr2_micros(&mut s, v).unwrap();
    String::from_utf8(s).unwrap()
}

#[test]
fn decimal_len_and_eight_digits() {
    let mut edges = vec![0u32, 1, 9, 10, 99_999_999, u32::MAX];
    let mut p = 1u32;
    while let Some(next) = p.checked_mul(10) {
        edges.extend([p - 1, p, p + 1, next - 1]);
        p = next;
    }
    for v in edges.into_iter().chain((0..100_000).map(|i| i * 42_949)) {
        assert_eq!(decimal_len(v), v.max(1).ilog10() as usize + 1, "{v}");
        if v < 100_000_000 {
            let text = eight_digits(v).to_le_bytes();
            assert_eq!(text, *format!("{v:08}").as_bytes(), "{v}");
        }
    }
}

#[test]
fn nr3_golden() {
    assert_eq!(nr3_32(1.0), "1.0E+0");
    assert_eq!(nr3_32(1.5), "1.5E+0");
    assert_eq!(nr3_32(-2.5), "-2.5E+0");
    assert_eq!(nr3_32(-0.0025), "-2.5E-3");
    assert_eq!(nr3_32(10.5), "1.05E+1");
    assert_eq!(nr3_32(0.1), "1.0E-1");
    assert_eq!(nr3_32(0.0), "0.0E+0");
    assert_eq!(nr3_32(-0.0), "0.0E+0");
    assert_eq!(nr3_32(123456.0), "1.23456E+5");
    assert_eq!(nr3_32(f32::MAX), "3.4028235E+38");
    assert_eq!(nr3_32(f32::MIN_POSITIVE), "1.1754944E-38");
    assert_eq!(nr3_32(1e-45), "1.0E-45");
    assert_eq!(nr3_64(1e300), "1.0E+300");
    assert_eq!(nr3_64(-1.25e-7), "-1.25E-7");
    assert_eq!(nr3_64(f64::MIN_POSITIVE * 0.5), "1.1125369292536007E-308");
    assert_eq!(nr3_64(-f64::MAX), "-1.7976931348623157E+308");
    assert_eq!(nr3_64(5e-324), "5.0E-324");
    assert_eq!(nr3_64(0.1), "1.0E-1");
    assert_eq!(nr3_64(-0.0), "0.0E+0");
    assert_eq!(nr3_64(123_456_789_012.0), "1.23456789012E+11");
    assert_eq!(nr3_64(12.5), "1.25E+1");
}

#[test]
fn nr3_non_finite() {
    assert_eq!(nr3_32(f32::NAN), "9.91E+37");
    assert_eq!(nr3_32(f32::INFINITY), "9.9E+37");
    assert_eq!(nr3_32(f32::NEG_INFINITY), "-9.9E+37");
    assert_eq!(nr3_64(f64::NAN), "9.91E+37");
}

#[test]
fn nr2_golden() {
    assert_eq!(nr2(0.1), "0.1");
    assert_eq!(nr2(2.0), "2.0");
    assert_eq!(nr2(0.001), "0.001");
    assert_eq!(nr2(-12.5), "-12.5");
    assert_eq!(nr2(1e20), "100000000000000000000.0");
    assert_eq!(nr2(1.5e-7), "0.00000015");
    assert_eq!(nr2(3600.0), "3600.0");
}

#[test]
fn micros_golden() {
    assert_eq!(micros(100_000), "0.1");
    assert_eq!(micros(12_000_125), "12.000125");
    assert_eq!(micros(0), "0.0");
    assert_eq!(micros(3_000_000), "3.0");
    assert_eq!(micros(-1_500_000), "-1.5");
    assert_eq!(micros(1), "0.000001");
    assert_eq!(micros(i64::MIN), "-9223372036854.775808");
    assert_eq!(micros(99_999_999_999_999), "99999999.999999");
    assert_eq!(micros(100_000_000_000_000), "100000000.0");
    assert_eq!(micros(-10_000_010), "-10.00001");
    assert_eq!(micros(-999_999), "-0.999999");
}

#[test]
fn nr1_golden() {
    let mut s = Vec::new();
    write_nr1(&mut s, i64::MIN).unwrap();
    s.push(b' ');
    write_nr1(&mut s, 0).unwrap();
    s.push(b' ');
    write_nr1_u64(&mut s, u64::MAX).unwrap();
    assert_eq!(s, b"-9223372036854775808 0 18446744073709551615");
}

/// Reads NR3 text strictly (`[-]d.d…E±x`: one non-zero digit before the
/// `.`, no trailing fractional zeros unless the only one, exponent without
/// leading zeros) as `(negative, digits, exp10)`; `f32` limits.
fn parse_nr3_strict(t: &[u8]) -> Option<(bool, u32, i32)> {
    let (neg, digits, exp10) = parse_nr3_strict_with(t, 8, 2)?;
    Some((neg, u32::try_from(digits).ok()?, exp10))
}

/// [`parse_nr3_strict`] with at most `max_frac` fractional and `max_exp`
/// exponent digits.
fn parse_nr3_strict_with(t: &[u8], max_frac: usize, max_exp: usize) -> Option<(bool, u64, i32)> {
    let (neg, t) = match t.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let e = t.iter().position(|&c| c == b'E')?;
    let (mant, exp) = (&t[..e], &t[e + 1..]);
    let [first @ b'1'..=b'9', b'.', frac @ ..] = mant else {
        return None;
    };
    let frac_ok = frac == b"0" || (!frac.is_empty() && frac.last() != Some(&b'0'));
    if !frac_ok || !frac.iter().all(u8::is_ascii_digit) || frac.len() > max_frac {
        return None;
    }
    let [sign @ (b'+' | b'-'), xs @ ..] = exp else {
        return None;
    };
    if xs.is_empty() || xs.len() > max_exp || (xs.len() > 1 && xs[0] == b'0') {
        return None;
    }
    if !xs.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let x: i32 = core::str::from_utf8(xs).ok()?.parse().ok()?;
    let x = if *sign == b'-' { -x } else { x };
    let frac = if frac == b"0" { &[][..] } else { frac };
    let mut digits = u64::from(first - b'0');
    for &c in frac {
        digits = digits * 10 + u64::from(c - b'0');
    }
    Some((neg, digits, x - frac.len() as i32))
}

/// The NR3 text of `bits` agrees with `zmij`'s shortest digits (strictly
/// laid out), or the reason it does not.
fn check_nr3_f32_bits(bits: u32) -> Result<(), String> {
    let v = f32::from_bits(bits);
    let mut buf = [0u8; NR3_MAX_LEN];
    let mut sink = crate::sink::SliceSink::new(&mut buf);
    write_nr3_f32(&mut sink, v).map_err(|e| format!("{e:?}"))?;
    let text = sink.written();
    if v == 0.0 {
        return if text == b"0.0E+0" {
            Ok(())
        } else {
            Err(format!("{bits:#010x}: zero as {text:?}"))
        };
    }
    let mut z = zmij::Buffer::new();
    let (zd, ze) = crate::shortest_digits::tests::decimal_of(z.format_finite(v).as_bytes())
        .ok_or_else(|| format!("{bits:#010x}: zmij text"))?;
    let ours = parse_nr3_strict(text);
    if ours == Some((v.is_sign_negative(), zd, ze)) {
        Ok(())
    } else {
        Err(format!(
            "{bits:#010x} ({v:e}): wrote {:?}, zmij {zd}e{ze}",
            String::from_utf8_lossy(text)
        ))
    }
}

#[test]
fn nr3_f32_edges_match_zmij() {
    let mut edges = Vec::new();
    for bits in (0..64u32).chain(0x7f7f_ffc0..0x7f80_0000) {
        edges.push(bits);
        edges.push(bits | 0x8000_0000);
    }
    for field in 0..255u32 {
        for frac in [0u32, 1, 2, 0x3f_ffff, 0x40_0000, 0x7f_fffe, 0x7f_ffff] {
            edges.push(field << 23 | frac);
        }
    }
    for k in 0..=38 {
        let p = 10f32.powi(k);
        edges.extend([p.to_bits(), p.to_bits() - 1, p.to_bits() + 1]);
        let p = 10f32.powi(-k);
        edges.extend([p.to_bits(), p.to_bits() - 1, p.to_bits() + 1]);
    }
    for bits in edges {
        check_nr3_f32_bits(bits).unwrap();
    }
}

/// All 2^32 bit patterns (the finite ones) against `zmij`, on two threads.
/// Run: `cargo test --release -p scpi-parser --lib -- --ignored exhaustive`.
#[test]
#[ignore = "exhaustive: minutes in release"]
fn nr3_f32_exhaustive_matches_zmij() {
    const THREADS: u64 = 2;
    let span = (1u64 << 32) / THREADS;
    let failures: Vec<(u64, Vec<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    let (mut count, mut first) = (0u64, Vec::new());
                    for bits in t * span..(t + 1) * span {
                        let bits = bits as u32;
                        if !f32::from_bits(bits).is_finite() {
                            continue;
                        }
                        if let Err(e) = check_nr3_f32_bits(bits) {
                            count += 1;
                            if first.len() < 10 {
                                first.push(e);
                            }
                        }
                    }
                    (count, first)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let total: u64 = failures.iter().map(|f| f.0).sum();
    assert_eq!(total, 0, "{failures:?}");
}

proptest::proptest! {
    #[test]
    fn nr3_f32_round_trips(bits in proptest::num::u32::ANY) {
        let v = f32::from_bits(bits);
        proptest::prop_assume!(v.is_finite());
        let s = nr3_32(v);
        let back: f32 = s.parse().unwrap();
        proptest::prop_assert!(back == v || (v == 0.0 && back == 0.0), "{v} -> {s}");
    }

    #[test]
    fn nr3_f32_digits_match_ryu(bits in proptest::num::u32::ANY) {
        let v = f32::from_bits(bits);
        proptest::prop_assume!(v.is_finite() && v != 0.0);
        let mut r = ryu::Buffer::new();
        let want = crate::shortest_digits::tests::decimal_of(r.format_finite(v).as_bytes()).unwrap();
        let got = parse_nr3_strict(nr3_32(v).as_bytes());
        proptest::prop_assert_eq!(got, Some((v.is_sign_negative(), want.0, want.1)), "{}", v);
        check_nr3_f32_bits(bits).map_err(proptest::test_runner::TestCaseError::fail)?;
    }

    #[test]
    fn nr3_f64_strict_and_same_digits_as_zmij(bits in proptest::num::u64::ANY) {
        let v = f64::from_bits(bits);
        proptest::prop_assume!(v.is_finite() && v != 0.0);
        let mut z = zmij::Buffer::new();
        let want = crate::shortest_digits::tests::decimal_of_64(z.format_finite(v).as_bytes()).unwrap();
        let got = parse_nr3_strict_with(nr3_64(v).as_bytes(), 16, 3);
        proptest::prop_assert_eq!(got, Some((v.is_sign_negative(), want.0, want.1)), "{}", v);
    }

    #[test]
    fn nr3_f64_round_trips(bits in proptest::num::u64::ANY) {
        let v = f64::from_bits(bits);
        proptest::prop_assume!(v.is_finite());
        let s = nr3_64(v);
        let back: f64 = s.parse().unwrap();
        proptest::prop_assert!(back == v || (v == 0.0 && back == 0.0), "{v} -> {s}");
    }

    #[test]
    fn nr2_f64_round_trips(v in -1e12f64..1e12) {
        let s = nr2(v);
        proptest::prop_assert!(!s.contains('E') && s.contains('.'));
        let back: f64 = s.parse().unwrap();
        proptest::prop_assert_eq!(back, v);
    }

    /// NR2 takes its digits from the crate's own f64 Schubfach: the same
    /// shortest digits `zmij` gives, so no value grows a spurious tail.
    #[test]
    fn nr2_f64_digits_are_zmijs(
        mantissa in 0u64..1 << 52,
        exponent in 890u64..1155,
        negative in proptest::bool::ANY,
    ) {
        let v = f64::from_bits(u64::from(negative) << 63 | exponent << 52 | mantissa);
        let ours: f64 = nr2(v).parse().unwrap();
        proptest::prop_assert_eq!(ours, v);
        let mut z = zmij::Buffer::new();
        let theirs = z.format_finite(v);
        let digits = |t: &str| {
            let mantissa = t.split(['e', 'E']).next().unwrap_or("");
            let d: String = mantissa.chars().filter(char::is_ascii_digit).collect();
            d.trim_matches('0').len()
        };
        proptest::prop_assert_eq!(digits(&nr2(v)), digits(theirs), "{} vs {}", nr2(v), theirs);
    }

    #[test]
    fn micros_exact_near_zero(us in -1_000_000_000_000_000i64..1_000_000_000_000_000) {
        let s = micros(us);
        let (int, frac) = s.trim_start_matches('-').split_once('.').unwrap();
        let frac6 = format!("{frac:0<6}");
        let abs: u128 = int.parse::<u128>().unwrap() * 1_000_000 + frac6.parse::<u128>().unwrap();
        proptest::prop_assert_eq!(abs, u128::from(us.unsigned_abs()));
        proptest::prop_assert!(frac == "0" || !frac.ends_with('0'));
        proptest::prop_assert!(int == "0" || !int.starts_with('0'));
        proptest::prop_assert_eq!(s.starts_with('-'), us < 0);
    }

    #[test]
    fn micros_exact(us in proptest::num::i64::ANY) {
        let s = micros(us);
        let (int, frac) = s.trim_start_matches('-').split_once('.').unwrap();
        let frac6 = format!("{frac:0<6}");
        let abs: u128 = int.parse::<u128>().unwrap() * 1_000_000 + frac6.parse::<u128>().unwrap();
        proptest::prop_assert_eq!(abs, u128::from(us.unsigned_abs()));
        proptest::prop_assert!(frac == "0" || !frac.ends_with('0'));
    }
}
