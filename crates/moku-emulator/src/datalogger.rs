//! The Datalogger instrument of one slot: `/api/slot<N>/datalogger/<op>` (docs/moku-protocol.md §7, §8, §9, §10).

use serde_json::{Value, json};

use crate::files::{Files, check_name};
use crate::model::{Limits, Model, range_volts};
use crate::params::{Coerce, Params};
use crate::reply::{ApiError, Reply};
use crate::session::{Acquisition, LogSession, StreamSession, Trigger, timestamp};
use crate::settings::{self, Settings};
use crate::signal::{Signal, WaveKind, Waveform};

/// What a Datalogger operation may touch outside its slot.
pub(crate) struct Env<'a> {
    /// The emulated model.
    pub model: Model,
    /// Emulator time (s).
    pub now: f64,
    /// Unix time of emulator time 0.
    pub unix_epoch: f64,
    /// The physical input signals.
    pub inputs: &'a [Signal],
    /// The device's storage.
    pub files: &'a mut Files,
    /// Largest `.li` file in samples (all channels).
    pub max_log_samples: u64,
}

/// One deployed Datalogger.
#[derive(Debug)]
pub(crate) struct Datalogger {
    /// 1-based slot.
    pub slot: u8,
    /// The settings `save_settings` saves.
    pub settings: Settings,
    /// The latest logging session.
    pub log: Option<LogSession>,
    /// The latest streaming session.
    pub stream: Option<StreamSession>,
}

/// The trigger part of a start_logging / start_streaming request.
struct TriggerRequest {
    /// `trigger_source`, echoed.
    source: Option<String>,
    /// `trigger_level` after coercion, echoed.
    level: Option<f64>,
    /// What the session waits for (none without a source).
    pending: Option<Trigger>,
}

/// The verb each operation uses (docs/moku-protocol.md §7.2).
fn verb(op: &str) -> Option<&'static str> {
    Some(match op {
        "get_acquisition_mode"
        | "get_samplerate"
        | "stop_logging"
        | "logging_progress"
        | "summary"
        | "save_settings" => "GET",
        "set_defaults"
        | "set_frontend"
        | "get_frontend"
        | "enable_input"
        | "disable_channel"
        | "set_acquisition_mode"
        | "set_samplerate"
        | "start_logging"
        | "generate_waveform"
        | "sync_output_phase"
        | "set_output_termination"
        | "get_output_termination"
        | "set_output_load"
        | "get_output_load"
        | "start_streaming"
        | "get_stream_status"
        | "stop_streaming"
        | "load_settings" => "POST",
        _ => return None,
    })
}

impl Datalogger {
    /// A freshly deployed Datalogger with the model's defaults.
    pub fn new(slot: u8, model: Model) -> Datalogger {
        Datalogger {
            slot,
            settings: Settings::defaults(model),
            log: None,
            stream: None,
        }
    }

    /// Whether a logging or streaming session is still acquiring.
    pub fn busy(&self, now: f64) -> bool {
        self.log.as_ref().is_some_and(|l| !l.finished(now))
            || self
                .stream
                .as_ref()
                .is_some_and(|s| !s.acquisition_over(now))
    }

    /// Looks for pending triggers and writes the file of a logging session that has ended.
    pub fn poll(&mut self, env: &mut Env<'_>) {
        let acq = Acquisition {
            inputs: env.inputs,
            outputs: &self.settings.outputs,
            frontends: &self.settings.frontends,
        };
        if let Some(stream) = self.stream.as_mut() {
            stream.advance_trigger(&acq, env.now);
        }
        let Some(log) = self.log.as_mut() else { return };
        log.advance_trigger(&acq, env.now);
        if log.written || !log.finished(env.now) {
            return;
        }
        log.written = true;
        let result = log
            .file(&acq, env.now, env.unix_epoch)
            .map_err(|e| ApiError::request(e.to_string()))
            .and_then(|bytes| env.files.put(log.location, &log.file_name, bytes));
        if result.is_err() {
            env.files.release(log.location, &log.file_name);
        }
    }

