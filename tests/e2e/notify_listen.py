#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A stand-in for the service manager's end of sd_notify: bind an AF_UNIX
datagram socket (a path, or '@name' for the abstract namespace) and write
every datagram received as one line "SECONDS<TAB>PAYLOAD" (newlines in the
payload as '|') to OUT, flushed at once. Exits after TIMEOUT seconds.

    notify_listen.py SOCKET OUT [TIMEOUT]
"""
import os
import socket
import sys
import time

addr, out = sys.argv[1], sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 120
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
end = time.monotonic() + limit
with open(out, "a", buffering=1) as f:
    f.write("%.3f\tLISTENING\n" % time.monotonic())
    while time.monotonic() < end:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        f.write("%.3f\t%s\n" % (time.monotonic(), data.decode(errors="replace").replace("\n", "|")))
if not addr.startswith("@"):
    os.unlink(addr)
