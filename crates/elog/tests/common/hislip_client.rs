//! A minimal HiSLIP client over `std::net` (self-contained: the elog
//! tests use it as `common::hislip_client`, the examples' tests include
//! this file by path).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration as StdDuration;

use elog::transport::hislip::VENDOR_ID;
use elog::transport::hislip::header::{Header, kind};

pub fn send(s: &mut TcpStream, k: u8, control: u8, param: u32, payload: &[u8]) {
    let h = Header::new(k, control, param).with_len(payload.len() as u64);
    s.write_all(&h.encode()).unwrap();
    s.write_all(payload).unwrap();
}

/// The next message, or `None` when the server closed the connection.
pub fn recv(s: &mut TcpStream) -> Option<(Header, Vec<u8>)> {
    let mut hb = [0u8; 16];
    s.read_exact(&mut hb).ok()?;
    let h = Header::decode(&hb).ok()?;
    let mut p = vec![0u8; usize::try_from(h.len).unwrap()];
    s.read_exact(&mut p).ok()?;
    Some((h, p))
}

pub struct Hs {
    pub sync: TcpStream,
    pub asy: TcpStream,
    pub id: u32,
    pub session: u16,
    pub version: u16,
    pub rmt: u8,
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(StdDuration::from_secs(60)))
        .unwrap();
    s
}

impl Hs {
    pub fn open(addr: SocketAddr, version: u16) -> Hs {
        let mut sync = connect(addr);
        let param = (u32::from(version) << 16) | u32::from(u16::from_be_bytes(*b"RS"));
        send(&mut sync, kind::INITIALIZE, 0, param, b"hislip0");
        let (h, _) = recv(&mut sync).unwrap();
        assert_eq!(h.kind, kind::INITIALIZE_RESPONSE);
        assert_eq!(h.control & 1, 0, "the server prefers synchronized mode");
        let session = u16::try_from(h.param & 0xffff).unwrap();
        let mut asy = connect(addr);
        send(&mut asy, kind::ASYNC_INITIALIZE, 0, u32::from(session), b"");
        let (a, _) = recv(&mut asy).unwrap();
        assert_eq!(a.kind, kind::ASYNC_INITIALIZE_RESPONSE);
        assert_eq!(a.param, u32::from(VENDOR_ID));
        Hs {
            sync,
            asy,
            id: 0xffff_ff00,
            session,
            version: u16::try_from(h.param >> 16).unwrap(),
            rmt: 0,
        }
    }

    pub fn write(&mut self, msg: &[u8]) -> u32 {
        let id = self.id;
        send(&mut self.sync, kind::DATA_END, self.rmt, id, msg);
        self.rmt = 0;
        self.id = self.id.wrapping_add(2);
        id
    }

