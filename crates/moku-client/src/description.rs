//! What `GET /api/moku/describe` reports, and the proxy-version check made at connect time
//! (docs/moku-protocol.md §3.2, §3.5).

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::reply_envelope::expect;
use crate::values::Model;

/// The proxy version this client speaks (`SUPPORTED_PROXY_VERSION` of the official client).
pub const SUPPORTED_PROXY_VERSION: i64 = 3;

/// What `describe` reported (docs/moku-protocol.md §3.2).
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

    /// The version check of docs/moku-protocol.md §3.5.
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
}
