//! The framer: turns a byte stream into complete program messages.
//!
//! * A message ends at LF; a CR right before the LF is dropped.
//! * A LF inside a definite block `#<n><len><bytes>` is data; the framer
//!   counts the block's bytes, so binary payloads pass intact.
//! * `#0` starts an indefinite block that runs to the next LF (over a byte
//!   stream, LF is the only END there is); a trailing CR is dropped.
//! * A LF inside a string literal ends the message (the string is then
//!   unterminated and the parser reports `-151`). IEEE 488.2 allows any byte in
//!   a string, but a stream has no END signal to tell a terminator from data;
//!   ending the message bounds the damage of a lost quote to one message. Quotes
//!   are still tracked so a `#` inside a string never starts a block.
//! * A message longer than the capacity is dropped ([`Feed::Overrun`]: report
//!   `-363 Input buffer overrun`) and the framer resynchronises at its
//!   terminator, still honouring blocks. Memory never grows: the buffer is the
//!   caller's (`[u8; N]`, `&mut [u8]`, or a `Vec` sized once).
//!
//! When a whole message arrives inside one input chunk, it is returned as a
//! slice of that chunk (no copy).

use crate::byte_search::first_of;

/// Result of [`Framer::feed`].
#[derive(Debug, Eq, PartialEq)]
pub enum Feed<'m, 'i> {
    /// All input was consumed without completing a message.
    Consumed,
    /// A complete message (terminator removed) and the input after it.
    Message {
        /// The program message (borrowed from the input or the framer).
        message: &'m [u8],
        /// The input not yet consumed; feed it again.
        rest: &'i [u8],
    },
    /// A message longer than the capacity was dropped (`-363`).
    Overrun {
        /// The input after the dropped message's terminator.
        rest: &'i [u8],
    },
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Scan {
    Normal,
    Quote(u8),
    Hash,
    Digits { left: u8, len: usize },
    Block(usize),
    Indefinite,
}

/// A block-aware, bounded message accumulator over the buffer `B`.
///
/// ```
/// use scpi_parser::{Feed, Framer};
/// let mut f = Framer::new([0u8; 64]);
/// assert_eq!(f.feed(b"*IDN"), Feed::Consumed);
/// assert_eq!(f.feed(b"?\r\n:A #13a\nb\n"), Feed::Message { message: b"*IDN?", rest: b":A #13a\nb\n" });
/// assert_eq!(f.feed(b":A #13a\nb\n"), Feed::Message { message: b":A #13a\nb", rest: b"" });
/// ```
#[derive(Clone, Debug)]
pub struct Framer<B> {
    buf: B,
    cap: usize,
    len: usize,
    msg_len: usize,
    state: Scan,
    overrun: bool,
    cr: bool,
    reset_pending: bool,
}

impl<B: AsMut<[u8]>> Framer<B> {
    /// A framer whose maximum message length is the length of `buf`.
    pub fn new(mut buf: B) -> Self {
        let cap = buf.as_mut().len();
        Self {
            buf,
            cap,
            len: 0,
            msg_len: 0,
            state: Scan::Normal,
            overrun: false,
            cr: false,
            reset_pending: false,
        }
    }

    /// The maximum message length (terminator excluded, a trailing CR included).
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// How many bytes of an unfinished message have been received.
    pub fn pending(&self) -> usize {
        if self.reset_pending { 0 } else { self.msg_len }
    }

    /// Forgets any partial message.
    pub fn reset(&mut self) {
        self.len = 0;
        self.msg_len = 0;
        self.state = Scan::Normal;
        self.overrun = false;
        self.cr = false;
        self.reset_pending = false;
    }

