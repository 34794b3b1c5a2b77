#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""TCP peers for the synguard end-to-end tests (standard library only).

  sgpeer.py serve --port P [--port P2 ...] [--bind ADDR] [--mptcp]
                  [--md5 KEY --md5-peer ADDR]
      Threaded TCP echo server: echoes every byte until EOF, then closes.
      Dual-stack on [::] (IPV6_V6ONLY=0) unless --bind is given; backlog
      4096. --mptcp listens with IPPROTO_MPTCP; --md5 signs and requires
      TCP-MD5 (RFC 2385) with the peer ADDR. Prints "listening" once every
      port is bound. Runs until killed.

  sgpeer.py xfer --host H --port P --bytes N [--seed S] [--timeout T]
                 [--mptcp] [--md5 KEY]
      Sends N pseudo-random bytes (deterministic from S) while reading the
      echo in parallel, half-closes, reads to EOF. Prints one JSON line
      (sent_sha256, recv_sha256, bytes_sent, bytes_recv, ok, connect_ms,
      elapsed_s, mbit_s, error); exit 0 iff ok.

  sgpeer.py probe --host H --port P --count N [--parallel K] [--timeout T]
                  [--interval S] [--source ADDR]
      N short connections, K at a time, started at most every S seconds:
      connect (from ADDR when given), send 64 bytes, read the 64-byte echo,
      close. Prints one JSON
      line: count, ok, failed, errors (kind -> count), p50_ms, p99_ms,
      max_ms (connect latency of the connections that connected), elapsed_s;
      exit 0 iff all connections succeeded. Every step is bounded by T
      (default 5 s), so it always finishes.
