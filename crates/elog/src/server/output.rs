//! A connection's answer buffer, which gives large answers' memory back to
//! the operating system as soon as they have left.
//!
//! Answers up to [`KEPT_OUTPUT`] bytes go into a small heap buffer that the
//! connection keeps. A larger answer moves into an anonymous memory mapping
//! (`memmap2`, reserved at the connection's `max_output`: address space
//! only, pages become resident as they are written) that is unmapped once
//! the answer is written. Freeing a heap buffer is not enough: glibc keeps
//! freed memory of per-thread arenas resident (and raises its mmap
//! threshold after each large free), which measured ~1.4 MiB kept per idle
//! connection that once sent a 1.3 MB answer (`tests/reliability_memory.rs`).

use memmap2::MmapMut;

use crate::dispatch::AnswerBuffer;

/// The answer bytes a connection keeps allocated between answers.
pub const KEPT_OUTPUT: usize = 64 * 1024;

/// The answer buffer (see the module docs).
#[derive(Debug)]
pub(crate) struct Output {
    small: Vec<u8>,
    /// A large answer: the mapping and the bytes used.
    large: Option<(MmapMut, usize)>,
    /// The size of a mapping: the connection's `max_output`.
    reserve: usize,
}

impl Output {
    pub(crate) fn new(max_output: usize) -> Self {
        Self {
            small: Vec::new(),
            large: None,
            reserve: max_output,
        }
    }

    /// The bytes to write.
    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.large {
            Some((map, len)) => &map[..*len],
            None => &self.small,
        }
    }

    /// Empties the buffer, giving a large answer's memory back.
    pub(crate) fn clear(&mut self) {
        self.large = None;
        self.small.clear();
        if self.small.capacity() > KEPT_OUTPUT {
            self.small = Vec::new();
        }
    }

    /// Moves to a mapping when `extra` more bytes would pass the kept size.
    fn spill(&mut self, extra: usize) {
        if self.large.is_some() || self.small.len().saturating_add(extra) <= KEPT_OUTPUT {
            return;
        }
        let size = self.reserve.max(self.small.len().saturating_add(extra));
        // No mapping (address space exhausted): stay on the heap.
        if let Ok(mut map) = MmapMut::map_anon(size) {
            let len = self.small.len();
            map[..len].copy_from_slice(&self.small);
            self.small = Vec::new();
            self.large = Some((map, len));
        }
    }
}

impl AnswerBuffer for Output {
    fn len(&self) -> usize {
        self.bytes().len()
    }

    fn truncate(&mut self, len: usize) {
        match &mut self.large {
            Some((_, used)) => *used = (*used).min(len),
            None => self.small.truncate(len),
        }
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.spill(bytes.len());
        match &mut self.large {
            Some((map, used)) if map.len() - *used >= bytes.len() => {
                map[*used..*used + bytes.len()].copy_from_slice(bytes);
                *used += bytes.len();
            }
            Some((map, used)) => {
                // Beyond the reservation (a caller without a bound): grow
                // into a larger mapping.
                let need = used.saturating_add(bytes.len());
                if let Ok(mut bigger) = MmapMut::map_anon(need.max(map.len() * 2)) {
                    bigger[..*used].copy_from_slice(&map[..*used]);
                    bigger[*used..need].copy_from_slice(bytes);
                    *map = bigger;
                    *used = need;
                }
            }
            None => self.small.extend_from_slice(bytes),
        }
    }

    fn reserve(&mut self, additional: usize) {
        self.spill(additional);
        if self.large.is_none() {
            self.small.reserve(additional);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_answers_stay_on_the_heap_large_ones_spill_and_go() {
        let mut o = Output::new(1 << 20);
        o.extend_from_slice(b"abc");
        assert!(o.large.is_none());
        let big = vec![7u8; KEPT_OUTPUT];
        o.extend_from_slice(&big);
        assert!(o.large.is_some());
        assert_eq!(o.len(), KEPT_OUTPUT + 3);
        assert_eq!(&o.bytes()[..3], b"abc");
        o.truncate(2);
        assert_eq!(o.bytes(), b"ab");
        o.clear();
        assert!(o.large.is_none() && o.is_empty());
        // Past the reservation: a larger mapping.
        let mut o = Output::new(KEPT_OUTPUT + 1);
        o.extend_from_slice(&big);
        o.extend_from_slice(&big);
        assert_eq!(o.len(), 2 * KEPT_OUTPUT);
    }
}
