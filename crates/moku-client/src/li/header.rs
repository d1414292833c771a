//! The LI v3 header (docs/moku-protocol.md §9.6).

use super::LiError;
use super::format::{Processing, RecordFormat};

/// Size of the fixed part of a v3 header: magic, version, length and the 34 bytes of numbers.
pub const FIXED_LEN: usize = 39;

/// A decoded LI v3 header.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// The file version (always 3 for a decoded header).
    pub version: u8,
    /// The declared header length field.
    pub header_len: u16,
    /// Instrument id (7 for the Datalogger).
    pub instrument_id: u8,
    /// Instrument version.
    pub instrument_version: u64,
    /// Number of channels.
    pub n_channels: u8,
    /// Start time, Unix seconds.
    pub start_time: u64,
    /// Offset of the first sample from the start time, in s.
    pub start_offset: f64,
    /// Time between records, in s.
    pub time_step: f64,
    /// The record format string.
    pub record_format: String,
    /// One processing string per channel.
    pub processing: Vec<String>,
    /// The CSV line format string.
    pub csv_format: String,
    /// The CSV header string.
    pub csv_header: String,
    /// The parsed record format.
    pub format: RecordFormat,
    /// The parsed processing strings.
    pub chains: Vec<Processing>,
    /// Offset of the first data block from the start of the document.
    pub data_offset: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Checks the magic and version; `Ok(None)` when fewer than 3 bytes are available.
pub fn check_version(b: &[u8]) -> Result<Option<u8>, LiError> {
    let n = b.len().min(2);
    if b[..n] != b"LI"[..n] {
        return Err(LiError::BadMagic);
    }
    let Some(&v) = b.get(2) else { return Ok(None) };
    match v {
        b'3' => Ok(Some(3)),
        b'0'..=b'9' => Err(LiError::UnsupportedVersion(v - b'0')),
        other => Err(LiError::UnknownVersion(other)),
    }
}

/// Parses the header from the start of `b`. `Ok(None)` means "need more bytes".
pub fn parse(b: &[u8]) -> Result<Option<Header>, LiError> {
    if check_version(b)?.is_none() || b.len() < FIXED_LEN {
        return Ok(None);
    }
    let header_len = u16_at(b, 3);
    let instrument_id = b[5];
    let instrument_version = u64_at(b, 6);
    let n_channels = b[14];
    let start_time = u64_at(b, 15);
    let start_offset = f64::from_bits(u64_at(b, 23));
    let time_step = f64::from_bits(u64_at(b, 31));
    let mut pos = FIXED_LEN;
    let mut strings = Vec::with_capacity(usize::from(n_channels) + 3);
    for i in 0..usize::from(n_channels) + 3 {
        if b.len() < pos + 2 {
            return Ok(None);
        }
        let len = usize::from(u16_at(b, pos));
        pos += 2;
        if b.len() < pos + len {
            return Ok(None);
        }
        let s = core::str::from_utf8(&b[pos..pos + len])
            .map_err(|_| LiError::BadString { index: i })?;
        strings.push(s.to_owned());
        pos += len;
    }
    let data_offset = pos.next_multiple_of(8);
    let declared = usize::from(header_len);
    // The reference readers disagree on what the length counts; accept the plausible ones.
    if ![pos, data_offset, pos - 5, data_offset - 5].contains(&declared) {
        return Err(LiError::HeaderLength {
            declared: header_len,
            actual: data_offset,
        });
    }
    let mut it = strings.into_iter();
    let record_format = it.next().unwrap_or_default();
    let processing: Vec<String> = it.by_ref().take(usize::from(n_channels)).collect();
    let csv_format = it.next().unwrap_or_default();
    let csv_header = it.next().unwrap_or_default();
    let format = RecordFormat::parse(&record_format)?;
    let chains = processing
        .iter()
        .map(|p| Processing::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Header {
        version: 3,
        header_len,
        instrument_id,
        instrument_version,
        n_channels,
        start_time,
        start_offset,
        time_step,
        record_format,
        processing,
        csv_format,
        csv_header,
        format,
        chains,
        data_offset,
    }))
}
