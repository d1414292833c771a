//! `perf-report`: the headline comparisons, quickly, one JSON line per figure.
//!
//! ```text
//! cargo run --release -p elog-benches --bin perf-report [-- --quick] [-- --only scpi,elog,moku,e2e,scale]
//! ```

use elog_benches::{Report, perf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_owned).collect());
    let wanted = |area: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == area));
    let mut report = Report {
        figures: Vec::new(),
        scale: if quick { 0.2 } else { 1.0 },
    };
    if wanted("scpi") {
        perf::scpi::run(&mut report);
    }
    if wanted("elog") {
        perf::elog::run(&mut report);
    }
    if wanted("moku") {
        perf::moku::run(&mut report);
    }
    if wanted("transports") {
        perf::transports::run(&mut report);
    }
    if wanted("e2e") {
        perf::e2e::run(&mut report);
    }
    if wanted("scale") {
        perf::scale::run(&mut report);
    }
}
