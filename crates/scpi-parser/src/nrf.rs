//! Decimal and non-decimal numeric program data (IEEE 488.2 §7.7.2, §7.7.4).
//!
//! NRf: `[+|-] (digits [. digits] | . digits) [ws* (E|e) ws* [+|-] digits]`.
//! White space around the exponent letter is allowed (`1.5 E3` = 1500).
//! More than 255 mantissa digits (leading zeros excluded) → `-124`; an exponent
//! beyond ±32000 → `-123`. The grammar is checked here before any conversion,
//! so words such as `inf` or `nan` that `f64::from_str` would accept never get
//! through. The conversion is correctly rounded.

use crate::error::{Error, code};

/// The most mantissa digits accepted (leading zeros do not count).
pub const MAX_MANTISSA_DIGITS: usize = 255;
/// The largest exponent magnitude accepted.
pub const MAX_EXPONENT: i64 = 32000;

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Scans decimal numeric program data starting at `s[pos]`.
///
/// Returns the value and the index just after the number (white space after
/// the number is not consumed). Errors are `-121`, `-123` or `-124`.
pub(crate) fn scan_decimal(s: &[u8], pos: usize) -> Result<(f64, usize), Error> {
    let mut i = pos;
    let mut neg = false;
    if let Some(&c @ (b'+' | b'-')) = s.get(i) {
        neg = c == b'-';
        i += 1;
    }
    // Mantissa: collect significant digits (leading zeros skipped).
    let mut mant: u64 = 0;
    let mut sig = 0usize; // significant digits seen
    let mut frac_digits: i64 = 0; // digits after the point (all of them)
    let mut any_digit = false;
    let mut seen_point = false;
    let mant_start = i;
    while let Some(&c) = s.get(i) {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                if seen_point {
                    frac_digits += 1;
                }
                if sig > 0 || c != b'0' {
                    sig += 1;
                    if sig <= 19 {
                        mant = mant * 10 + u64::from(c - b'0');
                    }
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    let mant_end = i;
    if !any_digit {
        return Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER));
    }
    if sig > MAX_MANTISSA_DIGITS {
        return Err(Error::new(code::TOO_MANY_DIGITS));
    }
    // Optional exponent, with white space allowed around the letter.
    let mut exp: i64 = 0;
    let letter = skip_ws(s, i);
    if matches!(s.get(letter), Some(b'e' | b'E')) {
        let mut j = skip_ws(s, letter + 1);
        let mut eneg = false;
        let signed = matches!(s.get(j), Some(b'+' | b'-'));
        if signed {
            eneg = s[j] == b'-';
            j += 1;
        }
        if matches!(s.get(j), Some(b'0'..=b'9')) {
            while let Some(&c @ b'0'..=b'9') = s.get(j) {
                exp = (exp * 10 + i64::from(c - b'0')).min(1_000_000);
                j += 1;
            }
            if exp > MAX_EXPONENT {
                return Err(Error::new(code::EXPONENT_TOO_LARGE));
            }
            if eneg {
                exp = -exp;
            }
            i = j;
        } else if signed || !s.get(letter + 1).is_some_and(u8::is_ascii_alphabetic) {
            // `1e`, `1e+`, `1 E +`: an exponent letter without digits.
            // (`1 EXV` is a suffix and is left alone.)
            return Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER));
        }
    }
    if matches!(s.get(i), Some(b'.')) {
        return Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER));
    }
    let e10 = exp - frac_digits;
    let value = if sig == 0 {
        0.0
    } else if sig <= 15 && (-22..=22).contains(&e10) {
        // Exact fast path: both operands are exact, one rounding.
        let m = mant as f64;
        let p = POW10[e10.unsigned_abs() as usize];
        if e10 >= 0 { m * p } else { m / p }
    } else {
        slow_convert(&s[mant_start..mant_end], sig, e10)
    };
    Ok((if neg { -value } else { value }, i))
}

