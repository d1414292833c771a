//! `elog_fetch --plot FILE.svg`: every item and statistic over time, as an
//! SVG line chart (text is SVG `<text>`, so no system fonts are needed to
//! write it; the viewer renders it).
//!
//! Memory stays bounded on long runs: past [`MAX_POINTS`] records, every
//! other kept point is dropped and only every 2nd (4th, …) record is kept.

use std::path::Path;

use plotters::prelude::*;

/// The most records kept for the chart.
pub const MAX_POINTS: usize = 20_000;

/// The points of a chart: one x (seconds) and one value per series.
pub struct PlotData {
    names: Vec<String>,
    times: Vec<f64>,
    /// Series-major: `values[s][k]` is series `s` at `times[k]`.
    values: Vec<Vec<f32>>,
    stride: u64,
    seen: u64,
}

impl PlotData {
    /// A chart of these series (`"AI 1/1 AVG"`, …).
    pub fn new(names: Vec<String>) -> Self {
        let values = names.iter().map(|_| Vec::new()).collect();
        PlotData {
            names,
            times: Vec::new(),
            values,
            stride: 1,
            seen: 0,
        }
    }

    /// Adds one record (`values` in series order).
    pub fn push(&mut self, secs: f64, values: &[f32]) {
        let keep = self.seen.is_multiple_of(self.stride);
        self.seen += 1;
        if !keep {
            return;
        }
        if self.times.len() >= MAX_POINTS {
            self.thin();
        }
        self.times.push(secs);
        for (series, &v) in self.values.iter_mut().zip(values) {
            series.push(v);
        }
    }

    /// Halves the kept points and the rate of keeping new ones.
    fn thin(&mut self) {
        keep_even(&mut self.times);
        for series in &mut self.values {
            keep_even(series);
        }
        self.stride *= 2;
    }

    /// How many points each series holds.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Writes the chart; `title` goes above it, `x_label` under the time axis.
    pub fn write_svg(&self, path: &Path, title: &str, x_label: &str) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("writing the chart {}: {e}", path.display());
        let (x0, x1) = span(self.times.iter().copied()).unwrap_or((0.0, 1.0));
        let finite = self
            .values
            .iter()
            .flatten()
            .map(|&v| f64::from(v))
            .filter(|v| v.is_finite());
        let (y0, y1) = span(finite).unwrap_or((0.0, 1.0));
        let pad = ((y1 - y0) * 0.05).max(1e-6);
        let root = SVGBackend::new(path, (1000, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("value")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| fail(&e))?;
        for (k, (name, series)) in self.names.iter().zip(&self.values).enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let points = self
                .times
                .iter()
                .zip(series)
                .filter(|(_, v)| v.is_finite())
                .map(|(&t, &v)| (t, f64::from(v)));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| fail(&e))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
        Ok(())
    }
}

/// Keeps the elements at even positions.
fn keep_even<T>(v: &mut Vec<T>) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        k % 2 == 1
    });
}

/// The smallest and largest value, widened when they are equal.
fn span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    if hi > lo {
        Some((lo, hi))
    } else {
        let half = (lo.abs() * 0.1).max(0.5);
        Some((lo - half, hi + half))
    }
}
