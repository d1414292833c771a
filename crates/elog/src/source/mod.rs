//! Channel sources: whatever produces timestamped samples for some channels.
//!
//! A [`Source`] declares its channels once ([`Source::channels`]) and then,
//! each time it is polled, appends the samples it has up to a source time
//! into a [`SampleBuffer`], addressed by the channel's *slot* (its index in
//! the declaration). The acquisition maps slots to registry ids and pushes
//! the buffer into the instrument. A source that fails returns a
//! [`SourceError`]; its channels are then removed, which invalidates a
//! running ELOG session that uses them (never stale data).
//!
//! Implemented here: [`Simulator`] (const, sine, square, ramp, noise, any
//! rate; pure and deterministic) and, with feature `moku`, the Moku
//! Datalogger stream (`moku::MokuSource`).

#[cfg(feature = "moku")]
pub mod moku;
mod simulated;
mod spec;
mod timing;
mod waveform;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use elog_core::{Duration, Instant};

pub use simulated::Simulator;
pub use spec::{ChannelSpec, SpecError};
pub use waveform::Waveform;

/// A channel a source provides.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelDecl {
    /// The channel's name (what ITEMs refer to).
    pub name: String,
    /// Its sample rate in Hz.
    pub rate: f64,
}

/// What a poll achieved.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Progress {
    /// Everything up to the requested time (or all the source had) was delivered.
    Done,
    /// The source stopped early to bound the buffer; poll again right away.
    More,
}

/// Why a source stopped delivering. Its channels are removed.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceError {
    /// What happened, for logs and the error detail.
    pub reason: String,
}

impl SourceError {
    /// An error with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl core::error::Error for SourceError {}

/// Something that produces timestamped samples for a fixed set of channels.
///
/// Times are on the acquisition's source timeline: nanoseconds since
/// acquisition start ([`Instant::ZERO`]).
pub trait Source: Send {
    /// A short name for logs (`simulator`, `moku 10.0.0.2`).
    fn name(&self) -> &str;

    /// The channels, in slot order. Called once, before the first poll.
    fn channels(&self) -> Vec<ChannelDecl>;

    /// Appends the samples available up to source time `until` (inclusive)
    /// to `out`. A source that blocks (a network stream) may deliver less, or
    /// samples stamped by its own clock.
    fn poll(&mut self, until: Instant, out: &mut SampleBuffer) -> Result<Progress, SourceError>;
}

impl<S: Source + ?Sized> Source for alloc::boxed::Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn channels(&self) -> Vec<ChannelDecl> {
        (**self).channels()
    }

    fn poll(&mut self, until: Instant, out: &mut SampleBuffer) -> Result<Progress, SourceError> {
        (**self).poll(until, out)
    }
}

#[derive(Clone, Debug)]
struct BatchEntry {
    slot: usize,
    first: Instant,
    interval: Duration,
    values: Range<usize>,
    times: Option<Range<usize>>,
}

/// One batch of samples of one channel, as [`SampleBuffer::batches`] yields it.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// The channel's slot in its source's declaration.
    pub slot: usize,
    /// Time of the first sample (uniform batches).
    pub first: Instant,
    /// Spacing of the samples (uniform batches).
    pub interval: Duration,
    /// The sample values.
    pub samples: &'a [f64],
    /// Per-sample times, when the samples are not uniformly spaced in whole
    /// nanoseconds (then `first`/`interval` are ignored).
    pub times: Option<&'a [Instant]>,
}

/// Samples of several channels, gathered outside the instrument's lock and
/// pushed in one go. Reused between polls (no allocation in steady state).
#[derive(Clone, Debug, Default)]
pub struct SampleBuffer {
    entries: Vec<BatchEntry>,
    values: Vec<f64>,
    times: Vec<Instant>,
}

impl SampleBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every batch (keeps the memory).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.values.clear();
        self.times.clear();
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many samples, all channels together.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Appends uniformly spaced samples of slot `slot`: sample `i` at `first + i·interval`.
    pub fn push(&mut self, slot: usize, first: Instant, interval: Duration, samples: &[f64]) {
        self.push_with(slot, first, interval, samples.len(), |dst| {
            dst.copy_from_slice(samples);
        });
    }

    /// Appends `n` uniformly spaced samples that `fill` writes in place.
    pub fn push_with(
        &mut self,
        slot: usize,
        first: Instant,
        interval: Duration,
        n: usize,
        fill: impl FnOnce(&mut [f64]),
    ) {
        if n == 0 {
            return;
        }
        let start = self.values.len();
        self.values.resize(start + n, 0.0);
        fill(&mut self.values[start..]);
        self.entries.push(BatchEntry {
            slot,
            first,
            interval,
            values: start..start + n,
            times: None,
        });
    }

    /// Appends samples with individual times (`times.len()` must equal
    /// `samples.len()`; the shorter length is used otherwise).
    pub fn push_timed(&mut self, slot: usize, times: &[Instant], samples: &[f64]) {
        let n = times.len().min(samples.len());
        if n == 0 {
            return;
        }
        let (vs, ts) = (self.values.len(), self.times.len());
        self.values.extend_from_slice(&samples[..n]);
        self.times.extend_from_slice(&times[..n]);
        self.entries.push(BatchEntry {
            slot,
            first: times[0],
            interval: Duration::ZERO,
            values: vs..vs + n,
            times: Some(ts..ts + n),
        });
    }

    /// The batches in the order they were appended.
    pub fn batches(&self) -> impl Iterator<Item = Batch<'_>> + '_ {
        self.entries.iter().map(|e| Batch {
            slot: e.slot,
            first: e.first,
            interval: e.interval,
            samples: &self.values[e.values.clone()],
            times: e.times.clone().map(|r| &self.times[r]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_keeps_order_and_forms() {
        let mut b = SampleBuffer::new();
        b.push(
            1,
            Instant::from_millis(5),
            Duration::from_millis(1),
            &[1.0, 2.0],
        );
        b.push_with(0, Instant::ZERO, Duration::from_nanos(10), 3, |d| {
            d.fill(7.0);
        });
        b.push_timed(
            2,
            &[Instant::from_nanos(1), Instant::from_nanos(4)],
            &[0.5, 0.25],
        );
        b.push(3, Instant::ZERO, Duration::ZERO, &[]);
        assert_eq!(b.len(), 7);
        let v: Vec<_> = b.batches().collect();
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].slot, v[0].samples), (1, &[1.0, 2.0][..]));
        assert_eq!(v[1].samples, &[7.0; 3]);
        assert_eq!(v[2].times.unwrap()[1], Instant::from_nanos(4));
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.batches().count(), 0);
    }
}
