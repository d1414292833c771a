//! Program message lexing: headers and program data tokens (IEEE 488.2 §7).
//!
//! Everything here borrows from the message; nothing allocates.

use crate::byte_search::first_of;
use crate::error::{Error, code};
use crate::nrf;
use crate::string_data::Str;

/// The longest program mnemonic, character data or suffix (IEEE 488.2 §7.6.1.2).
pub const MAX_MNEMONIC_LEN: usize = 12;

/// The most mnemonics one header may have.
pub const MAX_HEADER_DEPTH: usize = 12;

pub(crate) use crate::byte_search::is_ws;

/// One program data element, borrowed from the message.
#[derive(Clone, Copy, Debug)]
pub enum Token<'a> {
    /// Decimal numeric data with an optional suffix (`100 ms`).
    Number {
        /// The value without the suffix applied.
        value: f64,
        /// The suffix text, if any.
        suffix: Option<&'a [u8]>,
    },
    /// Non-decimal numeric data (`#H1F`, `#Q17`, `#B101`).
    NonDecimal(u64),
    /// Character data (`ON`, `AVG`, `MAX`).
    Chars(&'a [u8]),
    /// String data.
    Str(Str<'a>),
    /// Arbitrary block data (definite or indefinite), the payload only.
    Block(&'a [u8]),
    /// Expression data, parentheses included (`(@1,3:5)`).
    Expr(&'a [u8]),
}

/// A byte cursor over one program message.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) const fn new(s: &'a [u8]) -> Self {
        Self { s, pos: 0 }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        while let Some(&c) = self.s.get(self.pos) {
            if !is_ws(c) {
                break;
            }
            self.pos += 1;
        }
    }
}

/// Byte classes inside a mnemonic: 1 = letter or `_`, 2 = digit, 0 = other.
static MNEMONIC_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphabetic() || c == b'_' {
            1
        } else if c.is_ascii_digit() {
            2
        } else {
            0
        };
        i += 1;
    }
    t
};

/// A parsed header, before resolution against the tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header<'a> {
    /// `*XXX` common command.
    pub(crate) common: bool,
    /// Starts with `:` (absolute path).
    pub(crate) absolute: bool,
    pub(crate) query: bool,
    /// The whole header text (for error details).
    pub(crate) text: &'a [u8],
    /// The mnemonics joined by `:` (no leading `:`/`*`, no trailing `?`).
    pub(crate) body: &'a [u8],
}

impl<'a> Header<'a> {
    /// The mnemonics in order.
    pub(crate) fn mnemonics(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.body.split(|&b| b == b':')
    }
}

/// Parses a header at the cursor (white space already skipped).
pub(crate) fn parse_header<'a>(cur: &mut Cursor<'a>) -> Result<Header<'a>, Error> {
    let start = cur.pos;
    let mut h = Header {
        common: false,
        absolute: false,
        query: false,
        text: &[],
        body: &[],
    };
    let mut depth = 0;
    match cur.peek() {
        Some(b'*') => {
            h.common = true;
            cur.pos += 1;
        }
        Some(b':') => {
            h.absolute = true;
            cur.pos += 1;
        }
        _ => {}
    }
    let body_start = cur.pos;
    let mut body_end;
    loop {
        let m_start = cur.pos;
        match cur.peek() {
            Some(c) if c.is_ascii_alphabetic() => {}
            Some(c) if c >= 0x80 => return Err(Error::new(code::INVALID_CHARACTER)),
            _ => {
                return Err(Error::new(code::COMMAND_HEADER_ERROR)
                    .with_detail_bytes(&cur.s[start..cur.pos.min(cur.s.len())]));
            }
        }
        // Letters, digits and `_`; remember where the trailing digits start.
        let mut pos = cur.pos;
        let mut alpha_end = pos;
        while let Some(&c) = cur.s.get(pos) {
            let class = MNEMONIC_CLASS[usize::from(c)];
            if class == 0 {
                break;
            }
            pos += 1;
            if class == 1 {
                alpha_end = pos;
            }
        }
        cur.pos = pos;
        let m = &cur.s[m_start..pos];
        let alpha_len = alpha_end - m_start;
        if alpha_len > MAX_MNEMONIC_LEN {
            return Err(Error::new(code::PROGRAM_MNEMONIC_TOO_LONG).with_detail_bytes(m));
        }
        if depth == MAX_HEADER_DEPTH {
            return Err(
                Error::new(code::COMMAND_HEADER_ERROR).with_detail_bytes(&cur.s[start..cur.pos])
            );
        }
        depth += 1;
        body_end = cur.pos;
        match cur.peek() {
            Some(b':') if !h.common => cur.pos += 1,
            Some(b'?') => {
                cur.pos += 1;
                h.query = true;
                break;
            }
            _ => break,
        }
    }
    h.text = &cur.s[start..cur.pos];
    h.body = &cur.s[body_start..body_end];
    match cur.peek() {
        None | Some(b';') => Ok(h),
        Some(c) if is_ws(c) => Ok(h),
        Some(c) if c >= 0x80 => Err(Error::new(code::INVALID_CHARACTER)),
        Some(_) => Err(Error::new(code::HEADER_SEPARATOR_ERROR).with_detail_bytes(h.text)),
    }
}

