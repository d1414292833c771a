//! The client's error type and the device errors it reads from the SCPI error queue.

use std::fmt;
use std::io;
use std::time::Duration;

use elog_core::DecodeError;

/// One entry of the instrument's error queue: `<code>,"<text>[;<detail>]"`.
///
/// Negative codes are the standard SCPI errors (`-221 Settings conflict`, …);
/// positive codes are device-specific (`+203` *ELOG records lost* on this
/// project's server).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct DeviceError {
    /// The error code (0 never appears here: it means "no error").
    pub code: i32,
    /// The standard text, before the first `;`.
    pub text: String,
    /// The detail after the first `;` (channel name, number of lost records, …).
    pub detail: Option<String>,
}

impl DeviceError {
    /// Whether the code is device-specific (positive).
    pub fn is_device_specific(&self) -> bool {
        self.code > 0
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},\"{}", self.code, self.text)?;
        if let Some(d) = &self.detail {
            write!(f, ";{d}")?;
        }
        f.write_str("\"")
    }
}

impl From<&elog_core::Error> for DeviceError {
    /// The queue entry an ELOG server writes for this engine error (the same
    /// code, text and detail `elog-core`'s one SCPI mapping gives).
    fn from(e: &elog_core::Error) -> Self {
        let detail = e.detail().to_string();
        DeviceError {
            code: i32::from(e.code()),
            text: e.text().to_owned(),
            detail: (!detail.is_empty()).then_some(detail),
        }
    }
}

/// The protocol version a server reports in field 4 of `*VER?` (`"1.10"` → 1.10).
///
/// Ordered component-wise, so 1.10 is newer than 1.7 (as OXYGEN clients compare it).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct ProtocolVersion {
    /// The part before the dot.
    pub major: u32,
    /// The part after the dot.
    pub minor: u32,
}

impl ProtocolVersion {
    /// The oldest version with the ELOG subsystem (1.7).
    pub const ELOG: ProtocolVersion = ProtocolVersion { major: 1, minor: 7 };
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Everything that can go wrong talking to an ELOG server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No address of the given name accepted a connection.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address as given.
        addr: String,
        /// The last connection error.
        #[source]
        source: io::Error,
    },
    /// Reading or writing the socket failed; the connection is unusable.
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    /// No complete answer arrived in time; the connection is unusable (a late
    /// answer would be mistaken for the next one).
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// An earlier timeout or socket error left the connection out of step; reconnect.
    #[error("the connection is unusable after an earlier error; reconnect")]
    Broken,
    /// An answer was longer than the client's limit (it was skipped whole).
    #[error("answer longer than the {limit}-byte limit")]
    ResponseTooLong {
        /// The limit ([`ClientOptions::max_response`](super::ClientOptions::max_response)).
        limit: usize,
    },
    /// An answer did not have the expected form.
    #[error("unexpected answer to {query}: {answer:?}")]
    Malformed {
        /// The query sent.
        query: String,
        /// The answer (lossy UTF-8, cut to 200 bytes).
        answer: String,
    },
    /// The server's `*VER?` protocol version is older than required.
    #[error("protocol version {found} is older than the required {required}")]
    Version {
        /// What the server reported.
        found: ProtocolVersion,
        /// What the client requires.
        required: ProtocolVersion,
    },
    /// A command was refused; the errors it put into the queue.
    #[error("{command} was refused: {}", join(errors))]
    Refused {
        /// The command sent.
        command: String,
        /// The queue entries it caused (at least one).
        errors: Vec<DeviceError>,
    },
    /// `FETCh?` answered `ERROR`; the queue entries that explain why.
    #[error("FETCh? answered ERROR: {}", join(errors))]
    FetchFailed {
        /// The error queue after the answer (may be empty on a server that queues nothing).
        errors: Vec<DeviceError>,
    },
    /// A device error reported while streaming records (other than lost records).
    #[error("device error while streaming: {0}")]
    Device(DeviceError),
    /// A `FETCh?` answer could not be decoded with the known layout.
    #[error("cannot decode the FETCh? answer: {0}")]
    Decode(#[from] DecodeError),
    /// An argument cannot be sent (e.g. a channel name holding a line feed).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The record stream saw no record for longer than its idle limit.
    #[error("no record arrived for {0:?}")]
    Stalled(Duration),
}

impl From<elog_core::Error> for ClientError {
    /// An engine error met on the client side (a local engine, a refused
    /// configuration value) reads as the device error a server would queue.
    fn from(e: elog_core::Error) -> Self {
        ClientError::Device(DeviceError::from(&e))
    }
}

impl ClientError {
    /// Whether the connection can no longer be used after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ClientError::Io(_)
                | ClientError::Timeout(_)
                | ClientError::Closed
                | ClientError::Broken
        )
    }
}

fn join(errors: &[DeviceError]) -> String {
    if errors.is_empty() {
        return "no error queued".into();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The client's result alias.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_read_as_the_queue_entry_a_server_writes() {
        let e = elog_core::Error::UnknownChannel {
            channel: "AI 9/9".into(),
        };
        let scpi = scpi_parser::Error::from(&e);
        let client = ClientError::from(e);
        let ClientError::Device(d) = &client else {
            panic!("{client:?}");
        };
        assert_eq!(d.code, scpi.code());
        assert_eq!(
            d.to_string(),
            "-224,\"Illegal parameter value;unknown channel AI 9/9\""
        );
        let e = elog_core::Error::NoItems;
        let ClientError::Device(d) = ClientError::from(e) else {
            panic!()
        };
        assert_eq!((d.code, d.detail.is_some()), (-221, true));
    }
}
