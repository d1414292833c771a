//! Turning a channel's bytes into processed values: a fast path for whole-byte single-field
//! records and a general LSB-first bit reader for everything else.

use super::format::{FieldKind, RecordFormat, ResolvedOp, apply, resolve};
use super::header::Header;

/// The whole-byte field types of the fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fast {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
}

impl Fast {
    fn of(format: &RecordFormat) -> Option<Self> {
        let [f] = format.fields.as_slice() else {
            return None;
        };
        if f.literal.is_some() {
            return None;
        }
        Some(match (f.kind, f.bits) {
            (FieldKind::Signed, 8) => Self::I8,
            (FieldKind::Signed, 16) => Self::I16,
            (FieldKind::Signed, 32) => Self::I32,
            (FieldKind::Signed, 64) => Self::I64,
            (FieldKind::Unsigned, 8) => Self::U8,
            (FieldKind::Unsigned, 16) => Self::U16,
            (FieldKind::Unsigned, 32) => Self::U32,
            (FieldKind::Unsigned, 64) => Self::U64,
            (FieldKind::Float, 32) => Self::F32,
            (FieldKind::Float, 64) => Self::F64,
            _ => return None,
        })
    }

    fn width(self) -> usize {
        match self {
            Self::I8 | Self::U8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::I64 | Self::U64 | Self::F64 => 8,
        }
    }
}

/// The processing of the fast path, specialised for the common chains.
#[derive(Clone, Debug, PartialEq)]
enum Chain {
    Identity,
    Mul(f64),
    Div(f64),
    MulAdd(f64, f64),
    General(Vec<ResolvedOp>),
}

impl Chain {
    fn of(ops: Vec<ResolvedOp>) -> Self {
        match ops.as_slice() {
            [] => Self::Identity,
            [ResolvedOp::Mul(k)] => Self::Mul(*k),
            // Dividing by a power of two equals multiplying by its exact reciprocal.
            [ResolvedOp::Div(k)] if is_power_of_two(*k) => Self::Mul(1.0 / *k),
            [ResolvedOp::Div(k)] => Self::Div(*k),
            [ResolvedOp::Mul(a), ResolvedOp::Add(b)] => Self::MulAdd(*a, *b),
            _ => Self::General(ops),
        }
    }
}

/// True for ±2^n with a normal reciprocal (so `x / k == x * (1 / k)` for every `x`).
fn is_power_of_two(k: f64) -> bool {
    let bits = k.to_bits();
    let exp = (bits >> 52) & 0x7ff;
    k.is_normal() && bits & ((1u64 << 52) - 1) == 0 && (1..2046).contains(&exp)
}

/// Per-channel decoding state.
#[derive(Debug)]
pub(crate) struct ChannelDecoder {
    fast: Option<(Fast, Chain)>,
    format: RecordFormat,
    /// Resolved chain per output field (missing chains: identity).
    chains: Vec<Vec<ResolvedOp>>,
    /// Bytes not yet fully consumed (a partial record).
    carry: Vec<u8>,
    /// Bit position inside `carry` (general path).
    bit: usize,
    /// Records produced so far.
    pub(crate) records: u64,
}

macro_rules! fast_loop {
    ($bytes:expr, $out:expr, $n:literal, $conv:expr, $f:expr) => {{
        let (chunks, _) = $bytes.as_chunks::<$n>();
        let conv = $conv;
        let f = $f;
        $out.extend(chunks.iter().map(|c| f(conv(*c))));
    }};
}

