//! `serial=`: finding the emulator by serial number over real mDNS (multicast on this host's
//! interfaces), then connecting over real HTTP. When this host cannot loop multicast back to
//! itself, each test re-runs itself in a private network namespace (`unshare --net`, needs root)
//! whose loopback carries multicast; when that is impossible too, it is skipped with the reason
//! written to stderr, or fails if `MOKU_REQUIRE_MULTICAST` is set.
#![cfg(feature = "discovery")]

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use moku_client::discovery::{self, Found};
use moku_client::{ConnectOptions, Datalogger, Error, MultiInstrument};
use moku_emulator::{Config, Emulator, Model};

/// Generous: the first mDNS query goes out within about a second, but a loaded CI box is slow.
const FIND: Duration = Duration::from_secs(30);

/// Whether a multicast datagram sent by this host comes back to it (what mDNS between two
/// daemons on one host needs). `Err` says why not.
fn multicast_loops_back() -> Result<(), String> {
    let group = Ipv4Addr::new(224, 0, 0, 251);
    let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(|e| format!("bind: {e}"))?;
    rx.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)
        .map_err(|e| format!("join 224.0.0.251: {e}"))?;
    rx.set_read_timeout(Some(Duration::from_millis(500)))
        .map_err(|e| e.to_string())?;
    let port = rx.local_addr().map_err(|e| e.to_string())?.port();
    let tx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(|e| format!("bind: {e}"))?;
    tx.set_multicast_loop_v4(true).map_err(|e| e.to_string())?;
    let nonce = format!("moku-probe-{}", std::process::id());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 64];
    while Instant::now() < deadline {
        tx.send_to(nonce.as_bytes(), (group, port))
            .map_err(|e| format!("send to 224.0.0.251: {e} (no multicast route?)"))?;
        if let Ok((n, _)) = rx.recv_from(&mut buf)
            && &buf[..n] == nonce.as_bytes()
        {
            return Ok(());
        }
    }
    Err("a datagram sent to 224.0.0.251 never came back (multicast loop off?)".into())
}

/// Set in the child run inside a private network namespace.
const IN_NETNS: &str = "MOKU_MDNS_TEST_IN_NETNS";
/// Set (e.g. in CI) to fail instead of skipping when multicast cannot be had.
const REQUIRED: &str = "MOKU_REQUIRE_MULTICAST";
const SKIP_MARK: &str = "SKIPPED(multicast):";

/// Writes past libtest's output capture, so that a skip is always visible.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// True when the test should run here. Otherwise it has already run in a private network
/// namespace (loopback with multicast on, set up by `unshare --net` as root), or it is skipped
/// with the reason written to stderr (a failure when `MOKU_REQUIRE_MULTICAST` is set).
fn multicast_here_or_elsewhere(test: &str) -> bool {
    let Err(why) = multicast_loops_back() else {
        return true;
    };
    if std::env::var_os(IN_NETNS).is_some() {
        say(&format!("{SKIP_MARK} {why} (in the private namespace)"));
        return false;
    }
    let skip = |reason: String| {
        assert!(
            std::env::var_os(REQUIRED).is_none(),
            "{test}: multicast unavailable and {REQUIRED} is set: {reason}"
        );
        say(&format!("{SKIP_MARK} {test}: {reason}"));
    };
    match run_in_private_netns(test) {
        Ok(None) => say(&format!(
            "{test}: no multicast here ({why}); ran in a private network namespace instead"
        )),
        Ok(Some(inner)) => skip(format!("{why}; in a private namespace: {inner}")),
        Err(e) => skip(format!("{why}; no private namespace either: {e}")),
    }
    false
}

/// Runs this one test again in a new network namespace whose loopback carries multicast.
/// `Ok(None)` when it passed there, `Ok(Some(reason))` when it skipped there; a failure there
/// fails this test.
fn run_in_private_netns(test: &str) -> Result<Option<String>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let setup = "ip link set lo up && ip link set lo multicast on && \
                 ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$@\"";
    let out = std::process::Command::new("unshare")
        .args(["--net", "--", "sh", "-c", setup])
        .arg(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(IN_NETNS, "1")
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(line) = text.lines().find(|l| l.contains(SKIP_MARK)) {
        return Ok(Some(line.to_owned()));
    }
    if !text.contains("1 passed") {
        if out.status.success() || text.contains("unshare:") || text.contains("RTNETLINK") {
            return Err(format!("namespace setup failed: {}", text.trim()));
        }
        panic!("{test} failed in the private network namespace:\n{text}");
    }
    Ok(None)
}

