//! The typed values handlers receive: [`Args`] (validated parameters of one
//! unit), [`Value`], and the iterators over a trailing list.

use crate::channel::ChannelList;
use crate::error::{Error, code};
use crate::lexer::{Cursor, Token, lex_token, skip_checked_separator};
use crate::mnemonic::find_choice;
use crate::params::{Kind, MAX_PARAMS, Param};
use crate::string_data::Str;

/// A validated parameter value.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// An optional parameter that was left out.
    Absent,
    /// A number in the base unit.
    Number(f64),
    /// An integer.
    Integer(i64),
    /// A boolean.
    Boolean(bool),
    /// The index of the chosen word in the declared choices.
    Choice(usize),
    /// A string.
    Str(Str<'a>),
    /// Block payload.
    Block(&'a [u8]),
    /// A channel list.
    ChannelList(ChannelList<'a>),
    /// An expression, parentheses included.
    Expression(&'a [u8]),
}

/// The validated parameters of one message unit.
///
/// Accessors return [`Error`] (`-310 System error`) when asked for a type the
/// command did not declare, so a handler can use `?` and never panics.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a> {
    pub(crate) values: [Value<'a>; MAX_PARAMS],
    pub(crate) count: usize,
    pub(crate) spec: &'static [Param],
    pub(crate) list: &'a [u8],
    pub(crate) list_len: usize,
    /// Index of the list parameter: its items are kept from `values[list_at]`
    /// on while they fit, so iterating them does not lex them again.
    pub(crate) list_at: usize,
}

impl<'a> Args<'a> {
    /// No parameters.
    pub const EMPTY: Args<'static> = Args::empty();

    /// No parameters, built in place when called at run time (element-wise
    /// stores of `Absent` instead of a copy of the whole constant).
    #[inline]
    pub(crate) const fn empty() -> Args<'static> {
        Args {
            values: [Value::Absent; MAX_PARAMS],
            count: 0,
            spec: &[],
            list: &[],
            list_len: 0,
            list_at: 0,
        }
    }

    /// No parameters given, for a command declaring `spec`.
    #[inline]
    pub(crate) fn reset(&mut self, spec: &'static [Param]) {
        self.count = 0;
        self.list_len = 0;
        self.spec = spec;
    }

    /// How many fixed parameters were given (list items not counted).
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether no parameter at all was given.
    pub const fn is_empty(&self) -> bool {
        self.count == 0 && self.list_len == 0
    }

    /// The value of fixed parameter `i` ([`Value::Absent`] when left out).
    #[inline]
    pub fn get(&self, i: usize) -> Value<'a> {
        match self.values.get(i) {
            Some(v) if i < self.count => *v,
            _ => Value::Absent,
        }
    }

    /// The list items kept at validation, when all of them fit.
    #[inline]
    fn stored_items(&self) -> Option<&[Value<'a>]> {
        self.values.get(self.list_at..self.list_at + self.list_len)
    }

    /// Whether parameter `i` was given.
    #[inline]
    pub fn is_present(&self, i: usize) -> bool {
        !matches!(self.get(i), Value::Absent)
    }

    /// Parameter `i` read by `read`, or `None` when it was left out.
    #[inline]
    fn optional<T>(
        &self,
        i: usize,
        read: impl FnOnce(&Self, usize) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        if self.is_present(i) {
            read(self, i).map(Some)
        } else {
            Ok(None)
        }
    }

    fn mismatch(&self, i: usize, want: &str) -> Error {
        Error::new(code::SYSTEM_ERROR).with_detail_fmt(format_args!("argument {i} is not {want}"))
    }

    /// Number `i` in its base unit; the declared default when left out.
    #[inline]
    pub fn f64(&self, i: usize) -> Result<f64, Error> {
        match self.get(i) {
            Value::Number(v) => Ok(v),
            Value::Integer(v) => Ok(v as f64),
            Value::Absent => match self.spec.get(i).map(Param::kind) {
                Some(Kind::Number { default, .. }) => Ok(default),
                Some(Kind::Integer { default, .. }) => Ok(default as f64),
                _ => Err(self.mismatch(i, "a number")),
            },
            _ => Err(self.mismatch(i, "a number")),
        }
    }

    /// Number `i`, or `None` when left out.
    #[inline]
    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>, Error> {
        self.optional(i, Self::f64)
    }

    /// Integer `i`; the declared default when left out.
    #[inline]
    pub fn i64(&self, i: usize) -> Result<i64, Error> {
        match self.get(i) {
            Value::Integer(v) => Ok(v),
            Value::Absent => match self.spec.get(i).map(Param::kind) {
                Some(Kind::Integer { default, .. }) => Ok(default),
                _ => Err(self.mismatch(i, "an integer")),
            },
            _ => Err(self.mismatch(i, "an integer")),
        }
    }

    /// Integer `i`, or `None` when left out.
    #[inline]
    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>, Error> {
        self.optional(i, Self::i64)
    }

    /// Boolean `i`.
    #[inline]
    pub fn bool(&self, i: usize) -> Result<bool, Error> {
        match self.get(i) {
            Value::Boolean(b) => Ok(b),
            _ => Err(self.mismatch(i, "a boolean")),
        }
    }

    /// Boolean `i`, or `None` when left out.
    #[inline]
    pub fn opt_bool(&self, i: usize) -> Result<Option<bool>, Error> {
        self.optional(i, Self::bool)
    }

    /// The index of choice `i` in its declared word list.
    #[inline]
    pub fn choice(&self, i: usize) -> Result<usize, Error> {
        match self.get(i) {
            Value::Choice(c) => Ok(c),
            _ => Err(self.mismatch(i, "a choice")),
        }
    }

    /// Choice `i`, or `None` when left out.
    #[inline]
    pub fn opt_choice(&self, i: usize) -> Result<Option<usize>, Error> {
        self.optional(i, Self::choice)
    }

    /// String `i`.
    #[inline]
    pub fn str(&self, i: usize) -> Result<Str<'a>, Error> {
        match self.get(i) {
            Value::Str(s) => Ok(s),
            _ => Err(self.mismatch(i, "a string")),
        }
    }

    /// String `i`, or `None` when left out.
    #[inline]
    pub fn opt_str(&self, i: usize) -> Result<Option<Str<'a>>, Error> {
        self.optional(i, Self::str)
    }

    /// Block payload `i`.
    #[inline]
    pub fn block(&self, i: usize) -> Result<&'a [u8], Error> {
        match self.get(i) {
            Value::Block(b) => Ok(b),
            _ => Err(self.mismatch(i, "a block")),
        }
    }

    /// Channel list `i`.
    pub fn channels(&self, i: usize) -> Result<ChannelList<'a>, Error> {
        match self.get(i) {
            Value::ChannelList(c) => Ok(c),
            _ => Err(self.mismatch(i, "a channel list")),
        }
    }

    /// Expression `i` (parentheses included).
    pub fn expression(&self, i: usize) -> Result<&'a [u8], Error> {
        match self.get(i) {
            Value::Expression(e) => Ok(e),
            _ => Err(self.mismatch(i, "an expression")),
        }
    }

    /// How many list items were given (a trailing string or choice list).
    pub const fn list_len(&self) -> usize {
        self.list_len
    }

    /// The items of a trailing string list.
    #[inline]
    pub fn strings(&self) -> Strings<'_, 'a> {
        let ok = matches!(self.spec.last().map(Param::kind), Some(Kind::StringList));
        match self.stored_items() {
            Some(items) if ok => Strings {
                stored: items.iter(),
                cur: Cursor::new(&[]),
                left: 0,
            },
            _ => Strings {
                stored: [].iter(),
                cur: Cursor::new(if ok { self.list } else { &[] }),
                left: if ok { self.list_len } else { 0 },
            },
        }
    }

    /// The indices (into the declared words) of a trailing choice list.
    #[inline]
    pub fn choices(&self) -> Choices<'_, 'a> {
        match (self.spec.last().map(Param::kind), self.stored_items()) {
            (Some(Kind::ChoiceList(_)), Some(items)) => Choices {
                stored: items.iter(),
                cur: Cursor::new(&[]),
                words: &[],
                left: 0,
            },
            (Some(Kind::ChoiceList(words)), None) => Choices {
                stored: [].iter(),
                cur: Cursor::new(self.list),
                words,
                left: self.list_len,
            },
            _ => Choices {
                stored: [].iter(),
                cur: Cursor::new(&[]),
                words: &[],
                left: 0,
            },
        }
    }
}

