//! Simulated channels: constant, sine, square, ramp and noise at any rate.
//!
//! Sample `k` of a channel of rate `r` is at exactly `k / r` seconds after
//! acquisition start (rounded to the nanosecond). Generators are cheap: a
//! rotation recurrence for the sine (re-anchored at every batch, so no drift),
//! the phase `frac(k·f/r)` of each sample for square and ramp, xorshift64* for
//! noise. Everything is deterministic: the same samples however the polls are
//! cut.

use alloc::string::String;
use alloc::vec::Vec;
use core::f64::consts::TAU;

use elog_core::{Duration, Instant};

use super::spec::ChannelSpec;
use super::timing::Timing;
use super::waveform::{Waveform, frac};
use super::{ChannelDecl, Progress, SampleBuffer, Source, SourceError};

/// The most source time one poll generates per channel (bounds the buffer).
const MAX_POLL_SPAN_NS: i128 = 250_000_000;
/// …but at least this many samples (slow channels)…
const MIN_POLL_SAMPLES: u64 = 4096;
/// …and at most this many (fast channels): one poll buffers at most
/// `64 Ki × 8 B = 512 KiB` per channel.
const MAX_POLL_SAMPLES: u64 = 1 << 16;

#[derive(Clone, Debug)]
struct SimChannel {
    name: String,
    rate: f64,
    waveform: Waveform,
    timing: Timing,
    next: u64,
    noise: u64,
}

impl SimChannel {
    /// Writes samples `k0..k0 + out.len()` into `out`.
    fn fill(&mut self, k0: u64, out: &mut [f64]) {
        let rate = self.rate;
        match self.waveform {
            Waveform::Const(v) => out.fill(v),
            Waveform::Sine { amplitude, freq } => {
                let cps = freq / rate;
                let theta = TAU * frac(k0 as f64 * cps);
                let (mut s, mut c) = (libm::sin(theta), libm::cos(theta));
                let delta = TAU * frac(cps);
                let (sd, cd) = (libm::sin(delta), libm::cos(delta));
                for x in out.iter_mut() {
                    *x = amplitude * s;
                    let s2 = s * cd + c * sd;
                    c = c * cd - s * sd;
                    s = s2;
                }
            }
            // Square and ramp take the phase of each sample directly from its
            // index, so the output does not depend on how polls are cut.
            Waveform::Square { amplitude, freq } => {
                let cps = freq / rate;
                for (x, k) in out.iter_mut().zip(k0..) {
                    *x = if frac(k as f64 * cps) < 0.5 {
                        amplitude
                    } else {
                        -amplitude
                    };
                }
            }
            Waveform::Ramp { amplitude, freq } => {
                let cps = freq / rate;
                for (x, k) in out.iter_mut().zip(k0..) {
                    *x = amplitude * (2.0 * frac(k as f64 * cps) - 1.0);
                }
            }
            Waveform::Noise { amplitude } => {
                let mut s = self.noise;
                for x in out.iter_mut() {
                    s ^= s >> 12;
                    s ^= s << 25;
                    s ^= s >> 27;
                    let v = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
                    let u = (v >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
                    *x = amplitude * (2.0 * u - 1.0);
                }
                self.noise = s;
            }
        }
    }
}

/// A source of simulated channels (pure, deterministic).
///
/// ```
/// use elog::source::{ChannelSpec, SampleBuffer, Simulator, Source};
/// use elog::elog_core::Instant;
///
/// let mut sim = Simulator::new();
/// sim.add(&"AI 1/1=const:1.5@100".parse::<ChannelSpec>().unwrap());
/// let mut buf = SampleBuffer::new();
/// sim.poll(Instant::from_millis(100), &mut buf).unwrap();
/// let b = buf.batches().next().unwrap();
/// assert_eq!(b.samples, &[1.5; 11]); // samples at 0, 10, …, 100 ms
/// ```
#[derive(Clone, Debug, Default)]
pub struct Simulator {
    channels: Vec<SimChannel>,
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h | 1
}

impl Simulator {
    /// A simulator with no channels.
    pub fn new() -> Self {
        Self::default()
    }