    /// The inputs the sessions acquire (0-based).
    fn enabled_channels(&self) -> Vec<usize> {
        (0..self.settings.enabled.len())
            .filter(|i| self.settings.enabled[*i])
            .collect()
    }

    /// Serves one operation.
    pub fn handle(&mut self, method: &str, op: &str, body: &[u8], env: &mut Env<'_>) -> Reply {
        let Some(expected) = verb(op) else {
            return Reply::not_found(&format!("/api/slot{}/datalogger/{op}", self.slot));
        };
        if method != expected {
            return Reply::wrong_method(method, &format!("/api/slot{}/datalogger/{op}", self.slot));
        }
        if op == "save_settings" {
            return Reply::bytes(self.settings.to_mokuconf(env.model));
        }
        if op == "load_settings" {
            return self.load_settings(body, env).into();
        }
        let p = match Params::parse(body) {
            Ok(p) => p,
            Err(e) => return e.into(),
        };
        self.op(op, &p, env).into()
    }

    fn op(&mut self, op: &str, p: &Params, env: &mut Env<'_>) -> Result<Reply, ApiError> {
        let l = env.model.limits();
        match op {
            "set_defaults" => {
                self.idle(env.now)?;
                self.settings = Settings::defaults(env.model);
                Ok(Reply::ok(Value::Null))
            }
            "set_frontend" => self.set_frontend(p, l, env.now),
            "get_frontend" => {
                let ch = p.channel(l.channels)?;
                Ok(Reply::ok(self.frontend_json(ch)))
            }
            "enable_input" | "disable_channel" => {
                let ch = p.channel(l.channels)?;
                let on = if op == "enable_input" {
                    p.bool("enable")?.unwrap_or(true)
                } else {
                    !p.bool("disable")?.unwrap_or(true)
                };
                self.idle(env.now)?;
                self.settings.enabled[ch - 1] = on;
                Ok(Reply::ok(Value::Null))
            }
            "set_acquisition_mode" => {
                let mut c = Coerce::new(p.strict()?);
                let mode = p.str("mode")?.unwrap_or("Normal");
                let known = ["Normal", "Precision", "PeakDetect", "DeepMemory"].contains(&mode);
                let mode = c.choice(
                    "acquisition mode",
                    mode,
                    l.acquisition_modes,
                    known.then_some("Normal"),
                )?;
                self.idle(env.now)?;
                self.settings.acquisition_mode = mode.into();
                Ok(Reply::ok_noted(json!({"mode": mode}), c.into_notes()))
            }
            "get_acquisition_mode" => {
                Ok(Reply::ok(json!({"mode": self.settings.acquisition_mode})))
            }
            "set_samplerate" => {
                let mut c = Coerce::new(p.strict()?);
                let max = l.max_rate_for_channels(l.samplerate.1, self.settings.enabled_count());
                let rate = c.range(
                    "sample_rate",
                    p.req_f64("sample_rate")?,
                    l.samplerate.0,
                    max,
                )?;
                self.idle(env.now)?;
                self.settings.sample_rate = rate;
                Ok(Reply::ok_noted(
                    json!({"sample_rate": rate}),
                    c.into_notes(),
                ))
            }
            "get_samplerate" => Ok(Reply::ok(json!({"sample_rate": self.settings.sample_rate}))),
            "start_logging" => self.start_logging(p, l, env),
            "stop_logging" => match self.log.as_mut() {
                Some(log) if !log.finished(env.now) => {
                    log.stopped = Some(log.logged(env.now));
                    self.poll(env);
                    Ok(Reply::ok(Value::Null))
                }
                _ => Err(ApiError::request("No logging session in progress")),
            },
            "logging_progress" => Ok(Reply::ok(match &self.log {
                Some(log) => log.progress(env.now),
                None => {
                    json!({"running": false, "complete": false, "message": "No logging session",
                    "time_to_start": 0, "samples_logged": 0, "time_remaining": 0, "file_name": ""})
                }
            })),
            "summary" => Ok(Reply::ok(Value::String(self.summary(env.model)))),
            "generate_waveform" => self.generate_waveform(p, l, env.now),
            "sync_output_phase" => {
                for o in &mut self.settings.outputs {
                    o.waveform.t_ref = env.now;
                }
                Ok(Reply::ok(Value::Null))
            }
            "set_output_termination" | "set_output_load" => {
                let ch = p.channel(l.channels)?;
                no_termination(l, env.model)?;
                let mut c = Coerce::new(p.strict()?);
                let termination = if op == "set_output_termination" {
                    c.choice(
                        "termination",
                        p.req_str("termination")?,
                        &["HiZ", "50Ohm"],
                        None,
                    )?
                } else {
                    match c.choice("load", p.req_str("load")?, &["1MOhm", "50Ohm"], None)? {
                        "1MOhm" => "HiZ",
                        other => other,
                    }
                };
                self.settings.outputs[ch - 1].termination = termination.into();
                let key = if op == "set_output_load" {
                    "load"
                } else {
                    "termination"
                };
                Ok(Reply::ok_noted(json!({ key: termination }), c.into_notes()))
            }
            "get_output_termination" | "get_output_load" => {
                let ch = p.channel(l.channels)?;
                no_termination(l, env.model)?;
                let key = if op == "get_output_load" {
                    "load"
                } else {
                    "termination"
                };
                Ok(Reply::ok(
                    json!({ key: self.settings.outputs[ch - 1].termination }),
                ))
            }
            "start_streaming" => self.start_streaming(p, l, env.now),
            "get_stream_status" => Ok(Reply::ok(match &mut self.stream {
                Some(s) => {
                    s.check_overflow(env.now);
                    s.status_json(env.now, u64::MAX)
                }
                None => {
                    json!({"available_memory": crate::session::STREAM_MEMORY, "cumulative_size": 0,
                    "error": "", "no_of_chunks": 0, "status": "IDLE", "stream_id": ""})
                }
            })),
            "stop_streaming" => match self.stream.as_mut() {
                Some(s) => {
                    if !s.acquisition_over(env.now) {
                        s.stopped = Some(s.produced(env.now));
                    }
                    Ok(Reply::ok(Value::Null))
                }
                None => Err(ApiError::request("No streaming session in progress")),
            },
            _ => Ok(Reply::not_found(op)),
        }
    }

