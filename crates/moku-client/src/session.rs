//! [`Session`]: an owned connection to one Moku — claim, describe, the device-level calls of
//! `/api/moku/*`, files and bitstreams, and a raw call for endpoints the typed API lacks
//! (docs/moku-protocol.md §3, §5, §6).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

pub use crate::bitstreams::DISABLE_BITSTREAMS_ENV;
pub use crate::datalogger::DATALOGGER_INSTRUMENT_ID;
use crate::description::Description;
pub use crate::description::SUPPORTED_PROXY_VERSION;
use crate::error::{Error, Result};
use crate::exchange::{Body, Shared, State, copy_with_progress, percent_encode_segment};
use crate::host::Host;
use crate::options::{ConnectOptions, Warning};
use crate::reply_envelope::expect;
use crate::transport::{Method, Stack, Transport, find_header};
use crate::values::{FileTarget, Model};

/// An owned connection to one Moku: claim, describe, device-level calls and files.
///
/// Cloning is cheap. As with the official client, ownership is let go only by
/// [`Session::relinquish_ownership`]; set [`ConnectOptions::relinquish_on_drop`] to let it go
/// when the last clone (and every instrument opened on it) is dropped — never while a logging
/// session this client started is still running.
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
        let h = Host::resolve(host, &options)?;
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
                logging: false,
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
            if let Some(expected) = &shared.options.serial {
                let found =
                    expect::string("moku/serial_number", shared.get("moku/serial_number")?)?;
                if !crate::options::serials_match(&found, expected) {
                    return Err(Error::SerialMismatch {
                        expected: expected.clone(),
                        found,
                    });
                }
            }
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

    /// `GET /api/moku/mokuos_version`, as the official client's deprecated `firmware_version()`
    /// (same path; it prints a deprecation warning first, this does not).
    pub fn firmware_version(&self) -> Result<String> {
        self.mokuos_version()
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

    /// The bitstream step the official client runs at connect: list the device's bitstreams and,
    /// per [`ConnectOptions::bitstreams`], upload `<name>.mokuinst` from the data directory when
    /// the device lacks it or lists another sha256. `name` is bare, e.g. `01-007-00`.
    pub fn ensure_bitstream(&self, name: &str) -> Result<()> {
        self.shared.ensure_bitstream(name)
    }

    /// The local file [`Session::ensure_bitstream`] reads for `name`, or why there is none.
    pub fn local_bitstream_path(
        &self,
        name: &str,
    ) -> core::result::Result<std::path::PathBuf, String> {
        self.shared.local_bitstream(name)
    }

    /// One enveloped call to an endpoint the typed API lacks: `method` on `/api/<path>` with
    /// `body` written as the official client writes JSON (`None`: no body on GET, an empty body
    /// on POST). Returns the envelope's `data`; its `messages` become warnings as for every call.
    ///
    /// ```no_run
    /// # fn main() -> moku_client::Result<()> {
    /// use moku_client::{ConnectOptions, Method, Session, request_body::Object};
    /// let s = Session::connect("192.168.1.10", ConnectOptions::default())?;
    /// let data = s.call_json(Method::Post, "slot1/datalogger/get_frontend",
    ///     Some(&Object::new().with("channel", 1)))?;
    /// # let _ = data; Ok(()) }
    /// ```
    pub fn call_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&crate::request_body::Object>,
    ) -> Result<Value> {
        let path = path.trim_start_matches('/');
        let path = path.strip_prefix("api/").unwrap_or(path);
        let text = body.map(crate::request_body::Object::to_json);
        let body = match (&text, method) {
            (Some(t), _) => Body::Json(t),
            (None, Method::Post) => Body::Json(""),
            (None, _) => Body::None,
        };
        Ok(self
            .shared
            .call(method, path, body, Stack::Fast, true)?
            .data)
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
