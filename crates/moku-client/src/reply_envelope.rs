//! The `{"success","data","code","messages"}` envelope and the HTTP status rules (docs/moku-protocol.md §2).
//!
//! [`interpret`] is a pure function from an HTTP status and body to a typed result, so it can be
//! unit-tested and fuzzed without a network.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::{ApiCode, Error, Result};

/// String stand-ins for the non-finite numbers Python's `json` accepts and serde_json does not.
pub(crate) const NAN_SENTINEL: &str = "\u{0}NaN";
pub(crate) const INF_SENTINEL: &str = "\u{0}Infinity";
pub(crate) const NEG_INF_SENTINEL: &str = "\u{0}-Infinity";

/// A successful envelope: its `data` (already checked against the shapes the official client
/// accepts) and its `messages` (the warnings of a `strict=false` coercion, empty when null).
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// The payload. Non-finite numbers inside objects appear as sentinel strings that the typed
    /// reply structs turn back into `f64` NaN/±infinity.
    pub data: Value,
    /// Warning messages of a successful reply.
    pub messages: Vec<String>,
}

/// Interprets one answer of an enveloped endpoint: the status rules of §2.3, then the envelope
/// rules of §2.1 and the code mapping of §2.2. `operation` only labels errors.
pub fn interpret(operation: &str, status: u16, body: &[u8]) -> Result<Envelope> {
    let op = || operation.to_owned();
    match status {
        200 => {}
        404 => return Err(Error::OperationNotFound { operation: op() }),
        500 => {
            let text = String::from_utf8_lossy(body);
            let body = (!text.is_empty()).then(|| text.into_owned());
            return Err(Error::ServerError {
                operation: op(),
                body,
            });
        }
        502 => return Err(Error::MissingApiServer { operation: op() }),
        504 => return Err(Error::GatewayTimeout { operation: op() }),
        status => {
            return Err(Error::UnexpectedStatus {
                operation: op(),
                status,
                body: String::from_utf8_lossy(body).into_owned(),
            });
        }
    }
    let malformed = |reason: String| Error::MalformedReply {
        operation: op(),
        reason,
    };
    let value = parse_json(body).map_err(malformed)?;
    let Value::Object(mut obj) = value else {
        return Err(malformed("the reply is not a JSON object".into()));
    };
    for key in ["success", "data", "code", "messages"] {
        if !obj.contains_key(key) {
            return Err(malformed(format!("the envelope lacks the key {key:?}")));
        }
    }
    let success = lax_bool(&obj["success"])
        .ok_or_else(|| malformed(format!("`success` is not a bool: {}", obj["success"])))?;
    let code = match &obj["code"] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => {
            return Err(malformed(format!(
                "`code` is not a string or null: {other}"
            )));
        }
    };
    let messages = match &obj["messages"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|m| match m {
                Value::String(s) => Ok(s.clone()),
                other => Err(malformed(format!("a message is not a string: {other}"))),
            })
            .collect::<Result<Vec<_>>>()?,
        other => {
            return Err(malformed(format!(
                "`messages` is not a list or null: {other}"
            )));
        }
    };
    let data = obj.remove("data").unwrap_or(Value::Null);
    let data = check_data_shape(data).map_err(malformed)?;
    if !success {
        return Err(Error::Api {
            operation: op(),
            code: ApiCode::from_raw(code.as_deref()),
            messages,
        });
    }
    Ok(Envelope { data, messages })
}

/// Parses JSON the way Python's `json.loads` does, including `NaN`, `Infinity`, `-Infinity` and
/// the lower-case `nan` / `inf` the client's fallback accepts (docs/moku-protocol.md §2.1).
pub fn parse_json(body: &[u8]) -> core::result::Result<Value, String> {
    let text = core::str::from_utf8(body).map_err(|e| format!("the reply is not UTF-8: {e}"))?;
    let text = replace_non_finite(text);
    serde_json::from_str(&text).map_err(|e| format!("the reply is not JSON: {e}"))
}

/// pydantic's lax bool: `true`/`false`, 0/1, and the usual strings.
fn lax_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn is_sentinel(s: &str) -> bool {
    s == NAN_SENTINEL || s == INF_SENTINEL || s == NEG_INF_SENTINEL
}

