//! The transport seam: "bytes in → answers out" for one connection, and the
//! transports built on it (HiSLIP, VXI-11, embedded-io), each behind its own
//! cargo feature.
//!
//! Every transport moves bytes between its wire format and one [`Link`] per
//! client. A [`Link`] holds what a connection owns — its
//! [`Session`] (error queue, status registers, header
//! mode) and its [`Framer`] — and runs the bytes through
//! [`dispatch::dispatch`], the same bounded
//! framing-and-execution step the raw socket server uses. There is no second
//! parser and no copy of the command handling: a transport only adds what its
//! protocol has beyond a byte stream (END, device clear, the status byte).
//!
//! | feature | module | what |
//! |---|---|---|
//! | `hislip` | `hislip` | HiSLIP 2.0 server (IVI-6.1), VISA `TCPIP::host::hislip0::INSTR` |
//! | `vxi11` | `vxi11` | VXI-11 server (ONC RPC), VISA `TCPIP::host::inst0::INSTR` |
//! | `embedded-io` | `embedded` | any `embedded_io` (and `embedded_io_async`) byte stream, `no_std` |
//!
//! ```
//! use elog::ElogInstrument;
//! use elog::dispatch::{ConnectionLimits, Verdict};
//! use elog::transport::Link;
//!
//! let tree = ElogInstrument::tree();
//! let mut inst = ElogInstrument::default();
//! let mut link = Link::new(ConnectionLimits::default());
//! let mut out = Vec::new();
//! // A message cut across two reads, the second one ended by END (no LF).
//! assert_eq!(link.input(b"*ID", &tree, &mut inst, &mut out), Verdict::Continue);
//! assert_eq!(link.input(b"N?", &tree, &mut inst, &mut out), Verdict::Continue);
//! assert!(out.is_empty());
//! assert_eq!(link.end(&tree, &mut inst, &mut out), Verdict::Continue);
//! assert!(out.starts_with(b"elog,ELOG,"));
//! assert_eq!(link.status_byte(&inst, false), 0);
//! ```

use alloc::vec::Vec;

use scpi_parser::{Device, Framer, Session};

use crate::dispatch::{self, AnswerBuffer, BoundedOutput, ConnectionLimits, Verdict};
use crate::instrument::{ElogInstrument, ElogTree};

#[cfg(feature = "embedded-io")]
pub mod embedded;
#[cfg(feature = "hislip")]
pub mod hislip;
#[cfg(any(feature = "hislip", feature = "vxi11"))]
mod lock;
#[cfg(any(feature = "hislip", feature = "vxi11"))]
mod net;
#[cfg(feature = "vxi11")]
pub mod vxi11;

#[cfg(any(feature = "hislip", feature = "vxi11"))]
pub use net::TransportHandle;

/// One client's SCPI state on top of [`dispatch::dispatch`]: its session and
/// its framer, bounded by its [`ConnectionLimits`].
///
/// `B` is the framer's buffer: a `Vec<u8>` of `max_input` bytes
/// ([`Link::new`]) or any fixed buffer ([`Link::with_buffer`], `no_std`
/// hosts).
#[derive(Clone, Debug)]
pub struct Link<B = Vec<u8>> {
    session: Session,
    framer: Framer<B>,
    limits: ConnectionLimits,
}

impl Link<Vec<u8>> {
    /// A link whose framer holds `limits.max_input` bytes.
    pub fn new(limits: ConnectionLimits) -> Self {
        Self::with_buffer(alloc::vec![0u8; limits.max_input], limits)
    }
}

impl<B: AsMut<[u8]>> Link<B> {
    /// A link framing into `buf`; `limits.max_input` is set to its length.
    pub fn with_buffer(mut buf: B, mut limits: ConnectionLimits) -> Self {
        limits.max_input = buf.as_mut().len();
        Self {
            session: Session::new(),
            framer: Framer::new(buf),
            limits,
        }
    }

    /// The bounds this link runs with.
    pub fn limits(&self) -> &ConnectionLimits {
        &self.limits
    }