    /// Refuses acquisition changes while a session is acquiring.
    fn idle(&self, now: f64) -> Result<(), ApiError> {
        if self.busy(now) {
            Err(ApiError::request(
                "A logging or streaming session is in progress; stop it first",
            ))
        } else {
            Ok(())
        }
    }

    fn frontend_json(&self, ch: usize) -> Value {
        let f = &self.settings.frontends[ch - 1];
        json!({"bandwidth": f.bandwidth, "coupling": f.coupling, "impedance": f.impedance, "range": f.range})
    }

    fn set_frontend(&mut self, p: &Params, l: &Limits, now: f64) -> Result<Reply, ApiError> {
        let ch = p.channel(l.channels)?;
        let mut c = Coerce::new(p.strict()?);
        let impedance = p.req_str("impedance")?;
        let known = ["1MOhm", "50Ohm"].contains(&impedance);
        let impedance = c.choice(
            "impedance",
            impedance,
            l.impedances,
            known.then_some("1MOhm"),
        )?;
        let coupling = c.choice("coupling", p.req_str("coupling")?, &["AC", "DC"], None)?;
        let range = p.req_str("range")?;
        let nearest = range_volts(range).map(|v| {
            l.ranges
                .iter()
                .copied()
                .find(|r| range_volts(r).is_some_and(|rv| rv >= v))
                .unwrap_or(l.ranges[l.ranges.len() - 1])
        });
        let range = c.choice("range", range, l.ranges, nearest)?;
        let allowed = settings::bandwidths(l, impedance);
        let bandwidth = match p.str("bandwidth")? {
            None => allowed[0],
            Some(bw) => c.choice("bandwidth", bw, &allowed, Some(allowed[0]))?,
        };
        self.idle(now)?;
        let f = &mut self.settings.frontends[ch - 1];
        f.impedance = impedance.into();
        f.coupling = coupling.into();
        f.range = range.into();
        f.bandwidth = bandwidth.into();
        Ok(Reply::ok_noted(self.frontend_json(ch), c.into_notes()))
    }

