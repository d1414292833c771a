//! Configuration values: calculations, output format, timestamp mode, the
//! calculation list, and the host's memory limits.
//!
//! Words are parsed case-insensitively and answered in the canonical
//! upper-case spelling of the spec (`as_str`).

use crate::error::{Error, Result};
use crate::time::Duration;

/// The default PERiod: 0.1 s.
pub const DEFAULT_PERIOD: Duration = Duration::from_millis(100);
/// The largest PERiod accepted: 3600 s.
pub const MAX_PERIOD: Duration = Duration::from_secs(3600);
/// How much source time the record buffer holds at least: 20 s.
pub const RETENTION: Duration = Duration::from_secs(20);
/// How far behind the fastest item the slowest may deliver (beyond its own
/// sample interval, at most one PERiod) while the 20 s of complete records
/// stay whole: 2 s. The record buffer holds `2 + ceil(2 s / P)` windows for
/// items still filling them on top of the complete records it keeps.
pub const LAG_ALLOWANCE: Duration = Duration::from_secs(2);

pub use crate::calc::Calc;

impl Calc {
    /// Parses `AVG`, `MIN`, `MAX` or `RMS` (any case); else `-224`.
    pub fn parse(word: &str) -> Result<Self> {
        let w = word.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(w))
            .ok_or(Error::UnknownWord {
                what: "calculation",
            })
    }
}

/// The FETCh? answer format.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub enum Format {
    /// Comma-joined NR3 values (NR2 timestamps).
    #[default]
    Ascii,
    /// Comma-joined definite-length blocks of little-endian `f32`.
    BinIntel,
    /// Comma-joined definite-length blocks of big-endian `f32`.
    BinMotorola,
}

impl Format {
    /// All formats.
    pub const ALL: [Format; 3] = [Format::Ascii, Format::BinIntel, Format::BinMotorola];

    /// Parses `ASCII`, `BIN_INTEL`, `BIN_MOTOROLA` (any case); else `-224`.
    ///
    /// Lenient, for reading answers back: it also takes `ASC`. The SCPI
    /// command `:ELOG:FORMat` accepts exactly the seed's words (no short
    /// forms); that check is the command tree's.
    pub fn parse(word: &str) -> Result<Self> {
        let w = word.trim();
        if w.eq_ignore_ascii_case("ASC") {
            return Ok(Format::Ascii);
        }
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(w))
            .ok_or(Error::UnknownWord { what: "format" })
    }

    /// The canonical spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Ascii => "ASCII",
            Format::BinIntel => "BIN_INTEL",
            Format::BinMotorola => "BIN_MOTOROLA",
        }
    }

    /// Whether this is one of the two binary formats.
    pub const fn is_binary(self) -> bool {
        !matches!(self, Format::Ascii)
    }
}

/// Which timestamp, if any, leads each record.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub enum TimestampMode {
    /// No timestamp.
    Off,
    /// Seconds since the acquisition start of the source.
    Rel,
    /// Wall-clock time of the window end (`YYYY-MM-DDThh:mm:ss.ffffff`, ASCII only).
    Abs,
    /// Seconds since the ELOG session's `t0` (the first record carries `PERiod`).
    #[default]
    Elog,
}

impl TimestampMode {
    /// All modes.
    pub const ALL: [TimestampMode; 4] = [
        TimestampMode::Off,
        TimestampMode::Rel,
        TimestampMode::Abs,
        TimestampMode::Elog,
    ];

    /// Parses `OFF`, `REL`, `ABS`, `ELOG` (any case); else `-224`.
    pub fn parse(word: &str) -> Result<Self> {
        let w = word.trim();
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(w))
            .ok_or(Error::UnknownWord { what: "timestamp" })
    }

    /// The canonical spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimestampMode::Off => "OFF",
            TimestampMode::Rel => "REL",
            TimestampMode::Abs => "ABS",
            TimestampMode::Elog => "ELOG",
        }
    }

    /// Whether records carry a timestamp.
    pub const fn is_on(self) -> bool {
        !matches!(self, TimestampMode::Off)
    }
}

/// An ordered list of distinct calculations (1 to 4 entries).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct CalcList {
    calcs: [Calc; 4],
    len: u8,
}

impl CalcList {
    /// Builds a list; a repeat or an empty list is refused with `-224`.
    pub fn new(calcs: &[Calc]) -> Result<Self> {
        if calcs.is_empty() {
            return Err(Error::NoCalculations);
        }
        let mut list = CalcList {
            calcs: [Calc::Avg; 4],
            len: 0,
        };
        for &c in calcs {
            if list.as_slice().contains(&c) {
                return Err(Error::RepeatedCalculation { calc: c });
            }
            // At most 4 distinct values exist, so this index is in range.
            list.calcs[usize::from(list.len)] = c;
            list.len += 1;
        }
        Ok(list)
    }

