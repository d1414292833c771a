//! The ELOG engine: configuration, queries and the state machine here;
//! ingestion (`push_*`, frame groups) in `ingest`, readout (`fetch*`, marks)
//! in `fetch`.
//!
//! See the crate docs for the model (windows, alignment, buffer, overrun).

use alloc::string::String;
use alloc::vec::Vec;

use scpi_parser::Sink;

use crate::aggregate::{Acc, FrameAcc};
use crate::catalog::{ChannelCatalog, ChannelId, ChannelInfo};
use crate::config::{
    CalcList, DEFAULT_PERIOD, Format, Limits, TimestampMode, check_period, period_from_secs,
    required_capacity,
};
use crate::decode::Layout;
use crate::error::{Error, Result};
pub use crate::readout::{FetchMark, Fetched, fetch_count};
use crate::ring::Ring;
use crate::run::{Chan, Run, lookup};
pub use crate::state::{State, Timebase};
use crate::time::{Duration, Instant};

/// The result of [`Engine::set_items`]: what was kept and what was refused.
///
/// `Ok` does not mean every channel was kept: check
/// [`kept_nothing`](Self::kept_nothing) and [`refused`](Self::refused).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[must_use = "channels may have been refused (even all of them): check `refused` and `kept_nothing()`"]
pub struct ItemsOutcome {
    /// How many of the given channels are now the ITEMs.
    pub accepted: usize,
    /// One error per channel left out (`-224` unknown / not scalar / repeated, `-223` too many).
    pub refused: Vec<Error>,
}

impl ItemsOutcome {
    /// Whether no channel was kept: the ITEM list is now empty (every given
    /// channel was refused, or none was given). STARt would refuse with `-221`.
    pub fn kept_nothing(&self) -> bool {
        self.accepted == 0
    }
}

/// A group of channels delivered as interleaved frames ([`Engine::declare_group`]).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub struct GroupId(u16);

#[derive(Clone, Debug)]
struct Item {
    name: String,
    info: ChannelInfo,
}

/// The embeddable ELOG engine (sans-IO: time is always passed in).
#[derive(Clone, Debug)]
pub struct Engine {
    /// How many runs were started (tells the marks of one run from another's).
    runs: u64,
    limits: Limits,
    state: State,
    cause: Option<Error>,
    items: Vec<Item>,
    period: Duration,
    calcs: CalcList,
    format: Format,
    timestamp: TimestampMode,
    groups: Vec<Vec<ChannelId>>,
    run: Option<Run>,
    /// Samples pushed outside RUNNING (ignored), over the engine's life.
    ignored: u64,
}

mod fetch;
mod ingest;

impl Default for Engine {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Engine {
    /// A new engine in CONFIG with the spec's defaults and the host's limits.
    pub fn new(limits: Limits) -> Self {
        Engine {
            limits,
            state: State::Config,
            cause: None,
            items: Vec::new(),
            period: DEFAULT_PERIOD,
            calcs: CalcList::default(),
            format: Format::Ascii,
            timestamp: TimestampMode::Elog,
            groups: Vec::new(),
            run: None,
            runs: 0,
            ignored: 0,
        }
    }

    /// The host's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    // ---- configuration -------------------------------------------------

    fn require_config(&self) -> Result<()> {
        if self.state == State::Config {
            Ok(())
        } else {
            Err(Error::NotInConfig)
        }
    }

    /// `:ELOG:ITEMs`: replaces the item list with the accepted channels.
    ///
    /// Unknown, non-scalar and repeated channels are left out with a `-224`
    /// each (beyond [`Limits::max_items`]: `-223`); the others are kept.
    /// `Ok` is returned even when every channel was refused (the list is
    /// then empty): see [`ItemsOutcome::kept_nothing`].
    /// Outside CONFIG: `Err(-221)` and nothing changes.
    pub fn set_items<'a, C: ChannelCatalog + ?Sized>(
        &mut self,
        catalog: &C,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<ItemsOutcome> {
        self.require_config()?;
        let mut items: Vec<Item> = Vec::new();
        let mut refused = Vec::new();
        for name in names {
            let channel = String::from(name);
            match catalog.lookup(name) {
                None => refused.push(Error::UnknownChannel { channel }),
                Some(info) if !info.scalar => refused.push(Error::NotScalar { channel }),
                Some(info) if items.iter().any(|i| i.info.id == info.id) => {
                    refused.push(Error::DuplicateChannel { channel });
                }
                Some(_) if items.len() >= self.limits.max_items => {
                    refused.push(Error::TooManyItems { channel });
                }
                Some(info) => items.push(Item {
                    name: channel,
                    info,
                }),
            }
        }
        let accepted = items.len();
        crate::macros::elog_debug!(
            "elog-core: ITEMs set, {} kept, {} refused",
            accepted,
            refused.len()
        );
        self.items = items;
        Ok(ItemsOutcome { accepted, refused })
    }

    /// `:ELOG:PERiod` from a [`Duration`]: `(0, 3600 s]` else `-222`, unchanged.
    pub fn set_period(&mut self, period: Duration) -> Result<()> {
        self.require_config()?;
        self.period = check_period(period)?;
        Ok(())
    }

