//! Unit tests of the LI decoder with a small test encoder.

use super::*;

/// Builds an LI v3 document: header length = offset of the first block.
pub(crate) fn encode(
    n_channels: u8,
    format: &str,
    processing: &[&str],
    blocks: &[(u32, Vec<u8>)],
) -> Vec<u8> {
    let mut b = b"LI3\0\0".to_vec();
    b.push(7);
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(n_channels);
    b.extend_from_slice(&1_700_000_000u64.to_le_bytes());
    b.extend_from_slice(&0.5f64.to_le_bytes());
    b.extend_from_slice(&0.001f64.to_le_bytes());
    let mut strings = vec![format];
    strings.extend_from_slice(processing);
    strings.push("{t:.6f},{ch1:.6f}\r\n");
    strings.push("% header\r\n");
    for s in strings {
        b.extend_from_slice(&(s.len() as u16).to_le_bytes());
        b.extend_from_slice(s.as_bytes());
    }
    while !b.len().is_multiple_of(8) {
        b.push(0);
    }
    let hl = b.len() as u16;
    b[3..5].copy_from_slice(&hl.to_le_bytes());
    for (ch, data) in blocks {
        b.extend_from_slice(&ch.to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(data);
        while !b.len().is_multiple_of(8) {
            b.push(0);
        }
    }
    b
}

fn s32(vals: &[i32]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn datalogger_contract_two_channels() {
    let doc = encode(
        2,
        "s32",
        &["/65536", "/65536"],
        &[
            (0, s32(&[65536, -32768, 3])),
            (1, s32(&[131072])),
            (0, s32(&[0])),
            (1, s32(&[-65536, 1])),
        ],
    );
    let d = decode(&doc).unwrap();
    assert_eq!(d.header.n_channels, 2);
    assert_eq!(d.header.instrument_id, 7);
    assert_eq!(d.header.start_time, 1_700_000_000);
    assert_eq!(d.channels[0].values, vec![1.0, -0.5, 3.0 / 65536.0, 0.0]);
    assert_eq!(d.channels[1].values, vec![2.0, -1.0, 1.0 / 65536.0]);
    assert_eq!(d.channels[0].time(2), 0.5 + 2.0 * 0.001);
    assert_eq!(d.channels[1].iter().count(), 3);
}

#[test]
fn recycled_buffers_are_reused() {
    let doc = encode(
        2,
        "s32",
        &["/65536", ""],
        &[(0, s32(&[65536, 131072])), (1, s32(&[5]))],
    );
    let first = decode(&doc).unwrap();
    let ptrs: Vec<*const f64> = first.channels.iter().map(|c| c.values.as_ptr()).collect();
    let again = decode_recycling(&doc, &DecodeOptions::default(), first.channels).unwrap();
    assert_eq!(again.channels[0].values, vec![1.0, 2.0]);
    assert_eq!(again.channels[1].values, vec![5.0]);
    let mut now: Vec<*const f64> = again.channels.iter().map(|c| c.values.as_ptr()).collect();
    let mut before = ptrs;
    now.sort();
    before.sort();
    assert_eq!(now, before);
}

#[test]
fn records_split_across_blocks_and_feeds() {
    let data = s32(&[1 << 16, 2 << 16, 3 << 16]);
    let doc = encode(
        1,
        "s32",
        &["/65536"],
        &[(0, data[..5].to_vec()), (0, data[5..].to_vec())],
    );
    assert_eq!(
        decode(&doc).unwrap().channels[0].values,
        vec![1.0, 2.0, 3.0]
    );
    // Byte by byte through the incremental decoder.
    let mut d = Decoder::new();
    let mut got = Vec::new();
    for b in &doc {
        d.feed(core::slice::from_ref(b)).unwrap();
        for c in d.take() {
            got.extend(c.values);
        }
    }
    let rest = d.finish().unwrap();
    got.extend(rest.channels.into_iter().flat_map(|c| c.values));
    assert_eq!(got, vec![1.0, 2.0, 3.0]);
}

#[test]
fn every_fast_type() {
    let cases: Vec<(&str, Vec<u8>, Vec<f64>)> = vec![
        ("s8", vec![0xff, 0x01], vec![-1.0, 1.0]),
        ("u8", vec![0xff], vec![255.0]),
        ("s16", (-2i16).to_le_bytes().to_vec(), vec![-2.0]),
        ("u16", 65535u16.to_le_bytes().to_vec(), vec![65535.0]),
        ("u32", u32::MAX.to_le_bytes().to_vec(), vec![4294967295.0]),
        ("s64", (-5i64).to_le_bytes().to_vec(), vec![-5.0]),
        ("u64", 7u64.to_le_bytes().to_vec(), vec![7.0]),
        ("f32", 1.5f32.to_le_bytes().to_vec(), vec![1.5]),
        ("f64", (-2.25f64).to_le_bytes().to_vec(), vec![-2.25]),
    ];
    for (fmt, data, want) in cases {
        let doc = encode(1, fmt, &[""], &[(0, data)]);
        assert_eq!(decode(&doc).unwrap().channels[0].values, want, "{fmt}");
    }
    let doc = encode(1, "s16", &["*2+1"], &[(0, (-3i16).to_le_bytes().to_vec())]);
    assert_eq!(decode(&doc).unwrap().channels[0].values, vec![-5.0]);
    let doc = encode(1, "u8", &["*C"], &[(0, vec![3])]);
    let opts = DecodeOptions {
        calibration: vec![0.5],
        ..DecodeOptions::default()
    };
    assert_eq!(
        decode_with(&doc, &opts).unwrap().channels[0].values,
        vec![1.5]
    );
    assert_eq!(decode(&doc).unwrap().channels[0].values, vec![3.0]);
}

/// Packs `(value, bits)` fields LSB-first.
fn pack(fields: &[(u64, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc: u128 = 0;
    let mut n = 0u32;
    for &(v, bits) in fields {
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        acc |= u128::from(v & mask) << n;
        n += bits;
        while n >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            n -= 8;
        }
    }
    if n > 0 {
        out.push(acc as u8);
    }
    out
}

#[test]
fn general_bit_path() {
    // u4:s12:b1:p3 = 20 bits per record; two records.
    let data = pack(&[
        (5, 4),
        ((-7i64) as u64, 12),
        (1, 1),
        (0, 3),
        (15, 4),
        (2047, 12),
        (0, 1),
        (7, 3),
    ]);
    let doc = encode(1, "u4:s12:b1:p3", &["*2:+1:"], &[(0, data)]);
    let d = decode(&doc).unwrap();
    assert_eq!(d.channels[0].fields_per_record, 3);
    assert_eq!(
        d.channels[0].values,
        vec![10.0, -6.0, 1.0, 30.0, 2048.0, 0.0]
    );
    assert_eq!(d.channels[0].record(1), Some(&[30.0, 2048.0, 0.0][..]));
}

#[test]
fn literals_resynchronise() {
    // u8,0xAA:u8 records with one junk byte in between.
    let doc = encode(
        1,
        "u8,0xAA:u8",
        &[":*2"],
        &[(0, vec![0xAA, 1, 0x00, 0xAA, 2, 0xAA, 3])],
    );
    let d = decode(&doc).unwrap();
    assert_eq!(
        d.channels[0].values,
        vec![170.0, 2.0, 170.0, 4.0, 170.0, 6.0]
    );
}

#[test]
fn versions_and_corruption() {
    assert_eq!(decode(b"XX3"), Err(LiError::BadMagic));
    assert_eq!(decode(b"LI1\0\0"), Err(LiError::UnsupportedVersion(1)));
    assert_eq!(decode(b"LI2"), Err(LiError::UnsupportedVersion(2)));
    assert_eq!(decode(b"LI4whatever"), Err(LiError::UnsupportedVersion(4)));
    assert_eq!(decode(b"LIx"), Err(LiError::UnknownVersion(b'x')));
    assert_eq!(decode(b"LI"), Err(LiError::Truncated("header")));
    assert_eq!(decode(b""), Err(LiError::Truncated("header")));
    let doc = encode(1, "s32", &["/65536"], &[(0, s32(&[1, 2, 3]))]);
    for cut in 0..doc.len() {
        // Never panics; cut documents either decode a prefix or report truncation.
        let _ = decode(&doc[..cut]);
    }
    assert_eq!(
        decode(&doc[..doc.len() - 5]),
        Err(LiError::Truncated("data block"))
    );
    let mut bad = doc.clone();
    let at = bad.len() - 16 - 16;
    bad[at..at + 4].copy_from_slice(&9u32.to_le_bytes());
    assert_eq!(
        decode(&bad),
        Err(LiError::BadChannel {
            channel: 9,
            n_channels: 1
        })
    );
    let mut huge = doc.clone();
    huge[at + 4..at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(decode(&huge), Err(LiError::Truncated("data block")));
    let mut d = Decoder::new();
    assert!(matches!(d.feed(&huge), Err(LiError::BlockTooLarge { .. })));
    assert_eq!(d.feed(b""), Err(LiError::Poisoned));
    let mut hl = doc.clone();
    hl[3] = hl[3].wrapping_add(1);
    assert!(matches!(decode(&hl), Err(LiError::HeaderLength { .. })));
    assert!(matches!(
        decode(&encode(1, "q8", &[""], &[])),
        Err(LiError::RecordFormat { .. })
    ));
    assert!(matches!(
        decode(&encode(1, "s8", &["?"], &[])),
        Err(LiError::Processing { .. })
    ));
}

#[test]
fn chunk_sequence() {
    let mut seq = ChunkSequence::new();
    let a = encode(1, "s32", &["/65536"], &[(0, s32(&[65536, 65536]))]);
    let b = encode(2, "s32", &["", ""], &[]);
    assert_eq!(seq.push(&a).unwrap()[0].len(), 2);
    assert!(seq.push(&[]).unwrap().is_empty());
    assert!(seq.push(&b).is_err());
    assert_eq!(seq.records(), &[2]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    struct FieldSpec {
        kind: char,
        bits: u32,
    }

    fn field() -> impl Strategy<Value = FieldSpec> {
        prop_oneof![
            (1u32..=64).prop_map(|bits| FieldSpec { kind: 'u', bits }),
            (2u32..=64).prop_map(|bits| FieldSpec { kind: 's', bits }),
            prop_oneof![Just(32u32), Just(64u32)].prop_map(|bits| FieldSpec { kind: 'f', bits }),
            Just(FieldSpec { kind: 'b', bits: 1 }),
            (1u32..=16).prop_map(|bits| FieldSpec { kind: 'p', bits }),
        ]
    }

    /// The value a field holding `raw` decodes to (before processing).
    fn expected(f: &FieldSpec, raw: u64) -> f64 {
        let mask = if f.bits == 64 {
            u64::MAX
        } else {
            (1u64 << f.bits) - 1
        };
        let raw = raw & mask;
        match f.kind {
            'u' => raw as f64,
            's' => ((raw << (64 - f.bits)) as i64 >> (64 - f.bits)) as f64,
            'f' if f.bits == 32 => f64::from(f32::from_bits(raw as u32)),
            'f' => f64::from_bits(raw),
            _ => f64::from(u8::from(raw != 0)),
        }
    }

    fn same(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Random bit-level record formats: every field type, LSB-first packing, a `*k+c`
        /// chain on the first field, records split across two blocks at a random byte.
        #[test]
        fn general_formats(
            fields in prop::collection::vec(field(), 1..6),
            raws in prop::collection::vec(any::<u64>(), 0..200),
            k in -4.0f64..4.0,
            split in any::<prop::sample::Index>(),
        ) {
            let fmt: Vec<String> = fields.iter().map(|f| format!("{}{}", f.kind, f.bits)).collect();
            let fmt = fmt.join(":");
            let n_fields = fields.len();
            let n_records = raws.len() / n_fields;
            let mut packed = Vec::new();
            let mut want = Vec::new();
            for r in 0..n_records {
                for (i, f) in fields.iter().enumerate() {
                    let raw = raws[r * n_fields + i];
                    packed.push((raw, f.bits));
                    if f.kind != 'p' {
                        want.push(expected(f, raw));
                    }
                }
            }
            let outputs = fields.iter().filter(|f| f.kind != 'p').count();
            // Processing: `*k+1` on the first output field, identity elsewhere.
            let proc = format!("*{k}+1");
            for r in 0..n_records {
                if outputs > 0 {
                    let v = &mut want[r * outputs];
                    *v = *v * k + 1.0;
                }
            }
            let data = pack(&packed);
            let cut = split.index(data.len() + 1);
            let doc = encode(1, &fmt, &[&proc], &[(0, data[..cut].to_vec()), (0, data[cut..].to_vec())]);
            let got = decode(&doc).unwrap();
            let ch = &got.channels[0];
            prop_assert_eq!(ch.fields_per_record, outputs);
            // Trailing zero bits of the last byte may form extra (short) records.
            let record_bits: u32 = fields.iter().map(|f| f.bits).sum();
            let extra = (ch.values.len() - want.len()) / outputs.max(1);
            prop_assert!(ch.values.len() >= want.len());
            prop_assert!(extra as u32 * record_bits < 8);
            for (a, b) in ch.values.iter().zip(&want) {
                prop_assert!(same(*a, *b), "{} vs {} in {}", a, b, fmt);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let mut doc = encode(2, "u12:s4,0x3:b1:p3", &["*C", "&0xF"], &[]);
            doc.extend_from_slice(&bytes);
            let _ = decode(&doc);
            let _ = decode(&bytes);
        }
    }
}
