//! Channel loss and change during RUNNING, over TCP: the session becomes
//! INVALID (never stale data), the cause is reported through `FETCh?` →
//! `ERROR` and `SYST:ERR?`, configuration is refused, and STOP or RESet
//! recover.
#![cfg(feature = "tcp")]

mod common;

use common::Rig;
use elog::acquisition::lock;
use elog::elog_core::Instant;
use elog::source::{ChannelDecl, Progress, SampleBuffer, Simulator, Source, SourceError};

/// A simulated source whose cable is pulled at a given source time.
struct Dying {
    inner: Simulator,
    dies_at: Instant,
}

impl Source for Dying {
    fn name(&self) -> &str {
        "dying"
    }
    fn channels(&self) -> Vec<ChannelDecl> {
        self.inner.channels()
    }
    fn poll(&mut self, until: Instant, out: &mut SampleBuffer) -> Result<Progress, SourceError> {
        if until >= self.dies_at {
            return Err(SourceError::new("cable pulled"));
        }
        self.inner.poll(until, out)
    }
}

fn dying(spec: &str, ms: i64) -> Dying {
    Dying {
        inner: Simulator::from_specs(&[spec.parse().unwrap()]),
        dies_at: Instant::from_millis(ms),
    }
}

#[test]
fn a_source_that_dies_while_running_invalidates_and_stop_recovers() {
    let mut rig = Rig::new(&["A=const:1@1000"]);
    rig.add_source(dying("X=const:5@1000", 2_050));
    let mut c = rig.connect();
    let mut other = rig.connect();
    c.send(":ELOG:ITEM \"A\",\"X\";:ELOG:TIM ELOG;:ELOG:STAR");
    c.no_error();
    rig.step_ms(1_000);
    let a = c.ask(":ELOG:FETC?");
    assert_eq!(a.split(',').count(), 30, "{a}");
    assert!(a.ends_with("1.0,1.0E+0,5.0E+0"), "{a}");

    // The cable is pulled: the source fails, its channel goes.
    let failures = rig.acquisition.step_to(Instant::from_millis(3_000));
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].error.reason, "cable pulled");
    for conn in [&mut c, &mut other] {
        assert_eq!(conn.ask(":ELOG:STAT?"), "INVALID");
        assert_eq!(conn.ask(":ELOG:FETC?"), "ERROR", "no stale data");
        assert_eq!(conn.error(), "202,\"ELOG channel removed;X\"");
        conn.no_error();
    }
    assert_eq!(c.ask(":CHANNEL:NAMES?"), "(\"1\",\"A\")");
    // INVALID refuses configuration and STARt; only STOP or RESet leave it.
    c.send(":ELOG:PER 0.5;:ELOG:STAR");
    assert!(c.error().starts_with("-221,"));
    assert!(c.error().starts_with("-221,"));
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    rig.step_ms(4_000);
    assert_eq!(
        c.ask(":ELOG:STAT?"),
        "INVALID",
        "stays INVALID as time goes on"
    );

    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    assert_eq!(
        c.ask(":ELOG:ITEM?"),
        "\"A\",\"X\"",
        "STOP keeps the configuration"
    );
    // STARt on the vanished channel is refused and stays CONFIG.
    c.send(":ELOG:STAR");
    assert_eq!(c.error(), "202,\"ELOG channel removed;X\"");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    // Reconfigured to what is there, it runs again from a fresh origin.
    c.send(":ELOG:ITEM \"A\";:ELOG:STAR");
    c.no_error();
    rig.step_ms(4_500);
    let a = c.ask(":ELOG:FETC?");
    let fields: Vec<&str> = a.split(',').collect();
    assert_eq!(fields.len(), 8, "{a}");
    assert_eq!(&fields[..2], ["0.1", "1.0E+0"]);
    c.no_error();
}

#[test]
fn reset_recovers_from_invalid_to_the_defaults() {
    let mut rig = Rig::new(&["A=const:1@1000"]);
    rig.add_source(dying("X=const:5@1000", 500));
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"A\",\"X\";:ELOG:PER 0.2;:ELOG:CALC MIN,MAX;:ELOG:STAR");
    c.no_error();
    assert_eq!(rig.acquisition.step_to(Instant::from_millis(600)).len(), 1);
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    c.send(":ELOG:RES");
    assert_eq!(
        c.ask(":ELOG:STAT?;:ELOG:ITEM?;:ELOG:PER?;:ELOG:CALC?"),
        "CONFIG;NONE;0.1;AVG"
    );
    c.no_error();
}

#[test]
fn a_channel_that_changes_rate_while_running_invalidates() {
    let mut rig = Rig::new(&["A=const:1@1000", "B=const:2@1000"]);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"A\",\"B\";:ELOG:TIM OFF;:ELOG:STAR");
    rig.step_ms(500);
    assert_eq!(c.ask(":ELOG:FETC? 1"), "1.0E+0,2.0E+0");
    let b = lock(&rig.instrument).registry().id_of("B").unwrap();
    let cause = lock(&rig.instrument)
        .change_channel_rate(b, 2000.0)
        .unwrap()
        .expect("an item changed");
    assert_eq!(cause.code(), 201);
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    assert_eq!(c.ask(":ELOG:FETC?"), "ERROR");
    assert_eq!(c.error(), "201,\"ELOG channel changed;B\"");
    // STOP, then STARt picks the new rate up.
    c.send(":ELOG:STOP;:ELOG:STAR");
    c.no_error();
    assert_eq!(c.ask(":ELOG:STAT?"), "RUNNING");
    rig.step_ms(1_000);
    assert_eq!(c.ask(":ELOG:FETC? 1"), "1.0E+0,2.0E+0");
}

#[test]
fn a_channel_removed_in_config_invalidates_too() {
    let mut rig = Rig::new(&["A=const:1@1000"]);
    rig.add_source(dying("X=const:5@1000", 100));
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"A\",\"X\"");
    c.no_error();
    assert_eq!(rig.acquisition.step_to(Instant::from_millis(200)).len(), 1);
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
}
