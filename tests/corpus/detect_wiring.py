#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Detection in moatd's pipeline, end to end on generated captures (198.18.0.0/15):

- a pattern split across two TCP segments alerts once, on the packet that completes it;
- a pattern inside one segment followed by more data alerts once (the inspected tail
  passed again never alerts twice), and a second occurrence later alerts again;
- an HTTP request rule alerts on the request's packet with tx_id, app_proto and the http
  object; a response rule alerts on the response's packet; each once per transaction;
- http.header.raw is the header block as received, http.header the trimmed values;
- flowbits:noalert rules set state without an alert; the flow event says alerted;
- a pass rule silences the alerts of its packet and the rest of the flow;
- a session picked up with a response first is reversed and parsed as HTTP;
- a fileinfo event names the body by Content-Disposition and gives its size;
- without -S nothing alerts.
Usage: detect_wiring.py MOATD
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from corpus_common import check, csum, finish, write_pcap


def ip(a):
    return bytes(int(x) for x in a.split("."))


class Conn:
    """A TCP connection between 198.18.0.1:40000 and 198.19.0.1:80, frames in order."""

    def __init__(self):
        self.frames = []
        self.seq = [1000, 5000]
        self.addr = [ip("198.18.0.1"), ip("198.19.0.1")]
        self.port = [40000, 80]

    def pkt(self, d, flags, payload=b""):
        src, dst = self.addr[d], self.addr[1 - d]
        ack = self.seq[1 - d] if flags & 0x10 else 0
        tcp = struct.pack("!HHIIBBHHH", self.port[d], self.port[1 - d], self.seq[d], ack,
                          5 << 4, flags, 65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        c = csum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64,
                          6, 0, src, dst)
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        self.frames.append(eth + iph + tcp + payload)
        self.seq[d] += len(payload) + (1 if flags & 0x03 else 0)
        return len(self.frames)

    def handshake(self):
        self.pkt(0, 0x02)
        self.pkt(1, 0x12)
        self.pkt(0, 0x10)

    def close(self):
        self.pkt(0, 0x11)
        self.pkt(1, 0x11)
        self.pkt(0, 0x10)

    def write(self, path):
        write_pcap(path, ((1700000000 + i, fr) for i, fr in enumerate(self.frames)))


def run(moatd, conn, rules, extra=()):
    d = tempfile.mkdtemp(prefix="detect_wiring.")
    conn.write(os.path.join(d, "in.pcap"))
    args = [moatd, "-r", os.path.join(d, "in.pcap"), "-l", d] + list(extra)
    if rules is not None:
        with open(os.path.join(d, "test.rules"), "w") as f:
            f.write(rules)
        args += ["-S", os.path.join(d, "test.rules")]
    p = subprocess.run(args, capture_output=True, text=True, errors="replace")
    check(p.returncode == 0, "moatd exit 0 (%s)" % p.stderr.strip()[-200:])
    with open(os.path.join(d, "eve.json")) as f:
        ev = [json.loads(line) for line in f]
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)
    return ev


def alerts(ev, sid):
    return [e for e in ev if e["event_type"] == "alert" and e["alert"]["signature_id"] == sid]


