//! The mDNS/DNS-SD advertisement of the emulated device (feature `mdns`): the service type and
//! TXT keys (`txtver` 0.5) that the official client's `Finder` parses, so that a client can find
//! the emulator by serial number as it would find a Moku.
//!
//! Only the keys and their value types follow the official parser; the values of `netver`,
//! `hwver`, `colour` and `bootmode` are this emulator's choice (no device was observed).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo};

use crate::Model;

/// The service type a Moku advertises.
pub const SERVICE_TYPE: &str = "_moku._tcp.local.";

/// A running advertisement; dropping it unregisters the service and stops the daemon.
pub(crate) struct Advertisement {
    daemon: ServiceDaemon,
    fullname: String,
}

/// The TXT record: `txtver` 0.5 keys, values as a device would publish them (all text).
pub(crate) fn txt_record(model: Model, serial: &str, fw_build: u64) -> Vec<(&'static str, String)> {
    let hwver = match model {
        Model::Lab => "1.0",
        Model::Go => "2.0",
        Model::Pro => "3.0",
        Model::Delta => "4.0",
    };
    vec![
        ("txtver", "0.5".to_owned()),
        ("netver", "2".to_owned()),
        ("fwver", fw_build.to_string()),
        ("hwver", hwver.to_owned()),
        ("serial", serial.to_owned()),
        ("colour", "black".to_owned()),
        ("bootmode", "normal".to_owned()),
    ]
}

impl std::fmt::Debug for Advertisement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertisement")
            .field("fullname", &self.fullname)
            .finish_non_exhaustive()
    }
}

impl Advertisement {
    /// Registers `name._moku._tcp.local.` for the HTTP server at `addr`. An unspecified listen
    /// address (`0.0.0.0`) advertises every address of the host; otherwise only `addr`'s.
    pub(crate) fn start(
        name: &str,
        addr: SocketAddr,
        txt: &[(&'static str, String)],
    ) -> std::io::Result<Self> {
        let failed = |e: mdns_sd::Error| std::io::Error::other(format!("mDNS: {e}"));
        let daemon = ServiceDaemon::new().map_err(failed)?;
        let host_name = format!("{name}.local.");
        let ip: Vec<IpAddr> = if addr.ip().is_unspecified() {
            Vec::new()
        } else {
            vec![addr.ip()]
        };
        let mut info = ServiceInfo::new(
            SERVICE_TYPE,
            name,
            &host_name,
            ip.as_slice(),
            addr.port(),
            txt,
        )
        .map_err(failed)?;
        if addr.ip().is_unspecified() {
            info = info.enable_addr_auto();
        }
        let fullname = info.get_fullname().to_owned();
        daemon.register(info).map_err(failed)?;
        Ok(Advertisement { daemon, fullname })
    }
}

impl Drop for Advertisement {
    fn drop(&mut self) {
        // Send the goodbye packets, then stop the daemon thread; bounded waits either way.
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = done.recv_timeout(Duration::from_secs(2));
        }
        if let Ok(stopped) = self.daemon.shutdown() {
            let _ = stopped.recv_timeout(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_record_has_the_keys_of_the_official_parser() {
        let txt = txt_record(Model::Pro, "000378", 4400);
        let get = |k: &str| {
            txt.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("txtver"), Some("0.5"));
        assert_eq!(get("serial"), Some("000378"));
        assert_eq!(get("fwver"), Some("4400"));
        // The official client parses these with int() / float().
        assert!(get("netver").unwrap().parse::<u64>().is_ok());
        assert!(get("hwver").unwrap().parse::<f64>().is_ok());
        assert!(get("colour").is_some() && get("bootmode").is_some());
    }
}
