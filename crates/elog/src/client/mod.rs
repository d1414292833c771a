//! The Rust ELOG client: reads records from any ELOG server — this project's
//! (`elog::server`) or DEWETRON OXYGEN itself.
//!
//! [`ElogClient`](crate::client::ElogClient) speaks SCPI over one TCP connection, one query at a time:
//!
//! * **connect**: turns response headers off (`:COMM:HEAD OFF`), reads
//!   `*IDN?` and `*VER?` (field 4 must be ≥ 1.7, as OXYGEN clients require),
//!   drains stale errors and reads the current ELOG configuration back;
//! * **configure** items, period, calculations, format and timestamps with
//!   `elog-core`'s types, each command checked against the error queue;
//! * **run**: `start`/`stop`/`reset`/`state`, the error queue;
//! * **read**: [`ElogClient::fetch`](crate::client::ElogClient::fetch) decodes `FETCh?` answers (ASCII,
//!   BIN_INTEL or BIN_MOTOROLA) with `elog-core`'s decoder — `fetch(n)` at most
//!   `n` records in one request, `fetch(0)` every record waiting — and
//!   [`ElogClient::records`](crate::client::ElogClient::records) is a gap-less stream: it polls `FETCh?`, yields
//!   every record once and in order, and reports records the server had to
//!   drop (its positive-code error) as [`Event::Lost`](crate::client::Event::Lost), never silently.
//!
//! Tolerated from real servers: response headers (`:ELOG:FETC …`), spaces
//! after commas, `NONE`/`ERROR`, every NRf form and the SCPI NaN/∞ sentinels
//! (`9.91E+37`), ABS times with or without fraction digits, quoted or not.
//!
//! Never hangs, never grows: every answer has a deadline
//! ([`ClientOptions::timeout`](crate::client::ClientOptions::timeout)), every answer is bounded
//! ([`ClientOptions::max_response`](crate::client::ClientOptions::max_response); `FETCh?` asks only for as many records as
//! fit), and after a timeout or socket error the connection refuses further
//! use ([`ClientError::Broken`](crate::client::ClientError::Broken)) instead of pairing late answers with new
//! queries.
//!
//! ```no_run
//! use elog::client::{Calc, ElogClient, ElogConfig, Event};
//!
//! let mut client = ElogClient::connect("127.0.0.1:10001")?;
//! client.configure(&ElogConfig::new(["AI 1/1", "AI 1/2"]))?;
//! client.start()?;
//! for event in client.records().take(100) {
//!     match event? {
//!         Event::Record(r) => println!("{} {:?} {:?}", r.seq, r.time_secs(), r.get("AI 1/1", Calc::Avg)),
//!         Event::Lost(lost) => eprintln!("lost {:?} records", lost.count),
//!     }
//! }
//! # Ok::<(), elog::client::ClientError>(())
//! ```

pub mod answer_parsing;
mod config;
mod error;
pub mod response_reader;
mod stream;

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

pub use elog_core::{Calc, CalcList, Format, Layout, RecordTime, Records, State, TimestampMode};

pub use answer_parsing::Identity;
pub use config::ElogConfig;
pub use error::{ClientError, DeviceError, ProtocolVersion, Result};
pub use stream::{Event, Lost, Record, RecordStream, StreamStats, format_time};

use answer_parsing::{preview, quote, strip_header, trim};
use response_reader::ResponseReader;

/// How many error-queue entries one drain reads at most (a queue holds ≥ 16).
const MAX_DRAIN: usize = 256;

/// Connection settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// How long to wait for the TCP connection (per resolved address).
    pub connect_timeout: Duration,
    /// How long one answer may take, from the query to its last byte.
    pub timeout: Duration,
    /// The longest answer accepted, in bytes (allocated zeroed once, so
    /// untouched pages cost nothing). `FETCh?` asks for at most as many
    /// records as fit.
    pub max_response: usize,
    /// The oldest `*VER?` protocol version accepted (`None`: do not ask `*VER?`).
    pub min_version: Option<ProtocolVersion>,
}

impl Default for ClientOptions {
    /// 5 s to connect, 10 s per answer, 16 MiB answers, protocol ≥ 1.7.
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_response: 16 << 20,
            min_version: Some(ProtocolVersion::ELOG),
        }
    }
}

/// What `:ELOG:ITEM` did with the channels given, as the server answered
/// (named apart from `elog_core`'s engine-side `ItemsOutcome`).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct ItemsReply {
    /// The ITEMs as the server reports them afterwards.
    pub accepted: Vec<String>,
    /// One error per channel it left out (unknown, not scalar, repeated, too many).
    pub refused: Vec<DeviceError>,
}

/// A channel the server offers (`:CHANNEL:NAMES?`).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct ChannelName {
    /// The stable channel id, as the server numbers it.
    pub id: u64,
    /// The name ITEMs use.
    pub name: String,
}

