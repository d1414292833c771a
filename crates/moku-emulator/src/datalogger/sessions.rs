//! Starting a logging or streaming session: the enabled channels, the trigger request, and
//! `start_logging` / `start_streaming` with their limits (docs/moku-protocol.md §7, §8, §9).

use serde_json::{Value, json};

use super::{Datalogger, Env};
use crate::files::check_name;
use crate::model::Limits;
use crate::params::{Coerce, Params};
use crate::reply::{ApiError, Reply};
use crate::session::{LogSession, StreamSession, Trigger, timestamp};

/// The trigger part of a start_logging / start_streaming request.
struct TriggerRequest {
    /// `trigger_source`, echoed.
    source: Option<String>,
    /// `trigger_level` after coercion, echoed.
    level: Option<f64>,
    /// What the session waits for (none without a source).
    pending: Option<Trigger>,
}

impl Datalogger {
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

    pub(super) fn start_logging(
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

    pub(super) fn start_streaming(
        &mut self,
        p: &Params,
        l: &Limits,
        now: f64,
    ) -> Result<Reply, ApiError> {
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
}
