#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The starter ruleset (rules/starter/moat-starter.rules) through moatd's real packet path:

- `moatd -T` loads every rule of the file: 0 skipped, 0 invalid, as many loaded as the file has;
  the CRS setup file beside it loads with Debian's CRS (when installed): 0 invalid;
- every rule has at least one attack sample below, and each sample makes exactly its expected
  starter sids fire (an HTTP request in a pcap made by the shared jsonl2pcap tool, or, for
  the port-scan rule, SYN bursts written here);
- no starter rule fires on the benign corpus (corpus/crs/benign.jsonl, 2,500 requests).
Usage: starter_rules.py MOATD JSONL2PCAP RULES_FILE CORPUS_DIR
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

from corpus_common import alerts_by_request, check, csum, finish, moatd_r, sessions_pcap, write_pcap

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

# (expected starter sids, method, uri, user agent)
SAMPLES = [
    ({9100001}, "GET", "/index.php?id=1", "sqlmap/1.7.2#stable (https://sqlmap.org)"),
    ({9100002}, "GET", "/", "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)"),
    ({9100003}, "GET", "/", "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"),
    ({9100004}, "GET", "/", "Mozilla/5.0 zgrab/0.x"),
    ({9100004}, "GET", "/admin/", "gobuster/3.6"),
    ({9100004}, "GET", "/", "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"),
    ({9100010}, "GET", "/products.php?id=1%20UNION%20SELECT%20user,password%20FROM%20users", UA),
    ({9100010}, "GET", "/item?id=-1+union+all+select+1,2,3--", UA),
    ({9100010}, "GET", "/item?id=1/**/UnIoN/**/SeLeCt/**/1", UA),
    ({9100011}, "GET", "/login?user=admin%27%20OR%20%271%27%3D%271&pass=x", UA),
    ({9100011}, "GET", "/login?user=admin'+or+1=1--", UA),
    ({9100011}, "GET", "/view?id=5%22%20or%20%22a%22=%22a", UA),
    ({9100012}, "GET", "/item?id=1%20AND%20SLEEP(5)", UA),
    ({9100012}, "GET", "/item?id=1;waitfor%20delay%20'0:0:5'--", UA),
    ({9100013}, "GET", "/item?id=1%20and%201=(select%20count(*)%20from%20information_schema.tables)", UA),
    ({9100020, 9100021}, "GET", "/static/../../../../etc/passwd", UA),
    ({9100020}, "GET", "/download?file=..%2f..%2f..%2fconfig.ini", UA),
    ({9100020}, "GET", "/img/%2e%2e/%2e%2e/secret.txt", UA),
    ({9100021}, "GET", "/page?include=/etc/shadow", UA),
    ({9100021}, "GET", "/page?file=C:\\Windows\\win.ini", UA),
    ({9100030}, "GET", "/ping?host=127.0.0.1;cat%20/tmp/x", UA),
    ({9100030}, "GET", "/ping?host=x%7Cwhoami", UA),
    ({9100030}, "GET", "/api?q=$(uname%20-a)", UA),
    ({9100030}, "GET", "/cgi-bin/run?c=x;bash%20-i", UA),
    ({9100030, 9100031}, "GET", "/cgi-bin/run?c=x%3B/bin/sh", UA),
    ({9100031}, "GET", "/cgi-bin/test.cgi?x=/bin/sh", UA),
    ({9100031}, "GET", "/scripts/..%c0%af/winnt/system32/cmd.exe?/c+dir", UA),
    ({9100040}, "GET", "/uploads/c99.php", UA),
    ({9100040}, "GET", "/wp-content/plugins/wso.php?x=1", UA),
    ({9100040}, "GET", "/shell.aspx", UA),
    ({9100041}, "GET", "/images/logo.php?cmd=id", UA),
    ({9100041}, "GET", "/x.jsp?a=1&exec=ls", UA),
]


def request(i, method, uri, ua):
    return {"id": "s%d" % i, "method": method, "uri": uri, "version": "HTTP/1.1",
            "headers": [["Host", "www.example.test"], ["User-Agent", ua],
                        ["Accept", "*/*"]], "body_b64": ""}


# The shared jsonl2pcap makes HTTP sessions only; a SYN burst is a few lines of pcap, written
# here (no packet library in the dependencies for it).
def syn(src, dst, sport, dport):
    a, b = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(a + b + struct.pack("!BBH", 0, 6, 20) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, a, b)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + tcp


