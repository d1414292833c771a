//! Record formats (`s32`, `u8,0xAA:s16:p4:b1`) and processing strings (`/65536`, `*C:&0xFF`).

use super::LiError;

/// The type of one record field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Unsigned integer (`u`).
    Unsigned,
    /// Two's-complement signed integer (`s`).
    Signed,
    /// IEEE float, 32 or 64 bits (`f`).
    Float,
    /// Boolean bit (`b`), decoded as 0.0 / 1.0.
    Bool,
    /// Padding (`p`), dropped from the output.
    Padding,
}

/// One field of a record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field {
    /// Its type.
    pub kind: FieldKind,
    /// Its width in bits (1..=64).
    pub bits: u32,
    /// A literal the field must equal, or the record is dropped and decoding moves on by a byte.
    pub literal: Option<u64>,
}

/// A parsed record format.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordFormat {
    /// The fields in order.
    pub fields: Vec<Field>,
    /// Total record width in bits.
    pub bits: usize,
    /// Number of output values per record (fields that are not padding).
    pub outputs: usize,
}

/// Most fields a record format may have.
const MAX_FIELDS: usize = 4096;

/// Parses a Python-style integer literal (`int(lit, 0)`): decimal, `0x`, `0o` or `0b`.
fn parse_int_literal(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h, 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b, 2)
    } else {
        (lower.as_str(), 10)
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

impl RecordFormat {
    /// Parses `:`-separated clauses `<t><bits>[,literal]`. A leading `<` (little endian) is
    /// accepted; `>` (big endian) is an error, as in the reference reader.
    pub fn parse(s: &str) -> Result<Self, LiError> {
        let err = |reason: String| LiError::RecordFormat {
            format: s.to_owned(),
            reason,
        };
        let body = s.trim();
        if body.starts_with('>') {
            return Err(err("big-endian records are not supported".into()));
        }
        let body = body.strip_prefix('<').unwrap_or(body);
        if body.is_empty() {
            return Err(err("empty record format".into()));
        }
        let mut fields = Vec::new();
        for clause in body.split(':') {
            if fields.len() >= MAX_FIELDS {
                return Err(err(format!("more than {MAX_FIELDS} fields")));
            }
            let clause = clause.trim();
            let (spec, literal) = match clause.split_once(',') {
                Some((a, b)) => (a, Some(b.trim())),
                None => (clause, None),
            };
            let mut chars = spec.chars();
            let kind = match chars.next() {
                Some('u') => FieldKind::Unsigned,
                Some('s') => FieldKind::Signed,
                Some('f') => FieldKind::Float,
                Some('b') => FieldKind::Bool,
                Some('p') => FieldKind::Padding,
                _ => return Err(err(format!("unknown field type in {clause:?}"))),
            };
            let bits: u32 = chars
                .as_str()
                .parse()
                .map_err(|_| err(format!("bad bit width in {clause:?}")))?;
            if !(1..=64).contains(&bits) {
                return Err(err(format!("bit width {bits} not in 1..=64")));
            }
            if kind == FieldKind::Float && bits != 32 && bits != 64 {
                return Err(err(format!("float fields are 32 or 64 bits, not {bits}")));
            }
            let literal = match literal {
                None | Some("") => None,
                Some(l) => {
                    Some(parse_int_literal(l).ok_or_else(|| err(format!("bad literal {l:?}")))?)
                }
            };
            fields.push(Field {
                kind,
                bits,
                literal,
            });
        }
        let bits = fields.iter().map(|f| f.bits as usize).sum();
        let outputs = fields
            .iter()
            .filter(|f| f.kind != FieldKind::Padding)
            .count();
        Ok(Self {
            fields,
            bits,
            outputs,
        })
    }
}

/// An operand of a processing operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    /// A number.
    Const(f64),
    /// `C`: the channel's calibration coefficient.
    Calibration,
}