    /// The trigger of a logging or streaming request, armed at `armed_t`: the echoed source and
    /// level, and the pending [`Trigger`] (none without a source).
    fn trigger(
        &self,
        p: &Params,
        l: &Limits,
        c: &mut Coerce,
        armed_t: f64,
    ) -> Result<TriggerRequest, ApiError> {
        let source = match p.str("trigger_source")? {
            Some(s) if l.trigger_source_ok(s) => Some(s.to_owned()),
            Some(s) => return Err(ApiError::param(format!("invalid trigger_source {s:?}"))),
            None => None,
        };
        let level = match p.f64("trigger_level")? {
            Some(v) => Some(c.range("trigger_level", v, -5.0, 5.0)?),
            None => None,
        };
        let pending = source.as_deref().map(|s| Trigger {
            input: s
                .strip_prefix("Input")
                .and_then(|n| n.parse::<usize>().ok())
                .map(|n| n - 1),
            level: level.unwrap_or(0.0),
            armed_t,
            scanned: 0,
            last: None,
        });
        Ok(TriggerRequest {
            source,
            level,
            pending,
        })
    }

    fn session_channels(&self) -> Result<Vec<usize>, ApiError> {
        let channels = self.enabled_channels();
        if channels.is_empty() {
            Err(ApiError::request(
                "No input is enabled; enable one with enable_input",
            ))
        } else {
            Ok(channels)
        }
    }

    fn start_logging(
        &mut self,
        p: &Params,
        l: &Limits,
        env: &mut Env<'_>,
    ) -> Result<Reply, ApiError> {
        let mut c = Coerce::new(p.strict()?);
        let channels = self.session_channels()?;
        let rate = match p.f64("sample_rate")? {
            Some(r) => {
                let max = l.max_rate_for_channels(l.logging_samplerate.1, channels.len());
                c.range("sample_rate", r, l.logging_samplerate.0, max)?
            }
            None => self.settings.sample_rate,
        };
        let duration = p.f64("duration")?.unwrap_or(60.0);
        if duration <= 0.0 {
            return Err(ApiError::param(format!(
                "duration {duration} must be positive"
            )));
        }
        let max_duration = env.max_log_samples as f64 / (rate * channels.len() as f64);
        let duration = c.range("duration", duration, 0.0, max_duration)?;
        let delay = c.range("delay", p.f64("delay")?.unwrap_or(0.0), 0.0, 86_400.0)?;
        let TriggerRequest {
            source,
            level,
            pending: trigger,
        } = self.trigger(p, l, &mut c, env.now + delay)?;
        let prefix = match p.str("file_name_prefix")? {
            Some(s) if !s.is_empty() => s,
            _ => "MokuDataLoggerData",
        };
        check_name(prefix)?;
        let comments = p.str("comments")?.unwrap_or("").to_owned();
        self.idle(env.now)?;
        let unix_now = env.unix_epoch + env.now;
        let stem = format!("{prefix}_{}", timestamp(unix_now.max(0.0) as u64));
        let location = l.log_location;
        let file_name = env.files.reserve_unique(location, &stem, ".li");
        let total = ((duration * rate).round() as u64).max(1);
        self.settings.sample_rate = rate;
        self.log = Some(LogSession {
            file_name: file_name.clone(),
            location,
            start_t: env.now + delay,
            trigger,
            rate,
            total,
            channels,
            stopped: None,
            written: false,
        });
        let save_to = match location {
            "ssd" => "SSD",
            "media" => "Media",
            _ => "Persist",
        };
        let mut data = json!({
            "Save to": save_to,
            "Start": if delay > 0.0 { "Delayed" } else { "Immediate" },
            "acquisition_mode": self.settings.acquisition_mode,
            "comments": comments,
            "delay": delay,
            "duration": duration,
            "file_name": file_name,
            "file_name_prefix": prefix,
            "location": location,
            "sample_rate": rate,
        });
        if let Some(s) = source {
            data["source"] = Value::String(s);
        }
        if let Some(v) = level {
            data["level"] = json!(v);
        }
        Ok(Reply::ok_noted(data, c.into_notes()))
    }

