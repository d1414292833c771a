#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(fuzzing), warn(missing_docs))]

extern crate alloc;

#[macro_use]
mod logging;

pub use elog_core;
#[cfg(feature = "moku")]
pub use moku_client;
pub use scpi_parser;

#[cfg(feature = "std")]
pub mod acquisition;
/// The Rust ELOG client (feature `tcp`).
#[cfg(feature = "tcp")]
pub mod client;
pub mod dispatch;
pub mod instrument;
/// The former name of [`dispatch`] (kept for existing users).
#[doc(hidden)]
pub use dispatch as limits;
pub mod registry;
#[cfg(feature = "tcp")]
pub mod server;
pub mod source;
pub mod transport;

pub use instrument::{ElogInstrument, IdentityInfo, InstrumentConfig};
pub use registry::ChannelRegistry;
pub use source::{ChannelSpec, Simulator, Source};
