//! The ELOG configuration as the client sends and reads it back.

use std::time::Duration;

use elog_core::config::DEFAULT_PERIOD;
use elog_core::{CalcList, Format, Layout, TimestampMode};

/// One ELOG configuration: what `:ELOG:ITEM/PER/CALC/FORM/TIM` set.
///
/// The defaults are the server's (`ITEMs` empty, 0.1 s, `AVG`, `ASCII`, `ELOG`).
///
/// ```
/// use elog::client::ElogConfig;
/// use elog::client::{Calc, CalcList, Format, TimestampMode};
/// use std::time::Duration;
///
/// let cfg = ElogConfig::new(["AI 1/1", "AI 1/2"])
///     .period(Duration::from_millis(50))
///     .calcs(CalcList::new(&[Calc::Avg, Calc::Rms]).unwrap())
///     .format(Format::BinIntel)
///     .timestamp(TimestampMode::Rel);
/// assert_eq!(cfg.width(), 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ElogConfig {
    /// The channels, in record order.
    pub items: Vec<String>,
    /// The aggregation period (the server keeps whole nanoseconds).
    pub period: Duration,
    /// The calculations, in record order.
    pub calcs: CalcList,
    /// The answer format.
    pub format: Format,
    /// The timestamp leading each record.
    pub timestamp: TimestampMode,
}

impl ElogConfig {
    /// The defaults with these items.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        ElogConfig {
            items: items.into_iter().map(Into::into).collect(),
            ..ElogConfig::default()
        }
    }

    /// Sets the period.
    #[must_use]
    pub fn period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// Sets the calculations.
    #[must_use]
    pub fn calcs(mut self, calcs: CalcList) -> Self {
        self.calcs = calcs;
        self
    }

    /// Sets the answer format.
    #[must_use]
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Sets the timestamp mode.
    #[must_use]
    pub fn timestamp(mut self, timestamp: TimestampMode) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Values per record: items × calculations.
    pub fn width(&self) -> usize {
        self.items.len() * self.calcs.len()
    }

    /// The decoder's view of a `FETCh?` answer under this configuration.
    pub fn layout(&self) -> Layout {
        Layout {
            format: self.format,
            timestamp: self.timestamp,
            width: self.width(),
        }
    }

    /// The most bytes one record can take in an answer, generously counted
    /// (long OXYGEN number forms and spaces after commas included).
    pub(crate) fn record_bytes(&self) -> usize {
        let ts = usize::from(self.timestamp.is_on());
        if self.format.is_binary() {
            4 * (self.width() + ts)
        } else {
            32 * self.width() + 40 * ts
        }
    }

    /// Fixed bytes of an answer besides the records (block headers, separators).
    pub(crate) fn answer_overhead(&self) -> usize {
        16 * (self.width() + 1) + 16
    }
}

impl Default for ElogConfig {
    fn default() -> Self {
        ElogConfig {
            items: Vec::new(),
            period: Duration::from_nanos(DEFAULT_PERIOD.as_nanos().unsigned_abs()),
            calcs: CalcList::default(),
            format: Format::Ascii,
            timestamp: TimestampMode::Elog,
        }
    }
}
