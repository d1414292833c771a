//! A compact, **lossy** record store in IEEE half precision (feature `half`).
//!
//! For hosts short of RAM that want to keep more records than the engine's
//! ring: values are stored as `f16` (11 significant bits, about 3 decimal
//! digits, range ±65504; larger magnitudes become ±∞, tiny ones subnormal or
//! 0). Timestamps are kept exactly. Converting back gives `f32` values that
//! are *not* the ones that went in: never use this store where the answer must
//! match an uncompressed engine bit for bit.

use alloc::vec::Vec;

use half::f16;

use crate::records::{RecordTime, Records};

/// Records with `f16` values, column-major like [`Records`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompactRecords {
    width: usize,
    len: usize,
    times: Vec<RecordTime>,
    values: Vec<f16>,
}

impl CompactRecords {
    /// Compresses a batch (lossy).
    pub fn from_records(r: &Records) -> Self {
        let mut values = Vec::with_capacity(r.width() * r.len());
        for c in 0..r.width() {
            values.extend(r.column(c).iter().map(|&v| f16::from_f32(v)));
        }
        CompactRecords {
            width: r.width(),
            len: r.len(),
            times: r.times().to_vec(),
            values,
        }
    }

    /// Expands back to `f32` records (values rounded to `f16` precision).
    pub fn to_records(&self) -> Records {
        let cols = self.values.iter().map(|v| v.to_f32()).collect();
        Records::from_columns(self.width, self.len, self.times.clone(), cols)
            .unwrap_or_else(|| Records::new(self.width))
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes taken by the values (2 per value).
    pub fn value_bytes(&self) -> usize {
        self.values.len() * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_round_trip() {
        let r = Records::from_rows(
            2,
            [(None, &[1.5f32, 0.1][..]), (None, &[1e6, f32::NAN][..])],
        )
        .unwrap();
        let c = CompactRecords::from_records(&r);
        assert_eq!(c.value_bytes(), 8);
        let back = c.to_records();
        assert_eq!(back.value(0, 0), Some(1.5));
        assert!((back.value(0, 1).unwrap() - 0.1).abs() < 1e-4);
        assert_eq!(back.value(1, 0), Some(f32::INFINITY));
        assert!(back.value(1, 1).unwrap().is_nan());
    }
}
