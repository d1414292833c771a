//! The server's framing-and-execution step ([`dispatch`]) and the
//! per-connection byte bounds it enforces ([`ConnectionLimits`]).
//!
//! Pure (no socket, no clock, no thread): the TCP server calls
//! [`dispatch_counting`] with the bytes it read and writes what lands in `out`; the
//! `elog_instrument` fuzz target drives the same function. What a hostile
//! or broken client can cost is bounded here:
//!
//! * **Input**: the framer holds at most `max_input` bytes of one program
//!   message. A longer message is dropped with `-363 Input buffer overrun`
//!   and the framer resynchronises at its terminator. If the terminator does
//!   not come within `max_discard` further bytes (a block header announcing
//!   gigabytes, an endless line), the connection is closed
//!   ([`Verdict::InputLimit`]).
//! * **Output**: the answers produced by one call are at most `max_output`
//!   bytes. An answer that would go beyond is dropped as a whole, `-430 Query
//!   DEADLOCKED` is queued, and the connection is closed
//!   ([`Verdict::OutputLimit`]) — a client waiting for that answer's line
//!   would otherwise wait forever. A FETCh? refused this way consumes no
//!   record.
//!
//! Everything the server allocates per connection is therefore bounded by
//! `max_input + read buffer + max_output`.

use alloc::vec::Vec;

use scpi_parser::error::code;
use scpi_parser::{Device, Error, Feed, Framer, Session, Sink, SinkError, Tree};

/// The default longest program message: 64 KiB.
pub const DEFAULT_MAX_INPUT: usize = 64 * 1024;
/// The default number of bytes an overlong message may run past
/// `max_input` before the connection is closed: 1 MiB.
pub const DEFAULT_MAX_DISCARD: usize = 1 << 20;
/// The default bound on the answers to one dispatch call: 32 MiB (a 20 s backlog of
/// 64 items at a 1 ms period in ASCII fits).
pub const DEFAULT_MAX_OUTPUT: usize = 32 << 20;

/// The byte bounds of one connection (see the module docs).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct ConnectionLimits {
    /// The longest program message.
    pub max_input: usize,
    /// How far an overlong message may run past `max_input` before the
    /// connection is closed.
    pub max_discard: usize,
    /// The most answer bytes one [`dispatch`] call may produce.
    pub max_output: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_input: DEFAULT_MAX_INPUT,
            max_discard: DEFAULT_MAX_DISCARD,
            max_output: DEFAULT_MAX_OUTPUT,
        }
    }
}

/// What the connection should do after a [`dispatch`].
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Verdict {
    /// Write `out` and keep reading.
    Continue,
    /// Write `out` (the answers before the offending message), then close:
    /// an overlong message ran past `max_input + max_discard`.
    InputLimit,
    /// Write `out` (the answers before the offending one), then close: an
    /// answer would have exceeded `max_output`.
    OutputLimit,
}

/// The growable byte buffer [`dispatch`] appends answers to: a `Vec<u8>`,
/// or the server's buffer that keeps large answers out of the allocator.
pub trait AnswerBuffer {
    /// The bytes held.
    fn len(&self) -> usize;
    /// Whether no byte is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drops the bytes from `len` on.
    fn truncate(&mut self, len: usize);
    /// Appends `bytes`.
    fn extend_from_slice(&mut self, bytes: &[u8]);
    /// Makes room for `additional` more bytes (a hint).
    fn reserve(&mut self, additional: usize);
}

impl AnswerBuffer for Vec<u8> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len);
    }
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }
    fn reserve(&mut self, additional: usize) {
        Vec::reserve(self, additional);
    }
}

/// A sink that refuses to grow its buffer past a length.
#[derive(Debug)]
pub struct BoundedOutput<'a, O: ?Sized = Vec<u8>> {
    buf: &'a mut O,
    limit: usize,
    overflowed: bool,
}

impl<'a, O: AnswerBuffer + ?Sized> BoundedOutput<'a, O> {
    /// Appends to `buf`, which may reach `limit` bytes in total.
    pub fn new(buf: &'a mut O, limit: usize) -> Self {
        Self {
            buf,
            limit,
            overflowed: false,
        }
    }

