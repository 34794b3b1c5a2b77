#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Measurement helper for tools/demo.sh and tools/bench/flood.sh.

Standard library only. Subcommands:

  sgbench.py napi DEV...
      Run inside a network namespace (ip netns exec NS ...): print
      "DEV NAPI_ID PID" for every NAPI instance of DEV, asked from the
      kernel over generic netlink (family "netdev", NAPI_GET). PID is the
      threaded-NAPI kernel thread (0 when NAPI is not threaded). Thread
      names ("napi/sga0-8197") are not unique across namespaces, the ids
      and PIDs are: this is how a bench finds its own NAPI threads while
      other benches run the same interface names.

  sgbench.py snap [--link NS:DEV]... [--srv NS] [--sg BIN --pin-root DIR]
      One JSON snapshot on stdout: /proc/stat per CPU, on-CPU time of every
      thread on the machine (/proc/PID/task/TID/schedstat: exact
      nanoseconds; this kernel has no IRQ time accounting, so softirq work
      is charged to the thread it ran on, which with threaded NAPI is the
      NAPI thread), link counters of the given veths, and in the server
      namespace: nstat (TcpExt/Tcp), SYNPROXY statistics, nft counters and
      `synguard stats --json`.

  sgbench.py diff A.json B.json [--role NAME=PID[,PID...]]... [--bench PID]
                  [--other-max PCT] [--steal-max PCT] [--pre-busy PCT]
      B - A as JSON: per-CPU busy/steal, CPU per role in % of one CPU
      (a role is given by root PIDs: the processes, all their threads and
      all their descendants; kernel threads by exact PID), everything else
      split into kernel housekeeping threads and "other" (other tenants of
      the machine), link packet rates, counter deltas, and a contamination
      verdict: other > --other-max (10) % of a CPU, steal > --steal-max (5)
      %, busy time no live thread accounts for (processes that came and
      went inside the window) > --unaccounted-max (25) %, or a machine
      busier than --quiet-pct (15) % before the run (--pre-busy).

  sgbench.py busy [SECONDS]
      Whole-machine busy % (sum over CPUs, in % of one CPU) and steal %
      over SECONDS (default 1): "BUSY STEAL".

  sgbench.py quiet MAX_WAIT THRESHOLD
      Wait up to MAX_WAIT s until busy < THRESHOLD; print the last busy
      figure; exit 1 if the machine never got quiet.

  sgbench.py live --srv NS --link NS:DEV --interval S --count N
      Print one line every S seconds (N lines): SYNs/s into DEV and the
      kernel's SYN-cookie SYN-ACKs/s (TcpExtSyncookiesSent).

  sgbench.py report RESULTS.jsonl [--machine TEXT] [--setup TEXT]
      The flood bench's Markdown report on stdout (medians over clean
      windows, the synguard / kernel ratio and which bound applies).