    fn start_streaming(&mut self, p: &Params, l: &Limits, now: f64) -> Result<Reply, ApiError> {
        let mut c = Coerce::new(p.strict()?);
        let channels = self.session_channels()?;
        let rate = match p.f64("sample_rate")? {
            Some(r) => {
                let max = l.max_rate_for_channels(l.stream_samplerate.1, channels.len());
                c.range("sample_rate", r, l.stream_samplerate.0, max)?
            }
            None => self.settings.sample_rate,
        };
        let duration = match p.f64("duration")? {
            Some(d) if d <= 0.0 => {
                return Err(ApiError::param(format!("duration {d} must be positive")));
            }
            Some(d) => Some(d),
            None => None,
        };
        let TriggerRequest {
            source,
            level,
            pending: trigger,
        } = self.trigger(p, l, &mut c, now)?;
        self.idle(now)?;
        let id = format!("logsink{}", self.slot - 1);
        self.stream = Some(StreamSession {
            id: id.clone(),
            start_t: now,
            trigger,
            rate,
            total: duration.map(|d| ((d * rate).round() as u64).max(1)),
            channels,
            delivered: 0,
            stopped: None,
            error: None,
        });
        let mut data = json!({"sample_rate": rate, "stream_id": id});
        if let Some(d) = duration {
            data["duration"] = json!(d);
        }
        if let Some(s) = source {
            data["trigger_source"] = Value::String(s);
        }
        if let Some(v) = level {
            data["trigger_level"] = json!(v);
        }
        Ok(Reply::ok_noted(data, c.into_notes()))
    }

