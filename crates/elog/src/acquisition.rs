//! The acquisition: the edge where the wall clock, threads and sources meet
//! the pure instrument.
//!
//! An [`Acquisition`] owns the sources. Each poll gathers a source's samples
//! into its own [`SampleBuffer`] *outside* the instrument's lock, then takes
//! the lock once to push them and advance the instrument's source time.
//!
//! * [`Acquisition::step_to`] drives every source to a given source time on
//!   the caller's thread: deterministic, for tests and hosts with their own
//!   loop.
//! * [`Acquisition::start`] runs one thread per source against a
//!   [`WallClock`]: source time = time since the acquisition started (the
//!   zero of `REL` timestamps); `ABS` = that plus the wall-clock time (local
//!   zone) at the start.
//!
//! A source that fails has its channels removed from the registry; an ELOG
//! session using them becomes INVALID (never stale data).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::SystemTime;

use elog_core::{ChannelId, Duration, Instant, Timebase};

use crate::instrument::{ElogInstrument, SourceClock};
use crate::registry::RegistryError;
use crate::source::{Progress, SampleBuffer, Source, SourceError};

/// The instrument as shared between the acquisition and the connections.
pub type SharedInstrument = Arc<Mutex<ElogInstrument>>;

/// Wraps an instrument for sharing.
pub fn shared(instrument: ElogInstrument) -> SharedInstrument {
    Arc::new(Mutex::new(instrument))
}

/// Locks the instrument; a panic in another holder does not make it unusable
/// (every instrument operation leaves it consistent).
pub fn lock(instrument: &SharedInstrument) -> MutexGuard<'_, ElogInstrument> {
    instrument
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The host's wall-clock time now, as nanoseconds since 1970-01-01T00:00:00
/// **local time** (UTC where the host has no zone): the `ABS` time base.
pub fn local_wall_now() -> Duration {
    let now = SystemTime::now();
    let utc = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let offset = jiff::Timestamp::try_from(now)
        .ok()
        .map(|ts| {
            let tz = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
            i64::from(tz.to_offset(ts).seconds())
        })
        .unwrap_or(0);
    Duration::from_nanos(utc.saturating_add(offset.saturating_mul(1_000_000_000)))
}

/// Source time from the host's monotonic clock.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    start: std::time::Instant,
    timebase: Timebase,
}

impl WallClock {
    /// A clock whose source time zero is now.
    pub fn start_now() -> Self {
        Self {
            start: std::time::Instant::now(),
            timebase: Timebase {
                acquisition_start: Instant::ZERO,
                wall_offset: local_wall_now(),
            },
        }
    }

    /// Source time now: nanoseconds since the clock started.
    pub fn now(&self) -> Instant {
        let ns = self.start.elapsed().as_nanos();
        Instant::from_nanos(i64::try_from(ns).unwrap_or(i64::MAX))
    }

    /// The time bases for REL (acquisition start = source time zero) and ABS.
    pub fn timebase(&self) -> Timebase {
        self.timebase
    }
}

/// How the threaded acquisition runs.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct AcquisitionConfig {
    /// How often each source is polled (default 10 ms).
    pub tick: std::time::Duration,
}

impl Default for AcquisitionConfig {
    fn default() -> Self {
        Self {
            tick: std::time::Duration::from_millis(10),
        }
    }
}

impl AcquisitionConfig {
    /// The defaults with another poll interval.
    #[must_use]
    pub fn with_tick(mut self, tick: std::time::Duration) -> Self {
        self.tick = tick;
        self
    }
}

/// One source, the registry ids of its slots and its buffer.
struct Driver {
    source: Box<dyn Source>,
    ids: Vec<ChannelId>,
    buffer: SampleBuffer,
}

impl Driver {
    /// Polls once and pushes what came; on failure removes the channels.
    fn step(
        &mut self,
        instrument: &SharedInstrument,
        until: Instant,
    ) -> Result<Progress, SourceError> {
        self.buffer.clear();
        match self.source.poll(until, &mut self.buffer) {
            Ok(progress) => {
                let mut inst = lock(instrument);
                // Sources produce well-formed batches; a refused batch only
                // loses that batch and is not worth stopping the source for.
                let _ = inst.ingest(&self.ids, &self.buffer);
                inst.advance_to(until);
                Ok(progress)
            }
            Err(e) => {
                self.remove_channels(instrument);
                Err(e)
            }
        }
    }

    fn remove_channels(&mut self, instrument: &SharedInstrument) {
        let mut inst = lock(instrument);
        for &id in &self.ids {
            inst.remove_channel(id);
        }
    }
}

/// A source that stopped, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFailure {
    /// The source's [`Source::name`].
    pub source: String,
    /// Why it stopped.
    pub error: SourceError,
}

/// The sources of one instrument, driven manually or by threads.
pub struct Acquisition {
    instrument: SharedInstrument,
    drivers: Vec<Driver>,
}

