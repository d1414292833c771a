//! The links of a VXI-11 server and the core channel procedures on them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::core::{Request, RequestError, error, flags, procedure, reason};
use super::rpc::{Reader, Writer};
use crate::acquisition::{SharedInstrument, lock};
use crate::dispatch::{AnswerBuffer, Verdict};
use crate::instrument::{ElogInstrument, ElogTree};
use crate::server::ServerConfig;
use crate::server::output::Output;
use crate::transport::Link;
use crate::transport::lock::{DeviceLock, Released};
use crate::transport::net::guard;

/// The most links open at once on one server.
const MAX_LINKS: usize = 256;
/// The longest lock wait a client may ask for.
const MAX_LOCK_WAIT: Duration = Duration::from_secs(3600);
/// Room for the RPC and `device_write` headers in a record.
const RECORD_OVERHEAD: usize = 1024;

/// One link: its SCPI state and its unread answers.
struct VLink {
    link: Link,
    /// Answers up to `max_output`; a large one lives in a mapping that is
    /// given back once read (see `crate::server::output`).
    out: Output,
    /// How much of `out` the client has read.
    pos: usize,
}

/// Every link of the server, the shared instrument and the device lock.
pub(crate) struct Links {
    instrument: SharedInstrument,
    tree: ElogTree,
    config: ServerConfig,
    abort_port: u16,
    links: Mutex<HashMap<i32, VLink>>,
    next: Mutex<i32>,
    lock: DeviceLock,
}

fn owner(lid: i32) -> u64 {
    u64::from(lid.unsigned_abs())
}

fn lock_wait(flags_: u32, ms: u32) -> Duration {
    if flags_ & flags::WAITLOCK == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(u64::from(ms)).min(MAX_LOCK_WAIT)
    }
}

impl Links {
    pub(crate) fn new(instrument: SharedInstrument, config: ServerConfig, abort_port: u16) -> Self {
        Self {
            instrument,
            tree: ElogInstrument::tree(),
            config,
            abort_port,
            links: Mutex::new(HashMap::new()),
            next: Mutex::new(0),
            lock: DeviceLock::default(),
        }
    }

    /// The most data one `device_write` carries (`maxRecvSize`).
    fn max_recv(&self) -> usize {
        self.config.max_input.min(u32::MAX as usize)
    }

    /// The longest record a core connection accepts.
    pub(crate) fn max_record(&self) -> usize {
        self.max_recv().saturating_add(RECORD_OVERHEAD)
    }

    fn exists(&self, lid: i32) -> bool {
        guard(&self.links).contains_key(&lid)
    }

    /// Closes a link and gives its locks back.
    pub(crate) fn destroy(&self, lid: i32) -> bool {
        let gone = guard(&self.links).remove(&lid).is_some();
        self.lock.release_all(owner(lid));
        gone
    }

