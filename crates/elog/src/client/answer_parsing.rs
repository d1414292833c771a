//! Reading answers the way servers really write them.
//!
//! Tolerated everywhere: a response header before the data (`:ELOG:FETC …`,
//! `*IDN …`, as OXYGEN writes them while `:COMM:HEAD` is ON), spaces around
//! fields and after commas, words in any case, double or single quotes, and
//! `""` inside a quoted string. The value formats themselves (NRf, the SCPI
//! NaN/∞ sentinels, ABS times) are read by `elog-core`'s decoder.

use elog_core::decode::{parse_secs, parse_value};
use std::time::Duration;

use elog_core::{Calc, CalcList, Format, State, TimestampMode};

use super::error::{DeviceError, ProtocolVersion};

/// The identity a server reports with `*IDN?`.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct Identity {
    /// Manufacturer (field 1).
    pub manufacturer: String,
    /// Model (field 2).
    pub model: String,
    /// Serial number (field 3).
    pub serial: String,
    /// Firmware or software version (field 4 and anything after it).
    pub version: String,
}

/// Removes a response header, if any: the answer of a query made while
/// `:COMM:HEAD` is ON starts with the header and one space.
///
/// A header is recognised when the answer starts with `:` or `*`, or with a
/// mnemonic holding a `:` (`ELOG:STAT RUNNING`), always followed by a space.
/// Data never starts that way: numbers start with a digit, sign, `.` or `#`,
/// times with a digit or a quote, and words (`NONE`, `ERROR`, `RUNNING`) hold no `:`.
///
/// Only leading white space is removed with it: the tail of a binary answer
/// is data (a block may end in bytes that look like spaces).
pub fn strip_header(answer: &[u8]) -> &[u8] {
    let body = trim_start(answer);
    let Some(&first) = body.first() else {
        return body;
    };
    let token_end = body.iter().position(|&b| b == b' ').unwrap_or(body.len());
    let token = &body[..token_end];
    let header_chars = token
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'*' | b'_' | b'?'));
    let is_header = token_end < body.len()
        && header_chars
        && (first == b':'
            || first == b'*'
            || (first.is_ascii_alphabetic() && token.contains(&b':')));
    if is_header {
        trim_start(&body[token_end..])
    } else {
        body
    }
}

