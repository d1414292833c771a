//! Parameter declarations ([`Param`], [`Kind`]); the typed values handlers
//! receive ([`Args`], [`Value`]) are re-exported here from their own room,
//! and validation lives in its own (private) room.
//!
//! Each command declares its parameters as a `&'static [Param]`. A unit's
//! parameters are all lexed and checked against that declaration (count,
//! type, unit, range, choices) **before** the handler runs; a refused unit
//! has no effect. Handlers then read typed values from [`Args`].

pub use crate::args::{Args, Choices, Strings, Value};
use crate::units::Unit;
pub(crate) use crate::validate::{Checked, check_params};

/// The most fixed (non-list) parameters a command may declare.
pub const MAX_PARAMS: usize = 8;

/// What a parameter accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Kind {
    /// NRf (or `#H/#Q/#B`) with an optional suffix of `unit`, in `min..=max`;
    /// `MINimum`/`MAXimum`/`DEFault` give `min`/`max`/`default`,
    /// `INFinity`/`NINFinity`/`NAN` give ±∞/NaN (then range-checked).
    Number {
        /// The accepted unit kind.
        unit: Unit,
        /// Lowest accepted value (base unit).
        min: f64,
        /// Highest accepted value (base unit).
        max: f64,
        /// The value of `DEFault`.
        default: f64,
    },
    /// An integer in `min..=max`; decimals are rounded half away from zero
    /// (`10.6` → 11).
    Integer {
        /// Lowest accepted value.
        min: i64,
        /// Highest accepted value.
        max: i64,
        /// The value of `DEFault`.
        default: i64,
    },
    /// `ON`/`OFF` or a number (0 = off, any other rounded value = on).
    Boolean,
    /// One word of a list of pattern words (`ASCii`), short or long form.
    Choice(&'static [&'static str]),
    /// String data.
    String,
    /// Arbitrary block data.
    Block,
    /// A channel list `(@…)`.
    ChannelList,
    /// Any expression `(…)`.
    Expression,
    /// One or more strings to the end of the unit (must be the last parameter).
    StringList,
    /// One or more words of a choice list to the end of the unit (must be the
    /// last parameter).
    ChoiceList(&'static [&'static str]),
}

impl Kind {
    /// Whether the kind takes the rest of the unit.
    pub const fn is_list(&self) -> bool {
        matches!(self, Self::StringList | Self::ChoiceList(_))
    }
}

/// One declared parameter: its kind and whether it may be left out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    pub(crate) kind: Kind,
    pub(crate) optional: bool,
}

impl Param {
    const fn of(kind: Kind) -> Self {
        Self {
            kind,
            optional: false,
        }
    }

    /// A number of unit kind `unit`, any value.
    pub const fn number(unit: Unit) -> Self {
        Self::of(Kind::Number {
            unit,
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            default: 0.0,
        })
    }

    /// An integer in `min..=max` (default value `min`).
    pub const fn integer(min: i64, max: i64) -> Self {
        Self::of(Kind::Integer {
            min,
            max,
            default: min,
        })
    }

    /// A boolean.
    pub const fn boolean() -> Self {
        Self::of(Kind::Boolean)
    }

    /// One of `choices` (pattern words).
    pub const fn choice(choices: &'static [&'static str]) -> Self {
        Self::of(Kind::Choice(choices))
    }

    /// A string.
    pub const fn string() -> Self {
        Self::of(Kind::String)
    }

    /// A block.
    pub const fn block() -> Self {
        Self::of(Kind::Block)
    }

    /// A channel list.
    pub const fn channel_list() -> Self {
        Self::of(Kind::ChannelList)
    }

    /// An expression.
    pub const fn expression() -> Self {
        Self::of(Kind::Expression)
    }

    /// One or more strings (last parameter).
    pub const fn string_list() -> Self {
        Self::of(Kind::StringList)
    }

    /// One or more of `choices` (last parameter).
    pub const fn choice_list(choices: &'static [&'static str]) -> Self {
        Self::of(Kind::ChoiceList(choices))
    }

    /// Restricts a number to `min..=max` (no effect on other kinds).
    pub const fn range(self, min: f64, max: f64) -> Self {
        match self.kind {
            Kind::Number { unit, default, .. } => Self {
                kind: Kind::Number {
                    unit,
                    min,
                    max,
                    default,
                },
                optional: self.optional,
            },
            _ => self,
        }
    }

    /// Sets the value of `DEFault` for numbers and integers.
    pub const fn default_value(self, default: f64) -> Self {
        let kind = match self.kind {
            Kind::Number { unit, min, max, .. } => Kind::Number {
                unit,
                min,
                max,
                default,
            },
            Kind::Integer { min, max, .. } => Kind::Integer {
                min,
                max,
                default: default as i64,
            },
            k => k,
        };
        Self {
            kind,
            optional: self.optional,
        }
    }

    /// Makes the parameter optional (it and every later one may be left out).
    pub const fn optional(self) -> Self {
        Self {
            kind: self.kind,
            optional: true,
        }
    }

    /// The kind.
    pub const fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether the parameter may be left out.
    pub const fn is_optional(&self) -> bool {
        self.optional
    }
}
