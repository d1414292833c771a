//! Multi-instrument mode (docs/moku-protocol.md §4): the platform with `num_slots` slots, the
//! instruments in them, the signal wiring between inputs, slots and outputs
//! (`set_connections`), and the front-end and output settings that in this mode belong to the
//! platform, not to an instrument (`mim/set_frontend`, `mim/set_output`).

use serde_json::{Map, Value};

use crate::bitstreams::{empty_slot_name, platform_name};
use crate::datalogger_types::{FrontendSettings, str_field};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::limits::ModelLimits;
use crate::options::ConnectOptions;
use crate::reply_envelope::expect;
use crate::request_body::Object;
use crate::session::Session;
use crate::transport::Transport;
use crate::values::{Bandwidth, Coupling, Impedance, Model};

/// One end of a connection: a physical input or output, a slot's input or output, or DIO.
///
/// Written as the device spells it: `Input1`, `Output2`, `Slot2InA`, `Slot1OutB`, `DIO`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// A physical input (ADC), 1-based: `Input1`.
    Input(u8),
    /// A physical output (DAC), 1-based: `Output1`.
    Output(u8),
    /// Input `port` (`'A'`, `'B'`, …) of the instrument in `slot` (1-based): `Slot2InA`.
    SlotIn(u8, char),
    /// Output `port` of the instrument in `slot`: `Slot2OutA`.
    SlotOut(u8, char),
    /// The digital I/O port (Moku:Go and Moku:Delta): `DIO`.
    Dio,
    /// Any other name, sent verbatim.
    Other(String),
}

impl Endpoint {
    /// The name the device uses.
    pub fn as_string(&self) -> String {
        match self {
            Self::Input(n) => format!("Input{n}"),
            Self::Output(n) => format!("Output{n}"),
            Self::SlotIn(s, p) => format!("Slot{s}In{p}"),
            Self::SlotOut(s, p) => format!("Slot{s}Out{p}"),
            Self::Dio => "DIO".into(),
            Self::Other(s) => s.clone(),
        }
    }

    /// Parses a device name (`Input1`, `Slot2OutA`, `DIO`); anything else is [`Endpoint::Other`].
    pub fn parse(raw: &str) -> Self {
        let num = |s: &str| s.parse::<u8>().ok().filter(|n| *n > 0);
        let port = |s: &str| {
            let mut c = s.chars();
            match (c.next(), c.next()) {
                (Some(p), None) if p.is_ascii_uppercase() => Some(p),
                _ => None,
            }
        };
        if raw == "DIO" {
            return Self::Dio;
        }
        if let Some(n) = raw.strip_prefix("Input").and_then(num) {
            return Self::Input(n);
        }
        if let Some(n) = raw.strip_prefix("Output").and_then(num) {
            return Self::Output(n);
        }
        if let Some(rest) = raw.strip_prefix("Slot") {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            let (n, tail) = rest.split_at(digits);
            if let Some(s) = num(n) {
                if let Some(p) = tail.strip_prefix("In").and_then(port) {
                    return Self::SlotIn(s, p);
                }
                if let Some(p) = tail.strip_prefix("Out").and_then(port) {
                    return Self::SlotOut(s, p);
                }
            }
        }
        Self::Other(raw.to_owned())
    }

    /// A connection from this source to `destination`: `Endpoint::Input(1).to(Endpoint::SlotIn(2, 'A'))`.
    pub fn to(self, destination: Endpoint) -> Connection {
        Connection {
            source: self,
            destination,
        }
    }
}

impl core::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.as_string())
    }
}

/// One wire of `set_connections`: a signal from `source` to `destination`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Where the signal comes from (an input, a slot's output or DIO).
    pub source: Endpoint,
    /// Where it goes (an output, a slot's input or DIO).
    pub destination: Endpoint,
}

impl Connection {
    fn to_object(&self) -> Object {
        Object::new()
            .with("source", self.source.as_string())
            .with("destination", self.destination.as_string())
    }

    fn from_value(operation: &str, v: &Value) -> Result<Self> {
        let end = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .map(Endpoint::parse)
                .ok_or_else(|| Error::MalformedReply {
                    operation: operation.to_owned(),
                    reason: format!("a connection has no string `{key}`"),
                })
        };
        Ok(Self {
            source: end("source")?,
            destination: end("destination")?,
        })
    }
}

impl core::fmt::Display for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} -> {}", self.source, self.destination)
    }
}

/// A Moku in multi-instrument mode: the platform with `num_slots` slots.
#[derive(Clone, Debug)]
pub struct MultiInstrument {
    session: Session,
    num_slots: u8,
    strict: bool,
}

