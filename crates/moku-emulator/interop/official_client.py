"""Drives the official `moku` Python client (4.4.0.0) against the moku-emulator.

Usage: python official_client.py HOST:PORT   (the emulator must run with --model pro)

Every Datalogger method of the seed is called through the vendor's own `moku.instruments.Datalogger`,
plus a logging session to the end with download, streaming (get_chunk, get_stream_status,
get_stream_data and stream_to_file through the fake mokucli), save/load settings, files,
ownership and a MultiInstrument with a Datalogger in slot 2. Prints one line per check and
`N passed, M failed` last; exits 1 on any failure.

Bitstreams: the `moku` package ships none, and without one on disk the client refuses to connect
(`NoInstrumentBitstream`). Rather than switching bitstream management off
(MOKU_API_DISABLE_BITSTREAM_MANAGEMENT=1), which would leave the emulator's bitstream endpoints
untested, this script writes obviously fake `.mokuinst` archives (a tar with a MANIFEST holding
a made-up sha256) under $MOKU_DATA_PATH, so the client runs its real check-and-upload path:
`GET /api/v2/bitstreams`, then `POST /api/bitstreams/upload/<name>.mokuinst`, and no upload on the
next connect because the emulator lists the uploaded sha256.
"""

import atexit
import faulthandler
import importlib.machinery
import importlib.util
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import traceback
import warnings
from pathlib import Path

# Never hang CI: after 300 s print every thread's stack and exit with an error.
faulthandler.dump_traceback_later(300, exit=True)

