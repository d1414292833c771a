//! The engine's error type and the SCPI error-queue code of each error.
//!
//! Every refusal of the engine is an [`Error`]. The SCPI facade puts it into
//! the error queue 1:1 as `<code>,"<text>;<detail>"`: [`Error::code`] is the
//! code, [`Error::text`] the standard text and [`Error::detail`] (written by
//! `Display` after a `;`) the detail, e.g. the channel name.
//!
//! | code | meaning | variants |
//! |---|---|---|
//! | `-221` | Settings conflict | [`Error::NotInConfig`], [`Error::NoItems`], [`Error::AlreadyRunning`], [`Error::AbsTimeNeedsAscii`], [`Error::NotRunning`] |
//! | `-222` | Data out of range | [`Error::PeriodOutOfRange`], [`Error::PeriodBelowSampleInterval`], [`Error::NegativeCount`] |
//! | `-223` | Too much data | [`Error::TooManyItems`] |
//! | `-224` | Illegal parameter value | [`Error::UnknownChannel`], [`Error::NotScalar`], [`Error::DuplicateChannel`], [`Error::UnknownWord`], [`Error::RepeatedCalculation`], [`Error::NoCalculations`] |
//! | `-225` | Out of memory | [`Error::BufferTooLarge`] |
//! | `-310` | System error | [`Error::Output`] |
//! | `201` | ELOG channel changed | [`Error::ChannelChanged`] |
//! | `202` | ELOG channel removed | [`Error::ChannelRemoved`] |
//! | `203` | ELOG records lost | [`Error::RecordsLost`] |
//! | `204` | ELOG input rejected | [`Error::BadInput`], [`Error::NotAnItem`] |

use alloc::string::String;
use core::fmt;

use scpi_parser::SinkError;

use crate::calc::Calc;
use crate::catalog::ChannelId;

/// A crate-wide result alias.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Device-specific code: an item channel changed (rate, type); the data set was dropped.
pub const CODE_CHANNEL_CHANGED: i16 = 201;
/// Device-specific code: an item channel disappeared; the data set was dropped.
pub const CODE_CHANNEL_REMOVED: i16 = 202;
/// Device-specific code: unread records were overwritten (detail: how many).
pub const CODE_RECORDS_LOST: i16 = 203;
/// Device-specific code: the host passed malformed samples (wrong frame size, bad interval, unknown group).
pub const CODE_BAD_INPUT: i16 = 204;

/// Everything the engine can refuse or report.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration command outside CONFIG (`-221`); nothing changed.
    NotInConfig,
    /// STARt without ITEMs (`-221`).
    NoItems,
    /// STARt while RUNNING (`-221`); nothing changed.
    AlreadyRunning,
    /// STARt with a binary format and `TIM ABS` (`-221`): absolute times only in ASCII.
    AbsTimeNeedsAscii,
    /// FETCh? in CONFIG (`-221`).
    NotRunning,
    /// PERiod ≤ 0, > 3600 s or not a number (`-222`); unchanged.
    PeriodOutOfRange,
    /// STARt with a PERiod shorter than one sample interval of the named item (`-222`); state INVALID.
    PeriodBelowSampleInterval {
        /// The item whose rate is too low.
        channel: String,
    },
    /// FETCh? with a negative count (`-222`).
    NegativeCount,
    /// More ITEMs than the host's limit (`-223`); the named channel was left out.
    TooManyItems {
        /// The first channel left out.
        channel: String,
    },
    /// An ITEM the catalogue does not know (`-224`); left out, the others kept.
    UnknownChannel {
        /// The name as given.
        channel: String,
    },
    /// An ITEM that is not a scalar channel (`-224`); left out, the others kept.
    NotScalar {
        /// The channel's name.
        channel: String,
    },
    /// An ITEM given twice (`-224`); the repeat was left out.
    DuplicateChannel {
        /// The channel's name.
        channel: String,
    },
    /// An unknown CALC / FORM / TIM word (`-224`); unchanged.
    UnknownWord {
        /// What the word was meant to be (`calculation`, `format`, `timestamp`).
        what: &'static str,
    },
    /// A calculation listed twice (`-224`); unchanged.
    RepeatedCalculation {
        /// The repeated calculation.
        calc: Calc,
    },
    /// CALC with an empty list (`-224`); unchanged.
    NoCalculations,
    /// STARt needs a record buffer larger than the host's memory limit (`-225`); stays CONFIG.
    BufferTooLarge {
        /// Bytes the buffer would need.
        bytes: usize,
    },
    /// The output sink refused bytes (`-310`); no record was consumed.
    Output(SinkError),
    /// An item channel changed (rate, type) (`+201`); data set dropped, state INVALID.
    ChannelChanged {
        /// The channel's name.
        channel: String,
    },
    /// An item channel disappeared (`+202`); data set dropped, state INVALID.
    ChannelRemoved {
        /// The channel's name.
        channel: String,
    },
    /// Unread records were overwritten before they were fetched (`+203`).
    RecordsLost {
        /// How many records were lost since the previous report.
        count: u64,
    },
    /// The host passed malformed samples (`+204`); nothing of that call was used.
    BadInput {
        /// What was wrong.
        reason: &'static str,
    },
    /// Samples pushed while RUNNING for a channel that is not an ITEM of the
    /// run (`+204`); nothing of that call was used.
    NotAnItem {
        /// The channel pushed.
        channel: ChannelId,
    },
}

