//! Arbitrary bytes through framer + parser + validation + dispatch against a
//! test instrument: never a panic, and the invariants of the output hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scpi_parser::error::code;
use scpi_parser::{Call, Device, Error, Framer, Identity, Param, Session, SliceSink, Tree, Unit};

#[derive(Clone, Copy, Debug)]
enum Cmd {
    Items,
    ItemsQ,
    Period,
    PeriodQ,
    Calc,
    Format,
    FetchQ,
    Data,
    DataQ,
    Out,
    OutQ,
    Volt,
    Close,
    Expr,
    Echo,
    Fail,
}

const ITEMS: &[Param] = &[Param::string_list()];
const PERIOD: &[Param] = &[Param::number(Unit::Second).range(1e-6, 3600.0)];
const CALC: &[Param] = &[Param::choice_list(&["AVG", "MINimum", "MAXimum", "RMS"])];
const FORMAT: &[Param] = &[Param::choice(&["ASCII", "BIN_INTEL", "BIN_MOTOROLA"])];
const FETCH: &[Param] = &[Param::integer(0, 1000).optional()];
const DATA: &[Param] = &[Param::block()];
const BOOL: &[Param] = &[Param::boolean()];
const VOLT: &[Param] = &[
    Param::number(Unit::Volt),
    Param::number(Unit::Hertz).optional(),
];
const CLOSE: &[Param] = &[Param::channel_list()];
const EXPR: &[Param] = &[Param::expression(), Param::string().optional()];
const ECHO: &[Param] = &[Param::string()];

struct Dev {
    n_items: usize,
    period: f64,
    data: usize,
    out: [bool; 4],
}

impl Device for Dev {
    type Command = Cmd;

    fn execute(&mut self, cmd: Cmd, call: &mut Call<'_>) -> Result<(), Error> {
        match cmd {
            Cmd::Items => {
                let args = call.args();
                self.n_items = 0;
                for s in args.strings() {
                    if s.eq_text("bad") {
                        call.push_error(
                            Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail_bytes(s.raw()),
                        );
                    } else {
                        self.n_items += 1;
                    }
                }
            }
            Cmd::ItemsQ => call.response().nr1(self.n_items as i64)?,
            Cmd::Period => self.period = call.args().f64(0)?,
            Cmd::PeriodQ => call.response().nr3(self.period)?,
            Cmd::Calc => {
                let args = call.args();
                assert!(args.choices().all(|c| c < 4));
            }
            Cmd::Format => assert!(call.args().choice(0)? < 3),
            Cmd::FetchQ => {
                let n = call.args().i64(0)?;
                assert!((0..=1000).contains(&n));
                for i in 0..n.min(4) {
                    if i > 0 {
                        call.response().comma()?;
                    }
                    call.response().nr3_f32(i as f32 * 0.5)?;
                }
            }
            Cmd::Data => self.data = call.args().block(0)?.len(),
            Cmd::DataQ => call.response().block(&[0x0a; 16][..self.data.min(16)])?,
            Cmd::Out => {
                let i = call.suffix(0) as usize;
                self.out[i - 1] = call.args().bool(0)?;
            }
            Cmd::OutQ => {
                let i = call.suffix(0) as usize;
                call.response().boolean(self.out[i - 1])?;
            }
            Cmd::Volt => {
                let v = call.args().f64(0)?;
                let f = call.args().opt_f64(1)?;
                call.response().nr3(v)?;
                if let Some(f) = f {
                    call.response().comma()?;
                    call.response().nr2(f)?;
                }
            }
            Cmd::Close => {
                let n = call.args().channels(0)?.iter().count();
                call.response().nr1(n as i64)?;
            }
            Cmd::Expr => {
                let e = call.args().expression(0)?;
                call.response().string_bytes(e)?;
            }
            Cmd::Echo => {
                let s = call.args().str(0)?;
                let mut buf = [0u8; 64];
                match s.copy_into(&mut buf) {
                    Some(t) => call.response().string_bytes(t)?,
                    None => return Err(Error::new(code::TOO_MUCH_DATA)),
                }
            }
            Cmd::Fail => {
                return Err(
                    Error::custom(7, "Fuzz failure").with_detail("ääääääääääääääääääääääääääääää")
                );
            }
        }
        Ok(())
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            manufacturer: "FUZZ",
            model: "X",
            serial: "0",
            version: "1",
        }
    }
}

fn tree() -> Tree<Cmd> {
    let mut t = Tree::new();
    for (p, params, c) in [
        (":ELOG:ITEMs", ITEMS, Cmd::Items),
        (":ELOG:ITEMs?", &[][..], Cmd::ItemsQ),
        (":ELOG:PERiod", PERIOD, Cmd::Period),
        (":ELOG:PERiod?", &[], Cmd::PeriodQ),
        (":ELOG:CALCulation", CALC, Cmd::Calc),
        (":ELOG:FORMat", FORMAT, Cmd::Format),
        (":ELOG:FETCh?", FETCH, Cmd::FetchQ),
        (":ELOG:DATA", DATA, Cmd::Data),
        (":ELOG:DATA?", &[], Cmd::DataQ),
        ("OUTPut#{1..4}[:STATe]", BOOL, Cmd::Out),
        ("OUTPut#{1..4}[:STATe]?", &[], Cmd::OutQ),
        ("[:SOURce]:VOLTage[:LEVel]", VOLT, Cmd::Volt),
        ("ROUTe:CLOSe", CLOSE, Cmd::Close),
        ("CALCulate:EXPRession", EXPR, Cmd::Expr),
        ("ECHO?", ECHO, Cmd::Echo),
        ("*FAIL", &[], Cmd::Fail),
    ] {
        t.add(p, params, c).unwrap();
    }
    t
}

fuzz_target!(|data: &[u8]| {
    let tree = tree();
    let mut dev = Dev {
        n_items: 0,
        period: 0.1,
        data: 0,
        out: [false; 4],
    };
    let mut session = Session::new();
    let mut framer = Framer::new([0u8; 512]);
    let mut buf = [0u8; 2048];
    let mut out = SliceSink::new(&mut buf);
    session.feed(&mut framer, data, &tree, &mut dev, &mut out);
    session.finish(&mut framer, &tree, &mut dev, &mut out);
    assert!(session.errors().len() <= 16);
    // Also as one message without the framer.
    let mut out2 = Vec::new();
    session.process(&tree, data, &mut dev, &mut out2);
    assert!(out2.is_empty() || out2.ends_with(b"\n"));
    while let Some(e) = session.pop_error() {
        let _ = e.to_string();
    }
});