HERE = Path(__file__).resolve().parent
HOST = sys.argv[1] if len(sys.argv) > 1 else sys.exit("usage: official_client.py HOST:PORT")
INSTRUMENTS_BUILD = 4400  # moku-emulator's Config::default().instruments_build
WORK = Path(tempfile.mkdtemp(prefix="moku-interop-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)

# Fake bitstreams where the client looks for them (docs/moku-protocol.md §3.6), before `moku`
# reads the path. MOKU_INTEROP_DATA (set by .ci/moku-interop.sh) keeps the directory for the Rust
# client's run that follows.
DATA = Path(os.environ["MOKU_INTEROP_DATA"]) if os.environ.get("MOKU_INTEROP_DATA") else WORK / "data"
BITSTREAM_DIR = DATA / "instruments" / str(INSTRUMENTS_BUILD) / "mokupro"
BITSTREAM_DIR.mkdir(parents=True, exist_ok=True)
NAMES = ["01-000", "01-007-00", "04-000"]
NAMES += [f"04-000-{i:02}" for i in range(4)] + [f"04-007-{i:02}" for i in range(4)]
for name in NAMES:
    manifest = json.dumps({"items": [{"sha256": f"fake-{name}-" + "0" * 48}]}).encode()
    with tarfile.open(BITSTREAM_DIR / f"{name}.mokuinst", "w") as tar:
        info = tarfile.TarInfo("MANIFEST")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
os.environ["MOKU_DATA_PATH"] = str(DATA)

from moku.exceptions import (  # noqa: E402
    InvalidParameterException,
    InvalidRequestException,
    MokuException,
    StreamException,
)
from moku.instruments import Datalogger  # noqa: E402

# The LI v3 decoder of the fake mokucli, reused to check downloaded files.
_loader = importlib.machinery.SourceFileLoader("fake_mokucli", str(HERE / "fake_mokucli"))
_spec = importlib.util.spec_from_loader("fake_mokucli", _loader)
fake_mokucli = importlib.util.module_from_spec(_spec)
_loader.exec_module(fake_mokucli)

passed = 0
failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
    except Exception:  # noqa: BLE001 - every failure is reported and counted
        failed += 1
        print(f"FAIL {name}")
        traceback.print_exc()
    else:
        passed += 1
        print(f"ok   {name}")


def expect(exc_type, fn, contains=None):
    try:
        fn()
    except exc_type as e:
        if contains is not None and contains not in str(e):
            raise AssertionError(f"{exc_type.__name__} without {contains!r}: {e}") from e
        return e
    raise AssertionError(f"expected {exc_type.__name__}")


dl = None


def connect():
    global dl
    dl = Datalogger(HOST, force_connect=True)


check("connect (claim, describe, bitstream upload, instrument_supported)", connect)
if dl is None:
    print(f"{passed} passed, {failed + 1} failed")
    sys.exit(1)


def device_info():
    d = dl.describe()
    assert d["hardware"] == "Moku:Pro" and str(d["proxy_version"]) == "3", d
    assert d["instruments_build"] == INSTRUMENTS_BUILD, d
    assert isinstance(dl.name(), str) and isinstance(dl.serial_number(), str)
    assert dl.mokuos_version().startswith("4.4")
    assert "calibration_date" in dl.calibration_date()


def bitstreams_uploaded():
    names = dl.list("bitstreams")
    assert "01-000.mokuinst" in names and "01-007-00.mokuinst" in names, names


def frontend():
    dl.set_defaults()
    r = dl.set_frontend(1, "50Ohm", "DC", "4Vpp")
    assert r["impedance"] == "50Ohm" and r["range"] == "4Vpp", r
    g = dl.get_frontend(1)
    assert g == r, (g, r)
    r = dl.set_frontend(2, "1MOhm", "AC", "40Vpp", bandwidth="600MHz")
    assert dl.get_frontend(2)["bandwidth"] == "600MHz"


def frontend_limits():
    expect(InvalidParameterException, lambda: dl.set_frontend(1, "1MOhm", "DC", "10Vpp"))
    r = dl.set_frontend(3, "1MOhm", "DC", "10Vpp", strict=False)
    assert r["range"] == "40Vpp", r
    expect(InvalidParameterException, lambda: dl.get_frontend(9))


def inputs():
    dl.enable_input(4, enable=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dl.disable_channel(3, disable=True)
        dl.disable_channel(3, disable=False)
    dl.enable_input(4, enable=True)


def acquisition():
    assert dl.set_acquisition_mode("Precision")["mode"] == "Precision"
    assert dl.get_acquisition_mode()["mode"] == "Precision"
    assert dl.set_samplerate(5000)["sample_rate"] == 5000
    assert dl.get_samplerate()["sample_rate"] == 5000
    expect(InvalidParameterException, lambda: dl.set_samplerate(1e9))
    assert dl.set_samplerate(5, strict=False)["sample_rate"] == 10


def waveforms():
    cases = [
        (dict(type="Sine", amplitude=1, frequency=1e3), "Sine"),
        (dict(type="Square", amplitude=0.5, frequency=2e3, duty=25), "Square"),
        (dict(type="Ramp", amplitude=0.5, frequency=500, symmetry=10), "Ramp"),
        (dict(type="Pulse", amplitude=1, frequency=1e3, edge_time=1e-6, pulse_width=1e-4), "Pulse"),
        (dict(type="Noise", amplitude=0.2), "Noise"),
        (dict(type="DC", dc_level=0.75), "DC"),
        (dict(type="Off"), "Off"),
    ]
    for channel, (kwargs, expected) in enumerate(cases, start=1):
        ch = (channel - 1) % 4 + 1
        r = dl.generate_waveform(ch, **kwargs)
        assert r["type"] == expected, r
    assert dl.generate_waveform(1, "Square", duty=25)["duty"] == 25
    assert dl.generate_waveform(3, "DC", dc_level=0.75)["dc_level"] == 0.75
    expect(InvalidParameterException, lambda: dl.generate_waveform(1, "Sine", amplitude=100))
    dl.sync_output_phase()


def outputs():
    assert dl.set_output_termination(1, "50Ohm")["termination"] == "50Ohm"
    assert dl.get_output_termination(1)["termination"] == "50Ohm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dl.set_output_load(2, "1MOhm")["load"] == "HiZ"
        assert dl.get_output_load(2)["load"] == "HiZ"


def summary():
    s = dl.summary()
    assert s.startswith("Moku:Pro Data Logger"), s
    assert "Acquisition rate" in s, s


def settings_round_trip():
    path = WORK / "state.mokuconf"
    dl.set_samplerate(2500)
    before = (dl.get_frontend(1), dl.get_samplerate(), dl.get_acquisition_mode(), dl.get_output_termination(1))
    dl.save_settings(str(path))
    assert path.stat().st_size > 0
    dl.set_samplerate(100)
    dl.set_frontend(1, "1MOhm", "AC", "400mVpp")
    dl.load_settings(str(path))
    after = (dl.get_frontend(1), dl.get_samplerate(), dl.get_acquisition_mode(), dl.get_output_termination(1))
    assert before == after, (before, after)
    bad = WORK / "bad.mokuconf"
    bad.write_bytes(b"not a settings file")
    expect(InvalidParameterException, lambda: dl.load_settings(str(bad)))


def stop_without_session():
    expect(InvalidRequestException, dl.stop_logging)


def logging_session():
    dl.set_samplerate(1000)
    r = dl.start_logging(duration=1, file_name_prefix="interop", comments="official client")
    name, location = r["file_name"], r["location"]
    assert location == "ssd" and name.startswith("interop_") and name.endswith(".li"), r
    expect(InvalidRequestException, lambda: dl.start_logging(duration=1))
    deadline = time.time() + 30
    while True:
        p = dl.logging_progress()
        assert p["file_name"] == name, p
        if p["complete"]:
            break
        assert p["samples_logged"] < 1000, p
        assert time.time() < deadline, p
        time.sleep(0.1)
    assert not p["running"] and p["samples_logged"] == 1000, p
    assert name in dl.list(location)
    local = WORK / name
    dl.download(location, name, str(local))
    data = local.read_bytes()
    assert data[:3] == b"LI3", data[:16]
    t0, dt, chans = fake_mokucli.decode_li(data)
    assert len(chans) == 4 and all(len(c) == 1000 for c in chans), [len(c) for c in chans]
    assert abs(dt - 1e-3) < 1e-12
    assert 0.5 < max(abs(v) for v in chans[0]) <= 1.0  # input 1: 1 V peak sine


def logging_stopped_early():
    r = dl.start_logging(duration=30, file_name_prefix="early")
    time.sleep(0.3)
    assert dl.stop_logging() is None
    p = dl.logging_progress()
    assert p["complete"] and 0 < p["samples_logged"] < 30000, p
    local = WORK / r["file_name"]
    dl.download(r["location"], r["file_name"], str(local))
    assert local.read_bytes()[:3] == b"LI3"
    assert isinstance(dl.delete(r["location"], r["file_name"]), str)
    assert r["file_name"] not in dl.list(r["location"])


def files():
    dl.upload("ssd", "my file.txt", b"hello moku")
    local = WORK / "my file.txt"
    dl.download("ssd", "my file.txt", str(local))
    assert local.read_bytes() == b"hello moku"
    dl.delete("ssd", "my file.txt")
    expect(MokuException, lambda: dl.download("ssd", "missing.li", str(WORK / "missing.li")))


def streaming_chunks():
    r = dl.start_streaming(duration=1, sample_rate=1000)
    assert r["stream_id"], r
    assert dl.get_stream_status()["status"] in ("WAITING", "RUNNING", "FINALIZING")
    samples = 0
    deadline = time.time() + 20
    while True:
        try:
            chunk = dl.get_chunk()
        except StreamException as e:
            assert "End of stream" in str(e), e
            break
        if chunk:
            assert chunk[:3] == b"LI3", chunk[:8]
            _, _, chans = fake_mokucli.decode_li(chunk)
            samples += len(chans[0])
        else:
            time.sleep(0.05)
        assert time.time() < deadline
    assert samples == 1000, samples
    assert dl.get_stream_status()["status"] == "COMPLETED"
    dl.stop_streaming()
    # After stop_streaming the client sends the stream id "null" (docs/moku-protocol.md §9.3).
    expect(StreamException, dl.get_chunk, "End of stream")


def streaming_stop_early():
    dl.start_streaming(sample_rate=100)
    time.sleep(0.2)
    dl.stop_streaming()
    assert dl.get_stream_status()["status"] in ("CANCELLED", "COMPLETED")


def streaming_mokucli():
    # The official client gives the mokucli listener only ~2 s to appear (5 connection attempts
    # 0.5 s apart). On a heavily loaded machine the Python fake can miss that window; that is the
    # client's race, not the emulator's, so one more attempt is made (stop_streaming resets the
    # client's stream state).
    for attempt in range(2):
        dl.start_streaming(duration=0.5, sample_rate=1000)
        points = 0
        try:
            while True:
                try:
                    d = dl.get_stream_data()
                except StreamException as e:
                    if "Cannot connect to port" in str(e) and attempt == 0:
                        raise
                    assert "End of stream" in str(e), e
                    break
                if d:
                    assert len(d["time"]) == len(d["ch1"]), d.keys()
                    points += len(d["time"])
        except StreamException as e:
            print(f"note: {e} (the client's 2 s window); retrying once")
            dl.stop_streaming()
            continue
        assert points == 500, points
        dl.stop_streaming()
        return


def streaming_to_file():
    target = WORK / "stream.csv"
    dl.start_streaming(duration=0.5, sample_rate=200)
    dl.stream_to_file(str(target))
    dl.wait_for_stream_to_file(timeout=20)
    lines = target.read_text().splitlines()
    assert len(lines) == 101, len(lines)
    dl.stop_streaming()


def ownership():
    expect(MokuException, lambda: Datalogger(HOST, force_connect=False))
    dl.relinquish_ownership()
    other = Datalogger(HOST, force_connect=False)
    assert other.get_samplerate()["sample_rate"] > 0
    # The old key is now refused while `other` owns the device.
    expect(InvalidRequestException, dl.get_samplerate)
    other.relinquish_ownership()


def multi_instrument():
    from moku.instruments import MultiInstrument

    m = MultiInstrument(HOST, platform_id=4, force_connect=True)
    try:
        dl2 = m.set_instrument(2, Datalogger)
        assert m.get_instruments() == ["", "datalogger", "", ""], m.get_instruments()
        conns = [{"source": "Input1", "destination": "Slot2InA"}]
        assert m.set_connections(conns) == conns
        assert m.get_connections() == conns
        # The slot's bitstream came from the data directory (a fresh emulator has none).
        assert "04-007-01.mokuinst" in m.list("bitstreams"), m.list("bitstreams")
        # Wire the slot both ways; impossible wiring is refused and changes nothing.
        conns = [
            {"source": "Input1", "destination": "Slot2InA"},
            {"source": "Slot2OutA", "destination": "Output1"},
        ]
        assert m.set_connections(conns) == conns
        assert m.get_connections() == conns, m.get_connections()
        for bad in [
            {"source": "Output1", "destination": "Slot2InA"},
            {"source": "Input1", "destination": "Slot5InA"},
            {"source": "Input9", "destination": "Slot1InA"},
            {"source": "DIO", "destination": "Output2"},
        ]:
            expect(InvalidParameterException, lambda: m.set_connections([bad]))
        assert m.get_connections() == conns, m.get_connections()
        # In multi-instrument mode the platform owns the front end and the output gain.
        fe = m.set_frontend(1, "1MOhm", "DC", attenuation="0dB")
        assert fe["impedance"] == "1MOhm" and fe["attenuation"] == "0dB", fe
        assert m.get_frontend(1)["coupling"] == "DC"
        assert m.set_output(1, "14dB") == {"output_gain": "14dB"}
        assert m.get_output(1) == {"output_gain": "14dB"}
        expect(InvalidParameterException, lambda: m.set_output(1, "20dB"))
        assert dl2.set_samplerate(2000)["sample_rate"] == 2000
        assert dl2.get_samplerate()["sample_rate"] == 2000
        r = dl2.start_streaming(duration=0.1, sample_rate=1000)
        assert r["stream_id"] == "logsink1", r
        samples = 0
        while True:
            try:
                chunk = dl2.get_chunk()  # topic logformat1
            except StreamException as e:
                assert "End of stream" in str(e), e
                break
            if chunk:
                samples += len(fake_mokucli.decode_li(chunk)[2][0])
            else:
                time.sleep(0.02)
        assert samples == 100, samples
        dl2.stop_streaming()
        dl2.relinquish_ownership()  # a slot object never relinquishes (docs/moku-protocol.md §3.4)
        assert dl2.get_samplerate()["sample_rate"] == 2000
    finally:
        m.relinquish_ownership()


def single_after_multi():
    again = Datalogger(HOST, force_connect=True)
    try:
        assert again.get_samplerate()["sample_rate"] == 1000
        assert again.summary().startswith("Moku:Pro Data Logger")
    finally:
        again.relinquish_ownership()


check("describe, name, serial, versions, calibration date", device_info)
check("bitstreams uploaded and listed", bitstreams_uploaded)
check("set_defaults, set_frontend, get_frontend", frontend)
check("per-model limits: strict and non-strict set_frontend", frontend_limits)
check("enable_input, disable_channel", inputs)
check("acquisition mode and sample rate", acquisition)
check("generate_waveform: all seven types, sync_output_phase", waveforms)
check("output termination and load", outputs)
check("summary", summary)
check("save_settings / load_settings round trip", settings_round_trip)
check("stop_logging without a session is INVALID_REQUEST", stop_without_session)
check("logging session to the end, list, download", logging_session)
check("stop_logging early, download, delete", logging_stopped_early)
check("upload, download, delete a file name with a space", files)
check("start_streaming, get_chunk, get_stream_status, stop_streaming", streaming_chunks)
check("stop_streaming while running", streaming_stop_early)
check("get_stream_data through the fake mokucli", streaming_mokucli)
check("stream_to_file through the fake mokucli", streaming_to_file)
check("ownership: refused without force_connect, key rules", ownership)
check("MultiInstrument: platform, bitstreams uploaded, set_instrument in slot 2, wiring (set_connections), MiM frontend/output, streaming", multi_instrument)
check("single-instrument connect after multi-instrument mode", single_after_multi)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