    /// Reads one response (Data* DataEnd), checking its message id.
    pub fn read(&mut self, id: u32) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let (h, p) = recv(&mut self.sync).expect("response");
            assert!(h.kind == kind::DATA || h.kind == kind::DATA_END, "{h:?}");
            assert_eq!(h.param, id, "message id of the request");
            assert_eq!(h.control, 0);
            out.extend_from_slice(&p);
            if h.kind == kind::DATA_END {
                self.rmt = 1;
                return out;
            }
        }
    }

    pub fn query(&mut self, msg: &str) -> Vec<u8> {
        let id = self.write(format!("{msg}\n").as_bytes());
        self.read(id)
    }

    pub fn ask(&mut self, msg: &str) -> String {
        String::from_utf8(self.query(msg))
            .unwrap()
            .trim_end()
            .to_owned()
    }

    pub fn async_query(
        &mut self,
        k: u8,
        control: u8,
        param: u32,
        payload: &[u8],
    ) -> (Header, Vec<u8>) {
        send(&mut self.asy, k, control, param, payload);
        recv(&mut self.asy).expect("async response")
    }

    pub fn status(&mut self) -> u8 {
        let (h, _) = self.async_query(kind::ASYNC_STATUS_QUERY, self.rmt, self.id, b"");
        self.rmt = 0;
        assert_eq!(h.kind, kind::ASYNC_STATUS_RESPONSE);
        h.control
    }

    pub fn lock(&mut self, timeout_ms: u32, key: &[u8]) -> u8 {
        let (h, _) = self.async_query(kind::ASYNC_LOCK, 1, timeout_ms, key);
        assert_eq!(h.kind, kind::ASYNC_LOCK_RESPONSE);
        h.control
    }

    pub fn unlock(&mut self) -> u8 {
        let (h, _) = self.async_query(kind::ASYNC_LOCK, 0, self.id, b"");
        assert_eq!(h.kind, kind::ASYNC_LOCK_RESPONSE);
        h.control
    }

    pub fn lock_info(&mut self) -> (u8, u32) {
        let (h, _) = self.async_query(kind::ASYNC_LOCK_INFO, 0, 0, b"");
        assert_eq!(h.kind, kind::ASYNC_LOCK_INFO_RESPONSE);
        (h.control, h.param)
    }

    pub fn device_clear(&mut self, overlap: bool) -> u8 {
        let (h, _) = self.async_query(kind::ASYNC_DEVICE_CLEAR, 0, 0, b"");
        assert_eq!(h.kind, kind::ASYNC_DEVICE_CLEAR_ACKNOWLEDGE);
        send(
            &mut self.sync,
            kind::DEVICE_CLEAR_COMPLETE,
            u8::from(overlap),
            0,
            b"",
        );
        let (h, _) = recv(&mut self.sync).unwrap();
        assert_eq!(h.kind, kind::DEVICE_CLEAR_ACKNOWLEDGE);
        self.id = 0xffff_ff00;
        h.control
    }
}

/// Opens a session (both channels, answers within `timeout`) and asks
/// `*IDN?`; `None` if the server refused or closed any part of it.
pub fn try_idn(addr: SocketAddr, timeout: StdDuration) -> Option<(Hs, String)> {
    let open = |addr| {
        let s = TcpStream::connect_timeout(&addr, timeout).ok()?;
        s.set_read_timeout(Some(timeout)).ok()?;
        s.set_write_timeout(Some(timeout)).ok()?;
        Some(s)
    };
    let mut sync = open(addr)?;
    let param = (0x0100u32 << 16) | u32::from(u16::from_be_bytes(*b"RS"));
    try_send(&mut sync, kind::INITIALIZE, 0, param, b"hislip0")?;
    let (h, _) = recv(&mut sync)?;
    (h.kind == kind::INITIALIZE_RESPONSE).then_some(())?;
    let session = u16::try_from(h.param & 0xffff).ok()?;
    let mut asy = open(addr)?;
    try_send(&mut asy, kind::ASYNC_INITIALIZE, 0, u32::from(session), b"")?;
    let (a, _) = recv(&mut asy)?;
    (a.kind == kind::ASYNC_INITIALIZE_RESPONSE).then_some(())?;
    let mut hs = Hs {
        sync,
        asy,
        id: 0xffff_ff00,
        session,
        version: u16::try_from(h.param >> 16).ok()?,
        rmt: 0,
    };
    let idn = hs.try_ask("*IDN?")?;
    Some((hs, idn))
}

/// Sends one message; `None` if the connection failed.
pub fn try_send(s: &mut TcpStream, k: u8, control: u8, param: u32, payload: &[u8]) -> Option<()> {
    let h = Header::new(k, control, param).with_len(payload.len() as u64);
    let mut m = h.encode().to_vec();
    m.extend_from_slice(payload);
    s.write_all(&m).ok()
}

impl Hs {
    /// One query; `None` if the connection failed or the answer is not a
    /// well-formed response.
    pub fn try_ask(&mut self, msg: &str) -> Option<String> {
        let id = self.id;
        try_send(
            &mut self.sync,
            kind::DATA_END,
            self.rmt,
            id,
            format!("{msg}\n").as_bytes(),
        )?;
        self.id = self.id.wrapping_add(2);
        let mut out = Vec::new();
        loop {
            let (h, p) = recv(&mut self.sync)?;
            (h.kind == kind::DATA || h.kind == kind::DATA_END).then_some(())?;
            out.extend_from_slice(&p);
            if h.kind == kind::DATA_END {
                self.rmt = 1;
                return String::from_utf8(out).ok().map(|s| s.trim_end().to_owned());
            }
        }
    }
}
