//! The gap-less record stream: polls `FETCh?`, yields every record once and
//! in order, and reports lost records instead of hiding them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use elog_core::civil::DateTime;
use elog_core::{Calc, CalcList, RecordTime};

use super::ElogClient;
use super::error::{ClientError, DeviceError, Result};

/// The device-specific code this project's server uses for lost records.
const CODE_RECORDS_LOST: i32 = elog_core::error::CODE_RECORDS_LOST as i32;

/// One record, as the stream yields it.
///
/// ```no_run
/// # use elog::client::{Calc, ElogClient, ElogConfig, Event};
/// # let mut client = ElogClient::connect("127.0.0.1:10001")?;
/// # client.configure(&ElogConfig::new(["AI 1/1"]))?;
/// # client.start()?;
/// if let Some(Event::Record(r)) = client.records().next().transpose()? {
///     let avg = r.get("AI 1/1", Calc::Avg);
///     for (item, calc, value) in r.iter() {
///         println!("{item} {calc:?} = {value}");
///     }
/// }
/// # Ok::<(), elog::client::ClientError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Position in this stream, counting lost records whose number is known:
    /// consecutive records have consecutive numbers.
    pub seq: u64,
    /// The timestamp (`None` with `TIM OFF`).
    pub time: Option<RecordTime>,
    /// Items × calculations values, channel-major, as configured
    /// ([`Record::get`] and [`Record::iter`] name them).
    pub values: Vec<f32>,
    columns: Arc<Columns>,
}

/// What the values of a record are: items × calculations, channel-major.
#[derive(Clone, Debug, Default, PartialEq)]
struct Columns {
    items: Vec<String>,
    calcs: CalcList,
}

impl Record {
    /// The value of `calc` for `item` (`None`: not part of this record).
    pub fn get(&self, item: &str, calc: Calc) -> Option<f32> {
        let i = self.columns.items.iter().position(|x| x == item)?;
        let c = self
            .columns
            .calcs
            .as_slice()
            .iter()
            .position(|&x| x == calc)?;
        self.values.get(i * self.columns.calcs.len() + c).copied()
    }

    /// Every value with its item and calculation, in record order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Calc, f32)> + '_ {
        let calcs = self.columns.calcs.as_slice();
        self.columns
            .items
            .iter()
            .flat_map(move |item| calcs.iter().map(move |&c| (item.as_str(), c)))
            .zip(self.values.iter())
            .map(|((item, c), &v)| (item, c, v))
    }

    /// The items (channels) of this record, in record order.
    pub fn items(&self) -> &[String] {
        &self.columns.items
    }

    /// The calculations of each item, in record order.
    pub fn calcs(&self) -> &[Calc] {
        self.columns.calcs.as_slice()
    }

    /// The timestamp in seconds: elapsed seconds for `ELOG`/`REL`, seconds
    /// since 1970-01-01 on the server's local clock for `ABS`; `None` without
    /// a timestamp.
    pub fn time_secs(&self) -> Option<f64> {
        self.time.map(|t| match t {
            RecordTime::Elapsed(d) | RecordTime::Wall(d) => d.as_secs_f64(),
        })
    }

    /// The timestamp as text: elapsed seconds with six decimals
    /// (`12.000125`) or the wall-clock time as `YYYY-MM-DDThh:mm:ss.ffffff`;
    /// `None` without a timestamp.
    pub fn time_text(&self) -> Option<String> {
        self.time.map(format_time)
    }
}

/// Formats a record time the way ASCII answers carry it (rounded to 1 µs).
pub fn format_time(time: RecordTime) -> String {
    match time {
        RecordTime::Elapsed(d) => {
            let us = d.round_micros();
            let sign = if us < 0 { "-" } else { "" };
            let us = us.unsigned_abs();
            format!("{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
        }
        RecordTime::Wall(d) => {
            let t = DateTime::from_unix_micros(d.round_micros());
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
                t.year, t.month, t.day, t.hour, t.minute, t.second, t.micros
            )
        }
    }
}

/// Records the server overwrote before they were fetched.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Lost {
    /// How many (`None` when the server's message does not say).
    pub count: Option<u64>,
    /// The error-queue entry that reported it.
    pub error: DeviceError,
}

/// What the stream yields.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The next record.
    Record(Record),
    /// Records were lost right before the next record.
    Lost(Lost),
}

