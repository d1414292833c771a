//! The VXI-11 core and abort channel procedures (VXI-11 rev 1.0, B.6):
//! their argument decoding (pure, bounded) and the error codes.

use super::rpc::{Reader, XdrError};

/// The core channel program number (`DEVICE_CORE`).
pub const CORE_PROG: u32 = 0x0006_07AF;
/// The abort channel program number (`DEVICE_ASYNC`).
pub const ABORT_PROG: u32 = 0x0006_07B0;
/// The version of both programs.
pub const VXI11_VERSION: u32 = 1;

/// Procedure numbers.
#[allow(missing_docs)]
pub mod procedure {
    pub const NULL: u32 = 0;
    pub const DEVICE_ABORT: u32 = 1;
    pub const CREATE_LINK: u32 = 10;
    pub const DEVICE_WRITE: u32 = 11;
    pub const DEVICE_READ: u32 = 12;
    pub const DEVICE_READSTB: u32 = 13;
    pub const DEVICE_TRIGGER: u32 = 14;
    pub const DEVICE_CLEAR: u32 = 15;
    pub const DEVICE_REMOTE: u32 = 16;
    pub const DEVICE_LOCAL: u32 = 17;
    pub const DEVICE_LOCK: u32 = 18;
    pub const DEVICE_UNLOCK: u32 = 19;
    pub const DEVICE_ENABLE_SRQ: u32 = 20;
    pub const DEVICE_DOCMD: u32 = 22;
    pub const DESTROY_LINK: u32 = 23;
    pub const CREATE_INTR_CHAN: u32 = 25;
    pub const DESTROY_INTR_CHAN: u32 = 26;
}

/// `Device_ErrorCode` values.
#[allow(missing_docs)]
pub mod error {
    pub const NO_ERROR: u32 = 0;
    pub const SYNTAX_ERROR: u32 = 1;
    pub const DEVICE_NOT_ACCESSIBLE: u32 = 3;
    pub const INVALID_LINK: u32 = 4;
    pub const PARAMETER_ERROR: u32 = 5;
    pub const OPERATION_NOT_SUPPORTED: u32 = 8;
    pub const OUT_OF_RESOURCES: u32 = 9;
    pub const DEVICE_LOCKED: u32 = 11;
    pub const NO_LOCK_HELD: u32 = 12;
    pub const IO_TIMEOUT: u32 = 15;
    pub const IO_ERROR: u32 = 17;
    pub const ABORT: u32 = 23;
}

/// `Device_Flags` bits.
pub mod flags {
    /// Wait up to `lock_timeout` for a lock held by another link.
    pub const WAITLOCK: u32 = 1;
    /// The written data ends a program message (END).
    pub const END: u32 = 8;
    /// `term_char` of a read is valid.
    pub const TERMCHRSET: u32 = 0x80;
}

/// `device_read` reasons.
pub mod reason {
    /// `request_size` bytes were transferred.
    pub const REQCNT: u32 = 1;
    /// The termination character was transferred.
    pub const CHR: u32 = 2;
    /// The end of a response message (END).
    pub const END: u32 = 4;
}

/// The longest device name `create_link` accepts.
pub const MAX_DEVICE_NAME: usize = 256;
/// The longest `device_enable_srq` handle.
pub const MAX_SRQ_HANDLE: usize = 40;

/// A decoded core or abort channel request.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Request<'a> {
    /// Procedure 0 of either program.
    Null,
    /// `create_link`.
    CreateLink {
        /// The client's id (unused).
        client_id: i32,
        /// Take the lock at once.
        lock_device: bool,
        /// How long to wait for it, ms.
        lock_timeout: u32,
        /// The device name (`inst0`).
        device: &'a [u8],
    },
    /// `device_write`.
    Write {
        /// The link.
        lid: i32,
        /// I/O timeout, ms.
        io_timeout: u32,
        /// Lock timeout, ms.
        lock_timeout: u32,
        /// `Device_Flags`.
        flags: u32,
        /// The bytes.
        data: &'a [u8],
    },
    /// `device_read`.
    Read {
        /// The link.
        lid: i32,
        /// The most bytes to return.
        request_size: u32,
        /// I/O timeout, ms.
        io_timeout: u32,
        /// Lock timeout, ms.
        lock_timeout: u32,
        /// `Device_Flags`.
        flags: u32,
        /// The termination character (with [`flags::TERMCHRSET`]).
        term_char: u8,
    },
    /// `device_readstb`, `device_trigger`, `device_clear`, `device_remote`,
    /// `device_local` (`Device_GenericParms`).
    Generic {
        /// Which of them.
        proc_: u32,
        /// The link.
        lid: i32,
        /// `Device_Flags`.
        flags: u32,
        /// Lock timeout, ms.
        lock_timeout: u32,
        /// I/O timeout, ms.
        io_timeout: u32,
    },
    /// `device_lock`.
    Lock {
        /// The link.
        lid: i32,
        /// `Device_Flags`.
        flags: u32,
        /// Lock timeout, ms.
        lock_timeout: u32,
    },
    /// `device_unlock`, `destroy_link` or `device_abort` (a bare link id).
    Link {
        /// Which of them.
        proc_: u32,
        /// The link.
        lid: i32,
    },
    /// `device_enable_srq`.
    EnableSrq {
        /// The link.
        lid: i32,
    },
    /// `device_docmd`.
    Docmd {
        /// The link.
        lid: i32,
    },
    /// `create_intr_chan` / `destroy_intr_chan`.
    IntrChan,
}

