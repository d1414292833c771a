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
use crate::session::{Acquisition, Chunk};

mod mim;
use crate::signal::Signal;

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
                installed_bitstreams(l.platforms)
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

    /// Makes another client (named `client_name`) own the device; returns its key.
    pub fn claim_for(&mut self, client_name: &str) -> String {
        let key = self.new_key();
        self.owner = Some(Owner {
            key: key.clone(),
            name: client_name.to_owned(),
        });
        key
    }

    fn new_key(&mut self) -> String {
        self.keys_issued += 1;
        let mix =
            crate::signal::noise(self.unix_epoch.to_bits() ^ self.keys_issued.rotate_left(32));
        format!(
            "emu-{}-{:012x}",
            self.keys_issued,
            (mix.abs() * 2f64.powi(48)) as u64
        )
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

    /// The client-key rule: while owned, a request carrying another key is refused; with
    /// `require_client_key`, a keyless request is refused too. `claim_ownership`, the file
    /// endpoints (documented as key-free) and `v2/get_chunk` are exempt from the second rule.
    fn check_key(&self, req: &Request<'_>, segs: &[&str]) -> Result<(), Reply> {
        if segs == ["moku", "claim_ownership"] {
            return Ok(());
        }
        // `mokucli stream` reads chunks without the client's key (the official client never hands
        // it over), so get_chunk is key-free like the file endpoints.
        let key_free =
            matches!(segs, [t, ..] if self.files.has_target(t)) || segs == ["v2", "get_chunk"];
        match (&self.owner, req.client_key) {
            (Some(owner), Some(key)) if key != owner.key => Err(Reply::error(
                "INVALID_REQUEST",
                format!(
                    "The Moku is owned by another client ({:?}); this client key is not valid. \
                     Connect with force_connect=True to take ownership.",
                    owner.name
                ),
            )),
            (_, Some(_)) => Ok(()),
            (_, None) if key_free || !self.require_key => Ok(()),
            (Some(owner), None) => Err(Reply::error(
                "INVALID_REQUEST",
                format!(
                    "The Moku is owned by {:?}; requests must carry its Moku-Client-Key",
                    owner.name
                ),
            )),
            (None, None) => Err(Reply::error(
                "INVALID_REQUEST",
                "No client owns the Moku: call claim_ownership first and send its Moku-Client-Key",
            )),
        }
    }

    fn claim(&mut self, req: &Request<'_>, now: f64) -> Outcome {
        if req.method != "POST" {
            return Reply::wrong_method(req.method, req.path).into();
        }
        let parsed = Params::parse(req.body).and_then(|p| {
            Ok((
                p.bool("force_connect")?.unwrap_or(false),
                p.bool("ignore_busy")?.unwrap_or(false),
                p.bool("persist_state")?.unwrap_or(false),
                p.str("client_name")?.unwrap_or("Moku API User").to_owned(),
            ))
        });
        let (force, ignore_busy, persist, name) = match parsed {
            Ok(v) => v,
            Err(e) => return Reply::from(e).into(),
        };
        let same_owner = matches!((&self.owner, req.client_key), (Some(o), Some(k)) if o.key == k);
        if let Some(owner) = &self.owner
            && !same_owner
            && !force
        {
            return Reply::error(
                "INVALID_REQUEST",
                format!(
                    "The Moku is owned by {:?}. Connect with force_connect=True to take ownership.",
                    owner.name
                ),
            )
            .into();
        }
        let busy = self.slots.iter().flatten().any(|d| d.busy(now));
        if busy && !ignore_busy {
            return Reply::error(
                "INVALID_REQUEST",
                "An instrument is busy (a logging or streaming session is in progress). \
                 Connect with ignore_busy=True to proceed.",
            )
            .into();
        }
        if !persist && !busy {
            for dl in self.slots.iter_mut().flatten() {
                *dl = Datalogger::new(dl.slot, self.model);
            }
        }
        let key = if same_owner {
            req.client_key.unwrap_or_default().to_owned()
        } else {
            self.new_key()
        };
        self.owner = Some(Owner {
            key: key.clone(),
            name,
        });
        Outcome {
            reply: Reply::ok(Value::String(key.clone())),
            client_key: Some(key),
            close: false,
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

    fn relinquish(&mut self, req: &Request<'_>) -> Outcome {
        if req.method != "POST" {
            return Reply::wrong_method(req.method, req.path).into();
        }
        self.owner = None;
        Outcome {
            reply: Reply::ok(Value::Null),
            client_key: None,
            close: true,
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

    fn get_chunk(&mut self, body: &[u8], now: f64) -> Reply {
        let error = |msg: String| Reply::bare_json(&json!({"error": msg}));
        let (id, topic) = match chunk_request(body) {
            Ok(v) => v,
            Err(msg) => return error(msg),
        };
        let topic_slot = topic
            .as_deref()
            .and_then(|t| t.strip_prefix("logformat"))
            .and_then(|k| k.parse::<usize>().ok());
        let found = self.slots.iter().position(|s| {
            s.as_ref()
                .and_then(|d| d.stream.as_ref())
                .is_some_and(|st| Some(st.id.as_str()) == id.as_deref())
        });
        let idx = found.or_else(|| {
            if id.is_some() {
                return None;
            }
            // A null stream id (the official client after stop_streaming): use the topic's slot,
            // or the only slot with a stream.
            match topic_slot {
                Some(k) => Some(k).filter(|k| {
                    self.slots
                        .get(*k)
                        .is_some_and(|s| s.as_ref().is_some_and(|d| d.stream.is_some()))
                }),
                None => self
                    .slots
                    .iter()
                    .position(|s| s.as_ref().is_some_and(|d| d.stream.is_some())),
            }
        });
        let Some(dl) = idx.and_then(|i| self.slots[i].as_mut()) else {
            let shown = id.unwrap_or_else(|| "null".into());
            return error(format!("No stream with id {shown:?}"));
        };
        let Some(stream) = dl.stream.as_mut() else {
            return error("No stream".into());
        };
        let acq = Acquisition {
            inputs: &self.inputs,
            outputs: &dl.settings.outputs,
            frontends: &dl.settings.frontends,
        };
        match stream.next_chunk(&acq, now, self.unix_epoch, self.max_chunk_samples) {
            Chunk::Data(bytes) => Reply::bytes(bytes),
            Chunk::Empty => Reply::bytes(Vec::new()),
            Chunk::End => error("End of stream".into()),
            Chunk::Error(e) => error(e),
        }
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

    fn upload_bitstream(&mut self, name: &str, body: &[u8]) -> Result<Reply, ApiError> {
        let sha = manifest_sha256(body).ok_or_else(|| {
            ApiError::param("not a .mokuinst archive (no MANIFEST with items[0].sha256)")
        })?;
        self.files.put("bitstreams", name, body.to_vec())?;
        let bare = name.strip_suffix(".mokuinst").unwrap_or(name);
        self.bitstreams.insert(bare.to_owned(), sha);
        Ok(Reply::ok(Value::Null))
    }
}

/// Every bitstream name the official client asks for on this model's platforms, each with a
/// made-up sha256.
fn installed_bitstreams(platforms: &[u8]) -> BTreeMap<String, String> {
    let mut names = Vec::new();
    for &n in platforms {
        names.push(format!("{n:02}-000"));
        for i in 0..n {
            names.push(format!("{n:02}-000-{i:02}"));
            names.push(format!("{n:02}-{:03}-{i:02}", crate::li::DATALOGGER_ID));
        }
    }
    names
        .into_iter()
        .map(|name| {
            let sha = format!("preinstalled-{name}");
            (name, sha)
        })
        .collect()
}

/// Answers with `f` if the verb is `method`, else 405.
fn only(req: &Request<'_>, method: &str, f: impl FnOnce() -> Reply) -> Reply {
    if req.method == method {
        f()
    } else {
        Reply::wrong_method(req.method, req.path)
    }
}

/// Reads either `{"stream_id": {"<id>": {"topic": "logformat<k>"}}}` or `{"stream_id": "<id>"}`.
/// The id `"null"` (or JSON null) comes back as `None`.
fn chunk_request(body: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("get_chunk body is not JSON: {e}"))?;
    let id_of = |s: &str| (s != "null").then(|| s.to_owned());
    match v.get("stream_id") {
        Some(Value::String(s)) => Ok((id_of(s), None)),
        Some(Value::Null) => Ok((None, None)),
        Some(Value::Object(map)) if map.len() == 1 => {
            let (id, inner) = map.iter().next().ok_or("empty stream_id")?;
            let topic = inner
                .get("topic")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok((id_of(id), topic))
        }
        _ => Err("get_chunk body must carry stream_id".into()),
    }
}

/// `items[0].sha256` of the `MANIFEST` inside a `.mokuinst` tar archive.
fn manifest_sha256(tar: &[u8]) -> Option<String> {
    let mut pos = 0usize;
    while pos + 512 <= tar.len() {
        let header = &tar[pos..pos + 512];
        if header.iter().all(|b| *b == 0) {
            return None;
        }
        let name_end = header[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&header[..name_end]).ok()?;
        let size_field = std::str::from_utf8(&header[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let data_start = pos + 512;
        let data = tar.get(data_start..data_start.checked_add(size)?)?;
        if name.trim_start_matches("./") == "MANIFEST" {
            let v: Value = serde_json::from_slice(data).ok()?;
            return v
                .get("items")?
                .get(0)?
                .get("sha256")?
                .as_str()
                .map(str::to_owned);
        }
        pos = data_start + size.div_ceil(512) * 512;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let size = format!("{:011o}\0", data.len());
        h[124..136].copy_from_slice(size.as_bytes());
        let mut out = h;
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
        out
    }

    #[test]
    fn manifest_is_found() {
        let tar = tar_with("MANIFEST", br#"{"items": [{"sha256": "abc"}]}"#);
        assert_eq!(manifest_sha256(&tar).as_deref(), Some("abc"));
        assert_eq!(manifest_sha256(b"junk"), None);
        assert_eq!(manifest_sha256(&tar_with("other", b"x")), None);
    }

    #[test]
    fn chunk_bodies() {
        let a = chunk_request(br#"{"stream_id": {"logsink0": {"topic": "logformat0"}}}"#).unwrap();
        assert_eq!(a, (Some("logsink0".into()), Some("logformat0".into())));
        let b = chunk_request(br#"{"stream_id": {"null": {"topic": "logformat1"}}}"#).unwrap();
        assert_eq!(b, (None, Some("logformat1".into())));
        assert_eq!(
            chunk_request(br#"{"stream_id": "x"}"#).unwrap(),
            (Some("x".into()), None)
        );
        assert!(chunk_request(b"").is_err());
    }
}
