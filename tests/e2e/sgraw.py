#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A TCP client in raw frames, for what a kernel client cannot be made to do.

  sgraw.py ackdata --iface DEV --smac MAC --dmac MAC --src IP --dst IP
                   --dport P [--count N] [--timeout S]

For each of N connections (IPv4): send a SYN from a fresh source port, take
the SYN-ACK, then send the handshake's ACK and the first data segment (64
bytes) back to back, so that they reach the server in one receive batch,
and never retransmit. The connection counts as intact when the server
acknowledges the data (ack = ISN + 65) and echoes it within --timeout;
the first data segment was lost otherwise. Prints one JSON line: count,
synack, intact, lost. The client namespace's own kernel must not answer
the SYN-ACKs with a RST (drop outgoing RSTs there: it has no socket).
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(a, sport, seq, ack, flags, payload=b"", opts=b""):
    src = socket.inet_aton(a.src)
    dst = socket.inet_aton(a.dst)
    doff = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, a.dport, seq, ack, doff << 4,
                      flags, 64240, 0, 0) + opts + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp),
                     random.getrandbits(16), 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
    return mac(a.dmac) + mac(a.smac) + struct.pack("!H", ETH_P_IP) + ip + tcp


def parse(buf, a, sport):
    """(flags, seq, ack, payload) of a segment of our flow, else None."""
    if len(buf) < 54 or struct.unpack("!H", buf[12:14])[0] != ETH_P_IP:
        return None
    ihl = (buf[14] & 15) * 4
    if buf[23] != 6 or socket.inet_ntoa(buf[26:30]) != a.dst:
        return None
    t = 14 + ihl
    sp, dp, seq, ack, off, flags = struct.unpack("!HHIIBB", buf[t:t + 14])
    if sp != a.dport or dp != sport:
        return None
    tot = struct.unpack("!H", buf[16:18])[0]
    return flags, seq, ack, buf[t + (off >> 4) * 4:14 + tot]


def socket_sendmmsg(s, frames):
    """sendmmsg(2) of @frames on @s (Python has no binding)."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)

    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    class msghdr(ctypes.Structure):
        _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                    ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                    ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                    ("flags", ctypes.c_int)]

    class mmsghdr(ctypes.Structure):
        _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]

    bufs = [ctypes.create_string_buffer(f, len(f)) for f in frames]
    iovs = [iovec(ctypes.cast(b, ctypes.c_void_p), len(f)) for b, f in zip(bufs, frames)]
    msgs = (mmsghdr * len(frames))()
    for i, v in enumerate(iovs):
        msgs[i].hdr.iov = ctypes.pointer(v)
        msgs[i].hdr.iovlen = 1
    n = libc.sendmmsg(s.fileno(), msgs, len(frames), 0)
    if n != len(frames):
        raise OSError(ctypes.get_errno(), "sendmmsg")


def one(s, a, sport):
    """'intact', 'lost' or 'no-synack'."""
    isn = random.getrandbits(32)
    mss = struct.pack("!BBH", 2, 4, 1460)
    s.send(frame(a, sport, isn, 0, 0x02, opts=mss))
    end = time.monotonic() + a.timeout
    srv = None
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        seg = parse(s.recv(65535), a, sport)
        if seg and seg[0] & 0x12 == 0x12 and seg[2] == (isn + 1) & 0xffffffff:
            srv = seg[1]
            break
    if srv is None:
        return "no-synack"
    data = os.urandom(64)
    ack = frame(a, sport, isn + 1, srv + 1, 0x10)
    psh = frame(a, sport, isn + 1, srv + 1, 0x18, payload=data)
    # One system call for both: with the receiver's NAPI in a thread,
    # they are queued together and polled in one batch.
    socket_sendmmsg(s, [ack, psh])
    want = (isn + 1 + len(data)) & 0xffffffff
    got_ack = echoed = False
    end = time.monotonic() + a.timeout
    while time.monotonic() < end and not (got_ack and echoed):
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        seg = parse(s.recv(65535), a, sport)
        if not seg:
            continue
        if seg[0] & 0x04:
            break
        if seg[0] & 0x10 and seg[2] == want:
            got_ack = True
        if seg[3] == data:
            echoed = True
    # Close: a RST, the server's socket goes (no FIN exchange to play).
    s.send(frame(a, sport, (isn + 1 + len(data)) & 0xffffffff, 0, 0x04))
    return "intact" if got_ack and echoed else "lost"


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("ackdata")
    for k in ("iface", "smac", "dmac", "src", "dst"):
        c.add_argument("--" + k, required=True)
    c.add_argument("--dport", type=int, required=True)
    c.add_argument("--count", type=int, default=50)
    c.add_argument("--timeout", type=float, default=1.0)
    a = p.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    s.bind((a.iface, 0))
    res = {"count": a.count, "synack": 0, "intact": 0, "lost": 0}
    ports = random.sample(range(20000, 60000), a.count)
    for sport in ports:
        r = one(s, a, sport)
        if r != "no-synack":
            res["synack"] += 1
        res[r if r != "no-synack" else "lost"] += 0 if r == "no-synack" else 1
    print(json.dumps(res), flush=True)
    return 0 if res["intact"] == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
