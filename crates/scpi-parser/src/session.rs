//! Per-connection state and message processing: error queue, status
//! registers, header mode; parse → resolve → validate → dispatch.
//!
//! Processing rules (IEEE 488.2 §6.1.6, §7):
//! * Units run in order. Each unit is fully parsed and validated before its
//!   handler runs; a refused unit has no effect.
//! * A command error (`-1xx`: syntax, header, parameter type or count)
//!   stops the rest of the message; an execution error (`-2xx`, e.g. a value
//!   out of range) refuses only its unit and the next unit runs.
//! * Every message starts at the root; `:` resets to the root; after a unit
//!   the path is the parent of its command; common commands keep the path.
//! * Responses of several queries are joined with `;`, and one LF ends them.
//! * A query after `*IDN?` in the same message gives `-440` and is not run.

use crate::call::{Call, ErrorLog};
use crate::device::Device;
use crate::error::{Error, code};
use crate::framer::{Feed, Framer};
use crate::lexer::{Cursor, parse_header};
use crate::params::{Args, Checked, check_params};
use crate::queue::ErrorQueue;
use crate::response::{MAX_PREFIX, MessageState, Response, Stage};
use crate::sink::Sink;
use crate::status::{esr, stb};
use crate::tree::{Builtin, NodeId, Path, Suffixes, Target, Tree};

/// Error queue and the status registers of one connection.
#[derive(Clone, Debug)]
struct Status<const Q: usize> {
    errors: ErrorQueue<Q>,
    esr: u8,
    ese: u8,
    sre: u8,
    /// `:COMMunicate:HEADer` state.
    headers: bool,
    /// `*OPC` armed while overlapped operations run.
    opc_pending: bool,
}

impl<const Q: usize> ErrorLog for Status<Q> {
    fn log(&mut self, e: Error) {
        self.esr |= e.class().esr_bit();
        if e.code() != 0 {
            crate::macros::scpi_debug!("scpi: error {} queued", e.code());
            if !self.errors.push(e) {
                crate::macros::scpi_debug!("scpi: error queue overflow");
            }
        }
    }
}

/// `SYSTem:ERRor?` with an empty queue, as [`Response::error`] writes it.
const NO_ERROR_ANSWER: &[u8] = b"0,\"No error\"";

impl<const Q: usize> Status<Q> {
    /// The status byte as `*STB?` reports it (MAV from `message_available`).
    fn status_byte(&self, device_summary: u8, message_available: bool) -> u8 {
        let mut b = device_summary & (stb::QUES | stb::OPER | 0b11);
        if !self.errors.is_empty() {
            b |= stb::EAV;
        }
        if message_available {
            b |= stb::MAV;
        }
        if self.esr & self.ese != 0 {
            b |= stb::ESB;
        }
        if b & self.sre & !stb::MSS != 0 {
            b |= stb::MSS;
        }
        b
    }

