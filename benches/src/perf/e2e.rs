//! End to end: the ELOG server ingesting 64 simulated channels at 100 kS/s
//! each while the Rust client fetches once a second over TCP.
//!
//! The server runs in a **separate process** so that its CPU time is its own:
//! `perf-report` re-executes itself as `perf-report --only e2e --serve`
//! (this module sees `--serve` and becomes the server: acquisition threads +
//! TCP server on a free loopback port, `listening on <addr>` on stdout, exit
//! when stdin closes). The parent connects an [`ElogClient`], configures the
//! 64 channels with AVG, MIN, MAX and RMS at a 0.1 s period, starts, lets
//! the run settle for 2 s, then reads the gap-less stream with one `FETCh?`
//! per second for 30 s (6 s with `--quick`). It reads the server's
//! `utime + stime` from `/proc/<pid>/stat` at the start and the end of that
//! window.
//!
//! Figures (anchors are the targets; ratios below 1 are within target):
//! * `e2e.server_cpu_share`: server CPU / wall time, in cores; anchor: the
//!   target, 0.25 core.
//! * `e2e.lost_records`: records the server reported lost; anchor: 0 (ratio
//!   is reported as 0 for an anchor of 0: read the value).
//! * `e2e.records_delivered`: records read in the window; anchor: the
//!   records the server completed from the first to the last one read
//!   (their ELOG timestamps over the period, plus one) — a ratio of 1 means
//!   none was missed.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant as WallInstant};

use elog::acquisition::{Acquisition, AcquisitionConfig, shared};
use elog::client::{
    Calc, CalcList, ElogClient, ElogConfig, Event, Format, RecordStream, TimestampMode,
};
use elog::elog_core::Limits;
use elog::server::{Server, ServerConfig};
use elog::{ChannelSpec, ElogInstrument, InstrumentConfig, Simulator};

use crate::Report;

/// Channels the server ingests.
const CHANNELS: usize = 64;
/// Sample rate of each channel.
const RATE_HZ: u32 = 100_000;
/// The ELOG period.
const PERIOD_MS: i64 = 100;
/// The client's pause between fetches.
const FETCH_EVERY: StdDuration = StdDuration::from_secs(1);
/// The target server CPU share, in cores.
const TARGET_CORES: f64 = 0.25;
/// `/proc/<pid>/stat` times are in USER_HZ, 100 on Linux.
const TICKS_PER_S: f64 = 100.0;

pub(crate) fn channel_name(i: usize) -> String {
    format!("AI {}/{}", i / 8 + 1, i % 8 + 1)
}

/// Measures the end-to-end figures into `report`; as `--serve`, runs the
/// server instead and never returns.
pub fn run(report: &mut Report) {
    if std::env::args().any(|a| a == "--serve") {
        serve();
    }
    match measure(report) {
        Ok(()) => {}
        Err(e) => eprintln!("e2e: not measured: {e}"),
    }
}

/// The server process: 64 sine channels, the threaded acquisition and the
/// TCP server; exits when stdin reaches its end (the parent went away).
fn serve() -> ! {
    serve_sines("e2e", CHANNELS, RATE_HZ, 256)
}

/// A server process of `channels` sine channels at `rate_hz` (named by
/// [`channel_name`]), the threaded acquisition and the TCP server on a free
/// loopback port (printed as `listening on ADDR`); exits when stdin reaches
/// its end. Shared by the end-to-end and the scale figures.
pub(crate) fn serve_sines(tag: &str, channels: usize, rate_hz: u32, max_items: usize) -> ! {
    let limits = Limits {
        max_items,
        ..Limits::default()
    };
    let instrument = shared(ElogInstrument::new(
        InstrumentConfig::default().with_limits(limits),
    ));
    let mut acquisition = Acquisition::new(instrument.clone());
    let specs: Vec<ChannelSpec> = (0..channels)
        .map(|i| {
            format!("{}=sine:1.0:{}@{rate_hz}", channel_name(i), 1 + i % 50)
                .parse()
                .expect("valid channel spec")
        })
        .collect();
    if let Err(e) = acquisition.add_source(Simulator::from_specs(&specs)) {
        eprintln!("{tag} server: {e}");
        std::process::exit(1);
    }
    let listen = "127.0.0.1:0".parse().expect("loopback address");
    let server = match Server::bind(ServerConfig::default().with_listen(listen), instrument) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{tag} server: {e}");
            std::process::exit(1);
        }
    };
    let addr = server.local_addr().expect("bound address");
    let _running = acquisition.start(AcquisitionConfig::default());
    let _handle = server.spawn();
    println!("listening on {addr}");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    std::process::exit(0);
}