"""

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time

# ------------------------------------------------------------ netlink NAPI

NETLINK_GENERIC = 16
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NETDEV_CMD_NAPI_GET = 11
NETDEV_A_NAPI_IFINDEX, NETDEV_A_NAPI_ID, NETDEV_A_NAPI_PID = 1, 2, 4


def _nla(typ, payload):
    ln = 4 + len(payload)
    return struct.pack("HH", ln, typ) + payload + b"\0" * ((4 - ln % 4) % 4)


def _attrs(buf):
    out, off = {}, 0
    while off + 4 <= len(buf):
        ln, typ = struct.unpack_from("HH", buf, off)
        if ln < 4:
            break
        out[typ & 0x3FFF] = buf[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out


def _genl_request(sock, family, cmd, attrs=b"", flags=0, seq=1):
    payload = struct.pack("BBH", cmd, 1, 0) + attrs
    hdr = struct.pack("IHHII", 16 + len(payload), family,
                      NLM_F_REQUEST | flags, seq, 0)
    sock.send(hdr + payload)
    msgs = []
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            ln, typ, _fl, _sq, _pid = struct.unpack_from("IHHII", data, off)
            if ln < 16:
                return msgs
            body = data[off + 16:off + ln]
            off += (ln + 3) & ~3
            if typ == NLMSG_DONE:
                return msgs
            if typ == NLMSG_ERROR:
                err = struct.unpack_from("i", body)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                if not flags & NLM_F_DUMP:
                    return msgs
                continue
            msgs.append(_attrs(body[4:]))
            if not flags & NLM_F_DUMP:
                return msgs


def napi_list(devs):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    fam = _genl_request(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                        _nla(CTRL_ATTR_FAMILY_NAME, b"netdev\0"))
    fid = struct.unpack("H", fam[0][CTRL_ATTR_FAMILY_ID][:2])[0]
    want = {socket.if_nametoindex(d): d for d in devs}
    res = []
    for m in _genl_request(s, fid, NETDEV_CMD_NAPI_GET, flags=NLM_F_DUMP, seq=2):
        u32 = lambda k: struct.unpack("I", m[k][:4])[0] if k in m else 0
        ifi = u32(NETDEV_A_NAPI_IFINDEX)
        if ifi in want:
            res.append((want[ifi], u32(NETDEV_A_NAPI_ID), u32(NETDEV_A_NAPI_PID)))
    return res


# ---------------------------------------------------------------- snapshot


def sh(args):
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def proc_stat():
    cpus = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                p = line.split()
                # user nice system idle iowait irq softirq steal
                cpus[p[0]] = list(map(int, p[1:9]))
    return cpus


def tasks():
    """{"pid/tid": [comm, runtime_ns, ppid]} for every thread."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read()
            ppid = int(st[st.rfind(")") + 2:].split()[1])
            tids = os.listdir(f"/proc/{pid}/task")
        except (OSError, ValueError, IndexError):
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    ns = int(f.read().split()[0])
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    comm = f.read().strip()
            except (OSError, ValueError, IndexError):
                continue
            out[f"{pid}/{tid}"] = [comm, ns, ppid]
    return out


def link_stats(ns, dev):
    try:
        j = json.loads(sh(["ip", "-n", ns, "-s", "-j", "link", "show", "dev", dev]))
        s = j[0]["stats64"]
        return {"rx_packets": s["rx"]["packets"], "rx_dropped": s["rx"]["dropped"],
                "tx_packets": s["tx"]["packets"], "tx_dropped": s["tx"]["dropped"]}
    except (ValueError, KeyError, IndexError, TypeError):
        return {}


def srv_counters(ns, sg, pin_root):
    res = {}
    env = dict(os.environ, NSTAT_HISTORY="/dev/null")
    try:
        out = subprocess.run(["ip", "netns", "exec", ns, "nstat", "-asz", "-j"],
                             capture_output=True, text=True, env=env,
                             timeout=10).stdout
        res["nstat"] = json.loads(out).get("kernel", {})
    except (ValueError, OSError, subprocess.SubprocessError):
        res["nstat"] = {}
    sp = sh(["ip", "netns", "exec", ns, "cat", "/proc/net/stat/synproxy"]).split("\n")
    if len(sp) > 1 and sp[0].strip():
        names = sp[0].split()
        tot = [0] * len(names)
        for line in sp[1:]:
            if line.strip():
                for i, v in enumerate(line.split()[:len(names)]):
                    tot[i] += int(v, 16)
        res["synproxy"] = dict(zip(names, tot))
    nft = sh(["ip", "netns", "exec", ns, "nft", "-j", "list", "counters"])
    try:
        for item in json.loads(nft)["nftables"]:
            if "counter" in item:
                c = item["counter"]
                res.setdefault("nft", {})[c["name"]] = c["packets"]
    except (ValueError, KeyError, TypeError):
        pass
    if sg:
        args = ["ip", "netns", "exec", ns, sg, "stats", "--json"]
        if pin_root:
            args += ["--pin-root", pin_root]
        try:
            res["synguard"] = json.loads(sh(args))
        except ValueError:
            pass
    return res


