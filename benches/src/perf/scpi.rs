//! SCPI parse + dispatch: `scpi-parser` against the `scpi` crate 1.x
//! (scpi-rs), the same ELOG command tree and the same corpus on both sides.
//!
//! Both trees hold the commands an OXYGEN client sends (`*IDN?`, `*VER?`,
//! `*CLS`, `:SYSTem:ERRor[:NEXT]?`, `:SYSTem:ERRor:COUNt?`,
//! `:COMMunicate:HEADer`, and `:ELOG:ITEMs`, `:PERiod`, `:CALCulation`,
//! `:FORMat`, `:TIMestamp`, `:STARt`, `:STOP`, `:STATe?`, `:FETCh?`, plus
//! `:ELOG:DATA <block>` to carry the 1 KiB block). The handlers do the same
//! work on both sides (match channel names, store settings, answer the same
//! values); each message is run on its own (`Session::process` vs
//! `Node::run`), responses go to a reused `Vec<u8>`.
//!
//! The module also holds the counting global allocator behind the
//! "allocations per message" figure (it counts, then forwards to `System`).

use std::alloc::System;
use std::time::Duration;

use scpi::error::{Error as RsError, ErrorCode as RsCode};
use scpi::parser::format::{Arbitrary, Character};
use scpi::tree::prelude::{Command, Context, Node, Parameters, ResponseUnit};
use scpi::{Branch, Leaf, Root, cmd_both, cmd_nquery, cmd_qonly};
use scpi_parser::error::code;
use scpi_parser::{Call, Device, Error, Identity, Param, Session, Tree, Unit};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

use crate::{Report, best_rates_interleaved};

/// Counts every allocation of the benchmark binaries (then forwards to `System`).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The channels the bench instrument knows.
pub const CHANNELS: [&str; 4] = ["AI 1/1", "AI 1/2", "AI 2/1", "AI 2/2"];
const CALCS: [&str; 4] = ["AVG", "MIN", "MAX", "RMS"];
const FORMATS: [&str; 3] = ["ASCII", "BIN_INTEL", "BIN_MOTOROLA"];
const TIMESTAMPS: [&str; 4] = ["OFF", "REL", "ABS", "ELOG"];

/// The corpus: typical ELOG program messages (no terminators), in the mix a
/// client sends them; short, long and mixed-case headers, compound messages,
/// string lists, numbers with units, a 1 KiB block, queries.
pub fn corpus() -> Vec<Vec<u8>> {
    let mut c: Vec<Vec<u8>> = [
        &b"*IDN?"[..],
        b":COMM:HEAD OFF",
        b"*VER?",
        b":ELOG:ITEM \"AI 1/1\",\"AI 1/2\"",
        b":ELOG:ITEMS \"AI 1/1\",\"AI 1/2\",\"AI 2/1\",\"AI 2/2\"",
        b":elog:calculation AVG, MIN",
        b":ELOG:CALC?",
        b":ELOG:PER 100ms",
        b":ELOG:PERIOD 0.100000",
        b":ELOG:PER?",
        b":ELOG:TIM REL;:ELOG:FORM ASCII",
        b":ELOG:ITEMs?;:ELOG:TIMestamp?;:ELOG:FORMat?",
        b":ELOG:STAR;:ELOG:STAT?",
        b":ELOG:FETC? 10",
        b":ELOG:FETCH?",
        b":ELOG:FETC? 10",
        b":SYST:ERR?",
        b":SYST:ERR:COUN?;:SYSTEM:ERROR:NEXT?",
        b":ELOG:STOP",
        b"*CLS",
    ]
    .iter()
    .map(|m| m.to_vec())
    .collect();
    let mut block = b":ELOG:DATA #41024".to_vec();
    block.extend((0..1024u32).map(|i| (i % 251) as u8));
    c.push(block);
    c
}

/// The instrument state both implementations drive.
#[derive(Debug, Default)]
pub struct Model {
    /// Channel indices of the items.
    pub items: [u8; 8],
    /// How many items.
    pub n_items: usize,
    /// Period in seconds.
    pub period: f64,
    /// Calculation indices.
    pub calcs: [u8; 4],
    /// How many calculations.
    pub n_calcs: usize,
    /// Format index.
    pub format: usize,
    /// Timestamp mode index.
    pub timestamp: usize,
    /// Running or not.
    pub running: bool,
    /// Length of the last block.
    pub data_len: usize,
    /// Checksum of the last block (so the bytes are really read).
    pub data_sum: u32,
}

