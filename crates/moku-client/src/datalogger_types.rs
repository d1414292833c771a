//! The Datalogger's argument structs (logging and streaming options, [`Waveform`]) and typed
//! views of its reply objects (docs/moku-protocol.md §7, §9). Each reply keeps the whole object in
//! `raw` for fields this crate does not model.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::reply_envelope::value_as_f64;
use crate::values::{
    AcquisitionMode, Bandwidth, Coupling, Impedance, Range, StreamState, TriggerSource,
    WaveformType,
};

pub(crate) fn str_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn f64_field(m: &Map<String, Value>, key: &str) -> Option<f64> {
    m.get(key).and_then(value_as_f64)
}

fn i64_field(m: &Map<String, Value>, key: &str) -> Option<i64> {
    match m.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    }
}

fn bool_field(m: &Map<String, Value>, key: &str) -> Option<bool> {
    match m.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

pub(crate) fn required<T>(operation: &str, key: &str, v: Option<T>) -> Result<T> {
    v.ok_or_else(|| Error::MalformedReply {
        operation: operation.to_owned(),
        reason: format!("the reply lacks a valid `{key}`"),
    })
}

/// Input front-end settings (`set_frontend` / `get_frontend`).
#[derive(Clone, Debug, PartialEq)]
pub struct FrontendSettings {
    /// Impedance, if reported.
    pub impedance: Option<Impedance>,
    /// Coupling, if reported.
    pub coupling: Option<Coupling>,
    /// Range, if reported.
    pub range: Option<Range>,
    /// Bandwidth, if reported.
    pub bandwidth: Option<Bandwidth>,
    /// Attenuation (MiM front ends), if reported.
    pub attenuation: Option<String>,
    /// Gain (MiM front ends), if reported.
    pub gain: Option<String>,
    /// The whole reply object.
    pub raw: Map<String, Value>,
}

impl FrontendSettings {
    pub(crate) fn from_map(raw: Map<String, Value>) -> Self {
        Self {
            impedance: str_field(&raw, "impedance").map(|s| Impedance::from_raw(&s)),
            coupling: str_field(&raw, "coupling").map(|s| Coupling::from_raw(&s)),
            range: str_field(&raw, "range").map(|s| Range::from_raw(&s)),
            bandwidth: str_field(&raw, "bandwidth").map(|s| Bandwidth::from_raw(&s)),
            attenuation: str_field(&raw, "attenuation"),
            gain: str_field(&raw, "gain"),
            raw,
        }
    }
}

/// The reply of `start_logging`: where the file goes.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggingStarted {
    /// The `.li` file name (`file_name`), if reported.
    pub file_name: Option<String>,
    /// The file target to download it from (`location`), if reported.
    pub location: Option<String>,
    /// `Start`: `Immediate` or `Delayed`.
    pub start: Option<String>,
    /// The achieved sample rate.
    pub sample_rate: Option<f64>,
    /// The logging duration in s.
    pub duration: Option<f64>,
    /// The acquisition mode.
    pub acquisition_mode: Option<AcquisitionMode>,
    /// The whole reply object (`"Save to"`, `comments`, …).
    pub raw: Map<String, Value>,
}

impl LoggingStarted {
    pub(crate) fn from_map(raw: Map<String, Value>) -> Self {
        Self {
            file_name: str_field(&raw, "file_name"),
            location: str_field(&raw, "location"),
            start: str_field(&raw, "Start"),
            sample_rate: f64_field(&raw, "sample_rate"),
            duration: f64_field(&raw, "duration"),
            acquisition_mode: str_field(&raw, "acquisition_mode")
                .map(|s| AcquisitionMode::from_raw(&s)),
            raw,
        }
    }
}

/// The reply of `logging_progress`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggingProgress {
    /// A session is running.
    pub running: bool,
    /// The session has finished.
    pub complete: bool,
    /// Status text.
    pub message: Option<String>,
    /// Seconds until the (delayed) start.
    pub time_to_start: Option<i64>,
    /// Samples logged so far.
    pub samples_logged: Option<i64>,
    /// Seconds remaining.
    pub time_remaining: Option<i64>,
    /// The file being written.
    pub file_name: Option<String>,
    /// The whole reply object.
    pub raw: Map<String, Value>,
}

impl LoggingProgress {
    pub(crate) fn from_map(raw: Map<String, Value>) -> Self {
        Self {
            running: bool_field(&raw, "running").unwrap_or(false),
            complete: bool_field(&raw, "complete").unwrap_or(false),
            message: str_field(&raw, "message"),
            time_to_start: i64_field(&raw, "time_to_start"),
            samples_logged: i64_field(&raw, "samples_logged"),
            time_remaining: i64_field(&raw, "time_remaining"),
            file_name: str_field(&raw, "file_name"),
            raw,
        }
    }
}

