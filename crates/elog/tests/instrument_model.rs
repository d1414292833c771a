//! The instrument against a reference model of the spec's state machine:
//! random command sequences (configuration, STARt/STOP/RESet, FETCh?, time
//! steps) must give the states, settings, answers and error codes the model
//! predicts. Runs on the pure instrument (one `Session`, no sockets).

mod common;

use common::Local;
use elog::elog_core::Instant;
use proptest::prelude::*;

/// Channel names offered to ITEMs: three real ones (rates 1000, 100, 10 Hz)
/// and one unknown.
const NAMES: [&str; 4] = ["a", "b", "c", "zz"];
const RATES: [f64; 3] = [1000.0, 100.0, 10.0];
const PERIODS: [(f64, &str); 6] = [
    (0.0, ""),
    (0.001, "0.001"),
    (0.05, "0.05"),
    (0.1, "0.1"),
    (0.25, "0.25"),
    (3601.0, ""),
];
const CALCS: [&str; 4] = ["AVG", "MIN", "MAX", "RMS"];
const FORMATS: [&str; 3] = ["ASCII", "BIN_INTEL", "BIN_MOTOROLA"];
const TIMS: [&str; 4] = ["OFF", "REL", "ABS", "ELOG"];

#[derive(Clone, Debug)]
enum Op {
    Items(Vec<usize>),
    Period(usize),
    Calc(Vec<usize>),
    Format(usize),
    Tim(usize),
    Start,
    Stop,
    Reset,
    Fetch(Option<i64>),
    Step(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => proptest::collection::vec(0..NAMES.len(), 1..4).prop_map(Op::Items),
        1 => (0..PERIODS.len()).prop_map(Op::Period),
        1 => proptest::collection::vec(0..CALCS.len(), 1..4).prop_map(Op::Calc),
        1 => (0..FORMATS.len()).prop_map(Op::Format),
        1 => (0..TIMS.len()).prop_map(Op::Tim),
        3 => Just(Op::Start),
        1 => Just(Op::Stop),
        1 => Just(Op::Reset),
        3 => proptest::option::of(-2i64..5).prop_map(Op::Fetch),
        3 => (0i64..600).prop_map(Op::Step),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum St {
    Config,
    Running,
    Invalid,
}

#[derive(Clone, Debug)]
struct Model {
    state: St,
    items: Vec<usize>,
    period: usize,
    calcs: Vec<usize>,
    format: usize,
    tim: usize,
}

impl Model {
    fn new() -> Self {
        Self {
            state: St::Config,
            items: Vec::new(),
            period: 3,
            calcs: vec![0],
            format: 0,
            tim: 3,
        }
    }

    /// Applies `op`; returns the error codes it must queue and, for FETCh?,
    /// whether the answer is `ERROR`.
    fn apply(&mut self, op: &Op) -> (Vec<i32>, Option<bool>) {
        let config = |m: &Model| m.state == St::Config;
        match op {
            Op::Items(ix) => {
                if !config(self) {
                    return (vec![-221], None);
                }
                let mut errs = Vec::new();
                let mut items = Vec::new();
                for &i in ix {
                    if i >= RATES.len() || items.contains(&i) {
                        errs.push(-224);
                    } else {
                        items.push(i);
                    }
                }
                self.items = items;
                (errs, None)
            }
            Op::Period(p) => {
                if !config(self) {
                    return (vec![-221], None);
                }
                if PERIODS[*p].1.is_empty() {
                    return (vec![-222], None);
                }
                self.period = *p;
                (vec![], None)
            }
            Op::Calc(cs) => {
                if !config(self) {
                    return (vec![-221], None);
                }
                let mut seen = Vec::new();
                for &c in cs {
                    if seen.contains(&c) {
                        return (vec![-224], None);
                    }
                    seen.push(c);
                }
                self.calcs = seen;
                (vec![], None)
            }
            Op::Format(f) => {
                if !config(self) {
                    return (vec![-221], None);
                }
                self.format = *f;
                (vec![], None)
            }
            Op::Tim(t) => {
                if !config(self) {
                    return (vec![-221], None);
                }
                self.tim = *t;
                (vec![], None)
            }
            Op::Start => {
                if !config(self) || self.items.is_empty() || (self.format != 0 && self.tim == 2) {
                    return (vec![-221], None);
                }
                let p = PERIODS[self.period].0;
                if self.items.iter().any(|&i| p * RATES[i] < 1.0 - 1e-9) {
                    self.state = St::Invalid;
                    return (vec![-222], None);
                }
                self.state = St::Running;
                (vec![], None)
            }
            Op::Stop => {
                self.state = St::Config;
                (vec![], None)
            }
            Op::Reset => {
                *self = Model::new();
                (vec![], None)
            }
            Op::Fetch(n) => match self.state {
                St::Config => (vec![-221], Some(true)),
                St::Invalid => (vec![-222], Some(true)),
                St::Running if n.is_some_and(|v| v < 0) => (vec![-222], Some(true)),
                St::Running => (vec![], Some(false)),
            },
            Op::Step(_) => (vec![], None),
        }
    }

    fn summary(&self) -> String {
        let items = if self.items.is_empty() {
            "NONE".to_string()
        } else {
            self.items
                .iter()
                .map(|&i| format!("\"{}\"", NAMES[i]))
                .collect::<Vec<_>>()
                .join(",")
        };
        let calcs: Vec<&str> = self.calcs.iter().map(|&c| CALCS[c]).collect();
        let state = match self.state {
            St::Config => "CONFIG",
            St::Running => "RUNNING",
            St::Invalid => "INVALID",
        };
        format!(
            "{state};{items};{};{};{};{}",
            PERIODS[self.period].1,
            calcs.join(","),
            FORMATS[self.format],
            TIMS[self.tim]
        )
    }
}

fn command(op: &Op) -> String {
    match op {
        Op::Items(ix) => format!(
            ":ELOG:ITEM {}",
            ix.iter()
                .map(|&i| format!("\"{}\"", NAMES[i]))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Op::Period(p) => format!(":ELOG:PER {}", PERIODS[*p].0),
        Op::Calc(cs) => format!(
            ":ELOG:CALC {}",
            cs.iter().map(|&c| CALCS[c]).collect::<Vec<_>>().join(", ")
        ),
        Op::Format(f) => format!(":ELOG:FORM {}", FORMATS[*f]),
        Op::Tim(t) => format!(":ELOG:TIM {}", TIMS[*t]),
        Op::Start => ":ELOG:STAR".into(),
        Op::Stop => ":ELOG:STOP".into(),
        Op::Reset => ":ELOG:RES".into(),
        Op::Fetch(None) => ":ELOG:FETC?".into(),
        Op::Fetch(Some(n)) => format!(":ELOG:FETC? {n}"),
        Op::Step(_) => String::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn instrument_follows_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut bench = Local::new(&["a=const:1@1000", "b=const:-2@100", "c=const:3@10"]);
        let mut now = 0;
        let mut model = Model::new();
        for op in &ops {
            let (want_errors, fetch_error) = model.apply(op);
            if let Op::Step(ms) = op {
                now += ms;
                let failures = bench.acquisition.step_to(Instant::from_millis(now));
                prop_assert!(failures.is_empty());
                continue;
            }
            let answer = bench.ask(&command(op));
            match fetch_error {
                Some(true) => prop_assert_eq!(&answer, b"ERROR\n", "{:?}", op),
                Some(false) => {
                    prop_assert!(answer.ends_with(b"\n"));
                    prop_assert!(answer != b"ERROR\n");
                }
                None => prop_assert!(answer.is_empty(), "{:?} answered {:?}", op, answer),
            }
            // Records lost to a long run without fetching are reported (+203), never silently.
            let got: Vec<i32> = bench.errors().into_iter().filter(|&c| c != 203).collect();
            prop_assert_eq!(&got, &want_errors, "after {:?}", op);
            let summary = bench.ask(":ELOG:STAT?;ITEM?;PER?;CALC?;FORM?;TIM?");
            prop_assert_eq!(
                String::from_utf8(summary).unwrap(),
                format!("{}\n", model.summary()),
                "after {:?}", op
            );
        }
    }
}
