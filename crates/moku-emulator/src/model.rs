//! The emulated hardware models and their per-model limits (docs/moku-protocol.md §11).

use std::fmt;
use std::str::FromStr;

/// A Moku hardware model.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
pub enum Model {
    /// Moku:Go.
    #[default]
    Go,
    /// Moku:Lab.
    Lab,
    /// Moku:Pro.
    Pro,
    /// Moku:Delta.
    Delta,
}

/// A [`Model`] name that [`Model::from_str`] does not know.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct UnknownModel(pub String);

impl Model {
    /// Every model, in marketing order.
    pub const ALL: [Model; 4] = [Model::Go, Model::Lab, Model::Pro, Model::Delta];

    /// The `hardware` string of `describe`, e.g. `"Moku:Go"`.
    pub fn hardware(self) -> &'static str {
        match self {
            Model::Go => "Moku:Go",
            Model::Lab => "Moku:Lab",
            Model::Pro => "Moku:Pro",
            Model::Delta => "Moku:Delta",
        }
    }

    /// The lower-case short name used on the command line (`go`, `lab`, `pro`, `delta`).
    pub fn short_name(self) -> &'static str {
        match self {
            Model::Go => "go",
            Model::Lab => "lab",
            Model::Pro => "pro",
            Model::Delta => "delta",
        }
    }

    /// The limits the emulator enforces for this model.
    pub fn limits(self) -> &'static Limits {
        match self {
            Model::Go => &GO,
            Model::Lab => &LAB,
            Model::Pro => &PRO,
            Model::Delta => &DELTA,
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

impl FromStr for Model {
    type Err = UnknownModel;

    /// Accepts `go|lab|pro|delta`, the `describe` form `Moku:Go` and the client form `mokugo`,
    /// case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace(':', "");
        let bare = lower.strip_prefix("moku").unwrap_or(&lower);
        match bare {
            "go" => Ok(Model::Go),
            "lab" => Ok(Model::Lab),
            "pro" => Ok(Model::Pro),
            "delta" => Ok(Model::Delta),
            _ => Err(UnknownModel(s.to_owned())),
        }
    }
}

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown Moku model {:?} (expected go, lab, pro or delta)",
            self.0
        )
    }
}

impl std::error::Error for UnknownModel {}

/// Per-model value lists and ranges, from the docstrings summarised in docs/moku-protocol.md §11.
///
/// The real device limits behind these docstrings are unverified (docs/moku-protocol.md §14).
#[derive(Debug)]
pub struct Limits {
    /// Number of inputs and outputs.
    pub channels: u8,
    /// Accepted input impedances.
    pub impedances: &'static [&'static str],
    /// Accepted input ranges (peak-to-peak, with their unit suffix).
    pub ranges: &'static [&'static str],
    /// Accepted front-end bandwidths (empty: the model has no bandwidth choice).
    pub bandwidths: &'static [&'static str],
    /// The bandwidth reported when none was chosen.
    pub default_bandwidth: &'static str,
    /// Accepted acquisition modes.
    pub acquisition_modes: &'static [&'static str],
    /// `set_samplerate` range in Sa/s.
    pub samplerate: (f64, f64),
    /// `start_streaming` sample-rate range in Sa/s.
    pub stream_samplerate: (f64, f64),
    /// `start_logging` sample-rate range in Sa/s.
    pub logging_samplerate: (f64, f64),
    /// Whether an `External` trigger input exists.
    pub external_trigger: bool,
    /// Waveform amplitude range in Vpp.
    pub amplitude: (f64, f64),
    /// Waveform frequency range in Hz.
    pub frequency: (f64, f64),
    /// Frequency above which the output swing is reduced, and the maximum amplitude (Vpp) there.
    pub high_frequency_amplitude: Option<(f64, f64)>,
    /// Minimum pulse edge time and pulse width in seconds.
    pub min_edge_time: f64,
    /// Whether output termination / load can be set.
    pub output_termination: bool,
    /// Supported multi-instrument platform sizes.
    pub platforms: &'static [u8],
    /// Where Datalogger `.li` files are written.
    pub log_location: &'static str,
    /// The file targets that exist on this model.
    pub file_targets: &'static [&'static str],
    /// The `hwdir` of the bitstream directory the official client uses.
    pub hwdir: &'static str,
}

impl Limits {
    /// The largest sample rate for `enabled` logged channels (Moku:Pro caps it at 5 MSa/s for two
    /// channels and 1.25 MSa/s for three or four).
    pub fn max_rate_for_channels(&self, max: f64, enabled: usize) -> f64 {
        if self.channels == 4 && self.samplerate.1 > 5e6 {
            match enabled {
                0 | 1 => max,
                2 => max.min(5e6),
                _ => max.min(1.25e6),
            }
        } else {
            max
        }
    }

    /// Whether `source` names a trigger input of this model (`Input1`..`InputN`, `External`).
    pub fn trigger_source_ok(&self, source: &str) -> bool {
        if source == "External" {
            return self.external_trigger;
        }
        source
            .strip_prefix("Input")
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=self.channels).contains(&n))
    }
}