"""

import argparse
import hashlib
import json
import math
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time

CHUNK = 1 << 20


def jprint(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def resolve(host, port):
    """(family, sockaddr) for a host name or address literal."""
    ai = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    return ai[0][0], ai[0][4]


# ---------------------------------------------------------------- options

IPPROTO_MPTCP = 262
TCP_MD5SIG = 14


def md5sig(addr, key):
    """struct tcp_md5sig for @addr (the peer) and @key."""
    fam, sa = resolve(addr, 0)
    ss = bytearray(128)
    if fam == socket.AF_INET:
        ss[0:2] = struct.pack("=H", socket.AF_INET)
        ss[4:8] = socket.inet_pton(socket.AF_INET, sa[0])
    else:
        ss[0:2] = struct.pack("=H", socket.AF_INET6)
        ss[8:24] = socket.inet_pton(socket.AF_INET6, sa[0])
    k = key.encode()
    return bytes(ss) + struct.pack("=BBHI", 0, 0, len(k), 0) + k.ljust(80, b"\0")


def new_socket(fam, a):
    """A stream socket as the options say (MPTCP, TCP-MD5)."""
    s = socket.socket(fam, socket.SOCK_STREAM,
                      IPPROTO_MPTCP if getattr(a, "mptcp", False) else 0)
    return s


# ---------------------------------------------------------------- serve


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(self.server.idle_timeout)
        buf = bytearray(256 * 1024)
        view = memoryview(buf)
        try:
            while True:
                n = s.recv_into(buf)
                if n == 0:
                    break
                s.sendall(view[:n])
        except OSError:
            pass


class EchoServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 4096

    def __init__(self, addr, family, dual, idle_timeout, opts=None):
        self.address_family = family
        self.dual = dual
        self.idle_timeout = idle_timeout
        self.opts = opts
        super().__init__(addr, EchoHandler, bind_and_activate=False)
        if opts is not None and opts.mptcp:
            self.socket.close()
            self.socket = new_socket(family, opts)
        try:
            self.server_bind()
            self.server_activate()
        except BaseException:
            self.server_close()
            raise

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                                   0 if self.dual else 1)
        if self.opts is not None and self.opts.md5:
            self.socket.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG,
                                   md5sig(self.opts.md5_peer, self.opts.md5))
        super().server_bind()

    def handle_error(self, request, client_address):
        pass  # a peer resetting is not worth a traceback


def cmd_serve(a):
    servers = []
    for port in a.port:
        if a.bind:
            fam, sa = resolve(a.bind, port)
            srv = EchoServer(sa[:2] if fam == socket.AF_INET else sa, fam,
                             False, a.idle_timeout, a)
        else:
            srv = EchoServer(("::", port), socket.AF_INET6, True,
                             a.idle_timeout, a)
        servers.append(srv)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
    print("listening", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------- xfer


def cmd_xfer(a):
    res = {"host": a.host, "port": a.port, "bytes": a.bytes, "seed": a.seed,
           "sent_sha256": None, "recv_sha256": None, "bytes_sent": 0,
           "bytes_recv": 0, "ok": False, "connect_ms": None,
           "elapsed_s": None, "mbit_s": None, "error": None}
    sent_h, recv_h = hashlib.sha256(), hashlib.sha256()
    send_err = []
    t0 = time.monotonic()
    try:
        fam, sa = resolve(a.host, a.port)
        s = new_socket(fam, a)
        if a.md5:
            s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(a.host, a.md5))
        s.settimeout(a.timeout)
        s.connect(sa)
        res["connect_ms"] = round((time.monotonic() - t0) * 1000, 3)
    except OSError as e:
        res["error"] = "connect: %s" % (e.strerror or type(e).__name__)
        res["sent_sha256"] = sent_h.hexdigest()
        res["recv_sha256"] = recv_h.hexdigest()
        jprint(res)
        return 1

    def sender():
        rng = random.Random(a.seed)
        left = a.bytes
        try:
            while left > 0:
                n = min(CHUNK, left)
                data = rng.randbytes(n)
                sent_h.update(data)
                s.sendall(data)
                res["bytes_sent"] += n
                left -= n
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            send_err.append("send: %s" % (e.strerror or type(e).__name__))

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        while True:
            n = s.recv_into(buf)
            if n == 0:
                break
            recv_h.update(view[:n])
            res["bytes_recv"] += n
    except OSError as e:
        res["error"] = "recv: %s" % (e.strerror or type(e).__name__)
    th.join(a.timeout)
    if th.is_alive() and not res["error"]:
        res["error"] = "send: stuck"
    s.close()
    el = time.monotonic() - t0
    if send_err and not res["error"]:
        res["error"] = send_err[0]
    res["sent_sha256"] = sent_h.hexdigest()
    res["recv_sha256"] = recv_h.hexdigest()
    res["elapsed_s"] = round(el, 3)
    res["mbit_s"] = round(res["bytes_recv"] * 8 / el / 1e6, 1) if el > 0 else None
    res["ok"] = (res["error"] is None and res["bytes_sent"] == a.bytes
                 and res["bytes_recv"] == res["bytes_sent"]
                 and res["sent_sha256"] == res["recv_sha256"])
    if not res["ok"] and not res["error"]:
        res["error"] = "echo differs"
    jprint(res)
    return 0 if res["ok"] else 1


# ---------------------------------------------------------------- probe


def one_probe(fam, sa, timeout, msg, source=None):
    """Returns (error kind or None, connect latency in ms or None)."""
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if source:
            s.bind((source, 0))
        s.settimeout(timeout)
        t0 = time.monotonic()
        try:
            s.connect(sa)
        except socket.timeout:
            return "connect_timeout", None
        except ConnectionRefusedError:
            return "connect_refused", None
        except ConnectionResetError:
            return "connect_reset", None
        except OSError as e:
            return "connect_" + (errname(e) or "error"), None
        lat = (time.monotonic() - t0) * 1000
        deadline = time.monotonic() + timeout
        try:
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                left = deadline - time.monotonic()
                if left <= 0:
                    return "reply_timeout", lat
                s.settimeout(left)
                d = s.recv(len(msg) - len(got))
                if not d:
                    return "reply_eof", lat
                got += d
        except socket.timeout:
            return "reply_timeout", lat
        except ConnectionResetError:
            return "reply_reset", lat
        except OSError as e:
            return "reply_" + (errname(e) or "error"), lat
        if got != msg:
            return "reply_mismatch", lat
        return None, lat
    finally:
        s.close()


def errname(e):
    import errno
    return errno.errorcode.get(e.errno, "").lower() if e.errno else ""


def pct(v, p):
    if not v:
        return None
    i = max(0, min(len(v) - 1, math.ceil(p / 100.0 * len(v)) - 1))
    return round(v[i], 3)


def cmd_probe(a):
    fam, sa = resolve(a.host, a.port)
    lock = threading.Lock()
    state = {"next": 0, "ok": 0}
    errors, lats = {}, []
    t0 = time.monotonic()

    def worker(wid):
        rng = random.Random(wid)
        while True:
            with lock:
                i = state["next"]
                if i >= a.count:
                    return
                state["next"] = i + 1
            start = t0 + i * a.interval
            d = start - time.monotonic()
            if d > 0:
                time.sleep(d)
            msg = rng.randbytes(64)
            err, lat = one_probe(fam, sa, a.timeout, msg, a.source)
            with lock:
                if lat is not None:
                    lats.append(lat)
                if err is None:
                    state["ok"] += 1
                else:
                    errors[err] = errors.get(err, 0) + 1

    ths = [threading.Thread(target=worker, args=(w,), daemon=True)
           for w in range(max(1, min(a.parallel, a.count)))]
    for t in ths:
        t.start()
    # each connection takes at most 2 x timeout (connect + reply)
    limit = a.count * a.interval + (a.count / max(1, a.parallel) + 1) * 2 * a.timeout + 5
    for t in ths:
        t.join(max(0.0, t0 + limit - time.monotonic()))
    with lock:
        lats.sort()
        ok = state["ok"]
        failed = a.count - ok
        missing = failed - sum(errors.values())
        if missing > 0:
            errors["not_finished"] = missing
        res = {"host": a.host, "port": a.port, "count": a.count, "ok": ok,
               "failed": failed, "errors": dict(errors),
               "p50_ms": pct(lats, 50), "p99_ms": pct(lats, 99),
               "max_ms": round(lats[-1], 3) if lats else None,
               "elapsed_s": round(time.monotonic() - t0, 3)}
    jprint(res)
    return 0 if failed == 0 else 1


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description="synguard end-to-end TCP peers")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="threaded dual-stack TCP echo server")
    s.add_argument("--port", type=int, action="append", required=True)
    s.add_argument("--bind", help="address to bind (default [::] dual-stack)")
    s.add_argument("--idle-timeout", type=float, default=60.0,
                   help="close a connection idle this long (s)")
    s.add_argument("--mptcp", action="store_true", help="listen with MPTCP")
    s.add_argument("--md5", help="TCP-MD5 key (with --md5-peer)")
    s.add_argument("--md5-peer", help="the peer address of the MD5 key")

    x = sub.add_parser("xfer", help="send N bytes, check the echo")
    x.add_argument("--host", required=True)
    x.add_argument("--port", type=int, required=True)
    x.add_argument("--bytes", type=int, required=True)
    x.add_argument("--seed", type=int, default=1)
    x.add_argument("--timeout", type=float, default=30.0,
                   help="connect / per-read timeout (s)")
    x.add_argument("--mptcp", action="store_true", help="connect with MPTCP")
    x.add_argument("--md5", help="TCP-MD5 key shared with the server")

    r = sub.add_parser("probe", help="many short echo connections")
    r.add_argument("--host", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--parallel", type=int, default=1)
    r.add_argument("--timeout", type=float, default=5.0)
    r.add_argument("--interval", type=float, default=0.0,
                   help="minimum gap between connection starts (s)")
    r.add_argument("--source", help="local address to connect from")

    a = p.parse_args()
    if a.cmd == "serve" and bool(a.md5) != bool(a.md5_peer):
        p.error("--md5 and --md5-peer go together")
    if a.cmd == "xfer" and a.bytes < 0:
        p.error("--bytes must be >= 0")
    if a.cmd == "probe" and (a.count < 1 or a.parallel < 1 or a.timeout <= 0
                             or a.interval < 0):
        p.error("need --count >= 1, --parallel >= 1, --timeout > 0, --interval >= 0")
    return {"serve": cmd_serve, "xfer": cmd_xfer, "probe": cmd_probe}[a.cmd](a)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
