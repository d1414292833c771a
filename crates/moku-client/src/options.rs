//! How to connect: the official client's constructor arguments, the bitstream policy and the
//! warning type of `strict=false` replies.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::transport::Timeouts;

/// What to do about bitstreams at connect time and at `set_instrument` (docs/moku-protocol.md §3.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitstreamPolicy {
    /// What the official client does (default): list the device's bitstreams and upload every
    /// needed one whose sha256 differs from the local `.mokuinst` in the data directory
    /// ([`ConnectOptions::data_dir`]). A needed bitstream that is neither on the device nor on
    /// disk fails the connect with [`Error::MissingBitstream`](crate::Error::MissingBitstream),
    /// which names the file looked for. One documented difference: when the device already
    /// lists a bitstream and no local copy exists, the official client fails; this client
    /// uses the device's copy.
    #[default]
    Manage,
    /// List the device's bitstreams; a missing one becomes a [`Warning`] and nothing is uploaded.
    Check,
    /// List them; a missing one fails the connect with [`Error::MissingBitstream`](crate::Error::MissingBitstream),
    /// nothing is uploaded.
    Require,
    /// Send no bitstream traffic (also forced by `MOKU_API_DISABLE_BITSTREAM_MANAGEMENT`).
    Disabled,
}

/// A `messages` warning of a successful reply (a `strict=false` coercion note), or a note of
/// this client (bitstream checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The operation that produced it, e.g. `slot1/datalogger/set_samplerate`.
    pub operation: String,
    /// The device's message.
    pub message: String,
}

impl core::fmt::Display for Warning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

/// True when two serial numbers name the same device: as numbers when both are decimal
/// (`378` = `000378`; the official client compares `int()`s), otherwise as trimmed text.
pub fn serials_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// A callback that sees every warning as it arrives.
pub type WarningHandler = Arc<dyn Fn(&Warning) + Send + Sync>;

/// How to connect (the official client's constructor arguments).
#[derive(Clone)]
pub struct ConnectOptions {
    /// Take ownership even if another client owns the device.
    pub force_connect: bool,
    /// Go ahead even if an instrument is busy (e.g. logging).
    pub ignore_busy: bool,
    /// Keep the instrument's state when (re)deploying.
    pub persist_state: bool,
    /// Redeploy the bitstream even if it is deployed.
    pub force_deploy: bool,
    /// Name shown to other users; `None` uses the short host name (left out if unknown).
    pub client_name: Option<String>,
    /// Connect/read timeouts of the default transport.
    pub timeouts: Timeouts,
    /// Check `proxy_version == 3` (the official client's `no_check_version=False`).
    pub check_version: bool,
    /// Bitstream handling (default [`BitstreamPolicy::Manage`], as the official client).
    pub bitstreams: BitstreamPolicy,
    /// The data directory holding `instruments/<build>/<hw>/<name>.mokuinst`. `None` looks it up
    /// as the official client does: `$MOKU_DATA_PATH`, then `data/` beside the file
    /// `mokucli config which` prints (when `$MOKU_CLI_PATH` is set), then the OS config
    /// directory (`$XDG_CONFIG_HOME/moku/data` or `~/.config/moku/data` on Linux).
    pub data_dir: Option<PathBuf>,
    /// The serial number of the device (the official client's `serial=`). With an empty host
    /// and the `discovery` feature, the connect first finds the device by mDNS
    /// ([`discovery::find_by_serial`](crate::discovery::find_by_serial), browsing for
    /// [`ConnectOptions::discovery_timeout`]). With a host, or after discovery, the connect
    /// checks `GET /api/moku/serial_number` and fails with
    /// [`Error::SerialMismatch`](crate::Error::SerialMismatch) (after relinquishing) when the
    /// device reports another serial number ([`serials_match`]: `378` and `000378` are the same).
    pub serial: Option<String>,
    /// How long `serial=` discovery browses before
    /// [`Error::MokuNotFound`](crate::Error::MokuNotFound) (default 10 s, as the official
    /// client; this client stops at the first match).
    pub discovery_timeout: Duration,
    /// Connect to the port of the discovered SRV record instead of the HTTP default (port 80,
    /// what the official client uses: it takes only the address). Default false; set it for a
    /// device or emulator that serves HTTP on another port.
    pub use_advertised_port: bool,
    /// Send `relinquish_ownership` when the last handle is dropped. Default **false**, as the
    /// official client, which relinquishes only when asked (or on leaving a `with` block): a
    /// logging session keeps running and the device stays owned, as the seed recommends
    /// ("do not relinquish ownership until the logging session is completed"). Even when true,
    /// a handle dropped while a logging session it started is still running does not
    /// relinquish. Call `relinquish_ownership()` to let the device go.
    pub relinquish_on_drop: bool,
    /// Check arguments against the model's limits before sending (default true).
    pub validate: bool,
    /// Called for every warning (in addition to the queue of [`Session::take_warnings`](crate::Session::take_warnings)).
    pub warning_handler: Option<WarningHandler>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            force_connect: false,
            ignore_busy: false,
            persist_state: false,
            force_deploy: false,
            client_name: None,
            timeouts: Timeouts::default(),
            check_version: true,
            bitstreams: BitstreamPolicy::Manage,
            data_dir: None,
            serial: None,
            discovery_timeout: Duration::from_secs(10),
            use_advertised_port: false,
            relinquish_on_drop: false,
            validate: true,
            warning_handler: None,
        }
    }
}

impl core::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("force_connect", &self.force_connect)
            .field("ignore_busy", &self.ignore_busy)
            .field("persist_state", &self.persist_state)
            .field("force_deploy", &self.force_deploy)
            .field("client_name", &self.client_name)
            .field("timeouts", &self.timeouts)
            .field("check_version", &self.check_version)
            .field("bitstreams", &self.bitstreams)
            .field("data_dir", &self.data_dir)
            .field("serial", &self.serial)
            .field("discovery_timeout", &self.discovery_timeout)
            .field("use_advertised_port", &self.use_advertised_port)
            .field("relinquish_on_drop", &self.relinquish_on_drop)
            .field("validate", &self.validate)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::serials_match;

    #[test]
    fn serials_compare_as_numbers_when_both_are() {
        assert!(serials_match("378", "000378"));
        assert!(serials_match(" 000378 ", "378"));
        assert!(!serials_match("379", "000378"));
        assert!(serials_match("LI-12", " LI-12"));
        assert!(!serials_match("LI-12", "12"));
    }
}
