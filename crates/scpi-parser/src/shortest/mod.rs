//! Shortest round-trip decimal digits of an `f32` or `f64` (Schubfach).
//!
//! Raffaello Giulietti's Schubfach algorithm ("The Schubfach way to render
//! doubles", 2020) for `f32` (64-bit powers of ten) and `f64` (128-bit).
//! The value `c·2^q` has the rounding
//! interval `[cbl, cbr]·2^(q-2)` (ends included when `c` is even). With
//! `k = ⌊log10 of the interval width⌋` there is at most one multiple of
//! `10^(k+1)` inside it and at least one multiple of `10^k`; the interval ends
//! and the value itself, scaled by `4·10^-k`, are computed with one
//! multiplication each against an over-approximation of `10^-k`,
//! rounded to odd so that "exactly on a boundary" and "just past it" stay
//! apart. The shorter candidate `10^(k+1)·⌊s/10⌋` or its successor wins when
//! exactly one of them lies in the interval; otherwise the multiple of `10^k`
//! nearest to the value (ties to even) does.
//!
//! The exhaustive test in `number.rs` checks all 2^32 `f32` bit patterns
//! against `zmij`'s shortest digits; `f64` is checked against `zmij` and
//! `ryu` on edge cases and random bit patterns.

use self::pow10::{POW10, POW10_128, POW10_128_MIN_EXP, POW10_MIN_EXP};

mod pow10;

/// `⌊log10(2^e)⌋` for `|e| ≤ 1100` (checked exactly in Python over that range).
#[inline(always)]
fn floor_log10_pow2(e: i32) -> i32 {
    (e * 1_262_611) >> 22
}

/// `⌊log10(3/4 · 2^e)⌋` for `|e| ≤ 1100`.
#[inline(always)]
fn floor_log10_three_quarters_pow2(e: i32) -> i32 {
    (e * 1_262_611 - 524_031) >> 22
}

/// `⌊log2(10^e)⌋` for `|e| ≤ 400`.
#[inline(always)]
fn floor_log2_pow10(e: i32) -> i32 {
    (e * 1_741_647) >> 19
}

/// `cp · g / 2^64` rounded to odd: the integer part, with its lowest bit set
/// when the fraction is not zero.
///
/// `g` over-approximates the true power of ten by less than one unit, so the
/// computed product exceeds the exact one by less than `cp / 2^64 < 2^-34`;
/// a fraction below `2^-32` is that error, not a fraction of the exact value
/// (whose non-zero fractions are larger, as the exhaustive test confirms).
#[inline(always)]
fn round_to_odd(g: u64, cp: u32) -> u32 {
    let p = u128::from(g) * u128::from(cp);
    let int = (p >> 64) as u32;
    let frac = p as u64;
    int | u32::from(frac >> 32 != 0)
}

/// The shortest decimal `digits · 10^exp10` that reads back as the `f32`
/// with these bits (sign ignored), nearest to the value among the shortest,
/// ties to even digits; `digits` has no trailing zeros.
///
/// For a zero the answer is `(0, 0)`. Infinities and NaNs give some decimal
/// without meaning (never a panic); callers write them otherwise.
#[inline]
pub(crate) fn f32_to_decimal(bits: u32) -> (u32, i32) {
    let field = (bits >> 23) & 0xff;
    let fraction = bits & 0x007f_ffff;
    let (c, q) = if field == 0 {
        (fraction, -149)
    } else {
        (fraction | 0x0080_0000, field as i32 - 150)
    };
    if c == 0 {
        return (0, 0);
    }
    // Integers below 2^24: their own digits are the shortest (the rounding
    // interval is at most one unit wide, so it holds no other integer).
    if (-23..=0).contains(&q) {
        let shift = q.unsigned_abs();
        if c & ((1 << shift) - 1) == 0 {
            return strip_zeros(c >> shift, 0);
        }
    }
    // Short exact decimals (`1.25`, `0.5`, `100.375`): with its trailing
    // zero bits dropped, `c·2^q` = `c'·2^q'` = `d·10^q'` for `d = c'·5^-q'`.
    // Below 10^7 that `d` is the answer: a decimal with fewer digits is at
    // least `10^q'` away, over 10^-7 of the value, while the rounding
    // interval reaches at most 2^-24 of it to either side (`c ≥ 2^23`:
    // subnormals never get here). `d` is odd, so it ends in no zero.
    let tz = c.trailing_zeros();
    let q_odd = q + tz as i32;
    if (-(POW5.len() as i32) < q_odd) && q_odd < 0 {
        let d = u64::from(c >> tz) * POW5[q_odd.unsigned_abs() as usize];
        if d < 10_000_000 {
            return (d as u32, q_odd);
        }
    }
    let (digits, exp10) = schubfach(c, q, fraction == 0 && field > 1);
    strip_zeros(digits, exp10)
}

/// `5^k` for the short exact decimals of [`f32_to_decimal`].
const POW5: [u64; 10] = [
    1, 5, 25, 125, 625, 3_125, 15_625, 78_125, 390_625, 1_953_125,
];

/// Schubfach on `c·2^q` (`c > 0`); `lower_closer` when the next value down is
/// half as far away as the next value up (a power of two above the smallest
/// normal).
#[inline(always)]
fn schubfach(c: u32, q: i32, lower_closer: bool) -> (u32, i32) {
    // Interval ends are excluded for odd `c` (round-to-even reads them back
    // as the neighbours).
    let open = c & 1;
    let (cbl, cb, cbr, k, h) = interval(u64::from(c), q, lower_closer);
    // `(cb << h)·g / 2^64`; `cbr << h` < 2^31 for `c` < 2^24.
    let g = POW10[(-k - POW10_MIN_EXP) as usize];
    let vbl = round_to_odd(g, (cbl << h) as u32);
    let vb = round_to_odd(g, (cb << h) as u32);
    let vbr = round_to_odd(g, (cbr << h) as u32);
    let (digits, k) = pick(
        u64::from(vb),
        u64::from(vbl + open),
        u64::from(vbr - open),
        k,
    );
    // At most `vb / 4 + 1`: it fits.
    (digits as u32, k)
}

