#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod bitstreams;
pub mod datalogger;
pub mod datalogger_types;
mod description;
#[cfg(feature = "discovery")]
pub mod discovery;
mod error;
mod exchange;
mod host;
pub mod li;
pub mod limits;
#[cfg(feature = "mokucli")]
pub mod mokucli;
pub mod multi_instrument;
mod options;
pub mod reply_envelope;
pub mod request_body;
pub mod session;
mod transport;
#[cfg(feature = "ureq")]
mod ureq_transport;
pub mod values;

pub use datalogger::{Coerced, Datalogger, LogEvent, LoggedFile};
pub use datalogger_types::{
    FrontendSettings, LoggingOptions, LoggingProgress, LoggingStarted, StreamStarted, StreamStatus,
    StreamingOptions, Waveform, WaveformSettings,
};
pub use description::Description;
pub use error::{ApiCode, Error, Result, TransportError, TransportErrorKind};
pub use host::Host;
pub use multi_instrument::{Connection, Endpoint, MultiInstrument};
pub use options::{BitstreamPolicy, ConnectOptions, Warning, WarningHandler, serials_match};
pub use request_body::Num;
pub use session::Session;
pub use transport::{Method, Request, Response, Stack, StreamingResponse, Timeouts, Transport};
#[cfg(feature = "ureq")]
pub use ureq_transport::UreqTransport;
pub use values::{
    AcquisitionMode, Bandwidth, Coupling, FileTarget, Impedance, Load, Model, Range, StreamState,
    Termination, TriggerSource, WaveformType,
};
