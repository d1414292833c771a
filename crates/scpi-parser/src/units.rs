//! Suffix units and multipliers (IEEE 488.2 §7.7.3, SCPI-1999 vol. 1 §7.7).
//!
//! A suffix is a base unit (`V`, `S`, `HZ`, …) optionally preceded by a
//! multiplier: `EX PE T G MA K M U N P F A` (note `M` = milli, `MA` = mega).
//! `MHZ` and `MOHM` are the two special words that mean mega, as SCPI says.
//! For times, `MIN` (minute, 60 s) and `HR` (hour, 3600 s) are the IEEE 488.2
//! suffixes besides `S`; `MIN` as a parameter of its own still means MINimum.
//! Matching is case-insensitive.

use crate::error::{Error, code};

/// The kind of unit a numeric parameter accepts.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Unit {
    /// No unit: a suffix gives `-138 Suffix not allowed`.
    None,
    /// Volt, `V`.
    Volt,
    /// Ampere, `A`.
    Ampere,
    /// Ohm, `OHM`.
    Ohm,
    /// Watt, `W`.
    Watt,
    /// Hertz, `HZ`.
    Hertz,
    /// Second, `S`.
    Second,
    /// Kelvin, `K`.
    Kelvin,
    /// Degree Celsius, `CEL`.
    Celsius,
    /// Degree Fahrenheit, `FAR`.
    Fahrenheit,
    /// Degree of angle, `DEG`.
    Degree,
    /// Radian, `RAD`.
    Radian,
    /// Percent, `PCT`.
    Percent,
    /// Decibel, `DB`.
    Decibel,
    /// Decibel-milliwatt, `DBM`.
    DecibelMilliwatt,
}

impl Unit {
    /// The base-unit suffix (upper case), empty for [`Unit::None`].
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Volt => "V",
            Self::Ampere => "A",
            Self::Ohm => "OHM",
            Self::Watt => "W",
            Self::Hertz => "HZ",
            Self::Second => "S",
            Self::Kelvin => "K",
            Self::Celsius => "CEL",
            Self::Fahrenheit => "FAR",
            Self::Degree => "DEG",
            Self::Radian => "RAD",
            Self::Percent => "PCT",
            Self::Decibel => "DB",
            Self::DecibelMilliwatt => "DBM",
        }
    }
}

/// Multiplier prefixes, longest first, with their power of ten.
/// The power of ten of a multiplier (`EX PE T G MA K M U N P F A`).
fn multiplier(prefix: &[u8]) -> Option<i32> {
    let up = |i: usize| prefix[i].to_ascii_uppercase();
    Some(match prefix.len() {
        1 => match up(0) {
            b'T' => 12,
            b'G' => 9,
            b'K' => 3,
            b'M' => -3,
            b'U' => -6,
            b'N' => -9,
            b'P' => -12,
            b'F' => -15,
            b'A' => -18,
            _ => return None,
        },
        2 => match (up(0), up(1)) {
            (b'E', b'X') => 18,
            (b'P', b'E') => 15,
            (b'M', b'A') => 6,
            _ => return None,
        },
        _ => return None,
    })
}

const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// Scales `value` by `10^power` exactly rounded (multiplies or divides by an
/// exact power of ten).
fn scale(value: f64, power: i32) -> f64 {
    let p = POW10[power.unsigned_abs() as usize];
    if power >= 0 { value * p } else { value / p }
}

