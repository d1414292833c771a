//! Record formatting: the FETCh? answer in ASCII, BIN_INTEL or BIN_MOTOROLA.
//!
//! What is written is exactly the answer's *content*: `NONE` when there is no
//! record, otherwise the fields or blocks joined by `,`. The trailing LF of the
//! response message, `ERROR`, and the error queue are the SCPI layer's job.
//!
//! * ASCII: per record the timestamp (unless OFF), then per channel in ITEMs
//!   order the calculations in CALC order; NR3 values with the shortest digits
//!   that round-trip the `f32` (via [`scpi_parser::number::write_nr3_f32`]);
//!   NaN / ±∞ as `9.91E+37` / `±9.9E+37`; REL/ELOG timestamps NR2 seconds
//!   rounded to 1 µs (via [`scpi_parser::number::write_nr2_micros`]); ABS as
//!   `YYYY-MM-DDThh:mm:ss.ffffff`. No record separator.
//! * Binary: IEEE 488.2 definite-length blocks `#<d><len><bytes>` joined by
//!   `,`; the timestamp block (f32 seconds) first, then one block per
//!   channel × calculation (channel-major), one `f32` per record; little-endian
//!   for BIN_INTEL, big-endian for BIN_MOTOROLA.

pub mod ascii;
pub mod binary;

use alloc::vec::Vec;

use scpi_parser::Sink;

use crate::config::Format;
use crate::error::Result;
use crate::records::{RecordTime, Records};

/// A read-only table of records the formatters walk.
pub(crate) trait Table {
    /// Number of records.
    fn len(&self) -> usize;
    /// Values per record.
    fn width(&self) -> usize;
    /// Whether records carry timestamps.
    fn has_times(&self) -> bool;
    /// Timestamp of record `i` (only called when `has_times`).
    fn time(&self, i: usize) -> RecordTime;
    /// Value `col` of record `i`.
    fn value(&self, i: usize, col: usize) -> f32;
    /// Column `col` as up to two contiguous pieces, in record order.
    fn column(&self, col: usize) -> [&[f32]; 2];
}

impl Table for Records {
    fn len(&self) -> usize {
        Records::len(self)
    }

    fn width(&self) -> usize {
        Records::width(self)
    }

    fn has_times(&self) -> bool {
        Records::has_times(self)
    }

    fn time(&self, i: usize) -> RecordTime {
        Records::time(self, i).unwrap_or(RecordTime::Elapsed(crate::Duration::ZERO))
    }

    fn value(&self, i: usize, col: usize) -> f32 {
        Records::value(self, i, col).unwrap_or(f32::NAN)
    }

    fn column(&self, col: usize) -> [&[f32]; 2] {
        [Records::column(self, col), &[]]
    }
}

/// Writes `records` in `format` (timestamps included when the records carry them).
///
/// Wall-clock times in a binary format are refused with
/// [`Error::AbsTimeNeedsAscii`](crate::Error::AbsTimeNeedsAscii).
pub fn encode<S: Sink + ?Sized>(records: &Records, format: Format, out: &mut S) -> Result<()> {
    encode_table(records, format, out)
}

/// Like [`encode`], appending to a `Vec` with the aligned in-place binary path.
pub fn encode_to_vec(records: &Records, format: Format, out: &mut Vec<u8>) -> Result<()> {
    encode_table_vec(records, format, out)
}

pub(crate) fn encode_table<T: Table, S: Sink + ?Sized>(
    t: &T,
    format: Format,
    out: &mut S,
) -> Result<()> {
    match format {
        Format::Ascii => ascii::write(t, out),
        Format::BinIntel => binary::write(t, false, out),
        Format::BinMotorola => binary::write(t, true, out),
    }
}

pub(crate) fn encode_table_vec<T: Table>(t: &T, format: Format, out: &mut Vec<u8>) -> Result<()> {
    match format {
        Format::Ascii => ascii::write(t, out),
        Format::BinIntel => binary::write_vec(t, false, out),
        Format::BinMotorola => binary::write_vec(t, true, out),
    }
}
