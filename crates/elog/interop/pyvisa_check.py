#!/usr/bin/env python3
"""PyVISA interop: drive `elog_server` over a raw VISA SOCKET resource.

Usage: pyvisa_check.py PORT

The server must serve the constant channels `AI 1/1` = 1.0 (1 kHz) and
`AI 1/2` = -2.5 (100 Hz). The script opens `TCPIP::127.0.0.1::<PORT>::SOCKET`
with the pure-Python backend (`@py`), queries `*IDN?` and `*VER?`, configures
ELOG the way DEWETRON's own client does (`:ELOG:PERIOD 0.100000`,
`:ELOG:CALC AVG, MIN` with a space after the comma), and reads records in
ASCII and in both binary formats. Binary answers are read raw, byte-exact:
the IEEE 488.2 definite-length blocks (`#<d><len><bytes>`, joined by `,`,
one LF at the end) are parsed here, not by PyVISA, and decoded as float32 in
the announced byte order. Values must be exactly 1.0 / -2.5 and consecutive
timestamps must differ by exactly one period (gap-less reading).

Prints one line per check and `N passed, M failed` last; exits 1 on any failure.
"""

import datetime as dt
import re
import struct
import sys
import time

import pyvisa

PERIOD = 0.1
CHANNELS = ("AI 1/1", "AI 1/2")
EXPECTED = {"AI 1/1": 1.0, "AI 1/2": -2.5}
CALCS = ("AVG", "MIN")
WANT_RECORDS = 8
POLL_S = 0.1
MAX_POLLS = 200  # bounded: 20 s at most per format

passed = 0
failed = 0


def check(name, ok, detail=""):
    """Records one check."""
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}".rstrip())
    return ok


def read_until_lf(inst, first=b""):
    """Reads raw bytes up to and including LF; returns them without the LF."""
    out = bytearray(first)
    while not out.endswith(b"\n"):
        out += inst.read_bytes(1)
    return bytes(out[:-1]).rstrip(b"\r")


def read_blocks_or_text(inst):
    """Reads one answer raw. Returns ("blocks", [payload, ...]) or ("text", bytes)."""
    first = inst.read_bytes(1)
    if first != b"#":
        return "text", read_until_lf(inst, first)
    blocks = []
    while True:
        ndigits = int(inst.read_bytes(1))
        if ndigits == 0:
            raise ValueError("indefinite block in a FETCh? answer")
        length = int(inst.read_bytes(ndigits))
        blocks.append(inst.read_bytes(length))
        sep = inst.read_bytes(1)
        if sep == b"\n":
            return "blocks", blocks
        if sep != b",":
            raise ValueError(f"expected ',' or LF after a block, got {sep!r}")
        if inst.read_bytes(1) != b"#":
            raise ValueError("expected '#' after ','")


def fetch_records(inst, fmt, ts):
    """Fetches until WANT_RECORDS records arrived; returns (times, rows)."""
    width = len(CHANNELS) * len(CALCS)
    with_ts = ts != "OFF"
    order = "<" if fmt == "BIN_INTEL" else ">"
    times, rows = [], []
    for _ in range(MAX_POLLS):
        inst.write(":ELOG:FETC? 50")
        if fmt == "ASCII":
            kind, answer = "text", inst.read_raw().rstrip(b"\r\n")
        else:
            kind, answer = read_blocks_or_text(inst)
        if kind == "text":
            text = answer.decode()
            if text == "NONE":
                time.sleep(POLL_S)
                continue
            if fmt != "ASCII":
                raise ValueError(f"binary FETCh? answered text {text!r}")
            fields = [f.strip() for f in text.split(",")]
            per = width + (1 if with_ts else 0)
            if len(fields) % per:
                raise ValueError(f"{len(fields)} fields is not a multiple of {per}")
            for i in range(0, len(fields), per):
                rec = fields[i : i + per]
                if with_ts:
                    times.append(rec[0])
                    rec = rec[1:]
                rows.append([float(v) for v in rec])
        else:
            expected_blocks = width + (1 if with_ts else 0)
            if len(blocks := answer) != expected_blocks:
                raise ValueError(f"{len(blocks)} blocks, expected {expected_blocks}")
            lengths = {len(b) for b in blocks}
            if len(lengths) != 1 or next(iter(lengths)) % 4:
                raise ValueError(f"block lengths {sorted(lengths)}")
            n = len(blocks[0]) // 4
            cols = [struct.unpack(f"{order}{n}f", b) for b in blocks]
            if with_ts:
                times.extend(cols[0])
                cols = cols[1:]
            rows.extend([col[k] for col in cols] for k in range(n))
        if len(rows) >= WANT_RECORDS:
            break
    return times, rows


def check_values(label, rows):
    """Every record: AVG and MIN of each channel equal its constant."""
    want = [EXPECTED[ch] for ch in CHANNELS for _ in CALCS]
    bad = [r for r in rows if r != want]
    check(f"{label}: {len(rows)} records", len(rows) >= WANT_RECORDS)
    check(f"{label}: values {want}", not bad and rows, f"first bad {bad[:1]}")


