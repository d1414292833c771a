//! Response number writing: NR1, NR2 and NR3 (IEEE 488.2 §8.7.2–8.7.4).
//!
//! This is the workspace's one number writer; the ELOG record formatter uses
//! it too. NR3 and shortest NR2 use the shortest decimal digits that round-trip
//! the value in its own width (`f32` or `f64`), from the crate's own
//! Schubfach (`shortest`) for NR3 and from `zmij`'s text for NR2; they are
//! laid out as SCPI wants them: `d.ddd E±x` without spaces, always at least one
//! fractional digit (`1.0E+0`), exponent without leading zeros.
//!
//! Non-finite values are written as the SCPI-99 sentinels: NaN → `9.91E+37`,
//! +∞ → `9.9E+37`, −∞ → `-9.9E+37` ([`NAN_TEXT`], [`INF_TEXT`], [`NINF_TEXT`]).

use crate::shortest_digits;
use crate::sink::{Sink, SinkError};

/// SCPI's representation of "not a number" (SCPI-99 vol. 1 §7.2.1.5).
pub const NAN_TEXT: &[u8] = b"9.91E+37";
/// SCPI's representation of positive infinity.
pub const INF_TEXT: &[u8] = b"9.9E+37";
/// SCPI's representation of negative infinity.
pub const NINF_TEXT: &[u8] = b"-9.9E+37";
/// The value SCPI uses for NaN, as a number.
pub const NAN_VALUE: f64 = 9.91e37;
/// The value SCPI uses for +∞, as a number.
pub const INF_VALUE: f64 = 9.9e37;

/// The longest text [`write_nr3_f64`] can produce (`-d.dddddddddddddddddE-xxx`).
pub const NR3_MAX_LEN: usize = 32;

/// Significant decimal digits and the position of the decimal point.
///
/// The value is `0.d₁d₂…dₙ × 10^point` (with the sign separately).
#[derive(Clone, Copy, Debug)]
struct Digits {
    neg: bool,
    buf: [u8; 24],
    len: usize,
    point: i32,
}

impl Digits {
    /// The digits of `±digits·10^exp10` (`digits` ≥ 1, at most 17 decimal
    /// digits), as the crate's Schubfach gives them.
    fn from_decimal(neg: bool, digits: u64, exp10: i32) -> Self {
        let mut d = Digits {
            neg,
            buf: [0; 24],
            len: 0,
            point: 0,
        };
        let mut tmp = [0u8; 20];
        let mut n = 0;
        let mut v = digits;
        while v > 0 {
            tmp[n] = b'0' + (v % 10) as u8;
            v /= 10;
            n += 1;
        }
        for (i, c) in tmp[..n].iter().rev().enumerate() {
            d.buf[i] = *c;
        }
        d.len = n;
        while d.len > 0 && d.buf[d.len - 1] == b'0' {
            d.len -= 1;
        }
        d.point = n as i32 + exp10;
        d
    }

    fn is_zero(&self) -> bool {
        self.len == 0
    }

    /// Writes the digits in plain positional form with at least one decimal.
    fn write_nr2<S: Sink + ?Sized>(&self, out: &mut S) -> Result<(), SinkError> {
        if self.is_zero() {
            return out.write(b"0.0");
        }
        if self.neg {
            out.write_byte(b'-')?;
        }
        let digits = &self.buf[..self.len];
        let len = self.len as i32;
        if self.point <= 0 {
            out.write(b"0.")?;
            write_zeros(out, self.point.unsigned_abs())?;
            out.write(digits)
        } else if self.point >= len {
            out.write(digits)?;
            write_zeros(out, (self.point - len).unsigned_abs())?;
            out.write(b".0")
        } else {
            let p = self.point as usize;
            out.write(&digits[..p])?;
            out.write_byte(b'.')?;
            out.write(&digits[p..])
        }
    }
}

fn write_zeros<S: Sink + ?Sized>(out: &mut S, mut count: u32) -> Result<(), SinkError> {
    const ZEROS: [u8; 32] = [b'0'; 32];
    while count > 0 {
        let k = count.min(32);
        out.write(&ZEROS[..k as usize])?;
        count -= k;
    }
    Ok(())
}

/// Writes the decimal digits of `v` at the start of `out`; returns their count.
///
/// `out` must have room for 20 bytes.
#[inline]
fn write_u64_digits(mut v: u64, out: &mut [u8]) -> usize {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let n = tmp.len() - i;
    out[..n].copy_from_slice(&tmp[i..]);
    n
}