    /// Runs one core channel procedure; `owned` collects the links this
    /// connection created.
    pub(crate) fn core(
        &self,
        proc_: u32,
        r: &mut Reader<'_>,
        w: &mut Writer,
        owned: &mut Vec<i32>,
    ) -> Result<(), RequestError> {
        let req = Request::decode_core(proc_, r, self.max_recv())?;
        match req {
            Request::Null => {}
            Request::CreateLink {
                lock_device,
                lock_timeout,
                device,
                ..
            } => {
                let (err, lid) = self.create(device, lock_device, lock_timeout);
                if err == error::NO_ERROR {
                    owned.push(lid);
                }
                let max = u32::try_from(self.max_recv()).unwrap_or(u32::MAX);
                w.u32(err).i32(lid).u32(u32::from(self.abort_port)).u32(max);
            }
            Request::Write {
                lid,
                lock_timeout,
                flags: f,
                data,
                ..
            } => {
                let err = self.write(lid, f, lock_timeout, data);
                let size = if err == error::NO_ERROR {
                    data.len()
                } else {
                    0
                };
                w.u32(err).u32(u32::try_from(size).unwrap_or(0));
            }
            Request::Read {
                lid,
                request_size,
                lock_timeout,
                flags: f,
                term_char,
                ..
            } => self.read(w, lid, request_size, f, lock_timeout, term_char),
            Request::Generic {
                proc_,
                lid,
                flags: f,
                lock_timeout,
                ..
            } => {
                let (err, stb) = self.generic(proc_, lid, f, lock_timeout);
                w.u32(err);
                if proc_ == procedure::DEVICE_READSTB {
                    w.u32(u32::from(stb));
                }
            }
            Request::Lock {
                lid,
                flags: f,
                lock_timeout,
            } => {
                let err = if !self.exists(lid) {
                    error::INVALID_LINK
                } else if self
                    .lock
                    .lock_exclusive(owner(lid), lock_wait(f, lock_timeout))
                {
                    error::NO_ERROR
                } else {
                    error::DEVICE_LOCKED
                };
                w.u32(err);
            }
            Request::Link { proc_, lid } => {
                let err = if proc_ == procedure::DESTROY_LINK {
                    owned.retain(|&l| l != lid);
                    if self.destroy(lid) {
                        error::NO_ERROR
                    } else {
                        error::INVALID_LINK
                    }
                } else if !self.exists(lid) {
                    error::INVALID_LINK
                } else if self.lock.release(owner(lid)) == Released::Exclusive {
                    error::NO_ERROR
                } else {
                    error::NO_LOCK_HELD
                };
                w.u32(err);
            }
            Request::EnableSrq { lid } => {
                let err = if self.exists(lid) {
                    error::OPERATION_NOT_SUPPORTED
                } else {
                    error::INVALID_LINK
                };
                w.u32(err);
            }
            Request::Docmd { .. } => {
                w.u32(error::OPERATION_NOT_SUPPORTED).opaque(&[]);
            }
            Request::IntrChan => {
                w.u32(error::OPERATION_NOT_SUPPORTED);
            }
        }
        Ok(())
    }

    /// Runs one abort channel procedure.
    pub(crate) fn abort(
        &self,
        proc_: u32,
        r: &mut Reader<'_>,
        w: &mut Writer,
    ) -> Result<(), RequestError> {
        if let Request::Link { lid, .. } = Request::decode_abort(proc_, r)? {
            // Every core operation runs to its end at once: nothing to
            // abort, but the link must exist.
            w.u32(if self.exists(lid) {
                error::NO_ERROR
            } else {
                error::INVALID_LINK
            });
        }
        Ok(())
    }

    fn create(&self, device: &[u8], lock_device: bool, lock_timeout: u32) -> (u32, i32) {
        let name_ok = device.len() >= 4 && device[..4].eq_ignore_ascii_case(b"inst");
        if !name_ok {
            return (error::DEVICE_NOT_ACCESSIBLE, 0);
        }
        let lid = {
            let mut links = guard(&self.links);
            if links.len() >= MAX_LINKS {
                return (error::OUT_OF_RESOURCES, 0);
            }
            let mut next = guard(&self.next);
            loop {
                *next = if *next >= i32::MAX - 1 { 1 } else { *next + 1 };
                if !links.contains_key(&next) {
                    break;
                }
            }
            let lid = *next;
            links.insert(
                lid,
                VLink {
                    link: Link::new(self.config.connection_limits()),
                    out: Output::new(self.config.max_output),
                    pos: 0,
                },
            );
            lid
        };
        if lock_device {
            let wait = Duration::from_millis(u64::from(lock_timeout)).min(MAX_LOCK_WAIT);
            if !self.lock.lock_exclusive(owner(lid), wait) {
                self.destroy(lid);
                return (error::DEVICE_LOCKED, 0);
            }
        }
        (error::NO_ERROR, lid)
    }

