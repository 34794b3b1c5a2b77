#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Source-line profile of synguard's JIT code from perf samples.

    lineprof.py LINEMAP [TOP] < perf-script-output

LINEMAP is what `prog_bench -L FILE` writes (FUNC OFFSET FILE:LINE SOURCE,
offsets into FUNC's JIT image); the input is `perf script -F ip,sym,symoff`.
Prints the share of all samples per symbol, then, for samples in the
program's own functions, the share per source line (each JIT address is
charged to the last line-info record at or before it).
"""
import bisect
import collections
import re
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    lines = collections.defaultdict(list)  # func -> [(off, loc, src)]
    with open(sys.argv[1]) as f:
        for row in f:
            parts = row.rstrip("\n").split(" ", 3)
            if len(parts) < 3:
                continue
            lines[parts[0]].append(
                (int(parts[1]), parts[2], parts[3] if len(parts) > 3 else ""))
    for v in lines.values():
        v.sort()
    offs = {k: [o for o, _, _ in v] for k, v in lines.items()}

    pat = re.compile(r"bpf_prog_[0-9a-f]{16}_(\w+)\+0x([0-9a-f]+)")
    syms = collections.Counter()
    per_line = collections.Counter()
    src_of = {}
    total = ours = 0
    for row in sys.stdin:
        row = row.strip()
        if not row:
            continue
        total += 1
        sym = row.split()[-1].split("+")[0]
        syms[sym] += 1
        m = pat.search(row)
        if not m or m.group(1) not in lines:
            continue
        func, off = m.group(1), int(m.group(2), 16)
        i = bisect.bisect_right(offs[func], off) - 1
        if i < 0:
            continue
        _, loc, src = lines[func][i]
        ours += 1
        per_line[(func, loc)] += 1
        src_of[(func, loc)] = src
    if not total:
        sys.exit("no samples")
    print(f"{total} samples; by symbol:")
    for sym, n in syms.most_common(top):
        print(f"  {100.0 * n / total:6.2f}%  {sym}")
    print(f"\n{ours} samples in the program's functions; by source line "
          "(share of those):")
    for (func, loc), n in per_line.most_common(top):
        print(f"  {100.0 * n / max(ours, 1):6.2f}%  {func:14s} {loc:24s} "
              f"{src_of[(func, loc)][:70]}")


if __name__ == "__main__":
    main()