impl Model {
    fn item(&mut self, name: &[u8]) -> bool {
        match CHANNELS.iter().position(|c| c.as_bytes() == name) {
            Some(i) if self.n_items < self.items.len() => {
                self.items[self.n_items] = i as u8;
                self.n_items += 1;
                true
            }
            _ => false,
        }
    }

    fn block(&mut self, data: &[u8]) {
        self.data_len = data.len();
        self.data_sum = data.iter().fold(0u32, |a, &b| a.wrapping_add(u32::from(b)));
    }

    fn fetch_value(i: i64) -> f32 {
        1.0 + i as f32 * 0.25
    }
}

// ---------------------------------------------------------------- scpi-parser

/// Command ids of the `scpi-parser` tree.
#[derive(Clone, Copy, Debug)]
pub enum Cmd {
    /// `*VER?`
    Ver,
    /// `:ELOG:ITEMs`
    Items,
    /// `:ELOG:ITEMs?`
    ItemsQ,
    /// `:ELOG:PERiod`
    Period,
    /// `:ELOG:PERiod?`
    PeriodQ,
    /// `:ELOG:CALCulation`
    Calc,
    /// `:ELOG:CALCulation?`
    CalcQ,
    /// `:ELOG:FORMat`
    Format,
    /// `:ELOG:FORMat?`
    FormatQ,
    /// `:ELOG:TIMestamp`
    Timestamp,
    /// `:ELOG:TIMestamp?`
    TimestampQ,
    /// `:ELOG:STARt`
    Start,
    /// `:ELOG:STOP`
    Stop,
    /// `:ELOG:STATe?`
    StateQ,
    /// `:ELOG:FETCh?`
    FetchQ,
    /// `:ELOG:DATA`
    Data,
}

const P_ITEMS: &[Param] = &[Param::string_list()];
const P_PERIOD: &[Param] = &[Param::number(Unit::Second).range(0.0, 3600.0)];
const P_CALC: &[Param] = &[Param::choice_list(&CALCS)];
const P_FORMAT: &[Param] = &[Param::choice(&FORMATS)];
const P_TIM: &[Param] = &[Param::choice(&TIMESTAMPS)];
const P_FETCH: &[Param] = &[Param::integer(0, 1_000_000).optional()];
const P_DATA: &[Param] = &[Param::block()];

/// The ELOG tree in `scpi-parser` pattern notation (built-ins included).
pub fn ours_tree() -> Tree<Cmd> {
    let mut t = Tree::new();
    let decl: [(&'static str, &'static [Param], Cmd); 16] = [
        ("*VER?", &[], Cmd::Ver),
        (":ELOG:ITEMs", P_ITEMS, Cmd::Items),
        (":ELOG:ITEMs?", &[], Cmd::ItemsQ),
        (":ELOG:PERiod", P_PERIOD, Cmd::Period),
        (":ELOG:PERiod?", &[], Cmd::PeriodQ),
        (":ELOG:CALCulation", P_CALC, Cmd::Calc),
        (":ELOG:CALCulation?", &[], Cmd::CalcQ),
        (":ELOG:FORMat", P_FORMAT, Cmd::Format),
        (":ELOG:FORMat?", &[], Cmd::FormatQ),
        (":ELOG:TIMestamp", P_TIM, Cmd::Timestamp),
        (":ELOG:TIMestamp?", &[], Cmd::TimestampQ),
        (":ELOG:STARt", &[], Cmd::Start),
        (":ELOG:STOP", &[], Cmd::Stop),
        (":ELOG:STATe?", &[], Cmd::StateQ),
        (":ELOG:FETCh?", P_FETCH, Cmd::FetchQ),
        (":ELOG:DATA", P_DATA, Cmd::Data),
    ];
    for (p, params, c) in decl {
        t.add(p, params, c).expect("valid bench tree");
    }
    t
}

/// The `scpi-parser` side of the bench instrument.
#[derive(Debug, Default)]
pub struct Ours {
    /// Shared state.
    pub model: Model,
}

impl Device for Ours {
    type Command = Cmd;

