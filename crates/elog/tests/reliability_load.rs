//! The server under load: 64 concurrent connections issuing mixed, pipelined
//! commands and fetches while the acquisition runs. Every answer arrives, in
//! order, on its own connection; per-connection state stays per connection;
//! and the one ELOG session stays consistent: the records fetched by all
//! connections together are every record exactly once.
#![cfg(feature = "tcp")]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration as StdDuration;

use common::{Client, Rig, Rng};
use elog::acquisition::lock;
use elog::server::{DEFAULT_MAX_CONNECTIONS, ServerConfig};

const CONNECTIONS: usize = 64;
const ROUNDS: usize = 300;
/// Fields per record: ELOG timestamp + 3 items × (AVG, MAX).
const FIELDS: usize = 7;
const PERIOD_US: i64 = 10_000;

/// What one connection saw.
struct Seen {
    /// ELOG timestamps (µs) of the records this connection fetched, in arrival order.
    times: Vec<i64>,
    answers: usize,
}

fn check_record(fields: &[&str]) -> i64 {
    let t: f64 = fields[0].parse().unwrap();
    assert_eq!(fields[1], "1.5E+0", "A avg");
    assert_eq!(fields[2], "1.5E+0", "A max");
    for f in &fields[3..5] {
        let v: f64 = f.parse().unwrap();
        assert!((-1.0..=1.0).contains(&v), "B ramp {v}");
    }
    assert_eq!(fields[5], "-2.0E+0", "C avg");
    assert_eq!(fields[6], "-2.0E+0", "C max");
    (t * 1e6).round() as i64
}

/// One connection's workload: pipelined rounds of mixed commands, answers
/// checked in order.
fn run_connection(addr: SocketAddr, index: usize) -> Seen {
    let mut c = Client::connect(addr);
    let headers = index.is_multiple_of(8);
    c.send(if headers {
        ":COMM:HEAD ON"
    } else {
        ":COMM:HEAD OFF"
    });
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1));
    let mut seen = Seen {
        times: Vec::new(),
        answers: 0,
    };
    for round in 0..ROUNDS {
        let ese = (index * 31 + round * 7) % 256;
        let n = rng.below(40);
        // One write, six program messages, five answers expected in order.
        let batch = format!(
            "*ESE {ese}\n*ESE?\n:ELOG:STAT?\n:ELOG:PER?;:ELOG:CALC?;*IDN?\n:ELOG:FETC? {n}\n:SYST:ERR?\n"
        );
        c.write_raw(batch.as_bytes());
        let a = c.line();
        assert_eq!(
            a.rsplit(' ').next().unwrap(),
            ese.to_string(),
            "conn {index} round {round}: *ESE? is per connection and in order"
        );
        let stat = c.line();
        let want = if headers {
            ":ELOG:STAT RUNNING"
        } else {
            "RUNNING"
        };
        assert_eq!(stat, want, "conn {index} round {round}");
        let multi = c.line();
        let units: Vec<&str> = multi.split(';').collect();
        assert_eq!(units.len(), 3, "{multi}");
        assert!(units[0].ends_with("0.01"), "{multi}");
        assert!(units[1].ends_with("AVG,MAX"), "{multi}");
        assert!(units[2].starts_with("elog,ELOG,"), "{multi}");
        let fetched = c.raw_answer();
        let text = std::str::from_utf8(&fetched).unwrap().trim_end();
        let body = text.rsplit(' ').next().unwrap();
        if body != "NONE" {
            let fields: Vec<&str> = body.split(',').collect();
            assert_eq!(fields.len() % FIELDS, 0, "{body}");
            assert!(n == 0 || fields.len() / FIELDS <= n as usize);
            for rec in fields.chunks(FIELDS) {
                seen.times.push(check_record(rec));
            }
        }
        let err = c.line();
        assert!(err.ends_with("0,\"No error\""), "conn {index}: {err}");
        seen.answers += 5;
    }
    seen
}

#[test]
fn sixty_four_connections_mixed_commands_and_fetches() {
    let mut rig = Rig::with_config(
        &["A=const:1.5@1000", "B=ramp:1:3@2000", "C=const:-2@500"],
        ServerConfig::default().with_max_connections(CONNECTIONS + 1),
    );
    let mut ctl = rig.connect();
    ctl.send(":ELOG:ITEM \"A\",\"B\",\"C\";:ELOG:PER 0.01;:ELOG:CALC AVG,MAX;:ELOG:TIM ELOG");
    ctl.send(":ELOG:STAR");
    ctl.no_error();
    let addr = rig.server.local_addr();

    // Source time advances while the clients work; 1500 records at most,
    // below the 2001-record retention, so nothing may be lost.
    let max_ms = 15_000;
    let mut now_ms = 0;
    let results: Vec<Seen> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONNECTIONS)
            .map(|i| s.spawn(move || run_connection(addr, i)))
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            if now_ms < max_ms {
                now_ms += 40;
                rig.step_ms(now_ms);
            }
            std::thread::sleep(StdDuration::from_micros(500));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    now_ms += 10;
    rig.step_ms(now_ms);

    // Drain what is left on the control connection.
    let mut all: Vec<i64> = Vec::new();
    let mut answers = 0;
    for seen in &results {
        assert!(
            seen.times.windows(2).all(|w| w[0] < w[1]),
            "a connection's records arrive in order"
        );
        all.extend(&seen.times);
        answers += seen.answers;
    }
    loop {
        let a = ctl.ask(":ELOG:FETC?");
        if a == "NONE" {
            break;
        }
        let fields: Vec<&str> = a.split(',').collect();
        for rec in fields.chunks(FIELDS) {
            all.push(check_record(rec));
        }
    }
    ctl.no_error();
    assert_eq!(answers, CONNECTIONS * ROUNDS * 5);

    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "no record was fetched twice");
    let expected: Vec<i64> = (1..=all.len() as i64).map(|k| k * PERIOD_US).collect();
    let got: Vec<i64> = unique.into_iter().collect();
    assert_eq!(got, expected, "every record exactly once, none missing");
    assert!(
        got.len() as i64 >= now_ms / 10 - 1,
        "{} records for {now_ms} ms",
        got.len()
    );
    assert_eq!(lock(&rig.instrument).engine().lost_total(), 0);
    assert_eq!(ctl.ask(":ELOG:STAT?"), "RUNNING");
    eprintln!(
        "load: {CONNECTIONS} connections, {answers} answers, {} records over {now_ms} ms of source time",
        got.len()
    );
}

