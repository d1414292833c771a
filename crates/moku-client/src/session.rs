//! Ownership, the client key, describe, bitstream checks, files and the request plumbing shared
//! by every instrument (spec §1–§6).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use crate::envelope::{self, Envelope, expect};
use crate::error::{Error, Result, TransportError, TransportErrorKind};
use crate::host::Host;
use crate::json::Object;
use crate::transport::{
    Method, Request, Response, Stack, StreamingResponse, Timeouts, Transport, find_header,
};
use crate::values::{FileTarget, Model};

/// The proxy version this client speaks (`SUPPORTED_PROXY_VERSION` of the official client).
pub const SUPPORTED_PROXY_VERSION: i64 = 3;
/// The Datalogger's instrument id.
pub const DATALOGGER_INSTRUMENT_ID: u32 = 7;
/// The environment variable that switches all bitstream traffic off.
pub const DISABLE_BITSTREAMS_ENV: &str = "MOKU_API_DISABLE_BITSTREAM_MANAGEMENT";
/// At most this many warnings are queued; older ones are dropped.
const MAX_QUEUED_WARNINGS: usize = 1024;

/// What to do about bitstreams at connect time (spec §3.6).
///
/// The official client compares the device's list with a local bitstream store and uploads
/// what is missing. This client has **no local bitstream store**: it lists the device's
/// bitstreams and reports a missing one, and [`Session::upload_bitstream`] uploads a
/// `.mokuinst` file the caller provides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitstreamPolicy {
    /// List the device's bitstreams; a missing one becomes a [`Warning`] (default).
    #[default]
    Check,
    /// List them; a missing one fails the connect with [`Error::MissingBitstream`].
    Require,
    /// Send no bitstream traffic (also forced by `MOKU_API_DISABLE_BITSTREAM_MANAGEMENT`).
    Disabled,
}

/// A `messages` warning of a successful reply (a `strict=false` coercion note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The operation that produced it, e.g. `slot1/datalogger/set_samplerate`.
    pub operation: String,
    /// The device's message.
    pub message: String,
}

/// A callback that sees every warning as it arrives.
pub type WarningHandler = Arc<dyn Fn(&Warning) + Send + Sync>;

/// How to connect (the official client's constructor arguments).
#[derive(Clone)]
pub struct ConnectOptions {
    /// Take ownership even if another client owns the device.
    pub force_connect: bool,
    /// Go ahead even if an instrument is busy (e.g. logging).
    pub ignore_busy: bool,
    /// Keep the instrument's state when (re)deploying.
    pub persist_state: bool,
    /// Redeploy the bitstream even if it is deployed.
    pub force_deploy: bool,
    /// Name shown to other users; `None` uses the short host name (left out if unknown).
    pub client_name: Option<String>,
    /// Connect/read timeouts of the default transport.
    pub timeouts: Timeouts,
    /// Check `proxy_version == 3` (the official client's `no_check_version=False`).
    pub check_version: bool,
    /// Bitstream handling.
    pub bitstreams: BitstreamPolicy,
    /// Send `relinquish_ownership` when the last handle is dropped (default true). Set it to
    /// false to leave a logging session running and the device owned ("persist").
    pub relinquish_on_drop: bool,
    /// Check arguments against the model's limits before sending (default true).
    pub validate: bool,
    /// Called for every warning (in addition to the queue of [`Session::take_warnings`]).
    pub warning_handler: Option<WarningHandler>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            force_connect: false,
            ignore_busy: false,
            persist_state: false,
            force_deploy: false,
            client_name: None,
            timeouts: Timeouts::default(),
            check_version: true,
            bitstreams: BitstreamPolicy::Check,
            relinquish_on_drop: true,
            validate: true,
            warning_handler: None,
        }
    }
}

impl core::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("force_connect", &self.force_connect)
            .field("ignore_busy", &self.ignore_busy)
            .field("persist_state", &self.persist_state)
            .field("force_deploy", &self.force_deploy)
            .field("client_name", &self.client_name)
            .field("timeouts", &self.timeouts)
            .field("check_version", &self.check_version)
            .field("bitstreams", &self.bitstreams)
            .field("relinquish_on_drop", &self.relinquish_on_drop)
            .field("validate", &self.validate)
            .finish_non_exhaustive()
    }
}

