//! `generate_waveform`: the output generator's shapes, their limits per model, and the echo of
//! what was set (docs/moku-protocol.md §7).

use serde_json::json;

use super::Datalogger;
use crate::model::Limits;
use crate::params::{Coerce, Params};
use crate::reply::{ApiError, Reply};
use crate::signal::{WaveKind, Waveform};

impl Datalogger {
    pub(super) fn generate_waveform(
        &mut self,
        p: &Params,
        l: &Limits,
        now: f64,
    ) -> Result<Reply, ApiError> {
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
}
