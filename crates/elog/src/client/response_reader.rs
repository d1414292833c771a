//! Reading one response line at a time: block-aware, bounded, with a deadline.
//!
//! Responses end with LF, but binary `FETCh?` answers hold IEEE 488.2
//! definite blocks (`#<d><len><bytes>`) whose bytes may contain LF. The
//! splitting is `scpi-parser`'s [`Framer`], which counts block bytes. Memory
//! is bounded by the framer's capacity (allocated zeroed once, so untouched
//! pages cost nothing) plus one read chunk; an answer longer than the capacity
//! is skipped whole up to its terminator and reported as
//! [`ClientError::ResponseTooLong`]. Every answer has one deadline: a server
//! that trickles bytes cannot stretch a read beyond it.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use scpi_parser::{Feed, Framer};

use super::error::{ClientError, Result};

/// The size of one socket read.
const CHUNK: usize = 64 * 1024;

/// A byte source whose blocking reads can be limited in time.
pub trait Source: Read {
    /// Limits the next blocking reads to `timeout` (never zero).
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()>;
}

impl Source for TcpStream {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
    }
}

/// Splits a byte stream into response lines (terminator and a CR before it removed).
#[derive(Debug)]
pub struct ResponseReader {
    framer: Framer<Vec<u8>>,
    chunk: Vec<u8>,
    start: usize,
    end: usize,
}

impl ResponseReader {
    /// A reader for answers of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        ResponseReader {
            framer: Framer::with_capacity(limit.max(1)),
            chunk: vec![0; CHUNK],
            start: 0,
            end: 0,
        }
    }

    /// The longest answer accepted, in bytes.
    pub fn limit(&self) -> usize {
        self.framer.capacity()
    }

    /// Reads the next response line into `out` (replacing its contents), or
    /// fails with a timeout once `timeout` has passed since the call.
    pub fn read_line<S: Source>(
        &mut self,
        src: &mut S,
        timeout: Duration,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.start < self.end {
                let input = &self.chunk[self.start..self.end];
                match self.framer.feed(input) {
                    Feed::Consumed => self.start = self.end,
                    Feed::Message { message, rest } => {
                        out.clear();
                        out.extend_from_slice(message);
                        self.start = self.end - rest.len();
                        return Ok(());
                    }
                    Feed::Overrun { rest } => {
                        self.start = self.end - rest.len();
                        return Err(ClientError::ResponseTooLong {
                            limit: self.framer.capacity(),
                        });
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ClientError::Timeout(timeout));
            }
            src.set_timeout(left)?;
            match src.read(&mut self.chunk) {
                Ok(0) => return Err(ClientError::Closed),
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(ClientError::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out canned chunks, then reports a timeout (or end of stream).
    struct Chunks {
        chunks: Vec<Vec<u8>>,
        then_eof: bool,
    }

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.chunks.is_empty() {
                return if self.then_eof {
                    Ok(0)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                };
            }
            let c = &mut self.chunks[0];
            let n = c.len().min(buf.len());
            buf[..n].copy_from_slice(&c[..n]);
            c.drain(..n);
            if c.is_empty() {
                self.chunks.remove(0);
            }
            Ok(n)
        }
    }

    impl Source for Chunks {
        fn set_timeout(&mut self, _: Duration) -> io::Result<()> {
            Ok(())
        }
    }

    fn chunks(parts: &[&[u8]], then_eof: bool) -> Chunks {
        Chunks {
            chunks: parts.iter().map(|p| p.to_vec()).collect(),
            then_eof,
        }
    }

    const T: Duration = Duration::from_millis(20);

    #[test]
    fn lines_blocks_and_split_reads() {
        let mut r = ResponseReader::new(64);
        let mut src = chunks(
            &[b"NONE\r\n#14a\n", b"b\n,#14", b"\n\n\n\n\n1.0E+0, 2\nlast"],
            true,
        );
        let mut out = Vec::new();
        r.read_line(&mut src, T, &mut out).unwrap();
        assert_eq!(out, b"NONE");
        r.read_line(&mut src, T, &mut out).unwrap();
        assert_eq!(out, b"#14a\nb\n,#14\n\n\n\n");
        r.read_line(&mut src, T, &mut out).unwrap();
        assert_eq!(out, b"1.0E+0, 2");
        assert!(matches!(
            r.read_line(&mut src, T, &mut out),
            Err(ClientError::Closed)
        ));
    }

    #[test]
    fn too_long_answers_are_skipped_whole() {
        let mut r = ResponseReader::new(8);
        let mut src = chunks(&[b"0123456789", b"abc\n#13\n\n\n\nOK\n"], false);
        let mut out = Vec::new();
        assert!(matches!(
            r.read_line(&mut src, T, &mut out),
            Err(ClientError::ResponseTooLong { limit: 8 })
        ));
        r.read_line(&mut src, T, &mut out).unwrap();
        assert_eq!(out, b"#13\n\n\n");
        r.read_line(&mut src, T, &mut out).unwrap();
        assert_eq!(out, b"OK");
        assert!(matches!(
            r.read_line(&mut src, T, &mut out),
            Err(ClientError::Timeout(_))
        ));
    }

    #[test]
    fn a_never_ending_answer_times_out_without_growing() {
        struct Endless;
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(b'x');
                Ok(buf.len())
            }
        }
        impl Source for Endless {
            fn set_timeout(&mut self, _: Duration) -> io::Result<()> {
                Ok(())
            }
        }
        let mut r = ResponseReader::new(1024);
        let mut out = Vec::new();
        assert!(matches!(
            r.read_line(&mut Endless, T, &mut out),
            Err(ClientError::Timeout(_))
        ));
        assert!(out.capacity() <= 1024);
    }
}