    fn execute(&mut self, cmd: Cmd, call: &mut Call<'_>) -> Result<(), Error> {
        let m = &mut self.model;
        match cmd {
            Cmd::Ver => call
                .response()
                .raw(b"SCPI,\"1999.0\",RC_SCPI,\"1.10\",BENCH,\"1.0\"")?,
            Cmd::Items => {
                m.n_items = 0;
                let args = call.args();
                for s in args.strings() {
                    if !m.item(s.raw()) {
                        call.push_error(
                            Error::new(code::ILLEGAL_PARAMETER_VALUE).with_detail_bytes(s.raw()),
                        );
                    }
                }
            }
            Cmd::ItemsQ => {
                let r = call.response();
                for (i, &it) in m.items[..m.n_items].iter().enumerate() {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.string(CHANNELS[usize::from(it)])?;
                }
            }
            Cmd::Period => m.period = call.args().f64(0)?,
            Cmd::PeriodQ => call.response().nr3(m.period)?,
            Cmd::Calc => {
                m.n_calcs = 0;
                let args = call.args();
                for c in args.choices() {
                    if m.n_calcs < m.calcs.len() {
                        m.calcs[m.n_calcs] = c as u8;
                        m.n_calcs += 1;
                    }
                }
            }
            Cmd::CalcQ => {
                let r = call.response();
                for (i, &c) in m.calcs[..m.n_calcs].iter().enumerate() {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.chars(CALCS[usize::from(c)])?;
                }
            }
            Cmd::Format => m.format = call.args().choice(0)?,
            Cmd::FormatQ => call.response().chars(FORMATS[m.format])?,
            Cmd::Timestamp => m.timestamp = call.args().choice(0)?,
            Cmd::TimestampQ => call.response().chars(TIMESTAMPS[m.timestamp])?,
            Cmd::Start => m.running = true,
            Cmd::Stop => m.running = false,
            Cmd::StateQ => call
                .response()
                .chars(if m.running { "RUNNING" } else { "CONFIG" })?,
            Cmd::FetchQ => {
                let n = call.args().opt_i64(0)?.unwrap_or(10).min(10);
                let r = call.response();
                for i in 0..n {
                    if i > 0 {
                        r.comma()?;
                    }
                    r.nr3_f32(Model::fetch_value(i))?;
                }
            }
            Cmd::Data => {
                let b = call.args().block(0)?;
                m.block(b);
            }
        }
        Ok(())
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            manufacturer: "ACME",
            model: "ELOG-BENCH",
            serial: "0",
            version: "1.0",
        }
    }
}

/// One connection of the `scpi-parser` side: tree, device, session, output.
#[derive(Debug)]
pub struct OursRig {
    tree: Tree<Cmd>,
    /// The device.
    pub dev: Ours,
    /// The session.
    pub session: Session,
    /// The response bytes of the last message.
    pub out: Vec<u8>,
}

impl OursRig {
    /// A fresh rig.
    pub fn new() -> Self {
        Self {
            tree: ours_tree(),
            dev: Ours::default(),
            session: Session::new(),
            out: Vec::with_capacity(64 * 1024),
        }
    }

    /// Runs every message of `corpus` once (each response replaces the
    /// previous one, as a server writes it out and reuses the buffer).
    pub fn round(&mut self, corpus: &[Vec<u8>]) {
        for m in corpus {
            self.out.clear();
            self.session
                .process(&self.tree, m, &mut self.dev, &mut self.out);
        }
    }

    /// The responses to each message of `corpus`.
    pub fn responses(&mut self, corpus: &[Vec<u8>]) -> Vec<Vec<u8>> {
        corpus
            .iter()
            .map(|m| {
                self.round(core::slice::from_ref(m));
                self.out.clone()
            })
            .collect()
    }
}