/// What `describe` reported (spec §3.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    /// The model (`hardware`).
    pub model: Model,
    /// The MokuOS version (`mokuOS`).
    pub mokuos: String,
    /// The firmware build (`firmware`), if given.
    pub firmware: Option<String>,
    /// The API proxy version (3 for MokuOS 4.4), if given.
    pub proxy_version: Option<i64>,
    /// The instruments build number, if given.
    pub instruments_build: Option<i64>,
    /// The whole object, for fields this crate does not model (`firmware`, `api_server`, …).
    pub raw: Map<String, Value>,
}

impl Description {
    /// Parses the `describe` data object.
    pub fn from_data(operation: &str, data: Value) -> Result<Self> {
        let raw = expect::object(operation, data)?;
        let bad = |reason: &str| Error::MalformedReply {
            operation: operation.to_owned(),
            reason: reason.into(),
        };
        let model = match raw.get("hardware") {
            Some(Value::String(s)) => Model::from_raw(s),
            _ => return Err(bad("describe has no string `hardware`")),
        };
        let mokuos = match raw.get("mokuOS") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(bad("describe has no string `mokuOS`")),
        };
        let proxy_version = match raw.get("proxy_version") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(
                n.as_i64()
                    .ok_or_else(|| bad("`proxy_version` is not an integer"))?,
            ),
            Some(Value::String(s)) => Some(
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| bad("`proxy_version` is not an integer"))?,
            ),
            Some(_) => return Err(bad("`proxy_version` is not an integer")),
        };
        let instruments_build = raw.get("instruments_build").and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        let firmware = match raw.get("firmware") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(Self {
            model,
            mokuos,
            firmware,
            proxy_version,
            instruments_build,
            raw,
        })
    }

    /// The version check of spec §3.5.
    pub fn check_version(&self) -> Result<()> {
        match self.proxy_version {
            None => Err(Error::IncompatibleMoku(
                "this client supports MokuOS >=4.4 (describe reports no proxy_version)".into(),
            )),
            Some(v) if v < SUPPORTED_PROXY_VERSION => Err(Error::IncompatibleMoku(format!(
                "the Moku runs an old version of MokuOS (proxy_version {v}); update it to 4.4 or newer"
            ))),
            Some(v) if v > SUPPORTED_PROXY_VERSION => Err(Error::IncompatiblePackage(v)),
            Some(_) => Ok(()),
        }
    }
}

/// The request body kinds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Body<'a> {
    /// No body (GET).
    None,
    /// `Content-Type: application/json` and this JSON text (may be empty).
    Json(&'a str),
    /// Raw bytes without Content-Type (uploads, load_settings).
    Raw(&'a [u8]),
}

struct State {
    transport: Box<dyn Transport>,
    key: Option<String>,
    owner: bool,
    warnings: Vec<Warning>,
    last_warnings: Vec<String>,
}

/// The state shared by a session and the instruments opened on it.
pub(crate) struct Shared {
    host: Host,
    state: Mutex<State>,
    options: ConnectOptions,
    description: Mutex<Option<Description>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.options.relinquish_on_drop {
            let _ = self.relinquish();
        }
    }
}

