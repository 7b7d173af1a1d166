#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Strict checker of the Prometheus text exposition format 0.0.4 (Debian has no promtool
outside the prometheus server package). Reads the exposition on stdin; exits 1 naming the
first bad line. With --sum NAME, prints the sum of NAME's samples (exit 1 if it has none)."""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE_RE = re.compile(r'"((?:[^"\\\n]|\\[\\n"])*)"')
TYPES = {"counter", "gauge", "untyped", "histogram", "summary"}


def fail(lineno, msg):
    sys.exit(f"promcheck: line {lineno}: {msg}")


def parse(text):
    if text and not text.endswith("\n"):
        fail(0, "no final newline")
    families = {}  # name -> {"help": bool, "type": str, "samples": [...]}
    current = None
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        m = re.fullmatch(rf"# (HELP|TYPE) ({NAME}) (.*)", line)
        if m:
            kind, name, rest = m.groups()
            fam = families.get(name)
            if fam is None:
                fam = families[name] = {"help": False, "type": None, "samples": []}
            elif fam is not current or fam["samples"]:
                fail(lineno, f"{name} declared again or after its samples")
            current = fam
            if kind == "HELP":
                if fam["help"]:
                    fail(lineno, "HELP twice")
                if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                    fail(lineno, "bad escape in HELP")
                fam["help"] = True
            else:
                if fam["type"] or rest not in TYPES:
                    fail(lineno, f"bad or repeated TYPE {rest!r}")
                fam["type"] = rest
            continue
        if line.startswith("#"):
            continue
        if not line:
            fail(lineno, "empty line")
        m = re.match(rf"({NAME})", line)
        if not m:
            fail(lineno, "bad metric name")
        name, pos = m.group(1), m.end()
        fam = families.get(name)
        if fam is None or fam is not current or not fam["help"] or not fam["type"]:
            fail(lineno, f"sample of {name} outside its HELP/TYPE-declared family")
        if fam["type"] == "counter" and not name.endswith("_total"):
            fail(lineno, f"counter {name} without _total")
        labels = {}
        if line[pos:pos + 1] == "{":
            pos += 1
            while line[pos:pos + 1] != "}":
                lm = re.match(rf"({LABEL})=", line[pos:])
                if not lm or lm.group(1).startswith("__"):
                    fail(lineno, "bad label name")
                pos += lm.end()
                vm = VALUE_RE.match(line, pos)
                if not vm:
                    fail(lineno, "bad label value")
                if lm.group(1) in labels:
                    fail(lineno, "label repeated")
                labels[lm.group(1)] = vm.group(1)
                pos = vm.end()
                if line[pos:pos + 1] == ",":
                    pos += 1
                elif line[pos:pos + 1] != "}":
                    fail(lineno, "bad label separator")
            pos += 1
        if line[pos:pos + 1] != " ":
            fail(lineno, "no value")
        value = line[pos + 1:]
        if value not in ("NaN", "+Inf", "-Inf"):
            try:
                v = float(value)
            except ValueError:
                fail(lineno, f"bad value {value!r}")
            if math.isnan(v) or math.isinf(v):
                fail(lineno, f"bad spelling of {value!r}")
        key = tuple(sorted(labels.items()))
        if any(k == key for k, _ in fam["samples"]):
            fail(lineno, "duplicate series")
        fam["samples"].append((key, float(value.replace("+Inf", "inf"))))
    return families


def main():
    fams = parse(sys.stdin.read())
    if len(sys.argv) == 3 and sys.argv[1] == "--sum":
        fam = fams.get(sys.argv[2])
        if not fam or not fam["samples"]:
            sys.exit(f"promcheck: no samples of {sys.argv[2]}")
        print(int(sum(v for _, v in fam["samples"])))
    elif len(sys.argv) != 1:
        sys.exit("usage: promcheck.py [--sum NAME] < exposition")


main()
