//! The Moku emulator as the tests start it.

use moku_emulator::{Config, Emulator, Signal};

/// A default emulator whose inputs are constants: 1 = 0.5, 2 = −0.25.
pub fn constant_emulator() -> Emulator {
    let emu = Emulator::start(Config::default()).unwrap();
    emu.set_input_signal(1, Signal::Constant(0.5));
    emu.set_input_signal(2, Signal::Constant(-0.25));
    emu
}
