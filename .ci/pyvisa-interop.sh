#!/usr/bin/env bash
# Interop: PyVISA (pure-Python backend `@py`) drives `elog_server` over a raw VISA SOCKET resource.
#
# Needs only PyPI and crates.io. Steps: a venv with pinned `pyvisa` and `pyvisa-py`; the
# `elog_server` example built and started on a free loopback port with two constant channels
# (`--listen 127.0.0.1:0`, address read from its `listening on` line); then
# crates/elog/interop/pyvisa_check.py, which queries *IDN?/*VER?, configures ELOG, reads ASCII and
# both binary formats (raw reads, IEEE 488.2 blocks parsed by the script), checks the values and
# the timestamp steps, prints `N passed, M failed` last and exits non-zero on any failure.
# The server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/pyvisa-env.sh
source .ci/lib/pyvisa-env.sh

"$SERVER_BIN" --listen 127.0.0.1:0 \
  --channel "AI 1/1=const:1.0@1000" \
  --channel "AI 1/2=const:-2.5@100" >"$SERVER_OUT" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 1 100); do
  ADDR="$(sed -n 's/^listening on //p' "$SERVER_OUT")"
  [ -n "$ADDR" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "elog_server exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$ADDR" ] || { echo "elog_server did not report its address" >&2; exit 1; }
echo "elog_server listening on $ADDR"

"$VENV/bin/python" crates/elog/interop/pyvisa_check.py "${ADDR##*:}"