impl std::fmt::Debug for Acquisition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acquisition")
            .field(
                "sources",
                &self
                    .drivers
                    .iter()
                    .map(|d| d.source.name())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Acquisition {
    /// An acquisition for `instrument` with no sources yet.
    pub fn new(instrument: SharedInstrument) -> Self {
        Self {
            instrument,
            drivers: Vec::new(),
        }
    }

    /// The instrument.
    pub fn instrument(&self) -> &SharedInstrument {
        &self.instrument
    }

    /// Adds a source and registers its channels; returns their ids in slot
    /// order. If one channel cannot be registered (a duplicate name, a bad
    /// rate), none is and the source is not added.
    pub fn add_source(
        &mut self,
        source: impl Source + 'static,
    ) -> Result<Vec<ChannelId>, RegistryError> {
        let decls = source.channels();
        let mut ids = Vec::with_capacity(decls.len());
        {
            let mut inst = lock(&self.instrument);
            for d in &decls {
                match inst.register_channel(&d.name, d.rate) {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        for &id in &ids {
                            inst.remove_channel(id);
                        }
                        return Err(e);
                    }
                }
            }
        }
        self.drivers.push(Driver {
            source: Box::new(source),
            ids: ids.clone(),
            buffer: SampleBuffer::new(),
        });
        Ok(ids)
    }

    /// Drives every source up to source time `until` on this thread, then
    /// advances the instrument to `until`. Failed sources are dropped (their
    /// channels removed) and returned.
    pub fn step_to(&mut self, until: Instant) -> Vec<SourceFailure> {
        let mut failures = Vec::new();
        let instrument = &self.instrument;
        self.drivers.retain_mut(|d| {
            loop {
                match d.step(instrument, until) {
                    Ok(Progress::Done) => break true,
                    Ok(Progress::More) => {}
                    Err(error) => {
                        failures.push(SourceFailure {
                            source: d.source.name().into(),
                            error,
                        });
                        break false;
                    }
                }
            }
        });
        lock(&self.instrument).advance_to(until);
        failures
    }

    /// Starts one thread per source against a new [`WallClock`] and sets the
    /// instrument's time bases from it.
    pub fn start(self, config: AcquisitionConfig) -> std::io::Result<AcquisitionHandle> {
        let clock = WallClock::start_now();
        {
            let mut inst = lock(&self.instrument);
            inst.set_timebase(clock.timebase());
            // STARt happens at the clock's time, not at the time the
            // sources have delivered up to (up to a tick earlier).
            inst.set_clock(Some(SourceClock::new(move || clock.now())));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for mut driver in self.drivers {
            let instrument = Arc::clone(&self.instrument);
            let flag = Arc::clone(&stop);
            let name = format!("elog-source-{}", driver.source.name());
            let handle = std::thread::Builder::new().name(name).spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match driver.step(&instrument, clock.now()) {
                        Ok(Progress::More) => {}
                        Ok(Progress::Done) => std::thread::sleep(config.tick),
                        Err(e) => {
                            eprintln!(
                                "elog: source {} stopped: {e}; its channels were removed",
                                driver.source.name()
                            );
                            return;
                        }
                    }
                }
            });
            match handle {
                Ok(h) => threads.push(h),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    for t in threads {
                        let _ = t.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(AcquisitionHandle {
            stop,
            threads,
            clock,
        })
    }
}

/// The running threads of a started [`Acquisition`]; dropping it stops them.
#[derive(Debug)]
pub struct AcquisitionHandle {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    clock: WallClock,
}

impl AcquisitionHandle {
    /// The clock the sources run on.
    pub fn clock(&self) -> &WallClock {
        &self.clock
    }

    /// Stops the source threads and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for AcquisitionHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{ChannelDecl, ChannelSpec, Simulator};
    use elog_core::State;

    struct Failing;

    impl Source for Failing {
        fn name(&self) -> &str {
            "failing"
        }
        fn channels(&self) -> Vec<ChannelDecl> {
            vec![ChannelDecl {
                name: "F".into(),
                rate: 10.0,
            }]
        }
        fn poll(&mut self, _: Instant, _: &mut SampleBuffer) -> Result<Progress, SourceError> {
            Err(SourceError::new("gone"))
        }
    }

    #[test]
    fn step_drives_and_failures_remove_channels() {
        let inst = shared(ElogInstrument::default());
        let mut acq = Acquisition::new(Arc::clone(&inst));
        let spec: ChannelSpec = "A=const:2@100".parse().unwrap();
        let ids = acq.add_source(Simulator::from_specs([&spec])).unwrap();
        assert_eq!(ids.len(), 1);
        assert!(acq.add_source(Simulator::from_specs([&spec])).is_err());
        acq.add_source(Failing).unwrap();
        {
            let mut guard = lock(&inst);
            let reg = guard.registry().clone();
            assert!(
                !guard
                    .engine_mut()
                    .set_items(&reg, ["A", "F"])
                    .unwrap()
                    .kept_nothing()
            );
            guard
                .engine_mut()
                .start(Instant::ZERO, Timebase::default())
                .unwrap();
        }
        let failures = acq.step_to(Instant::from_secs(1));
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].source, "failing");
        let guard = lock(&inst);
        assert_eq!(guard.now(), Instant::from_secs(1));
        assert_eq!(guard.engine().state(), State::Invalid);
        assert!(guard.registry().id_of("F").is_none());
        assert!(guard.registry().id_of("A").is_some());
    }

    #[test]
    fn wall_clock_moves_forward() {
        let c = WallClock::start_now();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
        assert!(c.timebase().wall_offset.as_nanos() > 0);
    }
}
