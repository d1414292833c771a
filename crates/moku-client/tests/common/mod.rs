//! Shared helpers: a real emulator on 127.0.0.1, port 0.
#![allow(dead_code)]

use moku_client::{ConnectOptions, Datalogger};
use moku_emulator::{Config, Emulator, Model};

pub fn emulator(model: Model) -> Emulator {
    Emulator::start(Config {
        model,
        ..Config::default()
    })
    .expect("emulator starts")
}

pub fn connect(emu: &Emulator) -> Datalogger {
    Datalogger::connect(&emu.host(), ConnectOptions::default()).expect("connects")
}

pub fn connect_with(emu: &Emulator, options: ConnectOptions) -> moku_client::Result<Datalogger> {
    Datalogger::connect(&emu.host(), options)
}
