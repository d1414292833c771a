//! Malformed and hostile input over the socket. Each hostile connection gets
//! the standard error (visible through `SYST:ERR?` when the connection
//! survives) or a closed connection; nothing panics, and a witness client
//! on its own connection is served throughout with the ELOG session intact.
#![cfg(feature = "tcp")]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration as StdDuration;

use common::{Client, Rig, Rng, eventually};
use elog::server::ServerConfig;

/// A rig running an ELOG session, and a witness that checks it is intact.
fn running_rig(config: ServerConfig) -> (Rig, Client) {
    let mut rig = Rig::with_config(&["A=const:1.0@100", "B=const:-2.5@1000"], config);
    let mut w = rig.connect();
    w.send(":ELOG:ITEM \"A\",\"B\";:ELOG:CALC AVG;:ELOG:TIM ELOG;:ELOG:STAR");
    w.no_error();
    rig.step_ms(1000);
    (rig, w)
}

/// The witness is served and the session is what it configured; records are
/// gap-less from `next` on. Returns the next expected record number.
fn witness_ok(rig: &mut Rig, w: &mut Client, next: &mut u64, ms: &mut i64) {
    *ms += 500;
    rig.step_ms(*ms);
    assert_eq!(w.ask(":ELOG:STAT?"), "RUNNING");
    assert_eq!(w.ask(":ELOG:ITEM?"), "\"A\",\"B\"");
    let a = w.ask(":ELOG:FETC?");
    if a != "NONE" {
        for rec in a.split(',').collect::<Vec<_>>().chunks(3) {
            *next += 1;
            let t: f64 = rec[0].parse().unwrap();
            assert!((t - 0.1 * *next as f64).abs() < 1e-9, "gap-less: {a}");
            assert_eq!((rec[1], rec[2]), ("1.0E+0", "-2.5E+0"));
        }
    }
    w.no_error();
}

/// Reads the error queue of `c` until it is empty; returns the codes.
fn drain_errors(c: &mut Client) -> Vec<i32> {
    let mut codes = Vec::new();
    for _ in 0..40 {
        let e = c.error();
        let code: i32 = e.split(',').next().unwrap().parse().unwrap();
        if code == 0 {
            return codes;
        }
        codes.push(code);
    }
    panic!("error queue never empties: {codes:?}");
}

/// Sends `bytes` on a fresh raw connection, ignoring a server that closes
/// first; returns the stream.
fn raw_send(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(StdDuration::from_secs(20)))
        .unwrap();
    let _ = s.write_all(bytes);
    s
}

/// Whether the server closed `s` (EOF or reset), reading and discarding any answers first.
fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
    }
}

