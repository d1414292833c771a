//! Readout: what is waiting, the fetches, and the marks that give an
//! undelivered answer back.

use alloc::vec::Vec;
use core::num::NonZeroUsize;

use scpi_parser::Sink;

use crate::error::{Error, Result};
use crate::format::{self, Table, binary::MAX_BLOCK_RECORDS};
use crate::readout::{FetchMark, Fetched, View};
use crate::records::Records;
use crate::run::Run;
use crate::time::Instant;

use super::{Engine, State};

impl Engine {
    fn require_running(&self) -> Result<&Run> {
        match (&self.state, &self.run) {
            (State::Running, Some(run)) => Ok(run),
            (State::Invalid, _) => Err(self.cause.clone().unwrap_or(Error::NotRunning)),
            _ => Err(Error::NotRunning),
        }
    }

    /// Complete records waiting to be fetched (0 outside RUNNING).
    pub fn available(&self) -> usize {
        self.run.as_ref().map_or(0, Run::available)
    }

    /// Samples (values, for frames) pushed while the engine was not RUNNING
    /// and therefore ignored, counted over the engine's whole life.
    pub fn ignored_samples(&self) -> u64 {
        self.ignored
    }

    /// How many complete records the buffer keeps at least:
    /// `max(ceil(20 s / P) + 1, Limits::min_capacity)` (0 outside RUNNING).
    ///
    /// Windows still waiting for an item take the
    /// [`lag_windows`](Self::lag_windows) slots held on top of these, so the
    /// guarantee holds whenever no item is more than that many windows
    /// behind the newest (every item's samples are at most one PERiod
    /// apart, so that is: every item delivers within
    /// [`LAG_ALLOWANCE`](crate::config::LAG_ALLOWANCE) of the fastest). An
    /// item lagging further makes its waiting windows take slots of complete
    /// records; evictions are counted as always.
    pub fn capacity(&self) -> usize {
        self.run
            .as_ref()
            .map_or(0, |r| r.ring.cap() - r.lag as usize)
    }

    /// How many windows the buffer holds on top of
    /// [`capacity`](Self::capacity) for items still filling them (0 outside
    /// RUNNING): `2 + ceil(2 s / P)` (see
    /// [`LAG_ALLOWANCE`](crate::config::LAG_ALLOWANCE)). The buffer takes
    /// `(capacity + lag_windows) × width × 4` bytes, allocated at STARt.
    pub fn lag_windows(&self) -> usize {
        self.run.as_ref().map_or(0, |r| r.lag as usize)
    }

    /// Windows held in the buffer, complete or still filling
    /// (≤ [`capacity`](Self::capacity) + [`lag_windows`](Self::lag_windows)).
    pub fn buffered(&self) -> usize {
        self.run
            .as_ref()
            .map_or(0, |r| (r.ring.alloc_end() - r.ring.read()) as usize)
    }

    /// Records lost to overrun in this run (fetched losses included).
    pub fn lost_total(&self) -> u64 {
        self.run.as_ref().map_or(0, |r| r.ring.lost_total())
    }

    /// Index of the oldest record neither fetched nor lost yet (0 outside RUNNING).
    ///
    /// Every record below it was either returned by a fetch exactly once or
    /// counted in [`lost_total`](Self::lost_total).
    pub fn read_position(&self) -> u64 {
        self.run.as_ref().map_or(0, |r| r.ring.read())
    }

    /// The ELOG time origin `t0` of the run, once the first sample arrived.
    pub fn t0(&self) -> Option<Instant> {
        self.run.as_ref().and_then(|r| r.t0)
    }

