# SPDX-License-Identifier: GPL-2.0-only
"""What the corpus suite's Python tests share: named checks with a failure count, captures
(HTTP sessions through the shared jsonl2pcap tool, or hand-made frames), `moatd -r` and its
EVE events, and alerts mapped back to the request that caused them.

Scripts run from this directory (meson's find_program), so `import corpus_common` finds it.
"""
import base64
import json
import os
import struct
import subprocess
import sys

failures = []


def check(cond, what):
    """Print `ok   WHAT` or `FAIL WHAT`; failures are counted for finish()."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return bool(cond)


def finish():
    """The last line and the exit code of a test script."""
    print("%d failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


def csum(data):
    """The Internet checksum (RFC 1071) of DATA."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def write_pcap(path, frames):
    """A classic pcap (Ethernet) of FRAMES: (timestamp in seconds, bytes) pairs in order."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int(round((ts - sec) * 1e6)), len(fr), len(fr)))
            f.write(fr)


def http_request(rid, method="GET", uri="/", headers=(), body=b""):
    """One request in jsonl2pcap's format (Content-Length added for a body)."""
    h = [list(x) for x in headers]
    if body:
        h.append(["Content-Length", str(len(body))])
    return {"id": rid, "method": method, "uri": uri, "version": "HTTP/1.1", "headers": h,
            "body_b64": base64.b64encode(body).decode()}


def sessions_pcap(j2p, reqs, d, name="c", timeout=300):
    """REQS (dicts, or a path to a .jsonl file) as TCP sessions in D/NAME.pcap; returns the
    pcap's path and the map "client_ip:port" -> request id."""
    pcap, mp = os.path.join(d, name + ".pcap"), os.path.join(d, name + ".map.json")
    jl = reqs
    if not isinstance(reqs, str):
        jl = os.path.join(d, name + ".jsonl")
        with open(jl, "w") as f:
            for r in reqs:
                f.write(json.dumps(r) + "\n")
    subprocess.run([sys.executable, j2p, jl, pcap, "--map", mp], check=True,
                   stderr=subprocess.DEVNULL, timeout=timeout)
    with open(mp) as f:
        return pcap, json.load(f)


def moatd_r(moatd, pcap, logdir, rules=(), extra=(), timeout=600):
    """`moatd -r PCAP -l LOGDIR [-S RULE ...] EXTRA...`: the finished process and the EVE
    events (an empty list when there is no eve.json)."""
    os.makedirs(logdir, exist_ok=True)
    if isinstance(rules, str):
        rules = [rules]
    args = [moatd, "-r", pcap, "-l", logdir]
    for r in rules:
        args += ["-S", r]
    p = subprocess.run(args + list(extra), capture_output=True, text=True, errors="replace",
                       timeout=timeout)
    eve = os.path.join(logdir, "eve.json")
    if not os.path.exists(eve):
        return p, []
    with open(eve) as f:
        return p, [json.loads(line) for line in f]


def alerts_by_request(events, mapping):
    """The alert events per request id (None: no request has the alert's source)."""
    out = {}
    for e in events:
        if e.get("event_type") == "alert":
            out.setdefault(mapping.get("%s:%s" % (e["src_ip"], e["src_port"])), []).append(e)
    return out
