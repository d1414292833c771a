//! Per-model value lists of docs/moku-protocol.md §11, checked before a request is sent.
//!
//! The official client checks none of these; the lists come from the vendor's docstrings and the
//! seed, and are unverified on hardware (§14). Where the sources differ, docs/moku-protocol.md
//! §11.1 says which one is used and why. Validation can be switched off with
//! [`Datalogger::with_validation`](crate::Datalogger::with_validation). Membership and range
//! checks apply to `strict=true` requests only (with `strict=false` the device coerces values
//! itself); channel numbers are always checked. A refusal is
//! `Error::InvalidArgument`, whose
//! [`api_code`](crate::Error::api_code) is `INVALID_PARAM`, as the device's would be.

use crate::error::{Error, Result};
use crate::values::{AcquisitionMode, Bandwidth, Impedance, Model, Range, TriggerSource};

/// The documented limits of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelLimits {
    /// The model these limits describe.
    pub model: Model,
    /// Number of inputs and outputs (channels are `1..=channels`).
    pub channels: u8,
    /// Allowed input impedances.
    pub impedances: &'static [Impedance],
    /// Allowed input ranges.
    pub ranges: &'static [Range],
    /// Allowed `set_frontend` bandwidths (empty: the parameter must be left out).
    pub bandwidths: &'static [Bandwidth],
    /// Allowed acquisition modes.
    pub acquisition_modes: &'static [AcquisitionMode],
    /// `set_samplerate` range in Sa/s.
    pub samplerate: (f64, f64),
    /// `start_streaming` sample-rate range in Sa/s.
    pub stream_samplerate: (f64, f64),
    /// `start_logging` sample-rate range in Sa/s (10 Sa/s to 1 MSa/s on every model, the seed).
    pub logging_samplerate: (f64, f64),
    /// Allowed trigger sources.
    pub trigger_sources: &'static [TriggerSource],
    /// Waveform amplitude range in Vpp.
    pub amplitude: (f64, f64),
    /// Waveform frequency range in Hz.
    pub frequency: (f64, f64),
    /// Minimum pulse edge time and width in s.
    pub edge_time_min: f64,
    /// Whether output termination/load can be set.
    pub output_termination: bool,
}

/// Trigger level range (V) on every model.
pub const TRIGGER_LEVEL: (f64, f64) = (-5.0, 5.0);
/// Waveform offset range (V) on every model.
pub const OFFSET: (f64, f64) = (-5.0, 5.0);
/// Waveform phase range (degrees) on every model.
pub const PHASE: (f64, f64) = (0.0, 360.0);
/// Duty cycle and symmetry range (%) on every model.
pub const PERCENT: (f64, f64) = (0.0, 100.0);

use AcquisitionMode as A;
use TriggerSource as T;