    /// `:ELOG:PERiod` from seconds as parsed from NRf.
    pub fn set_period_secs(&mut self, secs: f64) -> Result<()> {
        self.require_config()?;
        self.period = period_from_secs(secs)?;
        Ok(())
    }

    /// `:ELOG:CALCulations`.
    pub fn set_calculations(&mut self, calcs: CalcList) -> Result<()> {
        self.require_config()?;
        self.calcs = calcs;
        Ok(())
    }

    /// `:ELOG:FORMat`.
    pub fn set_format(&mut self, format: Format) -> Result<()> {
        self.require_config()?;
        self.format = format;
        Ok(())
    }

    /// `:ELOG:TIMestamp`.
    pub fn set_timestamp(&mut self, mode: TimestampMode) -> Result<()> {
        self.require_config()?;
        self.timestamp = mode;
        Ok(())
    }

    /// Raises the record capacity beyond `ceil(20 s / P) + 1` (CONFIG only).
    pub fn set_min_capacity(&mut self, records: usize) -> Result<()> {
        self.require_config()?;
        self.limits.min_capacity = records;
        Ok(())
    }

    // ---- queries -------------------------------------------------------

    /// `:ELOG:STATe?`.
    pub fn state(&self) -> State {
        self.state
    }

    /// Why the engine is INVALID (the error FETCh? reports), if it is.
    pub fn invalid_cause(&self) -> Option<&Error> {
        self.cause.as_ref()
    }

    /// The ITEM names, in order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.items.iter().map(|i| i.name.as_str())
    }

    /// The ITEM channel ids, in order.
    pub fn item_ids(&self) -> impl ExactSizeIterator<Item = ChannelId> + '_ {
        self.items.iter().map(|i| i.info.id)
    }

    /// The PERiod.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The calculations.
    pub fn calculations(&self) -> CalcList {
        self.calcs
    }

    /// The output format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The timestamp mode.
    pub fn timestamp(&self) -> TimestampMode {
        self.timestamp
    }

    /// Values per record: items × calculations.
    pub fn width(&self) -> usize {
        self.items.len() * self.calcs.len()
    }

    /// What a decoder needs to read this engine's answers back.
    pub fn layout(&self) -> Layout {
        Layout {
            format: self.format,
            timestamp: self.timestamp,
            width: self.width(),
        }
    }

    /// Writes the `ITEMs?` answer: `"a","b"` (inner quotes doubled) or `NONE`.
    pub fn write_items<S: Sink + ?Sized>(&self, out: &mut S) -> Result<()> {
        if self.items.is_empty() {
            out.write(b"NONE")?;
        }
        for (k, item) in self.items.iter().enumerate() {
            if k > 0 {
                out.write_byte(b',')?;
            }
            crate::catalog::write_quoted(out, &item.name)?;
        }
        Ok(())
    }

    /// Writes the `CALCulations?` answer (`AVG,MAX,RMS`, order as given).
    pub fn write_calculations<S: Sink + ?Sized>(&self, out: &mut S) -> Result<()> {
        for (k, c) in self.calcs.as_slice().iter().enumerate() {
            if k > 0 {
                out.write_byte(b',')?;
            }
            out.write(c.as_str().as_bytes())?;
        }
        Ok(())
    }

    /// Writes the `PERiod?` answer as NR2 seconds (`0.1`, `1.23456789`).
    ///
    /// The period is stored in whole nanoseconds; the answer is its exact
    /// decimal with trailing zeros trimmed (at least one decimal), which is
    /// the shortest decimal that reads back to the same stored period.
    pub fn write_period<S: Sink + ?Sized>(&self, out: &mut S) -> Result<()> {
        write_nr2_nanos(out, self.period.as_nanos())?;
        Ok(())
    }

    // ---- state machine -------------------------------------------------

    /// `:ELOG:STARt` at source time `now`.
    ///
    /// Refusals: RUNNING or INVALID → `-221`; no ITEMs → `-221`; binary with
    /// `TIM ABS` → `-221`, stays CONFIG; period below one sample interval of an
    /// item → `-222` naming it, **state INVALID**; buffer beyond the memory
    /// limit → `-225`, stays CONFIG.
    pub fn start(&mut self, now: Instant, timebase: Timebase) -> Result<()> {
        match self.state {
            State::Running => return Err(Error::AlreadyRunning),
            State::Invalid => return Err(Error::NotInConfig),
            State::Config => {}
        }
        if self.items.is_empty() {
            return Err(Error::NoItems);
        }
        if self.format.is_binary() && self.timestamp == TimestampMode::Abs {
            return Err(Error::AbsTimeNeedsAscii);
        }
        let p = self.period.as_nanos() as f64;
        if let Some(item) = self.items.iter().find(|i| {
            i.info
                .sample_rate
                .is_some_and(|r| !(r.is_finite() && r > 0.0 && p * r >= 1e9 - 1e-3))
        }) {
            let e = Error::PeriodBelowSampleInterval {
                channel: item.name.clone(),
            };
            crate::macros::elog_debug!("elog-core: STARt refused, period below a sample interval");
            self.state = State::Invalid;
            self.cause = Some(e.clone());
            return Err(e);
        }
        let width = self.width();
        let keep = required_capacity(self.period)
            .max(self.limits.min_capacity)
            .max(1);
        let lag = lag_windows(self.period, self.limits.lag_allowance);
        let cap = keep.saturating_add(lag);
        let bytes = cap.saturating_mul(width).saturating_mul(4);
        if bytes > self.limits.max_buffer_bytes {
            return Err(Error::BufferTooLarge { bytes });
        }
        let ring = Ring::new(cap, width).ok_or(Error::BufferTooLarge { bytes })?;
        let mut index: Vec<(ChannelId, usize)> = self
            .items
            .iter()
            .enumerate()
            .map(|(k, i)| (i.info.id, k))
            .collect();
        index.sort_unstable();
        let groups = self
            .groups
            .iter()
            .map(|g| g.iter().map(|id| lookup(&index, *id)).collect())
            .collect();
        self.runs += 1;
        self.run = Some(Run {
            start: now,
            timebase,
            t0: None,
            chans: alloc::vec![Chan { cw: 0, acc: Acc::EMPTY }; self.items.len()],
            ring,
            lag: lag as u64,
            index,
            groups,
            frame: FrameAcc::default(),
            scratch: Vec::new(),
        });
        self.state = State::Running;
        Ok(())
    }

    /// `:ELOG:STOP`: back to CONFIG, configuration kept, buffer dropped.
    pub fn stop(&mut self) {
        self.run = None;
        self.cause = None;
        self.state = State::Config;
    }

    /// `:ELOG:RESet`: back to CONFIG with all defaults and no ITEMs.
    ///
    /// Declared frame groups and the host's limits stay.
    pub fn reset(&mut self) {
        self.stop();
        self.items.clear();
        self.period = DEFAULT_PERIOD;
        self.calcs = CalcList::default();
        self.format = Format::Ascii;
        self.timestamp = TimestampMode::Elog;
    }

    /// The host reports that a channel changed (rate, type).
    ///
    /// If it is an ITEM and the state is CONFIG or RUNNING, the data set is
    /// dropped, the state becomes INVALID and the `+201` error naming the
    /// channel is returned for the error queue.
    pub fn channel_changed(&mut self, id: ChannelId) -> Option<Error> {
        self.invalidate(id, |channel| Error::ChannelChanged { channel })
    }

    /// The host reports that a channel disappeared (`+202`, otherwise as
    /// [`channel_changed`](Self::channel_changed)).
    pub fn channel_removed(&mut self, id: ChannelId) -> Option<Error> {
        self.invalidate(id, |channel| Error::ChannelRemoved { channel })
    }

    fn invalidate(&mut self, id: ChannelId, e: impl FnOnce(String) -> Error) -> Option<Error> {
        if self.state == State::Invalid {
            return None;
        }
        let item = self.items.iter().find(|i| i.info.id == id)?;
        let err = e(item.name.clone());
        crate::macros::elog_debug!("elog-core: item channel {} lost, state INVALID", id.0);
        self.run = None;
        self.state = State::Invalid;
        self.cause = Some(err.clone());
        Some(err)
    }
}

