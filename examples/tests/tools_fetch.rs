//! `elog_fetch` against a spawned `elog_server`, as a person runs them:
//! Ctrl-C and SIGTERM lose nothing, the CSV is written while running, the
//! SVG chart is readable, and a second reader never hijacks a session.
#![cfg(unix)]

#[path = "../support/plot.rs"]
mod plot;
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use elog::client::{ElogClient, State};
use support::{ServerProcess, command, finish, run, signal, text, wait_for};

/// A scratch directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("elog-tools-{}-{test}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn csv_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn state(server: &ServerProcess) -> State {
    ElogClient::connect(server.addr).unwrap().state().unwrap()
}

/// Runs `elog_fetch` into a CSV and an SVG until `sig`, then checks both.
fn stopped_by(sig: &str) {
    let server = ServerProcess::start(&[
        "--channel",
        "AI 1/1=const:1.5@1000",
        "--channel",
        "AI 1/2=square:2:50@1000",
    ]);
    let dir = scratch(sig);
    let csv = dir.join("run.csv");
    let svg = dir.join("run.svg");
    let child = command("elog_fetch")
        .args(["--addr", &server.addr_text(), "--items", "AI 1/1,AI 1/2"])
        .args(["--calc", "AVG,MAX", "--period", "0.02"])
        .arg("--csv")
        .arg(&csv)
        .arg("--plot")
        .arg(&svg)
        .spawn()
        .unwrap();
    // Records reach the file while the tool runs (it flushes every second).
    wait_for("records in the CSV while running", || {
        csv_lines(&csv).len() > 20
    });
    signal(&child, sig);
    let out = finish(child);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{sig}: {:?}\n{err}", out.status);
    // Every record received is in the file, consecutive and correct.
    let lines = csv_lines(&csv);
    assert_eq!(
        lines[0],
        "seq,time,AI 1/1.AVG,AI 1/1.MAX,AI 1/2.AVG,AI 1/2.MAX"
    );
    let records = &lines[1..];
    for (i, line) in records.iter().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 6, "{line}");
        assert_eq!(f[0], i.to_string(), "seq");
        let t: f64 = f[1].parse().unwrap();
        assert!(
            (t - 0.02 * (i + 1) as f64).abs() < 1e-6,
            "time {t} of record {i}"
        );
        assert_eq!((f[2], f[3]), ("1.5", "1.5"));
        assert_eq!(
            f[5], "2",
            "a 50 Hz square reaches its peak in every 20 ms window"
        );
    }
    // The summary counts what the file holds.
    assert!(
        err.contains(&format!("{} records", records.len())),
        "summary of {} records:\n{err}",
        records.len()
    );
    // The session this tool started is stopped.
    assert_eq!(state(&server), State::Config);
    // The chart: axes, a title, one line and one legend entry per series.
    let chart = fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg"));
    for label in [
        "time (s)",
        "value",
        "AI 1/1 AVG",
        "AI 1/1 MAX",
        "AI 1/2 AVG",
        "AI 1/2 MAX",
    ] {
        assert!(
            chart.contains(&format!("\n{label}\n")),
            "chart text {label:?}"
        );
    }
    // 4 data lines + 4 legend strokes at least.
    assert!(chart.matches("<polyline").count() >= 8);
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn ctrl_c_writes_every_record_stops_the_session_and_exits_0() {
    stopped_by("INT");
}

#[test]
fn sigterm_does_the_same() {
    stopped_by("TERM");
}

#[test]
fn list_prints_the_servers_channels() {
    let server = ServerProcess::start(&[]);
    let out = run("elog_fetch", &["--addr", &server.addr_text(), "--list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(
        listed[0].split_whitespace().collect::<Vec<_>>(),
        ["id", "name"]
    );
    let names: Vec<String> = listed[1..]
        .iter()
        .map(|l| l.trim_start().split_once("  ").unwrap().1.to_string())
        .collect();
    assert_eq!(names, ["AI 1/1", "AI 1/2", "AI 1/3", "AI 1/4"]);
}

#[test]
fn a_running_session_is_refused_attached_or_taken_over_on_request() {
    let server =
        ServerProcess::start(&["--channel", "A=const:1@1000", "--channel", "B=const:2@1000"]);
    let addr = server.addr_text();
    let dir = scratch("sessions");
    let first_csv = dir.join("first.csv");
    let first = command("elog_fetch")
        .args(["--addr", &addr, "--items", "A", "--period", "0.05", "--csv"])
        .arg(&first_csv)
        .spawn()
        .unwrap();
    wait_for("the first reader's records", || {
        csv_lines(&first_csv).len() > 3
    });

    // A second reader is refused and changes nothing.
    let refused = run(
        "elog_fetch",
        &["--addr", &addr, "--items", "B", "--duration", "1"],
    );
    assert_eq!(refused.status.code(), Some(1));
    let why = text(&refused.stderr);
    assert!(
        why.contains("RUNNING") && why.contains("--attach") && why.contains("--force"),
        "{why}"
    );
    assert_eq!(state(&server), State::Running);

    // --attach reads the session as configured and leaves it running.
    let attached = run(
        "elog_fetch",
        &["--addr", &addr, "--attach", "--duration", "1"],
    );
    assert!(attached.status.success(), "{}", text(&attached.stderr));
    let table = text(&attached.stdout);
    assert!(table.lines().next().unwrap().contains("A.AVG"), "{table}");
    assert_eq!(state(&server), State::Running);

    // --force takes over; the first reader is told what happened.
    let forced = run(
        "elog_fetch",
        &[
            "--addr",
            &addr,
            "--items",
            "B",
            "--force",
            "--duration",
            "1",
        ],
    );
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(text(&forced.stdout).lines().nth(1).unwrap().ends_with(" 2"));
    let first = finish(first);
    assert_eq!(first.status.code(), Some(1));
    let told = text(&first.stderr);
    assert!(
        told.contains("another client probably stopped it"),
        "{told}"
    );
    // What the first reader got before is in its file.
    assert!(csv_lines(&first_csv).len() > 3);
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn attach_without_a_running_session_says_so() {
    let server = ServerProcess::start(&[]);
    let out = run("elog_fetch", &["--addr", &server.addr_text(), "--attach"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nothing to attach to"));
}

#[test]
fn an_unknown_item_is_refused_with_a_hint() {
    let server = ServerProcess::start(&[]);
    let out = run(
        "elog_fetch",
        &[
            "--addr",
            &server.addr_text(),
            "--items",
            "AI 9/9",
            "--duration",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("AI 9/9") && err.contains("--list"), "{err}");
}

#[test]
fn a_long_run_keeps_a_bounded_chart() {
    let mut chart = plot::PlotData::new(vec!["a AVG".into(), "a MAX".into()]);
    let n = 5 * plot::MAX_POINTS;
    for k in 0..n {
        let t = k as f64 * 0.001;
        chart.push(t, &[t.sin() as f32, f32::NAN]);
    }
    assert!(chart.len() <= plot::MAX_POINTS && chart.len() >= plot::MAX_POINTS / 4);
    let dir = scratch("chart");
    let svg = dir.join("long.svg");
    chart.write_svg(&svg, "long", "time (s)").unwrap();
    let text = fs::read_to_string(&svg).unwrap();
    assert!(text.contains("\na AVG\n") && text.contains("\na MAX\n"));
    let _ = fs::remove_dir_all(dir);
}
