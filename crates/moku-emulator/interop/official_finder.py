"""The official client's mDNS discovery against the emulator's advertisement.

Usage: official_finder.py SERIAL PORT [MODEL_NAME]

Runs `moku.finder.Finder().find_all()` (what `serial=` uses) and `find_moku_by_serial`, and checks
that the emulator started with `--mdns --serial SERIAL` on PORT is found and parsed: txtver 0.5
keys, the serial as the int the official client compares, the IPv4 address. Exits non-zero with
a message otherwise. The official client ignores the advertised port (it connects on 80), so the
HTTP connect by serial is not part of this check; the Rust client's tests cover that path.
"""

import sys
import warnings

warnings.simplefilter("ignore")  # "Can't find mokucli": not needed here

from moku.finder import Finder  # noqa: E402
from moku.utilities import find_moku_by_serial  # noqa: E402


def main() -> int:
    serial, port = sys.argv[1], int(sys.argv[2])
    found = Finder().find_all(timeout=5, filter=lambda m: m.serial == int(serial))
    if not found:
        print(f"official Finder did not find serial {serial}", file=sys.stderr)
        return 1
    info = found[0]
    print(f"official Finder: {info}")
    checks = [
        (info.serial == int(serial), "serial"),
        (info.ipv4_addr == "127.0.0.1", "ipv4_addr"),
        (isinstance(info.fwver, int), "fwver is an int"),
        (isinstance(info.hwver, float), "hwver is a float"),
        (info.bootmode != "", "bootmode"),
        (info.name.endswith(serial), "instance name"),
    ]
    bad = [what for ok, what in checks if not ok]
    if bad:
        print(f"unexpected: {', '.join(bad)}", file=sys.stderr)
        return 1
    ip = find_moku_by_serial(int(serial))
    if ip != "127.0.0.1":
        print(f"find_moku_by_serial gave {ip}", file=sys.stderr)
        return 1
    print(f"find_moku_by_serial({int(serial)}) = {ip} (port {port} advertised, ignored as upstream)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