fn is_ws(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim_start(s: &[u8]) -> &[u8] {
    &s[s.iter().position(|b| !is_ws(b)).unwrap_or(s.len())..]
}

/// Trims spaces, tabs, CR and LF on both ends.
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_ws(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Whether the (header-stripped) answer is the word `word`, in any case.
pub fn is_word(answer: &[u8], word: &str) -> bool {
    trim(strip_header(answer)).eq_ignore_ascii_case(word.as_bytes())
}

/// Splits at commas outside quotes; each field trimmed.
pub fn split_fields(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, ',') => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

/// Removes one pair of surrounding quotes (`"` or `'`) and undoubles the quote
/// inside; unquoted text is returned as it is.
pub fn unquote(field: &str) -> String {
    let f = field.trim();
    for q in ['"', '\''] {
        if f.len() >= 2 && f.starts_with(q) && f.ends_with(q) {
            let doubled: String = [q, q].iter().collect();
            return f[1..f.len() - 1].replace(&doubled, &q.to_string());
        }
    }
    f.to_string()
}

/// Quotes a string for a command (`"` doubled inside).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn text(answer: &[u8]) -> Option<&str> {
    std::str::from_utf8(trim(strip_header(answer))).ok()
}

/// Parses an error-queue entry: `<code>,"<text>[;<detail>]"` (also `+203, "…"`
/// or an unquoted text). `Ok(None)` is "no error" (code 0).
pub fn parse_error(answer: &[u8]) -> Option<Option<DeviceError>> {
    let s = text(answer)?;
    let (code, rest) = match s.split_once(',') {
        Some((c, r)) => (c, r),
        None => (s, ""),
    };
    let code: i32 = code.trim().trim_start_matches('+').parse().ok()?;
    if code == 0 {
        return Some(None);
    }
    let msg = unquote(rest);
    let (text, detail) = match msg.split_once(';') {
        Some((t, d)) => (cut(t), Some(cut(d))),
        None => (cut(&msg), None),
    };
    Some(Some(DeviceError { code, text, detail }))
}

/// The most bytes kept of an error text or detail: a drained queue stays small
/// whatever a server writes.
pub const MAX_ERROR_TEXT: usize = 1024;

fn cut(s: &str) -> String {
    let mut end = s.len().min(MAX_ERROR_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Parses a list of quoted names (`"a","b"`), or `NONE` (an empty list).
pub fn parse_names(answer: &[u8]) -> Option<Vec<String>> {
    let s = text(answer)?;
    if s.is_empty() || s.eq_ignore_ascii_case("NONE") {
        return Some(Vec::new());
    }
    Some(split_fields(s).into_iter().map(unquote).collect())
}

/// Parses `*IDN?`: four comma-separated fields (a fourth containing commas is kept whole).
pub fn parse_identity(answer: &[u8]) -> Option<Identity> {
    let s = text(answer)?;
    let mut f = s.splitn(4, ',').map(|x| unquote(x.trim()));
    Some(Identity {
        manufacturer: f.next()?,
        model: f.next()?,
        serial: f.next()?,
        version: f.next()?,
    })
}

/// Parses `*VER?` in OXYGEN's shape (`SCPI,"1999.0",RC_SCPI,"1.10",OXYGEN,"7.1"`):
/// field 4 is the protocol version. A single field (`1.10`) is read as the version.
pub fn parse_version(answer: &[u8]) -> Option<ProtocolVersion> {
    let s = text(answer)?;
    let fields = split_fields(s);
    let field = match fields.len() {
        1 => fields[0],
        n if n >= 4 => fields[3],
        _ => return None,
    };
    let v = unquote(field);
    let (major, minor) = v.split_once('.').unwrap_or((&v, "0"));
    // A third component (`1.10.2`) does not count.
    let minor = minor.split('.').next().unwrap_or("0");
    Some(ProtocolVersion {
        major: major.trim().parse().ok()?,
        minor: minor.trim().parse().ok()?,
    })
}

/// Parses `STATe?` (`CONFIG`, `RUNNING`, `INVALID`; the short forms too).
pub fn parse_state(answer: &[u8]) -> Option<State> {
    let s = unquote(text(answer)?);
    [State::Config, State::Running, State::Invalid]
        .into_iter()
        .find(|st| {
            let long = st.as_str();
            s.eq_ignore_ascii_case(long) || s.eq_ignore_ascii_case(short_form(long))
        })
}

/// The SCPI short form of a long mnemonic: four letters, three if the fourth is a vowel.
fn short_form(long: &str) -> &str {
    match long.as_bytes().get(3) {
        None => long,
        Some(b'A' | b'E' | b'I' | b'O' | b'U') => &long[..3],
        Some(_) => &long[..4],
    }
}

/// Parses `CALCulations?` (`AVG,MAX`, `AVG, MAX`).
pub fn parse_calcs(answer: &[u8]) -> Option<CalcList> {
    let s = text(answer)?;
    let words: Vec<String> = split_fields(s).into_iter().map(unquote).collect();
    let calcs: Option<Vec<Calc>> = words.iter().map(|w| Calc::parse(w).ok()).collect();
    CalcList::new(&calcs?).ok()
}

/// Parses `FORMat?`.
pub fn parse_format(answer: &[u8]) -> Option<Format> {
    Format::parse(&unquote(text(answer)?)).ok()
}

/// Parses `TIMestamp?`.
pub fn parse_timestamp(answer: &[u8]) -> Option<TimestampMode> {
    TimestampMode::parse(&unquote(text(answer)?)).ok()
}

/// Parses `PERiod?` (NR1, NR2 or NR3 seconds; a trailing `S` unit is accepted;
/// whole nanoseconds, above zero).
pub fn parse_period(answer: &[u8]) -> Option<Duration> {
    let s = text(answer)?;
    let s = s
        .strip_suffix(['s', 'S'])
        .map_or(s, str::trim_end)
        .as_bytes();
    let nanos = parse_secs(s)?.as_nanos();
    (nanos > 0).then(|| Duration::from_nanos(nanos.unsigned_abs()))
}

/// Parses one number answer (NRf or a SCPI sentinel).
pub fn parse_number(answer: &[u8]) -> Option<f32> {
    parse_value(trim(strip_header(answer)))
}

/// Drops a UTC offset (`Z`, `+02:00`, `-0500`) from the ABS time that leads
/// each record of an ASCII answer (`per` fields per record), keeping the
/// server's local clock reading — what `TIM ABS` reports. `None` when no time
/// carries an offset (the answer is decoded as it is).
pub fn strip_time_zones(body: &[u8], per: usize) -> Option<Vec<u8>> {
    if per == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut changed = false;
    for (i, field) in body.split(|&b| b == b',').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if i % per != 0 {
            out.extend_from_slice(field);
            continue;
        }
        let t = trim(field);
        let (quoted, inner) = match t.strip_prefix(b"\"").and_then(|x| x.strip_suffix(b"\"")) {
            Some(inner) => (true, inner),
            None => (false, t),
        };
        let zone = zone_len(inner);
        changed |= zone > 0;
        if quoted {
            out.push(b'"');
        }
        out.extend_from_slice(&inner[..inner.len() - zone]);
        if quoted {
            out.push(b'"');
        }
    }
    changed.then_some(out)
}

/// The length of a trailing UTC offset after a `…hh:mm:ss[.f]` time (0: none).
fn zone_len(t: &[u8]) -> usize {
    // Only after the time of day: `T`/space at index ≥ 10 and a ':' before the zone.
    let time_of_day = t.contains(&b'T') || t.get(10) == Some(&b' ');
    if t.len() < 20 || !time_of_day {
        return 0;
    }
    if t.last().is_some_and(|&b| b == b'Z' || b == b'z') {
        return 1;
    }
    for len in [6, 5, 3] {
        let Some(z) = t.len().checked_sub(len).map(|i| &t[i..]) else {
            continue;
        };
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let ok = matches!(z[0], b'+' | b'-')
            && match len {
                6 => z[3] == b':' && digits(&z[1..3]) && digits(&z[4..]),
                _ => digits(&z[1..]),
            };
        if ok && t.len() - len >= 19 {
            return len;
        }
    }
    0
}

/// Cuts an answer to a short, printable string for error messages.
pub fn preview(answer: &[u8]) -> String {
    let cut = &answer[..answer.len().min(200)];
    String::from_utf8_lossy(cut).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: i32, text: &str, detail: Option<&str>) -> DeviceError {
        DeviceError {
            code,
            text: text.into(),
            detail: detail.map(Into::into),
        }
    }

    #[test]
    fn headers_are_stripped_only_when_present() {
        assert_eq!(strip_header(b":ELOG:FETC 1.0, 2.0\r"), b"1.0, 2.0\r");
        assert_eq!(strip_header(b" #14abc "), b"#14abc ");
        assert_eq!(strip_header(b":ELOG:STAT RUNNING"), b"RUNNING");
        assert_eq!(strip_header(b"ELOG:STAT RUNNING"), b"RUNNING");
        assert_eq!(strip_header(b":ELOG:FETC NONE"), b"NONE");
        assert_eq!(
            strip_header(b":ELOG:FETC #14abcd,#14abcd"),
            b"#14abcd,#14abcd"
        );
        assert_eq!(
            strip_header(b"*IDN DEWETRON,OXYGEN,0,7.1"),
            b"DEWETRON,OXYGEN,0,7.1"
        );
        for data in [
            &b"NONE"[..],
            b"ERROR",
            b"1.5, 1, 10.5, 10",
            b"-2.5E+0",
            b"2024-02-29T12:34:56.123456,1.0",
            b"\"2024-02-29T12:34:56\", 1.0",
            b"DEWETRON GmbH,OXYGEN,123,7.1",
            b"#14a b:,",
            b"",
        ] {
            assert_eq!(strip_header(data), data, "{:?}", preview(data));
        }
    }

    #[test]
    fn error_entries() {
        assert_eq!(parse_error(b"0,\"No error\""), Some(None));
        assert_eq!(parse_error(b":SYST:ERR 0,\"No error\""), Some(None));
        assert_eq!(
            parse_error(b"-221,\"Settings conflict;absolute times only in ASCII\""),
            Some(Some(err(
                -221,
                "Settings conflict",
                Some("absolute times only in ASCII")
            )))
        );
        assert_eq!(
            parse_error(b"+203, \"ELOG records lost;7 records lost\""),
            Some(Some(err(203, "ELOG records lost", Some("7 records lost"))))
        );
        assert_eq!(
            parse_error(b"-224,\"Illegal parameter value;\"\"AI 9\"\"\""),
            Some(Some(err(-224, "Illegal parameter value", Some("\"AI 9\""))))
        );
        assert_eq!(parse_error(b"-100"), Some(Some(err(-100, "", None))));
        let long = format!("1,\"{};{}\"", "é".repeat(2000), "x".repeat(5000));
        let e = parse_error(long.as_bytes()).unwrap().unwrap();
        assert_eq!(e.text.len(), MAX_ERROR_TEXT);
        assert_eq!(e.detail.unwrap().len(), MAX_ERROR_TEXT);
        assert_eq!(parse_error(b"no error"), None);
    }

    #[test]
    fn oxygen_configuration_answers() {
        assert_eq!(
            parse_names(b":ELOG:ITEM \"U1_tRMS@PowerGroup\",\"AI 1/2\""),
            Some(vec!["U1_tRMS@PowerGroup".into(), "AI 1/2".into()])
        );
        assert_eq!(
            parse_names(b"\"a,b\", 'c'"),
            Some(vec!["a,b".into(), "c".into()])
        );
        assert_eq!(parse_names(b"NONE"), Some(vec![]));
        assert_eq!(
            parse_calcs(b"RMS, MIN").unwrap().as_slice(),
            &[Calc::Rms, Calc::Min]
        );
        assert_eq!(parse_calcs(b":ELOG:CALC AVG,MAX").unwrap().len(), 2);
        assert_eq!(parse_calcs(b"AVG,AVG"), None);
        assert_eq!(parse_format(b"BIN_INTEL"), Some(Format::BinIntel));
        assert_eq!(parse_format(b":ELOG:FORM ASC"), Some(Format::Ascii));
        assert_eq!(parse_timestamp(b"rel"), Some(TimestampMode::Rel));
        assert_eq!(parse_state(b":ELOG:STAT RUNNING"), Some(State::Running));
        assert_eq!(parse_state(b"INV"), Some(State::Invalid));
        assert_eq!(parse_state(b"conf"), Some(State::Config));
        assert_eq!(parse_state(b"RUNN"), Some(State::Running));
        assert_eq!(parse_state(b"IDLE"), None);
        assert_eq!(parse_period(b"0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_period(b"1.0E-1"), Some(Duration::from_millis(100)));
        assert_eq!(parse_period(b"1"), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_period(b"0.100000 S"),
            Some(Duration::from_millis(100))
        );
        assert_eq!(parse_period(b"0"), None);
        assert!(parse_number(b"9.91E+37").unwrap().is_nan());
        assert_eq!(parse_number(b"-9.9E+37"), Some(f32::NEG_INFINITY));
    }

    #[test]
    fn identity_and_version() {
        let id = parse_identity(b"DEWETRON,OXYGEN,0,7.1.2").unwrap();
        assert_eq!(id.manufacturer, "DEWETRON");
        assert_eq!(id.version, "7.1.2");
        assert_eq!(parse_identity(b"A,B"), None);
        let v = |s: &[u8]| parse_version(s);
        assert_eq!(
            v(b"SCPI,\"1999.0\",RC_SCPI,\"1.6\",OXYGEN,\"2.5.71\""),
            Some(ProtocolVersion { major: 1, minor: 6 })
        );
        let ten = v(b"SCPI, \"1999.0\", RC_SCPI, \"1.10\", OXYGEN, \"7.1\"").unwrap();
        assert_eq!(
            ten,
            ProtocolVersion {
                major: 1,
                minor: 10
            }
        );
        assert!(ten >= ProtocolVersion::ELOG);
        assert_eq!(
            v(b"\"1.20\""),
            Some(ProtocolVersion {
                major: 1,
                minor: 20
            })
        );
        assert_eq!(v(b"2"), Some(ProtocolVersion { major: 2, minor: 0 }));
        assert_eq!(v(b"SCPI,1999.0"), None);
        assert_eq!(v(b"SCPI,\"1999.0\",RC_SCPI,\"x.y\""), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// No answer, however malformed, makes a reader panic.
        #[test]
        fn arbitrary_answers_never_panic(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(b":*\"', ;#.-+0123456789ENONERRORCONFIGAVG".to_vec()),
                    proptest::num::u8::ANY,
                ],
                0..64,
            )
        ) {
            let _ = strip_header(&bytes);
            let _ = parse_error(&bytes);
            let _ = parse_names(&bytes);
            let _ = parse_identity(&bytes);
            let _ = parse_version(&bytes);
            let _ = parse_state(&bytes);
            let _ = parse_calcs(&bytes);
            let _ = parse_format(&bytes);
            let _ = parse_timestamp(&bytes);
            let _ = parse_period(&bytes);
            let _ = parse_number(&bytes);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                proptest::prop_assert_eq!(unquote(&quote(s)), s);
            }
        }
    }

    #[test]
    fn utc_offsets_are_dropped_from_abs_times() {
        let z = |s: &[u8], per| strip_time_zones(s, per).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(
            z(
                b"2017-10-10T12:16:52.33136+02:00, 1.0, \"2017-10-10T12:16:52.43136Z\", 2",
                2
            )
            .as_deref(),
            Some("2017-10-10T12:16:52.33136, 1.0,\"2017-10-10T12:16:52.43136\", 2")
        );
        assert_eq!(
            z(b"2017-10-10T12:16:52-0500,1,2017-10-10T12:16:53-05,2", 2).as_deref(),
            Some("2017-10-10T12:16:52,1,2017-10-10T12:16:53,2")
        );
        assert_eq!(z(b"2017-10-10T12:16:52.500000,1.0", 2), None);
        // A negative value is never taken for an offset.
        assert_eq!(z(b"2017-10-10T12:16:52.5,-2.5", 2), None);
        assert_eq!(z(b"NONE", 2), None);
        assert_eq!(z(b"1,2", 0), None);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("AI \"1\""), "\"AI \"\"1\"\"\"");
        assert_eq!(unquote("\"AI \"\"1\"\"\""), "AI \"1\"");
        assert_eq!(unquote(" bare "), "bare");
        assert_eq!(split_fields("a, \"b,c\" ,d"), ["a", "\"b,c\"", "d"]);
    }
}