/// Schubfach's scaled interval of `c·2^q` (f32 and f64 alike): four times
/// the value and its two rounding bounds `(cbl, cb, cbr)`, the decimal
/// exponent `k` of the scale, and the shift `h` (1 ≤ h ≤ 4) with which
/// `cb·2^q·10^-k` = `(cb << h)·g / 2^width` for the table entry `g`.
#[inline(always)]
fn interval(c: u64, q: i32, lower_closer: bool) -> (u64, u64, u64, i32, u32) {
    let cb = c << 2;
    let (cbl, k) = if lower_closer {
        (cb - 1, floor_log10_three_quarters_pow2(q))
    } else {
        (cb - 2, floor_log10_pow2(q))
    };
    let h = (q + floor_log2_pow10(-k) + 1) as u32;
    (cbl, cb, cb + 2, k, h)
}

/// Schubfach's choice (f32 and f64 alike) from the scaled value `vb` and the
/// interval `lower..=upper`, all four times the scale of `10^k`: one digit
/// fewer if exactly one of its two candidates lies inside, else the one of
/// `s`, `s + 1` inside, else the closer (ties to even).
#[inline(always)]
fn pick(vb: u64, lower: u64, upper: u64, k: i32) -> (u64, i32) {
    // `s·10^k` ≤ value < `(s + 1)·10^k`.
    let s = vb >> 2;
    if s >= 10 {
        let sp = s / 10;
        let sp_in = lower <= 40 * sp;
        let tp_in = 40 * sp + 40 <= upper;
        if sp_in != tp_in {
            return (sp + u64::from(tp_in), k + 1);
        }
    }
    let s_in = lower <= 4 * s;
    let t_in = 4 * s + 4 <= upper;
    if s_in != t_in {
        return (s + u64::from(t_in), k);
    }
    let mid = 4 * s + 2;
    let up = vb > mid || (vb == mid && s & 1 != 0);
    (s + u64::from(up), k)
}

/// `cp · g / 2^128` rounded to odd, `g = hi·2^64 + lo`: the integer part, with
/// its lowest bit set when the fraction is not zero.
///
/// As in [`round_to_odd`], the computed product exceeds the exact one by less
/// than `cp / 2^128 < 2^-69`; fractions below `2^-64` are that error (the
/// 64 lowest product bits, below `2^-64`, are not even computed).
#[inline(always)]
fn round_to_odd_128(hi: u64, lo: u64, cp: u64) -> u64 {
    let upper = u128::from(hi) * u128::from(cp);
    let lower = u128::from(lo) * u128::from(cp);
    let mid = upper + (lower >> 64);
    let int = (mid >> 64) as u64;
    int | u64::from(mid as u64 != 0)
}

/// The shortest decimal `digits · 10^exp10` that reads back as the `f64`
/// with these bits (sign ignored), nearest to the value among the shortest,
/// ties to even digits; `digits` (at most 17 digits) has no trailing zeros.
///
/// For a zero the answer is `(0, 0)`. Infinities and NaNs give some decimal
/// without meaning (never a panic); callers write them otherwise.
#[inline]
pub(crate) fn f64_to_decimal(bits: u64) -> (u64, i32) {
    let field = ((bits >> 52) & 0x7ff) as u32;
    let fraction = bits & 0x000f_ffff_ffff_ffff;
    let (c, q) = if field == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, field as i32 - 1075)
    };
    if c == 0 {
        return (0, 0);
    }
    // Integers below 2^53: their own digits are the shortest.
    if (-52..=0).contains(&q) {
        let shift = q.unsigned_abs();
        if c & ((1 << shift) - 1) == 0 {
            return strip_zeros_64(c >> shift, 0);
        }
    }
    let (digits, exp10) = schubfach_64(c, q, fraction == 0 && field > 1);
    strip_zeros_64(digits, exp10)
}

/// [`schubfach`] for `f64`: `c·2^q` with `c < 2^53`, 128-bit powers of ten.
#[inline(always)]
fn schubfach_64(c: u64, q: i32, lower_closer: bool) -> (u64, i32) {
    let open = c & 1;
    let (cbl, cb, cbr, k, h) = interval(c, q, lower_closer);
    // `(cb << h)·g / 2^128`.
    let (hi, lo) = POW10_128[(-k - POW10_128_MIN_EXP) as usize];
    let vbl = round_to_odd_128(hi, lo, cbl << h);
    let vb = round_to_odd_128(hi, lo, cb << h);
    let vbr = round_to_odd_128(hi, lo, cbr << h);
    pick(vb, vbl + open, vbr - open, k)
}

/// Drops the trailing decimal zeros of `digits` into the exponent.
#[inline(always)]
fn strip_zeros_64(mut digits: u64, mut exp10: i32) -> (u64, i32) {
    while digits != 0 && digits.is_multiple_of(10) {
        digits /= 10;
        exp10 += 1;
    }
    (digits, exp10)
}

/// Drops the trailing decimal zeros of `digits` into the exponent.
#[inline(always)]
fn strip_zeros(mut digits: u32, mut exp10: i32) -> (u32, i32) {
    while digits != 0 && digits.is_multiple_of(10) {
        digits /= 10;
        exp10 += 1;
    }
    (digits, exp10)
}

#[cfg(test)]
pub(crate) mod tests {
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
}