    /// Consumes `input` up to the end of the first complete message.
    ///
    /// Call again with `rest` until [`Feed::Consumed`].
    pub fn feed<'m, 'i: 'm>(&'m mut self, input: &'i [u8]) -> Feed<'m, 'i> {
        if self.reset_pending {
            self.reset();
        }
        let mut i = 0;
        while i < input.len() {
            if let Scan::Block(left) = self.state {
                let take = left.min(input.len() - i);
                i += take;
                self.state = if take == left {
                    Scan::Normal
                } else {
                    Scan::Block(left - take)
                };
                self.cr = false;
                continue;
            }
            // Plain text and strings: jump to the next byte that can change
            // the state.
            let k = match self.state {
                Scan::Normal => first_of(&input[i..], [b'\n', b'"', b'\'', b'#']),
                Scan::Quote(q) => first_of(&input[i..], [b'\n', q]),
                _ => 0,
            };
            if k > 0 {
                self.cr = input[i + k - 1] == b'\r';
                i += k;
                continue;
            }
            let b = input[i];
            let mut terminator = false;
            self.state = match self.state {
                Scan::Normal | Scan::Hash if b == b'\n' => {
                    terminator = true;
                    Scan::Normal
                }
                Scan::Normal => match b {
                    b'"' | b'\'' => Scan::Quote(b),
                    b'#' => Scan::Hash,
                    _ => Scan::Normal,
                },
                Scan::Quote(q) => {
                    if b == q {
                        Scan::Normal
                    } else if b == b'\n' {
                        terminator = true;
                        Scan::Normal
                    } else {
                        Scan::Quote(q)
                    }
                }
                Scan::Hash => match b {
                    b'0' => Scan::Indefinite,
                    b'1'..=b'9' => Scan::Digits {
                        left: b - b'0',
                        len: 0,
                    },
                    b'"' | b'\'' => Scan::Quote(b),
                    b'#' => Scan::Hash,
                    _ => Scan::Normal,
                },
                Scan::Digits { left, len } => {
                    if b.is_ascii_digit() {
                        let len = len.saturating_mul(10).saturating_add(usize::from(b - b'0'));
                        if left == 1 {
                            if len == 0 {
                                Scan::Normal
                            } else {
                                Scan::Block(len)
                            }
                        } else {
                            Scan::Digits {
                                left: left - 1,
                                len,
                            }
                        }
                    } else {
                        // Not a block after all: rescan this byte as normal text.
                        self.state = Scan::Normal;
                        continue;
                    }
                }
                Scan::Indefinite => {
                    if b == b'\n' {
                        terminator = true;
                        Scan::Normal
                    } else {
                        Scan::Indefinite
                    }
                }
                Scan::Block(_) => unreachable_block(),
            };
            if terminator {
                return self.complete(input, i);
            }
            self.cr = b == b'\r';
            i += 1;
        }
        // No terminator in this input: keep what fits.
        self.msg_len = self.msg_len.saturating_add(input.len());
        if !self.overrun {
            let end = self.len + input.len();
            if end > self.cap {
                self.overrun = true;
                self.len = 0;
            } else {
                self.buf.as_mut()[self.len..end].copy_from_slice(input);
                self.len = end;
            }
        }
        Feed::Consumed
    }

    /// The LF at `input[lf]` ends the current message.
    fn complete<'m, 'i: 'm>(&'m mut self, input: &'i [u8], lf: usize) -> Feed<'m, 'i> {
        let rest = &input[lf + 1..];
        let total = self.msg_len.saturating_add(lf);
        let strip = usize::from(self.cr);
        if self.overrun || total > self.cap {
            self.reset();
            return Feed::Overrun { rest };
        }
        if self.len == 0 && self.msg_len == 0 {
            self.reset();
            return Feed::Message {
                message: &input[..lf - strip],
                rest,
            };
        }
        let end = self.len + lf;
        self.buf.as_mut()[self.len..end].copy_from_slice(&input[..lf]);
        self.len = end;
        self.reset_pending = true;
        self.state = Scan::Normal;
        self.cr = false;
        Feed::Message {
            message: &self.buf.as_mut()[..end - strip],
            rest,
        }
    }

    /// Ends the stream (END): returns the unterminated last message, if any.
    ///
    /// A definite block still waiting for bytes is returned as it is; the parser
    /// then reports `-161 Invalid block data`.
    pub fn finish(&mut self) -> Feed<'_, 'static> {
        if self.reset_pending {
            self.reset();
        }
        if self.overrun {
            self.reset();
            return Feed::Overrun { rest: &[] };
        }
        if self.msg_len == 0 {
            self.reset();
            return Feed::Consumed;
        }
        let strip = usize::from(self.cr && !matches!(self.state, Scan::Block(_)));
        let end = self.len;
        self.reset_pending = true;
        self.state = Scan::Normal;
        Feed::Message {
            message: &self.buf.as_mut()[..end - strip],
            rest: &[],
        }
    }
}

#[cfg(feature = "alloc")]
impl Framer<alloc::vec::Vec<u8>> {
    /// A framer over a heap buffer of `capacity` bytes, allocated once.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::new(alloc::vec![0; capacity])
    }
}

