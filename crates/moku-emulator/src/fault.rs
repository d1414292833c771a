//! Fault injection: make the next matching requests fail in a chosen way.

use std::sync::Mutex;
use std::time::Duration;

/// One way to misbehave.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer with this HTTP status and body (an empty body sends `Content-Length: 0`), without
    /// carrying out the request. Codes outside 100–999 are sent as 500.
    Status {
        /// The HTTP status code (e.g. 404, 500, 502, 504).
        code: u16,
        /// The response body (plain text).
        body: String,
    },
    /// Answer HTTP 200 with `{"success": false, "data": null, "code": <code>, "messages": <messages>}`
    /// without carrying out the request.
    Envelope {
        /// The envelope `code` (e.g. `INVALID_PARAM`).
        code: String,
        /// The envelope `messages`.
        messages: Vec<String>,
    },
    /// Close the connection without answering (the request is not carried out).
    DropConnection,
    /// Carry out the request, then cut the response body to at most this many bytes (the
    /// `Content-Length` matches the cut body, so the HTTP exchange itself stays valid).
    TruncateChunk(usize),
    /// Carry out the request, then corrupt the body: for an LI document the first data block's
    /// length is set to `0xFFFF_FFFF` (beyond the end of the body); any other body, or an LI
    /// document without data blocks, gets the version digit replaced by `'9'` in its first 3 bytes
    /// (`"LI9"`).
    CorruptChunk,
    /// Answer HTTP 200 with a body that is not JSON (`<html>...`), without carrying out the request.
    NotJson,
}

/// A fault applied to requests whose path (as sent, before percent-decoding) contains
/// `path_contains`.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    /// Substring of the request path that selects the requests (`""` matches every request).
    pub path_contains: String,
    /// How many matching requests the rule applies to; `0` means every matching request until
    /// [`Faults::clear`].
    pub times: usize,
    /// What to do to them.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule for the next matching request only.
    pub fn once(path_contains: impl Into<String>, fault: Fault) -> FaultRule {
        FaultRule {
            path_contains: path_contains.into(),
            times: 1,
            fault,
        }
    }

    /// A rule for every matching request until [`Faults::clear`].
    pub fn always(path_contains: impl Into<String>, fault: Fault) -> FaultRule {
        FaultRule {
            path_contains: path_contains.into(),
            times: 0,
            fault,
        }
    }
}

/// The emulator's fault table. Rules are tried in insertion order; the first matching rule is used
/// and, if it is counted, used up by one.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    /// Adds a rule.
    pub fn inject(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many rules are still active.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// The fault for a request to `path`, consuming one use of the matching rule.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        let mut rules = self.lock();
        let i = rules.iter().position(|r| path.contains(&r.path_contains))?;
        let fault = rules[i].fault.clone();
        match rules[i].times {
            0 => {}
            1 => {
                rules.remove(i);
            }
            _ => rules[i].times -= 1,
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        // A panic while holding this lock cannot leave the Vec inconsistent.
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Applies a post-processing fault to a response body.
pub(crate) fn corrupt(body: &mut Vec<u8>) {
    if body.starts_with(crate::li::MAGIC)
        && let Some(start) = crate::li::first_block_offset(body)
    {
        body[start + 4..start + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        return;
    }
    if body.len() >= 3 {
        body[2] = b'9';
    } else {
        body.clear();
        body.extend_from_slice(b"LI9");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_up() {
        let f = Faults::default();
        f.inject(FaultRule {
            path_contains: "describe".into(),
            times: 2,
            fault: Fault::NotJson,
        });
        f.inject(FaultRule::always("", Fault::DropConnection));
        assert_eq!(f.take("/api/moku/describe"), Some(Fault::NotJson));
        assert_eq!(f.take("/api/moku/describe"), Some(Fault::NotJson));
        assert_eq!(f.take("/api/moku/describe"), Some(Fault::DropConnection));
        assert_eq!(f.take("/x"), Some(Fault::DropConnection));
        f.clear();
        assert_eq!(f.take("/x"), None);
    }
}
