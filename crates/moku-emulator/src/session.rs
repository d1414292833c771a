//! Logging and streaming sessions, which progress with the emulator's real-time clock.
//!
//! Sessions are evaluated lazily: their progress is computed from the clock whenever a request
//! looks at them, and samples are computed when they are delivered (a chunk, or the `.li` file at
//! the end of a logging session), from the input signals and settings of that moment.

use crate::li::{self, LiDocument};
use crate::model::range_volts;
use crate::settings::{Frontend, Output};
use crate::signal::{Signal, noise};

/// Bytes of device memory a stream may queue before it fails with a buffer overflow.
pub(crate) const STREAM_MEMORY: u64 = 256 * 1024 * 1024;

/// What the inputs see, for computing samples.
pub(crate) struct Acquisition<'a> {
    /// The physical input signals.
    pub inputs: &'a [Signal],
    /// The slot's generator outputs (for [`Signal::FromOutput`]).
    pub outputs: &'a [Output],
    /// The slot's front ends (the range clips the signal).
    pub frontends: &'a [Frontend],
}

impl Acquisition<'_> {
    /// Input `ch` (0-based) at emulator time `t`: without its mean when the front end is AC
    /// coupled (the steady state of the coupling's high-pass filter), then clipped to the range.
    pub fn value(&self, ch: usize, t: f64) -> f64 {
        let frontend = self.frontends.get(ch);
        let v = self.raw(ch, t);
        let v = if frontend.is_some_and(|f| f.coupling == "AC") {
            v - self.mean(ch)
        } else {
            v
        };
        let half = frontend
            .and_then(|f| range_volts(&f.range))
            .map_or(f64::INFINITY, |r| r / 2.0);
        v.clamp(-half, half)
    }

    fn output(&self, n: u8) -> Option<&Output> {
        usize::from(n)
            .checked_sub(1)
            .and_then(|k| self.outputs.get(k))
    }

    /// The long-run mean of input `ch`'s signal.
    fn mean(&self, ch: usize) -> f64 {
        match self.inputs.get(ch) {
            Some(Signal::Constant(v)) => *v,
            Some(Signal::FromOutput(n)) => self.output(*n).map_or(0.0, |o| o.waveform.mean()),
            Some(Signal::Sine { .. } | Signal::Noise { .. }) | None => 0.0,
        }
    }

    /// Input `ch`'s signal at `t`, before the front end.
    fn raw(&self, ch: usize, t: f64) -> f64 {
        match self.inputs.get(ch) {
            Some(Signal::Constant(v)) => *v,
            Some(Signal::Sine {
                amplitude,
                frequency,
            }) => amplitude * (std::f64::consts::TAU * frequency * t).sin(),
            Some(Signal::Noise { amplitude }) => {
                amplitude * noise(t.to_bits() ^ ((ch as u64) << 56))
            }
            Some(Signal::FromOutput(n)) => self.output(*n).map_or(0.0, |o| o.waveform.value(t)),
            None => 0.0,
        }
    }

    /// The LI document for samples `[first, end)` of `channels`, sampled from `start_t` at `rate`.
    fn document(&self, s: &Span<'_>, first: u64, end: u64) -> LiDocument {
        let dt = 1.0 / s.rate;
        let data = s
            .channels
            .iter()
            .map(|&ch| {
                (first..end)
                    .map(|i| self.value(ch, s.start_t + i as f64 * dt))
                    .collect()
            })
            .collect();
        let abs = s.unix_epoch + s.start_t;
        let start_time = abs.max(0.0).floor();
        let mut doc = LiDocument::new(
            start_time as u64,
            abs - start_time + first as f64 * dt,
            dt,
            data,
        );
        doc.channel_names = s
            .channels
            .iter()
            .map(|c| format!("Input {}", c + 1))
            .collect();
        doc
    }
}

/// The sampling grid of a session.
struct Span<'a> {
    start_t: f64,
    rate: f64,
    channels: &'a [usize],
    unix_epoch: f64,
}

/// Most samples one request examines while looking for a trigger (bounds the work per request).
const MAX_TRIGGER_SCAN: u64 = 1 << 20;

/// A pending rising-edge trigger: acquisition starts at the first sample of the arming grid at
/// which the source input reaches `level` from below.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    /// The source input (0-based); `None` for `External`, which has no simulated signal and fires
    /// as soon as the session is armed.
    pub input: Option<usize>,
    /// Trigger level (V).
    pub level: f64,
    /// Emulator time from which the trigger is armed (after the delay).
    pub armed_t: f64,
    /// Samples of the arming grid examined so far.
    pub scanned: u64,
    /// The last examined value.
    pub last: Option<f64>,
}