    fn generate_waveform(&mut self, p: &Params, l: &Limits, now: f64) -> Result<Reply, ApiError> {
        let ch = p.channel(l.channels)?;
        let mut c = Coerce::new(p.strict()?);
        let type_name = p.req_str("type")?;
        let kind = WaveKind::parse(type_name)
            .ok_or_else(|| ApiError::param(format!("invalid waveform type {type_name:?} (valid: Off, Sine, Square, Ramp, Pulse, Noise, DC)")))?;
        let mut w = Waveform {
            kind,
            t_ref: now,
            ..Waveform::default()
        };
        let periodic = matches!(
            kind,
            WaveKind::Sine | WaveKind::Square | WaveKind::Ramp | WaveKind::Pulse
        );
        if periodic {
            w.frequency = c.range(
                "frequency",
                p.f64("frequency")?.unwrap_or(10_000.0),
                l.frequency.0,
                l.frequency.1,
            )?;
            w.phase = c.range("phase", p.f64("phase")?.unwrap_or(0.0), 0.0, 360.0)?;
        }
        if periodic || kind == WaveKind::Noise {
            let max_amp = match l.high_frequency_amplitude {
                Some((above, amp)) if periodic && w.frequency > above => amp,
                _ => l.amplitude.1,
            };
            w.amplitude = c.range(
                "amplitude",
                p.f64("amplitude")?.unwrap_or(1.0),
                l.amplitude.0,
                max_amp,
            )?;
            w.offset = c.range("offset", p.f64("offset")?.unwrap_or(0.0), -5.0, 5.0)?;
        }
        let mut data = json!({"type": kind.name()});
        match kind {
            WaveKind::Off => {}
            WaveKind::Dc => {
                w.dc_level = c.range("dc_level", p.f64("dc_level")?.unwrap_or(0.0), -5.0, 5.0)?;
                data["dc_level"] = json!(w.dc_level);
            }
            WaveKind::Noise => {
                data["amplitude"] = json!(w.amplitude);
                data["offset"] = json!(w.offset);
            }
            _ => {
                data["amplitude"] = json!(w.amplitude);
                data["frequency"] = json!(w.frequency);
                data["offset"] = json!(w.offset);
                data["phase"] = json!(w.phase);
            }
        }
        match kind {
            WaveKind::Square => {
                w.duty = c.range("duty", p.f64("duty")?.unwrap_or(50.0), 0.0, 100.0)?;
                data["duty"] = json!(w.duty);
            }
            WaveKind::Ramp => {
                w.symmetry = c.range("symmetry", p.f64("symmetry")?.unwrap_or(50.0), 0.0, 100.0)?;
                data["symmetry"] = json!(w.symmetry);
            }
            WaveKind::Pulse => {
                let period = 1.0 / w.frequency;
                let min = l.min_edge_time;
                let edge = p.f64("edge_time")?.unwrap_or(min);
                w.edge_time =
                    c.range("edge_time", edge, min, (period / 2.0 - min / 2.0).max(min))?;
                let width = p.f64("pulse_width")?.unwrap_or(period / 2.0 - w.edge_time);
                let max_width = (period - 2.0 * w.edge_time).max(min);
                w.pulse_width = c.range("pulse_width", width, min, max_width)?;
                data["edge_time"] = json!(w.edge_time);
                data["pulse_width"] = json!(w.pulse_width);
            }
            _ => {}
        }
        self.settings.outputs[ch - 1].waveform = w;
        Ok(Reply::ok_noted(data, c.into_notes()))
    }

    fn load_settings(&mut self, body: &[u8], env: &Env<'_>) -> Result<Reply, ApiError> {
        let mut settings = Settings::from_mokuconf(body, env.model)?;
        self.idle(env.now)?;
        for o in &mut settings.outputs {
            o.waveform.t_ref = env.now;
        }
        self.settings = settings;
        Ok(Reply::ok(Value::Null))
    }

    fn summary(&self, model: Model) -> String {
        let s = &self.settings;
        let mut out = format!("{} Data Logger\n", model.hardware());
        for (i, f) in s.frontends.iter().enumerate() {
            let state = if s.enabled[i] { "" } else { " (disabled)" };
            out.push_str(&format!(
                "Input {} - {} coupling, {} impedance, {} range, {} bandwidth{state}\n",
                i + 1,
                f.coupling,
                f.impedance,
                f.range,
                f.bandwidth
            ));
        }
        out.push_str(&format!(
            "Acquisition rate: {} Hz, {} mode\n",
            crate::li::sci(s.sample_rate),
            s.acquisition_mode
        ));
        for (i, o) in s.outputs.iter().enumerate() {
            let w = &o.waveform;
            let desc = match w.kind {
                WaveKind::Off => "Off".to_owned(),
                WaveKind::Dc => format!("DC, {} V", w.dc_level),
                WaveKind::Noise => format!("Noise, {} Vpp, offset {} V", w.amplitude, w.offset),
                k => format!(
                    "{}, {} Hz, {} Vpp, offset {} V, phase {} deg",
                    k.name(),
                    w.frequency,
                    w.amplitude,
                    w.offset,
                    w.phase
                ),
            };
            out.push_str(&format!(
                "Output {} - {desc}, termination {}\n",
                i + 1,
                o.termination
            ));
        }
        out
    }
}

fn no_termination(l: &Limits, model: Model) -> Result<(), ApiError> {
    if l.output_termination {
        Ok(())
    } else {
        Err(ApiError::request(format!(
            "Output termination is not available on {}",
            model.hardware()
        )))
    }
}
