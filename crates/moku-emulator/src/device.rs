//! The device: ownership, `/api/moku/*`, files, bitstreams, multi-instrument slots, streams.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::Config;
use crate::datalogger::{Datalogger, Env};
use crate::files::Files;
use crate::model::Model;
use crate::params::Params;
use crate::reply::{ApiError, Reply};
use crate::signal::Signal;

mod bitstreams;
mod chunks;
mod mim;
mod ownership;

/// A parsed request, as the device sees it.
pub(crate) struct Request<'a> {
    /// `GET`, `POST`, `DELETE`, ...
    pub method: &'a str,
    /// The raw path, for messages.
    pub path: &'a str,
    /// Percent-decoded path segments after `/api/`.
    pub segments: Vec<String>,
    /// The `Moku-Client-Key` request header.
    pub client_key: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// A reply plus the response headers the device adds.
pub(crate) struct Outcome {
    /// The answer.
    pub reply: Reply,
    /// `Moku-Client-Key` to send.
    pub client_key: Option<String>,
    /// Send `Connection: close` and close the connection.
    pub close: bool,
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Outcome {
        Outcome {
            reply,
            client_key: None,
            close: false,
        }
    }
}

#[derive(Debug)]
struct Owner {
    key: String,
    name: String,
}

/// The whole emulated device.
#[derive(Debug)]
pub(crate) struct Device {
    model: Model,
    serial: String,
    name: String,
    mokuos: String,
    instruments_build: u64,
    require_key: bool,
    max_log_samples: u64,
    max_chunk_samples: u64,
    started: Instant,
    unix_epoch: f64,
    owner: Option<Owner>,
    keys_issued: u64,
    inputs: Vec<Signal>,
    num_slots: u8,
    slots: Vec<Option<Datalogger>>,
    files: Files,
    bitstreams: BTreeMap<String, String>,
    connections: Vec<Value>,
    mim_frontends: BTreeMap<usize, Value>,
    mim_output_gain: BTreeMap<usize, String>,
}

impl Device {
    /// A powered-on device, in single-instrument mode with no owner.
    pub fn new(config: &Config) -> Device {
        let l = config.model.limits();
        let unix_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Device {
            model: config.model,
            serial: config.serial.clone(),
            name: config.name.clone(),
            mokuos: config.mokuos_version.clone(),
            instruments_build: config.instruments_build,
            require_key: config.require_client_key,
            max_log_samples: config.max_log_samples,
            max_chunk_samples: config.max_chunk_samples,
            started: Instant::now(),
            unix_epoch,
            owner: None,
            keys_issued: 0,
            inputs: (1..=l.channels).map(Signal::default_for_input).collect(),
            num_slots: 1,
            slots: vec![Some(Datalogger::new(1, config.model))],
            files: Files::new(l.file_targets, config.storage_bytes),
            bitstreams: if config.bitstreams_installed {
                bitstreams::installed_bitstreams(l.platforms)
            } else {
                BTreeMap::new()
            },
            connections: Vec::new(),
            mim_frontends: BTreeMap::new(),
            mim_output_gain: BTreeMap::new(),
        }
    }

