//! The crate's one logging macro, `elog_log!` (smoltcp's
//! pattern: one internal macro, the backend chosen by a cargo feature).
//!
//! With the `log` feature, `elog_log!(info, "...", args)` is
//! `log::info!("...", args)` (target: the calling module's path, e.g.
//! `elog::server::connection`). Without it, the macro expands to code that
//! is never run (`if false`): the arguments are still type-checked, so a
//! variable used only in a log line never warns, and nothing is formatted
//! or evaluated — zero cost when off. Levels: `error`, `warn`, `info`,
//! `debug`, `trace`.
//!
//! Declared `#[macro_use]` first in `lib.rs`, so every module of the crate
//! can call it by name.

/// Logs through the `log` crate when the `log` feature is on; compiles to
/// nothing otherwise. `elog_log!(level, "format", args...)`.
#[cfg(feature = "log")]
#[allow(unused_macros)] // builds without `tcp` have no caller yet
macro_rules! elog_log {
    ($level:ident, $($arg:tt)+) => {
        ::log::$level!($($arg)+)
    };
}

/// Logs through the `log` crate when the `log` feature is on; compiles to
/// nothing otherwise. `elog_log!(level, "format", args...)`.
#[cfg(not(feature = "log"))]
#[allow(unused_macros)] // builds without `tcp` have no caller yet
macro_rules! elog_log {
    ($level:ident, $($arg:tt)+) => {{
        if false {
            $crate::logging::unused(::core::format_args!($($arg)+));
        }
    }};
}

/// Swallows the arguments of a disabled `elog_log!` (never called: the
/// call sits in an `if false`).
#[cfg(not(feature = "log"))]
#[allow(dead_code)] // builds without `tcp` have no caller yet
#[inline(always)]
pub(crate) fn unused(_: core::fmt::Arguments<'_>) {}
