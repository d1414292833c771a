//! Headline figures for this area (PLACEHOLDER until the owner fills it in).

use crate::Report;

/// Measures this area's figures into `report`.
pub fn run(report: &mut Report) {
    let _ = report;
}