fn percent_encode_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Body<'_>,
        stack: Stack,
        timeouts: bool,
    ) -> core::result::Result<Response, TransportError> {
        let mut st = self.lock();
        let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(3);
        if stack == Stack::Fast {
            headers.push(("Accept-Encoding", "identity".into()));
        }
        if let Some(k) = &st.key {
            headers.push(("Moku-Client-Key", k.clone()));
        }
        let bytes = match body {
            Body::None => None,
            Body::Json(s) => {
                headers.push(("Content-Type", "application/json".into()));
                Some(s.as_bytes())
            }
            Body::Raw(b) => Some(b),
        };
        let req = Request {
            method,
            path,
            headers,
            body: bytes,
            stack,
            timeouts,
        };
        let mut result = st.transport.exchange(&req);
        // Spec §1.2: the fast path re-sends the same request once after a socket error or timeout.
        if stack == Stack::Fast
            && let Err(e) = &result
            && matches!(
                e.kind,
                TransportErrorKind::Io | TransportErrorKind::Timeout | TransportErrorKind::Connect
            )
        {
            result = st.transport.exchange(&req);
        }
        if let Ok(r) = &result
            && let Some(k) = r.header("Moku-Client-Key")
        {
            st.key = Some(k.to_owned());
        }
        result
    }

    fn transport_error(operation: &str, source: TransportError) -> Error {
        Error::Transport {
            operation: operation.to_owned(),
            source,
        }
    }

    fn record_warnings(&self, operation: &str, messages: &[String]) {
        let new: Vec<Warning> = messages
            .iter()
            .map(|m| Warning {
                operation: operation.to_owned(),
                message: m.clone(),
            })
            .collect();
        {
            let mut st = self.lock();
            st.last_warnings = messages.to_vec();
            let len = st.warnings.len();
            let overflow = (len + new.len()).saturating_sub(MAX_QUEUED_WARNINGS);
            st.warnings.drain(..overflow.min(len));
            st.warnings.extend(new.iter().cloned());
        }
        // Outside the lock: the handler may call back into the session.
        if let Some(h) = &self.options.warning_handler {
            for w in &new {
                h(w);
            }
        }
    }

    fn push_warning(&self, operation: &str, message: String) {
        self.record_warnings(operation, &[message]);
    }

    /// One enveloped call. `op` is the path after `/api/`.
    pub(crate) fn call(
        &self,
        method: Method,
        op: &str,
        body: Body<'_>,
        stack: Stack,
        timeouts: bool,
    ) -> Result<Envelope> {
        let path = format!("/api/{op}");
        let r = self
            .send_raw(method, &path, body, stack, timeouts)
            .map_err(|e| Self::transport_error(op, e))?;
        let env = envelope::interpret(op, r.status, &r.body)?;
        self.record_warnings(op, &env.messages);
        Ok(env)
    }

    /// A fast-path GET.
    pub(crate) fn get(&self, op: &str) -> Result<Value> {
        Ok(self
            .call(Method::Get, op, Body::None, Stack::Fast, true)?
            .data)
    }

    /// A fast-path POST with a JSON body (`None` sends an empty body).
    pub(crate) fn post(&self, op: &str, body: Option<&Object>) -> Result<Value> {
        let text = body.map(Object::to_json).unwrap_or_default();
        Ok(self
            .call(Method::Post, op, Body::Json(&text), Stack::Fast, true)?
            .data)
    }

    /// A bulk-path request whose answer is raw bytes; non-200 is returned as `Err(status, body)`.
    pub(crate) fn raw(
        &self,
        method: Method,
        op: &str,
        body: Body<'_>,
        timeouts: bool,
    ) -> Result<Response> {
        let path = format!("/api/{op}");
        self.send_raw(method, &path, body, Stack::Bulk, timeouts)
            .map_err(|e| Self::transport_error(op, e))
    }

    /// A bulk-path streaming GET.
    pub(crate) fn stream(&self, op: &str) -> Result<StreamingResponse> {
        let path = format!("/api/{op}");
        let mut st = self.lock();
        let mut headers = Vec::new();
        if let Some(k) = &st.key {
            headers.push(("Moku-Client-Key", k.clone()));
        }
        let req = Request {
            method: Method::Get,
            path: &path,
            headers,
            body: None,
            stack: Stack::Bulk,
            timeouts: false,
        };
        let r = st
            .transport
            .exchange_streaming(&req)
            .map_err(|e| Self::transport_error(op, e))?;
        if let Some(k) = find_header(&r.headers, "Moku-Client-Key") {
            st.key = Some(k.to_owned());
        }
        Ok(r)
    }

    fn relinquish(&self) -> Result<()> {
        if !self.lock().owner {
            return Ok(());
        }
        self.lock().owner = false;
        self.post("moku/relinquish_ownership", None).map(drop)
    }

    fn claim(&self) -> Result<()> {
        let op = "moku/claim_ownership";
        let mut body = Object::new()
            .with("force_connect", self.options.force_connect)
            .with("force_deploy", self.options.force_deploy)
            .with("ignore_busy", self.options.ignore_busy)
            .with("persist_state", self.options.persist_state);
        if let Some(name) = self.options.client_name.clone().or_else(short_host_name) {
            body = body.with("client_name", name);
        }
        let data = match self.post(op, Some(&body)) {
            Err(Error::OperationNotFound { operation }) => {
                return Err(Error::MissingApiServer { operation });
            }
            other => other?,
        };
        self.lock().owner = true;
        expect::string(op, data).map(drop)
    }

    fn bitstreams_enabled(&self) -> bool {
        self.options.bitstreams != BitstreamPolicy::Disabled
            && std::env::var_os(DISABLE_BITSTREAMS_ENV).is_none_or(|v| v.is_empty())
    }

    /// `GET /api/v2/bitstreams`: the bare list of `{filename, sha256}` objects.
    pub(crate) fn list_bitstreams(&self) -> Result<Vec<Map<String, Value>>> {
        let op = "v2/bitstreams";
        let r = self.raw(Method::Get, op, Body::None, true)?;
        if r.status != 200 {
            return Err(Error::BitstreamListFailed {
                status: r.status,
                body: String::from_utf8_lossy(&r.body).into_owned(),
            });
        }
        let bad = |reason: String| Error::MalformedReply {
            operation: op.into(),
            reason,
        };
        match envelope::parse_json(&r.body).map_err(bad)? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    other => Err(bad(format!("a bitstream entry is not an object: {other}"))),
                })
                .collect(),
            other => Err(bad(format!("expected a JSON array, got {other}"))),
        }
    }

    /// The bitstream check of spec §3.6 for one bare name such as `01-007-00`.
    pub(crate) fn check_bitstream(&self, name: &str) -> Result<()> {
        if !self.bitstreams_enabled() {
            return Ok(());
        }
        let listed = self
            .list_bitstreams()?
            .iter()
            .any(|b| b.get("filename").and_then(Value::as_str) == Some(name));
        if listed {
            return Ok(());
        }
        match self.options.bitstreams {
            BitstreamPolicy::Require => Err(Error::MissingBitstream(name.to_owned())),
            _ => {
                self.push_warning(
                    "v2/bitstreams",
                    format!("bitstream {name} is not listed on the Moku; this client has no local bitstream store and does not upload it"),
                );
                Ok(())
            }
        }
    }

    fn description(&self) -> Option<Description> {
        self.description
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn validate(&self) -> bool {
        self.options.validate
    }

    pub(crate) fn host(&self) -> &Host {
        &self.host
    }

    /// The bitstream check at connect time; any failure relinquishes. (The official client
    /// leaves the device owned when the listing itself fails; this client does not.)
    pub(crate) fn connect_bitstream(&self, name: &str) -> Result<()> {
        self.guarded(|| self.check_bitstream(name))
    }

    /// Runs `f`; on error sends relinquish (best effort) and returns the error.
    pub(crate) fn guarded<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        f().inspect_err(|_| {
            let _ = self.relinquish();
        })
    }
}

