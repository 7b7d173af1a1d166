#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Corpus test: moat's HTTP transactions equal tshark's, pcap by pcap.

For every pcap under CORPUS (the suricata-verify cases) and for pcaps generated here
(jsonl2pcap sessions with reordering, duplication and 1-byte segments; our own generator
for pipelined requests, chunked bodies and reordered/duplicated segments in both
directions), run `moatd -r PCAP -l DIR -k none` and compare the multiset of
(method, host, uri, user agent, status) of its `http` events with what
`tshark -o tcp.reassemble_out_of_order:TRUE` dissects.

Normalisation (both sides describe the same thing differently):
  host   tshark prints the Host header (with port); moat prints libhtp's hostname (without
         port, from an absolute URI when there is one): compare lowercased, port stripped,
         and fall back to tshark's host from an absolute URI.
  status a request tshark never pairs with a response has status None; so has a moat
         transaction without a response.

Exclusions (each printed with its reason, never silently):
  - pcaps tshark cannot read (exit status != 0);
  - pcaps where moat and tshark see different TCP payloads by design, listed in
    KNOWN_DIFFERENT below with the reason (e.g. evasion cases whose point is that a
    target-based reassembler and Wireshark disagree).
Exit 0 when every compared pcap matches, 1 otherwise (with a diff per pcap).
"""
import argparse
import base64
import concurrent.futures
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

from corpus_common import csum


# test dir name -> why moat and tshark legitimately differ on that capture
KNOWN_DIFFERENT = {
    "http-connect-fragmented": "after a successful CONNECT tshark treats the tunnel as opaque "
    "and never pairs the tunnelled GET with its 200; moat re-detects HTTP in the tunnel as "
    "Suricata does (the sv test expects that GET with status 200)",
    "http-evader-471": "evasion case (HTTP evader): libhtp 0.5.42 does not accept this "
    "response framing while Wireshark (and Suricata 9's Rust parser) do; moat reports the "
    "request without a status",
    "http-request-line": "the request's header block never ends (port 6666 -> 63): tshark "
    "shows nothing even told to decode it, and libhtp, like Suricata, only fills the "
    "hostname once the header block is complete",
    "http-evader-483": "evasion case: response header folded with space-CRLF-tab-CRLF; "
    "Wireshark rejects the response, libhtp accepts it as Suricata does (the sv test "
    "expects the file in that response)",
    "http-evader-495": "evasion case: response header lines ended with LF-CR; Wireshark "
    "rejects the response, libhtp accepts it as Suricata does (the sv test expects the "
    "file in that response)",
}
# test dir name -> extra tshark arguments: tshark picks dissectors by port (the lower
# one, 53 = DNS here) where moat detects HTTP by content
TSHARK_DECODE_AS = {
    "detect-uricontent-04": ["-d", "tcp.port==53,http"],
    "detect-uricontent-05": ["-d", "tcp.port==53,http"],
    "detect-uricontent-07": ["-d", "tcp.port==53,http"],
}
# test dir name -> a moat gap (printed as such, not a failure: owned by another module)
KNOWN_GAPS = {}

def _find(node, key):
    """First value of `key` in a tshark JSON subtree (breadth first)."""
    todo = [node]
    while todo:
        n = todo.pop(0)
        if isinstance(n, dict):
            if key in n:
                v = n[key]
                return v[0] if isinstance(v, list) else v
            todo.extend(n.values())
        elif isinstance(n, list):
            todo.extend(n)
    return None


def run_tshark(pcap, partial=False, extra=()):
    """tshark's requests with their status. Responses are paired with requests in order
    per TCP stream (HTTP/1.x answers in request order; 1xx interim responses other than
    101 are skipped), since tshark's request_in points to a frame, which is ambiguous when
    one frame carries several pipelined requests."""
    deseg = "FALSE" if partial else "TRUE"
    cmd = ["tshark", "-n", "-r", pcap, "-o", "tcp.reassemble_out_of_order:TRUE",
           "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "http.desegment_headers:" + deseg,
           "-o", "http.desegment_body:" + deseg, "--enable-heuristic", "http_tcp",
           "-d", "tcp.port==%d,http" % ALT_PORT] + list(extra) + [
           "-Y", "http.request or http.response", "-T", "json", "--no-duplicate-keys",
           "-J", "http tcp"]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1:] or ["exit %d" % p.returncode]
    try:
        pkts = json.loads(p.stdout or "[]")
    except ValueError as e:
        return None, ["unparsable tshark JSON: %s" % e]
    reqs, codes = {}, {}
    for pkt in pkts:
        layers = pkt.get("_source", {}).get("layers", {})
        stream = _find(layers.get("tcp", {}), "tcp.stream")
        h = layers.get("http")
        if h is None:
            continue
        for pdu in (h if isinstance(h, list) else [h]):
            method = _find(pdu, "http.request.method")
            if method is not None:
                reqs.setdefault(stream, []).append(
                    (method, _find(pdu, "http.host") or "",
                     _find(pdu, "http.request.uri") or "",
                     _find(pdu, "http.user_agent") or ""))
                continue
            code = _find(pdu, "http.response.code")
            if code is not None:
                c = int(code)
                if 100 <= c < 200 and c != 101:
                    continue
                codes.setdefault(stream, []).append(c)
    out = []
    for stream, rl in reqs.items():
        cl = codes.get(stream, [])
        for i, (method, host, uri, ua) in enumerate(rl):
            out.append(norm(method, host, uri, ua, cl[i] if i < len(cl) else None))
    return out, None


def strip_port(host):
    if host.startswith("["):
        return host.split("]")[0] + "]"
    if host.count(":") == 1:
        return host.split(":")[0]
    return host


def norm(method, host, uri, ua, status):
    host = strip_port(host or "").lower()
    if not host and uri and "://" in uri:
        host = strip_port(uri.split("://", 1)[1].split("/", 1)[0]).lower()
    if not host and method == "CONNECT":
        host = strip_port(uri).lower()  # authority form, as libhtp reads it
    return (method or "", host, uri or "", ua or "", status)


def run_moat(moatd, pcap, extra):
    with tempfile.TemporaryDirectory() as d:
        # tshark parses sessions without a handshake and one-sided ones: let moat too
        extra = extra + ["--set", "stream.midstream=true", "--set", "stream.async-oneside=true"]
        p = subprocess.run([moatd, "-r", pcap, "-l", d, "-k", "none"] + extra,
                           capture_output=True, text=True, errors="replace")
        if p.returncode != 0:
            return None, "moatd exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
        out = []
        with open(os.path.join(d, "eve.json"), errors="replace") as f:
            for line in f:
                e = json.loads(line)
                if e.get("event_type") != "http":
                    continue
                h = e["http"]
                if h.get("url") == "/libhtp::request_uri_not_seen":
                    # libhtp's transaction for a response without a request (midstream
                    # or one-sided captures): not an HTTP request, tshark lists none
                    continue
                # moat escapes non-UTF-8 bytes as \xHH; tshark prints them as such too
                out.append(norm(h.get("http_method", ""), h.get("hostname", ""),
                                h.get("url", ""), h.get("http_user_agent", ""),
                                h.get("status")))
        return out, None


def sv_extra_args(pcap):
    """--set options of the suricata-verify test that owns the pcap (stream settings
    change what a Suricata-like engine reassembles, e.g. midstream pickup)."""
    y = os.path.join(os.path.dirname(pcap), "test.yaml")
    extra = []
    if not os.path.exists(y):
        return extra
    lines = open(y, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        for tok in s.lstrip("- ").split():
            if "=" in tok and (tok.startswith("stream.") or tok.startswith("app-layer.")):
                extra += ["--set", tok]
    return extra


def reconcile(moat, strict, partial):
    """Match moat's transactions against tshark's strict pass; what is left is accepted
    when tshark's partial pass (no HTTP desegmentation) shows it: a request or response
    cut off by the end of the capture (or never finished by its sender) is dissected by
    tshark only that way, while moat, like Suricata, reports it when the flow ends.
    Returns (unmatched moat, unmatched tshark)."""
    m, t, p = list(moat), list(strict), list(partial)
    for x in list(m):
        if x in t:
            m.remove(x)
            t.remove(x)
    for x in list(m):
        if x in p:
            p.remove(x)
            m.remove(x)
            for y in t:
                if y[:4] == x[:4] and y[4] is None:
                    t.remove(y)
                    break
    return m, t


def compare(name, moat, tshark):
    a = sorted(moat, key=repr)
    b = sorted(tshark, key=repr)
    if a == b:
        return None
    only_m = [x for x in a if x not in b or a.count(x) > b.count(x)]
    only_t = [x for x in b if x not in a or b.count(x) > a.count(x)]
    return "%s: moat %d tx, tshark %d tx\n    only moat:   %s\n    only tshark: %s" % (
        name, len(a), len(b), only_m[:5], only_t[:5])


# ---------------------------------------------------------------------------------------
# Generated pcaps

def gen_jsonl(path, n, seed):
    rnd = random.Random(seed)
    # no HEAD: jsonl2pcap answers every request with a body, which HEAD responses lack
    methods = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
    with open(path, "w") as f:
        for i in range(n):
            m = rnd.choice(methods)
            uri = "/%s/%d?q=%s&x=%d" % (rnd.choice(["a", "img", "api/v1", "cgi-bin"]), i,
                                        rnd.choice(["foo", "b%20r", "../etc", "%2e%2e"]),
                                        rnd.randint(0, 99999))
            hdrs = [["Host", "h%d.example.test" % rnd.randint(0, 9)],
                    ["User-Agent", "gen/%d (%s)" % (i, rnd.choice(["x", "y z", "w;1"]))],
                    ["Accept", "*/*"]]
            r = {"id": str(i), "method": m, "uri": uri, "version": "HTTP/1.1",
                 "headers": hdrs}
            if m in ("POST", "PUT", "PATCH"):
                body = bytes(rnd.randint(0, 255) for _ in range(rnd.randint(1, 3000)))
                r["headers"].append(["Content-Length", str(len(body))])
                r["body_b64"] = base64.b64encode(body).decode()
            f.write(json.dumps(r) + "\n")



class PcapOut:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = 1_700_000_000.0

    def put(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          5 << 4, flags, 65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000,
                          64, 6, 0, src, dst)
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        pkt = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + iph + tcp + payload
        self.t += 0.000013
        sec = int(self.t)
        self.f.write(struct.pack("<IIII", sec, int((self.t - sec) * 1e6), len(pkt), len(pkt))
                     + pkt)

    def close(self):
        self.f.close()


def segments(msgs, rnd, tiny):
    """Split a direction's messages into segments (1-byte ones when tiny, else random
    sizes) that never straddle two messages: tshark does not dissect a second PDU that
    starts in the segment where a reassembled one ends (moat does; the unit tests feed
    several pipelined messages in one buffer)."""
    out, base = [], 0
    for data in msgs:
        off = 0
        while off < len(data):
            n = 1 if tiny else rnd.randint(1, 700)
            out.append((base + off, data[off:off + n]))
            off += n
        base += len(data)
    return out


def shuffle_dup(segs, rnd, reorder, dup):
    segs = list(segs)
    for i in range(len(segs) - 1):
        if rnd.random() < reorder:
            segs[i], segs[i + 1] = segs[i + 1], segs[i]
    out = []
    for s in segs:
        out.append(s)
        if rnd.random() < dup:
            out.append(s)
    return out


def chunked(body, rnd):
    out, off = b"", 0
    while off < len(body):
        n = min(rnd.randint(1, 900), len(body) - off)
        out += b"%x" % n + (b";ext=1" if rnd.random() < 0.2 else b"") + b"\r\n" + \
            body[off:off + n] + b"\r\n"
        off += n
    return out + b"0\r\n\r\n"


# non-HTTP port of a third of the generated sessions: moat detects HTTP by content; tshark
# is told with "decode as" (its heuristic cannot decide on a 1-byte first segment)
ALT_PORT = 5555
REQ_CHUNKED = 0.5
RES_REORDER = 0.3
# tshark dissects a retransmitted segment that starts a response twice (shifting statuses);
# requests keep their duplicates
RES_DUP = 0.0
# no HEAD: tshark then expects Content-Length body bytes after the HEAD response (RFC 9110
# says there are none) and pairs every later response wrongly
PIPE_METHODS = ["GET", "GET", "POST", "DELETE"]


def gen_pipelined(path, sessions, seed):
    """Keep-alive sessions with 1-6 pipelined requests (some chunked POSTs), responses
    with Content-Length or chunked bodies; segments reordered and duplicated in both
    directions; server on port 80 or a random high port (content detection)."""
    rnd = random.Random(seed)
    out = PcapOut(path)
    truth = []
    for s in range(sessions):
        cli = bytes([198, 18, 1 + s // 250, 1 + s % 250])
        srv = bytes([198, 19, 0, 1])
        sport = 20000 + s
        dport = 80 if s % 3 else ALT_PORT
        req, res = [], []
        tiny = s % 10 == 0
        for i in range(rnd.randint(1, 6)):
            method = rnd.choice(PIPE_METHODS)
            if tiny and method == "POST":
                # tshark drops pipelined bodies sent one byte at a time (1-byte POST
                # bodies are in the jsonl2pcap --mss 1 capture instead)
                method = "GET"
            uri = "/s%d/r%d?k=%d" % (s, i, rnd.randint(0, 1 << 30))
            ua = "pipe/%d.%d" % (s, i)
            h = "%s %s HTTP/1.1\r\nHost: p%d.example.test\r\nUser-Agent: %s\r\n" % (
                method, uri, s % 7, ua)
            if method == "POST":
                body = os.urandom(rnd.randint(1, 4000))
                if rnd.random() < REQ_CHUNKED:
                    req.append(h.encode() + b"Transfer-Encoding: chunked\r\n\r\n" +
                               chunked(body, rnd))
                else:
                    req.append(h.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            else:
                req.append(h.encode() + b"\r\n")
            code = rnd.choice([200, 200, 404, 301, 500])
            truth.append(norm(method, "p%d.example.test" % (s % 7), uri, ua, code))
            body = os.urandom(rnd.randint(0, 5000)) if method != "HEAD" else b""
            rh = b"HTTP/1.1 %d X\r\nServer: gen\r\nContent-Type: application/octet-stream\r\n" \
                % code
            if method == "HEAD":
                res.append(rh + b"Content-Length: 1234\r\n\r\n")
            elif rnd.random() < 0.5:
                res.append(rh + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body, rnd))
            else:
                res.append(rh + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        cs, ss = rnd.randint(0, 1 << 31), rnd.randint(0, 1 << 31)
        out.put(cli, srv, sport, dport, cs, 0, 0x02)
        out.put(srv, cli, dport, sport, ss, cs + 1, 0x12)
        out.put(cli, srv, sport, dport, cs + 1, ss + 1, 0x10)
        rseg = shuffle_dup(segments(req, rnd, tiny), rnd, 0.3, 0.1)
        # 1-byte segments on the request side only: tshark loses pipelined responses
        # delivered one byte at a time (moat does not; see test_http.c)
        sseg = shuffle_dup(segments(res, rnd, False), rnd, RES_REORDER, RES_DUP)
        req, res = b"".join(req), b"".join(res)
        # requests first (pipelined), then responses
        for off, d in rseg:
            out.put(cli, srv, sport, dport, cs + 1 + off, ss + 1, 0x18, d)
        out.put(srv, cli, dport, sport, ss + 1, cs + 1 + len(req), 0x10)
        for off, d in sseg:
            out.put(srv, cli, dport, sport, ss + 1 + off, cs + 1 + len(req), 0x18, d)
        out.put(cli, srv, sport, dport, cs + 1 + len(req), ss + 1 + len(res), 0x11)
        out.put(srv, cli, dport, sport, ss + 1 + len(res), cs + 2 + len(req), 0x11)
        out.put(cli, srv, sport, dport, cs + 2 + len(req), ss + 2 + len(res), 0x10)
    out.close()
    return truth


def generated(tools, workdir):
    jl = os.path.join(workdir, "reqs.jsonl")
    gen_jsonl(jl, 200, 1)
    res = []
    for name, opts in [("jsonl-plain", []),
                       ("jsonl-reorder-dup", ["--reorder", "0.4", "--dup", "0.2", "--mss", "40"]),
                       ("jsonl-1byte", ["--mss", "1", "--reorder", "0.3", "--dup", "0.1"])]:
        p = os.path.join(workdir, name + ".pcap")
        r = subprocess.run([sys.executable, os.path.join(tools, "jsonl2pcap"), "--seed", "7"]
                           + opts + [jl, p], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("jsonl2pcap failed: " + r.stderr)
        res.append(p)
    p = os.path.join(workdir, "pipelined-chunked.pcap")
    TRUTH[p] = gen_pipelined(p, 200, 3)
    res.append(p)
    return res


# generated pcap -> the transactions its generator wrote (the ground truth)
TRUTH = {}


def compare_generated(name, moat, tshark, truth):
    """moat must equal the generator's truth exactly and tshark's request tuples; a
    status tshark reports differently from the truth is tshark's error (it misparses a
    few responses split across reordered segments) and is only counted."""
    d = compare(name + " vs generator", moat, truth)
    if d:
        return d, 0
    d = compare(name + " vs tshark (requests)", [x[:4] for x in moat], [x[:4] for x in tshark])
    if d:
        return d, 0
    bad = 0
    ts = sorted(tshark, key=lambda x: repr(x[:4]))
    tr4 = sorted(truth, key=lambda x: repr(x[:4]))
    for a, b in zip(tr4, ts):
        if a[4] != b[4]:
            bad += 1
    return None, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moatd", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--no-generated", action="store_true")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed")
        return 77
    if not os.path.isdir(a.corpus):
        print("SKIP: no corpus at %s" % a.corpus)
        return 77

    pcaps = []
    for root, _dirs, files in os.walk(a.corpus):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".cap")):
                pcaps.append(os.path.join(root, f))
    pcaps.sort()
    failed, passed, excluded, notes, gaps = [], 0, [], [], []
    total_tx = 0
    with tempfile.TemporaryDirectory() as work:
        if not a.no_generated:
            pcaps = generated(a.tools, work) + pcaps  # the big ones first
        def one(p):
            """-> (kind, message, tx count); kind: pass fail excluded gap."""
            name = os.path.relpath(p, a.corpus) if p.startswith(a.corpus) else \
                os.path.basename(p)
            key = os.path.basename(os.path.dirname(p))
            if key in KNOWN_DIFFERENT:
                return "excluded", "%s: %s" % (name, KNOWN_DIFFERENT[key]), 0, None
            t, err = run_tshark(p, extra=TSHARK_DECODE_AS.get(key, ()))
            if t is None:
                return "excluded", "%s: tshark cannot read it (%s)" % (name, err), 0, None
            m, err = run_moat(a.moatd, p, sv_extra_args(p))
            if m is None:
                return "fail", "%s: %s" % (name, err), 0, None
            note = None
            if p in TRUTH:
                d, tbad = compare_generated(name, m, t, TRUTH[p])
                if tbad:
                    note = ("%s: tshark misreads %d of %d statuses (moat matches the "
                            "generator)" % (name, tbad, len(m)))
            else:
                d = compare(name, m, t)
                if d:
                    part, _ = run_tshark(p, partial=True,
                                         extra=TSHARK_DECODE_AS.get(key, ()))
                    um, ut = reconcile(m, t, part or [])
                    if not um and not ut:
                        d = None
                        note = ("%s: matched with tshark's partial pass (messages cut off "
                                "in the capture)" % name)
                    elif key in KNOWN_GAPS:
                        return "gap", "%s: %s" % (name, KNOWN_GAPS[key]), 0, None
            if d:
                return "fail", d, 0, note
            return "pass", "ok   %s (%d tx)" % (name, len(m)), len(m), note

        with concurrent.futures.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as ex:
            for kind, msg, ntx, note in ex.map(one, pcaps):
                if note:
                    notes.append(note)
                if kind == "pass":
                    passed += 1
                    total_tx += ntx
                    if a.v:
                        print(msg)
                elif kind == "fail":
                    failed.append(msg)
                elif kind == "gap":
                    gaps.append(msg)
                else:
                    excluded.append(msg)
    for e in excluded:
        print("excluded " + e)
    for n in notes:
        print("note " + n)
    for g in gaps:
        print("KNOWN GAP " + g)
    for f in failed:
        print("FAIL " + f)
    print("http_vs_tshark: %d pcaps match (%d transactions), %d differ, %d excluded, "
          "%d known gaps" % (passed, total_tx, len(failed), len(excluded), len(gaps)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
