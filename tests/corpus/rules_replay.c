// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test tool for the differential check against Suricata (rules_vs_suricata.py): loads a
 * rules file, reads an Ethernet/IPv4/UDP pcap with libpcap, runs each UDP payload through
 * detect_run() as a packet input and prints "PCAP_CNT SID" per alert. Only what the
 * check needs is decoded here (the real decoder is the dpi room's).
 * Usage: rules_replay RULES PCAP
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include "rules.h"

static int on_alert(void *user, const struct detect_input *in, const struct detect_alert *a)
{
	if (!a->noalert)
		printf("%llu %u\n", *(unsigned long long *)user, a->rule->sid);
	return 0;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct ruleset_opts opts = { 0 };
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct detect_ctx *ctx = NULL;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	unsigned long long cnt = 0;
	pcap_t *p;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: rules_replay RULES PCAP\n");
		return 2;
	}
	if (ruleset_load((const char *const[]){ argv[1] }, 1, &opts, &rs, &d) < 0 ||
	    detect_ctx_new(rs, &ctx) < 0) {
		fprintf(stderr, "rules_replay: cannot load %s\n", argv[1]);
		return 2;
	}
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s:%u: sid %u: %s\n", d.v[i].file, d.v[i].line, d.v[i].sid,
			d.v[i].message);
	p = pcap_open_offline(argv[2], errbuf);
	if (!p) {
		fprintf(stderr, "rules_replay: %s\n", errbuf);
		return 2;
	}
	while ((r = pcap_next_ex(p, &h, &pkt)) == 1) {
		struct detect_input in = { 0 };
		unsigned int ihl;

		cnt++;
		if (h->caplen < 14 + 20 + 8 || pkt[12] != 0x08 || pkt[13] != 0x00)
			continue;
		ihl = (pkt[14] & 0x0f) * 4u;
		if (pkt[14 + 9] != IPPROTO_UDP || h->caplen < 14 + ihl + 8)
			continue;
		in.pkt.family = AF_INET;
		in.pkt.ip_proto = IPPROTO_UDP;
		memcpy(in.pkt.src, pkt + 14 + 12, 4);
		memcpy(in.pkt.dst, pkt + 14 + 16, 4);
		in.pkt.ttl = pkt[14 + 8];
		in.pkt.sport = (uint16_t)(pkt[14 + ihl] << 8 | pkt[14 + ihl + 1]);
		in.pkt.dport = (uint16_t)(pkt[14 + ihl + 2] << 8 | pkt[14 + ihl + 3]);
		in.pkt.flags = DETECT_PKT_TO_SERVER;
		in.pkt.app_proto = DETECT_APP_UNKNOWN;
		in.buf[DETECT_BUF_PKT].data = pkt + 14 + ihl + 8;
		in.buf[DETECT_BUF_PKT].len = h->caplen - 14 - ihl - 8;
		in.pkt.dsize = (uint32_t)in.buf[DETECT_BUF_PKT].len;
		in.pkt.ts_usec = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		if (detect_run(ctx, NULL, &in, on_alert, &cnt) < 0)
			return 1;
	}
	pcap_close(p);
	detect_ctx_free(ctx);
	ruleset_free(rs);
	rule_diags_done(&d);
	return r == -2 ? 0 : 1;
}
