//! The instrument through one in-process SCPI session: no sockets.

use elog::ElogInstrument;
use elog::acquisition::{Acquisition, SharedInstrument, lock};
use elog::instrument::ElogTree;
use elog::scpi_parser::Session;

/// A simulated instrument, its acquisition stepped by hand, and one SCPI
/// session over the instrument's command tree.
pub struct Local {
    pub instrument: SharedInstrument,
    pub acquisition: Acquisition,
    pub tree: ElogTree,
    pub session: Session,
}

impl Local {
    /// One simulator holding `specs`.
    pub fn new(specs: &[&str]) -> Local {
        let (instrument, acquisition) = super::simulated(specs);
        Local {
            instrument,
            acquisition,
            tree: ElogInstrument::tree(),
            session: Session::new(),
        }
    }

    /// Processes one program message; returns the raw response bytes.
    pub fn ask(&mut self, msg: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut inst = lock(&self.instrument);
        self.session
            .process(&self.tree, msg.as_bytes(), &mut *inst, &mut out);
        out
    }

    /// Pops the session's error queue; returns the codes, oldest first.
    pub fn errors(&mut self) -> Vec<i32> {
        let mut codes = Vec::new();
        while let Some(e) = self.session.pop_error() {
            codes.push(e.code());
        }
        codes
    }
}
