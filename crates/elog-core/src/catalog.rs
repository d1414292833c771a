//! The channel catalogue: the host's side of channel identity.
//!
//! The engine knows no hardware. The host implements [`ChannelCatalog`] to
//! resolve ITEM names to stable numeric [`ChannelId`]s with their kind and
//! rate, and tells the engine when a channel changes or disappears
//! ([`Engine::channel_changed`](crate::Engine::channel_changed),
//! [`Engine::channel_removed`](crate::Engine::channel_removed)).

/// A stable numeric channel identity (what `:CHANNELlist:NAMes?` pairs with the name).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct ChannelId(pub u32);

/// What the engine needs to know about one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize, serde::Serialize))]
pub struct ChannelInfo {
    /// The channel's stable id.
    pub id: ChannelId,
    /// Whether the channel is scalar (only scalar channels can be ITEMs).
    pub scalar: bool,
    /// The sample rate in Hz; `None` for asynchronous channels (no period check at STARt).
    pub sample_rate: Option<f64>,
}

/// The host's channel directory.
pub trait ChannelCatalog {
    /// Looks a channel up by its exact name.
    fn lookup(&self, name: &str) -> Option<ChannelInfo>;

    /// Calls `f` with every channel's id and name, in id order (for `:CHANNELlist:NAMes?`).
    fn for_each(&self, f: &mut dyn FnMut(ChannelId, &str));
}

impl<C: ChannelCatalog + ?Sized> ChannelCatalog for &C {
    fn lookup(&self, name: &str) -> Option<ChannelInfo> {
        (**self).lookup(name)
    }

    fn for_each(&self, f: &mut dyn FnMut(ChannelId, &str)) {
        (**self).for_each(f);
    }
}

/// Writes a SCPI string data element: `"` + text with `"` doubled + `"`.
pub fn write_quoted<S: scpi_parser::Sink + ?Sized>(
    out: &mut S,
    text: &str,
) -> Result<(), scpi_parser::SinkError> {
    out.write_byte(b'"')?;
    for part in text.split_inclusive('"') {
        out.write(part.as_bytes())?;
        if part.ends_with('"') {
            out.write_byte(b'"')?;
        }
    }
    out.write_byte(b'"')
}

/// Writes the `:CHANNELlist:NAMes?` answer: `("<id>","<name>"),("<id>","<name>")` or `NONE`.
pub fn write_channel_names<C: ChannelCatalog + ?Sized, S: scpi_parser::Sink + ?Sized>(
    catalog: &C,
    out: &mut S,
) -> Result<(), scpi_parser::SinkError> {
    let mut result = Ok(());
    let mut first = true;
    catalog.for_each(&mut |id, name| {
        if result.is_err() {
            return;
        }
        result = (|| {
            if !first {
                out.write_byte(b',')?;
            }
            out.write(b"(\"")?;
            scpi_parser::number::write_nr1(out, i64::from(id.0))?;
            out.write(b"\",")?;
            write_quoted(out, name)?;
            out.write_byte(b')')
        })();
        first = false;
    });
    result?;
    if first {
        out.write(b"NONE")?;
    }
    Ok(())
}

/// A ready-made catalogue over a list of `(name, info)` pairs (tests, small hosts).
#[derive(Clone, Debug, Default)]
pub struct StaticCatalog {
    channels: alloc::vec::Vec<(alloc::string::String, ChannelInfo)>,
}

impl StaticCatalog {
    /// An empty catalogue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scalar channel with a fixed rate; its id is its position. Returns the id.
    pub fn add_scalar(&mut self, name: &str, sample_rate: f64) -> ChannelId {
        self.add(name, true, Some(sample_rate))
    }

    /// Adds a channel; its id is its position. Returns the id.
    pub fn add(&mut self, name: &str, scalar: bool, sample_rate: Option<f64>) -> ChannelId {
        let id = ChannelId(u32::try_from(self.channels.len()).unwrap_or(u32::MAX));
        self.channels.push((
            name.into(),
            ChannelInfo {
                id,
                scalar,
                sample_rate,
            },
        ));
        id
    }

    /// Changes a channel's rate (the host must then call `Engine::channel_changed`).
    pub fn set_rate(&mut self, id: ChannelId, sample_rate: Option<f64>) {
        if let Some((_, info)) = self.channels.iter_mut().find(|(_, i)| i.id == id) {
            info.sample_rate = sample_rate;
        }
    }

    /// Removes a channel (the host must then call `Engine::channel_removed`).
    pub fn remove(&mut self, id: ChannelId) {
        self.channels.retain(|(_, i)| i.id != id);
    }
}

impl ChannelCatalog for StaticCatalog {
    fn lookup(&self, name: &str) -> Option<ChannelInfo> {
        self.channels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| *i)
    }

    fn for_each(&self, f: &mut dyn FnMut(ChannelId, &str)) {
        for (n, i) in &self.channels {
            f(i.id, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn channel_names_answer() {
        let mut c = StaticCatalog::new();
        let mut v = Vec::new();
        write_channel_names(&c, &mut v).unwrap();
        assert_eq!(v, b"NONE");
        c.add_scalar("AI 1/1", 10.0);
        c.add("say \"x\"", true, None);
        let mut v = Vec::new();
        write_channel_names(&c, &mut v).unwrap();
        assert_eq!(v, b"(\"0\",\"AI 1/1\"),(\"1\",\"say \"\"x\"\"\")");
        let mut buf = [0u8; 5];
        assert!(write_channel_names(&c, &mut scpi_parser::SliceSink::new(&mut buf)).is_err());
        assert_eq!(c.lookup("AI 1/1").unwrap().id, ChannelId(0));
        c.remove(ChannelId(0));
        assert!(c.lookup("AI 1/1").is_none());
    }
}