/// The short host name of this machine (everything before the first `.`), if known.
fn short_host_name() -> Option<String> {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())?;
    let name = raw.trim().split('.').next().unwrap_or("").to_owned();
    (!name.is_empty()).then_some(name)
}

/// An owned connection to one Moku: claim, describe, device-level calls and files.
///
/// Cloning is cheap; the device is relinquished when the last clone (and every instrument opened
/// on it) is dropped, unless [`ConnectOptions::relinquish_on_drop`] is false.
#[derive(Clone)]
pub struct Session {
    pub(crate) shared: Arc<Shared>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("host", &self.shared.host)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Claims ownership of the Moku at `host` (`ip`, `ip:port`, IPv6 with or without brackets)
    /// and describes it, over the default ureq transport.
    #[cfg(feature = "ureq")]
    pub fn connect(host: &str, options: ConnectOptions) -> Result<Self> {
        let h = Host::parse(host)?;
        let transport = crate::UreqTransport::new(&h, options.timeouts);
        Self::connect_with(h, Box::new(transport), options)
    }

    /// Like [`Session::connect`] over any [`Transport`].
    pub fn connect_with(
        host: Host,
        transport: Box<dyn Transport>,
        options: ConnectOptions,
    ) -> Result<Self> {
        let shared = Arc::new(Shared {
            host,
            state: Mutex::new(State {
                transport,
                key: None,
                owner: false,
                warnings: Vec::new(),
                last_warnings: Vec::new(),
            }),
            options,
            description: Mutex::new(None),
        });
        shared.claim().inspect_err(|e| {
            if matches!(e, Error::MalformedReply { .. }) {
                let _ = shared.relinquish();
            }
        })?;
        shared.guarded(|| {
            let d = Description::from_data("moku/describe", shared.get("moku/describe")?)?;
            if shared.options.check_version {
                d.check_version()?;
            }
            *shared
                .description
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(d);
            Ok(())
        })?;
        Ok(Self { shared })
    }

