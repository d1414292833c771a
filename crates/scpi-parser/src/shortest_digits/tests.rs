//! Checks of both widths against `ryu`/`zmij` and the exact logarithm tables.

use super::f32::*;
use super::f64::*;
use super::*;

/// Reads a plain decimal text (`-1.25e-7`, `123.0`, `1e30`, `0.001`)
/// as `(digits, exp10)` without trailing zeros; `None` for other shapes.
pub(crate) fn decimal_of(text: &[u8]) -> Option<(u32, i32)> {
    let (digits, exp10) = decimal_of_64(text)?;
    Some((u32::try_from(digits).ok()?, exp10))
}

/// [`decimal_of`] with up to 19 digits.
pub(crate) fn decimal_of_64(text: &[u8]) -> Option<(u64, i32)> {
    let text = text.strip_prefix(b"-").unwrap_or(text);
    let (mant, exp) = match text.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (
            &text[..i],
            core::str::from_utf8(&text[i + 1..]).ok()?.parse().ok()?,
        ),
        None => (text, 0i32),
    };
    let (mut digits, mut exp10) = (0u64, exp);
    let mut seen_dot = false;
    for &c in mant {
        match c {
            b'.' if !seen_dot => seen_dot = true,
            b'0'..=b'9' => {
                digits = digits.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
                if seen_dot {
                    exp10 -= 1;
                }
            }
            _ => return None,
        }
    }
    while digits != 0 && digits % 10 == 0 {
        digits /= 10;
        exp10 += 1;
    }
    if digits == 0 {
        exp10 = 0;
    }
    Some((digits, exp10))
}

fn pow10_u128(k: u32) -> u128 {
    10u128.pow(k)
}

#[test]
fn log_approximations_are_exact_over_the_f32_range() {
    for e in 0..=126u32 {
        let p = 1u128 << e;
        let k = floor_log10_pow2(e as i32);
        assert!(
            pow10_u128(k as u32) <= p && p < pow10_u128(k as u32 + 1),
            "{e}"
        );
        if e >= 1 {
            assert_eq!(floor_log10_pow2(-(e as i32)), -k - 1, "{e}");
        }
        if e >= 2 {
            let t = 3u128 << (e - 2);
            let k = floor_log10_three_quarters_pow2(e as i32);
            assert!(
                pow10_u128(k as u32) <= t && t < pow10_u128(k as u32 + 1),
                "{e}"
            );
        }
    }
    for e in 0..=38u32 {
        let j = floor_log2_pow10(e as i32) as u32;
        let p = pow10_u128(e);
        assert!(1u128 << j <= p && (j == 127 || p < 1u128 << (j + 1)), "{e}");
    }
}

#[test]
fn table_matches_exact_powers() {
    for k in 0..=27u32 {
        let g = POW10[(k as i32 - POW10_MIN_EXP) as usize];
        let r = floor_log2_pow10(k as i32) - 63;
        let exact = if r < 0 {
            pow10_u128(k) << -r
        } else {
            pow10_u128(k) >> r
        };
        assert_eq!(u128::from(g), exact, "10^{k}");
        if k >= 1 {
            // 10^-k: the smallest g with g·10^k·2^(r) ≥ 2^(126 or 127).
            let gn = u128::from(POW10[(-(k as i32) - POW10_MIN_EXP) as usize]);
            let prod = gn * u128::from(g);
            let e = 127 - prod.leading_zeros();
            let floor_pow = 1u128 << e;
            assert!(
                prod >= floor_pow && prod - floor_pow < u128::from(g),
                "10^-{k}"
            );
        }
    }
}

#[test]
fn golden() {
    let d = |v: f32| f32_to_decimal(v.to_bits());
    assert_eq!(d(1.0), (1, 0));
    assert_eq!(d(-2.5), (25, -1));
    assert_eq!(d(0.1), (1, -1));
    assert_eq!(d(1e10), (1, 10));
    assert_eq!(d(123_456.0), (123_456, 0));
    assert_eq!(d(16_777_216.0), (16_777_216, 0));
    assert_eq!(d(f32::MAX), (34_028_235, 31));
    assert_eq!(d(f32::MIN_POSITIVE), (11_754_944, -45));
    assert_eq!(d(f32::from_bits(1)), (1, -45));
    assert_eq!(d(0.0), (0, 0));
    assert_eq!(d(-0.0), (0, 0));
}