/// Starts this binary again with `args` as a server process (one of the
/// `serve*` modes) and reads the address from its `listening on ADDR` line.
pub(crate) fn spawn_server(args: &[&str]) -> Result<(ServerProcess, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the server process: {e}"))?;
    let stdout = child.stdout.take().ok_or("no server stdout")?;
    let server = ServerProcess(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected server output {line:?}"))?
        .to_string();
    Ok((server, addr))
}

/// Kills the server process when dropped.
pub(crate) struct ServerProcess(pub(crate) Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `utime + stime` of a process, in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> Result<f64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = stat.rsplit_once(')').ok_or("malformed /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| -> Result<f64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .map(|t| t as f64 / TICKS_PER_S)
            .ok_or_else(|| "malformed /proc stat".to_string())
    };
    // utime is field 14, stime field 15 (1-based); field 3 is index 0 here.
    Ok(tick(11)? + tick(12)?)
}

/// Records read in a window: how many, and the first and last ELOG times (ns).
#[derive(Debug, Default)]
struct Window {
    records: u64,
    first_ns: Option<i64>,
    last_ns: i64,
}

/// Reads the stream until `end`.
fn drain_until(stream: &mut RecordStream<'_>, end: WallInstant) -> Result<Window, String> {
    let mut w = Window::default();
    loop {
        match stream.next_before(end) {
            Ok(Some(Event::Record(r))) => {
                w.records += 1;
                let ns = r.time.map_or(0, |t| t.as_nanos());
                w.first_ns.get_or_insert(ns);
                w.last_ns = ns;
            }
            Ok(Some(Event::Lost(_))) => {}
            Ok(None) => return Ok(w),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn measure(report: &mut Report) -> Result<(), String> {
    let (server, addr) = spawn_server(&["--only", "e2e", "--serve"])?;
    let pid = server.0.id();

    let mut client = ElogClient::connect(addr.as_str()).map_err(|e| e.to_string())?;
    let items: Vec<String> = (0..CHANNELS).map(channel_name).collect();
    let config = ElogConfig::new(items)
        .period(StdDuration::from_millis(PERIOD_MS.unsigned_abs()))
        .calcs(CalcList::new(&Calc::ALL).map_err(|e| e.to_string())?)
        .format(Format::BinIntel)
        .timestamp(TimestampMode::Elog);
    client.configure(&config).map_err(|e| e.to_string())?;
    client.start().map_err(|e| e.to_string())?;

    let window = report.budget(StdDuration::from_secs(30));
    let quick = window < StdDuration::from_secs(30);
    let mut stream = client.records().poll_interval(FETCH_EVERY);
    // Settle: the acquisition threads and the first records.
    drain_until(&mut stream, WallInstant::now() + StdDuration::from_secs(2))?;
    let before = stream.stats();
    let cpu0 = cpu_seconds(pid)?;
    let t0 = WallInstant::now();
    let got = drain_until(&mut stream, t0 + window)?;
    let records = got.records;
    // Windows the server completed between the first and the last record read.
    let span = got.last_ns - got.first_ns.unwrap_or(got.last_ns);
    let expected = span / (PERIOD_MS * 1_000_000) + i64::from(records > 0);
    let wall = t0.elapsed().as_secs_f64();
    let cpu1 = cpu_seconds(pid)?;
    let after = stream.stats();
    drop(stream);
    let _ = client.stop();
    drop(server);

    let share = (cpu1 - cpu0) / wall;
    let lost = after.lost - before.lost;
    let reports = after.loss_reports - before.loss_reports;
    let note = if quick { " (--quick: shortened)" } else { "" };
    eprintln!(
        "e2e: {CHANNELS} ch x {RATE_HZ} S/s, {wall:.1} s{note}, {records} records, {lost} lost \
         ({reports} loss reports), server CPU {:.3} s = {share:.3} core, {} fetches",
        cpu1 - cpu0,
        after.fetches - before.fetches
    );
    report.add(
        "e2e.server_cpu_share",
        share,
        "core",
        &format!("target 0.25 core, 64 ch x 100 kS/s, {wall:.0} s{note}"),
        TARGET_CORES,
    );
    report.add(
        "e2e.lost_records",
        lost.max(reports) as f64,
        "records",
        &format!("required 0 over {wall:.0} s{note}"),
        0.0,
    );
    report.add(
        "e2e.records_delivered",
        records as f64,
        "records",
        "records the server completed between the first and last read (ELOG times)",
        expected as f64,
    );
    Ok(())
}
