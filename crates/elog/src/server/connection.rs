//! One client connection of the SCPI socket server: its thread's read,
//! execute, write loop under the deadlines of [`super::deadline`] and the
//! slot of [`super::admission`].

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scpi_parser::{Framer, Session};

use super::admission::{Promotion, Ticket};
use super::deadline::{Expiry, ReadClock, ReadTimeouts, WriteDeadline};
use super::output::Output;
use crate::acquisition::{SharedInstrument, lock};
use crate::dispatch::{self, AnswerBuffer, ConnectionLimits, Verdict};
use crate::instrument::ElogTree;

/// The bytes one `read` takes from the socket.
const READ_CHUNK: usize = 16 * 1024;
/// The most input executed under one hold of the instrument's lock (the
/// answers are written between holds). With 60 clients pipelining queries,
/// a waiter queues behind the other connections' holds: a whole 16 KiB read
/// per hold measured a p99 `*IDN?` latency of 53–58 ms (perf-report
/// `scale`), 2 KiB slices 40–47 ms, 512 B slices 33–38 ms
/// (docs/PERFORMANCE.md). A message longer than a slice still runs whole,
/// in the hold where its LF arrives.
const LOCK_SLICE: usize = 512;

/// Why a connection ended (any transport).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum End {
    /// The client closed (or reset) the connection, or the server shut it
    /// down (stop, eviction).
    Closed,
    /// A read-side limit ran out.
    Expired(Expiry),
    /// An answer did not leave within the write timeout.
    WriteTimeout,
    /// An input or output bound was exceeded.
    Limit(Verdict),
}

/// Logs why connection `id` (a `what`: "connection", "hislip
/// connection", ...) ended.
pub(crate) fn log_end(what: &str, id: u64, end: End) {
    match end {
        End::Closed => elog_log!(info, "{what} {id}: closed"),
        End::Expired(Expiry::Idle) => elog_log!(info, "{what} {id}: idle timeout, closed"),
        End::Expired(Expiry::Message) => {
            elog_log!(warn, "{what} {id}: message deadline passed, closed");
        }
        End::Expired(Expiry::Probation) => {
            elog_log!(
                warn,
                "{what} {id}: refused (full: no slot within its grace)"
            );
        }
        End::WriteTimeout => elog_log!(warn, "{what} {id}: write timeout, closed"),
        End::Limit(v) => elog_log!(warn, "{what} {id}: {v:?}, closed"),
    }
    let _ = (what, id, end);
}

/// Logs what a probationer's promotion attempt gave.
pub(crate) fn log_promotion(what: &str, id: u64, p: Promotion) {
    match p {
        Promotion::Evicted(victim) => elog_log!(
            warn,
            "{what} {victim}: evicted (full; longest without a complete message) for {what} {id}"
        ),
        Promotion::Free => elog_log!(debug, "{what} {id}: took a free slot"),
        Promotion::Member | Promotion::Waiting => {}
    }
    let _ = (what, id);
}

/// One client connection: its socket and its own SCPI session.
pub(crate) struct Connection {
    pub(crate) ticket: Ticket,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) stream: TcpStream,
    pub(crate) instrument: SharedInstrument,
    pub(crate) tree: Arc<ElogTree>,
    pub(crate) limits: ConnectionLimits,
    pub(crate) read_timeouts: ReadTimeouts,
    pub(crate) write_timeout: Option<Duration>,
    /// Complete messages executed since the last progress report.
    pub(crate) messages: usize,
    /// Whether the connection ever completed a message.
    pub(crate) talked: bool,
}

impl Connection {
    pub(crate) fn serve(mut self) {
        let _ = self.stream.set_nodelay(true);
        let end = self.run();
        log_end("connection", self.ticket.id(), end);
        let _ = self.stream.shutdown(Shutdown::Both);
        let _ = self.peer;
    }

    fn run(&mut self) -> End {
        let mut clock = ReadClock::new(self.read_timeouts, Instant::now());
        clock.set_probation(self.ticket.probation_deadline());
        let mut framer = Framer::new(vec![0u8; self.limits.max_input]);
        let mut session: Session = Session::new();
        let mut input = vec![0u8; READ_CHUNK];
        let mut out = Output::new(self.limits.max_output);
        loop {
            let now = Instant::now();
            let wait = match clock.next() {
                Some((deadline, why)) if deadline <= now => {
                    if why == Expiry::Probation && self.promote_at_deadline() != Promotion::Waiting
                    {
                        clock.set_probation(None);
                        continue;
                    }
                    return End::Expired(why);
                }
                Some((deadline, _)) => Some((deadline - now).max(Duration::from_millis(1))),
                None => None,
            };
            if self.stream.set_read_timeout(wait).is_err() {
                return End::Closed;
            }
            let n = match self.stream.read(&mut input) {
                // End of input. LF ends a program message; bytes after the
                // last LF are a cut message and are dropped, never executed
                // in part (a cut `:ELOG:PER 10` must not set 1 s).
                Ok(0) => return End::Closed,
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(_) => return End::Closed, // reset, shutdown
            };
            for slice in input[..n].chunks(LOCK_SLICE) {
                if let Err(end) = self.execute(slice, &mut session, &mut framer, &mut out) {
                    return end;
                }
            }
            clock.bytes(Instant::now(), framer.pending() > 0);
            if self.messages > 0 {
                self.messages = 0;
                self.talked = true;
                if self.completed() != Promotion::Waiting {
                    clock.set_probation(None);
                }
            }
        }
    }

    /// Executes one slice of input under the instrument's lock and writes
    /// its answers after releasing it.
    fn execute(
        &mut self,
        slice: &[u8],
        session: &mut Session,
        framer: &mut Framer<Vec<u8>>,
        out: &mut Output,
    ) -> Result<(), End> {
        let verdict = {
            let mut inst = lock(&self.instrument);
            dispatch::dispatch_counting(
                session,
                framer,
                slice,
                &self.tree,
                &mut *inst,
                out,
                &self.limits,
                &mut self.messages,
            )
        };
        if !out.is_empty() {
            // The answers before an offending message still go out.
            let written = self.write_answer(out.bytes());
            // A large answer's memory goes back to the system here.
            out.clear();
            written?;
        }
        match verdict {
            Verdict::Continue => Ok(()),
            v => Err(End::Limit(v)),
        }
    }

    fn completed(&self) -> Promotion {
        let p = self.ticket.completed();
        self.log_promotion(p);
        p
    }

    /// At the end of its grace a probationer that completed a message may
    /// still evict; one that never did only takes a free slot.
    fn promote_at_deadline(&self) -> Promotion {
        let p = self.ticket.promote(self.talked);
        self.log_promotion(p);
        p
    }

    fn log_promotion(&self, p: Promotion) {
        log_promotion("connection", self.ticket.id(), p);
    }

    /// Writes `out` entirely, within one write deadline for the whole of it.
    fn write_answer(&mut self, mut out: &[u8]) -> Result<(), End> {
        let deadline = WriteDeadline::start(Instant::now(), self.write_timeout);
        while !out.is_empty() {
            let wait = deadline
                .remaining(Instant::now())
                .map_err(|_| End::WriteTimeout)?;
            if self.stream.set_write_timeout(wait).is_err() {
                return Err(End::Closed);
            }
            match self.stream.write(out) {
                Ok(0) => return Err(End::Closed),
                Ok(n) => out = &out[n..],
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Err(End::Closed),
            }
        }
        Ok(())
    }
}
