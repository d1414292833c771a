//! The Datalogger instrument: every method of the official client (docs/moku-protocol.md
//! §7–§10) and per-call `strict`. Its rooms: `streaming` (stream sessions and chunks),
//! `log_file` (settings files and a logging session run to a downloaded `.li`), and
//! `device_calls` (the device calls Python has on the instrument).

mod device_calls;
mod log_file;
mod streaming;

pub use log_file::{LogEvent, LoggedFile};

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::bitstreams::{instrument_name, platform_name};
use crate::datalogger_types::{
    FrontendSettings, LoggingOptions, LoggingProgress, LoggingStarted, Waveform, WaveformSettings,
    f64_field, required, str_field,
};
use crate::error::{Error, Result};
use crate::exchange::{Body, Shared};
use crate::limits::{self, ModelLimits};
use crate::multi_instrument::MultiInstrument;
use crate::options::{ConnectOptions, Warning};
use crate::reply_envelope::expect;
use crate::request_body::{Num, Object};
use crate::session::Session;
use crate::transport::{Method, Stack, Transport};
use crate::values::{
    AcquisitionMode, Bandwidth, Coupling, Impedance, Load, Range, Termination, TriggerSource,
    WaveformType,
};

/// The Datalogger's instrument id.
pub const DATALOGGER_INSTRUMENT_ID: u32 = 7;

/// The value of a call made through [`Datalogger::relaxed`] and the warnings (coercion notes)
/// the device sent for exactly those calls.
#[derive(Clone, Debug, PartialEq)]
pub struct Coerced<T> {
    /// What the call returned.
    pub value: T,
    /// The `messages` of the replies to those calls, oldest first.
    pub warnings: Vec<Warning>,
}

/// The Moku Datalogger (instrument id 7) in one slot.
///
/// Setters send `"strict"` first, `true` unless the handle came from
/// [`Datalogger::with_strict`] or the call runs inside [`Datalogger::relaxed`] — the official
/// client's per-call `strict=` argument. Handles are cheap views on one connection and work
/// through `&self`, so an `Arc<Datalogger>` can be shared between threads. Warnings of
/// `strict=false` replies are returned by [`Datalogger::relaxed`] for the calls it made, and
/// also queued on the session ([`Session::take_warnings`]).
#[derive(Clone)]
pub struct Datalogger {
    session: Session,
    slot: u8,
    multi: bool,
    strict: bool,
    validate: bool,
    stream_id: Arc<Mutex<Option<String>>>,
    sink: Option<Arc<Mutex<Vec<Warning>>>>,
}

impl core::fmt::Debug for Datalogger {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Datalogger")
            .field("slot", &self.slot)
            .field("multi", &self.multi)
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

impl Datalogger {
    /// Connects in single-instrument mode: claim, describe, version check, platform bitstream
    /// `01-000`, `instrument_supported`, bitstream `01-007-00` (docs/moku-protocol.md §3.2),
    /// each bitstream uploaded from the data directory when the device lacks it
    /// ([`ConnectOptions::bitstreams`]). No deploy request is made; the first
    /// `slot1/datalogger` call deploys implicitly.
    #[cfg(feature = "ureq")]
    pub fn connect(host: &str, options: ConnectOptions) -> Result<Self> {
        let h = crate::Host::resolve(host, &options)?;
        let transport = crate::UreqTransport::new(&h, options.timeouts);
        Self::connect_with(h, Box::new(transport), options)
    }

    /// Like [`Datalogger::connect`] over any [`Transport`].
    pub fn connect_with(
        host: crate::Host,
        transport: Box<dyn Transport>,
        options: ConnectOptions,
    ) -> Result<Self> {
        let session = Session::connect_with(host, transport, options)?;
        let sh = session.shared.clone();
        sh.connect_bitstream(&platform_name(1))?;
        sh.guarded(|| {
            let body = Object::new()
                .with("num_slots", 1)
                .with("instrument_id", DATALOGGER_INSTRUMENT_ID)
                .with("slot_idx", 0);
            expect::null(
                "moku/instrument_supported",
                &sh.post("moku/instrument_supported", Some(&body))?,
            )
        })?;
        sh.connect_bitstream(&instrument_name(1, DATALOGGER_INSTRUMENT_ID, 0))?;
        Ok(Self::new(session, 1, false))
    }

