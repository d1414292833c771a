//! ELOG configuration, states and refusals over real TCP.
#![cfg(feature = "tcp")]

mod common;

use common::Rig;

const TWO: &[&str] = &["AI 1/1=const:1.0@1000", "AI 1/2=const:-2.5@1000"];

#[test]
fn defaults_and_queries() {
    let rig = Rig::new(TWO);
    let mut c = rig.connect();
    assert_eq!(c.ask(":ELOG:ITEMs?"), "NONE");
    assert_eq!(c.ask(":ELOG:PERiod?"), "0.1");
    assert_eq!(c.ask(":ELOG:CALCulations?"), "AVG");
    assert_eq!(c.ask(":ELOG:FORMat?"), "ASCII");
    assert_eq!(c.ask(":ELOG:TIMestamp?"), "ELOG");
    assert_eq!(c.ask(":ELOG:STATe?"), "CONFIG");
    // Long forms, short forms, any case, several queries in one message.
    assert_eq!(
        c.ask(":elog:items?;period?;:ELOG:CALC?;:ELOG:FORM?;:ELOG:TIM?;:ELOG:STAT?"),
        "NONE;0.1;AVG;ASCII;ELOG;CONFIG"
    );
    c.no_error();
}

#[test]
fn settings_are_answered_canonically() {
    let rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.send(":ELOG:ITEMs \"AI 1/1\",\"AI 1/2\"");
    assert_eq!(c.ask(":ELOG:ITEM?"), "\"AI 1/1\",\"AI 1/2\"");
    c.send(":ELOG:ITEM 'AI 1/2'");
    assert_eq!(c.ask(":ELOG:ITEM?"), "\"AI 1/2\"");
    for (set, want) in [
        ("100ms", "0.1"),
        ("0.5 S", "0.5"),
        ("0.25", "0.25"),
        ("1.5E+0", "1.5"),
        ("3600", "3600.0"),
        ("0.100000", "0.1"),
    ] {
        c.send(&format!(":ELOG:PER {set}"));
        assert_eq!(c.ask(":ELOG:PER?"), want, "{set}");
    }
    c.send(":ELOG:CALC RMS, MIN");
    assert_eq!(c.ask(":ELOG:CALC?"), "RMS,MIN");
    c.send(":ELOG:CALCulations avg,max,rms,min");
    assert_eq!(c.ask(":ELOG:CALC?"), "AVG,MAX,RMS,MIN");
    for (set, want) in [
        ("BIN_INTEL", "BIN_INTEL"),
        ("bin_motorola", "BIN_MOTOROLA"),
        ("ascii", "ASCII"),
        ("ASCII", "ASCII"),
    ] {
        c.send(&format!(":ELOG:FORM {set}"));
        assert_eq!(c.ask(":ELOG:FORM?"), want);
    }
    for w in ["OFF", "REL", "ABS", "ELOG"] {
        c.send(&format!(":ELOG:TIM {}", w.to_lowercase()));
        assert_eq!(c.ask(":ELOG:TIM?"), w);
    }
    c.no_error();
}

#[test]
fn refusals_leave_the_value_unchanged() {
    let rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.send(":ELOG:PER 0.5");
    for bad in ["0", "-1", "3601", "1e6"] {
        c.send(&format!(":ELOG:PER {bad}"));
        assert!(c.error().starts_with("-222,"), "{bad}");
        assert_eq!(c.ask(":ELOG:PER?"), "0.5");
    }
    c.send(":ELOG:CALC MIN,MAX");
    c.send(":ELOG:CALC AVG,FOO");
    assert_eq!(c.error(), "-224,\"Illegal parameter value;FOO\"");
    c.send(":ELOG:CALC MIN,AVG,MIN");
    assert_eq!(
        c.error(),
        "-224,\"Illegal parameter value;calculation repeated MIN\""
    );
    assert_eq!(c.ask(":ELOG:CALC?"), "MIN,MAX");
    c.send(":ELOG:FORM BIN");
    assert!(c.error().starts_with("-224,"));
    assert_eq!(c.ask(":ELOG:FORM?"), "ASCII");
    c.send(":ELOG:TIM ON");
    assert!(c.error().starts_with("-224,"));
    assert_eq!(c.ask(":ELOG:TIM?"), "ELOG");
    c.no_error();
}

