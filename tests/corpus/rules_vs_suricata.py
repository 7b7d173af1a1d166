#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Differential check of the content engine against Suricata 7 (corpus suite).

Generates random UDP payloads and random rules over content (nocase, offset, depth,
distance, within, startswith, endswith, negation), pcre (relative), isdataat, byte_test
and dsize; runs Suricata (`suricata -r`) and moat's rules_replay on the same pcap and
rules, and fails on any (packet, sid) alert that one engine fires and the other does not.
Deterministic per seed. Exits 77 (skip) when suricata is not installed.
Usage: rules_vs_suricata.py RULES_REPLAY [--rounds N] [--seed S]
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

from corpus_common import csum


ALPHA = b"abAB:/\x00\x01\x02\x04"


def rand_bytes(rng, lo, hi):
    return bytes(rng.choice(ALPHA) for _ in range(rng.randint(lo, hi)))


def content_str(pat):
    """Suricata content syntax: printable letters as text, the rest as |hex|."""
    out, hexrun = [], []
    for b in pat:
        if chr(b).isalpha():
            if hexrun:
                out.append("|" + " ".join("%02x" % x for x in hexrun) + "|")
                hexrun = []
            out.append(chr(b))
        else:
            hexrun.append(b)
    if hexrun:
        out.append("|" + " ".join("%02x" % x for x in hexrun) + "|")
    return "".join(out)


def rand_rule(rng, sid):
    opts = []
    n = rng.randint(1, 3)
    for i in range(n):
        pat = rand_bytes(rng, 1, 3)
        neg = i > 0 and rng.random() < 0.2
        opts.append('content:%s"%s";' % ("!" if neg else "", content_str(pat)))
        if rng.random() < 0.3:
            opts.append("nocase;")
        mode = rng.random()
        if i == 0 or mode < 0.3:
            if rng.random() < 0.15 and not neg:
                opts.append("startswith;")
            else:
                if rng.random() < 0.4:
                    opts.append("offset:%d;" % rng.randint(0, 4))
                if rng.random() < 0.4:
                    opts.append("depth:%d;" % (len(pat) + rng.randint(0, 5)))
        else:
            if rng.random() < 0.7:
                opts.append("distance:%d;" % rng.randint(-2, 4))
            if rng.random() < 0.6:
                opts.append("within:%d;" % (len(pat) + rng.randint(0, 5)))
        # (endswith after depth trips a Suricata 7 Hyperscan compile error: avoided)
        if (i == n - 1 and not neg and rng.random() < 0.1 and
                not opts[-1].startswith(("startswith", "depth"))):
            opts.append("endswith;")
    r = rng.random()
    if r < 0.15:
        opts.append('pcre:"/%s[ab]{1,2}/%s";' % (rng.choice("aAb:"), rng.choice(["R", "Ri", "", "i"])))
    elif r < 0.3:
        opts.append("isdataat:%s%d%s;" % ("!" if rng.random() < 0.4 else "", rng.randint(0, 6),
                                          ",relative" if rng.random() < 0.6 else ""))
    elif r < 0.4:
        opts.append("byte_test:1,%s,%d,%d%s;" % (rng.choice(["<", ">", "=", "&", "!="]),
                                                 rng.randint(0, 100), rng.randint(-1, 3),
                                                 ",relative" if rng.random() < 0.6 else ""))
    elif r < 0.45:
        opts.append("dsize:%s%d;" % (rng.choice(["<", ">", ""]), rng.randint(2, 12)))
    elif r < 0.55:
        # a length byte, then a pattern relative to where it points
        opts.append("byte_jump:1,%d,relative%s;" % (rng.randint(-1, 2),
                                                   rng.choice(["", ",from_beginning", ",post_offset 1"])))
        opts.append('content:"%s"; within:%d;' % (content_str(rand_bytes(rng, 1, 2)), rng.randint(2, 8)))
    elif r < 0.62:
        opts.append("byte_extract:1,%d,v%s;" % (rng.randint(0, 3), ",relative" if rng.random() < 0.5 else ""))
        opts.append(rng.choice(['content:"%s"; distance:v;' % content_str(rand_bytes(rng, 1, 2)),
                                "isdataat:v,relative;", "byte_test:1,<,v,0,relative;"]))
    elif r < 0.7:
        opts.append('pcre:"/[%s]+/R";' % rng.choice(["ab", "AB:", "a/"]))
        opts.append('content:"%s"; within:%d;' % (content_str(rand_bytes(rng, 1, 2)), rng.randint(2, 6)))
    return 'alert udp any any -> any any (msg:"r%d"; %s sid:%d; rev:1;)' % (sid, " ".join(opts), sid)



