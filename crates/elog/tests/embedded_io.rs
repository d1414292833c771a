//! The embedded-io transport: the blocking server over a real TCP socket
//! (wrapped as an `embedded_io` stream), its limits, and the async variant
//! over an in-memory stream driven by a minimal executor.
#![cfg(all(feature = "embedded-io-async", feature = "tcp"))]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::Rig;
use elog::ElogInstrument;
use elog::acquisition::lock;
use elog::dispatch::{ConnectionLimits, Verdict};
use elog::transport::embedded::{EmbeddedServer, Ended, ServeError};

/// A std socket as an `embedded_io` stream (what a firmware's TCP socket
/// or UART driver provides).
struct Socket(TcpStream);

impl embedded_io::ErrorType for Socket {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf).map_err(|_| embedded_io::ErrorKind::Other)
    }
}

impl embedded_io::Write for Socket {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.write(buf).map_err(|_| embedded_io::ErrorKind::Other)
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Serves one accepted connection over the embedded-io transport on its own
/// thread, against the rig's instrument; returns the client's socket and
/// the thread (its result: how serving ended).
fn embedded_pair(
    rig: &Rig,
    limits: ConnectionLimits,
) -> (
    TcpStream,
    std::thread::JoinHandle<Result<Ended, ServeError<embedded_io::ErrorKind>>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let instrument = Arc::clone(&rig.instrument);
    let t = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut io = Socket(s);
        let tree = ElogInstrument::tree();
        let mut server: EmbeddedServer<1024, 64> = EmbeddedServer::new(limits);
        // Firmware-style: read without the instrument, then lend it for
        // the messages of that read (the split API), then write.
        loop {
            let n = match embedded_io::Read::read(&mut io, server.rx_buf()) {
                Ok(0) => return Ok(Ended::Eof),
                Ok(n) => n,
                Err(e) => return Err(ServeError::Io(e)),
            };
            let mut inst = lock(&instrument);
            let (verdict, out) = server.process(n, &tree, &mut inst);
            drop(inst);
            embedded_io::Write::write_all(&mut io, out).map_err(ServeError::Io)?;
            if verdict != Verdict::Continue {
                return Ok(Ended::Limit(verdict));
            }
        }
    });
    let c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(StdDuration::from_secs(60)))
        .unwrap();
    (c, t)
}

fn line(c: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while c.read(&mut b).unwrap() == 1 {
        out.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    out
}

#[test]
fn serves_the_same_answers_as_the_raw_socket() {
    const TWO: &[&str] = &["AI 1/1=const:1.0@1000", "AI 1/2=const:-2.5@1000"];
    let mut rig = Rig::new(TWO);
    let mut raw_rig = Rig::new(TWO);
    let (mut c, t) = embedded_pair(&rig, ConnectionLimits::default());
    let mut r = raw_rig.connect();
    let setup = ":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MIN;:ELOG:TIM ELOG;:ELOG:STAR";
    c.write_all(format!("{setup}\n*OPC?\n").as_bytes()).unwrap();
    assert_eq!(line(&mut c), b"1\n");
    r.send(setup);
    rig.step_ms(500);
    raw_rig.step_ms(500);
    c.write_all(b":ELOG:FETC?\n").unwrap();
    let via_embedded = line(&mut c);
    assert!(via_embedded.len() > 16);
    assert_eq!(via_embedded, r.ask_raw(":ELOG:FETC?"));
    // A cut message at the end of the stream is dropped, never run.
    c.write_all(b"*IDN?\n:ELOG:STOP").unwrap();
    assert!(line(&mut c).starts_with(b"elog,"));
    c.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(t.join().unwrap(), Ok(Ended::Eof));
    let mut r2 = rig.connect();
    assert_eq!(
        r2.ask(":ELOG:STAT?"),
        "RUNNING",
        "the cut :ELOG:STOP never ran"
    );
}

#[test]
fn limits_hold() {
    let rig = Rig::new(&[]);
    // IN = 1024 bytes: a longer message is -363 and the framer resyncs.
    let (mut c, _t) = embedded_pair(&rig, ConnectionLimits::default());
    let mut long = vec![b'A'; 3000];
    long.extend_from_slice(b"\nSYST:ERR?\n");
    c.write_all(&long).unwrap();
    assert!(line(&mut c).starts_with(b"-363"));
    // An answer beyond max_output: the ones before go out, then it ends.
    let limits = ConnectionLimits {
        max_output: 8,
        ..ConnectionLimits::default()
    };
    let (mut c, t) = embedded_pair(&rig, limits);
    c.write_all(b"*OPC?\n*IDN?\n").unwrap();
    assert_eq!(line(&mut c), b"1\n");
    assert_eq!(t.join().unwrap(), Ok(Ended::Limit(Verdict::OutputLimit)));
}

/// An in-memory async stream: input queued, output collected, always ready.
struct Pipe {
    rx: Vec<u8>,
    tx: Vec<u8>,
}

impl embedded_io_async::ErrorType for Pipe {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.rx.len());
        buf[..n].copy_from_slice(&self.rx[..n]);
        self.rx.drain(..n);
        Ok(n)
    }
}

impl embedded_io_async::Write for Pipe {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        // One byte at a time: the server must loop over short writes.
        self.tx.extend_from_slice(&buf[..buf.len().min(1)]);
        Ok(buf.len().min(1))
    }
}

/// Runs a future that never waits (the pipe is always ready) to its end.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn the_async_variant_serves_through_a_lent_instrument() {
    let tree = ElogInstrument::tree();
    let inst = std::sync::Mutex::new(ElogInstrument::default());
    let mut server: EmbeddedServer<256, 16> = EmbeddedServer::new(ConnectionLimits::default());
    let mut pipe = Pipe {
        rx: b"*IDN?\n*OPC?;*OPC?\nSYST:ERR?\n*ID".to_vec(),
        tx: Vec::new(),
    };
    let end = block_on(server.serve_async(&mut pipe, &tree, |f| f(&mut inst.lock().unwrap())));
    assert_eq!(end, Ok(Ended::Eof));
    let text = String::from_utf8(pipe.tx).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("elog,ELOG,"));
    assert_eq!(&lines[1..], ["1;1", "0,\"No error\""]);
}
