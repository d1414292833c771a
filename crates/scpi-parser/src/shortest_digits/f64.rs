//! Schubfach for `f64`: 128-bit powers of ten.

use super::pow10_128::{POW10_128, POW10_128_MIN_EXP};
use super::{interval, pick};

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