/// Lexes one program data element at the cursor (white space skipped).
pub(crate) fn lex_token<'a>(cur: &mut Cursor<'a>) -> Result<Token<'a>, Error> {
    let s = cur.s;
    let start = cur.pos;
    let Some(c) = cur.peek() else {
        return Err(Error::new(code::SYNTAX_ERROR));
    };
    match c {
        b'"' | b'\'' => {
            let mut i = start + 1;
            let mut escaped = false;
            loop {
                // The next quote character (a tight search loop).
                match s
                    .get(i..)
                    .map(|r| i + first_of(r, [c]))
                    .filter(|&k| k < s.len())
                {
                    None => return Err(Error::new(code::INVALID_STRING_DATA)),
                    Some(k) => {
                        i = k;
                        if s.get(i + 1) == Some(&c) {
                            escaped = true;
                            i += 2;
                        } else {
                            break;
                        }
                    }
                }
            }
            cur.pos = i + 1;
            Ok(Token::Str(Str::new(&s[start + 1..i], c, escaped)))
        }
        b'#' => match s.get(start + 1) {
            Some(b'0') => {
                cur.pos = s.len();
                Ok(Token::Block(&s[start + 2..]))
            }
            Some(&d @ b'1'..=b'9') => {
                let n = usize::from(d - b'0');
                let digits = s
                    .get(start + 2..start + 2 + n)
                    .ok_or_else(|| Error::new(code::INVALID_BLOCK_DATA))?;
                let mut len: usize = 0;
                for &b in digits {
                    if !b.is_ascii_digit() {
                        return Err(Error::new(code::INVALID_BLOCK_DATA));
                    }
                    len = len * 10 + usize::from(b - b'0');
                }
                let data_start = start + 2 + n;
                let data = data_start
                    .checked_add(len)
                    .and_then(|end| s.get(data_start..end))
                    .ok_or_else(|| {
                        Error::new(code::INVALID_BLOCK_DATA)
                            .with_detail("block shorter than its length")
                    })?;
                cur.pos = data_start + len;
                Ok(Token::Block(data))
            }
            Some(b'H' | b'h' | b'Q' | b'q' | b'B' | b'b') => {
                let (v, end) = nrf::scan_non_decimal(s, start)?;
                cur.pos = end;
                Ok(Token::NonDecimal(v))
            }
            _ => Err(Error::new(code::INVALID_BLOCK_DATA)),
        },
        b'(' => {
            let mut depth = 0usize;
            let mut i = start;
            let mut quote = 0u8;
            while let Some(&b) = s.get(i) {
                if quote != 0 {
                    if b == quote {
                        quote = 0;
                    }
                } else {
                    match b {
                        b'"' | b'\'' => quote = b,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                cur.pos = i + 1;
                                return Ok(Token::Expr(&s[start..=i]));
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            Err(Error::new(code::INVALID_EXPRESSION).with_detail("unbalanced parentheses"))
        }
        b'0'..=b'9' | b'+' | b'-' | b'.' => {
            let (value, end) = nrf::scan_decimal(s, start)?;
            cur.pos = end;
            // Optional suffix, white space allowed before it.
            let mut j = end;
            while s.get(j).is_some_and(|&b| is_ws(b)) {
                j += 1;
            }
            let mut suffix = None;
            if s.get(j)
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'/')
            {
                let k0 = j;
                while s
                    .get(j)
                    .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'/' || b == b'.')
                {
                    j += 1;
                }
                let sfx = &s[k0..j];
                if sfx.len() > MAX_MNEMONIC_LEN {
                    return Err(Error::new(code::SUFFIX_TOO_LONG).with_detail_bytes(sfx));
                }
                suffix = Some(sfx);
                cur.pos = j;
            }
            Ok(Token::Number { value, suffix })
        }
        c if c.is_ascii_alphabetic() => {
            let mut i = start;
            while s
                .get(i)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
            {
                i += 1;
            }
            let word = &s[start..i];
            if word.len() > MAX_MNEMONIC_LEN {
                return Err(Error::new(code::CHARACTER_DATA_TOO_LONG).with_detail_bytes(word));
            }
            cur.pos = i;
            Ok(Token::Chars(word))
        }
        b',' | b';' => Err(Error::new(code::SYNTAX_ERROR).with_detail("empty parameter")),
        _ => Err(Error::new(code::INVALID_CHARACTER)),
    }
}