/// Correctly rounded conversion through `core`'s parser on a compact copy.
fn slow_convert(mantissa: &[u8], sig: usize, e10: i64) -> f64 {
    let mut buf = [0u8; MAX_MANTISSA_DIGITS + 24];
    let mut n = 0;
    let mut started = false;
    for &c in mantissa {
        if c == b'.' || (!started && c == b'0') {
            continue;
        }
        started = true;
        buf[n] = c;
        n += 1;
    }
    debug_assert_eq!(n, sig);
    buf[n] = b'e';
    n += 1;
    let mut e = [0u8; 24];
    let mut k = e.len();
    let mut v = e10.unsigned_abs();
    loop {
        k -= 1;
        e[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if e10 < 0 {
        buf[n] = b'-';
        n += 1;
    }
    let digits = &e[k..];
    buf[n..n + digits.len()].copy_from_slice(digits);
    n += digits.len();
    core::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

/// Scans non-decimal numeric data (`#H1F`, `#Q17`, `#B101`) at `s[pos]`
/// (which is `#`). Returns the value and the index after it.
pub(crate) fn scan_non_decimal(s: &[u8], pos: usize) -> Result<(u64, usize), Error> {
    let radix: u32 = match s.get(pos + 1) {
        Some(b'H' | b'h') => 16,
        Some(b'Q' | b'q') => 8,
        Some(b'B' | b'b') => 2,
        _ => return Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER)),
    };
    let mut i = pos + 2;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_alphanumeric() {
            break;
        }
        let d = (c as char)
            .to_digit(radix)
            .ok_or_else(|| Error::new(code::INVALID_CHARACTER_IN_NUMBER))?;
        match v
            .checked_mul(u64::from(radix))
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == pos + 2 {
        return Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER));
    }
    if overflow {
        return Err(Error::new(code::NUMERIC_DATA_ERROR));
    }
    Ok((v, i))
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| crate::byte_search::is_ws(c)) {
        i += 1;
    }
    i
}

/// Parses a whole text as NRf (decimal numeric program data, no suffix).
///
/// ```
/// use scpi_parser::nrf::parse_nrf;
/// assert_eq!(parse_nrf("1.5 E3"), Ok(1500.0));
/// assert_eq!(parse_nrf("-.25"), Ok(-0.25));
/// assert_eq!(parse_nrf("1e40000").unwrap_err().code(), -123);
/// assert!(parse_nrf("inf").is_err());
/// ```
pub fn parse_nrf(text: &str) -> Result<f64, Error> {
    let s = text.as_bytes();
    let start = skip_ws(s, 0);
    let (v, end) = scan_decimal(s, start)?;
    if skip_ws(s, end) != s.len() {
        return Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<f64, i32> {
        parse_nrf(s).map_err(|e| e.code())
    }

    #[test]
    fn decimal_forms() {
        assert_eq!(p("1"), Ok(1.0));
        assert_eq!(p("+1"), Ok(1.0));
        assert_eq!(p("-1.5"), Ok(-1.5));
        assert_eq!(p(".5"), Ok(0.5));
        assert_eq!(p("5."), Ok(5.0));
        assert_eq!(p("1.5E3"), Ok(1500.0));
        assert_eq!(p("1.5 E3"), Ok(1500.0));
        assert_eq!(p("1.5 e +3"), Ok(1500.0));
        assert_eq!(p("1.5E-3"), Ok(0.0015));
        assert_eq!(p("0.1"), Ok(0.1));
        assert_eq!(p("000000000000000000000000000012.5"), Ok(12.5));
        assert_eq!(p("12345678901234567890123"), Ok(12345678901234567890123.0));
        assert_eq!(p("1e-400"), Ok(0.0));
        assert_eq!(p("1e400"), Ok(f64::INFINITY));
        assert_eq!(p("0.000000000000000000000000000001"), Ok(1e-30));
    }

    #[test]
    fn decimal_errors() {
        assert_eq!(p("-"), Err(-121));
        assert_eq!(p("."), Err(-121));
        assert_eq!(p("1.2.3"), Err(-121));
        assert_eq!(p("1e"), Err(-121));
        assert_eq!(p("1e+"), Err(-121));
        assert_eq!(p("1e32001"), Err(-123));
        assert_eq!(p("1e-32001"), Err(-123));
        assert_eq!(p("1e32000"), Ok(f64::INFINITY));
        let many = "1".repeat(256);
        assert_eq!(p(&many), Err(-124));
        let ok = format!("{}{}", "0".repeat(300), "1".repeat(255));
        assert!(p(&ok).is_ok());
        assert_eq!(p("inf"), Err(-121));
        assert_eq!(p("nan"), Err(-121));
    }

    #[test]
    fn non_decimal() {
        assert_eq!(scan_non_decimal(b"#H1F", 0).map(|x| x.0), Ok(31));
        assert_eq!(scan_non_decimal(b"#q17", 0).map(|x| x.0), Ok(15));
        assert_eq!(scan_non_decimal(b"#B101,", 0), Ok((5, 5)));
        assert_eq!(scan_non_decimal(b"#B102", 0).unwrap_err().code(), -121);
        assert_eq!(scan_non_decimal(b"#H", 0).unwrap_err().code(), -121);
        assert_eq!(
            scan_non_decimal(b"#H1FFFFFFFFFFFFFFFF", 0)
                .unwrap_err()
                .code(),
            -120
        );
    }
}
