//! The LI v3 binary encoder used for `get_chunk` bodies and `.li` files.
//!
//! The layout is the v3 one that `pymoku` 4.8.1's `dataparser.py` reads (docs/moku-protocol.md §9.6). Whether
//! MokuOS 4.4 really streams this version is **not known** (docs/moku-protocol.md §14): the emulator uses it because it
//! is the newest layout with a public reader. All integers are little endian.
//!
//! ```text
//! offset  size  field
//! 0       3     "LI3"
//! 3       2     u16 header length: the bytes from offset 5 up to the end of the CSV header string
//!               (the zero padding that follows is not counted)
//! 5       1     u8  instrument_id (7 = Datalogger)
//! 6       8     u64 instrument_version
//! 14      1     u8  n_channels
//! 15      8     u64 start_time (Unix seconds)
//! 23      8     f64 start_offset (seconds; sample 0 is at start_time + start_offset)
//! 31      8     f64 time_step (seconds, 1 / sample rate)
//! 39      ...   u16-length-prefixed ASCII strings: the record format, one processing string
//!               per channel, the CSV line format, the CSV header
//!         ...   zero bytes up to a multiple of 8 from the start of the document
//!         ...   data blocks: u32 channel (0-based index into this document's channels), u32 length
//!               (bytes of records), u64 offset (pymoku's reader ignores it; written as 0),
//!               `length` bytes of records, zero padding to 8
//! ```
//!
//! The emulator always writes the record format [`RECORD_FORMAT`] (`s32`: one little-endian
//! two's-complement `i32` per record) and the processing string [`PROCESSING`] (`/65536`) for
//! every channel, so a record's value in volts is `raw / 65536`, and sample `i` of a channel lies
//! at `start_offset + i * time_step`. [`quantize`] gives the exact value a sample survives
//! encoding as. One data block per channel is written, in channel order, unless a channel has no
//! samples.

/// The record format string written in every document: one signed 32-bit field.
pub const RECORD_FORMAT: &str = "s32";
/// The processing string written for every channel: raw / 65536 gives volts.
pub const PROCESSING: &str = "/65536";
/// The scale between volts and raw record values.
pub const SCALE: f64 = 65536.0;
/// The magic and version at the start of every document.
pub const MAGIC: &[u8; 3] = b"LI3";
/// The Datalogger's instrument id.
pub const DATALOGGER_ID: u8 = 7;

/// One LI v3 document: a header and per-channel samples in volts.
#[derive(Clone, Debug, PartialEq)]
pub struct LiDocument {
    /// The instrument id (7 for the Datalogger).
    pub instrument_id: u8,
    /// The instrument version.
    pub instrument_version: u64,
    /// Unix seconds of the acquisition start.
    pub start_time: u64,
    /// Seconds from `start_time` to this document's first sample.
    pub start_offset: f64,
    /// Seconds between samples (1 / sample rate).
    pub time_step: f64,
    /// Channel names used in the CSV header (e.g. `"Input 1"`); missing names are made up.
    pub channel_names: Vec<String>,
    /// Samples in volts, one vector per channel.
    pub channels: Vec<Vec<f64>>,
}

/// Why a document cannot be encoded.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum EncodeError {
    /// More than 255 channels.
    TooManyChannels(usize),
    /// A header string longer than 65535 bytes, or a header longer than 65535 bytes.
    HeaderTooLong,
    /// A channel with more samples than one data block can hold.
    ChannelTooLong(usize),
}

impl LiDocument {
    /// A Datalogger document (instrument id 7, version 1) with names `Input 1`, `Input 2`, ...
    pub fn new(
        start_time: u64,
        start_offset: f64,
        time_step: f64,
        channels: Vec<Vec<f64>>,
    ) -> Self {
        let channel_names = (1..=channels.len()).map(|i| format!("Input {i}")).collect();
        LiDocument {
            instrument_id: DATALOGGER_ID,
            instrument_version: 1,
            start_time,
            start_offset,
            time_step,
            channel_names,
            channels,
        }
    }

    fn name(&self, i: usize) -> String {
        self.channel_names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("Channel {}", i + 1))
    }

    /// The CSV line format string (Python `str.format` syntax, as pymoku's parser uses).
    pub fn csv_format(&self) -> String {
        let mut s = String::from("{t:.10e}");
        for i in 1..=self.channels.len() {
            s.push_str(&format!(", {{ch{i}:.10e}}"));
        }
        s.push_str("\r\n");
        s
    }

    /// The CSV header block: comment lines, then the column names.
    pub fn csv_header(&self) -> String {
        let mut s = String::from("% Moku Data Logger (moku-emulator)\r\n");
        s.push_str(&format!(
            "% Acquisition rate: {} Hz\r\nTime (s)",
            sci(if self.time_step > 0.0 {
                1.0 / self.time_step
            } else {
                0.0
            })
        ));
        for i in 0..self.channels.len() {
            s.push_str(&format!(", {} (V)", self.name(i)));
        }
        s.push_str("\r\n");
        s
    }
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::TooManyChannels(n) => write!(f, "{n} channels (at most 255)"),
            EncodeError::HeaderTooLong => f.write_str("LI header longer than 65535 bytes"),
            EncodeError::ChannelTooLong(i) => write!(f, "channel {i} too long for one data block"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// `v` in Python's `{:.10e}` style (`1.0000000000e+03`), as the device's text uses.
pub(crate) fn sci(v: f64) -> String {
    let s = format!("{v:.10e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
        }
        None => s,
    }
}

