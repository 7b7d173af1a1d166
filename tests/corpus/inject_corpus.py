#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""@detectSQLi / @detectXSS on the CRS corpus and the benign corpus.

Extracts what CRS rules 942100/942101 and 941100/941101 inspect from every request
(ARGS and ARGS_NAMES from the query string and urlencoded/JSON/XML/multipart bodies,
cookies and cookie names, User-Agent, Referer, REQUEST_BASENAME), applies an approximation
of the rules' transformation chains (utf8toUnicode+urlDecodeUni+removeNulls, and for XSS
htmlEntityDecode+jsDecode+cssDecode as ModSecurity v3 implements them: code points above
0xff keep their low byte), runs the values through inject_eval (the C detectors) and checks:

- direct: every case whose expectation lists 942100/942101/941100/941101 (log_contains must
  fire, no_log_contains must not);
- peer: agreement with what ModSecurity 3.0.9 + libinjection logged on the dev corpus;
- benign: requests of benign.jsonl on which a detector fires (false positives).

The chains are emulated because the detectors see transformed values in production (the
SecRule engine applies them); --no-chain runs the detectors on the request-decoded values
alone (then 12 of the 15 direct cases hold: the other three carry %-escapes in a header or the
path, which only the rule's urlDecodeUni undoes).

Usage: inject_corpus.py INJECT_EVAL CORPUS_DIR [--min-direct N] [--max-benign N]
       [--min-peer-sqli N] [--min-peer-xss N] [--no-chain] [-v]
Exit 1 when a bar is missed.
"""
import argparse
import base64
import glob
import json
import os
import re
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET

SQLI_RULES = ("942100", "942101")
XSS_RULES = ("941100", "941101")


def low_byte(cp):
    """ModSecurity's urlDecodeUni/jsDecode for %uXXXX: full-width ASCII maps to ASCII,
    anything else keeps its low byte."""
    b = cp & 0xFF
    if 0xFF01 <= cp <= 0xFF5E:
        b = (cp - 0xFEE0) & 0xFF
    return b


def utf8_to_unicode_bytes(b):
    """utf8toUnicode then the %u half of urlDecodeUni: each non-ASCII code point becomes its
    low byte (invalid sequences stay as they are)."""
    out = bytearray()
    s = b.decode("utf-8", errors="surrogateescape")
    for ch in s:
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:  # undecodable byte
            out.append(cp - 0xDC00)
        elif cp < 0x80:
            out.append(cp)
        else:
            out.append(low_byte(cp))
    return bytes(out)


HEX = b"0123456789abcdefABCDEF"


def url_decode_uni(b):
    out = bytearray()
    i, n = 0, len(b)
    while i < n:
        c = b[i]
        if c == 0x25:  # %
            if i + 5 < n + 0 and b[i + 1] in b"uU" and all(x in HEX for x in b[i + 2:i + 6]) \
                    and len(b[i + 2:i + 6]) == 4:
                out.append(low_byte(int(b[i + 2:i + 6], 16)))
                i += 6
                continue
            if i + 2 < n + 1 and len(b[i + 1:i + 3]) == 2 and all(x in HEX for x in b[i + 1:i + 3]):
                out.append(int(b[i + 1:i + 3], 16))
                i += 3
                continue
        if c == 0x2B:
            out.append(0x20)
        else:
            out.append(c)
        i += 1
    return bytes(out)


def url_decode(b):
    """ModSecurity's argument decoding (urlDecode: %XX and +)."""
    return urllib.parse.unquote_to_bytes(b.replace(b"+", b" "))


ENT = {b"quot": 0x22, b"amp": 0x26, b"lt": 0x3C, b"gt": 0x3E, b"nbsp": 0xA0}


def html_entity_decode(b):
    out = bytearray()
    i, n = 0, len(b)
    while i < n:
        if b[i] == 0x26:
            m = re.match(rb"&#[xX]([0-9a-fA-F]+);?|&#([0-9]+);?|&([a-zA-Z]+);", b[i:i + 16])
            if m:
                if m.group(1):
                    out.append(int(m.group(1)[:6], 16) & 0xFF)
                elif m.group(2):
                    out.append(int(m.group(2)[:7]) & 0xFF)
                elif m.group(3).lower() in ENT:
                    out.append(ENT[m.group(3).lower()])
                else:
                    out += m.group(0)
                i += len(m.group(0))
                continue
        out.append(b[i])
        i += 1
    return bytes(out)


JS_ESC = {ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9,
          ord("v"): 11}


def js_decode(b):
    out = bytearray()
    i, n = 0, len(b)
    while i < n:
        if b[i] == 0x5C and i + 1 < n:
            m = re.match(rb"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\([0-7]{1,3})", b[i:i + 6])
            if m:
                if m.group(1):
                    out.append(low_byte(int(m.group(1), 16)))
                elif m.group(2):
                    out.append(int(m.group(2), 16))
                else:
                    out.append(int(m.group(3), 8) & 0xFF)
                i += len(m.group(0))
                continue
            out.append(JS_ESC.get(b[i + 1], b[i + 1]))
            i += 2
            continue
        out.append(b[i])
        i += 1
    return bytes(out)


def css_decode(b):
    out = bytearray()
    i, n = 0, len(b)
    while i < n:
        if b[i] == 0x5C and i + 1 < n:
            m = re.match(rb"\\([0-9a-fA-F]{1,6}) ?", b[i:i + 8])
            if m:
                out.append(int(m.group(1), 16) & 0xFF)
                i += len(m.group(0))
                continue
            if b[i + 1] == 0x0A:
                i += 2
                continue
            out.append(b[i + 1])
            i += 2
            continue
        out.append(b[i])
        i += 1
    return bytes(out)


CHAIN = True


def sqli_chain(b):
    if not CHAIN:
        return b
    return url_decode_uni(utf8_to_unicode_bytes(b)).replace(b"\0", b"")


def xss_chain(b):
    if not CHAIN:
        return b
    b = url_decode_uni(utf8_to_unicode_bytes(b))
    return css_decode(js_decode(html_entity_decode(b))).replace(b"\0", b"")


def split_args(b):
    """name, value pairs of an urlencoded string, as ModSecurity parses them."""
    out = []
    for part in b.split(b"&"):
        if not part:
            continue
        if b"=" in part:
            k, v = part.split(b"=", 1)
        else:
            k, v = part, b""
        out.append((url_decode(k), url_decode(v)))
    return out


def json_args(obj, prefix, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            json_args(v, prefix + "." + k if prefix else k, out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            json_args(v, prefix + "." + str(i) if prefix else str(i), out)
    else:
        v = "" if obj is None else (json.dumps(obj) if isinstance(obj, bool) else str(obj))
        out.append((("json." + prefix).encode(), v.encode()))


def multipart_args(body, ctype):
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    if not m:
        return []
    out = []
    for part in body.split(b"--" + m.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, val = part.partition(b"\r\n\r\n")
        if b"filename=" in head:
            continue
        nm = re.search(rb'name="([^"]*)"', head)
        if nm:
            out.append((nm.group(1), val[:-2] if val.endswith(b"\r\n") else val))
    return out


def xml_texts(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    return [t.encode() for t in root.itertext() if t.strip()]


def header(req, name):
    return [v for k, v in req["headers"] if k.lower() == name]


def targets(req):
    """(rule group, value) pairs: 'sqli' = 942100, 'sqli101' = 942101, 'xss' = 941100,
    'xss101' = 941101. Values before transformation."""
    vals = []
    uri = req["uri"].encode("utf-8", errors="surrogateescape")
    path, _, query = uri.partition(b"?")
    args = split_args(query) if query else []
    body = base64.b64decode(req.get("body_b64") or "")
    ctype = (header(req, "content-type") or [""])[0]
    cl = ctype.lower()
    xml_vals = []
    if body:
        if cl.startswith("application/x-www-form-urlencoded"):
            args += split_args(body)
        elif "json" in cl:
            try:
                j = json.loads(body)
                out = []
                json_args(j, "", out)
                args += out
            except ValueError:
                pass
        elif "multipart/form-data" in cl:
            args += multipart_args(body, ctype)
        elif "xml" in cl:
            xml_vals = xml_texts(body)
    for k, v in args:
        for g in ("sqli", "xss"):
            vals.append((g, k))
            vals.append((g, v))
    for v in xml_vals:
        vals += [("sqli", v), ("xss", v)]
    for c in header(req, "cookie"):
        for part in c.split(";"):
            part = part.strip()
            if not part:
                continue
            k, _, v = part.partition("=")
            for g in ("sqli", "xss"):
                vals.append((g, k.encode()))
                if not re.search("__utm", k):
                    vals.append((g, v.encode()))
    for v in header(req, "user-agent"):
        vals += [("sqli", v.encode()), ("xss", v.encode())]
    for v in header(req, "referer"):
        vals += [("sqli", v.encode()), ("xss101", v.encode())]
    base = path.rsplit(b"/", 1)[-1]
    if base:
        vals.append(("sqli101", base))
    return vals


class Evaluator:
    def __init__(self, exe):
        self.exe = exe

    def run(self, values):
        """values: list of bytes; returns list of (sqli, fp, xss)."""
        inp = "".join(v.hex() + "\n" for v in values)
        r = subprocess.run([self.exe], input=inp, capture_output=True, text=True, check=True)
        out = []
        for line in r.stdout.splitlines():
            s, fp, x = line.split(" ")
            out.append((s == "1", fp, x == "1"))
        if len(out) != len(values):
            sys.exit("inject_eval answered %d of %d values" % (len(out), len(values)))
        return out


def evaluate(ev, reqs):
    """For each request: the set of rules that fire and, per rule, a matched value."""
    jobs = []
    for ri, req in enumerate(reqs):
        for g, v in targets(req):
            jobs.append((ri, g, v))
    chained = [sqli_chain(v) if g.startswith("sqli") else xss_chain(v) for _, g, v in jobs]
    res = ev.run(chained)
    fired = [dict() for _ in reqs]
    for (ri, g, v), tv, (s, fp, x) in zip(jobs, chained, res):
        rule = {"sqli": "942100", "sqli101": "942101", "xss": "941100", "xss101": "941101"}[g]
        hit = s if g.startswith("sqli") else x
        if hit and rule not in fired[ri]:
            fired[ri][rule] = (tv, fp if g.startswith("sqli") else "")
    return fired


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eval")
    ap.add_argument("corpus")
    ap.add_argument("--min-direct", type=int, default=0)
    ap.add_argument("--max-benign", type=int, default=None)
    ap.add_argument("--min-peer-sqli", type=int, default=0)
    ap.add_argument("--min-peer-xss", type=int, default=0)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--no-chain", action="store_true",
                    help="only the request's own decoding (URL-decoded arguments), not the "
                    "rules' transformation chains")
    a = ap.parse_args()
    global CHAIN
    CHAIN = not a.no_chain
    crs = os.path.join(a.corpus, "crs")
    ev = Evaluator(a.eval)

    reqs = []
    for f in sorted(glob.glob(os.path.join(crs, "REQUEST-*.jsonl"))):
        reqs += load(f)
    fired = evaluate(ev, reqs)
    peer = {d["id"]: set(str(x) for x in d["rules"])
            for d in load(os.path.join(crs, "peer", "crs-dev.modsec-3.0.9-crs-3.3.4-pl4.jsonl"))}

    rules = SQLI_RULES + XSS_RULES
    direct_ok = direct_n = 0
    for req, fr in zip(reqs, fired):
        exp = req["expect"]
        for r in rules:
            want = None
            if r in exp.get("log_contains", []):
                want = True
            elif r in exp.get("no_log_contains", []):
                want = False
            if want is None:
                continue
            direct_n += 1
            ok = (r in fr) == want
            direct_ok += ok
            if not ok or a.verbose:
                print("direct %s %s %s: want %s, got %s %r" % (
                    "ok  " if ok else "FAIL", req["id"], r, want, r in fr,
                    fr.get(r, ("",))[0][:120]))

    stats = {}
    for fam, rs in (("sqli", SQLI_RULES), ("xss", XSS_RULES)):
        tp = fn = fp = 0
        for req, fr in zip(reqs, fired):
            p = peer.get(req["id"])
            if p is None:
                continue
            for r in rs:
                if r in p and r in fr:
                    tp += 1
                elif r in p:
                    fn += 1
                    if a.verbose:
                        print("peer-miss %s %s" % (req["id"], r))
                elif r in fr:
                    fp += 1
                    if a.verbose:
                        print("peer-extra %s %s %r %s" % (req["id"], r, fr[r][0][:120],
                                                           fr[r][1]))
        stats[fam] = (tp, fn, fp)

    benign = load(os.path.join(crs, "benign.jsonl"))
    bfired = evaluate(ev, benign)
    bfp = {"sqli": 0, "xss": 0}
    nvals = sum(len(targets(r)) for r in benign)
    for req, fr in zip(benign, bfired):
        if any(r in fr for r in SQLI_RULES):
            bfp["sqli"] += 1
        if any(r in fr for r in XSS_RULES):
            bfp["xss"] += 1
        for r, (v, fp) in fr.items():
            print("benign-fp %s %s %s %r" % (req["id"], r, fp, v[:160]))
    nb = sum(1 for req, fr in zip(benign, bfired) if fr)

    summary = {
        "direct_satisfied": direct_ok, "direct_cases": direct_n,
        "peer_sqli": {"both": stats["sqli"][0], "peer_only": stats["sqli"][1],
                      "ours_only": stats["sqli"][2],
                      "rate": round(stats["sqli"][0] / max(1, stats["sqli"][0] + stats["sqli"][1]), 3)},
        "peer_xss": {"both": stats["xss"][0], "peer_only": stats["xss"][1],
                     "ours_only": stats["xss"][2],
                     "rate": round(stats["xss"][0] / max(1, stats["xss"][0] + stats["xss"][1]), 3)},
        "benign_requests": len(benign), "benign_values": nvals,
        "benign_fp_requests": nb, "benign_fp_sqli": bfp["sqli"], "benign_fp_xss": bfp["xss"],
        "modsecurity_benign_fp_requests": 0,
    }
    print(json.dumps(summary))
    bad = []
    if direct_ok < a.min_direct:
        bad.append("direct %d < %d" % (direct_ok, a.min_direct))
    if a.max_benign is not None and nb > a.max_benign:
        bad.append("benign false positives %d > %d" % (nb, a.max_benign))
    if stats["sqli"][0] < a.min_peer_sqli:
        bad.append("peer sqli agreement %d < %d" % (stats["sqli"][0], a.min_peer_sqli))
    if stats["xss"][0] < a.min_peer_xss:
        bad.append("peer xss agreement %d < %d" % (stats["xss"][0], a.min_peer_xss))
    if bad:
        print("FAIL: " + "; ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
