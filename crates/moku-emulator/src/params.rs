//! Request parameters: typed access to a JSON body, and strict / non-strict coercion (docs/moku-protocol.md §7.0).

use serde_json::{Map, Value};

use crate::reply::ApiError;

/// The JSON object of a request body. An empty body is an empty object; `null` values count as
/// "argument not given".
#[derive(Debug, Default)]
pub(crate) struct Params {
    map: Map<String, Value>,
}

impl Params {
    /// Parses a body. Empty (or whitespace-only) bodies are an empty object.
    pub fn parse(body: &[u8]) -> Result<Params, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Params { map }),
            Ok(Value::Null) => Ok(Params::default()),
            Ok(_) => Err(ApiError::param("request body must be a JSON object")),
            Err(e) => Err(ApiError::param(format!(
                "request body is not valid JSON: {e}"
            ))),
        }
    }

    /// The raw value of `key`, `None` when missing or null.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A number (ints accepted for floats).
    pub fn f64(&self, key: &str) -> Result<Option<f64>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| ApiError::param(format!("{key} must be a finite number, got {v}"))),
        }
    }

    /// A required number.
    pub fn req_f64(&self, key: &str) -> Result<f64, ApiError> {
        self.f64(key)?
            .ok_or_else(|| ApiError::param(format!("missing required parameter {key}")))
    }

    /// A string.
    pub fn str(&self, key: &str) -> Result<Option<&str>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(ApiError::param(format!("{key} must be a string, got {v}"))),
        }
    }

    /// A required string.
    pub fn req_str(&self, key: &str) -> Result<&str, ApiError> {
        self.str(key)?
            .ok_or_else(|| ApiError::param(format!("missing required parameter {key}")))
    }

    /// A boolean (`0`/`1` accepted).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
            Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
            Some(v) => Err(ApiError::param(format!("{key} must be a boolean, got {v}"))),
        }
    }

    /// A non-negative integer (an integral float is accepted).
    pub fn u64(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|f| f.fract() == 0.0 && (0.0..9.0e15).contains(f))
                        .map(|f| f as u64)
                })
                .map(Some)
                .ok_or_else(|| {
                    ApiError::param(format!("{key} must be a non-negative integer, got {v}"))
                }),
        }
    }

    /// The `strict` flag, true unless sent as false.
    pub fn strict(&self) -> Result<bool, ApiError> {
        Ok(self.bool("strict")?.unwrap_or(true))
    }

    /// A required 1-based channel number in `1..=count`.
    pub fn channel(&self, count: u8) -> Result<usize, ApiError> {
        let ch = self
            .u64("channel")?
            .ok_or_else(|| ApiError::param("missing required parameter channel"))?;
        if (1..=u64::from(count)).contains(&ch) {
            Ok(ch as usize)
        } else {
            Err(ApiError::param(format!(
                "channel {ch} does not exist (valid: 1 to {count})"
            )))
        }
    }
}

/// Applies the strict rule to one request: collects the notes of non-strict coercions.
#[derive(Debug)]
pub(crate) struct Coerce {
    strict: bool,
    notes: Vec<String>,
}

impl Coerce {
    /// A coercion context for a request with this `strict` flag.
    pub fn new(strict: bool) -> Coerce {
        Coerce {
            strict,
            notes: Vec::new(),
        }
    }

    /// The notes for `messages`.
    pub fn into_notes(self) -> Vec<String> {
        self.notes
    }

    /// Keeps `value` if it is in `[lo, hi]`; otherwise rejects it (strict) or clamps it with a note.
    pub fn range(&mut self, name: &str, value: f64, lo: f64, hi: f64) -> Result<f64, ApiError> {
        if (lo..=hi).contains(&value) {
            return Ok(value);
        }
        let clamped = value.clamp(lo, hi);
        if self.strict {
            Err(ApiError::param(format!(
                "{name} {value} is out of range (valid: {lo} to {hi}); use strict=False to coerce"
            )))
        } else {
            self.notes.push(format!(
                "{name} {value} is out of range, coerced to {clamped}"
            ));
            Ok(clamped)
        }
    }

    /// Keeps `value` if it is one of `allowed`. Otherwise a value that `fallback` can map to an
    /// allowed one is rejected (strict) or replaced with a note; anything else is rejected.
    pub fn choice(
        &mut self,
        name: &str,
        value: &str,
        allowed: &[&'static str],
        fallback: Option<&'static str>,
    ) -> Result<&'static str, ApiError> {
        if let Some(ok) = allowed.iter().find(|a| **a == value) {
            return Ok(ok);
        }
        match fallback {
            Some(to) if !self.strict => {
                self.notes
                    .push(format!("{name} {value} is not available, coerced to {to}"));
                Ok(to)
            }
            _ => Err(ApiError::param(format!(
                "invalid {name} {value:?} (valid: {})",
                allowed.join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_null_bodies_are_empty() {
        assert!(Params::parse(b"").unwrap().value("x").is_none());
        assert!(Params::parse(b"null").unwrap().value("x").is_none());
        assert!(Params::parse(b"[1]").is_err());
        assert!(Params::parse(b"{").is_err());
    }

    #[test]
    fn ints_are_floats_and_nulls_are_absent() {
        let p = Params::parse(br#"{"a": 1, "b": null, "c": 1e-07, "strict": false}"#).unwrap();
        assert_eq!(p.f64("a").unwrap(), Some(1.0));
        assert_eq!(p.f64("b").unwrap(), None);
        assert_eq!(p.f64("c").unwrap(), Some(1e-7));
        assert!(!p.strict().unwrap());
    }

    #[test]
    fn strict_rejects_and_lenient_clamps() {
        let mut c = Coerce::new(true);
        assert_eq!(
            c.range("x", 5.0, 0.0, 1.0).unwrap_err().code,
            "INVALID_PARAM"
        );
        let mut c = Coerce::new(false);
        assert_eq!(c.range("x", 5.0, 0.0, 1.0).unwrap(), 1.0);
        assert_eq!(c.into_notes().len(), 1);
    }
}
