#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""docs/operations.md, docs/config.md, docs/control.md and README.md name only things that
exist, and the reference tables are complete.

Every configuration key it names (`[section] key`) is in policyd/config.c's key table,
every Suricata setting (`stream.*`, `flow.*`, `defrag.*`, `app-layer.*`) is one moatd
takes, every metric (`moat_*`) is exported by policyd/, every `fwctl CMD` is a command of
docs/fwctl.md (generated from fwctl's table), every `moatd -X` option is in
`moatd --help`, every EVE counter (`stats.*`) is in docs/eve.md, every relative link
resolves. README.md is held to the metrics, fwctl and link checks. docs/config.md's tables
and policyd/moat.conf.example list exactly the keys of config.c's table, and docs/control.md's
metrics table exactly the metric families policyd/ exports.

usage: docs_refs.py MOATD SOURCE_ROOT
"""
import glob
import os
import re
import subprocess
import sys

MOATD, ROOT = sys.argv[1], sys.argv[2]
errors = []


def read(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        return f.read()


config_c = read('policyd/config.c')
keys = set(re.findall(r'\{ "(\w+)", "([a-z0-9-]+)", K_', config_c))
if len(keys) < 20:
    sys.exit(f'FAIL: only {len(keys)} keys read from policyd/config.c: update this test')
sections = {s for s, _ in keys} | {'set'}
settings = set(re.findall(r'strcmp\(key, "([^"]+)"\)', read('dpi/worker.c') + config_c))
prefixes = set(re.findall(r'strncmp\(key, "([^"]+)", \d+\)', read('dpi/worker.c')))
htp = re.search(r'#define HTP_PREFIX "([^"]+)"', config_c).group(1)
settings |= {htp + k for k in re.findall(r'strcmp\(k, "([^"]+)"\)', config_c)}
metrics = set()  # the daemon's families (policyd/)
for f in glob.glob(os.path.join(ROOT, 'policyd', '*.c')):
    with open(f, encoding='utf-8') as fh:
        metrics |= set(re.findall(r'"(moat_[a-z0-9_]+)"', fh.read()))
cli_metrics = set()  # fwctl's own (`fwctl stats --prometheus`: # HELP/# TYPE lines it prints)
for f in glob.glob(os.path.join(ROOT, 'cli', '*.c')):
    with open(f, encoding='utf-8') as fh:
        cli_metrics |= set(re.findall(r'# (?:HELP|TYPE) (moat_[a-z0-9_]+)', fh.read()))
fwctl_cmds = set(re.findall(r'^### (\S+)', read('docs/fwctl.md'), re.M))
help_text = subprocess.run([MOATD, '--help'], capture_output=True, text=True).stdout
moatd_opts = set(re.findall(r'(?<![\w-])(--?[A-Za-z][\w-]*)', help_text))
eve_stats = set(re.findall(r'^\| `(stats\.[\w.]+)`', read('docs/eve.md'), re.M))


def setting_ok(name):
    return name in settings or any(name.startswith(p) for p in prefixes)


def check(path, full):
    text = read(path)
    for n, line in enumerate(text.splitlines(), 1):
        where = f'{path}:{n}'
        if full:
            for sec, key in re.findall(r'\[([a-z]+)\] ([a-z][a-z0-9.-]*[a-z0-9])', line):
                if sec not in sections:
                    errors.append(f'{where}: [{sec}]: no such configuration section')
                elif sec == 'set':
                    if not setting_ok(key):
                        errors.append(f'{where}: [set] {key}: moatd takes no such setting')
                elif (sec, key) not in keys:
                    errors.append(f'{where}: [{sec}] {key}: no such key in policyd/config.c')
            for name, alts in re.findall(
                    r'`((?:stream|flow|defrag|app-layer)\.[\w.-]+)(?:\{([\w,-]+)\})?', line):
                for full in ([name + x for x in alts.split(',')] if alts else [name]):
                    if not setting_ok(full):
                        errors.append(f'{where}: setting {full}: moatd takes no such setting')
            for name in re.findall(r'`(stats\.[\w.]+)`', line):
                if name not in eve_stats:
                    errors.append(f'{where}: EVE counter {name} is not in docs/eve.md')
            for m in re.finditer(r'`moatd((?: [^`]*)?)`', line):
                for opt in re.findall(r'(?<![\w-])(--?[A-Za-z][\w-]*)', m.group(1)):
                    if opt not in moatd_opts:
                        errors.append(f'{where}: moatd {opt}: not in moatd --help')
        # metric names (C identifiers of the datapath's API are not: moat_dp_*(), moat_abi.h)
        for name in re.findall(r'\b(moat_[a-z0-9_]+)(?![(.\w])', line):
            if name.startswith(('moat_dp_', 'moat_pkt_', 'moat_abi', 'moat_cfg')) or \
                    name.endswith('_'):  # moat_control_* and the like
                continue
            if name not in metrics and name not in cli_metrics:
                errors.append(f'{where}: metric {name} is exported neither by moatd '
                              '(policyd/) nor by fwctl (cli/)')
        for cmd in re.findall(r'`fwctl ([a-z][a-z-]*)', line):
            if cmd not in fwctl_cmds:
                errors.append(f'{where}: fwctl {cmd}: no such command in docs/fwctl.md')
        for link in re.findall(r'\]\(([^)#:]+)(?:#[^)]*)?\)', line):
            target = os.path.normpath(os.path.join(ROOT, os.path.dirname(path), link))
            if not os.path.exists(target):
                errors.append(f'{where}: link {link} does not resolve')


check('docs/operations.md', True)
check('README.md', False)
check('docs/control.md', True)
check('docs/config.md', True)

# docs/config.md: a table per `[section]`, every key of config.c and no other
doc_keys = set()
sec = None
for n, line in enumerate(read('docs/config.md').splitlines(), 1):
    m = re.match(r'## `\[(\w+)\]`', line)
    if m:
        sec = m.group(1)
        continue
    if line.startswith('## '):
        sec = None
    m = re.match(r'\| `([a-z0-9-]+)`(?: \.\. `-(\d)`)? \|', line)
    if sec and sec != 'set' and m:
        name, last = m.group(1), m.group(2)
        if last:  # `weight-priority-1` .. `-4`
            base, first = name.rsplit('-', 1)
            for i in range(int(first), int(last) + 1):
                doc_keys.add((sec, f'{base}-{i}'))
        else:
            doc_keys.add((sec, name))
        if not last and (sec, name) not in keys:
            errors.append(f'docs/config.md:{n}: [{sec}] {name}: no such key in policyd/config.c')
for sec, key in sorted(keys - doc_keys):
    errors.append(f'docs/config.md: [{sec}] {key} (policyd/config.c) is not documented')

# policyd/moat.conf.example: every key, commented out, under its section
ex_keys = set()
sec = None
for n, line in enumerate(read('policyd/moat.conf.example').splitlines(), 1):
    m = re.match(r'\[(\w+)\]', line)
    if m:
        sec = m.group(1)
        continue
    m = re.match(r'# ([a-z0-9-]+) =', line)
    if m and sec and sec != 'set':
        ex_keys.add((sec, m.group(1)))
        if (sec, m.group(1)) not in keys:
            errors.append(f'policyd/moat.conf.example:{n}: [{sec}] {m.group(1)}: no such key')
for sec, key in sorted(keys - ex_keys):
    errors.append(f'policyd/moat.conf.example: [{sec}] {key} is missing')

# docs/control.md's metrics table: exactly the families exported
ctl = read('docs/control.md')
m = re.search(r'\n## Metrics\n(.*?)(\n## |\Z)', ctl, re.S)
doc_metrics = set()
if not m:
    errors.append('docs/control.md: no "## Metrics" section')
else:
    for line in m.group(1).splitlines():
        if line.startswith('| `moat_'):
            doc_metrics |= set(re.findall(r'`(moat_[a-z0-9_]+)`', line.split('|')[1]))
for name in sorted(metrics - doc_metrics):
    errors.append(f'docs/control.md: metric {name} (exported by policyd/) is not in the table')
if errors:
    for e in errors:
        print('FAIL:', e)
    sys.exit(1)
print(f'ok: docs name only existing keys, settings, metrics, commands, options and pages; '
      f'{len(keys)} configuration keys and {len(metrics)} metrics fully documented')
