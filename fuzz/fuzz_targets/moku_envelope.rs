#![no_main]
//! The envelope parser: an HTTP status (first two bytes) and a body. Must never panic, and a
//! successful parse must only yield the data shapes the official client accepts.

use moku_client::reply_envelope;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    let status = if status < 100 { 200 } else { status };
    if let Ok(env) = reply_envelope::interpret("fuzz", status, body) {
        assert_eq!(status, 200);
        assert!(!env.data.is_f64(), "bare floats are rejected");
        assert!(!env.data.is_boolean(), "bools become ints");
    }
    let _ = reply_envelope::parse_json(body);
});