    /// Deploys a Datalogger into `slot` (1-based) of a multi-instrument platform
    /// (docs/moku-protocol.md §4): the empty slots' placeholder bitstreams, `instrument_supported`,
    /// the Datalogger's bitstream for that slot (uploaded when the device lacks it), then the
    /// explicit deploy `GET /api/slot<N>/datalogger`.
    /// The official 4.4 client spells this `MultiInstrument.set_instrument(slot, Datalogger)`.
    pub fn for_slot(slot: u8, multi: &MultiInstrument) -> Result<Self> {
        let n = multi.num_slots();
        let session = multi.session().clone();
        if !(1..=n).contains(&slot) {
            return Err(Error::InvalidArgument {
                parameter: "slot",
                value: slot.to_string(),
                allowed: format!("1 to {n}"),
                model: session.model().to_string(),
            });
        }
        let sh = &session.shared;
        let instruments = multi.get_instruments()?;
        for (i, name) in instruments.iter().enumerate() {
            if name.is_empty() && i + 1 != usize::from(slot) {
                sh.connect_bitstream(&crate::bitstreams::empty_slot_name(n, i as u8))?;
            }
        }
        let body = Object::new()
            .with("num_slots", n)
            .with("instrument_id", DATALOGGER_INSTRUMENT_ID)
            .with("slot_idx", slot - 1);
        expect::null(
            "moku/instrument_supported",
            &sh.post("moku/instrument_supported", Some(&body))?,
        )?;
        sh.connect_bitstream(&instrument_name(n, DATALOGGER_INSTRUMENT_ID, slot - 1))?;
        sh.get(&format!("slot{slot}/datalogger"))?;
        Ok(Self::new(session, slot, true))
    }

    fn new(session: Session, slot: u8, multi: bool) -> Self {
        let validate = session.shared.validate();
        Self {
            session,
            slot,
            multi,
            strict: true,
            validate,
            stream_id: Arc::new(Mutex::new(None)),
            sink: None,
        }
    }

    /// The session (files, describe, warnings, client key).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The 1-based slot.
    pub fn slot(&self) -> u8 {
        self.slot
    }

    /// The `strict` flag this handle sends with every setter (default true).
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// A handle on the same instrument whose setters send `strict` (the official client's
    /// per-call `strict=` argument); `self` is unchanged. With false the device coerces
    /// out-of-range values and reports what it did as warnings, and the local range checks are
    /// skipped (channel numbers are still checked).
    #[must_use]
    pub fn with_strict(&self, strict: bool) -> Self {
        Self {
            strict,
            ..self.clone()
        }
    }

    /// A handle on the same instrument with the per-model checks of docs/moku-protocol.md §11
    /// on or off (default on); `self` is unchanged.
    #[must_use]
    pub fn with_validation(&self, validate: bool) -> Self {
        Self {
            validate,
            ..self.clone()
        }
    }

    /// Runs `f` on a `strict=false` handle and returns its value with the warnings the device
    /// sent for exactly the calls `f` made (other threads' warnings are not mixed in):
    ///
    /// ```no_run
    /// # fn main() -> moku_client::Result<()> {
    /// # let dl = moku_client::Datalogger::connect("192.168.1.10", Default::default())?;
    /// let r = dl.relaxed(|d| d.set_samplerate(2e6))?;
    /// println!("rate {} Sa/s", r.value);
    /// for w in &r.warnings {
    ///     println!("warning: {}", w.message);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn relaxed<T>(&self, f: impl FnOnce(&Datalogger) -> Result<T>) -> Result<Coerced<T>> {
        let sink = Arc::new(Mutex::new(Vec::new()));
        let view = Self {
            strict: false,
            sink: Some(sink.clone()),
            ..self.clone()
        };
        let value = f(&view)?;
        let warnings = core::mem::take(
            &mut *sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        Ok(Coerced { value, warnings })
    }

    /// The warnings of the most recent enveloped reply of this session (empty when it had none).
    pub fn last_warnings(&self) -> Vec<String> {
        self.session.last_warnings()
    }

