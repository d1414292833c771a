//! The HTTP/1.1 front: hyper on a current-thread tokio runtime, fault injection, header spelling.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::device::{Device, Outcome, Request};
use crate::fault::{self, Fault, Faults};
use crate::reply::Reply;

/// State shared between the server thread and the [`crate::Emulator`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The device model.
    pub device: Mutex<Device>,
    /// The fault table.
    pub faults: Faults,
    /// Largest accepted request body.
    pub max_body: usize,
}

impl Shared {
    /// Locks the device (a panic in a handler must not wedge the emulator).
    pub fn device(&self) -> MutexGuard<'_, Device> {
        self.device.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The service error that makes hyper close the connection without answering.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

type Body = Full<Bytes>;

/// Accepts connections until `stop` fires; every connection is served by its own task.
pub(crate) async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                tokio::task::spawn(async move {
                    let service = service_fn(move |req| serve(Arc::clone(&shared), req));
                    // Errors here are client disconnects or injected drops: nothing to report.
                    let _ = http1::Builder::new()
                        .title_case_headers(true)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Serves one request, applying the first matching fault rule.
async fn serve(shared: Arc<Shared>, req: HttpRequest<Incoming>) -> Result<Response<Body>, Dropped> {
    let path = req.uri().path().to_owned();
    let method = req.method().as_str().to_owned();
    let key = req
        .headers()
        .get("moku-client-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fault = shared.faults.take(&path);
    if let Some(Fault::DropConnection) = fault {
        return Err(Dropped);
    }
    // Read the body even when a fault answers instead of the device, so that the connection
    // stays usable (keep-alive) afterwards.
    let body = match Limited::new(req.into_body(), shared.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                let msg = format!("request body larger than {} bytes", shared.max_body);
                return Ok(response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain",
                    msg.into_bytes(),
                    None,
                    true,
                ));
            }
            // The client went away mid-body.
            return Err(Dropped);
        }
    };
    let mut post_fault = None;
    match fault {
        None | Some(Fault::DropConnection) => {}
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Status { code, body }) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Ok(response(
                status,
                "text/plain; charset=utf-8",
                body.into_bytes(),
                None,
                false,
            ));
        }
        Some(Fault::Envelope { code, messages }) => {
            let reply = Reply::Envelope {
                success: false,
                data: serde_json::Value::Null,
                code: Some(code),
                messages: Some(messages),
            };
            return Ok(outcome_response(reply.into(), None));
        }
        Some(Fault::NotJson) => {
            let body = b"<html><body>502 Bad Gateway (not JSON)</body></html>".to_vec();
            return Ok(response(StatusCode::OK, "text/html", body, None, false));
        }
        Some(f @ (Fault::TruncateChunk(_) | Fault::CorruptChunk)) => post_fault = Some(f),
    }
    let outcome = match decode_segments(&path) {
        Some(segments) => {
            let request = Request {
                method: &method,
                path: &path,
                segments,
                client_key: key.as_deref(),
                body: &body,
            };
            shared.device().handle(&request, Instant::now())
        }
        None => Reply::not_found(&path).into(),
    };
    Ok(outcome_response(outcome, post_fault))
}

/// The percent-decoded segments after `/api/`, or `None` for other paths.
fn decode_segments(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix("/api/")?;
    rest.split('/')
        .map(|s| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        })
        .collect()
}

fn outcome_response(outcome: Outcome, post_fault: Option<Fault>) -> Response<Body> {
    let (status, content_type, mut body) = outcome.reply.into_parts();
    match post_fault {
        Some(Fault::TruncateChunk(n)) => body.truncate(n),
        Some(Fault::CorruptChunk) => fault::corrupt(&mut body),
        _ => {}
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response(
        status,
        content_type,
        body,
        outcome.client_key,
        outcome.close,
    )
}

fn response(
    status: StatusCode,
    content_type: &str,
    body: Vec<u8>,
    client_key: Option<String>,
    close: bool,
) -> Response<Body> {
    let mut builder = Response::builder().status(status);
    if !body.is_empty() {
        builder = builder.header("Content-Type", content_type);
    }
    if let Some(key) = client_key {
        builder = builder.header("Moku-Client-Key", key);
    }
    if close {
        builder = builder.header("Connection", "close");
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_decoded() {
        assert_eq!(
            decode_segments("/api/ssd/download/my%20file.li"),
            Some(vec!["ssd".into(), "download".into(), "my file.li".into()])
        );
        assert_eq!(decode_segments("/other"), None);
        assert_eq!(decode_segments("/api/x/%FF"), None);
    }
}
