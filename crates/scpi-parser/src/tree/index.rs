//! The mnemonic index: 128-bit keys of mnemonics (short and long form),
//! the open-addressing slots they hash to, and the parsing of pattern
//! elements (`OUTPut#{1..4}`).

use super::NodeId;
use crate::lexer::MAX_MNEMONIC_LEN;
use crate::mnemonic::short_len;
use crate::sink::copy_small;

/// Slots of the mnemonic index (a power of two).
pub(super) const HASH_SLOTS: usize = 1024;
/// The most nodes a tree may hold (keeps the index at most 75% full).
pub const MAX_NODES: usize = 384;

/// The first index slot for `(parent, k)`.
#[inline]
pub(super) fn slot(parent: NodeId, k: u128) -> usize {
    let h = (k as u64) ^ ((k >> 64) as u64).rotate_left(17) ^ (u64::from(parent) << 40);
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HASH_SLOTS.trailing_zeros())) as usize
}

/// A key that no input mnemonic has.
pub(super) const NO_KEY: u128 = u128::MAX;

/// The upper-cased bytes and the length of a mnemonic packed into one
/// integer, so that the short/long-form rule is two integer comparisons per
/// node. Mnemonics longer than 15 bytes (never valid input) get [`NO_KEY`].
///
/// Bytes 0–7 go to the low word, bytes 8–14 and the length to the high word
/// (little-endian), read with a few possibly overlapping fixed-size loads
/// instead of a byte loop. Upper-casing clears bit `0x20` of every byte that
/// has bit `0x40` set: exactly `to_ascii_uppercase` for the letters, digits
/// and `_` a mnemonic is made of (the lexer and [`Tree::add`] admit nothing
/// else).
#[inline]
pub(super) fn key(m: &[u8]) -> u128 {
    let len = m.len();
    if len == 0 || len > 15 {
        return NO_KEY;
    }
    let (lo, hi) = if len >= 8 {
        let tail = load_u64(&m[len - 8..]);
        (
            load_u64(m),
            tail.checked_shr(8 * (16 - len) as u32).unwrap_or(0),
        )
    } else if len >= 4 {
        let head = u64::from(load_u32(m));
        let tail = u64::from(load_u32(&m[len - 4..]));
        (head | (tail << (8 * (len - 4))), 0)
    } else {
        let w = u64::from(m[0])
            | (u64::from(m[len / 2]) << (8 * (len / 2)))
            | (u64::from(m[len - 1]) << (8 * (len - 1)));
        (w, 0)
    };
    pack_key(lo, hi, len)
}

/// The [`key`] of the bytes `lo` (0–7) and `hi` (8–14, zero-padded) of a
/// mnemonic of `len` bytes.
#[inline]
fn pack_key(lo: u64, hi: u64, len: usize) -> u128 {
    let upper = |x: u64| x & !((x & 0x4040_4040_4040_4040) >> 1);
    (u128::from(upper(hi) | ((len as u64) << 56)) << 64) | u128::from(upper(lo))
}

/// Eight bytes of `s` from `pos` as a little-endian word, zero-padded past
/// the end (a zero byte ends any mnemonic).
#[inline]
fn load_padded(s: &[u8], pos: usize) -> u64 {
    match s.get(pos..pos + 8) {
        Some(b) => load_u64(b),
        None => {
            let rest = s.get(pos..).unwrap_or(&[]);
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rest.len()) {
                copy_small(dst, rest);
            }
            u64::from_le_bytes(w)
        }
    }
}

/// The high bit of every byte of `w` that is not a letter or `_` (eight
/// bytes classified at once, no table).
#[inline]
pub(super) fn not_alpha(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Low seven bits of each byte, case folded (`A` → `a`): letters are
    // then exactly 0x61..=0x7A. No sum below leaves its byte.
    let x = w & !HIGH;
    let t = x | (0x20 * ONES);
    let letter = t.wrapping_add((0x80 - 0x61) * ONES) & !t.wrapping_add((0x80 - 0x7B) * ONES);
    // `_`: the bytes where `x ^ 0x5F` is zero.
    let v = x ^ (0x5F * ONES);
    let underscore = !(v.wrapping_add(0x7F * ONES) | v);
    let alpha = (letter | underscore) & !w & HIGH;
    !alpha & HIGH
}

/// The [`key`] and length of the run of letters and `_` at `s[pos]`, from
/// at most two word loads; `None` when it is longer than a mnemonic may be.
#[inline]
pub(super) fn mnemonic_key(s: &[u8], pos: usize) -> Option<(u128, usize)> {
    let lo = load_padded(s, pos);
    let stop = not_alpha(lo);
    if stop != 0 {
        let len = (stop.trailing_zeros() / 8) as usize;
        let lo = lo & (1u64 << (8 * len)).wrapping_sub(1);
        return Some((pack_key(lo, 0, len), len));
    }
    let hi = load_padded(s, pos + 8);
    let stop = not_alpha(hi);
    let len = 8 + (stop.trailing_zeros() / 8) as usize;
    if len > MAX_MNEMONIC_LEN {
        return None;
    }
    let hi = hi & (1u64 << (8 * (len - 8))).wrapping_sub(1);
    Some((pack_key(lo, hi, len), len))
}

/// The first 8 bytes of `b` (at least 8) as a little-endian word.
#[inline]
pub(super) fn load_u64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

/// The first 4 bytes of `b` (at least 4) as a little-endian word.
#[inline]
pub(super) fn load_u32(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[..4]);
    u32::from_le_bytes(w)
}

pub(super) fn parse_u32(d: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in d {
        v = v
            .checked_mul(10)?
            .checked_add(u32::from(c.wrapping_sub(b'0')))?;
    }
    Some(v)
}

/// Splits a pattern element into its word and suffix range.
pub(super) fn parse_elem(elem: &'static str) -> Option<(&'static str, Option<(u32, u32)>)> {
    let end = elem
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(elem.len());
    let word = &elem[..end];
    let first = word.bytes().next()?;
    if !first.is_ascii_alphabetic()
        || short_len(word.as_bytes()) > MAX_MNEMONIC_LEN
        || word.len() > 24
    {
        return None;
    }
    let rest = &elem[end..];
    if rest.is_empty() {
        return Some((word, None));
    }
    if word.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let range = rest.strip_prefix('#')?;
    if range.is_empty() {
        return Some((word, Some((0, u32::MAX))));
    }
    let inner = range.strip_prefix('{')?.strip_suffix('}')?;
    let (lo, hi) = inner.split_once("..")?;
    let lo = parse_u32(lo.trim().as_bytes()).filter(|_| !lo.trim().is_empty())?;
    let hi = parse_u32(hi.trim().as_bytes()).filter(|_| !hi.trim().is_empty())?;
    (lo <= hi).then_some((word, Some((lo, hi))))
}
