#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""SecRequestBodyLimit / SecRequestBodyNoFilesLimit / SecRequestBodyLimitAction through
`moatd -r` on a capture made by the shared jsonl2pcap tool (198.18.0.0/15):

- Reject under SecRuleEngine On: a body over SecRequestBodyLimit, or an urlencoded body over
  SecRequestBodyNoFilesLimit, gives one EVE alert (signature_id 0) whose signature names the
  directive, with intercept_status 413, and phase 2's rules do not run for it; a multipart
  upload whose file makes it big but whose other parts are small passes; a small body passes;
- DetectionOnly: the same alerts without interception, phase 2 runs;
- ProcessPartial (the default): no limit alert, phase 2 runs on every request.
Usage: msc_body_limits.py MOATD JSONL2PCAP
"""
import os
import sys
import tempfile

from corpus_common import alerts_by_request, check, finish, http_request, moatd_r, sessions_pcap

RULES = r"""
SecRuleEngine %s
SecRequestBodyAccess On
SecRequestBodyLimit 2000
SecRequestBodyNoFilesLimit 1000
%s
SecRule ARGS_POST:p "@streq evil" "id:100,phase:2,pass,log,msg:'phase 2 ran'"
"""


def req(rid, ctype, body):
    return http_request(rid, "POST", "/post", [("Host", "example.test"),
                                               ("User-Agent", "msc-body-limits"),
                                               ("Content-Type", ctype)], body)


def multipart(fields, files):
    b = b"----moatb"
    out = b""
    for n, v in fields:
        out += b"--" + b + b'\r\nContent-Disposition: form-data; name="' + n + b'"\r\n\r\n' + \
            v + b"\r\n"
    for n, fn, v in files:
        out += b"--" + b + b'\r\nContent-Disposition: form-data; name="' + n + \
            b'"; filename="' + fn + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + \
            v + b"\r\n"
    return out + b"--" + b + b"--\r\n"


REQS = [
    req("big", "application/x-www-form-urlencoded", b"p=evil&pad=" + b"a" * 2500),
    req("nofiles", "application/x-www-form-urlencoded", b"p=evil&pad=" + b"a" * 1200),
    req("upload", "multipart/form-data; boundary=----moatb",
        multipart([(b"p", b"evil")], [(b"f", b"a.bin", b"x" * 1500)])),
    req("small", "application/x-www-form-urlencoded", b"p=evil"),
]


def run(d, moatd, pcap, mapping, engine, action):
    rules = os.path.join(d, "rules-%s-%s.conf" % (engine, action or "default"))
    with open(rules, "w") as f:
        f.write(RULES % (engine, "SecRequestBodyLimitAction " + action if action else ""))
    p, events = moatd_r(moatd, pcap, os.path.join(d, "out-%s-%s" % (engine, action or "default")),
                        rules)
    check(p.returncode == 0, "%s/%s: moatd -r exits 0%s"
          % (engine, action, "" if p.returncode == 0 else
             " (%d: %s)" % (p.returncode, p.stderr[-300:])))
    return {rid: [e["alert"] for e in es]
            for rid, es in alerts_by_request(events, mapping).items()}


def sids(alerts, rid):
    return sorted(a["signature_id"] for a in alerts.get(rid, []))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    moatd, j2p = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="msc_body_limits.") as d:
        pcap, mapping = sessions_pcap(j2p, REQS, d)

        a = run(d, moatd, pcap, mapping, "On", "Reject")
        big = [x for x in a.get("big", []) if x["signature_id"] == 0]
        check(sids(a, "big") == [0] and len(big) == 1,
              "Reject: body over the limit gives one alert, phase 2 not run (%r)"
              % sids(a, "big"))
        if big:
            check("(SecRequestBodyLimit 2000)" in big[0]["signature"] and
                  "(2511 bytes)" in big[0]["signature"],
                  "Reject: the alert names SecRequestBodyLimit (%r)" % big[0]["signature"])
            check(big[0].get("metadata", {}).get("intercept_status") == ["413"],
                  "Reject: intercepted with 413")
        nf = [x for x in a.get("nofiles", []) if x["signature_id"] == 0]
        check(sids(a, "nofiles") == [0] and len(nf) == 1 and
              "(SecRequestBodyNoFilesLimit 1000)" in nf[0]["signature"] and
              nf[0].get("metadata", {}).get("intercept_status") == ["413"],
              "Reject: urlencoded body over SecRequestBodyNoFilesLimit: 413 (%r)"
              % [x["signature"] for x in nf])
        check(sids(a, "upload") == [100],
              "Reject: multipart upload, file over the no-files limit, fields under: passes "
              "(%r)" % sids(a, "upload"))
        check(sids(a, "small") == [100], "Reject: small body passes")

        a = run(d, moatd, pcap, mapping, "DetectionOnly", "Reject")
        check(sids(a, "big") == [0, 100] and sids(a, "nofiles") == [0, 100],
              "DetectionOnly: limit alerts, phase 2 runs (%r %r)"
              % (sids(a, "big"), sids(a, "nofiles")))
        check(all("intercept_status" not in x.get("metadata", {})
                  for x in a.get("big", []) + a.get("nofiles", [])),
              "DetectionOnly: nothing intercepted")

        for action in ("ProcessPartial", None):
            a = run(d, moatd, pcap, mapping, "On", action)
            check(all(sids(a, r) == [100] for r in ("big", "nofiles", "upload", "small")),
                  "%s: no limit alert, phase 2 runs on every request (%r)"
                  % (action or "default", {r: sids(a, r) for r in a}))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