def write_pcap(path, payloads):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, pl in enumerate(payloads):
            src, dst = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
            udp_len = 8 + len(pl)
            sport = 1024 + i  # a flow per packet: each packet is the first of its flow
            udp = struct.pack("!HHHH", sport, 5353 + 1, udp_len, 0) + pl
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, i & 0xFFFF, 0, 64, 17, 0,
                             src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
            c = csum(pseudo + udp) or 0xFFFF
            udp = udp[:6] + struct.pack("!H", c) + udp[8:]
            frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(frame), len(frame)))
            f.write(frame)


def run_round(replay, rng, workdir, n_rules, n_pkts):
    rules = [rand_rule(rng, 1000 + i) for i in range(n_rules)]
    payloads = [rand_bytes(rng, 0, 20) for _ in range(n_pkts)]
    rpath = os.path.join(workdir, "r.rules")
    ppath = os.path.join(workdir, "p.pcap")
    with open(rpath, "w") as f:
        f.write("\n".join(rules) + "\n")
    write_pcap(ppath, payloads)
    logdir = os.path.join(workdir, "log")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    res = subprocess.run(["suricata", "-r", ppath, "-S", rpath, "-l", logdir, "-k", "none",
                          "--runmode", "single"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stdout[-2000:], res.stderr[-2000:])
        raise SystemExit("suricata failed")
    suri = set()
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") == "alert":
                suri.add((ev["pcap_cnt"], ev["alert"]["signature_id"]))
    res = subprocess.run([replay, rpath, ppath], capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stderr)
        raise SystemExit("rules_replay failed")
    moat = set(tuple(int(x) for x in l.split()) for l in res.stdout.split("\n") if l.strip())
    # Suricata logs at most packet-alert-max (15) alerts per packet: skip capped packets.
    per_pkt = {}
    for cnt, _ in suri:
        per_pkt[cnt] = per_pkt.get(cnt, 0) + 1
    capped = {c for c, n in per_pkt.items() if n >= 15}
    suri = {x for x in suri if x[0] not in capped}
    moat = {x for x in moat if x[0] not in capped}
    bad = 0
    for cnt, sid in sorted(suri ^ moat):
        who = "suricata only" if (cnt, sid) in suri else "moat only"
        print("MISMATCH (%s): packet %d payload %r rule %s" %
              (who, cnt, payloads[cnt - 1], rules[sid - 1000]))
        bad += 1
    return len(suri), bad, res.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("replay")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rules", type=int, default=60)
    ap.add_argument("--packets", type=int, default=300)
    a = ap.parse_args()
    if not shutil.which("suricata"):
        print("suricata not installed: skipped")
        return 77
    rng = random.Random(a.seed)
    total_alerts = total_bad = 0
    with tempfile.TemporaryDirectory(prefix="moat-diff-") as wd:
        for rnd in range(a.rounds):
            n, bad, warn = run_round(a.replay, rng, wd, a.rules, a.packets)
            if warn.strip():
                print("rules_replay diagnostics:\n" + warn)
            total_alerts += n
            total_bad += bad
    print("rules_vs_suricata: %d rounds, %d Suricata alerts, %d mismatches" %
          (a.rounds, total_alerts, total_bad))
    return 1 if total_bad or total_alerts == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