    fn builtin<D: Device + ?Sized>(
        &mut self,
        b: Builtin,
        args: &Args<'_>,
        device: &mut D,
        r: &mut Response<'_>,
    ) -> Result<(), Error> {
        match b {
            Builtin::Cls => {
                self.errors.clear();
                self.esr = 0;
                self.opc_pending = false;
                device.clear_status();
            }
            Builtin::Ese => self.ese = args.i64(0)? as u8,
            Builtin::EseQ => r.nr1(i64::from(self.ese))?,
            Builtin::EsrQ => {
                let v = self.esr;
                self.esr = 0;
                r.nr1(i64::from(v))?;
            }
            Builtin::IdnQ => {
                let id = device.identity();
                for (i, f) in [id.manufacturer, id.model, id.serial, id.version]
                    .into_iter()
                    .enumerate()
                {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.raw(f.as_bytes())?;
                }
            }
            Builtin::Opc => {
                if device.operations_pending() {
                    self.opc_pending = true;
                } else {
                    self.esr |= esr::OPC;
                }
            }
            Builtin::OpcQ => {
                device.wait();
                r.raw(b"1")?;
            }
            Builtin::Rst => {
                self.opc_pending = false;
                device.reset();
            }
            Builtin::Sre => self.sre = (args.i64(0)? as u8) & !stb::MSS,
            Builtin::SreQ => r.nr1(i64::from(self.sre))?,
            Builtin::StbQ => {
                let mav = r.message_has_output();
                let v = self.status_byte(device.status_summary(), mav);
                r.nr1(i64::from(v))?;
            }
            Builtin::TstQ => r.nr1(i64::from(device.self_test()))?,
            Builtin::Wai => device.wait(),
            Builtin::ErrNextQ => {
                match self.errors.pop() {
                    Some(e) => r.error(&e)?,
                    // The usual answer of a poll, without building an `Error`.
                    None => r.raw(NO_ERROR_ANSWER)?,
                }
            }
            Builtin::ErrCountQ => r.nr1(self.errors.len() as i64)?,
            Builtin::ErrAllQ => {
                let mut first = true;
                while let Some(e) = self.errors.pop() {
                    if !first {
                        r.comma()?;
                    }
                    first = false;
                    r.error(&e)?;
                }
                if first {
                    r.error(&Error::new(code::NO_ERROR))?;
                }
            }
            Builtin::VersionQ => r.raw(b"1999.0")?,
            Builtin::HeaderSet => self.headers = args.bool(0)?,
            Builtin::HeaderQ => r.boolean(self.headers)?,
        }
        Ok(())
    }
}

/// The state of one connection (or one controller), separate from the
/// shared [`Device`]: error queue (depth `Q`, at least 2), ESR/ESE/SRE,
/// `*OPC` state and the `:COMMunicate:HEADer` mode.
///
/// ```
/// use scpi_parser::{Call, Device, Error, Identity, Session, Tree};
/// struct Dmm;
/// impl Device for Dmm {
///     type Command = ();
///     fn execute(&mut self, _: (), call: &mut Call<'_>) -> Result<(), Error> {
///         call.response().nr3(1.25)
///     }
///     fn identity(&self) -> Identity<'_> {
///         Identity { manufacturer: "ACME", model: "DMM", serial: "0", version: "1.0" }
///     }
/// }
/// let mut tree = Tree::new();
/// tree.add("MEASure:VOLTage[:DC]?", &[], ()).unwrap();
/// let mut session = Session::new();
/// let mut out = Vec::new();
/// session.process(&tree, b"meas:volt?;*IDN?", &mut Dmm, &mut out);
/// assert_eq!(out, b"1.25E+0;ACME,DMM,0,1.0\n");
/// ```
#[derive(Clone, Debug)]
pub struct Session<const Q: usize = 16> {
    status: Status<Q>,
    /// Response bytes of the unit being run (kept here so that it is not
    /// cleared on every message).
    stage: Stage,
}

