//! The client against scripted peers over TCP on 127.0.0.1: answers written
//! the way DEWETRON OXYGEN writes them (headers, spaces after commas, NR1
//! numbers, quoted ABS times without fraction, SCPI sentinels), and hostile
//! peers (silence, endless or oversized answers, closed connections).
//!
//! These peers are scripts on purpose: the real server in this workspace
//! (tested in `client.rs`) neither writes OXYGEN's variants nor misbehaves.
#![cfg(feature = "tcp")]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration as StdDuration;

use elog::client::{
    Calc, ClientError, ClientOptions, ElogClient, Event, Format, RecordTime, State, TimestampMode,
};
use elog::elog_core::Duration;

/// What a scripted peer does with one program message.
enum Reply {
    /// Answers with this line (LF appended).
    Line(Vec<u8>),
    /// Writes these bytes as they are.
    Raw(Vec<u8>),
    /// Sends nothing.
    Nothing,
    /// Closes the connection.
    Close,
    /// Writes bytes without a line feed until the client goes away.
    Endless,
}

fn line(s: &str) -> Reply {
    Reply::Line(s.as_bytes().to_vec())
}

/// Starts a peer that serves one connection with `script`.
fn peer(mut script: impl FnMut(&str) -> Reply + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut out = stream.try_clone().unwrap();
        for msg in BufReader::new(stream).lines() {
            let Ok(msg) = msg else { return };
            let ok = match script(msg.trim_end_matches('\r')) {
                Reply::Line(mut l) => {
                    l.push(b'\n');
                    out.write_all(&l).is_ok()
                }
                Reply::Raw(b) => out.write_all(&b).is_ok(),
                Reply::Nothing => true,
                Reply::Close => false,
                Reply::Endless => {
                    while out.write_all(&[b'x'; 4096]).is_ok() {}
                    false
                }
            };
            if !ok {
                return;
            }
        }
    });
    addr
}

/// OXYGEN's connect answers, with response headers left ON.
fn oxygen_handshake(q: &str) -> Option<Reply> {
    Some(match q {
        ":COMM:HEAD OFF" => Reply::Nothing,
        "*IDN?" => line("DEWETRON,OXYGEN,12345,7.1.2"),
        "*VER?" => line("SCPI,\"1999.0\",RC_SCPI,\"1.10\",OXYGEN,\"7.1.2\""),
        ":SYST:ERR?" => line(":SYST:ERR 0,\"No error\""),
        ":ELOG:ITEM?" => line(":ELOG:ITEM \"CH0\",\"CH1\""),
        ":ELOG:PER?" => line(":ELOG:PER 0.5"),
        ":ELOG:CALC?" => line(":ELOG:CALC AVG, MIN"),
        ":ELOG:FORM?" => line(":ELOG:FORM ASCII"),
        ":ELOG:TIM?" => line(":ELOG:TIM REL"),
        ":ELOG:STAT?" => line(":ELOG:STAT RUNNING"),
        ":ELOG:STAR" | ":ELOG:STOP" => Reply::Nothing,
        _ => return None,
    })
}

/// Short enough for the tests that wait for a timeout, long enough for a
/// scripted peer to answer on a loaded machine.
fn quick() -> ClientOptions {
    ClientOptions {
        timeout: StdDuration::from_secs(1),
        ..ClientOptions::default()
    }
}

