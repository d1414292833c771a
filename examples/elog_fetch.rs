//! `elog_fetch`: configure ELOG on a server (this project's `elog_server` or
//! DEWETRON OXYGEN), start it and read records gap-lessly with the Rust
//! client, as a live table on stdout or as CSV, optionally charted as SVG,
//! with a status line of records/s and lost records on stderr.
//!
//! ```text
//! cargo run --release --example elog_fetch -- [--addr HOST[:PORT]] --items "A,B" [--calc AVG,RMS]
//!     [--period S] [--format ascii|bin_intel|bin_motorola] [--timestamp off|rel|abs|elog]
//!     [--duration S] [--csv FILE] [--plot FILE.svg] [--force | --attach]
//! cargo run --release --example elog_fetch -- [--addr HOST[:PORT]] --list
//! ```
//!
//! Without `--duration` it reads until stopped: Ctrl-C (SIGINT), SIGTERM or
//! SIGHUP end the run cleanly — every record already received is written,
//! ELOG is stopped on the server if this tool started it, the summary is
//! printed and the exit code is 0. The CSV file is flushed at least once a
//! second. A server whose ELOG session is already RUNNING belongs to another
//! client: the tool refuses unless `--attach` (read that session as it is
//! configured, leave it running) or `--force` (stop it and start its own).

#[path = "support/cli.rs"]
#[macro_use]
mod cli;
#[path = "support/fetch_output.rs"]
mod fetch_output;
#[path = "support/plot.rs"]
mod plot;

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use elog::client::{
    Calc, CalcList, ClientError, ElogClient, ElogConfig, Event, Format, State, TimestampMode,
};

use cli::Endpoint;
use fetch_output::{Output, Status, Timeline};

/// Read ELOG records from an ELOG server (elog_server or DEWETRON OXYGEN)
/// with the Rust client: a live table on stdout, or CSV, or an SVG chart.
///
/// Runs until --duration is over or until Ctrl-C / SIGTERM, which end it
/// cleanly: every record received is written, ELOG is stopped if this tool
/// started it, and the exit code is 0.
#[derive(Parser, Debug)]
#[command(name = "elog_fetch", version)]
struct Args {
    /// The server: HOST:PORT, HOST (port 10001) or PORT (on 127.0.0.1).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:10001", value_parser = cli::client_endpoint)]
    addr: Endpoint,

    /// Print the server's channels (id, name) and exit.
    #[arg(long, conflicts_with_all = ["items", "attach", "force"])]
    list: bool,

    /// Channel names, comma-separated, in record order (see --list).
    #[arg(long, value_name = "A,B", value_parser = parse_items, required_unless_present_any = ["list", "attach"])]
    items: Option<Items>,

    /// Calculations, comma-separated: AVG, MIN, MAX, RMS [default: AVG].
    #[arg(long, value_name = "AVG,RMS", value_parser = parse_calcs)]
    calc: Option<CalcList>,

    /// Aggregation period in seconds [default: 0.1].
    #[arg(long, value_name = "S", value_parser = parse_period)]
    period: Option<Duration>,

    /// Answer format: ascii, bin_intel or bin_motorola [default: ascii].
    #[arg(long, value_name = "F", value_parser = parse_format)]
    format: Option<Format>,

    /// Timestamp of each record: off, rel, abs or elog [default: elog].
    #[arg(long, value_name = "T", value_parser = parse_timestamp)]
    timestamp: Option<TimestampMode>,

    /// Stop after S seconds [default: run until Ctrl-C or SIGTERM].
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    duration: Option<Duration>,

    /// Write the records to FILE as CSV instead of a table on stdout.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,

    /// Also chart every item and statistic over time into FILE (SVG).
    #[arg(long, value_name = "FILE.svg", value_parser = parse_svg)]
    plot: Option<PathBuf>,

    /// Take over a RUNNING session: stop it (its reader is told it was
    /// stopped) and start this tool's own.
    #[arg(long, conflicts_with = "attach")]
    force: bool,

    /// Read the RUNNING session as it is configured, without changing or
    /// stopping it (records go to whichever reader fetches them first).
    #[arg(long, conflicts_with_all = ["items", "calc", "period", "format", "timestamp"])]
    attach: bool,
}

