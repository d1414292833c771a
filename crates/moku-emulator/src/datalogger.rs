//! The Datalogger instrument of one slot: `/api/slot<N>/datalogger/<op>` (docs/moku-protocol.md §7, §8, §9, §10).

use serde_json::{Value, json};

use crate::files::Files;
use crate::model::{Limits, Model, range_volts};
use crate::params::{Coerce, Params};
use crate::reply::{ApiError, Reply};
use crate::session::{Acquisition, LogSession, StreamSession};
use crate::settings::{self, Settings};
use crate::signal::{Signal, WaveKind};

mod sessions;
mod waveform;

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
