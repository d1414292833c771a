//! `elog-core`: an embeddable, sans-IO ELOG engine.
//!
//! It gathers timestamped samples of several channels (any mix of rates),
//! computes AVG, MIN, MAX and RMS per channel over consecutive windows of one
//! PERiod, keeps the completed records in a bounded ring and formats them as
//! the answers of DEWETRON OXYGEN's `:ELOG` SCPI subsystem (ASCII, BIN_INTEL,
//! BIN_MOTOROLA), and decodes such answers back.
//!
//! # The sans-IO contract
//!
//! The engine owns no socket, no thread and no clock. Time is an argument:
//! [`Engine::start`] takes the STARt time and every sample carries its own
//! [`Instant`]. The same calls in the same order give the same records and the
//! same bytes. Records complete as data arrives (a window closes when every
//! item has delivered a sample at or past its end), so there is no timer to
//! drive: the engine has no `handle_timeout`/`poll_timeout`. Memory is bounded
//! by configuration ([`Limits`]); nothing grows with the stream.
//!
//! # Model
//!
//! * **Windows.** Window `k` covers source time `[t0 + k·P, t0 + (k+1)·P)`.
//!   `t0` is the timestamp of the first sample, in push order, at or after the
//!   STARt time; samples before `t0` are ignored. Record `k` is window `k`.
//! * **Completion.** Each item channel accumulates one window at a time; a
//!   sample at or past the window end closes it. Record `k` is complete when
//!   every item has closed window `k`. A window a channel skipped (a gap)
//!   gives NaN for that channel. Samples for a window the channel already
//!   closed are ignored (time never runs backwards per channel).
//! * **Timestamps.** A record's time is its window end `t0 + (k+1)·P`:
//!   `ELOG` = `(k+1)·P`, `REL` = window end − the source's acquisition start,
//!   `ABS` = window end + the host's wall-clock offset ([`Timebase`]).
//! * **Buffer.** `max(ceil(20 s / P) + 1, Limits::min_capacity)` complete
//!   records plus `2 + ceil(2 s / P)` windows for items still filling them
//!   (see [`Engine::capacity`], [`Engine::lag_windows`]), allocated at
//!   STARt. When a channel enters a window that does not fit, the oldest
//!   windows are evicted and counted; the next fetch reports them (`+203`).
//!
//! See `docs/elog.md` for a worked example.
//!
//! # Features
//!
//! * `std` (default): `std::error::Error` via `core::error::Error` and the
//!   `IoSink` of `scpi-parser`.
//! * `serde`: `Serialize`/`Deserialize` on configuration values and records.
//! * `half`: [`compact::CompactRecords`], an f16 record store for hosts short
//!   of RAM — **lossy** (about 3 significant digits).
//! * `log`: debug log of refusals (ITEMs, STARt), overruns (records lost) and
//!   item channels lost, through the `log` crate.
//! * `defmt`: the same through `defmt`, for firmware. With `log` as well,
//!   `log` is used (so that `--all-features` builds link on a host). Without
//!   either, the logging macro expands to nothing: zero cost.
//!
//! # Safety
//!
//! The crate denies `unsafe_code` with one exception: the CPU-feature
//! dispatch of the aggregation kernels (the private `kernel` module). Its
//! lane kernels are plain generic Rust, instantiated once as compiled for
//! the target and once each inside `#[target_feature(enable = "avx2")]` and
//! `#[target_feature(enable = "avx512f")]` functions, so that a default
//! x86-64 build (SSE2 only) still runs them 256/512 bits wide. Calling a
//! `#[target_feature]` function from code without the feature is `unsafe`;
//! the two dispatch methods holding those calls are the only
//! `#[allow(unsafe_code)]` items, and a call happens only after
//! `is_x86_feature_detected!` confirmed the feature at runtime (once, cached
//! in an atomic). Builds that already enable AVX2 (`-C target-cpu=native`),
//! builds without `std` and other targets compile no dispatch and no
//! `unsafe` at all. Every path gives bit-identical results (same lanes, same
//! per-lane order, no FMA contraction: Rust never fuses `a + x * x`); a test
//! checks that on every path the CPU has.
//!
//! The gain, measured on an AMD EPYC (Zen 4) with `perf-report`: batch
//! ingest of AVG+MIN+MAX+RMS from 3.7–3.8 G samples/s (SSE2) to about
//! 15 G samples/s (AVX-512F), and 16 interleaved channels from 3.7–4.0 to
//! about 14–15 G samples/s. The AVX2 path alone gives about 7.6 G samples/s;
//! the portable SSE2 path pays about 5 % (3.4–3.6) for the 16-lane layout
//! all paths share. See `docs/PERFORMANCE.md`.
//!
//! # Example
//!
//! ```
//! use elog_core::{Engine, Instant, Duration, Timebase, StaticCatalog, TimestampMode};
//!
//! let mut cat = StaticCatalog::new();
//! let a = cat.add_scalar("AI 1/1", 1000.0);
//! let b = cat.add_scalar("AI 1/2", 1000.0);
//! let mut e = Engine::default();
//! let out = e.set_items(&cat, ["AI 1/1", "AI 1/2"]).unwrap();
//! assert!(out.refused.is_empty());
//! e.set_timestamp(TimestampMode::Off).unwrap();
//! e.start(Instant::ZERO, Timebase::default()).unwrap();
//! let ms = Duration::from_millis(1);
//! e.push_batch(a, Instant::ZERO, ms, &[1.0; 301]).unwrap();
//! e.push_batch(b, Instant::ZERO, ms, &[-2.5; 301]).unwrap();
//! let mut answer = Vec::new();
//! e.fetch_into(core::num::NonZeroUsize::new(2), &mut answer).unwrap();
//! assert_eq!(answer, b"1.0E+0,-2.5E+0,1.0E+0,-2.5E+0");
//! ```
#![no_std]
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(fuzzing), warn(missing_docs))]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod aggregate;
mod calc;
pub mod catalog;
pub mod civil;
#[cfg(feature = "half")]
pub mod compact;
pub mod config;
pub mod decode;
pub mod engine;
pub mod error;
pub mod format;
mod kernel;
mod macros;
mod readout;
pub mod records;
mod ring;
mod run;
mod state;
pub mod time;

/// `docs/elog.md`, compiled so its embedding example stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/elog.md")]
mod elog_md {}

/// The crate README (its crates.io page), compiled so its example stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

pub use catalog::{ChannelCatalog, ChannelId, ChannelInfo, StaticCatalog};
pub use config::{Calc, CalcList, Format, Limits, TimestampMode};
pub use decode::{DecodeError, DecodeErrorKind, Layout, decode};
pub use engine::{Engine, FetchMark, Fetched, GroupId, ItemsOutcome, State, Timebase, fetch_count};
pub use error::{Error, Result};
pub use format::{encode, encode_to_vec};
pub use records::{RecordTime, Records};
pub use scpi_parser::{Sink, SinkError, SliceSink};
pub use time::{Duration, Instant};