def check_steps(label, secs, first=None, tol=1e-9):
    """Consecutive timestamps differ by one period (no record missing or repeated)."""
    steps = [b - a for a, b in zip(secs, secs[1:])]
    ok = bool(steps) and all(abs(s - PERIOD) <= tol for s in steps)
    check(f"{label}: timestamps step by {PERIOD} s", ok, f"steps {steps[:4]}")
    if first is not None and secs:
        check(f"{label}: first timestamp {first}", abs(secs[0] - first) <= tol, f"got {secs[0]}")


def run_format(inst, fmt, ts):
    label = f"{fmt}/{ts}"
    inst.write(":ELOG:STOP")
    inst.write(f":ELOG:FORM {fmt}")
    inst.write(f":ELOG:TIM {ts}")
    check(f"{label}: FORM? TIM?", inst.query(":ELOG:FORM?") == fmt and inst.query(":ELOG:TIM?") == ts)
    inst.write(":ELOG:STAR")
    check(f"{label}: STATe? RUNNING", inst.query(":ELOG:STAT?") == "RUNNING")
    times, rows = fetch_records(inst, fmt, ts)
    inst.write(":ELOG:STOP")
    check_values(label, rows)
    if ts == "ABS":
        pat = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
        check(f"{label}: ABS form", all(pat.match(t) for t in times), f"{times[:2]}")
        secs = [dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f").timestamp() for t in times]
        check_steps(label, secs, tol=2e-6)
    elif ts != "OFF":
        tol = 1e-9 if fmt == "ASCII" else 2e-5  # binary timestamps are float32
        secs = [float(t) for t in times]
        check_steps(label, secs, first=PERIOD if ts == "ELOG" else None, tol=tol)
    check(f"{label}: error queue empty", inst.query(":SYST:ERR?") == '0,"No error"')


def main():
    port = int(sys.argv[1])
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(
        f"TCPIP::127.0.0.1::{port}::SOCKET",
        read_termination="\n",
        write_termination="\n",
        timeout=5000,
    )
    try:
        idn = inst.query("*IDN?")
        check("*IDN? has four fields", len(idn.split(",")) == 4, idn)
        inst.write(":COMM:HEAD OFF")
        ver = inst.query("*VER?").split(",")
        proto = tuple(int(x) for x in ver[3].strip('"').split(".")[:2]) if len(ver) >= 4 else (0, 0)
        check("*VER? protocol >= 1.7", proto >= (1, 7), ",".join(ver))
        names = inst.query(":CHANNEL:NAMES?")
        check(":CHANNEL:NAMES? lists the channels", all(f'"{c}"' in names for c in CHANNELS), names)
        inst.write(":ELOG:RES")
        check(":ELOG:ITEMS? after RESet is NONE", inst.query(":ELOG:ITEMS?") == "NONE")
        inst.write(":ELOG:ITEMS " + ",".join(f'"{c}"' for c in CHANNELS))
        inst.write(f":ELOG:PERIOD {PERIOD:f}")
        inst.write(":ELOG:CALC " + ", ".join(CALCS))
        check(":ELOG:ITEMS?", inst.query(":ELOG:ITEMS?") == ",".join(f'"{c}"' for c in CHANNELS))
        check(":ELOG:CALC?", inst.query(":ELOG:CALC?") == ",".join(CALCS))
        check(":ELOG:PER?", abs(float(inst.query(":ELOG:PER?")) - PERIOD) < 1e-12)
        check("configuration left no error", inst.query(":SYST:ERR?") == '0,"No error"')
        inst.write(":ELOG:STOP")
        check("FETCh? in CONFIG answers ERROR", inst.query(":ELOG:FETC?") == "ERROR")
        err = inst.query(":SYST:ERR?")
        check("... and queues -221", err.startswith("-221,"), err)
        inst.write(":ELOG:FORM BIN_INTEL")
        inst.write(":ELOG:TIM ABS")
        inst.write(":ELOG:STAR")
        err = inst.query(":SYST:ERR?")
        check("STARt with BIN_INTEL + ABS is refused with -221", err.startswith("-221,"), err)
        check("... and stays CONFIG", inst.query(":ELOG:STAT?") == "CONFIG")
        for fmt, ts in (
            ("ASCII", "ELOG"),
            ("ASCII", "ABS"),
            ("ASCII", "OFF"),
            ("BIN_INTEL", "ELOG"),
            ("BIN_INTEL", "OFF"),
            ("BIN_MOTOROLA", "ELOG"),
            ("BIN_MOTOROLA", "REL"),
        ):
            try:
                run_format(inst, fmt, ts)
            except (ValueError, pyvisa.errors.VisaIOError) as e:
                check(f"{fmt}/{ts}: read", False, repr(e))
                inst.write(":ELOG:STOP")
    finally:
        inst.close()
        rm.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
