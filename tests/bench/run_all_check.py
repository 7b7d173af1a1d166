#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks tests/bench/run-all end to end on three fast benchmarks (no figure is judged):

1. `run-all --quick --only xdp_cost,rule_reload,inject --json F` exits 0; its table has the
   eight columns, one row per figure of each benchmark (or one skipped row with its reason,
   e.g. xdp_cost without root), every row with a baseline value or "no baseline: reason", the
   same rows as the JSON; the JSON has every benchmark asked for, in order, with its raw
   result, and every row a baseline value and a ratio or an explicit no_baseline reason;
2. a failing benchmark (inject on a corpus whose benign.jsonl is not JSON) makes run-all exit
   1 and name it, while the other benchmark's figures are kept; with `--xdp-filter none`
   xdp_cost's rows against xdp-filter say why there is no baseline and their target is n/a;
3. usage errors (unknown --only name, missing --xdp-filter file) exit 2 and name the value;
and no run leaves a file in its TMPDIR.
Usage: run_all_check.py RUN_ALL BUILD_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

failures = []
COLUMNS = ["benchmark", "figure", "moat", "baseline (same run)", "baseline value",
           "moat / baseline", "target", "met"]
NUMBER = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)? ")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def run(argv, tmp):
    env = dict(os.environ, TMPDIR=tmp)
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=900)
    return p.returncode, p.stdout, p.stderr


def parse_table(out):
    lines = [l for l in out.splitlines() if l.startswith("|")]
    if not lines:
        return None, []
    cells = [[c.strip() for c in l.strip().strip("|").split("|")] for l in lines]
    return cells[0], cells[2:]


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_doc(doc, names, quick=True):
    """Structure shared by every run; returns {name: benchmark result}."""
    check(isinstance(doc, dict) and {"run_all", "benchmarks", "summary"} <= set(doc),
          "JSON has run_all, benchmarks, summary")
    check(doc["run_all"].get("quick") is quick, "JSON says quick")
    got = [b.get("name") for b in doc["benchmarks"]]
    check(got == names, f"JSON lists the benchmarks asked for, in order ({got})")
    by = {b["name"]: b for b in doc["benchmarks"]}
    for b in doc["benchmarks"]:
        n = b["name"]
        check(b.get("status") in ("ok", "failed", "skipped"), f"{n}: status {b.get('status')}")
        check(b.get("leftover_temp_files") == [], f"{n}: left no temp files")
        if b["status"] != "ok":
            check(isinstance(b.get("reason"), str) and b["reason"], f"{n}: reason given")
            continue
        check(isinstance(b.get("result"), dict), f"{n}: raw JSON kept")
        check(len(b.get("rows", [])) > 0, f"{n}: has rows")
        for r in b["rows"]:
            f = f"{n}: {r.get('figure')}"
            ok = isinstance(r.get("figure"), str) and isinstance(r.get("unit"), str) and \
                is_num(r.get("moat")) and isinstance(r.get("baseline"), str)
            if is_num(r.get("baseline_value")):
                ok = ok and is_num(r.get("ratio")) and r.get("no_baseline") is None
            else:
                ok = ok and isinstance(r.get("no_baseline"), str) and bool(r["no_baseline"])
            if r.get("target") is None:
                ok = ok and r.get("met") is None
            else:
                ok = ok and (r.get("met") in (True, False) or
                             (r.get("met") is None and r.get("no_baseline")))
            check(ok, f"{f}: figure, unit, value, baseline value + ratio or a no-baseline "
                  "reason, target verdict")
    s = doc["summary"]
    check(sum(s.values()) == len(names) and
          s["failed"] == sum(b["status"] == "failed" for b in doc["benchmarks"]),
          f"summary counts {s}")
    return by


