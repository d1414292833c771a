//! Who may hold a connection: the slot table, probation and eviction.
//!
//! Transport-neutral (no socket type appears here): the SCPI socket server
//! uses it, and a HiSLIP or VXI-11 server can use the same table. A
//! transport gives each accepted connection a [`Close`] handle (for a
//! `TcpStream`, `shutdown(Both)`), asks [`Admission::admit`], and reports
//! each *complete* message on the [`Ticket`] it got back.
//!
//! The rule that keeps hostile clients from locking everyone out, even from
//! one address:
//!
//! * Up to `max_connections` connections are **members**.
//! * When every member slot is taken, up to `probation` more connections are
//!   admitted **on probation**: they are served like members, but for at
//!   most `grace` unless they take a member slot. Further ones are refused.
//! * A probationer takes a member slot when it completes a message and
//!   either a slot is free or some member has gone `grace` or longer without
//!   a complete message: that member — the one that has gone longest — is
//!   **evicted** (closed). At the end of its grace a probationer tries once
//!   more (evicting only if it has completed a message: a connection that
//!   never did takes a free slot or nothing); without a slot it is closed.
//!
//! So a connection that sends nothing, or trickles bytes without ever
//! finishing a message, can neither keep a slot against a newcomer that
//! talks, nor take one: newcomers never push out a client that is actively
//! exchanging complete messages (one within the last `grace`), and silent
//! or trickling newcomers only ever occupy a probation slot for `grace`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The default most simultaneous member connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// The default number of probation slots beyond the members.
pub const DEFAULT_PROBATION: usize = 8;
/// The default grace: how long a probationer is served without a member
/// slot, and how long after its last complete message a member cannot be
/// evicted.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// How a transport closes one of its connections from another thread
/// (the blocked reader or writer must wake up and see an error or EOF).
pub trait Close: Send + Sync {
    /// Closes the connection; idempotent.
    fn close(&self);
}

impl Close for std::net::TcpStream {
    fn close(&self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }
}

/// The admission rule's parameters (see the module docs).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct AdmissionConfig {
    /// The most members (`None`: unlimited, nobody is ever on probation).
    pub max_connections: Option<usize>,
    /// The most probationers beyond the members.
    pub probation: usize,
    /// The probation time, and a member's protection after a complete message.
    pub grace: Duration,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        Self {
            max_connections: Some(DEFAULT_MAX_CONNECTIONS),
            probation: DEFAULT_PROBATION,
            grace: DEFAULT_GRACE,
        }
    }
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Refusal {
    /// Every member and probation slot is taken.
    Full,
}

/// What a probationer's attempt to become a member gave.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Promotion {
    /// Already a member, nothing to do.
    Member,
    /// Took a free member slot.
    Free,
    /// Took the slot of this connection, which was closed.
    Evicted(u64),
    /// Still on probation: no slot free, every member protected.
    Waiting,
}

#[derive(Debug)]
struct Slot {
    closer: Arc<dyn Close>,
    member: bool,
    /// Milliseconds since the table's epoch of the accept or the last
    /// complete message, whichever is later.
    progress: Arc<AtomicU64>,
}

impl core::fmt::Debug for dyn Close {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Close")
    }
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    members: usize,
    slots: HashMap<u64, Slot>,
}

#[derive(Debug)]
struct Inner {
    config: AdmissionConfig,
    epoch: Instant,
    table: Mutex<Table>,
}

impl Inner {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The shared slot table of one server (cheap to clone: one `Arc`).
#[derive(Clone, Debug)]
pub struct Admission {
    inner: Arc<Inner>,
}

impl Admission {
    /// An empty table with these rules.
    pub fn new(config: AdmissionConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                epoch: Instant::now(),
                table: Mutex::new(Table::default()),
            }),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> AdmissionConfig {
        self.inner.config
    }

    /// Admits a just-accepted connection as a member or on probation, or
    /// refuses it (then the caller closes it).
    pub fn admit(&self, closer: Arc<dyn Close>) -> Result<Ticket, Refusal> {
        let config = self.inner.config;
        let now = self.inner.now_ms();
        let mut table = self.inner.table();
        let member = config.max_connections.is_none_or(|max| table.members < max);
        let probationers = table.slots.len() - table.members;
        if !member && probationers >= config.probation {
            return Err(Refusal::Full);
        }
        let id = table.next_id;
        table.next_id += 1;
        let progress = Arc::new(AtomicU64::new(now));
        table.slots.insert(
            id,
            Slot {
                closer,
                member,
                progress: Arc::clone(&progress),
            },
        );
        table.members += usize::from(member);
        Ok(Ticket {
            id,
            inner: Arc::clone(&self.inner),
            progress,
            accepted: Instant::now(),
            member: AtomicBool::new(member),
        })
    }

    /// How many connections hold a slot (members and probationers).
    pub fn len(&self) -> usize {
        self.inner.table().slots.len()
    }

    /// Whether no connection holds a slot.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every connection (they leave the table as their tickets drop).
    pub fn close_all(&self) {
        for slot in self.inner.table().slots.values() {
            slot.closer.close();
        }
    }
}

