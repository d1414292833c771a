#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(fuzzing), warn(missing_docs))]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(feature = "alloc")]
extern crate alloc;
// Unit tests of a `no_std` build still run on the host with `std`.
#[cfg(all(test, not(feature = "std")))]
#[macro_use]
extern crate std;

mod args;
mod byte_search;
mod call;
pub mod channel;
mod device;
pub mod error;
mod framer;
mod lexer;
mod macros;
pub mod mnemonic;
pub mod nrf;
pub mod number;
pub mod params;
mod queue;
mod response;
mod session;
mod shortest_digits;
pub mod sink;
pub mod status;
pub mod string_data;
pub mod tree;
pub mod units;
mod validate;

pub use call::Call;
pub use channel::{Channel, ChannelList, ChannelRange};
pub use device::{Device, Identity};
pub use error::{Error, ErrorClass};
pub use framer::{Feed, Framer};
pub use lexer::Token;
pub use params::{Args, Kind, Param, Value};
pub use queue::ErrorQueue;
pub use response::Response;
pub use session::Session;
#[cfg(feature = "std")]
pub use sink::IoSink;
pub use sink::{Sink, SinkError, SliceSink};
pub use string_data::Str;
pub use tree::{Suffixes, Tree, TreeError};
pub use units::Unit;

/// The former name of [`string_data`].
#[deprecated(since = "0.2.0", note = "renamed to `string_data`")]
pub use string_data as text;
