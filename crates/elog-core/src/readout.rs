//! Reading records out: the fetch maximum, what a fetch returned, the
//! marks that give an undelivered answer back, and the fetchable head of a
//! run's ring as a [`Table`] for the formatters.

use core::num::NonZeroUsize;

use crate::config::TimestampMode;
use crate::error::{Error, Result};
use crate::format::Table;
use crate::records::RecordTime;
use crate::run::Run;
use crate::time::{Duration, Instant};

/// Converts a SCPI `FETCh? [n]` count to a fetch maximum: absent or 0 → all
/// (`None`), negative → `-222`, else `Some(n)` (saturated to `usize::MAX`).
pub fn fetch_count(n: Option<i64>) -> Result<Option<NonZeroUsize>> {
    match n {
        None => Ok(None),
        Some(v) if v < 0 => Err(Error::NegativeCount),
        Some(v) => Ok(NonZeroUsize::new(usize::try_from(v).unwrap_or(usize::MAX))),
    }
}

/// What a fetch returned besides the records.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Fetched {
    /// Records written (and consumed).
    pub records: usize,
    /// Records lost to overrun since the previous fetch (0 if none).
    pub lost: u64,
}

impl Fetched {
    /// The `+203` error to queue when records were lost.
    pub fn lost_error(&self) -> Option<Error> {
        (self.lost > 0).then_some(Error::RecordsLost { count: self.lost })
    }
}

/// Where reading stood in the record buffer: see [`Engine::fetch_mark`](crate::Engine::fetch_mark).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchMark {
    pub(crate) run: u64,
    pub(crate) read: u64,
    pub(crate) lost: u64,
    pub(crate) lost_total: u64,
}

/// The fetchable head of the ring, as a [`Table`] for the formatters.
pub(crate) struct View<'a> {
    pub(crate) run: &'a Run,
    pub(crate) n: usize,
    pub(crate) mode: TimestampMode,
    pub(crate) period: i64,
    pub(crate) width: usize,
}

impl Table for View<'_> {
    fn len(&self) -> usize {
        self.n
    }

    fn width(&self) -> usize {
        self.width
    }

    fn has_times(&self) -> bool {
        self.mode.is_on()
    }

    fn time(&self, i: usize) -> RecordTime {
        let k = i128::from(self.run.ring.read()) + i as i128 + 1;
        let since_t0 = k * i128::from(self.period);
        let t0 = i128::from(self.run.t0.map_or(0, Instant::as_nanos));
        let sat = |v: i128| {
            Duration::from_nanos(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
        };
        let tb = self.run.timebase;
        match self.mode {
            TimestampMode::Rel => RecordTime::Elapsed(sat(
                t0 + since_t0 - i128::from(tb.acquisition_start.as_nanos())
            )),
            TimestampMode::Abs => {
                RecordTime::Wall(sat(t0 + since_t0 + i128::from(tb.wall_offset.as_nanos())))
            }
            TimestampMode::Elog | TimestampMode::Off => RecordTime::Elapsed(sat(since_t0)),
        }
    }

    fn value(&self, i: usize, col: usize) -> f32 {
        self.run.ring.get(self.run.ring.read() + i as u64, col)
    }

    fn column(&self, col: usize) -> [&[f32]; 2] {
        self.run.ring.column(col, self.n)
    }
}