    /// The cleaned-up host.
    pub fn host(&self) -> &Host {
        self.shared.host()
    }

    /// The description fetched at connect time.
    pub fn description(&self) -> Description {
        // Set by connect_with before a Session is handed out.
        self.shared.description().unwrap_or_else(|| Description {
            model: Model::Other(String::new()),
            mokuos: String::new(),
            firmware: None,
            proxy_version: None,
            instruments_build: None,
            raw: Map::new(),
        })
    }

    /// The model reported by `describe`.
    pub fn model(&self) -> Model {
        self.description().model
    }

    /// The current `Moku-Client-Key`, if the device sent one.
    pub fn client_key(&self) -> Option<String> {
        self.shared.lock().key.clone()
    }

    /// True while this session owns the device.
    pub fn is_owner(&self) -> bool {
        self.shared.lock().owner
    }

    /// Every warning received since the last call, oldest first (at most 1024 are kept).
    pub fn take_warnings(&self) -> Vec<Warning> {
        core::mem::take(&mut self.shared.lock().warnings)
    }

    /// The `messages` of the most recent successful enveloped reply (empty when it had none).
    pub fn last_warnings(&self) -> Vec<String> {
        self.shared.lock().last_warnings.clone()
    }

    /// `GET /api/moku/describe`, fetched again.
    pub fn describe(&self) -> Result<Description> {
        Description::from_data("moku/describe", self.shared.get("moku/describe")?)
    }

    /// `GET /api/moku/name`.
    pub fn name(&self) -> Result<String> {
        expect::string("moku/name", self.shared.get("moku/name")?)
    }

    /// `GET /api/moku/serial_number`.
    pub fn serial_number(&self) -> Result<String> {
        expect::string("moku/serial_number", self.shared.get("moku/serial_number")?)
    }

    /// `GET /api/moku/mokuos_version`.
    pub fn mokuos_version(&self) -> Result<String> {
        expect::string(
            "moku/mokuos_version",
            self.shared.get("moku/mokuos_version")?,
        )
    }

    /// `GET /api/moku/calibration_date`: the data object (e.g. `{"calibration_date": "…"}`).
    pub fn calibration_date(&self) -> Result<Map<String, Value>> {
        expect::object(
            "moku/calibration_date",
            self.shared.get("moku/calibration_date")?,
        )
    }

    /// `GET /api/moku/summary`.
    pub fn summary(&self) -> Result<String> {
        expect::string("moku/summary", self.shared.get("moku/summary")?)
    }

    /// `POST /api/moku/relinquish_ownership` if this session still owns the device (a second
    /// call sends nothing).
    pub fn relinquish_ownership(&self) -> Result<()> {
        self.shared.relinquish()
    }

