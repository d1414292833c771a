//! The binary answer: comma-joined IEEE 488.2 definite-length `f32` blocks.
//!
//! Payload placement: where the block's byte order is the machine's own
//! (BIN_INTEL on little-endian hosts), the `f32` column is copied as bytes in
//! one `memcpy` (`bytemuck::cast_slice`, no `unsafe`). Otherwise the `Vec`
//! path grows the vector and byte-swaps the floats in place, and the generic
//! path swaps into a staging buffer in chunks. A `memcpy` to a destination
//! shifted by the 1–31-byte header was measured on the target machines (see
//! `docs/PERFORMANCE.md`); where it costs, the in-place conversion avoids it.

use alloc::vec::Vec;

use scpi_parser::Sink;

use super::Table;
use crate::error::{Error, Result};
use crate::records::RecordTime;

/// The most records one block can hold (`<len>` has at most 9 digits).
pub const MAX_BLOCK_RECORDS: usize = 999_999_999 / 4;

/// Floats converted per staging round in the generic path.
const STAGE_FLOATS: usize = 1024;

/// Writes the 488.2 header `#<d><len>` for a payload of `len` bytes into `buf`; returns its length.
///
/// `len` must be below 10⁹ (at most 9 length digits).
pub fn block_header(len: usize, buf: &mut [u8; 11]) -> usize {
    let mut digits = [0u8; 9];
    let mut n = 0;
    let mut v = len;
    loop {
        digits[8 - n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 || n == 9 {
            break;
        }
    }
    buf[0] = b'#';
    buf[1] = b'0' + n as u8;
    buf[2..2 + n].copy_from_slice(&digits[9 - n..]);
    2 + n
}

fn check<T: Table>(t: &T) -> Result<()> {
    if t.len() > MAX_BLOCK_RECORDS {
        return Err(Error::BadInput {
            reason: "too many records for one block",
        });
    }
    if t.has_times() && (0..t.len()).any(|i| matches!(t.time(i), RecordTime::Wall(_))) {
        return Err(Error::AbsTimeNeedsAscii);
    }
    Ok(())
}

fn time_secs<T: Table>(t: &T, i: usize) -> f32 {
    match t.time(i) {
        RecordTime::Elapsed(d) | RecordTime::Wall(d) => d.as_secs_f64() as f32,
    }
}

/// Whether the block's byte order is the machine's own (a plain byte copy).
#[inline]
fn native(big: bool) -> bool {
    big == cfg!(target_endian = "big")
}

#[inline]
fn convert(dst: &mut [u8], src: &[f32], big: bool) {
    if big {
        for (d, &x) in dst.chunks_exact_mut(4).zip(src) {
            d.copy_from_slice(&x.to_be_bytes());
        }
    } else {
        for (d, &x) in dst.chunks_exact_mut(4).zip(src) {
            d.copy_from_slice(&x.to_le_bytes());
        }
    }
}

/// Writes the blocks of `t` through any sink (or `NONE`).
pub(crate) fn write<T: Table, S: Sink + ?Sized>(t: &T, big: bool, out: &mut S) -> Result<()> {
    check(t)?;
    let n = t.len();
    if n == 0 {
        out.write(b"NONE")?;
        return Ok(());
    }
    let mut hdr = [0u8; 11];
    let hlen = block_header(n * 4, &mut hdr);
    let blocks = t.width() + usize::from(t.has_times());
    out.reserve(blocks * (hlen + 1 + n * 4));
    let mut stage = [0u8; STAGE_FLOATS * 4];
    let mut fstage = [0f32; STAGE_FLOATS];
    let mut first = true;
    if t.has_times() {
        out.write(&hdr[..hlen])?;
        first = false;
        let mut i = 0;
        while i < n {
            let k = (n - i).min(STAGE_FLOATS);
            for (j, f) in fstage[..k].iter_mut().enumerate() {
                *f = time_secs(t, i + j);
            }
            convert(&mut stage[..k * 4], &fstage[..k], big);
            out.write(&stage[..k * 4])?;
            i += k;
        }
    }
    for c in 0..t.width() {
        if !first {
            out.write_byte(b',')?;
        }
        first = false;
        out.write(&hdr[..hlen])?;
        for piece in t.column(c) {
            if native(big) {
                out.write(bytemuck::cast_slice(piece))?;
                continue;
            }
            for chunk in piece.chunks(STAGE_FLOATS) {
                convert(&mut stage[..chunk.len() * 4], chunk, big);
                out.write(&stage[..chunk.len() * 4])?;
            }
        }
    }
    Ok(())
}

/// Writes the blocks of `t` onto a `Vec`, converting the payload in place.
pub(crate) fn write_vec<T: Table>(t: &T, big: bool, out: &mut Vec<u8>) -> Result<()> {
    check(t)?;
    let n = t.len();
    if n == 0 {
        out.extend_from_slice(b"NONE");
        return Ok(());
    }
    let mut hdr = [0u8; 11];
    let hlen = block_header(n * 4, &mut hdr);
    let blocks = t.width() + usize::from(t.has_times());
    out.reserve(blocks * (hlen + 1 + n * 4));
    let mut first = true;
    if t.has_times() {
        out.extend_from_slice(&hdr[..hlen]);
        first = false;
        let start = out.len();
        out.resize(start + n * 4, 0);
        for (i, d) in out[start..].chunks_exact_mut(4).enumerate() {
            let v = time_secs(t, i);
            d.copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
    }
    for c in 0..t.width() {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(&hdr[..hlen]);
        if native(big) {
            for piece in t.column(c) {
                out.extend_from_slice(bytemuck::cast_slice(piece));
            }
            continue;
        }
        let mut start = out.len();
        out.resize(start + n * 4, 0);
        for piece in t.column(c) {
            let end = start + piece.len() * 4;
            convert(&mut out[start..end], piece, big);
            start = end;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Duration;
    use crate::records::Records;

    #[test]
    fn headers() {
        let mut b = [0u8; 11];
        let n = block_header(8, &mut b);
        assert_eq!(&b[..n], b"#18");
        let n = block_header(0, &mut b);
        assert_eq!(&b[..n], b"#10");
        let n = block_header(999_999_996, &mut b);
        assert_eq!(&b[..n], b"#9999999996");
    }

    #[test]
    fn seed_example_bin_intel() {
        let t = |ms| Some(RecordTime::Elapsed(Duration::from_millis(ms)));
        let r = Records::from_rows(
            4,
            [
                (t(100), &[1.5, 1.0, 10.5, 10.0][..]),
                (t(200), &[2.5, 2.0, 20.5, 20.0][..]),
            ],
        )
        .unwrap();
        for big in [false, true] {
            let mut a = Vec::new();
            write(&r, big, &mut a).unwrap();
            let mut b = Vec::new();
            write_vec(&r, big, &mut b).unwrap();
            assert_eq!(a, b);
            let mut expect = Vec::new();
            let blocks: [[f32; 2]; 5] = [
                [0.1, 0.2],
                [1.5, 2.5],
                [1.0, 2.0],
                [10.5, 20.5],
                [10.0, 20.0],
            ];
            for (i, bl) in blocks.iter().enumerate() {
                if i > 0 {
                    expect.push(b',');
                }
                expect.extend_from_slice(b"#18");
                for v in bl {
                    expect.extend_from_slice(&if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    });
                }
            }
            assert_eq!(a, expect);
        }
        let wall = Records::from_rows(
            1,
            [(
                Some(RecordTime::Wall(Duration::from_secs(1))),
                &[1.0f32][..],
            )],
        )
        .unwrap();
        assert_eq!(
            write(&wall, false, &mut Vec::new()).unwrap_err(),
            Error::AbsTimeNeedsAscii
        );
    }
}
