//! What a handler answers: an envelope, raw bytes, or a bare status; and the API error type.

use serde_json::{Value, json};

/// A device-side failure that becomes a `success: false` envelope.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    /// The envelope `code` (`INVALID_PARAM`, `INVALID_REQUEST`, ...).
    pub code: &'static str,
    /// The single message.
    pub message: String,
}

impl ApiError {
    /// `INVALID_PARAM` with a message.
    pub fn param(message: impl Into<String>) -> ApiError {
        ApiError {
            code: "INVALID_PARAM",
            message: message.into(),
        }
    }

    /// `INVALID_REQUEST` with a message.
    pub fn request(message: impl Into<String>) -> ApiError {
        ApiError {
            code: "INVALID_REQUEST",
            message: message.into(),
        }
    }
}

/// A complete answer, before fault post-processing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Reply {
    /// HTTP 200 with a JSON envelope carrying all four keys.
    Envelope {
        /// `success`.
        success: bool,
        /// `data`.
        data: Value,
        /// `code`.
        code: Option<String>,
        /// `messages`.
        messages: Option<Vec<String>>,
    },
    /// Raw bytes with a status and a content type.
    Raw {
        /// HTTP status.
        status: u16,
        /// `Content-Type`.
        content_type: &'static str,
        /// The body.
        body: Vec<u8>,
    },
}

impl Reply {
    /// `success: true` with `data` and no messages.
    pub fn ok(data: Value) -> Reply {
        Reply::Envelope {
            success: true,
            data,
            code: None,
            messages: None,
        }
    }

    /// `success: true` with `data` and the strict=false notes (null when there are none).
    pub fn ok_noted(data: Value, notes: Vec<String>) -> Reply {
        let messages = (!notes.is_empty()).then_some(notes);
        Reply::Envelope {
            success: true,
            data,
            code: None,
            messages,
        }
    }

    /// `success: false` with a code and one message.
    pub fn error(code: &str, message: impl Into<String>) -> Reply {
        Reply::Envelope {
            success: false,
            data: Value::Null,
            code: Some(code.to_owned()),
            messages: Some(vec![message.into()]),
        }
    }

    /// Raw binary bytes (HTTP 200).
    pub fn bytes(body: Vec<u8>) -> Reply {
        Reply::Raw {
            status: 200,
            content_type: "application/octet-stream",
            body,
        }
    }

    /// A bare JSON value without envelope (HTTP 200).
    pub fn bare_json(value: &Value) -> Reply {
        Reply::Raw {
            status: 200,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
        }
    }

    /// A plain-text answer with a status.
    pub fn status(status: u16, text: impl Into<String>) -> Reply {
        Reply::Raw {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.into().into_bytes(),
        }
    }

    /// HTTP 404 for an unknown path.
    pub fn not_found(path: &str) -> Reply {
        Reply::status(404, format!("Not found: {path}"))
    }

    /// HTTP 405 for a known path used with the wrong verb.
    pub fn wrong_method(method: &str, path: &str) -> Reply {
        Reply::status(405, format!("Method {method} not allowed on {path}"))
    }

    /// The HTTP status and body bytes of this reply.
    pub fn into_parts(self) -> (u16, &'static str, Vec<u8>) {
        match self {
            Reply::Envelope {
                success,
                data,
                code,
                messages,
            } => {
                let v =
                    json!({"success": success, "data": data, "code": code, "messages": messages});
                (200, "application/json", v.to_string().into_bytes())
            }
            Reply::Raw {
                status,
                content_type,
                body,
            } => (status, content_type, body),
        }
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Reply {
        Reply::error(e.code, e.message)
    }
}

impl From<Result<Reply, ApiError>> for Reply {
    fn from(r: Result<Reply, ApiError>) -> Reply {
        r.unwrap_or_else(Reply::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_carry_all_four_keys() {
        let (status, _, body) = Reply::ok(Value::Null).into_parts();
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&body).unwrap();
        for key in ["success", "data", "code", "messages"] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        let (_, _, body) = Reply::ok_noted(json!({}), vec![]).into_parts();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["messages"], Value::Null);
    }
}
