#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""docs/operations.md names only things that exist.

Every configuration key it names (`[section] key`) is in policyd/config.c's key table,
every Suricata setting (`stream.*`, `flow.*`, `defrag.*`, `app-layer.*`) is one moatd
takes, every metric (`moat_*`) is exported by policyd/, every `fwctl CMD` is a command of
docs/fwctl.md (generated from fwctl's table), every `moatd -X` option is in
`moatd --help`, every EVE counter (`stats.*`) is in docs/eve.md, every relative link
resolves. Also README.md's own sections are held to the metrics, fwctl and link checks.

usage: operations_doc.py MOATD SOURCE_ROOT
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
metrics = set()
for f in glob.glob(os.path.join(ROOT, 'policyd', '*.c')):
    with open(f, encoding='utf-8') as fh:
        metrics |= set(re.findall(r'"(moat_[a-z0-9_]+)"', fh.read()))
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
            for name in re.findall(r'`((?:stream|flow|defrag|app-layer)\.[\w.-]+)', line):
                if not setting_ok(name):
                    errors.append(f'{where}: setting {name}: moatd takes no such setting')
            for name in re.findall(r'`(stats\.[\w.]+)`', line):
                if name not in eve_stats:
                    errors.append(f'{where}: EVE counter {name} is not in docs/eve.md')
            for m in re.finditer(r'`moatd((?: [^`]*)?)`', line):
                for opt in re.findall(r'(?<![\w-])(--?[A-Za-z][\w-]*)', m.group(1)):
                    if opt not in moatd_opts:
                        errors.append(f'{where}: moatd {opt}: not in moatd --help')
        # metric names (C identifiers of the datapath's API are not: moat_dp_*(), moat_abi.h)
        for name in re.findall(r'\b(moat_[a-z0-9_]+)(?![(.\w])', line):
            if name.startswith(('moat_dp_', 'moat_pkt_', 'moat_abi', 'moat_cfg')):
                continue
            if name not in metrics:
                errors.append(f'{where}: metric {name} is not exported by policyd/')
        for cmd in re.findall(r'`fwctl ([a-z][a-z-]*)', line):
            if cmd not in fwctl_cmds:
                errors.append(f'{where}: fwctl {cmd}: no such command in docs/fwctl.md')
        for link in re.findall(r'\]\(([^)#:]+)(?:#[^)]*)?\)', line):
            target = os.path.normpath(os.path.join(ROOT, os.path.dirname(path), link))
            if not os.path.exists(target):
                errors.append(f'{where}: link {link} does not resolve')


check('docs/operations.md', True)
check('README.md', False)
if errors:
    for e in errors:
        print('FAIL:', e)
    sys.exit(1)
print('ok: docs/operations.md and README.md name only existing keys, settings, metrics, '
      'commands, options and pages')