/// The allowed top-level `data` shapes: object, list of objects, list of strings, list of ints,
/// string, int, or null; `true`/`false` become 1/0. Floats and mixed lists are rejected.
fn check_data_shape(data: Value) -> core::result::Result<Value, String> {
    let is_int = |v: &Value| matches!(v, Value::Number(n) if !n.is_f64());
    match data {
        Value::Null | Value::Object(_) => Ok(data),
        Value::Bool(b) => Ok(Value::from(u8::from(b))),
        Value::String(ref s) if is_sentinel(s) => Err("`data` is a bare float".into()),
        Value::String(_) => Ok(data),
        Value::Number(ref n) if !n.is_f64() => Ok(data),
        Value::Number(_) => Err("`data` is a bare float".into()),
        Value::Array(items) => {
            let all_obj = items.iter().all(Value::is_object);
            let all_str = items
                .iter()
                .all(|v| matches!(v, Value::String(s) if !is_sentinel(s)));
            let all_int = items.iter().all(|v| is_int(v) || v.is_boolean());
            if all_obj || all_str {
                Ok(Value::Array(items))
            } else if all_int {
                Ok(Value::Array(
                    items
                        .into_iter()
                        .map(|v| match v {
                            Value::Bool(b) => Value::from(u8::from(b)),
                            v => v,
                        })
                        .collect(),
                ))
            } else {
                Err("`data` is a list of floats or a mixed list".into())
            }
        }
    }
}

/// Replaces the bare non-finite number words outside strings by sentinel strings.
fn replace_non_finite(text: &str) -> Cow<'_, str> {
    const WORDS: [(&str, &str); 6] = [
        ("-Infinity", NEG_INF_SENTINEL),
        ("Infinity", INF_SENTINEL),
        ("NaN", NAN_SENTINEL),
        ("-inf", NEG_INF_SENTINEL),
        ("inf", INF_SENTINEL),
        ("nan", NAN_SENTINEL),
    ];
    let bytes = text.as_bytes();
    if !bytes.iter().any(|b| matches!(b, b'N' | b'I' | b'n' | b'i')) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let mut matched = false;
        for (word, sentinel) in WORDS {
            if bytes[i..].starts_with(word.as_bytes()) {
                let end = i + word.len();
                let boundary = bytes.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
                if boundary {
                    out.push_str(&text[last..i]);
                    out.push('"');
                    out.push_str(&sentinel.replace('\u{0}', "\\u0000"));
                    out.push('"');
                    last = end;
                    i = end;
                    matched = true;
                    break;
                }
            }
        }
        if !matched {
            i += 1;
        }
    }
    if last == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Reads a float that may be a JSON number, a non-finite sentinel, or null (→ NaN).
pub(crate) fn value_as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == NAN_SENTINEL => Some(f64::NAN),
        Value::String(s) if s == INF_SENTINEL => Some(f64::INFINITY),
        Value::String(s) if s == NEG_INF_SENTINEL => Some(f64::NEG_INFINITY),
        Value::Null => Some(f64::NAN),
        _ => None,
    }
}

/// Helpers that check the `data` type an operation requires (docs/moku-protocol.md §7.1, the "data" column).
pub(crate) mod expect {
    use super::*;

    fn wrong(operation: &str, want: &str, got: &Value) -> Error {
        Error::MalformedReply {
            operation: operation.to_owned(),
            reason: format!("expected {want} data, got {got}"),
        }
    }

    /// `data` must be null.
    pub(crate) fn null(operation: &str, data: &Value) -> Result<()> {
        if data.is_null() {
            Ok(())
        } else {
            Err(wrong(operation, "null", data))
        }
    }

    /// `data` must be a string.
    pub(crate) fn string(operation: &str, data: Value) -> Result<String> {
        match data {
            Value::String(s) => Ok(s),
            other => Err(wrong(operation, "string", &other)),
        }
    }

    /// `data` must be an object.
    pub(crate) fn object(operation: &str, data: Value) -> Result<Map<String, Value>> {
        match data {
            Value::Object(m) => Ok(m),
            other => Err(wrong(operation, "object", &other)),
        }
    }

