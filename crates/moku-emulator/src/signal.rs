//! Simulated input signals and the waveform generator's outputs.

use std::f64::consts::TAU;

use serde::{Deserialize, Serialize};

/// What an emulated input sees. Times are seconds of the emulator's clock (since it started).
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// A constant voltage.
    Constant(f64),
    /// `amplitude * sin(2π · frequency · t)`: `amplitude` is the **peak** voltage.
    Sine {
        /// Peak voltage (V).
        amplitude: f64,
        /// Frequency (Hz).
        frequency: f64,
    },
    /// Deterministic pseudo-random noise, uniform in `[-amplitude, amplitude]` volts (the same time
    /// always gives the same value).
    Noise {
        /// Peak voltage (V).
        amplitude: f64,
    },
    /// Wired to the waveform generator's output `n` (1-based) of the same instrument slot.
    FromOutput(u8),
}

impl Signal {
    /// The signal every input sees until told otherwise: input `n` carries a sine of `1/n` V peak
    /// at `10·n` Hz.
    pub fn default_for_input(input: u8) -> Signal {
        let n = f64::from(input.max(1));
        Signal::Sine {
            amplitude: 1.0 / n,
            frequency: 10.0 * n,
        }
    }
}

/// The seven waveform types of `generate_waveform`.
#[derive(Clone, Copy, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub enum WaveKind {
    /// Output off (0 V).
    Off,
    /// Sine wave.
    Sine,
    /// Square wave with a duty cycle.
    Square,
    /// Ramp with a symmetry.
    Ramp,
    /// Pulse with edge time and pulse width.
    Pulse,
    /// Noise.
    Noise,
    /// A DC level.
    #[serde(rename = "DC")]
    Dc,
}

impl WaveKind {
    /// Parses the wire name (`Off, Sine, Square, Ramp, Pulse, Noise, DC`).
    pub fn parse(s: &str) -> Option<WaveKind> {
        Some(match s {
            "Off" => WaveKind::Off,
            "Sine" => WaveKind::Sine,
            "Square" => WaveKind::Square,
            "Ramp" => WaveKind::Ramp,
            "Pulse" => WaveKind::Pulse,
            "Noise" => WaveKind::Noise,
            "DC" => WaveKind::Dc,
            _ => return None,
        })
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            WaveKind::Off => "Off",
            WaveKind::Sine => "Sine",
            WaveKind::Square => "Square",
            WaveKind::Ramp => "Ramp",
            WaveKind::Pulse => "Pulse",
            WaveKind::Noise => "Noise",
            WaveKind::Dc => "DC",
        }
    }
}

/// The settings of one generator output, as accepted by `generate_waveform`.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct Waveform {
    /// The waveform type.
    pub kind: WaveKind,
    /// Amplitude (Vpp).
    pub amplitude: f64,
    /// Frequency (Hz).
    pub frequency: f64,
    /// Offset (V).
    pub offset: f64,
    /// Phase (degrees).
    pub phase: f64,
    /// Square duty cycle (%).
    pub duty: f64,
    /// Ramp symmetry (%).
    pub symmetry: f64,
    /// DC level (V).
    pub dc_level: f64,
    /// Pulse edge time (s).
    pub edge_time: f64,
    /// Pulse width (s).
    pub pulse_width: f64,
    /// Emulator time at which phase 0 was (re)started (`generate_waveform`, `sync_output_phase`);
    /// runtime state, not saved in `.mokuconf`.
    #[serde(skip)]
    pub t_ref: f64,
}

impl Default for Waveform {
    fn default() -> Self {
        Waveform {
            kind: WaveKind::Off,
            amplitude: 1.0,
            frequency: 10_000.0,
            offset: 0.0,
            phase: 0.0,
            duty: 50.0,
            symmetry: 50.0,
            dc_level: 0.0,
            edge_time: 0.0,
            pulse_width: 0.0,
            t_ref: 0.0,
        }
    }
}