#[test]
fn the_default_connection_limit_holds_and_frees_up() {
    let rig = Rig::new(&[]);
    let mut held: Vec<Client> = (0..DEFAULT_MAX_CONNECTIONS)
        .map(|_| rig.connect())
        .collect();
    for c in &mut held {
        assert!(c.ask("*IDN?").starts_with("elog,"));
    }
    assert_eq!(rig.server.connections(), DEFAULT_MAX_CONNECTIONS);
    let mut extra = rig.connect();
    assert!(
        extra.closed(),
        "connection {} is served on probation only, then closed",
        DEFAULT_MAX_CONNECTIONS + 1
    );
    // Those held keep working.
    assert!(held[0].ask("*IDN?").starts_with("elog,"));
    assert!(
        held[DEFAULT_MAX_CONNECTIONS - 1]
            .ask("*IDN?")
            .starts_with("elog,")
    );
    held.pop();
    for _ in 0..2000 {
        if rig.server.connections() < DEFAULT_MAX_CONNECTIONS {
            break;
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
    let mut again = rig.connect();
    assert!(again.ask("*IDN?").starts_with("elog,"), "the slot freed up");
}

/// A fetcher's view of one `FETCh?` answer while others reconfigure: it is
/// `NONE`, `ERROR`, or whole records of one of the two configurations.
fn check_answer_under_reconfiguration(a: &str) {
    if a == "NONE" || a == "ERROR" {
        return;
    }
    let f: Vec<&str> = a.split(',').collect();
    let wide =
        f.len().is_multiple_of(4) && f.chunks(4).all(|r| r[1] == "1.5E+0" && r[3] == "-2.0E+0");
    let narrow = f.iter().all(|x| *x == "1.5E+0");
    assert!(wide || narrow, "a torn or mixed answer: {a}");
}

#[test]
fn the_session_stays_consistent_while_connections_reconfigure_it() {
    let mut rig = Rig::with_config(
        &["A=const:1.5@1000", "B=ramp:1:3@2000", "C=const:-2@500"],
        ServerConfig::default().with_max_connections(CONNECTIONS + 1),
    );
    let addr = rig.server.local_addr();
    let mut now_ms = 0;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONNECTIONS)
            .map(|i| {
                s.spawn(move || {
                    let mut c = Client::connect(addr);
                    for round in 0..60 {
                        if i < 8 {
                            // Reconfigurers: two shapes, alternately.
                            let msg = if (i + round) % 2 == 0 {
                                ":ELOG:STOP;:ELOG:ITEM \"A\",\"B\",\"C\";:ELOG:CALC AVG;:ELOG:TIM ELOG;:ELOG:PER 0.01;:ELOG:STAR"
                            } else {
                                ":ELOG:STOP;:ELOG:ITEM \"A\";:ELOG:CALC AVG,MAX;:ELOG:TIM OFF;:ELOG:PER 0.01;:ELOG:STAR"
                            };
                            c.write(msg);
                        }
                        let st = c.ask(":ELOG:STAT?");
                        assert!(st == "CONFIG" || st == "RUNNING", "{st}");
                        check_answer_under_reconfiguration(&c.ask(":ELOG:FETC? 20"));
                        // Only the refusals a race can cause: -221 (configuring or
                        // fetching while another connection started or stopped).
                        loop {
                            let e = c.error();
                            if e == "0,\"No error\"" {
                                break;
                            }
                            assert!(e.starts_with("-221,"), "{e}");
                        }
                    }
                })
            })
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            now_ms += 20;
            rig.step_ms(now_ms);
            std::thread::sleep(StdDuration::from_micros(500));
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    // Afterwards a clean run works exactly.
    let mut c = rig.connect();
    c.send(
        ":ELOG:STOP;:ELOG:ITEM \"A\",\"C\";:ELOG:CALC AVG;:ELOG:TIM OFF;:ELOG:PER 0.1;:ELOG:STAR",
    );
    c.no_error();
    rig.step_ms(now_ms + 1000);
    assert_eq!(c.ask(":ELOG:FETC? 2"), "1.5E+0,-2.0E+0,1.5E+0,-2.0E+0");
    c.no_error();
}

#[test]
fn zero_timeouts_mean_never_and_the_limits_are_reported() {
    let c = ServerConfig::default()
        .with_idle_timeout(StdDuration::ZERO)
        .with_write_timeout(StdDuration::ZERO)
        .with_max_input(10)
        .with_max_output(10)
        .with_max_discard(5);
    assert_eq!((c.idle_timeout, c.write_timeout), (None, None));
    let l = c.connection_limits();
    assert_eq!((l.max_input, l.max_output, l.max_discard), (64, 1024, 5));
    let d = ServerConfig::default().connection_limits();
    assert_eq!(d, elog::dispatch::ConnectionLimits::default());
    assert!(ServerConfig::default().listen.ip().is_loopback());
}