#[test]
fn malformed_messages_get_the_standard_errors_and_the_connection_survives() {
    let (mut rig, mut w) = running_rig(ServerConfig::default());
    let (mut next, mut ms) = (0, 1000);
    // (what, bytes, expected error codes in the queue afterwards)
    let overlong: Vec<u8> = [vec![b'A'; 200_000], b"\n".to_vec()].concat();
    let honest_big_block: Vec<u8> = [
        b":ELOG:ITEM #6100000".to_vec(),
        vec![b'x'; 100_000],
        b"\n".to_vec(),
    ]
    .concat();
    let many_units: Vec<u8> = [b"*OPC?".to_vec(), b";*OPC?".repeat(5000), b"\n".to_vec()].concat();
    let many_items: Vec<u8> = {
        let names: Vec<String> = (0..3000).map(|i| format!("\"ch{i}\"")).collect();
        format!(":ELOG:ITEM {}\n", names.join(",")).into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, Vec<i32>)> = vec![
        ("overlong line", overlong, vec![-363]),
        (
            "block bigger than the input limit",
            honest_big_block,
            vec![-363],
        ),
        (
            "unterminated string",
            b":ELOG:ITEM \"AI 1/1\n".to_vec(),
            vec![-151],
        ),
        (
            "unterminated single quote",
            b"*IDN? 'abc\n".to_vec(),
            vec![-151],
        ),
        ("unknown header", b":NOPE:NADA 1\n".to_vec(), vec![-113]),
        ("empty units", b";;;\n".to_vec(), vec![-102]),
        ("bad number", b":ELOG:PER 1e99999\n".to_vec(), vec![-123]),
        ("short block", b":ELOG:ITEM #3abc\n".to_vec(), vec![]),
        ("NUL bytes", b"\0\0\0\0\n".to_vec(), vec![]),
        ("high bytes", vec![0xFF, 0xFE, 0x80, 0xC3, b'\n'], vec![]),
        (
            "config while running",
            b":ELOG:PER 0.5\n".to_vec(),
            vec![-221],
        ),
        ("negative fetch count", b":ELOG:FETC? -5\n".to_vec(), vec![]),
    ];
    let mut tried = 0;
    for (what, bytes, want) in &cases {
        let mut c = rig.connect();
        c.write_raw(bytes);
        // Whatever the garbage produced, a resync query gets its answer.
        c.write_raw(b"\n*IDN?\n");
        loop {
            let line = c.line();
            if line.starts_with("elog,ELOG,") {
                break;
            }
        }
        let codes = drain_errors(&mut c);
        if !want.is_empty() {
            assert!(
                codes.starts_with(want),
                "{what}: expected {want:?} first, got {codes:?}"
            );
        } else {
            assert!(codes.iter().all(|&c| c < 0), "{what}: {codes:?}");
        }
        assert!(c.ask("*IDN?").starts_with("elog,"), "{what}: still served");
        tried += 1;
        witness_ok(&mut rig, &mut w, &mut next, &mut ms);
    }
    // The thousands of units are answered, one `;`-joined line.
    let mut c = rig.connect();
    c.write_raw(&many_units);
    let answer = c.line();
    assert_eq!(answer.split(';').count(), 5001);
    assert!(answer.split(';').all(|u| u == "1"));
    c.no_error();
    tried += 1;
    // Thousands of items while RUNNING: refused as configuration, session untouched.
    c.write_raw(&many_items);
    assert_eq!(drain_errors(&mut c), [-221]);
    tried += 1;
    witness_ok(&mut rig, &mut w, &mut next, &mut ms);
    // …and in CONFIG: the unknown ones refused one by one until the queue
    // overflows (its last entry -350), the known ones kept.
    let idle = Rig::new(&["A=const:1.0@100"]);
    let mut c = idle.connect();
    let mut items = b":ELOG:ITEM \"A\",".to_vec();
    items.extend_from_slice(&many_items[b":ELOG:ITEM ".len()..]);
    c.write_raw(&items);
    let codes = drain_errors(&mut c);
    assert_eq!(codes.len(), 16, "{codes:?}");
    assert!(codes[..15].iter().all(|&e| e == -224), "{codes:?}");
    assert_eq!(codes[15], -350);
    assert_eq!(c.ask(":ELOG:ITEM?"), "\"A\"");
    tried += 1;
    eprintln!("hostile: {tried} malformed messages answered with standard errors");
}

#[test]
fn random_bytes_and_binary_garbage_never_hurt_other_clients() {
    let (mut rig, mut w) = running_rig(ServerConfig::default());
    let (mut next, mut ms) = (0, 1000);
    let addr = rig.server.local_addr();
    let mut rng = Rng(0xDEAD_BEEF_1234_5678);
    let mut tried = 0;
    for round in 0..40 {
        let len = 1 + (rng.next() % 20_000) as usize;
        let mut bytes = rng.bytes(len);
        if round % 2 == 0 {
            // Printable garbage with SCPI punctuation.
            const ALPHABET: &[u8] = b":*?;,\"'#0123456789 ELOGITEMSTARFETC\r\n\t()";
            for b in &mut bytes {
                *b = ALPHABET[usize::from(*b) % ALPHABET.len()];
            }
        }
        let mut s = raw_send(addr, &bytes);
        // Half the time hang up at once, half the time half-close and read what comes.
        if round % 4 < 2 {
            drop(s);
        } else {
            let _ = s.shutdown(std::net::Shutdown::Write);
            assert!(closed_by_server(&mut s));
        }
        tried += 1;
        if round % 5 == 0 {
            witness_ok(&mut rig, &mut w, &mut next, &mut ms);
        }
    }
    eventually("garbage connections to go", || {
        rig.server.connections() == 1
    });
    witness_ok(&mut rig, &mut w, &mut next, &mut ms);
    eprintln!("hostile: {tried} random/binary garbage connections");
}

#[test]
fn half_messages_followed_by_disconnects() {
    let (mut rig, mut w) = running_rig(ServerConfig::default());
    let (mut next, mut ms) = (0, 1000);
    let addr = rig.server.local_addr();
    let full = b":ELOG:ITEM \"A\",\"B\";:ELOG:FETC? 5;*IDN?;:ELOG:PER #14abcd\n";
    let mut tried = 0;
    for cut in 1..full.len() {
        let s = raw_send(addr, &full[..cut]);
        drop(s);
        tried += 1;
    }
    eventually("half connections to go", || rig.server.connections() == 1);
    witness_ok(&mut rig, &mut w, &mut next, &mut ms);
    eprintln!("hostile: {tried} half messages then disconnect");
}

