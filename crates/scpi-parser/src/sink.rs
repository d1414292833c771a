//! Where formatted bytes go: the one output seam shared by the SCPI response
//! writer and the ELOG record formatter.
//!
//! A [`Sink`] accepts byte slices and either takes all of them or reports
//! [`SinkError`]. Implementations exist for a fixed buffer ([`SliceSink`]),
//! for `Vec<u8>` (feature `alloc`) and for any [`std::io::Write`]
//! ([`IoSink`], feature `std`). Nothing here allocates unless the sink itself
//! is a `Vec`.

use core::fmt;

/// Why a [`Sink`] refused bytes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum SinkError {
    /// A fixed-size sink has no room for the bytes; nothing of them was written.
    Full,
    /// The underlying writer failed (see [`IoSink::take_error`] for the cause).
    Io,
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("output buffer full"),
            Self::Io => f.write_str("output writer failed"),
        }
    }
}

impl core::error::Error for SinkError {}

/// A destination for formatted bytes.
///
/// `write` takes all of `bytes` or none of them (a sink that cannot take the
/// whole slice must return an error and leave its content unchanged).
pub trait Sink {
    /// Appends all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError>;

    /// Appends one byte.
    #[inline]
    fn write_byte(&mut self, byte: u8) -> Result<(), SinkError> {
        self.write(core::slice::from_ref(&byte))
    }

    /// Hints that about `additional` more bytes follow (a `Vec` reserves them).
    #[inline]
    fn reserve(&mut self, additional: usize) {
        let _ = additional;
    }

    /// Makes the final destination accept or refuse everything written so
    /// far, now. A sink that holds bytes back (the SCPI
    /// [`Response`](crate::Response) stages small writes) hands them on
    /// here; the default does nothing, as every `write` already reached its
    /// destination.
    ///
    /// Call it before a side effect that must not happen when the answer is
    /// refused (elog-core consumes fetched records only after it succeeded).
    #[inline]
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        (**self).write(bytes)
    }

    #[inline]
    fn write_byte(&mut self, byte: u8) -> Result<(), SinkError> {
        (**self).write_byte(byte)
    }

    #[inline]
    fn reserve(&mut self, additional: usize) {
        (**self).reserve(additional);
    }

    #[inline]
    fn flush(&mut self) -> Result<(), SinkError> {
        (**self).flush()
    }
}

/// A sink over a caller-provided byte buffer: no heap, fixed capacity.
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// Wraps `buf`; writing starts at its beginning.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// How many bytes were written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets what was written; the buffer is reused from its start.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        let end = self.len.checked_add(bytes.len()).ok_or(SinkError::Full)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(SinkError::Full)?;
        copy_small(dst, bytes);
        self.len = end;
        Ok(())
    }

    #[inline]
    fn write_byte(&mut self, byte: u8) -> Result<(), SinkError> {
        let slot = self.buf.get_mut(self.len).ok_or(SinkError::Full)?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }
}

/// `dst.copy_from_slice(src)` (same lengths), with a few fixed-size,
/// possibly overlapping moves instead of a `memcpy` call for up to 16 bytes
/// (a number or a separator is that short).
#[inline]
pub(crate) fn copy_small(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 16 || dst.len() != n {
        dst.copy_from_slice(src);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    #[inline]
    fn write_byte(&mut self, byte: u8) -> Result<(), SinkError> {
        self.push(byte);
        Ok(())
    }

    #[inline]
    fn reserve(&mut self, additional: usize) {
        alloc::vec::Vec::reserve(self, additional);
    }
}

/// Adapts any [`std::io::Write`] into a [`Sink`]; keeps the first I/O error.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct IoSink<W> {
    inner: W,
    error: Option<std::io::Error>,
}

#[cfg(feature = "std")]
impl<W: std::io::Write> IoSink<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Self {
        Self { inner, error: None }
    }

    /// Takes the I/O error behind the last [`SinkError::Io`], if any.
    pub fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }

    /// Returns the wrapped writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(feature = "std")]
impl<W: std::io::Write> Sink for IoSink<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        self.inner.write_all(bytes).map_err(|e| {
            self.error = Some(e);
            SinkError::Io
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_sink_is_all_or_nothing() {
        let mut buf = [0u8; 4];
        let mut s = SliceSink::new(&mut buf);
        s.write(b"abc").unwrap();
        assert_eq!(s.write(b"de"), Err(SinkError::Full));
        assert_eq!(s.written(), b"abc");
        s.write_byte(b'd').unwrap();
        assert_eq!(s.written(), b"abcd");
        assert_eq!(s.write_byte(b'e'), Err(SinkError::Full));
    }

    #[cfg(feature = "std")]
    #[test]
    fn io_sink_forwards() {
        let mut s = IoSink::new(std::vec::Vec::new());
        s.write(b"xy").unwrap();
        assert_eq!(s.into_inner(), b"xy");
    }
}
