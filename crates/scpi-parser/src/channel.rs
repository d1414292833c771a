//! Channel lists `(@1,3:5,2!1)` (SCPI-1999 vol. 1 §8.3.2).
//!
//! A list holds entries separated by `,`; an entry is a channel or a range
//! `first:last`; a channel has up to [`MAX_DIMS`] dimensions joined by `!`.

use crate::error::{Error, code};
use crate::lexer::is_ws;

/// The most dimensions of one channel (`1!2!3`).
pub const MAX_DIMS: usize = 3;

/// One channel address, e.g. `2!1` → `[2, 1]`.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Channel {
    dims: [u32; MAX_DIMS],
    len: u8,
}

impl Channel {
    /// The dimensions (at least one).
    pub fn dims(&self) -> &[u32] {
        &self.dims[..usize::from(self.len)]
    }

    /// The first dimension (the channel number of a one-dimensional list).
    pub fn number(&self) -> u32 {
        self.dims[0]
    }
}

/// One entry of a channel list: a single channel (`first == last`) or a range.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct ChannelRange {
    /// The first channel.
    pub first: Channel,
    /// The last channel (equal to `first` for a single channel).
    pub last: Channel,
}

impl ChannelRange {
    /// Whether the entry is a range (`a:b`) rather than one channel.
    pub fn is_range(&self) -> bool {
        self.first != self.last
    }
}

/// A validated channel list, borrowed from the message.
#[derive(Clone, Copy, Debug)]
pub struct ChannelList<'a> {
    body: &'a [u8],
}

impl<'a> ChannelList<'a> {
    /// Validates an expression `(@…)` (parentheses included).
    ///
    /// ```
    /// use scpi_parser::channel::ChannelList;
    /// let l = ChannelList::parse(b"(@1,3:5)").unwrap();
    /// let v: Vec<(u32, u32)> = l.iter().map(|r| (r.first.number(), r.last.number())).collect();
    /// assert_eq!(v, [(1, 1), (3, 5)]);
    /// assert_eq!(ChannelList::parse(b"(@1,)").unwrap_err().code(), -171);
    /// ```
    pub fn parse(expr: &'a [u8]) -> Result<Self, Error> {
        let body = expr
            .strip_prefix(b"(")
            .and_then(|e| e.strip_suffix(b")"))
            .map(trim_start)
            .and_then(|e| e.strip_prefix(b"@"))
            .ok_or_else(|| Error::new(code::INVALID_EXPRESSION).with_detail_bytes(expr))?;
        let list = Self { body };
        let mut it = Entries { s: body, pos: 0 };
        if trim_start(body).is_empty() {
            return Ok(list);
        }
        loop {
            it.entry()
                .ok_or_else(|| Error::new(code::INVALID_EXPRESSION).with_detail_bytes(expr))?;
            it.skip_ws();
            match it.s.get(it.pos) {
                None => return Ok(list),
                Some(b',') => it.pos += 1,
                Some(_) => return Err(Error::new(code::INVALID_EXPRESSION).with_detail_bytes(expr)),
            }
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> ChannelIter<'a> {
        ChannelIter {
            inner: Entries {
                s: self.body,
                pos: 0,
            },
        }
    }

    /// The text after `@` (without the closing parenthesis).
    pub fn raw(&self) -> &'a [u8] {
        self.body
    }
}

impl<'a> IntoIterator for ChannelList<'a> {
    type Item = ChannelRange;
    type IntoIter = ChannelIter<'a>;

    fn into_iter(self) -> ChannelIter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`ChannelList`].
#[derive(Clone, Debug)]
pub struct ChannelIter<'a> {
    inner: Entries<'a>,
}

impl Iterator for ChannelIter<'_> {
    type Item = ChannelRange;

    fn next(&mut self) -> Option<ChannelRange> {
        self.inner.skip_ws();
        if self.inner.s.get(self.inner.pos) == Some(&b',') {
            self.inner.pos += 1;
        }
        self.inner.entry()
    }
}

#[derive(Clone, Debug)]
struct Entries<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Entries<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|&c| is_ws(c)) {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Option<u32> {
        self.skip_ws();
        let start = self.pos;
        let mut v: u32 = 0;
        while let Some(&c @ b'0'..=b'9') = self.s.get(self.pos) {
            v = v.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
            self.pos += 1;
        }
        (self.pos > start).then_some(v)
    }

    fn channel(&mut self) -> Option<Channel> {
        let mut ch = Channel {
            dims: [0; MAX_DIMS],
            len: 0,
        };
        loop {
            let n = self.number()?;
            *ch.dims.get_mut(usize::from(ch.len))? = n;
            ch.len += 1;
            self.skip_ws();
            if self.s.get(self.pos) == Some(&b'!') {
                self.pos += 1;
            } else {
                return Some(ch);
            }
        }
    }

    fn entry(&mut self) -> Option<ChannelRange> {
        let first = self.channel()?;
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b':') {
            self.pos += 1;
            let last = self.channel()?;
            if last.len != first.len {
                return None;
            }
            Some(ChannelRange { first, last })
        } else {
            Some(ChannelRange { first, last: first })
        }
    }
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_ws(c)).count();
    &s[n..]
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn lists() {
        let l = ChannelList::parse(b"( @ 1 , 2!3 : 2!5 )").unwrap();
        let v: Vec<ChannelRange> = l.iter().collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].first.dims(), [2, 3]);
        assert_eq!(v[1].last.dims(), [2, 5]);
        assert!(v[1].is_range() && !v[0].is_range());
        assert_eq!(ChannelList::parse(b"(@)").unwrap().iter().count(), 0);
        for bad in [
            &b"(1,2)"[..],
            b"(@1,,2)",
            b"(@1:)",
            b"(@1!2:3)",
            b"(@a)",
            b"(@1!2!3!4)",
            b"(@99999999999)",
        ] {
            assert_eq!(ChannelList::parse(bad).unwrap_err().code(), -171, "{bad:?}");
        }
    }
}
