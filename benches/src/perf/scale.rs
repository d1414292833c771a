//! How the server's cost grows (issue 10, D): channels × clients, and the
//! latency a well-behaved client sees while others hammer the server.
//!
//! Like [`super::e2e`], the server runs in a **separate process**
//! (`perf-report --only scale --serve-scale N`: N sine channels at
//! 10 kS/s, the threaded acquisition, the TCP server with default settings),
//! so that its `utime + stime` from `/proc/<pid>/stat` is its own.
//!
//! * **Scale** — for N = 64, 256 and 1 024 channels: one client configures
//!   every channel with AVG, MIN, MAX, RMS at PER 0.1 in BIN_INTEL and
//!   starts; 8 clients read the one ELOG session together (each record goes
//!   to exactly one of them), each polling at 10 Hz (a `RecordStream` with a
//!   100 ms poll interval), for 20 s (4 s with `--quick`) after 2 s to
//!   settle. Figures `scale.<N>ch.server_cpu_share` (anchor: the target
//!   0.25 core), `scale.<N>ch.lost_records` (anchor 0) and
//!   `scale.<N>ch.records_delivered` (anchor: the windows completed between
//!   the first and the last record read by any client).
//! * **Latency** — 64 channels running as above, one fetcher at 10 Hz, and
//!   60 clients each writing 100 pipelined queries
//!   (`*IDN?;:ELOG:STAT?;*VER?`) at a time and reading the answers, without
//!   pause; a well-behaved client asks `*IDN?` every 10 ms and times each
//!   answer. Figures `scale.idn_latency_median` and `scale.idn_latency_p99`
//!   (anchor: the target 50 ms for the p99).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as WallInstant};

use elog::client::{Calc, CalcList, ElogClient, ElogConfig, Event, Format, TimestampMode};

use super::e2e::{ServerProcess, channel_name, cpu_seconds};
use crate::Report;

/// Sample rate of each channel.
const RATE_HZ: u32 = 10_000;
/// The ELOG period.
const PERIOD_MS: u64 = 100;
/// Clients reading the records together.
const FETCHERS: usize = 8;
/// Their poll interval (10 Hz).
const FETCH_EVERY: Duration = Duration::from_millis(100);
/// Clients hammering the server in the latency scenario.
const HAMMERERS: usize = 60;
/// The target server CPU share, in cores.
const TARGET_CORES: f64 = 0.25;
/// The target p99 `*IDN?` latency.
const TARGET_P99_MS: f64 = 50.0;

/// Measures the scale figures into `report`; as `--serve-scale N`, runs the
/// server instead and never returns.
pub fn run(report: &mut Report) {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve-scale") {
        let n = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(64);
        serve(n);
    }
    for channels in [64, 256, 1024] {
        if let Err(e) = measure_scale(report, channels) {
            eprintln!("scale: {channels} channels not measured: {e}");
        }
    }
    if let Err(e) = measure_latency(report) {
        eprintln!("scale: latency not measured: {e}");
    }
}

fn serve(channels: usize) -> ! {
    super::e2e::serve_sines("scale", channels, RATE_HZ, 4 * 1024)
}

/// Starts the server process for `channels`; its address.
fn start_server(channels: usize) -> Result<(ServerProcess, String), String> {
    super::e2e::spawn_server(&["--only", "scale", "--serve-scale", &channels.to_string()])
}

/// Configures `channels` items with every statistic and starts.
fn configure(addr: &str, channels: usize) -> Result<ElogClient, String> {
    let mut client = ElogClient::connect(addr).map_err(|e| e.to_string())?;
    let items: Vec<String> = (0..channels).map(channel_name).collect();
    let config = ElogConfig::new(items)
        .period(Duration::from_millis(PERIOD_MS))
        .calcs(CalcList::new(&Calc::ALL).map_err(|e| e.to_string())?)
        .format(Format::BinIntel)
        .timestamp(TimestampMode::Elog);
    client.configure(&config).map_err(|e| e.to_string())?;
    client.start().map_err(|e| e.to_string())?;
    Ok(client)
}

