//! Bitstream management as the official client does it (docs/moku-protocol.md §3.6): the
//! names of the platform, empty-slot and instrument bitstreams, the local data directory
//! (`$MOKU_DATA_PATH`, the layout `mokucli instrument download` writes), the sha256 in a
//! `.mokuinst` archive's `MANIFEST`, and the check-then-upload step run at connect and at
//! `set_instrument`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::exchange::{Body, Shared};
use crate::options::BitstreamPolicy;
use crate::reply_envelope;
use crate::transport::{Method, Stack};
use crate::values::Model;

/// The environment variable that switches all bitstream traffic off.
pub const DISABLE_BITSTREAMS_ENV: &str = "MOKU_API_DISABLE_BITSTREAM_MANAGEMENT";
/// The environment variable naming the data directory.
pub const DATA_PATH_ENV: &str = "MOKU_DATA_PATH";
/// The environment variable that overrides the device's `instruments_build`.
pub const INSTRUMENT_BUILD_ENV: &str = "MOKU_INSTRUMENT_BUILD";

/// The platform bitstream of an `num_slots` platform, e.g. `01-000`.
pub fn platform_name(num_slots: u8) -> String {
    format!("{num_slots:02}-000")
}

/// The placeholder bitstream of the empty slot `slot_idx` (0-based), e.g. `02-000-01`.
pub fn empty_slot_name(num_slots: u8, slot_idx: u8) -> String {
    format!("{num_slots:02}-000-{slot_idx:02}")
}

/// The bitstream of instrument `instrument_id` in slot `slot_idx` (0-based), e.g. `01-007-00`
/// for the Datalogger in single-instrument mode.
pub fn instrument_name(num_slots: u8, instrument_id: u32, slot_idx: u8) -> String {
    format!("{num_slots:02}-{instrument_id:03}-{slot_idx:02}")
}

/// The directory name of a model under `instruments/<build>/` (`None` for an unknown model).
pub fn hardware_dir(model: &Model) -> Option<&'static str> {
    match model {
        Model::Go => Some("mokugo"),
        Model::Lab => Some("moku20"),
        Model::Pro => Some("mokupro"),
        Model::Delta => Some("mokuaf"),
        Model::Other(_) => None,
    }
}

/// The data directory the official client uses: `$MOKU_DATA_PATH`; else `data/` beside the
/// file `$MOKU_CLI_PATH config which` prints; else the OS configuration directory's `data/`
/// (`$XDG_CONFIG_HOME/moku` or `~/.config/moku` on Linux, `~/Library/Application Support/Moku`
/// on macOS, `%APPDATA%\Moku` on Windows).
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(DATA_PATH_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(cli) = std::env::var_os("MOKU_CLI_PATH").filter(|v| !v.is_empty())
        && let Ok(out) = std::process::Command::new(cli)
            .args(["config", "which"])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
        && out.status.success()
    {
        let which = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if let Some(parent) = Path::new(&which).parent() {
            return Some(parent.join("data"));
        }
    }
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    let config = if cfg!(windows) {
        std::env::var_os("APPDATA")
            .map(PathBuf::from)
            .or_else(home)?
            .join("Moku")
    } else if cfg!(target_os = "macos") {
        home()?.join("Library/Application Support/Moku")
    } else {
        std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home().map(|h| h.join(".config")))?
            .join("moku")
    };
    Some(config.join("data"))
}

/// `<data_dir>/instruments/<build>/<hw>`: where the `.mokuinst` files of one model and build live.
pub fn bitstream_dir(data_dir: &Path, instruments_build: i64, model: &Model) -> Option<PathBuf> {
    let hw = hardware_dir(model)?;
    Some(
        data_dir
            .join("instruments")
            .join(instruments_build.to_string())
            .join(hw),
    )
}

