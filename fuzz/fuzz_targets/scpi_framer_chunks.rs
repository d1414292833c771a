//! Chunked and one-shot framing agree: the same messages (and overruns) in
//! the same order, whatever the chunk boundaries and the capacity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scpi_parser::{Feed, Framer};

/// Frames `chunks`; overruns show as `None`.
fn frame(cap: usize, chunks: &[&[u8]]) -> Vec<Option<Vec<u8>>> {
    let mut f = Framer::with_capacity(cap);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input: &[u8] = chunk;
        loop {
            match f.feed(input) {
                Feed::Consumed => break,
                Feed::Message { message, rest } => {
                    assert!(message.len() <= cap);
                    out.push(Some(message.to_vec()));
                    input = rest;
                }
                Feed::Overrun { rest } => {
                    out.push(None);
                    input = rest;
                }
            }
        }
    }
    match f.finish() {
        Feed::Consumed => {}
        Feed::Message { message, .. } => out.push(Some(message.to_vec())),
        Feed::Overrun { .. } => out.push(None),
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // Byte 0: capacity; byte 1: chunk-size seed; the rest: the stream.
    let [cap, seed, stream @ ..] = data else {
        return;
    };
    let cap = usize::from(*cap) + 1;
    let whole = frame(cap, &[stream]);
    let mut chunks = Vec::new();
    let mut rest = stream;
    let mut s = u32::from(*seed) | 1;
    while !rest.is_empty() {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((s >> 16) as usize % 17).min(rest.len());
        chunks.push(&rest[..n]);
        rest = &rest[n..];
    }
    assert_eq!(frame(cap, &chunks), whole);
    // Byte at a time.
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(frame(cap, &bytes), whole);
});
