//! Finding a Moku on the local network by serial number (feature `discovery`), as the official
//! client's `serial=` does: mDNS/DNS-SD browsing of [`SERVICE_TYPE`] (docs/moku-protocol.md §1.1).
//!
//! The official client (`moku.finder.Finder`) browses `_moku._tcp.local.` over IPv4, parses the
//! TXT record by its `txtver` (0.2, 0.4 or 0.5, each with its own keys; a record that does not
//! parse is skipped), keeps the records whose serial equals the one asked for and connects to the
//! first IPv4 address of the first match. It always waits the whole timeout (10 s for
//! `serial=`). Differences here, all documented on the items:
//!
//! * [`find_by_serial`] returns as soon as a matching device is resolved.
//! * Serial numbers are compared as numbers when both sides are decimal (`"378"` matches the
//!   published `000378`, as Python's `int()` of the TXT value does for an `int` argument);
//!   otherwise as trimmed text.
//! * [`Found`] keeps every IPv4 address (sorted) and the advertised SRV port; the connect uses
//!   the address only (port 80, as the official client) unless
//!   [`ConnectOptions::use_advertised_port`](crate::ConnectOptions::use_advertised_port) is set.
//!
//! Tested against the emulator's advertisement (`moku-emulator` feature `mdns`) over real
//! multicast on this machine's interfaces, never against a real device.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};

use crate::error::{Error, Result};

/// The DNS-SD service type a Moku advertises and the official client browses.
pub const SERVICE_TYPE: &str = "_moku._tcp.local.";

/// How long the official client browses for `serial=` (10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One Moku seen on the network: the official client's `MokuInfo`, plus the advertised port.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The instance name (the full service name without `._moku._tcp.local.`).
    pub name: String,
    /// The TXT `txtver` the record was parsed by (`0.2`, `0.4` or `0.5`).
    pub txtver: String,
    /// Network protocol version (`netver`).
    pub netver: u64,
    /// Firmware version (`fwver`; `device.fw_version` in txtver 0.4, `system.micro` in 0.2).
    pub fwver: u64,
    /// Hardware version (`hwver`; `device.hw_version` in txtver 0.2 and 0.4).
    pub hwver: f64,
    /// The serial number as a number, as the official client parses it (`int()`).
    pub serial: u64,
    /// The serial number as published (e.g. `000378`).
    pub serial_text: String,
    /// Colour (`colour` or `color`, empty when absent in txtver 0.5; `device.colour` before).
    pub colour: String,
    /// Boot mode (`bootmode`; `system.bootmode` in txtver 0.2 and 0.4).
    pub bootmode: String,
    /// The IPv4 addresses of the record, sorted; never empty.
    pub ipv4_addrs: Vec<Ipv4Addr>,
    /// The port of the SRV record (the official client ignores it and uses HTTP port 80).
    pub port: u16,
}

impl Found {
    /// The address the official client connects to: the first IPv4 address.
    pub fn ipv4_addr(&self) -> Ipv4Addr {
        self.ipv4_addrs[0]
    }

    /// True when this device has serial number `wanted` ([`serials_match`](crate::serials_match):
    /// numerically when both are decimal numbers, `378` = `000378`; otherwise as trimmed text).
    pub fn has_serial(&self, wanted: &str) -> bool {
        crate::options::serials_match(wanted, &self.serial_text)
    }

    /// Parses a TXT record the way the official client does, by its `txtver`. `None` when a
    /// key is missing or malformed, or when the record has no IPv4 address.
    pub fn from_txt(
        name: &str,
        txt: &BTreeMap<String, String>,
        ipv4_addrs: Vec<Ipv4Addr>,
        port: u16,
    ) -> Option<Found> {
        let get = |k: &str| txt.get(k).map(|v| v.trim().to_owned());
        let int = |k: &str| get(k)?.parse::<u64>().ok();
        let float = |k: &str| get(k)?.parse::<f64>().ok().filter(|f| f.is_finite());
        let txtver = get("txtver")?;
        let version = txtver.parse::<f64>().ok()?;
        let (fw, hw, serial, colour, bootmode) = if version == 0.5 {
            let colour = get("colour").or_else(|| get("color")).unwrap_or_default();
            ("fwver", "hwver", "serial", Some(colour), "bootmode")
        } else if version == 0.4 {
            let fw = "device.fw_version";
            (
                fw,
                "device.hw_version",
                "device.serial",
                None,
                "system.bootmode",
            )
        } else if version == 0.2 {
            let fw = "system.micro";
            (
                fw,
                "device.hw_version",
                "device.serial",
                None,
                "system.bootmode",
            )
        } else {
            return None;
        };
        let colour = match colour {
            Some(c) => c,
            None => get("device.colour")?,
        };
        let mut ipv4_addrs = ipv4_addrs;
        ipv4_addrs.sort();
        ipv4_addrs.dedup();
        if ipv4_addrs.is_empty() {
            return None;
        }
        Some(Found {
            name: name.to_owned(),
            txtver,
            netver: int("netver")?,
            fwver: int(fw)?,
            hwver: float(hw)?,
            serial: int(serial)?,
            serial_text: get(serial)?,
            colour,
            bootmode: get(bootmode)?,
            ipv4_addrs,
            port,
        })
    }

