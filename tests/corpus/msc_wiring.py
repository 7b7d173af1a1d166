#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""SecRules in moatd's pipeline, end to end on generated captures (198.18.0.0/15, made by
the shared jsonl2pcap tool):

- a logging SecRule match becomes an EVE alert: signature_id = rule id, signature = the
  expanded msg, severity mapped from ModSecurity's, metadata with tags, logdata and the
  anomaly score, tx_id, app_proto and the http object; nolog rules write nothing;
- phase 2 sees the urlencoded body (ARGS_POST) and ctl:requestBodyProcessor=JSON in phase 1
  switches the parser (JSON names as ARGS);
- anomaly scoring: the blocking rule's alert carries the total score and, with
  SecRuleEngine On, the interception status; a request under the threshold is not blocked;
- a phase-5 (logging) alert, as the CRS's 980130, names the client as src_ip (the request's
  direction, as ModSecurity's remote address), not the server;
- moatd -T reports SecRule problems as file:line and exits 1; a clean file exits 0.
Usage: msc_wiring.py MOATD JSONL2PCAP
"""
import os
import subprocess
import sys
import tempfile

from corpus_common import alerts_by_request, check, finish, http_request, moatd_r, sessions_pcap

RULES = r"""
SecRuleEngine On
SecRequestBodyAccess On
SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,pass"
SecRule REQUEST_HEADERS:Content-Type "application/json" \
    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecAction "id:900110,phase:1,nolog,pass,setvar:tx.threshold=5,setvar:tx.anomaly_score_pl1=0"
SecRule ARGS_GET:q "@rx (?i)union\s+select" \
    "id:942999,phase:1,block,capture,msg:'SQL injection in %{MATCHED_VAR_NAME}',\
    logdata:'Matched Data: %{TX.0}',severity:'CRITICAL',tag:'attack-sqli',tag:'paranoia-level/1',\
    setvar:'tx.anomaly_score_pl1=+5'"
SecRule ARGS_POST:comment "@contains <script" \
    "id:941999,phase:2,block,msg:'XSS in body',severity:'WARNING',tag:'attack-xss',\
    setvar:'tx.anomaly_score_pl1=+3'"
SecRule ARGS_POST:json.user.name "@streq mallory" \
    "id:920999,phase:2,pass,msg:'JSON name seen',severity:'NOTICE'"
SecRule REQUEST_METHOD "@rx ." "id:900999,phase:1,pass,nolog"
SecAction "id:949060,phase:2,pass,nolog,setvar:'tx.anomaly_score=+%{tx.anomaly_score_pl1}'"
SecRule TX:ANOMALY_SCORE "@ge %{tx.threshold}" \
    "id:949110,phase:2,deny,log,msg:'Inbound Anomaly Score Exceeded (Total Score: %{TX.ANOMALY_SCORE})'"
SecRule TX:ANOMALY_SCORE "@ge %{tx.threshold}" \
    "id:980999,phase:5,pass,log,msg:'Inbound anomaly score %{TX.ANOMALY_SCORE} (logging phase)'"
"""


def req(rid, method="GET", uri="/", headers=(), body=b""):
    return http_request(rid, method, uri, [("Host", "example.test"), ("User-Agent", "msc-wiring")]
                        + list(headers), body)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    moatd, j2p = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="msc_wiring.") as d:
        rules = os.path.join(d, "rules.conf")
        with open(rules, "w") as f:
            f.write(RULES)
        reqs = [
            req("sqli", uri="/search?q=1%20UNION%20SELECT%20password"),
            req("xss", "POST", "/comment",
                [["Content-Type", "application/x-www-form-urlencoded"]],
                b"comment=%3Cscript%3Ealert(1)%3C/script%3E"),
            req("json", "POST", "/api", [["Content-Type", "application/json"]],
                b'{"user": {"name": "mallory"}}'),
            req("clean", uri="/index.html?q=hello"),
        ]
        pcap, mapping = sessions_pcap(j2p, reqs, d)
        p, events = moatd_r(moatd, pcap, os.path.join(d, "out"), rules)
        check(p.returncode == 0, "moatd -r exits 0 (%d: %s)" % (p.returncode, p.stderr[-300:]))
        alerts = alerts_by_request(events, mapping)

        def get(rid, sid):
            return [a for a in alerts.get(rid, []) if a["alert"]["signature_id"] == sid]

        a = get("sqli", 942999)
        check(len(a) == 1, "sqli: one alert of 942999")
        if a:
            a = a[0]
            check(a["alert"]["signature"] == "SQL injection in ARGS_GET:q",
                  "sqli: signature is the expanded msg (%r)" % a["alert"]["signature"])
            check(a["alert"]["severity"] == 1, "sqli: CRITICAL maps to severity 1")
            md = a["alert"].get("metadata", {})
            check(md.get("tag") == ["attack-sqli", "paranoia-level/1"], "sqli: tags in metadata")
            check(md.get("logdata") == ["Matched Data: UNION SELECT"],
                  "sqli: logdata with the capture (%r)" % md.get("logdata"))
            check(md.get("anomaly_score") == ["5"], "sqli: anomaly score 5 in metadata")
            check(a.get("tx_id") == 0 and a.get("app_proto") == "http" and
                  a.get("http", {}).get("url") == "/search?q=1%20UNION%20SELECT%20password",
                  "sqli: tx_id, app_proto and the http object")
        b = get("sqli", 949110)
        check(len(b) == 1, "sqli: blocked by 949110")
        if b:
            md = b[0]["alert"].get("metadata", {})
            check(b[0]["alert"]["signature"] == "Inbound Anomaly Score Exceeded (Total Score: 5)",
                  "sqli: 949110 message with the total score")
            check(md.get("anomaly_score") == ["5"] and md.get("intercept_status") == ["403"],
                  "sqli: 949110 carries the score and the interception status")
        check(not get("sqli", 900999), "nolog rule writes no alert")
        # alerts are mapped to requests by the client's address and port: a phase-5 alert
        # with the server as src_ip would not be found
        c = get("sqli", 980999)
        check(len(c) == 1 and
              c[0]["alert"]["signature"] == "Inbound anomaly score 5 (logging phase)",
              "sqli: phase-5 alert with the client as src_ip (%r)" %
              [(e["src_ip"], e["dest_ip"]) for e in alerts.get(None, [])])
        x = get("xss", 941999)
        check(len(x) == 1 and x[0]["alert"]["severity"] == 2,
              "xss: phase-2 ARGS_POST match, WARNING maps to severity 2")
        check(not get("xss", 949110), "xss: score 3 under the threshold: not blocked")
        check(len(get("json", 920999)) == 1 and
              get("json", 920999)[0]["alert"]["severity"] == 3,
              "json: ctl:requestBodyProcessor=JSON gives ARGS_POST:json.user.name")
        check(not alerts.get("clean"), "clean request: no alert")

        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write('SecRule ARGS "@rx a" "id:1"\n\nSecRule ARGS "@rx (" "id:2"\n')
        t = subprocess.run([moatd, "-T", "-S", bad], capture_output=True, text=True)
        check(t.returncode == 1 and "bad.conf:3: sid 2: @rx: missing closing parenthesis"
              in t.stdout, "moatd -T: file:line error, exit 1 (%r)" % t.stdout[-300:])
        check("secrules: 1 loaded" in t.stdout, "moatd -T counts the SecRules")
        t = subprocess.run([moatd, "-T", "-S", rules], capture_output=True, text=True)
        check(t.returncode == 0, "moatd -T on a clean file exits 0")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