/// The reply of `generate_waveform`: the settings the output now has.
#[derive(Clone, Debug, PartialEq)]
pub struct WaveformSettings {
    /// The waveform type.
    pub kind: Option<WaveformType>,
    /// Amplitude (Vpp).
    pub amplitude: Option<f64>,
    /// Frequency (Hz).
    pub frequency: Option<f64>,
    /// Offset (V).
    pub offset: Option<f64>,
    /// Phase (degrees).
    pub phase: Option<f64>,
    /// Duty cycle (%), Square.
    pub duty: Option<f64>,
    /// Symmetry (%), Ramp.
    pub symmetry: Option<f64>,
    /// DC level (V), DC.
    pub dc_level: Option<f64>,
    /// Edge time (s), Pulse.
    pub edge_time: Option<f64>,
    /// Pulse width (s), Pulse.
    pub pulse_width: Option<f64>,
    /// The whole reply object.
    pub raw: Map<String, Value>,
}

impl WaveformSettings {
    pub(crate) fn from_map(raw: Map<String, Value>) -> Self {
        let f = |k: &str| f64_field(&raw, k);
        Self {
            kind: str_field(&raw, "type").map(|s| WaveformType::from_raw(&s)),
            amplitude: f("amplitude"),
            frequency: f("frequency"),
            offset: f("offset"),
            phase: f("phase"),
            duty: f("duty"),
            symmetry: f("symmetry"),
            dc_level: f("dc_level"),
            edge_time: f("edge_time"),
            pulse_width: f("pulse_width"),
            raw,
        }
    }
}

/// The reply of `start_streaming`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamStarted {
    /// The stream id used by `get_chunk` (e.g. `logsink0`).
    pub stream_id: String,
    /// The achieved sample rate, if reported.
    pub sample_rate: Option<f64>,
    /// The whole reply object.
    pub raw: Map<String, Value>,
}

/// The reply of `get_stream_status`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamStatus {
    /// The session state.
    pub status: Option<StreamState>,
    /// Bytes free on the device for streaming.
    pub available_memory: Option<i64>,
    /// Bytes queued.
    pub cumulative_size: Option<i64>,
    /// Chunks queued.
    pub no_of_chunks: Option<i64>,
    /// The error text when the state is ERROR.
    pub error: Option<String>,
    /// The stream id.
    pub stream_id: Option<String>,
    /// The whole reply object.
    pub raw: Map<String, Value>,
}

impl StreamStatus {
    pub(crate) fn from_map(raw: Map<String, Value>) -> Self {
        Self {
            status: str_field(&raw, "status").map(|s| StreamState::from_raw(&s)),
            available_memory: i64_field(&raw, "available_memory"),
            cumulative_size: i64_field(&raw, "cumulative_size"),
            no_of_chunks: i64_field(&raw, "no_of_chunks"),
            error: str_field(&raw, "error").filter(|e| !e.is_empty()),
            stream_id: str_field(&raw, "stream_id"),
            raw,
        }
    }
}

/// Options of `start_logging` (the official defaults: 60 s, no delay, empty prefix/comments).
#[derive(Clone, Debug, PartialEq)]
pub struct LoggingOptions {
    /// Duration in s (`60` by default, sent as an int).
    pub duration: crate::Num,
    /// Sample rate; `None` keeps the current one.
    pub sample_rate: Option<crate::Num>,
    /// Delay before the start, in s (`0`).
    pub delay: crate::Num,
    /// Trigger source; `None` starts at once.
    pub trigger_source: Option<TriggerSource>,
    /// Trigger level in V.
    pub trigger_level: Option<crate::Num>,
    /// File name prefix (`""`).
    pub file_name_prefix: String,
    /// Comments stored in the file (`""`).
    pub comments: String,
}

impl Default for LoggingOptions {
    fn default() -> Self {
        Self {
            duration: crate::Num::Int(60),
            sample_rate: None,
            delay: crate::Num::Int(0),
            trigger_source: None,
            trigger_level: None,
            file_name_prefix: String::new(),
            comments: String::new(),
        }
    }
}

/// Options of `start_streaming` (all `None` by default: the device's defaults).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamingOptions {
    /// Duration in s; `None` is "the longest possible".
    pub duration: Option<crate::Num>,
    /// Sample rate.
    pub sample_rate: Option<crate::Num>,
    /// Trigger source.
    pub trigger_source: Option<TriggerSource>,
    /// Trigger level in V.
    pub trigger_level: Option<crate::Num>,
}

/// Parameters of `generate_waveform`. All twelve keys are always sent, as the official client
/// does; the constructors fill in its defaults (amplitude `1`, frequency `10000`, offset `0`,
/// phase `0`, everything else `null`).
#[derive(Clone, Debug, PartialEq)]
pub struct Waveform {
    /// The type.
    pub kind: WaveformType,
    /// Amplitude in Vpp.
    pub amplitude: crate::Num,
    /// Frequency in Hz.
    pub frequency: crate::Num,
    /// Offset in V.
    pub offset: crate::Num,
    /// Phase in degrees.
    pub phase: crate::Num,
    /// Duty cycle in % (Square).
    pub duty: Option<crate::Num>,
    /// Symmetry in % (Ramp).
    pub symmetry: Option<crate::Num>,
    /// DC level in V (DC).
    pub dc_level: Option<crate::Num>,
    /// Edge time in s (Pulse).
    pub edge_time: Option<crate::Num>,
    /// Pulse width in s (Pulse).
    pub pulse_width: Option<crate::Num>,
}

