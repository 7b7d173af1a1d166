#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""docs/support-matrix.md stays true to the rule parsers.

1. Names: the parser's tables (read from the C sources) against the matrix. Every name the
   parser accepts must be a yes/partial/ignored row of its table; every row claiming support
   must be a name the parser accepts; every name of the parser's not-supported list must be
   a 'no' row.
2. Behaviour: one rule per row (the example column, else one made from the name) through
   `moatd -T`: yes/partial rows must load with no message, 'no' rows must be reported as
   not supported, 'ignored' directives as accepted and ignored. Settings go through
   `moatd -r --set` and must not be called unknown.

usage: support_matrix.py MOATD SOURCE_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile

MOATD, ROOT = sys.argv[1], sys.argv[2]
DOC = os.path.join(ROOT, 'docs', 'support-matrix.md')
errors = []


def fail(msg):
    errors.append(msg)


def src(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        return f.read()


def c_block(text, start, end='};'):
    """The text from the line matching regex start to the next end marker."""
    m = re.search(start, text)
    if not m:
        raise SystemExit(f'FAIL: parser table /{start}/ not found: update this test')
    return text[m.end():text.index(end, m.end())]


def first_strings(block):
    """The first string literal of each `{ "name", ... }` entry."""
    return re.findall(r'\{\s*"([^"]+)"', block)


# ---- the parser's tables ----
kw = src('rules/rule_keywords.c')
parse = src('rules/rule_parse.c')
msc_parse = src('rules/msc_parse.c')
msc_load = src('rules/msc_load.c')
proto_block = c_block(parse, r'\}\s*protos\[\]\s*=\s*\{')
protos = re.findall(r'\{\s*"([^"]+)",\s*(-1|\w+)\s*\}', proto_block)
actions_fn = c_block(msc_parse, r'int msc_parse_actions\(', '\nbool msc_actions_have_chain')
ctl_fn = c_block(msc_parse, r'#define IS\(s\) \(nlen', '#undef IS')
directive_fn = c_block(msc_load, r'static int directive\(', '\n}\n')
ignored_dirs = re.findall(r'"(\w+)"', c_block(msc_load, r'ignored_directives\[\]\s*=\s*\{'))
settings = set(re.findall(r'strcmp\(key, "([^"]+)"\)', src('dpi/worker.c') +
                          src('policyd/config.c')))
setting_prefixes = set(re.findall(r'strncmp\(key, "([^"]+)", \d+\)', src('dpi/worker.c')))
htp = re.search(r'#define HTP_PREFIX "([^"]+)"', src('policyd/config.c')).group(1)
settings |= {htp + k for k in re.findall(r'strcmp\(k, "([^"]+)"\)', src('policyd/config.c'))}

parser = {
    'suricata-protocol': ({p for p, v in protos if v != '-1'}, {p for p, v in protos if v == '-1'}),
    'suricata-keyword': (set(first_strings(c_block(kw, r'\}\s*keywords\[\]\s*=\s*\{'))), set()),
    'suricata-sticky': (set(first_strings(c_block(kw, r'\}\s*sticky\[\]\s*=\s*\{'))), set()),
    'suricata-modifier': (set(first_strings(c_block(kw, r'\}\s*modifiers\[\]\s*=\s*\{'))), set()),
    'suricata-unsupported': (set(), set(re.findall(
        r'"([^"]+)"', c_block(kw, r'unsupported\[\]\s*=\s*\{')))),
    'suricata-setting': (settings, set()),
    'secrule-directive': (
        set(re.findall(r'strcasecmp\(d, "(\w+)"\)', directive_fn)) | set(ignored_dirs), set()),
    'secrule-variable': (set(first_strings(c_block(msc_parse, r'var_names\[\]\s*=\s*\{'))), set()),
    'secrule-operator': (set(first_strings(c_block(msc_parse, r'\}\s*op_names\[\]\s*=\s*\{'))), set()),
    'secrule-transformation': (set(first_strings(c_block(
        src('rules/msc_transform.c'), r'\}\s*tfn_names\[\]\s*=\s*\{'))), set()),
    'secrule-action': (set(re.findall(r'IS\("(\w+)"\)', actions_fn)), set()),
    'secrule-ctl': (set(re.findall(r'IS\("(\w+)"\)', ctl_fn)), set()),
}
for kind, (ok, _) in parser.items():
    if kind != 'suricata-unsupported' and not ok:
        fail(f'{kind}: no names read from the sources (the table moved?): update this test')

# ---- the matrix ----
tables = {}
note_rows = []
kind = None
with open(DOC, encoding='utf-8') as f:
    for n, line in enumerate(f, 1):
        m = re.match(r'<!-- matrix: ([\w-]+) -->', line)
        if m:
            kind = m.group(1)
            tables.setdefault(kind, [])
            continue
        if kind and line.startswith('|'):
            cells = [c.strip().replace('\\|', '|')
                     for c in re.split(r'(?<!\\)\|', line.strip())[1:-1]]
            if len(cells) != 4 or cells[0] in ('---',) or not cells[0].startswith('`'):
                continue
            name = cells[0].strip('`')
            status = cells[1]
            example = cells[2].strip('`')
            if status not in ('yes', 'partial', 'ignored', 'no', 'invalid'):
                fail(f'{DOC}:{n}: {name}: status "{status}" (yes, partial, ignored, no, invalid)')
            tables[kind].append((n, name, status, example))
            note_rows.append((n, cells[3]))
        elif kind and not line.strip():
            if tables[kind]:
                kind = None

for kind in parser:
    if kind not in tables or not tables[kind]:
        fail(f'{DOC}: no table marked <!-- matrix: {kind} -->')
rows = {k: {name: (n, st, ex) for n, name, st, ex in v} for k, v in tables.items()}
notes = {n: note for n, note in note_rows}

# names: parser -> matrix
for kind, (ok, unsup) in parser.items():
    doc = rows.get(kind, {})
    for name in sorted(ok):
        if name not in doc:
            fail(f'{kind}: "{name}" is accepted by the parser but missing from the matrix')
        elif doc[name][1] in ('no', 'invalid'):
            fail(f'{DOC}:{doc[name][0]}: "{name}" is marked {doc[name][1]} but the parser '
                 'accepts it')
    for name in sorted(unsup):
        if kind == 'suricata-unsupported' and name not in doc:
            fail(f'{kind}: "{name}" is in the parser\'s not-supported list but not in the matrix')
        elif name in doc and doc[name][1] != 'no':
            fail(f'{DOC}:{doc[name][0]}: "{name}" is marked {doc[name][1]} but the parser '
                 'skips it as not supported')
    # matrix -> parser
    for name, (n, st, _) in sorted(doc.items()):
        if st in ('no', 'invalid'):
            continue
        known = name in ok or (kind == 'suricata-setting' and
                               any(name.startswith(x) for x in setting_prefixes))
        if not known:
            fail(f'{DOC}:{n}: "{name}" is marked {st} but the parser has no such name')
for pre in sorted(setting_prefixes):
    if not any(n.startswith(pre) for n in rows.get('suricata-setting', {})):
        fail(f'suricata-setting: no row for the parser\'s {pre}* settings')
# Suricata keywords moat does not know at all (rules using them are invalid, not skipped)
sur_known = set().union(*(parser[k][0] | parser[k][1] for k in parser if k.startswith('suricata')))
for n, name, st, _ in tables.get('suricata-unknown', []):
    if st != 'invalid':
        fail(f'{DOC}:{n}: {name}: rows of the suricata-unknown table are invalid')
    if name in sur_known:
        fail(f'{DOC}:{n}: {name} is in the parser\'s tables: move it to its table')
ign = set(ignored_dirs)
for name, (n, st, _) in rows.get('secrule-directive', {}).items():
    if st == 'ignored' and name not in ign:
        fail(f'{DOC}:{n}: directive {name} is marked ignored but is not in ignored_directives')
    if name in ign and st != 'ignored':
        fail(f'{DOC}:{n}: directive {name} is accepted and ignored by the loader: mark it ignored')

# ---- behaviour through moatd -T ----
tmp = tempfile.mkdtemp(prefix='moat-matrix.')
with open(os.path.join(tmp, 'words.data'), 'w') as f:
    f.write('foo\nbar\n')
open(os.path.join(tmp, 'empty.conf'), 'w').close()

sur_lines = []   # (line text, doc line, name, expect)
sid = 1000


def sur_rule(kind, name, st, ex):
    global sid
    sid += 1
    if ex.startswith('alert '):
        return re.sub(r'sid:\d+;', f'sid:{sid};', ex)
    proto = 'http'
    if kind == 'suricata-protocol':
        return f'alert {name} any any -> any any (msg:"m"; sid:{sid};)'
    if kind == 'suricata-sticky':
        opts = f'{name}; content:"a";'
    elif kind == 'suricata-modifier':
        opts = f'content:"a"; {name};'
    elif kind in ('suricata-unsupported', 'suricata-unknown') or not ex:
        opts = f'{name};'
    else:
        opts = ex if ex.endswith(';') else ex + ';'
    if re.search(r'\bsid:', opts):
        opts = re.sub(r'sid:\d+;', '', opts)
    return f'alert {proto} any any -> any any (msg:"m"; {opts} sid:{sid};)'


for kind in ('suricata-protocol', 'suricata-keyword', 'suricata-sticky', 'suricata-modifier',
             'suricata-unsupported', 'suricata-unknown'):
    for n, name, st, ex in tables.get(kind, []):
        sur_lines.append((sur_rule(kind, name, st, ex), n, name, st))

msc_lines = []   # (list of lines, doc line, name, expect)
rid = 5000


def next_id():
    global rid
    rid += 1
    return rid


for n, name, st, ex in tables.get('secrule-directive', []):
    text = ex or name
    text = re.sub(r'id:\d+', f'id:{next_id()}', text)
    msc_lines.append(([text], n, name, st))
for n, name, st, ex in tables.get('secrule-variable', []):
    msc_lines.append(([f'SecRule {ex or name} "@rx a" "id:{next_id()},phase:2,pass"'], n, name, st))
for n, name, st, ex in tables.get('secrule-operator', []):
    msc_lines.append(([f'SecRule ARGS "{ex or "@" + name}" "id:{next_id()},phase:2,pass"'],
                      n, name, st))
for n, name, st, ex in tables.get('secrule-transformation', []):
    msc_lines.append(([f'SecRule ARGS "@rx a" "id:{next_id()},phase:2,pass,t:{ex or name}"'],
                      n, name, st))
for n, name, st, ex in tables.get('secrule-action', []):
    acts = re.sub(r'id:\d+', f'id:{next_id()}', ex or f'id:1,phase:2,pass,{name}')
    lines = [f'SecRule ARGS "@rx a" "{acts}"']
    if re.search(r'(^|,)chain(,|$)', acts):
        lines.append('SecRule ARGS "@rx b" "t:none"')
    if 'skipAfter:END' in acts:
        lines.append('SecMarker END')
    msc_lines.append((lines, n, name, st))
for n, name, st, ex in tables.get('secrule-ctl', []):
    msc_lines.append(([f'SecRule ARGS "@rx a" "id:{next_id()},phase:1,pass,ctl:{ex or name}"'],
                      n, name, st))

rules_path = os.path.join(tmp, 'matrix.rules')
conf_path = os.path.join(tmp, 'matrix.conf')
with open(rules_path, 'w') as f:
    for text, *_ in sur_lines:
        f.write(text + '\n')
first_line = []
with open(conf_path, 'w') as f:
    # rule 1 (tag attack-sqli) is what the SecRuleUpdateTarget* examples update
    f.write('SecRule ARGS "@rx a" "id:1,phase:2,pass,tag:attack-sqli"\n')
    ln = 2
    for lines, *_ in msc_lines:
        first_line.append(ln)
        for t in lines:
            f.write(t + '\n')
            ln += 1

p = subprocess.run([MOATD, '-T', '-S', rules_path, '-S', conf_path], capture_output=True,
                   text=True, timeout=120)
diag = {}
for line in (p.stdout + p.stderr).splitlines():
    m = re.match(r'(?:moatd: )?(?:\w+: )?(\S+?):(\d+): (.*)', line)
    if m:
        diag.setdefault((os.path.basename(m.group(1)), int(m.group(2))), []).append(m.group(3))


def check(file, line, doc_line, name, st, text):
    msgs = diag.get((file, line), [])
    shown = f'{DOC}:{doc_line}: {name} ({st}): `{text}` -> {msgs or "loaded"}'
    if st == 'partial':
        # a partial row may load with a note, when its notes say what the note says
        msgs = [m for m in msgs
                if re.sub(r'^(sid \d+: )?[\w.-]+: ', '', m) not in notes.get(doc_line, '')]
    if st in ('yes', 'partial'):
        if msgs:
            fail(shown)
    elif st == 'no':
        if not any('not supported' in m or 'unknown variable' in m or 'unknown directive' in m
                   for m in msgs):
            fail(shown)
    elif st == 'invalid':
        if not any('unknown keyword' in m for m in msgs):
            fail(shown)
    elif st == 'ignored':
        if file.endswith('.conf') and name in ign:
            if not any('accepted and ignored' in m for m in msgs):
                fail(shown)
        elif msgs:
            fail(shown)


for i, (text, n, name, st) in enumerate(sur_lines):
    check('matrix.rules', i + 1, n, name, st, text)
for i, (lines, n, name, st) in enumerate(msc_lines):
    for k in range(len(lines)):
        if k == 0:
            check('matrix.conf', first_line[i] + k, n, name, st, lines[0])
        elif diag.get(('matrix.conf', first_line[i] + k)):
            fail(f'{DOC}:{n}: {name}: helper line `{lines[k]}` -> '
                 f'{diag[("matrix.conf", first_line[i] + k)]}')
if not re.search(r'^rules: \d+ loaded', p.stdout, re.M):
    fail(f'moatd -T printed no summary: {p.stdout[-500:]} {p.stderr[-500:]}')

# ---- settings through moatd -r --set ----
pcap = os.path.join(tmp, 'empty.pcap')
with open(pcap, 'wb') as f:  # a pcap header, no packets (Ethernet)
    f.write(bytes.fromhex('d4c3b2a1020004000000000000000000ffff000001000000'))
for n, name, st, ex in tables.get('suricata-setting', []):
    r = subprocess.run([MOATD, '-r', pcap, '-l', tmp, '--set', f'{name}={ex}'],
                       capture_output=True, text=True, timeout=60)
    bad = r.returncode != 0 or 'unknown setting' in r.stderr
    if (st != 'no') == bad:
        fail(f'{DOC}:{n}: setting {name}={ex} ({st}): rc {r.returncode}, {r.stderr.strip()}')

subprocess.run(['rm', '-rf', tmp])
total = sum(len(v) for v in tables.values())
if errors:
    for e in errors:
        print('FAIL:', e)
    print(f'{len(errors)} problems in {total} rows')
    sys.exit(1)
print(f'ok: {total} rows of {len(tables)} tables agree with the parsers and moatd -T')
