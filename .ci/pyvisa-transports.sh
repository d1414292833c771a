#!/usr/bin/env bash
# Interop: PyVISA (pure-Python backend `@py`) drives the ELOG instrument over the VISA INSTR
# transports, HiSLIP and VXI-11, side by side with the raw SOCKET resource.
#
# Same pinned venv as .ci/pyvisa-interop.sh. Starts `elog_server --hislip --vxi11` (raw, HiSLIP and
# VXI-11 servers on one instrument, two constant channels, ports read from its `listening on`,
# `hislip listening on` and `vxi11 listening on` lines). The VXI-11 resource is opened as `TCPIP::127.0.0.1::inst0::INSTR` through the portmapper
# when the example could bind port 111 (root, no rpcbind running: the CI case), else by port
# (`TCPIP::127.0.0.1,<port>::inst0::INSTR`). Then crates/elog/interop/pyvisa_transports.py, which
# prints `N passed, M failed` last and exits non-zero on any failure. The server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/pyvisa-env.sh
source .ci/lib/pyvisa-env.sh

"$SERVER_BIN" --listen 127.0.0.1:0 --hislip 127.0.0.1:0 --vxi11 127.0.0.1:0 \
  --channel "AI 1/1=const:1.0@1000" \
  --channel "AI 1/2=const:-2.5@100" >"$SERVER_OUT" &
SERVER_PID=$!
port_of() { sed -n "s/^$1listening on .*://p" "$SERVER_OUT"; }
for _ in $(seq 1 100); do
  grep -q '^portmapper: ' "$SERVER_OUT" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "elog_server exited early" >&2; cat "$SERVER_OUT" >&2; exit 1; }
  sleep 0.1
done
[ -n "$(port_of "vxi11 ")" ] || { echo "elog_server did not report its addresses" >&2; exit 1; }
cat "$SERVER_OUT"

PORTMAPPER=()
if grep -q '^portmapper: built-in portmapper on .*:111$' "$SERVER_OUT"; then
  PORTMAPPER=(--portmapper)
fi
"$VENV/bin/python" crates/elog/interop/pyvisa_transports.py \
  "$(port_of "")" "$(port_of "hislip ")" "$(port_of "vxi11 ")" "${PORTMAPPER[@]}"
