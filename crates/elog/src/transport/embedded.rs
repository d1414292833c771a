//! The embedded-io transport (feature `embedded-io`, `no_std`): the
//! instrument served over any [`embedded_io::Read`] + [`embedded_io::Write`]
//! byte stream — a UART, a smoltcp or embassy-net TCP socket — and, with
//! feature `embedded-io-async`, over [`embedded_io_async`] streams.
//!
//! An [`EmbeddedServer`] is one connection: a [`Link`] framing into a fixed
//! `[u8; IN]` buffer (the longest program message), a fixed `[u8; RX]` read
//! buffer, and an answer buffer that is reused and never grows past
//! `max_output` (its capacity stays once reached, so a firmware that sizes
//! `max_output` to its answers allocates it once). Program messages run
//! through the same [`dispatch::dispatch`](crate::dispatch::dispatch) as every
//! other transport. The instrument is borrowed only while one read's
//! messages run, so the firmware keeps owning it between reads.
//!
//! ```
//! use elog::ElogInstrument;
//! use elog::dispatch::ConnectionLimits;
//! use elog::transport::embedded::{EmbeddedServer, Ended};
//!
//! /// A byte pipe standing in for a UART: input queued, output collected.
//! struct Pipe { rx: &'static [u8], tx: Vec<u8> }
//! impl embedded_io::ErrorType for Pipe { type Error = core::convert::Infallible; }
//! impl embedded_io::Read for Pipe {
//!     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//!         let n = buf.len().min(self.rx.len());
//!         buf[..n].copy_from_slice(&self.rx[..n]);
//!         self.rx = &self.rx[n..];
//!         Ok(n)
//!     }
//! }
//! impl embedded_io::Write for Pipe {
//!     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
//!         self.tx.extend_from_slice(buf);
//!         Ok(buf.len())
//!     }
//!     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! }
//!
//! let tree = ElogInstrument::tree();
//! let mut inst = ElogInstrument::default();
//! let mut server: EmbeddedServer<256, 64> = EmbeddedServer::new(ConnectionLimits::default());
//! let mut pipe = Pipe { rx: b"*IDN?\n*OPC?\n", tx: Vec::new() };
//! assert_eq!(server.serve(&mut pipe, &tree, &mut inst), Ok(Ended::Eof));
//! assert!(pipe.tx.starts_with(b"elog,ELOG,") && pipe.tx.ends_with(b"\n1\n"));
//! ```

use alloc::vec::Vec;

use super::Link;
use crate::dispatch::{ConnectionLimits, Verdict};
use crate::instrument::{ElogInstrument, ElogTree};

/// Why serving a stream ended.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Ended {
    /// The peer closed the stream (a read of 0 bytes). Bytes after the last
    /// LF were a cut message and were dropped.
    Eof,
    /// A limit was hit ([`Verdict::InputLimit`] or
    /// [`Verdict::OutputLimit`]); the answers before it were written and
    /// the caller should close the stream.
    Limit(Verdict),
}

/// An I/O error of the stream, or a writer that took no byte.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ServeError<E> {
    /// The stream's own error.
    Io(E),
    /// `write` returned `Ok(0)`: the answer cannot be delivered.
    WriteZero,
}

/// One SCPI connection over an embedded-io stream, with fixed buffers:
/// `IN` bytes for the longest program message, `RX` bytes per read.
#[derive(Clone, Debug)]
pub struct EmbeddedServer<const IN: usize = 1024, const RX: usize = 256> {
    link: Link<[u8; IN]>,
    rx: [u8; RX],
    out: Vec<u8>,
}

impl<const IN: usize, const RX: usize> EmbeddedServer<IN, RX> {
    /// A connection within `limits` (`max_input` is `IN`).
    pub fn new(limits: ConnectionLimits) -> Self {
        Self {
            link: Link::with_buffer([0u8; IN], limits),
            rx: [0u8; RX],
            out: Vec::new(),
        }
    }

    /// The connection's SCPI state.
    pub fn link(&self) -> &Link<[u8; IN]> {
        &self.link
    }

    /// The connection's SCPI state, mutably (device clear, status byte).
    pub fn link_mut(&mut self) -> &mut Link<[u8; IN]> {
        &mut self.link
    }

