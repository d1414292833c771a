//! The ELOG instrument: `elog-core`'s engine and the channel registry bound to
//! `scpi-parser`'s [`Device`] trait.
//!
//! Pure: no socket, no thread, no clock. The acquisition tells the instrument
//! how far source time has advanced ([`ElogInstrument::advance_to`]) and
//! pushes samples; a transport feeds program messages through a
//! [`Session`](scpi_parser::Session) per connection, all sharing one
//! instrument (and so one ELOG session).
//!
//! ```
//! use elog::{ElogInstrument, scpi_parser::Session};
//! use elog::elog_core::{Duration, Instant};
//!
//! let tree = ElogInstrument::tree();
//! let mut inst = ElogInstrument::default();
//! let a = inst.register_channel("AI 1/1", 1000.0).unwrap();
//! let mut session = Session::new();
//! let mut out = Vec::new();
//! session.process(&tree, b":ELOG:ITEM \"AI 1/1\";:ELOG:TIM OFF;:ELOG:STAR", &mut inst, &mut out);
//! inst.push_batch(a, Instant::ZERO, Duration::from_millis(1), &[0.5; 201]).unwrap();
//! session.process(&tree, b":ELOG:FETC?", &mut inst, &mut out);
//! assert_eq!(out, b"5.0E-1,5.0E-1\n");
//! ```

mod commands;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use elog_core::{
    Calc, CalcList, ChannelId, Duration, Engine, FetchMark, Format, Instant, Limits, State,
    Timebase, TimestampMode, fetch_count,
};
use scpi_parser::error::DETAIL_CAPACITY;
use scpi_parser::{Call, Device, Error, Identity};

pub use commands::{Command, ElogTree, TREE_NODES, build_tree};

use crate::registry::{ChannelRegistry, RegistryError};
use crate::source::SampleBuffer;

/// The protocol version `*VER?` reports (OXYGEN clients need at least 1.7 for ELOG).
pub const PROTOCOL_VERSION: &str = "1.10";

/// Who the instrument says it is (`*IDN?`, `*VER?`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct IdentityInfo {
    /// `*IDN?` field 1.
    pub manufacturer: String,
    /// `*IDN?` field 2, and the product name in `*VER?`.
    pub model: String,
    /// `*IDN?` field 3.
    pub serial: String,
    /// `*IDN?` field 4, and the quoted product version in `*VER?`.
    pub version: String,
}

