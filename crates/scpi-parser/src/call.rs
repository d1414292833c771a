//! What a command handler gets: the [`Call`] (validated arguments, header
//! suffixes, the response writer, the error queue).

use crate::error::Error;
use crate::params::Args;
use crate::response::Response;
use crate::tree::Suffixes;

/// Where a handler's extra errors go (the session's queue and status).
pub(crate) trait ErrorLog {
    fn log(&mut self, e: Error);
}

/// Everything a handler gets: validated arguments, header suffixes, the
/// response writer and the error queue.
pub struct Call<'a> {
    pub(crate) args: &'a Args<'a>,
    pub(crate) suffixes: Suffixes,
    pub(crate) query: bool,
    pub(crate) response: Response<'a>,
    pub(crate) errors: &'a mut dyn ErrorLog,
}

impl<'a> Call<'a> {
    /// The validated parameters, borrowed for the whole unit (not from the
    /// `Call`), so a handler can iterate them while it writes the response or
    /// queues errors.
    #[inline]
    pub fn args(&self) -> &'a Args<'a> {
        self.args
    }

    /// The numeric header suffixes (root first; 1 where left out).
    #[inline]
    pub fn suffixes(&self) -> &Suffixes {
        &self.suffixes
    }

    /// Numeric header suffix `i` (root first; 1 where left out).
    #[inline]
    pub fn suffix(&self, i: usize) -> u32 {
        self.suffixes.get(i)
    }

    /// Whether the header was a query.
    #[inline]
    pub fn is_query(&self) -> bool {
        self.query
    }

    /// The response writer (also a [`Sink`](crate::Sink) for raw bytes).
    #[inline]
    pub fn response(&mut self) -> &mut Response<'a> {
        &mut self.response
    }

    /// Queues an error and keeps going (the handler may still answer).
    #[inline]
    pub fn push_error(&mut self, e: Error) {
        self.errors.log(e);
    }
}

impl core::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Call")
            .field("args", &self.args)
            .field("suffixes", &self.suffixes)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}