#[test]
fn items_partial_refusal_keeps_the_others() {
    let rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"AI 1/1\",\"AI 9/9\",\"AI 1/2\",\"AI 1/1\"");
    assert_eq!(
        c.error(),
        "-224,\"Illegal parameter value;unknown channel AI 9/9 (e.g. AI 1/1, AI 1/2)\""
    );
    assert_eq!(
        c.error(),
        "-224,\"Illegal parameter value;channel listed twice AI 1/1\""
    );
    c.no_error();
    assert_eq!(c.ask(":ELOG:ITEM?"), "\"AI 1/1\",\"AI 1/2\"");
    c.send(":ELOG:ITEM \"nope\"");
    assert!(c.error().starts_with("-224,"));
    assert_eq!(c.ask(":ELOG:ITEM?"), "NONE");
}

#[test]
fn configuration_is_refused_while_running() {
    let mut rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.send(":ELOG:ITEM \"AI 1/1\";:ELOG:STAR");
    rig.step_ms(10);
    assert_eq!(c.ask(":ELOG:STAT?"), "RUNNING");
    for cmd in [
        ":ELOG:ITEM \"AI 1/2\"",
        ":ELOG:PER 1",
        ":ELOG:CALC MAX",
        ":ELOG:FORM BIN_INTEL",
        ":ELOG:TIM OFF",
        ":ELOG:STAR",
    ] {
        c.send(cmd);
        assert!(c.error().starts_with("-221,"), "{cmd}");
    }
    assert_eq!(
        c.ask(":ELOG:ITEM?;PER?;CALC?;FORM?;TIM?;STAT?"),
        "\"AI 1/1\";0.1;AVG;ASCII;ELOG;RUNNING"
    );
    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    assert_eq!(
        c.ask(":ELOG:ITEM?"),
        "\"AI 1/1\"",
        "STOP keeps the configuration"
    );
    c.no_error();
}

#[test]
fn start_rules() {
    let mut rig = Rig::new(&["slow=const:1@100", "fast=const:2@10000"]);
    let mut c = rig.connect();
    // No items.
    c.send(":ELOG:STAR");
    assert_eq!(c.error(), "-221,\"Settings conflict;no ELOG items\"");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    // Binary with absolute times.
    c.send(":ELOG:ITEM \"slow\",\"fast\";:ELOG:FORM BIN_INTEL;:ELOG:TIM ABS;:ELOG:STAR");
    assert_eq!(
        c.error(),
        "-221,\"Settings conflict;absolute times only in ASCII\""
    );
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    c.send(":ELOG:FORM BIN_MOTOROLA;:ELOG:STAR");
    assert!(c.error().starts_with("-221,"));
    c.send(":ELOG:FORM ASCII");
    // Period shorter than one sample interval of `slow` (10 ms).
    c.send(":ELOG:PER 5ms;:ELOG:STAR");
    assert_eq!(
        c.error(),
        "-222,\"Data out of range;period shorter than sample interval of slow\""
    );
    assert_eq!(c.ask(":ELOG:STAT?"), "INVALID");
    assert_eq!(c.ask(":ELOG:FETC?"), "ERROR");
    assert!(c.error().starts_with("-222,"));
    c.send(":ELOG:PER 0.1");
    assert!(
        c.error().starts_with("-221,"),
        "INVALID refuses configuration"
    );
    c.send(":ELOG:STAR");
    assert!(c.error().starts_with("-221,"), "INVALID refuses STARt");
    c.send(":ELOG:STOP");
    assert_eq!(c.ask(":ELOG:STAT?"), "CONFIG");
    // Exactly one sample interval is fine.
    c.send(":ELOG:PER 10ms;:ELOG:STAR");
    c.no_error();
    assert_eq!(c.ask(":ELOG:STAT?"), "RUNNING");
    rig.step_ms(100);
    assert_ne!(c.ask(":ELOG:FETC?"), "NONE");
}

