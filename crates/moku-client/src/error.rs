//! The crate's error type.

use crate::li::LiError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// The `code` of a `success: false` envelope, mapped as the official client maps it (docs/moku-protocol.md §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiCode {
    /// `NO_PLATFORM_BIT_STREAM` (Python: `NoPlatformBitstream`).
    NoPlatformBitstream,
    /// `NO_BITSTREAM` (Python: `NoInstrumentBitstream`).
    NoInstrumentBitstream,
    /// `INVALID_PARAM` (Python: `InvalidParameterException`).
    InvalidParam,
    /// `INVALID_REQUEST` (Python: `InvalidRequestException`).
    InvalidRequest,
    /// `NETWORK_ERROR` (Python: `NetworkError`).
    NetworkError,
    /// `UNEXPECTED_CHANGE` (Python: `UnexpectedChangeError`).
    UnexpectedChange,
    /// `PLATFORM_NOT_SUPPORTED` (Python: `PlatformNotSupported`).
    PlatformNotSupported,
    /// `INSTRUMENT_NOT_SUPPORTED` (Python: `InstrumentNotSupported`).
    InstrumentNotSupported,
    /// Any other code string (Python: plain `MokuException`), kept verbatim.
    Other(String),
    /// `code` was `null` (Python: plain `MokuException`).
    Missing,
}

impl ApiCode {
    /// Maps the raw `code` of an envelope.
    pub fn from_raw(code: Option<&str>) -> Self {
        match code {
            None => Self::Missing,
            Some("NO_PLATFORM_BIT_STREAM") => Self::NoPlatformBitstream,
            Some("NO_BITSTREAM") => Self::NoInstrumentBitstream,
            Some("INVALID_PARAM") => Self::InvalidParam,
            Some("INVALID_REQUEST") => Self::InvalidRequest,
            Some("NETWORK_ERROR") => Self::NetworkError,
            Some("UNEXPECTED_CHANGE") => Self::UnexpectedChange,
            Some("PLATFORM_NOT_SUPPORTED") => Self::PlatformNotSupported,
            Some("INSTRUMENT_NOT_SUPPORTED") => Self::InstrumentNotSupported,
            Some(other) => Self::Other(other.to_owned()),
        }
    }

    /// The code as the device spells it (`None` for [`ApiCode::Missing`]).
    pub fn as_str(&self) -> Option<&str> {
        Some(match self {
            Self::NoPlatformBitstream => "NO_PLATFORM_BIT_STREAM",
            Self::NoInstrumentBitstream => "NO_BITSTREAM",
            Self::InvalidParam => "INVALID_PARAM",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::NetworkError => "NETWORK_ERROR",
            Self::UnexpectedChange => "UNEXPECTED_CHANGE",
            Self::PlatformNotSupported => "PLATFORM_NOT_SUPPORTED",
            Self::InstrumentNotSupported => "INSTRUMENT_NOT_SUPPORTED",
            Self::Other(s) => s,
            Self::Missing => return None,
        })
    }
}

impl core::fmt::Display for ApiCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str().unwrap_or("null"))
    }
}

/// What went wrong below HTTP (reported by a [`Transport`](crate::Transport)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The TCP connection could not be established (refused, unreachable, DNS).
    Connect,
    /// A connect or read timeout expired.
    Timeout,
    /// The connection broke (reset, closed without an answer, broken pipe).
    Io,
    /// The peer spoke something that is not HTTP/1.1.
    Protocol,
    /// The URL could not be built from the host (bad host string).
    BadUrl,
}

/// A failure of one HTTP exchange below the HTTP layer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?} error: {message}")]
pub struct TransportError {
    /// The class of failure; the fast path retries once on `Io` and `Timeout` (docs/moku-protocol.md §1.2).
    pub kind: TransportErrorKind,
    /// Human-readable detail from the HTTP library.
    pub message: String,
}