    /// Waits for the lock as the flags allow; the error if the link is gone
    /// or the device stays locked by another link.
    fn access(&self, lid: i32, f: u32, lock_timeout: u32) -> Result<(), u32> {
        if !self.exists(lid) {
            return Err(error::INVALID_LINK);
        }
        if !self
            .lock
            .wait_access(owner(lid), lock_wait(f, lock_timeout))
        {
            return Err(error::DEVICE_LOCKED);
        }
        Ok(())
    }

    fn write(&self, lid: i32, f: u32, lock_timeout: u32, data: &[u8]) -> u32 {
        if let Err(e) = self.access(lid, f, lock_timeout) {
            return e;
        }
        let mut links = guard(&self.links);
        let Some(l) = links.get_mut(&lid) else {
            return error::INVALID_LINK;
        };
        // Answers already read make room for new ones (an unread rest is
        // kept, in front).
        if l.pos > 0 {
            let rest = l.out.bytes()[l.pos..].to_vec();
            l.out.clear();
            l.out.extend_from_slice(&rest);
            l.pos = 0;
        }
        let mut inst = lock(&self.instrument);
        let mut v = l.link.input(data, &self.tree, &mut inst, &mut l.out);
        if v == Verdict::Continue && f & flags::END != 0 {
            v = l.link.end(&self.tree, &mut inst, &mut l.out);
        }
        if v == Verdict::Continue {
            error::NO_ERROR
        } else {
            // The raw server would close the connection here; the link stays
            // (the answers before the offending message can still be read).
            l.link.clear();
            error::IO_ERROR
        }
    }

    fn read(
        &self,
        w: &mut Writer,
        lid: i32,
        request_size: u32,
        f: u32,
        lock_timeout: u32,
        term: u8,
    ) {
        if let Err(e) = self.access(lid, f, lock_timeout) {
            w.u32(e).u32(0).opaque(&[]);
            return;
        }
        let mut links = guard(&self.links);
        let Some(l) = links.get_mut(&lid) else {
            w.u32(error::INVALID_LINK).u32(0).opaque(&[]);
            return;
        };
        let pending = &l.out.bytes()[l.pos..];
        if pending.is_empty() {
            // Answers are made when the query is written: none will come.
            w.u32(error::IO_TIMEOUT).u32(0).opaque(&[]);
            return;
        }
        let mut n = pending
            .len()
            .min(usize::try_from(request_size).unwrap_or(usize::MAX));
        let mut why = 0;
        if f & flags::TERMCHRSET != 0
            && let Some(i) = pending[..n].iter().position(|&b| b == term)
        {
            n = i + 1;
            why |= reason::CHR;
        }
        if n == pending.len() {
            why |= reason::END;
        } else if n == usize::try_from(request_size).unwrap_or(usize::MAX) {
            why |= reason::REQCNT;
        }
        w.u32(error::NO_ERROR).u32(why).opaque(&pending[..n]);
        l.pos += n;
        if l.pos == l.out.len() {
            // A large answer's memory goes back to the system here.
            l.out.clear();
            l.pos = 0;
        }
    }

    fn generic(&self, proc_: u32, lid: i32, f: u32, lock_timeout: u32) -> (u32, u8) {
        if let Err(e) = self.access(lid, f, lock_timeout) {
            return (e, 0);
        }
        let mut links = guard(&self.links);
        let Some(l) = links.get_mut(&lid) else {
            return (error::INVALID_LINK, 0);
        };
        match proc_ {
            procedure::DEVICE_READSTB => {
                let inst = lock(&self.instrument);
                (
                    error::NO_ERROR,
                    l.link.status_byte(&inst, l.pos < l.out.len()),
                )
            }
            procedure::DEVICE_CLEAR => {
                l.link.clear();
                l.out.clear();
                l.pos = 0;
                (error::NO_ERROR, 0)
            }
            // trigger, remote, local: accepted, nothing to do.
            _ => (error::NO_ERROR, 0),
        }
    }
}
