//! The channel registry: every channel the instrument offers, with a stable
//! numeric id, its name, whether it is scalar and its sample rate.
//!
//! Sources register their channels here (through
//! [`ElogInstrument::register_channel`](crate::ElogInstrument::register_channel));
//! the engine resolves ITEM names through the [`ChannelCatalog`] impl.
//! Ids are never reused, so a channel that disappears and comes back under the
//! same name is a *different* channel to a running ELOG session.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt;

use elog_core::{ChannelCatalog, ChannelId, ChannelInfo};

/// The longest channel name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// The highest sample rate a channel may declare, in Hz (one sample per 100 ns).
pub const MAX_RATE: f64 = 10e6;

/// Why a channel could not be registered or changed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Another registered channel already has this name.
    DuplicateName(String),
    /// The name is empty, longer than [`MAX_NAME_LEN`] or holds a control character.
    InvalidName(String),
    /// The rate is not a finite number in `(0, MAX_RATE]`.
    InvalidRate(f64),
    /// No channel has this id.
    UnknownChannel(ChannelId),
    /// All `u32` ids were used.
    Exhausted,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateName(n) => write!(f, "a channel named {n:?} already exists"),
            Self::InvalidName(n) => write!(
                f,
                "invalid channel name {n:?} (1 to {MAX_NAME_LEN} bytes, no control characters)"
            ),
            Self::InvalidRate(r) => {
                write!(
                    f,
                    "invalid sample rate {r} Hz (must be > 0 and <= {MAX_RATE})"
                )
            }
            Self::UnknownChannel(id) => write!(f, "no channel with id {}", id.0),
            Self::Exhausted => f.write_str("channel ids exhausted"),
        }
    }
}

impl core::error::Error for RegistryError {}

/// One registered channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelEntry<'a> {
    /// The channel's name (what ITEMs refer to).
    pub name: &'a str,
    /// Id, scalar flag and rate.
    pub info: ChannelInfo,
}

/// Every channel the instrument offers, by stable id.
#[derive(Clone, Debug)]
pub struct ChannelRegistry {
    channels: BTreeMap<ChannelId, (String, ChannelInfo)>,
    next_id: u32,
}

impl Default for ChannelRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl ChannelRegistry {
    /// An empty registry; the first id handed out is 1.
    pub fn new() -> Self {
        Self {
            channels: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Checks a channel name: 1 to [`MAX_NAME_LEN`] bytes, no control characters.
    pub fn check_name(name: &str) -> Result<(), RegistryError> {
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
            Err(RegistryError::InvalidName(name.into()))
        } else {
            Ok(())
        }
    }

    /// Checks a sample rate: finite, `> 0` and `<= MAX_RATE`.
    pub fn check_rate(rate: f64) -> Result<(), RegistryError> {
        if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE {
            Ok(())
        } else {
            Err(RegistryError::InvalidRate(rate))
        }
    }

    /// Registers a scalar channel of `rate` Hz and returns its new id.
    pub fn register(&mut self, name: &str, rate: f64) -> Result<ChannelId, RegistryError> {
        Self::check_rate(rate)?;
        self.register_with(name, true, Some(rate))
    }

    /// Registers a channel with any scalar flag and rate (`None`: asynchronous).
    pub fn register_with(
        &mut self,
        name: &str,
        scalar: bool,
        rate: Option<f64>,
    ) -> Result<ChannelId, RegistryError> {
        Self::check_name(name)?;
        if let Some(r) = rate {
            Self::check_rate(r)?;
        }
        if self.id_of(name).is_some() {
            return Err(RegistryError::DuplicateName(name.into()));
        }
        let id = ChannelId(self.next_id);
        self.next_id = self
            .next_id
            .checked_add(1)
            .ok_or(RegistryError::Exhausted)?;
        let info = ChannelInfo {
            id,
            scalar,
            sample_rate: rate,
        };
        self.channels.insert(id, (name.into(), info));
        Ok(id)
    }

    /// Removes a channel; returns its name, or `None` if the id is unknown.
    pub fn remove(&mut self, id: ChannelId) -> Option<String> {
        self.channels.remove(&id).map(|(name, _)| name)
    }

    /// Changes a channel's rate.
    pub fn set_rate(&mut self, id: ChannelId, rate: f64) -> Result<(), RegistryError> {
        Self::check_rate(rate)?;
        let (_, info) = self
            .channels
            .get_mut(&id)
            .ok_or(RegistryError::UnknownChannel(id))?;
        info.sample_rate = Some(rate);
        Ok(())
    }

    /// The channel with this id.
    pub fn get(&self, id: ChannelId) -> Option<ChannelEntry<'_>> {
        self.channels
            .get(&id)
            .map(|(name, info)| ChannelEntry { name, info: *info })
    }

    /// The id of the channel with this exact name.
    pub fn id_of(&self, name: &str) -> Option<ChannelId> {
        self.channels
            .values()
            .find(|(n, _)| n == name)
            .map(|(_, i)| i.id)
    }

    /// How many channels are registered.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether no channel is registered.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// All channels in id order.
    pub fn iter(&self) -> impl Iterator<Item = ChannelEntry<'_>> + '_ {
        self.channels
            .values()
            .map(|(name, info)| ChannelEntry { name, info: *info })
    }
}

impl ChannelCatalog for ChannelRegistry {
    fn lookup(&self, name: &str) -> Option<ChannelInfo> {
        self.channels
            .values()
            .find(|(n, _)| n == name)
            .map(|(_, i)| *i)
    }

    fn for_each(&self, f: &mut dyn FnMut(ChannelId, &str)) {
        for (name, info) in self.channels.values() {
            f(info.id, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_never_reused() {
        let mut r = ChannelRegistry::new();
        let a = r.register("AI 1/1", 100.0).unwrap();
        let b = r.register("AI 1/2", 1000.0).unwrap();
        assert_eq!((a.0, b.0), (1, 2));
        assert_eq!(r.remove(a).as_deref(), Some("AI 1/1"));
        let c = r.register("AI 1/1", 100.0).unwrap();
        assert_eq!(c.0, 3);
        assert_eq!(r.lookup("AI 1/1").unwrap().id, c);
        assert_eq!(r.lookup("AI 1/2").unwrap().sample_rate, Some(1000.0));
        assert!(r.lookup("nope").is_none());
        let mut seen = alloc::vec::Vec::new();
        r.for_each(&mut |id, n| seen.push((id.0, String::from(n))));
        assert_eq!(seen, [(2, "AI 1/2".into()), (3, "AI 1/1".into())]);
    }

    #[test]
    fn refusals() {
        let mut r = ChannelRegistry::new();
        r.register("x", 1.0).unwrap();
        assert_eq!(
            r.register("x", 1.0),
            Err(RegistryError::DuplicateName("x".into()))
        );
        assert!(matches!(
            r.register("", 1.0),
            Err(RegistryError::InvalidName(_))
        ));
        assert!(matches!(
            r.register("a\nb", 1.0),
            Err(RegistryError::InvalidName(_))
        ));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 2e7] {
            assert!(matches!(
                r.register("y", bad),
                Err(RegistryError::InvalidRate(_))
            ));
        }
        assert_eq!(
            r.set_rate(ChannelId(99), 5.0),
            Err(RegistryError::UnknownChannel(ChannelId(99)))
        );
        let id = r.id_of("x").unwrap();
        r.set_rate(id, 5.0).unwrap();
        assert_eq!(r.get(id).unwrap().info.sample_rate, Some(5.0));
    }
}