impl Session {
    /// A session with an error queue of 16 entries.
    pub fn new() -> Self {
        Self::with_queue()
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl<const Q: usize> Session<Q> {
    /// A session with an error queue of `Q` entries.
    pub fn with_queue() -> Self {
        Self {
            status: Status {
                errors: ErrorQueue::new(),
                esr: 0,
                ese: 0,
                sre: 0,
                headers: false,
                opc_pending: false,
            },
            stage: Stage::new(),
        }
    }

    /// Queues an error and sets its ESR bit (e.g. `-363` from a transport).
    pub fn push_error(&mut self, e: Error) {
        self.status.log(e);
    }

    /// Removes and returns the oldest queued error.
    pub fn pop_error(&mut self) -> Option<Error> {
        self.status.errors.pop()
    }

    /// The error queue.
    pub fn errors(&self) -> &ErrorQueue<Q> {
        &self.status.errors
    }

    /// The standard event status register (not cleared by reading it here).
    pub fn esr(&self) -> u8 {
        self.status.esr
    }

    /// Whether `:COMMunicate:HEADer` is ON.
    pub fn headers(&self) -> bool {
        self.status.headers
    }

    /// Sets the `:COMMunicate:HEADer` mode.
    pub fn set_headers(&mut self, on: bool) {
        self.status.headers = on;
    }

    /// The status byte as `*STB?` reports it (MAV from `message_available`).
    pub fn status_byte(&self, device_summary: u8, message_available: bool) -> u8 {
        self.status.status_byte(device_summary, message_available)
    }

    /// Sets the OPC bit once overlapped operations armed by `*OPC` are done.
    pub fn poll_operation_complete<D: Device + ?Sized>(&mut self, device: &mut D) {
        if self.status.opc_pending && !device.operations_pending() {
            self.status.opc_pending = false;
            self.status.esr |= esr::OPC;
        }
    }

    /// Frames `input` and processes every complete message, writing the
    /// responses to `out`. A message longer than the framer's capacity queues
    /// `-363 Input buffer overrun`.
    pub fn feed<B: AsMut<[u8]>, D: Device + ?Sized, const N: usize>(
        &mut self,
        framer: &mut Framer<B>,
        mut input: &[u8],
        tree: &Tree<D::Command, N>,
        device: &mut D,
        out: &mut dyn Sink,
    ) {
        loop {
            match framer.feed(input) {
                Feed::Consumed => return,
                Feed::Message { message, rest } => {
                    self.process(tree, message, device, out);
                    input = rest;
                }
                Feed::Overrun { rest } => {
                    self.push_error(Error::new(code::INPUT_BUFFER_OVERRUN));
                    input = rest;
                }
            }
        }
    }

    /// Ends the input stream (END): processes the unterminated last message
    /// held by `framer`, if any (a block still short of bytes then gives
    /// `-161`).
    pub fn finish<B: AsMut<[u8]>, D: Device + ?Sized, const N: usize>(
        &mut self,
        framer: &mut Framer<B>,
        tree: &Tree<D::Command, N>,
        device: &mut D,
        out: &mut dyn Sink,
    ) {
        match framer.finish() {
            Feed::Consumed => {}
            Feed::Message { message, .. } => {
                self.process(tree, message, device, out);
            }
            Feed::Overrun { .. } => self.push_error(Error::new(code::INPUT_BUFFER_OVERRUN)),
        }
    }

    /// Processes one program message (terminator already removed) and writes
    /// its response message — joined query answers and one LF — to `out`.
    /// Returns whether a response was written.
    pub fn process<D: Device + ?Sized, const N: usize>(
        &mut self,
        tree: &Tree<D::Command, N>,
        message: &[u8],
        device: &mut D,
        out: &mut dyn Sink,
    ) -> bool {
        let mut state = MessageState::default();
        let mut cur = Cursor::new(message);
        let mut path = Path::default();
        let mut indefinite = false;
        // Filled only when a query answers with its header (HEADer ON).
        let mut prefix: [u8; MAX_PREFIX];
        let mut args = Args::empty();
        let stage = &mut self.stage;
        stage.clear();
        device.message_started();
        loop {
            cur.skip_ws();
            match cur.peek() {
                None => break,
                Some(b';') => {
                    self.status
                        .log(Error::new(code::SYNTAX_ERROR).with_detail("empty message unit"));
                    break;
                }
                Some(_) => {}
            }
            // The previous unit's answer reaches the sink before the next
            // unit runs: a sink that refuses it stops the message here.
            if let Err(e) = stage.flush(out) {
                state.failed = Some(e);
                break;
            }
            // One pass for the usual header; the general path otherwise.
            let direct = match cur.peek() {
                Some(b'*') => None,
                _ => tree.resolve_direct(cur.s, cur.pos, &path),
            };
            let (leaf, node, suffixes, query): (_, Option<NodeId>, Suffixes, bool) = match direct {
                Some((r, query, end)) => {
                    cur.pos = end;
                    path = r.next_path;
                    (r.leaf, Some(r.node), r.suffixes, query)
                }
                None if cur.peek() == Some(b'*')
                    && let Some((leaf, query, end)) = tree.common_direct(cur.s, cur.pos) =>
                {
                    cur.pos = end;
                    (leaf, None, Suffixes::default(), query)
                }
                None => {
                    let header = match parse_header(&mut cur) {
                        Ok(h) => h,
                        Err(e) => {
                            self.status.log(e);
                            break;
                        }
                    };
                    if header.common {
                        match tree.common(header.body, header.query) {
                            Some(l) => (l, None, Suffixes::default(), header.query),
                            None => {
                                self.status.log(
                                    Error::new(code::UNDEFINED_HEADER)
                                        .with_detail_bytes(header.text),
                                );
                                break;
                            }
                        }
                    } else {
                        match tree.resolve(&path, &header) {
                            Ok(r) => {
                                path = r.next_path;
                                (r.leaf, Some(r.node), r.suffixes, header.query)
                            }
                            Err(e) => {
                                self.status.log(e);
                                break;
                            }
                        }
                    }
                }
            };
            // A unit without parameters that takes none needs no validation.
            let checked = if leaf.params.is_empty() && matches!(cur.peek(), None | Some(b';')) {
                args.reset(leaf.params);
                Checked::Ok
            } else {
                check_params(&mut cur, leaf.params, &mut args)
            };
            let header_prefix: &[u8] = match node {
                Some(n) if self.status.headers && query => {
                    prefix = [0u8; MAX_PREFIX];
                    let n = tree.short_header(n, &suffixes, &mut prefix[..MAX_PREFIX - 1]);
                    prefix[n] = b' ';
                    &prefix[..=n]
                }
                _ => &[],
            };
            let (refused, fatal) = match checked {
                Checked::Ok => (None, false),
                Checked::Refused(e) => (Some(e), false),
                Checked::Fatal(e) => (Some(e), true),
            };
            if let Some(e) = refused {
                // A query declared to answer on refusal still gets its line.
                if let (true, false, Some(answer)) = (query, indefinite, leaf.refusal_answer) {
                    let mut response = Response::new(out, stage, &mut state, header_prefix);
                    // A sink failure is recorded in `state` and handled below.
                    let _ = response.raw(answer.as_bytes());
                }
                self.status.log(e);
                if fatal || state.failed.is_some() {
                    break;
                }
            } else if query && indefinite {
                self.status
                    .log(Error::new(code::QUERY_UNTERMINATED_AFTER_INDEFINITE));
            } else {
                let response = Response::new(out, stage, &mut state, header_prefix);
                let result = match leaf.target {
                    Target::Builtin(b) => {
                        indefinite |= b == Builtin::IdnQ;
                        let mut response = response;
                        self.status.builtin(b, &args, device, &mut response)
                    }
                    Target::Device(c) => {
                        let mut call = Call {
                            args: &args,
                            suffixes,
                            query,
                            response,
                            errors: &mut self.status,
                        };
                        device.execute(c, &mut call)
                    }
                };
                if let Err(e) = result {
                    self.status.log(e);
                }
            }
            if state.failed.is_some() {
                break;
            }
            // The parameters end at `;` or the end of the message.
            cur.skip_ws();
            if cur.peek() == Some(b';') {
                cur.pos += 1;
            }
        }
        if state.written
            && state.failed.is_none()
            && let Err(e) = stage.push_terminator(out)
        {
            state.failed = Some(e);
        }
        if let Some(e) = state.failed {
            device.answer_refused();
            // Reported once per message, even when a handler already queued it.
            let last_is_430 = self
                .status
                .errors
                .iter()
                .last()
                .is_some_and(|x| x.code() == code::QUERY_DEADLOCKED);
            if !last_is_430 {
                self.status.log(Error::from(e));
            }
        }
        state.written
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::response::{MessageState, Stage};

    #[test]
    fn no_error_shortcut_is_the_error_answer() {
        let mut out = alloc::vec::Vec::new();
        let mut stage = Stage::new();
        let mut state = MessageState::default();
        let mut r = Response::new(&mut out, &mut stage, &mut state, b"");
        r.error(&Error::new(code::NO_ERROR)).unwrap();
        stage.flush(&mut out).unwrap();
        assert_eq!(out, NO_ERROR_ANSWER);
    }
}
