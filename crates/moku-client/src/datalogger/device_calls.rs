//! The device-level calls the official client offers on the instrument itself (inherited from
//! `Moku`): name, serial, describe, versions, calibration date, files, and the raw escape hatch.

use std::path::Path;

use serde_json::Value;

use super::Datalogger;
use crate::description::Description;
use crate::error::Result;
use crate::request_body::Object;
use crate::transport::Method;
use crate::values::FileTarget;

impl Datalogger {
    /// `GET /api/moku/name` (Python: `Datalogger.name()`).
    pub fn name(&self) -> Result<String> {
        self.session.name()
    }

    /// `GET /api/moku/serial_number`.
    pub fn serial_number(&self) -> Result<String> {
        self.session.serial_number()
    }

    /// `GET /api/moku/describe`, fetched again.
    pub fn describe(&self) -> Result<Description> {
        self.session.describe()
    }

    /// `GET /api/moku/mokuos_version`.
    pub fn mokuos_version(&self) -> Result<String> {
        self.session.mokuos_version()
    }

    /// `GET /api/moku/mokuos_version` under the official client's deprecated name.
    pub fn firmware_version(&self) -> Result<String> {
        self.session.firmware_version()
    }

    /// `GET /api/moku/calibration_date`.
    pub fn calibration_date(&self) -> Result<serde_json::Map<String, Value>> {
        self.session.calibration_date()
    }

    /// `GET /api/<target>/list`.
    pub fn list(&self, target: &FileTarget) -> Result<Vec<String>> {
        self.session.list(target)
    }

    /// `GET /api/<target>/download/<name>` into the local file `path`.
    pub fn download(&self, target: &FileTarget, name: &str, path: &Path) -> Result<u64> {
        self.session.download(target, name, path)
    }

    /// `POST /api/<target>/upload/<name>` with raw bytes.
    pub fn upload(&self, target: &FileTarget, name: &str, data: &[u8]) -> Result<()> {
        self.session.upload(target, name, data)
    }

    /// `DELETE /api/<target>/delete/<name>`.
    pub fn delete(&self, target: &FileTarget, name: &str) -> Result<String> {
        self.session.delete(target, name)
    }

    /// The raw escape hatch of [`Session::call_json`](crate::Session::call_json): `method` on `/api/<path>`.
    pub fn call_json(&self, method: Method, path: &str, body: Option<&Object>) -> Result<Value> {
        self.session.call_json(method, path, body)
    }
}