    /// A simulator with these channels.
    pub fn from_specs<'a>(specs: impl IntoIterator<Item = &'a ChannelSpec>) -> Self {
        let mut s = Self::new();
        for spec in specs {
            s.add(spec);
        }
        s
    }

    /// The embedded demo set: `AI 1/1` const 1.0 at 100 Hz, `AI 1/2` sine
    /// (2.5, 5 Hz) at 1 kHz, `AI 1/3` square (1.0, 10 Hz) at 10 kHz, `AI 1/4`
    /// noise (0.1) at 50 kHz.
    pub fn demo() -> Self {
        let specs = [
            "AI 1/1=const:1.0@100",
            "AI 1/2=sine:2.5:5@1000",
            "AI 1/3=square:1.0:10@10000",
            "AI 1/4=noise:0.1@50000",
        ];
        let mut s = Self::new();
        for text in specs {
            if let Ok(spec) = text.parse::<ChannelSpec>() {
                s.add(&spec);
            }
        }
        s
    }

    /// Adds a channel (its slot is the number of channels before it).
    pub fn add(&mut self, spec: &ChannelSpec) {
        self.channels.push(SimChannel {
            name: spec.name.clone(),
            rate: spec.rate,
            waveform: spec.waveform,
            timing: Timing::new(spec.rate),
            next: 0,
            noise: fnv1a(&spec.name),
        });
    }

    /// How many channels.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether there is no channel.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

impl Source for Simulator {
    fn name(&self) -> &str {
        "simulator"
    }

    fn channels(&self) -> Vec<ChannelDecl> {
        self.channels
            .iter()
            .map(|c| ChannelDecl {
                name: c.name.clone(),
                rate: c.rate,
            })
            .collect()
    }