/// The `--items` list.
#[derive(Clone, Debug)]
struct Items(Vec<String>);

fn parse_items(text: &str) -> Result<Items, String> {
    let list: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() {
        return Err("give at least one channel name, e.g. \"AI 1/1,AI 1/2\" (see --list)".into());
    }
    Ok(Items(list))
}

fn parse_calcs(text: &str) -> Result<CalcList, String> {
    let calcs: Result<Vec<Calc>, _> = text.split(',').map(|c| Calc::parse(c.trim())).collect();
    let calcs =
        calcs.map_err(|_| format!("{text:?}: the calculations are AVG, MIN, MAX and RMS"))?;
    CalcList::new(&calcs).map_err(|_| format!("{text:?}: name each calculation once"))
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{text:?}: expected seconds, e.g. 10 or 0.5"))
}

fn parse_period(text: &str) -> Result<Duration, String> {
    let period = parse_seconds(text)?;
    if period.is_zero() {
        return Err(format!("{text:?}: the period must be above 0 s, e.g. 0.1"));
    }
    Ok(period)
}

fn parse_format(text: &str) -> Result<Format, String> {
    Format::parse(text).map_err(|_| format!("{text:?}: use ascii, bin_intel or bin_motorola"))
}

fn parse_timestamp(text: &str) -> Result<TimestampMode, String> {
    TimestampMode::parse(text).map_err(|_| format!("{text:?}: use off, rel, abs or elog"))
}

fn parse_svg(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(path),
        _ => Err(format!("{text:?}: the chart is SVG, name it FILE.svg")),
    }
}

/// Why a run failed, as the user should read it.
struct Failure(String);

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure(e.to_string())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure(e.to_string())
    }
}

fn connect(args: &Args) -> Result<ElogClient, Failure> {
    let client = ElogClient::connect(args.addr.to_string()).map_err(|e| match e {
        ClientError::Connect { .. } => Failure(format!(
            "{e}\n  is the server running? Start one with: cargo run --release --example elog_server"
        )),
        e => e.into(),
    })?;
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
    Ok(client)
}

/// Prints the server's channels (`:CHANNELlist:NAMes?`).
fn list(client: &mut ElogClient) -> Result<(), Failure> {
    let channels = client.channels()?;
    if channels.is_empty() {
        eprintln!("the server offers no channels");
    }
    outln!("{:>4}  name", "id");
    for ch in channels {
        outln!("{:>4}  {}", ch.id, ch.name);
    }
    Ok(())
}

/// Brings the server to a RUNNING session this run may read; returns
/// whether this tool started it (and so stops it at the end).
fn take_session(client: &mut ElogClient, args: &Args) -> Result<bool, Failure> {
    let state = client.state()?;
    if args.attach {
        if state != State::Running {
            return Err(Failure(format!(
                "nothing to attach to: the server's ELOG session is {} (not RUNNING); \
                 run without --attach to start one",
                state.as_str()
            )));
        }
        client.read_config()?;
        eprintln!("attached to the RUNNING session (left running at the end)");
        return Ok(false);
    }
    match state {
        State::Running if !args.force => {
            return Err(Failure(
                "the server's ELOG session is RUNNING: another client is probably reading it.\n  \
                 --attach reads it as it is configured (without stopping it);\n  \
                 --force stops it and starts this tool's own session"
                    .into(),
            ));
        }
        State::Running => {
            eprintln!("--force: stopping the RUNNING session of another client");
            client.stop()?;
            // A reader of the old session polls at least once a second: give
            // it time to see the session end before a new one starts.
            std::thread::sleep(Duration::from_millis(1500));
        }
        State::Invalid => client.stop()?,
        _ => {}
    }
    let mut config = ElogConfig::new(args.items.clone().map(|i| i.0).unwrap_or_default());
    if let Some(c) = args.calc {
        config.calcs = c;
    }
    if let Some(p) = args.period {
        config.period = p;
    }
    if let Some(f) = args.format {
        config.format = f;
    }
    if let Some(t) = args.timestamp {
        config.timestamp = t;
    }
    client.configure(&config).map_err(|e| match e {
        ClientError::Refused { .. } => Failure(format!("{e}\n  --list prints the channels")),
        e => e.into(),
    })?;
    client.start()?;
    Ok(true)
}

