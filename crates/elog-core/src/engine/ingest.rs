//! Ingestion: frame groups and the `push_*` calls.

use crate::catalog::ChannelId;
use crate::error::{Error, Result};
use crate::run::lookup;
use crate::time::{Duration, Instant};

use super::{Engine, GroupId};

impl Engine {
    /// Declares a group of channels delivered together as interleaved frames
    /// (e.g. 16 channels sharing one rate). Members that are not ITEMs are
    /// skipped at ingestion. A channel may appear once per group. Allowed in
    /// any state.
    pub fn declare_group(&mut self, channels: &[ChannelId]) -> Result<GroupId> {
        if channels.is_empty() {
            return Err(Error::BadInput {
                reason: "empty frame group",
            });
        }
        if channels
            .iter()
            .enumerate()
            .any(|(k, c)| channels[..k].contains(c))
        {
            return Err(Error::BadInput {
                reason: "channel listed twice in a frame group",
            });
        }
        if self.groups.len() >= self.limits.max_groups.min(usize::from(u16::MAX)) {
            return Err(Error::BadInput {
                reason: "too many frame groups",
            });
        }
        let id = GroupId(self.groups.len() as u16);
        self.groups.push(channels.to_vec());
        if let Some(run) = &mut self.run {
            let map = channels.iter().map(|c| lookup(&run.index, *c)).collect();
            run.groups.push(map);
        }
        Ok(id)
    }

    /// Pushes uniformly spaced samples of one channel: sample `i` is at
    /// `first + i * interval`. The fast path.
    ///
    /// Outside RUNNING the samples are ignored and counted
    /// ([`ignored_samples`](Self::ignored_samples)). While RUNNING, a channel
    /// that is not an ITEM of the run is refused with
    /// [`Error::NotAnItem`] (`+204`, nothing used): a host that feeds every
    /// channel it has skips that error, a wiring bug gets to see it. With more
    /// than one sample, `interval` must be positive (else `+204`, nothing used).
    pub fn push_batch(
        &mut self,
        channel: ChannelId,
        first: Instant,
        interval: Duration,
        samples: &[f64],
    ) -> Result<()> {
        let dt = check_interval(interval, samples.len())?;
        let (period, calcs) = (self.period.as_nanos(), self.calcs);
        let Some(run) = self.run.as_mut() else {
            self.ignored = self.ignored.saturating_add(samples.len() as u64);
            return Ok(());
        };
        let Some(item) = lookup(&run.index, channel) else {
            return Err(Error::NotAnItem { channel });
        };
        run.ingest(item, first.as_nanos(), dt, samples, period, calcs);
        Ok(())
    }

    /// Pushes one sample of one channel (as [`push_batch`](Self::push_batch)).
    pub fn push_sample(&mut self, channel: ChannelId, time: Instant, value: f64) -> Result<()> {
        self.push_batch(channel, time, Duration::from_nanos(1), &[value])
    }

    /// Pushes one interleaved frame of a declared group (one value per member).
    pub fn push_frame(&mut self, group: GroupId, time: Instant, frame: &[f64]) -> Result<()> {
        self.push_frames(group, time, Duration::from_nanos(1), frame)
    }

    /// Pushes uniformly spaced interleaved frames of a declared group: frame
    /// `i` (members `frames[i*n..(i+1)*n]`) is at `first + i * interval`.
    ///
    /// `frames.len()` must be a multiple of the group size and `interval`
    /// positive with more than one frame (else `+204`, nothing used).
    /// Members that are not ITEMs are skipped; outside RUNNING every value is
    /// ignored and counted ([`ignored_samples`](Self::ignored_samples)).
    pub fn push_frames(
        &mut self,
        group: GroupId,
        first: Instant,
        interval: Duration,
        frames: &[f64],
    ) -> Result<()> {
        let n = self
            .groups
            .get(usize::from(group.0))
            .ok_or(Error::BadInput {
                reason: "unknown frame group",
            })?
            .len();
        if !frames.len().is_multiple_of(n) {
            return Err(Error::BadInput {
                reason: "frame size does not match group",
            });
        }
        let dt = check_interval(interval, frames.len() / n)?;
        let (period, calcs) = (self.period.as_nanos(), self.calcs);
        let Some(run) = self.run.as_mut() else {
            self.ignored = self.ignored.saturating_add(frames.len() as u64);
            return Ok(());
        };
        run.ingest_frames(
            usize::from(group.0),
            first.as_nanos(),
            dt,
            frames,
            period,
            calcs,
        );
        Ok(())
    }
}

fn check_interval(interval: Duration, count: usize) -> Result<i64> {
    if count > 1 && interval.as_nanos() <= 0 {
        Err(Error::BadInput {
            reason: "sample interval must be positive",
        })
    } else {
        Ok(interval.as_nanos().max(1))
    }
}
