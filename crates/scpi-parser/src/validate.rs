//! Validation: a unit's parameters lexed and checked against the command's
//! declaration (count, type, unit, range, choices) before the handler runs.

use crate::args::{Args, Value};
use crate::channel::ChannelList;
use crate::error::{Error, code};
use crate::lexer::{Cursor, Token, lex_token, next_separator};
use crate::mnemonic::find_choice;
use crate::params::{Kind, Param};
use crate::units::{Unit, apply_suffix};

/// Outcome of validating a unit's parameters.
pub(crate) enum Checked {
    /// All good.
    Ok,
    /// A -2xx (or other non-syntax) refusal: skip the unit, continue the message.
    Refused(Error),
    /// A -1xx error: stop the message.
    Fatal(Error),
}

fn not_allowed(t: &Token<'_>) -> Error {
    Error::new(match t {
        Token::Number { .. } | Token::NonDecimal(_) => code::NUMERIC_DATA_NOT_ALLOWED,
        Token::Chars(_) => code::CHARACTER_DATA_NOT_ALLOWED,
        Token::Str(_) => code::STRING_DATA_NOT_ALLOWED,
        Token::Block(_) => code::BLOCK_DATA_NOT_ALLOWED,
        Token::Expr(_) => code::EXPRESSION_DATA_NOT_ALLOWED,
    })
}

/// The number a numeric token stands for (suffix applied), or the error.
fn numeric(t: &Token<'_>, unit: Unit, min: f64, max: f64, default: f64) -> Result<f64, Error> {
    match *t {
        Token::Number {
            value,
            suffix: None,
        } => Ok(value),
        Token::Number {
            value,
            suffix: Some(sfx),
        } => apply_suffix(value, sfx, unit),
        Token::NonDecimal(v) => Ok(v as f64),
        Token::Chars(w) => {
            const WORDS: [&str; 6] = [
                "MINimum",
                "MAXimum",
                "DEFault",
                "INFinity",
                "NINFinity",
                "NAN",
            ];
            match find_choice(&WORDS, w) {
                Some(0) => Ok(min),
                Some(1) => Ok(max),
                Some(2) => Ok(default),
                Some(3) => Ok(f64::INFINITY),
                Some(4) => Ok(f64::NEG_INFINITY),
                Some(5) => Ok(f64::NAN),
                _ => Err(Error::new(code::CHARACTER_DATA_NOT_ALLOWED).with_detail_bytes(w)),
            }
        }
        _ => Err(not_allowed(t)),
    }
}

/// Rounds half away from zero (`10.5` → 11, `-2.5` → -3) without `std`.
fn round_half_away(v: f64) -> f64 {
    const EXACT: f64 = 4_503_599_627_370_496.0; // 2^52: every larger f64 is whole
    if !v.is_finite() || v.abs() >= EXACT {
        return v;
    }
    let t = v as i64; // truncates toward zero; exact below 2^52
    let frac = v - t as f64; // exact
    let r = if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    };
    r as f64
}

fn out_of_range() -> Error {
    Error::new(code::DATA_OUT_OF_RANGE)
}

