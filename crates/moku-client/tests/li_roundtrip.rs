//! Property test: the emulator's LI v3 encoder → this crate's decoder, on random documents.

use moku_client::li::{self, Decoder};
use moku_emulator::li::{LiDocument, encode, quantize};
use proptest::prelude::*;

fn documents() -> impl Strategy<Value = LiDocument> {
    (
        any::<u32>(),
        -10.0f64..10.0,
        1e-7f64..1.0,
        1usize..=8,
        0usize..300,
    )
        .prop_flat_map(|(start, offset, step, n_ch, n)| {
            let samples = prop::collection::vec(
                prop::collection::vec(-40_000.0f64..40_000.0, n..=n),
                n_ch..=n_ch,
            );
            samples
                .prop_map(move |channels| LiDocument::new(u64::from(start), offset, step, channels))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn encode_then_decode(doc in documents(), split in any::<prop::sample::Index>()) {
        let bytes = encode(&doc).unwrap();
        let out = li::decode(&bytes).unwrap();
        prop_assert_eq!(out.header.instrument_id, doc.instrument_id);
        prop_assert_eq!(out.header.start_time, doc.start_time);
        prop_assert_eq!(out.header.start_offset, doc.start_offset);
        prop_assert_eq!(out.header.time_step, doc.time_step);
        prop_assert_eq!(usize::from(out.header.n_channels), doc.channels.len());
        for (got, want) in out.channels.iter().zip(&doc.channels) {
            let want: Vec<f64> = want.iter().map(|v| quantize(*v)).collect();
            prop_assert_eq!(&got.values, &want);
            for i in 0..got.len() {
                prop_assert_eq!(got.time(i), doc.start_offset + i as f64 * doc.time_step);
            }
        }
        // The same bytes fed in two pieces decode to the same values.
        let cut = split.index(bytes.len() + 1);
        let mut d = Decoder::new();
        d.feed(&bytes[..cut]).unwrap();
        d.feed(&bytes[cut..]).unwrap();
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); doc.channels.len()];
        for c in d.take() {
            values[c.channel].extend(c.values);
        }
        for c in d.finish().unwrap().channels {
            values[c.channel].extend(c.values);
        }
        for (got, want) in values.iter().zip(&out.channels) {
            prop_assert_eq!(got, &want.values);
        }
    }

    #[test]
    fn truncated_documents_never_panic(doc in documents(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&doc).unwrap();
        let cut = cut.index(bytes.len());
        let _ = li::decode(&bytes[..cut]);
    }
}