    /// Emulator time at `at`.
    fn time(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.started).as_secs_f64()
    }

    /// Sets what input `input` (1-based) sees; false if there is no such input.
    pub fn set_input(&mut self, input: u8, signal: Signal) -> bool {
        match usize::from(input)
            .checked_sub(1)
            .and_then(|i| self.inputs.get_mut(i))
        {
            Some(slot) => {
                *slot = signal;
                true
            }
            None => false,
        }
    }

    /// Serves one request at time `at`.
    pub fn handle(&mut self, req: &Request<'_>, at: Instant) -> Outcome {
        let now = self.time(at);
        self.poll(now);
        let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
        if let Err(reply) = self.check_key(req, &segs) {
            return reply.into();
        }
        match segs.as_slice() {
            ["moku", "claim_ownership"] => self.claim(req, now),
            ["moku", "relinquish_ownership"] => self.relinquish(req),
            ["moku", rest @ ..] => self.moku(req, rest).into(),
            ["v2", "bitstreams"] => only(req, "GET", || {
                let list: Vec<Value> = self
                    .bitstreams
                    .iter()
                    .map(|(f, s)| json!({"filename": f, "sha256": s}))
                    .collect();
                Reply::bare_json(&Value::Array(list))
            })
            .into(),
            ["v2", "get_chunk"] => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path).into();
                }
                self.get_chunk(req.body, now).into()
            }
            ["v2", "hwstate"] => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path).into();
                }
                self.hwstate(req.body)
            }
            ["mim", op] => self.mim(req, op).into(),
            [slot, "datalogger", rest @ ..] if slot.starts_with("slot") => {
                match slot["slot".len()..].parse::<u8>() {
                    Ok(n) if (1..=self.num_slots).contains(&n) => {
                        self.slot(req, n, rest, now).into()
                    }
                    _ => Reply::not_found(req.path).into(),
                }
            }
            // The unslotted form of the vendor's cURL examples: the first slot running a
            // Datalogger (slot 1 in single-instrument mode).
            ["datalogger", op] => {
                let n = self
                    .slots
                    .iter()
                    .position(Option::is_some)
                    .map_or(1, |i| i + 1);
                self.slot(req, n as u8, &[op], now).into()
            }
            [target, op, rest @ ..] if self.files.has_target(target) => {
                self.file_op(req, target, op, rest).into()
            }
            _ => Reply::not_found(req.path).into(),
        }
    }

    /// Writes the files of logging sessions that have ended.
    fn poll(&mut self, now: f64) {
        for dl in self.slots.iter_mut().flatten() {
            let mut env = Env {
                model: self.model,
                now,
                unix_epoch: self.unix_epoch,
                inputs: &self.inputs,
                files: &mut self.files,
                max_log_samples: self.max_log_samples,
            };
            dl.poll(&mut env);
        }
    }

    /// `POST /api/v2/hwstate` with `{"power": "reboot" | "shutdown"}`: both bring the device back to
    /// its power-on state (no owner, single-instrument mode, default settings, sessions gone; files
    /// and bitstreams kept) and the emulator keeps serving. The answer is a bare `{"power": ...}`.
    fn hwstate(&mut self, body: &[u8]) -> Outcome {
        let power = Params::parse(body)
            .ok()
            .and_then(|p| p.str("power").ok().flatten().map(str::to_owned));
        match power.as_deref() {
            Some(p @ ("reboot" | "shutdown")) => {
                self.owner = None;
                self.num_slots = 1;
                self.slots = vec![Some(Datalogger::new(1, self.model))];
                self.connections.clear();
                Outcome {
                    reply: Reply::bare_json(&json!({ "power": p })),
                    client_key: None,
                    close: true,
                }
            }
            _ => Reply::status(400, "power must be \"reboot\" or \"shutdown\"").into(),
        }
    }

    fn moku(&mut self, req: &Request<'_>, rest: &[&str]) -> Reply {
        let l = self.model.limits();
        match rest {
            ["name"] => only(req, "GET", || Reply::ok(json!(self.name))),
            ["serial_number"] => only(req, "GET", || Reply::ok(json!(self.serial))),
            ["mokuos_version"] => only(req, "GET", || Reply::ok(json!(self.mokuos))),
            ["calibration_date"] => only(req, "GET", || {
                Reply::ok(json!({"calibration_date": "\"2026-01-01\""}))
            }),
            ["summary"] => only(req, "GET", || {
                Reply::ok(json!(format!(
                    "{} {} (emulated), MokuOS {}",
                    self.model.hardware(),
                    self.serial,
                    self.mokuos
                )))
            }),
            ["describe"] => only(req, "GET", || {
                Reply::ok(json!({
                    "hardware": self.model.hardware(),
                    "mokuOS": self.mokuos,
                    "proxy_version": "3",
                    "instruments_build": self.instruments_build,
                    "version": self.mokuos,
                    "firmware": self.mokuos,
                    "api_server": "moku-emulator",
                    "serial": self.serial,
                    "name": self.name,
                    "bitstream_dir": l.hwdir,
                }))
            }),
            ["instrument_supported"] => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path);
                }
                self.instrument_supported(req.body).into()
            }
            ["platform_supported"] => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path);
                }
                let r = Params::parse(req.body)
                    .and_then(|p| p.u64("num_slots"))
                    .map(|n| {
                        if n.is_some_and(|n| l.platforms.iter().any(|p| u64::from(*p) == n)) {
                            Reply::ok(Value::Null)
                        } else {
                            Reply::error(
                                "PLATFORM_NOT_SUPPORTED",
                                format!(
                                    "{} supports {:?} slots",
                                    self.model.hardware(),
                                    l.platforms
                                ),
                            )
                        }
                    });
                r.into()
            }
            ["platform", n] => {
                if req.method != "GET" {
                    return Reply::wrong_method(req.method, req.path);
                }
                match n.parse::<u8>() {
                    Ok(n) if l.platforms.contains(&n) => {
                        self.num_slots = n;
                        self.slots = (1..=n).map(|_| None).collect();
                        if n == 1 {
                            self.slots[0] = Some(Datalogger::new(1, self.model));
                        }
                        Reply::ok(Value::Null)
                    }
                    _ => Reply::error(
                        "PLATFORM_NOT_SUPPORTED",
                        format!("platform {n} is not supported"),
                    ),
                }
            }
            _ => Reply::not_found(req.path),
        }
    }

    /// `instrument_supported`. A supported single-instrument query (`num_slots: 1`) is what the
    /// official client sends while connecting a single-instrument Datalogger, which then works
    /// without a deploy call (docs/moku-protocol.md §3.2), so a device left in multi-instrument mode returns to
    /// single-instrument mode with a Datalogger in slot 1 here.
    fn instrument_supported(&mut self, body: &[u8]) -> Result<Reply, ApiError> {
        let p = Params::parse(body)?;
        let slots = p.u64("num_slots")?.unwrap_or(1);
        let id = p.u64("instrument_id")?.unwrap_or(0);
        let idx = p.u64("slot_idx")?.unwrap_or(0);
        let l = self.model.limits();
        let platform_ok = l.platforms.iter().any(|n| u64::from(*n) == slots);
        if id == u64::from(crate::li::DATALOGGER_ID) && platform_ok && idx < slots {
            if slots == 1 && (self.num_slots != 1 || self.slots[0].is_none()) {
                self.num_slots = 1;
                self.slots = vec![Some(Datalogger::new(1, self.model))];
            }
            Ok(Reply::ok(Value::Null))
        } else {
            Ok(Reply::error(
                "INSTRUMENT_NOT_SUPPORTED",
                format!(
                    "instrument {id} in slot index {idx} of a {slots}-slot platform is not supported \
                     (the emulator runs only the Datalogger, id 7)"
                ),
            ))
        }
    }

    /// `/api/slot<n>/datalogger[/<op>]`, with `n` in `1..=num_slots`.
    fn slot(&mut self, req: &Request<'_>, n: u8, rest: &[&str], now: f64) -> Reply {
        let idx = usize::from(n - 1);
        let Some(op) = rest.first() else {
            // The explicit multi-instrument deploy.
            if req.method != "GET" {
                return Reply::wrong_method(req.method, req.path);
            }
            if self.slots[idx].is_none() {
                self.slots[idx] = Some(Datalogger::new(n, self.model));
            }
            return Reply::ok(Value::Null);
        };
        if rest.len() != 1 {
            return Reply::not_found(req.path);
        }
        let model = self.model;
        let Some(dl) = self.slots[idx].as_mut() else {
            return Reply::error(
                "INVALID_REQUEST",
                format!("No Datalogger is deployed in slot {n}"),
            );
        };
        let mut env = Env {
            model,
            now,
            unix_epoch: self.unix_epoch,
            inputs: &self.inputs,
            files: &mut self.files,
            max_log_samples: self.max_log_samples,
        };
        dl.handle(req.method, op, req.body, &mut env)
    }

    fn file_op(&mut self, req: &Request<'_>, target: &str, op: &str, rest: &[&str]) -> Reply {
        match (op, rest) {
            ("list", []) => only(req, "GET", || Reply::ok(json!(self.files.list(target)))),
            ("download", [name]) => only(req, "GET", || match self.files.get(target, name) {
                Some(bytes) => Reply::bytes(bytes.to_vec()),
                None => Reply::status(404, format!("File not found: {target}/{name}")),
            }),
            ("upload", [name]) => {
                if req.method != "POST" {
                    return Reply::wrong_method(req.method, req.path);
                }
                if target == "bitstreams" {
                    return self.upload_bitstream(name, req.body).into();
                }
                self.files
                    .put(target, name, req.body.to_vec())
                    .map(|()| Reply::ok(Value::Null))
                    .into()
            }
            ("delete", [name]) => {
                if req.method != "DELETE" {
                    return Reply::wrong_method(req.method, req.path);
                }
                if self.files.delete(target, name) {
                    if target == "bitstreams" {
                        self.bitstreams
                            .remove(name.strip_suffix(".mokuinst").unwrap_or(name));
                    }
                    Reply::ok(json!("File deleted successfully"))
                } else {
                    Reply::error("INVALID_PARAM", format!("File not found: {target}/{name}"))
                }
            }
            _ => Reply::not_found(req.path),
        }
    }
}

/// Answers with `f` if the verb is `method`, else 405.
fn only(req: &Request<'_>, method: &str, f: impl FnOnce() -> Reply) -> Reply {
    if req.method == method {
        f()
    } else {
        Reply::wrong_method(req.method, req.path)
    }
}
