//! Typed parameter values with their raw string form still reachable (docs/moku-protocol.md §7, §11).
//!
//! Every enum has an `Other(String)` variant for values a newer firmware may add;
//! [`from_raw`](Impedance::from_raw) never fails and [`as_str`](Impedance::as_str) gives back the
//! exact string that goes on the wire.

macro_rules! raw_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value this crate does not know (for example from a newer firmware), verbatim.
            Other(String),
        }

        impl $name {
            /// Every value this crate knows, in the vendor's documented order.
            pub const KNOWN: &'static [$name] = &[$($name::$var),*];

            /// The exact string the API uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$var => $s,)*
                    $name::Other(s) => s,
                }
            }

            /// Maps an API string; unknown strings become `Other`.
            pub fn from_raw(s: &str) -> Self {
                match s {
                    $($s => $name::$var,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl core::str::FromStr for $name {
            type Err = core::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_raw(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_raw(s)
            }
        }
    };
}

raw_enum! {
    /// The Moku hardware model, as `describe` reports it in `hardware`.
    Model {
        /// Moku:Go.
        Go => "Moku:Go",
        /// Moku:Lab.
        Lab => "Moku:Lab",
        /// Moku:Pro.
        Pro => "Moku:Pro",
        /// Moku:Delta.
        Delta => "Moku:Delta",
    }
}

impl Model {
    /// The official client's platform name: `hardware` without `:`, lower-cased (`mokugo`).
    pub fn platform_name(&self) -> String {
        self.as_str().replace(':', "").to_lowercase()
    }

    /// The file target that holds Datalogger `.li` files (docs/moku-protocol.md §6).
    pub fn log_location(&self) -> &'static str {
        match self {
            Model::Go => "persist",
            Model::Lab => "media",
            _ => "ssd",
        }
    }
}

raw_enum! {
    /// Input impedance.
    Impedance {
        /// 1 MΩ.
        OneMegaOhm => "1MOhm",
        /// 50 Ω.
        FiftyOhm => "50Ohm",
    }
}

raw_enum! {
    /// Input coupling.
    Coupling {
        /// AC coupling.
        Ac => "AC",
        /// DC coupling.
        Dc => "DC",
    }
}

raw_enum! {
    /// Input range (peak to peak).
    Range {
        /// 100 mVpp (Delta).
        R100mVpp => "100mVpp",
        /// 400 mVpp (Pro).
        R400mVpp => "400mVpp",
        /// 1 Vpp (Lab, Delta).
        R1Vpp => "1Vpp",
        /// 2 Vpp (other instruments).
        R2Vpp => "2Vpp",
        /// 4 Vpp (Pro).
        R4Vpp => "4Vpp",
        /// 10 Vpp (Go, Lab, Delta).
        R10Vpp => "10Vpp",
        /// 40 Vpp (Pro, Delta).
        R40Vpp => "40Vpp",
        /// 50 Vpp (Go).
        R50Vpp => "50Vpp",
    }
}

raw_enum! {
    /// Input bandwidth of `set_frontend` (Pro and Delta).
    Bandwidth {
        /// 1 MHz.
        B1MHz => "1MHz",
        /// 30 MHz.
        B30MHz => "30MHz",
        /// 200 MHz.
        B200MHz => "200MHz",
        /// 300 MHz (Pro).
        B300MHz => "300MHz",
        /// 600 MHz (Pro).
        B600MHz => "600MHz",
        /// 2 GHz (Delta).
        B2GHz => "2GHz",
        /// 6 GHz (Delta).
        B6GHz => "6GHz",
    }
}

raw_enum! {
    /// Acquisition mode.
    AcquisitionMode {
        /// Normal (decimating) mode.
        Normal => "Normal",
        /// Precision (averaging) mode.
        Precision => "Precision",
        /// Peak detection.
        PeakDetect => "PeakDetect",
        /// Deep memory (listed by the seed; not in the Datalogger's per-model lists).
        DeepMemory => "DeepMemory",
    }
}

raw_enum! {
    /// Output termination.
    Termination {
        /// High impedance.
        HiZ => "HiZ",
        /// 50 Ω.
        FiftyOhm => "50Ohm",
    }
}

raw_enum! {
    /// Output load of the deprecated `set_output_load`.
    Load {
        /// 1 MΩ (answered as `HiZ`).
        OneMegaOhm => "1MOhm",
        /// 50 Ω.
        FiftyOhm => "50Ohm",
    }
}

raw_enum! {
    /// Trigger source of `start_logging` / `start_streaming`.
    TriggerSource {
        /// Input 1.
        Input1 => "Input1",
        /// Input 2.
        Input2 => "Input2",
        /// Input 3.
        Input3 => "Input3",
        /// Input 4.
        Input4 => "Input4",
        /// Input 5.
        Input5 => "Input5",
        /// Input 6.
        Input6 => "Input6",
        /// Input 7.
        Input7 => "Input7",
        /// Input 8.
        Input8 => "Input8",
        /// The external trigger input.
        External => "External",
    }
}

raw_enum! {
    /// Output waveform type of `generate_waveform`.
    WaveformType {
        /// Output off.
        Off => "Off",
        /// Sine wave.
        Sine => "Sine",
        /// Square wave (uses `duty`).
        Square => "Square",
        /// Ramp (uses `symmetry`).
        Ramp => "Ramp",
        /// Pulse (uses `edge_time` and `pulse_width`).
        Pulse => "Pulse",
        /// Noise (uses amplitude and offset only).
        Noise => "Noise",
        /// DC level (uses `dc_level`).
        Dc => "DC",
    }
}

raw_enum! {
    /// State of a streaming session (`get_stream_status`).
    StreamState {
        /// No session.
        Idle => "IDLE",
        /// Waiting for a trigger or delay.
        Waiting => "WAITING",
        /// Streaming.
        Running => "RUNNING",
        /// Flushing the last data.
        Finalizing => "FINALIZING",
        /// Done.
        Completed => "COMPLETED",
        /// Stopped by the user.
        Cancelled => "CANCELLED",
        /// Failed; see `error`.
        Error => "ERROR",
    }
}

raw_enum! {
    /// A file area on the device (docs/moku-protocol.md §6). Which ones exist depends on the model.
    FileTarget {
        /// Bitstreams.
        Bitstreams => "bitstreams",
        /// The SSD (Pro, Delta): `.li` files.
        Ssd => "ssd",
        /// Logs.
        Logs => "logs",
        /// Persistent storage (Go: `.li` files; Pro, Delta).
        Persist => "persist",
        /// Media (Lab: `.li` files).
        Media => "media",
        /// Temporary storage.
        Tmp => "tmp",
    }
}

impl TriggerSource {
    /// `Input<n>` for a 1-based input number (n = 1..=8), `Other` beyond.
    pub fn input(n: u8) -> Self {
        match n {
            1..=8 => Self::KNOWN[usize::from(n) - 1].clone(),
            n => Self::Other(format!("Input{n}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip() {
        for v in Range::KNOWN {
            assert_eq!(&Range::from_raw(v.as_str()), v);
        }
        assert_eq!(Range::from_raw("7Vpp"), Range::Other("7Vpp".into()));
        assert_eq!(Range::from_raw("7Vpp").as_str(), "7Vpp");
        assert_eq!(Model::from_raw("Moku:Pro").platform_name(), "mokupro");
        assert_eq!(WaveformType::Dc.as_str(), "DC");
        assert_eq!(TriggerSource::input(3), TriggerSource::Input3);
        assert_eq!(
            "External".parse::<TriggerSource>().unwrap(),
            TriggerSource::External
        );
    }
}