/// A connection to an ELOG server.
#[derive(Debug)]
pub struct ElogClient {
    stream: TcpStream,
    peer: SocketAddr,
    reader: ResponseReader,
    opts: ClientOptions,
    line: Vec<u8>,
    out: Vec<u8>,
    identity: Identity,
    version: Option<ProtocolVersion>,
    config: ElogConfig,
    broken: bool,
}

impl ElogClient {
    /// Connects with the default [`ClientOptions`].
    pub fn connect<A: ToSocketAddrs + std::fmt::Display>(addr: A) -> Result<Self> {
        Self::connect_with(addr, ClientOptions::default())
    }

    /// Connects, turns headers off, checks `*IDN?`/`*VER?`, drains stale
    /// errors and reads the ELOG configuration back.
    pub fn connect_with<A: ToSocketAddrs + std::fmt::Display>(
        addr: A,
        opts: ClientOptions,
    ) -> Result<Self> {
        let name = addr.to_string();
        let fail = |source| ClientError::Connect {
            addr: name.clone(),
            source,
        };
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address resolved");
        let mut stream = None;
        for a in addr.to_socket_addrs().map_err(fail)? {
            match TcpStream::connect_timeout(&a, opts.connect_timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let stream = stream.ok_or_else(|| fail(last))?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(opts.timeout.max(Duration::from_millis(1))))?;
        let peer = stream.peer_addr()?;
        let mut client = ElogClient {
            stream,
            peer,
            reader: ResponseReader::new(opts.max_response),
            opts,
            line: Vec::new(),
            out: Vec::new(),
            identity: Identity::default(),
            version: None,
            config: ElogConfig::default(),
            broken: false,
        };
        client.handshake()?;
        Ok(client)
    }

    fn handshake(&mut self) -> Result<()> {
        self.send(":COMM:HEAD OFF")?;
        self.identity = self.ask_parse("*IDN?", answer_parsing::parse_identity)?;
        if let Some(required) = self.opts.min_version {
            let found = self.ask_parse("*VER?", answer_parsing::parse_version)?;
            self.version = Some(found);
            if found < required {
                return Err(ClientError::Version { found, required });
            }
        }
        self.errors()?;
        self.read_config()?;
        Ok(())
    }

    /// The server's `*IDN?` answer.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The server's `*VER?` protocol version (`None` when not asked).
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.version
    }

    /// The server's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The options the client was connected with.
    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// The ELOG configuration as last read from (or accepted by) the server;
    /// `FETCh?` answers are decoded with its [`ElogConfig::layout`].
    pub fn config(&self) -> &ElogConfig {
        &self.config
    }

    /// Whether an earlier timeout or socket error made the connection unusable.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    // ---- raw SCPI -------------------------------------------------------

    /// Sends one program message that has no answer (a LF is appended).
    pub fn send(&mut self, command: &str) -> Result<()> {
        self.write_message(command.as_bytes())
    }

    /// Sends a query and returns its answer as text (header removed, trimmed,
    /// lossy UTF-8).
    pub fn query(&mut self, query: &str) -> Result<String> {
        self.ask(query)?;
        Ok(String::from_utf8_lossy(trim(strip_header(&self.line))).into_owned())
    }

    /// Sends a query and returns its raw answer (terminator removed, nothing else).
    pub fn query_raw(&mut self, query: &str) -> Result<&[u8]> {
        self.ask(query)?;
        Ok(&self.line)
    }

    fn write_message(&mut self, msg: &[u8]) -> Result<()> {
        if self.broken {
            return Err(ClientError::Broken);
        }
        if msg.contains(&b'\n') {
            return Err(ClientError::InvalidArgument(
                "a program message cannot hold a line feed".into(),
            ));
        }
        self.out.clear();
        self.out.extend_from_slice(msg);
        self.out.push(b'\n');
        let r = self.stream.write_all(&self.out);
        r.map_err(|e| self.fatal(ClientError::Io(e)))
    }

    fn read_answer(&mut self) -> Result<()> {
        if self.broken {
            return Err(ClientError::Broken);
        }
        let r = self
            .reader
            .read_line(&mut self.stream, self.opts.timeout, &mut self.line);
        r.map_err(|e| if e.is_fatal() { self.fatal(e) } else { e })
    }

    fn fatal(&mut self, e: ClientError) -> ClientError {
        self.broken = true;
        e
    }

    fn ask(&mut self, query: &str) -> Result<()> {
        self.write_message(query.as_bytes())?;
        self.read_answer()
    }

    fn ask_parse<T>(&mut self, query: &str, parse: impl FnOnce(&[u8]) -> Option<T>) -> Result<T> {
        self.ask(query)?;
        parse(&self.line).ok_or_else(|| ClientError::Malformed {
            query: query.into(),
            answer: preview(&self.line),
        })
    }

