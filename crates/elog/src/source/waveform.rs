//! What a simulated channel produces: the waveform and its direct value.

use core::f64::consts::TAU;

/// What a simulated channel produces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Waveform {
    /// A constant value.
    Const(f64),
    /// `amplitude · sin(2π · freq · t)`.
    Sine {
        /// Peak value.
        amplitude: f64,
        /// Frequency in Hz.
        freq: f64,
    },
    /// `+amplitude` for the first half of each period, `-amplitude` for the second.
    Square {
        /// Peak value.
        amplitude: f64,
        /// Frequency in Hz.
        freq: f64,
    },
    /// A sawtooth rising from `-amplitude` to `+amplitude` once per period.
    Ramp {
        /// Peak value.
        amplitude: f64,
        /// Frequency in Hz.
        freq: f64,
    },
    /// Uniform white noise in `[-amplitude, amplitude)`.
    Noise {
        /// Peak value.
        amplitude: f64,
    },
}

impl Waveform {
    /// The value of sample `k` at `rate` Hz, computed directly (the reference
    /// the fast generators are tested against; noise has no direct form and
    /// gives 0).
    pub fn value_at(&self, k: u64, rate: f64) -> f64 {
        let phase = |freq: f64| frac(k as f64 * (freq / rate));
        match *self {
            Waveform::Const(v) => v,
            Waveform::Sine { amplitude, freq } => amplitude * libm::sin(TAU * phase(freq)),
            Waveform::Square { amplitude, freq } => {
                if phase(freq) < 0.5 {
                    amplitude
                } else {
                    -amplitude
                }
            }
            Waveform::Ramp { amplitude, freq } => amplitude * (2.0 * phase(freq) - 1.0),
            Waveform::Noise { .. } => 0.0,
        }
    }
}

/// The fractional part `x - floor(x)` (a truncating cast for the usual
/// non-negative range, `libm::floor` beyond it).
#[inline]
pub(crate) fn frac(x: f64) -> f64 {
    if (0.0..9.0e18).contains(&x) {
        x - (x as u64) as f64
    } else {
        x - libm::floor(x)
    }
}