impl Trigger {
    /// Examines the samples up to `now`; returns the emulator time at which the trigger fired.
    pub fn advance(&mut self, acq: &Acquisition<'_>, rate: f64, now: f64) -> Option<f64> {
        if now < self.armed_t {
            return None;
        }
        let Some(input) = self.input else {
            return Some(self.armed_t);
        };
        let due = ((now - self.armed_t) * rate).floor() as u64 + 1;
        let end = due.min(self.scanned.saturating_add(MAX_TRIGGER_SCAN));
        for k in self.scanned..end {
            let t = self.armed_t + k as f64 / rate;
            let v = acq.value(input, t);
            if self
                .last
                .is_some_and(|prev| prev < self.level && v >= self.level)
            {
                return Some(t);
            }
            self.last = Some(v);
        }
        self.scanned = end.max(self.scanned);
        None
    }
}

/// A logging session writing one `.li` file.
#[derive(Clone, Debug)]
pub(crate) struct LogSession {
    /// The file name (in `location`).
    pub file_name: String,
    /// The file target.
    pub location: &'static str,
    /// Emulator time of the first sample (request time + delay, or the trigger time).
    pub start_t: f64,
    /// The trigger still waited for (`start_t` is not known yet).
    pub trigger: Option<Trigger>,
    /// Sa/s.
    pub rate: f64,
    /// Samples per channel when the session runs to the end.
    pub total: u64,
    /// Logged inputs (0-based).
    pub channels: Vec<usize>,
    /// Samples per channel at which `stop_logging` ended it.
    pub stopped: Option<u64>,
    /// Whether the file has been written.
    pub written: bool,
}

impl LogSession {
    fn end_t(&self) -> f64 {
        self.start_t + self.total as f64 / self.rate
    }

    /// Samples per channel logged by `now`.
    pub fn logged(&self, now: f64) -> u64 {
        if let Some(s) = self.stopped {
            return s;
        }
        if self.trigger.is_some() {
            return 0;
        }
        if now >= self.end_t() {
            return self.total;
        }
        (((now - self.start_t) * self.rate).floor().max(0.0) as u64).min(self.total)
    }

    /// Whether the session has ended (completed or stopped).
    pub fn finished(&self, now: f64) -> bool {
        self.stopped.is_some() || (self.trigger.is_none() && now >= self.end_t())
    }

    /// Looks for the trigger in the samples up to `now`.
    pub fn advance_trigger(&mut self, acq: &Acquisition<'_>, now: f64) {
        if self.stopped.is_none()
            && let Some(fired) = self
                .trigger
                .as_mut()
                .and_then(|t| t.advance(acq, self.rate, now))
        {
            self.start_t = fired;
            self.trigger = None;
        }
    }

    /// The `logging_progress` data.
    pub fn progress(&self, now: f64) -> serde_json::Value {
        let finished = self.finished(now);
        let triggered = self.trigger.as_ref().is_none_or(|t| now < t.armed_t);
        let waiting = !finished && (now < self.start_t || !triggered);
        let message = if self.stopped.is_some() {
            "Logging stopped"
        } else if finished {
            "Logging complete"
        } else if !triggered {
            "Waiting for trigger"
        } else if waiting {
            "Waiting to start"
        } else {
            "Logging in progress"
        };
        let duration = self.total as f64 / self.rate;
        let (to_start, remaining) = if finished {
            (0.0, 0.0)
        } else if !triggered {
            (0.0, duration)
        } else {
            (
                (self.start_t - now).max(0.0),
                self.end_t() - now.max(self.start_t),
            )
        };
        serde_json::json!({
            "running": !finished && !waiting,
            "complete": finished,
            "message": message,
            "time_to_start": to_start.ceil() as u64,
            "samples_logged": self.logged(now),
            "time_remaining": remaining.max(0.0).ceil() as u64,
            "file_name": self.file_name,
            "location": self.location,
        })
    }

    /// The `.li` file of the samples logged so far.
    pub fn file(
        &self,
        acq: &Acquisition<'_>,
        now: f64,
        unix_epoch: f64,
    ) -> Result<Vec<u8>, li::EncodeError> {
        let span = Span {
            start_t: self.start_t,
            rate: self.rate,
            channels: &self.channels,
            unix_epoch,
        };
        li::encode(&acq.document(&span, 0, self.logged(now)))
    }
}