#[test]
fn golden_f64() {
    let d = |v: f64| f64_to_decimal(v.to_bits());
    assert_eq!(d(1.0), (1, 0));
    assert_eq!(d(0.1), (1, -1));
    assert_eq!(d(-1.25e-7), (125, -9));
    assert_eq!(d(1e300), (1, 300));
    assert_eq!(d(f64::MAX), (17_976_931_348_623_157, 292));
    assert_eq!(d(f64::MIN_POSITIVE), (22_250_738_585_072_014, -324));
    assert_eq!(d(f64::from_bits(1)), (5, -324));
    assert_eq!(d(9_007_199_254_740_991.0), (9_007_199_254_740_991, 0));
    assert_eq!(d(9_007_199_254_740_992.0), (9_007_199_254_740_992, 0));
    assert_eq!(d(0.3), (3, -1));
    assert_eq!(d(0.0), (0, 0));
}

#[test]
fn f64_edges_match_ryu_and_zmij() {
    let mut bits = std::vec::Vec::new();
    for field in 0..2047u64 {
        for frac in [
            0u64,
            1,
            2,
            3,
            (1 << 51) - 1,
            1 << 51,
            (1 << 52) - 2,
            (1 << 52) - 1,
        ] {
            bits.push(field << 52 | frac);
        }
    }
    for k in -323..=308 {
        let p: f64 = format!("1e{k}").parse().unwrap();
        let b = p.to_bits();
        bits.extend([b - 1, b, b + 1]);
    }
    for b in bits {
        let v = f64::from_bits(b);
        if !v.is_finite() || v == 0.0 {
            continue;
        }
        let mut r = ryu::Buffer::new();
        let mut z = zmij::Buffer::new();
        let ours = Some(f64_to_decimal(b));
        assert_eq!(
            ours,
            decimal_of_64(r.format_finite(v).as_bytes()),
            "ryu {v:e}"
        );
        assert_eq!(
            ours,
            decimal_of_64(z.format_finite(v).as_bytes()),
            "zmij {v:e}"
        );
    }
}

/// 2^28 random `f64` bit patterns (a fixed xorshift sequence) against
/// `zmij`. Run: `cargo test --release -p scpi-parser --lib -- --ignored f64_many`.
#[test]
#[ignore = "hundreds of millions of values: a minute in release"]
fn f64_many_random_match_zmij() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut bad = std::vec::Vec::new();
    for _ in 0..1u64 << 28 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = f64::from_bits(x);
        if !v.is_finite() || v == 0.0 {
            continue;
        }
        let mut z = zmij::Buffer::new();
        let want = decimal_of_64(z.format_finite(v).as_bytes());
        if Some(f64_to_decimal(x)) != want && bad.len() < 10 {
            bad.push(x);
        }
    }
    assert!(bad.is_empty(), "{bad:#x?}");
}

#[test]
fn non_finite_bits_do_not_panic() {
    for bits in [
        0x7f80_0000u32,
        0xff80_0000,
        0x7fc0_0000,
        0x7fff_ffff,
        0xffff_ffff,
    ] {
        let _ = f32_to_decimal(bits);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

    #[test]
    fn same_digits_as_ryu_and_zmij(bits in proptest::num::u32::ANY) {
        let v = f32::from_bits(bits);
        proptest::prop_assume!(v.is_finite());
        let ours = f32_to_decimal(bits);
        let mut r = ryu::Buffer::new();
        let mut z = zmij::Buffer::new();
        proptest::prop_assert_eq!(Some(ours), decimal_of(r.format_finite(v).as_bytes()), "ryu {}", v);
        proptest::prop_assert_eq!(Some(ours), decimal_of(z.format_finite(v).as_bytes()), "zmij {}", v);
    }

    #[test]
    fn same_digits_as_ryu_and_zmij_f64(bits in proptest::num::u64::ANY) {
        let v = f64::from_bits(bits);
        proptest::prop_assume!(v.is_finite());
        let ours = f64_to_decimal(bits);
        let mut r = ryu::Buffer::new();
        let mut z = zmij::Buffer::new();
        proptest::prop_assert_eq!(Some(ours), decimal_of_64(r.format_finite(v).as_bytes()), "ryu {}", v);
        proptest::prop_assert_eq!(Some(ours), decimal_of_64(z.format_finite(v).as_bytes()), "zmij {}", v);
    }
}