impl TransportError {
    /// Builds a transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Every error this crate reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The device answered `success: false`; `messages` joined with newlines (docs/moku-protocol.md §2.2).
    #[error("{operation}: device reported {code}: {}", messages.join("\n"))]
    Api {
        /// The operation path, e.g. `slot1/datalogger/set_frontend`.
        operation: String,
        /// The mapped error code.
        code: ApiCode,
        /// The envelope's `messages` (empty when null).
        messages: Vec<String>,
    },
    /// HTTP 404 on an enveloped endpoint (Python: `OperationNotFound`).
    #[error("{operation}: method not found on the Moku (HTTP 404)")]
    OperationNotFound {
        /// The operation path.
        operation: String,
    },
    /// HTTP 502, or 404 on `claim_ownership` (Python: `MissingApiServer`).
    #[error(
        "{operation}: the Moku API server is missing; install the api-server feature on the device"
    )]
    MissingApiServer {
        /// The operation path.
        operation: String,
    },
    /// HTTP 500 (Python: `MokuException(<body>)` or "Unknown exception. Status code: 500").
    #[error("{operation}: {}", body.as_deref().unwrap_or("Unknown exception. Status code: 500"))]
    ServerError {
        /// The operation path.
        operation: String,
        /// The response body, `None` when it was empty.
        body: Option<String>,
    },
    /// HTTP 504 (Python: "Timeout while waiting for a response.").
    #[error("{operation}: Timeout while waiting for a response.")]
    GatewayTimeout {
        /// The operation path.
        operation: String,
    },
    /// Any other unexpected HTTP status (Python: "Unknown exception. Status code: N").
    #[error("{operation}: Unknown exception. Status code: {status}")]
    UnexpectedStatus {
        /// The operation path.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The body text (lossy UTF-8).
        body: String,
    },
    /// A raw-bytes endpoint (download, save_settings, bitstream list) answered non-200.
    #[error("{operation}: Failed to download file, error code {status}: {body}")]
    DownloadFailed {
        /// The operation path.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The body text (lossy UTF-8).
        body: String,
    },
    /// `GET /api/v2/bitstreams` answered non-200.
    #[error("Failed to read bitstreams from the Moku. {status}: {body}")]
    BitstreamListFailed {
        /// The HTTP status.
        status: u16,
        /// The body text (lossy UTF-8).
        body: String,
    },
    /// The reply could not be understood: not JSON, missing envelope keys, a data shape the
    /// official client rejects, or a wrong data type for the operation.
    #[error("{operation}: malformed reply: {reason}")]
    MalformedReply {
        /// The operation path.
        operation: String,
        /// What was wrong.
        reason: String,
    },
    /// The connection failed (after the one retry of the fast path), or timed out.
    #[error("{operation}: {source}")]
    Transport {
        /// The operation path.
        operation: String,
        /// The underlying failure.
        #[source]
        source: TransportError,
    },
    /// `get_chunk` or the mokucli bridge reported a stream error (Python: `StreamException`).
    #[error("stream error: {0}")]
    Stream(String),
    /// The device runs a MokuOS older than this client supports (Python: `IncompatibleMokuException`).
    #[error("incompatible Moku: {0}")]
    IncompatibleMoku(String),
    /// The device is newer than this client (proxy_version > 3; Python: `IncompatiblePackageException`).
    #[error("this client is too old for the Moku (device proxy_version {0}, supported 3)")]
    IncompatiblePackage(i64),
    /// A bitstream the device needs is not on the device and cannot be uploaded: the local
    /// `.mokuinst` is missing (Python: `NoInstrumentBitstream`, "please run `mokucli instrument
    /// download ...`"), or the policy forbids uploads.
    #[error(
        "bitstream {name} is not on the Moku and cannot be uploaded: {reason}{}",
        looked_for.as_ref().map(|p| format!(" (looked for {}; download the instrument files with `mokucli instrument download`, or point MOKU_DATA_PATH / ConnectOptions::data_dir at a data directory that has them)", p.display())).unwrap_or_default()
    )]
    MissingBitstream {
        /// The bare bitstream name, e.g. `01-007-00`.
        name: String,
        /// The local file looked for, when one was.
        looked_for: Option<std::path::PathBuf>,
        /// Why it cannot be uploaded.
        reason: String,
    },
    /// A local `.mokuinst` file is not a tar archive with a `MANIFEST` holding `items[0].sha256`.
    #[error("bitstream file {}: {reason}", path.display())]
    InvalidBitstream {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The device at the given address reports another serial number than
    /// [`ConnectOptions::serial`](crate::ConnectOptions::serial) asked for.
    #[error("the Moku at this address has serial number {found}, not {expected}")]
    SerialMismatch {
        /// The serial number asked for.
        expected: String,
        /// The serial number the device reported.
        found: String,
    },
    /// `serial=` discovery (an empty host with
    /// [`ConnectOptions::serial`](crate::ConnectOptions::serial)) found no Moku with this serial
    /// number within the timeout (the official client's `MokuNotFound`).
    #[error("no Moku with serial number {serial} answered mDNS discovery within {timeout:?}")]
    MokuNotFound {
        /// The serial number looked for.
        serial: String,
        /// How long the browse lasted.
        timeout: std::time::Duration,
    },
    /// The mDNS daemon could not be started or browse (feature `discovery`).
    #[error("mDNS discovery failed: {0}")]
    Discovery(String),
    /// No host was given: give one, or a serial number with the `discovery` feature enabled.
    #[error("no host given{}", if *serial_given { " and this build has no mDNS discovery (feature `discovery`)" } else { " and no serial number to discover" })]
    NoHost {
        /// True when a serial number was given (the build lacks the `discovery` feature).
        serial_given: bool,
    },
    /// An argument failed the per-model validation of docs/moku-protocol.md §11 (no request was
    /// sent). It is the same kind of error as the device's `INVALID_PARAM`:
    /// [`Error::api_code`] returns [`ApiCode::InvalidParam`] for both, and
    /// [`Error::is_invalid_param`] is true for both.
    #[error("invalid {parameter} {value} for {model}: allowed {allowed}")]
    InvalidArgument {
        /// The parameter name as the API spells it.
        parameter: &'static str,
        /// The offending value.
        value: String,
        /// The allowed values or range.
        allowed: String,
        /// The model the check was made for.
        model: String,
    },
    /// The host string could not be turned into a URL authority.
    #[error("invalid host {0:?}")]
    InvalidHost(String),
    /// A local file operation failed.
    #[error("local I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// LI data could not be decoded.
    #[error(transparent)]
    Li(#[from] LiError),
    /// The `mokucli` bridge failed to start or to talk to its child.
    #[error("mokucli: {0}")]
    Mokucli(String),
}

impl Error {
    /// The API code when this is a `success: false` reply.
    ///
    /// A local refusal ([`Error::InvalidArgument`]) reports [`ApiCode::InvalidParam`], the code
    /// the device uses for the same mistake.
    pub fn api_code(&self) -> Option<&ApiCode> {
        match self {
            Self::Api { code, .. } => Some(code),
            Self::InvalidArgument { .. } => Some(&ApiCode::InvalidParam),
            _ => None,
        }
    }

    /// True for a parameter the device refused (`INVALID_PARAM`, Python's
    /// `InvalidParameterException`) or this client refused before sending it.
    pub fn is_invalid_param(&self) -> bool {
        self.api_code() == Some(&ApiCode::InvalidParam)
    }

    /// True for a transport-level timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if source.kind == TransportErrorKind::Timeout)
    }

    /// True when a stream reported its end (`get_chunk` `{"error": "End of stream"}` or mokucli `EOS`).
    pub fn is_end_of_stream(&self) -> bool {
        matches!(self, Self::Stream(m) if m == "End of stream")
    }
}
