//! The Moku Datalogger as a source (feature `moku`).
//!
//! [`MokuSource::connect`] claims the device through `moku-client`, enables
//! the inputs and declares one channel per input, named `Input1`…`InputN`
//! (`N` from the model: 2 on Moku:Go and Moku:Lab, 4 on Moku:Pro, 8 on
//! Moku:Delta). The stream starts at the first poll, at the configured rate;
//! sample `k` of the stream is at `origin + k / rate`, `origin` being the
//! source time of that first poll. Each poll calls `get_chunk` once and decodes
//! the LI bytes natively ([`moku_client::li::ChunkSequence`]).
//!
//! A stream that ends, stops or fails, or a chunk that does not decode, is a
//! [`SourceError`]: the acquisition removes the channels and a running ELOG
//! session on them becomes INVALID — never stale data. The same code runs
//! against `moku-emulator` and a real device.

use std::fmt;

use elog_core::{Duration, Instant};
use moku_client::li::ChunkSequence;
use moku_client::limits::ModelLimits;
use moku_client::{ConnectOptions, Datalogger, Num, StreamingOptions, Timeouts};

use super::timing::Timing;
use super::{ChannelDecl, Progress, SampleBuffer, Source, SourceError};

/// How to reach and run the Moku.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MokuConfig {
    /// The device's host (`192.168.73.1`, `[fe80::1]`, `127.0.0.1:PORT` for the emulator);
    /// empty to find the device by [`serial`](Self::serial).
    pub host: String,
    /// The device's serial number: with a host, the connect checks it; with an empty host, the
    /// device is found by mDNS as the official client's `serial=` does (moku-client's
    /// `discovery` feature; without it the connect fails with `NoHost`).
    pub serial: Option<String>,
    /// After discovery by serial, connect to the port the mDNS record advertises instead of
    /// HTTP's 80 (what the official client does); for emulators on other ports (default false).
    pub use_advertised_port: bool,
    /// The stream's sample rate in Hz (default 1000).
    pub rate: f64,
    /// Take the device even if another client owns it (default true).
    pub force_connect: bool,
    /// How long one `get_chunk` may take before the stream counts as dead (default 5 s).
    ///
    /// The official client waits for ever here (docs/moku-protocol.md §1.3); a logger must notice a device that
    /// stops answering, so a hung `get_chunk` removes the channels (ELOG goes INVALID) instead
    /// of stalling the source silently.
    pub chunk_timeout: std::time::Duration,
}

impl MokuConfig {
    /// The defaults for `host`.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            serial: None,
            use_advertised_port: false,
            rate: 1000.0,
            force_connect: true,
            chunk_timeout: std::time::Duration::from_secs(5),
        }
    }

    /// Another `get_chunk` timeout.
    #[must_use]
    pub fn with_chunk_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.chunk_timeout = timeout;
        self
    }

    /// The device's serial number (checked, or found by mDNS when the host is empty).
    #[must_use]
    pub fn with_serial(mut self, serial: impl Into<String>) -> Self {
        self.serial = Some(serial.into());
        self
    }

    /// Another sample rate.
    #[must_use]
    pub fn with_rate(mut self, rate: f64) -> Self {
        self.rate = rate;
        self
    }
}

/// Why the Moku could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum MokuSourceError {
    /// The rate is not a finite number above 0.
    BadRate(f64),
    /// The device refused or could not be reached.
    Moku(moku_client::Error),
}

impl fmt::Display for MokuSourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRate(r) => write!(f, "invalid Moku sample rate {r}"),
            Self::Moku(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MokuSourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Moku(e) => Some(e),
            Self::BadRate(_) => None,
        }
    }
}

impl From<moku_client::Error> for MokuSourceError {
    fn from(e: moku_client::Error) -> Self {
        Self::Moku(e)
    }
}

/// A running (or about to start) Datalogger stream.
struct Stream {
    origin: Instant,
    timing: Timing,
    sequence: ChunkSequence,
    /// Samples delivered so far, per input.
    counts: Vec<u64>,
}

/// The inputs of a Moku Datalogger as channels `Input1`…`InputN`.
pub struct MokuSource {
    datalogger: Datalogger,
    name: String,
    inputs: u8,
    rate: f64,
    stream: Option<Stream>,
    times: Vec<Instant>,
    values: Vec<f64>,
}