impl Error {
    /// The SCPI error-queue code of this error.
    pub fn code(&self) -> i16 {
        match self {
            Self::NotInConfig
            | Self::NoItems
            | Self::AlreadyRunning
            | Self::AbsTimeNeedsAscii
            | Self::NotRunning => -221,
            Self::PeriodOutOfRange
            | Self::PeriodBelowSampleInterval { .. }
            | Self::NegativeCount => -222,
            Self::TooManyItems { .. } => -223,
            Self::UnknownChannel { .. }
            | Self::NotScalar { .. }
            | Self::DuplicateChannel { .. }
            | Self::UnknownWord { .. }
            | Self::RepeatedCalculation { .. }
            | Self::NoCalculations => -224,
            Self::BufferTooLarge { .. } => -225,
            Self::Output(_) => -310,
            Self::ChannelChanged { .. } => CODE_CHANNEL_CHANGED,
            Self::ChannelRemoved { .. } => CODE_CHANNEL_REMOVED,
            Self::RecordsLost { .. } => CODE_RECORDS_LOST,
            Self::BadInput { .. } | Self::NotAnItem { .. } => CODE_BAD_INPUT,
        }
    }

    /// The standard text that belongs to [`code`](Self::code).
    pub fn text(&self) -> &'static str {
        match self.code() {
            -221 => "Settings conflict",
            -222 => "Data out of range",
            -223 => "Too much data",
            -224 => "Illegal parameter value",
            -225 => "Out of memory",
            -310 => "System error",
            CODE_CHANNEL_CHANGED => "ELOG channel changed",
            CODE_CHANNEL_REMOVED => "ELOG channel removed",
            CODE_RECORDS_LOST => "ELOG records lost",
            _ => "ELOG input rejected",
        }
    }

    /// The detail written after the text (channel name, number lost, reason).
    pub fn detail(&self) -> Detail<'_> {
        Detail(self)
    }
}