/// Counters of a stream.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct StreamStats {
    /// Records yielded.
    pub records: u64,
    /// Records reported lost (known counts).
    pub lost: u64,
    /// Loss reports (including those without a count).
    pub loss_reports: u64,
    /// `FETCh?` queries sent.
    pub fetches: u64,
}

/// A gap-less reader of records over an [`ElogClient`].
///
/// Each poll sends `FETCh? n` (as many as fit the answer limit, or
/// [`RecordStream::batch`]), and after an answer with records drains the
/// error queue: an entry reporting lost records (code `+203` here, or any
/// positive code whose text says "lost") becomes [`Event::Lost`] placed
/// before the records of that answer (the lost ones are older); any other
/// entry ends the stream with [`ClientError::Device`] after the records.
/// When an answer was not full the stream waits [`RecordStream::poll_interval`]
/// (counted from the previous query) before asking again; a full answer is
/// followed at once by the next query.
///
/// As an [`Iterator`], `next` blocks until an event arrives; it fails with
/// [`ClientError::Stalled`] if no record comes for the idle limit, and ends
/// after the first error. [`RecordStream::next_before`] waits at most until a
/// deadline.
#[derive(Debug)]
pub struct RecordStream<'c> {
    client: &'c mut ElogClient,
    queue: VecDeque<Event>,
    failure: Option<ClientError>,
    next_seq: u64,
    batch: usize,
    poll: Duration,
    idle_limit: Option<Duration>,
    last_record: Instant,
    next_poll: Instant,
    done: bool,
    stats: StreamStats,
    columns: Arc<Columns>,
}

impl<'c> RecordStream<'c> {
    /// A stream with a poll interval of half the period (1 ms … 1 s) and an
    /// idle limit of two periods plus 10 s.
    pub fn new(client: &'c mut ElogClient) -> Self {
        let period = client.config().period;
        let now = Instant::now();
        RecordStream {
            client,
            queue: VecDeque::new(),
            failure: None,
            next_seq: 0,
            batch: 0,
            poll: (period / 2).clamp(Duration::from_millis(1), Duration::from_secs(1)),
            idle_limit: Some(
                period
                    .saturating_mul(2)
                    .saturating_add(Duration::from_secs(10)),
            ),
            last_record: now,
            next_poll: now,
            done: false,
            stats: StreamStats::default(),
            columns: Arc::default(),
        }
    }