    /// The read buffer: read into it yourself, then call
    /// [`process`](Self::process) with the count (for streams of your own
    /// shape, e.g. an interrupt-fed ring).
    pub fn rx_buf(&mut self) -> &mut [u8] {
        &mut self.rx
    }

    /// Runs the first `n` bytes of [`rx_buf`](Self::rx_buf) and returns the
    /// verdict and the answers to write (valid until the next call).
    pub fn process(
        &mut self,
        n: usize,
        tree: &ElogTree,
        device: &mut ElogInstrument,
    ) -> (Verdict, &[u8]) {
        self.out.clear();
        let n = n.min(RX);
        let v = self.link.input(&self.rx[..n], tree, device, &mut self.out);
        (v, &self.out)
    }

    /// Serves one read: reads, runs the complete messages, writes their
    /// answers. `Ok(None)` to go on.
    pub fn serve_once<T>(
        &mut self,
        io: &mut T,
        tree: &ElogTree,
        device: &mut ElogInstrument,
    ) -> Result<Option<Ended>, ServeError<T::Error>>
    where
        T: embedded_io::Read + embedded_io::Write,
    {
        let n = io.read(&mut self.rx).map_err(ServeError::Io)?;
        if n == 0 {
            return Ok(Some(Ended::Eof));
        }
        let (v, mut out) = self.process(n, tree, device);
        while !out.is_empty() {
            match io.write(out) {
                Ok(0) => return Err(ServeError::WriteZero),
                Ok(k) => out = &out[k.min(out.len())..],
                Err(e) => return Err(ServeError::Io(e)),
            }
        }
        io.flush().map_err(ServeError::Io)?;
        Ok((v != Verdict::Continue).then_some(Ended::Limit(v)))
    }

    /// Serves until the peer closes the stream or a limit is hit.
    pub fn serve<T>(
        &mut self,
        io: &mut T,
        tree: &ElogTree,
        device: &mut ElogInstrument,
    ) -> Result<Ended, ServeError<T::Error>>
    where
        T: embedded_io::Read + embedded_io::Write,
    {
        loop {
            if let Some(end) = self.serve_once(io, tree, device)? {
                return Ok(end);
            }
        }
    }

    /// [`serve_once`](Self::serve_once) over an async stream (feature
    /// `embedded-io-async`). The instrument is borrowed through `device`
    /// only after the read completed, so other tasks may use it while this
    /// one waits for bytes.
    #[cfg(feature = "embedded-io-async")]
    pub async fn serve_once_async<T, F>(
        &mut self,
        io: &mut T,
        tree: &ElogTree,
        device: F,
    ) -> Result<Option<Ended>, ServeError<T::Error>>
    where
        T: embedded_io_async::Read + embedded_io_async::Write,
        F: FnOnce(&mut dyn FnMut(&mut ElogInstrument)),
    {
        let n = io.read(&mut self.rx).await.map_err(ServeError::Io)?;
        if n == 0 {
            return Ok(Some(Ended::Eof));
        }
        let mut verdict = Verdict::Continue;
        {
            let (link, rx, out) = (&mut self.link, &self.rx, &mut self.out);
            out.clear();
            device(&mut |inst: &mut ElogInstrument| {
                verdict = link.input(&rx[..n], tree, inst, out);
            });
        }
        let mut out: &[u8] = &self.out;
        while !out.is_empty() {
            match io.write(out).await {
                Ok(0) => return Err(ServeError::WriteZero),
                Ok(k) => out = &out[k.min(out.len())..],
                Err(e) => return Err(ServeError::Io(e)),
            }
        }
        io.flush().await.map_err(ServeError::Io)?;
        Ok((verdict != Verdict::Continue).then_some(Ended::Limit(verdict)))
    }

    /// [`serve`](Self::serve) over an async stream (feature
    /// `embedded-io-async`); `device` lends the instrument for each read's
    /// messages (e.g. by locking a mutex).
    #[cfg(feature = "embedded-io-async")]
    pub async fn serve_async<T, F>(
        &mut self,
        io: &mut T,
        tree: &ElogTree,
        mut device: F,
    ) -> Result<Ended, ServeError<T::Error>>
    where
        T: embedded_io_async::Read + embedded_io_async::Write,
        F: FnMut(&mut dyn FnMut(&mut ElogInstrument)),
    {
        loop {
            if let Some(end) = self.serve_once_async(io, tree, &mut device).await? {
                return Ok(end);
            }
        }
    }
}
