//! The seam between the client and an HTTP library: one exchange per call (STYLE 10).
//!
//! The default implementation is [`UreqTransport`](crate::UreqTransport) (feature `ureq`). Any
//! other HTTP stack can be plugged in by implementing [`Transport`].

use std::io::Read;
use std::time::Duration;

use crate::error::TransportError;

/// An HTTP method the Moku API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// Which of the official client's two HTTP stacks a request belongs to (docs/moku-protocol.md §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stack {
    /// The JSON fast path (`http.client` in Python): one keep-alive connection, retried once.
    Fast,
    /// The bulk path (`requests` in Python): files, bitstreams, settings, `get_chunk`.
    Bulk,
}

/// One HTTP request. `path` starts with `/api/`.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The absolute path, percent-encoded, e.g. `/api/slot1/datalogger/set_frontend`.
    pub path: &'a str,
    /// Extra headers in order (the client key, content type, accept-encoding).
    pub headers: Vec<(&'static str, String)>,
    /// The body; `Some(&[])` sends `Content-Length: 0`, `None` sends no body.
    pub body: Option<&'a [u8]>,
    /// The stack the official client would use.
    pub stack: Stack,
    /// Whether the connect/read timeouts apply (docs/moku-protocol.md §1.3: downloads, `save_settings` and
    /// `get_chunk` run without a read timeout).
    pub timeouts: bool,
}

/// A complete HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

/// A response whose body is read incrementally (downloads).
pub struct StreamingResponse {
    /// The status code.
    pub status: u16,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// The body reader.
    pub body: Box<dyn Read + Send>,
}

impl core::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// Connect and read timeouts (the official client's defaults are 15 s and 30 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect timeout.
    pub connect: Duration,
    /// Timeout of each socket read.
    pub read: Duration,
    /// Read timeout for the calls the official client leaves unbounded (downloads,
    /// `save_settings`, `get_chunk`; docs/moku-protocol.md §1.3). `None` (the default) matches the official
    /// client: such a call may block for ever on a device that stops answering. A host that
    /// must notice a hung device (the `elog` facade's Moku source) sets it.
    pub bulk_read: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(15),
            read: Duration::from_secs(30),
            bulk_read: None,
        }
    }
}

/// One HTTP exchange with the device. Implementations hold the base address.
pub trait Transport: Send {
    /// Sends `request` and reads the whole response.
    fn exchange(&mut self, request: &Request<'_>) -> Result<Response, TransportError>;

    /// Sends `request` and returns the body as a reader (downloads). The default reads the
    /// whole body through [`Transport::exchange`].
    fn exchange_streaming(
        &mut self,
        request: &Request<'_>,
    ) -> Result<StreamingResponse, TransportError> {
        let r = self.exchange(request)?;
        Ok(StreamingResponse {
            status: r.status,
            headers: r.headers,
            body: Box::new(std::io::Cursor::new(r.body)),
        })
    }
}

impl Response {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The first header of this name (case-insensitive).
pub(crate) fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
