//! A small ELOG-like test instrument shared by the integration tests.
#![allow(dead_code)]

use scpi_parser::error::code;
use scpi_parser::{Call, Device, Error, Identity, Param, Tree, Unit};

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Cmd {
    Items,
    ItemsQ,
    Period,
    PeriodQ,
    Calc,
    CalcQ,
    Format,
    FormatQ,
    Start,
    Stop,
    StateQ,
    FetchQ,
    Data,
    DataQ,
    OutState,
    OutStateQ,
    MeasVoltQ,
    Volt,
    VoltQ,
    Close,
    CloseQ,
    VerQ,
    EchoQ,
    NumQ,
    Fail,
}

pub const KNOWN: [&str; 3] = ["AI 1/1", "AI 1/2", "AI 2/1"];
pub const CALCS: &[&str] = &["AVG", "MIN", "MAX", "RMS"];
pub const FORMATS: &[&str] = &["ASCII", "BIN_INTEL", "BIN_MOTOROLA"];

const ITEMS: &[Param] = &[Param::string_list()];
const PERIOD: &[Param] = &[Param::number(Unit::Second)
    .range(0.0, 3600.0)
    .default_value(0.1)];
const CALC: &[Param] = &[Param::choice_list(CALCS)];
const FORMAT: &[Param] = &[Param::choice(FORMATS)];
const FETCH: &[Param] = &[Param::integer(0, 1_000_000).optional()];
const DATA: &[Param] = &[Param::block()];
const BOOL: &[Param] = &[Param::boolean()];
const VOLT: &[Param] = &[Param::number(Unit::Volt).range(0.0, 10.0)];
const CLOSE: &[Param] = &[Param::channel_list()];
const ECHO: &[Param] = &[Param::string()];
const NUM: &[Param] = &[
    Param::number(Unit::None),
    Param::choice(&["NR1", "NR2", "NR3"]).optional(),
];

/// The ELOG-like command tree.
pub fn tree() -> Tree<Cmd> {
    let mut t = Tree::new();
    let decl: [(&'static str, &'static [Param], Cmd); 25] = [
        (":ELOG:ITEMs", ITEMS, Cmd::Items),
        (":ELOG:ITEMs?", &[], Cmd::ItemsQ),
        (":ELOG:PERiod", PERIOD, Cmd::Period),
        (":ELOG:PERiod?", &[], Cmd::PeriodQ),
        (":ELOG:CALCulation", CALC, Cmd::Calc),
        (":ELOG:CALCulation?", &[], Cmd::CalcQ),
        (":ELOG:FORMat", FORMAT, Cmd::Format),
        (":ELOG:FORMat?", &[], Cmd::FormatQ),
        (":ELOG:STARt", &[], Cmd::Start),
        (":ELOG:STOP", &[], Cmd::Stop),
        (":ELOG:STATe?", &[], Cmd::StateQ),
        (":ELOG:FETCh?", FETCH, Cmd::FetchQ),
        (":ELOG:DATA", DATA, Cmd::Data),
        (":ELOG:DATA?", &[], Cmd::DataQ),
        ("OUTPut#{1..4}:STATe", BOOL, Cmd::OutState),
        ("OUTPut#{1..4}:STATe?", &[], Cmd::OutStateQ),
        ("MEASure:VOLTage[:DC]?", &[], Cmd::MeasVoltQ),
        ("[:SOURce]:VOLTage[:LEVel]", VOLT, Cmd::Volt),
        ("[:SOURce]:VOLTage[:LEVel]?", &[], Cmd::VoltQ),
        ("ROUTe:CLOSe", CLOSE, Cmd::Close),
        ("ROUTe:CLOSe?", &[], Cmd::CloseQ),
        ("*VER?", &[], Cmd::VerQ),
        ("ECHO?", ECHO, Cmd::EchoQ),
        ("NUMber?", NUM, Cmd::NumQ),
        ("FAIL", &[], Cmd::Fail),
    ];
    for (p, params, c) in decl {
        t.add(p, params, c).expect("valid test tree");
    }
    // As NUMber?, but a refused parameter still answers `ERROR`.
    t.add_answering_refusal("ANSWer?", NUM, Cmd::NumQ, "ERROR")
        .expect("valid test tree");
    t
}

/// The instrument state; fixed-size so that it never allocates.
#[derive(Debug)]
pub struct Elog {
    pub items: [u8; 8],
    pub n_items: usize,
    pub period: f64,
    pub calcs: [u8; 4],
    pub n_calcs: usize,
    pub format: usize,
    pub running: bool,
    pub data_len: usize,
    pub outputs: [bool; 4],
    pub volt: f64,
    pub closed: u32,
    /// How many device handlers ran (a refused unit does not count).
    pub executed: u32,
    pub resets: u32,
}

impl Default for Elog {
    fn default() -> Self {
        Self {
            items: [0; 8],
            n_items: 0,
            period: 0.1,
            calcs: [0; 4],
            n_calcs: 1,
            format: 0,
            running: false,
            data_len: 0,
            outputs: [false; 4],
            volt: 0.0,
            closed: 0,
            executed: 0,
            resets: 0,
        }
    }
}

impl Device for Elog {
    type Command = Cmd;