impl Default for IdentityInfo {
    /// `elog,ELOG,0,<crate version>`.
    fn default() -> Self {
        Self {
            manufacturer: "elog".into(),
            model: "ELOG".into(),
            serial: "0".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// How to build an [`ElogInstrument`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct InstrumentConfig {
    /// `*IDN?` / `*VER?` identity.
    pub identity: IdentityInfo,
    /// The engine's memory limits.
    pub limits: Limits,
}

impl InstrumentConfig {
    /// The defaults with this identity.
    #[must_use]
    pub fn with_identity(mut self, identity: IdentityInfo) -> Self {
        self.identity = identity;
        self
    }

    /// The defaults with these engine limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// The source time "now" as a live acquisition's clock reads it: what STARt
/// uses as its time, so that no sample taken before the command enters a
/// record even when the acquisition has not yet delivered up to now.
#[derive(Clone)]
pub struct SourceClock(Arc<dyn Fn() -> Instant + Send + Sync>);

impl SourceClock {
    /// A clock reading source time from `now`.
    pub fn new(now: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// Source time now.
    pub fn now(&self) -> Instant {
        (self.0)()
    }
}

impl core::fmt::Debug for SourceClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("SourceClock").field(&self.now()).finish()
    }
}

/// The ELOG instrument: one engine (the ELOG session), the channel registry,
/// the identity, and the source time the acquisition has reached.
#[derive(Clone, Debug)]
pub struct ElogInstrument {
    engine: Engine,
    registry: ChannelRegistry,
    identity: IdentityInfo,
    now: Instant,
    /// The live source clock, if an acquisition runs on one.
    clock: Option<SourceClock>,
    timebase: Timebase,
    numeric_number: i64,
    /// Where reading stood when the current program message started.
    fetch_mark: Option<FetchMark>,
}

impl Default for ElogInstrument {
    fn default() -> Self {
        Self::new(InstrumentConfig::default())
    }
}

/// Maps an engine error 1:1 onto an SCPI error-queue entry (code, text,
/// detail): the same as `scpi_parser::Error::from(e)`, the one mapping,
/// which `elog-core` defines.
pub fn scpi_error(e: &elog_core::Error) -> Error {
    Error::from(e)
}

impl ElogInstrument {
    /// A new instrument in CONFIG with no channels, at source time zero.
    pub fn new(config: InstrumentConfig) -> Self {
        Self {
            engine: Engine::new(config.limits),
            registry: ChannelRegistry::new(),
            identity: config.identity,
            now: Instant::ZERO,
            clock: None,
            timebase: Timebase::default(),
            numeric_number: 0,
            fetch_mark: None,
        }
    }

    /// The command tree every connection resolves headers with.
    pub fn tree() -> ElogTree {
        // The declarations are constant and fit TREE_NODES (a unit test
        // builds them); an error here is a programming error caught by tests.
        build_tree().unwrap_or_else(|_| ElogTree::new_sized())
    }

    /// The ELOG engine (configuration, state, buffer).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The ELOG engine, mutably (for hosts that drive it directly).
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The channel registry.
    pub fn registry(&self) -> &ChannelRegistry {
        &self.registry
    }

    /// The identity.
    pub fn identity_info(&self) -> &IdentityInfo {
        &self.identity
    }

    /// Registers a scalar channel of `rate` Hz; returns its stable id.
    pub fn register_channel(&mut self, name: &str, rate: f64) -> Result<ChannelId, RegistryError> {
        self.registry.register(name, rate)
    }

    /// Registers a channel with any scalar flag and rate (`None`: asynchronous,
    /// no period check at STARt). Non-scalar channels are listed but refused
    /// as ITEMs.
    pub fn register_channel_with(
        &mut self,
        name: &str,
        scalar: bool,
        rate: Option<f64>,
    ) -> Result<ChannelId, RegistryError> {
        self.registry.register_with(name, scalar, rate)
    }

    /// Removes a channel. If it is an ELOG item (in CONFIG or RUNNING) the data
    /// set is dropped, the state becomes INVALID and the `+202` error naming it
    /// is returned (FETCh? reports it too).
    pub fn remove_channel(&mut self, id: ChannelId) -> Option<elog_core::Error> {
        self.registry.remove(id)?;
        self.engine.channel_removed(id)
    }

    /// Changes a channel's rate; an item becomes INVALID (`+201`, returned).
    pub fn change_channel_rate(
        &mut self,
        id: ChannelId,
        rate: f64,
    ) -> Result<Option<elog_core::Error>, RegistryError> {
        self.registry.set_rate(id, rate)?;
        Ok(self.engine.channel_changed(id))
    }

    /// The source time the acquisition has delivered up to (STARt happens
    /// here, or later with a live clock: see [`set_clock`](Self::set_clock)).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Advances source time to `now` (never backwards).
    pub fn advance_to(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    /// Sets (or clears) the live source clock. STARt then happens at the
    /// later of the clock's time and [`now`](Self::now): samples the
    /// acquisition delivers afterwards but took before the command are
    /// left out (t0 never precedes STARt). The threaded acquisition sets it.
    pub fn set_clock(&mut self, clock: Option<SourceClock>) {
        self.clock = clock;
    }

    /// The source time STARt would use now: the live clock's time (when
    /// set), never before [`now`](Self::now).
    pub fn start_time(&self) -> Instant {
        self.clock
            .as_ref()
            .map_or(self.now, |c| c.now().max(self.now))
    }

    /// The time bases REL and ABS timestamps refer to.
    pub fn timebase(&self) -> Timebase {
        self.timebase
    }

    /// Sets the time bases (the acquisition does, at its start).
    pub fn set_timebase(&mut self, timebase: Timebase) {
        self.timebase = timebase;
    }

    /// Pushes uniformly spaced samples of one channel into the engine.
    pub fn push_batch(
        &mut self,
        channel: ChannelId,
        first: Instant,
        interval: Duration,
        samples: &[f64],
    ) -> Result<(), elog_core::Error> {
        self.engine.push_batch(channel, first, interval, samples)
    }

    /// Pushes everything in `buffer`; `ids[slot]` is the channel of each slot.
    /// Batches of unknown slots, and of channels that are not items of the
    /// running ELOG session, are skipped (outside RUNNING the engine counts
    /// them as ignored, see [`Engine::ignored_samples`]).
    pub fn ingest(
        &mut self,
        ids: &[ChannelId],
        buffer: &SampleBuffer,
    ) -> Result<(), elog_core::Error> {
        for batch in buffer.batches() {
            let Some(&id) = ids.get(batch.slot) else {
                continue;
            };
            match batch.times {
                Some(times) => {
                    for (&t, &v) in times.iter().zip(batch.samples) {
                        match self.engine.push_sample(id, t, v) {
                            Ok(()) => {}
                            // Not an item of the run: the whole batch is not.
                            Err(elog_core::Error::NotAnItem { .. }) => break,
                            Err(e) => return Err(e),
                        }
                    }
                }
                None => {
                    match self
                        .engine
                        .push_batch(id, batch.first, batch.interval, batch.samples)
                    {
                        // A source carries every channel it has; the run
                        // takes only its items.
                        Ok(()) | Err(elog_core::Error::NotAnItem { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    fn set_items(&mut self, call: &mut Call<'_>) -> Result<(), Error> {
        let args = call.args();
        let names: Vec<Cow<'_, str>> = args.strings().map(|s| s.to_text()).collect();
        let outcome = self
            .engine
            .set_items(&self.registry, names.iter().map(|n| n.as_ref()))
            .map_err(Error::from)?;
        for e in &outcome.refused {
            call.push_error(self.refusal(e));
        }
        Ok(())
    }

    /// The error-queue entry of a refused ITEM; an unknown channel's detail
    /// names the first channels that exist, as many as fit the detail
    /// (`unknown channel AI 9/9 (e.g. AI 1/1, AI 1/2)`).
    fn refusal(&self, e: &elog_core::Error) -> Error {
        let elog_core::Error::UnknownChannel { channel } = e else {
            return Error::from(e);
        };
        let mut detail = alloc::format!("unknown channel {channel}");
        let mut hint = String::new();
        for ch in self.registry.iter() {
            let sep = if hint.is_empty() { " (e.g. " } else { ", " };
            if detail.len() + hint.len() + sep.len() + ch.name.len() + 1 > DETAIL_CAPACITY {
                break;
            }
            hint.push_str(sep);
            hint.push_str(ch.name);
        }
        if !hint.is_empty() {
            detail.push_str(&hint);
            detail.push(')');
        }
        Error::from(e).with_detail(&detail)
    }

    /// STARt: in CONFIG the items are first resolved again, so a run never
    /// starts on a channel that disappeared (or changed) since ITEMs was set.
    fn start(&mut self) -> Result<(), elog_core::Error> {
        if self.engine.state() == State::Config {
            let names: Vec<String> = self.engine.items().map(String::from).collect();
            if let Some(gone) = names.iter().find(|n| self.registry.id_of(n).is_none()) {
                return Err(elog_core::Error::ChannelRemoved {
                    channel: gone.clone(),
                });
            }
            // Picks up rate changes (and a channel that came back under a new id).
            let outcome = self
                .engine
                .set_items(&self.registry, names.iter().map(String::as_str))?;
            if let Some(e) = outcome.refused.into_iter().next() {
                return Err(e);
            }
        }
        self.engine.start(self.start_time(), self.timebase)
    }

    fn set_calculations(&mut self, call: &mut Call<'_>) -> Result<(), Error> {
        // The state first: outside CONFIG any CALC is -221, repeated or not.
        if self.engine.state() != State::Config {
            return Err(Error::from(elog_core::Error::NotInConfig));
        }
        let args = call.args();
        let mut calcs = [Calc::Avg; 4];
        let mut n = 0;
        for i in args.choices() {
            let c = Calc::ALL[i];
            if calcs[..n].contains(&c) || n == calcs.len() {
                return Err(Error::from(elog_core::Error::RepeatedCalculation {
                    calc: c,
                }));
            }
            calcs[n] = c;
            n += 1;
        }
        let list = CalcList::new(&calcs[..n]).map_err(Error::from)?;
        self.engine.set_calculations(list).map_err(Error::from)
    }

    fn fetch(&mut self, call: &mut Call<'_>) -> Result<(), Error> {
        // The count is declared as any number, so that every value the
        // parser can read reaches this handler and gets a line (`ERROR` for
        // a bad one) instead of leaving the client waiting. Outside RUNNING
        // the state is the error, whatever the count.
        let n = call.args().opt_f64(0)?;
        let result = if self.engine.state() != State::Running {
            self.engine.fetch_into(None, &mut *call.response())
        } else {
            let n = match n {
                Some(v) if v.is_nan() => {
                    call.response().raw(b"ERROR")?;
                    return Err(Error::new(scpi_parser::error::code::DATA_OUT_OF_RANGE)
                        .with_detail("record count is not a number"));
                }
                Some(v) if v < 0.0 => Some(-1),
                Some(v) if v >= 9.0e18 => Some(i64::MAX),
                // Half away from zero, as NR1 rounding of a decimal.
                Some(v) => Some((v + 0.5) as i64),
                None => None,
            };
            fetch_count(n).and_then(|max| self.engine.fetch_into(max, &mut *call.response()))
        };
        match result {
            Ok(fetched) => {
                if let Some(e) = fetched.lost_error() {
                    call.push_error(Error::from(e));
                }
                Ok(())
            }
            Err(elog_core::Error::Output(e)) => Err(Error::from(e)),
            Err(e) => {
                call.response().raw(b"ERROR")?;
                Err(Error::from(e))
            }
        }
    }

    fn channel_names(&self, call: &mut Call<'_>) -> Result<(), Error> {
        let r = call.response();
        if self.registry.is_empty() {
            return r.raw(b"NONE");
        }
        for (k, ch) in self.registry.iter().enumerate() {
            if k > 0 {
                r.comma()?;
            }
            r.raw(b"(\"")?;
            r.nr1(i64::from(ch.info.id.0))?;
            r.raw(b"\",")?;
            r.string(ch.name)?;
            r.raw(b")")?;
        }
        Ok(())
    }

    fn channel_ids(&self, call: &mut Call<'_>) -> Result<(), Error> {
        let args = call.args();
        let mut ids: Vec<ChannelId> = Vec::new();
        if args.list_len() == 0 {
            ids.extend(self.registry.iter().map(|c| c.info.id));
        } else {
            for name in args.strings() {
                let name = name.to_text();
                match self.registry.id_of(&name) {
                    Some(id) => ids.push(id),
                    None => call.push_error(Error::from(elog_core::Error::UnknownChannel {
                        channel: name.into_owned(),
                    })),
                }
            }
        }
        let r = call.response();
        if ids.is_empty() {
            return r.raw(b"NONE");
        }
        for (k, id) in ids.iter().enumerate() {
            if k > 0 {
                r.comma()?;
            }
            r.raw(b"\"")?;
            r.nr1(i64::from(id.0))?;
            r.raw(b"\"")?;
        }
        Ok(())
    }

    fn version(&self, call: &mut Call<'_>) -> Result<(), Error> {
        let r = call.response();
        r.raw(b"SCPI,\"1999.0\",RC_SCPI,\"")?;
        r.raw(PROTOCOL_VERSION.as_bytes())?;
        r.raw(b"\",")?;
        r.raw(self.identity.model.as_bytes())?;
        r.comma()?;
        r.string(&self.identity.version)
    }
}

impl Device for ElogInstrument {
    type Command = Command;

    fn execute(&mut self, command: Command, call: &mut Call<'_>) -> Result<(), Error> {
        let engine_err = Error::from;
        match command {
            Command::Items => self.set_items(call)?,
            Command::ItemsQuery => self
                .engine
                .write_items(call.response())
                .map_err(engine_err)?,
            Command::Period => {
                let secs = call.args().f64(0)?;
                self.engine.set_period_secs(secs).map_err(engine_err)?;
            }
            Command::PeriodQuery => self
                .engine
                .write_period(call.response())
                .map_err(engine_err)?,
            Command::Calculations => self.set_calculations(call)?,
            Command::CalculationsQuery => self
                .engine
                .write_calculations(call.response())
                .map_err(engine_err)?,
            Command::Format => {
                let f = Format::ALL[call.args().choice(0)?];
                self.engine.set_format(f).map_err(engine_err)?;
            }
            Command::FormatQuery => call.response().chars(self.engine.format().as_str())?,
            Command::Timestamp => {
                let m = TimestampMode::ALL[call.args().choice(0)?];
                self.engine.set_timestamp(m).map_err(engine_err)?;
            }
            Command::TimestampQuery => call.response().chars(self.engine.timestamp().as_str())?,
            Command::Start => self.start().map_err(engine_err)?,
            Command::Stop => self.engine.stop(),
            Command::Reset => self.engine.reset(),
            Command::StateQuery => call.response().chars(self.engine.state().as_str())?,
            Command::FetchQuery => self.fetch(call)?,
            Command::VersionQuery => self.version(call)?,
            Command::ChannelNamesQuery => self.channel_names(call)?,
            Command::ChannelIdsQuery => self.channel_ids(call)?,
            Command::NumericItemsQuery => call.response().raw(b"NONE")?,
            Command::NumericNumber => self.numeric_number = call.args().i64(0)?,
            Command::NumericNumberQuery => call.response().nr1(self.numeric_number)?,
        }
        Ok(())
    }

    fn message_started(&mut self) {
        self.fetch_mark = self.engine.fetch_mark();
    }

    fn answer_refused(&mut self) {
        // The FETCh? answers of this message will not reach the client: the
        // records (and a +203 count) they took are read again next time.
        if let Some(mark) = self.fetch_mark.take() {
            self.engine.rewind_fetch(mark);
        }
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            manufacturer: &self.identity.manufacturer,
            model: &self.identity.model,
            serial: &self.identity.serial,
            version: &self.identity.version,
        }
    }

    /// `*RST`: the ELOG subsystem back to its defaults (as `:ELOG:RESet`).
    fn reset(&mut self) {
        self.engine.reset();
        self.numeric_number = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scpi_parser::Session;

    fn run(inst: &mut ElogInstrument, s: &mut Session, msg: &str) -> String {
        let tree = ElogInstrument::tree();
        let mut out = Vec::new();
        s.process(&tree, msg.as_bytes(), inst, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn example_session() {
        let mut inst = ElogInstrument::default();
        let a = inst.register_channel("AI 1/1", 1000.0).unwrap();
        let b = inst.register_channel("AI 1/2", 1000.0).unwrap();
        let mut s = Session::new();
        let r = run(
            &mut inst,
            &mut s,
            ":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MIN;:ELOG:TIM OFF",
        );
        assert_eq!(r, "");
        assert_eq!(run(&mut inst, &mut s, ":ELOG:STAR"), "");
        let ms = Duration::from_millis(1);
        inst.push_batch(a, Instant::ZERO, ms, &[1.0; 301]).unwrap();
        inst.push_batch(b, Instant::ZERO, ms, &[-2.5; 301]).unwrap();
        assert_eq!(
            run(&mut inst, &mut s, ":ELOG:FETC? 2"),
            "1.0E+0,1.0E+0,-2.5E+0,-2.5E+0,1.0E+0,1.0E+0,-2.5E+0,-2.5E+0\n"
        );
        assert_eq!(run(&mut inst, &mut s, ":SYST:ERR?"), "0,\"No error\"\n");
    }

    #[test]
    fn non_scalar_and_changed_channels() {
        let mut inst = ElogInstrument::default();
        inst.register_channel_with("spectrum", false, Some(10.0))
            .unwrap();
        let a = inst.register_channel("a", 100.0).unwrap();
        let mut s = Session::new();
        run(&mut inst, &mut s, ":ELOG:ITEM \"spectrum\",\"a\"");
        assert_eq!(
            run(&mut inst, &mut s, ":SYST:ERR?"),
            "-224,\"Illegal parameter value;channel not scalar spectrum\"\n"
        );
        run(&mut inst, &mut s, ":ELOG:STAR");
        assert_eq!(run(&mut inst, &mut s, ":ELOG:STAT?"), "RUNNING\n");
        let e = inst.change_channel_rate(a, 50.0).unwrap().unwrap();
        assert_eq!(e.code(), 201);
        assert_eq!(run(&mut inst, &mut s, ":ELOG:STAT?"), "INVALID\n");
        assert_eq!(run(&mut inst, &mut s, ":ELOG:FETC?"), "ERROR\n");
        assert_eq!(
            run(&mut inst, &mut s, ":SYST:ERR?"),
            "201,\"ELOG channel changed;a\"\n"
        );
        // After STOP the new rate is picked up at STARt: 15 ms < 1/50 s.
        run(&mut inst, &mut s, ":ELOG:STOP;:ELOG:PER 15ms;:ELOG:STAR");
        assert!(run(&mut inst, &mut s, ":SYST:ERR?").starts_with("-222,"));
        assert!(inst.change_channel_rate(ChannelId(99), 1.0).is_err());
        assert!(inst.remove_channel(ChannelId(99)).is_none());
    }

    #[test]
    fn refusals_map_one_to_one() {
        let mut inst = ElogInstrument::default();
        inst.register_channel("AI 1/1", 10.0).unwrap();
        let mut s = Session::new();
        run(&mut inst, &mut s, ":ELOG:ITEM \"AI 1/1\",\"nope\"");
        assert_eq!(
            run(&mut inst, &mut s, ":SYST:ERR?"),
            "-224,\"Illegal parameter value;unknown channel nope (e.g. AI 1/1)\"\n"
        );
        assert_eq!(run(&mut inst, &mut s, ":ELOG:ITEM?"), "\"AI 1/1\"\n");
        run(&mut inst, &mut s, ":ELOG:CALC MIN,MIN");
        assert_eq!(
            run(&mut inst, &mut s, ":SYST:ERR?"),
            "-224,\"Illegal parameter value;calculation repeated MIN\"\n"
        );
        assert_eq!(run(&mut inst, &mut s, ":ELOG:CALC?"), "AVG\n");
        assert_eq!(run(&mut inst, &mut s, ":ELOG:FETCH?"), "ERROR\n");
        assert_eq!(
            run(&mut inst, &mut s, ":SYST:ERR?"),
            "-221,\"Settings conflict;ELOG not started\"\n"
        );
    }
}
