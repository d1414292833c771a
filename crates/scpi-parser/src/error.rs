//! SCPI errors as values: a standard or device-specific code, its text, and an
//! optional detail held inline (no heap).
//!
//! The codes and texts are those of SCPI-1999 vol. 2 §21.8 / IEEE 488.2
//! §11.5.1.1.4. Negative codes are standard; positive codes are
//! device-specific and carry their own text ([`Error::custom`]).

use core::fmt;

/// The standard SCPI error codes this crate knows (and their texts, see
/// [`standard_text`]).
pub mod code {
    /// `0,"No error"`.
    pub const NO_ERROR: i32 = 0;
    /// Generic command (syntax) error.
    pub const COMMAND_ERROR: i32 = -100;
    /// A byte that is not allowed where it appears.
    pub const INVALID_CHARACTER: i32 = -101;
    /// Unrecognised structure (e.g. a dangling comma, an empty unit).
    pub const SYNTAX_ERROR: i32 = -102;
    /// A separator was expected but something else was found.
    pub const INVALID_SEPARATOR: i32 = -103;
    /// A parameter of a kind the command does not accept.
    pub const DATA_TYPE_ERROR: i32 = -104;
    /// A group execute trigger inside a message (never raised over byte streams).
    pub const GET_NOT_ALLOWED: i32 = -105;
    /// More parameters than the command takes.
    pub const PARAMETER_NOT_ALLOWED: i32 = -108;
    /// Fewer parameters than the command requires.
    pub const MISSING_PARAMETER: i32 = -109;
    /// Malformed header.
    pub const COMMAND_HEADER_ERROR: i32 = -110;
    /// The header is not followed by white space, `;` or the end.
    pub const HEADER_SEPARATOR_ERROR: i32 = -111;
    /// A header mnemonic longer than 12 characters.
    pub const PROGRAM_MNEMONIC_TOO_LONG: i32 = -112;
    /// The header does not name a command.
    pub const UNDEFINED_HEADER: i32 = -113;
    /// A numeric header suffix outside the declared range (or on a node without one).
    pub const HEADER_SUFFIX_OUT_OF_RANGE: i32 = -114;
    /// Generic numeric data error (e.g. a `#H` value beyond 64 bits).
    pub const NUMERIC_DATA_ERROR: i32 = -120;
    /// A character that does not belong in a number.
    pub const INVALID_CHARACTER_IN_NUMBER: i32 = -121;
    /// Exponent magnitude above 32000.
    pub const EXPONENT_TOO_LARGE: i32 = -123;
    /// More than 255 mantissa digits (leading zeros excluded).
    pub const TOO_MANY_DIGITS: i32 = -124;
    /// A number where the command does not take one.
    pub const NUMERIC_DATA_NOT_ALLOWED: i32 = -128;
    /// Generic suffix error.
    pub const SUFFIX_ERROR: i32 = -130;
    /// Unknown unit, or a unit of the wrong kind.
    pub const INVALID_SUFFIX: i32 = -131;
    /// A suffix longer than 12 characters.
    pub const SUFFIX_TOO_LONG: i32 = -134;
    /// A suffix on a number that takes none.
    pub const SUFFIX_NOT_ALLOWED: i32 = -138;
    /// Generic character data error.
    pub const CHARACTER_DATA_ERROR: i32 = -140;
    /// Malformed character data.
    pub const INVALID_CHARACTER_DATA: i32 = -141;
    /// Character data longer than 12 characters.
    pub const CHARACTER_DATA_TOO_LONG: i32 = -144;
    /// Character data where the command does not take it.
    pub const CHARACTER_DATA_NOT_ALLOWED: i32 = -148;
    /// Generic string data error.
    pub const STRING_DATA_ERROR: i32 = -150;
    /// An unterminated string.
    pub const INVALID_STRING_DATA: i32 = -151;
    /// A string where the command does not take one.
    pub const STRING_DATA_NOT_ALLOWED: i32 = -158;
    /// Generic block data error.
    pub const BLOCK_DATA_ERROR: i32 = -160;
    /// A malformed or truncated block.
    pub const INVALID_BLOCK_DATA: i32 = -161;
    /// A block where the command does not take one.
    pub const BLOCK_DATA_NOT_ALLOWED: i32 = -168;
    /// Generic expression error.
    pub const EXPRESSION_ERROR: i32 = -170;
    /// A malformed expression or channel list.
    pub const INVALID_EXPRESSION: i32 = -171;
    /// An expression where the command does not take one.
    pub const EXPRESSION_DATA_NOT_ALLOWED: i32 = -178;
    /// Generic execution error.
    pub const EXECUTION_ERROR: i32 = -200;
    /// Generic parameter error.
    pub const PARAMETER_ERROR: i32 = -220;
    /// The command conflicts with the device state.
    pub const SETTINGS_CONFLICT: i32 = -221;
    /// A value outside the declared range.
    pub const DATA_OUT_OF_RANGE: i32 = -222;
    /// More data than the device can take.
    pub const TOO_MUCH_DATA: i32 = -223;
    /// A value that is not one of the accepted ones.
    pub const ILLEGAL_PARAMETER_VALUE: i32 = -224;
    /// Generic device-specific error.
    pub const DEVICE_SPECIFIC_ERROR: i32 = -300;
    /// Internal error (e.g. a handler asked for an argument of the wrong type).
    pub const SYSTEM_ERROR: i32 = -310;
    /// The self-test failed.
    pub const SELF_TEST_FAILED: i32 = -330;
    /// The error queue overflowed.
    pub const QUEUE_OVERFLOW: i32 = -350;
    /// Generic communication error.
    pub const COMMUNICATION_ERROR: i32 = -360;
    /// A program message longer than the framer's capacity.
    pub const INPUT_BUFFER_OVERRUN: i32 = -363;
    /// Generic query error.
    pub const QUERY_ERROR: i32 = -400;
    /// A new message arrived before a response was read.
    pub const QUERY_INTERRUPTED: i32 = -410;
    /// A read with nothing to send.
    pub const QUERY_UNTERMINATED: i32 = -420;
    /// The response does not fit the output buffer.
    pub const QUERY_DEADLOCKED: i32 = -430;
    /// A query after an indefinite response (`*IDN?`) in the same message.
    pub const QUERY_UNTERMINATED_AFTER_INDEFINITE: i32 = -440;
}