/// Why a request is not answered with results.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum RequestError {
    /// No such procedure: `PROC_UNAVAIL`.
    NoProcedure,
    /// Arguments that do not decode: `GARBAGE_ARGS`.
    Garbage,
}

impl From<XdrError> for RequestError {
    fn from(_: XdrError) -> Self {
        Self::Garbage
    }
}

impl<'a> Request<'a> {
    /// Decodes the arguments of core channel procedure `proc_`; `max_data`
    /// bounds the data of a write.
    pub fn decode_core(
        proc_: u32,
        r: &mut Reader<'a>,
        max_data: usize,
    ) -> Result<Self, RequestError> {
        use procedure as p;
        Ok(match proc_ {
            p::NULL => Self::Null,
            p::CREATE_LINK => Self::CreateLink {
                client_id: r.i32()?,
                lock_device: r.bool()?,
                lock_timeout: r.u32()?,
                device: r.opaque(MAX_DEVICE_NAME)?,
            },
            p::DEVICE_WRITE => Self::Write {
                lid: r.i32()?,
                io_timeout: r.u32()?,
                lock_timeout: r.u32()?,
                flags: r.u32()?,
                data: r.opaque(max_data)?,
            },
            p::DEVICE_READ => Self::Read {
                lid: r.i32()?,
                request_size: r.u32()?,
                io_timeout: r.u32()?,
                lock_timeout: r.u32()?,
                flags: r.u32()?,
                // A char in XDR: an int whose low byte counts.
                term_char: (r.u32()? & 0xff) as u8,
            },
            p::DEVICE_READSTB
            | p::DEVICE_TRIGGER
            | p::DEVICE_CLEAR
            | p::DEVICE_REMOTE
            | p::DEVICE_LOCAL => Self::Generic {
                proc_,
                lid: r.i32()?,
                flags: r.u32()?,
                lock_timeout: r.u32()?,
                io_timeout: r.u32()?,
            },
            p::DEVICE_LOCK => Self::Lock {
                lid: r.i32()?,
                flags: r.u32()?,
                lock_timeout: r.u32()?,
            },
            p::DEVICE_UNLOCK | p::DESTROY_LINK => Self::Link {
                proc_,
                lid: r.i32()?,
            },
            p::DEVICE_ENABLE_SRQ => {
                let lid = r.i32()?;
                r.bool()?;
                r.opaque(MAX_SRQ_HANDLE)?;
                Self::EnableSrq { lid }
            }
            p::DEVICE_DOCMD => {
                let lid = r.i32()?;
                for _ in 0..5 {
                    r.u32()?; // flags, timeouts, cmd, network_order, datasize
                }
                r.opaque(max_data)?;
                Self::Docmd { lid }
            }
            p::CREATE_INTR_CHAN | p::DESTROY_INTR_CHAN => Self::IntrChan,
            _ => return Err(RequestError::NoProcedure),
        })
    }

    /// Decodes the arguments of abort channel procedure `proc_`.
    pub fn decode_abort(proc_: u32, r: &mut Reader<'a>) -> Result<Self, RequestError> {
        match proc_ {
            procedure::NULL => Ok(Self::Null),
            procedure::DEVICE_ABORT => Ok(Self::Link {
                proc_,
                lid: r.i32()?,
            }),
            _ => Err(RequestError::NoProcedure),
        }
    }
}
