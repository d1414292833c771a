#!/usr/bin/env bash
# Interop: the official Moku Python client (PyPI `moku`, pinned 4.4.0.0, the only 4.4.x release)
# drives the moku-emulator through every Datalogger method of the seed.
#
# Needs only PyPI and crates.io. Steps: a venv with `moku==4.4.0.0`; the emulator example built and
# started on a free loopback port (`--listen 127.0.0.1:0`, address read from its `listening on`
# line); MOKU_CLI_PATH pointed at the fake mokucli of crates/moku-emulator/interop/ (it fetches the
# stream with get_chunk and serves NDJSON + EOS, docs/moku-protocol.md §9.5); then
# interop/official_client.py, which prints `N passed, M failed` and exits non-zero on any failure.
# The emulator is stopped on exit.
#
# Bitstreams: the package ships none, and the emulator starts as a fresh device (--no-bitstreams).
# official_client.py writes fake `.mokuinst` archives under MOKU_DATA_PATH so the client's real
# bitstream check/upload path runs against the emulator, single- and multi-instrument
# (MOKU_API_DISABLE_BITSTREAM_MANAGEMENT is deliberately NOT set; see the script's docstring).
# The multi-instrument check wires slot 2 both ways (set_connections), checks that impossible
# wiring is refused, and sets the platform's front end and output gain.
#
# Then the Rust client (examples/moku_datalogger) connects to a second fresh emulator with
# --data-dir pointed at the same data directory: both clients read one layout, and the Rust
# client must upload the bitstreams itself to get the Datalogger.
set -euo pipefail
cd "$(dirname "$0")/.."

MOKU_VERSION="4.4.0.0"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="${MOKU_VENV:-$TARGET_DIR/moku-venv}"
INTEROP=crates/moku-emulator/interop

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moku') != '$MOKU_VERSION')" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moku==$MOKU_VERSION"
fi

# MOKU_EMULATOR_BIN may name an already built emulator binary (same command line).
if [ -z "${MOKU_EMULATOR_BIN:-}" ]; then
  cargo build --release --example moku_emulator --example moku_datalogger
fi
EMU_BIN="${MOKU_EMULATOR_BIN:-$TARGET_DIR/release/examples/moku_emulator}"
DL_BIN="$(dirname "$EMU_BIN")/moku_datalogger"
if [ ! -x "$DL_BIN" ]; then
  cargo build --release --example moku_datalogger
  DL_BIN="$TARGET_DIR/release/examples/moku_datalogger"
fi

EMU_OUT="$(mktemp)"
CLI_DIR="$(mktemp -d)"
EMU_PID=""
cleanup() {
  if [ -n "$EMU_PID" ]; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  rm -rf "$EMU_OUT" "$CLI_DIR"
}
trap cleanup EXIT

# Starts a fresh emulated Moku:Pro (no bitstreams; extra arguments are passed on) and sets
# EMU_PID and ADDR.
start_emulator() {
  : >"$EMU_OUT"
  "$EMU_BIN" --listen 127.0.0.1:0 --model pro --no-bitstreams "$@" >"$EMU_OUT" &
  EMU_PID=$!
  ADDR=""
  for _ in $(seq 1 100); do
    ADDR="$(sed -n 's/^listening on //p' "$EMU_OUT")"
    [ -n "$ADDR" ] && break
    kill -0 "$EMU_PID" 2>/dev/null || { echo "emulator exited early" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$ADDR" ] || { echo "emulator did not report its address" >&2; exit 1; }
  echo "emulator listening on $ADDR"
}
start_emulator

# The fake mokucli runs on the venv's interpreter through a tiny wrapper: a `python3` found on
# PATH may be a slow shim (pyenv), and the client allows the stream listener only ~2 s to appear.
PY="$(cd "$VENV/bin" && pwd)/python"
# (-S -I: no site packages, isolated mode; it needs only the standard library and starts faster.)
printf '#!/bin/sh\nexec "%s" -S -I "%s" "$@"\n' "$PY" "$(pwd)/$INTEROP/fake_mokucli" >"$CLI_DIR/mokucli"
chmod +x "$CLI_DIR/mokucli"
MOKU_CLI_PATH="$CLI_DIR/mokucli" MOKU_INTEROP_DATA="$CLI_DIR/data" PYTHONUNBUFFERED=1 \
  "$PY" "$INTEROP/official_client.py" "$ADDR"

# The Rust client on the same data directory, against a fresh device.
kill "$EMU_PID" 2>/dev/null || true
wait "$EMU_PID" 2>/dev/null || true
start_emulator
DL_OUT="$("$DL_BIN" --host "$ADDR" --seconds 0.2 --data-dir "$CLI_DIR/data")" || {
  echo "moku_datalogger failed on the official client's data directory" >&2
  exit 1
}
grep -q '^connected to Moku:Pro' <<<"$DL_OUT" || { echo "$DL_OUT" >&2; exit 1; }
echo "Rust client: bitstreams uploaded from the official client's data directory, logged and streamed"

# serial=: the official client's mDNS Finder parses the emulator's advertisement, and the Rust
# client finds it by serial number (multicast on this host; MOKU_INTEROP_NO_MDNS=1 skips this).
# A host whose multicast does not come back to itself (no multicast route) cannot run this step:
# say so loudly rather than fail on the host's network, or pass silently.
multicast_loops() {
  "$PY" - <<'PY'
import socket, struct, sys
grp, port = "224.0.0.251", 53535
try:
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    r.bind(("", port))
    r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4sl", socket.inet_aton(grp), socket.INADDR_ANY))
    r.settimeout(2.0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    s.sendto(b"elog-probe", (grp, port))
    sys.exit(0 if r.recv(64) == b"elog-probe" else 1)
except OSError as e:
    print(f"multicast probe: {e}", file=sys.stderr)
    sys.exit(1)
PY
}
if [ -z "${MOKU_INTEROP_NO_MDNS:-}" ] && ! multicast_loops; then
  echo "SKIPPED(multicast): this host's multicast does not loop back; serial= discovery not exercised here"
  MOKU_INTEROP_NO_MDNS=1
fi
if [ -z "${MOKU_INTEROP_NO_MDNS:-}" ]; then
  kill "$EMU_PID" 2>/dev/null || true
  wait "$EMU_PID" 2>/dev/null || true
  start_emulator --mdns --serial 007301
  "$PY" "$INTEROP/official_finder.py" 007301 "${ADDR##*:}"
  DL_OUT="$("$DL_BIN" --serial 7301 --advertised-port --seconds 0.2 --data-dir "$CLI_DIR/data")" || {
    echo "moku_datalogger --serial did not find or drive the advertised emulator" >&2
    exit 1
  }
  grep -q 'serial 007301' <<<"$DL_OUT" || { echo "$DL_OUT" >&2; exit 1; }
  echo "serial=: official Finder and Rust discovery both found the emulator by mDNS"
fi
