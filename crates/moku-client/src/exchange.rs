//! One HTTP exchange with the device as the official client makes it: the client key on every
//! request, the one re-send of the fast path, the envelope check, warnings recorded, and the
//! ownership state (claim, relinquish) shared by a session and the instruments opened on it
//! (docs/moku-protocol.md §1–§3).

use std::io::{Read, Write};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::description::Description;
use crate::error::{Error, Result, TransportError, TransportErrorKind};
use crate::host::Host;
use crate::options::{ConnectOptions, Warning};
use crate::reply_envelope::{self, Envelope, expect};
use crate::request_body::Object;
use crate::transport::{
    Method, Request, Response, Stack, StreamingResponse, Transport, find_header,
};

/// At most this many warnings are queued; older ones are dropped.
const MAX_QUEUED_WARNINGS: usize = 1024;

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

pub(crate) struct State {
    pub(crate) transport: Box<dyn Transport>,
    pub(crate) key: Option<String>,
    pub(crate) owner: bool,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) last_warnings: Vec<String>,
    /// A logging session started through this connection may still be running.
    pub(crate) logging: bool,
}

/// The state shared by a session and the instruments opened on it.
pub(crate) struct Shared {
    pub(crate) host: Host,
    pub(crate) state: Mutex<State>,
    pub(crate) options: ConnectOptions,
    pub(crate) description: Mutex<Option<Description>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let logging = self.lock().logging;
        if self.options.relinquish_on_drop && !logging {
            let _ = self.relinquish();
        }
    }
}

pub(crate) fn percent_encode_segment(name: &str) -> String {
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
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
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

    pub(crate) fn push_warning(&self, operation: &str, message: String) {
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
        let env = reply_envelope::interpret(op, r.status, &r.body)?;
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

    pub(crate) fn relinquish(&self) -> Result<()> {
        if !self.lock().owner {
            return Ok(());
        }
        self.lock().owner = false;
        self.post("moku/relinquish_ownership", None).map(drop)
    }

    pub(crate) fn claim(&self) -> Result<()> {
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

    pub(crate) fn description(&self) -> Option<Description> {
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

    /// Marks a logging session started (true) or over (false): a handle dropped while one runs
    /// never relinquishes, whatever [`ConnectOptions::relinquish_on_drop`] says.
    pub(crate) fn set_logging(&self, running: bool) {
        self.lock().logging = running;
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
