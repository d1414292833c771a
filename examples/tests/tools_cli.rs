//! The command lines of the examples, run as a person would: `--help` and
//! `--version` on stdout with exit 0, errors that say what to do, host names
//! and ports, and a closed stdout ending the run quietly.
#![cfg(unix)]

mod support;
#[path = "../support/cli.rs"]
#[macro_use]
mod cli;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use support::{ServerProcess, command, finish, run, text};

const TOOLS: [&str; 4] = ["elog_server", "elog_fetch", "scpi_repl", "embed_engine"];

#[test]
fn help_and_version_go_to_stdout_with_exit_0() {
    for tool in TOOLS {
        let help = run(tool, &["--help"]);
        assert!(help.status.success(), "{tool} --help: {:?}", help.status);
        let out = text(&help.stdout);
        assert!(
            out.contains(&format!("Usage: {tool}")),
            "{tool} --help:\n{out}"
        );
        assert!(help.stderr.is_empty(), "{tool} --help wrote to stderr");
        let version = run(tool, &["--version"]);
        assert!(version.status.success(), "{tool} --version");
        assert_eq!(
            text(&version.stdout).trim(),
            format!("{tool} {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn bad_arguments_say_what_to_do() {
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "elog_server",
            &["--listen", "localhost:http"],
            "is not a port",
        ),
        (
            "elog_server",
            &["--channel", "AI 1/1=wobble@10"],
            "NAME=KIND",
        ),
        (
            "elog_fetch",
            &["--items", "AI 1/1", "--calc", "MEAN"],
            "AVG, MIN, MAX and RMS",
        ),
        (
            "elog_fetch",
            &["--attach", "--items", "AI 1/1"],
            "cannot be used with",
        ),
        (
            "elog_fetch",
            &["--items", "AI 1/1", "--plot", "chart.png"],
            "FILE.svg",
        ),
    ];
    for (tool, args, says) in cases {
        let out = run(tool, args);
        assert_eq!(out.status.code(), Some(2), "{tool} {args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(says), "{tool} {args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let missing = run("elog_fetch", &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("--items"));
}

#[test]
fn a_refused_connection_suggests_starting_the_server() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
        .to_string();
    let out = run("elog_fetch", &["--addr", &port, "--list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--example elog_server"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn host_names_and_bare_ports_are_accepted() {
    let server = ServerProcess::start(&["--channel", "X=const:1@10"]);
    let port = server.addr.port().to_string();
    for addr in [
        format!("localhost:{port}"),
        port.clone(),
        format!("127.0.0.1:{port}"),
    ] {
        let out = run("elog_fetch", &["--addr", &addr, "--list"]);
        assert!(out.status.success(), "--addr {addr}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains('X'), "--addr {addr}");
    }
    // The server side: a name with a port.
    let named = ServerProcess::start(&["--listen", "localhost:0"]);
    assert!(named.addr.ip().is_loopback());
}

#[test]
fn the_server_prints_its_channel_table() {
    let server = ServerProcess::start(&[
        "--channel",
        "AI 1/1=const:1.0@100",
        "--channel",
        "Torque=sine:2.5:5@1000",
    ]);
    let table = server.table.join("\n");
    assert!(table.contains("id") && table.contains("rate (Hz)") && table.contains("kind"));
    let rows: Vec<Vec<&str>> = server
        .table
        .iter()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["1", "AI", "1/1", "100", "const:1"]);
    assert_eq!(rows[1], ["2", "Torque", "1000", "sine:2.5:5"]);
}

#[test]
fn a_closed_stdout_ends_every_example_quietly() {
    // The reader goes away after one line, or before any.
    for (tool, args) in [
        ("embed_engine", &[][..]),
        ("elog_server", &["--listen", "127.0.0.1:0"][..]),
    ] {
        for lines in [0, 1] {
            let mut child = command(tool).args(args).spawn().unwrap();
            let stdout = child.stdout.take().unwrap();
            if lines > 0 {
                let mut first = String::new();
                BufReader::new(stdout).read_line(&mut first).unwrap();
                assert!(!first.is_empty());
            } else {
                drop(stdout);
            }
            let out = finish(child);
            assert!(
                out.status.success(),
                "{tool} after {lines} lines: {:?}",
                out.status
            );
            assert!(out.stderr.is_empty(), "{tool}: {}", text(&out.stderr));
        }
    }
    // A table reader that goes away mid-run.
    let server = ServerProcess::start(&["--channel", "X=const:1@1000"]);
    let mut child = command("elog_fetch")
        .args([
            "--addr",
            &server.addr_text(),
            "--items",
            "X",
            "--period",
            "0.01",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..3 {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    let out = finish(child);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
    // A scpi_repl whose reader left.
    let out = run("scpi_repl", &["--version"]);
    assert!(out.status.success());
}

#[test]
fn address_forms() {
    let ok = |text: &str| cli::client_endpoint(text).unwrap().to_string();
    assert_eq!(ok("localhost"), "localhost:10001");
    assert_eq!(ok("localhost:5025"), "localhost:5025");
    assert_eq!(ok("10021"), "127.0.0.1:10021");
    assert_eq!(ok("0.0.0.0:5025"), "0.0.0.0:5025");
    assert_eq!(ok("[::1]:5025"), "[::1]:5025");
    assert_eq!(ok("[::1]"), "[::1]:10001");
    assert_eq!(ok("::1"), "[::1]:10001");
    let listen = cli::listen_endpoint("localhost:0").unwrap();
    assert!(listen.listen_addr().ip().is_loopback());
    for (bad, says) in [
        ("", "empty address"),
        ("host:99999", "is not a port"),
        (":5025", "the host is missing"),
        ("[::1", "needs its ']'"),
        ("no-such-host.invalid", "cannot resolve host"),
    ] {
        let e = cli::client_endpoint(bad).unwrap_err();
        assert!(e.contains(says), "{bad:?}: {e}");
    }
}
