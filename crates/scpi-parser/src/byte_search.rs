//! Byte classes and byte searches a word (eight bytes) at a time, shared by
//! the framer, the lexer and the number scanner.

/// IEEE 488.2 white space: bytes `0x00..=0x20` except the terminator (which the
/// framer removes; a stray LF is treated as white space too).
#[inline]
pub(crate) const fn is_ws(b: u8) -> bool {
    b <= 0x20
}

/// The index of the first byte of `s` that is one of `set` (`s.len()` if
/// none). Eight bytes at a time: each "has a zero byte" mask may flag bytes
/// above a true hit, but its lowest bit is exact, and so is the lowest bit
/// of their union.
#[inline]
pub(crate) fn first_of<const N: usize>(s: &[u8], set: [u8; N]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let w = u64::from_le_bytes(b);
        let mut m = 0;
        for c in set {
            let x = w ^ (ONES * u64::from(c));
            m |= x.wrapping_sub(ONES) & !x & HIGH;
        }
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    s[i..]
        .iter()
        .position(|b| set.contains(b))
        .map_or(s.len(), |k| i + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_of_matches_the_byte_rule() {
        let alphabet = b"ab\r\n\"'#\x00\xff;:? ";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40 {
            for _ in 0..50 {
                let s: std::vec::Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        alphabet[(x % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let want = s
                    .iter()
                    .position(|&b| matches!(b, b'\n' | b'"' | b'\'' | b'#'))
                    .unwrap_or(s.len());
                assert_eq!(first_of(&s, [b'\n', b'"', b'\'', b'#']), want, "{s:?}");
                let want = s
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\'')
                    .unwrap_or(s.len());
                assert_eq!(first_of(&s, [b'\n', b'\'']), want, "{s:?}");
            }
        }
    }

    #[test]
    fn one_byte_searches_find_the_first() {
        let hay: std::vec::Vec<u8> = (0..40u8).map(|k| b'a' + k % 7).collect();
        for from in 0..hay.len() + 2 {
            for c in [b'a', b'c', b'g', b'z', 0x80, 0] {
                let want = hay
                    .get(from..)
                    .and_then(|r| r.iter().position(|&b| b == c))
                    .map(|k| from + k);
                let got = hay.get(from..).map(|r| from + first_of(r, [c]));
                assert_eq!(got.filter(|&k| k < hay.len()), want, "{from} {c}");
            }
        }
        // A byte one above the one sought must not hide it (borrow chain).
        let s = [b'"' + 1, b'"', 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(first_of(&s, [b'"']), 1);
    }
}
