//! String program data (`"…"` or `'…'`, IEEE 488.2 §7.7.5) as a borrowed view.
//!
//! The view keeps the bytes between the quotes as they arrived. When they hold
//! no doubled quote, [`Str::as_str`] gives them zero-copy; otherwise
//! [`Str::bytes`] yields the unescaped bytes and [`Str::copy_into`] writes them
//! into a caller buffer, neither needing heap.

use core::fmt;

/// A string parameter: the text between the quotes, doubled quotes still in.
#[derive(Clone, Copy)]
pub struct Str<'a> {
    raw: &'a [u8],
    quote: u8,
    escaped: bool,
}

impl<'a> Str<'a> {
    /// Wraps the bytes between the quotes of a string delimited by `quote`.
    /// `escaped` says whether `raw` holds doubled quotes.
    pub(crate) const fn new(raw: &'a [u8], quote: u8, escaped: bool) -> Self {
        Self {
            raw,
            quote,
            escaped,
        }
    }

    /// The bytes between the quotes, exactly as received.
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The quote character (`"` or `'`).
    pub const fn quote(&self) -> u8 {
        self.quote
    }

    /// Whether the text holds doubled quotes (so the raw bytes differ from
    /// the unescaped ones).
    pub const fn has_escapes(&self) -> bool {
        self.escaped
    }

    /// The text zero-copy, when it has no doubled quotes and is UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        if self.escaped {
            None
        } else {
            core::str::from_utf8(self.raw).ok()
        }
    }

    /// The unescaped bytes.
    pub fn bytes(&self) -> StrBytes<'a> {
        StrBytes {
            raw: self.raw,
            quote: self.quote,
            pos: 0,
        }
    }

    /// The length of the unescaped text in bytes.
    pub fn len(&self) -> usize {
        if self.escaped {
            self.bytes().count()
        } else {
            self.raw.len()
        }
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Copies the unescaped text into `buf` and returns the filled part, or
    /// `None` when it does not fit.
    pub fn copy_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let mut n = 0;
        for b in self.bytes() {
            *buf.get_mut(n)? = b;
            n += 1;
        }
        Some(&buf[..n])
    }

    /// Whether the unescaped text equals `s` (exactly).
    pub fn eq_text(&self, s: &str) -> bool {
        if self.escaped {
            self.bytes().eq(s.bytes())
        } else {
            self.raw == s.as_bytes()
        }
    }

    /// Whether the unescaped text equals `s`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, s: &str) -> bool {
        self.bytes()
            .map(|b| b.to_ascii_lowercase())
            .eq(s.bytes().map(|b| b.to_ascii_lowercase()))
    }

    /// The unescaped text as an owned or borrowed string (invalid UTF-8 is
    /// replaced by U+FFFD).
    #[cfg(feature = "alloc")]
    pub fn to_text(&self) -> alloc::borrow::Cow<'a, str> {
        match self.as_str() {
            Some(s) => alloc::borrow::Cow::Borrowed(s),
            None => {
                let v: alloc::vec::Vec<u8> = self.bytes().collect();
                alloc::borrow::Cow::Owned(alloc::string::String::from_utf8_lossy(&v).into_owned())
            }
        }
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Str({:?})",
            self.raw
                .utf8_chunks()
                .map(|c| c.valid())
                .next()
                .unwrap_or("")
        )
    }
}

impl fmt::Display for Str<'_> {
    /// The unescaped text (invalid UTF-8 shown as U+FFFD).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = [self.quote];
        let mut rest = self.raw;
        loop {
            let cut = rest.windows(2).position(|w| w == [self.quote, self.quote]);
            let (seg, next) = match cut {
                Some(p) => (&rest[..p], Some(&rest[p + 2..])),
                None => (rest, None),
            };
            for chunk in seg.utf8_chunks() {
                f.write_str(chunk.valid())?;
                if !chunk.invalid().is_empty() {
                    f.write_str("\u{FFFD}")?;
                }
            }
            match next {
                Some(n) => {
                    f.write_str(core::str::from_utf8(&q).unwrap_or("\""))?;
                    rest = n;
                }
                None => return Ok(()),
            }
        }
    }
}

impl PartialEq<str> for Str<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_text(other)
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_text(other)
    }
}

/// The unescaped bytes of a [`Str`].
#[derive(Clone, Debug)]
pub struct StrBytes<'a> {
    raw: &'a [u8],
    quote: u8,
    pos: usize,
}

impl Iterator for StrBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let b = *self.raw.get(self.pos)?;
        self.pos += if b == self.quote { 2 } else { 1 };
        Some(b)
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn zero_copy_and_unescaped() {
        let s = Str::new(b"AI 1/1", b'"', false);
        assert_eq!(s.as_str(), Some("AI 1/1"));
        assert!(s == "AI 1/1");
        let s = Str::new(b"say \"\"hi\"\"", b'"', true);
        assert_eq!(s.as_str(), None);
        assert_eq!(s.to_string(), "say \"hi\"");
        assert_eq!(s.len(), 8);
        let mut buf = [0u8; 8];
        assert_eq!(s.copy_into(&mut buf), Some(&b"say \"hi\""[..]));
        assert_eq!(s.copy_into(&mut [0u8; 7]), None);
        assert!(s.eq_text("say \"hi\""));
        assert_eq!(s.to_text(), "say \"hi\"");
        let s = Str::new(b"it''s", b'\'', true);
        assert_eq!(s.to_string(), "it's");
        assert!(s.eq_ignore_ascii_case("IT'S"));
    }
}