    /// Whether a write was refused.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

impl<O: AnswerBuffer + ?Sized> Sink for BoundedOutput<'_, O> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        if bytes.len() > self.limit.saturating_sub(self.buf.len()) {
            self.overflowed = true;
            return Err(SinkError::Full);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn reserve(&mut self, additional: usize) {
        let room = self.limit.saturating_sub(self.buf.len());
        self.buf.reserve(additional.min(room));
    }
}

/// Frames `input`, executes every complete message against `device` and
/// appends the answers to `out`, within `limits`.
///
/// `framer` must have been built with a buffer of `limits.max_input` bytes.
pub fn dispatch<B, D, O, const N: usize, const Q: usize>(
    session: &mut Session<Q>,
    framer: &mut Framer<B>,
    input: &[u8],
    tree: &Tree<D::Command, N>,
    device: &mut D,
    out: &mut O,
    limits: &ConnectionLimits,
) -> Verdict
where
    B: AsMut<[u8]>,
    D: Device + ?Sized,
    O: AnswerBuffer + ?Sized,
{
    let mut messages = 0;
    dispatch_counting(
        session,
        framer,
        input,
        tree,
        device,
        out,
        limits,
        &mut messages,
    )
}

/// [`dispatch`], adding to `messages` the number of complete program
/// messages it executed (the server's admission counts them as progress).
#[allow(clippy::too_many_arguments)]
pub fn dispatch_counting<B, D, O, const N: usize, const Q: usize>(
    session: &mut Session<Q>,
    framer: &mut Framer<B>,
    mut input: &[u8],
    tree: &Tree<D::Command, N>,
    device: &mut D,
    out: &mut O,
    limits: &ConnectionLimits,
    messages: &mut usize,
) -> Verdict
where
    B: AsMut<[u8]>,
    D: Device + ?Sized,
    O: AnswerBuffer + ?Sized,
{
    // A message longer than this closes the connection, whether its LF
    // came in this read or not (the verdict never depends on how TCP cut
    // the stream).
    let bound = limits.max_input.saturating_add(limits.max_discard);
    loop {
        let before = framer.pending();
        let offered = input.len();
        match framer.feed(input) {
            Feed::Consumed => {
                if framer.pending() > bound {
                    framer.reset();
                    session.push_error(Error::new(code::INPUT_BUFFER_OVERRUN));
                    return Verdict::InputLimit;
                }
                return Verdict::Continue;
            }
            Feed::Message { message, rest } => {
                *messages += 1;
                let mark = out.len();
                let mut sink = BoundedOutput::new(out, limits.max_output);
                session.process(tree, message, device, &mut sink);
                if sink.overflowed() {
                    out.truncate(mark);
                    return Verdict::OutputLimit;
                }
                input = rest;
            }
            Feed::Overrun { rest } => {
                session.push_error(Error::new(code::INPUT_BUFFER_OVERRUN));
                // The dropped message's length, its LF excluded.
                let len = before
                    .saturating_add(offered - rest.len())
                    .saturating_sub(1);
                if len > bound {
                    return Verdict::InputLimit;
                }
                input = rest;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ElogInstrument;

    fn limits(max_input: usize, max_discard: usize, max_output: usize) -> ConnectionLimits {
        ConnectionLimits {
            max_input,
            max_discard,
            max_output,
        }
    }

    #[test]
    fn bounded_output_refuses_past_the_limit() {
        let mut v = Vec::new();
        let mut s = BoundedOutput::new(&mut v, 4);
        s.write(b"abc").unwrap();
        assert_eq!(s.write(b"de"), Err(SinkError::Full));
        assert!(s.overflowed());
        s.write(b"d").unwrap();
        s.reserve(usize::MAX);
        assert_eq!(v, b"abcd");
    }

    #[test]
    fn overrun_then_resync_then_discard_limit() {
        let tree = ElogInstrument::tree();
        let mut inst = ElogInstrument::default();
        let mut session = Session::new();
        let l = limits(64, 256, 1 << 20);
        let mut framer = Framer::new(alloc::vec![0u8; l.max_input]);
        let mut out = Vec::new();
        let mut long = alloc::vec![b'A'; 200];
        long.extend_from_slice(b"\n*IDN?\n");
        let v = dispatch(
            &mut session,
            &mut framer,
            &long,
            &tree,
            &mut inst,
            &mut out,
            &l,
        );
        assert_eq!(v, Verdict::Continue);
        assert!(out.starts_with(b"elog,ELOG,0,"));
        assert_eq!(session.pop_error().map(|e| e.code()), Some(-363));
        // A block header announcing a gigabyte: discarded up to the bound, then closed.
        out.clear();
        let v = dispatch(
            &mut session,
            &mut framer,
            b":ELOG:ITEM #9999999999",
            &tree,
            &mut inst,
            &mut out,
            &l,
        );
        assert_eq!(v, Verdict::Continue);
        let junk = alloc::vec![b'\n'; 400];
        let v = dispatch(
            &mut session,
            &mut framer,
            &junk,
            &tree,
            &mut inst,
            &mut out,
            &l,
        );
        assert_eq!(v, Verdict::InputLimit);
        assert!(out.is_empty());
        assert_eq!(session.pop_error().map(|e| e.code()), Some(-363));
    }

    /// The tail of a FETCh? answer (still in the response stage when the
    /// handler returns) overflowing the bound: no record may be consumed.
    #[test]
    fn a_fetch_refused_at_its_last_bytes_keeps_its_records() {
        use elog_core::{Duration, Instant};
        let tree = ElogInstrument::tree();
        let mut inst = ElogInstrument::default();
        let a = inst.register_channel("AI 1/1", 1000.0).unwrap();
        let mut session = Session::new();
        let mut out = Vec::new();
        session.process(
            &tree,
            b":ELOG:ITEM \"AI 1/1\";:ELOG:TIM ELOG;:ELOG:STAR",
            &mut inst,
            &mut out,
        );
        let samples: Vec<f64> = (0..2001).map(|i| f64::from(i) * 0.37).collect();
        inst.push_batch(a, Instant::ZERO, Duration::from_millis(1), &samples)
            .unwrap();
        // The whole answer, measured on a clone of the instrument.
        let mut probe = inst.clone();
        let mut whole = Vec::new();
        Session::new().process(&tree, b":ELOG:FETC?", &mut probe, &mut whole);
        assert!(whole.len() > 64, "{}", whole.len());
        for short_by in [1usize, 3, 40] {
            let l = limits(1024, 0, whole.len() - short_by);
            let mut framer = Framer::new(alloc::vec![0u8; l.max_input]);
            out.clear();
            let v = dispatch(
                &mut session,
                &mut framer,
                b":ELOG:FETC?\n",
                &tree,
                &mut inst,
                &mut out,
                &l,
            );
            assert_eq!(v, Verdict::OutputLimit, "short by {short_by}");
            assert!(out.is_empty());
            assert_eq!(session.pop_error().map(|e| e.code()), Some(-430));
        }
        // A later unit of the same message overflowing: the whole answer is
        // dropped, so the FETCh? before it gives its records back too.
        let l = limits(1024, 0, whole.len() + 4);
        let mut framer = Framer::new(alloc::vec![0u8; l.max_input]);
        out.clear();
        let v = dispatch(
            &mut session,
            &mut framer,
            b":ELOG:FETC?;*IDN?\n",
            &tree,
            &mut inst,
            &mut out,
            &l,
        );
        assert_eq!(v, Verdict::OutputLimit);
        assert!(out.is_empty());
        assert_eq!(session.pop_error().map(|e| e.code()), Some(-430));
        // Nothing was taken: the next fetch answers every record.
        out.clear();
        session.process(&tree, b":ELOG:FETC?", &mut inst, &mut out);
        assert_eq!(out, whole);
    }

    #[test]
    fn an_answer_beyond_the_output_limit_closes_after_the_earlier_ones() {
        let tree = ElogInstrument::tree();
        let mut inst = ElogInstrument::default();
        let mut session = Session::new();
        let l = limits(1024, 0, 64);
        let mut framer = Framer::new(alloc::vec![0u8; l.max_input]);
        let mut out = Vec::new();
        let v = dispatch(
            &mut session,
            &mut framer,
            b"*OPC?\n*VER?;*VER?\n*OPC?\n",
            &tree,
            &mut inst,
            &mut out,
            &l,
        );
        assert_eq!(v, Verdict::OutputLimit);
        assert_eq!(out, b"1\n");
        assert_eq!(session.pop_error().map(|e| e.code()), Some(-430));
    }
}
