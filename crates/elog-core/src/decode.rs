//! Decoding FETCh? answers back into [`Records`]: tolerant on input.
//!
//! Accepted besides what [`encode`](crate::format::encode) writes: spaces or
//! tabs around fields and before/after blocks, a trailing CR/LF, `NONE` in any
//! case, every NRf number form (`1`, `+.5`, `1.5e3`, `1.5E+0`), the SCPI
//! sentinels `9.91E+37` (NaN) and `±9.9E+37` (±∞) as well as the words `nan`,
//! `inf`, `infinity`, NR3 timestamps, ABS times with any number of fraction
//! digits (or none), a space instead of `T`, and surrounding double quotes.

use alloc::vec::Vec;
use core::fmt;

use scpi_parser::number::{INF_VALUE, NAN_VALUE};

use crate::civil::DateTime;
use crate::config::{Format, TimestampMode};
use crate::records::{RecordTime, Records};
use crate::time::Duration;

/// What a decoder needs to know about the answer.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Layout {
    /// The answer's format.
    pub format: Format,
    /// The timestamp mode (decides whether and how each record starts with a time).
    pub timestamp: TimestampMode,
    /// Values per record (items × calculations).
    pub width: usize,
}

/// What was wrong with an answer.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A field is not a number.
    BadNumber,
    /// A field is not a timestamp of the expected kind.
    BadTime,
    /// The number of fields or blocks does not fit the layout.
    FieldCount,
    /// A block header is malformed or its length runs past the input.
    BadBlock,
    /// Blocks of different lengths, or a length that is not a multiple of 4.
    BlockLength,
    /// Something other than `,` between blocks.
    BadSeparator,
    /// Binary answers cannot carry ABS times.
    AbsInBinary,
}

/// A decoding failure and the byte offset where it was found.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset into the input.
    pub offset: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeErrorKind::BadNumber => "not a number",
            DecodeErrorKind::BadTime => "not a timestamp",
            DecodeErrorKind::FieldCount => "field count does not fit the record layout",
            DecodeErrorKind::BadBlock => "malformed block",
            DecodeErrorKind::BlockLength => "block lengths differ or are not a multiple of 4",
            DecodeErrorKind::BadSeparator => "expected ',' between blocks",
            DecodeErrorKind::AbsInBinary => "ABS times cannot be binary",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl core::error::Error for DecodeError {}

fn err(kind: DecodeErrorKind, offset: usize) -> DecodeError {
    DecodeError { kind, offset }
}