/// How a reading loop ended.
enum End {
    /// Duration over, signal, or stdout closed.
    Done,
    /// The stream failed.
    Failed(ClientError),
}

fn run(args: &Args, stop: &AtomicBool) -> Result<(), Failure> {
    let mut client = connect(args)?;
    if args.list {
        return list(&mut client);
    }
    let started_here = take_session(&mut client, args)?;
    let config = client.config().clone();
    let mut output = Output::open(args.csv.as_deref(), &config)?;
    let mut timeline = Timeline::new(&config);
    let mut chart = args
        .plot
        .as_ref()
        .map(|_| plot::PlotData::new(timeline.series()));
    let started = Instant::now();
    let end = args.duration.map(|d| started + d);
    let mut status = Status::new(io::stderr().is_terminal() && !output.is_csv(), started);
    let mut last_flush = started;
    let mut stream = client.records();
    let mut on_event = |event: Event, output: &mut Output, status: &mut Status| -> io::Result<()> {
        match event {
            Event::Record(r) => {
                status.clear();
                output.record(&r)?;
                if let Some(chart) = chart.as_mut() {
                    chart.push(timeline.x(&r), &r.values);
                }
            }
            Event::Lost(lost) => {
                output.flush()?;
                status.clear();
                let n = lost
                    .count
                    .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string());
                eprintln!("{n} records lost ({})", lost.error);
            }
        }
        Ok(())
    };
    let mut outcome = End::Done;
    loop {
        if stop.load(Ordering::Relaxed) || end.is_some_and(|e| Instant::now() >= e) {
            break;
        }
        let wake = Instant::now() + Duration::from_millis(250);
        let until = end.map_or(wake, |e| e.min(wake));
        match stream.next_before(until) {
            Ok(Some(event)) => {
                if let Err(e) = on_event(event, &mut output, &mut status) {
                    if cli::is_closed_pipe(&e) {
                        break;
                    }
                    return Err(e.into());
                }
            }
            Ok(None) => {}
            Err(e) => {
                outcome = End::Failed(e);
                break;
            }
        }
        if last_flush.elapsed() >= Duration::from_millis(500) {
            output.flush_quietly()?;
            last_flush = Instant::now();
        }
        let s = stream.stats();
        status.show(s.records, s.lost, s.loss_reports, false);
    }
    // What the server already holds is read too (bounded: 2 s at most).
    if matches!(outcome, End::Done) {
        let drain_end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < drain_end {
            match stream.next_before(Instant::now()) {
                Ok(Some(event)) => {
                    if on_event(event, &mut output, &mut status).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    outcome = End::Failed(e);
                    break;
                }
            }
        }
    }
    output.flush_quietly()?;
    let s = stream.stats();
    status.show(s.records, s.lost, s.loss_reports, true);
    drop(stream);
    if let Some(path) = &args.csv {
        eprintln!("CSV: {} ({} records)", path.display(), s.records);
    }
    if let (Some(path), Some(chart)) = (&args.plot, &chart) {
        let title = format!("ELOG {} — {} records", config.items.join(", "), s.records);
        chart
            .write_svg(path, &title, timeline.x_label())
            .map_err(Failure)?;
        eprintln!(
            "chart: {} ({} points per line)",
            path.display(),
            chart.len()
        );
    }
    match outcome {
        End::Done => {
            if started_here {
                client.stop()?;
            }
            Ok(())
        }
        End::Failed(e) => {
            // Stopped, or stopped and started again with another configuration.
            let taken = match client.state() {
                Ok(State::Running) => client.read_config().is_ok_and(|now| *now != config),
                Ok(_) => true,
                Err(_) => false,
            };
            if taken {
                Err(Failure(format!(
                    "{e}\n  ELOG was stopped on the server while this tool was reading it: \
                     another client probably stopped it (:ELOG:STOP, or elog_fetch --force)"
                )))
            } else {
                Err(e.into())
            }
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C, SIGTERM and SIGHUP: finish the run cleanly (a second one kills).
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
    if let Err(e) = installed {
        eprintln!("elog_fetch: warning: cannot handle Ctrl-C ({e}); it will end the run abruptly");
    }
    match run(&args, &stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(e)) => {
            eprintln!("elog_fetch: {e}");
            ExitCode::FAILURE
        }
    }
}