def snap(a):
    t = time.time()
    st = proc_stat()
    tk = tasks()
    t_links = time.time()
    lk = {}
    for spec in a.link or []:
        ns, dev = spec.split(":", 1)
        lk[dev] = link_stats(ns, dev)
    snapd = {"t": t, "stat": st, "tasks": tk, "t_links": t_links, "links": lk}
    if a.srv:
        snapd["srv"] = srv_counters(a.srv, a.sg, a.pin_root)
    return snapd


# -------------------------------------------------------------------- diff

KERNEL_MISC = ("ksoftirqd/", "kworker/", "rcu_", "rcuc/", "rcuog/", "rcuop/",
               "migration/", "cpuhp/", "idle_inject/", "kcompactd", "kdamond",
               "khugepaged", "kswapd", "watchdog", "irq/", "jbd2/", "kauditd")

TCP_KEYS = ["TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed",
            "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop",
            "TcpExtTCPReqQFullDoCookies", "TcpPassiveOpens", "TcpActiveOpens",
            "TcpInSegs", "TcpOutSegs", "TcpRetransSegs", "TcpOutRsts",
            "TcpExtTCPSynRetrans", "TcpExtTCPBacklogDrop"]


def diff(a, b, roles, bench_pid, other_max, steal_max, pre_busy, quiet_pct,
         unacc_max=25.0):
    dt = b["t"] - a["t"]
    out = {"interval_s": round(dt, 3)}
    cpu, busy_sum, steal_max_seen = {}, 0.0, 0.0
    for k, vb in b["stat"].items():
        va = a["stat"].get(k)
        if not va:
            continue
        d = [y - x for x, y in zip(va, vb)]
        tot = sum(d) or 1
        busy = 100.0 * (tot - d[3] - d[4]) / tot
        steal = 100.0 * d[7] / tot
        cpu[k] = {"busy_pct": round(busy, 1), "steal_pct": round(steal, 1)}
        busy_sum += busy
        steal_max_seen = max(steal_max_seen, steal)
    out["cpu"] = cpu
    out["machine_busy_pct"] = round(busy_sum, 1)

    # process table (pid -> ppid) to resolve role membership by ancestry
    ppid = {}
    for snapd in (a, b):
        for key, (_c, _n, pp) in snapd["tasks"].items():
            ppid[int(key.split("/")[0])] = pp
    role_of_root = {}
    for name, pids in roles:
        for p in pids:
            role_of_root.setdefault(p, name)
    cache = {}

    def role_of(pid):
        if pid in cache:
            return cache[pid]
        p, seen, r = pid, 0, None
        while p > 1 and seen < 64:
            if p in role_of_root:
                r = role_of_root[p]
                break
            if p == 2:  # kthreadd: kernel threads only match by exact PID
                break
            p = ppid.get(p, 0)
            seen += 1
        if r is None and bench_pid:
            p, seen = pid, 0
            while p > 1 and seen < 64:
                if p == bench_pid:
                    r = "bench_tools"
                    break
                p = ppid.get(p, 0)
                seen += 1
        cache[pid] = r
        return r

    names = [n for n, _ in roles]
    acc = {n: 0 for n in names}
    acc.update({"bench_tools": 0, "kernel_misc": 0, "other": 0})
    other_top, kmisc_top, total = {}, {}, 0
    for key, (comm, ns, _pp) in b["tasks"].items():
        prev = a["tasks"].get(key)
        d = ns - (prev[1] if prev and prev[0] == comm else 0)
        if d <= 0:
            continue
        total += d
        r = role_of(int(key.split("/")[0]))
        if r is None:
            if comm.startswith(KERNEL_MISC):
                r = "kernel_misc"
                kmisc_top[comm] = kmisc_top.get(comm, 0) + d
            else:
                r = "other"
                other_top[comm] = other_top.get(comm, 0) + d
        acc[r] += d
    pct = lambda v: round(100.0 * v / 1e9 / dt, 1)
    out["cpu_by_role_pct"] = {r: pct(v) for r, v in acc.items()}
    out["other_top"] = {k: pct(v) for k, v in
                        sorted(other_top.items(), key=lambda x: -x[1])[:5]}
    out["kernel_misc_top"] = {k: pct(v) for k, v in
                              sorted(kmisc_top.items(), key=lambda x: -x[1])[:4]}
    # time on CPU that no live thread accounts for: processes that
    # started and ended inside the window (short-lived commands)
    out["unaccounted_pct"] = round(busy_sum - 100.0 * total / 1e9 / dt, 1)

    lk = {}
    dtl = b.get("t_links", b["t"]) - a.get("t_links", a["t"])
    for dev, vb in b.get("links", {}).items():
        va = a.get("links", {}).get(dev, {})
        lk[dev] = {k: v - va.get(k, 0) for k, v in vb.items()}
        for k in ("rx_packets", "tx_packets", "tx_dropped"):
            if k in lk[dev]:
                lk[dev][k.replace("_packets", "") + "_pps"] = round(lk[dev][k] / dtl)
    out["links"] = lk

    sa, sb = a.get("srv", {}), b.get("srv", {})
    na, nb = sa.get("nstat", {}), sb.get("nstat", {})
    out["tcp"] = {k: nb.get(k, 0) - na.get(k, 0) for k in TCP_KEYS if k in nb}
    if "synproxy" in sb:
        pa = sa.get("synproxy", {})
        out["synproxy"] = {k: v - pa.get(k, 0) for k, v in sb["synproxy"].items()
                           if k != "entries"}
    if "nft" in sb:
        fa = sa.get("nft", {})
        out["nft"] = {k: v - fa.get(k, 0) for k, v in sb["nft"].items()}
    if sb.get("synguard"):
        ga = sa.get("synguard") or {}
        out["synguard"] = {}
        for dev, cnt in sb["synguard"].items():
            prev = ga.get(dev, {})
            out["synguard"][dev] = {k: v - prev.get(k, 0) for k, v in cnt.items()
                                    if isinstance(v, int)}

    reasons = []
    if out["cpu_by_role_pct"]["other"] > other_max:
        top = ", ".join(f"{k} {v}%" for k, v in out["other_top"].items())
        reasons.append(f"other tasks used {out['cpu_by_role_pct']['other']}% of a CPU ({top})")
    if out["unaccounted_pct"] > unacc_max:
        reasons.append(f"{out['unaccounted_pct']}% of a CPU used by short-lived processes")
    if steal_max_seen > steal_max:
        reasons.append(f"steal {round(steal_max_seen, 1)}%")
    if pre_busy is not None and pre_busy >= quiet_pct:
        reasons.append(f"machine {pre_busy}% busy before the run")
    out["contaminated"] = bool(reasons)
    out["contamination"] = reasons
    return out


