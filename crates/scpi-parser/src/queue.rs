//! The SCPI error/event queue: a fixed-capacity FIFO without heap.

use crate::error::{Error, code};

/// A FIFO of [`Error`]s holding at most `N` entries.
///
/// When full, a push replaces the newest entry with `-350,"Queue overflow"`
/// (SCPI-1999 §21.8.2), so the oldest errors are kept and the loss is visible.
#[derive(Clone, Debug)]
pub struct ErrorQueue<const N: usize = 16> {
    items: [Error; N],
    head: usize,
    len: usize,
}

impl<const N: usize> ErrorQueue<N> {
    const NON_EMPTY: () = assert!(N >= 2, "an error queue needs room for at least 2 entries");

    /// An empty queue.
    pub const fn new() -> Self {
        let () = Self::NON_EMPTY;
        Self {
            items: [Error::new(0); N],
            head: 0,
            len: 0,
        }
    }

    /// Appends an error; returns `false` when the queue was full and the
    /// newest entry became (or stayed) `-350 Queue overflow`.
    pub fn push(&mut self, error: Error) -> bool {
        if self.len < N {
            let idx = (self.head + self.len) % N;
            self.items[idx] = error;
            self.len += 1;
            true
        } else {
            let last = (self.head + N - 1) % N;
            self.items[last] = Error::new(code::QUEUE_OVERFLOW);
            false
        }
    }

    /// Removes and returns the oldest error.
    pub fn pop(&mut self) -> Option<Error> {
        if self.len == 0 {
            return None;
        }
        let e = self.items[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        Some(e)
    }

    /// The oldest error without removing it.
    pub fn peek(&self) -> Option<&Error> {
        (self.len > 0).then(|| &self.items[self.head])
    }

    /// How many errors are queued.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the queue is empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The capacity `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Removes every error.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// The queued errors, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Error> + '_ {
        (0..self.len).map(move |i| &self.items[(self.head + i) % N])
    }
}

impl<const N: usize> Default for ErrorQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_overflow() {
        let mut q = ErrorQueue::<3>::new();
        assert!(q.pop().is_none());
        assert!(q.push(Error::new(-100)));
        assert!(q.push(Error::new(-101)));
        assert!(q.push(Error::new(-102)));
        assert!(!q.push(Error::new(-103)));
        assert!(!q.push(Error::new(-104)));
        assert_eq!(q.len(), 3);
        let codes: [i32; 3] = core::array::from_fn(|_| q.pop().unwrap().code());
        assert_eq!(codes, [-100, -101, -350]);
        assert!(q.is_empty());
        q.push(Error::new(-222));
        assert_eq!(q.peek().unwrap().code(), -222);
        q.clear();
        assert_eq!(q.iter().count(), 0);
    }
}