def main():
    moatd = sys.argv[1]

    # split pattern, then one whole, then the whole again in a later segment
    c = Conn()
    c.handshake()
    c.pkt(0, 0x18, b"xxxxSPLIT")
    second = c.pkt(0, 0x18, b"PATTERNyyyy")
    c.pkt(1, 0x10)
    c.pkt(0, 0x18, b"zz" + b"q" * 100)
    c.pkt(0, 0x18, b"MARKER-ONE" + b"p" * 50)
    c.pkt(0, 0x18, b"tail bytes")
    again = c.pkt(0, 0x18, b"MARKER-ONE again")
    c.close()
    rules = ('alert tcp any any -> any any (msg:"split"; content:"SPLITPATTERN"; sid:1;)\n'
             'alert tcp any any -> any any (msg:"marker"; content:"MARKER-ONE"; sid:2;)\n')
    ev = run(moatd, c, rules)
    a1 = alerts(ev, 1)
    check(len(a1) == 1, "split pattern: one alert (got %d)" % len(a1))
    check(a1 and a1[0]["pcap_cnt"] == second,
          "split pattern: on the completing packet %d (%s)" %
          (second, a1 and a1[0].get("pcap_cnt")))
    check(a1 and a1[0]["src_ip"] == "198.18.0.1" and a1[0]["dest_port"] == 80,
          "split pattern: src/dest follow the packet")
    a2 = alerts(ev, 2)
    check([a["pcap_cnt"] for a in a2] == [second + 3, again],
          "marker: once per occurrence, never on the re-inspected tail (%s)" %
          [a["pcap_cnt"] for a in a2])
    st = [e for e in ev if e["event_type"] == "stats"]
    check(st and st[-1]["stats"].get("detect", {}).get("alert") == 3,
          "stats: detect.alert counts the alerts")
    flows = [e for e in ev if e["event_type"] == "flow"]
    check(len(flows) == 1 and flows[0]["flow"]["alerted"] is True, "flow event: alerted")

    # segments larger than the re-inspected tail: split at a big boundary, early marker
    c = Conn()
    c.handshake()
    c.pkt(0, 0x18, b"MARKER-ONE" + b"a" * 4990 + b"SPLIT")
    big = c.pkt(0, 0x18, b"PATTERN" + b"b" * 6000)
    c.pkt(0, 0x18, b"c" * 3000)
    c.close()
    ev = run(moatd, c, rules)
    check([a["pcap_cnt"] for a in alerts(ev, 1)] == [big],
          "large segments: split pattern once on packet %d" % big)
    check([a["pcap_cnt"] for a in alerts(ev, 2)] == [4], "large segments: marker once")

    ev = run(moatd, c, None)
    check(not [e for e in ev if e["event_type"] == "alert"], "no rules: no alerts")

    # HTTP: request and response rules, flowbits
    c = Conn()
    c.handshake()
    req = c.pkt(0, 0x18, b"GET /evil.php?x=1 HTTP/1.1\r\nHost: Example.COM:8080\r\n"
                b"User-Agent: tester\r\nCookie: c=secret\r\n\r\n")
    body = b"hello world"
    resp = c.pkt(1, 0x18, b"HTTP/1.1 200 OK\r\nServer:   srv\r\n"
                 b"Content-Disposition: attachment; filename=\"report.txt\"\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    c.pkt(0, 0x10)
    c.close()
    rules = (
        'alert http any any -> any any (msg:"uri"; flow:to_server; http.uri; '
        'content:"/evil.php"; flowbits:set,evil; sid:10;)\n'
        'alert http any any -> any any (msg:"host"; http.host; content:"example.com"; '
        'endswith; sid:11;)\n'
        'alert http any any -> any any (msg:"hdr"; http.header; content:"Cookie"; sid:12;)\n'
        'alert http any any -> any any (msg:"body"; flow:to_client; file.data; '
        'content:"hello"; flowbits:isset,evil; sid:13;)\n'
        'alert http any any -> any any (msg:"quiet"; http.method; content:"GET"; '
        'flowbits:set,q; flowbits:noalert; sid:14;)\n'
        'alert http any any -> any any (msg:"raw"; flow:to_client; http.header.raw; '
        'content:"Server|3a 20 20 20|srv|0d 0a|"; sid:15;)\n'
        'alert http any any -> any any (msg:"norm"; flow:to_client; http.header; '
        'content:"Server|3a 20|srv|0d 0a|"; sid:16;)\n')
    ev = run(moatd, c, rules)
    a = alerts(ev, 10)
    check(len(a) == 1, "http uri: one alert (got %d)" % len(a))
    if a:
        a = a[0]
        check(a["pcap_cnt"] == req, "http uri: on the request packet %d (%s)" %
              (req, a.get("pcap_cnt")))
        check(a.get("tx_id") == 0 and a.get("app_proto") == "http",
              "http uri: tx_id 0, app_proto http")
        check(a.get("http", {}).get("url") == "/evil.php?x=1", "http uri: http object")
        check(a["alert"]["action"] == "allowed" and a["alert"]["signature"] == "uri",
              "http uri: action, signature")
    check(len(alerts(ev, 11)) == 1, "http.host lowercased without the port")
    check(len(alerts(ev, 12)) == 0, "http.header leaves out Cookie")
    a = alerts(ev, 13)
    check(len(a) == 1 and a[0]["pcap_cnt"] == resp and a[0]["src_port"] == 80,
          "response body rule with flowbits: once, on the response packet %d (%s)" %
          (resp, [x.get("pcap_cnt") for x in a]))
    check(len(alerts(ev, 14)) == 0, "flowbits:noalert: no alert")
    check(len(alerts(ev, 15)) == 1, "http.header.raw keeps the spacing as received")
    check(len(alerts(ev, 16)) == 1, "http.header has the value trimmed")
    fi = [e for e in ev if e["event_type"] == "fileinfo"]
    check(len(fi) == 1 and fi[0]["fileinfo"]["filename"] == "report.txt" and
          fi[0]["fileinfo"]["size"] == len(body) and fi[0]["fileinfo"]["state"] == "CLOSED",
          "fileinfo: Content-Disposition name, size, CLOSED (%s)" %
          (fi and fi[0]["fileinfo"]))

    # pass: a matching pass rule silences the packet's alerts and passes the flow
    c = Conn()
    c.handshake()
    before = c.pkt(0, 0x18, b"EVIL one")
    c.pkt(0, 0x18, b"EVIL PASSME")
    c.pkt(0, 0x18, b"EVIL later")
    c.close()
    rules = ('alert tcp any any -> any any (msg:"evil"; content:"EVIL"; sid:31;)\n'
             'pass tcp any any -> any any (msg:"pass"; content:"PASSME"; sid:30;)\n')
    ev = run(moatd, c, rules)
    check([a["pcap_cnt"] for a in alerts(ev, 31)] == [before] and not alerts(ev, 30),
          "pass: alerts before it only, the pass itself not logged (%s)" %
          [(a["pcap_cnt"], a["alert"]["signature_id"]) for a in ev
           if a["event_type"] == "alert"])

    # midstream pickup whose first data is a response from a high port: the flow is
    # reversed (as Suricata does), so the response is to_client and parsed as HTTP
    c = Conn()
    c.port = [8080, 51000]
    c.addr = [ip("198.19.0.1"), ip("198.18.0.1")]
    c.pkt(0, 0x18, b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    c.pkt(1, 0x10)
    rules = ('alert http any any -> any any (msg:"code"; flow:to_client; http.stat_code; '
             'content:"200"; sid:20;)\n')
    ev = run(moatd, c, rules, ["--set", "stream.midstream=true"])
    a = alerts(ev, 20)
    check(len(a) == 1 and a[0]["src_port"] == 8080 and a[0]["dest_port"] == 51000 and
          a[0].get("flow", {}).get("src_ip") == "198.18.0.1",
          "response-first pickup: reversed flow, to_client alert (%s)" %
          [(x["src_port"], x.get("flow")) for x in a])
    fl = [e for e in ev if e["event_type"] == "flow"]
    check(fl and fl[0]["src_ip"] == "198.18.0.1" and fl[0]["flow"]["pkts_toserver"] == 1 and
          fl[0]["app_proto"] == "http", "response-first pickup: flow event reversed")

    return finish()

if __name__ == "__main__":
    sys.exit(main())