def parse_role(s):
    name, _, pids = s.partition("=")
    return name, [int(p) for p in pids.replace(" ", ",").split(",") if p.strip().isdigit()]


# ------------------------------------------------------------- busy/quiet


def busy(seconds):
    a = proc_stat()
    time.sleep(seconds)
    b = proc_stat()
    tot_busy, steal = 0.0, 0.0
    for k, vb in b.items():
        d = [y - x for x, y in zip(a[k], vb)]
        t = sum(d) or 1
        tot_busy += 100.0 * (t - d[3] - d[4]) / t
        steal = max(steal, 100.0 * d[7] / t)
    return tot_busy, steal


# -------------------------------------------------------------------- live


def live(a):
    ns, dev = a.link.split(":", 1)
    env = dict(os.environ, NSTAT_HISTORY="/dev/null")

    def sample():
        try:
            out = subprocess.run(["ip", "netns", "exec", a.srv, "nstat", "-asz", "-j"],
                                 capture_output=True, text=True, env=env,
                                 timeout=5).stdout
            k = json.loads(out)["kernel"]
        except (ValueError, KeyError, OSError, subprocess.SubprocessError):
            k = {}
        ls = link_stats(ns, dev)
        return (time.time(), ls.get("rx_packets", 0), ls.get("tx_dropped", 0),
                k.get("TcpExtSyncookiesSent", 0), k.get("TcpPassiveOpens", 0))

    prev = sample()
    t0 = prev[0]
    for _ in range(a.count):
        time.sleep(max(0.0, a.interval - (time.time() - prev[0])))
        cur = sample()
        dt = (cur[0] - prev[0]) or 1
        print(f"  t={cur[0] - t0:4.0f}s  SYNs into {dev}: {(cur[1] - prev[1]) / dt / 1000:6.1f} k/s"
              f"   kernel SYN-cookie SYN-ACKs: {(cur[3] - prev[3]) / dt / 1000:6.1f} k/s"
              f"   accepted connections: {(cur[4] - prev[4]) / dt:5.0f}/s", flush=True)
        prev = cur