impl Default for OursRig {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------- scpi-rs

/// The `scpi` crate side of the bench instrument: same model, plus the error
/// queue and header flag that `scpi-parser` keeps in its session.
#[derive(Debug, Default)]
pub struct Theirs {
    /// Shared state.
    pub model: Model,
    errors: [Option<RsError>; 16],
    n_errors: usize,
    header: bool,
}

impl scpi::Device for Theirs {
    fn handle_error(&mut self, err: RsError) {
        if self.n_errors < self.errors.len() {
            self.errors[self.n_errors] = Some(err);
            self.n_errors += 1;
        }
    }
}

type RsResult = scpi::error::Result<()>;

struct RsIdn;
impl Command<Theirs> for RsIdn {
    cmd_qonly!();
    fn query(
        &self,
        _: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        r.data(Character(b"ACME"))
            .data(Character(b"ELOG-BENCH"))
            .data(Character(b"0"))
            .data(Character(b"1.0"))
            .finish()
    }
}

struct RsVer;
impl Command<Theirs> for RsVer {
    cmd_qonly!();
    fn query(
        &self,
        _: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        r.data(Character(b"SCPI"))
            .data(b"1999.0".as_slice())
            .data(Character(b"RC_SCPI"))
            .data(b"1.10".as_slice())
            .data(Character(b"BENCH"))
            .data(b"1.0".as_slice())
            .finish()
    }
}

struct RsCls;
impl Command<Theirs> for RsCls {
    cmd_nquery!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, _: Parameters<'_, '_>) -> RsResult {
        d.n_errors = 0;
        Ok(())
    }
}

struct RsErrNext;
impl Command<Theirs> for RsErrNext {
    cmd_qonly!();
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        if d.n_errors == 0 {
            r.data(0i32).data(b"No error".as_slice()).finish()
        } else {
            let e = d.errors[0].take();
            d.errors.rotate_left(1);
            d.n_errors -= 1;
            match e {
                Some(e) => r.data(e).finish(),
                None => r.data(0i32).data(b"No error".as_slice()).finish(),
            }
        }
    }
}

struct RsErrCount;
impl Command<Theirs> for RsErrCount {
    cmd_qonly!();
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        r.data(d.n_errors as i32).finish()
    }
}

struct RsHeader;
impl Command<Theirs> for RsHeader {
    cmd_both!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, mut p: Parameters<'_, '_>) -> RsResult {
        d.header = p.next_data::<bool>()?;
        Ok(())
    }
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        r.data(d.header).finish()
    }
}

struct RsItems;
impl Command<Theirs> for RsItems {
    cmd_both!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, mut p: Parameters<'_, '_>) -> RsResult {
        d.model.n_items = 0;
        let first: &[u8] = p.next_data()?;
        let mut next = Some(first);
        while let Some(name) = next {
            if !d.model.item(name) {
                scpi::Device::handle_error(d, RsError::new(RsCode::IllegalParameterValue));
            }
            next = p.next_optional_data::<&[u8]>()?;
        }
        Ok(())
    }
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        for &it in &d.model.items[..d.model.n_items] {
            r.data(CHANNELS[usize::from(it)].as_bytes());
        }
        r.finish()
    }
}

struct RsPeriod;
impl Command<Theirs> for RsPeriod {
    cmd_both!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, mut p: Parameters<'_, '_>) -> RsResult {
        let t: scpi::units::Time = p.next_data()?;
        let s = f64::from(t.get::<scpi::units::uom::si::time::second>());
        if !(0.0..=3600.0).contains(&s) {
            return Err(RsCode::DataOutOfRange.into());
        }
        d.model.period = s;
        Ok(())
    }
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        r.data(d.model.period).finish()
    }
}

fn rs_choice(words: &[&str], w: &[u8]) -> Result<usize, RsError> {
    words
        .iter()
        .position(|c| scpi::parser::mnemonic_match(c.as_bytes(), w))
        .ok_or(RsCode::IllegalParameterValue.into())
}

struct RsCalc;
impl Command<Theirs> for RsCalc {
    cmd_both!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, mut p: Parameters<'_, '_>) -> RsResult {
        d.model.n_calcs = 0;
        let Character(first) = p.next_data()?;
        let mut next = Some(first);
        while let Some(w) = next {
            let c = rs_choice(&CALCS, w)?;
            if d.model.n_calcs < d.model.calcs.len() {
                d.model.calcs[d.model.n_calcs] = c as u8;
                d.model.n_calcs += 1;
            }
            next = p.next_optional_data::<Character<'_>>()?.map(|c| c.0);
        }
        Ok(())
    }
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        for &c in &d.model.calcs[..d.model.n_calcs] {
            r.data(Character(CALCS[usize::from(c)].as_bytes()));
        }
        r.finish()
    }
}

