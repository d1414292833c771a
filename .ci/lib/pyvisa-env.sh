# Shared by the PyVISA interop scripts (sourced, never run): the pinned PyVISA venv, the release
# `elog_server` (or ELOG_SERVER_BIN), and SERVER_OUT / SERVER_PID with a cleanup trap that stops
# the server on exit.

PYVISA_VERSION="1.16.2"
PYVISA_PY_VERSION="0.8.1"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="${PYVISA_VENV:-$TARGET_DIR/pyvisa-venv}"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" - "$PYVISA_VERSION" "$PYVISA_PY_VERSION" 2>/dev/null <<'PY'
import importlib.metadata as m, sys
sys.exit(m.version("pyvisa") != sys.argv[1] or m.version("pyvisa-py") != sys.argv[2])
PY
then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "pyvisa==$PYVISA_VERSION" "pyvisa-py==$PYVISA_PY_VERSION"
fi

# ELOG_SERVER_BIN may name an already built server binary (same command line).
if [ -z "${ELOG_SERVER_BIN:-}" ]; then
  cargo build --release --example elog_server
fi
SERVER_BIN="${ELOG_SERVER_BIN:-$TARGET_DIR/release/examples/elog_server}"

SERVER_OUT="$(mktemp)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$SERVER_OUT"
}
trap cleanup EXIT
