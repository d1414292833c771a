//! Arbitrary bytes as a TCP stream of ONC RPC records (record marking):
//! fragments joined within a bound, each record decoded as a call header
//! and then as the arguments of every VXI-11 core and abort procedure and
//! as XDR primitives. Never a panic; a decoded write never carries more data
//! than its bound or than the record holds.
#![no_main]

use elog::transport::vxi11::core::Request;
use elog::transport::vxi11::rpc::{CallHeader, Reader, split_records};
use libfuzzer_sys::fuzz_target;

const MAX_RECORD: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let (records, _too_long) = split_records(data, MAX_RECORD);
    for rec in &records {
        assert!(rec.len() <= MAX_RECORD);
        let mut r = Reader::new(rec);
        if CallHeader::decode(&mut r).is_err() {
            continue;
        }
        let args = r.rest();
        for proc_ in 0..30 {
            if let Ok(Request::Write { data, .. }) =
                Request::decode_core(proc_, &mut Reader::new(args), 512)
            {
                assert!(data.len() <= 512 && data.len() <= args.len());
            }
            let _ = Request::decode_abort(proc_, &mut Reader::new(args));
        }
        let mut x = Reader::new(args);
        while x.opaque(usize::MAX).is_ok() || x.u32().is_ok() {}
    }
});
