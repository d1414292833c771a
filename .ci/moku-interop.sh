#!/usr/bin/env bash
# Interop: the official Moku Python client (PyPI `moku`, pinned 4.4.0.0, the only 4.4.x release)
# drives the moku-emulator through every Datalogger method of the seed.
#
# Needs only PyPI and crates.io. Steps: a venv with `moku==4.4.0.0`; the emulator example built and
# started on a free loopback port (`--listen 127.0.0.1:0`, address read from its `listening on`
# line); MOKU_CLI_PATH pointed at the fake mokucli of crates/moku-emulator/interop/ (it fetches the
# stream with get_chunk and serves NDJSON + EOS, spec §9.5); then interop/official_client.py, which
# prints `N passed, M failed` and exits non-zero on any failure. The emulator is stopped on exit.
#
# Bitstreams: the package ships none. official_client.py writes fake `.mokuinst` archives under
# MOKU_DATA_PATH so the client's real bitstream check/upload path runs against the emulator
# (MOKU_API_DISABLE_BITSTREAM_MANAGEMENT is deliberately NOT set; see the script's docstring).
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
  cargo build --release --example moku_emulator
fi
EMU_BIN="${MOKU_EMULATOR_BIN:-$TARGET_DIR/release/examples/moku_emulator}"

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

"$EMU_BIN" --listen 127.0.0.1:0 --model pro >"$EMU_OUT" &
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

# The fake mokucli runs on the venv's interpreter through a tiny wrapper: a `python3` found on
# PATH may be a slow shim (pyenv), and the client allows the stream listener only ~2 s to appear.
PY="$(cd "$VENV/bin" && pwd)/python"
# (-S -I: no site packages, isolated mode; it needs only the standard library and starts faster.)
printf '#!/bin/sh\nexec "%s" -S -I "%s" "$@"\n' "$PY" "$(pwd)/$INTEROP/fake_mokucli" >"$CLI_DIR/mokucli"
chmod +x "$CLI_DIR/mokucli"
MOKU_CLI_PATH="$CLI_DIR/mokucli" PYTHONUNBUFFERED=1 \
  "$PY" "$INTEROP/official_client.py" "$ADDR"
