//! `NAME=KIND[:ARG]...@RATE`: a simulated channel on the command line.
//!
//! * `NAME` is everything before the first `=` (spaces and `/` allowed,
//!   surrounding spaces trimmed);
//! * `RATE` is the number after the last `@`, in Hz;
//! * `KIND` is one of `const:V`, `sine:AMPLITUDE:FREQ`, `square:AMPLITUDE:FREQ`,
//!   `ramp:AMPLITUDE:FREQ`, `noise:AMPLITUDE` (case-insensitive).
//!
//! ```
//! use elog::source::{ChannelSpec, Waveform};
//! let s: ChannelSpec = "AI 1/2=sine:2.5:5@1000".parse().unwrap();
//! assert_eq!(s.name, "AI 1/2");
//! assert_eq!(s.waveform, Waveform::Sine { amplitude: 2.5, freq: 5.0 });
//! assert_eq!(s.rate, 1000.0);
//! assert_eq!(s.to_string(), "AI 1/2=sine:2.5:5@1000");
//! ```

use alloc::string::{String, ToString};
use core::fmt;
use core::str::FromStr;

use super::waveform::Waveform;
use crate::registry::{ChannelRegistry, MAX_RATE};

/// A parsed simulated-channel specification.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelSpec {
    /// The channel name.
    pub name: String,
    /// What it produces.
    pub waveform: Waveform,
    /// Its sample rate in Hz.
    pub rate: f64,
}

/// Why a channel specification was refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SpecError {
    /// No `=` between the name and the kind.
    MissingEquals,
    /// No `@RATE` at the end.
    MissingRate,
    /// The name is empty, too long or holds a control character.
    BadName(String),
    /// The rate is not a number in `(0, 10 MHz]`.
    BadRate(String),
    /// The kind is not one of const, sine, square, ramp, noise.
    UnknownKind(String),
    /// The kind got the wrong number of arguments.
    WrongArgCount {
        /// The kind.
        kind: &'static str,
        /// What it takes (`V`, `AMPLITUDE:FREQ`, …).
        expected: &'static str,
        /// How many were given.
        got: usize,
    },
    /// An argument is not a finite number (or a frequency/amplitude is negative).
    BadNumber {
        /// Which argument.
        what: &'static str,
        /// The text given.
        value: String,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORM: &str = "expected NAME=KIND[:ARG]...@RATE, e.g. \"AI 1/1=sine:2.5:5@1000\"";
        match self {
            Self::MissingEquals => write!(f, "missing '=' after the channel name ({FORM})"),
            Self::MissingRate => write!(f, "missing '@RATE' at the end ({FORM})"),
            Self::BadName(n) => write!(
                f,
                "invalid channel name {n:?} (1 to 128 bytes, no control characters)"
            ),
            Self::BadRate(r) => write!(
                f,
                "invalid rate {r:?}: a number of Hz above 0 and at most {MAX_RATE}"
            ),
            Self::UnknownKind(k) => write!(
                f,
                "unknown kind {k:?}: one of const:V, sine:AMPLITUDE:FREQ, square:AMPLITUDE:FREQ, ramp:AMPLITUDE:FREQ, noise:AMPLITUDE"
            ),
            Self::WrongArgCount {
                kind,
                expected,
                got,
            } => write!(f, "{kind} takes {kind}:{expected}, got {got} argument(s)"),
            Self::BadNumber { what, value } => write!(f, "invalid {what} {value:?}"),
        }
    }
}

impl core::error::Error for SpecError {}

fn number(what: &'static str, s: &str, non_negative: bool) -> Result<f64, SpecError> {
    let bad = || SpecError::BadNumber {
        what,
        value: s.into(),
    };
    let v: f64 = s.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || (non_negative && v < 0.0) {
        return Err(bad());
    }
    Ok(v)
}