    /// Parses a list of words (`["RMS", " MIN"]`); unknown words and repeats give `-224`.
    pub fn parse<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut buf = [Calc::Avg; 4];
        let mut n = 0;
        for w in words {
            let c = Calc::parse(w)?;
            if buf[..n].contains(&c) {
                return Err(Error::RepeatedCalculation { calc: c });
            }
            buf[n] = c;
            n += 1;
        }
        Self::new(&buf[..n])
    }

    /// The calculations in the order given.
    pub fn as_slice(&self) -> &[Calc] {
        &self.calcs[..usize::from(self.len)]
    }

    /// How many calculations.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false (a list has at least one entry); present for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for CalcList {
    /// `AVG`.
    fn default() -> Self {
        CalcList {
            calcs: [Calc::Avg; 4],
            len: 1,
        }
    }
}

/// Bounds the host puts on the engine's memory.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct Limits {
    /// Records the buffer holds at least (raised to `ceil(20 s / P) + 1` when smaller).
    pub min_capacity: usize,
    /// The most bytes the record buffer may take; STARt beyond that is refused with `-225`.
    pub max_buffer_bytes: usize,
    /// The most ITEMs (further ones are refused with `-223`).
    pub max_items: usize,
    /// The most frame groups [`Engine::declare_group`](crate::Engine::declare_group) accepts.
    pub max_groups: usize,
    /// How far behind the fastest item another item may deliver before complete
    /// records are evicted to make room ([`LAG_ALLOWANCE`], 2 s, by default). A
    /// host whose sources arrive in larger chunks (a network stream) raises it:
    /// the buffer holds `2 + ceil(lag_allowance / P)` windows more, and at least
    /// 20 s of complete records stay fetchable with items that far behind.
    pub lag_allowance: Duration,
}

impl Default for Limits {
    /// 64 MiB of records, 256 items, 64 groups, capacity from the period alone,
    /// 2 s of lag allowed.
    fn default() -> Self {
        Limits {
            min_capacity: 0,
            max_buffer_bytes: 64 << 20,
            max_items: 256,
            max_groups: 64,
            lag_allowance: LAG_ALLOWANCE,
        }
    }
}

/// Checks a PERiod: `(0, 3600]` seconds and at least 1 ns, else `-222`.
pub fn check_period(period: Duration) -> Result<Duration> {
    if period.as_nanos() <= 0 || period > MAX_PERIOD {
        Err(Error::PeriodOutOfRange)
    } else {
        Ok(period)
    }
}

/// Converts a PERiod in seconds (`f64`, as parsed from NRf) and checks it.
pub fn period_from_secs(secs: f64) -> Result<Duration> {
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(Error::PeriodOutOfRange);
    }
    check_period(Duration::from_secs_f64(secs).ok_or(Error::PeriodOutOfRange)?)
}

/// The record capacity the spec asks for: `ceil(20 s / P) + 1`.
pub fn required_capacity(period: Duration) -> usize {
    let p = period.as_nanos().max(1);
    let n = RETENTION.as_nanos().div_euclid(p) + i64::from(RETENTION.as_nanos() % p != 0);
    usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(Calc::parse("rms").unwrap(), Calc::Rms);
        assert_eq!(Calc::parse("avg ").unwrap(), Calc::Avg);
        assert_eq!(Calc::parse("MEAN").unwrap_err().code(), -224);
        assert_eq!(Format::parse("bin_motorola").unwrap(), Format::BinMotorola);
        assert_eq!(Format::parse("ascii").unwrap(), Format::Ascii);
        assert_eq!(Format::parse("asc").unwrap(), Format::Ascii);
        assert_eq!(Format::parse("BIN").unwrap_err().code(), -224);
        assert_eq!(TimestampMode::parse("Elog").unwrap(), TimestampMode::Elog);
        assert_eq!(TimestampMode::parse("ON").unwrap_err().code(), -224);
        assert_eq!(TimestampMode::default(), TimestampMode::Elog);
        assert_eq!(Format::default(), Format::Ascii);
    }

    #[test]
    fn calc_lists() {
        assert_eq!(CalcList::default().as_slice(), &[Calc::Avg]);
        let l = CalcList::parse(["RMS", " MIN"]).unwrap();
        assert_eq!(l.as_slice(), &[Calc::Rms, Calc::Min]);
        assert_eq!(
            CalcList::parse(["MIN", "min"]).unwrap_err(),
            Error::RepeatedCalculation { calc: Calc::Min }
        );
        assert_eq!(CalcList::new(&[]).unwrap_err().code(), -224);
        assert_eq!(CalcList::new(&Calc::ALL).unwrap().len(), 4);
    }

    #[test]
    fn periods() {
        assert_eq!(period_from_secs(0.1).unwrap(), DEFAULT_PERIOD);
        assert_eq!(period_from_secs(3600.0).unwrap(), MAX_PERIOD);
        for bad in [0.0, -1.0, 3600.001, f64::NAN, f64::INFINITY, 1e-12] {
            assert_eq!(period_from_secs(bad).unwrap_err().code(), -222, "{bad}");
        }
        assert_eq!(required_capacity(Duration::from_millis(100)), 201);
        assert_eq!(required_capacity(Duration::from_millis(300)), 68);
        assert_eq!(required_capacity(MAX_PERIOD), 2);
    }
}
