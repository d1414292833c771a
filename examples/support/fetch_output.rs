//! Where `elog_fetch` puts records: an aligned table on stdout or a CSV file,
//! the status line on stderr, and the time axis of the chart.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use elog::client::{ElogConfig, Record, TimestampMode};

/// An aligned table on stdout or CSV in a file.
pub struct Output {
    out: Box<dyn Write>,
    csv: bool,
    with_time: bool,
}

impl Output {
    /// Opens the output (`csv`: a file path) and writes the header.
    pub fn open(csv: Option<&Path>, config: &ElogConfig) -> io::Result<Self> {
        let out: Box<dyn Write> = match csv {
            Some(path) => Box::new(BufWriter::new(File::create(path).map_err(|e| {
                io::Error::new(e.kind(), format!("creating {}: {e}", path.display()))
            })?)),
            None => Box::new(io::stdout().lock()),
        };
        let mut output = Output {
            out,
            csv: csv.is_some(),
            with_time: config.timestamp.is_on(),
        };
        output.header(config)?;
        Ok(output)
    }

    /// Whether records go to a CSV file (stdout is free for nothing else).
    pub fn is_csv(&self) -> bool {
        self.csv
    }

    fn header(&mut self, config: &ElogConfig) -> io::Result<()> {
        let mut cols = vec!["seq".to_string()];
        if self.with_time {
            cols.push("time".into());
        }
        for item in &config.items {
            for c in config.calcs.as_slice() {
                cols.push(format!("{item}.{}", c.as_str()));
            }
        }
        if self.csv {
            let quoted: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
            writeln!(self.out, "{}", quoted.join(","))
        } else {
            self.row(&cols)
        }
    }

    /// Writes one record.
    pub fn record(&mut self, r: &Record) -> io::Result<()> {
        let mut cols = vec![r.seq.to_string()];
        if self.with_time {
            cols.push(r.time_text().unwrap_or_default());
        }
        cols.extend(r.values.iter().map(|v| format!("{v}")));
        if self.csv {
            writeln!(self.out, "{}", cols.join(","))
        } else {
            self.row(&cols)
        }
    }

    fn row(&mut self, cols: &[String]) -> io::Result<()> {
        let mut line = String::new();
        for (i, c) in cols.iter().enumerate() {
            let width = match (i, self.with_time) {
                (0, _) => 8,
                (1, true) => 27,
                _ => 14,
            };
            line.push_str(&format!("{c:>width$} "));
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes; a closed stdout is not an error here (the run is ending or
    /// will notice on its next write).
    pub fn flush_quietly(&mut self) -> io::Result<()> {
        match self.out.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The status line on stderr: rewritten in place on a terminal, once a
/// second as its own line otherwise.
pub struct Status {
    tty: bool,
    started: Instant,
    last: Instant,
    shown: bool,
}

impl Status {
    /// A status line; `tty`: stderr is a terminal that does not share
    /// its lines with the table.
    pub fn new(tty: bool, started: Instant) -> Self {
        Status {
            tty,
            started,
            last: started,
            shown: false,
        }
    }

    /// Removes the status line before table rows go to the same terminal.
    pub fn clear(&mut self) {
        if self.tty && self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }

    /// Shows the counters (at most once a second unless `done`).
    pub fn show(&mut self, records: u64, lost: u64, reports: u64, done: bool) {
        let now = Instant::now();
        if !done && now.duration_since(self.last) < Duration::from_secs(1) {
            return;
        }
        self.last = now;
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-9);
        let unknown = if reports > 0 && lost == 0 {
            format!(" ({reports} loss reports)")
        } else {
            String::new()
        };
        let text = format!(
            "{records} records, {:.1} records/s, {lost} lost{unknown}, {secs:.1} s",
            records as f64 / secs
        );
        if self.tty && !done {
            eprint!("\r\x1b[2K{text}");
            self.shown = true;
        } else if self.tty {
            eprintln!("\r\x1b[2K{text}");
        } else {
            eprintln!("{text}");
        }
    }
}

/// The chart's time axis: seconds, from the records' timestamps.
pub struct Timeline {
    timestamp: TimestampMode,
    period: f64,
    first: Option<f64>,
    series: Vec<String>,
}

impl Timeline {
    /// The time axis (and series names) of records under `config`.
    pub fn new(config: &ElogConfig) -> Self {
        let series = config
            .items
            .iter()
            .flat_map(|item| {
                config
                    .calcs
                    .as_slice()
                    .iter()
                    .map(move |c| format!("{item} {}", c.as_str()))
            })
            .collect();
        Timeline {
            timestamp: config.timestamp,
            period: config.period.as_secs_f64(),
            first: None,
            series,
        }
    }

    /// The series, one per item and calculation, in record order.
    pub fn series(&self) -> Vec<String> {
        self.series.clone()
    }

    /// The x of a record in seconds.
    pub fn x(&mut self, r: &Record) -> f64 {
        match (self.timestamp, r.time_secs()) {
            (TimestampMode::Abs, Some(t)) => t - *self.first.get_or_insert(t),
            (_, Some(t)) => t,
            (_, None) => (r.seq + 1) as f64 * self.period,
        }
    }

    /// What the x axis shows.
    pub fn x_label(&self) -> &'static str {
        match self.timestamp {
            TimestampMode::Abs => "time since the first record (s)",
            TimestampMode::Off => "record number × period (s)",
            _ => "time (s)",
        }
    }
}