    /// `GET /api/v2/bitstreams`: the device's bitstreams (`filename`, `sha256`, …).
    pub fn list_bitstreams(&self) -> Result<Vec<Map<String, Value>>> {
        self.shared.list_bitstreams()
    }

    /// `POST /api/bitstreams/upload/<name>.mokuinst` with the raw `.mokuinst` bytes.
    pub fn upload_bitstream(&self, name: &str, mokuinst: &[u8]) -> Result<()> {
        let file = format!("{name}.mokuinst");
        self.upload(&FileTarget::Bitstreams, &file, mokuinst)
    }

    /// `GET /api/<target>/list`.
    pub fn list(&self, target: &FileTarget) -> Result<Vec<String>> {
        let op = format!("{}/list", target.as_str());
        expect::strings(&op, self.shared.get(&op)?)
    }

    /// `GET /api/<target>/download/<name>` into `writer`, calling `progress(bytes_so_far,
    /// content_length)` after every block. Returns the number of bytes written.
    pub fn download_to(
        &self,
        target: &FileTarget,
        name: &str,
        writer: &mut dyn Write,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        let op = format!(
            "{}/download/{}",
            target.as_str(),
            percent_encode_segment(name)
        );
        let mut r = self.shared.stream(&op)?;
        if r.status != 200 {
            let mut body = Vec::new();
            let _ = r.body.by_ref().take(64 * 1024).read_to_end(&mut body);
            return Err(Error::DownloadFailed {
                operation: op,
                status: r.status,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        let total = find_header(&r.headers, "Content-Length").and_then(|v| v.trim().parse().ok());
        copy_with_progress(&op, &mut r.body, writer, total, progress)
    }

    /// `GET /api/<target>/download/<name>` into the local file `path`.
    pub fn download(&self, target: &FileTarget, name: &str, path: &Path) -> Result<u64> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        let n = self.download_to(target, name, &mut f, &mut |_, _| {})?;
        f.flush()?;
        Ok(n)
    }

    /// `GET /api/<target>/download/<name>` into memory.
    pub fn download_bytes(&self, target: &FileTarget, name: &str) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.download_to(target, name, &mut v, &mut |_, _| {})?;
        Ok(v)
    }

    /// `POST /api/<target>/upload/<name>` with raw bytes (no Content-Type); data must be null.
    pub fn upload(&self, target: &FileTarget, name: &str, data: &[u8]) -> Result<()> {
        let op = format!(
            "{}/upload/{}",
            target.as_str(),
            percent_encode_segment(name)
        );
        let env = self
            .shared
            .call(Method::Post, &op, Body::Raw(data), Stack::Bulk, true)?;
        expect::null(&op, &env.data)
    }

    /// `DELETE /api/<target>/delete/<name>`; returns the device's confirmation string.
    pub fn delete(&self, target: &FileTarget, name: &str) -> Result<String> {
        let op = format!(
            "{}/delete/{}",
            target.as_str(),
            percent_encode_segment(name)
        );
        let env = self
            .shared
            .call(Method::Delete, &op, Body::Raw(&[]), Stack::Bulk, true)?;
        expect::string(&op, env.data)
    }
}

pub(crate) fn copy_with_progress(
    op: &str,
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    total: Option<u64>,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::Transport {
                    operation: op.to_owned(),
                    source: TransportError::new(
                        if e.kind() == std::io::ErrorKind::TimedOut {
                            TransportErrorKind::Timeout
                        } else {
                            TransportErrorKind::Io
                        },
                        e.to_string(),
                    ),
                });
            }
        };
        writer.write_all(&buf[..n])?;
        done += n as u64;
        progress(done, total);
    }
    Ok(done)
}

/// A Moku in multi-instrument mode (spec §4): the platform with `num_slots` slots.
#[derive(Clone, Debug)]
pub struct MultiInstrument {
    session: Session,
    num_slots: u8,
}

impl MultiInstrument {
    /// Connects and sets up the `num_slots` platform over the default transport.
    #[cfg(feature = "ureq")]
    pub fn connect(host: &str, num_slots: u8, options: ConnectOptions) -> Result<Self> {
        let h = Host::parse(host)?;
        let transport = crate::UreqTransport::new(&h, options.timeouts);
        Self::connect_with(h, Box::new(transport), num_slots, options)
    }