/// One admitted connection's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    inner: Arc<Inner>,
    progress: Arc<AtomicU64>,
    accepted: Instant,
    /// Once a member, always (until closed): lets a member's progress
    /// reports skip the table's lock.
    member: AtomicBool,
}

impl Ticket {
    /// The connection's number (unique within its server).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the connection holds a member slot (or was evicted from one).
    pub fn is_member(&self) -> bool {
        self.member.load(Ordering::Relaxed)
            || self
                .inner
                .table()
                .slots
                .get(&self.id)
                .is_none_or(|s| s.member)
    }

    /// When a probationer's grace ends (`None` for a member): by then it
    /// must [`promote`](Self::promote) or be closed.
    pub fn probation_deadline(&self) -> Option<Instant> {
        (!self.is_member()).then(|| self.accepted + self.inner.config.grace)
    }

    /// Records a complete message: protects a member from eviction for
    /// `grace`, and lets a probationer try for a member slot.
    pub fn completed(&self) -> Promotion {
        self.progress.store(self.inner.now_ms(), Ordering::Relaxed);
        self.promote(true)
    }

    /// A probationer takes a free member slot, or (`evict`) that of the
    /// member that has gone longest, and at least `grace`, without a
    /// complete message.
    pub fn promote(&self, evict: bool) -> Promotion {
        if self.member.load(Ordering::Relaxed) {
            return Promotion::Member;
        }
        let now = self.inner.now_ms();
        let grace = u64::try_from(self.inner.config.grace.as_millis()).unwrap_or(u64::MAX);
        let mut table = self.inner.table();
        match table.slots.get(&self.id) {
            Some(s) if !s.member => {}
            _ => {
                self.member.store(true, Ordering::Relaxed);
                return Promotion::Member;
            }
        }
        let free = self
            .inner
            .config
            .max_connections
            .is_none_or(|max| table.members < max);
        let mut outcome = Promotion::Free;
        if !free {
            if !evict {
                return Promotion::Waiting;
            }
            let victim = table
                .slots
                .iter()
                .filter(|(_, s)| s.member)
                .map(|(id, s)| (s.progress.load(Ordering::Relaxed), *id))
                .filter(|(p, _)| now.saturating_sub(*p) >= grace)
                .min();
            let Some((_, victim)) = victim else {
                return Promotion::Waiting;
            };
            if let Some(slot) = table.slots.remove(&victim) {
                slot.closer.close();
            }
            table.members -= 1;
            outcome = Promotion::Evicted(victim);
        }
        if let Some(s) = table.slots.get_mut(&self.id) {
            s.member = true;
        }
        table.members += 1;
        self.member.store(true, Ordering::Relaxed);
        outcome
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut table = self.inner.table();
        if let Some(slot) = table.slots.remove(&self.id)
            && slot.member
        {
            table.members -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Flag(AtomicBool);
    impl Close for Flag {
        fn close(&self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn config(max: usize, probation: usize, grace_ms: u64) -> AdmissionConfig {
        AdmissionConfig {
            max_connections: Some(max),
            probation,
            grace: Duration::from_millis(grace_ms),
        }
    }

    #[test]
    fn members_then_probation_then_refusal() {
        let a = Admission::new(config(2, 1, 10_000));
        let t1 = a.admit(Arc::new(Flag::default())).unwrap();
        let t2 = a.admit(Arc::new(Flag::default())).unwrap();
        assert!(t1.is_member() && t2.is_member());
        let p = a.admit(Arc::new(Flag::default())).unwrap();
        assert!(!p.is_member() && p.probation_deadline().is_some());
        assert_eq!(
            a.admit(Arc::new(Flag::default())).err(),
            Some(Refusal::Full)
        );
        // Everyone is within grace: the probationer waits.
        assert_eq!(p.completed(), Promotion::Waiting);
        drop(t1);
        assert_eq!(p.completed(), Promotion::Free);
        assert_eq!(p.completed(), Promotion::Member);
        assert_eq!(a.len(), 2);
        drop((t2, p));
        assert!(a.is_empty());
    }

    #[test]
    fn the_member_longest_without_a_message_is_evicted_after_grace() {
        let a = Admission::new(config(2, 1, 0));
        let silent = Arc::new(Flag::default());
        let s = a.admit(silent.clone()).unwrap();
        let talker = Arc::new(Flag::default());
        let t = a.admit(talker.clone()).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        t.completed();
        let p = a.admit(Arc::new(Flag::default())).unwrap();
        assert_eq!(p.completed(), Promotion::Evicted(s.id()));
        assert!(silent.0.load(Ordering::SeqCst));
        assert!(!talker.0.load(Ordering::SeqCst));
        assert!(s.is_member(), "evicted: no longer on probation either");
        drop(s);
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn unlimited_admits_everyone_as_members() {
        let a = Admission::new(AdmissionConfig {
            max_connections: None,
            ..AdmissionConfig::default()
        });
        let ts: Vec<_> = (0..100)
            .map(|_| a.admit(Arc::new(Flag::default())).unwrap())
            .collect();
        assert!(ts.iter().all(Ticket::is_member));
        a.close_all();
    }
}
