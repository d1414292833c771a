//! Shared test scaffolding, compiled into each test binary that says `mod common;`.
//!
//! * [`Rig`] / [`Client`] (`tcp`): a real server on 127.0.0.1 (port 0) over an
//!   instrument whose acquisition the test steps by hand (deterministic source
//!   time), and a plain `TcpStream` client that reads answers block-aware.
//! * [`Local`]: the same instrument driven through one in-process SCPI
//!   `Session`, no sockets.
//! * [`simulated`], [`serve`], [`eventually`], [`Rng`], [`blocks`], [`floats`]:
//!   the small pieces the rigs and the tests share.
// Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code, unused_imports)]

#[cfg(feature = "hislip")]
pub mod hislip_client;
mod local;
#[cfg(feature = "moku")]
mod moku;
mod rng;
#[cfg(feature = "tcp")]
mod tcp;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use elog::ElogInstrument;
use elog::acquisition::{Acquisition, SharedInstrument, shared};
use elog::source::{ChannelSpec, Simulator};

pub use local::Local;
#[cfg(feature = "moku")]
pub use moku::constant_emulator;
pub use rng::Rng;
#[cfg(feature = "tcp")]
pub use tcp::{Client, Rig, serve};

/// A default instrument and an acquisition over it; with one simulator
/// holding `specs` unless `specs` is empty.
pub fn simulated(specs: &[&str]) -> (SharedInstrument, Acquisition) {
    let instrument = shared(ElogInstrument::default());
    let mut acquisition = Acquisition::new(Arc::clone(&instrument));
    if !specs.is_empty() {
        let specs: Vec<ChannelSpec> = specs.iter().map(|s| s.parse().unwrap()).collect();
        acquisition
            .add_source(Simulator::from_specs(&specs))
            .unwrap();
    }
    (instrument, acquisition)
}

/// Polls `f` until it is true; panics after a generous bound (no timing asserted).
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if f() {
            return;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

/// Splits a binary answer (LF removed) into its block payloads; panics on anything else.
pub fn blocks(answer: &[u8]) -> Vec<Vec<u8>> {
    let body = answer.strip_suffix(b"\n").unwrap_or(answer);
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        assert_eq!(body[i], b'#', "block expected at {i}");
        let n = usize::from(body[i + 1] - b'0');
        let len: usize = std::str::from_utf8(&body[i + 2..i + 2 + n])
            .unwrap()
            .parse()
            .unwrap();
        let start = i + 2 + n;
        out.push(body[start..start + len].to_vec());
        i = start + len;
        if i == body.len() {
            return out;
        }
        assert_eq!(body[i], b',', "',' between blocks");
        i += 1;
    }
}

/// The f32 values of a block.
pub fn floats(block: &[u8], big_endian: bool) -> Vec<f32> {
    block
        .chunks_exact(4)
        .map(|c| {
            let b = [c[0], c[1], c[2], c[3]];
            if big_endian {
                f32::from_be_bytes(b)
            } else {
                f32::from_le_bytes(b)
            }
        })
        .collect()
}
