//! The ASCII answer: comma-joined NR3 values with NR2 or ISO timestamps.

use scpi_parser::number::{NR3_F32_LEN, format_nr3_f32, write_nr1, write_nr2_micros};
use scpi_parser::{Sink, SinkError, SliceSink};

use super::Table;
use crate::civil::DateTime;
use crate::error::Result;
use crate::records::RecordTime;

/// Bytes staged locally before they go to the sink.
const STAGE: usize = 2048;
/// Room kept free for one field and its leading `,` (an ABS time with a
/// far-off year is the longest field).
const FIELD_MAX: usize = 64;

/// Writes the records of `t` as one ASCII answer (or `NONE`).
///
/// Every field is staged with a leading `,` (no per-field "is this the first"
/// test); the answer's very first `,` is left out when the stage is flushed.
/// Values are laid out by [`format_nr3_f32`] straight into a fixed-size
/// window of the stage.
pub(crate) fn write<T: Table, S: Sink + ?Sized>(t: &T, out: &mut S) -> Result<()> {
    if t.len() == 0 {
        out.write(b"NONE")?;
        return Ok(());
    }
    let mut stage = [0u8; STAGE];
    let mut pos = 0;
    // The leading `,` of the answer's first field, not yet skipped.
    let mut skip = 1;
    for i in 0..t.len() {
        if t.has_times() {
            if pos > STAGE - FIELD_MAX {
                out.write(&stage[skip..pos])?;
                (skip, pos) = (0, 0);
            }
            stage[pos] = b',';
            let mut s = SliceSink::new(&mut stage[pos + 1..]);
            write_time(&mut s, t.time(i))?;
            pos += 1 + s.len();
        }
        for c in 0..t.width() {
            if pos > STAGE - FIELD_MAX {
                out.write(&stage[skip..pos])?;
                (skip, pos) = (0, 0);
            }
            let mut field = [0u8; NR3_F32_LEN];
            let len = format_nr3_f32(t.value(i, c), &mut field);
            stage[pos] = b',';
            stage[pos + 1..pos + 1 + NR3_F32_LEN].copy_from_slice(&field);
            pos += 1 + len;
        }
    }
    out.write(&stage[skip.min(pos)..pos])?;
    Ok(())
}

/// Writes one timestamp: NR2 seconds (µs) or `YYYY-MM-DDThh:mm:ss.ffffff`.
pub fn write_time<S: Sink + ?Sized>(out: &mut S, t: RecordTime) -> Result<(), SinkError> {
    match t {
        RecordTime::Elapsed(d) => write_nr2_micros(out, d.round_micros()),
        RecordTime::Wall(d) => write_abs(out, d.round_micros()),
    }
}

/// Writes microseconds since the Unix epoch as `YYYY-MM-DDThh:mm:ss.ffffff`.
///
/// Years outside 0..=9999 are written with as many digits as they need (and a
/// leading `-` before year 0); the form is otherwise unchanged.
pub fn write_abs<S: Sink + ?Sized>(out: &mut S, unix_micros: i64) -> Result<(), SinkError> {
    let dt = DateTime::from_unix_micros(unix_micros);
    if (0..=9999).contains(&dt.year) {
        let y = dt.year as u32;
        out.write(&[digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)])?;
    } else {
        write_nr1(out, dt.year)?;
    }
    let m = u32::from(dt.month);
    let d = u32::from(dt.day);
    let h = u32::from(dt.hour);
    let mi = u32::from(dt.minute);
    let sec = u32::from(dt.second);
    let f = dt.micros;
    out.write(&[
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(d / 10),
        digit(d),
        b'T',
        digit(h / 10),
        digit(h),
        b':',
        digit(mi / 10),
        digit(mi),
        b':',
        digit(sec / 10),
        digit(sec),
        b'.',
        digit(f / 100_000),
        digit(f / 10_000),
        digit(f / 1000),
        digit(f / 100),
        digit(f / 10),
        digit(f),
    ])
}

#[inline]
fn digit(v: u32) -> u8 {
    b'0' + (v % 10) as u8
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::*;
    use crate::Duration;
    use crate::records::Records;

    fn abs(us: i64) -> String {
        let mut v = Vec::new();
        write_abs(&mut v, us).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn abs_form() {
        assert_eq!(abs(0), "1970-01-01T00:00:00.000000");
        assert_eq!(abs(1_709_210_096_123_456), "2024-02-29T12:34:56.123456");
        assert_eq!(abs(-1), "1969-12-31T23:59:59.999999");
        assert_eq!(abs(253_402_300_800_000_000), "10000-01-01T00:00:00.000000");
    }

    #[test]
    fn spec_example() {
        let rows: [&[f32]; 2] = [&[1.0, 1.0, -2.5, -2.5], &[1.0, 1.0, -2.5, -2.5]];
        let r = Records::from_rows(4, rows.iter().map(|r| (None, *r))).unwrap();
        let mut v = Vec::new();
        write(&r, &mut v).unwrap();
        assert_eq!(
            v,
            b"1.0E+0,1.0E+0,-2.5E+0,-2.5E+0,1.0E+0,1.0E+0,-2.5E+0,-2.5E+0"
        );
        let t = |ms| Some(RecordTime::Elapsed(Duration::from_millis(ms)));
        let r = Records::from_rows(
            2,
            [
                (t(100), &[1.5, f32::NAN][..]),
                (t(12_000), &[f32::INFINITY, f32::NEG_INFINITY][..]),
            ],
        )
        .unwrap();
        let mut v = Vec::new();
        write(&r, &mut v).unwrap();
        assert_eq!(v, b"0.1,1.5E+0,9.91E+37,12.0,9.9E+37,-9.9E+37");
        let mut v = Vec::new();
        write(&Records::new(3), &mut v).unwrap();
        assert_eq!(v, b"NONE");
    }

    #[test]
    fn long_answers_with_times_are_staged_and_complete() {
        let t = |ms| Some(RecordTime::Elapsed(Duration::from_millis(ms)));
        let vals: Vec<f32> = (0..3000).map(|i| i as f32 * 1.0e-7 - 3.3e-5).collect();
        let r = Records::from_rows(
            3,
            vals.chunks(3)
                .enumerate()
                .map(|(k, c)| (t(100 * (k as i64 + 1)), c)),
        )
        .unwrap();
        let mut v = Vec::new();
        write(&r, &mut v).unwrap();
        let text = String::from_utf8(v).unwrap();
        let fields: Vec<&str> = text.split(',').collect();
        assert_eq!(fields.len(), 4000);
        for (k, row) in fields.chunks(4).enumerate() {
            let secs: f64 = row[0].parse().unwrap();
            assert!((secs - 0.1 * (k as f64 + 1.0)).abs() < 1e-9, "{}", row[0]);
            for (j, f) in row[1..].iter().enumerate() {
                assert!(f.contains('E'), "{f}");
                assert_eq!(f.parse::<f32>().unwrap(), vals[3 * k + j]);
            }
        }
    }

    #[test]
    fn long_answers_are_staged_and_complete() {
        let vals: Vec<f32> = (0..5000).map(|i| i as f32 * -1.25e-3).collect();
        let r = Records::from_rows(10, vals.chunks(10).map(|c| (None, c))).unwrap();
        let mut v = Vec::new();
        write(&r, &mut v).unwrap();
        let text = String::from_utf8(v).unwrap();
        let back: Vec<f32> = text.split(',').map(|s| s.parse().unwrap()).collect();
        assert_eq!(back, vals);
    }
}
