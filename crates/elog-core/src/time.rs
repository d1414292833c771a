//! The engine's own time types: signed integer nanoseconds.
//!
//! The engine has no clock. Every time it sees is passed in by the host as an
//! [`Instant`] on the host's *source* timeline (the time base of the samples),
//! and every span is a [`Duration`]. Both are plain `i64` nanosecond counts, so
//! arithmetic is exact and deterministic (±292 years of range).

use core::fmt;
use core::ops::{Add, Sub};

/// A point on the source timeline, in nanoseconds since an epoch the host chooses.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Instant {
    nanos: i64,
}

impl Instant {
    /// The epoch of the timeline (nanosecond 0).
    pub const ZERO: Instant = Instant { nanos: 0 };

    /// An instant `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// An instant `micros` microseconds after the epoch (saturating).
    pub const fn from_micros(micros: i64) -> Self {
        Self {
            nanos: micros.saturating_mul(1_000),
        }
    }

    /// An instant `millis` milliseconds after the epoch (saturating).
    pub const fn from_millis(millis: i64) -> Self {
        Self {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// An instant `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        Self {
            nanos: secs.saturating_mul(1_000_000_000),
        }
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// The span from `earlier` to `self` (negative if `earlier` is later), saturating.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self + d`, saturating at the ends of the timeline.
    pub const fn saturating_add(self, d: Duration) -> Instant {
        Instant {
            nanos: self.nanos.saturating_add(d.as_nanos()),
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturating addition.
    fn add(self, rhs: Duration) -> Instant {
        self.saturating_add(rhs)
    }
}

impl Sub for Instant {
    type Output = Duration;

    /// Saturating difference.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", Duration::from_nanos(self.nanos))
    }
}

/// A signed span of time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Duration {
    nanos: i64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { nanos: 0 };

    /// `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// `micros` microseconds (saturating).
    pub const fn from_micros(micros: i64) -> Self {
        Self {
            nanos: micros.saturating_mul(1_000),
        }
    }

    /// `millis` milliseconds (saturating).
    pub const fn from_millis(millis: i64) -> Self {
        Self {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// `secs` seconds (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        Self {
            nanos: secs.saturating_mul(1_000_000_000),
        }
    }

    /// The nearest whole nanosecond to `secs` seconds; `None` if `secs` is not
    /// finite or out of the `i64` nanosecond range.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        let ns = secs * 1e9;
        if !ns.is_finite() || ns.abs() >= 9.2e18 {
            return None;
        }
        // `as` saturates and the range was checked; round half away from zero.
        let r = if ns >= 0.0 { ns + 0.5 } else { ns - 0.5 };
        Some(Self { nanos: r as i64 })
    }

    /// The sample interval of a rate in Hz, rounded to whole nanoseconds.
    pub fn from_rate_hz(rate: f64) -> Option<Self> {
        if rate > 0.0 {
            Self::from_secs_f64(1.0 / rate)
        } else {
            None
        }
    }

    /// Nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// Seconds as `f64`.
    pub fn as_secs_f64(self) -> f64 {
        let whole = self.nanos / 1_000_000_000;
        let frac = self.nanos % 1_000_000_000;
        whole as f64 + frac as f64 / 1e9
    }

    /// Microseconds, rounded to the nearest (halves away from zero).
    pub const fn round_micros(self) -> i64 {
        let q = self.nanos / 1_000;
        let r = self.nanos % 1_000;
        if r >= 500 {
            q + 1
        } else if r <= -500 {
            q - 1
        } else {
            q
        }
    }
}

impl Add for Duration {
    type Output = Duration;

    /// Saturating addition.
    fn add(self, rhs: Duration) -> Duration {
        Duration {
            nanos: self.nanos.saturating_add(rhs.nanos),
        }
    }
}

impl Sub for Duration {
    type Output = Duration;

    /// Saturating subtraction.
    fn sub(self, rhs: Duration) -> Duration {
        Duration {
            nanos: self.nanos.saturating_sub(rhs.nanos),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:09}s",
            abs / 1_000_000_000,
            abs % 1_000_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(
            Duration::from_secs_f64(0.1).unwrap().as_nanos(),
            100_000_000
        );
        assert_eq!(Duration::from_secs_f64(-0.5e-9).unwrap().as_nanos(), -1);
        assert_eq!(Duration::from_secs_f64(f64::NAN), None);
        assert_eq!(Duration::from_secs_f64(1e300), None);
        assert_eq!(
            Duration::from_rate_hz(1000.0).unwrap().as_nanos(),
            1_000_000
        );
        assert_eq!(Duration::from_rate_hz(0.0), None);
        assert_eq!(Duration::from_nanos(1_499).round_micros(), 1);
        assert_eq!(Duration::from_nanos(1_500).round_micros(), 2);
        assert_eq!(Duration::from_nanos(-1_500).round_micros(), -2);
        assert_eq!(Duration::from_millis(1500).as_secs_f64(), 1.5);
        assert_eq!(
            Instant::from_secs(2) - Instant::from_millis(500),
            Duration::from_millis(1500)
        );
        assert_eq!(
            Instant::from_nanos(i64::MAX) + Duration::from_secs(1),
            Instant::from_nanos(i64::MAX)
        );
        assert_eq!(
            alloc::format!("{}", Duration::from_nanos(-1_500_000_000)),
            "-1.500000000s"
        );
    }
}