macro_rules! require_multicast {
    ($test:literal) => {
        if !multicast_here_or_elsewhere($test) {
            return;
        }
    };
}

/// A serial number no other test (or process) advertises.
fn serial(test: u32) -> String {
    format!("{:06}", (std::process::id() * 10 + test) % 1_000_000)
}

fn advertised(serial: &str, model: Model) -> Emulator {
    Emulator::start(Config {
        model,
        serial: serial.to_owned(),
        mdns: true,
        ..Config::default()
    })
    .expect("emulator starts and advertises")
}

fn by_serial(serial: &str) -> ConnectOptions {
    ConnectOptions {
        serial: Some(serial.to_owned()),
        discovery_timeout: FIND,
        use_advertised_port: true,
        ..ConnectOptions::default()
    }
}

#[test]
fn the_advertisement_carries_what_the_official_finder_parses() {
    require_multicast!("the_advertisement_carries_what_the_official_finder_parses");
    let s = serial(1);
    let emu = advertised(&s, Model::Pro);
    let found: Found = discovery::find_by_serial(&s, FIND).expect("found by serial");
    assert_eq!(found.serial_text, s);
    assert_eq!(found.serial, s.parse::<u64>().unwrap());
    assert_eq!(found.name, format!("MokuPro{s}"));
    assert_eq!(found.txtver, "0.5");
    assert_eq!(found.fwver, Config::default().instruments_build);
    assert_eq!(found.port, emu.addr().port());
    assert!(found.ipv4_addrs.contains(&Ipv4Addr::LOCALHOST), "{found:?}");
    // A numeric serial matches without its leading zeros, as the official client's int().
    let short = s.trim_start_matches('0');
    assert!(found.has_serial(if short.is_empty() { "0" } else { short }));
    // The full browse lists it too (it stays advertised).
    let all = discovery::discover(Duration::from_secs(3)).expect("browse");
    assert!(all.iter().any(|f| f.serial_text == s), "{all:?}");
}

#[test]
fn connect_by_serial_picks_the_right_device() {
    require_multicast!("connect_by_serial_picks_the_right_device");
    let (a, b) = (serial(2), serial(3));
    let _emu_a = advertised(&a, Model::Go);
    let emu_b = advertised(&b, Model::Go);
    let dl = Datalogger::connect("", by_serial(&b)).expect("connects by serial");
    assert_eq!(dl.serial_number().unwrap(), b);
    assert_eq!(dl.session().host().port, Some(emu_b.addr().port()));
    dl.relinquish_ownership().unwrap();
    // The number without its leading zeros names the same device (found and verified).
    let short = a.parse::<u64>().unwrap().to_string();
    let mim =
        MultiInstrument::connect("", 2, by_serial(&short)).expect("multi-instrument by serial");
    assert_eq!(mim.session().serial_number().unwrap(), a);
}

#[test]
fn the_official_client_ignores_the_advertised_port() {
    require_multicast!("the_official_client_ignores_the_advertised_port");
    let s = serial(4);
    let emu = advertised(&s, Model::Go);
    // Without use_advertised_port the client goes to port 80 of the address, as the official
    // one does; the emulator is not there, so discovery succeeds and the connect then fails.
    let options = ConnectOptions {
        use_advertised_port: false,
        ..by_serial(&s)
    };
    let err = Datalogger::connect("", options).expect_err("the emulator is not on port 80");
    assert!(!matches!(err, Error::MokuNotFound { .. }), "{err:?}");
    drop(emu);
}

#[test]
fn an_unknown_serial_is_moku_not_found() {
    let options = ConnectOptions {
        serial: Some("no-such-moku".into()),
        discovery_timeout: Duration::from_secs(2),
        ..ConnectOptions::default()
    };
    let err = Datalogger::connect("", options).expect_err("not found");
    assert!(
        matches!(&err, Error::MokuNotFound { serial, .. } if serial == "no-such-moku"),
        "{err:?}"
    );
}