/// Checks one token against one declared kind.
fn check<'a>(t: &Token<'a>, kind: &Kind) -> Result<Value<'a>, Error> {
    Ok(match *kind {
        Kind::Number {
            unit,
            min,
            max,
            default,
        } => {
            let v = numeric(t, unit, min, max, default)?;
            let unbounded = min == f64::NEG_INFINITY && max == f64::INFINITY;
            if !(unbounded || (v >= min && v <= max)) {
                return Err(out_of_range());
            }
            Value::Number(v)
        }
        Kind::Integer { min, max, default } => {
            let v = numeric(t, Unit::None, min as f64, max as f64, default as f64)?;
            let r = round_half_away(v);
            // `as` saturates; the range check below refuses the saturated ends
            // unless they are really in range.
            if !r.is_finite() || r < i64::MIN as f64 || r >= i64::MAX as f64 {
                return Err(out_of_range());
            }
            let i = r as i64;
            if i < min || i > max {
                return Err(out_of_range());
            }
            Value::Integer(i)
        }
        Kind::Boolean => match *t {
            Token::Chars(w) => match find_choice(&["OFF", "ON"], w) {
                Some(i) => Value::Boolean(i == 1),
                None => return Err(Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail_bytes(w)),
            },
            Token::Number { value, suffix } => {
                if let Some(s) = suffix {
                    return Err(Error::new(code::SUFFIX_NOT_ALLOWED).with_detail_bytes(s));
                }
                if value.is_nan() {
                    return Err(Error::new(code::ILLEGAL_PARAMETER_VALUE));
                }
                Value::Boolean(round_half_away(value) != 0.0)
            }
            Token::NonDecimal(v) => Value::Boolean(v != 0),
            _ => return Err(not_allowed(t)),
        },
        Kind::Choice(words) | Kind::ChoiceList(words) => match *t {
            Token::Chars(w) => match find_choice(words, w) {
                Some(i) => Value::Choice(i),
                None => return Err(Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail_bytes(w)),
            },
            _ => return Err(not_allowed(t)),
        },
        Kind::String | Kind::StringList => match *t {
            Token::Str(s) => Value::Str(s),
            _ => return Err(not_allowed(t)),
        },
        Kind::Block => match *t {
            Token::Block(b) => Value::Block(b),
            _ => return Err(not_allowed(t)),
        },
        Kind::ChannelList => match *t {
            Token::Expr(e) => Value::ChannelList(ChannelList::parse(e)?),
            _ => return Err(not_allowed(t)),
        },
        Kind::Expression => match *t {
            Token::Expr(e) => Value::Expression(e),
            _ => return Err(not_allowed(t)),
        },
    })
}

fn is_syntax(e: &Error) -> bool {
    (-199..=-100).contains(&e.code())
}

