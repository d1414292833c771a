//! Schubfach for `f32`: 64-bit powers of ten.

use super::{interval, pick};

/// Smallest decimal exponent `k` in [`POW10`].
pub(super) const POW10_MIN_EXP: i32 = -31;

/// `POW10[k + 31]` = `⌈β⌉` where `10^k = β·2^r` and `2^63 ≤ β < 2^64`, for
/// `k` in `-31..=45` (the `10^-k` an `f32` needs, `k = ⌊log10 2^q⌋` for the
/// binary exponents `q` in `-149..=105`). Exact where `10^k` fits (`0 ≤ k ≤ 27`).
///
/// Generated with Python's exact rationals:
///
/// ```text
/// from fractions import Fraction
/// import math
/// for k in range(-31, 46):
///     x = Fraction(10) ** k
///     r = math.floor(math.log2(x)) - 63
///     while x / Fraction(2) ** r >= 2**64: r += 1
///     while x / Fraction(2) ** r < 2**63: r -= 1
///     print(f"0x{math.ceil(x / Fraction(2) ** r):016x}, // 10^{k}")
/// ```
#[rustfmt::skip]
pub(super) const POW10: [u64; 77] = [
    0x81ceb32c4b43fcf5, // 10^-31
    0xa2425ff75e14fc32, // 10^-30
    0xcad2f7f5359a3b3f, // 10^-29
    0xfd87b5f28300ca0e, // 10^-28
    0x9e74d1b791e07e49, // 10^-27
    0xc612062576589ddb, // 10^-26
    0xf79687aed3eec552, // 10^-25
    0x9abe14cd44753b53, // 10^-24
    0xc16d9a0095928a28, // 10^-23
    0xf1c90080baf72cb2, // 10^-22
    0x971da05074da7bef, // 10^-21
    0xbce5086492111aeb, // 10^-20
    0xec1e4a7db69561a6, // 10^-19
    0x9392ee8e921d5d08, // 10^-18
    0xb877aa3236a4b44a, // 10^-17
    0xe69594bec44de15c, // 10^-16
    0x901d7cf73ab0acda, // 10^-15
    0xb424dc35095cd810, // 10^-14
    0xe12e13424bb40e14, // 10^-13
    0x8cbccc096f5088cc, // 10^-12
    0xafebff0bcb24aaff, // 10^-11
    0xdbe6fecebdedd5bf, // 10^-10
    0x89705f4136b4a598, // 10^-9
    0xabcc77118461cefd, // 10^-8
    0xd6bf94d5e57a42bd, // 10^-7
    0x8637bd05af6c69b6, // 10^-6
    0xa7c5ac471b478424, // 10^-5
    0xd1b71758e219652c, // 10^-4
    0x83126e978d4fdf3c, // 10^-3
    0xa3d70a3d70a3d70b, // 10^-2
    0xcccccccccccccccd, // 10^-1
    0x8000000000000000, // 10^0
    0xa000000000000000, // 10^1
    0xc800000000000000, // 10^2
    0xfa00000000000000, // 10^3
    0x9c40000000000000, // 10^4
    0xc350000000000000, // 10^5
    0xf424000000000000, // 10^6
    0x9896800000000000, // 10^7
    0xbebc200000000000, // 10^8
    0xee6b280000000000, // 10^9
    0x9502f90000000000, // 10^10
    0xba43b74000000000, // 10^11
    0xe8d4a51000000000, // 10^12
    0x9184e72a00000000, // 10^13
    0xb5e620f480000000, // 10^14
    0xe35fa931a0000000, // 10^15
    0x8e1bc9bf04000000, // 10^16
    0xb1a2bc2ec5000000, // 10^17
    0xde0b6b3a76400000, // 10^18
    0x8ac7230489e80000, // 10^19
    0xad78ebc5ac620000, // 10^20
    0xd8d726b7177a8000, // 10^21
    0x878678326eac9000, // 10^22
    0xa968163f0a57b400, // 10^23
    0xd3c21bcecceda100, // 10^24
    0x84595161401484a0, // 10^25
    0xa56fa5b99019a5c8, // 10^26
    0xcecb8f27f4200f3a, // 10^27
    0x813f3978f8940985, // 10^28
    0xa18f07d736b90be6, // 10^29
    0xc9f2c9cd04674edf, // 10^30
    0xfc6f7c4045812297, // 10^31
    0x9dc5ada82b70b59e, // 10^32
    0xc5371912364ce306, // 10^33
    0xf684df56c3e01bc7, // 10^34
    0x9a130b963a6c115d, // 10^35
    0xc097ce7bc90715b4, // 10^36
    0xf0bdc21abb48db21, // 10^37
    0x96769950b50d88f5, // 10^38
    0xbc143fa4e250eb32, // 10^39
    0xeb194f8e1ae525fe, // 10^40
    0x92efd1b8d0cf37bf, // 10^41
    0xb7abc627050305ae, // 10^42
    0xe596b7b0c643c71a, // 10^43
    0x8f7e32ce7bea5c70, // 10^44
    0xb35dbf821ae4f38c, // 10^45
];

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

/// Drops the trailing decimal zeros of `digits` into the exponent.
#[inline(always)]
fn strip_zeros(mut digits: u32, mut exp10: i32) -> (u32, i32) {
    while digits != 0 && digits.is_multiple_of(10) {
        digits /= 10;
        exp10 += 1;
    }
    (digits, exp10)
}
