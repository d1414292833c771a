//! Golden vectors: whole program messages in, response bytes and the error
//! queue out.

mod common;

use common::{Elog, tree};
use scpi_parser::{Framer, Session};

/// Feeds `input` through a framer and a fresh session; returns the response
/// bytes and the drained error queue (`code,"text;detail"`).
fn run_on(dev: &mut Elog, session: &mut Session, input: &[u8]) -> (Vec<u8>, Vec<String>) {
    let tree = tree();
    let mut framer = Framer::with_capacity(4096);
    let mut out = Vec::new();
    session.feed(&mut framer, input, &tree, dev, &mut out);
    session.finish(&mut framer, &tree, dev, &mut out);
    let mut errors = Vec::new();
    while let Some(e) = session.pop_error() {
        errors.push(e.to_string());
    }
    (out, errors)
}

fn run(input: &[u8]) -> (Vec<u8>, Vec<String>) {
    run_on(&mut Elog::default(), &mut Session::new(), input)
}

#[track_caller]
fn check(input: &str, out: &str, errors: &[&str]) {
    let (o, e) = run(input.as_bytes());
    assert_eq!(String::from_utf8_lossy(&o), out, "response to {input:?}");
    assert_eq!(e, errors, "errors of {input:?}");
}

#[test]
fn common_commands() {
    check("*IDN?\n", "ACME,ELOG-TEST,42,1.0\n", &[]);
    check("*idn?\r\n", "ACME,ELOG-TEST,42,1.0\n", &[]);
    check("*ESE 36;*ESE?;*SRE 255;*SRE?\n", "36;191\n", &[]);
    check("*OPC?;*TST?\n", "1;0\n", &[]);
    check("*OPC;*ESR?;*ESR?\n", "1;0\n", &[]);
    check("*WAI;*RST;*CLS\n", "", &[]);
    check("*ESE 256\n", "", &["-222,\"Data out of range\""]);
    check("*ESE\n", "", &["-109,\"Missing parameter\""]);
    check("*FOO\n", "", &["-113,\"Undefined header;*FOO\""]);
    check("*IDN\n", "", &["-113,\"Undefined header;*IDN\""]);
    check(
        "*VER?\n",
        "SCPI,\"1999.0\",RC_SCPI,\"1.10\",TEST,\"1.0\"\n",
        &[],
    );
}

#[test]
fn error_queue_and_status() {
    check("SYST:ERR?\n", "0,\"No error\"\n", &[]);
    check("FOO;:SYST:ERR?\n", "", &["-113,\"Undefined header;FOO\""]);
    check(
        "FOO\n:SYST:ERR?;:SYST:ERR:NEXT?\n",
        "-113,\"Undefined header;FOO\";0,\"No error\"\n",
        &[],
    );
    check(
        "FOO\nBAR\n:SYST:ERR:COUN?\n",
        "2\n",
        &[
            "-113,\"Undefined header;FOO\"",
            "-113,\"Undefined header;BAR\"",
        ],
    );
    check(
        "FOO\n:ELOG:PER 5000\n:SYST:ERR:ALL?\n:SYST:ERR:ALL?\n",
        "-113,\"Undefined header;FOO\",-222,\"Data out of range\"\n0,\"No error\"\n",
        &[],
    );
    // ESR bits per class: CME (32) + EXE (16) + DDE (8) + QYE (4).
    check(
        "FOO\n:ELOG:PER 5000\nFAIL\n*IDN?;*IDN?\n*ESR?\n",
        "ACME,ELOG-TEST,42,1.0\n60\n",
        &[
            "-113,\"Undefined header;FOO\"",
            "-222,\"Data out of range\"",
            "101,\"Device failure;test\"",
            "-440,\"Query UNTERMINATED after indefinite response\"",
        ],
    );
    // STB: EAV (4) with an error queued, ESB (32) once ESE enables it, MSS (64) via SRE.
    check("*STB?\n", "0\n", &[]);
    check("FOO\n*STB?\n", "4\n", &["-113,\"Undefined header;FOO\""]);
    check(
        "*ESE 32;*SRE 32\nFOO\n*STB?\n",
        "100\n",
        &["-113,\"Undefined header;FOO\""],
    );
    // MAV (16): response bytes pending earlier in the same message.
    check(
        "*IDN?;*STB?\n",
        "ACME,ELOG-TEST,42,1.0\n",
        &["-440,\"Query UNTERMINATED after indefinite response\""],
    );
    check("*OPC?;*STB?\n", "1;16\n", &[]);
    // *CLS clears the queue and the ESR.
    check("FOO\n*CLS\n*ESR?;:SYST:ERR?\n", "0;0,\"No error\"\n", &[]);
    check("SYST:VERS?\n", "1999.0\n", &[]);
}

