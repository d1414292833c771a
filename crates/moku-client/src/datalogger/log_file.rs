//! Settings files (`save_settings` / `load_settings`, docs/moku-protocol.md §10), ownership, and
//! a logging session run to its end with the `.li` file downloaded (§8).

use std::path::Path;
use std::time::Duration;

use super::Datalogger;
use crate::datalogger_types::{LoggingOptions, LoggingProgress, LoggingStarted, required};
use crate::error::{Error, Result};
use crate::exchange::Body;
use crate::transport::{Method, Stack};
use crate::values::FileTarget;

/// Progress of [`Datalogger::log_to_file`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LogEvent {
    /// Logging started; the reply of `start_logging`.
    Started(LoggingStarted),
    /// One `logging_progress` poll.
    Progress(LoggingProgress),
    /// Download progress: bytes so far and the total if known.
    Downloading {
        /// Bytes received.
        received: u64,
        /// Content length, when the device sent one.
        total: Option<u64>,
    },
}

/// The result of [`Datalogger::log_to_file`].
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedFile {
    /// The file target the file was downloaded from.
    pub location: FileTarget,
    /// The device's file name.
    pub file_name: String,
    /// Bytes downloaded.
    pub bytes: u64,
    /// The last progress report.
    pub progress: LoggingProgress,
}

impl Datalogger {
    /// `GET save_settings`: the raw `.mokuconf` bytes.
    pub fn save_settings_bytes(&self) -> Result<Vec<u8>> {
        let op = self.op("save_settings");
        let r = self.sh().raw(Method::Get, &op, Body::None, false)?;
        if r.status != 200 {
            return Err(Error::DownloadFailed {
                operation: op,
                status: r.status,
                body: String::from_utf8_lossy(&r.body).into_owned(),
            });
        }
        Ok(r.body)
    }

    /// `GET save_settings` into the file `path`.
    pub fn save_settings(&self, path: &Path) -> Result<()> {
        let bytes = self.save_settings_bytes()?;
        std::fs::write(path, bytes)?;
        Ok(())
    }

    /// `POST load_settings` with raw `.mokuconf` bytes (no Content-Type).
    pub fn load_settings_bytes(&self, settings: &[u8]) -> Result<()> {
        let op = self.op("load_settings");
        self.sh()
            .call(Method::Post, &op, Body::Raw(settings), Stack::Bulk, true)
            .map(drop)
    }

    /// `POST load_settings` with the contents of the file `path`.
    pub fn load_settings(&self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path)?;
        self.load_settings_bytes(&bytes)
    }

    /// Relinquishes ownership if this Datalogger owns the device; a no-op for a slot of a
    /// multi-instrument platform (the platform owns it).
    pub fn relinquish_ownership(&self) -> Result<()> {
        if self.multi {
            Ok(())
        } else {
            self.session.relinquish_ownership()
        }
    }

    /// Runs a logging session to its end and downloads the `.li` file into `writer`:
    /// `start_logging`, `logging_progress` every `poll` until `complete`, then the download
    /// from `location` (or the model's default location). `on_event` sees every step.
    pub fn log_to_writer(
        &self,
        options: &LoggingOptions,
        poll: Duration,
        writer: &mut dyn std::io::Write,
        on_event: &mut dyn FnMut(&LogEvent),
    ) -> Result<LoggedFile> {
        let started = self.start_logging(options)?;
        on_event(&LogEvent::Started(started.clone()));
        let op = self.op("start_logging");
        let mut file_name = required(&op, "file_name", started.file_name.clone())?;
        let location = FileTarget::from_raw(
            &started
                .location
                .clone()
                .unwrap_or_else(|| self.session.model().log_location().to_owned()),
        );
        let progress = loop {
            let p = self.logging_progress()?;
            on_event(&LogEvent::Progress(p.clone()));
            if p.complete {
                break p;
            }
            std::thread::sleep(poll);
        };
        if let Some(f) = &progress.file_name
            && !f.is_empty()
        {
            file_name.clone_from(f);
        }
        let bytes =
            self.session
                .download_to(&location, &file_name, writer, &mut |received, total| {
                    on_event(&LogEvent::Downloading { received, total });
                })?;
        Ok(LoggedFile {
            location,
            file_name,
            bytes,
            progress,
        })
    }

    /// [`Datalogger::log_to_writer`] into the local file `path`.
    pub fn log_to_file(
        &self,
        options: &LoggingOptions,
        poll: Duration,
        path: &Path,
        on_event: &mut dyn FnMut(&LogEvent),
    ) -> Result<LoggedFile> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        let r = self.log_to_writer(options, poll, &mut f, on_event)?;
        std::io::Write::flush(&mut f)?;
        Ok(r)
    }
}
