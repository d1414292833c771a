//! The device lock the HiSLIP and VXI-11 clients of one server share
//! (VISA `viLock`): one exclusive holder and/or the holders of one shared
//! lock; a client that holds neither waits while another holds one.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::net::guard;

#[derive(Debug, Default)]
// Shared locks and lock info exist in HiSLIP only.
#[cfg_attr(not(feature = "hislip"), allow(dead_code))]
struct State {
    exclusive: Option<u64>,
    shared_key: Vec<u8>,
    shared: Vec<u64>,
}

impl State {
    fn may_access(&self, who: u64) -> bool {
        self.exclusive.is_none_or(|o| o == who)
            && (self.shared.is_empty() || self.shared.contains(&who))
    }
}

/// What a release gave back.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Released {
    Exclusive,
    Shared,
    Nothing,
}

/// The lock, its holders identified by a per-client id.
#[derive(Debug, Default)]
pub(crate) struct DeviceLock {
    state: Mutex<State>,
    changed: Condvar,
}

impl DeviceLock {
    /// Waits up to `timeout` for `pred`, holding the state lock on success.
    fn wait_until(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&State) -> bool,
    ) -> Option<std::sync::MutexGuard<'_, State>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = guard(&self.state);
        loop {
            if pred(&st) {
                return Some(st);
            }
            let left = match deadline {
                Some(d) => d.checked_duration_since(Instant::now())?,
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return None;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Takes the exclusive lock within `timeout`.
    pub(crate) fn lock_exclusive(&self, who: u64, timeout: Duration) -> bool {
        match self.wait_until(timeout, |s| {
            s.exclusive.is_none_or(|o| o == who) && s.shared.iter().all(|&h| h == who)
        }) {
            Some(mut st) => {
                st.exclusive = Some(who);
                true
            }
            None => false,
        }
    }

    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    /// Joins (or creates) the shared lock named `key` within `timeout`.
    pub(crate) fn lock_shared(&self, who: u64, key: &[u8], timeout: Duration) -> bool {
        let ok = |s: &State| {
            s.exclusive.is_none_or(|o| o == who) && (s.shared.is_empty() || s.shared_key == key)
        };
        match self.wait_until(timeout, ok) {
            Some(mut st) => {
                if st.shared.is_empty() {
                    st.shared_key = key.to_vec();
                }
                if !st.shared.contains(&who) {
                    st.shared.push(who);
                }
                true
            }
            None => false,
        }
    }

    /// Releases `who`'s exclusive lock, else its shared one.
    pub(crate) fn release(&self, who: u64) -> Released {
        let mut st = guard(&self.state);
        let r = if st.exclusive == Some(who) {
            st.exclusive = None;
            Released::Exclusive
        } else if let Some(i) = st.shared.iter().position(|&h| h == who) {
            st.shared.swap_remove(i);
            Released::Shared
        } else {
            Released::Nothing
        };
        drop(st);
        self.changed.notify_all();
        r
    }

    /// Releases every lock `who` holds (a client gone).
    pub(crate) fn release_all(&self, who: u64) {
        while self.release(who) != Released::Nothing {}
    }

    /// Waits up to `timeout` until `who` may use the device.
    pub(crate) fn wait_access(&self, who: u64, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.may_access(who)).is_some()
    }

    #[cfg_attr(not(feature = "hislip"), allow(dead_code))]
    /// Whether an exclusive lock is held, and how many clients hold a lock.
    pub(crate) fn info(&self) -> (bool, u32) {
        let st = guard(&self.state);
        let mut holders: Vec<u64> = st.shared.clone();
        if let Some(e) = st.exclusive
            && !holders.contains(&e)
        {
            holders.push(e);
        }
        (
            st.exclusive.is_some(),
            u32::try_from(holders.len()).unwrap_or(u32::MAX),
        )
    }
}
