//! One-shot and incremental decoding of LI documents.

use super::header::{self, Header};
use super::records::ChannelDecoder;
use super::{ChannelData, DecodeOptions, LiDocument, LiError};

/// Size of a block header: u32 channel, u32 length, u64 offset.
const BLOCK_HEADER: usize = 16;

/// Decodes a complete LI document (a `.li` file or one `get_chunk` body) with default options.
pub fn decode(bytes: &[u8]) -> Result<LiDocument, LiError> {
    decode_with(bytes, &DecodeOptions::default())
}

/// Decodes a complete LI document with explicit options (calibration coefficients).
pub fn decode_with(bytes: &[u8], options: &DecodeOptions) -> Result<LiDocument, LiError> {
    decode_recycling(bytes, options, Vec::new())
}

/// Like [`decode_with`], writing the samples into the buffers of `recycle` (for example the
/// channels of the previous chunk's document), so that decoding a stream of similar chunks does
/// not allocate and fault in fresh memory for every chunk.
pub fn decode_recycling(
    bytes: &[u8],
    options: &DecodeOptions,
    recycle: Vec<ChannelData>,
) -> Result<LiDocument, LiError> {
    let mut d = Decoder::with_options(DecodeOptions {
        max_block_len: usize::MAX,
        ..options.clone()
    });
    d.spare = recycle.into_iter().map(|c| c.values).collect();
    d.feed(bytes)?;
    d.finish()
}

#[derive(Debug)]
enum Stage {
    Header,
    Blocks,
    Failed,
}