struct RsChoice(&'static [&'static str], fn(&mut Model) -> &mut usize);
impl Command<Theirs> for RsChoice {
    cmd_both!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, mut p: Parameters<'_, '_>) -> RsResult {
        let Character(w) = p.next_data()?;
        *(self.1)(&mut d.model) = rs_choice(self.0, w)?;
        Ok(())
    }
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        let i = *(self.1)(&mut d.model);
        r.data(Character(self.0[i].as_bytes())).finish()
    }
}

struct RsStart;
impl Command<Theirs> for RsStart {
    cmd_nquery!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, _: Parameters<'_, '_>) -> RsResult {
        d.model.running = true;
        Ok(())
    }
}

struct RsStop;
impl Command<Theirs> for RsStop {
    cmd_nquery!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, _: Parameters<'_, '_>) -> RsResult {
        d.model.running = false;
        Ok(())
    }
}

struct RsState;
impl Command<Theirs> for RsState {
    cmd_qonly!();
    fn query(
        &self,
        d: &mut Theirs,
        _: &mut Context<'_>,
        _: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        r.data(Character(if d.model.running {
            b"RUNNING"
        } else {
            b"CONFIG"
        }))
        .finish()
    }
}

struct RsFetch;
impl Command<Theirs> for RsFetch {
    cmd_qonly!();
    fn query(
        &self,
        _: &mut Theirs,
        _: &mut Context<'_>,
        mut p: Parameters<'_, '_>,
        mut r: ResponseUnit<'_>,
    ) -> RsResult {
        let n: i64 = p.next_optional_data::<i64>()?.unwrap_or(10).min(10);
        if n < 0 {
            return Err(RsCode::DataOutOfRange.into());
        }
        for i in 0..n {
            r.data(Model::fetch_value(i));
        }
        r.finish()
    }
}

struct RsData;
impl Command<Theirs> for RsData {
    cmd_nquery!();
    fn event(&self, d: &mut Theirs, _: &mut Context<'_>, mut p: Parameters<'_, '_>) -> RsResult {
        let Arbitrary(b) = p.next_data()?;
        d.model.block(b);
        Ok(())
    }
}

fn fmt_of(m: &mut Model) -> &mut usize {
    &mut m.format
}

fn tim_of(m: &mut Model) -> &mut usize {
    &mut m.timestamp
}

/// The same ELOG tree declared for the `scpi` crate.
pub const THEIRS_TREE: Node<'static, Theirs> = Root![
    Leaf!(b"*IDN" => &RsIdn),
    Leaf!(b"*VER" => &RsVer),
    Leaf!(b"*CLS" => &RsCls),
    Branch![b"SYSTem";
        Branch![b"ERRor";
            Leaf!(default b"NEXT" => &RsErrNext),
            Leaf!(b"COUNt" => &RsErrCount)
        ]
    ],
    Branch![b"COMMunicate";
        Leaf!(b"HEADer" => &RsHeader)
    ],
    Branch![b"ELOG";
        Leaf!(b"ITEMs" => &RsItems),
        Leaf!(b"PERiod" => &RsPeriod),
        Leaf!(b"CALCulation" => &RsCalc),
        Leaf!(b"FORMat" => &RsChoice(&FORMATS, fmt_of)),
        Leaf!(b"TIMestamp" => &RsChoice(&TIMESTAMPS, tim_of)),
        Leaf!(b"STARt" => &RsStart),
        Leaf!(b"STOP" => &RsStop),
        Leaf!(b"STATe" => &RsState),
        Leaf!(b"FETCh" => &RsFetch),
        Leaf!(b"DATA" => &RsData)
    ]
];

/// One connection of the `scpi` crate side.
#[derive(Debug, Default)]
pub struct TheirsRig {
    /// The device.
    pub dev: Theirs,
    /// The response bytes of the last message.
    pub out: Vec<u8>,
}

impl TheirsRig {
    /// A fresh rig.
    pub fn new() -> Self {
        Self {
            dev: Theirs::default(),
            out: Vec::with_capacity(64 * 1024),
        }
    }

    /// Runs every message of `corpus` once (each response replaces the
    /// previous one).
    pub fn round(&mut self, corpus: &[Vec<u8>]) {
        for m in corpus {
            self.out.clear();
            let mut ctx = Context::default();
            let _ = THEIRS_TREE.run(m, &mut self.dev, &mut ctx, &mut self.out);
        }
    }

