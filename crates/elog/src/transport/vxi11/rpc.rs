//! ONC RPC version 2 (RFC 5531) over TCP, as VXI-11 uses it: XDR
//! (RFC 4506) encoding, record marking, call headers and replies.
//!
//! Pure and total: every decoder takes any bytes and answers a value or an
//! [`XdrError`], never a panic, and never allocates more than the input
//! holds (the `onc_rpc` fuzz target).

use alloc::vec::Vec;

/// The RPC protocol version this server speaks.
pub const RPC_VERSION: u32 = 2;
/// `msg_type` of a call.
pub const CALL: u32 = 0;
/// `msg_type` of a reply.
pub const REPLY: u32 = 1;
/// The longest credential or verifier body (RFC 5531 §8.2).
pub const MAX_AUTH: usize = 400;

/// The last-fragment bit of a record-marking header.
pub const LAST_FRAGMENT: u32 = 0x8000_0000;

/// Why bytes do not decode.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum XdrError {
    /// The input ends early.
    Short,
    /// A length beyond its bound, or a value out of its range.
    Invalid,
}

/// An XDR reader over a byte slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads `buf` from its start.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The bytes not yet read.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// An unsigned 32-bit integer.
    pub fn u32(&mut self) -> Result<u32, XdrError> {
        let b = self.rest().get(..4).ok_or(XdrError::Short)?;
        self.pos += 4;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A signed 32-bit integer.
    pub fn i32(&mut self) -> Result<i32, XdrError> {
        self.u32().map(|v| i32::from_be_bytes(v.to_be_bytes()))
    }

    /// A boolean (0 or 1).
    pub fn bool(&mut self) -> Result<bool, XdrError> {
        match self.u32()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(XdrError::Invalid),
        }
    }

    /// Variable-length opaque data of at most `max` bytes (padding skipped).
    pub fn opaque(&mut self, max: usize) -> Result<&'a [u8], XdrError> {
        let len = usize::try_from(self.u32()?).map_err(|_| XdrError::Invalid)?;
        if len > max {
            return Err(XdrError::Invalid);
        }
        let padded = len.checked_add(3).ok_or(XdrError::Invalid)? & !3;
        let rest = self.rest();
        if rest.len() < padded {
            return Err(XdrError::Short);
        }
        self.pos += padded;
        Ok(&rest[..len])
    }
}

/// An XDR writer appending to a `Vec`.
#[derive(Debug, Default)]
pub struct Writer {
    /// The encoded bytes.
    pub buf: Vec<u8>,
}

impl Writer {
    /// An unsigned 32-bit integer.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A signed 32-bit integer.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Variable-length opaque data, padded to 4 bytes.
    pub fn opaque(&mut self, data: &[u8]) -> &mut Self {
        self.u32(u32::try_from(data.len()).unwrap_or(u32::MAX));
        self.buf.extend_from_slice(data);
        let pad = (4 - data.len() % 4) % 4;
        self.buf.extend_from_slice(&[0u8; 3][..pad]);
        self
    }
}

/// The header of an RPC call (the arguments follow it).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct CallHeader {
    /// The transaction id the reply repeats.
    pub xid: u32,
    /// The RPC version (2).
    pub rpcvers: u32,
    /// The program number.
    pub prog: u32,
    /// The program version.
    pub vers: u32,
    /// The procedure number.
    pub proc_: u32,
}

/// What a record that is not a well-formed call gets.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum CallError {
    /// Not even a transaction id: nothing to answer (close the connection).
    NoXid,
    /// Not a call (a reply or an unknown message type): ignored.
    NotACall(u32),
    /// A call header that does not decode: `GARBAGE_ARGS`.
    Garbage(u32),
}