#[test]
fn oxygen_answers_with_headers_and_spaces_decode() {
    let mut fetches = 0;
    let addr = peer(move |q| {
        if let Some(r) = oxygen_handshake(q) {
            return r;
        }
        assert!(q.starts_with(":ELOG:FETC? "), "{q}");
        fetches += 1;
        match fetches {
            // The seed's example answer, with OXYGEN's header.
            1 => line(":ELOG:FETC 0.1, 1.5, 1, 10.5, 10, 0.2, 2.5, 2, 20.5, 20"),
            2 => line(
                ":ELOG:FETC 0.3, 9.91E+37, +3, 9.9E+37, -9.9E+37, 4E-1, 3.5e0, .5, 1.05E+1, -0",
            ),
            3 => line(":ELOG:FETC NONE"),
            _ => Reply::Close,
        }
    });
    let mut c = ElogClient::connect(addr).unwrap();
    assert_eq!(c.identity().model, "OXYGEN");
    assert_eq!(c.version().unwrap().to_string(), "1.10");
    let cfg = c.config().clone();
    assert_eq!(cfg.items, ["CH0", "CH1"]);
    assert_eq!(cfg.period, StdDuration::from_millis(500));
    assert_eq!(cfg.calcs.as_slice(), &[Calc::Avg, Calc::Min]);
    assert_eq!(
        (cfg.format, cfg.timestamp),
        (Format::Ascii, TimestampMode::Rel)
    );
    assert_eq!(c.state().unwrap(), State::Running);

    let mut stream = c
        .records()
        .poll_interval(StdDuration::ZERO)
        .idle_limit(None)
        .batch(2);
    let mut recs = Vec::new();
    for _ in 0..4 {
        match stream.next().unwrap().unwrap() {
            Event::Record(r) => recs.push(r),
            Event::Lost(l) => panic!("{l:?}"),
        }
    }
    assert_eq!(recs[0].values, [1.5, 1.0, 10.5, 10.0]);
    assert_eq!(recs[1].values, [2.5, 2.0, 20.5, 20.0]);
    assert_eq!(
        recs[1].time,
        Some(RecordTime::Elapsed(Duration::from_millis(200)))
    );
    assert!(recs[2].values[0].is_nan());
    assert_eq!(recs[2].values[1..], [3.0, f32::INFINITY, f32::NEG_INFINITY]);
    assert_eq!(recs[3].values, [3.5, 0.5, 10.5, -0.0]);
    assert_eq!(recs.iter().map(|r| r.seq).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(recs[3].time_text().unwrap(), "0.400000");
}

#[test]
fn oxygen_abs_times_and_binary_blocks_with_headers() {
    let mut block = b":ELOG:FETC #18".to_vec();
    block.extend_from_slice(&1.5f32.to_be_bytes());
    block.extend_from_slice(&(-2.0f32).to_be_bytes());
    block.extend_from_slice(b",#18");
    block.extend_from_slice(&10.0f32.to_be_bytes());
    block.extend_from_slice(&f32::NAN.to_be_bytes());
    block.push(b'\n');
    let mut mode = 0;
    let addr = peer(move |q| {
        match q {
            ":ELOG:TIM?" if mode == 0 => return line(":ELOG:TIM ABS"),
            ":ELOG:TIM?" => return line("OFF"),
            ":ELOG:FORM?" if mode == 1 => return line("BIN_MOTOROLA"),
            ":ELOG:ITEM?" if mode == 1 => return line("\"CH0\""),
            ":ELOG:CALC?" if mode == 1 => return line("AVG,MAX"),
            ":ELOG:FORM BIN_MOTOROLA" => {
                mode = 1;
                return Reply::Nothing;
            }
            _ => {}
        }
        if let Some(r) = oxygen_handshake(q) {
            return r;
        }
        match mode {
            // pyOxygenSCPI strips quotes and accepts whole seconds without a
            // fraction; OXYGEN writes numeric ABS values with a UTC offset.
            0 => line(
                ":ELOG:FETC \"2024-02-29T12:34:56\", 1, 2, 3, 4, 2024-02-29T12:34:56.500000+01:00, 5, 6, 7, 8",
            ),
            _ => Reply::Raw(block.clone()),
        }
    });
    let mut c = ElogClient::connect(addr).unwrap();
    let recs = c.fetch(0).unwrap();
    assert_eq!(recs.len(), 2);
    let t0 = 1_709_210_096_000_000_000i64;
    assert_eq!(
        recs.time(0),
        Some(RecordTime::Wall(Duration::from_nanos(t0)))
    );
    assert_eq!(
        recs.time(1),
        Some(RecordTime::Wall(Duration::from_nanos(t0 + 500_000_000)))
    );
    assert_eq!(recs.row(1).collect::<Vec<_>>(), [5.0, 6.0, 7.0, 8.0]);

    c.set_format(Format::BinMotorola).unwrap();
    c.read_config().unwrap();
    assert_eq!(c.config().layout().width, 2);
    let recs = c.fetch(0).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs.column(0), [1.5, -2.0]);
    assert_eq!(recs.value(0, 1), Some(10.0));
    assert!(recs.value(1, 1).unwrap().is_nan());
}

#[test]
fn loss_reports_come_before_the_records_they_precede() {
    let mut n = 0;
    let mut errors = Vec::new();
    let addr = peer(move |q| {
        if q == ":SYST:ERR?" && !errors.is_empty() {
            return line(errors.remove(0));
        }
        if let Some(r) = oxygen_handshake(q) {
            return r;
        }
        n += 1;
        match n {
            1 => line("0.5, 1, 1, 1, 1"),
            2 => {
                errors.push("203,\"ELOG records lost;3 records lost\"");
                line("2.5, 1, 1, 1, 1")
            }
            _ => line("NONE"),
        }
    });
    let mut c = ElogClient::connect(addr).unwrap();
    let events: Vec<Event> = c
        .records()
        .poll_interval(StdDuration::ZERO)
        .idle_limit(None)
        .take(3)
        .map(Result::unwrap)
        .collect();
    let Event::Record(first) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(first.seq, 0);
    let Event::Lost(lost) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(lost.count, Some(3));
    assert_eq!(lost.error.code, 203);
    let Event::Record(next) = &events[2] else {
        panic!("{events:?}")
    };
    assert_eq!(next.seq, 4);
}