    fn from_resolved(service: &ResolvedService) -> Option<Found> {
        let full = service.get_fullname();
        let name = full
            .strip_suffix(SERVICE_TYPE)
            .map_or(full, |n| n.trim_end_matches('.'));
        let txt = service
            .get_properties()
            .iter()
            .map(|p| (p.key().to_owned(), p.val_str().to_owned()))
            .collect();
        let addrs = service.get_addresses_v4().into_iter().collect();
        Found::from_txt(name, &txt, addrs, service.get_port())
    }
}

/// Browses for `timeout` and returns every Moku resolved meanwhile (the official client's
/// `Finder().find_all(timeout)`), in the order first seen; a device seen twice keeps its
/// latest record.
pub fn discover(timeout: Duration) -> Result<Vec<Found>> {
    browse(timeout, |_| false)
}

/// Browses until a Moku with serial number `serial` is resolved ([`Found::has_serial`]) or
/// `timeout` passes ([`Error::MokuNotFound`]). The official client waits the whole timeout
/// and takes the first match; this returns at the first match.
pub fn find_by_serial(serial: &str, timeout: Duration) -> Result<Found> {
    browse(timeout, |f| f.has_serial(serial))?
        .into_iter()
        .find(|f| f.has_serial(serial))
        .ok_or_else(|| Error::MokuNotFound {
            serial: serial.to_owned(),
            timeout,
        })
}

fn browse(timeout: Duration, mut done: impl FnMut(&Found) -> bool) -> Result<Vec<Found>> {
    let failed = |e: mdns_sd::Error| Error::Discovery(e.to_string());
    let daemon = ServiceDaemon::new().map_err(failed)?;
    let events = daemon.browse(SERVICE_TYPE).map_err(failed)?;
    let deadline = Instant::now() + timeout;
    let mut found: Vec<Found> = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // A timeout ends the browse; a closed channel means the daemon stopped.
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(service) = event
            && let Some(f) = Found::from_resolved(&service)
        {
            let stop = done(&f);
            match found.iter_mut().find(|old| old.name == f.name) {
                Some(old) => *old = f,
                None => found.push(f),
            }
            if stop {
                break;
            }
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    if let Ok(stopped) = daemon.shutdown() {
        let _ = stopped.recv_timeout(Duration::from_secs(2));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const LOCAL: Ipv4Addr = Ipv4Addr::LOCALHOST;

    #[test]
    fn txtver_05_04_02() {
        let t = txt(&[
            ("txtver", "0.5"),
            ("netver", "2"),
            ("fwver", "611"),
            ("hwver", "2.0"),
            ("serial", "000378"),
            ("color", "black"),
            ("bootmode", "normal"),
        ]);
        let f = Found::from_txt("MokuGo000378", &t, vec![LOCAL], 80).unwrap();
        assert_eq!((f.serial, f.fwver, f.netver), (378, 611, 2));
        assert_eq!(
            (f.colour.as_str(), f.bootmode.as_str()),
            ("black", "normal")
        );
        assert!(f.has_serial("378") && f.has_serial(" 000378 ") && !f.has_serial("379"));
        let t = txt(&[
            ("txtver", "0.4"),
            ("netver", "1"),
            ("device.fw_version", "500"),
            ("device.hw_version", "1.0"),
            ("device.serial", "12"),
            ("device.colour", "silver"),
            ("system.bootmode", "normal"),
        ]);
        assert_eq!(
            Found::from_txt("a", &t, vec![LOCAL], 80).unwrap().fwver,
            500
        );
        let t = txt(&[
            ("txtver", "0.2"),
            ("netver", "1"),
            ("system.micro", "7"),
            ("device.hw_version", "1.0"),
            ("device.serial", "13"),
            ("device.colour", "silver"),
            ("system.bootmode", "normal"),
        ]);
        assert_eq!(Found::from_txt("a", &t, vec![LOCAL], 80).unwrap().fwver, 7);
    }

    #[test]
    fn bad_records_are_skipped() {
        let good = [
            ("txtver", "0.5"),
            ("netver", "2"),
            ("fwver", "611"),
            ("hwver", "2.0"),
            ("serial", "000378"),
            ("bootmode", "normal"),
        ];
        assert!(Found::from_txt("a", &txt(&good), vec![LOCAL], 80).is_some());
        assert!(Found::from_txt("a", &txt(&good), vec![], 80).is_none());
        for (i, _) in good.iter().enumerate() {
            let mut t = txt(&good);
            t.remove(good[i].0);
            assert!(Found::from_txt("a", &t, vec![LOCAL], 80).is_none(), "{i}");
            let mut t = txt(&good);
            t.insert(good[i].0.to_owned(), "x".into());
            let bootmode_is_text = good[i].0 == "bootmode";
            assert_eq!(
                Found::from_txt("a", &t, vec![LOCAL], 80).is_some(),
                bootmode_is_text,
                "{i}"
            );
        }
        let mut t = txt(&good);
        t.insert("txtver".into(), "0.9".into());
        assert!(Found::from_txt("a", &t, vec![LOCAL], 80).is_none());
    }
}
