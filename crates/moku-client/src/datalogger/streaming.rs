//! Streaming: `start_streaming`, `get_stream_status`, `stop_streaming` and the raw
//! `get_chunk` data path (docs/moku-protocol.md §9).

use serde_json::Value;

use super::Datalogger;
use crate::datalogger_types::{
    StreamStarted, StreamStatus, StreamingOptions, f64_field, required, str_field,
};
use crate::error::{Error, Result};
use crate::exchange::Body;
use crate::request_body::Object;
use crate::transport::Method;
use crate::values::TriggerSource;

impl Datalogger {
    /// `POST start_streaming`; stores the `stream_id` for [`Datalogger::get_chunk`].
    ///
    /// Unlike the official client this does not run `mokucli --version` first: the native LI
    /// decoder ([`crate::li`]) makes mokucli optional.
    pub fn start_streaming(&self, options: &StreamingOptions) -> Result<StreamStarted> {
        self.check_session(
            false,
            options.sample_rate,
            options.trigger_source.as_ref(),
            options.trigger_level,
        )?;
        let body = self
            .setter()
            .with("duration", options.duration)
            .with("sample_rate", options.sample_rate)
            .with(
                "trigger_source",
                options.trigger_source.as_ref().map(TriggerSource::as_str),
            )
            .with("trigger_level", options.trigger_level);
        let op = self.op("start_streaming");
        let raw = self.post_obj("start_streaming", Some(&body))?;
        let stream_id = required(&op, "stream_id", str_field(&raw, "stream_id"))?;
        *self
            .stream_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(stream_id.clone());
        Ok(StreamStarted {
            stream_id,
            sample_rate: f64_field(&raw, "sample_rate"),
            raw,
        })
    }

    /// `POST get_stream_status` (empty body).
    pub fn get_stream_status(&self) -> Result<StreamStatus> {
        Ok(StreamStatus::from_map(
            self.post_obj("get_stream_status", None)?,
        ))
    }

    /// `POST stop_streaming` (empty body). The stream id is kept so that remaining chunks can
    /// still be fetched (the official 4.4 client clears it and then sends `"null"`).
    pub fn stop_streaming(&self) -> Result<()> {
        self.post(&self.op("stop_streaming"), None).map(drop)
    }

    /// `POST /api/v2/get_chunk` for the current stream: the raw LI bytes of the next chunk.
    /// Decode them with [`crate::li::decode`]. End of stream is
    /// [`Error::Stream`]`("End of stream")` (see [`Error::is_end_of_stream`]).
    pub fn get_chunk(&self) -> Result<Vec<u8>> {
        let id = self.stream_id().unwrap_or_else(|| "null".to_owned());
        self.get_chunk_for(&id)
    }

    /// `POST /api/v2/get_chunk` for an explicit stream id.
    pub fn get_chunk_for(&self, stream_id: &str) -> Result<Vec<u8>> {
        let topic = format!("logformat{}", self.slot - 1);
        let body = Object::new().with(
            "stream_id",
            Object::new().with(stream_id, Object::new().with("topic", topic)),
        );
        let text = body.to_json();
        let r = self
            .sh()
            .raw(Method::Post, "v2/get_chunk", Body::Json(&text), false)?;
        if r.status != 200 {
            return Err(Error::Stream("Error fetching stream.".into()));
        }
        let first = r.body.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{')
            && let Ok(Value::Object(obj)) = crate::reply_envelope::parse_json(&r.body)
        {
            return Err(Error::Stream(match obj.get("error") {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => Value::Object(obj).to_string(),
            }));
        }
        Ok(r.body)
    }
}