/// Windows a run lets wait for its slowest item: 2 (an item's samples are at
/// most one PERiod apart, so it closes a window at most one window after the
/// fastest item entered the next) plus `allowance` of delivery lag
/// ([`Limits::lag_allowance`], [`LAG_ALLOWANCE`](crate::config::LAG_ALLOWANCE) by default).
fn lag_windows(period: Duration, allowance: Duration) -> usize {
    let p = period.as_nanos().max(1);
    let l = allowance.as_nanos().max(0);
    let n = l / p + i64::from(l % p != 0);
    usize::try_from(n).unwrap_or(usize::MAX).saturating_add(2)
}

/// Writes a positive whole number of nanoseconds as exact NR2 seconds,
/// trailing zeros trimmed but at least one decimal.
fn write_nr2_nanos<S: Sink + ?Sized>(
    out: &mut S,
    nanos: i64,
) -> core::result::Result<(), scpi_parser::SinkError> {
    let mut b = [0u8; 32];
    let mut n = 0;
    if nanos < 0 {
        b[n] = b'-';
        n += 1;
    }
    let abs = nanos.unsigned_abs();
    let (secs, frac) = (abs / 1_000_000_000, abs % 1_000_000_000);
    let mut digits = [0u8; 20];
    let mut d = 0;
    let mut v = secs;
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for k in (0..d).rev() {
        b[n] = digits[k];
        n += 1;
    }
    b[n] = b'.';
    n += 1;
    let mut f = frac;
    let mut places = 9;
    while places > 1 && f % 10 == 0 {
        f /= 10;
        places -= 1;
    }
    for k in (0..places).rev() {
        b[n + k] = b'0' + (f % 10) as u8;
        f /= 10;
    }
    n += places;
    out.write(&b[..n])
}