/// `items[0].sha256` of the `MANIFEST` member of a `.mokuinst` (tar) archive, or why not.
pub fn manifest_sha256(tar: &[u8]) -> core::result::Result<String, String> {
    let mut pos = 0usize;
    while let Some(header) = tar.get(pos..pos + 512) {
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let name_end = header[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let name = String::from_utf8_lossy(&header[..name_end]);
        let size_text = String::from_utf8_lossy(&header[124..136]);
        let size =
            usize::from_str_radix(size_text.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .map_err(|_| format!("bad tar size field {size_text:?}"))?;
        let start = pos + 512;
        let data = start
            .checked_add(size)
            .and_then(|end| tar.get(start..end))
            .ok_or("the archive is truncated")?;
        if name.trim_start_matches("./") == "MANIFEST" {
            let v: Value =
                serde_json::from_slice(data).map_err(|e| format!("MANIFEST is not JSON: {e}"))?;
            return v
                .get("items")
                .and_then(|i| i.get(0))
                .and_then(|i| i.get("sha256"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| "MANIFEST has no items[0].sha256".to_owned());
        }
        pos = start + size.div_ceil(512) * 512;
    }
    Err("MANIFEST file is missing in the archive".into())
}

impl Shared {
    fn bitstreams_enabled(&self) -> bool {
        self.options.bitstreams != BitstreamPolicy::Disabled
            && std::env::var_os(DISABLE_BITSTREAMS_ENV).is_none_or(|v| v.is_empty())
    }

    /// `GET /api/v2/bitstreams`: the bare list of `{filename, sha256}` objects.
    pub(crate) fn list_bitstreams(&self) -> Result<Vec<Map<String, Value>>> {
        let op = "v2/bitstreams";
        let r = self.raw(Method::Get, op, Body::None, true)?;
        if r.status != 200 {
            return Err(Error::BitstreamListFailed {
                status: r.status,
                body: String::from_utf8_lossy(&r.body).into_owned(),
            });
        }
        let bad = |reason: String| Error::MalformedReply {
            operation: op.into(),
            reason,
        };
        match reply_envelope::parse_json(&r.body).map_err(bad)? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::Object(m) => Ok(m),
                    other => Err(bad(format!("a bitstream entry is not an object: {other}"))),
                })
                .collect(),
            other => Err(bad(format!("expected a JSON array, got {other}"))),
        }
    }

    /// Where the local `<name>.mokuinst` is looked for, or why it cannot be.
    pub(crate) fn local_bitstream(&self, name: &str) -> core::result::Result<PathBuf, String> {
        let description = self
            .description()
            .ok_or("the device was not described yet")?;
        let build = match std::env::var(INSTRUMENT_BUILD_ENV) {
            Ok(b) if !b.trim().is_empty() => b
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("{INSTRUMENT_BUILD_ENV}={b:?} is not a number"))?,
            _ => description
                .instruments_build
                .ok_or("`describe` reports no instruments_build")?,
        };
        let data = self
            .options
            .data_dir
            .clone()
            .or_else(default_data_dir)
            .ok_or("no data directory: set MOKU_DATA_PATH")?;
        let dir = bitstream_dir(&data, build, &description.model)
            .ok_or_else(|| format!("no bitstream directory is known for {}", description.model))?;
        Ok(dir.join(format!("{name}.mokuinst")))
    }

    /// The check of one bitstream by its bare name (`01-007-00`): list the device's, then, per
    /// the policy, warn, fail or upload the local copy whose sha256 differs.
    pub(crate) fn ensure_bitstream(&self, name: &str) -> Result<()> {
        if !self.bitstreams_enabled() {
            return Ok(());
        }
        let remote = self
            .list_bitstreams()?
            .iter()
            .find(|b| b.get("filename").and_then(Value::as_str) == Some(name))
            .map(|b| {
                b.get("sha256")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            });
        let missing = |looked_for: Option<PathBuf>, reason: String| Error::MissingBitstream {
            name: name.to_owned(),
            looked_for,
            reason,
        };
        match self.options.bitstreams {
            BitstreamPolicy::Disabled => Ok(()),
            BitstreamPolicy::Check | BitstreamPolicy::Require if remote.is_some() => Ok(()),
            BitstreamPolicy::Require => Err(missing(
                None,
                "the Moku does not list it and uploads are off (BitstreamPolicy::Require)".into(),
            )),
            BitstreamPolicy::Check => {
                self.push_warning(
                    "v2/bitstreams",
                    format!(
                        "bitstream {name} is not listed on the Moku; not uploaded (BitstreamPolicy::Check)"
                    ),
                );
                Ok(())
            }
            BitstreamPolicy::Manage => {
                let path = match self.local_bitstream(name) {
                    Ok(p) => p,
                    // The device has it and there is nothing to compare with: use its copy.
                    Err(_) if remote.is_some() => return Ok(()),
                    Err(reason) => return Err(missing(None, reason)),
                };
                let bytes = match std::fs::read(&path) {
                    Ok(b) => b,
                    Err(_) if remote.is_some() => return Ok(()),
                    Err(e) => {
                        return Err(missing(
                            Some(path.clone()),
                            format!("cannot read {}: {e}", path.display()),
                        ));
                    }
                };
                let local = manifest_sha256(&bytes).map_err(|reason| Error::InvalidBitstream {
                    path: path.clone(),
                    reason,
                })?;
                if remote.as_deref() == Some(local.as_str()) {
                    return Ok(());
                }
                let op = format!("bitstreams/upload/{name}.mokuinst");
                let env = self.call(Method::Post, &op, Body::Raw(&bytes), Stack::Bulk, true)?;
                reply_envelope::expect::null(&op, &env.data)
            }
        }
    }

    /// The bitstream step at connect time; any failure relinquishes. (The official client
    /// leaves the device owned when the listing itself fails; this client does not.)
    pub(crate) fn connect_bitstream(&self, name: &str) -> Result<()> {
        self.guarded(|| self.ensure_bitstream(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_the_official_client_writes_them() {
        assert_eq!(platform_name(1), "01-000");
        assert_eq!(empty_slot_name(2, 1), "02-000-01");
        assert_eq!(instrument_name(1, 7, 0), "01-007-00");
        assert_eq!(instrument_name(2, 7, 1), "02-007-01");
        assert_eq!(hardware_dir(&Model::Lab), Some("moku20"));
        assert_eq!(hardware_dir(&Model::Delta), Some("mokuaf"));
    }

    #[test]
    fn manifest_of_broken_archives_is_an_error_not_a_panic() {
        assert!(manifest_sha256(&[]).is_err());
        assert!(manifest_sha256(&[1u8; 100]).is_err());
        let mut h = vec![0u8; 512];
        h[..8].copy_from_slice(b"MANIFEST");
        h[124..136].copy_from_slice(b"77777777777\0");
        h[0] = b'M';
        assert!(manifest_sha256(&h).is_err());
    }
}
