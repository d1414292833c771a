//! The trait an instrument implements to receive dispatched commands.

use crate::call::Call;
use crate::error::Error;

/// The four `*IDN?` fields.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Identity<'a> {
    /// Manufacturer.
    pub manufacturer: &'a str,
    /// Model.
    pub model: &'a str,
    /// Serial number (`0` when there is none).
    pub serial: &'a str,
    /// Firmware or software version.
    pub version: &'a str,
}

/// An instrument: runs its commands and supplies what the built-in IEEE 488.2
/// common commands need.
///
/// One device may be shared by several connections; the per-connection state
/// (error queue, status registers, header mode) lives in a
/// [`Session`](crate::Session) each.
pub trait Device {
    /// What identifies a command in the [`Tree`](crate::Tree), usually a
    /// field-less enum.
    type Command: Copy;

    /// Runs `command` with its validated parameters. `call` gives the
    /// arguments, the response writer and a way to queue extra errors.
    /// An `Err` is queued (the response bytes written so far stay).
    fn execute(&mut self, command: Self::Command, call: &mut Call<'_>) -> Result<(), Error>;

    /// The `*IDN?` fields.
    fn identity(&self) -> Identity<'_>;

    /// `*RST`: return to the reset state. The default does nothing.
    fn reset(&mut self) {}

    /// `*TST?`: run the self-test; 0 means passed. The default passes.
    fn self_test(&mut self) -> i32 {
        0
    }

    /// `*CLS`: clear device-specific event registers. The default does nothing.
    fn clear_status(&mut self) {}

    /// Whether overlapped operations are still running (`*OPC` then sets the
    /// OPC bit only once [`Session::poll_operation_complete`](crate::Session::poll_operation_complete)
    /// sees them done). The default: every command is sequential.
    fn operations_pending(&mut self) -> bool {
        false
    }

    /// `*WAI` and `*OPC?`: wait until overlapped operations are done. The
    /// default does nothing (every command is sequential).
    fn wait(&mut self) {}

    /// Device summary bits of the status byte (QUES bit 3, OPER bit 7, or
    /// bits 0/1); other bits are ignored. The default is 0.
    fn status_summary(&self) -> u8 {
        0
    }

    /// A program message is about to run (before its first unit). With
    /// [`answer_refused`](Self::answer_refused), lets a device whose queries
    /// consume data (a FIFO read, ELOG's `FETCh?`) note where reading stood.
    /// The default does nothing.
    #[inline]
    fn message_started(&mut self) {}

    /// The sink refused this message's answer (an output bound, a full
    /// buffer): the client will not get it whole, and a transport such as
    /// `elog`'s server drops it entirely. A device gives back here what the
    /// message's queries consumed since [`message_started`](Self::message_started),
    /// so it is read again instead of lost. The default does nothing.
    #[inline]
    fn answer_refused(&mut self) {}
}
