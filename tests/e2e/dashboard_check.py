#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Run every query of a Grafana dashboard against a live Prometheus and
check the shape of what comes back; print one PASS/FAIL line per panel,
per template variable, and for the dashboard's structure.

    dashboard_check.py DASHBOARD.json PROMETHEUS_URL INSTANCE INTERFACE

Dashboard variables: $instance and $interface become ".*" (Grafana's "All"),
$__rate_interval becomes 10s. A panel passes when each target's query
succeeds as an instant and as a range query (the last 30 s), returns at
least one series, every series carries each label its legendFormat names
({{label}}), the series of INTERFACE (or INSTANCE, for queries without an
interface) is among them, and every value is a finite number.
"""
import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request

dash_path, base, instance, interface = sys.argv[1:5]
dash = json.load(open(dash_path))


def api(path, **params):
    url = base + path + "?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body.get('error')}")
    return body["data"]


def subst(q):
    return q.replace("$__rate_interval", "10s").replace("$instance", ".*").replace("$interface", ".*")


def say(ok, name, why=""):
    print(f"PASS: dashboard: {name}" if ok else f"FAIL: dashboard: {name}: {why}")


# Structure: unique ids, everything inside the 24-column grid, each target
# on the dashboard's data source variable with its own refId.
ids = [p["id"] for p in dash["panels"]]
problems = []
if len(set(ids)) != len(ids):
    problems.append("duplicate panel ids")
for p in dash["panels"]:
    g = p["gridPos"]
    if g["x"] < 0 or g["x"] + g["w"] > 24:
        problems.append(f"panel {p['title']!r} outside the grid")
    refs = [t["refId"] for t in p.get("targets", [])]
    if not refs or len(set(refs)) != len(refs):
        problems.append(f"panel {p['title']!r}: no targets or duplicate refIds")
    for t in p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${datasource}" or not t.get("expr"):
            problems.append(f"panel {p['title']!r}: target {t.get('refId')} without expr or off the data source variable")
say(not problems, f"structure ({len(ids)} panels, {sum(len(p['targets']) for p in dash['panels'])} queries)", "; ".join(problems))

# Template variables: label_values(METRIC_SELECTOR, LABEL).
want = {"instance": instance, "interface": interface}
for v in dash["templating"]["list"]:
    if v["type"] != "query":
        continue
    m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", v["definition"])
    if not m:
        say(False, f"variable ${v['name']}", f"not label_values(): {v['definition']}")
        continue
    try:
        values = api(f"/api/v1/label/{m.group(2)}/values", **{"match[]": subst(m.group(1))})
        say(want[v["name"]] in values, f"variable ${v['name']} lists {want[v['name']]}", f"got {values}")
    except Exception as e:  # noqa: BLE001
        say(False, f"variable ${v['name']}", str(e))

now = time.time()
for p in dash["panels"]:
    why = []
    nseries = 0
    for t in p["targets"]:
        q = subst(t["expr"])
        labels = re.findall(r"\{\{\s*(\w+)\s*\}\}", t.get("legendFormat", ""))
        try:
            inst = api("/api/v1/query", query=q)
            rng = api("/api/v1/query_range", query=q, start=now - 30, end=now, step=2)
        except Exception as e:  # noqa: BLE001
            why.append(f"{t['refId']}: {e}")
            continue
        if inst["resultType"] != "vector" or rng["resultType"] != "matrix":
            why.append(f"{t['refId']}: result types {inst['resultType']}/{rng['resultType']}")
            continue
        series = inst["result"]
        nseries += len(series)
        if not series or not rng["result"]:
            why.append(f"{t['refId']}: no data for {q}")
            continue
        for s in series:
            missing = [l for l in labels if l not in s["metric"]]
            if missing:
                why.append(f"{t['refId']}: series {s['metric']} lacks {missing} (legend {t['legendFormat']!r})")
                break
            if not math.isfinite(float(s["value"][1])):
                why.append(f"{t['refId']}: non-finite value {s['value'][1]}")
                break
        key = "interface" if "interface" in labels else "instance"
        if labels and not any(s["metric"].get(key) == want[key] for s in series):
            why.append(f"{t['refId']}: no series with {key}={want[key]}")
    say(not why, f"panel {p['title']!r}: {len(p['targets'])} queries, {nseries} series", "; ".join(why))