    fn execute(&mut self, cmd: Cmd, call: &mut Call<'_>) -> Result<(), Error> {
        self.executed += 1;
        let config = matches!(cmd, Cmd::Items | Cmd::Period | Cmd::Calc | Cmd::Format);
        if config && self.running {
            return Err(Error::new(code::SETTINGS_CONFLICT).with_detail("ELOG running"));
        }
        match cmd {
            Cmd::Items => {
                let args = call.args();
                let mut n = 0;
                for s in args.strings() {
                    match KNOWN.iter().position(|k| s.eq_text(k)) {
                        Some(i) if n < self.items.len() => {
                            self.items[n] = i as u8;
                            n += 1;
                        }
                        _ => call.push_error(
                            Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail_bytes(s.raw()),
                        ),
                    }
                }
                self.n_items = n;
            }
            Cmd::ItemsQ => {
                let r = call.response();
                if self.n_items == 0 {
                    r.chars("NONE")?;
                }
                for (i, &it) in self.items[..self.n_items].iter().enumerate() {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.string(KNOWN[usize::from(it)])?;
                }
            }
            Cmd::Period => {
                let p = call.args().f64(0)?;
                if p <= 0.0 {
                    return Err(Error::new(code::DATA_OUT_OF_RANGE));
                }
                self.period = p;
            }
            Cmd::PeriodQ => call.response().nr3(self.period)?,
            Cmd::Calc => {
                let mut seen = [false; 4];
                let mut list = [0u8; 4];
                let mut n = 0;
                let args = call.args();
                for c in args.choices() {
                    if seen[c] {
                        return Err(Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail(CALCS[c]));
                    }
                    seen[c] = true;
                    list[n] = c as u8;
                    n += 1;
                }
                self.calcs = list;
                self.n_calcs = n;
            }
            Cmd::CalcQ => {
                let r = call.response();
                for (i, &c) in self.calcs[..self.n_calcs].iter().enumerate() {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.chars(CALCS[usize::from(c)])?;
                }
            }
            Cmd::Format => self.format = call.args().choice(0)?,
            Cmd::FormatQ => call.response().chars(FORMATS[self.format])?,
            Cmd::Start => {
                if self.n_items == 0 {
                    return Err(Error::new(code::SETTINGS_CONFLICT).with_detail("no ITEMs"));
                }
                if self.running {
                    return Err(Error::new(code::SETTINGS_CONFLICT).with_detail("already running"));
                }
                self.running = true;
            }
            Cmd::Stop => self.running = false,
            Cmd::StateQ => {
                call.response()
                    .chars(if self.running { "RUNNING" } else { "CONFIG" })?
            }
            Cmd::FetchQ => {
                if !self.running {
                    call.push_error(Error::new(code::SETTINGS_CONFLICT).with_detail("not running"));
                    return call.response().chars("ERROR");
                }
                let n = call.args().i64(0)?;
                let n = if n == 0 { 3 } else { n.min(3) };
                let r = call.response();
                for i in 0..n {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.nr3_f32(1.0 + i as f32 * 0.5)?;
                }
            }
            Cmd::Data => self.data_len = call.args().block(0)?.len(),
            Cmd::DataQ => {
                let r = call.response();
                r.block_header(self.data_len)?;
                for i in 0..self.data_len {
                    r.raw(&[(i % 251) as u8])?;
                }
            }
            Cmd::OutState => {
                let i = call.suffix(0) as usize - 1;
                self.outputs[i] = call.args().bool(0)?;
            }
            Cmd::OutStateQ => {
                let i = call.suffix(0) as usize - 1;
                call.response().boolean(self.outputs[i])?;
            }
            Cmd::MeasVoltQ => call.response().nr3(1.5)?,
            Cmd::Volt => self.volt = call.args().f64(0)?,
            Cmd::VoltQ => call.response().nr3(self.volt)?,
            Cmd::Close => {
                let l = call.args().channels(0)?;
                self.closed = l
                    .iter()
                    .map(|r| r.last.number() - r.first.number() + 1)
                    .sum();
            }
            Cmd::CloseQ => call.response().nr1(i64::from(self.closed))?,
            Cmd::VerQ => call
                .response()
                .raw(b"SCPI,\"1999.0\",RC_SCPI,\"1.10\",TEST,\"1.0\"")?,
            Cmd::EchoQ => {
                let s = call.args().str(0)?;
                let mut buf = [0u8; 256];
                let text = s
                    .copy_into(&mut buf)
                    .ok_or(Error::new(code::TOO_MUCH_DATA))?;
                call.response().string_bytes(text)?;
            }
            Cmd::NumQ => {
                let v = call.args().f64(0)?;
                let form = call.args().opt_choice(1)?.unwrap_or(2);
                let r = call.response();
                match form {
                    0 => r.nr1(v as i64)?,
                    1 => r.nr2(v)?,
                    _ => r.nr3(v)?,
                }
            }
            Cmd::Fail => return Err(Error::custom(101, "Device failure").with_detail("test")),
        }
        Ok(())
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            manufacturer: "ACME",
            model: "ELOG-TEST",
            serial: "42",
            version: "1.0",
        }
    }

    fn reset(&mut self) {
        let executed = self.executed;
        let resets = self.resets + 1;
        *self = Self::default();
        self.executed = executed;
        self.resets = resets;
    }

    fn self_test(&mut self) -> i32 {
        0
    }
}
