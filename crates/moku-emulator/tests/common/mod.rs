//! Test helpers: a minimal raw HTTP/1.1 client over `TcpStream` (so the tests see the exact bytes
//! the emulator writes), a session that claims ownership, and an LI v3 reader written from the
//! layout documented in `moku_emulator::li` (independent of the encoder).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use moku_emulator::{Config, Emulator, Model};
use serde_json::Value;

/// One HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    /// Header lines exactly as sent (name, value).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    /// A header value, by exact-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The envelope's data, asserting success.
    pub fn data(&self) -> Value {
        let v = self.json();
        assert_eq!(v["success"], Value::Bool(true), "not a success: {v}");
        v["data"].clone()
    }

    /// The envelope's error code, asserting failure.
    pub fn code(&self) -> String {
        let v = self.json();
        assert_eq!(v["success"], Value::Bool(false), "not a failure: {v}");
        v["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// A keep-alive connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
    pub key: Option<String>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream),
            key: None,
        }
    }

    /// Sends one request; `Err` if the server closed the connection without a full answer.
    pub fn try_request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> std::io::Result<Resp> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: emulator\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n"
        );
        if let Some(key) = &self.key {
            head.push_str(&format!("Moku-Client-Key: {key}\r\n"));
        }
        if method == "POST" || body.is_some() {
            head.push_str("Content-Type: application/json\r\n");
            head.push_str(&format!(
                "Content-Length: {}\r\n",
                body.map_or(0, <[u8]>::len)
            ));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        if let Some(b) = body {
            stream.write_all(b)?;
        }
        self.read_response()
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Resp {
        self.try_request(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, None)
    }

    pub fn post(&mut self, path: &str, body: &str) -> Resp {
        self.request("POST", path, Some(body.as_bytes()))
    }

    /// POST with no body at all (`Content-Length: 0`), as the official client sends.
    pub fn post_empty(&mut self, path: &str) -> Resp {
        self.request("POST", path, None)
    }

    /// A Datalogger op in slot 1.
    pub fn dl(&mut self, op: &str, body: Option<&str>) -> Resp {
        let path = format!("/api/slot1/datalogger/{op}");
        match body {
            Some(b) => self.post(&path, b),
            None if is_get(op) => self.get(&path),
            None => self.post_empty(&path),
        }
    }

    fn read_response(&mut self) -> std::io::Result<Resp> {
        let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(eof());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if self.reader.read_line(&mut h)? == 0 {
                return Err(eof());
            }
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            let (n, v) = h
                .split_once(':')
                .ok_or_else(|| std::io::Error::other(format!("bad header {h:?}")))?;
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| std::io::Error::other("no Content-Length"))?;
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    /// True once the server has closed this connection.
    pub fn closed_by_server(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.reader.read(&mut buf), Ok(0))
    }
}

fn is_get(op: &str) -> bool {
    matches!(
        op,
        "get_acquisition_mode"
            | "get_samplerate"
            | "stop_logging"
            | "logging_progress"
            | "summary"
            | "save_settings"
    )
}

/// Starts an emulator of `model`.
pub fn emulator(model: Model) -> Emulator {
    Emulator::start(Config {
        model,
        ..Config::default()
    })
    .expect("start emulator")
}

/// A connection that has claimed ownership.
pub fn owner(emu: &Emulator) -> Conn {
    let mut c = Conn::open(emu.addr());
    claim(&mut c, true);
    c
}

/// Claims ownership on `c`, storing the key.
pub fn claim(c: &mut Conn, force: bool) -> Resp {
    let body = format!(
        r#"{{"force_connect": {force}, "force_deploy": false, "ignore_busy": false, "persist_state": false, "client_name": "test"}}"#
    );
    let r = c.post("/api/moku/claim_ownership", &body);
    if let Some(k) = r.header("Moku-Client-Key") {
        c.key = Some(k.to_owned());
    }
    r
}

/// Polls `f` until it returns `Some`, failing after a generous bound (a hang guard, not a timing
/// assertion).
pub fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not reached in 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A decoded LI v3 document.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    pub instrument_id: u8,
    pub start_time: u64,
    pub start_offset: f64,
    pub time_step: f64,
    pub channels: Vec<Vec<f64>>,
    pub csv_header: String,
}

/// Reads an LI v3 document following the documented layout; `None` if it is malformed.
pub fn decode_li(b: &[u8]) -> Option<Decoded> {
    let u16_at = |i: usize| Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
    let u64_at = |i: usize| Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?));
    if b.get(..3)? != b"LI3" {
        return None;
    }
    let hdr_len = usize::from(u16_at(3)?);
    let n = usize::from(*b.get(14)?);
    let mut pos = 39;
    let mut strings = Vec::new();
    for _ in 0..n + 3 {
        let len = usize::from(u16_at(pos)?);
        strings.push(String::from_utf8(b.get(pos + 2..pos + 2 + len)?.to_vec()).ok()?);
        pos += 2 + len;
    }
    if pos != 5 + hdr_len || strings[0] != "s32" || strings[1..=n].iter().any(|p| p != "/65536") {
        return None;
    }
    pos = pos.div_ceil(8) * 8;
    let mut channels = vec![Vec::new(); n];
    while pos < b.len() {
        let ch = u32_at(pos)? as usize;
        let len = u32_at(pos + 4)? as usize;
        pos += 16;
        let data = b.get(pos..pos.checked_add(len)?)?;
        if !len.is_multiple_of(4) {
            return None;
        }
        let samples = channels.get_mut(ch)?;
        samples.extend(
            data.chunks_exact(4)
                .map(|c| f64::from(i32::from_le_bytes(c.try_into().unwrap())) / 65536.0),
        );
        pos = (pos + len).div_ceil(8) * 8;
    }
    Some(Decoded {
        instrument_id: b[5],
        start_time: u64_at(15)?,
        start_offset: f64::from_le_bytes(b.get(23..31)?.try_into().ok()?),
        time_step: f64::from_le_bytes(b.get(31..39)?.try_into().ok()?),
        channels,
        csv_header: strings[n + 2].clone(),
    })
}
