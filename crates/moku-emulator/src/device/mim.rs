//! Multi-instrument ("MiM") endpoints of the device: `/api/mim/*` — the instruments in the
//! slots, the wiring between inputs, slots and outputs, and the platform's front-end and output
//! gain settings (docs/moku-protocol.md §4).

use serde_json::{Value, json};

use super::{Device, Request, only};
use crate::model::Model;
use crate::params::Params;
use crate::reply::{ApiError, Reply};

impl Device {
    pub(super) fn mim(&mut self, req: &Request<'_>, op: &str) -> Reply {
        match op {
            "get_instruments" => only(req, "GET", || {
                let names: Vec<&str> = self
                    .slots
                    .iter()
                    .map(|s| if s.is_some() { "datalogger" } else { "" })
                    .collect();
                Reply::ok(json!(names))
            }),
            "get_connections" => only(req, "GET", || {
                Reply::ok(Value::Array(self.connections.clone()))
            }),
            "set_connections" => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path);
                }
                let r = Params::parse(req.body).and_then(|p| match p.value("connections") {
                    Some(Value::Array(list)) if list.iter().all(Value::is_object) => {
                        Ok(list.clone())
                    }
                    None => Ok(Vec::new()),
                    Some(_) => Err(ApiError::param("connections must be a list of objects")),
                });
                let list = match r {
                    Ok(list) => list,
                    Err(e) => return e.into(),
                };
                for c in &list {
                    if let Err(msg) = self.check_wire(c) {
                        return Reply::error("INVALID_PARAM", msg);
                    }
                }
                // Incremental: each wire replaces the one into its destination.
                for c in &list {
                    self.connections
                        .retain(|old| old.get("destination") != c.get("destination"));
                    self.connections.push(c.clone());
                }
                Reply::ok(Value::Array(list))
            }
            "set_frontend" | "get_frontend" => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path);
                }
                let l = self.model.limits();
                let p = match Params::parse(req.body) {
                    Ok(p) => p,
                    Err(e) => return e.into(),
                };
                let channel = p.u64("channel").ok().flatten().unwrap_or(0);
                if !(1..=u64::from(l.channels)).contains(&channel) {
                    return Reply::error(
                        "INVALID_PARAM",
                        format!("channel {channel} is not an input (1 to {})", l.channels),
                    );
                }
                let idx = usize::try_from(channel - 1).unwrap_or(0);
                if op == "set_frontend" {
                    let entry = json!({
                        "impedance": p.str("impedance").ok().flatten().unwrap_or("1MOhm"),
                        "coupling": p.str("coupling").ok().flatten().unwrap_or("DC"),
                        "attenuation": p.str("attenuation").ok().flatten().unwrap_or("0dB"),
                        "gain": p.str("gain").ok().flatten().unwrap_or("0dB"),
                        "bandwidth": p.str("bandwidth").ok().flatten().unwrap_or(l.default_bandwidth),
                    });
                    self.mim_frontends.insert(idx, entry);
                }
                Reply::ok(self.mim_frontends.get(&idx).cloned().unwrap_or_else(|| {
                    json!({"impedance": "1MOhm", "coupling": "DC", "attenuation": "0dB",
                           "gain": "0dB", "bandwidth": l.default_bandwidth})
                }))
            }
            "set_output" | "get_output" => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path);
                }
                let l = self.model.limits();
                let p = match Params::parse(req.body) {
                    Ok(p) => p,
                    Err(e) => return e.into(),
                };
                let channel = p.u64("channel").ok().flatten().unwrap_or(0);
                if !(1..=u64::from(l.channels)).contains(&channel) {
                    return Reply::error(
                        "INVALID_PARAM",
                        format!("channel {channel} is not an output (1 to {})", l.channels),
                    );
                }
                let idx = usize::try_from(channel - 1).unwrap_or(0);
                if op == "set_output" {
                    // Output gain is documented for Pro (0dB, 14dB) and Delta (0dB, 20dB).
                    let allowed: &[&str] = match self.model {
                        Model::Pro => &["0dB", "14dB"],
                        Model::Delta => &["0dB", "20dB"],
                        _ => &[],
                    };
                    let gain = p.str("output_gain").ok().flatten().unwrap_or("");
                    if !allowed.contains(&gain) {
                        return Reply::error(
                            "INVALID_PARAM",
                            format!(
                                "output_gain {gain:?} is not available on this model (allowed: {})",
                                if allowed.is_empty() {
                                    "none".into()
                                } else {
                                    allowed.join(", ")
                                }
                            ),
                        );
                    }
                    self.mim_output_gain.insert(idx, gain.to_owned());
                }
                let gain = self
                    .mim_output_gain
                    .get(&idx)
                    .cloned()
                    .unwrap_or_else(|| "0dB".into());
                Reply::ok(json!({ "output_gain": gain }))
            }
            _ => Reply::not_found(req.path),
        }
    }

    /// Whether one `{"source", "destination"}` wire can exist on this model and platform: a
    /// source is an input, a slot's output or DIO; a destination an output, a slot's input or
    /// DIO (Go and Delta only); slots and channels in range; ports `A` to `D`.
    fn check_wire(&self, c: &Value) -> Result<(), String> {
        let l = self.model.limits();
        let dio = matches!(self.model, Model::Go | Model::Delta);
        let get = |k: &str| {
            c.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("a connection needs a string `{k}`"))
        };
        let (src, dst) = (get("source")?, get("destination")?);
        let numbered = |s: &str, prefix: &str, max: u8| {
            s.strip_prefix(prefix)
                .and_then(|n| n.parse::<u8>().ok())
                .is_some_and(|n| (1..=max).contains(&n))
        };
        let slot_port = |s: &str, dir: &str| {
            s.strip_prefix("Slot")
                .and_then(|r| r.split_once(dir))
                .is_some_and(|(n, p)| {
                    n.parse::<u8>()
                        .is_ok_and(|n| (1..=self.num_slots).contains(&n))
                        && matches!(p, "A" | "B" | "C" | "D")
                })
        };
        let src_ok =
            numbered(src, "Input", l.channels) || slot_port(src, "Out") || (dio && src == "DIO");
        let dst_ok =
            numbered(dst, "Output", l.channels) || slot_port(dst, "In") || (dio && dst == "DIO");
        match (src_ok, dst_ok) {
            (true, true) => Ok(()),
            (false, _) => Err(format!(
                "{src} cannot be a source on a {}-slot {}: use Input1 to Input{}, Slot<n>Out<A-D>{}",
                self.num_slots,
                self.model,
                l.channels,
                if dio { " or DIO" } else { "" }
            )),
            (_, false) => Err(format!(
                "{dst} cannot be a destination on a {}-slot {}: use Output1 to Output{}, Slot<n>In<A-D>{}",
                self.num_slots,
                self.model,
                l.channels,
                if dio { " or DIO" } else { "" }
            )),
        }
    }
}
