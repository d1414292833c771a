//! The time limits of one connection, as deadlines (transport-neutral: a
//! connection loop asks [`ReadClock::next`] how long it may block in a read,
//! and [`WriteDeadline`] how long it may block in a write).
//!
//! * **Idle**: no byte at all for `idle` closes the connection.
//! * **Message**: once the first byte of a program message arrived, the
//!   message must be complete (its LF) within `message`; trickling one byte
//!   at a time does not extend it.
//! * **Probation** (see [`super::admission`]): a probationer must have a
//!   member slot by the end of its grace.
//! * **Write**: an answer must have left entirely within `write` from the
//!   moment it was ready; each `send()` that moves a few bytes does *not*
//!   restart the wait (one deadline per answer).

use std::time::{Duration, Instant};

/// The default idle timeout: a connection silent for an hour is closed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(3600);
/// The default write timeout: an answer that has not entirely left 30 s
/// after it was ready closes its connection.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The default message timeout: a program message must be complete 10 s
/// after its first byte.
pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which limit ran out.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Expiry {
    /// No byte for the idle timeout.
    Idle,
    /// A message started and not finished within the message timeout.
    Message,
    /// A probationer's grace ended.
    Probation,
}

/// The read-side timeouts (`None`: never).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct ReadTimeouts {
    /// See [`Expiry::Idle`].
    pub idle: Option<Duration>,
    /// See [`Expiry::Message`].
    pub message: Option<Duration>,
}

/// A connection's read-side clock.
#[derive(Clone, Copy, Debug)]
pub struct ReadClock {
    timeouts: ReadTimeouts,
    last_byte: Instant,
    message_started: Option<Instant>,
    probation: Option<Instant>,
}

impl ReadClock {
    /// A clock started at `now` (the accept).
    pub fn new(timeouts: ReadTimeouts, now: Instant) -> Self {
        Self {
            timeouts,
            last_byte: now,
            message_started: None,
            probation: None,
        }
    }

    /// Sets (or clears) the probation deadline.
    pub fn set_probation(&mut self, deadline: Option<Instant>) {
        self.probation = deadline;
    }

    /// Records bytes read at `now`; `pending` tells whether a message is
    /// left unfinished after them.
    pub fn bytes(&mut self, now: Instant, pending: bool) {
        self.last_byte = now;
        self.message_started = match (pending, self.message_started) {
            (false, _) => None,
            (true, Some(t)) => Some(t),
            (true, None) => Some(now),
        };
    }

    /// The earliest deadline and what it is, if any.
    pub fn next(&self) -> Option<(Instant, Expiry)> {
        let idle = self
            .timeouts
            .idle
            .map(|d| (self.last_byte + d, Expiry::Idle));
        let message = self
            .message_started
            .zip(self.timeouts.message)
            .map(|(t, d)| (t + d, Expiry::Message));
        let probation = self.probation.map(|t| (t, Expiry::Probation));
        [idle, message, probation]
            .into_iter()
            .flatten()
            .min_by_key(|(t, _)| *t)
    }
}

/// The write deadline has passed.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Overdue;

/// One answer's write deadline.
#[derive(Clone, Copy, Debug)]
pub struct WriteDeadline(Option<Instant>);

impl WriteDeadline {
    /// The answer is ready at `now`; it must have left by `now + timeout`.
    pub fn start(now: Instant, timeout: Option<Duration>) -> Self {
        Self(timeout.map(|t| now + t))
    }

    /// How long the next write may block (`Ok(None)`: without limit).
    pub fn remaining(&self, now: Instant) -> Result<Option<Duration>, Overdue> {
        match self.0 {
            None => Ok(None),
            Some(d) if d > now => Ok(Some(d - now)),
            Some(_) => Err(Overdue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickled_message_keeps_its_first_deadline() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut c = ReadClock::new(
            ReadTimeouts {
                idle: Some(100 * s),
                message: Some(10 * s),
            },
            t0,
        );
        assert_eq!(c.next(), Some((t0 + 100 * s, Expiry::Idle)));
        c.bytes(t0 + s, true);
        c.bytes(t0 + 5 * s, true);
        assert_eq!(c.next(), Some((t0 + 11 * s, Expiry::Message)));
        c.bytes(t0 + 6 * s, false);
        assert_eq!(c.next(), Some((t0 + 106 * s, Expiry::Idle)));
        c.set_probation(Some(t0 + 2 * s));
        assert_eq!(c.next(), Some((t0 + 2 * s, Expiry::Probation)));
    }

    #[test]
    fn one_write_deadline_per_answer() {
        let t0 = Instant::now();
        let w = WriteDeadline::start(t0, Some(Duration::from_secs(3)));
        assert_eq!(
            w.remaining(t0 + Duration::from_secs(1)),
            Ok(Some(Duration::from_secs(2)))
        );
        assert_eq!(w.remaining(t0 + Duration::from_secs(3)), Err(Overdue));
        assert_eq!(WriteDeadline::start(t0, None).remaining(t0), Ok(None));
    }
}
