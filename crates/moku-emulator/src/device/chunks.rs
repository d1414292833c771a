//! `POST /api/v2/get_chunk`: the next piece of a running stream, found by stream id or topic
//! (docs/moku-protocol.md §9.3).

use serde_json::{Value, json};

use super::Device;
use crate::reply::Reply;
use crate::session::{Acquisition, Chunk};

impl Device {
    pub(super) fn get_chunk(&mut self, body: &[u8], now: f64) -> Reply {
        let error = |msg: String| Reply::bare_json(&json!({"error": msg}));
        let (id, topic) = match chunk_request(body) {
            Ok(v) => v,
            Err(msg) => return error(msg),
        };
        let topic_slot = topic
            .as_deref()
            .and_then(|t| t.strip_prefix("logformat"))
            .and_then(|k| k.parse::<usize>().ok());
        let found = self.slots.iter().position(|s| {
            s.as_ref()
                .and_then(|d| d.stream.as_ref())
                .is_some_and(|st| Some(st.id.as_str()) == id.as_deref())
        });
        let idx = found.or_else(|| {
            if id.is_some() {
                return None;
            }
            // A null stream id (the official client after stop_streaming): use the topic's slot,
            // or the only slot with a stream.
            match topic_slot {
                Some(k) => Some(k).filter(|k| {
                    self.slots
                        .get(*k)
                        .is_some_and(|s| s.as_ref().is_some_and(|d| d.stream.is_some()))
                }),
                None => self
                    .slots
                    .iter()
                    .position(|s| s.as_ref().is_some_and(|d| d.stream.is_some())),
            }
        });
        let Some(dl) = idx.and_then(|i| self.slots[i].as_mut()) else {
            let shown = id.unwrap_or_else(|| "null".into());
            return error(format!("No stream with id {shown:?}"));
        };
        let Some(stream) = dl.stream.as_mut() else {
            return error("No stream".into());
        };
        let acq = Acquisition {
            inputs: &self.inputs,
            outputs: &dl.settings.outputs,
            frontends: &dl.settings.frontends,
        };
        match stream.next_chunk(&acq, now, self.unix_epoch, self.max_chunk_samples) {
            Chunk::Data(bytes) => Reply::bytes(bytes),
            Chunk::Empty => Reply::bytes(Vec::new()),
            Chunk::End => error("End of stream".into()),
            Chunk::Error(e) => error(e),
        }
    }
}

/// Reads either `{"stream_id": {"<id>": {"topic": "logformat<k>"}}}` or `{"stream_id": "<id>"}`.
/// The id `"null"` (or JSON null) comes back as `None`.
pub(super) fn chunk_request(body: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("get_chunk body is not JSON: {e}"))?;
    let id_of = |s: &str| (s != "null").then(|| s.to_owned());
    match v.get("stream_id") {
        Some(Value::String(s)) => Ok((id_of(s), None)),
        Some(Value::Null) => Ok((None, None)),
        Some(Value::Object(map)) if map.len() == 1 => {
            let (id, inner) = map.iter().next().ok_or("empty stream_id")?;
            let topic = inner
                .get("topic")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok((id_of(id), topic))
        }
        _ => Err("get_chunk body must carry stream_id".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_bodies() {
        let a = chunk_request(br#"{"stream_id": {"logsink0": {"topic": "logformat0"}}}"#).unwrap();
        assert_eq!(a, (Some("logsink0".into()), Some("logformat0".into())));
        let b = chunk_request(br#"{"stream_id": {"null": {"topic": "logformat1"}}}"#).unwrap();
        assert_eq!(b, (None, Some("logformat1".into())));
        assert_eq!(
            chunk_request(br#"{"stream_id": "x"}"#).unwrap(),
            (Some("x".into()), None)
        );
        assert!(chunk_request(b"").is_err());
    }
}
