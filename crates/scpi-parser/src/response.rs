//! The response writer: typed response data straight into a [`Sink`].
//!
//! Several query responses of one program message are joined with `;`; the
//! session ends the response message with one LF. With `:COMMunicate:HEADer
//! ON`, each query answer starts with its short-form header and a space. Both
//! are written lazily, just before a unit's first byte, so a query that writes
//! nothing leaves no trace.

use crate::error::Error;
use crate::number;
use crate::sink::{Sink, SinkError, copy_small};

/// The longest response header prefix kept (`:AAAA:BBBB… `).
pub(crate) const MAX_PREFIX: usize = 96;

/// Writes response data of one message unit.
///
/// `Response` is itself a [`Sink`], so a formatter can write raw bytes into it
/// (e.g. a pre-formatted list of NR3 values or a binary block).
pub struct Response<'a> {
    out: &'a mut dyn Sink,
    stage: &'a mut Stage,
    state: &'a mut MessageState,
    prefix: &'a [u8],
    unit_written: bool,
}

/// Per-message response bookkeeping.
#[derive(Debug, Default)]
pub(crate) struct MessageState {
    /// Something was written in this message (so the next unit needs `;`).
    pub(crate) written: bool,
    /// The sink refused bytes.
    pub(crate) failed: Option<SinkError>,
}

/// Bytes of the stage: a typical answer fits, and one `write` of the sink
/// takes it.
pub(crate) const STAGE: usize = 256;

/// Response bytes on their way to the sink.
///
/// Answers are written in many small pieces (a separator, a number, a
/// word); each would be a call through `dyn Sink` and, for a `Vec`, a
/// `memcpy` call. The stage turns them into plain stores into a fixed
/// buffer; the sink gets one `write` per unit (and one per [`STAGE`] bytes of
/// a long answer). The session empties it after every unit, so a sink that
/// refuses bytes still stops the message before its next unit runs.
#[derive(Clone, Debug)]
pub(crate) struct Stage {
    buf: [u8; STAGE],
    len: usize,
}

impl Stage {
    pub(crate) const fn new() -> Self {
        Self {
            buf: [0; STAGE],
            len: 0,
        }
    }

    /// Lets `write` put up to `N` bytes straight into the stage (it returns
    /// how many it wrote); `false`, and nothing written, when the stage has
    /// no room for `N`.
    #[inline]
    fn place<const N: usize>(&mut self, write: impl FnOnce(&mut [u8; N]) -> usize) -> bool {
        let Some(room) = self
            .buf
            .get_mut(self.len..self.len + N)
            .and_then(|b| <&mut [u8; N]>::try_from(b).ok())
        else {
            return false;
        };
        self.len += write(room).min(N);
        true
    }

    /// Forgets staged bytes (of a message that stopped).
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    #[inline]
    fn push(&mut self, out: &mut dyn Sink, bytes: &[u8]) -> Result<(), SinkError> {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                copy_small(dst, bytes);
                self.len = end;
                Ok(())
            }
            None => self.push_spill(out, bytes),
        }
    }

    #[inline]
    fn push_byte(&mut self, out: &mut dyn Sink, byte: u8) -> Result<(), SinkError> {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
                Ok(())
            }
            None => self.push_spill(out, core::slice::from_ref(&byte)),
        }
    }

    /// The stage is full: hand it to the sink, then stage `bytes` (or pass
    /// them straight on when they alone would fill it).
    #[inline(never)]
    fn push_spill(&mut self, out: &mut dyn Sink, bytes: &[u8]) -> Result<(), SinkError> {
        self.flush(out)?;
        if bytes.len() >= STAGE {
            return out.write(bytes);
        }
        self.buf[..bytes.len()].copy_from_slice(bytes);
        self.len = bytes.len();
        Ok(())
    }

    /// Ends the response message: the LF, and everything to the sink.
    #[inline]
    pub(crate) fn push_terminator(&mut self, out: &mut dyn Sink) -> Result<(), SinkError> {
        self.push_byte(out, b'\n')?;
        self.flush(out)
    }

    /// Hands the staged bytes to the sink.
    #[inline]
    pub(crate) fn flush(&mut self, out: &mut dyn Sink) -> Result<(), SinkError> {
        let n = core::mem::take(&mut self.len);
        if n == 0 {
            return Ok(());
        }
        out.write(&self.buf[..n])
    }
}

