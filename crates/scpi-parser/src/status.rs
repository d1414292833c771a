//! IEEE 488.2 status registers: the standard event status register (ESR) and
//! the status byte (STB) bit assignments.

/// Standard event status register bits (IEEE 488.2 §11.5.1).
pub mod esr {
    /// Operation complete (`*OPC`).
    pub const OPC: u8 = 1 << 0;
    /// Request control.
    pub const RQC: u8 = 1 << 1;
    /// Query error (`-4xx`).
    pub const QYE: u8 = 1 << 2;
    /// Device-dependent error (`-3xx` and positive codes).
    pub const DDE: u8 = 1 << 3;
    /// Execution error (`-2xx`).
    pub const EXE: u8 = 1 << 4;
    /// Command error (`-1xx`).
    pub const CME: u8 = 1 << 5;
    /// User request.
    pub const URQ: u8 = 1 << 6;
    /// Power on.
    pub const PON: u8 = 1 << 7;
}

/// Status byte bits (IEEE 488.2 §11.2, SCPI-1999 §9).
pub mod stb {
    /// Error/event queue not empty (SCPI).
    pub const EAV: u8 = 1 << 2;
    /// Questionable status summary (supplied by the device).
    pub const QUES: u8 = 1 << 3;
    /// Message available: response bytes are pending in this message.
    pub const MAV: u8 = 1 << 4;
    /// Event status bit: `ESR & ESE != 0`.
    pub const ESB: u8 = 1 << 5;
    /// Master summary status: `STB & SRE` (bit 6 excluded) is not zero.
    pub const MSS: u8 = 1 << 6;
    /// Operation status summary (supplied by the device).
    pub const OPER: u8 = 1 << 7;
}
