//! The `elog` facade (skeleton; filled in by the facade work).
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The Rust ELOG client (feature `tcp`).
#[cfg(feature = "tcp")]
pub mod client;