def check_table(out, doc):
    head, body = parse_table(out)
    check(head == COLUMNS, f"table header {head}")
    check(all(len(c) == len(COLUMNS) for c in body), "every table row has eight cells")
    expect = []
    for b in doc["benchmarks"]:
        label = b["name"] + (" (quick)" if b["quick"] else "")
        if b["status"] != "ok":
            expect.append((label, "-"))
        else:
            expect += [(label, r["figure"]) for r in b["rows"]]
    check([(c[0], c[1]) for c in body] == expect,
          f"table rows = JSON rows ({len(body)} vs {len(expect)})")
    for c in body:
        if c[1] == "-":
            check(re.match(r"^(skipped|FAILED): .+", c[2]) is not None,
                  f"{c[0]}: not-run row gives a reason ({c[2]})")
            continue
        check(NUMBER.match(c[2] + " ") is not None, f"{c[0]} / {c[1]}: moat value {c[2]}")
        has_base = NUMBER.match(c[4] + " ") is not None
        check(has_base or re.match(r"^no baseline: .+", c[4]) is not None,
              f"{c[0]} / {c[1]}: baseline value or reason ({c[4]})")
        check(c[7] in ("met", "NOT met", "n/a", "-") and (c[6] == "-") == (c[7] == "-"),
              f"{c[0]} / {c[1]}: target {c[6]} -> {c[7]}")
        if has_base:
            check(re.match(r"^[0-9.]+$", c[5]) is not None, f"{c[0]} / {c[1]}: ratio {c[5]}")
    m = re.search(r"^(\d+) benchmarks: (\d+) ok, (\d+) skipped, (\d+) failed", out, re.M)
    check(m is not None and int(m.group(1)) == len(doc["benchmarks"]),
          "closing line counts the benchmarks")


def main():
    run_all, build = sys.argv[1], sys.argv[2]
    root = os.geteuid() == 0
    with tempfile.TemporaryDirectory(prefix="run-all-check.") as top:
        tmp = os.path.join(top, "tmp")
        os.mkdir(tmp)
        out_json = os.path.join(top, "all.json")

        # 1. three fast benchmarks, the inputs found as run-all finds them
        names = ["xdp_cost", "rule_reload", "inject"]
        rc, out, err = run([run_all, "--build", build, "--quick", "--only", ",".join(names),
                            "--json", out_json], tmp)
        sys.stderr.write(err[-3000:])
        print(out)
        check(rc == 0, f"run-all exits 0 (got {rc})")
        doc = json.load(open(out_json))
        by = check_doc(doc, names)
        check_table(out, doc)
        check(by["xdp_cost"]["status"] == ("ok" if root else "skipped"),
              "xdp_cost ran (root) or was skipped with its reason (not root)")
        for n in ("rule_reload", "inject"):
            check(by[n]["status"] == "ok", f"{n} ran")
        check(os.listdir(tmp) == [], "TMPDIR empty after the run")

        # 2. one benchmark fails, the other's results are kept; xdp-filter left out
        bad = os.path.join(top, "corpus")
        os.makedirs(os.path.join(bad, "crs"))
        with open(os.path.join(bad, "crs", "benign.jsonl"), "w") as f:
            f.write("this is not json\n")
        names = ["xdp_cost", "inject"]
        rc, out, err = run([run_all, "--build", build, "--quick", "--only", ",".join(names),
                            "--corpus", bad, "--xdp-filter", "none", "--json", out_json], tmp)
        print(out)
        check(rc == 1, f"run-all exits 1 when a benchmark fails (got {rc})")
        doc = json.load(open(out_json))
        by = check_doc(doc, names)
        check_table(out, doc)
        check(by["inject"]["status"] == "failed" and "exit 1" in by["inject"]["reason"],
              f"inject failed with its exit code: {by['inject'].get('reason')}")
        check(re.search(r"^FAILED inject: exit 1", out, re.M) is not None,
              "the failed benchmark is named after the table")
        if root:
            xc = by["xdp_cost"]
            check(xc["status"] == "ok", "xdp_cost kept its results beside the failure")
            vs = [r for r in xc.get("rows", []) if r["baseline"] == "xdp-filter"]
            check(len(vs) > 0 and all(r["no_baseline"] and "--xdp-filter none" in
                                      r["no_baseline"] for r in vs),
                  "rows against xdp-filter say why it is missing")
            check(all(r["met"] is None for r in vs if r["target"]),
                  "targets against a missing baseline are n/a, not met or failed")
            check(any(r["baseline"] == "empty XDP program" and is_num(r["ratio"])
                      for r in xc["rows"]), "the other baseline (empty program) still measured")
            check(xc["missing_baselines"] != [], "missing_baselines lists the reason")
        check(os.listdir(tmp) == [], "TMPDIR empty after the failing run")

        # 3. usage errors
        rc, out, err = run([run_all, "--build", build, "--only", "inject,nope"], tmp)
        check(rc == 2 and "nope" in err and "xdp_cost" in err,
              f"unknown --only name: exit 2, names it and the known ones ({rc}: {err.strip()})")
        rc, out, err = run([run_all, "--build", build, "--xdp-filter", "/nonexistent.o"], tmp)
        check(rc == 2 and "/nonexistent.o" in err, f"missing --xdp-filter file: exit 2 ({rc})")
        check(os.listdir(tmp) == [], "TMPDIR empty at the end")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
