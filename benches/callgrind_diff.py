#!/usr/bin/env python3
"""Per-call costs from two callgrind runs of the same program at two N.

    python3 benches/callgrind_diff.py LOW.out HIGH.out CALLS [TOP] [PREFIX]

CALLS is the difference of the two N; every figure is (high - low) / CALLS,
so the program's start-up cancels out. Reads callgrind's own output format
(no callgrind_annotate: its inclusive listing repeats a function once per
source file inlined into it, which cannot be added up). Prints, per call:

- inclusive cost of the functions whose name starts with PREFIX (default
  `zilliz_import::`), with what they call;
- what those functions call in other crates, by callee (the cost of each
  call, callee's callees included);
- inclusive cost of every function;
- self cost by source file, inlined code counted in the file it was written in.

A physical function is one symbol: an async fn's body is its
`{{closure}}`. Recursion is counted as callgrind counts it (once per level).
"""

import collections
import re
import sys


def parse(path):
    """(self cost by function, call cost by (caller, callee), self cost by file)."""
    names, files = {}, {}
    self_fn, calls, self_file = collections.Counter(), collections.Counter(), collections.Counter()

    def name(table, value):
        m = re.match(r"\((\d+)\)(?: (.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            table[m.group(1)] = m.group(2)
        return table[m.group(1)]

    fn = file = fl = callee = None
    pending = False
    with open(path) as f:
        for line in f:
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending:
                    calls[(fn, callee)] += cost
                    pending = False
                else:
                    self_fn[fn] += cost
                    self_file[file] += cost
                continue
            key, _, value = line.rstrip("\n").partition("=")
            if key == "fn":
                fn, file = name(names, value), fl
            elif key == "fl":
                fl = file = name(files, value)
            elif key in ("fi", "fe"):
                file = name(files, value)
            elif key in ("cfi", "cfl"):
                name(files, value)
            elif key == "cfn":
                callee = name(names, value)
            elif key == "calls":
                pending = True
    return self_fn, calls, self_file


def clean(symbol):
    return re.sub(r"::h[0-9a-f]{16}$", "", symbol or "?")


def short_file(path, root):
    path = (path or "?").replace(root, "")
    return re.sub(r"^/root/\.cargo/registry/src/index\.crates\.io-[0-9a-f]+/", "", path)


def main():
    low, high, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    prefix = sys.argv[5] if len(sys.argv) > 5 else "zilliz_import::"
    root = sys.argv[6] if len(sys.argv) > 6 else ""
    (s_lo, c_lo, f_lo), (s_hi, c_hi, f_hi) = parse(low), parse(high)

    def diff(hi, lo):
        return {k: (hi[k] - lo.get(k, 0)) / n for k in hi.keys() | lo.keys()}

    self_fn, calls, self_file = diff(s_hi, s_lo), diff(c_hi, c_lo), diff(f_hi, f_lo)
    inclusive = collections.Counter({clean(f): 0.0 for f in self_fn})
    for f, v in self_fn.items():
        inclusive[clean(f)] += v
    for (caller, callee), v in calls.items():
        if caller != callee:
            inclusive[clean(caller)] += v

    def ours(symbol):
        return symbol.lstrip("<").startswith(prefix)

    def table(title, rows):
        print(f"\n{title}")
        for key, v in sorted(rows, key=lambda kv: -kv[1])[:top]:
            if round(v) != 0:
                print(f"{v:10,.0f}  {key}")

    table(f"inclusive instructions per call, functions of {prefix} (with what they call):",
          [kv for kv in inclusive.items() if ours(kv[0])])
    out_calls = collections.Counter()
    for (caller, callee), v in calls.items():
        if ours(clean(caller)) and not ours(clean(callee)):
            out_calls[f"{clean(callee)}   <- {clean(caller)}"] += v
    table(f"calls from {prefix} into other code, per call (callee <- caller; callee's callees included):",
          out_calls.items())
    table("inclusive instructions per call, every function:", inclusive.items())
    by_file = collections.Counter()
    for f, v in self_file.items():
        by_file[short_file(f, root)] += v
    table("self instructions per call by source file (inlined code counted where it was written):",
          by_file.items())
    total = sum(self_fn.values())
    print(f"\ntotal instructions per call: {total:,.0f}")


if __name__ == "__main__":
    main()