impl CallHeader {
    /// Decodes a call header (credentials and verifier skipped, any flavor
    /// accepted) and leaves `r` at the arguments.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, CallError> {
        let xid = r.u32().map_err(|_| CallError::NoXid)?;
        let garbage = |_| CallError::Garbage(xid);
        let msg_type = r.u32().map_err(garbage)?;
        if msg_type != CALL {
            return Err(CallError::NotACall(xid));
        }
        let rpcvers = r.u32().map_err(garbage)?;
        let prog = r.u32().map_err(garbage)?;
        let vers = r.u32().map_err(garbage)?;
        let proc_ = r.u32().map_err(garbage)?;
        for _ in 0..2 {
            let _flavor = r.u32().map_err(garbage)?;
            r.opaque(MAX_AUTH).map_err(garbage)?;
        }
        Ok(Self {
            xid,
            rpcvers,
            prog,
            vers,
            proc_,
        })
    }
}

/// `accept_stat` values of an accepted reply.
#[allow(missing_docs)]
pub mod accept {
    pub const SUCCESS: u32 = 0;
    pub const PROG_UNAVAIL: u32 = 1;
    pub const PROG_MISMATCH: u32 = 2;
    pub const PROC_UNAVAIL: u32 = 3;
    pub const GARBAGE_ARGS: u32 = 4;
    pub const SYSTEM_ERR: u32 = 5;
}

/// An accepted reply with `stat`, ready for results (after `SUCCESS`) or
/// the mismatch range (after `PROG_MISMATCH`).
pub fn accepted(xid: u32, stat: u32) -> Writer {
    let mut w = Writer::default();
    w.u32(xid).u32(REPLY).u32(0); // MSG_ACCEPTED
    w.u32(0).u32(0); // verifier AUTH_NONE, empty
    w.u32(stat);
    w
}

/// A denied reply: RPC version mismatch (we speak only 2).
pub fn rpc_mismatch(xid: u32) -> Writer {
    let mut w = Writer::default();
    w.u32(xid).u32(REPLY).u32(1); // MSG_DENIED
    w.u32(0).u32(RPC_VERSION).u32(RPC_VERSION); // RPC_MISMATCH low high
    w
}

/// The record-marking header of one fragment: (last fragment?, length).
pub fn fragment_header(bytes: [u8; 4]) -> (bool, u32) {
    let v = u32::from_be_bytes(bytes);
    (v & LAST_FRAGMENT != 0, v & !LAST_FRAGMENT)
}

/// Joins the fragments in `stream` (record marking) into records of at most
/// `max` bytes each; the records found and whether a record exceeded `max`.
/// Pure twin of the socket reader, for the fuzz target and tests.
pub fn split_records(mut stream: &[u8], max: usize) -> (Vec<Vec<u8>>, bool) {
    let mut records = Vec::new();
    let mut cur = Vec::new();
    while stream.len() >= 4 {
        let (last, len) = fragment_header([stream[0], stream[1], stream[2], stream[3]]);
        let len = len as usize;
        if cur.len().saturating_add(len) > max {
            return (records, true);
        }
        let Some(frag) = stream.get(4..4 + len) else {
            break;
        };
        cur.extend_from_slice(frag);
        stream = &stream[4 + len..];
        if last {
            records.push(core::mem::take(&mut cur));
        }
    }
    (records, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdr_round_trip_and_bounds() {
        let mut w = Writer::default();
        w.u32(7).i32(-2).opaque(b"inst0");
        assert_eq!(w.buf.len(), 4 + 4 + 4 + 8);
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.u32(), Ok(7));
        assert_eq!(r.i32(), Ok(-2));
        assert_eq!(r.clone().opaque(4), Err(XdrError::Invalid));
        assert_eq!(r.opaque(16), Ok(&b"inst0"[..]));
        assert_eq!(r.u32(), Err(XdrError::Short));
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(r.opaque(usize::MAX), Err(XdrError::Short));
    }

    #[test]
    fn records_join_fragments() {
        let mut s = Vec::new();
        s.extend_from_slice(&3u32.to_be_bytes());
        s.extend_from_slice(b"abc");
        s.extend_from_slice(&(LAST_FRAGMENT | 2).to_be_bytes());
        s.extend_from_slice(b"de");
        assert_eq!(
            split_records(&s, 8),
            (alloc::vec![b"abcde".to_vec()], false)
        );
        assert!(split_records(&s, 4).1);
    }
}