impl MultiInstrument {
    /// Connects and sets up the `num_slots` platform over the default transport: claim,
    /// describe, `platform_supported`, the platform and empty-slot bitstreams (uploaded from the
    /// data directory when the device lacks them), then `GET /api/moku/platform/<n>`.
    #[cfg(feature = "ureq")]
    pub fn connect(host: &str, num_slots: u8, options: ConnectOptions) -> Result<Self> {
        let h = Host::resolve(host, &options)?;
        let transport = crate::UreqTransport::new(&h, options.timeouts);
        Self::connect_with(h, Box::new(transport), num_slots, options)
    }

    /// Like [`MultiInstrument::connect`] over any [`Transport`].
    pub fn connect_with(
        host: Host,
        transport: Box<dyn Transport>,
        num_slots: u8,
        options: ConnectOptions,
    ) -> Result<Self> {
        let session = Session::connect_with(host, transport, options)?;
        let sh = &session.shared;
        sh.guarded(|| {
            let body = Object::new().with("num_slots", num_slots);
            expect::null(
                "moku/platform_supported",
                &sh.post("moku/platform_supported", Some(&body))?,
            )
        })?;
        sh.connect_bitstream(&platform_name(num_slots))?;
        for i in 0..num_slots {
            sh.connect_bitstream(&empty_slot_name(num_slots, i))?;
        }
        sh.guarded(|| {
            let op = format!("moku/platform/{num_slots}");
            expect::null(&op, &sh.get(&op)?)
        })?;
        Ok(Self {
            session,
            num_slots,
            strict: true,
        })
    }

    /// The underlying session (files, describe, warnings).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The number of slots.
    pub fn num_slots(&self) -> u8 {
        self.num_slots
    }

    /// A handle on the same platform whose setters send `strict` (the official client's
    /// per-call `strict=` argument); `self` is unchanged.
    #[must_use]
    pub fn with_strict(&self, strict: bool) -> Self {
        Self {
            strict,
            ..self.clone()
        }
    }

    fn limits(&self) -> Option<ModelLimits> {
        if !self.session.shared.validate() {
            return None;
        }
        ModelLimits::for_model(&self.session.model())
    }

    /// `GET /api/mim/get_instruments`: one string per slot, `""` for an empty slot.
    pub fn get_instruments(&self) -> Result<Vec<String>> {
        expect::strings(
            "mim/get_instruments",
            self.session.shared.get("mim/get_instruments")?,
        )
    }

    /// Deploys a Datalogger into `slot` (1-based) as `set_instrument(slot, Datalogger)` does.
    pub fn set_datalogger(&self, slot: u8) -> Result<crate::Datalogger> {
        crate::Datalogger::for_slot(slot, self)
    }

    /// Checks one wire locally: direction, slot and channel numbers, DIO on the model.
    fn check_connection(&self, c: &Connection) -> Result<()> {
        let Some(l) = self.limits() else {
            return Ok(());
        };
        let model = self.session.model();
        let dio = matches!(model, Model::Go | Model::Delta);
        let bad = |end: &Endpoint, allowed: String| Error::InvalidArgument {
            parameter: "connections",
            value: format!("{c}"),
            allowed: format!("{allowed} (at {end})"),
            model: model.to_string(),
        };
        let slot_ok = |s: u8| (1..=self.num_slots).contains(&s);
        let chan_ok = |n: u8| (1..=l.channels).contains(&n);
        let check = |end: &Endpoint, source: bool| -> Result<()> {
            let what = if source {
                format!(
                    "a source: Input1–Input{}, Slot<1–{}>Out<A…>{}",
                    l.channels,
                    self.num_slots,
                    if dio { ", DIO" } else { "" }
                )
            } else {
                format!(
                    "a destination: Output1–Output{}, Slot<1–{}>In<A…>{}",
                    l.channels,
                    self.num_slots,
                    if dio { ", DIO" } else { "" }
                )
            };
            let ok = match (end, source) {
                (Endpoint::Input(n), true) | (Endpoint::Output(n), false) => chan_ok(*n),
                (Endpoint::SlotOut(s, _), true) | (Endpoint::SlotIn(s, _), false) => slot_ok(*s),
                (Endpoint::Dio, _) => dio,
                (Endpoint::Other(_), _) => true,
                _ => false,
            };
            if ok { Ok(()) } else { Err(bad(end, what)) }
        };
        check(&c.source, true)?;
        check(&c.destination, false)
    }

    /// `POST /api/mim/set_connections` with `{"connections": [{"source", "destination"}, …]}`.
    /// Connections are incremental on the device: each replaces the one wire into its
    /// destination. Returns the list the device answers with.
    pub fn set_connections(&self, connections: &[Connection]) -> Result<Vec<Connection>> {
        for c in connections {
            self.check_connection(c)?;
        }
        let list: Vec<Object> = connections.iter().map(Connection::to_object).collect();
        let body = Object::new().with("connections", list);
        let op = "mim/set_connections";
        Self::connections_reply(op, self.session.shared.post(op, Some(&body))?)
    }