/// The strings of a string list, in order.
#[derive(Clone, Debug)]
pub struct Strings<'s, 'a> {
    /// Items kept at validation (all of them, or none).
    stored: core::slice::Iter<'s, Value<'a>>,
    /// Otherwise the list text, lexed again.
    cur: Cursor<'a>,
    left: usize,
}

impl<'a> Iterator for Strings<'_, 'a> {
    type Item = Str<'a>;

    #[inline]
    fn next(&mut self) -> Option<Str<'a>> {
        if let Some(v) = self.stored.next() {
            return match *v {
                Value::Str(s) => Some(s),
                _ => None,
            };
        }
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.cur.skip_ws();
        let t = lex_token(&mut self.cur).ok()?;
        skip_checked_separator(&mut self.cur);
        match t {
            Token::Str(s) => Some(s),
            _ => None,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left + self.stored.len()))
    }
}

/// The choice indices of a choice list, in order.
#[derive(Clone, Debug)]
pub struct Choices<'s, 'a> {
    /// Items kept at validation (all of them, or none).
    stored: core::slice::Iter<'s, Value<'a>>,
    /// Otherwise the list text, lexed again.
    cur: Cursor<'a>,
    words: &'static [&'static str],
    left: usize,
}

impl Iterator for Choices<'_, '_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if let Some(v) = self.stored.next() {
            return match *v {
                Value::Choice(c) => Some(c),
                _ => None,
            };
        }
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.cur.skip_ws();
        let t = lex_token(&mut self.cur).ok()?;
        skip_checked_separator(&mut self.cur);
        match t {
            Token::Chars(w) => find_choice(self.words, w),
            _ => None,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left + self.stored.len()))
    }
}