#[test]
fn queue_overflow_keeps_oldest() {
    let mut input = String::new();
    for i in 0..20 {
        input.push_str(&format!("BAD{i}\n"));
    }
    let (_, e) = run(input.as_bytes());
    assert_eq!(e.len(), 16);
    assert_eq!(e[0], "-113,\"Undefined header;BAD0\"");
    assert_eq!(e[14], "-113,\"Undefined header;BAD14\"");
    assert_eq!(e[15], "-350,\"Queue overflow\"");
}

#[test]
fn compound_path_rule() {
    // Common commands keep the path (the C library resets it here).
    check(":SYST:ERR?;*CLS;COUN?\n", "0,\"No error\";0\n", &[]);
    check(
        ":ELOG:PER 1;PER?;:ELOG:FORM BIN_INTEL;FORM?\n",
        "1.0E+0;BIN_INTEL\n",
        &[],
    );
    check(
        ":ELOG:PER?;:SYST:ERR:COUN?;NEXT?\n",
        "1.0E-1;0;0,\"No error\"\n",
        &[],
    );
    check(
        ":ELOG:PER 1;SYST:ERR?\n",
        "",
        &["-113,\"Undefined header;SYST:ERR?\""],
    );
    check("MEAS:VOLT?;DC?\n", "1.5E+0;1.5E+0\n", &[]);
    check("OUTP3:STAT ON;STAT?;:OUTP1:STAT?\n", "1;0\n", &[]);
    check(
        "OUTP5:STAT ON\n",
        "",
        &["-114,\"Header suffix out of range;OUTP5\""],
    );
    check("VOLT 2.5;VOLT?\n", "", &["-113,\"Undefined header;VOLT?\""]);
    check("VOLT 2.5;:SOUR:VOLT:LEV?\n", "2.5E+0\n", &[]);
    // Leading white space before a header is allowed.
    check("   *IDN?\n", "ACME,ELOG-TEST,42,1.0\n", &[]);
}

#[test]
fn short_long_forms() {
    check(
        ":elog:period 2;:ELOG:PERIOD?;:ElOg:PeR?\n",
        "2.0E+0;2.0E+0\n",
        &[],
    );
    check(
        ":ELOG:PERI?\n",
        "",
        &["-113,\"Undefined header;:ELOG:PERI?\""],
    );
    check(
        ":ELOGX:PER?\n",
        "",
        &["-113,\"Undefined header;:ELOGX:PER?\""],
    );
    check(
        ":ELOG:ABCDEFGHIJKLM?\n",
        "",
        &["-112,\"Program mnemonic too long;ABCDEFGHIJKLM\""],
    );
}

#[test]
fn elog_example_session() {
    let mut dev = Elog::default();
    let mut s = Session::new();
    let (o, e) = run_on(
        &mut dev,
        &mut s,
        b":ELOG:ITEM \"AI 1/1\",\"AI 1/2\";:ELOG:CALC AVG,MIN;:ELOG:TIM OFF\n",
    );
    assert_eq!(o, b"");
    assert_eq!(e, ["-113,\"Undefined header;:ELOG:TIM\""]);
    let (o, e) = run_on(
        &mut dev,
        &mut s,
        b":ELOG:STAR\n:ELOG:STAT?\n:ELOG:FETC? 2\n:ELOG:ITEM?;CALC?\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&o),
        "RUNNING\n1.0E+0,1.5E+0\n\"AI 1/1\",\"AI 1/2\";AVG,MIN\n"
    );
    assert!(e.is_empty());
    let (o, e) = run_on(&mut dev, &mut s, b":ELOG:PER 1\n:ELOG:STOP;:ELOG:FETC?\n");
    assert_eq!(o, b"ERROR\n");
    assert_eq!(
        e,
        [
            "-221,\"Settings conflict;ELOG running\"",
            "-221,\"Settings conflict;not running\""
        ]
    );
}