/// The standard text of a negative SCPI error code (`None` for unknown codes).
pub const fn standard_text(code: i32) -> Option<&'static str> {
    Some(match code {
        0 => "No error",
        -100 => "Command error",
        -101 => "Invalid character",
        -102 => "Syntax error",
        -103 => "Invalid separator",
        -104 => "Data type error",
        -105 => "GET not allowed",
        -108 => "Parameter not allowed",
        -109 => "Missing parameter",
        -110 => "Command header error",
        -111 => "Header separator error",
        -112 => "Program mnemonic too long",
        -113 => "Undefined header",
        -114 => "Header suffix out of range",
        -115 => "Unexpected number of parameters",
        -120 => "Numeric data error",
        -121 => "Invalid character in number",
        -123 => "Exponent too large",
        -124 => "Too many digits",
        -128 => "Numeric data not allowed",
        -130 => "Suffix error",
        -131 => "Invalid suffix",
        -134 => "Suffix too long",
        -138 => "Suffix not allowed",
        -140 => "Character data error",
        -141 => "Invalid character data",
        -144 => "Character data too long",
        -148 => "Character data not allowed",
        -150 => "String data error",
        -151 => "Invalid string data",
        -158 => "String data not allowed",
        -160 => "Block data error",
        -161 => "Invalid block data",
        -168 => "Block data not allowed",
        -170 => "Expression error",
        -171 => "Invalid expression",
        -178 => "Expression data not allowed",
        -200 => "Execution error",
        -220 => "Parameter error",
        -221 => "Settings conflict",
        -222 => "Data out of range",
        -223 => "Too much data",
        -224 => "Illegal parameter value",
        -225 => "Out of memory",
        -230 => "Data corrupt or stale",
        -240 => "Hardware error",
        -241 => "Hardware missing",
        -300 => "Device-specific error",
        -310 => "System error",
        -321 => "Out of memory",
        -330 => "Self-test failed",
        -350 => "Queue overflow",
        -360 => "Communication error",
        -363 => "Input buffer overrun",
        -400 => "Query error",
        -410 => "Query INTERRUPTED",
        -420 => "Query UNTERMINATED",
        -430 => "Query DEADLOCKED",
        -440 => "Query UNTERMINATED after indefinite response",
        -500 => "Power on",
        -600 => "User request",
        -700 => "Request control",
        -800 => "Operation complete",
        _ => return None,
    })
}