impl Waveform {
    /// The mean output voltage over a period.
    pub fn mean(&self) -> f64 {
        let half = self.amplitude / 2.0;
        match self.kind {
            WaveKind::Off => 0.0,
            WaveKind::Dc => self.dc_level,
            WaveKind::Sine | WaveKind::Ramp | WaveKind::Noise => self.offset,
            WaveKind::Square => {
                self.offset + half * (2.0 * (self.duty / 100.0).clamp(0.0, 1.0) - 1.0)
            }
            WaveKind::Pulse => {
                // Low, a linear rise, the width high, a linear fall: high for `width + edge` on
                // average over the period.
                let period = if self.frequency > 0.0 {
                    1.0 / self.frequency
                } else {
                    return self.offset - half;
                };
                let high = ((self.pulse_width + self.edge_time) / period).clamp(0.0, 1.0);
                self.offset - half + self.amplitude * high
            }
        }
    }

    /// The output voltage at emulator time `t`.
    pub fn value(&self, t: f64) -> f64 {
        let half = self.amplitude / 2.0;
        let cycles = (t - self.t_ref) * self.frequency + self.phase / 360.0;
        let frac = cycles - cycles.floor();
        match self.kind {
            WaveKind::Off => 0.0,
            WaveKind::Dc => self.dc_level,
            WaveKind::Sine => self.offset + half * (TAU * frac).sin(),
            WaveKind::Square => {
                let high = frac < self.duty / 100.0;
                self.offset + if high { half } else { -half }
            }
            WaveKind::Ramp => {
                let s = (self.symmetry / 100.0).clamp(0.0, 1.0);
                let unit = if frac < s {
                    frac / s
                } else if s >= 1.0 {
                    1.0
                } else {
                    1.0 - (frac - s) / (1.0 - s)
                };
                self.offset - half + self.amplitude * unit
            }
            WaveKind::Pulse => {
                let period = if self.frequency > 0.0 {
                    1.0 / self.frequency
                } else {
                    f64::INFINITY
                };
                let u = frac * period;
                let e = self.edge_time;
                let w = self.pulse_width;
                let unit = if u < e {
                    u / e
                } else if u < e + w {
                    1.0
                } else if u < 2.0 * e + w {
                    1.0 - (u - e - w) / e
                } else {
                    0.0
                };
                self.offset - half + self.amplitude * unit
            }
            WaveKind::Noise => self.offset + half * noise(t.to_bits()),
        }
    }
}

/// A deterministic value in `[-1, 1]` derived from `seed` (splitmix64).
pub fn noise(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waveforms_stay_in_their_swing() {
        for kind in ["Sine", "Square", "Ramp", "Pulse", "Noise"] {
            let w = Waveform {
                kind: WaveKind::parse(kind).unwrap(),
                amplitude: 2.0,
                frequency: 1000.0,
                offset: 0.5,
                edge_time: 1e-5,
                pulse_width: 1e-4,
                ..Waveform::default()
            };
            for i in 0..5000 {
                let v = w.value(i as f64 * 1.3e-6);
                assert!((-0.5..=1.5).contains(&v), "{kind} gave {v}");
            }
        }
    }

    #[test]
    fn means_match_sampled_averages() {
        for (kind, extra) in [
            ("Sine", 0.0),
            ("Square", 30.0),
            ("Ramp", 20.0),
            ("Pulse", 0.0),
            ("DC", 0.0),
        ] {
            let w = Waveform {
                kind: WaveKind::parse(kind).unwrap(),
                amplitude: 2.0,
                frequency: 100.0,
                offset: 0.25,
                duty: extra,
                symmetry: extra,
                dc_level: -0.5,
                edge_time: 1e-3,
                pulse_width: 3e-3,
                ..Waveform::default()
            };
            let n = 100_000;
            let avg: f64 = (0..n)
                .map(|i| w.value(i as f64 / n as f64 / 100.0))
                .sum::<f64>()
                / n as f64;
            assert!(
                (avg - w.mean()).abs() < 1e-3,
                "{kind}: sampled {avg}, mean {}",
                w.mean()
            );
        }
    }

    #[test]
    fn dc_and_off() {
        let w = Waveform {
            kind: WaveKind::Dc,
            dc_level: 1.25,
            ..Waveform::default()
        };
        assert_eq!(w.value(3.0), 1.25);
        assert_eq!(Waveform::default().value(3.0), 0.0);
    }

    #[test]
    fn noise_is_bounded() {
        for s in 0..10_000u64 {
            let v = noise(s);
            assert!((-1.0..=1.0).contains(&v));
        }
    }
}