    fn poll(&mut self, until: Instant, out: &mut SampleBuffer) -> Result<Progress, SourceError> {
        let mut progress = Progress::Done;
        for (slot, ch) in self.channels.iter_mut().enumerate() {
            let k0 = ch.next;
            let mut end = ch.timing.count_until(until.as_nanos());
            if end <= k0 {
                continue;
            }
            // Bound one poll to MAX_POLL_SPAN_NS of this channel's data.
            let limit = i128::from(ch.timing.time(k0)) + MAX_POLL_SPAN_NS;
            let capped = ch
                .timing
                .count_until(limit.min(i128::from(i64::MAX)) as i64)
                .max(k0 + MIN_POLL_SAMPLES)
                .min(k0 + MAX_POLL_SAMPLES);
            if capped < end {
                end = capped;
                progress = Progress::More;
            }
            let n = (end - k0) as usize;
            match ch.timing.uniform() {
                Some(dt) => {
                    let first = Instant::from_nanos(ch.timing.time(k0));
                    out.push_with(slot, first, Duration::from_nanos(dt), n, |dst| {
                        ch.fill(k0, dst);
                    });
                }
                None => {
                    let mut values = alloc::vec![0.0; n];
                    ch.fill(k0, &mut values);
                    let times: Vec<Instant> = (k0..end)
                        .map(|k| Instant::from_nanos(ch.timing.time(k)))
                        .collect();
                    out.push_timed(slot, &times, &values);
                }
            }
            ch.next = end;
        }
        Ok(progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> ChannelSpec {
        s.parse().unwrap()
    }

    #[test]
    fn sample_times_are_exact() {
        for rate in [100.0, 3.0, 30_000.0, 0.5, 2.5, 44_100.0] {
            let t = Timing::new(rate);
            for k in [0u64, 1, 2, 7, 1000, 123_456] {
                let exact = (k as f64 * 1e9 / rate).round() as i64;
                assert_eq!(t.time(k), exact, "rate {rate} k {k}");
                assert_eq!(t.count_until(exact), k + 1);
                assert_eq!(t.count_until(exact - 1), k);
            }
        }
        assert_eq!(Timing::new(100.0).uniform(), Some(10_000_000));
        assert_eq!(Timing::new(3.0).uniform(), None);
        assert_eq!(Timing::new(0.5).uniform(), Some(2_000_000_000));
    }

    #[test]
    fn generators_match_the_direct_form() {
        for w in [
            "x=sine:2.5:5@1000",
            "x=sine:1:333.3@44100",
            "x=square:1:10@10000",
            "x=ramp:3:7@1000",
            "x=const:-2.5@10",
        ] {
            let sp = spec(w);
            let mut sim = Simulator::new();
            sim.add(&sp);
            let mut buf = SampleBuffer::new();
            let mut got = Vec::new();
            for ms in (0..2000).step_by(37).chain([2000]) {
                buf.clear();
                sim.poll(Instant::from_millis(ms), &mut buf).unwrap();
                for b in buf.batches() {
                    got.extend_from_slice(b.samples);
                }
            }
            assert_eq!(
                got.len() as u64,
                Timing::new(sp.rate).count_until(2_000_000_000)
            );
            for (k, v) in got.iter().enumerate() {
                let want = sp.waveform.value_at(k as u64, sp.rate);
                if (v - want).abs() > 1e-6 {
                    // A square wave may flip one sample early or late where
                    // the phase sits exactly on a half-period boundary.
                    let Waveform::Square { freq, .. } = sp.waveform else {
                        panic!("{w} k={k}: {v} vs {want}");
                    };
                    let p = frac(k as f64 * freq / sp.rate);
                    let edge = p.min((p - 0.5).abs()).min(1.0 - p);
                    assert!(edge < 1e-9, "{w} k={k}: {v} vs {want}, phase {p}");
                }
            }
        }
    }

    #[test]
    fn noise_is_bounded_and_deterministic() {
        let sp = spec("n=noise:0.5@1000");
        let run = || {
            let mut sim = Simulator::from_specs([&sp]);
            let mut buf = SampleBuffer::new();
            sim.poll(Instant::from_secs(1), &mut buf).unwrap();
            buf.batches().next().unwrap().samples.to_vec()
        };
        let a = run();
        assert_eq!(a, run());
        assert_eq!(a.len(), 1001);
        assert!(a.iter().all(|v| (-0.5..0.5).contains(v)));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.05);
    }

    #[test]
    fn polls_are_bounded() {
        let mut sim = Simulator::from_specs([&spec("x=const:1@100000")]);
        let mut buf = SampleBuffer::new();
        assert_eq!(
            sim.poll(Instant::from_secs(10), &mut buf).unwrap(),
            Progress::More
        );
        assert!(buf.len() <= 25_001);
        assert!(buf.len() >= 4096);
        let mut total = buf.len();
        loop {
            buf.clear();
            let p = sim.poll(Instant::from_secs(10), &mut buf).unwrap();
            total += buf.len();
            if p == Progress::Done {
                break;
            }
        }
        assert_eq!(total, 1_000_001);
        let mut fast = Simulator::from_specs([&spec("x=const:1@10000000")]);
        buf.clear();
        assert_eq!(
            fast.poll(Instant::from_secs(1), &mut buf).unwrap(),
            Progress::More
        );
        assert_eq!(buf.len(), 1 << 16);
    }

    #[test]
    fn non_uniform_rates_carry_times() {
        let mut sim = Simulator::from_specs([&spec("x=const:1@3")]);
        let mut buf = SampleBuffer::new();
        sim.poll(Instant::from_secs(1), &mut buf).unwrap();
        let b = buf.batches().next().unwrap();
        assert_eq!(
            b.times.unwrap(),
            &[
                Instant::ZERO,
                Instant::from_nanos(333_333_333),
                Instant::from_nanos(666_666_667),
                Instant::from_secs(1)
            ]
        );
    }
}