/// The class of an error code; each class sets its own bit of the standard
/// event status register.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ErrorClass {
    /// Code 0.
    None,
    /// `-100..=-199`: sets CME (ESR bit 5).
    Command,
    /// `-200..=-299`: sets EXE (ESR bit 4).
    Execution,
    /// `-300..=-399` and every positive code: sets DDE (ESR bit 3).
    DeviceSpecific,
    /// `-400..=-499`: sets QYE (ESR bit 2).
    Query,
    /// `-500..=-599`: sets PON (ESR bit 7).
    PowerOn,
    /// `-600..=-699`: sets URQ (ESR bit 6).
    UserRequest,
    /// `-700..=-799`: sets RQC (ESR bit 1).
    RequestControl,
    /// `-800..=-899`: sets OPC (ESR bit 0).
    OperationComplete,
    /// Any other negative code (no ESR bit).
    Other,
}

impl ErrorClass {
    /// The class of `code`.
    pub const fn of(code: i32) -> Self {
        match code {
            0 => Self::None,
            1.. => Self::DeviceSpecific,
            -199..=-100 => Self::Command,
            -299..=-200 => Self::Execution,
            -399..=-300 => Self::DeviceSpecific,
            -499..=-400 => Self::Query,
            -599..=-500 => Self::PowerOn,
            -699..=-600 => Self::UserRequest,
            -799..=-700 => Self::RequestControl,
            -899..=-800 => Self::OperationComplete,
            _ => Self::Other,
        }
    }

    /// The standard event status register bit this class sets (0 for none).
    pub const fn esr_bit(self) -> u8 {
        match self {
            Self::Command => crate::status::esr::CME,
            Self::Execution => crate::status::esr::EXE,
            Self::DeviceSpecific => crate::status::esr::DDE,
            Self::Query => crate::status::esr::QYE,
            Self::PowerOn => crate::status::esr::PON,
            Self::UserRequest => crate::status::esr::URQ,
            Self::RequestControl => crate::status::esr::RQC,
            Self::OperationComplete => crate::status::esr::OPC,
            Self::None | Self::Other => 0,
        }
    }
}

/// How many bytes of detail an [`Error`] holds inline; longer details are
/// truncated at a UTF-8 character boundary.
pub const DETAIL_CAPACITY: usize = 48;

/// An SCPI error: code, text and an optional detail, all without heap.
///
/// ```
/// use scpi_parser::{Error, error::code};
/// let e = Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail("AI 9/9");
/// assert_eq!(e.to_string(), "-224,\"Illegal parameter value;AI 9/9\"");
/// ```
#[derive(Clone, Copy)]
pub struct Error {
    code: i32,
    text: &'static str,
    detail_len: u8,
    detail: [u8; DETAIL_CAPACITY],
}

impl Error {
    /// An error with a standard code and its standard text (`"Unknown error"`
    /// for a code without one).
    pub const fn new(code: i32) -> Self {
        let text = match standard_text(code) {
            Some(t) => t,
            None => "Unknown error",
        };
        Self::custom(code, text)
    }

    /// An error with any code and its own text (device-specific errors use
    /// positive codes).
    pub const fn custom(code: i32, text: &'static str) -> Self {
        Self {
            code,
            text,
            detail_len: 0,
            detail: [0; DETAIL_CAPACITY],
        }
    }

    /// Sets the detail (what is appended after `;`), truncated to
    /// [`DETAIL_CAPACITY`] bytes at a character boundary.
    #[must_use]
    pub fn with_detail(mut self, detail: &str) -> Self {
        self.detail_len = 0;
        self.push_detail(detail);
        self
    }

    /// Sets the detail from raw bytes; invalid UTF-8 is replaced by `?`.
    #[must_use]
    pub fn with_detail_bytes(mut self, detail: &[u8]) -> Self {
        self.detail_len = 0;
        for chunk in detail.utf8_chunks() {
            self.push_detail(chunk.valid());
            if !chunk.invalid().is_empty() {
                self.push_detail("?");
            }
        }
        self
    }

