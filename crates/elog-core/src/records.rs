//! Owned batches of records, as [`Engine::fetch`](crate::Engine::fetch) and the
//! decoders return them.
//!
//! A [`Records`] batch is column-major: column `c` (channel-major:
//! `item * calcs + calc`) holds one `f32` per record, exactly the layout of
//! the binary FETCh? blocks. Timestamps are kept per record when present.

use alloc::vec::Vec;

use crate::time::Duration;

/// The timestamp of one record.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub enum RecordTime {
    /// Seconds since a reference (`ELOG`: since `t0`; `REL`: since acquisition start).
    Elapsed(Duration),
    /// Wall-clock time (`ABS`), as time since 1970-01-01T00:00:00 in the host's
    /// local time (UTC where the host has no zone); no leap seconds.
    Wall(Duration),
}

impl RecordTime {
    /// The time as nanoseconds (since the reference or since the Unix epoch).
    pub fn as_nanos(self) -> i64 {
        match self {
            RecordTime::Elapsed(d) | RecordTime::Wall(d) => d.as_nanos(),
        }
    }

    /// The same kind of time rounded to whole microseconds (what ASCII carries).
    pub fn round_micros(self) -> RecordTime {
        let r = |d: Duration| Duration::from_micros(d.round_micros());
        match self {
            RecordTime::Elapsed(d) => RecordTime::Elapsed(r(d)),
            RecordTime::Wall(d) => RecordTime::Wall(r(d)),
        }
    }
}

/// A batch of records with `width` values each, column-major.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Records {
    width: usize,
    len: usize,
    times: Vec<RecordTime>,
    values: Vec<f32>,
}

impl Records {
    /// An empty batch of records with `width` values each.
    pub fn new(width: usize) -> Self {
        Records {
            width,
            len: 0,
            times: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Builds a batch from columns (`columns.len() == width * len`, column-major)
    /// and optional times (`times.len()` is `len` or 0). `None` if the sizes disagree.
    pub fn from_columns(
        width: usize,
        len: usize,
        times: Vec<RecordTime>,
        columns: Vec<f32>,
    ) -> Option<Self> {
        let ok = width.checked_mul(len) == Some(columns.len())
            && (times.is_empty() || times.len() == len);
        ok.then_some(Records {
            width,
            len,
            times,
            values: columns,
        })
    }

    /// Builds a batch from rows of `width` values; rows of another length give `None`.
    pub fn from_rows<'a>(
        width: usize,
        rows: impl IntoIterator<Item = (Option<RecordTime>, &'a [f32])>,
    ) -> Option<Self> {
        let mut times = Vec::new();
        let mut rowvals: Vec<f32> = Vec::new();
        let mut len = 0usize;
        let mut with_time = None;
        for (t, vals) in rows {
            if vals.len() != width || *with_time.get_or_insert(t.is_some()) != t.is_some() {
                return None;
            }
            times.extend(t);
            rowvals.extend_from_slice(vals);
            len += 1;
        }
        let mut values = alloc::vec![0.0f32; rowvals.len()];
        for (i, row) in rowvals.chunks_exact(width.max(1)).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                values[c * len + i] = v;
            }
        }
        Some(Records {
            width,
            len,
            times,
            values,
        })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Values per record.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether records carry timestamps.
    pub fn has_times(&self) -> bool {
        !self.times.is_empty()
    }

    /// The timestamp of record `i` (`None` without timestamps or out of range).
    pub fn time(&self, i: usize) -> Option<RecordTime> {
        self.times.get(i).copied()
    }

    /// All timestamps (empty without timestamps).
    pub fn times(&self) -> &[RecordTime] {
        &self.times
    }

    /// Value `col` of record `i` (`None` out of range).
    pub fn value(&self, i: usize, col: usize) -> Option<f32> {
        if i >= self.len || col >= self.width {
            return None;
        }
        self.values.get(col * self.len + i).copied()
    }

    /// Column `col`: one value per record (empty out of range).
    pub fn column(&self, col: usize) -> &[f32] {
        if col >= self.width {
            return &[];
        }
        &self.values[col * self.len..(col + 1) * self.len]
    }

    /// The values of record `i`, in record order (channel-major).
    pub fn row(&self, i: usize) -> impl Iterator<Item = f32> + '_ {
        (0..if i < self.len { self.width } else { 0 }).map(move |c| self.values[c * self.len + i])
    }

    /// Appends the records of `other` (same width; `false` and unchanged otherwise).
    pub fn append(&mut self, other: &Records) -> bool {
        if other.width != self.width
            || (self.len > 0 && other.len > 0 && self.has_times() != other.has_times())
        {
            return false;
        }
        let n = self.len + other.len;
        let mut values = Vec::with_capacity(self.width * n);
        for c in 0..self.width {
            values.extend_from_slice(self.column(c));
            values.extend_from_slice(other.column(c));
        }
        self.times.extend_from_slice(&other.times);
        self.values = values;
        self.len = n;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_columns() {
        let t = |s| Some(RecordTime::Elapsed(Duration::from_millis(s)));
        let r =
            Records::from_rows(2, [(t(100), &[1.0, 2.0][..]), (t(200), &[3.0, 4.0][..])]).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.column(0), &[1.0, 3.0]);
        assert_eq!(r.column(1), &[2.0, 4.0]);
        assert_eq!(r.row(1).collect::<Vec<_>>(), [3.0, 4.0]);
        assert_eq!(r.value(1, 1), Some(4.0));
        assert_eq!(r.value(2, 0), None);
        assert_eq!(r.time(1), t(200));
        assert!(Records::from_rows(2, [(None, &[1.0][..])]).is_none());
        assert!(Records::from_rows(1, [(None, &[1.0][..]), (t(1), &[1.0][..])]).is_none());
        let mut a = r.clone();
        assert!(a.append(&r));
        assert_eq!(a.column(1), &[2.0, 4.0, 2.0, 4.0]);
        assert_eq!(
            RecordTime::Wall(Duration::from_nanos(1_500)).round_micros(),
            RecordTime::Wall(Duration::from_micros(2))
        );
    }
}
