//! The whole instrument, bytes in → bytes out, through the dispatch path the
//! TCP server uses (`elog::dispatch::dispatch`: framer, session, command tree,
//! ELOG binding, engine, formatter) with no socket. Simulated samples are
//! pushed between chunks of input, and channels sometimes vanish or change
//! rate, so every state (CONFIG, RUNNING, INVALID) and every answer form is
//! reached.
//!
//! Input: a sequence of steps `[op, len, bytes…]`:
//! * `op % 8 < 5`: feed the next `len` bytes to the connection;
//! * `op % 8 == 5`: advance source time by `len` × 7 ms (samples pushed);
//! * `op % 8 == 6`: remove or re-register channel `len % 3`;
//! * `op % 8 == 7`: change channel `len % 3`'s rate.
//!
//! Invariants: no panic; the answers stay within the output bound and always
//! end with a LF; the engine's buffer never holds more than its capacity.
#![no_main]

use std::sync::Arc;

use elog::ElogInstrument;
use elog::acquisition::{Acquisition, lock, shared};
use elog::dispatch::{ConnectionLimits, Verdict, dispatch};
use elog::elog_core::Instant;
use elog::scpi_parser::{Framer, Session};
use elog::source::{ChannelSpec, Simulator};
use libfuzzer_sys::fuzz_target;

const LIMITS: ConnectionLimits = ConnectionLimits {
    max_input: 512,
    max_discard: 2048,
    max_output: 64 * 1024,
};

const RATES: [f64; 3] = [100.0, 1000.0, 250.0];

fuzz_target!(|data: &[u8]| {
    let instrument = shared(ElogInstrument::default());
    let mut acquisition = Acquisition::new(Arc::clone(&instrument));
    let specs: Vec<ChannelSpec> = [
        "AI 1/1=const:1.5@100",
        "AI 1/2=sine:2:5@1000",
        "AI 1/3=ramp:1:2@250",
    ]
    .iter()
    .map(|s| s.parse().expect("valid spec"))
    .collect();
    let ids = acquisition
        .add_source(Simulator::from_specs(&specs))
        .expect("channels register");
    let mut removed = [false; 3];
    let tree = ElogInstrument::tree();
    let mut session: Session = Session::new();
    let mut framer = Framer::new(vec![0u8; LIMITS.max_input]);
    let mut now_ms: i64 = 0;
    let mut out = Vec::new();
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let len = usize::from(*len);
        match op % 8 {
            0..=4 => {
                let n = len.min(tail.len());
                let (chunk, after) = tail.split_at(n);
                rest = after;
                out.clear();
                let verdict = {
                    let mut inst = lock(&instrument);
                    dispatch(
                        &mut session,
                        &mut framer,
                        chunk,
                        &tree,
                        &mut *inst,
                        &mut out,
                        &LIMITS,
                    )
                };
                assert!(out.len() <= LIMITS.max_output);
                assert!(out.is_empty() || out.ends_with(b"\n"), "{out:?}");
                if verdict != Verdict::Continue {
                    // The server closes here; a new connection starts clean.
                    session = Session::new();
                    framer = Framer::new(vec![0u8; LIMITS.max_input]);
                }
                continue;
            }
            5 => {
                now_ms += 7 * len as i64;
                let _ = acquisition.step_to(Instant::from_millis(now_ms));
            }
            6 => {
                let k = len % 3;
                let mut inst = lock(&instrument);
                if removed[k] {
                    // Comes back under the same name (a new id: a different channel).
                    removed[k] = inst.register_channel(&specs[k].name, RATES[k]).is_err();
                } else {
                    inst.remove_channel(ids[k]);
                    removed[k] = true;
                }
            }
            _ => {
                let k = len % 3;
                let rate = RATES[(k + 1 + len / 3) % 3];
                let _ = lock(&instrument).change_channel_rate(ids[k], rate);
            }
        }
        rest = tail;
        let inst = lock(&instrument);
        let e = inst.engine();
        assert!(e.buffered() <= e.capacity() + e.lag_windows());
    }
});
