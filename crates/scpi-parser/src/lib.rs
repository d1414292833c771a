#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(fuzzing), warn(missing_docs))]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod number;
pub mod sink;

pub use sink::{Sink, SinkError, SliceSink};
#[cfg(feature = "std")]
pub use sink::IoSink;