#[test]
fn items_refuse_one_keep_others() {
    let mut dev = Elog::default();
    let (o, e) = run_on(
        &mut dev,
        &mut Session::new(),
        b":ELOG:ITEMS \"AI 1/1\",\"AI 9/9\",'AI 2/1';ITEMS?\n",
    );
    assert_eq!(String::from_utf8_lossy(&o), "\"AI 1/1\",\"AI 2/1\"\n");
    assert_eq!(e, ["-224,\"Illegal parameter value;AI 9/9\""]);
}

#[test]
fn validation_happens_before_dispatch() {
    for (input, err) in [
        (":ELOG:FETC? 2,\n", "-102,\"Syntax error;dangling comma\""),
        (":ELOG:PER 1,2\n", "-108,\"Parameter not allowed\""),
        (":ELOG:PER\n", "-109,\"Missing parameter\""),
        (":ELOG:PER 1 2\n", "-103,\"Invalid separator\""),
        (":ELOG:PER 5000\n", "-222,\"Data out of range\""),
        (":ELOG:PER 1 V\n", "-131,\"Invalid suffix;V\""),
        (":ELOG:FETC? 1 s\n", "-138,\"Suffix not allowed;s\""),
        (
            ":ELOG:CALC AVG,FOO\n",
            "-224,\"Illegal parameter value;FOO\"",
        ),
        (
            ":ELOG:CALC AVG,\"MIN\"\n",
            "-158,\"String data not allowed\"",
        ),
        (
            ":ELOG:ITEM \"a\",AVG\n",
            "-148,\"Character data not allowed\"",
        ),
        (":ELOG:ITEM \"a\",1\n", "-128,\"Numeric data not allowed\""),
        (":ELOG:ITEM \"a\",#11x\n", "-168,\"Block data not allowed\""),
        (
            ":ELOG:ITEM \"a\",(@1)\n",
            "-178,\"Expression data not allowed\"",
        ),
        (":ELOG:ITEM \"abc\n", "-151,\"Invalid string data\""),
        (":ELOG:FORM ASC\n", "-224,\"Illegal parameter value;ASC\""),
        (
            ":ELOG:DATA #15abc\n",
            "-161,\"Invalid block data;block shorter than its length\"",
        ),
        (":ROUT:CLOS (1,2)\n", "-171,\"Invalid expression;(1,2)\""),
        (":ELOG:PER 1e99999\n", "-123,\"Exponent too large\""),
        (":ELOG:PER 1.2.3\n", "-121,\"Invalid character in number\""),
        (":ELOG:PER #HZZ\n", "-121,\"Invalid character in number\""),
        (
            ":ELOG:PER 1 ABCDEFGHIJKLM\n",
            "-134,\"Suffix too long;ABCDEFGHIJKLM\"",
        ),
        (
            ":ELOG:FORM ABCDEFGHIJKLM\n",
            "-144,\"Character data too long;ABCDEFGHIJKLM\"",
        ),
        (":ELOG:PER $\n", "-101,\"Invalid character\""),
        (
            ":ELOG:PER\"1\"\n",
            "-111,\"Header separator error;:ELOG:PER\"",
        ),
        (":ELOG::PER 1\n", "-110,\"Command header error;:ELOG:\""),
        ("*CLS;;*CLS\n", "-102,\"Syntax error;empty message unit\""),
        (
            ":ELOG:PER #HFFFFFFFFFFFFFFFFF\n",
            "-120,\"Numeric data error\"",
        ),
    ] {
        let mut dev = Elog::default();
        let (o, e) = run_on(&mut dev, &mut Session::new(), input.as_bytes());
        assert_eq!(dev.executed, 0, "{input:?} ran a handler");
        assert_eq!(o, b"", "{input:?}");
        assert_eq!(e, [err], "{input:?}");
        assert_eq!(dev.period, 0.1);
    }
    let many = format!(":ELOG:PER {}\n", "1".repeat(256));
    assert_eq!(run(many.as_bytes()).1, ["-124,\"Too many digits\""]);
}