/// An incremental decoder: feed the bytes of one document in pieces of any size (for example
/// while downloading), take the values decoded so far, and [`finish`](Decoder::finish).
#[derive(Debug)]
pub struct Decoder {
    options: DecodeOptions,
    stage: Stage,
    /// Unconsumed input (only used when a structure straddles two `feed` calls).
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]` (or of the next byte) in the document.
    offset: usize,
    header: Option<Header>,
    channels: Vec<ChannelDecoder>,
    pending: Vec<ChannelData>,
    /// Buffers to reuse for new channel data.
    spare: Vec<Vec<f64>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with default options.
    pub fn new() -> Self {
        Self::with_options(DecodeOptions::default())
    }

    /// A decoder with explicit options.
    pub fn with_options(options: DecodeOptions) -> Self {
        Self {
            options,
            stage: Stage::Header,
            buf: Vec::new(),
            offset: 0,
            header: None,
            channels: Vec::new(),
            pending: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// The header, once decoded.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Feeds the next bytes of the document.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), LiError> {
        if matches!(self.stage, Stage::Failed) {
            return Err(LiError::Poisoned);
        }
        let result = if self.buf.is_empty() {
            self.step(bytes, false)
                .map(|used| self.buf.extend_from_slice(&bytes[used..]))
        } else {
            self.buf.extend_from_slice(bytes);
            let input = core::mem::take(&mut self.buf);
            let r = self.step(&input, false);
            if let Ok(used) = r {
                self.buf = input;
                self.buf.drain(..used);
            }
            r.map(drop)
        };
        if result.is_err() {
            self.stage = Stage::Failed;
            self.buf = Vec::new();
        }
        result
    }

    /// Takes the values decoded since the last call (one entry per channel that has new data).
    pub fn take(&mut self) -> Vec<ChannelData> {
        core::mem::take(&mut self.pending)
            .into_iter()
            .filter(|c| !c.values.is_empty())
            .collect()
    }

    /// Ends the document: errors if it stopped inside the header or a block, and returns every
    /// value not yet taken with the header.
    pub fn finish(mut self) -> Result<LiDocument, LiError> {
        if matches!(self.stage, Stage::Failed) {
            return Err(LiError::Poisoned);
        }
        let input = core::mem::take(&mut self.buf);
        let used = self.step(&input, true)?;
        if used < input.len() {
            return Err(match self.stage {
                Stage::Header => LiError::Truncated("header"),
                _ => LiError::Truncated("data block"),
            });
        }
        let Some(header) = self.header else {
            return Err(LiError::Truncated("header"));
        };
        let mut spare = self.spare;
        let mut channels = self.pending;
        channels.sort_by_key(|c| c.channel);
        let mut merged: Vec<ChannelData> = (0..usize::from(header.n_channels))
            .map(|ch| ChannelData {
                channel: ch,
                fields_per_record: header.format.outputs,
                first_record: 0,
                start_offset: header.start_offset,
                time_step: header.time_step,
                values: Vec::new(),
            })
            .collect();
        let mut fresh = || {
            let mut v = spare.pop().unwrap_or_default();
            v.clear();
            v
        };
        for c in channels {
            if let Some(m) = merged.get_mut(c.channel) {
                if m.values.is_empty() {
                    m.first_record = c.first_record;
                    m.values = c.values;
                    continue;
                }
                m.values.extend_from_slice(&c.values);
            }
        }
        for m in &mut merged {
            if m.values.capacity() == 0 {
                m.values = fresh();
            }
        }
        Ok(LiDocument {
            header,
            channels: merged,
        })
    }

    fn pending_for(&mut self, channel: usize) -> &mut ChannelData {
        let idx = match self.pending.iter().position(|c| c.channel == channel) {
            Some(i) => i,
            None => {
                let (fields, start, step) = self.header.as_ref().map_or((1, 0.0, 0.0), |h| {
                    (h.format.outputs, h.start_offset, h.time_step)
                });
                let first = self.channels.get(channel).map_or(0, |c| c.records);
                let mut values = self.spare.pop().unwrap_or_default();
                values.clear();
                self.pending.push(ChannelData {
                    channel,
                    fields_per_record: fields,
                    first_record: first,
                    start_offset: start,
                    time_step: step,
                    values,
                });
                self.pending.len() - 1
            }
        };
        &mut self.pending[idx]
    }

    /// Parses as much of `input` (which starts at `self.offset`) as possible; returns the bytes
    /// consumed. With `last`, a final block without its trailing padding is accepted.
    fn step(&mut self, input: &[u8], last: bool) -> Result<usize, LiError> {
        let mut pos = 0;
        if matches!(self.stage, Stage::Header) {
            if self.offset != 0 {
                return Err(LiError::Truncated("header"));
            }
            let Some(h) = header::parse(input)? else {
                if last {
                    return Err(LiError::Truncated("header"));
                }
                return Ok(0);
            };
            if input.len() < h.data_offset && !last {
                return Ok(0);
            }
            pos = h.data_offset.min(input.len());
            self.channels = (0..usize::from(h.n_channels))
                .map(|ch| {
                    ChannelDecoder::new(
                        &h,
                        ch,
                        self.options.calibration.get(ch).copied().unwrap_or(1.0),
                    )
                })
                .collect();
            self.header = Some(h);
            self.stage = Stage::Blocks;
        }
        let n_channels = self.header.as_ref().map_or(0, |h| h.n_channels);
        loop {
            let rest = &input[pos..];
            if rest.len() < BLOCK_HEADER {
                break;
            }
            let channel = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let length = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
            if channel >= u32::from(n_channels) {
                return Err(LiError::BadChannel {
                    channel,
                    n_channels,
                });
            }
            let len = length as usize;
            if len > self.options.max_block_len {
                return Err(LiError::BlockTooLarge {
                    length: u64::from(length),
                    max: self.options.max_block_len,
                });
            }
            let abs_end = self.offset + pos + BLOCK_HEADER + len;
            let padded = BLOCK_HEADER + len + (abs_end.next_multiple_of(8) - abs_end);
            let take = if rest.len() >= padded {
                padded
            } else if last && rest.len() >= BLOCK_HEADER + len {
                rest.len()
            } else {
                break;
            };
            let data = &rest[BLOCK_HEADER..BLOCK_HEADER + len];
            let ch = channel as usize;
            let mut values = core::mem::take(&mut self.pending_for(ch).values);
            if let Some(dec) = self.channels.get_mut(ch) {
                dec.push(data, &mut values);
            }
            self.pending_for(ch).values = values;
            pos += take;
        }
        self.offset += pos;
        Ok(pos)
    }
}

/// Decodes a sequence of `get_chunk` bodies, each a complete LI document, and checks that they
/// belong together (same channel count and record format).
#[derive(Debug, Default)]
pub struct ChunkSequence {
    options: DecodeOptions,
    first: Option<(u8, String)>,
    chunks: u64,
    records: Vec<u64>,
}

impl ChunkSequence {
    /// A sequence with default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// A sequence with explicit options (calibration).
    pub fn with_options(options: DecodeOptions) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    /// Decodes one chunk. An empty chunk (no data yet) yields no channels.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<ChannelData>, LiError> {
        if chunk.is_empty() {
            return Ok(Vec::new());
        }
        let doc = decode_with(chunk, &self.options)?;
        let key = (doc.header.n_channels, doc.header.record_format.clone());
        match &self.first {
            None => self.first = Some(key),
            Some(k) if *k != key => {
                return Err(LiError::RecordFormat {
                    format: doc.header.record_format.clone(),
                    reason: format!("chunk {} changes the layout of the stream", self.chunks),
                });
            }
            Some(_) => {}
        }
        self.chunks += 1;
        self.records.resize(usize::from(doc.header.n_channels), 0);
        for c in &doc.channels {
            if let Some(r) = self.records.get_mut(c.channel) {
                *r += c.len() as u64;
            }
        }
        Ok(doc.channels)
    }

    /// Chunks decoded so far.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// Records decoded so far, per channel.
    pub fn records(&self) -> &[u64] {
        &self.records
    }
}