impl ModelLimits {
    /// The limits of `model`, or `None` for a model this crate does not know.
    pub fn for_model(model: &Model) -> Option<Self> {
        // The seed lists DeepMemory; the per-model docstrings omit it; Lab's lists only two.
        let three_modes: &'static [A] = &[A::Normal, A::Precision, A::DeepMemory, A::PeakDetect];
        let both: &'static [Impedance] = &[Impedance::FiftyOhm, Impedance::OneMegaOhm];
        Some(match model {
            Model::Go => Self {
                model: Model::Go,
                channels: 2,
                impedances: &[Impedance::OneMegaOhm],
                ranges: &[Range::R10Vpp, Range::R50Vpp],
                bandwidths: &[],
                acquisition_modes: three_modes,
                samplerate: (10.0, 1e6),
                stream_samplerate: (10.0, 1e6),
                logging_samplerate: (10.0, 1e6),
                trigger_sources: &[T::Input1, T::Input2],
                // The seed: 4 mV to 10 Vpp (the model docstring says 2 mV).
                amplitude: (4e-3, 10.0),
                frequency: (1e-3, 20e6),
                edge_time_min: 16e-9,
                output_termination: false,
            },
            Model::Lab => Self {
                model: Model::Lab,
                channels: 2,
                impedances: both,
                ranges: &[Range::R1Vpp, Range::R10Vpp],
                bandwidths: &[],
                acquisition_modes: &[A::Normal, A::Precision],
                samplerate: (10.0, 2.5e5),
                stream_samplerate: (10.0, 1e6),
                logging_samplerate: (10.0, 1e6),
                trigger_sources: &[T::Input1, T::Input2, T::External],
                amplitude: (2e-3, 4.0),
                frequency: (1e-3, 100e6),
                edge_time_min: 4e-9,
                output_termination: true,
            },
            Model::Pro => Self {
                model: Model::Pro,
                channels: 4,
                impedances: both,
                ranges: &[Range::R400mVpp, Range::R4Vpp, Range::R40Vpp],
                bandwidths: &[Bandwidth::B300MHz, Bandwidth::B600MHz],
                acquisition_modes: three_modes,
                samplerate: (10.0, 10e6),
                stream_samplerate: (10.0, 10e6),
                logging_samplerate: (10.0, 1e6),
                trigger_sources: &[T::Input1, T::Input2, T::Input3, T::Input4, T::External],
                amplitude: (1e-3, 10.0),
                frequency: (1e-3, 500e6),
                edge_time_min: 2e-9,
                output_termination: true,
            },
            Model::Delta => Self {
                model: Model::Delta,
                channels: 8,
                impedances: both,
                ranges: &[Range::R100mVpp, Range::R1Vpp, Range::R10Vpp, Range::R40Vpp],
                bandwidths: &[Bandwidth::B1MHz, Bandwidth::B2GHz, Bandwidth::B6GHz],
                acquisition_modes: three_modes,
                samplerate: (10.0, 10e6),
                stream_samplerate: (10.0, 10e6),
                logging_samplerate: (10.0, 1e6),
                trigger_sources: TriggerSource::KNOWN,
                amplitude: (1e-3, 10.0),
                frequency: (1e-3, 2e9),
                edge_time_min: 500e-12,
                output_termination: true,
            },
            Model::Other(_) => return None,
        })
    }

    fn invalid(&self, parameter: &'static str, value: String, allowed: String) -> Error {
        Error::InvalidArgument {
            parameter,
            value,
            allowed,
            model: self.model.to_string(),
        }
    }

    /// Checks a 1-based channel number.
    pub fn check_channel(&self, channel: u8) -> Result<()> {
        if (1..=self.channels).contains(&channel) {
            Ok(())
        } else {
            Err(self.invalid(
                "channel",
                channel.to_string(),
                format!("1 to {}", self.channels),
            ))
        }
    }

    /// Checks that `value` is one of `allowed`.
    pub fn check_member<V: PartialEq + core::fmt::Display>(
        &self,
        parameter: &'static str,
        value: &V,
        allowed: &[V],
    ) -> Result<()> {
        if allowed.contains(value) {
            return Ok(());
        }
        let list = if allowed.is_empty() {
            "none (leave it out)".to_owned()
        } else {
            allowed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(self.invalid(parameter, value.to_string(), list))
    }

    /// Checks that `value` lies in the closed range `range`.
    pub fn check_range(
        &self,
        parameter: &'static str,
        value: f64,
        range: (f64, f64),
    ) -> Result<()> {
        if value >= range.0 && value <= range.1 {
            Ok(())
        } else {
            Err(self.invalid(
                parameter,
                value.to_string(),
                format!("{} to {}", range.0, range.1),
            ))
        }
    }

    /// Checks the minimum of a pulse edge time or width.
    pub fn check_min(&self, parameter: &'static str, value: f64, min: f64) -> Result<()> {
        if value >= min {
            Ok(())
        } else {
            Err(self.invalid(parameter, value.to_string(), format!("at least {min}")))
        }
    }

    /// Checks that the model has configurable output termination.
    pub fn check_termination_available(&self, parameter: &'static str) -> Result<()> {
        if self.output_termination {
            Ok(())
        } else {
            Err(self.invalid(
                parameter,
                "any".into(),
                "none: the outputs have no selectable termination".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_limits() {
        let l = ModelLimits::for_model(&Model::Go).unwrap();
        assert!(l.check_channel(2).is_ok());
        let e = l.check_channel(3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid channel 3 for Moku:Go: allowed 1 to 2"
        );
        let e = l
            .check_member("impedance", &Impedance::FiftyOhm, l.impedances)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid impedance 50Ohm for Moku:Go: allowed 1MOhm"
        );
        assert!(l.check_range("sample_rate", 2e6, l.samplerate).is_err());
        assert!(l.check_termination_available("termination").is_err());
        assert!(ModelLimits::for_model(&Model::Other("Moku:Future".into())).is_none());
    }
}