/// What one fetcher read in the window.
#[derive(Debug, Default)]
struct Fetched {
    records: u64,
    lost: u64,
    first_ns: Option<i64>,
    last_ns: i64,
    /// Every record's ELOG time (to check that none came twice).
    times: Vec<i64>,
    error: Option<String>,
}

/// One of the fetchers: its own connection, the configuration read back,
/// a 10 Hz record stream; counts from `start` to `end`.
fn fetcher(addr: &str, start: WallInstant, end: WallInstant) -> Fetched {
    let mut r = Fetched::default();
    let mut client = match ElogClient::connect(addr) {
        Ok(c) => c,
        Err(e) => {
            r.error = Some(e.to_string());
            return r;
        }
    };
    if let Err(e) = client.read_config() {
        r.error = Some(e.to_string());
        return r;
    }
    // Eight readers of one session: a reader may see none for a while
    // (another took them), which is not a stall.
    let mut stream = client.records().poll_interval(FETCH_EVERY).idle_limit(None);
    loop {
        match stream.next_before(end) {
            Ok(Some(Event::Record(rec))) if WallInstant::now() >= start => {
                r.records += 1;
                let ns = rec.time.map_or(0, |t| t.as_nanos());
                r.first_ns = Some(r.first_ns.map_or(ns, |f| f.min(ns)));
                r.last_ns = r.last_ns.max(ns);
                r.times.push(ns);
            }
            Ok(Some(Event::Lost(l))) if WallInstant::now() >= start => {
                r.lost += l.count.unwrap_or(1);
            }
            Ok(Some(_)) => {}
            Ok(None) => return r,
            Err(e) => {
                r.error = Some(e.to_string());
                return r;
            }
        }
    }
}

fn measure_scale(report: &mut Report, channels: usize) -> Result<(), String> {
    let (server, addr) = start_server(channels)?;
    let pid = server.0.id();
    let mut control = configure(&addr, channels)?;
    let window = report.budget(Duration::from_secs(20));
    let note = if window < Duration::from_secs(20) {
        " (--quick: shortened)"
    } else {
        ""
    };
    let start = WallInstant::now() + Duration::from_secs(2);
    let end = start + window;
    let (reads, cpu, wall) = std::thread::scope(|s| {
        let hs: Vec<_> = (0..FETCHERS)
            .map(|_| s.spawn(|| fetcher(&addr, start, end)))
            .collect();
        std::thread::sleep(start.saturating_duration_since(WallInstant::now()));
        let cpu0 = cpu_seconds(pid);
        let t0 = WallInstant::now();
        std::thread::sleep(end.saturating_duration_since(WallInstant::now()));
        let cpu1 = cpu_seconds(pid);
        let wall = t0.elapsed().as_secs_f64();
        let reads: Vec<Fetched> = hs
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect();
        (reads, cpu0.and_then(|a| cpu1.map(|b| b - a)), wall)
    });
    let cpu = cpu?;
    let _ = control.stop();
    drop(server);
    if let Some(e) = reads.iter().find_map(|r| r.error.clone()) {
        return Err(format!("a fetcher failed: {e}"));
    }
    let records: u64 = reads.iter().map(|r| r.records).sum();
    let lost: u64 = reads.iter().map(|r| r.lost).sum();
    let first = reads.iter().filter_map(|r| r.first_ns).min().unwrap_or(0);
    let last = reads.iter().map(|r| r.last_ns).max().unwrap_or(0);
    // Rounded: ELOG times sit on the sample grid, not exactly on k * P.
    let p = PERIOD_MS as i64 * 1_000_000;
    let expected = (last - first + p / 2) / p + i64::from(records > 0);
    let mut times: Vec<i64> = reads.iter().flat_map(|r| r.times.iter().copied()).collect();
    times.sort_unstable();
    let all = times.len();
    times.dedup();
    let twice = all - times.len();
    let share = cpu / wall;
    eprintln!(
        "scale: {channels} ch x {RATE_HZ} S/s, 4 stats, {FETCHERS} fetchers at 10 Hz, {wall:.1} s{note}: \
         server CPU {cpu:.2} s = {share:.3} core, {records} records (expected {expected}, {twice} read twice), {lost} lost"
    );
    report.add(
        &format!("scale.{channels}ch.server_cpu_share"),
        share,
        "core",
        &format!(
            "target 0.25 core, {channels} ch x 10 kS/s, 8 clients at 10 Hz, {wall:.0} s{note}"
        ),
        TARGET_CORES,
    );
    report.add(
        &format!("scale.{channels}ch.lost_records"),
        lost as f64,
        "records",
        &format!("required 0 over {wall:.0} s{note}"),
        0.0,
    );
    report.add(
        &format!("scale.{channels}ch.records_delivered"),
        records as f64,
        "records",
        "windows completed between the first and last record read (ELOG times)",
        expected as f64,
    );
    Ok(())
}