    // ---- error queue ----------------------------------------------------

    /// Reads one error-queue entry (`None`: the queue is empty).
    pub fn next_error(&mut self) -> Result<Option<DeviceError>> {
        self.ask_parse(":SYST:ERR?", answer_parsing::parse_error)
    }

    /// Drains the error queue (at most 256 entries), oldest first.
    pub fn errors(&mut self) -> Result<Vec<DeviceError>> {
        let mut out = Vec::new();
        while out.len() < MAX_DRAIN {
            match self.next_error()? {
                Some(e) => out.push(e),
                None => break,
            }
        }
        Ok(out)
    }

    /// Sends a command and fails with [`ClientError::Refused`] if it queued errors.
    pub fn command(&mut self, command: &str) -> Result<()> {
        self.send(command)?;
        let errors = self.errors()?;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ClientError::Refused {
                command: command.into(),
                errors,
            })
        }
    }

    // ---- configuration --------------------------------------------------

    /// Sets the ITEMs (`:ELOG:ITEM "a","b"`); channels the server refuses are
    /// reported, the others kept (as the server does).
    pub fn set_items<S: AsRef<str>>(&mut self, items: &[S]) -> Result<ItemsReply> {
        if items.is_empty() {
            return Err(ClientError::InvalidArgument(
                "ITEMs needs at least one channel".into(),
            ));
        }
        let list: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
        self.send(&format!(":ELOG:ITEM {}", list.join(",")))?;
        let refused = self.errors()?;
        let accepted = self.ask_parse(":ELOG:ITEM?", answer_parsing::parse_names)?;
        self.config.items.clone_from(&accepted);
        Ok(ItemsReply { accepted, refused })
    }

    /// Sets the PERiod (sent as NR2 seconds, like OXYGEN clients do) and
    /// reads back what the server kept.
    pub fn set_period(&mut self, period: Duration) -> Result<()> {
        let mut text = b":ELOG:PER ".to_vec();
        scpi_parser::number::write_nr2_f64(&mut text, period.as_secs_f64())
            .map_err(|_| ClientError::InvalidArgument("period".into()))?;
        let cmd = String::from_utf8_lossy(&text).into_owned();
        self.command(&cmd)?;
        self.config.period = self.ask_parse(":ELOG:PER?", answer_parsing::parse_period)?;
        Ok(())
    }

    /// Sets the CALCulations.
    pub fn set_calcs(&mut self, calcs: CalcList) -> Result<()> {
        let words: Vec<&str> = calcs.as_slice().iter().map(|c| c.as_str()).collect();
        self.command(&format!(":ELOG:CALC {}", words.join(",")))?;
        self.config.calcs = calcs;
        Ok(())
    }

    /// Sets the answer FORMat.
    pub fn set_format(&mut self, format: Format) -> Result<()> {
        self.command(&format!(":ELOG:FORM {}", format.as_str()))?;
        self.config.format = format;
        Ok(())
    }

    /// Sets the TIMestamp mode.
    pub fn set_timestamp(&mut self, timestamp: TimestampMode) -> Result<()> {
        self.command(&format!(":ELOG:TIM {}", timestamp.as_str()))?;
        self.config.timestamp = timestamp;
        Ok(())
    }

    /// Applies a whole configuration; any refusal (a channel left out too) is an error.
    pub fn configure(&mut self, config: &ElogConfig) -> Result<()> {
        let items = self.set_items(&config.items)?;
        if !items.refused.is_empty() {
            return Err(ClientError::Refused {
                command: ":ELOG:ITEM".into(),
                errors: items.refused,
            });
        }
        self.set_period(config.period)?;
        self.set_calcs(config.calcs)?;
        self.set_format(config.format)?;
        self.set_timestamp(config.timestamp)?;
        Ok(())
    }

    /// Reads the whole ELOG configuration back from the server.
    pub fn read_config(&mut self) -> Result<&ElogConfig> {
        self.config = ElogConfig {
            items: self.ask_parse(":ELOG:ITEM?", answer_parsing::parse_names)?,
            period: self.ask_parse(":ELOG:PER?", answer_parsing::parse_period)?,
            calcs: self.ask_parse(":ELOG:CALC?", answer_parsing::parse_calcs)?,
            format: self.ask_parse(":ELOG:FORM?", answer_parsing::parse_format)?,
            timestamp: self.ask_parse(":ELOG:TIM?", answer_parsing::parse_timestamp)?,
        };
        Ok(&self.config)
    }

    /// The channels the server offers (`:CHANNEL:NAMES?`; `NONE` → empty).
    ///
    /// An id that is not a whole number is [`ClientError::Malformed`].
    pub fn channels(&mut self) -> Result<Vec<ChannelName>> {
        self.ask_parse(":CHANNEL:NAMES?", |a| {
            let names = answer_parsing::parse_names(a)?;
            if names.len() % 2 != 0 {
                return None;
            }
            names
                .chunks_exact(2)
                .map(|p| {
                    let id = answer_parsing::unquote(p[0].trim_start_matches('('));
                    Some(ChannelName {
                        id: id.trim().parse().ok()?,
                        name: answer_parsing::unquote(p[1].trim_end_matches(')')),
                    })
                })
                .collect()
        })
    }

    // ---- running --------------------------------------------------------

    /// Reads the configuration back (so answers decode with what the server
    /// really has), then `:ELOG:STARt`.
    pub fn start(&mut self) -> Result<()> {
        self.read_config()?;
        self.command(":ELOG:STAR")
    }

    /// `:ELOG:STOP`: back to CONFIG; the server drops its buffer.
    pub fn stop(&mut self) -> Result<()> {
        self.command(":ELOG:STOP")
    }

    /// `:ELOG:RESet`: CONFIG with all defaults and no ITEMs.
    pub fn reset(&mut self) -> Result<()> {
        self.command(":ELOG:RES")?;
        self.config = ElogConfig::default();
        Ok(())
    }

    /// `:ELOG:STATe?`.
    pub fn state(&mut self) -> Result<State> {
        self.ask_parse(":ELOG:STAT?", answer_parsing::parse_state)
    }

    /// The most records one `FETCh?` may ask for so that its answer fits
    /// [`ClientOptions::max_response`] (at least 1).
    pub fn fetch_limit(&self) -> usize {
        let room = self
            .reader
            .limit()
            .saturating_sub(self.config.answer_overhead());
        (room / self.config.record_bytes().max(1)).clamp(1, u32::MAX as usize)
    }

    /// Fetches and decodes records.
    ///
    /// * `max > 0`: one `FETCh? n` with `n = max.min(`[`ElogClient::fetch_limit`]`)`,
    ///   so at most that many records.
    /// * `max == 0`: **every record waiting** on the server. Each request asks
    ///   for [`ElogClient::fetch_limit`] records (what fits
    ///   [`ClientOptions::max_response`] counted at the worst-case record
    ///   size); while an answer comes back full, the next request follows at
    ///   once. It ends at the first answer that is not full, or once the
    ///   decoded records reach [`ClientOptions::max_response`] bytes (4 per
    ///   value, 8 per time) — the client's memory bound; records beyond it
    ///   stay on the server for the next call.
    ///
    /// `NONE` gives an empty batch; `ERROR` gives [`ClientError::FetchFailed`]
    /// with the queue entries that explain it (records already fetched in the
    /// same call are then lost to the caller: use [`ElogClient::records`] to
    /// read a session that may fail). Records lost before an answer are
    /// reported in the error queue; [`ElogClient::records`] reads them.
    pub fn fetch(&mut self, max: usize) -> Result<Records> {
        let limit = self.fetch_limit();
        if max != 0 {
            return self.fetch_once(max.min(limit));
        }
        let mut all = self.fetch_once(limit)?;
        let mut last = all.len();
        let budget = self.opts.max_response;
        while last >= limit && decoded_bytes(&all) < budget {
            let more = self.fetch_once(limit)?;
            last = more.len();
            if last == 0 {
                break;
            }
            if !all.append(&more) {
                return Err(ClientError::Malformed {
                    query: ":ELOG:FETC?".into(),
                    answer: "records of another layout".into(),
                });
            }
        }
        Ok(all)
    }

    /// One `FETCh? n`, decoded.
    fn fetch_once(&mut self, n: usize) -> Result<Records> {
        self.ask(&format!(":ELOG:FETC? {n}"))?;
        let body = strip_header(&self.line);
        if trim(body).eq_ignore_ascii_case(b"ERROR") {
            let errors = self.errors()?;
            return Err(ClientError::FetchFailed { errors });
        }
        let layout = self.config.layout();
        if layout.format == Format::Ascii && layout.timestamp == TimestampMode::Abs {
            // OXYGEN writes numeric ABS values with a UTC offset; ELOG times
            // are the local clock reading, so an offset is dropped.
            if let Some(local) = answer_parsing::strip_time_zones(body, layout.width + 1) {
                return Ok(elog_core::decode(&local, layout)?);
            }
        }
        Ok(elog_core::decode(body, layout)?)
    }

    /// A gap-less record stream over this connection (see [`RecordStream`]).
    pub fn records(&mut self) -> RecordStream<'_> {
        RecordStream::new(self)
    }
}

/// The memory decoded records take: 4 bytes per value, 8 per timestamp.
fn decoded_bytes(r: &Records) -> usize {
    let per = 4 * r.width() + if r.has_times() { 8 } else { 0 };
    r.len().saturating_mul(per.max(1))
}