impl FromStr for ChannelSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        let (name, rest) = s.split_once('=').ok_or(SpecError::MissingEquals)?;
        let name = name.trim();
        ChannelRegistry::check_name(name).map_err(|_| SpecError::BadName(name.into()))?;
        let (kind_args, rate) = rest.rsplit_once('@').ok_or(SpecError::MissingRate)?;
        let rate_text = rate.trim();
        let rate: f64 = rate_text
            .parse()
            .map_err(|_| SpecError::BadRate(rate_text.into()))?;
        ChannelRegistry::check_rate(rate).map_err(|_| SpecError::BadRate(rate_text.into()))?;
        let mut parts = kind_args.split(':');
        let kind = parts.next().unwrap_or("").trim();
        let args: alloc::vec::Vec<&str> = parts.collect();
        let want = |k: &'static str, expected: &'static str, n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(SpecError::WrongArgCount {
                    kind: k,
                    expected,
                    got: args.len(),
                })
            }
        };
        let waveform = if kind.eq_ignore_ascii_case("const") {
            want("const", "V", 1)?;
            Waveform::Const(number("value", args[0], false)?)
        } else if kind.eq_ignore_ascii_case("noise") {
            want("noise", "AMPLITUDE", 1)?;
            Waveform::Noise {
                amplitude: number("amplitude", args[0], true)?,
            }
        } else {
            let (k, make): (&'static str, fn(f64, f64) -> Waveform) =
                if kind.eq_ignore_ascii_case("sine") {
                    ("sine", |amplitude, freq| Waveform::Sine { amplitude, freq })
                } else if kind.eq_ignore_ascii_case("square") {
                    ("square", |amplitude, freq| Waveform::Square {
                        amplitude,
                        freq,
                    })
                } else if kind.eq_ignore_ascii_case("ramp") {
                    ("ramp", |amplitude, freq| Waveform::Ramp { amplitude, freq })
                } else {
                    return Err(SpecError::UnknownKind(kind.into()));
                };
            want(k, "AMPLITUDE:FREQ", 2)?;
            make(
                number("amplitude", args[0], true)?,
                number("frequency", args[1], true)?,
            )
        };
        Ok(ChannelSpec {
            name: name.to_string(),
            waveform,
            rate,
        })
    }
}

impl fmt::Display for ChannelSpec {
    /// The canonical `NAME=KIND[:ARG]...@RATE` form (parses back to `self`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.name)?;
        match self.waveform {
            Waveform::Const(v) => write!(f, "const:{v}")?,
            Waveform::Sine { amplitude, freq } => write!(f, "sine:{amplitude}:{freq}")?,
            Waveform::Square { amplitude, freq } => write!(f, "square:{amplitude}:{freq}")?,
            Waveform::Ramp { amplitude, freq } => write!(f, "ramp:{amplitude}:{freq}")?,
            Waveform::Noise { amplitude } => write!(f, "noise:{amplitude}")?,
        }
        write!(f, "@{}", self.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ChannelSpec, SpecError> {
        s.parse()
    }

    #[test]
    fn accepted_forms() {
        let s = parse(" AI 1/1 = const:1.0 @ 100 ").unwrap();
        assert_eq!(s.name, "AI 1/1");
        assert_eq!(s.waveform, Waveform::Const(1.0));
        assert_eq!(s.rate, 100.0);
        assert_eq!(
            parse("a=SQUARE:1:10@1e4").unwrap().waveform,
            Waveform::Square {
                amplitude: 1.0,
                freq: 10.0
            }
        );
        assert_eq!(
            parse("a=ramp:2:0.5@2.5").unwrap().waveform,
            Waveform::Ramp {
                amplitude: 2.0,
                freq: 0.5
            }
        );
        assert_eq!(
            parse("x@y=noise:0.1@50000").unwrap().name,
            "x@y",
            "a name may hold '@'"
        );
        assert_eq!(
            parse("c=const:-2.5@10").unwrap().to_string(),
            "c=const:-2.5@10"
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(parse("abc"), Err(SpecError::MissingEquals));
        assert_eq!(parse("a=const:1"), Err(SpecError::MissingRate));
        assert_eq!(parse("=const:1@10"), Err(SpecError::BadName("".into())));
        assert_eq!(parse("a=const:1@0"), Err(SpecError::BadRate("0".into())));
        assert_eq!(
            parse("a=const:1@fast"),
            Err(SpecError::BadRate("fast".into()))
        );
        assert_eq!(
            parse("a=const:1@1e9"),
            Err(SpecError::BadRate("1e9".into()))
        );
        assert_eq!(
            parse("a=tri:1:2@10"),
            Err(SpecError::UnknownKind("tri".into()))
        );
        assert_eq!(
            parse("a=sine:1@10"),
            Err(SpecError::WrongArgCount {
                kind: "sine",
                expected: "AMPLITUDE:FREQ",
                got: 1
            })
        );
        assert!(matches!(
            parse("a=const@10"),
            Err(SpecError::WrongArgCount { got: 0, .. })
        ));
        assert!(matches!(
            parse("a=sine:x:1@10"),
            Err(SpecError::BadNumber {
                what: "amplitude",
                ..
            })
        ));
        assert!(matches!(
            parse("a=sine:1:-1@10"),
            Err(SpecError::BadNumber {
                what: "frequency",
                ..
            })
        ));
        assert!(matches!(
            parse("a=const:inf@10"),
            Err(SpecError::BadNumber { .. })
        ));
        for e in [parse("abc"), parse("a=tri@1")] {
            assert!(!e.unwrap_err().to_string().is_empty());
        }
    }
}