impl<'a> Response<'a> {
    pub(crate) fn new(
        out: &'a mut dyn Sink,
        stage: &'a mut Stage,
        state: &'a mut MessageState,
        prefix: &'a [u8],
    ) -> Self {
        Self {
            out,
            stage,
            state,
            prefix,
            unit_written: false,
        }
    }

    /// Whether this unit has written anything yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        !self.unit_written
    }

    /// Whether this message already has response bytes (MAV for `*STB?`).
    pub(crate) fn message_has_output(&self) -> bool {
        self.state.written
    }

    /// Writes the `;` and the header prefix before a unit's first byte.
    #[inline]
    fn start(&mut self) -> Result<(), SinkError> {
        if self.unit_written && self.state.failed.is_none() {
            return Ok(());
        }
        self.start_unit()
    }

    #[cold]
    fn start_unit(&mut self) -> Result<(), SinkError> {
        if let Some(e) = self.state.failed {
            return Err(e);
        }
        if !self.unit_written {
            if self.state.written {
                self.stage
                    .push_byte(self.out, b';')
                    .map_err(|e| self.fail(e))?;
            }
            if !self.prefix.is_empty() {
                self.stage
                    .push(self.out, self.prefix)
                    .map_err(|e| self.fail(e))?;
            }
            self.unit_written = true;
            self.state.written = true;
        }
        Ok(())
    }

    #[cold]
    fn fail(&mut self, e: SinkError) -> SinkError {
        self.state.failed.get_or_insert(e);
        e
    }

    /// Raw bytes, written as they are.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        Ok(self.write(bytes)?)
    }

    /// A `,` between list items.
    #[inline]
    pub fn comma(&mut self) -> Result<(), Error> {
        Ok(self.write_byte(b',')?)
    }

    /// An integer as NR1.
    #[inline]
    pub fn nr1(&mut self, v: i64) -> Result<(), Error> {
        Ok(number::write_nr1(self, v)?)
    }

    /// An unsigned integer as NR1.
    #[inline]
    pub fn nr1_u64(&mut self, v: u64) -> Result<(), Error> {
        Ok(number::write_nr1_u64(self, v)?)
    }

    /// A number as NR2 (shortest round-trip digits, no exponent).
    #[inline]
    pub fn nr2(&mut self, v: f64) -> Result<(), Error> {
        Ok(number::write_nr2_f64(self, v)?)
    }

    /// A number as NR3 (shortest round-trip digits of the `f64`).
    #[inline]
    pub fn nr3(&mut self, v: f64) -> Result<(), Error> {
        Ok(number::write_nr3_f64(self, v)?)
    }

    /// An `f32` as NR3 (shortest round-trip digits of the `f32`).
    #[inline]
    pub fn nr3_f32(&mut self, v: f32) -> Result<(), Error> {
        self.start()?;
        // Formatted in place when the stage has room (no copy).
        if self.stage.place(|b| number::format_nr3_f32(v, b)) {
            return Ok(());
        }
        Ok(number::write_nr3_f32(self, v)?)
    }

    /// A boolean as `1` or `0`.
    #[inline]
    pub fn boolean(&mut self, v: bool) -> Result<(), Error> {
        self.raw(if v { b"1" } else { b"0" })
    }

    /// Character data (`RUNNING`), written as it is.
    #[inline]
    pub fn chars(&mut self, word: &str) -> Result<(), Error> {
        self.raw(word.as_bytes())
    }

    /// String response data: `"…"` with inner `"` doubled.
    pub fn string(&mut self, s: &str) -> Result<(), Error> {
        self.string_bytes(s.as_bytes())
    }

    /// String response data from bytes: `"…"` with inner `"` doubled.
    pub fn string_bytes(&mut self, s: &[u8]) -> Result<(), Error> {
        self.write_byte(b'"')?;
        let mut rest = s;
        while let Some(p) = rest.iter().position(|&b| b == b'"') {
            self.write(&rest[..=p])?;
            self.write_byte(b'"')?;
            rest = &rest[p + 1..];
        }
        self.write(rest)?;
        Ok(self.write_byte(b'"')?)
    }

    /// The header of a definite-length block holding `len` bytes
    /// (`#<d><len>`); the caller writes the bytes next.
    pub fn block_header(&mut self, len: usize) -> Result<(), Error> {
        let mut digits = [0u8; 20];
        let mut k = digits.len();
        let mut v = len;
        loop {
            k -= 1;
            digits[k] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let n = digits.len() - k;
        if n > 9 {
            return Err(Error::new(crate::error::code::TOO_MUCH_DATA)
                .with_detail("block longer than 999999999 bytes"));
        }
        self.write_byte(b'#')?;
        self.write_byte(b'0' + n as u8)?;
        Ok(self.write(&digits[k..])?)
    }

    /// A definite-length block `#<d><len><bytes>`.
    pub fn block(&mut self, data: &[u8]) -> Result<(), Error> {
        self.block_header(data.len())?;
        Ok(self.write(data)?)
    }

    /// An error in the queue format `<code>,"<text>[;<detail>]"`.
    pub fn error(&mut self, e: &Error) -> Result<(), Error> {
        self.nr1(i64::from(e.code()))?;
        self.write(b",\"")?;
        let text = e.text();
        let detail = e.detail();
        quote_inner(self, text.as_bytes())?;
        if !detail.is_empty() {
            self.write_byte(b';')?;
            quote_inner(self, detail.as_bytes())?;
        }
        Ok(self.write_byte(b'"')?)
    }
}

