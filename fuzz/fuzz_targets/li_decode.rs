#![no_main]
//! LI decoder: arbitrary bytes through the one-shot and the incremental decoder (split at a
//! point chosen by the input). Must never panic; both must agree when both succeed.

use moku_client::li::{self, DecodeOptions, Decoder};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let one_shot = li::decode_with(
        data,
        &DecodeOptions {
            calibration: vec![0.5, 2.0],
            ..DecodeOptions::default()
        },
    );
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut d = Decoder::with_options(DecodeOptions {
        calibration: vec![0.5, 2.0],
        max_block_len: 1 << 20,
    });
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut ok = d.feed(&data[..cut]).is_ok() && d.feed(&data[cut..]).is_ok();
    for c in d.take() {
        if values.len() <= c.channel {
            values.resize(c.channel + 1, Vec::new());
        }
        values[c.channel].extend(c.values);
    }
    if ok {
        match d.finish() {
            Ok(doc) => {
                for c in doc.channels {
                    if values.len() <= c.channel {
                        values.resize(c.channel + 1, Vec::new());
                    }
                    values[c.channel].extend(c.values);
                }
            }
            Err(_) => ok = false,
        }
    }
    if let (true, Ok(doc)) = (ok, one_shot) {
        for c in &doc.channels {
            let got = values.get(c.channel).map_or(&[][..], Vec::as_slice);
            assert_eq!(got.len(), c.values.len());
            for (a, b) in got.iter().zip(&c.values) {
                assert!(a == b || (a.is_nan() && b.is_nan()));
            }
        }
    }
});
