//! Turning the user's host string into a URL authority (docs/moku-protocol.md §1.1).

use crate::error::{Error, Result};
use crate::options::ConnectOptions;

/// A cleaned-up device address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// The address without brackets; an IPv6 zone id is kept with a literal `%`.
    pub address: String,
    /// The port, when one was given.
    pub port: Option<u16>,
}

impl Host {
    /// Parses `a.b.c.d`, `a.b.c.d:port`, `name`, `name:port`, an IPv6 literal with or without
    /// brackets and port, with a zone id written `%zone` or `%25zone`. Surrounding quotes and
    /// whitespace are removed first, as the official client does.
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = || Error::InvalidHost(raw.to_owned());
        let s = raw.trim().trim_matches(|c| c == '\'' || c == '"').trim();
        if s.is_empty() {
            return Err(bad());
        }
        let (address, port) = if let Some(rest) = s.strip_prefix('[') {
            let (inner, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(bad)?
                        .parse::<u16>()
                        .map_err(|_| bad())?,
                ),
            };
            (inner.to_owned(), port)
        } else if s.matches(':').count() > 1 {
            (s.to_owned(), None) // bare IPv6 literal: no port possible
        } else if let Some((h, p)) = s.split_once(':') {
            (h.to_owned(), Some(p.parse::<u16>().map_err(|_| bad())?))
        } else {
            (s.to_owned(), None)
        };
        let address = address.replace("%25", "%");
        if address.is_empty()
            || address
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '@' | '[' | ']'))
        {
            return Err(bad());
        }
        Ok(Self { address, port })
    }

    /// The host to connect to: `raw` parsed by [`Host::parse`], or, when `raw` is empty and
    /// [`ConnectOptions::serial`] is set, the device found by mDNS (feature `discovery`): its
    /// first IPv4 address, with the advertised port when
    /// [`ConnectOptions::use_advertised_port`] is set.
    pub fn resolve(raw: &str, options: &ConnectOptions) -> Result<Self> {
        let empty = raw
            .trim()
            .trim_matches(|c| c == '\'' || c == '"')
            .trim()
            .is_empty();
        match (&options.serial, empty) {
            (_, false) => Self::parse(raw),
            (None, true) => Err(Error::NoHost {
                serial_given: false,
            }),
            #[cfg(feature = "discovery")]
            (Some(serial), true) => {
                let found = crate::discovery::find_by_serial(serial, options.discovery_timeout)?;
                Ok(Self {
                    address: found.ipv4_addr().to_string(),
                    port: options.use_advertised_port.then_some(found.port),
                })
            }
            #[cfg(not(feature = "discovery"))]
            (Some(_), true) => Err(Error::NoHost { serial_given: true }),
        }
    }

    /// True for an IPv6 literal.
    pub fn is_ipv6(&self) -> bool {
        self.address.contains(':')
    }

    /// The authority for a URL: IPv6 in brackets with the zone id as `%25`, then `:port`.
    pub fn url_authority(&self) -> String {
        let mut s = if self.is_ipv6() {
            format!("[{}]", self.address.replace('%', "%25"))
        } else {
            self.address.clone()
        };
        if let Some(p) = self.port {
            s.push(':');
            s.push_str(&p.to_string());
        }
        s
    }

    /// The host as `mokucli --ip-address` gets it (the official client passes it as given,
    /// which may include `:port`).
    pub fn for_mokucli(&self) -> String {
        match self.port {
            Some(p) if self.is_ipv6() => format!("[{}]:{p}", self.address),
            Some(p) => format!("{}:{p}", self.address),
            None => self.address.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let h = Host::parse("192.168.1.5").unwrap();
        assert_eq!(h.url_authority(), "192.168.1.5");
        assert_eq!(
            Host::parse(" '10.0.0.1:8080' ").unwrap().url_authority(),
            "10.0.0.1:8080"
        );
        assert_eq!(
            Host::parse("fe80::1%eth0").unwrap().url_authority(),
            "[fe80::1%25eth0]"
        );
        assert_eq!(
            Host::parse("[fe80::1%25eth0]").unwrap().address,
            "fe80::1%eth0"
        );
        assert_eq!(
            Host::parse("[::1]:9000").unwrap().url_authority(),
            "[::1]:9000"
        );
        assert_eq!(Host::parse("\"::1\"").unwrap().url_authority(), "[::1]");
        assert_eq!(
            Host::parse("moku.local").unwrap().url_authority(),
            "moku.local"
        );
        for bad in ["", "a:b", "[::1", "[::1]x", "a b", "h/x", "1.2.3.4:99999"] {
            assert!(Host::parse(bad).is_err(), "{bad}");
        }
    }
}
