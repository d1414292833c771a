//! Property tests of the simulated sources and the channel spec parser.

use elog::elog_core::Instant;
use elog::source::{ChannelSpec, SampleBuffer, Simulator, Source, Waveform};
use proptest::prelude::*;

fn waveform() -> impl Strategy<Value = Waveform> {
    let amp = 0.0f64..100.0;
    let freq = 0.0f64..1000.0;
    prop_oneof![
        (-1e6f64..1e6).prop_map(Waveform::Const),
        (amp.clone(), freq.clone())
            .prop_map(|(amplitude, freq)| Waveform::Sine { amplitude, freq }),
        (amp.clone(), freq.clone())
            .prop_map(|(amplitude, freq)| Waveform::Square { amplitude, freq }),
        (amp.clone(), freq).prop_map(|(amplitude, freq)| Waveform::Ramp { amplitude, freq }),
        amp.prop_map(|amplitude| Waveform::Noise { amplitude }),
    ]
}

fn spec() -> impl Strategy<Value = ChannelSpec> {
    (
        "[A-Za-z][A-Za-z0-9 /_.]{0,20}[A-Za-z0-9]",
        waveform(),
        prop_oneof![(1u32..200_000).prop_map(f64::from), 0.01f64..100_000.0],
    )
        .prop_map(|(name, waveform, rate)| ChannelSpec {
            name,
            waveform,
            rate,
        })
}

/// Every sample of one channel up to `end_ms`, polled at the given cut points.
fn samples(spec: &ChannelSpec, cuts: &[i64], end_ms: i64) -> Vec<(i64, f64)> {
    let mut sim = Simulator::from_specs([spec]);
    let mut buf = SampleBuffer::new();
    let mut out = Vec::new();
    for &t in cuts.iter().chain([&end_ms]) {
        loop {
            buf.clear();
            let p = sim.poll(Instant::from_millis(t), &mut buf).unwrap();
            for b in buf.batches() {
                for (i, v) in b.samples.iter().enumerate() {
                    let t = match b.times {
                        Some(ts) => ts[i].as_nanos(),
                        None => b.first.as_nanos() + i as i64 * b.interval.as_nanos(),
                    };
                    out.push((t, *v));
                }
            }
            if p == elog::source::Progress::Done {
                break;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The canonical text parses back to the same spec.
    #[test]
    fn spec_display_round_trips(s in spec()) {
        let text = s.to_string();
        let back: ChannelSpec = text.parse().unwrap();
        prop_assert_eq!(back, s);
    }

    /// Garbage never panics the parser.
    #[test]
    fn spec_parser_never_panics(text in "\\PC{0,60}") {
        let _ = text.parse::<ChannelSpec>();
    }

    /// How a simulator is polled does not change what it produces: sample k
    /// is at round(k·1e9/rate) ns, times strictly increase, nothing is
    /// repeated or skipped.
    #[test]
    fn polling_is_chunking_invariant(
        s in spec().prop_filter("bounded work", |s| s.rate <= 20_000.0),
        mut cuts in proptest::collection::vec(0i64..500, 0..8),
    ) {
        cuts.sort_unstable();
        let whole = samples(&s, &[], 500);
        let pieces = samples(&s, &cuts, 500);
        prop_assert_eq!(whole.len(), pieces.len());
        for (k, (a, b)) in whole.iter().zip(&pieces).enumerate() {
            prop_assert_eq!(a.0, b.0);
            prop_assert!(a.1 == b.1 || (a.1 - b.1).abs() <= 1e-9 * a.1.abs().max(1.0), "k={} {} vs {}", k, a.1, b.1);
            let want = (k as f64 * 1e9 / s.rate).round() as i64;
            prop_assert!((a.0 - want).abs() <= 1, "k={} t={} want {}", k, a.0, want);
        }
        prop_assert!(whole.windows(2).all(|w| w[0].0 < w[1].0));
        prop_assert_eq!(
            whole.len() as u64,
            (0u64..).take_while(|k| ((*k as f64) * 1e9 / s.rate).round() <= 5e8).count() as u64
        );
    }
}