/// Decodes one FETCh? answer (with or without its final LF).
pub fn decode(input: &[u8], layout: Layout) -> Result<Records, DecodeError> {
    match layout.format {
        Format::Ascii => decode_ascii(input, layout),
        Format::BinIntel => decode_binary(input, layout, false),
        Format::BinMotorola => decode_binary(input, layout, true),
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims whitespace; returns the trimmed slice and its start offset.
fn trim(input: &[u8]) -> (&[u8], usize) {
    let start = input.iter().position(|&b| !is_ws(b)).unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|&b| !is_ws(b))
        .map_or(start, |e| e + 1);
    (&input[start..end], start)
}

fn is_none(s: &[u8]) -> bool {
    s.eq_ignore_ascii_case(b"NONE")
}

/// Decodes an ASCII answer.
pub fn decode_ascii(input: &[u8], layout: Layout) -> Result<Records, DecodeError> {
    let (body, off) = trim(input);
    let per = layout.width + usize::from(layout.timestamp.is_on());
    if body.is_empty() || is_none(body) {
        return Ok(Records::new(layout.width));
    }
    let fields = body.iter().filter(|&&b| b == b',').count() + 1;
    if per == 0 || fields % per != 0 {
        return Err(err(DecodeErrorKind::FieldCount, off));
    }
    let n = fields / per;
    let mut cols = alloc::vec![0f32; layout.width * n];
    let mut times = Vec::with_capacity(if layout.timestamp.is_on() { n } else { 0 });
    let mut pos = off;
    for (k, raw) in body.split(|&b| b == b',').enumerate() {
        let (f, lead) = trim(raw);
        let at = pos + lead;
        pos += raw.len() + 1;
        let (rec, mut field) = (k / per, k % per);
        if layout.timestamp.is_on() {
            if field == 0 {
                let t = match layout.timestamp {
                    TimestampMode::Abs => {
                        RecordTime::Wall(parse_abs(f).ok_or(err(DecodeErrorKind::BadTime, at))?)
                    }
                    _ => {
                        RecordTime::Elapsed(parse_secs(f).ok_or(err(DecodeErrorKind::BadTime, at))?)
                    }
                };
                times.push(t);
                continue;
            }
            field -= 1;
        }
        let v = parse_value(f).ok_or(err(DecodeErrorKind::BadNumber, at))?;
        cols[field * n + rec] = v;
    }
    Records::from_columns(layout.width, n, times, cols).ok_or(err(DecodeErrorKind::FieldCount, off))
}

/// Checks the NRf grammar of an answer field: IEEE 488.2 NRf as
/// `scpi-parser` scans it ([`scpi_parser::nrf::parse_nrf`], the one NRf
/// scanner of the workspace), without white space (answers have none).
fn is_nrf(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && core::str::from_utf8(s).is_ok_and(|t| scpi_parser::nrf::parse_nrf(t).is_ok())
}

fn parse_f64(f: &[u8]) -> Option<f64> {
    let s = core::str::from_utf8(f).ok()?;
    let (neg, word) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    for (w, v) in [
        ("nan", f64::NAN),
        ("inf", f64::INFINITY),
        ("infinity", f64::INFINITY),
    ] {
        if word.eq_ignore_ascii_case(w) {
            return Some(if neg { -v } else { v });
        }
    }
    if !is_nrf(f) {
        return None;
    }
    scpi_parser::nrf::parse_nrf(s).ok()
}

/// Parses one value field (NRf, SCPI sentinels, nan/inf words) to `f32`.
pub fn parse_value(f: &[u8]) -> Option<f32> {
    let v = parse_f64(f)?;
    Some(if v == NAN_VALUE {
        f32::NAN
    } else if v == INF_VALUE {
        f32::INFINITY
    } else if v == -INF_VALUE {
        f32::NEG_INFINITY
    } else {
        v as f32
    })
}

/// Parses NR2/NR3 seconds; plain decimals are converted exactly to nanoseconds.
pub fn parse_secs(f: &[u8]) -> Option<Duration> {
    if !is_nrf(f) {
        return None;
    }
    if f.iter().any(|b| matches!(b, b'e' | b'E')) {
        let secs = parse_f64(f)?;
        return Some(
            Duration::from_secs_f64(secs).unwrap_or(Duration::from_nanos(if secs < 0.0 {
                i64::MIN
            } else {
                i64::MAX
            })),
        );
    }
    let (neg, body) = match f[0] {
        b'-' => (true, &f[1..]),
        b'+' => (false, &f[1..]),
        _ => (false, f),
    };
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, &body[body.len()..]),
    };
    // i128 holds any digit string that fits the input limit checked below;
    // times beyond the i64 nanosecond range saturate (tolerant input).
    let int = &int[int.iter().position(|&d| d != b'0').unwrap_or(int.len())..];
    if int.len() > 25 {
        return Some(Duration::from_nanos(if neg { i64::MIN } else { i64::MAX }));
    }
    let mut ns: i128 = 0;
    for &d in int {
        ns = ns * 10 + i128::from(d - b'0');
    }
    ns *= 1_000_000_000;
    let mut scale = 100_000_000i128;
    for &d in frac.iter().take(9) {
        ns += i128::from(d - b'0') * scale;
        scale /= 10;
    }
    if frac.get(9).is_some_and(|&d| d >= b'5') {
        ns += 1;
    }
    let ns = (if neg { -ns } else { ns }).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Some(Duration::from_nanos(ns))
}

fn num<T: TryFrom<i64>>(s: &[u8]) -> Option<T> {
    if s.is_empty() || s.len() > 12 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0i64, |a, &d| a * 10 + i64::from(d - b'0'));
    T::try_from(v).ok()
}