fn run_fast<F: Fn(f64) -> f64>(kind: Fast, bytes: &[u8], out: &mut Vec<f64>, f: F) {
    match kind {
        Fast::I8 => fast_loop!(
            bytes,
            out,
            1,
            |c: [u8; 1]| f64::from(i8::from_le_bytes(c)),
            &f
        ),
        Fast::U8 => fast_loop!(bytes, out, 1, |c: [u8; 1]| f64::from(c[0]), &f),
        Fast::I16 => fast_loop!(bytes, out, 2, |c| f64::from(i16::from_le_bytes(c)), &f),
        Fast::U16 => fast_loop!(bytes, out, 2, |c| f64::from(u16::from_le_bytes(c)), &f),
        Fast::I32 => fast_loop!(bytes, out, 4, |c| f64::from(i32::from_le_bytes(c)), &f),
        Fast::U32 => fast_loop!(bytes, out, 4, |c| f64::from(u32::from_le_bytes(c)), &f),
        Fast::F32 => fast_loop!(bytes, out, 4, |c| f64::from(f32::from_le_bytes(c)), &f),
        Fast::I64 => fast_loop!(bytes, out, 8, |c| i64::from_le_bytes(c) as f64, &f),
        Fast::U64 => fast_loop!(bytes, out, 8, |c| u64::from_le_bytes(c) as f64, &f),
        Fast::F64 => fast_loop!(bytes, out, 8, f64::from_le_bytes, &f),
    }
}

/// Reads `bits` (1..=64) bits LSB-first starting at bit `pos`; the caller checks the bounds.
fn read_bits(buf: &[u8], pos: usize, bits: u32) -> u64 {
    let first = pos / 8;
    let shift = pos % 8;
    let acc: u128 = match buf.get(first..first + 16) {
        Some(s) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(s);
            u128::from_le_bytes(a)
        }
        None => {
            let need = (shift + bits as usize).div_ceil(8);
            let mut acc = 0u128;
            for (i, b) in buf[first..first + need].iter().enumerate() {
                acc |= u128::from(*b) << (8 * i);
            }
            acc
        }
    };
    let v = acc >> shift;
    let mask = if bits == 64 {
        u128::from(u64::MAX)
    } else {
        (1u128 << bits) - 1
    };
    // Masked to at most 64 bits: the cast is lossless.
    (v & mask) as u64
}

