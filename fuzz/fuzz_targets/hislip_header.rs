//! Arbitrary bytes as a stream of HiSLIP message headers: the decoder never
//! panics, answers `Short` only for fewer than 16 bytes and `Prologue` only
//! for a prologue other than `HS`, and every decoded header encodes back to
//! the same 16 bytes.
#![no_main]

use elog::transport::hislip::header::{HEADER_LEN, Header, HeaderError, SERVER_VERSION, negotiate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    loop {
        match Header::decode(rest) {
            Ok(h) => {
                assert_eq!(&h.encode()[..], &rest[..HEADER_LEN]);
                let v = u16::try_from(h.param >> 16).unwrap_or(0);
                assert!(negotiate(v) <= SERVER_VERSION && negotiate(v) <= v);
                // A payload skipped as the server would: never beyond the input.
                let skip = usize::try_from(h.len).unwrap_or(usize::MAX);
                rest = rest.get(HEADER_LEN..).unwrap_or(&[]);
                rest = rest.get(skip.min(rest.len())..).unwrap_or(&[]);
            }
            Err(HeaderError::Short) => {
                assert!(rest.len() < HEADER_LEN);
                return;
            }
            Err(HeaderError::Prologue) => {
                assert_ne!(&rest[..2], b"HS");
                rest = &rest[1..];
            }
        }
    }
});