#[test]
fn other_device_errors_end_the_stream_after_its_records() {
    let mut sent = false;
    let mut err_pending = false;
    let addr = peer(move |q| {
        if q == ":SYST:ERR?" && err_pending {
            err_pending = false;
            return line("201,\"ELOG channel changed;CH0\"");
        }
        if let Some(r) = oxygen_handshake(q) {
            return r;
        }
        if sent {
            return line("ERROR");
        }
        sent = true;
        err_pending = true;
        line("0.5, 1, 1, 1, 1")
    });
    let mut c = ElogClient::connect(addr).unwrap();
    let mut stream = c
        .records()
        .poll_interval(StdDuration::ZERO)
        .idle_limit(None);
    assert!(matches!(stream.next(), Some(Ok(Event::Record(_)))));
    match stream.next() {
        Some(Err(ClientError::Device(e))) => {
            assert_eq!(e.code, 201);
            assert_eq!(e.detail.as_deref(), Some("CH0"));
        }
        other => panic!("{other:?}"),
    }
    assert!(stream.next().is_none());
}

#[test]
fn an_old_protocol_version_is_refused() {
    let addr = peer(|q| match q {
        "*VER?" => line("SCPI,\"1999.0\",RC_SCPI,\"1.6\",OXYGEN,\"2.5.71\""),
        _ => oxygen_handshake(q).unwrap_or(Reply::Nothing),
    });
    match ElogClient::connect(addr) {
        Err(ClientError::Version { found, required }) => {
            assert_eq!(found.to_string(), "1.6");
            assert_eq!(required.to_string(), "1.7");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silent_peer_times_out_and_the_connection_is_then_refused() {
    let addr = peer(|_| Reply::Nothing);
    match ElogClient::connect_with(addr, quick()) {
        Err(ClientError::Timeout(t)) => assert_eq!(t, StdDuration::from_secs(1)),
        other => panic!("{other:?}"),
    }
    // The same after connecting: the late answer must never be taken for the next.
    let mut silent = false;
    let addr = peer(move |q| {
        if q == ":ELOG:STAT?" {
            silent = true;
        }
        if silent {
            return Reply::Nothing;
        }
        oxygen_handshake(q).unwrap_or(Reply::Nothing)
    });
    let mut c = ElogClient::connect_with(addr, quick()).unwrap();
    assert!(matches!(c.state(), Err(ClientError::Timeout(_))));
    assert!(c.is_broken());
    assert!(matches!(c.state(), Err(ClientError::Broken)));
    assert!(matches!(c.fetch(0), Err(ClientError::Broken)));
}

#[test]
fn endless_and_oversized_answers_stay_bounded() {
    let opts = ClientOptions {
        max_response: 64 * 1024,
        ..quick()
    };
    // An answer that never ends: a timeout, not unbounded memory.
    let addr = peer(|q| match q {
        ":ELOG:FETC? 1" => Reply::Endless,
        _ => oxygen_handshake(q).unwrap_or(Reply::Nothing),
    });
    let mut c = ElogClient::connect_with(addr, opts.clone()).unwrap();
    assert!(c.fetch_limit() >= 1);
    assert!(matches!(c.fetch(1), Err(ClientError::Timeout(_))));

    // An answer longer than the limit is skipped whole; the next one is read.
    let mut n = 0;
    let addr = peer(move |q| {
        if let Some(r) = oxygen_handshake(q) {
            return r;
        }
        n += 1;
        if n == 1 {
            let mut big = b"1.0".to_vec();
            for _ in 0..50_000 {
                big.extend_from_slice(b", 1.0");
            }
            Reply::Line(big)
        } else {
            line("NONE")
        }
    });
    let mut c = ElogClient::connect_with(addr, opts).unwrap();
    match c.fetch(0) {
        Err(ClientError::ResponseTooLong { limit }) => assert_eq!(limit, 64 * 1024),
        other => panic!("{other:?}"),
    }
    assert!(!c.is_broken());
    assert!(c.fetch(0).unwrap().is_empty());
}

#[test]
fn a_closed_connection_is_reported() {
    let addr = peer(|q| match q {
        ":ELOG:STAT?" => Reply::Close,
        _ => oxygen_handshake(q).unwrap_or(Reply::Nothing),
    });
    let mut c = ElogClient::connect(addr).unwrap();
    assert!(matches!(c.state(), Err(ClientError::Closed)));
    assert!(matches!(c.state(), Err(ClientError::Broken)));
}

#[test]
fn nothing_listening_is_a_connect_error() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    assert!(matches!(
        ElogClient::connect(addr),
        Err(ClientError::Connect { .. })
    ));
}

#[test]
fn a_server_that_never_has_records_ends_the_stream_as_stalled() {
    let addr = peer(|q| oxygen_handshake(q).unwrap_or_else(|| line(":ELOG:FETC NONE")));
    let mut c = ElogClient::connect(addr).unwrap();
    let limit = StdDuration::from_millis(50);
    let mut stream = c
        .records()
        .poll_interval(StdDuration::from_millis(5))
        .idle_limit(Some(limit));
    match stream.next() {
        Some(Err(ClientError::Stalled(l))) => assert_eq!(l, limit),
        other => panic!("{other:?}"),
    }
    assert!(stream.next().is_none());
    assert!(stream.stats().fetches >= 1);
    assert!(!stream.client().is_broken());
}
