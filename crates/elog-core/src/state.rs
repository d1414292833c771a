//! The ELOG state machine's states and the time bases given at STARt.

use crate::time::{Duration, Instant};

/// The ELOG state (`:ELOG:STATe?`).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub enum State {
    /// Configurable; no data is gathered.
    Config,
    /// Gathering data; configuration is refused.
    Running,
    /// An item changed or a STARt failed on the period; left by STOP or RESet only.
    Invalid,
}

impl State {
    /// The canonical spelling (`CONFIG`, `RUNNING`, `INVALID`).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Config => "CONFIG",
            State::Running => "RUNNING",
            State::Invalid => "INVALID",
        }
    }
}

/// How the host's time bases relate to the source timeline, given at STARt.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Timebase {
    /// The source's acquisition start (the zero of `REL` timestamps).
    pub acquisition_start: Instant,
    /// Wall clock minus source time: `wall = source + wall_offset`, where wall
    /// is time since 1970-01-01T00:00:00 in the host's local time (`ABS`).
    pub wall_offset: Duration,
}