#[test]
fn gigabyte_block_header_and_endless_lines_are_cut_off() {
    let config = ServerConfig::default()
        .with_max_input(4096)
        .with_max_discard(64 * 1024);
    let (mut rig, mut w) = running_rig(config);
    let (mut next, mut ms) = (0, 1000);
    let addr = rig.server.local_addr();
    let chunk = vec![b'z'; 16 * 1024];
    // A definite block announcing 999 999 999 bytes, then a stream of data.
    let mut s = raw_send(addr, b":ELOG:ITEM #9999999999");
    for _ in 0..16 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    assert!(closed_by_server(&mut s), "a gigabyte block is cut off");
    // A line that never ends.
    let mut s = raw_send(addr, b":ELOG:ITEM \"");
    for _ in 0..16 {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    assert!(closed_by_server(&mut s), "an endless line is cut off");
    eventually("cut-off connections to go", || {
        rig.server.connections() == 1
    });
    witness_ok(&mut rig, &mut w, &mut next, &mut ms);
}

#[test]
fn an_answer_beyond_the_output_limit_closes_the_connection() {
    let (mut rig, mut w) = running_rig(ServerConfig::default().with_max_output(2048));
    let mut c = rig.connect();
    assert!(c.ask("*IDN?").starts_with("elog,"));
    // 2000 × `*VER?` amplifies a 12 kB message into ~90 kB of answer.
    let flood = format!("*VER?{}\n", ";*VER?".repeat(2000));
    c.write_raw(flood.as_bytes());
    assert!(c.closed(), "over the output limit: closed");
    // A FETCh? answer larger than the limit (200 records) closes too, and
    // consumes nothing: the witness then fetches those records.
    rig.step_ms(20_000);
    let mut f = rig.connect();
    f.write(":ELOG:FETC?");
    assert!(f.closed(), "a FETCh? answer beyond the limit closes");
    let first = w.ask(":ELOG:FETC? 3");
    assert!(first.starts_with("0.1,1.0E+0,-2.5E+0,"), "{first}");
    w.no_error();
    eventually("closed connections to go", || rig.server.connections() == 1);
    assert_eq!(w.ask(":ELOG:STAT?"), "RUNNING");
}

#[test]
fn stalled_readers_are_dropped_without_blocking_others() {
    let config = ServerConfig::default().with_write_timeout(StdDuration::from_millis(200));
    let (mut rig, mut w) = running_rig(config);
    let (mut next, mut ms) = (0, 1000);
    let addr = rig.server.local_addr();
    let mut writers = Vec::new();
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let s = TcpStream::connect(addr).unwrap();
        let mut tx = s.try_clone().unwrap();
        stalled.push(s);
        // Ask forever, never read: the server's answers pile up in the socket.
        writers.push(std::thread::spawn(move || {
            let ask = b"*IDN?;*IDN?;*IDN?;*IDN?;:CHAN:NAM?;:ELOG:ITEM?\n".repeat(100);
            for _ in 0..20_000 {
                if tx.write_all(&ask).is_err() {
                    return true;
                }
            }
            false
        }));
    }
    // Others are served while the stalled ones block.
    for _ in 0..5 {
        witness_ok(&mut rig, &mut w, &mut next, &mut ms);
    }
    for t in writers {
        assert!(t.join().unwrap(), "the server closed the stalled reader");
    }
    eventually("stalled connections to go", || {
        rig.server.connections() == 1
    });
    drop(stalled);
    witness_ok(&mut rig, &mut w, &mut next, &mut ms);
}

#[test]
fn an_allow_list_without_loopback_refuses_loopback() {
    let config = ServerConfig::default()
        .with_allow_list(vec!["192.0.2.7".parse().unwrap(), "::2".parse().unwrap()]);
    let rig = Rig::with_config(&[], config);
    for _ in 0..3 {
        let mut c = rig.connect();
        assert!(c.closed(), "127.0.0.1 is not on the list");
    }
    assert_eq!(rig.server.connections(), 0);
}

#[test]
fn a_half_message_then_silence_is_timed_out_and_never_executed() {
    let config = ServerConfig::default().with_idle_timeout(StdDuration::from_millis(100));
    // The rig's own witness goes silent too and is closed as well.
    let (mut rig, _) = running_rig(config);
    let mut s = raw_send(rig.server.local_addr(), b":ELOG:FETC? 5");
    assert!(
        closed_by_server(&mut s),
        "silent: closed by the idle timeout"
    );
    eventually("the silent connections to go", || {
        rig.server.connections() == 0
    });
    // A new witness's records start at the first: the cut FETCh? consumed nothing.
    let (mut next, mut ms) = (0, 1000);
    let mut w = rig.connect();
    witness_ok(&mut rig, &mut w, &mut next, &mut ms);
    assert_eq!(next, 15, "records 1..=15, none taken by the cut message");
}
