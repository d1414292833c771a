//! Request bodies written byte for byte as Python's `json.dumps` writes them (docs/moku-protocol.md §1.4).
//!
//! Keys keep the order they were added in, separators are `", "` and `": "`, `None` is `null`,
//! non-ASCII text is `\uXXXX`-escaped, and a number keeps its Python type: [`Num::Int`] prints
//! `10000`, [`Num::Float`] prints `1000.0` or `1e-07` like Python's `repr(float)`.

use core::fmt::Write as _;

/// A number that remembers whether Python would have sent it as an `int` or a `float`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// An integer, written without a decimal point.
    Int(i64),
    /// A float, written like Python's `repr(float)`.
    Float(f64),
}

impl Num {
    /// The value as `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            // Exact for every integer a user passes as a Moku parameter.
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

macro_rules! num_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Num {
            fn from(v: $t) -> Self { Num::Int(i64::from(v)) }
        }
    )*};
}
num_from_int!(i8, i16, i32, i64, u8, u16, u32);

/// Beyond `i64::MAX` (no Moku parameter comes near it) the value is sent as a float.
impl From<u64> for Num {
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or(Num::Float(v as f64), Num::Int)
    }
}

/// Beyond `i64::MAX` the value is sent as a float.
impl From<usize> for Num {
    fn from(v: usize) -> Self {
        i64::try_from(v).map_or(Num::Float(v as f64), Num::Int)
    }
}

impl From<f64> for Num {
    fn from(v: f64) -> Self {
        Num::Float(v)
    }
}

impl From<f32> for Num {
    fn from(v: f32) -> Self {
        Num::Float(f64::from(v))
    }
}

impl core::fmt::Display for Num {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(v) => f.write_str(&py_float_repr(v)),
        }
    }
}

/// A JSON value of a request body.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null` (Python `None`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Num(Num),
    /// A string.
    Str(String),
    /// A nested object.
    Obj(Object),
    /// A list (`[a, b]`).
    List(Vec<Value>),
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Num> for Value {
    fn from(v: Num) -> Self {
        Value::Num(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl From<Object> for Value {
    fn from(v: Object) -> Self {
        Value::Obj(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Num(Num::Int(i64::from(v)))
    }
}
impl From<u8> for Value {
    fn from(v: u8) -> Self {
        Value::Num(Num::Int(i64::from(v)))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Num(Num::Int(i64::from(v)))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Num(Num::Float(v))
    }
}

/// An ordered JSON object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    fields: Vec<(String, Value)>,
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a key (keys keep insertion order, as Python dicts do).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.push((key.to_owned(), value.into()));
        self
    }

    /// The keys and values in order.
    pub fn fields(&self) -> &[(String, Value)] {
        &self.fields
    }

    /// The object as `json.dumps` would write it.
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        write_object(&mut s, self);
        s
    }
}

fn write_object(out: &mut String, obj: &Object) {
    out.push('{');
    for (i, (k, v)) in obj.fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_str(out, k);
        out.push_str(": ");
        write_value(out, v);
    }
    out.push('}');
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Num(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Str(s) => write_str(out, s),
        Value::Obj(o) => write_object(out, o),
        Value::List(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, v);
            }
            out.push(']');
        }
    }
}

/// Writes a string as `json.dumps(ensure_ascii=True)` does.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Formats a float exactly as Python's `repr(float)` / `json.dumps` does.
///
/// Shortest round-trip digits; fixed notation when the decimal exponent is in `-4 < e <= 16`,
/// otherwise `d.ddde±XX` with at least two exponent digits. Non-finite values are written
/// `NaN`, `Infinity` and `-Infinity` (json.dumps' default `allow_nan=True`).
pub fn py_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let neg = v.is_sign_negative();
    let sci = format!("{:e}", v.abs()); // shortest round-trip digits, e.g. "1.2345e3", "1e-7", "0e0"
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if digits == "0" {
        out.push_str("0.0");
        return out;
    }
    let decpt = exp + 1; // position of the decimal point relative to the digits
    let n = digits.len() as i32;
    if decpt > -4 && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..(-decpt) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if decpt >= n {
            out.push_str(&digits);
            for _ in 0..(decpt - n) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_python_repr() {
        let cases = [
            (1000.0, "1000.0"),
            (1e-7, "1e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456.789, "123456.789"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e22, "1e+22"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (10e6, "10000000.0"),
            (2e-3, "0.002"),
            (500e-12, "5e-10"),
        ];
        for (v, want) in cases {
            assert_eq!(py_float_repr(v), want, "{v:e}");
        }
    }

    #[test]
    fn object_like_json_dumps() {
        let o = Object::new()
            .with("strict", true)
            .with("channel", 1)
            .with("x", Num::Float(1e3))
            .with("none", Value::Null)
            .with("s", "a\"b\\c\né€😀")
            .with("o", Object::new().with("k", Value::Null));
        assert_eq!(
            o.to_json(),
            r#"{"strict": true, "channel": 1, "x": 1000.0, "none": null, "s": "a\"b\\c\n\u00e9\u20ac\ud83d\ude00", "o": {"k": null}}"#
        );
        assert_eq!(Object::new().to_json(), "{}");
        let list = Object::new().with("l", vec![Object::new().with("a", 1), Object::new()]);
        assert_eq!(list.to_json(), r#"{"l": [{"a": 1}, {}]}"#);
        assert_eq!(Num::from(10u64), Num::Int(10));
        assert_eq!(Num::from(10usize), Num::Int(10));
        assert_eq!(Num::from(u64::MAX), Num::Float(u64::MAX as f64));
    }
}
