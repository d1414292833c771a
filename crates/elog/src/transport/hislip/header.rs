//! The HiSLIP message header (IVI-6.1 §6.1): 16 bytes, big-endian.
//!
//! | bytes | field |
//! |---|---|
//! | 0–1 | prologue `HS` |
//! | 2 | message type |
//! | 3 | control code |
//! | 4–7 | message parameter |
//! | 8–15 | payload length |
//!
//! Pure and total: [`Header::decode`] takes any bytes and answers a header
//! or a [`HeaderError`], never a panic (the `hislip_header` fuzz target).

/// The length of a header.
pub const HEADER_LEN: usize = 16;

/// The message types of IVI-6.1 (HiSLIP 2.0) this server knows.
#[allow(missing_docs)]
pub mod kind {
    pub const INITIALIZE: u8 = 0;
    pub const INITIALIZE_RESPONSE: u8 = 1;
    pub const FATAL_ERROR: u8 = 2;
    pub const ERROR: u8 = 3;
    pub const ASYNC_LOCK: u8 = 4;
    pub const ASYNC_LOCK_RESPONSE: u8 = 5;
    pub const DATA: u8 = 6;
    pub const DATA_END: u8 = 7;
    pub const DEVICE_CLEAR_COMPLETE: u8 = 8;
    pub const DEVICE_CLEAR_ACKNOWLEDGE: u8 = 9;
    pub const ASYNC_REMOTE_LOCAL_CONTROL: u8 = 10;
    pub const ASYNC_REMOTE_LOCAL_RESPONSE: u8 = 11;
    pub const TRIGGER: u8 = 12;
    pub const INTERRUPTED: u8 = 13;
    pub const ASYNC_INTERRUPTED: u8 = 14;
    pub const ASYNC_MAXIMUM_MESSAGE_SIZE: u8 = 15;
    pub const ASYNC_MAXIMUM_MESSAGE_SIZE_RESPONSE: u8 = 16;
    pub const ASYNC_INITIALIZE: u8 = 17;
    pub const ASYNC_INITIALIZE_RESPONSE: u8 = 18;
    pub const ASYNC_DEVICE_CLEAR: u8 = 19;
    pub const ASYNC_SERVICE_REQUEST: u8 = 20;
    pub const ASYNC_STATUS_QUERY: u8 = 21;
    pub const ASYNC_STATUS_RESPONSE: u8 = 22;
    pub const ASYNC_DEVICE_CLEAR_ACKNOWLEDGE: u8 = 23;
    pub const ASYNC_LOCK_INFO: u8 = 24;
    pub const ASYNC_LOCK_INFO_RESPONSE: u8 = 25;
    pub const GET_DESCRIPTORS: u8 = 26;
    pub const GET_DESCRIPTORS_RESPONSE: u8 = 27;
    /// Message types from here on are vendor specific.
    pub const VENDOR_FIRST: u8 = 128;
}

/// The `Error` message codes (IVI-6.1 Table 8).
#[allow(missing_docs)]
pub mod error_code {
    pub const UNIDENTIFIED: u8 = 0;
    pub const UNRECOGNIZED_MESSAGE_TYPE: u8 = 1;
    pub const UNRECOGNIZED_CONTROL_CODE: u8 = 2;
    pub const UNRECOGNIZED_VENDOR_MESSAGE: u8 = 3;
    pub const MESSAGE_TOO_LARGE: u8 = 4;
}

/// The `FatalError` message codes (IVI-6.1 Table 7).
#[allow(missing_docs)]
pub mod fatal_code {
    pub const UNIDENTIFIED: u8 = 0;
    pub const POORLY_FORMED_HEADER: u8 = 1;
    pub const NO_BOTH_CHANNELS: u8 = 2;
    pub const INVALID_INITIALIZATION: u8 = 3;
    pub const MAX_CLIENTS: u8 = 4;
}

/// One message header.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Header {
    /// The message type ([`kind`]).
    pub kind: u8,
    /// The control code (meaning depends on the type).
    pub control: u8,
    /// The message parameter (message id, session id, timeout, …).
    pub param: u32,
    /// The payload length that follows the header.
    pub len: u64,
}

/// Why bytes are not a header.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum HeaderError {
    /// Fewer than [`HEADER_LEN`] bytes.
    Short,
    /// The prologue is not `HS`.
    Prologue,
}

impl Header {
    /// A header with no payload.
    pub const fn new(kind: u8, control: u8, param: u32) -> Self {
        Self {
            kind,
            control,
            param,
            len: 0,
        }
    }

    /// The same header announcing `len` payload bytes.
    #[must_use]
    pub const fn with_len(mut self, len: u64) -> Self {
        self.len = len;
        self
    }

    /// Decodes the first [`HEADER_LEN`] bytes of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let Some(b) = bytes.get(..HEADER_LEN) else {
            return Err(HeaderError::Short);
        };
        if &b[..2] != b"HS" {
            return Err(HeaderError::Prologue);
        }
        let mut param = [0u8; 4];
        param.copy_from_slice(&b[4..8]);
        let mut len = [0u8; 8];
        len.copy_from_slice(&b[8..16]);
        Ok(Self {
            kind: b[2],
            control: b[3],
            param: u32::from_be_bytes(param),
            len: u64::from_be_bytes(len),
        })
    }

    /// The 16 bytes on the wire.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0] = b'H';
        b[1] = b'S';
        b[2] = self.kind;
        b[3] = self.control;
        b[4..8].copy_from_slice(&self.param.to_be_bytes());
        b[8..16].copy_from_slice(&self.len.to_be_bytes());
        b
    }
}

/// A HiSLIP protocol version: major in the high byte, minor in the low.
pub type Version = u16;

/// The version this server implements: 2.0.
pub const SERVER_VERSION: Version = 0x0200;

/// The version both sides speak: the lower of the client's and ours.
pub fn negotiate(client: Version) -> Version {
    client.min(SERVER_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let h = Header::new(kind::DATA_END, 1, 0xffff_ff00).with_len(5);
        let b = h.encode();
        assert_eq!(&b[..4], b"HS\x07\x01");
        assert_eq!(Header::decode(&b), Ok(h));
        assert_eq!(Header::decode(&b[..15]), Err(HeaderError::Short));
        assert_eq!(
            Header::decode(b"XS\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            Err(HeaderError::Prologue)
        );
        assert_eq!(negotiate(0x0100), 0x0100);
        assert_eq!(negotiate(0x0301), SERVER_VERSION);
    }
}