    /// Sets the detail from format arguments (`format_args!("{n} lost")`).
    #[must_use]
    pub fn with_detail_fmt(mut self, args: fmt::Arguments<'_>) -> Self {
        self.detail_len = 0;
        let _ = fmt::Write::write_fmt(&mut DetailWriter(&mut self), args);
        self
    }

    /// Appends to the detail as far as it fits (at a character boundary).
    pub fn push_detail(&mut self, s: &str) {
        let used = usize::from(self.detail_len);
        let room = DETAIL_CAPACITY - used;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.detail[used..used + take].copy_from_slice(&s.as_bytes()[..take]);
        self.detail_len = (used + take) as u8;
    }

    /// The error code.
    pub const fn code(&self) -> i32 {
        self.code
    }

    /// The error text (without the detail).
    pub const fn text(&self) -> &'static str {
        self.text
    }

    /// The detail (empty when there is none).
    pub fn detail(&self) -> &str {
        // Only whole UTF-8 characters are ever stored.
        core::str::from_utf8(&self.detail[..usize::from(self.detail_len)]).unwrap_or("")
    }

    /// The class of the code.
    pub const fn class(&self) -> ErrorClass {
        ErrorClass::of(self.code)
    }
}

struct DetailWriter<'e>(&'e mut Error);

impl fmt::Write for DetailWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_detail(s);
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code)
            .field("text", &self.text)
            .field("detail", &self.detail())
            .finish()
    }
}

impl fmt::Display for Error {
    /// The error-queue form `<code>,"<text>[;<detail>]"` (quotes doubled).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},\"", self.code)?;
        write_doubled(f, self.text)?;
        if self.detail_len > 0 {
            f.write_str(";")?;
            write_doubled(f, self.detail())?;
        }
        f.write_str("\"")
    }
}

fn write_doubled(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            f.write_str("\"\"")?;
        }
        f.write_str(part)?;
    }
    Ok(())
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.text == other.text && self.detail() == other.detail()
    }
}

impl Eq for Error {}

impl core::error::Error for Error {}

impl From<crate::sink::SinkError> for Error {
    /// A response that the output sink refused is reported as
    /// `-430 Query DEADLOCKED` (the output buffer is full).
    fn from(e: crate::sink::SinkError) -> Self {
        let detail = match e {
            crate::sink::SinkError::Full => "output buffer full",
            _ => "output writer failed",
        };
        Self::new(code::QUERY_DEADLOCKED).with_detail(detail)
    }
}

/// A crate result with [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_and_detail() {
        assert_eq!(Error::new(0).to_string(), "0,\"No error\"");
        let e = Error::custom(101, "Data \"lost\"").with_detail("3 records");
        assert_eq!(e.to_string(), "101,\"Data \"\"lost\"\";3 records\"");
        assert_eq!(Error::new(-999).text(), "Unknown error");
    }

    #[test]
    fn detail_truncates_at_char_boundary() {
        let long = "ä".repeat(40); // 80 bytes
        let e = Error::new(-224).with_detail(&long);
        assert_eq!(e.detail().len(), DETAIL_CAPACITY);
        let e = Error::new(-224).with_detail(&alloc::format!("x{long}"));
        assert_eq!(e.detail().len(), DETAIL_CAPACITY - 1);
        let e = Error::new(-224).with_detail_fmt(format_args!("{} lost", 5));
        assert_eq!(e.detail(), "5 lost");
        let e = Error::new(-224).with_detail_bytes(b"a\xffb");
        assert_eq!(e.detail(), "a?b");
    }

    #[test]
    fn classes() {
        assert_eq!(ErrorClass::of(-102), ErrorClass::Command);
        assert_eq!(ErrorClass::of(-222), ErrorClass::Execution);
        assert_eq!(ErrorClass::of(-350), ErrorClass::DeviceSpecific);
        assert_eq!(ErrorClass::of(7), ErrorClass::DeviceSpecific);
        assert_eq!(ErrorClass::of(-440), ErrorClass::Query);
        assert_eq!(ErrorClass::of(-1000), ErrorClass::Other);
        assert_eq!(ErrorClass::Command.esr_bit(), 0x20);
        assert_eq!(ErrorClass::Execution.esr_bit(), 0x10);
        assert_eq!(ErrorClass::DeviceSpecific.esr_bit(), 0x08);
        assert_eq!(ErrorClass::Query.esr_bit(), 0x04);
    }
}