    /// The stream id of the current streaming session.
    pub fn stream_id(&self) -> Option<String> {
        self.stream_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn sh(&self) -> &Shared {
        &self.session.shared
    }

    fn op(&self, name: &str) -> String {
        format!("slot{}/datalogger/{name}", self.slot)
    }

    fn limits(&self) -> Option<ModelLimits> {
        if !self.validate {
            return None;
        }
        ModelLimits::for_model(&self.session.model())
    }

    /// Limits to check values against: only for strict requests (the device coerces otherwise).
    fn strict_limits(&self) -> Option<ModelLimits> {
        if self.strict { self.limits() } else { None }
    }

    fn check_channel(&self, channel: u8) -> Result<()> {
        match self.limits() {
            Some(l) => l.check_channel(channel),
            None => Ok(()),
        }
    }

    fn setter(&self) -> Object {
        Object::new().with("strict", self.strict)
    }

    /// Hands the warnings of one reply to the [`Datalogger::relaxed`] sink, if any.
    fn note(&self, op: &str, messages: &[String]) {
        if let Some(sink) = &self.sink
            && !messages.is_empty()
        {
            let mut v = sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            v.extend(messages.iter().map(|m| Warning {
                operation: op.to_owned(),
                message: m.clone(),
            }));
        }
    }

    /// A fast-path POST on `op` (the full path after `/api/`).
    fn post(&self, op: &str, body: Option<&Object>) -> Result<Value> {
        let text = body.map(Object::to_json).unwrap_or_default();
        let env = self
            .sh()
            .call(Method::Post, op, Body::Json(&text), Stack::Fast, true)?;
        self.note(op, &env.messages);
        Ok(env.data)
    }

    /// A fast-path GET on `op`.
    fn get(&self, op: &str) -> Result<Value> {
        let env = self
            .sh()
            .call(Method::Get, op, Body::None, Stack::Fast, true)?;
        self.note(op, &env.messages);
        Ok(env.data)
    }

    fn post_obj(
        &self,
        name: &str,
        body: Option<&Object>,
    ) -> Result<serde_json::Map<String, Value>> {
        let op = self.op(name);
        expect::object(&op, self.post(&op, body)?)
    }

    fn get_obj(&self, name: &str) -> Result<serde_json::Map<String, Value>> {
        let op = self.op(name);
        expect::object(&op, self.get(&op)?)
    }

    /// `POST set_defaults` (empty body; data must be null).
    pub fn set_defaults(&self) -> Result<()> {
        let op = self.op("set_defaults");
        expect::null(&op, &self.post(&op, None)?)
    }

    /// `POST set_frontend`: impedance, coupling, range and optional bandwidth of one input.
    pub fn set_frontend(
        &self,
        channel: u8,
        impedance: Impedance,
        coupling: Coupling,
        range: Range,
        bandwidth: Option<Bandwidth>,
    ) -> Result<FrontendSettings> {
        self.check_channel(channel)?;
        if let Some(l) = self.strict_limits() {
            l.check_member("impedance", &impedance, l.impedances)?;
            l.check_member("coupling", &coupling, Coupling::KNOWN)?;
            l.check_member("range", &range, l.ranges)?;
            if let Some(b) = &bandwidth {
                l.check_member("bandwidth", b, l.bandwidths)?;
            }
        }
        let body = self
            .setter()
            .with("channel", channel)
            .with("impedance", impedance.as_str())
            .with("coupling", coupling.as_str())
            .with("range", range.as_str())
            .with("bandwidth", bandwidth.as_ref().map(Bandwidth::as_str));
        Ok(FrontendSettings::from_map(
            self.post_obj("set_frontend", Some(&body))?,
        ))
    }

    /// `POST get_frontend` with `{"channel"}`.
    pub fn get_frontend(&self, channel: u8) -> Result<FrontendSettings> {
        self.check_channel(channel)?;
        let body = Object::new().with("channel", channel);
        Ok(FrontendSettings::from_map(
            self.post_obj("get_frontend", Some(&body))?,
        ))
    }

    /// `POST enable_input`: switches one input on or off.
    pub fn enable_input(&self, channel: u8, enable: bool) -> Result<()> {
        self.check_channel(channel)?;
        let body = self
            .setter()
            .with("channel", channel)
            .with("enable", enable);
        self.post(&self.op("enable_input"), Some(&body)).map(drop)
    }

    /// `POST disable_channel` (deprecated by the vendor).
    #[deprecated(note = "use enable_input(channel, false)")]
    pub fn disable_channel(&self, channel: u8, disable: bool) -> Result<()> {
        self.check_channel(channel)?;
        let body = self
            .setter()
            .with("channel", channel)
            .with("disable", disable);
        self.post(&self.op("disable_channel"), Some(&body))
            .map(drop)
    }

    /// `POST set_acquisition_mode`; returns the mode the device reports.
    pub fn set_acquisition_mode(&self, mode: AcquisitionMode) -> Result<AcquisitionMode> {
        if let Some(l) = self.strict_limits() {
            l.check_member("mode", &mode, l.acquisition_modes)?;
        }
        let body = self.setter().with("mode", mode.as_str());
        let op = self.op("set_acquisition_mode");
        let m = self.post_obj("set_acquisition_mode", Some(&body))?;
        Ok(AcquisitionMode::from_raw(&required(
            &op,
            "mode",
            str_field(&m, "mode"),
        )?))
    }

    /// `GET get_acquisition_mode`.
    pub fn get_acquisition_mode(&self) -> Result<AcquisitionMode> {
        let op = self.op("get_acquisition_mode");
        let m = self.get_obj("get_acquisition_mode")?;
        Ok(AcquisitionMode::from_raw(&required(
            &op,
            "mode",
            str_field(&m, "mode"),
        )?))
    }

    /// `POST set_samplerate`; returns the achieved rate.
    pub fn set_samplerate(&self, sample_rate: impl Into<Num>) -> Result<f64> {
        let rate = sample_rate.into();
        if let Some(l) = self.strict_limits() {
            l.check_range("sample_rate", rate.as_f64(), l.samplerate)?;
        }
        let body = self.setter().with("sample_rate", rate);
        let op = self.op("set_samplerate");
        let m = self.post_obj("set_samplerate", Some(&body))?;
        required(&op, "sample_rate", f64_field(&m, "sample_rate"))
    }

    /// `GET get_samplerate`.
    pub fn get_samplerate(&self) -> Result<f64> {
        let op = self.op("get_samplerate");
        let m = self.get_obj("get_samplerate")?;
        required(&op, "sample_rate", f64_field(&m, "sample_rate"))
    }

    /// Per-model checks shared by `start_logging` and `start_streaming`: sample rate and
    /// trigger (skipped when validation is off).
    fn check_session(
        &self,
        logging: bool,
        rate: Option<Num>,
        source: Option<&TriggerSource>,
        level: Option<Num>,
    ) -> Result<()> {
        let Some(l) = self.strict_limits() else {
            return Ok(());
        };
        if let Some(r) = rate {
            let range = if logging {
                l.logging_samplerate
            } else {
                l.stream_samplerate
            };
            l.check_range("sample_rate", r.as_f64(), range)?;
        }
        if let Some(s) = source {
            l.check_member("trigger_source", s, l.trigger_sources)?;
        }
        if let Some(v) = level {
            l.check_range("trigger_level", v.as_f64(), limits::TRIGGER_LEVEL)?;
        }
        Ok(())
    }

    /// `POST start_logging`; the reply names the file and its location.
    pub fn start_logging(&self, options: &LoggingOptions) -> Result<LoggingStarted> {
        self.check_session(
            true,
            options.sample_rate,
            options.trigger_source.as_ref(),
            options.trigger_level,
        )?;
        let body = self
            .setter()
            .with("duration", options.duration)
            .with("sample_rate", options.sample_rate)
            .with("delay", options.delay)
            .with(
                "trigger_source",
                options.trigger_source.as_ref().map(TriggerSource::as_str),
            )
            .with("trigger_level", options.trigger_level)
            .with("file_name_prefix", options.file_name_prefix.as_str())
            .with("comments", options.comments.as_str());
        let started = LoggingStarted::from_map(self.post_obj("start_logging", Some(&body))?);
        // Until the session is over, dropping the last handle never relinquishes.
        self.sh().set_logging(true);
        Ok(started)
    }

    /// `GET stop_logging` (data must be null).
    pub fn stop_logging(&self) -> Result<()> {
        let op = self.op("stop_logging");
        expect::null(&op, &self.get(&op)?)?;
        self.sh().set_logging(false);
        Ok(())
    }

    /// `GET logging_progress`.
    pub fn logging_progress(&self) -> Result<LoggingProgress> {
        let p = LoggingProgress::from_map(self.get_obj("logging_progress")?);
        if p.complete {
            self.sh().set_logging(false);
        }
        Ok(p)
    }

    /// `GET summary`: the multi-line summary text.
    pub fn summary(&self) -> Result<String> {
        let op = self.op("summary");
        expect::string(&op, self.get(&op)?)
    }

    /// `POST generate_waveform` with all twelve keys.
    pub fn generate_waveform(&self, channel: u8, waveform: &Waveform) -> Result<WaveformSettings> {
        self.check_channel(channel)?;
        if let Some(l) = self.strict_limits() {
            let w = waveform;
            l.check_member("type", &w.kind, WaveformType::KNOWN)?;
            match w.kind {
                WaveformType::Off | WaveformType::Dc => {}
                _ => {
                    l.check_range("amplitude", w.amplitude.as_f64(), l.amplitude)?;
                    l.check_range("offset", w.offset.as_f64(), limits::OFFSET)?;
                }
            }
            if matches!(
                w.kind,
                WaveformType::Sine
                    | WaveformType::Square
                    | WaveformType::Ramp
                    | WaveformType::Pulse
            ) {
                l.check_range("frequency", w.frequency.as_f64(), l.frequency)?;
                l.check_range("phase", w.phase.as_f64(), limits::PHASE)?;
            }
            if let Some(d) = w.duty {
                l.check_range("duty", d.as_f64(), limits::PERCENT)?;
            }
            if let Some(s) = w.symmetry {
                l.check_range("symmetry", s.as_f64(), limits::PERCENT)?;
            }
            if let Some(d) = w.dc_level {
                l.check_range("dc_level", d.as_f64(), limits::OFFSET)?;
            }
            if let Some(e) = w.edge_time {
                l.check_min("edge_time", e.as_f64(), l.edge_time_min)?;
            }
            if let Some(p) = w.pulse_width {
                l.check_min("pulse_width", p.as_f64(), l.edge_time_min)?;
            }
        }
        let body = self
            .setter()
            .with("channel", channel)
            .with("type", waveform.kind.as_str())
            .with("amplitude", waveform.amplitude)
            .with("frequency", waveform.frequency)
            .with("offset", waveform.offset)
            .with("phase", waveform.phase)
            .with("duty", waveform.duty)
            .with("symmetry", waveform.symmetry)
            .with("dc_level", waveform.dc_level)
            .with("edge_time", waveform.edge_time)
            .with("pulse_width", waveform.pulse_width);
        Ok(WaveformSettings::from_map(
            self.post_obj("generate_waveform", Some(&body))?,
        ))
    }

    /// `POST sync_output_phase` (empty body; data must be null).
    pub fn sync_output_phase(&self) -> Result<()> {
        let op = self.op("sync_output_phase");
        expect::null(&op, &self.post(&op, None)?)
    }

    fn termination_reply(&self, name: &str, key: &str, body: &Object) -> Result<Termination> {
        let op = self.op(name);
        let m = self.post_obj(name, Some(body))?;
        Ok(Termination::from_raw(&required(
            &op,
            key,
            str_field(&m, key),
        )?))
    }

    /// `POST set_output_termination`.
    pub fn set_output_termination(
        &self,
        channel: u8,
        termination: Termination,
    ) -> Result<Termination> {
        self.check_channel(channel)?;
        if let Some(l) = self.strict_limits() {
            l.check_termination_available("termination")?;
            l.check_member("termination", &termination, Termination::KNOWN)?;
        }
        let body = self
            .setter()
            .with("channel", channel)
            .with("termination", termination.as_str());
        self.termination_reply("set_output_termination", "termination", &body)
    }

    /// `POST get_output_termination` with `{"channel"}`.
    pub fn get_output_termination(&self, channel: u8) -> Result<Termination> {
        self.check_channel(channel)?;
        let body = Object::new().with("channel", channel);
        self.termination_reply("get_output_termination", "termination", &body)
    }

    /// `POST set_output_load` (deprecated by the vendor); the device answers `HiZ` for `1MOhm`.
    #[deprecated(note = "use set_output_termination")]
    pub fn set_output_load(&self, channel: u8, load: Load) -> Result<Termination> {
        self.check_channel(channel)?;
        if let Some(l) = self.strict_limits() {
            l.check_termination_available("load")?;
            l.check_member("load", &load, Load::KNOWN)?;
        }
        let body = self
            .setter()
            .with("channel", channel)
            .with("load", load.as_str());
        self.termination_reply("set_output_load", "load", &body)
    }

    /// `POST get_output_load` (deprecated by the vendor).
    #[deprecated(note = "use get_output_termination")]
    pub fn get_output_load(&self, channel: u8) -> Result<Termination> {
        self.check_channel(channel)?;
        let body = Object::new().with("channel", channel);
        self.termination_reply("get_output_load", "load", &body)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Datalogger>();
        check::<crate::Session>();
        check::<crate::MultiInstrument>();
    }
}