/// Parses `YYYY-MM-DDThh:mm:ss[.f…]` to time since the Unix epoch.
pub fn parse_abs(f: &[u8]) -> Option<Duration> {
    let f = f
        .strip_prefix(b"\"")
        .and_then(|g| g.strip_suffix(b"\""))
        .unwrap_or(f);
    let (neg, f) = match f.first() {
        Some(b'-') => (true, &f[1..]),
        Some(b'+') => (false, &f[1..]),
        _ => (false, f),
    };
    let dash = f.iter().position(|&b| b == b'-')?;
    let year: i64 = num(&f[..dash])?;
    let rest = &f[dash + 1..];
    if rest.len() < 14
        || rest[2] != b'-'
        || !matches!(rest[5], b'T' | b't' | b' ')
        || rest[8] != b':'
        || rest[11] != b':'
    {
        return None;
    }
    let mut dt = DateTime {
        year: if neg { -year } else { year },
        month: num(&rest[0..2])?,
        day: num(&rest[3..5])?,
        hour: num(&rest[6..8])?,
        minute: num(&rest[9..11])?,
        second: num(&rest[12..14])?,
        micros: 0,
    };
    let tail = &rest[14..];
    let mut nanos = 0i64;
    if !tail.is_empty() {
        let digits = tail.strip_prefix(b".")?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut scale = 100_000_000i64;
        for &d in digits.iter().take(9) {
            nanos += i64::from(d - b'0') * scale;
            scale /= 10;
        }
    }
    dt.micros = 0;
    let us = dt.to_unix_micros()?;
    Some(Duration::from_nanos(
        us.saturating_mul(1000).saturating_add(nanos),
    ))
}