    /// `GET /api/mim/get_connections`.
    pub fn get_connections(&self) -> Result<Vec<Connection>> {
        let op = "mim/get_connections";
        Self::connections_reply(op, self.session.shared.get(op)?)
    }

    fn connections_reply(op: &str, data: Value) -> Result<Vec<Connection>> {
        match data {
            Value::Array(items) => items
                .iter()
                .map(|v| Connection::from_value(op, v))
                .collect(),
            Value::Null => Ok(Vec::new()),
            other => Err(Error::MalformedReply {
                operation: op.into(),
                reason: format!("expected a list of connections, got {other}"),
            }),
        }
    }

    /// `POST /api/mim/set_frontend`: in multi-instrument mode the inputs are set here, with
    /// `attenuation` or `gain` (e.g. `"0dB"`, `"20dB"`; model-dependent) instead of a range.
    pub fn set_frontend(
        &self,
        channel: u8,
        impedance: Impedance,
        coupling: Coupling,
        attenuation: Option<&str>,
        gain: Option<&str>,
        bandwidth: Option<Bandwidth>,
    ) -> Result<FrontendSettings> {
        if let Some(l) = self.limits() {
            l.check_channel(channel)?;
            if self.strict {
                l.check_member("impedance", &impedance, l.impedances)?;
            }
        }
        let body = Object::new()
            .with("strict", self.strict)
            .with("channel", channel)
            .with("impedance", impedance.as_str())
            .with("coupling", coupling.as_str())
            .with("attenuation", attenuation)
            .with("gain", gain)
            .with("bandwidth", bandwidth.as_ref().map(Bandwidth::as_str));
        let op = "mim/set_frontend";
        Ok(FrontendSettings::from_map(expect::object(
            op,
            self.session.shared.post(op, Some(&body))?,
        )?))
    }

    /// `POST /api/mim/get_frontend` with `{"channel"}`.
    pub fn get_frontend(&self, channel: u8) -> Result<FrontendSettings> {
        if let Some(l) = self.limits() {
            l.check_channel(channel)?;
        }
        let op = "mim/get_frontend";
        let body = Object::new().with("channel", channel);
        Ok(FrontendSettings::from_map(expect::object(
            op,
            self.session.shared.post(op, Some(&body))?,
        )?))
    }

    /// `POST /api/mim/set_output`: the output gain (`"0dB"`, `"14dB"` on Pro, `"20dB"` on
    /// Delta) of one output; returns the gain the device reports.
    pub fn set_output(&self, channel: u8, output_gain: &str) -> Result<String> {
        if let Some(l) = self.limits() {
            l.check_channel(channel)?;
        }
        let op = "mim/set_output";
        let body = Object::new()
            .with("strict", self.strict)
            .with("channel", channel)
            .with("output_gain", output_gain);
        Self::gain_reply(op, self.session.shared.post(op, Some(&body))?)
    }

    /// `POST /api/mim/get_output` with `{"channel"}`: the output gain.
    pub fn get_output(&self, channel: u8) -> Result<String> {
        if let Some(l) = self.limits() {
            l.check_channel(channel)?;
        }
        let op = "mim/get_output";
        let body = Object::new().with("channel", channel);
        Self::gain_reply(op, self.session.shared.post(op, Some(&body))?)
    }

    fn gain_reply(op: &str, data: Value) -> Result<String> {
        let m: Map<String, Value> = expect::object(op, data)?;
        str_field(&m, "output_gain").ok_or_else(|| Error::MalformedReply {
            operation: op.into(),
            reason: "no string `output_gain`".into(),
        })
    }

    /// Sends `relinquish_ownership` now.
    pub fn relinquish_ownership(&self) -> Result<()> {
        self.session.relinquish_ownership()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_round_trip_their_device_names() {
        for raw in ["Input1", "Output8", "Slot2InA", "Slot12OutB", "DIO"] {
            let e = Endpoint::parse(raw);
            assert!(!matches!(e, Endpoint::Other(_)), "{raw}");
            assert_eq!(e.to_string(), raw);
        }
        assert_eq!(Endpoint::parse("Slot2InA"), Endpoint::SlotIn(2, 'A'));
        for odd in ["Input0", "Slot2Ina", "SlotInA", "Output", "x"] {
            assert_eq!(Endpoint::parse(odd), Endpoint::Other(odd.into()), "{odd}");
        }
        let c = Endpoint::Input(1).to(Endpoint::SlotIn(2, 'A'));
        assert_eq!(
            c.to_object().to_json(),
            r#"{"source": "Input1", "destination": "Slot2InA"}"#
        );
    }
}