impl fmt::Debug for MokuSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MokuSource")
            .field("name", &self.name)
            .field("inputs", &self.inputs)
            .field("rate", &self.rate)
            .field("streaming", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

impl MokuSource {
    /// Connects, claims the Datalogger and enables every input.
    pub fn connect(config: MokuConfig) -> Result<Self, MokuSourceError> {
        if !(config.rate.is_finite() && config.rate > 0.0) {
            return Err(MokuSourceError::BadRate(config.rate));
        }
        let options = ConnectOptions {
            force_connect: config.force_connect,
            client_name: Some("elog".into()),
            // The source streams (no logging session) and is dropped with the server: let the
            // device go then, as before the client's default became "never relinquish on drop".
            relinquish_on_drop: true,
            serial: config.serial.clone(),
            use_advertised_port: config.use_advertised_port,
            timeouts: Timeouts {
                bulk_read: Some(config.chunk_timeout),
                ..Timeouts::default()
            },
            ..ConnectOptions::default()
        };
        let datalogger = Datalogger::connect(&config.host, options)?;
        let model = datalogger.session().model();
        let inputs = ModelLimits::for_model(&model).map_or(2, |l| l.channels);
        for input in 1..=inputs {
            datalogger.enable_input(input, true)?;
        }
        Ok(Self {
            datalogger,
            name: format!("moku {}", config.host),
            inputs,
            rate: config.rate,
            stream: None,
            times: Vec::new(),
            values: Vec::new(),
        })
    }

    /// How many inputs (channels) the device has.
    pub fn inputs(&self) -> u8 {
        self.inputs
    }

    fn start(&mut self, origin: Instant) -> Result<(), SourceError> {
        let rate_num = if self.rate == libm::floor(self.rate) && self.rate < 1e15 {
            Num::Int(self.rate as i64)
        } else {
            Num::Float(self.rate)
        };
        let started = self
            .datalogger
            .start_streaming(&StreamingOptions {
                sample_rate: Some(rate_num),
                ..StreamingOptions::default()
            })
            .map_err(|e| SourceError::new(format!("start_streaming: {e}")))?;
        if let Some(r) = started.sample_rate
            && (r - self.rate).abs() > 1e-9 * self.rate
        {
            return Err(SourceError::new(format!(
                "the Moku streams at {r} Hz, not the {} Hz its channels were declared with",
                self.rate
            )));
        }
        self.stream = Some(Stream {
            origin,
            timing: Timing::new(self.rate),
            sequence: ChunkSequence::new(),
            counts: vec![0; usize::from(self.inputs)],
        });
        Ok(())
    }
}

impl Source for MokuSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn channels(&self) -> Vec<ChannelDecl> {
        (1..=self.inputs)
            .map(|i| ChannelDecl {
                name: format!("Input{i}"),
                rate: self.rate,
            })
            .collect()
    }

    fn poll(&mut self, until: Instant, out: &mut SampleBuffer) -> Result<Progress, SourceError> {
        if self.stream.is_none() {
            self.start(until)?;
        }
        let bytes = match self.datalogger.get_chunk() {
            Ok(b) => b,
            Err(e) if e.is_end_of_stream() => {
                return Err(SourceError::new("the Moku stream ended"));
            }
            Err(e) => return Err(SourceError::new(format!("get_chunk: {e}"))),
        };
        let Some(stream) = self.stream.as_mut() else {
            return Ok(Progress::Done);
        };
        let channels = stream
            .sequence
            .push(&bytes)
            .map_err(|e| SourceError::new(format!("undecodable Moku chunk: {e}")))?;
        for ch in channels {
            let Some(count) = stream.counts.get_mut(ch.channel) else {
                continue;
            };
            self.values.clear();
            self.values.extend(ch.samples());
            let n = self.values.len() as u64;
            if n == 0 {
                continue;
            }
            let k0 = *count;
            let origin = stream.origin.as_nanos();
            match stream.timing.uniform() {
                Some(dt) => out.push(
                    ch.channel,
                    Instant::from_nanos(origin.saturating_add(stream.timing.time(k0))),
                    Duration::from_nanos(dt),
                    &self.values,
                ),
                None => {
                    self.times.clear();
                    self.times.extend((k0..k0 + n).map(|k| {
                        Instant::from_nanos(origin.saturating_add(stream.timing.time(k)))
                    }));
                    out.push_timed(ch.channel, &self.times, &self.values);
                }
            }
            *count += n;
        }
        Ok(Progress::Done)
    }
}

impl Drop for MokuSource {
    fn drop(&mut self) {
        if self.stream.is_some() {
            let _ = self.datalogger.stop_streaming();
        }
    }
}
