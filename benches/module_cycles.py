#!/usr/bin/env python3
"""Library modules that import each other (issue 20: there must be none).
Usage: python3 benches/module_cycles.py src"""
import re,os,glob,sys
root=sys.argv[1] if len(sys.argv)>1 else 'src'
mods={}
for p in glob.glob(root+'/*.rs')+glob.glob(root+'/*/*.rs'):
    name=os.path.splitext(os.path.relpath(p,root))[0].replace('/','::')
    top=name.split('::')[0]
    s=open(p).read()
    s=re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*','',s,flags=re.S)
    s='\n'.join(l for l in s.split('\n') if not l.strip().startswith('//'))
    refs=set(m.group(1) for m in re.finditer(r'crate::(\w+)',s))
    for m in re.finditer(r'use crate::\{([^;]*)\};',s,re.S):
        body=m.group(1)
        refs.update(re.findall(r'(?:^|[{,\s])(\w+)(?=\s*(?:::|,|}|$))',body))
    mods.setdefault(top,set()).update(refs)
tops=set(mods)
lib=open(root+'/lib.rs').read()
name2mod={}
for m in re.finditer(r'pub use (\w+)::([^;]*);',lib,re.S):
    for n in re.findall(r'\w+',m.group(2)): name2mod[n]=m.group(1)
edges={a:set() for a in mods}
for a,refs in mods.items():
    for r in refs:
        b=r if r in tops else name2mod.get(r)
        if b and b!=a and b in tops: edges[a].add(b)
pairs=sorted({tuple(sorted((a,b))) for a in edges for b in edges[a] if a in edges.get(b,())})
print("mutual pairs:",pairs)