/// After a list item that [`next_separator`] already accepted once: skips
/// white space, a `,` and the white space after it.
#[inline]
pub(crate) fn skip_checked_separator(cur: &mut Cursor<'_>) {
    cur.skip_ws();
    if cur.peek() == Some(b',') {
        cur.pos += 1;
        cur.skip_ws();
    }
}

/// After a data element: skips white space and consumes a `,`.
///
/// Returns `Ok(true)` when another element follows, `Ok(false)` at `;` (not
/// consumed) or the end. A `,` followed by nothing is a syntax error.
pub(crate) fn next_separator(cur: &mut Cursor<'_>) -> Result<bool, Error> {
    cur.skip_ws();
    match cur.peek() {
        None | Some(b';') => Ok(false),
        Some(b',') => {
            cur.pos += 1;
            cur.skip_ws();
            match cur.peek() {
                None | Some(b';') => {
                    Err(Error::new(code::SYNTAX_ERROR).with_detail("dangling comma"))
                }
                _ => Ok(true),
            }
        }
        Some(b'.' | b'0'..=b'9') if cur.pos > 0 && !is_ws(cur.s[cur.pos - 1]) => {
            Err(Error::new(code::INVALID_CHARACTER_IN_NUMBER))
        }
        Some(c) if c >= 0x80 => Err(Error::new(code::INVALID_CHARACTER)),
        Some(_) => Err(Error::new(code::INVALID_SEPARATOR)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str) -> Result<Token<'_>, i32> {
        let mut c = Cursor::new(s.as_bytes());
        lex_token(&mut c).map_err(|e| e.code())
    }

    fn hdr(s: &str) -> Result<Header<'_>, i32> {
        let mut c = Cursor::new(s.as_bytes());
        parse_header(&mut c).map_err(|e| e.code())
    }

    #[test]
    fn tokens() {
        assert!(matches!(
            tok("100ms"),
            Ok(Token::Number {
                value: 100.0,
                suffix: Some(b"ms")
            })
        ));
        assert!(matches!(
            tok("100 MS"),
            Ok(Token::Number {
                value: 100.0,
                suffix: Some(b"MS")
            })
        ));
        assert!(matches!(
            tok("1.5 E3"),
            Ok(Token::Number {
                value: 1500.0,
                suffix: None
            })
        ));
        assert!(matches!(tok("#H1f"), Ok(Token::NonDecimal(31))));
        assert!(matches!(tok("ON"), Ok(Token::Chars(b"ON"))));
        assert!(matches!(tok("#15hello"), Ok(Token::Block(b"hello"))));
        assert!(matches!(tok("#0ab\ncd"), Ok(Token::Block(b"ab\ncd"))));
        assert!(matches!(tok("(@1,2)"), Ok(Token::Expr(b"(@1,2)"))));
        assert!(matches!(tok("(1+(2*3))x"), Ok(Token::Expr(b"(1+(2*3))"))));
        match tok("'it''s'") {
            Ok(Token::Str(s)) => assert!(s.eq_text("it's")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn token_errors() {
        assert_eq!(tok("\"abc").unwrap_err(), -151);
        assert_eq!(tok("#15abc").unwrap_err(), -161);
        assert_eq!(tok("#2x5hello").unwrap_err(), -161);
        assert_eq!(tok("#9").unwrap_err(), -161);
        assert_eq!(tok("#X").unwrap_err(), -161);
        assert_eq!(tok("(@1").unwrap_err(), -171);
        assert_eq!(tok("ABCDEFGHIJKLM").unwrap_err(), -144);
        assert_eq!(tok("1 ABCDEFGHIJKLM").unwrap_err(), -134);
        assert_eq!(tok("$").unwrap_err(), -101);
        assert_eq!(tok(",").unwrap_err(), -102);
        assert_eq!(tok("1e99999").unwrap_err(), -123);
    }

    #[test]
    fn headers() {
        let h = hdr(":SYST:ERR?").unwrap();
        assert!(h.absolute && h.query && !h.common);
        assert!(h.mnemonics().eq([&b"SYST"[..], b"ERR"]));
        let h = hdr("*idn? ").unwrap();
        assert!(h.common && h.query);
        assert_eq!(h.body, b"idn");
        let h = hdr("outp2:stat on").unwrap();
        assert!(h.mnemonics().eq([&b"outp2"[..], b"stat"]));
        assert_eq!(hdr(":").unwrap_err(), -110);
        assert_eq!(hdr("::A").unwrap_err(), -110);
        assert_eq!(hdr("A:").unwrap_err(), -110);
        assert_eq!(hdr("ABCDEFGHIJKLMN").unwrap_err(), -112);
        assert_eq!(hdr("*IDN?x").unwrap_err(), -111);
        assert_eq!(hdr("A\"x\"").unwrap_err(), -111);
        assert_eq!(hdr("1A").unwrap_err(), -110);
    }
}
