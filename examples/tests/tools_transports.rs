//! `elog_server --hislip` and `--vxi11`, run as a person would: the
//! addresses it prints, and `*IDN?` answered over HiSLIP by the minimal
//! HiSLIP client of elog's own tests.
#![cfg(unix)]

#[path = "../../crates/elog/tests/common/hislip_client.rs"]
mod hislip_client;
mod support;

use std::net::SocketAddr;

use support::{DEADLINE, ServerProcess};

#[test]
fn elog_server_hislip_prints_its_address_and_answers_idn() {
    let mut server = ServerProcess::start(&[
        "--hislip",
        "127.0.0.1:0",
        "--channel",
        "AI 1/1=const:1.0@100",
    ]);
    let line = server.next_line();
    let addr: SocketAddr = line
        .strip_prefix("hislip listening on ")
        .unwrap_or_else(|| panic!("expected `hislip listening on ADDR`, got {line:?}"))
        .parse()
        .expect("a socket address");
    let (mut hs, idn) = hislip_client::try_idn(addr, DEADLINE).expect("a HiSLIP session");
    assert!(idn.starts_with("elog,ELOG,"), "{idn}");
    let names = hs.try_ask(":CHANNEL:NAMES?").expect("the channel list");
    assert!(names.contains("\"AI 1/1\""), "{names}");
}

#[test]
fn elog_server_vxi11_prints_its_address_and_the_portmapper() {
    let mut server = ServerProcess::start(&["--vxi11", "127.0.0.1:0"]);
    let line = server.next_line();
    let addr = line
        .strip_prefix("vxi11 listening on ")
        .unwrap_or_else(|| panic!("expected `vxi11 listening on ADDR`, got {line:?}"));
    assert!(addr.parse::<SocketAddr>().is_ok(), "{addr}");
    let status = server.next_line();
    assert!(status.starts_with("portmapper: "), "{status}");
}