    /// Like [`MultiInstrument::connect`] over any [`Transport`].
    pub fn connect_with(
        host: Host,
        transport: Box<dyn Transport>,
        num_slots: u8,
        options: ConnectOptions,
    ) -> Result<Self> {
        let session = Session::connect_with(host, transport, options)?;
        let sh = &session.shared;
        sh.guarded(|| {
            let body = Object::new().with("num_slots", num_slots);
            expect::null(
                "moku/platform_supported",
                &sh.post("moku/platform_supported", Some(&body))?,
            )
        })?;
        sh.connect_bitstream(&format!("{num_slots:02}-000"))?;
        for i in 0..num_slots {
            sh.connect_bitstream(&format!("{num_slots:02}-000-{i:02}"))?;
        }
        sh.guarded(|| {
            let op = format!("moku/platform/{num_slots}");
            expect::null(&op, &sh.get(&op)?)
        })?;
        Ok(Self { session, num_slots })
    }

    /// The underlying session (files, describe, warnings).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The number of slots.
    pub fn num_slots(&self) -> u8 {
        self.num_slots
    }

    /// `GET /api/mim/get_instruments`: one string per slot, `""` for an empty slot.
    pub fn get_instruments(&self) -> Result<Vec<String>> {
        expect::strings(
            "mim/get_instruments",
            self.session.shared.get("mim/get_instruments")?,
        )
    }

    /// Deploys a Datalogger into `slot` (1-based) as `set_instrument(slot, Datalogger)` does.
    pub fn set_datalogger(&self, slot: u8) -> Result<crate::Datalogger> {
        crate::Datalogger::for_slot(slot, self)
    }

    /// Sends `relinquish_ownership` now.
    pub fn relinquish_ownership(&self) -> Result<()> {
        self.session.relinquish_ownership()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(json: &str) -> Result<Description> {
        Description::from_data("moku/describe", serde_json::from_str(json).unwrap())
    }

    #[test]
    fn proxy_version_checks() {
        let ok = describe(r#"{"hardware": "Moku:Go", "mokuOS": "4.4.1", "proxy_version": "3", "instruments_build": 4400}"#)
            .unwrap();
        assert_eq!(ok.model, Model::Go);
        assert_eq!(ok.instruments_build, Some(4400));
        ok.check_version().unwrap();
        let old =
            describe(r#"{"hardware": "Moku:Lab", "mokuOS": "3.0", "proxy_version": 2}"#).unwrap();
        assert!(
            matches!(old.check_version(), Err(Error::IncompatibleMoku(m)) if m.contains("old version"))
        );
        let new =
            describe(r#"{"hardware": "Moku:Pro", "mokuOS": "9", "proxy_version": 4}"#).unwrap();
        assert!(matches!(
            new.check_version(),
            Err(Error::IncompatiblePackage(4))
        ));
        let none = describe(r#"{"hardware": "Moku:Pro", "mokuOS": "4.0"}"#).unwrap();
        assert!(
            matches!(none.check_version(), Err(Error::IncompatibleMoku(m)) if m.contains(">=4.4"))
        );
        let future =
            describe(r#"{"hardware": "Moku:Quantum", "mokuOS": "5", "proxy_version": 3}"#).unwrap();
        assert_eq!(future.model, Model::Other("Moku:Quantum".into()));
        for bad in [
            r#"{"mokuOS": "4.4"}"#,
            r#"{"hardware": "Moku:Go"}"#,
            r#"{"hardware": "Moku:Go", "mokuOS": "4.4", "proxy_version": "three"}"#,
            r#""Moku:Go""#,
        ] {
            assert!(
                matches!(describe(bad), Err(Error::MalformedReply { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(percent_encode_segment("a b#?ü.li"), "a%20b%23%3F%C3%BC.li");
        assert_eq!(
            percent_encode_segment("Moku_2026-01-01.li"),
            "Moku_2026-01-01.li"
        );
    }
}
