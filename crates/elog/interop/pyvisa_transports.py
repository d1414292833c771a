#!/usr/bin/env python3
"""PyVISA interop over the VISA INSTR transports: HiSLIP and VXI-11.

Usage: pyvisa_transports.py RAW_PORT HISLIP_PORT VXI11_PORT [--portmapper]

The server (`elog_server --hislip --vxi11`) serves one instrument on three
transports and must serve the constant channels `AI 1/1` = 1.0 and
`AI 1/2` = -2.5. The script opens, with pyvisa-py (`@py`):

* `TCPIP::127.0.0.1::<RAW_PORT>::SOCKET` (the reference),
* `TCPIP::127.0.0.1::hislip0,<HISLIP_PORT>::INSTR`,
* `TCPIP::127.0.0.1::inst0::INSTR` with `--portmapper` (the VXI-11 core
  channel found through the portmapper on port 111), else
  `TCPIP::127.0.0.1,<VXI11_PORT>::inst0::INSTR`.

It checks `*IDN?` on each, `read_stb()` (MAV, EAV/ESB after an error),
`clear()` (device clear drops an unread answer), VXI-11 `lock_excl()`/
`unlock()` between two sessions (pyvisa-py 0.8.1 has no HiSLIP locks), then
runs the ELOG flow once per format (ASCii, BIN_INTEL, BIN_MOTOROLA): one
session configured and started over the raw socket, `FETCh?` round-robin over
the three transports. The records all three read together must be exactly
the engine's records: every value exact, the timestamps gap-free and without
repeats (each record is delivered once, whichever transport asked). Binary
answers are read with `read_raw()` and parsed here; `query_binary_values` is
checked on a one-block answer. Prints `N passed, M failed` last; exits 1 on
any failure.
"""

import struct
import sys
import time

import pyvisa

PERIOD = 0.1
EXPECTED = (1.0, 1.0, -2.5, -2.5)  # AI 1/1 AVG, MIN; AI 1/2 AVG, MIN
WANT_RECORDS = 12
MAX_POLLS = 300

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}".rstrip())
    return ok


def raw_answer_socket(inst):
    """One answer from the SOCKET resource, blocks read by length (LF inside
    binary data is no terminator)."""
    out = bytearray()
    while True:
        c = inst.read_bytes(1)
        if c == b"#":
            n = int(inst.read_bytes(1))
            length = int(inst.read_bytes(n))
            out += b"#" + str(n).encode() + str(length).zfill(n).encode()
            out += inst.read_bytes(length)
            continue
        out += c
        if c == b"\n":
            return bytes(out)


def answer(kind, inst, query):
    inst.write(query)
    if kind == "raw":
        return raw_answer_socket(inst)
    return bytes(inst.read_raw())


def parse_blocks(body):
    blocks = []
    i = 0
    while True:
        if body[i : i + 1] != b"#":
            raise ValueError(f"block expected at {i}: {body[i:i+8]!r}")
        n = int(body[i + 1 : i + 2])
        length = int(body[i + 2 : i + 2 + n])
        start = i + 2 + n
        blocks.append(body[start : start + length])
        i = start + length
        if i == len(body):
            return blocks
        if body[i : i + 1] != b",":
            raise ValueError("',' expected between blocks")
        i += 1


def records(fmt, ans):
    """(time, values...) tuples of one FETCh? answer."""
    body = ans[:-1] if ans.endswith(b"\n") else ans
    if body in (b"NONE", b""):
        return []
    if fmt == "ASCii":
        fields = [float(x) for x in body.split(b",")]
        return [tuple(fields[i : i + 5]) for i in range(0, len(fields), 5)]
    order = ">" if fmt == "BIN_MOTOROLA" else "<"
    cols = [struct.unpack(f"{order}{len(b)//4}f", b) for b in parse_blocks(body)]
    return list(zip(*cols))


def open_all(rm, raw_port, hislip_port, vxi11_port, portmapper):
    common = dict(read_termination="\n", write_termination="\n", timeout=10000)
    raw = rm.open_resource(f"TCPIP::127.0.0.1::{raw_port}::SOCKET", **common)
    hs = rm.open_resource(f"TCPIP::127.0.0.1::hislip0,{hislip_port}::INSTR", timeout=10000)
    hs.write_termination = "\n"
    vxi_name = (
        "TCPIP::127.0.0.1::inst0::INSTR"
        if portmapper
        else f"TCPIP::127.0.0.1,{vxi11_port}::inst0::INSTR"
    )
    vx = rm.open_resource(vxi_name, timeout=10000)
    vx.write_termination = "\n"
    print(f"opened {raw.resource_name}, {hs.resource_name}, {vx.resource_name}")
    return [("raw", raw), ("hislip", hs), ("vxi11", vx)], vxi_name


