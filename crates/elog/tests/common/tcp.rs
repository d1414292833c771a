//! The TCP rig: a real server on 127.0.0.1 (port 0) and a raw SCPI client.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use elog::acquisition::{Acquisition, SharedInstrument, lock};
use elog::elog_core::{Instant, Timebase};
use elog::server::{Server, ServerConfig, ServerHandle};
use elog::source::Source;

/// Binds a server for `instrument` on 127.0.0.1, port 0 (the listen address
/// of `config` is replaced), and spawns it.
pub fn serve(instrument: SharedInstrument, config: ServerConfig) -> ServerHandle {
    Server::bind(
        config.with_listen("127.0.0.1:0".parse().unwrap()),
        instrument,
    )
    .unwrap()
    .spawn()
    .unwrap()
}

/// Server + instrument + manually stepped acquisition.
pub struct Rig {
    pub instrument: SharedInstrument,
    pub acquisition: Acquisition,
    pub server: ServerHandle,
}

impl Rig {
    /// A rig with one simulator holding `specs`.
    pub fn new(specs: &[&str]) -> Rig {
        Self::with_config(specs, ServerConfig::default())
    }

    /// A rig with a server configuration of its own (listen address forced to port 0).
    pub fn with_config(specs: &[&str], config: ServerConfig) -> Rig {
        let (instrument, acquisition) = super::simulated(specs);
        let server = serve(Arc::clone(&instrument), config);
        Rig {
            instrument,
            acquisition,
            server,
        }
    }

    /// Adds another source.
    pub fn add_source(&mut self, source: impl Source + 'static) {
        self.acquisition.add_source(source).unwrap();
    }

    /// Sets the REL/ABS time bases.
    pub fn set_timebase(&self, timebase: Timebase) {
        lock(&self.instrument).set_timebase(timebase);
    }

    /// Drives the sources to `ms` milliseconds of source time.
    pub fn step_ms(&mut self, ms: i64) {
        let failures = self.acquisition.step_to(Instant::from_millis(ms));
        assert!(failures.is_empty(), "{failures:?}");
    }

    /// A new client connection.
    pub fn connect(&self) -> Client {
        Client::connect(self.server.local_addr())
    }
}

/// A raw SCPI client over a plain `TcpStream`.
pub struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects, with a generous read timeout so a missing answer fails the test instead of hanging it.
    pub fn connect(addr: std::net::SocketAddr) -> Client {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(StdDuration::from_secs(20)))
            .unwrap();
        s.set_nodelay(true).unwrap();
        Client {
            writer: s.try_clone().unwrap(),
            reader: BufReader::new(s),
        }
    }

    /// Sends one program message (LF appended) without waiting.
    pub fn write(&mut self, msg: &str) {
        let mut line = Vec::with_capacity(msg.len() + 1);
        line.extend_from_slice(msg.as_bytes());
        line.push(b'\n');
        self.writer.write_all(&line).unwrap();
    }

    /// Sends raw bytes.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    /// Sends a command and waits until the server processed it (`*OPC?`
    /// round trip on the same connection; answers come in order).
    pub fn send(&mut self, msg: &str) {
        self.write(msg);
        self.sync();
    }

    /// Waits until everything sent so far was processed.
    pub fn sync(&mut self) {
        self.write("*OPC?");
        assert_eq!(self.line(), "1");
    }

    /// Sends a query and returns its answer line (LF removed).
    pub fn ask(&mut self, msg: &str) -> String {
        self.write(msg);
        self.line()
    }

    /// Sends a query and returns the raw answer, LF included, read block-aware.
    pub fn ask_raw(&mut self, msg: &str) -> Vec<u8> {
        self.write(msg);
        self.raw_answer()
    }

    /// Reads one text answer line.
    pub fn line(&mut self) -> String {
        let raw = self.raw_answer();
        let text = String::from_utf8(raw).unwrap();
        text.strip_suffix('\n').unwrap().to_string()
    }

    /// Reads one response message: up to the LF that is not inside a definite block.
    pub fn raw_answer(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = self.byte();
            out.push(b);
            match b {
                b'\n' => return out,
                b'#' => {
                    let d = self.byte();
                    out.push(d);
                    let n = usize::from(d - b'0');
                    let mut len = 0usize;
                    for _ in 0..n {
                        let c = self.byte();
                        out.push(c);
                        len = len * 10 + usize::from(c - b'0');
                    }
                    let mut payload = vec![0u8; len];
                    self.reader.read_exact(&mut payload).unwrap();
                    out.extend_from_slice(&payload);
                }
                _ => {}
            }
        }
    }

    fn byte(&mut self) -> u8 {
        let mut b = [0u8; 1];
        self.reader.read_exact(&mut b).unwrap();
        b[0]
    }

    /// `:SYST:ERR?`.
    pub fn error(&mut self) -> String {
        self.ask(":SYST:ERR?")
    }

    /// Asserts the error queue is empty.
    pub fn no_error(&mut self) {
        assert_eq!(self.error(), "0,\"No error\"");
    }

    /// Whether the server closed the connection (reads EOF).
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0) | Err(_))
    }
}
