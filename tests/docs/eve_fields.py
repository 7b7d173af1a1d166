#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""docs/eve.md documents every field moatd writes, with its JSON type.

Runs `moatd -r` over every suricata-verify capture with its rules, and over the captures
with HTTP with a few SecRules (one logging, one disruptive: alert.metadata), collects the
field paths of every event, and fails when one is not in the page (the common table or the
event type's table) or its type differs. ban/unban fields are read from the function that
writes them (policyd/bans.c: eve_ban_event): no capture makes them.

usage: eve_fields.py MOATD SOURCE_ROOT CORPUS_DIR
       eve_fields.py --eve EVE_JSON SOURCE_ROOT [EVENT_TYPE ...]
The second form checks an eve.json written elsewhere (the live test eve_live), and that
each EVENT_TYPE given occurs in it.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

LIVE_EVE = None
if sys.argv[1] == '--eve':
    LIVE_EVE, ROOT, WANT_TYPES = sys.argv[2], sys.argv[3], sys.argv[4:]
else:
    MOATD, ROOT, CORPUS = sys.argv[1:4]
DOC = os.path.join(ROOT, 'docs', 'eve.md')
errors = []

# ---- the page ----
doc = {}
kind = None
with open(DOC, encoding='utf-8') as f:
    for n, line in enumerate(f, 1):
        m = re.match(r'<!-- eve: (\w+) -->', line)
        if m:
            kind = m.group(1)
            doc[kind] = {}
            continue
        if kind and line.startswith('| `'):
            cells = [c.strip() for c in line.strip().split('|')[1:-1]]
            doc[kind][cells[0].strip('`')] = (n, cells[1])
        elif kind and not line.strip() and doc[kind]:
            kind = None
for k in ('common', 'alert', 'http', 'fileinfo', 'flow', 'stats', 'ban'):
    if not doc.get(k):
        errors.append(f'{DOC}: no table marked <!-- eve: {k} -->')


def jtype(v):
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, int):
        return 'integer'
    if isinstance(v, float):
        return 'number'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        inner = {jtype(x) for x in v}
        return f'array of {inner.pop()}s' if len(inner) == 1 else 'array'
    return 'object'


seen = {}  # (event_type, path) -> (type, where)


def walk(o, prefix, et, where):
    for k, v in o.items():
        p = prefix + k
        if isinstance(v, dict):
            walk(v, p + '.', et, where)
        else:
            seen.setdefault((et, p, jtype(v)), where)


def tables_for(et):
    own = {'unban': 'ban'}.get(et, et)
    t = dict(doc.get('common', {}))
    t.update(doc.get(own, {}))
    # alert and fileinfo embed the transaction's http object
    if et in ('alert', 'fileinfo') and 'http.*' in t:
        t.update(doc.get('http', {}))
    return t


def run(pcap, rules, tmp, where):
    args = [MOATD, '-r', pcap, '-l', tmp, '-k', 'none']
    for r in rules:
        args += ['-S', r]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        errors.append(f'{where}: moatd -r failed ({p.returncode}): {p.stderr[-300:]}')
        return []
    evs = []
    with open(os.path.join(tmp, 'eve.json'), encoding='utf-8') as f:
        for line in f:
            e = json.loads(line)
            evs.append(e)
            walk(e, '', e.get('event_type', '?'), where)
    os.unlink(os.path.join(tmp, 'eve.json'))
    return evs