static GO: Limits = Limits {
    channels: 2,
    impedances: &["1MOhm"],
    ranges: &["10Vpp", "50Vpp"],
    bandwidths: &[],
    default_bandwidth: "30MHz",
    acquisition_modes: &["Normal", "Precision", "DeepMemory", "PeakDetect"],
    samplerate: (10.0, 1e6),
    stream_samplerate: (10.0, 1e6),
    logging_samplerate: (10.0, 1e6),
    external_trigger: false,
    // The seed (the Datalogger docstring) says 4 mV to 10 Vpp; the per-model list says 2 mV.
    amplitude: (4e-3, 10.0),
    frequency: (1e-3, 20e6),
    high_frequency_amplitude: None,
    min_edge_time: 16e-9,
    output_termination: false,
    platforms: &[1, 2, 3],
    log_location: "persist",
    file_targets: &["persist", "bitstreams", "logs", "tmp"],
    hwdir: "mokugo",
};

static LAB: Limits = Limits {
    channels: 2,
    impedances: &["50Ohm", "1MOhm"],
    ranges: &["1Vpp", "10Vpp"],
    bandwidths: &[],
    default_bandwidth: "200MHz",
    acquisition_modes: &["Normal", "Precision"],
    samplerate: (10.0, 2.5e5),
    stream_samplerate: (10.0, 1e6),
    logging_samplerate: (10.0, 1e6),
    external_trigger: true,
    amplitude: (2e-3, 4.0),
    frequency: (1e-3, 100e6),
    high_frequency_amplitude: None,
    min_edge_time: 4e-9,
    output_termination: true,
    platforms: &[1, 2, 3],
    log_location: "media",
    file_targets: &["media", "bitstreams", "logs", "tmp"],
    hwdir: "moku20",
};

static PRO: Limits = Limits {
    channels: 4,
    impedances: &["50Ohm", "1MOhm"],
    ranges: &["400mVpp", "4Vpp", "40Vpp"],
    bandwidths: &["300MHz", "600MHz"],
    default_bandwidth: "300MHz",
    acquisition_modes: &["Normal", "Precision", "DeepMemory", "PeakDetect"],
    samplerate: (10.0, 10e6),
    stream_samplerate: (10.0, 10e6),
    logging_samplerate: (10.0, 1e6),
    external_trigger: true,
    amplitude: (1e-3, 10.0),
    frequency: (1e-3, 500e6),
    high_frequency_amplitude: Some((1e6, 2.0)),
    min_edge_time: 2e-9,
    output_termination: true,
    platforms: &[1, 4],
    log_location: "ssd",
    file_targets: &["ssd", "bitstreams", "logs", "tmp", "persist"],
    hwdir: "mokupro",
};

static DELTA: Limits = Limits {
    channels: 8,
    impedances: &["50Ohm", "1MOhm"],
    ranges: &["100mVpp", "1Vpp", "10Vpp", "40Vpp"],
    bandwidths: &["2GHz", "6GHz"],
    default_bandwidth: "2GHz",
    acquisition_modes: &["Normal", "Precision", "DeepMemory", "PeakDetect"],
    samplerate: (10.0, 10e6),
    stream_samplerate: (10.0, 10e6),
    logging_samplerate: (10.0, 1e6),
    external_trigger: true,
    amplitude: (1e-3, 10.0),
    frequency: (1e-3, 2e9),
    high_frequency_amplitude: Some((100e6, 1.0)),
    min_edge_time: 500e-12,
    output_termination: true,
    platforms: &[1, 3, 8],
    log_location: "ssd",
    file_targets: &["ssd", "bitstreams", "logs", "tmp", "persist"],
    hwdir: "mokuaf",
};

/// Parses a range string such as `"400mVpp"` or `"10Vpp"` into volts peak-to-peak.
pub fn range_volts(range: &str) -> Option<f64> {
    let body = range.strip_suffix("Vpp")?;
    let (digits, scale) = match body.strip_suffix('m') {
        Some(d) => (d, 1e-3),
        None => (body, 1.0),
    };
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0)
        .map(|v| v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_round_trip() {
        for m in Model::ALL {
            assert_eq!(m.to_string().parse::<Model>(), Ok(m));
            assert_eq!(m.hardware().parse::<Model>(), Ok(m));
        }
        assert!("moku".parse::<Model>().is_err());
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(range_volts("400mVpp"), Some(0.4));
        assert_eq!(range_volts("10Vpp"), Some(10.0));
        assert_eq!(range_volts("10V"), None);
    }

    #[test]
    fn pro_rate_caps() {
        let l = Model::Pro.limits();
        assert_eq!(l.max_rate_for_channels(10e6, 1), 10e6);
        assert_eq!(l.max_rate_for_channels(10e6, 2), 5e6);
        assert_eq!(l.max_rate_for_channels(10e6, 4), 1.25e6);
        assert_eq!(Model::Delta.limits().max_rate_for_channels(10e6, 8), 10e6);
    }
}
