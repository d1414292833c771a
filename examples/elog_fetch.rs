//! `elog_fetch`: configure ELOG on a server (this project's `elog_server` or
//! DEWETRON OXYGEN), start it and read records gap-lessly with the Rust
//! client, as a live table on stdout or as CSV, with a status line of
//! records/s and lost records on stderr.
//!
//! ```text
//! cargo run --release --example elog_fetch -- --addr ADDR --items "A,B" [--calc AVG,RMS]
//!     [--period S] [--format ascii|bin_intel|bin_motorola] [--timestamp off|rel|abs|elog]
//!     [--duration S] [--csv FILE]
//! ```
//!
//! Without `--duration` it reads until the process is stopped. ELOG is
//! stopped on the server when the duration is over.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration as StdDuration, Instant};

use elog::client::{
    Calc, CalcList, ClientError, Duration, ElogClient, ElogConfig, Event, Format, Record, State,
    TimestampMode,
};

const USAGE: &str = "\
elog_fetch: read ELOG records from an ELOG server with the Rust client

USAGE:
    elog_fetch --addr ADDR --items \"A,B\" [OPTIONS]

OPTIONS:
    --addr ADDR          server address, e.g. 127.0.0.1:10001
    --items \"A,B\"        channel names, comma-separated, in record order
    --calc AVG,RMS       calculations (AVG, MIN, MAX, RMS) [default: AVG]
    --period S           aggregation period in seconds [default: 0.1]
    --format F           ascii | bin_intel | bin_motorola [default: ascii]
    --timestamp T        off | rel | abs | elog [default: elog]
    --duration S         stop after S seconds [default: run until stopped]
    --csv FILE           write records to FILE as CSV instead of a table
    -h, --help           print this help
";

/// The parsed command line.
struct Args {
    addr: String,
    config: ElogConfig,
    duration: Option<StdDuration>,
    csv: Option<String>,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut addr = None;
    let mut items: Option<Vec<String>> = None;
    let mut config = ElogConfig::default();
    let mut duration = None;
    let mut csv = None;
    while let Some(flag) = argv.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => addr = Some(value),
            "--items" => {
                let list: Vec<String> = value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if list.is_empty() {
                    return Err("--items needs at least one channel".into());
                }
                items = Some(list);
            }
            "--calc" => {
                let calcs: Result<Vec<Calc>, _> = value.split(',').map(Calc::parse).collect();
                let calcs =
                    calcs.map_err(|_| format!("--calc: unknown calculation in {value:?}"))?;
                config.calcs = CalcList::new(&calcs)
                    .map_err(|_| format!("--calc: {value:?} repeats a calculation"))?;
            }
            "--period" => {
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("--period: {value:?} is not a number"))?;
                config.period = Duration::from_secs_f64(secs)
                    .filter(|d| d.as_nanos() > 0)
                    .ok_or_else(|| format!("--period: {value:?} is not a positive duration"))?;
            }
            "--format" => {
                config.format =
                    Format::parse(&value).map_err(|_| format!("--format: unknown {value:?}"))?;
            }
            "--timestamp" => {
                config.timestamp = TimestampMode::parse(&value)
                    .map_err(|_| format!("--timestamp: unknown {value:?}"))?;
            }
            "--duration" => {
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("--duration: {value:?} is not a number"))?;
                duration = Some(
                    StdDuration::try_from_secs_f64(secs)
                        .map_err(|_| format!("--duration: {value:?} is not a duration"))?,
                );
            }
            "--csv" => csv = Some(value),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let addr = addr.ok_or("--addr is required")?;
    config.items = items.ok_or("--items is required")?;
    Ok(Some(Args {
        addr,
        config,
        duration,
        csv,
    }))
}

/// Where records go: an aligned table or CSV.
struct Output {
    out: Box<dyn Write>,
    csv: bool,
    with_time: bool,
}

impl Output {
    fn header(&mut self, config: &ElogConfig) -> io::Result<()> {
        let mut cols = vec!["seq".to_string()];
        if self.with_time {
            cols.push("time".into());
        }
        for item in &config.items {
            for c in config.calcs.as_slice() {
                cols.push(format!("{item}.{}", c.as_str()));
            }
        }
        if self.csv {
            let quoted: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
            writeln!(self.out, "{}", quoted.join(","))
        } else {
            self.row(&cols)
        }
    }