#[test]
fn reset_and_rst_restore_defaults() {
    let mut rig = Rig::new(TWO);
    let mut c = rig.connect();
    for reset in [":ELOG:RESet", "*RST"] {
        c.send(":ELOG:ITEM \"AI 1/1\";:ELOG:PER 0.2;:ELOG:CALC MAX;:ELOG:FORM BIN_INTEL;:ELOG:TIM REL;:ELOG:STAR");
        rig.step_ms(1000);
        assert_eq!(c.ask(":ELOG:STAT?"), "RUNNING");
        c.send(reset);
        assert_eq!(
            c.ask(":ELOG:ITEM?;PER?;CALC?;FORM?;TIM?;STAT?"),
            "NONE;0.1;AVG;ASCII;ELOG;CONFIG",
            "{reset}"
        );
        c.no_error();
    }
}

#[test]
fn headers_are_per_connection() {
    let rig = Rig::new(TWO);
    let mut a = rig.connect();
    let mut b = rig.connect();
    a.send(":COMM:HEAD ON");
    assert_eq!(a.ask(":COMM:HEAD?"), ":COMM:HEAD 1");
    assert_eq!(a.ask(":ELOG:STATe?"), ":ELOG:STAT CONFIG");
    assert_eq!(
        a.ask(":ELOG:ITEMS?;:ELOG:PER?"),
        ":ELOG:ITEM NONE;:ELOG:PER 0.1"
    );
    assert_eq!(b.ask(":ELOG:STAT?"), "CONFIG");
    assert_eq!(b.ask(":COMM:HEAD?"), "0");
    a.send(":COMMunicate:HEADer OFF");
    assert_eq!(a.ask(":ELOG:STAT?"), "CONFIG");
}

#[test]
fn clients_share_the_session_but_not_the_error_queue() {
    let rig = Rig::new(TWO);
    let mut a = rig.connect();
    let mut b = rig.connect();
    a.send(":ELOG:ITEM \"AI 1/1\",\"bogus\"");
    assert_eq!(b.ask(":ELOG:ITEM?"), "\"AI 1/1\"", "one ELOG session");
    b.no_error();
    assert_eq!(a.ask(":SYST:ERR:COUN?"), "1");
    a.send(":ELOG:PER 0");
    assert_eq!(a.ask(":SYST:ERR:COUNt?"), "2");
    assert_eq!(
        a.ask(":SYST:ERR:ALL?"),
        "-224,\"Illegal parameter value;unknown channel bogus (e.g. AI 1/1, AI 1/2)\",-222,\"Data out of range;period must be > 0 and <= 3600 s\""
    );
    a.no_error();
    b.send("*CLS");
    b.no_error();
}

#[test]
fn identity_and_version() {
    let rig = Rig::new(&[]);
    let mut c = rig.connect();
    let idn = c.ask("*IDN?");
    assert_eq!(idn.split(',').count(), 4, "{idn}");
    assert_eq!(idn, format!("elog,ELOG,0,{}", env!("CARGO_PKG_VERSION")));
    let ver = c.ask("*VER?");
    assert_eq!(
        ver,
        format!(
            "SCPI,\"1999.0\",RC_SCPI,\"1.10\",ELOG,\"{}\"",
            env!("CARGO_PKG_VERSION")
        )
    );
    // What pyOxygenSCPI does with it: field 4 as (major, minor) >= (1, 7).
    let field = ver.split(',').nth(3).unwrap().replace('"', "");
    let (major, minor) = field.split_once('.').unwrap();
    let v: (u32, u32) = (major.parse().unwrap(), minor.parse().unwrap());
    assert!(v >= (1, 7));
    assert_eq!(c.ask(":SYST:VERS?"), "1999.0");
}

