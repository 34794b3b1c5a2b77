#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The shipped Prometheus alert rules: `promtool check rules`, the unit tests
# of tools/prometheus/synguard.rules.test.yml (alerts that must fire and
# must not), and that those tests do catch a broken rule (a threshold
# raised 5x makes them fail). The rules and the Grafana dashboard against a
# live Prometheus: tests/e2e/test_metrics.sh.
cd "$(dirname "$0")/../.." || exit 1
dir=tools/prometheus
if ! command -v promtool >/dev/null; then
	echo "SKIP: prometheus rules: no promtool (apt-get install prometheus)"
	exit 0
fi
if out=$(promtool check rules "$dir/synguard.rules.yml" 2>&1); then
	echo "PASS: promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
else
	echo "FAIL: promtool check rules: $out"
fi
if out=$(cd "$dir" && promtool test rules synguard.rules.test.yml 2>&1); then
	echo "PASS: promtool test rules: $(grep -c 'eval_time' "$dir/synguard.rules.test.yml") alert expectations, $(grep -c 'exp_alerts: \[\]' "$dir/synguard.rules.test.yml") of them that nothing fires"
else
	echo "FAIL: promtool test rules: $(head -c 1500 <<<"$out")"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/> 1000$/> 5000/' "$dir/synguard.rules.yml" >"$tmp/synguard.rules.yml"
cp "$dir/synguard.rules.test.yml" "$tmp/"
if ! cmp -s "$dir/synguard.rules.yml" "$tmp/synguard.rules.yml" &&
	! (cd "$tmp" && promtool test rules synguard.rules.test.yml >/dev/null 2>&1); then
	echo "PASS: promtool test rules fails on rules with a raised threshold"
else
	echo "FAIL: promtool test rules: a raised threshold went unnoticed"
fi
if grep -q 'SynguardSynFlood' README.md && grep -q 'tools/prometheus/synguard.rules.yml' README.md &&
	! grep -q 'expr: rate(synguard' README.md; then
	echo "PASS: README points to the shipped rules instead of carrying its own"
else
	echo "FAIL: README and the shipped rules: README must point to tools/prometheus/synguard.rules.yml"
fi