/// Decodes a binary answer (blocks joined by `,`).
pub fn decode_binary(input: &[u8], layout: Layout, big: bool) -> Result<Records, DecodeError> {
    if layout.timestamp == TimestampMode::Abs {
        return Err(err(DecodeErrorKind::AbsInBinary, 0));
    }
    let (body, _) = trim(input);
    if body.is_empty() || is_none(body) {
        return Ok(Records::new(layout.width));
    }
    let per = layout.width + usize::from(layout.timestamp.is_on());
    let mut blocks: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    loop {
        while input.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        if input.get(i) != Some(&b'#') {
            return Err(err(DecodeErrorKind::BadBlock, i));
        }
        let d = match input.get(i + 1) {
            Some(&c @ b'1'..=b'9') => usize::from(c - b'0'),
            _ => return Err(err(DecodeErrorKind::BadBlock, i + 1)),
        };
        let len: usize = input
            .get(i + 2..i + 2 + d)
            .and_then(num::<i64>)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or(err(DecodeErrorKind::BadBlock, i + 2))?;
        let start = i + 2 + d;
        let payload = input
            .get(
                start
                    ..start
                        .checked_add(len)
                        .ok_or(err(DecodeErrorKind::BadBlock, i))?,
            )
            .ok_or(err(DecodeErrorKind::BadBlock, i))?;
        if !len.is_multiple_of(4) || blocks.first().is_some_and(|b| b.len() != len) {
            return Err(err(DecodeErrorKind::BlockLength, i));
        }
        if blocks.len() == per {
            return Err(err(DecodeErrorKind::FieldCount, i));
        }
        blocks.push(payload);
        i = start + len;
        while input.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        match input.get(i) {
            None => break,
            Some(b',') => i += 1,
            Some(_) => return Err(err(DecodeErrorKind::BadSeparator, i)),
        }
    }
    if blocks.len() != per {
        return Err(err(DecodeErrorKind::FieldCount, input.len()));
    }
    let n = blocks[0].len() / 4;
    let f = |c: &[u8]| {
        let b = [c[0], c[1], c[2], c[3]];
        if big {
            f32::from_be_bytes(b)
        } else {
            f32::from_le_bytes(b)
        }
    };
    let mut times = Vec::new();
    let mut vals = blocks.as_slice();
    if layout.timestamp.is_on() {
        times = blocks[0]
            .chunks_exact(4)
            .map(|c| {
                RecordTime::Elapsed(
                    Duration::from_secs_f64(f64::from(f(c))).unwrap_or(Duration::ZERO),
                )
            })
            .collect();
        vals = &blocks[1..];
    }
    let mut cols = Vec::with_capacity(layout.width * n);
    for b in vals {
        cols.extend(b.chunks_exact(4).map(f));
    }
    Records::from_columns(layout.width, n, times, cols).ok_or(err(DecodeErrorKind::FieldCount, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lay(format: Format, timestamp: TimestampMode, width: usize) -> Layout {
        Layout {
            format,
            timestamp,
            width,
        }
    }

    #[test]
    fn oxygen_seed_answers() {
        let r = decode(
            b"1.5, 1, 10.5, 10, 2.5, 2, 20.5, 20\n",
            lay(Format::Ascii, TimestampMode::Off, 4),
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.row(1).collect::<Vec<_>>(), [2.5, 2.0, 20.5, 20.0]);
        let r = decode(
            b"0.1, 1.5, 1, 10.5, 10, 0.2, 2.5, 2, 20.5, 20",
            lay(Format::Ascii, TimestampMode::Rel, 4),
        )
        .unwrap();
        assert_eq!(
            r.time(1),
            Some(RecordTime::Elapsed(Duration::from_millis(200)))
        );
        assert_eq!(
            decode(b"NONE\r\n", lay(Format::BinIntel, TimestampMode::Elog, 3))
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            decode(b"none", lay(Format::Ascii, TimestampMode::Elog, 3))
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn numbers_and_times() {
        assert_eq!(parse_value(b"+.5"), Some(0.5));
        assert_eq!(parse_value(b"1.5e3"), Some(1500.0));
        assert!(parse_value(b"9.91E+37").unwrap().is_nan());
        assert!(parse_value(b"NaN").unwrap().is_nan());
        assert_eq!(parse_value(b"-9.9E+37"), Some(f32::NEG_INFINITY));
        assert_eq!(parse_value(b"-inf"), Some(f32::NEG_INFINITY));
        for bad in [&b""[..], b"1e", b".", b"1.5x", b"--1", b"e5", b"0x10"] {
            assert_eq!(parse_value(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_secs(b"12.000125"),
            Some(Duration::from_nanos(12_000_125_000))
        );
        assert_eq!(parse_secs(b"1.0E-1"), Some(Duration::from_millis(100)));
        assert_eq!(parse_secs(b"-0.0000000015"), Some(Duration::from_nanos(-2)));
        assert_eq!(
            parse_secs(b"99999999999999999999"),
            Some(Duration::from_nanos(i64::MAX))
        );
        assert_eq!(
            parse_secs(b"-9223372036.854776"),
            Some(Duration::from_nanos(i64::MIN))
        );
        assert_eq!(
            parse_abs(b"2024-02-29T12:34:56.123456"),
            Some(Duration::from_micros(1_709_210_096_123_456))
        );
        assert_eq!(
            parse_abs(b"\"2024-02-29 12:34:56\""),
            Some(Duration::from_secs(1_709_210_096))
        );
        assert_eq!(
            parse_abs(b"1970-01-01T00:00:00.5"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_abs(b"2023-02-29T00:00:00"), None);
        assert_eq!(
            parse_abs(b"2262-04-11T23:47:16.854776"),
            Some(Duration::from_nanos(i64::MAX))
        );
        assert_eq!(parse_abs(b"2024-02-29T12:34:56."), None);
        assert_eq!(parse_abs(b"2024-02-29T12:34"), None);
    }

    #[test]
    fn binary_tolerance_and_errors() {
        let l = lay(Format::BinMotorola, TimestampMode::Off, 2);
        let mut a = Vec::new();
        a.extend_from_slice(b"#14");
        a.extend_from_slice(&1.5f32.to_be_bytes());
        a.extend_from_slice(b" , #14");
        a.extend_from_slice(&(-2.0f32).to_be_bytes());
        a.extend_from_slice(b"\n");
        let r = decode(&a, l).unwrap();
        assert_eq!(r.row(0).collect::<Vec<_>>(), [1.5, -2.0]);
        assert_eq!(
            decode(b"#14abcd", l).unwrap_err().kind,
            DecodeErrorKind::FieldCount
        );
        assert_eq!(
            decode(b"#14ab", l).unwrap_err().kind,
            DecodeErrorKind::BadBlock
        );
        assert_eq!(
            decode(b"#15abcd", l).unwrap_err().kind,
            DecodeErrorKind::BadBlock
        );
        assert_eq!(
            decode(b"#13abc,#13abc", l).unwrap_err().kind,
            DecodeErrorKind::BlockLength
        );
        assert_eq!(
            decode(b"#14abcd;#14abcd", l).unwrap_err().kind,
            DecodeErrorKind::BadSeparator
        );
        assert_eq!(
            decode(b"#0abcd", l).unwrap_err().kind,
            DecodeErrorKind::BadBlock
        );
        assert_eq!(
            decode(b"#14abcd,#18abcdabcd", l).unwrap_err().kind,
            DecodeErrorKind::BlockLength
        );
        assert_eq!(
            decode(b"1,2,3", lay(Format::Ascii, TimestampMode::Off, 2))
                .unwrap_err()
                .kind,
            DecodeErrorKind::FieldCount
        );
    }
}
