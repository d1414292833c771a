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
//! The exhaustive test in `number/tests.rs` checks all 2^32 `f32` bit patterns
//! against `zmij`'s shortest digits; `f64` is checked against `zmij` and
//! `ryu` on edge cases and random bit patterns.
//!
//! The rooms: [`f32`](self::f32) and [`f64`](self::f64) hold the two widths'
//! entry points and their powers-of-ten tables; this module holds what both
//! share (the logarithm approximations, the scaled interval, the choice).

mod f32;
mod f64;
mod pow10_128;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use self::f32::f32_to_decimal;
pub(crate) use self::f64::f64_to_decimal;

/// `⌊log10(2^e)⌋` for `|e| ≤ 1100` (checked exactly in Python over that range).
#[inline(always)]
pub(super) fn floor_log10_pow2(e: i32) -> i32 {
    (e * 1_262_611) >> 22
}

/// `⌊log10(3/4 · 2^e)⌋` for `|e| ≤ 1100`.
#[inline(always)]
pub(super) fn floor_log10_three_quarters_pow2(e: i32) -> i32 {
    (e * 1_262_611 - 524_031) >> 22
}

/// `⌊log2(10^e)⌋` for `|e| ≤ 400`.
#[inline(always)]
pub(super) fn floor_log2_pow10(e: i32) -> i32 {
    (e * 1_741_647) >> 19
}

/// Schubfach's scaled interval of `c·2^q` (f32 and f64 alike): four times
/// the value and its two rounding bounds `(cbl, cb, cbr)`, the decimal
/// exponent `k` of the scale, and the shift `h` (1 ≤ h ≤ 4) with which
/// `cb·2^q·10^-k` = `(cb << h)·g / 2^width` for the table entry `g`.
#[inline(always)]
pub(super) fn interval(c: u64, q: i32, lower_closer: bool) -> (u64, u64, u64, i32, u32) {
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
pub(super) fn pick(vb: u64, lower: u64, upper: u64, k: i32) -> (u64, i32) {
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