/// Lexes and validates the parameters of one unit; the cursor is just after
/// the header and ends at the `;` or the end of the message.
pub(crate) fn check_params<'a>(
    cur: &mut Cursor<'a>,
    spec: &'static [Param],
    args: &mut Args<'a>,
) -> Checked {
    args.reset(spec);
    // No slot needs clearing: `Args::get` reads only the first `count`, all
    // written below (positional parameters leave no gaps).
    let mut refused: Option<Error> = None;
    cur.skip_ws();
    let mut more = !matches!(cur.peek(), None | Some(b';'));
    let mut i = 0usize;
    // Items of a trailing list seen, refused ones included (a refused item
    // was given: it is not a missing parameter).
    let mut list_seen = 0usize;
    while more {
        let list_start = cur.pos;
        let t = match lex_token(cur) {
            Ok(t) => t,
            Err(e) => return Checked::Fatal(e),
        };
        match spec.get(i) {
            None => {
                return Checked::Fatal(Error::new(code::PARAMETER_NOT_ALLOWED));
            }
            Some(p) => {
                let list = p.kind.is_list();
                if list {
                    list_seen += 1;
                }
                match check(&t, &p.kind) {
                    Ok(v) => {
                        if list {
                            if args.list_len == 0 {
                                args.list = &cur.s[list_start..];
                                args.list_at = i;
                            }
                            if let Some(slot) = args.values.get_mut(i + args.list_len) {
                                *slot = v;
                            }
                            args.list_len += 1;
                        } else if let Some(slot) = args.values.get_mut(i) {
                            *slot = v;
                            args.count = i + 1;
                        }
                    }
                    Err(e) if is_syntax(&e) => return Checked::Fatal(e),
                    Err(e) => {
                        refused.get_or_insert(e);
                    }
                }
                if !list {
                    i += 1;
                }
            }
        }
        more = match next_separator(cur) {
            Ok(m) => m,
            Err(e) => return Checked::Fatal(e),
        };
    }
    // Missing required parameters.
    let given = if spec.get(i).is_some_and(|p| p.kind.is_list()) && list_seen > 0 {
        i + 1
    } else {
        i
    };
    if spec.get(given).is_some_and(|p| !p.optional) {
        return Checked::Fatal(Error::new(code::MISSING_PARAMETER));
    }
    match refused {
        Some(e) => Checked::Refused(e),
        None => Checked::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::MAX_PARAMS;

    fn run(input: &'static str, spec: &'static [Param]) -> Result<Args<'static>, i32> {
        let mut c = Cursor::new(input.as_bytes());
        let mut a = Args::EMPTY;
        match check_params(&mut c, spec, &mut a) {
            Checked::Ok => Ok(a),
            Checked::Refused(e) | Checked::Fatal(e) => Err(e.code()),
        }
    }

    const PER: &[Param] = &[Param::number(Unit::Second)
        .range(1e-6, 3600.0)
        .default_value(0.1)];
    const FETCH: &[Param] = &[Param::integer(0, i64::MAX).optional()];
    const CALC: &[Param] = &[Param::choice_list(&["AVG", "MINimum", "MAXimum", "RMS"])];
    const ITEMS: &[Param] = &[Param::string_list()];
    const BOOL: &[Param] = &[Param::boolean()];
    const FORM: &[Param] = &[Param::choice(&["ASCii", "BIN_INTel", "BIN_MOTorola"])];
    const TWO: &[Param] = &[Param::number(Unit::Volt), Param::string().optional()];

    #[test]
    fn numbers_units_ranges() {
        assert_eq!(run(" 100ms", PER).unwrap().f64(0), Ok(0.1));
        assert_eq!(run(" 0.1 S", PER).unwrap().f64(0), Ok(0.1));
        assert_eq!(run(" MAX", PER).unwrap().f64(0), Ok(3600.0));
        assert_eq!(run(" def", PER).unwrap().f64(0), Ok(0.1));
        assert_eq!(run(" 3601", PER).unwrap_err(), -222);
        assert_eq!(run(" 0", PER).unwrap_err(), -222);
        assert_eq!(run(" INF", PER).unwrap_err(), -222);
        assert_eq!(run(" NAN", PER).unwrap_err(), -222);
        assert_eq!(run(" 1 V", PER).unwrap_err(), -131);
        assert_eq!(run(" FAST", PER).unwrap_err(), -148);
        assert_eq!(run(" \"1\"", PER).unwrap_err(), -158);
        assert_eq!(run(" #11x", PER).unwrap_err(), -168);
        assert_eq!(run(" (1)", PER).unwrap_err(), -178);
        assert_eq!(run("", PER).unwrap_err(), -109);
        assert_eq!(run(" 1,2", PER).unwrap_err(), -108);
        assert_eq!(run(" 1 2", PER).unwrap_err(), -103);
        assert_eq!(run(" 1,", PER).unwrap_err(), -102);
        assert!(
            run(" NAN", const { &[Param::number(Unit::None)] })
                .unwrap()
                .f64(0)
                .unwrap()
                .is_nan()
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(round_half_away(10.5), 11.0);
        assert_eq!(round_half_away(-2.5), -3.0);
        assert_eq!(round_half_away(0.49999999999999994), 0.0);
        assert_eq!(round_half_away(-0.4), 0.0);
        assert_eq!(round_half_away(1e300), 1e300);
    }

    #[test]
    fn integers() {
        assert_eq!(run(" 10.6", FETCH).unwrap().i64(0), Ok(11));
        assert_eq!(run(" 10.4", FETCH).unwrap().i64(0), Ok(10));
        assert_eq!(run(" #HFF", FETCH).unwrap().i64(0), Ok(255));
        assert_eq!(run("", FETCH).unwrap().opt_i64(0), Ok(None));
        assert_eq!(run("", FETCH).unwrap().i64(0), Ok(0));
        assert_eq!(run(" -1", FETCH).unwrap_err(), -222);
        assert_eq!(run(" 1e30", FETCH).unwrap_err(), -222);
        assert_eq!(run(" 1 s", FETCH).unwrap_err(), -138);
        assert_eq!(run(" 2,", FETCH).unwrap_err(), -102);
    }

    #[test]
    fn booleans_and_choices() {
        assert_eq!(run(" ON", BOOL).unwrap().bool(0), Ok(true));
        assert_eq!(run(" off", BOOL).unwrap().bool(0), Ok(false));
        assert_eq!(run(" 0.4", BOOL).unwrap().bool(0), Ok(false));
        assert_eq!(run(" 1", BOOL).unwrap().bool(0), Ok(true));
        assert_eq!(run(" MAYBE", BOOL).unwrap_err(), -224);
        assert_eq!(run(" bin_int", FORM).unwrap().choice(0), Ok(1));
        assert_eq!(run(" BIN_MOTOROLA", FORM).unwrap().choice(0), Ok(2));
        assert_eq!(run(" BIN", FORM).unwrap_err(), -224);
        assert_eq!(run(" 1", FORM).unwrap_err(), -128);
        let a = run(" RMS, min ,MAXIMUM", CALC).unwrap();
        assert_eq!(a.list_len(), 3);
        assert!(a.choices().eq([3, 1, 2]));
        assert_eq!(run(" AVG,FOO", CALC).unwrap_err(), -224);
        assert_eq!(run(" AVG,", CALC).unwrap_err(), -102);
        assert_eq!(run("", CALC).unwrap_err(), -109);
        // A refused word is a given parameter: -224, not -109.
        assert_eq!(run(" FOO", CALC).unwrap_err(), -224);
        assert_eq!(run(" AVG,FOO", CALC).unwrap_err(), -224);
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn long_lists_are_lexed_again() {
        // Up to MAX_PARAMS items are kept at validation; longer lists are
        // read from their text. Both give the same items.
        for n in [
            1usize,
            MAX_PARAMS - 1,
            MAX_PARAMS,
            MAX_PARAMS + 1,
            3 * MAX_PARAMS,
        ] {
            let names: std::vec::Vec<std::string::String> =
                (0..n).map(|k| std::format!("\"ch {k}\"")).collect();
            let text: &'static str = std::format!(" {}", names.join(", ")).leak();
            let a = run(text, ITEMS).unwrap();
            assert_eq!(a.list_len(), n);
            let got: std::vec::Vec<std::string::String> =
                a.strings().map(|s| s.to_text().into_owned()).collect();
            let want: std::vec::Vec<std::string::String> =
                (0..n).map(|k| std::format!("ch {k}")).collect();
            assert_eq!(got, want);
            let words = ["AVG", "MIN", "MAX", "RMS"];
            let text: &'static str = std::format!(
                " {}",
                (0..n)
                    .map(|k| words[k % 4])
                    .collect::<std::vec::Vec<_>>()
                    .join(",")
            )
            .leak();
            let a = run(text, CALC).unwrap();
            assert!(a.choices().eq((0..n).map(|k| [0, 1, 2, 3][k % 4])));
            assert!(matches!(a.get(0), Value::Absent));
        }
    }

    #[test]
    fn strings_and_lists() {
        let a = run(" \"AI 1/1\",'AI 1/2' , \"x\"\"y\"", ITEMS).unwrap();
        let v: [bool; 3] = {
            let mut it = a.strings();
            [
                it.next().unwrap().eq_text("AI 1/1"),
                it.next().unwrap().eq_text("AI 1/2"),
                it.next().unwrap().eq_text("x\"y"),
            ]
        };
        assert_eq!(v, [true; 3]);
        assert_eq!(a.strings().count(), 3);
        assert_eq!(run(" \"a\",1", ITEMS).unwrap_err(), -128);
        let a = run(" 2.5, 'x'", TWO).unwrap();
        assert_eq!(a.f64(0), Ok(2.5));
        assert!(a.str(1).unwrap().eq_text("x"));
        assert_eq!(a.bool(0).unwrap_err().code(), -310);
        let a = run(" 2.5", TWO).unwrap();
        assert_eq!(a.opt_str(1).map(|s| s.is_none()), Ok(true));
    }

    #[test]
    fn blocks_and_channels() {
        let a = run(" #15ab;cd", const { &[Param::block()] }).unwrap();
        assert_eq!(a.block(0), Ok(&b"ab;cd"[..]));
        let a = run(" (@1,3:5)", const { &[Param::channel_list()] }).unwrap();
        assert_eq!(a.channels(0).unwrap().iter().count(), 2);
        assert_eq!(
            run(" (1,3)", const { &[Param::channel_list()] }).unwrap_err(),
            -171
        );
        assert_eq!(
            run(" 1", const { &[Param::channel_list()] }).unwrap_err(),
            -128
        );
        assert_eq!(
            run(" (1+2)", const { &[Param::expression()] })
                .unwrap()
                .expression(0),
            Ok(&b"(1+2)"[..])
        );
    }
}
