#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# synguard(8) and the --help texts come from one table (user/usage.c):
# the manual page renders without a warning (groff -man -ww, man -l
# --warnings); every option of every command's --help appears in that
# command's section of the manual and the other way round; every long
# option the code parses (struct option tables) is documented, and every
# documented option is one the command accepts.
cd "$(dirname "$0")/../.." || exit 1
SG=${SG:-.output/synguard}
MAN=${MAN:-.output/synguard.8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$MAN" ]; then
	echo "FAIL: man: $MAN not built (make)"
	exit 0
fi
groff -man -Tutf8 -ww "$MAN" >"$tmp/man.utf8" 2>"$tmp/groff.err"
if [ ! -s "$tmp/groff.err" ] && [ -s "$tmp/man.utf8" ]; then
	echo "PASS: man: groff -man -Tutf8 -ww renders synguard(8) without warnings ($(wc -l <"$tmp/man.utf8") lines)"
else
	echo "FAIL: man: groff warnings: $(head -5 "$tmp/groff.err")"
fi
MANWIDTH=120 man -l --warnings "$MAN" >"$tmp/man.txt" 2>"$tmp/man.err"
if [ ! -s "$tmp/man.err" ] && grep -q 'synguard - XDP SYN-cookie defence' "$tmp/man.txt"; then
	echo "PASS: man: man -l --warnings shows it without warnings"
else
	echo "FAIL: man: man -l --warnings: $(head -5 "$tmp/man.err")"
fi

cmds=$("$SG" help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
for c in $cmds; do
	"$SG" "$c" --help >"$tmp/help.$c" 2>&1 || echo "FAIL: man: synguard $c --help exits non-zero"
done
python3 - "$tmp" "$cmds" <<'PY'
import re, sys
tmp, cmds = sys.argv[1], sys.argv[2].split()
text = open(f"{tmp}/man.txt").read()
# The COMMANDS section, split at "   synguard CMD" subsection headings.
body = text.split("\nCOMMANDS\n", 1)[1].split("\nCONFIGURATION FILE\n", 1)[0]
parts = re.split(r"^   synguard (\w+)\n", body, flags=re.M)
man = {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}
FLAGS = re.compile(r"^(?:  |  {5}|       )(-\w|--[\w-]+)(?:, (--[\w-]+))?(?: |$)")
def opts_of(lines, indent):
    found = set()
    for line in lines:
        if not line.startswith(indent) or not line[len(indent):].startswith("-"):
            continue
        m = FLAGS.match(line)
        if m:
            found.update(o for o in m.groups() if o)
    return found
def help_opts(c):
    return opts_of(open(f"{tmp}/help.{c}").read().replace("      --", "  --").splitlines(), "  ")
def man_opts(c):
    return opts_of(man.get(c, "").splitlines(), "       ")
total, bad = 0, []
for c in cmds:
    h, m = help_opts(c), man_opts(c)
    total += len(h)
    if c not in man:
        bad.append(f"{c}: no section in the manual")
    elif h != m:
        bad.append(f"{c}: --help only {sorted(h - m)}, manual only {sorted(m - h)}")
if bad:
    print("FAIL: man: --help and synguard(8) differ: " + "; ".join(bad))
else:
    print(f"PASS: man: the {len(cmds)} commands' {total} options are the same in --help and synguard(8)")
PY

# The code's option tables against the documentation: every long option a
# command parses is in its --help, and every documented option is accepted.
declare -A files=([user/run.c]="run detach" [user/stats.c]=stats [user/status.c]=status
	[user/top.c]=top [user/ctl.c]="allow deny ports keys")
undoc="" unknown=""
for f in "${!files[@]}"; do
	helps=()
	for c in ${files[$f]}; do helps+=("$tmp/help.$c"); done
	for o in $(grep -oE '\{ "[a-z0-9-]+", (no|required|optional)_argument' "$f" | cut -d'"' -f2 | sort -u); do
		grep -qE -- "--$o\b" "${helps[@]}" || undoc="$undoc $f:--$o"
	done
done
for c in $cmds; do
	for o in $(grep -oE '^  (    )?--?[a-z0-9-]+(, --[a-z0-9-]+)?' "$tmp/help.$c" | tr ',' '\n' | tr -d ' '); do
		err=$(SYNGUARD_PIN_ROOT=$tmp timeout 5 "$SG" "$c" "$o" 2>&1 >/dev/null </dev/null | head -n 1)
		grep -q "unknown option '$o'" <<<"$err" && unknown="$unknown $c:$o"
	done
done
if [ -z "$undoc" ]; then
	echo "PASS: man: every long option in the commands' option tables is documented"
else
	echo "FAIL: man: options parsed but not documented:$undoc"
fi
if [ -z "$unknown" ]; then
	echo "PASS: man: every documented option is accepted by its command"
else
	echo "FAIL: man: documented options the command refuses:$unknown"
fi