    /// The connection's SCPI session (error queue, status registers).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The connection's SCPI session, mutably.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// Whether part of a program message is held, waiting for its LF or END.
    pub fn pending(&self) -> usize {
        self.framer.pending()
    }

    /// Frames `bytes` and executes every complete program message against
    /// `device`, appending the answers to `out` (which, with what it already
    /// holds, stays within `max_output`; any [`AnswerBuffer`]). See [`dispatch::dispatch`].
    pub fn input<O: AnswerBuffer + ?Sized>(
        &mut self,
        bytes: &[u8],
        tree: &ElogTree,
        device: &mut ElogInstrument,
        out: &mut O,
    ) -> Verdict {
        dispatch::dispatch(
            &mut self.session,
            &mut self.framer,
            bytes,
            tree,
            device,
            out,
            &self.limits,
        )
    }

    /// END (HiSLIP `DataEnd`, the VXI-11 END flag): the held, unterminated
    /// message, if any, is complete and runs now (a block still short of
    /// bytes gives `-161`).
    pub fn end<O: AnswerBuffer + ?Sized>(
        &mut self,
        tree: &ElogTree,
        device: &mut ElogInstrument,
        out: &mut O,
    ) -> Verdict {
        if self.framer.pending() == 0 {
            return Verdict::Continue;
        }
        let mark = out.len();
        let mut sink = BoundedOutput::new(out, self.limits.max_output);
        self.session
            .finish(&mut self.framer, tree, device, &mut sink);
        if sink.overflowed() {
            out.truncate(mark);
            return Verdict::OutputLimit;
        }
        Verdict::Continue
    }

    /// Device clear (IEEE 488.2 DCL/SDC, HiSLIP device clear, VXI-11
    /// `device_clear`): the held partial message is dropped. The error queue
    /// and status registers stay (IEEE 488.2 §5.8); the transport drops its
    /// unread answers.
    pub fn clear(&mut self) {
        self.framer.reset();
    }

    /// The status byte as `*STB?` would answer it, with MAV from
    /// `message_available` (the transport knows whether an answer is unread).
    pub fn status_byte(&self, device: &ElogInstrument, message_available: bool) -> u8 {
        self.session
            .status_byte(device.status_summary(), message_available)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_runs_the_held_message_and_clear_drops_it() {
        let tree = ElogInstrument::tree();
        let mut inst = ElogInstrument::default();
        let mut link = Link::with_buffer([0u8; 128], ConnectionLimits::default());
        assert_eq!(link.limits().max_input, 128);
        let mut out = Vec::new();
        // END with nothing held does nothing.
        assert_eq!(link.end(&tree, &mut inst, &mut out), Verdict::Continue);
        assert!(out.is_empty());
        // A block cut short by END: -161, nothing runs.
        link.input(b":ELOG:ITEM #15ab", &tree, &mut inst, &mut out);
        assert!(link.pending() > 0);
        link.end(&tree, &mut inst, &mut out);
        assert_eq!(link.pending(), 0);
        assert_eq!(link.session_mut().pop_error().map(|e| e.code()), Some(-161));
        // Device clear drops the held part: the next message starts clean.
        link.input(b":NOPE;*ID", &tree, &mut inst, &mut out);
        link.clear();
        link.input(b"*OPC?\n", &tree, &mut inst, &mut out);
        assert_eq!(out, b"1\n");
        assert!(link.session().errors().is_empty());
        // An answer beyond max_output at END: refused, -430.
        let small = ConnectionLimits {
            max_output: 4,
            ..ConnectionLimits::default()
        };
        let mut link = Link::new(small);
        out.clear();
        link.input(b"*IDN?", &tree, &mut inst, &mut out);
        assert_eq!(link.end(&tree, &mut inst, &mut out), Verdict::OutputLimit);
        assert!(out.is_empty());
        assert_eq!(link.session_mut().pop_error().map(|e| e.code()), Some(-430));
        assert_eq!(link.status_byte(&inst, true) & 0x10, 0x10);
    }
}