/// Applies `suffix` to `value` for a parameter of unit kind `unit` and returns
/// the value in the base unit.
///
/// Errors: `-138` when `unit` is [`Unit::None`], `-131` for an unknown suffix
/// or one of another kind.
///
/// ```
/// use scpi_parser::units::{apply_suffix, Unit};
/// assert_eq!(apply_suffix(100.0, b"ms", Unit::Second), Ok(0.1));
/// assert_eq!(apply_suffix(2.0, b"MHZ", Unit::Hertz), Ok(2e6));
/// assert_eq!(apply_suffix(2.0, b"MAV", Unit::Volt), Ok(2e6));
/// assert_eq!(apply_suffix(2.0, b"V", Unit::Second).unwrap_err().code(), -131);
/// ```
pub fn apply_suffix(value: f64, suffix: &[u8], unit: Unit) -> Result<f64, Error> {
    if unit == Unit::None {
        return Err(Error::new(code::SUFFIX_NOT_ALLOWED).with_detail_bytes(suffix));
    }
    let base = unit.symbol().as_bytes();
    if suffix.eq_ignore_ascii_case(base) {
        return Ok(value);
    }
    // IEEE 488.2 §7.7.3: `MIN` after a number is the minute and `HR` the
    // hour (no multiplier applies to them).
    if unit == Unit::Second {
        if suffix.eq_ignore_ascii_case(b"MIN") {
            return Ok(value * 60.0);
        }
        if suffix.eq_ignore_ascii_case(b"HR") {
            return Ok(value * 3600.0);
        }
    }
    if (unit == Unit::Hertz && suffix.eq_ignore_ascii_case(b"MHZ"))
        || (unit == Unit::Ohm && suffix.eq_ignore_ascii_case(b"MOHM"))
    {
        return Ok(scale(value, 6));
    }
    // The multiplier is what precedes the base unit (one or two letters).
    if let Some(split) = suffix.len().checked_sub(base.len())
        && suffix[split..].eq_ignore_ascii_case(base)
        && let Some(power) = multiplier(&suffix[..split])
    {
        return Ok(scale(value, power));
    }
    Err(Error::new(code::INVALID_SUFFIX).with_detail_bytes(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers() {
        assert_eq!(apply_suffix(100.0, b"MS", Unit::Second), Ok(0.1));
        assert_eq!(apply_suffix(1.0, b"s", Unit::Second), Ok(1.0));
        assert_eq!(apply_suffix(5.0, b"US", Unit::Second), Ok(5e-6));
        assert_eq!(apply_suffix(5.0, b"ks", Unit::Second), Ok(5e3));
        assert_eq!(apply_suffix(3.0, b"mohm", Unit::Ohm), Ok(3e6));
        assert_eq!(apply_suffix(3.0, b"KOHM", Unit::Ohm), Ok(3e3));
        assert_eq!(apply_suffix(3.0, b"mhz", Unit::Hertz), Ok(3e6));
        assert_eq!(apply_suffix(3.0, b"GHZ", Unit::Hertz), Ok(3e9));
        assert_eq!(apply_suffix(3.0, b"MA", Unit::Ampere), Ok(3e-3));
        assert_eq!(apply_suffix(3.0, b"MAA", Unit::Ampere), Ok(3e6));
        assert_eq!(apply_suffix(3.0, b"K", Unit::Kelvin), Ok(3.0));
        assert_eq!(apply_suffix(3.0, b"EXV", Unit::Volt), Ok(3e18));
        assert_eq!(apply_suffix(3.0, b"AV", Unit::Volt), Ok(3e-18));
        assert_eq!(apply_suffix(1.0, b"DBM", Unit::DecibelMilliwatt), Ok(1.0));
    }

    #[test]
    fn minutes_and_hours() {
        assert_eq!(apply_suffix(2.0, b"MIN", Unit::Second), Ok(120.0));
        assert_eq!(apply_suffix(2.0, b"min", Unit::Second), Ok(120.0));
        assert_eq!(apply_suffix(0.5, b"HR", Unit::Second), Ok(1800.0));
        assert_eq!(apply_suffix(2.0, b"hr", Unit::Second), Ok(7200.0));
        // Only for times, and no multiplier in front.
        assert_eq!(
            apply_suffix(1.0, b"MIN", Unit::Volt).unwrap_err().code(),
            -131
        );
        assert_eq!(
            apply_suffix(1.0, b"KHR", Unit::Second).unwrap_err().code(),
            -131
        );
    }

    #[test]
    fn wrong_suffix() {
        assert_eq!(
            apply_suffix(1.0, b"V", Unit::None).unwrap_err().code(),
            -138
        );
        assert_eq!(
            apply_suffix(1.0, b"V", Unit::Second).unwrap_err().code(),
            -131
        );
        assert_eq!(
            apply_suffix(1.0, b"XS", Unit::Second).unwrap_err().code(),
            -131
        );
        assert_eq!(
            apply_suffix(1.0, b"M", Unit::Second).unwrap_err().code(),
            -131
        );
    }
}