    fn record(&mut self, r: &Record) -> io::Result<()> {
        let mut cols = vec![r.seq.to_string()];
        if self.with_time {
            cols.push(r.time_text().unwrap_or_default());
        }
        cols.extend(r.values.iter().map(|v| format!("{v}")));
        if self.csv {
            writeln!(self.out, "{}", cols.join(","))
        } else {
            self.row(&cols)
        }
    }

    fn row(&mut self, cols: &[String]) -> io::Result<()> {
        let mut line = String::new();
        for (i, c) in cols.iter().enumerate() {
            let width = match (i, self.with_time) {
                (0, _) => 8,
                (1, true) => 27,
                _ => 14,
            };
            line.push_str(&format!("{c:>width$} "));
        }
        writeln!(self.out, "{}", line.trim_end())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The status line on stderr (rewritten in place on a terminal).
struct Status {
    tty: bool,
    started: Instant,
    last: Instant,
    shown: bool,
}

impl Status {
    /// Removes the status line before table rows go to the same terminal.
    fn clear(&mut self) {
        if self.tty && self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }

    fn show(&mut self, records: u64, lost: u64, reports: u64, done: bool) {
        let now = Instant::now();
        if !done && now.duration_since(self.last) < StdDuration::from_secs(1) {
            return;
        }
        self.last = now;
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-9);
        let unknown = if reports > 0 && lost == 0 {
            format!(" ({reports} loss reports)")
        } else {
            String::new()
        };
        let text = format!(
            "{records} records, {:.1} records/s, {lost} lost{unknown}, {secs:.1} s",
            records as f64 / secs
        );
        if self.tty && !done {
            eprint!("\r\x1b[2K{text}");
            self.shown = true;
        } else if self.tty {
            eprintln!("\r\x1b[2K{text}");
        } else {
            eprintln!("{text}");
        }
    }
}

fn run(args: Args) -> Result<(), ClientError> {
    let mut client = ElogClient::connect(args.addr.as_str())?;
    let id = client.identity().clone();
    eprintln!(
        "connected to {} ({} {}, version {}, protocol {})",
        client.peer_addr(),
        id.manufacturer,
        id.model,
        id.version,
        client
            .version()
            .map_or_else(|| "?".to_string(), |v| v.to_string())
    );
    if client.state()? != State::Config {
        client.stop()?;
    }
    client.configure(&args.config)?;
    client.start()?;
    let config = client.config().clone();
    let to_csv = args.csv.is_some();
    let out: Box<dyn Write> = match &args.csv {
        Some(path) => Box::new(BufWriter::new(File::create(path)?)),
        None => Box::new(io::stdout().lock()),
    };
    let mut output = Output {
        out,
        csv: to_csv,
        with_time: config.timestamp.is_on(),
    };
    output.header(&config)?;
    let started = Instant::now();
    let end = args.duration.map(|d| started + d);
    let mut status = Status {
        tty: io::stderr().is_terminal(),
        started,
        last: started,
        shown: false,
    };
    let mut stream = client.records();
    loop {
        let wake = Instant::now() + StdDuration::from_millis(250);
        let until = end.map_or(wake, |e| e.min(wake));
        match stream.next_before(until)? {
            Some(Event::Record(r)) => {
                if !to_csv {
                    status.clear();
                }
                output.record(&r)?;
            }
            Some(Event::Lost(lost)) => {
                if !to_csv {
                    output.out.flush()?;
                }
                let n = lost
                    .count
                    .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string());
                eprintln!("\n{n} records lost ({})", lost.error);
            }
            None => {
                output.out.flush()?;
                if end.is_some_and(|e| Instant::now() >= e) {
                    break;
                }
            }
        }
        let s = stream.stats();
        status.show(s.records, s.lost, s.loss_reports, false);
    }
    output.out.flush()?;
    let s = stream.stats();
    status.show(s.records, s.lost, s.loss_reports, true);
    client.stop()?;
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("elog_fetch: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("elog_fetch: {e}");
            ExitCode::FAILURE
        }
    }
}