/// What `get_chunk` hands out.
#[derive(Debug, PartialEq)]
pub(crate) enum Chunk {
    /// An LI document of the samples since the previous chunk.
    Data(Vec<u8>),
    /// Nothing new yet.
    Empty,
    /// Everything has been delivered.
    End,
    /// The stream failed.
    Error(String),
}

/// A streaming session.
#[derive(Clone, Debug)]
pub(crate) struct StreamSession {
    /// The `stream_id`.
    pub id: String,
    /// Emulator time of the first sample (the trigger time when triggered).
    pub start_t: f64,
    /// The trigger still waited for.
    pub trigger: Option<Trigger>,
    /// Sa/s.
    pub rate: f64,
    /// Samples per channel for the whole duration (`None`: until stopped).
    pub total: Option<u64>,
    /// Streamed inputs (0-based).
    pub channels: Vec<usize>,
    /// Samples per channel handed out.
    pub delivered: u64,
    /// Samples per channel at which `stop_streaming` ended it.
    pub stopped: Option<u64>,
    /// The failure, once failed.
    pub error: Option<String>,
}

impl StreamSession {
    /// Samples per channel acquired by `now`.
    pub fn produced(&self, now: f64) -> u64 {
        if self.trigger.is_some() {
            return 0;
        }
        let n = ((now - self.start_t) * self.rate).floor().max(0.0) as u64;
        let n = self.total.map_or(n, |t| n.min(t));
        self.stopped.map_or(n, |s| n.min(s))
    }

    fn bytes_per_sample(&self) -> u64 {
        4 * self.channels.len() as u64
    }

    /// Looks for the trigger in the samples up to `now`.
    pub fn advance_trigger(&mut self, acq: &Acquisition<'_>, now: f64) {
        if self.stopped.is_none()
            && let Some(fired) = self
                .trigger
                .as_mut()
                .and_then(|t| t.advance(acq, self.rate, now))
        {
            self.start_t = fired;
            self.trigger = None;
        }
    }

    /// Whether acquisition has ended (duration reached, stopped or failed).
    pub fn acquisition_over(&self, now: f64) -> bool {
        self.error.is_some()
            || self.stopped.is_some()
            || self.total.is_some_and(|t| self.produced(now) >= t)
    }

    /// Checks the queue against the device memory.
    pub fn check_overflow(&mut self, now: f64) {
        if self.error.is_none() && self.stopped.is_none() {
            let queued = self.produced(now) - self.delivered;
            if queued * self.bytes_per_sample() > STREAM_MEMORY {
                self.stopped = Some(self.produced(now));
                self.error = Some("Stream buffer overflow: data was not read fast enough".into());
            }
        }
    }

    /// The `status` of `get_stream_status`.
    pub fn status(&self, now: f64) -> &'static str {
        let queued = self.produced(now) > self.delivered;
        if self.error.is_some() {
            "ERROR"
        } else if self.stopped.is_some() {
            "CANCELLED"
        } else if self.trigger.is_some() || now < self.start_t {
            "WAITING"
        } else if self.acquisition_over(now) {
            if queued { "FINALIZING" } else { "COMPLETED" }
        } else {
            "RUNNING"
        }
    }

    /// The `get_stream_status` data.
    pub fn status_json(&self, now: f64, max_chunk_samples: u64) -> serde_json::Value {
        let queued = self.produced(now) - self.delivered;
        let per_chunk = self.per_chunk(max_chunk_samples);
        serde_json::json!({
            "available_memory": STREAM_MEMORY.saturating_sub(queued * self.bytes_per_sample()),
            "cumulative_size": queued * self.bytes_per_sample(),
            "error": self.error.clone().unwrap_or_default(),
            "no_of_chunks": queued.div_ceil(per_chunk),
            "status": self.status(now),
            "stream_id": self.id,
        })
    }

    fn per_chunk(&self, max_chunk_samples: u64) -> u64 {
        (max_chunk_samples / self.channels.len().max(1) as u64).max(1)
    }

    /// The next chunk: the samples acquired since the previous one (at most `max_chunk_samples`
    /// in total over all channels).
    pub fn next_chunk(
        &mut self,
        acq: &Acquisition<'_>,
        now: f64,
        unix_epoch: f64,
        max_chunk_samples: u64,
    ) -> Chunk {
        self.check_overflow(now);
        let produced = self.produced(now);
        if produced == self.delivered {
            if let Some(e) = &self.error {
                return Chunk::Error(e.clone());
            }
            return if self.acquisition_over(now) {
                Chunk::End
            } else {
                Chunk::Empty
            };
        }
        let end = produced.min(self.delivered + self.per_chunk(max_chunk_samples));
        let span = Span {
            start_t: self.start_t,
            rate: self.rate,
            channels: &self.channels,
            unix_epoch,
        };
        match li::encode(&acq.document(&span, self.delivered, end)) {
            Ok(bytes) => {
                self.delivered = end;
                Chunk::Data(bytes)
            }
            Err(e) => {
                self.error = Some(e.to_string());
                Chunk::Error(e.to_string())
            }
        }
    }
}