/// One processing operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `*k`.
    Mul(Operand),
    /// `/k`.
    Div(Operand),
    /// `+k`.
    Add(Operand),
    /// `-k`.
    Sub(Operand),
    /// `&k` (on the integer part).
    And(Operand),
    /// `^k`.
    Pow(Operand),
    /// `s`: square root.
    Sqrt,
    /// `f`: floor.
    Floor,
    /// `c`: ceiling.
    Ceil,
}

/// A processing string: one operation chain per output field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Processing {
    /// The chains, one per `:`-separated clause.
    pub chains: Vec<Vec<Op>>,
}

fn parse_operand(lit: &str) -> Option<Operand> {
    if lit == "C" {
        return Some(Operand::Calibration);
    }
    let (neg, body) = match lit.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, lit),
    };
    let lower = body.to_ascii_lowercase();
    // Python: int(lit, 0) first (0x/0o/0b prefixes), then float(lit).
    let v = if lower.starts_with("0x") || lower.starts_with("0o") || lower.starts_with("0b") {
        parse_int_literal(body)? as f64
    } else {
        body.parse::<f64>().ok()?
    };
    Some(Operand::Const(if neg { -v } else { v }))
}

impl Processing {
    /// Parses `:`-separated chains of `*k /k +k -k &k ^k s f c` (`k` a number or `C`).
    pub fn parse(s: &str) -> Result<Self, LiError> {
        let err = |reason: String| LiError::Processing {
            processing: s.to_owned(),
            reason,
        };
        if s.trim().is_empty() {
            return Ok(Self::default());
        }
        let mut chains = Vec::new();
        for clause in s.split(':') {
            if chains.len() >= MAX_FIELDS {
                return Err(err(format!("more than {MAX_FIELDS} clauses")));
            }
            let b = clause.as_bytes();
            let mut ops = Vec::new();
            let mut i = 0;
            while i < b.len() {
                let c = b[i];
                i += 1;
                match c {
                    b' ' | b'\t' => continue,
                    b's' => ops.push(Op::Sqrt),
                    b'f' => ops.push(Op::Floor),
                    b'c' => ops.push(Op::Ceil),
                    b'*' | b'/' | b'+' | b'-' | b'&' | b'^' => {
                        // literal: -?[0-9.xA-F]+(e-?[0-9]+)?
                        let start = i;
                        if b.get(i) == Some(&b'-') {
                            i += 1;
                        }
                        let digits_start = i;
                        while i < b.len()
                            && (b[i].is_ascii_digit() || matches!(b[i], b'.' | b'x' | b'A'..=b'F'))
                        {
                            i += 1;
                        }
                        if i == digits_start {
                            return Err(err(format!(
                                "operation {:?} lacks its operand",
                                char::from(c)
                            )));
                        }
                        if b.get(i) == Some(&b'e') {
                            let mut j = i + 1;
                            if b.get(j) == Some(&b'-') {
                                j += 1;
                            }
                            let exp_digits = j;
                            while j < b.len() && b[j].is_ascii_digit() {
                                j += 1;
                            }
                            if j > exp_digits {
                                i = j;
                            }
                        }
                        let lit = &clause[start..i];
                        let operand = parse_operand(lit)
                            .ok_or_else(|| err(format!("bad operand {lit:?}")))?;
                        ops.push(match c {
                            b'*' => Op::Mul(operand),
                            b'/' => Op::Div(operand),
                            b'+' => Op::Add(operand),
                            b'-' => Op::Sub(operand),
                            b'&' => Op::And(operand),
                            _ => Op::Pow(operand),
                        });
                    }
                    other => return Err(err(format!("unknown operation {:?}", char::from(other)))),
                }
            }
            chains.push(ops);
        }
        Ok(Self { chains })
    }
}

/// An operation with its operand resolved for one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ResolvedOp {
    Mul(f64),
    Div(f64),
    Add(f64),
    Sub(f64),
    And(i64),
    Pow(f64),
    Sqrt,
    Floor,
    Ceil,
}

