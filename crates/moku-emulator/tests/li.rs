//! Property tests of the LI v3 encoder against the independent reader in `common`.

mod common;

use common::decode_li;
use moku_emulator::li::{self, LiDocument};
use proptest::prelude::*;

fn documents() -> impl Strategy<Value = LiDocument> {
    (
        any::<u64>(),
        -1e3f64..1e3,
        1e-9f64..10.0,
        0usize..=8,
        0usize..200,
    )
        .prop_flat_map(|(start, offset, step, n_ch, n)| {
            let value = prop_oneof![-50.0f64..50.0, any::<f64>()];
            prop::collection::vec(prop::collection::vec(value, n..=n), n_ch..=n_ch)
                .prop_map(move |channels| LiDocument::new(start, offset, step, channels))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn encoded_documents_read_back_quantised(doc in documents()) {
        let bytes = li::encode(&doc).unwrap();
        prop_assert_eq!(&bytes[..3], b"LI3");
        prop_assert_eq!(bytes.len() % 8, 0);
        let back = decode_li(&bytes).unwrap();
        prop_assert_eq!(back.instrument_id, 7);
        prop_assert_eq!(back.start_time, doc.start_time);
        prop_assert_eq!(back.start_offset, doc.start_offset);
        prop_assert_eq!(back.time_step, doc.time_step);
        prop_assert_eq!(back.channels.len(), doc.channels.len());
        for (got, sent) in back.channels.iter().zip(&doc.channels) {
            let want: Vec<f64> = sent.iter().map(|v| li::quantize(*v)).collect();
            prop_assert_eq!(got, &want);
        }
    }

    #[test]
    fn quantisation_is_exact_on_the_grid(raw in any::<i32>()) {
        let v = f64::from(raw) / 65536.0;
        prop_assert_eq!(li::quantize(v), v);
    }
}
