//! Ownership of the device: the client key issued by `claim_ownership`, the key rule every
//! other request is checked against, and `relinquish_ownership` (docs/moku-protocol.md §3.1–3.4).

use serde_json::Value;

use super::{Datalogger, Device, Outcome, Owner, Request};
use crate::params::Params;
use crate::reply::Reply;

impl Device {
    /// Makes another client (named `client_name`) own the device; returns its key.
    pub fn claim_for(&mut self, client_name: &str) -> String {
        let key = self.new_key();
        self.owner = Some(Owner {
            key: key.clone(),
            name: client_name.to_owned(),
        });
        key
    }

    pub(super) fn new_key(&mut self) -> String {
        self.keys_issued += 1;
        let mix =
            crate::signal::noise(self.unix_epoch.to_bits() ^ self.keys_issued.rotate_left(32));
        format!(
            "emu-{}-{:012x}",
            self.keys_issued,
            (mix.abs() * 2f64.powi(48)) as u64
        )
    }

    /// The client-key rule: while owned, a request carrying another key is refused; with
    /// `require_client_key`, a keyless request is refused too. `claim_ownership`, the file
    /// endpoints (documented as key-free) and `v2/get_chunk` are exempt from the second rule.
    pub(super) fn check_key(&self, req: &Request<'_>, segs: &[&str]) -> Result<(), Reply> {
        if segs == ["moku", "claim_ownership"] {
            return Ok(());
        }
        // `mokucli stream` reads chunks without the client's key (the official client never hands
        // it over), so get_chunk is key-free like the file endpoints.
        let key_free =
            matches!(segs, [t, ..] if self.files.has_target(t)) || segs == ["v2", "get_chunk"];
        match (&self.owner, req.client_key) {
            (Some(owner), Some(key)) if key != owner.key => Err(Reply::error(
                "INVALID_REQUEST",
                format!(
                    "The Moku is owned by another client ({:?}); this client key is not valid. \
                     Connect with force_connect=True to take ownership.",
                    owner.name
                ),
            )),
            (_, Some(_)) => Ok(()),
            (_, None) if key_free || !self.require_key => Ok(()),
            (Some(owner), None) => Err(Reply::error(
                "INVALID_REQUEST",
                format!(
                    "The Moku is owned by {:?}; requests must carry its Moku-Client-Key",
                    owner.name
                ),
            )),
            (None, None) => Err(Reply::error(
                "INVALID_REQUEST",
                "No client owns the Moku: call claim_ownership first and send its Moku-Client-Key",
            )),
        }
    }

    pub(super) fn claim(&mut self, req: &Request<'_>, now: f64) -> Outcome {
        if req.method != "POST" {
            return Reply::wrong_method(req.method, req.path).into();
        }
        let parsed = Params::parse(req.body).and_then(|p| {
            Ok((
                p.bool("force_connect")?.unwrap_or(false),
                p.bool("ignore_busy")?.unwrap_or(false),
                p.bool("persist_state")?.unwrap_or(false),
                p.str("client_name")?.unwrap_or("Moku API User").to_owned(),
            ))
        });
        let (force, ignore_busy, persist, name) = match parsed {
            Ok(v) => v,
            Err(e) => return Reply::from(e).into(),
        };
        let same_owner = matches!((&self.owner, req.client_key), (Some(o), Some(k)) if o.key == k);
        if let Some(owner) = &self.owner
            && !same_owner
            && !force
        {
            return Reply::error(
                "INVALID_REQUEST",
                format!(
                    "The Moku is owned by {:?}. Connect with force_connect=True to take ownership.",
                    owner.name
                ),
            )
            .into();
        }
        let busy = self.slots.iter().flatten().any(|d| d.busy(now));
        if busy && !ignore_busy {
            return Reply::error(
                "INVALID_REQUEST",
                "An instrument is busy (a logging or streaming session is in progress). \
                 Connect with ignore_busy=True to proceed.",
            )
            .into();
        }
        if !persist && !busy {
            for dl in self.slots.iter_mut().flatten() {
                *dl = Datalogger::new(dl.slot, self.model);
            }
        }
        let key = if same_owner {
            req.client_key.unwrap_or_default().to_owned()
        } else {
            self.new_key()
        };
        self.owner = Some(Owner {
            key: key.clone(),
            name,
        });
        Outcome {
            reply: Reply::ok(Value::String(key.clone())),
            client_key: Some(key),
            close: false,
        }
    }

    pub(super) fn relinquish(&mut self, req: &Request<'_>) -> Outcome {
        if req.method != "POST" {
            return Reply::wrong_method(req.method, req.path).into();
        }
        self.owner = None;
        Outcome {
            reply: Reply::ok(Value::Null),
            client_key: None,
            close: true,
        }
    }
}
