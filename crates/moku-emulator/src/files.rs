//! The device's file storage: one flat directory per target (`persist`, `media`, `ssd`, ...).

use std::collections::{BTreeMap, BTreeSet};

use crate::reply::ApiError;

/// In-memory file targets with a total size cap.
pub(crate) struct Files {
    targets: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>,
    reserved: BTreeSet<(String, String)>,
    used: usize,
    capacity: usize,
}

impl Files {
    /// Empty storage with these targets and a total capacity in bytes.
    pub fn new(targets: &[&'static str], capacity: usize) -> Files {
        Files {
            targets: targets.iter().map(|t| (*t, BTreeMap::new())).collect(),
            reserved: BTreeSet::new(),
            used: 0,
            capacity,
        }
    }

    /// Whether `target` exists on this model.
    pub fn has_target(&self, target: &str) -> bool {
        self.targets.contains_key(target)
    }

    /// The file names of a target, sorted.
    pub fn list(&self, target: &str) -> Vec<String> {
        self.targets
            .get(target)
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A file's bytes.
    pub fn get(&self, target: &str, name: &str) -> Option<&[u8]> {
        self.targets.get(target)?.get(name).map(Vec::as_slice)
    }

    /// Stores (or replaces) a file.
    pub fn put(&mut self, target: &str, name: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        check_name(name)?;
        let dir = self
            .targets
            .get_mut(target)
            .ok_or_else(|| ApiError::param(format!("no such location {target:?}")))?;
        let old = dir.get(name).map_or(0, Vec::len);
        let used = self.used - old;
        if used + bytes.len() > self.capacity {
            return Err(ApiError::request(format!(
                "not enough space on {target}: {} bytes needed, {} free",
                bytes.len(),
                self.capacity.saturating_sub(used)
            )));
        }
        self.used = used + bytes.len();
        dir.insert(name.to_owned(), bytes);
        self.reserved.remove(&(target.to_owned(), name.to_owned()));
        Ok(())
    }

    /// Deletes a file; false if there was none.
    pub fn delete(&mut self, target: &str, name: &str) -> bool {
        match self.targets.get_mut(target).and_then(|d| d.remove(name)) {
            Some(bytes) => {
                self.used -= bytes.len();
                true
            }
            None => false,
        }
    }

    /// Reserves a name `<stem><ext>`, or `<stem>_<n><ext>` if that is taken or reserved.
    pub fn reserve_unique(&mut self, target: &str, stem: &str, ext: &str) -> String {
        let mut n = 1u32;
        loop {
            let name = if n == 1 {
                format!("{stem}{ext}")
            } else {
                format!("{stem}_{n}{ext}")
            };
            let key = (target.to_owned(), name.clone());
            if self.get(target, &name).is_none() && !self.reserved.contains(&key) {
                self.reserved.insert(key);
                return name;
            }
            n += 1;
        }
    }

    /// Drops a reservation that will not be written.
    pub fn release(&mut self, target: &str, name: &str) {
        self.reserved.remove(&(target.to_owned(), name.to_owned()));
    }
}

impl std::fmt::Debug for Files {
    /// Names and sizes only: the contents can be large.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: BTreeMap<&str, Vec<(&str, usize)>> = self
            .targets
            .iter()
            .map(|(t, d)| (*t, d.iter().map(|(n, b)| (n.as_str(), b.len())).collect()))
            .collect();
        f.debug_struct("Files")
            .field("files", &sizes)
            .field("used", &self.used)
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// File names are one path segment of printable characters, without `/`, `?` or `#`.
pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#'));
    if bad {
        Err(ApiError::param(format!("invalid file name {name:?}")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_enforced_and_names_are_unique() {
        let mut f = Files::new(&["ssd"], 10);
        f.put("ssd", "a.li", vec![0; 6]).unwrap();
        assert_eq!(
            f.put("ssd", "b.li", vec![0; 6]).unwrap_err().code,
            "INVALID_REQUEST"
        );
        f.put("ssd", "a.li", vec![0; 10]).unwrap();
        assert_eq!(f.used, 10);
        assert!(f.delete("ssd", "a.li"));
        assert_eq!(f.reserve_unique("ssd", "x", ".li"), "x.li");
        assert_eq!(f.reserve_unique("ssd", "x", ".li"), "x_2.li");
        assert!(f.put("ssd", "../x", vec![]).is_err());
        assert!(f.put("nope", "x", vec![]).is_err());
    }
}