    fn view(&self, max: Option<NonZeroUsize>) -> Result<View<'_>> {
        let run = self.require_running()?;
        let avail = run.available();
        let n = max
            .map_or(avail, |m| avail.min(m.get()))
            .min(MAX_BLOCK_RECORDS);
        Ok(View {
            run,
            n,
            mode: self.timestamp,
            period: self.period.as_nanos(),
            width: self.width(),
        })
    }

    /// `:ELOG:FETCh? [max]` into any sink in the configured format: at most
    /// `max` records (`None` = all available), oldest first, or `NONE`.
    /// One answer holds at most
    /// [`MAX_BLOCK_RECORDS`] records.
    ///
    /// Records are consumed only when the whole answer was written; on a sink
    /// error nothing is consumed (a fixed sink may hold a partial answer).
    /// Outside RUNNING: `-221` in CONFIG, the INVALID cause otherwise.
    pub fn fetch_into<S: Sink + ?Sized>(
        &mut self,
        max: Option<NonZeroUsize>,
        out: &mut S,
    ) -> Result<Fetched> {
        let view = self.view(max)?;
        let n = view.n;
        format::encode_table(&view, self.format, out)?;
        // The records go only once the whole answer is accepted (a sink may
        // stage its last bytes).
        out.flush().map_err(Error::Output)?;
        Ok(self.consume(n))
    }

    /// Where reading stands now (`None` outside a run): taken before fetches
    /// whose answers may yet be refused, and handed to
    /// [`rewind_fetch`](Self::rewind_fetch) if they are.
    pub fn fetch_mark(&self) -> Option<FetchMark> {
        let ring = &self.run.as_ref()?.ring;
        Some(FetchMark {
            run: self.runs,
            read: ring.read(),
            lost: ring.lost(),
            lost_total: ring.lost_total(),
        })
    }

    /// Gives back what the fetches since `mark` took, because their answer
    /// never reached the client (a transport dropped it): the next fetch
    /// returns those records again, and reports again a `+203` count they
    /// took. Records evicted by newer ones in the meantime are counted as
    /// lost instead. A mark of an earlier run, or no run, changes nothing.
    pub fn rewind_fetch(&mut self, mark: FetchMark) {
        if mark.run != self.runs {
            return;
        }
        if let Some(run) = self.run.as_mut() {
            run.ring.rewind(mark.read, mark.lost, mark.lost_total);
        }
    }

    /// [`fetch_into`](Self::fetch_into) onto a `Vec`, with the binary payload
    /// converted in place (no byte-shifted copy).
    pub fn fetch_into_vec(
        &mut self,
        max: Option<NonZeroUsize>,
        out: &mut Vec<u8>,
    ) -> Result<Fetched> {
        let view = self.view(max)?;
        let n = view.n;
        let mark = out.len();
        if let Err(e) = format::encode_table_vec(&view, self.format, out) {
            out.truncate(mark);
            return Err(e);
        }
        Ok(self.consume(n))
    }

    /// Takes at most `max` records (`None` = all available) as an owned batch.
    pub fn fetch(&mut self, max: Option<NonZeroUsize>) -> Result<(Records, Fetched)> {
        let view = self.view(max)?;
        let n = view.n;
        let mut cols = Vec::with_capacity(view.width * n);
        for c in 0..view.width {
            for piece in view.column(c) {
                cols.extend_from_slice(piece);
            }
        }
        let times = if view.mode.is_on() {
            (0..n).map(|i| view.time(i)).collect()
        } else {
            Vec::new()
        };
        let records = Records::from_columns(view.width, n, times, cols)
            .unwrap_or_else(|| Records::new(view.width));
        Ok((records, self.consume(n)))
    }

    /// Takes the count of records lost since the last fetch as a `+203` error, if any.
    pub fn take_lost(&mut self) -> Option<Error> {
        let lost = self.run.as_mut().map_or(0, |r| r.ring.take_lost());
        (lost > 0).then_some(Error::RecordsLost { count: lost })
    }

    fn consume(&mut self, n: usize) -> Fetched {
        match &mut self.run {
            Some(run) => {
                run.ring.consume(n as u64);
                Fetched {
                    records: n,
                    lost: run.ring.take_lost(),
                }
            }
            None => Fetched::default(),
        }
    }
}