#[test]
fn channel_discovery() {
    let rig = Rig::new(&[
        "AI 1/1=const:1@100",
        "AI 1/2=const:1@100",
        "Say \"hi\"=const:0@10",
    ]);
    let mut c = rig.connect();
    assert_eq!(
        c.ask(":CHANNEL:NAMES?"),
        "(\"1\",\"AI 1/1\"),(\"2\",\"AI 1/2\"),(\"3\",\"Say \"\"hi\"\"\")"
    );
    assert_eq!(c.ask(":CHANNELlist:IDs?"), "\"1\",\"2\",\"3\"");
    assert_eq!(c.ask(":CHANNEL:IDS? \"AI 1/2\",\"zz\""), "\"2\"");
    assert_eq!(
        c.error(),
        "-224,\"Illegal parameter value;unknown channel zz\""
    );
    assert_eq!(c.ask(":CHANNEL:IDS? \"zz\""), "NONE");
    c.error();
    let empty = Rig::new(&[]);
    let mut d = empty.connect();
    assert_eq!(d.ask(":CHANNEL:NAMES?"), "NONE");
    assert_eq!(d.ask(":CHANNEL:IDS?"), "NONE");
}

/// Every query DEWETRON's pyOxygenSCPI sends when it connects gets a line,
/// in its order and spelling; then its ELOG calls.
#[test]
fn py_oxygen_scpi_connect_sequence() {
    let mut rig = Rig::new(TWO);
    let mut c = rig.connect();
    c.write(":COMM:HEAD OFF");
    let ver = c.ask("*VER?");
    assert!(
        ver.starts_with("SCPI,\"1999.0\",RC_SCPI,\"1.10\","),
        "{ver}"
    );
    assert_eq!(c.ask(":NUM:NORMAL:ITEMS?"), "NONE");
    c.write(":NUM:NORMAL:NUMBER 0");
    assert_eq!(c.ask(":ELOG:ITEMS?"), "NONE");
    assert_eq!(c.ask(":ELOG:TIM?"), "ELOG");
    assert_eq!(c.ask(":ELOG:CALC?"), "AVG");
    assert_eq!(
        c.ask(":CHANNEL:NAMES?"),
        "(\"1\",\"AI 1/1\"),(\"2\",\"AI 1/2\")"
    );
    // setElogChannels, setElogPeriod, setElogTimestamp, calc with a space after the comma.
    c.write(":ELOG:ITEMS \"AI 1/1\",\"AI 1/2\"");
    assert_eq!(c.ask(":ELOG:ITEMS?"), "\"AI 1/1\",\"AI 1/2\"");
    c.write(":ELOG:PERIOD 0.100000");
    c.write(":ELOG:TIM REL");
    assert_eq!(c.ask(":ELOG:TIM?"), "REL");
    c.write(":ELOG:CALC RMS, MIN");
    c.write(":ELOG:START");
    c.sync();
    rig.step_ms(500);
    let data = c.ask(":ELOG:FETCH?");
    let fields: Vec<&str> = data.split(',').collect();
    // Timestamp + 2 items x 2 calculations per record.
    assert!(
        fields.len() >= 5 && fields.len().is_multiple_of(5),
        "{data}"
    );
    rig.step_ms(700);
    let one = c.ask(":ELOG:FETCH? 1");
    assert_eq!(one.split(',').count(), 5, "{one}");
    c.write(":ELOG:STOP");
    assert_eq!(c.ask(":SYST:ERR?"), "0,\"No error\"");
    assert_eq!(c.ask(":NUM:NORM:NUMB?"), "0");
}
