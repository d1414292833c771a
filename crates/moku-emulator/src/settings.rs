//! The Datalogger's settings, their defaults, and the `.mokuconf` bytes that carry them.
//!
//! The real `.mokuconf` format is unknown (docs/moku-protocol.md §14). The emulator writes a JSON document of its
//! own (`{"format": "moku-emulator-mokuconf", ...}`) and reads back only that.

use serde::{Deserialize, Serialize};

use crate::model::{Limits, Model};
use crate::params::Coerce;
use crate::reply::ApiError;
use crate::signal::{WaveKind, Waveform};

/// The `format` tag of the emulator's `.mokuconf` documents.
pub(crate) const MOKUCONF_FORMAT: &str = "moku-emulator-mokuconf";

/// One input's front end.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub(crate) struct Frontend {
    /// `1MOhm` or `50Ohm`.
    pub impedance: String,
    /// `AC` or `DC`.
    pub coupling: String,
    /// E.g. `10Vpp`.
    pub range: String,
    /// E.g. `300MHz`.
    pub bandwidth: String,
}

/// One output of the waveform generator.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub(crate) struct Output {
    /// The waveform.
    pub waveform: Waveform,
    /// `HiZ` or `50Ohm`.
    pub termination: String,
}

/// Everything `save_settings` saves.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub(crate) struct Settings {
    /// Per input.
    pub frontends: Vec<Frontend>,
    /// Per input: whether it is acquired.
    pub enabled: Vec<bool>,
    /// `Normal`, `Precision` or `PeakDetect`.
    pub acquisition_mode: String,
    /// Sa/s.
    pub sample_rate: f64,
    /// Per output.
    pub outputs: Vec<Output>,
}

#[derive(Deserialize, Serialize)]
struct MokuConf {
    format: String,
    version: u32,
    hardware: String,
    instrument: String,
    settings: Settings,
}

impl Settings {
    /// The power-on settings of `model`.
    pub fn defaults(model: Model) -> Settings {
        let l = model.limits();
        let range = match model {
            Model::Pro => "4Vpp",
            _ => "10Vpp",
        };
        let n = usize::from(l.channels);
        Settings {
            frontends: vec![
                Frontend {
                    impedance: "1MOhm".into(),
                    coupling: "DC".into(),
                    range: range.into(),
                    bandwidth: default_bandwidth(l, "1MOhm").into(),
                };
                n
            ],
            enabled: vec![true; n],
            acquisition_mode: "Normal".into(),
            sample_rate: 1000.0,
            outputs: vec![
                Output {
                    waveform: Waveform::default(),
                    termination: "HiZ".into()
                };
                n
            ],
        }
    }

    /// Number of enabled inputs.
    pub fn enabled_count(&self) -> usize {
        self.enabled.iter().filter(|e| **e).count()
    }

    /// The `.mokuconf` bytes.
    pub fn to_mokuconf(&self, model: Model) -> Vec<u8> {
        let conf = MokuConf {
            format: MOKUCONF_FORMAT.into(),
            version: 1,
            hardware: model.hardware().into(),
            instrument: "Datalogger".into(),
            settings: self.clone(),
        };
        serde_json::to_vec_pretty(&conf).unwrap_or_default()
    }

    /// Reads `.mokuconf` bytes and checks every value against `model`'s limits.
    pub fn from_mokuconf(bytes: &[u8], model: Model) -> Result<Settings, ApiError> {
        let conf: MokuConf = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::param(format!("not a Datalogger .mokuconf file: {e}")))?;
        if conf.format != MOKUCONF_FORMAT || conf.instrument != "Datalogger" {
            return Err(ApiError::param("not a Datalogger .mokuconf file"));
        }
        if conf.hardware != model.hardware() {
            return Err(ApiError::param(format!(
                "settings were saved on a {}, this is a {}",
                conf.hardware,
                model.hardware()
            )));
        }
        conf.settings.check(model.limits())?;
        Ok(conf.settings)
    }

    fn check(&self, l: &Limits) -> Result<(), ApiError> {
        let n = usize::from(l.channels);
        if self.frontends.len() != n || self.enabled.len() != n || self.outputs.len() != n {
            return Err(ApiError::param(
                "settings have the wrong number of channels",
            ));
        }
        let mut c = Coerce::new(true);
        for f in &self.frontends {
            c.choice("impedance", &f.impedance, l.impedances, None)?;
            c.choice("coupling", &f.coupling, &["AC", "DC"], None)?;
            c.choice("range", &f.range, l.ranges, None)?;
            let bw = bandwidths(l, &f.impedance);
            c.choice("bandwidth", &f.bandwidth, &bw, None)?;
        }
        c.choice(
            "acquisition mode",
            &self.acquisition_mode,
            l.acquisition_modes,
            None,
        )?;
        let max = l.max_rate_for_channels(l.samplerate.1, self.enabled_count());
        c.range("sample_rate", self.sample_rate, l.samplerate.0, max)?;
        for o in &self.outputs {
            c.choice("termination", &o.termination, &["HiZ", "50Ohm"], None)?;
            let w = &o.waveform;
            if w.kind != WaveKind::Off {
                c.range("frequency", w.frequency, l.frequency.0, l.frequency.1)?;
                c.range("amplitude", w.amplitude, l.amplitude.0, l.amplitude.1)?;
                c.range("offset", w.offset, -5.0, 5.0)?;
                c.range("dc_level", w.dc_level, -5.0, 5.0)?;
            }
        }
        Ok(())
    }
}

/// The bandwidths a front end may use with `impedance` (Moku:Delta's 1 MOhm input is 1 MHz).
pub(crate) fn bandwidths(l: &Limits, impedance: &str) -> Vec<&'static str> {
    if l.bandwidths.is_empty() {
        vec![l.default_bandwidth]
    } else if l.hwdir == "mokuaf" && impedance == "1MOhm" {
        vec!["1MHz"]
    } else {
        l.bandwidths.to_vec()
    }
}

/// The bandwidth a front end gets when none is asked for.
pub(crate) fn default_bandwidth(l: &Limits, impedance: &str) -> &'static str {
    bandwidths(l, impedance)
        .first()
        .copied()
        .unwrap_or(l.default_bandwidth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mokuconf_round_trips_and_checks_the_model() {
        for m in Model::ALL {
            let mut s = Settings::defaults(m);
            s.sample_rate = 1234.5;
            s.enabled[0] = false;
            let bytes = s.to_mokuconf(m);
            assert_eq!(Settings::from_mokuconf(&bytes, m).unwrap(), s);
        }
        let bytes = Settings::defaults(Model::Go).to_mokuconf(Model::Go);
        assert!(Settings::from_mokuconf(&bytes, Model::Pro).is_err());
        assert!(Settings::from_mokuconf(b"garbage", Model::Go).is_err());
    }

    #[test]
    fn delta_one_megohm_is_one_megahertz() {
        let s = Settings::defaults(Model::Delta);
        assert_eq!(s.frontends[0].bandwidth, "1MHz");
        assert_eq!(
            Settings::defaults(Model::Pro).frontends[0].bandwidth,
            "300MHz"
        );
    }
}
