//! The record ring: preallocated, column-major, with overrun accounting.
//!
//! Window `k` of a run is record `k`. The ring holds the windows
//! `[read, alloc_end)`; `alloc_end - read <= cap` always. When a channel
//! enters a window beyond that, the oldest windows are evicted and counted as
//! lost, so every record is either fetched exactly once or counted.

use alloc::vec::Vec;

/// Column-major storage of `cap` records of `width` values.
#[derive(Clone, Debug)]
pub(crate) struct Ring {
    cap: usize,
    width: usize,
    cols: Vec<f32>,
    /// Oldest window still held (the next one a fetch returns).
    read: u64,
    /// One past the newest window allocated.
    alloc_end: u64,
    /// Windows lost since the last report.
    lost: u64,
    /// Windows lost in this run.
    lost_total: u64,
}

impl Ring {
    /// Allocates the ring; `None` if the memory cannot be had.
    pub(crate) fn new(cap: usize, width: usize) -> Option<Self> {
        let n = cap.checked_mul(width)?;
        let mut cols = Vec::new();
        cols.try_reserve_exact(n).ok()?;
        cols.resize(n, f32::NAN);
        Some(Ring {
            cap,
            width,
            cols,
            read: 0,
            alloc_end: 0,
            lost: 0,
            lost_total: 0,
        })
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    pub(crate) fn read(&self) -> u64 {
        self.read
    }

    pub(crate) fn alloc_end(&self) -> u64 {
        self.alloc_end
    }

    #[inline]
    fn slot(&self, k: u64) -> usize {
        (k % self.cap as u64) as usize
    }

    /// Makes window `w` allocated, evicting (and counting) the oldest windows if needed.
    pub(crate) fn ensure(&mut self, w: u64) {
        if w < self.alloc_end {
            return;
        }
        let new_end = w.saturating_add(1);
        if new_end - self.read > self.cap as u64 {
            let new_read = new_end - self.cap as u64;
            let lost = new_read - self.read;
            crate::macros::elog_debug!("elog-core: overrun, {} records lost", lost);
            self.lost = self.lost.saturating_add(lost);
            self.lost_total = self.lost_total.saturating_add(lost);
            self.read = new_read;
        }
        let from = self.alloc_end.max(self.read);
        for k in from..new_end {
            let s = self.slot(k);
            for c in 0..self.width {
                self.cols[c * self.cap + s] = f32::NAN;
            }
        }
        self.alloc_end = new_end;
    }

    /// Stores value `col` of window `w` (ignored if `w` is not held).
    #[inline]
    pub(crate) fn write(&mut self, w: u64, col: usize, v: f32) {
        if w >= self.read && w < self.alloc_end && col < self.width {
            let s = self.slot(w);
            self.cols[col * self.cap + s] = v;
        }
    }

    /// Value `col` of window `w` (caller keeps `w` held and `col < width`).
    #[inline]
    pub(crate) fn get(&self, w: u64, col: usize) -> f32 {
        self.cols[col * self.cap + self.slot(w)]
    }

    /// Column `col` of the `n` windows from `read`, as up to two pieces.
    pub(crate) fn column(&self, col: usize, n: usize) -> [&[f32]; 2] {
        let base = &self.cols[col * self.cap..(col + 1) * self.cap];
        let s = self.slot(self.read);
        if s + n <= self.cap {
            [&base[s..s + n], &[]]
        } else {
            [&base[s..], &base[..n - (self.cap - s)]]
        }
    }

    /// Drops the `n` oldest windows after they were read.
    pub(crate) fn consume(&mut self, n: u64) {
        self.read = self.read.saturating_add(n).min(self.alloc_end);
    }

    /// Takes the count of windows lost since the last call.
    /// The pending lost count (evicted, not yet reported).
    pub(crate) fn lost(&self) -> u64 {
        self.lost
    }

    /// Moves reading back to `read` (taken when the pending lost count was
    /// `lost` and the total `lost_total`): the records read since are read
    /// again, the lost count taken since is reported again. Records evicted
    /// since are counted as lost instead of returned.
    pub(crate) fn rewind(&mut self, read: u64, lost: u64, lost_total: u64) {
        if read > self.read || lost_total > self.lost_total {
            return; // not a mark of this buffer's past
        }
        let oldest = self.alloc_end.saturating_sub(self.cap as u64);
        let back = read.max(oldest).min(self.read);
        // Everything between the mark and `back` is gone: evicted unread
        // (already counted: `since`) or read and evicted afterwards (counted
        // now). The lost count pending at the mark is reported again.
        let since = self.lost_total - lost_total;
        let gone = back - read;
        self.read = back;
        self.lost = lost.saturating_add(gone);
        self.lost_total = self.lost_total.saturating_add(gone.saturating_sub(since));
    }

    pub(crate) fn take_lost(&mut self) -> u64 {
        core::mem::take(&mut self.lost)
    }

    pub(crate) fn lost_total(&self) -> u64 {
        self.lost_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewind_gives_back_what_is_still_held() {
        let mut r = Ring::new(4, 1).unwrap();
        r.ensure(2); // records 0..=2
        let (read, lost, total) = (r.read(), r.lost(), r.lost_total());
        r.consume(3);
        assert_eq!(r.read(), 3);
        r.rewind(read, lost, total);
        assert_eq!((r.read(), r.take_lost()), (0, 0));
        // Read again, then newer records evict two of the ones read.
        r.consume(3);
        r.ensure(5); // records 0..=5 allocated; the buffer holds 2..=5
        r.rewind(read, lost, total);
        assert_eq!((r.read(), r.take_lost(), r.lost_total()), (2, 2, 2));
        // A mark from the future of this buffer changes nothing.
        r.rewind(9, 0, 0);
        assert_eq!(r.read(), 2);
    }

    #[test]
    fn eviction_counts_every_window() {
        let mut r = Ring::new(3, 2).unwrap();
        r.ensure(0);
        r.write(0, 1, 5.0);
        assert_eq!(r.get(0, 1), 5.0);
        r.ensure(4);
        assert_eq!((r.read(), r.alloc_end(), r.take_lost()), (2, 5, 2));
        assert!(r.get(2, 0).is_nan());
        r.write(1, 0, 1.0); // evicted: ignored
        r.ensure(1_000_000);
        assert_eq!(r.take_lost(), 999_996);
        assert_eq!(r.alloc_end() - r.read(), 3);
        r.consume(2);
        assert_eq!(r.read(), 1_000_000);
        assert_eq!(r.lost_total(), 999_998);
    }

    #[test]
    fn columns_wrap() {
        let mut r = Ring::new(4, 1).unwrap();
        for k in 0..6 {
            r.ensure(k);
            r.write(k, 0, k as f32);
        }
        r.take_lost();
        let [a, b] = r.column(0, 4);
        assert_eq!((a, b), (&[2.0, 3.0][..], &[4.0, 5.0][..]));
    }
}