def check_live():
    """Walk an eve.json written by a live moatd."""
    types = set()
    with open(LIVE_EVE, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            e = json.loads(line)
            types.add(e.get('event_type'))
            walk(e, '', e.get('event_type', '?'), f'{LIVE_EVE}:{n}')
    for t in WANT_TYPES:
        if t not in types:
            errors.append(f'{LIVE_EVE}: no {t} event (the live test lost its input)')
    return f'of {LIVE_EVE} ({", ".join(sorted(map(str, types)))})'


def check_corpus():
    """moatd -r over the suricata-verify captures, and SecRules over those with HTTP."""
    n_events = msc_runs = 0
    tmp = tempfile.mkdtemp(prefix='moat-eve.')
    try:
        secrules = os.path.join(tmp, 'doc.conf')
        with open(secrules, 'w') as f:
            f.write('SecRuleEngine On\n'
                    'SecRule REQUEST_URI "@rx ." "id:100,phase:1,pass,log,msg:\'uri %{MATCHED_VAR}\','
                    'tag:\'doc/a\',tag:\'doc/b\',logdata:\'%{MATCHED_VAR}\',ver:\'v1\','
                    'severity:CRITICAL,setvar:tx.anomaly_score=+5"\n'
                    'SecRule REQUEST_METHOD "@rx ." "id:101,phase:2,deny,status:403,log,msg:\'m\'"\n')
        cases = sorted(d for d in glob.glob(os.path.join(CORPUS, 'suricata-verify', '*/'))
                       if glob.glob(d + '*.pcap'))
        if len(cases) < 50:
            errors.append(f'{CORPUS}/suricata-verify: only {len(cases)} captures')
        for d in cases:
            pcap = sorted(glob.glob(d + '*.pcap'))[0]
            rules = [d + 'test.rules'] if os.path.exists(d + 'test.rules') else []
            evs = run(pcap, rules, tmp, pcap)
            n_events += len(evs)
            if any(e['event_type'] == 'http' for e in evs) and msc_runs < 20:
                msc_runs += 1
                n_events += len(run(pcap, [secrules], tmp, pcap + ' (SecRules)'))
    finally:
        shutil.rmtree(tmp)
    if not any(et == 'alert' and p.startswith('alert.metadata.') for et, p, _ in seen):
        errors.append('no SecRule alert with alert.metadata was produced: the test lost its input')
    return (f'from {len(cases)} captures ({n_events} events, {msc_runs} with SecRules)')


summary = check_live() if LIVE_EVE else check_corpus()

for (et, path, ty), where in sorted(seen.items()):
    t = tables_for(et)
    if et not in ('alert', 'http', 'fileinfo', 'flow', 'stats', 'ban', 'unban'):
        errors.append(f'event_type "{et}" (from {where}) is not documented')
        continue
    if path not in t:
        errors.append(f'{et}: field {path} ({ty}, from {where}) is not documented in {DOC}')
    elif t[path][1] != ty:
        errors.append(f'{DOC}:{t[path][0]}: {et}: {path} is documented as "{t[path][1]}" '
                      f'but written as {ty} ({where})')

# ---- ban / unban: the keys eve_ban_event sets ----
with open(os.path.join(ROOT, 'policyd', 'bans.c'), encoding='utf-8') as f:
    bans = f.read()
m = re.search(r'static void eve_ban_event\(.*?\n}\n', bans, re.S)
if not m:
    errors.append('policyd/bans.c: eve_ban_event not found: update this test')
else:
    body = m.group(0)
    types = {'json_string': 'string', 'json_integer': 'integer', 'json_real': 'number'}
    for obj, key, ctor in re.findall(r'json_object_set_new\(\s*(\w+),\s*"(\w+)",\s*(\w+)', body):
        path = key if obj == 'o' else f'ban.{key}'
        if ctor == 'sids':
            ty = 'array of integers'
        elif ctor == 'obj':
            continue
        else:
            ty = types.get(ctor, ctor)
        t = tables_for('ban')
        if path not in t:
            errors.append(f'ban: field {path} (policyd/bans.c) is not documented in {DOC}')
        elif t[path][1] != ty:
            errors.append(f'{DOC}:{t[path][0]}: ban: {path} is documented as "{t[path][1]}" '
                          f'but written as {ty}')
    for et in re.findall(r'eve_ban_event\(b, "(\w+)"', bans):
        if et not in ('ban', 'unban'):
            errors.append(f'policyd/bans.c writes event_type {et}: document it')

if errors:
    for e in errors:
        print('FAIL:', e)
    sys.exit(1)
print(f'ok: {len(seen)} (event_type, field, type) triples {summary} are documented')