/// The detail part of an [`Error`] (`Display`s without the standard text).
#[derive(Clone, Copy, Debug)]
pub struct Detail<'a>(&'a Error);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::NotInConfig => f.write_str("ELOG configuration only in CONFIG state"),
            Error::NoItems => f.write_str("no ELOG items"),
            Error::AlreadyRunning => f.write_str("ELOG already running"),
            Error::AbsTimeNeedsAscii => f.write_str("absolute times only in ASCII"),
            Error::NotRunning => f.write_str("ELOG not started"),
            Error::PeriodOutOfRange => f.write_str("period must be > 0 and <= 3600 s"),
            Error::PeriodBelowSampleInterval { channel } => {
                write!(f, "period shorter than sample interval of {channel}")
            }
            Error::NegativeCount => f.write_str("negative record count"),
            Error::TooManyItems { channel } => write!(f, "too many items: {channel}"),
            Error::UnknownChannel { channel } => write!(f, "unknown channel {channel}"),
            Error::NotScalar { channel } => write!(f, "channel not scalar {channel}"),
            Error::DuplicateChannel { channel } => write!(f, "channel listed twice {channel}"),
            Error::UnknownWord { what } => write!(f, "unknown {what}"),
            Error::RepeatedCalculation { calc } => {
                write!(f, "calculation repeated {}", calc.as_str())
            }
            Error::NoCalculations => f.write_str("no calculation"),
            Error::BufferTooLarge { bytes } => write!(f, "record buffer needs {bytes} bytes"),
            Error::Output(e) => write!(f, "{e}"),
            Error::ChannelChanged { channel } => write!(f, "{channel}"),
            Error::ChannelRemoved { channel } => write!(f, "{channel}"),
            Error::RecordsLost { count } => write!(f, "{count} records lost"),
            Error::BadInput { reason } => f.write_str(reason),
            Error::NotAnItem { channel } => write!(f, "channel {} is not an item", channel.0),
        }
    }
}

impl fmt::Display for Error {
    /// `<text>;<detail>`, the string the facade puts in quotes after the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{}", self.text(), self.detail())
    }
}

impl core::error::Error for Error {}

impl From<SinkError> for Error {
    fn from(e: SinkError) -> Self {
        Self::Output(e)
    }
}

/// The one engine → SCPI mapping: the error-queue entry of an engine error,
/// 1:1 (code, standard text, detail), e.g. `-224,"Illegal parameter
/// value;unknown channel AI 9/9"`.
impl From<&Error> for scpi_parser::Error {
    fn from(e: &Error) -> Self {
        scpi_parser::Error::custom(i32::from(e.code()), e.text())
            .with_detail_fmt(format_args!("{}", e.detail()))
    }
}

/// As `From<&Error>`.
impl From<Error> for scpi_parser::Error {
    fn from(e: Error) -> Self {
        Self::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn codes_and_texts() {
        let e = Error::UnknownChannel {
            channel: "AI 9/9".into(),
        };
        assert_eq!(e.code(), -224);
        assert_eq!(
            e.to_string(),
            "Illegal parameter value;unknown channel AI 9/9"
        );
        assert_eq!(
            Error::RecordsLost { count: 7 }.to_string(),
            "ELOG records lost;7 records lost"
        );
        assert_eq!(Error::AbsTimeNeedsAscii.code(), -221);
        assert_eq!(
            Error::PeriodBelowSampleInterval {
                channel: "x".into()
            }
            .code(),
            -222
        );
        assert_eq!(
            Error::ChannelRemoved {
                channel: "x".into()
            }
            .code(),
            202
        );
        assert_eq!(Error::from(SinkError::Full).code(), -310);
    }

    #[test]
    fn scpi_mapping_is_one_to_one() {
        let e = Error::UnknownChannel {
            channel: "AI 9/9".into(),
        };
        let s = scpi_parser::Error::from(&e);
        assert_eq!(s.code(), -224);
        assert_eq!(
            s.to_string(),
            "-224,\"Illegal parameter value;unknown channel AI 9/9\""
        );
        let s = scpi_parser::Error::from(Error::RecordsLost { count: 3 });
        assert_eq!(s.code(), 203);
        assert_eq!(s.to_string(), "203,\"ELOG records lost;3 records lost\"");
        let s = scpi_parser::Error::from(Error::NotAnItem {
            channel: ChannelId(7),
        });
        assert_eq!(
            s.to_string(),
            "204,\"ELOG input rejected;channel 7 is not an item\""
        );
    }
}