fn field_value(kind: FieldKind, bits: u32, raw: u64) -> f64 {
    match kind {
        FieldKind::Unsigned | FieldKind::Padding => raw as f64,
        FieldKind::Signed => {
            let shift = 64 - bits;
            // Sign-extend: reinterpret the shifted bits, then arithmetic shift back.
            ((raw << shift) as i64 >> shift) as f64
        }
        FieldKind::Float if bits == 32 => f64::from(f32::from_bits(raw as u32)),
        FieldKind::Float => f64::from_bits(raw),
        FieldKind::Bool => {
            if raw != 0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

fn literal_matches(kind: FieldKind, bits: u32, raw: u64, lit: u64) -> bool {
    match kind {
        FieldKind::Signed => {
            let shift = 64 - bits;
            let v = (raw << shift) as i64 >> shift;
            i128::from(v) == i128::from(lit)
        }
        FieldKind::Float => field_value(kind, bits, raw) == lit as f64,
        FieldKind::Bool => u64::from(raw != 0) == lit,
        FieldKind::Unsigned | FieldKind::Padding => raw == lit,
    }
}

impl ChannelDecoder {
    pub(crate) fn new(header: &Header, channel: usize, calibration: f64) -> Self {
        let format = header.format.clone();
        let chains: Vec<Vec<ResolvedOp>> = header
            .chains
            .get(channel)
            .map(|p| p.chains.iter().map(|c| resolve(c, calibration)).collect())
            .unwrap_or_default();
        let fast =
            Fast::of(&format).map(|k| (k, Chain::of(chains.first().cloned().unwrap_or_default())));
        Self {
            fast,
            format,
            chains,
            carry: Vec::new(),
            bit: 0,
            records: 0,
        }
    }

    /// Decodes `block` (the next bytes of this channel's stream), appending values to `out`.
    pub(crate) fn push(&mut self, mut block: &[u8], out: &mut Vec<f64>) {
        if let Some((kind, _)) = &self.fast {
            let w = kind.width();
            if !self.carry.is_empty() {
                let take = (w - self.carry.len()).min(block.len());
                self.carry.extend_from_slice(&block[..take]);
                block = &block[take..];
                if self.carry.len() < w {
                    return;
                }
                let rec = core::mem::take(&mut self.carry);
                self.fast_decode(&rec, out);
            }
            let whole = block.len() / w * w;
            self.fast_decode(&block[..whole], out);
            self.carry.extend_from_slice(&block[whole..]);
        } else {
            self.push_general(block, out);
        }
    }

    /// The general path without copying whole blocks: only a partial record carried over from
    /// the previous block is joined with the start of this one.
    fn push_general(&mut self, block: &[u8], out: &mut Vec<f64>) {
        let mut start_bit = 0;
        if !self.carry.is_empty() {
            let carry_bits = self.carry.len() * 8;
            // Enough bytes to finish any record attempt that starts inside the carry.
            let prefix = (self.format.bits.div_ceil(8) + 2).min(block.len());
            self.carry.extend_from_slice(&block[..prefix]);
            let end = Self::decode_bits(
                &self.format,
                &self.chains,
                &self.carry,
                self.bit,
                out,
                &mut self.records,
            );
            if end < carry_bits || prefix == block.len() {
                self.carry.drain(..end / 8);
                self.bit = end % 8;
                if prefix == block.len() {
                    return;
                }
                // Unreachable in practice (the prefix always suffices); keep the data anyway.
                self.carry.truncate(self.carry.len() - prefix);
                self.carry.extend_from_slice(block);
                let end = Self::decode_bits(
                    &self.format,
                    &self.chains,
                    &self.carry,
                    self.bit,
                    out,
                    &mut self.records,
                );
                self.carry.drain(..end / 8);
                self.bit = end % 8;
                return;
            }
            start_bit = end - carry_bits;
            self.carry.clear();
        }
        // At most this many values can come out of the block (bounded by its size).
        let records = (block.len() * 8).saturating_sub(start_bit) / self.format.bits.max(1);
        out.reserve(records * self.format.outputs);
        let end = Self::decode_bits(
            &self.format,
            &self.chains,
            block,
            start_bit,
            out,
            &mut self.records,
        );
        self.carry.extend_from_slice(&block[end / 8..]);
        self.bit = end % 8;
    }

    fn fast_decode(&mut self, bytes: &[u8], out: &mut Vec<f64>) {
        let Some((kind, chain)) = &self.fast else {
            return;
        };
        let before = out.len();
        out.reserve(bytes.len() / kind.width());
        // Constants are copied into locals so the compiler knows the output writes cannot
        // change them (keeps the loops vectorisable).
        match *chain {
            Chain::Identity => run_fast(*kind, bytes, out, |x| x),
            Chain::Mul(k) => run_fast(*kind, bytes, out, move |x| x * k),
            Chain::Div(k) => run_fast(*kind, bytes, out, move |x| x / k),
            Chain::MulAdd(a, b) => run_fast(*kind, bytes, out, move |x| x * a + b),
            Chain::General(ref ops) => {
                let ops: Vec<ResolvedOp> = ops.clone();
                run_fast(*kind, bytes, out, |x| apply(&ops, x));
            }
        }
        self.records += (out.len() - before) as u64;
    }

    /// Decodes whole records from `buf` starting at bit `start`; returns the bit where it
    /// stopped (the start of the first incomplete record attempt).
    fn decode_bits(
        format: &RecordFormat,
        chains: &[Vec<ResolvedOp>],
        buf: &[u8],
        start: usize,
        out: &mut Vec<f64>,
        records: &mut u64,
    ) -> usize {
        let total = buf.len() * 8;
        let mut pos = start;
        'records: loop {
            let mut p = pos;
            let before = out.len();
            for f in &format.fields {
                if p + f.bits as usize > total {
                    out.truncate(before);
                    break 'records;
                }
                let raw = read_bits(buf, p, f.bits);
                if let Some(lit) = f.literal
                    && !literal_matches(f.kind, f.bits, raw, lit)
                {
                    // Drop the partial record; move on by one byte from the failing field.
                    out.truncate(before);
                    pos = p + 8;
                    continue 'records;
                }
                p += f.bits as usize;
                if f.kind != FieldKind::Padding {
                    let i = out.len() - before;
                    let v = field_value(f.kind, f.bits, raw);
                    out.push(match chains.get(i) {
                        Some(ops) => apply(ops, v),
                        None => v,
                    });
                }
            }
            *records += 1;
            pos = p;
        }
        pos.min(total)
    }
}