    /// Sets the pause between queries when the server had nothing more.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll = interval;
        self
    }

    /// Asks for at most `n` records per `FETCh?` (0: as many as fit).
    #[must_use]
    pub fn batch(mut self, n: usize) -> Self {
        self.batch = n;
        self
    }

    /// Fails with [`ClientError::Stalled`] after this long without a record
    /// (`None`: wait for ever — the socket still has its own timeouts).
    #[must_use]
    pub fn idle_limit(mut self, limit: Option<Duration>) -> Self {
        self.idle_limit = limit;
        self
    }

    /// The counters so far.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// The connection (e.g. to stop ELOG between events).
    pub fn client(&mut self) -> &mut ElogClient {
        self.client
    }

    /// Waits for the next event until `deadline`: `Ok(None)` when it passed
    /// without one. A query that is due is sent even if the deadline has
    /// passed, so `next_before(Instant::now())` polls without waiting.
    pub fn next_before(&mut self, deadline: Instant) -> Result<Option<Event>> {
        self.next_event(Some(deadline))
    }

    fn next_event(&mut self, deadline: Option<Instant>) -> Result<Option<Event>> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Ok(Some(e));
            }
            if let Some(f) = self.failure.take() {
                self.done = true;
                return Err(f);
            }
            if self.done {
                return Ok(None);
            }
            let now = Instant::now();
            let past_deadline = deadline.is_some_and(|d| now >= d);
            if now >= self.next_poll {
                match self.poll_once() {
                    Err(e) => {
                        self.done = true;
                        return Err(e);
                    }
                    Ok(0) => {
                        // Only an empty answer counts as silence (a caller
                        // that paused does not make the server look stalled).
                        if let Some(limit) = self.idle_limit
                            && Instant::now().duration_since(self.last_record) > limit
                        {
                            self.done = true;
                            return Err(ClientError::Stalled(limit));
                        }
                        // Nothing new and no time left: one poll per late call.
                        if past_deadline {
                            return Ok(None);
                        }
                        continue;
                    }
                    Ok(_) => continue,
                }
            }
            if past_deadline {
                return Ok(None);
            }
            let mut wake = self.next_poll;
            if let Some(d) = deadline {
                wake = wake.min(d);
            }
            thread::sleep(wake - now);
        }
    }

    /// Sends one `FETCh?` (and, after records, drains the error queue); the
    /// events are queued. Returns how many records the answer held.
    fn poll_once(&mut self) -> Result<usize> {
        let asked = Instant::now();
        let limit = if self.batch == 0 {
            self.client.fetch_limit()
        } else {
            self.batch.min(self.client.fetch_limit())
        };
        let records = self.client.fetch(limit)?;
        self.stats.fetches += 1;
        let n = records.len();
        self.next_poll = if n >= limit { asked } else { asked + self.poll };
        if n == 0 {
            return Ok(0);
        }
        // The records are consumed on the server: they are queued even if
        // reading the error queue fails (that failure follows them).
        let errors = self.client.errors().unwrap_or_else(|e| {
            self.failure.get_or_insert(e);
            Vec::new()
        });
        for error in errors {
            if is_loss(&error) {
                let count = loss_count(&error);
                self.next_seq += count.unwrap_or(0);
                self.stats.lost += count.unwrap_or(0);
                self.stats.loss_reports += 1;
                self.queue.push_back(Event::Lost(Lost { count, error }));
            } else if self.failure.is_none() {
                self.failure = Some(ClientError::Device(error));
            }
        }
        let config = self.client.config();
        if config.items != self.columns.items || config.calcs != self.columns.calcs {
            self.columns = Arc::new(Columns {
                items: config.items.clone(),
                calcs: config.calcs,
            });
        }
        for i in 0..n {
            self.queue.push_back(Event::Record(Record {
                columns: self.columns.clone(),
                seq: self.next_seq,
                time: records.time(i),
                values: records.row(i).collect(),
            }));
            self.next_seq += 1;
        }
        self.stats.records += n as u64;
        self.last_record = Instant::now();
        Ok(n)
    }
}

impl Iterator for RecordStream<'_> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event(None).transpose()
    }
}

/// Whether an error-queue entry reports lost records.
fn is_loss(e: &DeviceError) -> bool {
    let says_lost = |s: &str| s.to_ascii_lowercase().contains("lost");
    e.code == CODE_RECORDS_LOST
        || (e.code > 0 && (says_lost(&e.text) || e.detail.as_deref().is_some_and(says_lost)))
}

/// The first whole number in the detail (or else the text).
fn loss_count(e: &DeviceError) -> Option<u64> {
    let first = |s: &str| {
        s.split(|c: char| !c.is_ascii_digit())
            .find(|w| !w.is_empty())
            .and_then(|w| w.parse().ok())
    };
    e.detail
        .as_deref()
        .and_then(first)
        .or_else(|| first(&e.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(code: i32, text: &str, detail: Option<&str>) -> DeviceError {
        DeviceError {
            code,
            text: text.into(),
            detail: detail.map(Into::into),
        }
    }

    #[test]
    fn time_text() {
        use elog_core::Duration;
        assert_eq!(
            format_time(RecordTime::Elapsed(Duration::from_nanos(12_000_125_400))),
            "12.000125"
        );
        assert_eq!(
            format_time(RecordTime::Elapsed(Duration::from_millis(-1500))),
            "-1.500000"
        );
        assert_eq!(
            format_time(RecordTime::Wall(Duration::from_micros(
                1_709_210_096_123_456
            ))),
            "2024-02-29T12:34:56.123456"
        );
    }

    #[test]
    fn loss_reports() {
        let ours = e(203, "ELOG records lost", Some("7 records lost"));
        assert!(is_loss(&ours));
        assert_eq!(loss_count(&ours), Some(7));
        let other = e(1042, "Data lost: 12 values overwritten", None);
        assert!(is_loss(&other));
        assert_eq!(loss_count(&other), Some(12));
        let vague = e(500, "ELOG buffer overrun, data lost", None);
        assert!(is_loss(&vague));
        assert_eq!(loss_count(&vague), None);
        assert!(!is_loss(&e(201, "ELOG channel changed", Some("AI 1/1"))));
        assert!(!is_loss(&e(-221, "Settings conflict", Some("lost"))));
    }
}