/// Writes the SCPI text of a non-finite value, or returns `false` if `v` is finite.
#[inline]
fn write_non_finite<S: Sink + ?Sized>(out: &mut S, v: f64) -> Result<bool, SinkError> {
    if v.is_nan() {
        out.write(NAN_TEXT)?;
    } else if v == f64::INFINITY {
        out.write(INF_TEXT)?;
    } else if v == f64::NEG_INFINITY {
        out.write(NINF_TEXT)?;
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// Writes an integer as NR1 (`-42`).
#[inline]
pub fn write_nr1<S: Sink + ?Sized>(out: &mut S, v: i64) -> Result<(), SinkError> {
    let mut b = [0u8; 21];
    let mut n = 0;
    if v < 0 {
        b[0] = b'-';
        n = 1;
    }
    n += write_u64_digits(v.unsigned_abs(), &mut b[n..]);
    out.write(&b[..n])
}

/// Writes an unsigned integer as NR1.
#[inline]
pub fn write_nr1_u64<S: Sink + ?Sized>(out: &mut S, v: u64) -> Result<(), SinkError> {
    let mut b = [0u8; 20];
    let n = write_u64_digits(v, &mut b);
    out.write(&b[..n])
}

/// Room [`format_nr3_f32`] needs: the longest `f32` NR3 text
/// (`-d.ddddddddE-xx`, 15 bytes) and one byte of scratch.
pub const NR3_F32_LEN: usize = 16;

/// Writes an `f32` as NR3 with the shortest digits that round-trip the `f32`.
///
/// The digits come from the crate's own Schubfach (`shortest`) and go
/// straight to their NR3 places in one stack buffer and one `write`.
///
/// ```
/// # use scpi_parser::number::write_nr3_f32;
/// let mut s = Vec::new();
/// write_nr3_f32(&mut s, -0.0025).unwrap();
/// assert_eq!(s, b"-2.5E-3");
/// ```
#[inline]
pub fn write_nr3_f32<S: Sink + ?Sized>(out: &mut S, v: f32) -> Result<(), SinkError> {
    let mut b = [0u8; NR3_F32_LEN];
    let len = format_nr3_f32(v, &mut b);
    out.write(&b[..len])
}

/// Lays out an `f32` as NR3 (exactly as [`write_nr3_f32`] writes it) at the
/// start of `buf` and returns the text's length; bytes past it are scratch.
///
/// For callers that stage many values in their own buffer: the fixed-size
/// array lets them copy or place the text without a length-dependent copy.
///
/// ```
/// # use scpi_parser::number::{format_nr3_f32, NR3_F32_LEN};
/// let mut b = [0u8; NR3_F32_LEN];
/// let n = format_nr3_f32(f32::MAX, &mut b);
/// assert_eq!(&b[..n], b"3.4028235E+38");
/// ```
#[inline]
pub fn format_nr3_f32(v: f32, buf: &mut [u8; NR3_F32_LEN]) -> usize {
    let bits = v.to_bits();
    let fixed: &[u8] = if bits << 1 == 0 {
        // Zero (either sign) is written as `0.0E+0`.
        b"0.0E+0"
    } else if v.is_finite() {
        let (digits, exp10) = shortest_digits::f32_to_decimal(bits);
        return lay_out_nr3_f32(buf, bits >> 31 != 0, digits, exp10);
    } else if v.is_nan() {
        NAN_TEXT
    } else if bits >> 31 == 0 {
        INF_TEXT
    } else {
        NINF_TEXT
    };
    buf[..fixed.len()].copy_from_slice(fixed);
    fixed.len()
}

/// Lays out `±digits·10^exp10` (`1 ≤ digits < 10^9`) as NR3 at the start of
/// `b` (`-d.ddddddddE-xx`, at most 15 bytes) and returns its length.
///
/// Up to eight digits are converted at once into a `u64` and shifted so the
/// first significant digit leads; it is then moved one place left to make
/// room for the `.`.
#[inline(always)]
fn lay_out_nr3_f32(b: &mut [u8; NR3_F32_LEN], neg: bool, digits: u32, exp10: i32) -> usize {
    b[0] = b'-';
    let n = usize::from(neg);
    let nd = decimal_len(digits);
    if nd <= 8 {
        let w = eight_digits(digits) >> (8 * (8 - nd));
        b[n + 1..n + 9].copy_from_slice(&w.to_le_bytes());
        b[n] = b[n + 1];
        if nd == 1 {
            b[n + 2] = b'0';
        }
    } else {
        b[n] = b'0' + (digits / 100_000_000) as u8;
        b[n + 2..n + 10].copy_from_slice(&eight_digits(digits % 100_000_000).to_le_bytes());
    }
    b[n + 1] = b'.';
    let end = n + 1 + nd.max(2);
    // `f32` exponents are `E-45` to `E+38`; anything else cannot occur, and
    // is clamped rather than trusted as an index.
    let e = (exp10 + nd as i32 - 1).clamp(NR3_F32_EXP_MIN, NR3_F32_EXP_MAX);
    let text = NR3_F32_EXP_TEXT[(e - NR3_F32_EXP_MIN) as usize];
    b[end..end + 4].copy_from_slice(&text.to_le_bytes());
    end + 3 + usize::from(text >> 24 != 0)
}

/// Smallest and largest NR3 exponent of a non-zero finite `f32`.
const NR3_F32_EXP_MIN: i32 = -45;
const NR3_F32_EXP_MAX: i32 = 38;

/// The exponent texts `E-45` … `E+0` … `E+38` as little-endian `u32`s (a
/// one-digit exponent leaves the fourth byte zero).
const NR3_F32_EXP_TEXT: [u32; (NR3_F32_EXP_MAX - NR3_F32_EXP_MIN + 1) as usize] = {
    let mut t = [0u32; (NR3_F32_EXP_MAX - NR3_F32_EXP_MIN + 1) as usize];
    let mut i = 0;
    while i < t.len() {
        let e = NR3_F32_EXP_MIN + i as i32;
        let sign = if e < 0 { b'-' } else { b'+' };
        let a = e.unsigned_abs();
        let bytes = if a < 10 {
            [b'E', sign, b'0' + a as u8, 0]
        } else {
            [b'E', sign, b'0' + (a / 10) as u8, b'0' + (a % 10) as u8]
        };
        t[i] = u32::from_le_bytes(bytes);
        i += 1;
    }
    t
};

/// The number of decimal digits of `v` (1 for 0), from its bit length and
/// one table add (`v + T[log2 v]` carries into bit 32 exactly when `v`
/// reaches the next power of ten within that bit length).
#[inline(always)]
fn decimal_len(v: u32) -> usize {
    const T: [u64; 32] = {
        let mut t = [0u64; 32];
        let mut i = 0;
        while i < 32 {
            // Digits of 2^i, and the power of ten (if any) below 2^(i+1).
            let lo = 1u64 << i;
            let mut digits = 1;
            let mut p = 10u64;
            while p <= lo {
                digits += 1;
                p *= 10;
            }
            t[i] = (digits << 32) + if p < lo << 1 { (1 << 32) - p } else { 0 };
            i += 1;
        }
        t
    };
    ((u64::from(v) + T[31 - (v | 1).leading_zeros() as usize]) >> 32) as usize
}

/// The eight decimal digits of `v < 10^8`, zero-padded, as ASCII in a `u64`
/// whose little-endian bytes read in order (most significant digit first).
///
/// The digits are split in SIMD-within-a-register steps: two 4-digit halves
/// in 32-bit lanes, then 2-digit quarters in 16-bit lanes, then single digits
/// in bytes; each `/100` and `/10` is a multiply and shift that is exact over
/// the lane's range.
#[inline(always)]
fn eight_digits(v: u32) -> u64 {
    let v = u64::from(v);
    let halves = (v / 10_000) | ((v % 10_000) << 32);
    let hundreds = ((halves * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let quarters = hundreds | ((halves - hundreds * 100) << 16);
    let tens = ((quarters * 103) >> 10) & 0x000f_000f_000f_000f;
    let singles = tens | ((quarters - tens * 10) << 8);
    singles + 0x3030_3030_3030_3030
}

/// Writes an `f64` as NR3 with the shortest digits that round-trip the `f64`.
///
/// The digits come from the crate's own Schubfach (`shortest`), laid out in
/// one stack buffer and written with one `write`.
#[inline]
pub fn write_nr3_f64<S: Sink + ?Sized>(out: &mut S, v: f64) -> Result<(), SinkError> {
    if !v.is_finite() {
        return write_non_finite(out, v).map(drop);
    }
    let bits = v.to_bits();
    if bits << 1 == 0 {
        // Zero (either sign) is written as `0.0E+0`.
        return out.write(b"0.0E+0");
    }
    let (digits, exp10) = shortest_digits::f64_to_decimal(bits);
    let mut b = [0u8; NR3_MAX_LEN];
    let end = lay_out_nr3_f64(&mut b, bits >> 63 != 0, digits, exp10);
    out.write(&b[..end])
}

/// Lays out `±digits·10^exp10` (`1 ≤ digits < 10^17`) as NR3 at the start of
/// `b` (`-d.ddddddddddddddddE-xxx`, at most 25 bytes) and returns its length.
///
/// All 17 digit places are converted zero-padded (one digit, then two groups
/// of eight at once); the significant ones are then copied behind the first.
#[inline]
fn lay_out_nr3_f64(b: &mut [u8; NR3_MAX_LEN], neg: bool, digits: u64, exp10: i32) -> usize {
    let mut padded = [0u8; 34];
    padded[0] = b'0' + (digits / 10_000_000_000_000_000 % 10) as u8;
    let hi = (digits / 100_000_000 % 100_000_000) as u32;
    padded[1..9].copy_from_slice(&eight_digits(hi).to_le_bytes());
    padded[9..17].copy_from_slice(&eight_digits((digits % 100_000_000) as u32).to_le_bytes());
    let nd = (digits.max(1).ilog10() as usize + 1).min(17);
    let first = 17 - nd;
    b[0] = b'-';
    let n = usize::from(neg);
    b[n] = padded[first];
    b[n + 1] = b'.';
    b[n + 2..n + 18].copy_from_slice(&padded[first + 1..first + 17]);
    if nd == 1 {
        b[n + 2] = b'0';
    }
    let mut end = n + 1 + nd.max(2);
    let e = exp10 + nd as i32 - 1;
    b[end] = b'E';
    b[end + 1] = if e < 0 { b'-' } else { b'+' };
    end += 2;
    let a = e.unsigned_abs().min(999);
    if a >= 100 {
        b[end] = b'0' + (a / 100) as u8;
        end += 1;
    }
    if a >= 10 {
        b[end] = b'0' + (a / 10 % 10) as u8;
        end += 1;
    }
    b[end] = b'0' + (a % 10) as u8;
    end + 1
}

/// Writes an `f64` as NR2 (no exponent) with the shortest round-trip digits
/// and at least one fractional digit (`0.1`, `2.0`, `12.000125`).
///
/// Non-finite values are written as the NR3 sentinels (NR2 has no form for them).
pub fn write_nr2_f64<S: Sink + ?Sized>(out: &mut S, v: f64) -> Result<(), SinkError> {
    if write_non_finite(out, v)? {
        return Ok(());
    }
    let bits = v.to_bits();
    if bits << 1 == 0 {
        return out.write(b"0.0");
    }
    let (digits, exp10) = shortest_digits::f64_to_decimal(bits);
    Digits::from_decimal(bits >> 63 != 0, digits, exp10).write_nr2(out)
}

/// Writes a whole number of microseconds as NR2 seconds, exact, with trailing
/// zeros trimmed but at least one decimal: `100000` → `0.1`,
/// `12000125` → `12.000125`, `-1500000` → `-1.5`.
///
/// ```
/// # use scpi_parser::number::write_nr2_micros;
/// let mut s = Vec::new();
/// write_nr2_micros(&mut s, 12_000_125).unwrap();
/// assert_eq!(s, b"12.000125");
/// ```
#[inline]
pub fn write_nr2_micros<S: Sink + ?Sized>(out: &mut S, micros: i64) -> Result<(), SinkError> {
    let mut b = [0u8; 40];
    b[0] = b'-';
    let mut n = usize::from(micros < 0);
    let abs = micros.unsigned_abs();
    let secs = abs / 1_000_000;
    match u32::try_from(secs) {
        Ok(secs) if secs < 100_000_000 => {
            // Up to eight digits at once, the leading zeros shifted out.
            let nd = decimal_len(secs);
            let w = eight_digits(secs) >> (8 * (8 - nd));
            b[n..n + 8].copy_from_slice(&w.to_le_bytes());
            n += nd;
        }
        _ => n += write_u64_digits(secs, &mut b[n..]),
    }
    b[n] = b'.';
    // The six fractional digits (`00ffffff` minus its two leading zeros),
    // then as many kept as are not trailing zeros (at least one).
    let frac = eight_digits((abs % 1_000_000) as u32) >> 16;
    b[n + 1..n + 9].copy_from_slice(&frac.to_le_bytes());
    let zero_bytes_on_top = ((frac ^ 0x3030_3030_3030).leading_zeros() as usize - 16) / 8;
    let width = (6 - zero_bytes_on_top).max(1);
    out.write(&b[..n + 1 + width])
}

#[cfg(all(test, feature = "alloc"))]
mod tests;