#[test]
fn syntax_error_stops_message_execution_error_does_not() {
    let mut dev = Elog::default();
    let (o, e) = run_on(
        &mut dev,
        &mut Session::new(),
        b":ELOG:PER 5000;:ELOG:PER 2;PER?\n",
    );
    assert_eq!(o, b"2.0E+0\n");
    assert_eq!(e, ["-222,\"Data out of range\""]);
    let (o, e) = run_on(
        &mut dev,
        &mut Session::new(),
        b":ELOG:PER 3;:ELOG:PER 2,;PER?\n",
    );
    assert_eq!(o, b"");
    assert_eq!(e, ["-102,\"Syntax error;dangling comma\""]);
    assert_eq!(dev.period, 3.0);
}

#[test]
fn numbers_and_units() {
    check(":ELOG:PER 100ms;PER?\n", "1.0E-1\n", &[]);
    check(":ELOG:PER 0.1 S;PER?\n", "1.0E-1\n", &[]);
    check(":ELOG:PER 1.5 E3;PER?\n", "1.5E+3\n", &[]);
    check(":ELOG:PER 1.5e-3 ks;PER?\n", "1.5E+0\n", &[]);
    check(":ELOG:PER MAX;PER?\n", "3.6E+3\n", &[]);
    check(":ELOG:PER DEF;PER?\n", "1.0E-1\n", &[]);
    check(":ELOG:PER #H10;PER?\n", "1.6E+1\n", &[]);
    check(":ELOG:PER 0.100000;PER?\n", "1.0E-1\n", &[]);
    check(
        ":ELOG:FETC? 10.6\n",
        "ERROR\n",
        &["-221,\"Settings conflict;not running\""],
    );
    check(":ELOG:FETC? -1\n", "", &["-222,\"Data out of range\""]);
    check(
        "NUM? 10.5,NR1;NUM? 0.25,NR2;NUM? -1e300;NUM? INF;NUM? NINF;NUM? NAN\n",
        "10;0.25;-1.0E+300;9.9E+37;-9.9E+37;9.91E+37\n",
        &[],
    );
    check(
        "VOLT 2 MV;:VOLT?;:VOLT 1 KV\n",
        "2.0E-3\n",
        &["-222,\"Data out of range\""],
    );
    check("VOLT 5 MAV\n", "", &["-222,\"Data out of range\""]);
}

#[test]
fn strings_blocks_channel_lists() {
    check("ECHO? \"say \"\"hi\"\"\"\n", "\"say \"\"hi\"\"\"\n", &[]);
    check("ECHO? 'it''s'\n", "\"it's\"\n", &[]);
    check(
        "ECHO? \"a;b\",\n",
        "",
        &["-102,\"Syntax error;dangling comma\""],
    );
    check(
        ":ELOG:DATA #15a\nb;c;:ELOG:DATA?\n",
        "#15\0\x01\x02\x03\x04\n",
        &[],
    );
    check(
        ":ELOG:DATA #0ab\ncd\n:ELOG:DATA?\n",
        "#12\0\x01\n",
        &["-113,\"Undefined header;cd\""],
    );
    check("ROUT:CLOS (@1,3:5);CLOS?\n", "4\n", &[]);
    check("ROUT:CLOS (@);CLOS?\n", "0\n", &[]);
    check(
        "ROUT:CLOS (@1,,2)\n",
        "",
        &["-171,\"Invalid expression;(@1,,2)\""],
    );
    let mut block = b":ELOG:DATA #41024".to_vec();
    block.extend((0..1024).map(|i| (i % 256) as u8));
    block.extend_from_slice(b";:ELOG:DATA?\n");
    let (o, e) = run(&block);
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(&o[..6], b"#41024");
    assert_eq!(o.len(), 6 + 1024 + 1);
}

#[test]
fn indefinite_block_runs_to_the_end() {
    let mut dev = Elog::default();
    let (o, e) = run_on(&mut dev, &mut Session::new(), b":ELOG:DATA #0ab\x00;:X\r\n");
    assert!(o.is_empty() && e.is_empty(), "{e:?}");
    assert_eq!(dev.data_len, 6);
}

