#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""HTTP files and the URI's case through `moatd -r`, as Suricata 7 logs them, on a capture
made by the shared jsonl2pcap tool (198.18.0.0/15, segmented at 536 bytes):

- a multipart/form-data POST gives one fileinfo event per part with a filename (name from
  Content-Disposition, size of the part's data), in body order; its text parts are no files;
- a multipart POST without file parts gives none; an urlencoded POST body and a PUT body are
  one file each, named by the URI's path (with its case);
- a request body over the request-body limit is TRUNCATED at the limit;
- the response body is a file too (jsonl2pcap's responses: Content-Length bodies);
- the same files without rules (bodies are then not kept for inspection: sizes are measured
  and multipart POST bodies kept for their files);
- http.uri keeps the path's case: a case-sensitive http.uri content matches the path as
  sent, not a lowercased one (Suricata turns off libhtp's IDS lowercasing too).
Usage: http_files.py MOATD JSONL2PCAP
"""
import os
import sys
import tempfile

from corpus_common import check, finish, http_request, moatd_r, sessions_pcap

RULES = r"""
alert http any any -> any any (msg:"case kept"; http.uri; content:"/Upload/Avatar"; sid:1;)
alert http any any -> any any (msg:"lowercased"; http.uri; content:"/upload/avatar"; sid:2;)
"""

B = b"----moatfiles"


def part(name, data, filename=None):
    cd = b'form-data; name="' + name + b'"' + \
        (b'; filename="' + filename + b'"' if filename else b"")
    return b"--" + B + b"\r\nContent-Disposition: " + cd + b"\r\n" + \
        (b"Content-Type: application/octet-stream\r\n" if filename else b"") + b"\r\n" + \
        data + b"\r\n"


def multipart(*parts):
    return b"".join(parts) + b"--" + B + b"--\r\n"


def req(rid, method, uri, ctype=None, body=b""):
    h = [("Host", "files.example.test"), ("User-Agent", "http-files")]
    if ctype:
        h.append(("Content-Type", ctype))
    return http_request(rid, method, uri, h, body)


MP = "multipart/form-data; boundary=" + B.decode()
REQS = [
    req("upload", "POST", "/Upload/Avatar?x=1", MP,
        multipart(part(b"title", b"holiday"), part(b"a", b"A" * 3000, b"Photo One.JPG"),
                  part(b"b", b"\x00\x01\x02" * 10, b"notes.bin"))),
    req("textonly", "POST", "/form", MP, multipart(part(b"q", b"just text"))),
    req("urlenc", "POST", "/Login.PHP", "application/x-www-form-urlencoded",
        b"user=a&pass=b"),
    req("put", "PUT", "/Store/Item.TXT", "text/plain", b"z" * 777),
    req("big", "POST", "/big", "application/octet-stream", b"q" * 150000),
]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    moatd, j2p = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="http_files.") as d:
        rules = os.path.join(d, "case.rules")
        with open(rules, "w") as f:
            f.write(RULES)
        pcap, mapping = sessions_pcap(j2p, REQS, d)
        p, events = moatd_r(moatd, pcap, os.path.join(d, "out"), rules, ["-k", "none"])
        check(p.returncode == 0, "moatd -r exits 0 (%d: %s)" % (p.returncode, p.stderr[-300:]))
        files, alerts = {}, {}
        for e in events:
            rid = mapping.get("%s:%s" % (e.get("src_ip"), e.get("src_port")))
            if e["event_type"] == "fileinfo":
                fi = e["fileinfo"]
                files.setdefault(rid, []).append((fi["filename"], fi["size"], fi["state"]))
            elif e["event_type"] == "alert":
                alerts.setdefault(rid, []).append(e["alert"]["signature_id"])

        def request_files(rid):
            # the response body (jsonl2pcap's, named by the URI) comes last
            return files.get(rid, [])[:-1]

        def response_file(rid):
            return files.get(rid, [])[-1:]

        check(request_files("upload") == [("Photo One.JPG", 3000, "CLOSED"),
                                          ("notes.bin", 30, "CLOSED")],
              "multipart POST: one file per part with a filename, in order (%r)"
              % files.get("upload"))
        check(len(response_file("upload")) == 1 and
              response_file("upload")[0][0] == "/Upload/Avatar" and
              response_file("upload")[0][2] == "CLOSED",
              "the response body is a file named by the URI's path, case kept (%r)"
              % response_file("upload"))
        check(request_files("textonly") == [], "multipart POST without file parts: no file (%r)"
              % files.get("textonly"))
        check(request_files("urlenc") == [("/Login.PHP", 13, "CLOSED")],
              "urlencoded POST body: one file named by the path (%r)" % files.get("urlenc"))
        check(request_files("put") == [("/Store/Item.TXT", 777, "CLOSED")],
              "PUT body: one file named by the path (%r)" % files.get("put"))
        check(request_files("big") == [("/big", 102400, "TRUNCATED")],
              "body over the 100 KiB request-body limit: TRUNCATED at the limit (%r)"
              % files.get("big"))
        check(alerts.get("upload") == [1],
              "http.uri keeps the path's case: sid 1 fires, the lowercased sid 2 does not (%r)"
              % alerts.get("upload"))
        p, bare = moatd_r(moatd, pcap, os.path.join(d, "bare"), [], ["-k", "none"])
        check(p.returncode == 0, "moatd -r without rules exits 0")
        bare_files = {}
        for e in bare:
            if e["event_type"] == "fileinfo":
                fi = e["fileinfo"]
                bare_files.setdefault(mapping.get("%s:%s" % (e["src_ip"], e["src_port"])),
                                      []).append((fi["filename"], fi["size"], fi["state"]))
        check(bare_files == files, "without rules: the same files (%r)" % bare_files)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
