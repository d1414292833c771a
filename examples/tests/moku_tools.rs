//! The Moku tools as a person runs them: the built `moku_datalogger`, `li_to_csv` and
//! `moku_emulator` binaries spawned as processes (real HTTP to an emulator in-process or in a
//! child), their exit codes, stdout and stderr checked.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The example binary `name`, built (once per test run, as a person would with
/// `cargo build --example`) into this profile's `examples/` directory.
fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-p", "elog-examples"]);
        for e in ["moku_datalogger", "li_to_csv", "moku_emulator"] {
            cmd.args(["--example", e]);
        }
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo build");
        assert!(status.success(), "building the examples");
    });
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("spawn")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("elog-moku-tools-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[test]
fn help_and_version_go_to_stdout_and_exit_0() {
    for tool in ["moku_datalogger", "li_to_csv", "moku_emulator"] {
        for flag in ["--help", "--version"] {
            let out = run(tool, &[flag]);
            assert!(out.status.success(), "{tool} {flag}: {out:?}");
            assert!(!out.stdout.is_empty(), "{tool} {flag}");
            assert!(
                out.stderr.is_empty(),
                "{tool} {flag}: {}",
                text(&out.stderr)
            );
        }
        let help = text(&run(tool, &["--help"]).stdout);
        assert!(help.contains("Usage:"), "{help}");
    }
}

#[test]
fn wrong_arguments_say_what_to_do() {
    let out = run(
        "moku_datalogger",
        &["--host", "127.0.0.1:9", "--model", "pro"],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("cannot be used with"), "{err}");
    let out = run("moku_datalogger", &["--seconds", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--seconds 1.5"));
    let out = run("li_to_csv", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("<INPUT>"));
    let out = run("li_to_csv", &["/nonexistent/file.li"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/file.li"));
    let out = run("moku_emulator", &["--listen", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--listen 127.0.0.1:8090"));
    // Nothing listening: the error says what to check.
    let out = run("moku_datalogger", &["--host", "127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("hint: check the address"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn datalogger_save_then_li_to_csv_round_trip() {
    let dir = temp("roundtrip");
    let li = dir.join("log.li");
    let csv = dir.join("log.csv");
    let out = run(
        "moku_datalogger",
        &[
            "--model",
            "go",
            "--seconds",
            "0.5",
            "--save",
            li.to_str().unwrap(),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    // Human output: units, no Rust Debug.
    assert!(stdout.contains("sample rate: 1000 Sa/s"), "{stdout}");
    assert!(
        stdout.contains("input 1: impedance 1MOhm, coupling DC, range 50Vpp"),
        "{stdout}"
    );
    assert!(stdout.contains("saved "), "{stdout}");
    for debug in ["Some(", "None", "OneMegaOhm", "\"", "{"] {
        assert!(!stdout.contains(debug), "{debug:?} in {stdout}");
    }
    let out = run("li_to_csv", &[li.to_str().unwrap(), csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = std::fs::read_to_string(&csv).unwrap();
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("Time (s),Channel 1,Channel 2"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 500, "0.5 s at 1000 Sa/s");
    assert_eq!(text(&out.stderr).trim(), "500 rows");
    // Times in integer nanoseconds: at most 9 decimals, 1 ms apart exactly.
    let ns: Vec<i128> = rows
        .iter()
        .map(|r| {
            let t = r.split(',').next().unwrap();
            let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
            assert!(frac.len() <= 9, "{t}");
            whole.parse::<i128>().unwrap() * 1_000_000_000
                + format!("{frac:0<9}").parse::<i128>().unwrap()
        })
        .collect();
    assert!(
        ns.windows(2).all(|w| w[1] - w[0] == 1_000_000),
        "{:?}",
        &ns[..3]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads one line from the child's stdout, closes the pipe and waits: the tool must exit 0
/// without a panic message.
fn close_stdout_early(mut cmd: Command) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // The reader is dropped here: stdout is closed.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_stdout_ends_the_tools_quietly() {
    let dir = temp("pipe");
    let li = dir.join("big.li");
    // 2 s on four channels: a CSV far larger than a pipe buffer.
    let out = run(
        "moku_datalogger",
        &[
            "--model",
            "pro",
            "--seconds",
            "2",
            "--save",
            li.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut to_csv = Command::new(example("li_to_csv"));
    to_csv.arg(&li);
    close_stdout_early(to_csv);
    let mut logger = Command::new(example("moku_datalogger"));
    logger.args(["--seconds", "0.2"]);
    close_stdout_early(logger);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn emulator_serves_the_datalogger_tool() {
    let mut emu = Command::new(example("moku_emulator"))
        .args(["--listen", "0", "--model", "lab"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(emu.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let out = run(
        "moku_datalogger",
        &["--host", &addr, "--seconds", "0.2", "--serial", "000123"],
    );
    let _ = emu.kill();
    let _ = emu.wait();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("connected to Moku:Lab"));
}

#[test]
fn ownership_and_busy_errors_name_the_flag_to_use() {
    use moku_client::{ConnectOptions, Datalogger, LoggingOptions};
    let emu = moku_emulator::Emulator::start(moku_emulator::Config::default()).unwrap();
    let other = Datalogger::connect(&emu.host(), ConnectOptions::default()).unwrap();
    other
        .start_logging(&LoggingOptions {
            duration: 60.into(),
            ..LoggingOptions::default()
        })
        .unwrap();
    let host = emu.host();
    let out = run("moku_datalogger", &["--host", &host, "--seconds", "0.2"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("rerun with --force-connect"), "{err}");
    let out = run(
        "moku_datalogger",
        &["--host", &host, "--seconds", "0.2", "--force-connect"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("rerun with --ignore-busy"), "{err}");
    drop(other);
}