/// The block state is handled before the byte match; this arm only exists to
/// keep the match exhaustive.
#[inline]
fn unreachable_block() -> Scan {
    Scan::Normal
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Frames `input` fed in `chunks`; overruns show as `None`.
    fn frame<B: AsMut<[u8]>>(f: &mut Framer<B>, chunks: &[&[u8]]) -> Vec<Option<Vec<u8>>> {
        let mut out = Vec::new();
        for chunk in chunks {
            let mut input: &[u8] = chunk;
            loop {
                match f.feed(input) {
                    Feed::Consumed => break,
                    Feed::Message { message, rest } => {
                        out.push(Some(message.to_vec()));
                        input = rest;
                    }
                    Feed::Overrun { rest } => {
                        out.push(None);
                        input = rest;
                    }
                }
            }
        }
        out
    }

    fn msgs(v: &[&[u8]]) -> Vec<Option<Vec<u8>>> {
        v.iter().map(|m| Some(m.to_vec())).collect()
    }

    #[test]
    fn lines_and_cr() {
        let mut f = Framer::with_capacity(64);
        assert_eq!(frame(&mut f, &[b"A\r\nB\n\nC"]), msgs(&[b"A", b"B", b""]));
        assert_eq!(f.pending(), 1);
        assert_eq!(frame(&mut f, &[b"\r", b"\n"]), msgs(&[b"C"]));
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn blocks_hold_lf_and_cr() {
        let mut f = Framer::with_capacity(64);
        assert_eq!(
            frame(&mut f, &[b"D #14a\nb\r\nX\n"]),
            msgs(&[b"D #14a\nb\r", b"X"])
        );
        assert_eq!(
            frame(&mut f, &[b"D #2", b"04ab\nc\n", b"\n"]),
            msgs(&[b"D #204ab\nc", b""])
        );
        assert_eq!(
            frame(&mut f, &[b"D #0ab;c\r\nE\n"]),
            msgs(&[b"D #0ab;c", b"E"])
        );
        // `#H` and a non-digit length are not blocks.
        assert_eq!(
            frame(&mut f, &[b"D #H1F\nE #1x\n"]),
            msgs(&[b"D #H1F", b"E #1x"])
        );
        // `#` inside a string is text.
        assert_eq!(
            frame(&mut f, &[b"D \"#19\"\nE\n"]),
            msgs(&[b"D \"#19\"", b"E"])
        );
        // LF inside a string ends the message.
        assert_eq!(frame(&mut f, &[b"D \"a\nb\"\n"]), msgs(&[b"D \"a", b"b\""]));
    }

    #[test]
    fn overrun_resyncs() {
        let mut buf = [0u8; 8];
        let mut f = Framer::new(&mut buf[..]);
        assert_eq!(
            frame(&mut f, &[b"12345678\n123456789\nOK\n"]),
            [Some(b"12345678".to_vec()), None, Some(b"OK".to_vec())]
        );
        assert_eq!(
            frame(&mut f, &[b"1234", b"56789", b"0\nOK\n"]),
            [None, Some(b"OK".to_vec())]
        );
        // A long block containing LFs is skipped as a whole.
        assert_eq!(
            frame(&mut f, &[b"A #210\n\n\n\n\n\n\n\n\n\n\nB\n"]),
            [None, Some(b"B".to_vec())]
        );
    }

    #[test]
    fn finish_returns_partial() {
        let mut f = Framer::with_capacity(16);
        assert_eq!(f.feed(b"*IDN?\r"), Feed::Consumed);
        assert_eq!(
            f.finish(),
            Feed::Message {
                message: b"*IDN?",
                rest: b""
            }
        );
        assert_eq!(f.finish(), Feed::Consumed);
        assert_eq!(f.feed(b"A #15ab"), Feed::Consumed);
        assert_eq!(
            f.finish(),
            Feed::Message {
                message: b"A #15ab",
                rest: b""
            }
        );
        assert_eq!(f.feed(b"0123456789abcdefXYZ"), Feed::Consumed);
        assert_eq!(f.finish(), Feed::Overrun { rest: b"" });
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn chunking_does_not_matter(
            data in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(b"\n\r#\"'0123;: AB".to_vec()),
                    proptest::num::u8::ANY,
                ],
                0..200,
            ),
            cuts in proptest::collection::vec(0usize..200, 0..8),
            cap in 1usize..64,
        ) {
            let mut one = Framer::with_capacity(cap);
            let expected = frame(&mut one, &[&data]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut prev = 0;
            for c in cuts {
                chunks.push(&data[prev..c]);
                prev = c;
            }
            chunks.push(&data[prev..]);
            let mut many = Framer::with_capacity(cap);
            proptest::prop_assert_eq!(frame(&mut many, &chunks), expected);
            for m in frame(&mut Framer::with_capacity(cap), &[&data]).into_iter().flatten() {
                proptest::prop_assert!(m.len() <= cap);
            }
        }
    }
}
