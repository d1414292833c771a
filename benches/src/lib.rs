//! Shared pieces of the benchmarks and of the `perf-report` binary.
//!
//! `perf-report` prints one JSON line per headline figure:
//! `{"name":…,"value":…,"unit":…,"anchor":…,"anchor_value":…,"ratio":…}`,
//! where the anchor is the side-by-side reference measured in the same run.

pub mod perf;

use std::time::{Duration, Instant};

/// One headline figure with the anchor it is compared against.
#[derive(Clone, Debug)]
pub struct Figure {
    /// Stable identifier, e.g. `scpi.dispatch.messages_per_s`.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// Unit of `value` and `anchor_value` (`msg/s`, `samples/s`, `B/s`, …).
    pub unit: String,
    /// What the figure is compared against (measured in the same run).
    pub anchor: String,
    /// The anchor's value in the same unit.
    pub anchor_value: f64,
}

impl Figure {
    /// `value / anchor_value` (0 when the anchor is 0).
    pub fn ratio(&self) -> f64 {
        if self.anchor_value == 0.0 {
            0.0
        } else {
            self.value / self.anchor_value
        }
    }

    /// The figure as one JSON line.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"name\":{:?},\"value\":{},\"unit\":{:?},\"anchor\":{:?},\"anchor_value\":{},\"ratio\":{:.3}}}",
            self.name,
            json_num(self.value),
            self.unit,
            self.anchor,
            json_num(self.anchor_value),
            self.ratio()
        )
    }
}

fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6e}")
    } else {
        "null".into()
    }
}

/// Collects figures; `perf-report` prints them.
#[derive(Debug, Default)]
pub struct Report {
    /// Figures in the order they were measured.
    pub figures: Vec<Figure>,
    /// Scale of the measurement time (1.0 = default; `--quick` lowers it).
    pub scale: f64,
}

impl Report {
    /// Adds one figure and prints it at once.
    pub fn add(&mut self, name: &str, value: f64, unit: &str, anchor: &str, anchor_value: f64) {
        let f = Figure {
            name: name.into(),
            value,
            unit: unit.into(),
            anchor: anchor.into(),
            anchor_value,
        };
        println!("{}", f.to_json());
        self.figures.push(f);
    }

    /// A measurement budget scaled by `self.scale`.
    pub fn budget(&self, base: Duration) -> Duration {
        base.mul_f64(if self.scale > 0.0 { self.scale } else { 1.0 })
    }
}

/// Runs `f` (which does `units` units of work per call) repeatedly for about
/// `budget` and returns the best observed rate in units per second.
///
/// The best of several short rounds is the figure least disturbed by other
/// load on a shared machine.
pub fn best_rate(budget: Duration, units: f64, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let start = Instant::now();
    let mut best = 0.0f64;
    while start.elapsed() < budget {
        best = best.max(round_rate(units, &mut f));
    }
    best
}

/// [`best_rate`] of two workloads whose 20 ms rounds alternate (`f`, `g`,
/// `f`, …) over about `budget`: a burst of load from elsewhere then hits
/// both sides alike instead of one, so their ratio is steadier.
pub fn best_rates_interleaved(
    budget: Duration,
    units: f64,
    mut f: impl FnMut(),
    mut g: impl FnMut(),
) -> (f64, f64) {
    f();
    g();
    let start = Instant::now();
    let (mut best_f, mut best_g) = (0.0f64, 0.0f64);
    while start.elapsed() < budget {
        best_f = best_f.max(round_rate(units, &mut f));
        best_g = best_g.max(round_rate(units, &mut g));
    }
    (best_f, best_g)
}

/// The rate of one 20 ms round of `f`.
fn round_rate(units: f64, f: &mut impl FnMut()) -> f64 {
    let t = Instant::now();
    let mut n = 0u32;
    while t.elapsed() < Duration::from_millis(20) {
        f();
        n += 1;
    }
    units * f64::from(n) / t.elapsed().as_secs_f64()
}