    /// `data` must be a list of strings.
    pub(crate) fn strings(operation: &str, data: Value) -> Result<Vec<String>> {
        match data {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(items
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect()),
            other => Err(wrong(operation, "list of strings", &other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Envelope {
        interpret("op", 200, body.as_bytes()).expect(body)
    }

    #[test]
    fn successful_envelopes() {
        let e = ok(r#"{"success": true, "data": {"a": 1.5}, "code": null, "messages": null}"#);
        assert_eq!(e.data["a"], 1.5);
        assert!(e.messages.is_empty());
        let e = ok(r#"{"success": "true", "data": "x", "code": null, "messages": ["w1", "w2"]}"#);
        assert_eq!(e.data, "x");
        assert_eq!(e.messages, ["w1", "w2"]);
        assert_eq!(
            ok(r#"{"success": 1, "data": true, "code": null, "messages": []}"#).data,
            1
        );
        assert_eq!(
            ok(r#"{"success": true, "data": [1, 2], "code": null, "messages": []}"#).data[1],
            2
        );
        assert_eq!(
            ok(r#"{"success": true, "data": [], "code": null, "messages": []}"#).data,
            serde_json::json!([])
        );
        assert_eq!(
            ok(r#"{"success": true, "data": null, "code": null, "messages": null}"#).data,
            Value::Null
        );
    }

    #[test]
    fn non_finite_numbers() {
        let e = ok(
            r#"{"success": true, "data": {"a": NaN, "b": -Infinity, "c": inf, "d": "nan"}, "code": null, "messages": null}"#,
        );
        assert!(value_as_f64(&e.data["a"]).unwrap().is_nan());
        assert_eq!(value_as_f64(&e.data["b"]), Some(f64::NEG_INFINITY));
        assert_eq!(value_as_f64(&e.data["c"]), Some(f64::INFINITY));
        assert_eq!(e.data["d"], "nan");
        let err = interpret(
            "op",
            200,
            br#"{"success": true, "data": NaN, "code": null, "messages": null}"#,
        );
        assert!(matches!(err, Err(Error::MalformedReply { .. })));
    }

    #[test]
    fn rejected_shapes() {
        for body in [
            r#"{"success": true, "data": 1.5, "code": null, "messages": null}"#,
            r#"{"success": true, "data": [1.5], "code": null, "messages": null}"#,
            r#"{"success": true, "data": [1, "a"], "code": null, "messages": null}"#,
            r#"{"success": true, "data": null, "messages": null}"#,
            r#"{"success": true, "data": null, "code": null}"#,
            r#"{"success": "maybe", "data": null, "code": null, "messages": null}"#,
            r#"{"success": true, "data": null, "code": 5, "messages": null}"#,
            r#"{"success": true, "data": null, "code": null, "messages": [1]}"#,
            r#"[1]"#,
            "not json",
            "",
        ] {
            assert!(
                matches!(
                    interpret("op", 200, body.as_bytes()),
                    Err(Error::MalformedReply { .. })
                ),
                "{body}"
            );
        }
        assert!(matches!(
            interpret("op", 200, &[0xff, 0xfe]),
            Err(Error::MalformedReply { .. })
        ));
    }

    #[test]
    fn codes_map_to_typed_errors() {
        let cases = [
            ("\"NO_PLATFORM_BIT_STREAM\"", ApiCode::NoPlatformBitstream),
            ("\"NO_BITSTREAM\"", ApiCode::NoInstrumentBitstream),
            ("\"INVALID_PARAM\"", ApiCode::InvalidParam),
            ("\"INVALID_REQUEST\"", ApiCode::InvalidRequest),
            ("\"NETWORK_ERROR\"", ApiCode::NetworkError),
            ("\"UNEXPECTED_CHANGE\"", ApiCode::UnexpectedChange),
            ("\"PLATFORM_NOT_SUPPORTED\"", ApiCode::PlatformNotSupported),
            (
                "\"INSTRUMENT_NOT_SUPPORTED\"",
                ApiCode::InstrumentNotSupported,
            ),
            ("\"NO_BIT_STREAM\"", ApiCode::Other("NO_BIT_STREAM".into())),
            ("null", ApiCode::Missing),
        ];
        for (code, want) in cases {
            let body = format!(
                r#"{{"success": false, "data": null, "code": {code}, "messages": ["a", "b"]}}"#
            );
            match interpret("op", 200, body.as_bytes()) {
                Err(Error::Api { code, messages, .. }) => {
                    assert_eq!(code, want);
                    assert_eq!(messages, ["a", "b"]);
                }
                other => panic!("{other:?}"),
            }
        }
        let e = interpret("op", 200, br#"{"success": false, "data": null, "code": "INVALID_PARAM", "messages": ["bad", "worse"]}"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "op: device reported INVALID_PARAM: bad\nworse"
        );
    }

    #[test]
    fn statuses() {
        assert!(matches!(
            interpret("op", 404, b""),
            Err(Error::OperationNotFound { .. })
        ));
        assert!(matches!(
            interpret("op", 502, b"x"),
            Err(Error::MissingApiServer { .. })
        ));
        assert!(matches!(
            interpret("op", 504, b""),
            Err(Error::GatewayTimeout { .. })
        ));
        match interpret("op", 500, b"boom") {
            Err(Error::ServerError { body: Some(b), .. }) => assert_eq!(b, "boom"),
            other => panic!("{other:?}"),
        }
        let e = interpret("op", 500, b"").unwrap_err();
        assert_eq!(e.to_string(), "op: Unknown exception. Status code: 500");
        let e = interpret("op", 418, b"teapot").unwrap_err();
        assert_eq!(e.to_string(), "op: Unknown exception. Status code: 418");
    }
}
