//! The device's bitstreams: the preinstalled list, and uploads of `.mokuinst` archives whose
//! `MANIFEST` gives the sha256 that `GET /api/v2/bitstreams` reports (docs/moku-protocol.md §3.6).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Device;
use crate::reply::{ApiError, Reply};

impl Device {
    pub(super) fn upload_bitstream(&mut self, name: &str, body: &[u8]) -> Result<Reply, ApiError> {
        let sha = manifest_sha256(body).ok_or_else(|| {
            ApiError::param("not a .mokuinst archive (no MANIFEST with items[0].sha256)")
        })?;
        self.files.put("bitstreams", name, body.to_vec())?;
        let bare = name.strip_suffix(".mokuinst").unwrap_or(name);
        self.bitstreams.insert(bare.to_owned(), sha);
        Ok(Reply::ok(Value::Null))
    }
}

/// Every bitstream name the official client asks for on this model's platforms, each with a
/// made-up sha256.
pub(super) fn installed_bitstreams(platforms: &[u8]) -> BTreeMap<String, String> {
    let mut names = Vec::new();
    for &n in platforms {
        names.push(format!("{n:02}-000"));
        for i in 0..n {
            names.push(format!("{n:02}-000-{i:02}"));
            names.push(format!("{n:02}-{:03}-{i:02}", crate::li::DATALOGGER_ID));
        }
    }
    names
        .into_iter()
        .map(|name| {
            let sha = format!("preinstalled-{name}");
            (name, sha)
        })
        .collect()
}

/// `items[0].sha256` of the `MANIFEST` inside a `.mokuinst` tar archive.
pub(super) fn manifest_sha256(tar: &[u8]) -> Option<String> {
    let mut pos = 0usize;
    while pos + 512 <= tar.len() {
        let header = &tar[pos..pos + 512];
        if header.iter().all(|b| *b == 0) {
            return None;
        }
        let name_end = header[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&header[..name_end]).ok()?;
        let size_field = std::str::from_utf8(&header[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let data_start = pos + 512;
        let data = tar.get(data_start..data_start.checked_add(size)?)?;
        if name.trim_start_matches("./") == "MANIFEST" {
            let v: Value = serde_json::from_slice(data).ok()?;
            return v
                .get("items")?
                .get(0)?
                .get("sha256")?
                .as_str()
                .map(str::to_owned);
        }
        pos = data_start + size.div_ceil(512) * 512;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let size = format!("{:011o}\0", data.len());
        h[124..136].copy_from_slice(size.as_bytes());
        let mut out = h;
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
        out
    }

    #[test]
    fn manifest_is_found() {
        let tar = tar_with("MANIFEST", br#"{"items": [{"sha256": "abc"}]}"#);
        assert_eq!(manifest_sha256(&tar).as_deref(), Some("abc"));
        assert_eq!(manifest_sha256(b"junk"), None);
        assert_eq!(manifest_sha256(&tar_with("other", b"x")), None);
    }
}
