//! Replies the emulator cannot be asked to produce, made by rewriting its real answers in a
//! transport wrapper: a non-string claim, old/new/missing proxy versions, a renewed client key.
#![cfg(feature = "ureq")]

mod common;

use std::sync::{Arc, Mutex};

use moku_client::{
    ConnectOptions, Datalogger, Error, Host, Request, Response, Transport, TransportError,
    UreqTransport,
};
use moku_emulator::Model;

type ErrorCheck = fn(&Error) -> bool;
type Rewrite = Box<dyn FnMut(&str, &mut Response) + Send>;

struct Tamper {
    inner: UreqTransport,
    rewrite: Rewrite,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Transport for Tamper {
    fn exchange(&mut self, r: &Request<'_>) -> Result<Response, TransportError> {
        self.paths.lock().unwrap().push(r.path.to_owned());
        let mut resp = self.inner.exchange(r)?;
        (self.rewrite)(r.path, &mut resp);
        Ok(resp)
    }
}

fn connect(
    emu: &moku_emulator::Emulator,
    options: ConnectOptions,
    rewrite: Rewrite,
) -> (moku_client::Result<Datalogger>, Arc<Mutex<Vec<String>>>) {
    let host = Host::parse(&emu.host()).unwrap();
    let paths = Arc::new(Mutex::new(Vec::new()));
    let t = Tamper {
        inner: UreqTransport::new(&host, Default::default()),
        rewrite,
        paths: paths.clone(),
    };
    (Datalogger::connect_with(host, Box::new(t), options), paths)
}

fn set_describe(field: &'static str, value: &'static str) -> Rewrite {
    Box::new(move |path, resp| {
        if path == "/api/moku/describe" {
            let mut v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
            if value.is_empty() {
                v["data"].as_object_mut().unwrap().remove(field);
            } else {
                v["data"][field] = serde_json::from_str(value).unwrap();
            }
            resp.body = serde_json::to_vec(&v).unwrap();
        }
    })
}

#[test]
fn claim_data_must_be_a_string() {
    let emu = common::emulator(Model::Go);
    let (r, paths) = connect(
        &emu,
        ConnectOptions::default(),
        Box::new(|path, resp| {
            if path == "/api/moku/claim_ownership" {
                resp.body =
                    br#"{"success": true, "data": null, "code": null, "messages": null}"#.to_vec();
            }
        }),
    );
    assert!(matches!(r, Err(Error::MalformedReply { .. })));
    let paths = paths.lock().unwrap().clone();
    assert_eq!(
        paths,
        [
            "/api/moku/claim_ownership",
            "/api/moku/relinquish_ownership"
        ]
    );
    // The relinquish went through: the device is free again.
    common::connect(&emu);
}

#[test]
fn proxy_version_checks_relinquish() {
    let emu = common::emulator(Model::Go);
    let cases: [(&str, ErrorCheck); 3] = [
        (
            "2",
            |e| matches!(e, Error::IncompatibleMoku(m) if m.contains("old version")),
        ),
        ("\"4\"", |e| matches!(e, Error::IncompatiblePackage(4))),
        (
            "",
            |e| matches!(e, Error::IncompatibleMoku(m) if m.contains(">=4.4")),
        ),
    ];
    for (value, check) in cases {
        let (r, paths) = connect(
            &emu,
            ConnectOptions::default(),
            set_describe("proxy_version", value),
        );
        let e = r.unwrap_err();
        assert!(check(&e), "{value}: {e}");
        assert_eq!(
            paths.lock().unwrap().last().map(String::as_str),
            Some("/api/moku/relinquish_ownership")
        );
        // Skipped like the official client's no_check_version=True.
        let skip = ConnectOptions {
            check_version: false,
            ..ConnectOptions::default()
        };
        let (r, _) = connect(&emu, skip, set_describe("proxy_version", value));
        r.unwrap().relinquish_ownership().unwrap();
    }
}

#[test]
fn a_renewed_client_key_is_used_from_then_on() {
    let emu = common::emulator(Model::Go);
    let renewed = Arc::new(Mutex::new(false));
    let flag = renewed.clone();
    let (r, paths) = connect(
        &emu,
        ConnectOptions::default(),
        Box::new(move |path, resp| {
            if path.ends_with("/get_samplerate") && !*flag.lock().unwrap() {
                *flag.lock().unwrap() = true;
                // Lower case on purpose: this client reads header names case-insensitively.
                resp.headers
                    .push(("moku-client-key".into(), "renewed-key".into()));
            }
        }),
    );
    let dl = r.unwrap();
    let original = dl.session().client_key().unwrap();
    assert_ne!(original, "renewed-key");
    dl.get_samplerate().unwrap();
    assert_eq!(dl.session().client_key().as_deref(), Some("renewed-key"));
    assert!(*renewed.lock().unwrap());
    // The emulator refuses the unknown key: proof that it was sent.
    let e = dl.get_samplerate().unwrap_err();
    assert!(e.api_code().is_some(), "{e}");
    assert!(paths.lock().unwrap().len() > 3);
}
