#!/usr/bin/env python3
"""Hand-written library lines (issue 20): non-blank, non-comment, outside
#[cfg(test)] items and test files. Usage: python3 benches/library_lines.py src"""
import sys, os, re
def count(path):
    n=0; skip_depth=None; depth=0; pending=False; in_block=False
    for line in open(path, encoding='utf-8'):
        s=line.strip()
        if in_block:
            if '*/' in s: in_block=False
            continue
        if s.startswith('/*'):
            if '*/' not in s: in_block=True
            continue
        if not s or s.startswith('//'): 
            continue
        if skip_depth is None and s.startswith('#[cfg(test)]'):
            pending=True; continue
        opens=s.count('{'); closes=s.count('}')
        if pending:
            pending=False
            if opens>closes:
                skip_depth=depth; depth+=opens-closes; continue
            else:
                continue  # single-line item
        if skip_depth is not None:
            depth+=opens-closes
            if depth<=skip_depth: skip_depth=None
            continue
        depth+=opens-closes
        n+=1
    return n
tot=0
rows=[]
for root in sys.argv[1:]:
    for dp,dn,fn in os.walk(root):
        for f in fn:
            if f.endswith('.rs') and f != 'tests.rs':
                p=os.path.join(dp,f); c=count(p); tot+=c; rows.append((c,p))
for c,p in sorted(rows): print(f"{c:6} {p}")
print(f"{tot:6} total")