pub(crate) fn resolve(chain: &[Op], calibration: f64) -> Vec<ResolvedOp> {
    let k = |o: Operand| match o {
        Operand::Const(v) => v,
        Operand::Calibration => calibration,
    };
    chain
        .iter()
        .map(|op| match *op {
            Op::Mul(o) => ResolvedOp::Mul(k(o)),
            Op::Div(o) => ResolvedOp::Div(k(o)),
            Op::Add(o) => ResolvedOp::Add(k(o)),
            Op::Sub(o) => ResolvedOp::Sub(k(o)),
            // Saturating float-to-int conversion: `as` never panics.
            Op::And(o) => ResolvedOp::And(k(o) as i64),
            Op::Pow(o) => ResolvedOp::Pow(k(o)),
            Op::Sqrt => ResolvedOp::Sqrt,
            Op::Floor => ResolvedOp::Floor,
            Op::Ceil => ResolvedOp::Ceil,
        })
        .collect()
}

#[inline]
pub(crate) fn apply(ops: &[ResolvedOp], mut v: f64) -> f64 {
    for op in ops {
        v = match *op {
            ResolvedOp::Mul(k) => v * k,
            ResolvedOp::Div(k) => v / k,
            ResolvedOp::Add(k) => v + k,
            ResolvedOp::Sub(k) => v - k,
            ResolvedOp::And(k) => ((v as i64) & k) as f64,
            ResolvedOp::Pow(k) => v.powf(k),
            ResolvedOp::Sqrt => v.sqrt(),
            ResolvedOp::Floor => v.floor(),
            ResolvedOp::Ceil => v.ceil(),
        };
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_formats() {
        let f = RecordFormat::parse("s32").unwrap();
        assert_eq!(f.bits, 32);
        assert_eq!(f.outputs, 1);
        let f = RecordFormat::parse("<u8,0xAA:s12:p4:b1:f64:u7").unwrap();
        assert_eq!(f.fields[0].literal, Some(0xAA));
        assert_eq!(f.bits, 8 + 12 + 4 + 1 + 64 + 7);
        assert_eq!(f.outputs, 5);
        for bad in ["", ">s32", "x8", "s0", "s65", "f16", "u8,zz", "s", ":"] {
            assert!(RecordFormat::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn processing_strings() {
        let p = Processing::parse("/65536").unwrap();
        assert_eq!(p.chains, vec![vec![Op::Div(Operand::Const(65536.0))]]);
        let p = Processing::parse("*C/2.5e-3+1-0x10:&0xFF:s:fc^2:*-1.5").unwrap();
        assert_eq!(
            p.chains[0],
            vec![
                Op::Mul(Operand::Calibration),
                Op::Div(Operand::Const(2.5e-3)),
                Op::Add(Operand::Const(1.0)),
                Op::Sub(Operand::Const(16.0)),
            ]
        );
        assert_eq!(p.chains[1], vec![Op::And(Operand::Const(255.0))]);
        assert_eq!(p.chains[2], vec![Op::Sqrt]);
        assert_eq!(
            p.chains[3],
            vec![Op::Floor, Op::Ceil, Op::Pow(Operand::Const(2.0))]
        );
        assert_eq!(p.chains[4], vec![Op::Mul(Operand::Const(-1.5))]);
        assert_eq!(Processing::parse("").unwrap().chains.len(), 0);
        assert_eq!(
            Processing::parse("::").unwrap().chains,
            vec![vec![], vec![], vec![]]
        );
        assert_eq!(
            Processing::parse("*1E3").unwrap().chains[0],
            vec![Op::Mul(Operand::Const(1000.0))]
        );
        assert_eq!(
            Processing::parse("*012").unwrap().chains[0],
            vec![Op::Mul(Operand::Const(12.0))]
        );
        for bad in ["*", "/x", "?", "*A", "*1.2.3"] {
            assert!(Processing::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ops() {
        let ops = resolve(&Processing::parse("*C+1&0x6s").unwrap().chains[0], 2.0);
        assert_eq!(apply(&ops, 3.0), ((7_i64 & 6) as f64).sqrt());
    }
}
