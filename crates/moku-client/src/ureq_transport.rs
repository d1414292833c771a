//! The default [`Transport`]: ureq 3, plain HTTP, two agents for the two stacks of docs/moku-protocol.md §1.2.

use std::io::Read;

use crate::error::{TransportError, TransportErrorKind};
use crate::host::Host;
use crate::transport::{Method, Request, Response, Stack, StreamingResponse, Timeouts, Transport};

/// Largest non-streamed body accepted (envelopes, chunks): 256 MiB.
const MAX_BODY: u64 = 256 << 20;

/// HTTP over ureq 3 with `http_status_as_error(false)`, no proxy, no redirects, no TLS.
#[derive(Debug)]
pub struct UreqTransport {
    base: String,
    fast: ureq::Agent,
    bulk: ureq::Agent,
    timeouts: Timeouts,
}

impl UreqTransport {
    /// A transport to `host` (already cleaned up) with the given timeouts.
    pub fn new(host: &Host, timeouts: Timeouts) -> Self {
        let agent = || {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .proxy(None)
                .max_redirects(0)
                .timeout_connect(Some(timeouts.connect))
                .timeout_per_read(Some(timeouts.read))
                .max_idle_connections_per_host(1)
                .build()
                .new_agent()
        };
        Self {
            base: format!("http://{}", host.url_authority()),
            fast: agent(),
            bulk: agent(),
            timeouts,
        }
    }

    /// The configured timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn send(
        &self,
        request: &Request<'_>,
    ) -> Result<ureq::http::Response<ureq::Body>, TransportError> {
        let agent = match request.stack {
            Stack::Fast => &self.fast,
            Stack::Bulk => &self.bulk,
        };
        let url = format!("{}{}", self.base, request.path);
        let read = if request.timeouts {
            Some(self.timeouts.read)
        } else {
            self.timeouts.bulk_read
        };
        let result = match (request.method, request.body) {
            (Method::Get, None) => {
                let mut b = agent.get(&url);
                for (k, v) in &request.headers {
                    b = b.header(*k, v);
                }
                b.config().timeout_per_read(read).build().call()
            }
            (Method::Delete, None) => {
                let mut b = agent.delete(&url);
                for (k, v) in &request.headers {
                    b = b.header(*k, v);
                }
                b.config().timeout_per_read(read).build().call()
            }
            (method, body) => {
                let mut b = match method {
                    Method::Post => agent.post(&url),
                    Method::Get => agent.get(&url).force_send_body(),
                    Method::Delete => agent.delete(&url).force_send_body(),
                };
                for (k, v) in &request.headers {
                    b = b.header(*k, v);
                }
                let body = body.unwrap_or(&[]);
                b.header("Content-Length", body.len().to_string())
                    .config()
                    .timeout_per_read(read)
                    .build()
                    .send(body)
            }
        };
        result.map_err(map_error)
    }
}

fn headers_of(r: &ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn map_error(e: ureq::Error) -> TransportError {
    use std::io::ErrorKind as K;
    let kind = match &e {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::Io(io) => match io.kind() {
            K::TimedOut | K::WouldBlock => TransportErrorKind::Timeout,
            K::ConnectionRefused
            | K::AddrNotAvailable
            | K::HostUnreachable
            | K::NetworkUnreachable => TransportErrorKind::Connect,
            _ => TransportErrorKind::Io,
        },
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => TransportErrorKind::BadUrl,
        ureq::Error::Protocol(_) => TransportErrorKind::Protocol,
        _ => TransportErrorKind::Io,
    };
    TransportError::new(kind, e.to_string())
}

impl Transport for UreqTransport {
    fn exchange(&mut self, request: &Request<'_>) -> Result<Response, TransportError> {
        let r = self.send(request)?;
        let status = r.status().as_u16();
        let headers = headers_of(&r);
        let body = r
            .into_body()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(map_error)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn exchange_streaming(
        &mut self,
        request: &Request<'_>,
    ) -> Result<StreamingResponse, TransportError> {
        let r = self.send(request)?;
        let status = r.status().as_u16();
        let headers = headers_of(&r);
        let body: Box<dyn Read + Send> = Box::new(r.into_body().into_reader());
        Ok(StreamingResponse {
            status,
            headers,
            body,
        })
    }
}