#[test]
fn response_headers() {
    check(
        ":COMM:HEAD ON;:ELOG:STAT?;PER?;:COMM:HEAD?\n",
        ":ELOG:STAT CONFIG;:ELOG:PER 1.0E-1;:COMM:HEAD 1\n",
        &[],
    );
    check(
        ":COMM:HEAD ON;:OUTP2:STAT?;:SOUR:VOLT?;*IDN?\n",
        ":OUTP2:STAT 0;:VOLT 0.0E+0;ACME,ELOG-TEST,42,1.0\n",
        &[],
    );
    check(":COMM:HEAD OFF;:COMM:HEAD?\n", "0\n", &[]);
}

#[test]
fn overrun_and_resync() {
    let mut dev = Elog::default();
    let mut s = Session::new();
    let tree = tree();
    let mut framer = Framer::new([0u8; 32]);
    let mut out = Vec::new();
    s.feed(
        &mut framer,
        b":ELOG:ITEM \"AI 1/1\",\"AI 1/2\",\"AI 2/1\"\n*IDN?\n",
        &tree,
        &mut dev,
        &mut out,
    );
    assert_eq!(out, b"ACME,ELOG-TEST,42,1.0\n");
    assert_eq!(
        s.pop_error().unwrap().to_string(),
        "-363,\"Input buffer overrun\""
    );
    assert_eq!(dev.n_items, 0);
    assert_eq!(s.esr(), scpi_parser::status::esr::DDE);
}

#[test]
fn reset_runs_device_hook() {
    let mut dev = Elog::default();
    let (o, _) = run_on(
        &mut dev,
        &mut Session::new(),
        b":ELOG:PER 2;*RST;:ELOG:PER?\n",
    );
    assert_eq!(o, b"1.0E-1\n");
    assert_eq!(dev.resets, 1);
}

#[test]
fn output_overflow_is_430() {
    let tree = tree();
    let mut dev = Elog::default();
    let mut s = Session::new();
    let mut buf = [0u8; 8];
    let mut sink = scpi_parser::SliceSink::new(&mut buf);
    s.process(&tree, b"*IDN?", &mut dev, &mut sink);
    assert_eq!(s.pop_error().unwrap().code(), -430);
    assert!(s.pop_error().is_none());
}

#[test]
fn empty_and_trailing_semicolon() {
    check("\n\r\n  \n", "", &[]);
    check("*OPC?;\n", "1\n", &[]);
}

#[test]
fn queries_answering_on_refusal_always_get_a_line() {
    // Refused before the handler: wrong type, unreadable numbers, a bad word.
    check(
        "ANSW? ABC\n",
        "ERROR\n",
        &["-148,\"Character data not allowed;ABC\""],
    );
    let (o, e) = run(b"ANSW? #HFFFFFFFFFFFFFFFFFFFFFF\n");
    assert_eq!(o, b"ERROR\n");
    assert_eq!(e.len(), 1, "{e:?}");
    let (o, e) = run(b"ANSW? 1e+99999\n");
    assert_eq!(o, b"ERROR\n");
    assert_eq!(e.len(), 1, "{e:?}");
    let (o, e) = run(b"ANSW? \"x\";*IDN?\n");
    assert_eq!(o, b"ERROR\n", "a fatal refusal still ends the message");
    assert_eq!(e.len(), 1, "{e:?}");
    // The answer joins the other units of the message like any answer.
    let (o, e) = run(b"*OPC?;ANSW? 1,NRX;*OPC?\n");
    assert_eq!(o, b"1;ERROR;1\n");
    assert_eq!(e.len(), 1, "{e:?}");
    // The same refusal without the declaration gives no line.
    let (o, _) = run(b"NUMB? ABC\n");
    assert_eq!(o, b"");
}

#[test]
fn minute_and_hour_suffixes_for_times() {
    check(":ELOG:PER 2 MIN;:ELOG:PER?\n", "1.2E+2\n", &[]);
    check(":ELOG:PER 0.5 HR;:ELOG:PER?\n", "1.8E+3\n", &[]);
    check(":ELOG:PER 2 HR\n", "", &["-222,\"Data out of range\""]);
}
