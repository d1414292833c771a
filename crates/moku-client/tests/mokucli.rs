//! The mokucli bridge with a fake `mokucli` (a Python script serving NDJSON, as docs/moku-protocol.md §9.5
//! suggests for running without the vendor binary). Skipped when `python3` is not installed.
#![cfg(feature = "mokucli")]

use std::path::PathBuf;

use moku_client::mokucli::MokucliStream;

const FAKE: &str = r#"#!/usr/bin/env python3
import socket, sys
args = dict(a[2:].split("=", 1) for a in sys.argv[2:])
if sys.argv[1] != "stream" or args.get("stream-id") != "logsink0" or "ip-address" not in args:
    sys.stderr.write("bad arguments %r\n" % sys.argv)
    sys.exit(2)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(args["target"])))
srv.listen(1)
conn, _ = srv.accept()
mode = args["ip-address"]
if mode.startswith("fail"):
    sys.stderr.write("Error: cannot reach device\n")
    sys.stderr.flush()
    import time; time.sleep(0.5)
    conn.close()
    sys.exit(1)
conn.sendall(b'{"time": [0.0, 0.001], "ch1": [0.5, 0.25], "ch2": [1, 2]}\n')
conn.sendall(b'{"time": [0.002], "ch1": [NaN]}\n')
conn.sendall(b"EOS\n")
conn.close()
"#;

fn fake_mokucli() -> Option<PathBuf> {
    let python_ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !python_ok {
        eprintln!("python3 not found: skipping the mokucli bridge test");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("moku-client-fake-mokucli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("mokucli");
    std::fs::write(&path, FAKE).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).ok()?;
    }
    Some(path)
}

/// Python under load can take a while to start: be patient (no timing is asserted).
fn start(fake: &std::path::Path, host: &str) -> moku_client::Result<MokucliStream> {
    MokucliStream::start_with_retries(
        Some(fake),
        host,
        "logsink0",
        600,
        std::time::Duration::from_millis(100),
    )
}

#[test]
fn reads_ndjson_until_eos_and_reports_failures() {
    let Some(fake) = fake_mokucli() else { return };
    let mut s = start(&fake, "127.0.0.1:8090").unwrap();
    let f = s.next_frame().unwrap().unwrap();
    assert_eq!(f.time, vec![0.0, 0.001]);
    assert_eq!(f.channels, vec![(1, vec![0.5, 0.25]), (2, vec![1.0, 2.0])]);
    let f = s.next_frame().unwrap().unwrap();
    assert!(f.channels[0].1[0].is_nan());
    assert_eq!(s.next_frame().unwrap(), None);
    assert_eq!(s.next_frame().unwrap(), None);
    drop(s);

    let mut s = start(&fake, "fail").unwrap();
    let e = s.next_frame().unwrap_err();
    assert!(
        matches!(&e, moku_client::Error::Stream(m) if m.contains("cannot reach device")),
        "{e}"
    );

    let missing = fake.with_file_name("does-not-exist");
    let e = MokucliStream::start(Some(&missing), "h", "logsink0").unwrap_err();
    assert!(matches!(e, moku_client::Error::Mokucli(_)), "{e}");
    let _ = std::fs::remove_dir_all(fake.parent().unwrap());
}
