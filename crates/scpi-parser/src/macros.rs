//! The crate's logging macro: nothing, `log` or `defmt`, chosen by feature
//! (the pattern of smoltcp's `macros.rs`).
//!
//! * Neither `log` nor `defmt`: the macro expands to a borrow of each
//!   argument and nothing else (no formatting, no call): zero cost.
//! * `log`: `log::debug!`.
//! * `defmt` (without `log`): `defmt::debug!`. Format strings use plain `{}`
//!   only, which both accept.
//!
//! Both features at once select `log` instead of failing to compile, so
//! that `cargo … --all-features` (CI, docs.rs) builds and links on a host;
//! firmware enables `defmt` alone.

#[cfg(feature = "log")]
macro_rules! scpi_debug {
    ($($arg:tt)*) => { ::log::debug!($($arg)*) };
}

#[cfg(all(feature = "defmt", not(feature = "log")))]
macro_rules! scpi_debug {
    ($($arg:tt)*) => { ::defmt::debug!($($arg)*) };
}

#[cfg(not(any(feature = "log", feature = "defmt")))]
macro_rules! scpi_debug {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{
        $( let _ = &$arg; )*
    }};
}

pub(crate) use scpi_debug;
