//! Running the example programs as a person would: spawned processes, real
//! sockets on 127.0.0.1, signals sent with `kill`.
//!
//! The binaries are the ones `cargo test` builds next to this test
//! (`target/<profile>/examples/`). A test run alone (`cargo test --test
//! tools_fetch`) does not make cargo build examples: a binary that is missing
//! or older than the sources (examples and crates) is then built with the
//! same cargo first.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Generous: a loaded 2-core CI box may be slow, a healthy run is far faster.
pub const DEADLINE: Duration = Duration::from_secs(60);

static BUILD: Mutex<()> = Mutex::new(());

/// The path of an example binary, built first if missing.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test> → target/<profile>/examples/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>")
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if !path.exists() || older_than_sources(&path) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "elog-examples", "--example", name]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "building example {name}");
    }
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// Whether a file under `examples/` or `crates/*/src` changed after `binary` was built.
fn older_than_sources(binary: &Path) -> bool {
    let Ok(built) = binary.metadata().and_then(|m| m.modified()) else {
        return true;
    };
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![examples.to_path_buf()];
    if let Ok(crates) = std::fs::read_dir(examples.join("../crates")) {
        dirs.extend(crates.flatten().map(|c| c.path().join("src")));
    }
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("tests") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs" || e == "toml")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m > built)
            {
                return true;
            }
        }
    }
    false
}

/// A command for an example, stdin closed, stdout and stderr captured.
pub fn command(name: &str) -> Command {
    let mut cmd = Command::new(example(name));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("RUST_LOG");
    cmd
}

/// Runs an example to its end (killed after [`DEADLINE`]).
pub fn run(name: &str, args: &[&str]) -> Output {
    let child = command(name)
        .args(args)
        .spawn()
        .expect("spawning the example");
    finish(child)
}

/// Waits for a spawned example to end (killed after [`DEADLINE`]) and collects its output.
pub fn finish(mut child: Child) -> Output {
    let end = Instant::now() + DEADLINE;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(out.map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = reader(err.map(|p| Box::new(p) as Box<dyn Read + Send>));
    let status = wait_until(&mut child, end);
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn wait_until(child: &mut Child, end: Instant) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the example") {
            return status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("the example did not end within {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Sends a signal (`INT`, `TERM`, …) to a child with `kill`.
pub fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{sig}");
}

/// Polls `what` until it is true (panics after [`DEADLINE`]).
pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + DEADLINE;
    while !ok() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(25));
    }
}

/// Text of captured output.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `elog_server` example on a free port; killed on drop.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    /// The lines it printed before `listening on …` (the channel table).
    pub table: Vec<String>,
    _stdout: BufReader<ChildStdout>,
}

impl ServerProcess {
    /// Starts `elog_server` with these arguments (`--listen 127.0.0.1:0`
    /// unless they say where).
    pub fn start(args: &[&str]) -> ServerProcess {
        let mut cmd = command("elog_server");
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        let mut child = cmd
            .args(args)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning elog_server");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut table = Vec::new();
        let addr = loop {
            let mut line = String::new();
            let n = stdout.read_line(&mut line).expect("reading elog_server");
            if n == 0 {
                let _ = child.kill();
                panic!("elog_server ended before listening; printed {table:?}");
            }
            if let Some(a) = line.trim().strip_prefix("listening on ") {
                break a.parse().expect("a socket address");
            }
            table.push(line.trim_end().to_string());
        };
        ServerProcess {
            child,
            addr,
            table,
            _stdout: stdout,
        }
    }

    /// The next line it prints after `listening on …` (the other
    /// transports' addresses), without its line end.
    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            ._stdout
            .read_line(&mut line)
            .expect("reading elog_server");
        assert!(n > 0, "elog_server closed its stdout");
        line.trim_end().to_string()
    }

    /// `127.0.0.1:PORT`.
    pub fn addr_text(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