# ------------------------------------------------------------------ report


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def fmt(v, nd=0, unit=""):
    if v is None:
        return "–"
    return f"{v:,.{nd}f}{unit}"


def report(a):
    recs = [json.loads(l) for l in open(a.jsonl) if l.strip()]
    order, groups = [], {}
    for r in recs:
        k = r["defense"]
        if k not in groups:
            order.append(k)
            groups[k] = []
        groups[k].append(r)

    summary = {}
    for k in order:
        runs = groups[k]
        clean = [r for r in runs if not r["contaminated"]]
        use = clean or runs
        m = {
            "key": k, "label": runs[0]["label"], "flood": runs[0]["flood"],
            "n": len(runs), "clean": len(clean),
            "syn_kpps": med([r["syn_in_pps"] / 1000 for r in use]),
            "offered_kpps": med([r["offered_pps"] / 1000 for r in use]),
            "ringdrop_kpps": med([r["ring_drop_pps"] / 1000 for r in use]),
            "synack_kpps": med([r["synack_pps"] / 1000 for r in use]),
            "srv_cpu": med([r["server_cpu_pct"] for r in use]),
            "gen_cpu": med([r["generator_cpu_pct"] for r in use]),
            "cpu_per_m": med([r["cpu_s_per_msyn"] for r in use]),
            "ok_pct": med([r["legit_ok_pct"] for r in use]),
            "ok_min": min(r["legit_ok_pct"] for r in use),
            "p50": med([r["p50_ms"] for r in use]),
            "p99": med([r["p99_ms"] for r in use]),
            "srv_cpu_busy": med([r.get("srv_cpu_busy_pct") for r in use]),
        }
        m["bound"] = bound_of(m)
        summary[k] = m

    L = ["# Flood bench", ""]
    if a.machine:
        L += [f"Machine: {a.machine}", ""]
    if a.setup:
        L += [f"Setup: {a.setup}", ""]
    L.append("| defense | flood | SYNs into server (k/s) | offered (k/s) | lost in ring (k/s) "
             "| SYN-ACKs (k/s) | server CPU (% of 1 core) | CPU s per 1 M SYNs "
             "| legit ok %: median (worst) | connect p50 / p99 (ms) | generator CPU % "
             "| bound | windows (clean) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k in order:
        m = summary[k]
        flood = m["flood"]
        L.append(f"| {m['label']} | {flood} | {fmt(m['syn_kpps'], 1)} | {fmt(m['offered_kpps'], 1)} "
                 f"| {fmt(m['ringdrop_kpps'], 1)} | {fmt(m['synack_kpps'], 1)} | {fmt(m['srv_cpu'], 0)} "
                 f"| {fmt(m['cpu_per_m'], 2)} | {fmt(m['ok_pct'], 1)} ({fmt(m['ok_min'], 1)}) "
                 f"| {fmt(m['p50'], 2)} / {fmt(m['p99'], 1)} | {fmt(m['gen_cpu'], 0)} "
                 f"| {m['bound']} | {m['n']} ({m['clean']}) |")
    L.append("")

    # the kernel alone: highest SYN rate with 100 % legit success
    kern = summary.get("kernel")
    kbest, knote = None, ""
    for k, m in summary.items():
        if (k == "kernel" or k.startswith("kernel@")) and m["ok_min"] >= 100.0:
            if kbest is None or m["syn_kpps"] > kbest["syn_kpps"]:
                kbest = m
    if kbest:
        knote = "at the generator's full rate" if kbest["key"] == "kernel" else kbest["flood"]
    L += ["## synguard vs the kernel alone", ""]
    if all(m["clean"] == 0 for m in summary.values()):
        L += ["**Every window was disturbed by other load on this machine (see Contamination): "
              "the figures below are not representative. Re-run on an idle machine.**", ""]
    if kern and not kbest:
        L.append(f"- The kernel alone lost legitimate connections at every rate tried "
                 f"(worst {fmt(kern['ok_min'], 1)} % at {fmt(kern['syn_kpps'], 1)} kSYN/s).")
    for k, name in (("own", "synguard own engine"), ("kernel-engine", "synguard kernel engine")):
        m = summary.get(k)
        if not m:
            continue
        if m["ok_min"] < 100.0:
            L.append(f"- {name}: legitimate success fell to {fmt(m['ok_min'], 1)} % at "
                     f"{fmt(m['syn_kpps'], 1)} kSYN/s, so no rate with 100 % was measured.")
        elif kbest:
            ratio = m["syn_kpps"] / kbest["syn_kpps"]
            L.append(f"- {name}: absorbs **{fmt(m['syn_kpps'], 1)} kSYN/s** with 100 % legitimate "
                     f"success; the kernel alone keeps 100 % up to {fmt(kbest['syn_kpps'], 1)} kSYN/s "
                     f"({knote}). Measured ratio **{ratio:.2f}x** (target >= 5x).")
        else:
            L.append(f"- {name}: absorbs {fmt(m['syn_kpps'], 1)} kSYN/s with 100 % legitimate success.")
        if m["bound"] == "generator":
            L.append(f"  - Bound: **the flood generator**, not synguard. synguard's server CPU was "
                     f"{fmt(m['srv_cpu'], 0)} % of one core with {fmt(m['ringdrop_kpps'], 1)} k/s lost "
                     f"in the ring, while the generator (one CPU: trafgen + the attacker's NAPI "
                     f"thread) used {fmt(m['gen_cpu'], 0)} %. The measured ratio is a lower bound: "
                     "this machine cannot offer more SYNs than that.")
        elif m["bound"].startswith("server CPU"):
            L.append(f"  - Bound: {m['bound']} ({fmt(m['srv_cpu'], 0)} % of one core for the "
                     f"server, the CPU {fmt(m['srv_cpu_busy'], 0)} % busy, "
                     f"{fmt(m['ringdrop_kpps'], 1)} k/s lost in the ring).")
        elif m["bound"] == "receive ring":
            L.append(f"  - Bound: the veth receive ring ({fmt(m['ringdrop_kpps'], 1)} k/s lost "
                     f"although the server used only {fmt(m['srv_cpu'], 0)} % of its CPU: "
                     "bursts, NAPI thread wake-up latency).")
        if kern and k == "own":
            L.append(f"  - The kernel alone: bound by {kern['bound']} (server {fmt(kern['srv_cpu'], 0)} % "
                     f"of one core, {fmt(kern['ringdrop_kpps'], 1)} k/s lost in the ring).")
        if kern and m["cpu_per_m"] and kern["cpu_per_m"]:
            cap = 1e6 / m["cpu_per_m"] / 1000
            kcap = 1e6 / kern["cpu_per_m"] / 1000
            f = kern["cpu_per_m"] / m["cpu_per_m"]
            rel = (f"**{f:.1f}x less** CPU per SYN than the kernel alone" if f >= 1
                   else f"**{1 / f:.1f}x more** CPU per SYN than the kernel alone")
            L.append(f"  - CPU cost: {fmt(m['cpu_per_m'], 2)} server CPU seconds per million SYNs vs "
                     f"{fmt(kern['cpu_per_m'], 2)} for the kernel alone: {rel}. Extrapolated to a "
                     f"full server core: ≈ {fmt(cap, 0)} vs ≈ {fmt(kcap, 0)} kSYN/s (a linear "
                     "projection, not a measurement).")
        if kern and kbest is kern and m["bound"] == "generator" and kern["bound"] == "generator":
            L.append("  - Both kept up with everything the generator offered: the ratio of "
                     "measured rates cannot separate them here; the CPU cost per SYN does.")
    L.append("")

    fl = summary.get("xdp-drop")
    if fl:
        L += ["## Calibration: XDP_DROP on the server veth", ""]
        L.append(f"- With the receiver doing nothing but `XDP_DROP`, the generator offered "
                 f"{fmt(fl['offered_kpps'], 1)} kSYN/s and {fmt(fl['syn_kpps'], 1)} k/s entered the "
                 f"server ({fmt(fl['ringdrop_kpps'], 1)} k/s lost in the ring)"
                 + (": the most this machine's generator can offer, whatever the defence."
                    if fl["clean"] else "."))
        if fl["cpu_per_m"]:
            L.append(f"- The floor: {fmt(fl['cpu_per_m'], 2)} server CPU seconds per million packets "
                     "just to take a packet off the veth ring into XDP (NAPI thread wake-ups, and "
                     "veth copying each socket-sent skb into an XDP buffer; a NIC driver runs XDP on "
                     "its DMA buffers instead).")
            for k, name in (("own", "synguard own engine"), ("kernel-engine", "synguard kernel engine")):
                m = summary.get(k)
                if m and m["cpu_per_m"]:
                    L.append(f"  - {name}: {fmt(m['cpu_per_m'], 2)} s per million SYNs, i.e. "
                             f"≈ {fmt(m['cpu_per_m'] - fl['cpu_per_m'], 2)} above the floor for "
                             "its own work (cookie, SYN-ACK, XDP_TX).")
        for k in ("own", "kernel-engine"):
            m = summary.get(k)
            if m and fl["offered_kpps"] and m["offered_kpps"] and fl["clean"] and m["clean"]:
                L.append(f"- Generator offered {fmt(m['offered_kpps'], 1)} kSYN/s against {k} "
                         f"({100 * m['offered_kpps'] / fl['offered_kpps']:.0f} % of the XDP_DROP ceiling).")
        if not fl["clean"]:
            L.append("- Every calibration window was disturbed by other load: these are not a "
                     "reliable ceiling or floor.")
        L.append("")

    bad = [r for r in recs if r["contaminated"]]
    L += ["## Contamination", ""]
    if not bad:
        L.append("No window was disturbed by other load on the machine.")
    else:
        L.append(f"{len(bad)} of {len(recs)} windows were disturbed by other load on the machine "
                 "(medians use the clean windows of a row when it has any; a row whose "
                 "windows are all contaminated is not representative):")
        L.append("")
        for r in bad:
            L.append(f"- {r['defense']} rep {r['rep']} attempt {r['attempt']}: "
                     + "; ".join(r["contamination"]))
    L.append("")
    L += ["## Method", "",
          "- Topology: `tests/e2e/lib.sh` (client, server, attacker namespaces on veth pairs); "
          "the server's veths `sgc0` (clients) and `sga0` (attacker) run threaded NAPI, their "
          "NAPI threads pinned to the server CPU with the echo server (`tests/e2e/sgpeer.py "
          "serve`), so the whole receive path (XDP, IP, TCP, SYN-ACK) is charged to the server "
          "CPU like a NIC interrupt affined there. The attacker's veth drops the SYN-ACKs to "
          "forged sources in XDP (`tools/bench/xdp_sink.bpf.c`).",
          "- Flood: trafgen (one CPU, sendto mode), spoofed SYNs from 198.19.0.0/16 with a "
          "Linux option set, at full rate; `SYNs into server` = `sga0` rx packets (what the "
          "server's NAPI took off the ring), `lost in ring` = `atk0` tx_dropped (ring full: the "
          "server did not keep up), `offered` = both.",
          "- Server CPU = on-CPU time (`/proc/PID/task/TID/schedstat`) of the echo server, the "
          "server's NAPI threads (found by NAPI id over netlink) and the synguard daemons, in % "
          "of one core. The kernel has no IRQ time accounting; with threaded NAPI the packet "
          "path runs in the NAPI threads.",
          "- Legitimate clients: `sgpeer.py probe`, paced connections (connect, 64-byte echo, "
          "timeout 5 s) from the client namespace during the whole window.",
          "- synguard runs with `--synack-rate 0` (every SYN answered, as the kernel does) on "
          "both server veths; SYNPROXY uses `nf_conntrack_tcp_timeout_time_wait=1` so that "
          "client source-port reuse does not stall connections (a SYNPROXY artefact unrelated "
          "to the flood).",
          "- Contamination: a window is flagged when other tasks used > 10 % of a CPU, "
          "short-lived processes > 25 %, steal > 5 %, or the machine was >= 15 % busy before "
          "it (after waiting up to the quiet timeout).",
          "- Bound: `server CPU` when the server's threads used >= 85 % of its CPU; when more "
          "than 2 % of the offered SYNs were lost in the ring below that, `server CPU shared "
          "with other load` if the CPU was >= 90 % busy anyway, else `receive ring`; "
          "otherwise `generator` (the server kept up with everything offered).", ""]
    print("\n".join(L))


def bound_of(m):
    """Which resource limited the SYN rate of one configuration (medians)."""
    if m["flood"] == "none":
        return "–"
    if not m["flood"].startswith("max"):
        return "paced"
    srv, drops, syn = m["srv_cpu"] or 0, m["ringdrop_kpps"] or 0, m["syn_kpps"] or 0
    busy = m.get("srv_cpu_busy") or 0
    if srv >= 85:
        return "server CPU"
    if drops > 0.02 * (syn + drops):
        if busy >= 90:
            return f"server CPU shared with other load ({srv:.0f} % ours)"
        return "receive ring"
    return "generator"


# -------------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("napi")
    n.add_argument("dev", nargs="+")
    s = sub.add_parser("snap")
    s.add_argument("--link", action="append")
    s.add_argument("--srv")
    s.add_argument("--sg")
    s.add_argument("--pin-root")
    d = sub.add_parser("diff")
    d.add_argument("a")
    d.add_argument("b")
    d.add_argument("--role", action="append", default=[])
    d.add_argument("--bench", type=int)
    d.add_argument("--other-max", type=float, default=10.0)
    d.add_argument("--steal-max", type=float, default=5.0)
    d.add_argument("--pre-busy", type=float)
    d.add_argument("--quiet-pct", type=float, default=15.0)
    d.add_argument("--unaccounted-max", type=float, default=25.0)
    b = sub.add_parser("busy")
    b.add_argument("seconds", nargs="?", type=float, default=1.0)
    q = sub.add_parser("quiet")
    q.add_argument("max_wait", type=float)
    q.add_argument("threshold", type=float)
    lv = sub.add_parser("live")
    lv.add_argument("--srv", required=True)
    lv.add_argument("--link", required=True)
    lv.add_argument("--interval", type=float, default=2.0)
    lv.add_argument("--count", type=int, default=5)
    r = sub.add_parser("report")
    r.add_argument("jsonl")
    r.add_argument("--machine")
    r.add_argument("--setup")
    a = p.parse_args()

    if a.cmd == "napi":
        for dev, nid, pid in napi_list(a.dev):
            print(dev, nid, pid)
    elif a.cmd == "snap":
        json.dump(snap(a), sys.stdout)
    elif a.cmd == "diff":
        with open(a.a) as f:
            sa = json.load(f)
        with open(a.b) as f:
            sb = json.load(f)
        json.dump(diff(sa, sb, [parse_role(x) for x in a.role], a.bench,
                       a.other_max, a.steal_max, a.pre_busy, a.quiet_pct,
                       a.unaccounted_max),
                  sys.stdout, indent=1)
        print()
    elif a.cmd == "busy":
        bz, st = busy(a.seconds)
        print(f"{bz:.0f} {st:.1f}")
    elif a.cmd == "quiet":
        t0 = time.time()
        while True:
            bz, _ = busy(1.0)
            if bz < a.threshold:
                print(f"{bz:.0f}")
                return 0
            if time.time() - t0 >= a.max_wait:
                print(f"{bz:.0f}")
                return 1
    elif a.cmd == "live":
        live(a)
    elif a.cmd == "report":
        report(a)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