impl Waveform {
    /// A waveform of `kind` with the official defaults.
    pub fn new(kind: WaveformType) -> Self {
        Self {
            kind,
            amplitude: crate::Num::Int(1),
            frequency: crate::Num::Int(10000),
            offset: crate::Num::Int(0),
            phase: crate::Num::Int(0),
            duty: None,
            symmetry: None,
            dc_level: None,
            edge_time: None,
            pulse_width: None,
        }
    }

    /// Output off.
    pub fn off() -> Self {
        Self::new(WaveformType::Off)
    }

    /// A sine wave.
    pub fn sine(amplitude: impl Into<crate::Num>, frequency: impl Into<crate::Num>) -> Self {
        Self {
            amplitude: amplitude.into(),
            frequency: frequency.into(),
            ..Self::new(WaveformType::Sine)
        }
    }

    /// A square wave; set the duty cycle with [`Waveform::duty`] (`null`, the device's default,
    /// otherwise).
    pub fn square(amplitude: impl Into<crate::Num>, frequency: impl Into<crate::Num>) -> Self {
        Self {
            amplitude: amplitude.into(),
            frequency: frequency.into(),
            ..Self::new(WaveformType::Square)
        }
    }

    /// A ramp; set the symmetry with [`Waveform::symmetry`]:
    /// `Waveform::ramp(1.0, 100).symmetry(30.0)`.
    pub fn ramp(amplitude: impl Into<crate::Num>, frequency: impl Into<crate::Num>) -> Self {
        Self {
            amplitude: amplitude.into(),
            frequency: frequency.into(),
            ..Self::new(WaveformType::Ramp)
        }
    }

    /// A pulse train; set [`Waveform::edge_time`] and [`Waveform::pulse_width`] (in s).
    pub fn pulse(amplitude: impl Into<crate::Num>, frequency: impl Into<crate::Num>) -> Self {
        Self {
            amplitude: amplitude.into(),
            frequency: frequency.into(),
            ..Self::new(WaveformType::Pulse)
        }
    }

    /// Noise of the given amplitude.
    pub fn noise(amplitude: impl Into<crate::Num>) -> Self {
        Self {
            amplitude: amplitude.into(),
            ..Self::new(WaveformType::Noise)
        }
    }

    /// A DC level in V.
    pub fn dc(level: impl Into<crate::Num>) -> Self {
        Self {
            dc_level: Some(level.into()),
            ..Self::new(WaveformType::Dc)
        }
    }

    /// Sets the amplitude in Vpp.
    #[must_use]
    pub fn amplitude(mut self, amplitude: impl Into<crate::Num>) -> Self {
        self.amplitude = amplitude.into();
        self
    }

    /// Sets the frequency in Hz.
    #[must_use]
    pub fn frequency(mut self, frequency: impl Into<crate::Num>) -> Self {
        self.frequency = frequency.into();
        self
    }

    /// Sets the offset in V.
    #[must_use]
    pub fn offset(mut self, offset: impl Into<crate::Num>) -> Self {
        self.offset = offset.into();
        self
    }

    /// Sets the phase in degrees.
    #[must_use]
    pub fn phase(mut self, phase: impl Into<crate::Num>) -> Self {
        self.phase = phase.into();
        self
    }

    /// Sets the duty cycle in % (Square).
    #[must_use]
    pub fn duty(mut self, duty: impl Into<crate::Num>) -> Self {
        self.duty = Some(duty.into());
        self
    }

    /// Sets the symmetry in % (Ramp).
    #[must_use]
    pub fn symmetry(mut self, symmetry: impl Into<crate::Num>) -> Self {
        self.symmetry = Some(symmetry.into());
        self
    }

    /// Sets the DC level in V (DC).
    #[must_use]
    pub fn dc_level(mut self, level: impl Into<crate::Num>) -> Self {
        self.dc_level = Some(level.into());
        self
    }

    /// Sets the edge time in s (Pulse).
    #[must_use]
    pub fn edge_time(mut self, edge_time: impl Into<crate::Num>) -> Self {
        self.edge_time = Some(edge_time.into());
        self
    }

    /// Sets the pulse width in s (Pulse).
    #[must_use]
    pub fn pulse_width(mut self, width: impl Into<crate::Num>) -> Self {
        self.pulse_width = Some(width.into());
        self
    }

    /// Sets the offset in V (same as [`Waveform::offset`]).
    #[must_use]
    pub fn with_offset(mut self, offset: impl Into<crate::Num>) -> Self {
        self.offset = offset.into();
        self
    }

    /// Sets the phase in degrees (same as [`Waveform::phase`]).
    #[must_use]
    pub fn with_phase(mut self, phase: impl Into<crate::Num>) -> Self {
        self.phase = phase.into();
        self
    }
}