def write_scan_pcap(path):
    """Three sources: .66 sends 25 SYNs to closed ports in 2.5 s (one alert: threshold type
    both), .67 sends 19 (under the count), .68 sends 40 SYNs to port 80 (a web port)."""
    pkts, t = [], 1_700_000_000.0
    for n in range(25):
        pkts.append((t + n * 0.1, syn("198.18.0.66", "198.18.1.2", 40000 + n, 1 + n)))
    for n in range(19):
        pkts.append((t + n * 0.1, syn("198.18.0.67", "198.18.1.2", 40000 + n, 1 + n)))
    for n in range(40):
        pkts.append((t + n * 0.05, syn("198.18.0.68", "198.18.1.2", 41000 + n, 80)))
    pkts.sort(key=lambda p: p[0])
    write_pcap(path, pkts)


def alerts(moatd, pcap, rules, logdir):
    r, events = moatd_r(moatd, pcap, logdir, rules, ["-k", "none"])
    if r.returncode != 0:
        print(r.stdout + r.stderr, file=sys.stderr)
        raise SystemExit("moatd -r %s exited %d" % (pcap, r.returncode))
    return [e for e in events if e.get("event_type") == "alert"]


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    moatd, j2p, rules, corpus = sys.argv[1:5]
    with open(rules) as f:
        sids = {int(m) for m in re.findall(r"\bsid:(\d+);", f.read())}
    check(sids and all(9100000 <= s <= 9100999 for s in sids),
          "%d rules, all sids in the local range 9100000-9100999" % len(sids))

    t = subprocess.run([moatd, "-T", "-S", rules], capture_output=True, text=True, timeout=120)
    last = (t.stdout + t.stderr).strip().splitlines()[-1:]
    check(t.returncode == 0 and last == ["rules: %d loaded, 0 skipped (unsupported), 0 invalid"
                                         % len(sids)], "moatd -T: %s" % last)

    # the CRS setup file loads with Debian's CRS (when installed), nothing invalid
    crs = "/usr/share/modsecurity-crs/rules"
    if os.path.isdir(crs) and os.path.exists("/etc/modsecurity/crs/crs-setup.conf"):
        setup = os.path.join(os.path.dirname(rules), "moat-crs-setup.conf")
        t = subprocess.run([moatd, "-T", "-S", setup, "-S", crs], capture_output=True,
                           text=True, timeout=120)
        last = (t.stdout + t.stderr).strip().splitlines()[-1:]
        check(t.returncode == 0 and re.fullmatch(r"rules: [1-9]\d* loaded, \d+ skipped "
                                                 r"\(unsupported\), 0 invalid", last[0]),
              "moatd -T with moat-crs-setup.conf and the CRS: %s" % last)
    else:
        print("skip CRS setup check: modsecurity-crs is not installed")

    covered = set().union(*(s for s, *_ in SAMPLES)) | {9100050}
    check(covered == sids, "every rule has an attack sample (missing: %s, unknown: %s)"
          % (sorted(sids - covered), sorted(covered - sids)))

    with tempfile.TemporaryDirectory(prefix="starter_rules.") as d:
        pcap, mapping = sessions_pcap(
            j2p, [request(i, method, uri, ua) for i, (_, method, uri, ua) in enumerate(SAMPLES)],
            d, "attacks")
        fired = {rid: {e["alert"]["signature_id"] for e in es} for rid, es in
                 alerts_by_request(alerts(moatd, pcap, rules, os.path.join(d, "attacks")),
                                   mapping).items()}
        for i, (want, method, uri, ua) in enumerate(SAMPLES):
            got = fired.get("s%d" % i, set())
            check(got == want, "%s %s (UA %.20s): sids %s, want %s"
                  % (method, uri, ua, sorted(got), sorted(want)))

        scan = os.path.join(d, "scan.pcap")
        write_scan_pcap(scan)
        by_src = {}
        for e in alerts(moatd, scan, rules, os.path.join(d, "scan")):
            by_src.setdefault(e["src_ip"], []).append(e["alert"]["signature_id"])
        check(by_src.get("198.18.0.66") == [9100050],
              "25 SYNs to closed ports in 2.5 s: one 9100050 alert (got %s)"
              % by_src.get("198.18.0.66"))
        check("198.18.0.67" not in by_src, "19 SYNs (under the count): no alert")
        check("198.18.0.68" not in by_src, "40 SYNs to port 80: no alert")

        bpcap, _ = sessions_pcap(j2p, os.path.join(corpus, "crs", "benign.jsonl"), d, "benign")
        hits = {}
        for e in alerts(moatd, bpcap, rules, os.path.join(d, "benign")):
            hits[e["alert"]["signature_id"]] = hits.get(e["alert"]["signature_id"], 0) + 1
        check(not hits, "benign corpus (2,500 requests): no starter alert (got %s)" % hits)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
