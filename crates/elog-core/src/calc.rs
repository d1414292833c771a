//! The four statistics ([`Calc`]): a leaf module, so that both the
//! configuration and the errors can name them without depending on each
//! other.

/// One statistic computed per channel and window.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub enum Calc {
    /// Arithmetic mean.
    Avg,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
    /// Root mean square: `sqrt(mean(x²))`.
    Rms,
}

impl Calc {
    /// All calculations, in the spec's order.
    pub const ALL: [Calc; 4] = [Calc::Avg, Calc::Min, Calc::Max, Calc::Rms];

    /// The canonical spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Calc::Avg => "AVG",
            Calc::Min => "MIN",
            Calc::Max => "MAX",
            Calc::Rms => "RMS",
        }
    }
}
