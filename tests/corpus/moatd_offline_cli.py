#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""moatd -r end to end: flags, exit codes and error reports, on corpus pcaps.

- a good pcap: exit 0, eve.json has http, flow and a final stats event whose decoder.pkts
  equals the number of records;
- a pcap cut in the middle of a record: "FILE: packet N: ..." on stderr naming the first
  unreadable record, the packets before it analysed, exit 0;
- not a pcap / missing file / missing log dir / bad -k / bad --set value: exit 1 with a
  message naming the culprit;
- an unknown --set key: a warning, exit 0; the libhtp body-limit keys are accepted;
- -S with a rule file: the rules room loads it and reports bad rules as file:line.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from corpus_common import check, finish


def run(moatd, args):
    return subprocess.run([moatd] + args, capture_output=True, text=True, errors="replace")


def events(d):
    with open(os.path.join(d, "eve.json")) as f:
        return [json.loads(l) for l in f]


def records(pcap):
    data = open(pcap, "rb").read()
    off, n, offs = 24, 0, []
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while off + 16 <= len(data):
        offs.append(off)
        caplen = struct.unpack(endian + "IIII", data[off:off + 16])[2]
        off += 16 + caplen
        n += 1
    return n, offs, data


def main():
    moatd, corpus = sys.argv[1], sys.argv[2]
    pcap = os.path.join(corpus, "suricata-verify", "http-options-method", "input.pcap")
    if not os.path.exists(pcap):
        print("SKIP: corpus not found")
        return 77
    with tempfile.TemporaryDirectory() as d:
        r = run(moatd, ["-r", pcap, "-l", d, "-k", "none"])
        ev = events(d) if r.returncode == 0 else []
        types = [e["event_type"] for e in ev]
        check(r.returncode == 0, "good pcap exits 0")
        check("http" in types and "flow" in types, "http and flow events written")
        n, offs, data = records(pcap)
        check(types and types[-1] == "stats" and ev[-1]["stats"]["decoder"]["pkts"] == n,
              "final stats event counts every packet (%d)" % n)
        http = [e for e in ev if e["event_type"] == "http"]
        check(http and http[0]["http"].get("http_method") == "OPTIONS" and
              http[0]["http"].get("hostname") == "example.com" and "tx_id" in http[0] and
              "timestamp" in http[0] and http[0]["timestamp"].endswith("+0000"),
              "http event has Suricata's fields")

        cut = os.path.join(d, "cut.pcap")
        open(cut, "wb").write(data[:offs[5] + 16 + 3])  # header of record 6 + 3 bytes
        out = os.path.join(d, "cut")
        os.mkdir(out)
        r = run(moatd, ["-r", cut, "-l", out, "-k", "none"])
        check(r.returncode == 0, "truncated pcap: exit 0 (what was read is analysed)")
        check("%s: packet 6: " % cut in r.stderr, "truncated pcap: 'FILE: packet 6: reason' "
              "on stderr (%s)" % r.stderr.strip()[:120])
        ev = events(out)
        check(ev and ev[-1]["event_type"] == "stats" and ev[-1]["stats"]["decoder"]["pkts"] == 5,
              "truncated pcap: the 5 complete packets decoded")

        junk = os.path.join(d, "junk.pcap")
        open(junk, "wb").write(b"this is not a capture file at all" * 10)
        r = run(moatd, ["-r", junk, "-l", d])
        check(r.returncode == 1 and junk in r.stderr, "not a pcap: exit 1 naming the file")
        r = run(moatd, ["-r", os.path.join(d, "missing.pcap"), "-l", d])
        check(r.returncode == 1 and "missing.pcap" in r.stderr, "missing pcap: exit 1")
        r = run(moatd, ["-r", pcap, "-l", os.path.join(d, "nodir")])
        check(r.returncode == 1 and "nodir" in r.stderr, "missing log dir: exit 1")
        r = run(moatd, ["-r", pcap, "-l", d, "-k", "maybe"])
        check(r.returncode == 1 and "-k" in r.stderr, "bad -k: exit 1")
        r = run(moatd, ["-r", pcap, "-l", d, "--set", "stream.midstream=perhaps"])
        check(r.returncode == 1 and "stream.midstream" in r.stderr, "bad --set value: exit 1")
        r = run(moatd, ["-r", pcap, "-l", d, "--set", "no.such.key=1"])
        check(r.returncode == 0 and "no.such.key" in r.stderr, "unknown --set key: warning")
        r = run(moatd, ["-r", pcap, "-l", d, "--set",
                        "app-layer.protocols.http.libhtp.default-config.request-body-limit=1mb",
                        "--set",
                        "app-layer.protocols.http.libhtp.default-config.response-body-limit=0",
                        "--set", "stream.inline=true"])
        check(r.returncode == 0 and "unknown" not in r.stderr, "libhtp and stream keys accepted")
        r = run(moatd, ["--version"])
        check(r.returncode == 0 and r.stdout.startswith("moatd "), "--version")
        rules = os.path.join(d, "t.rules")
        open(rules, "w").write('alert http any any -> any any (msg:"m"; content:"x"; sid:1;)\n'
                               "alert this is not a rule\n")
        r = run(moatd, ["-r", pcap, "-l", d, "-S", rules])
        if "no rule loader" in r.stderr:
            check(r.returncode == 0, "-S accepted (no rule loader in this build)")
        else:
            check(r.returncode == 0 and "%s:2:" % rules in r.stderr,
                  "-S: bad rule reported as file:line, run continues")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
