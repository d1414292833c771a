//! Bridge to the vendor's `mokucli stream` (feature `mokucli`), as the official client's
//! `get_stream_data()` uses it (docs/moku-protocol.md §9.5).
//!
//! Runs `mokucli stream --ip-address=<host> --stream-id=<id> --target=<port>` and reads its
//! newline-delimited JSON from `localhost:<port>`: one `{"time": [...], "ch1": [...], ...}`
//! object per line, and the line `EOS` at the end. Output on mokucli's stderr, or a non-zero
//! exit, fails the stream. How mokucli itself talks to the device is unknown (§14); prefer the
//! native decoder ([`crate::li`]) on [`Datalogger::get_chunk`](crate::Datalogger::get_chunk).

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// Longest NDJSON line accepted (64 MiB).
const MAX_LINE: u64 = 64 << 20;

/// One line of mokucli output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamFrame {
    /// Sample times in s.
    pub time: Vec<f64>,
    /// `(channel number, samples)` for every enabled channel present (`ch1`..`ch8`), in order.
    pub channels: Vec<(u8, Vec<f64>)>,
}

impl StreamFrame {
    /// Parses one NDJSON line.
    pub fn parse(line: &str) -> Result<Self> {
        let bad = |m: String| Error::Stream(format!("bad mokucli line: {m}"));
        let v = crate::reply_envelope::parse_json(line.as_bytes()).map_err(bad)?;
        let Value::Object(obj) = v else {
            return Err(bad("not a JSON object".into()));
        };
        let floats = |v: &Value| -> Result<Vec<f64>> {
            match v {
                Value::Array(items) => items
                    .iter()
                    .map(|x| {
                        crate::reply_envelope::value_as_f64(x)
                            .ok_or_else(|| bad(format!("not a number: {x}")))
                    })
                    .collect(),
                other => Err(bad(format!("not a list: {other}"))),
            }
        };
        let mut frame = StreamFrame::default();
        for (k, v) in &obj {
            if k == "time" {
                frame.time = floats(v)?;
            } else if let Some(n) = k.strip_prefix("ch").and_then(|n| n.parse::<u8>().ok()) {
                frame.channels.push((n, floats(v)?));
            }
        }
        frame.channels.sort_by_key(|(n, _)| *n);
        Ok(frame)
    }
}

/// A running `mokucli stream` child and the connection to its output.
#[derive(Debug)]
pub struct MokucliStream {
    child: Child,
    reader: BufReader<TcpStream>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    ended: bool,
}

/// Finds mokucli: the explicit path, then `$MOKU_CLI_PATH`, then `mokucli` on `PATH`.
pub fn find_mokucli(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os("MOKU_CLI_PATH")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("mokucli"))
}

impl MokucliStream {
    /// Starts `mokucli stream` for `stream_id` on the device at `host` (as given, may include
    /// `:port`) and connects to its output (5 attempts, 0.5 s apart, as the official client).
    pub fn start(mokucli: Option<&Path>, host: &str, stream_id: &str) -> Result<Self> {
        Self::start_with_retries(mokucli, host, stream_id, 5, Duration::from_millis(500))
    }

    /// Like [`MokucliStream::start`] with an explicit number of connection attempts and pause.
    pub fn start_with_retries(
        mokucli: Option<&Path>,
        host: &str,
        stream_id: &str,
        attempts: u32,
        pause: Duration,
    ) -> Result<Self> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::Mokucli(format!("no free local port: {e}")))?
            .port();
        let exe = find_mokucli(mokucli);
        let mut child = Command::new(&exe)
            .arg("stream")
            .arg(format!("--ip-address={host}"))
            .arg(format!("--stream-id={stream_id}"))
            .arg(format!("--target={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Mokucli(format!("cannot start {}: {e}", exe.display())))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut stderr_reader = None;
        if let Some(mut err) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            stderr_reader = Some(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut s = sink
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if s.len() < 64 * 1024 {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            }));
        }
        let mut last = None;
        for attempt in 0..attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(pause);
            }
            match TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
                Ok(s) => {
                    let reader = BufReader::new(s);
                    return Ok(Self {
                        child,
                        reader,
                        stderr,
                        stderr_reader,
                        ended: false,
                    });
                }
                Err(e) => last = Some(e),
            }
            if let Ok(Some(status)) = child.try_wait() {
                if let Some(h) = stderr_reader.take() {
                    let _ = h.join();
                }
                let text = stderr
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .trim()
                    .to_owned();
                return Err(Error::Mokucli(format!(
                    "mokucli exited with {status} before serving: {text}"
                )));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(Error::Mokucli(format!(
            "cannot connect to mokucli on port {port}: {}",
            last.map_or_else(String::new, |e| e.to_string())
        )))
    }

    /// Starts the bridge for a Datalogger's current stream (after `start_streaming`).
    pub fn for_datalogger(dl: &crate::Datalogger, mokucli: Option<&Path>) -> Result<Self> {
        let id = dl
            .stream_id()
            .ok_or_else(|| Error::Stream("no stream started".into()))?;
        Self::start(mokucli, &dl.session().host().for_mokucli(), &id)
    }

    fn failure(&mut self) -> Option<Error> {
        let err = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if !err.trim().is_empty() {
            return Some(Error::Stream(err.trim().to_owned()));
        }
        match self.child.try_wait() {
            Ok(Some(status)) if !status.success() => {
                Some(Error::Stream(format!("mokucli exited with {status}")))
            }
            _ => None,
        }
    }

    /// The next frame, or `None` after `EOS`.
    pub fn next_frame(&mut self) -> Result<Option<StreamFrame>> {
        if self.ended {
            return Ok(None);
        }
        if let Some(e) = self.failure() {
            return Err(e);
        }
        let mut line = String::new();
        let n = self
            .reader
            .by_ref()
            .take(MAX_LINE)
            .read_line(&mut line)
            .map_err(|e| Error::Stream(format!("reading from mokucli: {e}")))?;
        if n == 0 {
            let _ = self.child.wait();
            if let Some(h) = self.stderr_reader.take() {
                let _ = h.join();
            }
            return Err(self
                .failure()
                .unwrap_or_else(|| Error::Stream("mokucli closed the stream without EOS".into())));
        }
        let text = line.trim();
        if text == "EOS" {
            self.ended = true;
            return Ok(None);
        }
        StreamFrame::parse(text).map(Some)
    }
}

impl Drop for MokucliStream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_frames() {
        let f = StreamFrame::parse(r#"{"time": [0.0, 0.001], "ch2": [1, -2.5], "ch1": [NaN, 3]}"#)
            .unwrap();
        assert_eq!(f.time, vec![0.0, 0.001]);
        assert_eq!(f.channels[0].0, 1);
        assert!(f.channels[0].1[0].is_nan());
        assert_eq!(f.channels[1], (2, vec![1.0, -2.5]));
        assert!(StreamFrame::parse("[1]").is_err());
        assert!(StreamFrame::parse(r#"{"time": "x"}"#).is_err());
    }
}
