//! A native decoder for Liquid Instruments' LI binary format, version 3 (docs/moku-protocol.md §9.6).
//!
//! LI v3 as read by `pymoku`'s `dataparser.py`: `"LI3"`, a u16 header length, the instrument
//! id/version, channel count, start time, start offset and time step, then length-prefixed
//! strings (record format, one processing string per channel, CSV format, CSV header), zero
//! padding to a multiple of 8, then data blocks `u32 channel, u32 length, u64 offset, data`,
//! each padded to 8 bytes. Records are bit-packed LSB-first per the record format; each
//! channel's bit stream continues across its blocks. Each output value goes through its field's
//! processing chain (`/65536` turns the Datalogger's `s32` counts into volts).
//!
//! * Calibration: the `C` operand is the channel's calibration coefficient. LI v3 does not
//!   store it, so it is a decoder option ([`DecodeOptions::calibration`]) defaulting to 1.0.
//! * Versions 1, 2 and 4 (and anything else) are refused with a typed error.
//! * Fields: padding (`p`) is dropped; literal fields are kept in the output, like the reference
//!   reader; a literal mismatch drops the partial record and moves on by one byte. When a
//!   processing string has fewer clauses than the record has output fields, the remaining
//!   fields pass through unprocessed (the reference reader drops them).
//! * Sample `i` of a channel is at `start_offset + i * time_step`. Which physical input a
//!   channel index belongs to is not recorded in v3.
//! * Whole-byte single-field records (`s8/16/32/64`, `u8/16/32/64`, `f32`, `f64`) take a fast
//!   path; everything else goes through a general bit reader.
//!
//! The layout is **unverified against MokuOS 4.4 hardware** (docs/moku-protocol.md §14): the device may stream or
//! log a different (v4) layout; this decoder then reports [`LiError::UnsupportedVersion`].

mod decoder;
pub mod format;
mod header;
mod records;

pub use decoder::{ChunkSequence, Decoder, decode, decode_recycling, decode_with};
pub use format::{Field, FieldKind, Op, Operand, Processing, RecordFormat};
pub use header::Header;

/// Errors of the LI decoder.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LiError {
    /// The data does not start with `LI`.
    #[error("not LI data (bad magic)")]
    BadMagic,
    /// A known-but-unsupported version digit (1, 2, 4, …).
    #[error("LI version {0} is not supported (only version 3 is)")]
    UnsupportedVersion(u8),
    /// The version byte is not a digit.
    #[error("unknown LI version byte 0x{0:02x}")]
    UnknownVersion(u8),
    /// The document ended inside a structure.
    #[error("LI data truncated in the {0}")]
    Truncated(&'static str),
    /// The header length field disagrees with the header's contents.
    #[error("LI header length {declared} does not match the header (data starts at {actual})")]
    HeaderLength {
        /// The declared length.
        declared: u16,
        /// Where the data really starts.
        actual: usize,
    },
    /// A header string is not UTF-8.
    #[error("LI header string {index} is not UTF-8")]
    BadString {
        /// 0 = record format, then processing strings, CSV format, CSV header.
        index: usize,
    },
    /// The record format string is invalid.
    #[error("bad LI record format {format:?}: {reason}")]
    RecordFormat {
        /// The format string.
        format: String,
        /// What is wrong.
        reason: String,
    },
    /// A processing string is invalid.
    #[error("bad LI processing string {processing:?}: {reason}")]
    Processing {
        /// The processing string.
        processing: String,
        /// What is wrong.
        reason: String,
    },
    /// A data block names a channel the header does not have.
    #[error("LI block for channel {channel} but the header has {n_channels} channels")]
    BadChannel {
        /// The 0-based channel of the block.
        channel: u32,
        /// The header's channel count.
        n_channels: u8,
    },
    /// A block is larger than the incremental decoder's buffer limit.
    #[error("LI block of {length} bytes exceeds the limit of {max} bytes")]
    BlockTooLarge {
        /// The declared length.
        length: u64,
        /// The configured limit.
        max: usize,
    },
    /// More data was fed after [`Decoder::finish`]-style completion, or the decoder failed before.
    #[error("the LI decoder already failed")]
    Poisoned,
}

/// Decoder options.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeOptions {
    /// Calibration coefficient per channel for the `C` operand; missing entries are 1.0.
    pub calibration: Vec<f64>,
    /// Largest block the incremental [`Decoder`] buffers (default 64 MiB). One-shot
    /// [`decode`] of a complete document never copies blocks and ignores it.
    pub max_block_len: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            calibration: Vec::new(),
            max_block_len: 64 << 20,
        }
    }
}

/// Decoded records of one channel.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelData {
    /// 0-based channel index in the document.
    pub channel: usize,
    /// Output values per record (1 for the Datalogger).
    pub fields_per_record: usize,
    /// Index (within the document) of the first record held here.
    pub first_record: u64,
    /// The document's start offset (s).
    pub start_offset: f64,
    /// The document's time step (s).
    pub time_step: f64,
    /// The values, record after record.
    pub values: Vec<f64>,
}

impl ChannelData {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.values
            .len()
            .checked_div(self.fields_per_record)
            .unwrap_or(0)
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of record `i` (`fields_per_record` of them).
    pub fn record(&self, i: usize) -> Option<&[f64]> {
        let n = self.fields_per_record;
        self.values.get(i * n..(i + 1) * n)
    }

    /// The time of record `i`: `start_offset + (first_record + i) * time_step`.
    pub fn time(&self, i: usize) -> f64 {
        self.start_offset + (self.first_record + i as u64) as f64 * self.time_step
    }

    /// `(time, values)` of every record.
    pub fn iter(&self) -> impl Iterator<Item = (f64, &[f64])> + '_ {
        let n = self.fields_per_record.max(1);
        self.values
            .chunks_exact(n)
            .enumerate()
            .map(|(i, r)| (self.time(i), r))
    }

    /// The first value of every record (the sample, for single-field records).
    pub fn samples(&self) -> impl Iterator<Item = f64> + '_ {
        self.values
            .iter()
            .step_by(self.fields_per_record.max(1))
            .copied()
    }
}

/// A decoded document.
#[derive(Clone, Debug, PartialEq)]
pub struct LiDocument {
    /// The header.
    pub header: Header,
    /// One entry per channel of the header, in channel order.
    pub channels: Vec<ChannelData>,
}

#[cfg(test)]
mod tests;