/// One hammering client: 100 pipelined queries per write, answers read, no pause.
fn hammer(addr: &str, stop: &AtomicBool) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(reader) = s.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let burst = b"*IDN?;:ELOG:STAT?;*VER?\n".repeat(100);
    let mut line = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if s.write_all(&burst).is_err() {
            return;
        }
        for _ in 0..100 {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_or(true, |n| n == 0) {
                return;
            }
        }
    }
}

fn measure_latency(report: &mut Report) -> Result<(), String> {
    let channels = 64;
    let (server, addr) = start_server(channels)?;
    let mut control = configure(&addr, channels)?;
    let window = report.budget(Duration::from_secs(20));
    let stop = AtomicBool::new(false);
    let mut samples = std::thread::scope(|s| -> Result<Vec<f64>, String> {
        let end = WallInstant::now() + window + Duration::from_secs(2);
        let addr = &addr;
        s.spawn(move || fetcher(addr, WallInstant::now(), end));
        for _ in 0..HAMMERERS {
            let stop = &stop;
            s.spawn(move || hammer(addr, stop));
        }
        // Let the hammering start.
        std::thread::sleep(Duration::from_secs(1));
        let mut c = TcpStream::connect(addr.as_str()).map_err(|e| e.to_string())?;
        c.set_nodelay(true).map_err(|e| e.to_string())?;
        c.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(c.try_clone().map_err(|e| e.to_string())?);
        let mut samples = Vec::new();
        let mut line = Vec::new();
        let t_end = WallInstant::now() + window;
        while WallInstant::now() < t_end {
            let t = WallInstant::now();
            c.write_all(b"*IDN?\n").map_err(|e| e.to_string())?;
            line.clear();
            reader
                .read_until(b'\n', &mut line)
                .map_err(|e| e.to_string())?;
            if !line.starts_with(b"elog,") {
                return Err(format!(
                    "unexpected answer {:?}",
                    String::from_utf8_lossy(&line)
                ));
            }
            samples.push(t.elapsed().as_secs_f64() * 1e3);
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        Ok(samples)
    })?;
    let _ = control.stop();
    drop(server);
    if samples.is_empty() {
        return Err("no latency sample".into());
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let (median, p99) = (at(0.5), at(0.99));
    eprintln!(
        "scale: *IDN? latency with {HAMMERERS} hammering clients, {channels} ch running, \
         {} samples: median {median:.2} ms, p99 {p99:.2} ms, max {:.2} ms",
        samples.len(),
        samples[samples.len() - 1]
    );
    report.add(
        "scale.idn_latency_median",
        median,
        "ms",
        &format!("target for the p99: 50 ms ({HAMMERERS} clients pipelining queries)"),
        TARGET_P99_MS,
    );
    report.add(
        "scale.idn_latency_p99",
        p99,
        "ms",
        &format!("target 50 ms ({HAMMERERS} clients pipelining queries)"),
        TARGET_P99_MS,
    );
    Ok(())
}
