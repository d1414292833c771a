//! The short/long-form rule for pattern words (`SYSTem`, `BIN_INTel`).
//!
//! A pattern word's short form is its leading upper-case part (digits and
//! `_` included); its long form is the whole word. Input matches when it is
//! exactly one of the two, ignoring case (IEEE 488.2 §6.2.4 / SCPI-1999 §6.2.1).

/// The length of the short form of `pattern` (its leading part up to the
/// first lower-case letter).
pub(crate) const fn short_len(pattern: &[u8]) -> usize {
    let mut i = 0;
    while i < pattern.len() && !pattern[i].is_ascii_lowercase() {
        i += 1;
    }
    i
}

/// Whether `input` is the short or the long form of `pattern`, ignoring case.
///
/// ```
/// use scpi_parser::mnemonic::matches;
/// assert!(matches("SYSTem", b"syst"));
/// assert!(matches("SYSTem", b"SYSTEM"));
/// assert!(!matches("SYSTem", b"SYSTE"));
/// assert!(matches("BIN_INTel", b"bin_int"));
/// ```
#[inline]
pub fn matches(pattern: &str, input: &[u8]) -> bool {
    let p = pattern.as_bytes();
    (input.len() == p.len() && input.eq_ignore_ascii_case(p)) || {
        let n = short_len(p);
        input.len() == n && input.eq_ignore_ascii_case(&p[..n])
    }
}

/// The index of the first word of `choices` that `input` matches.
#[inline]
pub fn find_choice(choices: &[&str], input: &[u8]) -> Option<usize> {
    choices.iter().position(|c| matches(c, input))
}

/// The short form of `pattern` (its upper-case prefix).
pub fn short_form(pattern: &str) -> &str {
    &pattern[..short_len(pattern.as_bytes())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule() {
        assert!(matches("ITEMs", b"item"));
        assert!(matches("ITEMs", b"ItEmS"));
        assert!(!matches("ITEMs", b"ite"));
        assert!(matches("ASCII", b"ascii"));
        assert!(!matches("ASCII", b"asc"));
        assert!(matches("CHANNELlist", b"CHANNEL"));
        assert!(!matches("CHANNELlist", b"CHANNELL"));
        assert_eq!(short_form("PERiod"), "PER");
        assert_eq!(find_choice(&["AVG", "MINimum", "MAX"], b"min"), Some(1));
    }
}