/// The value in volts that `volts` becomes after encoding: rounded to 1/65536 V and saturated to
/// the `i32` range. NaN becomes 0.
pub fn quantize(volts: f64) -> f64 {
    raw(volts) as f64 / SCALE
}

fn raw(volts: f64) -> i32 {
    // `as` saturates and maps NaN to 0: exactly the documented behaviour.
    (volts * SCALE).round() as i32
}

fn push_str(out: &mut Vec<u8>, s: &str) -> Result<(), EncodeError> {
    let len = u16::try_from(s.len()).map_err(|_| EncodeError::HeaderTooLong)?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// Encodes `doc` as a complete LI v3 document.
pub fn encode(doc: &LiDocument) -> Result<Vec<u8>, EncodeError> {
    let n = u8::try_from(doc.channels.len())
        .map_err(|_| EncodeError::TooManyChannels(doc.channels.len()))?;
    let samples: usize = doc.channels.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(256 + samples * 4 + doc.channels.len() * 24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[0, 0]);
    out.push(doc.instrument_id);
    out.extend_from_slice(&doc.instrument_version.to_le_bytes());
    out.push(n);
    out.extend_from_slice(&doc.start_time.to_le_bytes());
    out.extend_from_slice(&doc.start_offset.to_le_bytes());
    out.extend_from_slice(&doc.time_step.to_le_bytes());
    push_str(&mut out, RECORD_FORMAT)?;
    for _ in 0..n {
        push_str(&mut out, PROCESSING)?;
    }
    push_str(&mut out, &doc.csv_format())?;
    push_str(&mut out, &doc.csv_header())?;
    let header_len = u16::try_from(out.len() - 5).map_err(|_| EncodeError::HeaderTooLong)?;
    out[3..5].copy_from_slice(&header_len.to_le_bytes());
    pad8(&mut out);
    for (ch, values) in doc.channels.iter().enumerate() {
        if values.is_empty() {
            continue;
        }
        let len = values
            .len()
            .checked_mul(4)
            .and_then(|b| u32::try_from(b).ok())
            .ok_or(EncodeError::ChannelTooLong(ch))?;
        // `ch` < 256 because `n` fitted in a u8.
        out.extend_from_slice(&(ch as u32).to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        for v in values {
            out.extend_from_slice(&raw(*v).to_le_bytes());
        }
        pad8(&mut out);
    }
    Ok(out)
}

/// Byte offset of the first data block of an encoded document, if it is long enough to hold one.
pub(crate) fn first_block_offset(bytes: &[u8]) -> Option<usize> {
    let len = u16::from_le_bytes([*bytes.get(3)?, *bytes.get(4)?]) as usize;
    let start = (5 + len).div_ceil(8) * 8;
    (bytes.len() >= start + 16).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_as_documented() {
        let doc = LiDocument::new(1_700_000_000, 0.5, 1e-3, vec![vec![1.0, -2.5], vec![0.25]]);
        let b = encode(&doc).unwrap();
        assert_eq!(&b[..3], b"LI3");
        assert_eq!(b[5], 7);
        assert_eq!(b[14], 2);
        assert_eq!(
            u64::from_le_bytes(b[15..23].try_into().unwrap()),
            1_700_000_000
        );
        assert_eq!(f64::from_le_bytes(b[23..31].try_into().unwrap()), 0.5);
        assert_eq!(f64::from_le_bytes(b[31..39].try_into().unwrap()), 1e-3);
        assert_eq!(u16::from_le_bytes([b[39], b[40]]), 3);
        assert_eq!(&b[41..44], b"s32");
        assert_eq!(b.len() % 8, 0);
        let start = first_block_offset(&b).unwrap();
        assert_eq!(start % 8, 0);
        assert_eq!(
            u32::from_le_bytes(b[start..start + 4].try_into().unwrap()),
            0
        );
        assert_eq!(
            u32::from_le_bytes(b[start + 4..start + 8].try_into().unwrap()),
            8
        );
        let first = i32::from_le_bytes(b[start + 16..start + 20].try_into().unwrap());
        assert_eq!(first, 65536);
    }

    #[test]
    fn scientific_notation_like_python() {
        assert_eq!(sci(1000.0), "1.0000000000e+03");
        assert_eq!(sci(1.5e-7), "1.5000000000e-07");
        assert_eq!(sci(0.0), "0.0000000000e+00");
    }

    #[test]
    fn quantize_saturates() {
        assert_eq!(quantize(1.0), 1.0);
        assert_eq!(quantize(f64::NAN), 0.0);
        assert_eq!(quantize(1e12), i32::MAX as f64 / SCALE);
    }

    #[test]
    fn too_many_channels_is_an_error() {
        let doc = LiDocument::new(0, 0.0, 1.0, vec![Vec::new(); 256]);
        assert_eq!(encode(&doc), Err(EncodeError::TooManyChannels(256)));
    }
}