def basics(sessions, rm, vxi_name):
    for kind, inst in sessions:
        idn = answer(kind, inst, "*IDN?")
        check(f"{kind} *IDN?", idn.startswith(b"elog,ELOG,"), repr(idn))
    for kind, inst in sessions[1:]:
        inst.write("*CLS")
        check(f"{kind} read_stb() idle", inst.read_stb() & 0x34 == 0)
        inst.write("*IDN?")
        stb = inst.read_stb()
        check(f"{kind} read_stb() MAV", stb & 0x10 == 0x10, hex(stb))
        if kind == "hislip":
            # The answer is already on the wire (HiSLIP answers at once), and
            # pyvisa-py 0.8.1 does not skip Data before DeviceClearAcknowledge
            # (IVI-6.1 says the client discards it): read it first.
            inst.read_raw()
        inst.clear()
        stb = inst.read_stb()
        check(f"{kind} clear()", stb & 0x10 == 0, hex(stb))
        check(f"{kind} served after clear()", answer(kind, inst, "*OPC?") == b"1\n")
        inst.write("*ESE 255;:NOPE")
        ans = answer(kind, inst, "*OPC?")
        stb = inst.read_stb()
        check(f"{kind} read_stb() EAV+ESB after an error", stb & 0x24 == 0x24, hex(stb))
        err = answer(kind, inst, "SYST:ERR?")
        check(f"{kind} the error", err.startswith(b"-113"), repr(err))
        inst.write("*CLS;*ESE 0")
        check(f"{kind} *OPC?", answer(kind, inst, "*OPC?") == b"1\n", repr(ans))
    # Locks: pyvisa-py 0.8.1 implements them for VXI-11 only.
    vx = sessions[2][1]
    other = rm.open_resource(vxi_name, timeout=2000)
    other.write_termination = "\n"
    vx.lock_excl(timeout=1000)
    try:
        other.lock_excl(timeout=100)
        check("vxi11 lock_excl() refused while another link holds it", False)
        other.unlock()
    except pyvisa.errors.VisaIOError as e:
        check("vxi11 lock_excl() refused while another link holds it", True, str(e))
    check("vxi11 the holder is served", answer("vxi11", vx, "*OPC?") == b"1\n")
    vx.unlock()
    other.lock_excl(timeout=1000)
    check("vxi11 lock_excl() after unlock()", True)
    other.unlock()
    other.close()
    try:
        sessions[1][1].lock_excl(timeout=100)
        check("hislip lock_excl() (pyvisa-py)", True)
        sessions[1][1].unlock()
    except (NotImplementedError, pyvisa.errors.VisaIOError) as e:
        print(f"SKIP hislip lock_excl(): not supported by pyvisa-py ({type(e).__name__})")


def run_format(sessions, fmt):
    raw = sessions[0][1]
    raw.write(":ELOG:STOP")  # configuration is refused while running
    raw.write(
        f':ELOG:PER {PERIOD};:ELOG:ITEM "AI 1/1","AI 1/2";:ELOG:CALC AVG,MIN;'
        f":ELOG:FORM {fmt};:ELOG:TIM ELOG"
    )
    raw.write(":ELOG:STAR")
    answer("raw", raw, "*OPC?")  # started before the other transports ask
    got = []
    per_kind = {k: 0 for k, _ in sessions}
    polls = 0
    while len(got) < WANT_RECORDS and polls < MAX_POLLS:
        # The transport that asks first changes every round.
        for kind, inst in sessions[polls % 3 :] + sessions[: polls % 3]:
            # One record per FETCh?, so that every transport gets some.
            rs = records(fmt, answer(kind, inst, ":ELOG:FETC? 1"))
            per_kind[kind] += len(rs)
            got += rs
        polls += 1
        time.sleep(0.05)
    raw.write(":ELOG:STOP")
    check(f"{fmt}: {len(got)} records", len(got) >= WANT_RECORDS)
    for kind in per_kind:
        check(f"{fmt}: {kind} read records", per_kind[kind] > 0, str(per_kind))
    values_ok = all(tuple(r[1:]) == EXPECTED for r in got)
    check(f"{fmt}: every value exact", values_ok, repr(got[:3]))
    times = sorted(r[0] for r in got)
    tol = 1e-9 if fmt == "ASCii" else 1e-3  # float32 timestamps
    steps_ok = all(abs((b - a) - PERIOD) < tol for a, b in zip(times, times[1:]))
    check(f"{fmt}: gap-free, each record once", steps_ok, repr(times[:6]))


def binary_values(sessions):
    raw = sessions[0][1]
    for fmt, big in (("BIN_INTEL", False), ("BIN_MOTOROLA", True)):
        raw.write(":ELOG:STOP")
        raw.write(f':ELOG:ITEM "AI 1/2";:ELOG:CALC AVG;:ELOG:FORM {fmt};:ELOG:TIM OFF;:ELOG:STAR')
        answer("raw", raw, "*OPC?")
        for kind, inst in sessions[1:]:
            vals = []
            for _ in range(MAX_POLLS):
                inst.write(":ELOG:FETC?")
                data = bytes(inst.read_raw())
                if data != b"NONE\n":
                    block = parse_blocks(data[:-1])[0]
                    vals = list(struct.unpack(f"{'>' if big else '<'}{len(block) // 4}f", block))
                    break
                time.sleep(0.05)
            check(f"{kind} {fmt} read_raw block", len(vals) > 0 and all(v == -2.5 for v in vals), repr(vals[:4]))
            for _ in range(MAX_POLLS):
                time.sleep(0.15)
                try:
                    vals = inst.query_binary_values(
                        ":ELOG:FETC?", datatype="f", is_big_endian=big, container=list
                    )
                    break
                except ValueError:
                    continue  # "NONE": nothing new yet
            check(f"{kind} {fmt} query_binary_values", len(vals) > 0 and all(v == -2.5 for v in vals), repr(vals[:4]))
        raw.write(":ELOG:STOP")


def main():
    raw_port, hislip_port, vxi11_port = sys.argv[1:4]
    portmapper = "--portmapper" in sys.argv[4:]
    rm = pyvisa.ResourceManager("@py")
    import pyvisa_py

    print(f"pyvisa {pyvisa.__version__}, pyvisa-py {pyvisa_py.__version__}")
    sessions, vxi_name = open_all(rm, raw_port, hislip_port, vxi11_port, portmapper)
    basics(sessions, rm, vxi_name)
    for fmt in ("ASCii", "BIN_INTEL", "BIN_MOTOROLA"):
        run_format(sessions, fmt)
    binary_values(sessions)
    for _, inst in sessions:
        inst.close()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