fn quote_inner(r: &mut Response<'_>, s: &[u8]) -> Result<(), SinkError> {
    let mut rest = s;
    while let Some(p) = rest.iter().position(|&b| b == b'"') {
        r.write(&rest[..=p])?;
        r.write_byte(b'"')?;
        rest = &rest[p + 1..];
    }
    r.write(rest)
}

impl Sink for Response<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        self.start()?;
        self.stage.push(self.out, bytes).map_err(|e| self.fail(e))
    }

    #[inline]
    fn write_byte(&mut self, byte: u8) -> Result<(), SinkError> {
        self.start()?;
        self.stage
            .push_byte(self.out, byte)
            .map_err(|e| self.fail(e))
    }

    fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    /// Hands the staged bytes to the session's sink now (see [`Sink::flush`]).
    fn flush(&mut self) -> Result<(), SinkError> {
        self.start()?;
        self.stage.flush(self.out).map_err(|e| self.fail(e))
    }
}

impl core::fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Response")
            .field("unit_written", &self.unit_written)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn joins_and_quotes() {
        let mut out = Vec::new();
        let mut stage = Stage::new();
        let mut st = MessageState::default();
        {
            let mut r = Response::new(&mut out, &mut stage, &mut st, b"");
            r.string("a\"b").unwrap();
            r.comma().unwrap();
            r.nr3_f32(1.5).unwrap();
        }
        {
            let r = Response::new(&mut out, &mut stage, &mut st, b":X ");
            assert!(r.is_empty());
        }
        {
            let mut r = Response::new(&mut out, &mut stage, &mut st, b":ELOG:STAT ");
            r.chars("RUNNING").unwrap();
            r.comma().unwrap();
            r.block(b"ab\n").unwrap();
            r.comma().unwrap();
            r.boolean(true).unwrap();
            r.comma().unwrap();
            r.nr2(f64::NAN).unwrap();
            r.comma().unwrap();
            r.error(&Error::new(-224).with_detail("\"x\"")).unwrap();
        }
        stage.flush(&mut out).unwrap();
        assert_eq!(
            out,
            b"\"a\"\"b\",1.5E+0;:ELOG:STAT RUNNING,#13ab\n,1,9.91E+37,-224,\"Illegal parameter value;\"\"x\"\"\""
        );
    }

    #[test]
    fn full_sink_is_reported() {
        let mut buf = [0u8; 4];
        let mut sink = crate::sink::SliceSink::new(&mut buf);
        let mut stage = Stage::new();
        let mut st = MessageState::default();
        let mut r = Response::new(&mut sink, &mut stage, &mut st, b"");
        r.raw(b"abc").unwrap();
        r.raw(b"de").unwrap(); // staged: the sink sees it at the end of the unit
        assert!(stage.flush(&mut sink).is_err());
        // An answer longer than the stage reaches the sink while it is written.
        let mut r = Response::new(&mut sink, &mut stage, &mut st, b"");
        assert_eq!(r.raw(&[b'x'; STAGE + 1]).unwrap_err().code(), -430);
        assert_eq!(r.raw(b"d").unwrap_err().code(), -430);
        assert!(st.failed.is_some());
    }
}
