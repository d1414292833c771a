//! One run (RUNNING): the windows being filled per item, the record ring,
//! `t0` alignment and the ingestion of batches and interleaved frames.

use alloc::vec::Vec;

use crate::aggregate::{Acc, FrameAcc};
use crate::catalog::ChannelId;
use crate::config::CalcList;
use crate::engine::Timebase;
use crate::ring::Ring;
use crate::time::Instant;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Chan {
    /// The window this channel is accumulating.
    pub(crate) cw: u64,
    pub(crate) acc: Acc,
}

/// Everything that exists only while RUNNING.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) start: Instant,
    pub(crate) timebase: Timebase,
    pub(crate) t0: Option<Instant>,
    pub(crate) chans: Vec<Chan>,
    pub(crate) ring: Ring,
    /// Windows the ring holds for items still filling them, on top of the
    /// complete records it keeps (`Engine::lag_windows`).
    pub(crate) lag: u64,
    /// Item index by channel id, sorted by id.
    pub(crate) index: Vec<(ChannelId, usize)>,
    /// Per group: the item index of each member (None: not an item).
    pub(crate) groups: Vec<Vec<Option<usize>>>,
    pub(crate) frame: FrameAcc,
    pub(crate) scratch: Vec<f64>,
}

pub(crate) fn lookup(index: &[(ChannelId, usize)], id: ChannelId) -> Option<usize> {
    index
        .binary_search_by_key(&id, |e| e.0)
        .ok()
        .map(|k| index[k].1)
}

/// Index of the first sample at or after `target` (clamped to `0..=len`).
#[inline]
pub(crate) fn first_at_or_after(first: i128, dt: i128, target: i128, len: usize) -> usize {
    if target <= first {
        return 0;
    }
    let k = (target - first + dt - 1) / dt;
    if k >= len as i128 { len } else { k as usize }
}

impl Run {
    pub(crate) fn available(&self) -> usize {
        if self.t0.is_none() {
            return 0;
        }
        let min_cw = self.chans.iter().map(|c| c.cw).min().unwrap_or(0);
        (min_cw.max(self.ring.read()) - self.ring.read()) as usize
    }

    /// Sets `t0` from a run of samples if not yet set; returns it.
    pub(crate) fn align(&mut self, first: i128, dt: i128, len: usize) -> Option<i128> {
        if let Some(t0) = self.t0 {
            return Some(i128::from(t0.as_nanos()));
        }
        let i0 = first_at_or_after(first, dt, i128::from(self.start.as_nanos()), len);
        if i0 >= len {
            return None;
        }
        let t0 = first + i0 as i128 * dt;
        self.t0 = Some(Instant::from_nanos(t0 as i64));
        self.ring.ensure(0);
        Some(t0)
    }

    pub(crate) fn finish(&mut self, item: usize, calcs: CalcList) {
        let ch = &mut self.chans[item];
        let nc = calcs.len();
        for (j, &c) in calcs.as_slice().iter().enumerate() {
            self.ring.write(ch.cw, item * nc + j, ch.acc.value(c));
        }
        ch.acc = Acc::EMPTY;
    }

    pub(crate) fn ingest(
        &mut self,
        item: usize,
        first: i64,
        dt: i64,
        xs: &[f64],
        period: i64,
        calcs: CalcList,
    ) {
        let (first, dt, p) = (i128::from(first), i128::from(dt), i128::from(period));
        let len = xs.len();
        let Some(t0) = self.align(first, dt, len) else {
            return;
        };
        let mut i = first_at_or_after(first, dt, t0, len);
        while i < len {
            let t = first + i as i128 * dt;
            let w = ((t - t0) / p).min(i128::from(u64::MAX >> 1)) as u64;
            let cw = self.chans[item].cw;
            if w < cw {
                let ws = t0 + i128::from(cw) * p;
                i = first_at_or_after(first, dt, ws, len).max(i + 1);
                continue;
            }
            if w > cw {
                self.finish(item, calcs);
                self.chans[item].cw = w;
                self.ring.ensure(w);
            }
            let we = t0 + (i128::from(w) + 1) * p;
            let j = first_at_or_after(first, dt, we, len).max(i + 1);
            self.chans[item].acc.push_slice(&xs[i..j]);
            i = j;
        }
    }

    pub(crate) fn ingest_frames(
        &mut self,
        group: usize,
        first: i64,
        dt: i64,
        frames: &[f64],
        period: i64,
        calcs: CalcList,
    ) {
        let Some(map) = self.groups.get(group) else {
            return;
        };
        let n = map.len();
        let mut members = map
            .iter()
            .enumerate()
            .filter_map(|(j, m)| m.map(|item| (j, item)));
        let Some((_, lead)) = members.clone().next() else {
            return;
        };
        let cw = self.chans[lead].cw;
        if !members.all(|(_, item)| self.chans[item].cw == cw) {
            // Members were fed separately and disagree: take the per-channel path.
            let map = map.clone();
            let mut col = core::mem::take(&mut self.scratch);
            for (j, item) in map
                .iter()
                .enumerate()
                .filter_map(|(j, m)| m.map(|i| (j, i)))
            {
                col.clear();
                col.extend(frames.iter().skip(j).step_by(n));
                self.ingest(item, first, dt, &col, period, calcs);
            }
            self.scratch = col;
            return;
        }
        let (first, dt, p) = (i128::from(first), i128::from(dt), i128::from(period));
        let len = frames.len() / n;
        let Some(t0) = self.align(first, dt, len) else {
            return;
        };
        let mut i = first_at_or_after(first, dt, t0, len);
        while i < len {
            let t = first + i as i128 * dt;
            let w = ((t - t0) / p).min(i128::from(u64::MAX >> 1)) as u64;
            let cw = self.chans[lead].cw;
            if w < cw {
                let ws = t0 + i128::from(cw) * p;
                i = first_at_or_after(first, dt, ws, len).max(i + 1);
                continue;
            }
            if w > cw {
                for k in 0..n {
                    if let Some(item) = self.groups[group][k] {
                        self.finish(item, calcs);
                        self.chans[item].cw = w;
                    }
                }
                self.ring.ensure(w);
            }
            let we = t0 + (i128::from(w) + 1) * p;
            let j = first_at_or_after(first, dt, we, len).max(i + 1);
            let map = &self.groups[group];
            let chans = &self.chans;
            self.frame.load(
                map.iter()
                    .map(|m| m.map_or(Acc::EMPTY, |item| chans[item].acc)),
            );
            self.frame.push_frames(&frames[i * n..j * n]);
            for (k, m) in map.iter().enumerate() {
                if let Some(item) = *m {
                    let count = self.chans[item].acc.count + (j - i) as u64;
                    self.chans[item].acc = self.frame.get(k, count);
                }
            }
            i = j;
        }
    }
}