    /// The responses to each message of `corpus`.
    pub fn responses(&mut self, corpus: &[Vec<u8>]) -> Vec<Vec<u8>> {
        corpus
            .iter()
            .map(|m| {
                self.round(core::slice::from_ref(m));
                self.out.clone()
            })
            .collect()
    }

    /// How many errors the device queued (and forgets them).
    pub fn take_error_count(&mut self) -> usize {
        std::mem::take(&mut self.dev.n_errors)
    }
}

/// Heap allocations per message of the `scpi-parser` side in the steady state.
pub fn ours_allocations_per_message(corpus: &[Vec<u8>], rounds: u32) -> f64 {
    let mut rig = OursRig::new();
    rig.round(corpus);
    let region = Region::new(GLOBAL);
    for _ in 0..rounds {
        rig.round(corpus);
    }
    let s = region.change();
    (s.allocations + s.reallocations) as f64 / (f64::from(rounds) * corpus.len() as f64)
}

/// Heap allocations per message of the `scpi` crate side in the steady state.
pub fn theirs_allocations_per_message(corpus: &[Vec<u8>], rounds: u32) -> f64 {
    let mut rig = TheirsRig::new();
    rig.round(corpus);
    let region = Region::new(GLOBAL);
    for _ in 0..rounds {
        rig.round(corpus);
    }
    let s = region.change();
    (s.allocations + s.reallocations) as f64 / (f64::from(rounds) * corpus.len() as f64)
}

/// Measures this area's figures into `report`.
pub fn run(report: &mut Report) {
    let corpus = corpus();
    let n = corpus.len() as f64;
    let budget = report.budget(Duration::from_secs(2));
    let mut ours = OursRig::new();
    let mut theirs = TheirsRig::new();
    // Twice the budget: it is shared by the two sides' alternating rounds.
    let (ours_rate, theirs_rate) = best_rates_interleaved(
        budget * 2,
        n,
        || ours.round(&corpus),
        || theirs.round(&corpus),
    );
    report.add(
        "scpi.dispatch.messages_per_s",
        ours_rate,
        "msg/s",
        "scpi-rs 1.x",
        theirs_rate,
    );
    let ours_alloc = ours_allocations_per_message(&corpus, 20);
    let theirs_alloc = theirs_allocations_per_message(&corpus, 20);
    report.add(
        "scpi.dispatch.allocations_per_message",
        ours_alloc,
        "alloc/msg",
        "scpi-rs 1.x",
        theirs_alloc,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sides understand the whole corpus without errors and answer the
    /// same queries (modulo number formatting).
    #[test]
    fn both_sides_run_the_corpus() {
        let corpus = corpus();
        let mut ours = OursRig::new();
        let ours_out = ours.responses(&corpus);
        assert!(
            ours.session.errors().is_empty(),
            "{:?}",
            ours.session.errors()
        );
        let mut theirs = TheirsRig::new();
        let theirs_out = theirs.responses(&corpus);
        assert_eq!(theirs.take_error_count(), 0, "{:?}", theirs.dev.errors);
        for rig in [&ours.dev.model, &theirs.dev.model] {
            assert_eq!(rig.n_items, 4);
            assert_eq!(rig.n_calcs, 2);
            assert!((rig.period - 0.1).abs() < 1e-6);
            assert_eq!(rig.timestamp, 1);
            assert_eq!(rig.data_len, 1024);
            assert!(!rig.running);
        }
        assert_eq!(ours.dev.model.data_sum, theirs.dev.model.data_sum);
        for (i, (a, b)) in ours_out.iter().zip(&theirs_out).enumerate() {
            assert_eq!(a.is_empty(), b.is_empty(), "message {i}: {a:?} vs {b:?}");
            assert_eq!(
                a.iter().filter(|&&c| c == b',').count(),
                b.iter().filter(|&&c| c == b',').count(),
                "message {i}"
            );
        }
        // Identical bytes where no number formatting is involved.
        assert_eq!(ours_out[0], theirs_out[0]); // *IDN?
        assert_eq!(ours_out[12], theirs_out[12]); // STAT?
        assert_eq!(ours_allocations_per_message(&corpus, 3), 0.0);
    }
}
