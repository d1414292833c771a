//! The sample times of a rate: exact integer arithmetic for whole rates,
//! nanoseconds as `f64` for any other.

/// How the sample times of a rate are computed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Timing {
    /// Integral rate: exact integer arithmetic.
    Integral { rate: i128, uniform: Option<i64> },
    /// Any other rate: interval in nanoseconds as `f64`.
    Real {
        interval_ns: f64,
        uniform: Option<i64>,
    },
}

impl Timing {
    pub(crate) fn new(rate: f64) -> Self {
        if rate == libm::floor(rate) && rate >= 1.0 {
            let r = rate as i128;
            let uniform = (1_000_000_000 % r == 0).then(|| (1_000_000_000 / r) as i64);
            Timing::Integral { rate: r, uniform }
        } else {
            let interval_ns = 1e9 / rate;
            let uniform = (interval_ns == libm::floor(interval_ns) && interval_ns < 9e18)
                .then_some(interval_ns as i64);
            Timing::Real {
                interval_ns,
                uniform,
            }
        }
    }

    /// Time of sample `k` in nanoseconds.
    pub(crate) fn time(&self, k: u64) -> i64 {
        match *self {
            Timing::Integral { rate, .. } => {
                let t = (i128::from(k) * 2_000_000_000 + rate) / (2 * rate);
                t.min(i128::from(i64::MAX)) as i64
            }
            Timing::Real { interval_ns, .. } => {
                let t = libm::round(k as f64 * interval_ns);
                if t >= 9.2e18 { i64::MAX } else { t as i64 }
            }
        }
    }

    /// How many samples have a time `<= until` (samples `0..count`).
    pub(super) fn count_until(&self, until: i64) -> u64 {
        if until < 0 {
            return 0;
        }
        match *self {
            Timing::Integral { rate, .. } => {
                // Largest k with round(k·1e9/r) <= until.
                let mut k = i128::from(until) * rate / 1_000_000_000;
                while k > 0 && self.time(k as u64) > until {
                    k -= 1;
                }
                while self.time((k + 1) as u64) <= until {
                    k += 1;
                }
                (k + 1).min(i128::from(u64::MAX >> 1)) as u64
            }
            Timing::Real { interval_ns, .. } => {
                let mut k = libm::floor(until as f64 / interval_ns).max(0.0) as u64;
                while k > 0 && self.time(k) > until {
                    k -= 1;
                }
                while self.time(k + 1) <= until {
                    k += 1;
                }
                k + 1
            }
        }
    }

    pub(crate) fn uniform(&self) -> Option<i64> {
        match *self {
            Timing::Integral { uniform, .. } | Timing::Real { uniform, .. } => uniform,
        }
    }
}
