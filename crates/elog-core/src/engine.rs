//! The ELOG engine: configuration, state machine, ingestion and readout.
//!
//! See the crate docs for the model (windows, alignment, buffer, overrun).

use alloc::string::String;
use alloc::vec::Vec;
use core::num::NonZeroUsize;

use scpi_parser::Sink;

use crate::aggregate::{Acc, FrameAcc};
use crate::catalog::{ChannelCatalog, ChannelId, ChannelInfo};
use crate::config::{
    CalcList, DEFAULT_PERIOD, Format, LAG_ALLOWANCE, Limits, TimestampMode, check_period,
    period_from_secs, required_capacity,
};
use crate::decode::Layout;
use crate::error::{Error, Result};
use crate::format::{self, Table, binary::MAX_BLOCK_RECORDS};
use crate::records::{RecordTime, Records};
use crate::ring::Ring;
use crate::time::{Duration, Instant};

/// The ELOG state (`:ELOG:STATe?`).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub enum State {
    /// Configurable; no data is gathered.
    Config,
    /// Gathering data; configuration is refused.
    Running,
    /// An item changed or a STARt failed on the period; left by STOP or RESet only.
    Invalid,
}

impl State {
    /// The canonical spelling (`CONFIG`, `RUNNING`, `INVALID`).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Config => "CONFIG",
            State::Running => "RUNNING",
            State::Invalid => "INVALID",
        }
    }
}

/// How the host's time bases relate to the source timeline, given at STARt.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Timebase {
    /// The source's acquisition start (the zero of `REL` timestamps).
    pub acquisition_start: Instant,
    /// Wall clock minus source time: `wall = source + wall_offset`, where wall
    /// is time since 1970-01-01T00:00:00 in the host's local time (`ABS`).
    pub wall_offset: Duration,
}

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

/// A group of channels delivered as interleaved frames ([`Engine::declare_group`]).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub struct GroupId(u16);

/// Converts a SCPI `FETCh? [n]` count to a fetch maximum: absent or 0 → all
/// (`None`), negative → `-222`, else `Some(n)` (saturated to `usize::MAX`).
pub fn fetch_count(n: Option<i64>) -> Result<Option<NonZeroUsize>> {
    match n {
        None => Ok(None),
        Some(v) if v < 0 => Err(Error::NegativeCount),
        Some(v) => Ok(NonZeroUsize::new(usize::try_from(v).unwrap_or(usize::MAX))),
    }
}

#[derive(Clone, Debug)]
struct Item {
    name: String,
    info: ChannelInfo,
}

#[derive(Clone, Copy, Debug)]
struct Chan {
    /// The window this channel is accumulating.
    cw: u64,
    acc: Acc,
}

/// Everything that exists only while RUNNING.
#[derive(Clone, Debug)]
struct Run {
    start: Instant,
    timebase: Timebase,
    t0: Option<Instant>,
    chans: Vec<Chan>,
    ring: Ring,
    /// Windows the ring holds for items still filling them, on top of the
    /// complete records it keeps ([`lag_windows`]).
    lag: u64,
    /// Item index by channel id, sorted by id.
    index: Vec<(ChannelId, usize)>,
    /// Per group: the item index of each member (None: not an item).
    groups: Vec<Vec<Option<usize>>>,
    frame: FrameAcc,
    scratch: Vec<f64>,
}

/// Where reading stood in the record buffer: see [`Engine::fetch_mark`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchMark {
    run: u64,
    read: u64,
    lost: u64,
    lost_total: u64,
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
        let lag = lag_windows(self.period);
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

    // ---- ingestion -----------------------------------------------------

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

    // ---- readout -------------------------------------------------------

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
    /// [`MAX_BLOCK_RECORDS`](crate::format::binary::MAX_BLOCK_RECORDS) records.
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

/// Windows a run lets wait for its slowest item: 2 (an item's samples are at
/// most one PERiod apart, so it closes a window at most one window after the
/// fastest item entered the next) plus [`LAG_ALLOWANCE`] of delivery lag.
fn lag_windows(period: Duration) -> usize {
    let p = period.as_nanos().max(1);
    let l = LAG_ALLOWANCE.as_nanos();
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

fn check_interval(interval: Duration, count: usize) -> Result<i64> {
    if count > 1 && interval.as_nanos() <= 0 {
        Err(Error::BadInput {
            reason: "sample interval must be positive",
        })
    } else {
        Ok(interval.as_nanos().max(1))
    }
}

fn lookup(index: &[(ChannelId, usize)], id: ChannelId) -> Option<usize> {
    index
        .binary_search_by_key(&id, |e| e.0)
        .ok()
        .map(|k| index[k].1)
}

/// Index of the first sample at or after `target` (clamped to `0..=len`).
#[inline]
fn first_at_or_after(first: i128, dt: i128, target: i128, len: usize) -> usize {
    if target <= first {
        return 0;
    }
    let k = (target - first + dt - 1) / dt;
    if k >= len as i128 { len } else { k as usize }
}

impl Run {
    fn available(&self) -> usize {
        if self.t0.is_none() {
            return 0;
        }
        let min_cw = self.chans.iter().map(|c| c.cw).min().unwrap_or(0);
        (min_cw.max(self.ring.read()) - self.ring.read()) as usize
    }

    /// Sets `t0` from a run of samples if not yet set; returns it.
    fn align(&mut self, first: i128, dt: i128, len: usize) -> Option<i128> {
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

    fn finish(&mut self, item: usize, calcs: CalcList) {
        let ch = &mut self.chans[item];
        let nc = calcs.len();
        for (j, &c) in calcs.as_slice().iter().enumerate() {
            self.ring.write(ch.cw, item * nc + j, ch.acc.value(c));
        }
        ch.acc = Acc::EMPTY;
    }

    fn ingest(
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

    fn ingest_frames(
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

/// The fetchable head of the ring, as a [`Table`] for the formatters.
struct View<'a> {
    run: &'a Run,
    n: usize,
    mode: TimestampMode,
    period: i64,
    width: usize,
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