/// `YYYYMMDD_HHMMSS` (UTC) for Unix seconds.
pub(crate) fn timestamp(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}_{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_fire_on_the_rising_edge() {
        let signals = [Signal::Sine {
            amplitude: 1.0,
            frequency: 1.0,
        }];
        let acq = Acquisition {
            inputs: &signals,
            outputs: &[],
            frontends: &[],
        };
        // Armed at t = 0.3 s (sine falling past 0.5 V at t = 5/12 s), rising through 0.5 V next at
        // t = 1 + 1/12 s.
        let mut t = Trigger {
            input: Some(0),
            level: 0.5,
            armed_t: 0.3,
            scanned: 0,
            last: None,
        };
        assert_eq!(t.advance(&acq, 1000.0, 1.0), None);
        let fired = t.advance(&acq, 1000.0, 2.0).unwrap();
        assert!((fired - (1.0 + 1.0 / 12.0)).abs() < 2e-3, "{fired}");
        let mut ext = Trigger {
            input: None,
            level: 0.0,
            armed_t: 0.5,
            scanned: 0,
            last: None,
        };
        assert_eq!(ext.advance(&acq, 10.0, 0.1), None);
        assert_eq!(ext.advance(&acq, 10.0, 0.6), Some(0.5));
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "19700101_000000");
        assert_eq!(timestamp(1_767_268_800), "20260101_120000");
        assert_eq!(timestamp(951_782_400), "20000229_000000");
    }

    fn stream(total: Option<u64>) -> StreamSession {
        StreamSession {
            id: "logsink0".into(),
            start_t: 0.0,
            trigger: None,
            rate: 100.0,
            total,
            channels: vec![0],
            delivered: 0,
            stopped: None,
            error: None,
        }
    }

    #[test]
    fn stream_hands_out_everything_then_ends() {
        let signals = [Signal::Constant(0.5)];
        let acq = Acquisition {
            inputs: &signals,
            outputs: &[],
            frontends: &[],
        };
        let mut s = stream(Some(10));
        assert_eq!(s.next_chunk(&acq, 0.0, 0.0, 1000), Chunk::Empty);
        assert!(matches!(
            s.next_chunk(&acq, 0.05, 0.0, 1000),
            Chunk::Data(_)
        ));
        assert_eq!(s.delivered, 5);
        assert_eq!(s.status(0.05), "RUNNING");
        assert_eq!(s.status(1.0), "FINALIZING");
        assert!(matches!(s.next_chunk(&acq, 1.0, 0.0, 3), Chunk::Data(_)));
        assert_eq!(s.delivered, 8);
        assert!(matches!(s.next_chunk(&acq, 1.0, 0.0, 1000), Chunk::Data(_)));
        assert_eq!(s.next_chunk(&acq, 1.0, 0.0, 1000), Chunk::End);
        assert_eq!(s.status(1.0), "COMPLETED");
    }

    #[test]
    fn unread_streams_overflow() {
        let signals = [Signal::Constant(0.5)];
        let acq = Acquisition {
            inputs: &signals,
            outputs: &[],
            frontends: &[],
        };
        let mut s = stream(None);
        s.rate = 1e7;
        assert!(matches!(s.next_chunk(&acq, 100.0, 0.0, 10), Chunk::Data(_)));
        assert_eq!(s.status(100.0), "ERROR");
    }

    #[test]
    fn logging_progresses() {
        let s = LogSession {
            file_name: "x.li".into(),
            location: "ssd",
            start_t: 1.0,
            trigger: None,
            rate: 10.0,
            total: 20,
            channels: vec![0, 1],
            stopped: None,
            written: false,
        };
        assert_eq!(s.progress(0.5)["message"], "Waiting to start");
        assert_eq!(s.logged(2.0), 10);
        assert!(!s.finished(2.9));
        assert!(s.finished(3.0));
        assert_eq!(s.logged(5.0), 20);
        let signals = [Signal::Constant(1.0), Signal::Constant(-1.0)];
        let acq = Acquisition {
            inputs: &signals,
            outputs: &[],
            frontends: &[],
        };
        let bytes = s.file(&acq, 5.0, 0.0).unwrap();
        assert_eq!(&bytes[..3], b"LI3");
    }
}
