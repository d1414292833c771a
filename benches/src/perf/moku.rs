//! Headline figures for the Moku client: LI v3 decode throughput.
//!
//! * `moku.li_decode.s32_recycled` — a 2-channel Datalogger document (`s32`, `/65536`, as the
//!   emulator writes it) decoded to volts into the previous document's buffers (the steady state
//!   of a chunk stream), in input bytes per second, against a bare `i32 → f64` conversion pass
//!   over the same bytes into a reused `Vec`.
//! * `moku.li_decode.s32_fresh` — the same with fresh output buffers every time (page faults
//!   included), against a plain `memcpy` of the same bytes.
//! * `moku.li_decode.bits_general` — a bit-packed record format (`u12:s12:b1:p7`, with
//!   processing) through the general bit reader, against the recycled fast path.

use std::hint::black_box;
use std::time::Duration;

use moku_client::li;

use crate::{Report, best_rate};

/// Samples per channel of the benchmark documents.
pub const SAMPLES: usize = 1 << 20;

/// A 2-channel Datalogger document as the emulator writes it (one block per channel).
pub fn datalogger_document(samples: usize) -> Vec<u8> {
    let ch = |k: f64| {
        (0..samples)
            .map(|i| ((i as f64) * k).sin() * 4.0)
            .collect::<Vec<f64>>()
    };
    let doc =
        moku_emulator::li::LiDocument::new(1_700_000_000, 0.0, 1e-6, vec![ch(0.001), ch(0.002)]);
    moku_emulator::li::encode(&doc).expect("benchmark document encodes")
}

/// An LI v3 document with any record format, split into blocks of `block` bytes per channel.
pub fn custom_document(
    format: &str,
    processing: &[&str],
    data: &[Vec<u8>],
    block: usize,
) -> Vec<u8> {
    let mut b = b"LI3\0\0".to_vec();
    b.push(7);
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(u8::try_from(data.len()).expect("at most 255 channels"));
    b.extend_from_slice(&1_700_000_000u64.to_le_bytes());
    b.extend_from_slice(&0.0f64.to_le_bytes());
    b.extend_from_slice(&1e-6f64.to_le_bytes());
    let mut strings = vec![format];
    strings.extend_from_slice(processing);
    strings.extend_from_slice(&["{t}\r\n", "% bench\r\n"]);
    for s in strings {
        b.extend_from_slice(&u16::try_from(s.len()).expect("short string").to_le_bytes());
        b.extend_from_slice(s.as_bytes());
    }
    let header_len = u16::try_from(b.len() - 5).expect("short header");
    b[3..5].copy_from_slice(&header_len.to_le_bytes());
    b.resize(b.len().next_multiple_of(8), 0);
    let blocks = data
        .iter()
        .map(|d| d.chunks(block.max(1)))
        .collect::<Vec<_>>();
    let rounds = data
        .iter()
        .map(|d| d.len().div_ceil(block.max(1)))
        .max()
        .unwrap_or(0);
    let mut iters: Vec<_> = blocks.into_iter().collect();
    for _ in 0..rounds {
        for (ch, it) in iters.iter_mut().enumerate() {
            if let Some(part) = it.next() {
                b.extend_from_slice(&u32::try_from(ch).expect("channel").to_le_bytes());
                b.extend_from_slice(&u32::try_from(part.len()).expect("block").to_le_bytes());
                b.extend_from_slice(&0u64.to_le_bytes());
                b.extend_from_slice(part);
                b.resize(b.len().next_multiple_of(8), 0);
            }
        }
    }
    b
}

/// A bit-packed document: `u12:s12:b1:p7` records (32 bits), one channel.
pub fn bitpacked_document(records: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(records * 4);
    for i in 0..records as u32 {
        let word = (i & 0xFFF) | ((i.wrapping_mul(7) & 0xFFF) << 12) | ((i & 1) << 24);
        data.extend_from_slice(&word.to_le_bytes());
    }
    custom_document("u12:s12:b1:p7", &["*C:/2048:"], &[data], 64 * 1024)
}

/// The anchor pass: every little-endian `i32` of `bytes` converted to `f64` and scaled.
pub fn raw_i32_to_f64(bytes: &[u8], out: &mut Vec<f64>) {
    out.clear();
    let (chunks, _) = bytes.as_chunks::<4>();
    out.extend(
        chunks
            .iter()
            .map(|c| f64::from(i32::from_le_bytes(*c)) / 65536.0),
    );
}

/// Measures this area's figures into `report`.
pub fn run(report: &mut Report) {
    let budget = report.budget(Duration::from_secs(2));
    let doc = datalogger_document(SAMPLES);
    let n = doc.len() as f64;
    let options = li::DecodeOptions::default();
    // Steady state of a stream of chunks: the previous document's buffers are reused.
    let mut prev = li::decode(&doc).expect("decodes").channels;
    let recycled = best_rate(budget, n, || {
        let d = li::decode_recycling(black_box(&doc), &options, core::mem::take(&mut prev))
            .expect("decodes");
        prev = black_box(d).channels;
    });
    let mut out = Vec::with_capacity(doc.len() / 4);
    let raw = best_rate(budget, n, || {
        raw_i32_to_f64(black_box(&doc), &mut out);
        black_box(&out);
    });
    report.add(
        "moku.li_decode.s32_recycled",
        recycled,
        "B/s",
        "bare i32->f64 /65536 pass into a reused Vec",
        raw,
    );
    let mut copy = vec![0u8; doc.len()];
    let memcpy = best_rate(budget, n, || {
        copy.copy_from_slice(black_box(&doc));
        black_box(&copy);
    });
    let fresh = best_rate(budget, n, || {
        black_box(li::decode(black_box(&doc)).expect("decodes"));
    });
    report.add(
        "moku.li_decode.s32_fresh",
        fresh,
        "B/s",
        "memcpy of the same bytes",
        memcpy,
    );
    let bits = bitpacked_document(SAMPLES);
    let nb = bits.len() as f64;
    let mut prev = li::decode(&bits).expect("decodes").channels;
    let general = best_rate(budget, nb, || {
        let d = li::decode_recycling(black_box(&bits), &options, core::mem::take(&mut prev))
            .expect("decodes");
        prev = black_box(d).channels;
    });
    report.add(
        "moku.li_decode.bits_general",
        general,
        "B/s",
        "s32 fast path (recycled)",
        recycled,
    );
}
