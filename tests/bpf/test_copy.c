// SPDX-License-Identifier: GPL-2.0-only
/* bpf suite: packet copies to userspace and the in-kernel HTTP checks of moat's TC programs. */

/*
 * Crafted frames go through the TC programs with bpf_prog_test_run_opts(); the records are
 * read back through the library's consumers (ring buffer and perf buffer transports) and
 * compared byte for byte with what went in. The last case attaches to a veth pair in a private
 * network namespace and sends real frames through it (AF_PACKET), bounded in count.
 * Exits 77 without root or bpf(). Output: one "ok"/"FAIL" line per case, then a total.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/datapath.h"
#include "lib/lib.h"
#include "check.h"

/* ---- frames ---- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

struct pkt {
	uint8_t b[4096];
	size_t len;
};

struct tuple {
	int family; /* 4 or 6 */
	int proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void put16(struct pkt *p, uint16_t v)
{
	v = htons(v);
	put(p, &v, 2);
}

static void put32(struct pkt *p, uint32_t v)
{
	v = htonl(v);
	put(p, &v, 4);
}

static struct tuple tup(int proto, const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct tuple t = { .proto = proto, .sport = sport, .dport = dport };

	t.family = strchr(src, ':') ? 6 : 4;
	if (inet_pton(t.family == 4 ? AF_INET : AF_INET6, src, t.src) != 1 ||
	    inet_pton(t.family == 4 ? AF_INET : AF_INET6, dst, t.dst) != 1)
		abort();
	return t;
}

static struct tuple reverse(struct tuple t)
{
	struct tuple r = t;

	memcpy(r.src, t.dst, 16);
	memcpy(r.dst, t.src, 16);
	r.sport = t.dport;
	r.dport = t.sport;
	return r;
}

/* Ethernet + IPv4/IPv6 + TCP (flags) or UDP + payload. */
static struct pkt frame(const struct tuple *t, uint8_t flags, const void *payload, size_t plen)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	struct pkt p = { .len = 0 };
	size_t l4len = (t->proto == IPPROTO_TCP ? 20 : 8) + plen;

	put(&p, macs, 12);
	put16(&p, t->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (t->family == 4) {
		put16(&p, 0x4500);
		put16(&p, 20 + l4len);
		put32(&p, 0x12344000);
		p.b[p.len++] = 64;
		p.b[p.len++] = t->proto;
		put16(&p, 0);
		put(&p, t->src, 4);
		put(&p, t->dst, 4);
	} else {
		put32(&p, 0x60000000);
		put16(&p, l4len);
		p.b[p.len++] = t->proto;
		p.b[p.len++] = 64;
		put(&p, t->src, 16);
		put(&p, t->dst, 16);
	}
	put16(&p, t->sport);
	put16(&p, t->dport);
	if (t->proto == IPPROTO_TCP) {
		put32(&p, 1000);
		put32(&p, 2000);
		p.b[p.len++] = 5 << 4;
		p.b[p.len++] = flags;
		put16(&p, 65535);
		put32(&p, 0);
	} else {
		put16(&p, l4len);
		put16(&p, 0);
	}
	put(&p, payload, plen);
	while (p.len < 60)
		p.b[p.len++] = 0;
	return p;
}

static struct pkt text(const struct tuple *t, uint8_t flags, const char *s)
{
	return frame(t, flags, s, strlen(s));
}

/* ---- records ---- */

#define MAX_RECS 512

struct rec {
	struct moat_pkt p;
	uint8_t data[4096];
};

struct sink {
	struct rec r[MAX_RECS];
	int n;
	int overflow;
};

static int collect(void *ctx, const struct moat_pkt *p)
{
	struct sink *s = ctx;
	struct rec *r;

	if (s->n == MAX_RECS || p->cap_len > sizeof(r->data)) {
		s->overflow++;
		return 0;
	}
	r = &s->r[s->n++];
	r->p = *p;
	memcpy(r->data, p->data, p->cap_len);
	r->p.data = r->data;
	return 0;
}

struct env {
	struct moat_dp *dp;
	int fd[2]; /* TC ingress, TC egress */
	struct moat_dp_copy_cfg cfg;
	struct moat_dp_consumer *cons[MOAT_MAX_WORKERS];
	struct sink sink[MOAT_MAX_WORKERS];
};

enum { IN, OUT };

static void consumers_free(struct env *e)
{
	for (int i = 0; i < MOAT_MAX_WORKERS; i++) {
		moat_dp_consumer_free(e->cons[i]);
		e->cons[i] = NULL;
	}
}

/* (Re)start copying with e->cfg and open one consumer per worker. */
static int start(struct env *e)
{
	int r;

	consumers_free(e);
	r = moat_dp_copy_start(e->dp, &e->cfg);
	CHECK(r == 0, "copy start: %s", moat_dp_errmsg(e->dp));
	if (r < 0)
		return r;
	for (unsigned int w = 0; w < e->cfg.n_workers; w++) {
		e->sink[w].n = 0;
		r = moat_dp_consumer_new(e->dp, w, collect, &e->sink[w], &e->cons[w]);
		CHECK(r == 0, "consumer %u: %s", w, moat_dp_errmsg(e->dp));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Deliver everything pending; returns records delivered. */
static int drain(struct env *e)
{
	int total = 0;

	for (unsigned int w = 0; w < e->cfg.n_workers; w++) {
		int r;

		while ((r = moat_dp_consumer_poll(e->cons[w], 0)) > 0)
			total += r;
		CHECK(r >= 0, "poll worker %u: %d", w, r);
	}
	return total;
}

static void clear(struct env *e)
{
	drain(e);
	for (int w = 0; w < MOAT_MAX_WORKERS; w++)
		e->sink[w].n = 0;
}

/* Run one frame through TC ingress or egress; returns the TC action or -errno. */
static int run(struct env *e, int hook, const struct pkt *p, size_t len)
{
	uint8_t out[4200];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(e->fd[hook], &o) < 0)
		return -errno;
	return (int)o.retval;
}

/* Like run(), at TC egress, for a packet that came in on another interface (forwarded). */
static int run_forwarded(struct env *e, const struct pkt *p)
{
	struct __sk_buff skb = { .ingress_ifindex = 7 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->len, .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb), .repeat = 1);

	if (bpf_prog_test_run_opts(e->fd[OUT], &o) < 0)
		return -errno;
	return (int)o.retval;
}

static struct moat_dp_copy_stats cstats(struct env *e)
{
	struct moat_dp_copy_stats s = {};

	CHECK(moat_dp_copy_stats(e->dp, -1, &s) == 0, "copy stats: %s", moat_dp_errmsg(e->dp));
	return s;
}

static uint64_t reason_count(struct env *e, int hook, int verdict, int reason)
{
	struct moat_dp_stats s;

	if (moat_dp_stats(e->dp, &s) < 0)
		return UINT64_MAX;
	return s.c[MOAT_STATS_IDX(hook, verdict, reason)].packets;
}

static struct moat_dp_flow dpflow(const struct tuple *t)
{
	struct moat_dp_flow f = { .family = t->family, .proto = t->proto };

	memcpy(f.saddr, t->src, 16);
	memcpy(f.daddr, t->dst, 16);
	f.sport = t->sport;
	f.dport = t->dport;
	return f;
}

/* All records delivered since the last clear(), in worker order. */
static int total(struct env *e)
{
	int n = 0;

	for (unsigned int w = 0; w < e->cfg.n_workers; w++)
		n += e->sink[w].n;
	return n;
}

/* The single record delivered since the last clear() (NULL if not exactly one). */
static struct rec *only(struct env *e, unsigned int *ret_worker)
{
	struct rec *r = NULL;

	drain(e);
	if (total(e) != 1)
		return NULL;
	for (unsigned int w = 0; w < e->cfg.n_workers; w++)
		if (e->sink[w].n) {
			r = &e->sink[w].r[0];
			if (ret_worker)
				*ret_worker = w;
		}
	return r;
}

/* ---- cases ---- */

static void test_record(struct env *e)
{
	int f0 = failures;
	struct tuple t = tup(IPPROTO_TCP, "198.18.0.1", "198.19.0.1", 40000, 80);
	struct tuple t6 = tup(IPPROTO_UDP, "fd00:6d6f:6174::1", "fd00:6d6f:6174:1::1", 5353, 53);
	uint64_t now = moat_dp_now_ns();

	for (int hook = IN; hook <= OUT; hook++) {
		const struct tuple *tt = hook == IN ? &t : &t6;
		struct pkt p = hook == IN ? text(tt, TH_SYN, "") : text(tt, 0, "hello dns");
		unsigned int w = 99;
		struct rec *r;

		clear(e);
		CHECK(run(e, hook, &p, p.len) == TC_ACT_UNSPEC, "passes");
		r = only(e, &w);
		CHECK(r, "one record (got %d)", total(e));
		if (!r)
			continue;
		CHECK(r->p.kind == MOAT_PKT_COPY && r->p.http_check == 0, "kind %u", r->p.kind);
		CHECK(r->p.hook == (hook == IN ? MOAT_HOOK_TC_IN : MOAT_HOOK_TC_OUT), "hook %u",
		      r->p.hook);
		CHECK(r->p.ifindex == 1, "ifindex %u (test runs use the loopback)", r->p.ifindex);
		CHECK(r->p.wire_len == p.len && r->p.cap_len == p.len, "lengths %u/%u want %zu",
		      r->p.wire_len, r->p.cap_len, p.len);
		CHECK(memcmp(r->data, p.b, p.len) == 0, "the frame's bytes");
		CHECK(r->p.ts_ns >= now && r->p.ts_ns <= moat_dp_now_ns(), "timestamp in range");
		{
			struct moat_dp_flow f = dpflow(tt);

			CHECK(w == moat_dp_flow_worker(&f, e->cfg.n_workers),
			      "worker %u = moat_dp_flow_worker", w);
		}
	}
	/* snaplen cuts the copy, wire_len keeps the truth. */
	{
		char big[1000];
		struct pkt p;
		struct rec *r;

		memset(big, 'x', sizeof(big));
		p = frame(&t, TH_ACK, big, sizeof(big));
		e->cfg.snaplen = 100;
		start(e);
		clear(e);
		run(e, IN, &p, p.len);
		r = only(e, NULL);
		CHECK(r && r->p.cap_len == 100 && r->p.wire_len == p.len &&
			      memcmp(r->data, p.b, 100) == 0,
		      "snaplen 100: cap %u wire %u", r ? r->p.cap_len : 0, r ? r->p.wire_len : 0);
		e->cfg.snaplen = MOAT_SNAPLEN_MAX;
		start(e);
	}
	section("records: header fields, frame bytes, both hooks, v4/v6, TCP/UDP, snaplen", f0);
}

static void test_symmetric(struct env *e)
{
	int f0 = failures, used[MOAT_MAX_WORKERS] = { 0 }, nused = 0, mismatch = 0;

	srand(42);
	for (int i = 0; i < 300; i++) {
		char a[64], b[64];
		struct tuple t;
		struct pkt p1, p2;
		unsigned int w1 = 99, w2 = 98;
		struct rec *r;

		if (i % 2)
			snprintf(a, sizeof(a), "198.18.%d.%d", rand() % 256, rand() % 256),
				snprintf(b, sizeof(b), "198.19.%d.%d", rand() % 256, rand() % 256);
		else
			snprintf(a, sizeof(a), "fd00:6d6f:6174:%x::%x", rand() % 65536,
				 rand() % 65536),
				snprintf(b, sizeof(b), "fd00:6d6f:6174:%x::%x", rand() % 65536,
					 rand() % 65536);
		t = tup(i % 3 ? IPPROTO_TCP : IPPROTO_UDP, a, b, 1024 + rand() % 60000,
			1 + rand() % 1024);
		p1 = text(&t, TH_SYN, "");
		{
			struct tuple rt = reverse(t);

			p2 = text(&rt, TH_SYN | TH_ACK, "");
		}
		clear(e);
		run(e, IN, &p1, p1.len);
		r = only(e, &w1);
		clear(e);
		run(e, OUT, &p2, p2.len);
		r = r ? only(e, &w2) : NULL;
		if (!r || w1 != w2)
			mismatch++;
		else if (!used[w1]++)
			nused++;
	}
	CHECK(mismatch == 0, "%d of 300 flows: directions on different workers", mismatch);
	CHECK(nused == (int)e->cfg.n_workers, "all %u workers used (%d)", e->cfg.n_workers, nused);
	for (unsigned int w = 0; w < e->cfg.n_workers; w++)
		CHECK(used[w] > 300 / (int)e->cfg.n_workers / 3, "worker %u got %d of 300 flows", w,
		      used[w]);
	section("symmetric flow hash: both directions of 300 random flows meet on one worker", f0);
}

static void test_depth_and_bypass(struct env *e)
{
	int f0 = failures;
	char sixty[61];
	struct tuple t = tup(IPPROTO_TCP, "198.18.1.1", "198.19.1.1", 41000, 80), rt = reverse(t);
	struct pkt syn = text(&t, TH_SYN, ""), d1, fin, rst, back;
	struct moat_dp_copy_stats s0, s1;
	struct moat_dp_flow f;

	memset(sixty, 'd', 60);
	sixty[60] = '\0';
	d1 = text(&t, TH_ACK | TH_PSH, sixty);
	fin = text(&t, TH_ACK | TH_FIN, "");
	rst = text(&t, TH_RST, "");
	back = text(&rt, TH_ACK | TH_PSH, sixty);
	e->cfg.depth = 100;
	start(e);
	clear(e);
	s0 = cstats(e);
	run(e, IN, &syn, syn.len);
	run(e, IN, &d1, d1.len); /* 0 -> 60 */
	run(e, IN, &d1, d1.len); /* 60 -> 120: still copied (under depth when it came) */
	run(e, IN, &d1, d1.len); /* 120 >= 100: skipped */
	run(e, IN, &d1, d1.len); /* skipped */
	run(e, OUT, &back, back.len); /* the other direction has its own budget */
	run(e, IN, &fin, fin.len); /* control: always */
	run(e, IN, &rst, rst.len);
	drain(e);
	s1 = cstats(e);
	CHECK(total(e) == 6, "6 records (SYN, 2 data, reply, FIN, RST), got %d", total(e));
	CHECK(s1.copied - s0.copied == 6, "copied +%llu",
	      (unsigned long long)(s1.copied - s0.copied));
	CHECK(s1.depth_skipped - s0.depth_skipped == 2, "depth_skipped +%llu",
	      (unsigned long long)(s1.depth_skipped - s0.depth_skipped));

	/* Bypass, named in the reverse direction: nothing more, not even FIN/RST. */
	clear(e);
	f = dpflow(&rt);
	CHECK(moat_dp_flow_bypass(e->dp, &f) == 0, "bypass: %s", moat_dp_errmsg(e->dp));
	s0 = cstats(e);
	run(e, OUT, &back, back.len);
	run(e, IN, &fin, fin.len);
	drain(e);
	s1 = cstats(e);
	CHECK(total(e) == 0, "bypassed flow copies nothing (%d)", total(e));
	CHECK(s1.bypassed - s0.bypassed == 2, "bypassed +%llu",
	      (unsigned long long)(s1.bypassed - s0.bypassed));
	/* A bypass of a flow the kernel has not seen yet holds from its first packet... */
	{
		struct tuple u = tup(IPPROTO_UDP, "198.18.1.2", "198.19.1.2", 1111, 2222);
		struct pkt up = text(&u, 0, "x");

		f = dpflow(&u);
		CHECK(moat_dp_flow_bypass(e->dp, &f) == 0, "bypass unseen flow");
		clear(e);
		run(e, IN, &up, up.len);
		drain(e);
		CHECK(total(e) == 0, "unseen bypassed flow not copied");
	}
	/* ...and a new SYN on the tuple (a new connection) starts afresh. */
	clear(e);
	run(e, IN, &syn, syn.len);
	run(e, IN, &d1, d1.len);
	drain(e);
	CHECK(total(e) == 2, "new connection copied again (%d)", total(e));
	f.proto = IPPROTO_ICMP;
	CHECK(moat_dp_flow_bypass(e->dp, &f) == -EINVAL, "bypass of ICMP refused");
	e->cfg.depth = MOAT_DP_COPY_DEFAULT_DEPTH;
	start(e);
	section("depth per direction (FIN/RST always), bypass (both directions, unseen flows)", f0);
}

static void test_not_copied(struct env *e)
{
	int f0 = failures;
	struct tuple t = tup(IPPROTO_TCP, "198.18.2.1", "198.19.2.1", 42000, 80);
	struct pkt p = text(&t, TH_ACK | TH_PSH, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	struct moat_dp_copy_stats s0, s1;

	/* Truncated frames: a record never holds more than arrived, malformed ones none. */
	clear(e);
	for (size_t len = 14; len <= p.len; len++) {
		run(e, IN, &p, len);
		drain(e);
	}
	{
		int bad = 0;

		for (unsigned int w = 0; w < e->cfg.n_workers; w++)
			for (int i = 0; i < e->sink[w].n; i++) {
				struct rec *r = &e->sink[w].r[i];

				if (r->p.cap_len != r->p.wire_len || r->p.cap_len > p.len ||
				    memcmp(r->data, p.b, r->p.cap_len) != 0)
					bad++;
			}
		CHECK(bad == 0, "%d records beyond their frame or with wrong bytes", bad);
		/* copied: from the length where the TCP header is complete (14 + 20 + 20) */
		CHECK(total(e) == (int)(p.len - 54 + 1), "records for lengths 54..%zu: %d", p.len,
		      total(e));
	}
	/* An IPv4 length field claiming more than arrived: the copy is what arrived. */
	{
		struct pkt q = p;
		struct rec *r;

		q.b[16] = 0x05, q.b[17] = 0xdc; /* tot_len 1500 */
		clear(e);
		run(e, IN, &q, q.len);
		r = only(e, NULL);
		CHECK(r && r->p.cap_len == q.len, "lying length: cap %u", r ? r->p.cap_len : 0);
	}
	/* ICMP and non-first fragments are not copied. */
	{
		struct tuple ic = t;
		struct pkt q;

		ic.proto = IPPROTO_ICMP;
		q = frame(&ic, 0, "", 0);
		q.b[23] = IPPROTO_ICMP;
		clear(e);
		run(e, IN, &q, q.len);
		q = p;
		q.b[20] = 0x00, q.b[21] = 0x10; /* fragment offset 128 bytes */
		run(e, IN, &q, q.len);
		drain(e);
		CHECK(total(e) == 0, "ICMP / fragment copied (%d)", total(e));
	}
	/* Forwarded packets are copied at the ingress they came in on, not again at egress. */
	{
		clear(e);
		CHECK(run_forwarded(e, &p) == TC_ACT_UNSPEC, "forwarded: passes");
		drain(e);
		CHECK(total(e) == 0, "forwarded packet copied at egress (%d)", total(e));
	}
	/* A dropped packet is not copied. */
	{
		struct moat_dp_entry be = { .kind = MOAT_KIND_BLOCK, .dir = MOAT_DIR_SRC };

		cidr_parse_loose("198.18.2.1", &be.cidr);
		CHECK(moat_dp_add(e->dp, &be) == 0, "block source");
		clear(e);
		CHECK(run(e, IN, &p, p.len) == TC_ACT_SHOT, "blocked");
		drain(e);
		CHECK(total(e) == 0, "blocked packet copied");
		CHECK(moat_dp_delete(e->dp, &be) == 0, "unblock");
	}
	/* Disabled copying copies nothing and counts nothing. */
	consumers_free(e);
	CHECK(moat_dp_copy_stop(e->dp) == 0, "stop");
	CHECK(moat_dp_copy_stop(e->dp) == 0, "stop again");
	s0 = cstats(e);
	for (int i = 0; i < 10; i++)
		run(e, IN, &p, p.len);
	s1 = cstats(e);
	CHECK(memcmp(&s0, &s1, sizeof(s0)) == 0, "no copy counter moved while stopped");
	{
		struct moat_dp_consumer *c = NULL;

		CHECK(moat_dp_consumer_new(e->dp, 0, collect, &e->sink[0], &c) == -EINVAL,
		      "no consumer while stopped");
	}
	start(e);
	section("truncated frames, lying lengths, ICMP, fragments, forwarded at egress, drops, "
		"disabled: not copied",
		f0);
}

static void test_ring_full(struct env *e)
{
	int f0 = failures;
	struct tuple t = tup(IPPROTO_UDP, "198.18.3.1", "198.19.3.1", 3000, 4000);
	char pay[400];
	struct pkt p;
	struct moat_dp_copy_stats s0, s1;
	struct moat_dp_copy_cfg saved = e->cfg;

	memset(pay, 'r', sizeof(pay));
	p = frame(&t, 0, pay, sizeof(pay));
	e->cfg.n_workers = 1;
	e->cfg.ring_bytes = 4096;
	start(e);
	clear(e);
	s0 = cstats(e);
	for (int i = 0; i < 100; i++)
		run(e, IN, &p, p.len);
	s1 = cstats(e);
	CHECK(s1.lost - s0.lost > 0, "ring of one page full: lost +%llu",
	      (unsigned long long)(s1.lost - s0.lost));
	CHECK((s1.lost - s0.lost) + (s1.copied - s0.copied) == 100, "copied %llu + lost %llu",
	      (unsigned long long)(s1.copied - s0.copied), (unsigned long long)(s1.lost - s0.lost));
	drain(e);
	CHECK((uint64_t)total(e) == s1.copied - s0.copied, "delivered %d = copied", total(e));
	{
		struct moat_dp_copy_stats w0;

		CHECK(moat_dp_copy_stats(e->dp, 0, &w0) == 0 && w0.lost >= s1.lost - s0.lost,
		      "counted on worker 0");
		CHECK(moat_dp_copy_stats(e->dp, MOAT_MAX_WORKERS, &w0) == -EINVAL,
		      "bad worker index");
	}
	e->cfg = saved;
	start(e);
	section("ring full: every refused record counted as lost, per worker", f0);
}

static void test_perf(struct env *e)
{
	int f0 = failures;
	struct tuple t = tup(IPPROTO_TCP, "198.18.4.1", "198.19.4.1", 43000, 443);
	struct pkt ps[3];
	struct rec ring[3];
	struct moat_dp_copy_cfg saved = e->cfg;

	ps[0] = text(&t, TH_SYN, "");
	ps[1] = text(&t, TH_ACK | TH_PSH, "some payload bytes");
	ps[2] = text(&t, TH_FIN | TH_ACK, "");
	for (int tr = 0; tr < 2; tr++) {
		e->cfg.transport = tr ? MOAT_COPY_PERFBUF : MOAT_COPY_RINGBUF;
		if (start(e) < 0)
			break;
		for (int i = 0; i < 3; i++) {
			unsigned int w;
			struct rec *r;

			clear(e);
			run(e, i == 1 ? OUT : IN, &ps[i], ps[i].len);
			r = only(e, &w);
			CHECK(r, "%s: one record for frame %d", tr ? "perf" : "ring", i);
			if (!r)
				continue;
			if (!tr) {
				ring[i] = *r;
				continue;
			}
			CHECK(r->p.kind == ring[i].p.kind && r->p.hook == ring[i].p.hook &&
				      r->p.ifindex == ring[i].p.ifindex &&
				      r->p.wire_len == ring[i].p.wire_len &&
				      r->p.cap_len == ring[i].p.cap_len &&
				      r->p.worker == ring[i].p.worker &&
				      memcmp(r->data, ring[i].data, r->p.cap_len) == 0,
			      "perf record %d equals the ring record", i);
		}
	}
	/* Perf buffers full are counted as lost too. */
	{
		char pay[1000];
		struct pkt big;
		struct moat_dp_copy_stats s0, s1;

		memset(pay, 'p', sizeof(pay));
		big = frame(&t, TH_ACK, pay, sizeof(pay));
		e->cfg.ring_bytes = 4096;
		e->cfg.n_workers = 1;
		start(e);
		s0 = cstats(e);
		for (int i = 0; i < 50; i++)
			run(e, IN, &big, big.len);
		s1 = cstats(e);
		CHECK(s1.lost > s0.lost && s1.lost - s0.lost + s1.copied - s0.copied == 50,
		      "perf: lost %llu, copied %llu", (unsigned long long)(s1.lost - s0.lost),
		      (unsigned long long)(s1.copied - s0.copied));
		drain(e);
		CHECK((uint64_t)total(e) == s1.copied - s0.copied, "perf delivered %d", total(e));
	}
	e->cfg = saved;
	start(e);
	section("perf buffer transport: the same records as the ring buffer, losses counted", f0);
}

/* ---- HTTP checks ---- */

struct http_case {
	const char *name;
	int check;
	const char *request;
};

static void test_http(struct env *e)
{
	int f0 = failures;
	static const struct http_case cases[] = {
		{ "method", MOAT_HTTP_METHOD, "TRACE / HTTP/1.1\r\nHost: ok.example\r\n\r\n" },
		{ "host", MOAT_HTTP_HOST,
		  "GET / HTTP/1.1\r\nUser-Agent: t\r\nhOsT:  Evil.Example:8080 \r\n\r\n" },
		{ "uri prefix", MOAT_HTTP_URI_PREFIX,
		  "GET /admin/login.php HTTP/1.1\r\nHost: ok.example\r\n\r\n" },
		{ "request line", MOAT_HTTP_REQUEST_LINE_LEN,
		  "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
		  "HTTP/1.1\r\nHost: ok.example\r\n\r\n" },
		{ "header line", MOAT_HTTP_HEADER_LEN,
		  "GET / HTTP/1.1\r\nHost: ok.example\r\nX-Long: "
		  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n" },
		{ "host after a method too long for any key", MOAT_HTTP_HOST,
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\nHost: evil.example\r\n\r\n" },
		{ "host after a one-letter header", MOAT_HTTP_HOST,
		  "GET / HTTP/1.1\r\nA\r\nHost: evil.example\r\n\r\n" },
		{ "request line (only part seen)", MOAT_HTTP_REQUEST_LINE_LEN,
		  "GET /cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" },
	};
	static const char *const benign[] = {
		"GET / HTTP/1.1\r\nHost: ok.example\r\n\r\n",
		"POST /adminx HTTP/1.1\r\nHost: evil.example.org\r\nX-Host: evil.example\r\n\r\n",
		"GET /Admin HTTP/1.0\r\nHost: [fd00::1]:80\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n", /* not HTTP */
	};
	struct moat_dp_copy_stats s0, s1;
	uint64_t hits;

	CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_METHOD, "TRACE") == 0, "add method: %s",
	      moat_dp_errmsg(e->dp));
	CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_HOST, "evil.EXAMPLE") == 0, "add host: %s",
	      moat_dp_errmsg(e->dp));
	CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_URI_PREFIX, "/admin/") == 0, "add uri: %s",
	      moat_dp_errmsg(e->dp));
	CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_URI_PREFIX, "/admin/") == 0, "re-add: no-op");
	CHECK(moat_dp_http_set_limits(e->dp, 60, 50) == 0, "limits: %s", moat_dp_errmsg(e->dp));

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct http_case *hc = &cases[i];
		struct tuple t = tup(IPPROTO_TCP, "198.18.5.1", "198.19.5.1", 44000 + i, 80);
		struct tuple rt = reverse(t);
		struct pkt syn = text(&t, TH_SYN, ""), req = text(&t, TH_ACK | TH_PSH, hc->request);
		struct pkt ack = text(&t, TH_ACK, ""), reply = text(&rt, TH_ACK, "");
		uint64_t d0 = reason_count(e, MOAT_HOOK_TC_IN, MOAT_V_DROP, MOAT_R_HTTP);
		uint64_t o0 = reason_count(e, MOAT_HOOK_TC_OUT, MOAT_V_DROP, MOAT_R_HTTP);
		struct rec *r;

		s0 = cstats(e);
		clear(e);
		CHECK(run(e, IN, &syn, syn.len) == TC_ACT_UNSPEC, "%s: SYN passes", hc->name);
		CHECK(run(e, IN, &req, req.len) == TC_ACT_SHOT, "%s: request dropped", hc->name);
		CHECK(run(e, IN, &ack, ack.len) == TC_ACT_SHOT, "%s: later packet dropped",
		      hc->name);
		CHECK(run(e, OUT, &reply, reply.len) == TC_ACT_SHOT, "%s: reply dropped", hc->name);
		s1 = cstats(e);
		CHECK(s1.http_blocked - s0.http_blocked == 3, "%s: http_blocked +%llu", hc->name,
		      (unsigned long long)(s1.http_blocked - s0.http_blocked));
		CHECK(reason_count(e, MOAT_HOOK_TC_IN, MOAT_V_DROP, MOAT_R_HTTP) == d0 + 2 &&
			      reason_count(e, MOAT_HOOK_TC_OUT, MOAT_V_DROP, MOAT_R_HTTP) == o0 + 1,
		      "%s: drop/http counters", hc->name);
		drain(e);
		CHECK(total(e) == 2, "%s: SYN copy + block event (%d)", hc->name, total(e));
		r = NULL;
		for (unsigned int w = 0; w < e->cfg.n_workers; w++)
			for (int k = 0; k < e->sink[w].n; k++)
				if (e->sink[w].r[k].p.kind == MOAT_PKT_HTTP_BLOCK)
					r = &e->sink[w].r[k];
		CHECK(r && r->p.http_check == hc->check && r->p.cap_len == req.len &&
			      memcmp(r->data, req.b, req.len) == 0,
		      "%s: HTTP_BLOCK event with check %d and the packet (got check %d)", hc->name,
		      hc->check, r ? r->p.http_check : -1);
	}
	CHECK(moat_dp_http_hits(e->dp, MOAT_HTTP_HOST, "Evil.example", &hits) == 0 && hits == 3,
	      "host entry hit 3 times (%llu)", (unsigned long long)hits);
	CHECK(moat_dp_http_hits(e->dp, MOAT_HTTP_URI_PREFIX, "/admin/", &hits) == 0 && hits == 1,
	      "uri entry hit once");

	for (size_t i = 0; i < ARRAY_SIZE(benign); i++) {
		struct tuple t = tup(IPPROTO_TCP, "198.18.6.1", "198.19.6.1", 45000 + i, 80);
		struct pkt syn = text(&t, TH_SYN, ""), req = text(&t, TH_ACK | TH_PSH, benign[i]);

		clear(e);
		run(e, IN, &syn, syn.len);
		CHECK(run(e, IN, &req, req.len) == TC_ACT_UNSPEC, "benign %zu passes: %s", i,
		      benign[i]);
		drain(e);
		CHECK(total(e) == 2, "benign %zu copied (%d)", i, total(e));
	}
	/* Only the first request segment is checked; flows picked up mid-stream are not. */
	{
		struct tuple t = tup(IPPROTO_TCP, "198.18.7.1", "198.19.7.1", 46000, 80);
		struct pkt syn = text(&t, TH_SYN, ""), ok = text(&t, TH_ACK | TH_PSH, benign[0]),
			   bad = text(&t, TH_ACK | TH_PSH, cases[0].request);
		struct tuple m = tup(IPPROTO_TCP, "198.18.7.2", "198.19.7.2", 46001, 80);
		struct pkt mid = text(&m, TH_ACK | TH_PSH, cases[0].request);
		struct pkt part = text(&t, TH_ACK | TH_PSH, "GET /x");

		run(e, IN, &syn, syn.len);
		run(e, IN, &ok, ok.len);
		CHECK(run(e, IN, &bad, bad.len) == TC_ACT_UNSPEC, "second request not checked");
		CHECK(run(e, IN, &mid, mid.len) == TC_ACT_UNSPEC, "mid-stream flow not checked");
		/* the server's side is never checked (egress, and not the SYN sender) */
		{
			struct tuple rt = reverse(t);
			struct pkt srv = text(&rt, TH_ACK | TH_PSH, cases[0].request);

			t.sport++;
			syn = text(&t, TH_SYN, "");
			run(e, IN, &syn, syn.len);
			CHECK(run(e, OUT, &srv, srv.len) == TC_ACT_UNSPEC,
			      "server side not checked");
		}
		/* a request line not complete in its segment is counted */
		t.sport++;
		syn = text(&t, TH_SYN, "");
		part = text(&t, TH_ACK | TH_PSH, "GET /x");
		s0 = cstats(e);
		run(e, IN, &syn, syn.len);
		CHECK(run(e, IN, &part, part.len) == TC_ACT_UNSPEC, "partial request passes");
		s1 = cstats(e);
		CHECK(s1.http_incomplete - s0.http_incomplete == 1, "http_incomplete +%llu",
		      (unsigned long long)(s1.http_incomplete - s0.http_incomplete));
	}
	/* HTTP checks work with copying stopped (enforcement never depends on it). */
	{
		struct tuple t = tup(IPPROTO_TCP, "198.18.8.1", "198.19.8.1", 47000, 80);
		struct pkt syn = text(&t, TH_SYN, ""),
			   bad = text(&t, TH_ACK | TH_PSH, cases[0].request);

		consumers_free(e);
		moat_dp_copy_stop(e->dp);
		s0 = cstats(e);
		run(e, IN, &syn, syn.len);
		CHECK(run(e, IN, &bad, bad.len) == TC_ACT_SHOT, "dropped with copying stopped");
		s1 = cstats(e);
		CHECK(s1.lost == s0.lost && s1.copied == s0.copied, "no event, no loss counted");
		start(e);
	}
	section("HTTP checks: method, host, URI prefix, line lengths drop the flow + event", f0);
}

struct listed {
	int n;
	char s[8][160];
};

static int list_cb(enum moat_http_check k, const char *v, void *ctx)
{
	struct listed *l = ctx;

	if (l->n < 8)
		snprintf(l->s[l->n], sizeof(l->s[0]), "%s=%s", moat_dp_http_check_name(k), v);
	l->n++;
	return 0;
}

static void test_http_admin(struct env *e)
{
	int f0 = failures;
	struct listed l = { 0 };
	uint32_t a, b;
	char longv[200];

	CHECK(moat_dp_http_list(e->dp, list_cb, &l) == 3 && l.n == 3, "3 entries (%d)", l.n);
	CHECK(strcmp(l.s[0], "method=TRACE") == 0 && strcmp(l.s[1], "host=evil.example") == 0 &&
		      strcmp(l.s[2], "uri-prefix=/admin/") == 0,
	      "listed in order: %s %s %s", l.s[0], l.s[1], l.s[2]);
	CHECK(moat_dp_http_get_limits(e->dp, &a, &b) == 0 && a == 60 && b == 50, "limits");
	CHECK(moat_dp_http_delete(e->dp, MOAT_HTTP_METHOD, "TRACE") == 0, "delete method");
	CHECK(moat_dp_http_delete(e->dp, MOAT_HTTP_METHOD, "TRACE") == -ENOENT &&
		      strstr(moat_dp_errmsg(e->dp), "not blocked"),
	      "delete again: %s", moat_dp_errmsg(e->dp));
	CHECK(moat_dp_http_delete(e->dp, MOAT_HTTP_HOST, "EVIL.example") == 0, "delete host");
	CHECK(moat_dp_http_delete(e->dp, MOAT_HTTP_URI_PREFIX, "/admin/") == 0, "delete uri");
	CHECK(moat_dp_http_set_limits(e->dp, 0, 0) == 0, "no limits");
	{
		struct tuple t = tup(IPPROTO_TCP, "198.18.9.1", "198.19.9.1", 48000, 80);
		struct pkt syn = text(&t, TH_SYN, ""),
			   bad = text(&t, TH_ACK | TH_PSH,
				      "TRACE /admin/ HTTP/1.1\r\nHost: evil.example\r\n\r\n");

		run(e, IN, &syn, syn.len);
		CHECK(run(e, IN, &bad, bad.len) == TC_ACT_UNSPEC, "all checks gone: passes");
	}
	/* Validation: -EINVAL naming the value. */
	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	{
		static const struct {
			int kind;
			const char *v;
			const char *msg;
		} bad[] = {
			{ MOAT_HTTP_METHOD, "", "empty" },
			{ MOAT_HTTP_METHOD, "GE T", "not a token" },
			{ MOAT_HTTP_METHOD, "GET\r", "not a token" },
			{ MOAT_HTTP_HOST, "a.example:80", "no port" },
			{ MOAT_HTTP_HOST, "a/b", "not a host name" },
			{ MOAT_HTTP_HOST, "[fd00::1", "IPv6 literal" },
			{ MOAT_HTTP_URI_PREFIX, "admin", "must start with '/'" },
			{ MOAT_HTTP_URI_PREFIX, "/a b", "not visible ASCII" },
			{ MOAT_HTTP_REQUEST_LINE_LEN, "10", "a limit" },
			{ 99, "x", "unknown check" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			int r = moat_dp_http_add(e->dp, bad[i].kind, bad[i].v);

			CHECK(r == -EINVAL && strstr(moat_dp_errmsg(e->dp), bad[i].msg),
			      "\"%s\": r=%d msg \"%s\"", bad[i].v, r, moat_dp_errmsg(e->dp));
		}
		CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_METHOD, longv) == -EINVAL &&
			      strstr(moat_dp_errmsg(e->dp), "fixed-size key"),
		      "long method: %s", moat_dp_errmsg(e->dp));
		CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_HOST, longv) == -EINVAL &&
			      strstr(moat_dp_errmsg(e->dp), "fixed-size key"),
		      "long host: %s", moat_dp_errmsg(e->dp));
		longv[0] = '/';
		CHECK(moat_dp_http_add(e->dp, MOAT_HTTP_URI_PREFIX, longv) == -EINVAL &&
			      strstr(moat_dp_errmsg(e->dp), "fixed-size key"),
		      "long uri: %s", moat_dp_errmsg(e->dp));
		CHECK(moat_dp_http_set_limits(e->dp, MOAT_HTTP_SCAN, 0) == -EINVAL,
		      "limit beyond what the kernel reads");
	}
	/* Copy configuration is validated too. */
	{
		struct moat_dp_copy_cfg c;

		moat_dp_copy_cfg_init(&c);
		c.n_workers = 0;
		CHECK(moat_dp_copy_start(e->dp, &c) == -EINVAL &&
			      strstr(moat_dp_errmsg(e->dp), "n_workers"),
		      "n_workers 0: %s", moat_dp_errmsg(e->dp));
		moat_dp_copy_cfg_init(&c);
		c.ring_bytes = 5000;
		CHECK(moat_dp_copy_start(e->dp, &c) == -EINVAL &&
			      strstr(moat_dp_errmsg(e->dp), "ring_bytes"),
		      "ring_bytes 5000: %s", moat_dp_errmsg(e->dp));
		moat_dp_copy_cfg_init(&c);
		c.snaplen = MOAT_SNAPLEN_MAX + 1;
		CHECK(moat_dp_copy_start(e->dp, &c) == -EINVAL &&
			      strstr(moat_dp_errmsg(e->dp), "snaplen"),
		      "snaplen: %s", moat_dp_errmsg(e->dp));
	}
	section("HTTP entries: list, hits, delete, limits; values and copy config validated", f0);
}

static void read_mac(const char *ifname, uint8_t *mac)
{
	char path[64];
	unsigned int m[6];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	f = fopen(path, "re");
	if (f && fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6)
		for (int i = 0; i < 6; i++)
			mac[i] = m[i];
	if (f)
		fclose(f);
}

struct big_check {
	const uint8_t *want;
	size_t len;
	int seen, good;
};

static int big_cb(void *ctx, const struct moat_pkt *p)
{
	struct big_check *b = ctx;

	if (p->wire_len != b->len)
		return 0;
	b->seen++;
	if (p->cap_len == b->len && memcmp(p->data, b->want, b->len) == 0)
		b->good++;
	return 0;
}

/* A full HTTP map refuses with -ENOSPC naming the map; the entries already in stay. */
static void test_http_full(void)
{
	int f0 = failures;
	struct moat_dp_opts o = { .no_pin = true,
				  .block_entries = 16,
				  .allow_entries = 16,
				  .l4_entries = 16,
				  .note_entries = 16,
				  .flow_entries = 64,
				  .http_entries = 2 };
	struct moat_dp *dp = NULL;
	struct listed l = { 0 };
	char err[256];
	int r;

	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "open: %s", err);
	if (r < 0)
		return;
	CHECK(moat_dp_http_add(dp, MOAT_HTTP_METHOD, "PUT") == 0, "first");
	CHECK(moat_dp_http_add(dp, MOAT_HTTP_HOST, "a.example") == 0, "second");
	r = moat_dp_http_add(dp, MOAT_HTTP_METHOD, "DELETE");
	CHECK(r == -ENOSPC && strstr(moat_dp_errmsg(dp), "moat_http_h is full (2 entries)"),
	      "third: r=%d %s", r, moat_dp_errmsg(dp));
	CHECK(moat_dp_http_add(dp, MOAT_HTTP_URI_PREFIX, "/a") == 0, "the URI trie has room");
	CHECK(moat_dp_http_list(dp, list_cb, &l) == 3, "3 listed (%d)", l.n);
	moat_dp_close(dp);
	section("HTTP maps full: -ENOSPC naming the map, nothing lost", f0);
}

/* Real traffic: a veth pair in a private namespace, frames sent with AF_PACKET. */
static void test_veth(void)
{
	int f0 = failures, sock = -1;
	char root[128], err[256], cmd[300], ifa[16], ifb[16];
	struct moat_dp_opts o = { .block_entries = 64,
				  .allow_entries = 16,
				  .l4_entries = 16,
				  .note_entries = 16,
				  .flow_entries = 1024,
				  .http_entries = 16 };
	struct env *e = calloc(1, sizeof(*e));
	struct moat_dp_attach_report rep;
	int r, sent = 0;

	if (!e)
		abort();
	if (unshare(CLONE_NEWNET) < 0) {
		printf("skip veth: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		free(e);
		return;
	}
	snprintf(ifa, sizeof(ifa), "mca%d", (int)getpid() % 100000);
	snprintf(ifb, sizeof(ifb), "mcb%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name %s && ip link set %s up && "
		 "ip link set %s up",
		 ifa, ifb, ifa, ifb);
	if (system(cmd) != 0) {
		printf("skip veth: cannot create veth\n");
		free(e);
		return;
	}
	snprintf(root, sizeof(root), "/sys/fs/bpf/moat-test-copy-%d", (int)getpid());
	o.pin_root = root;
	r = moat_dp_open(&o, &e->dp, err, sizeof(err));
	CHECK(r == 0, "open: %s", err);
	if (r < 0)
		goto out;
	r = moat_dp_attach(e->dp, ifa, MOAT_XDP_OFF, true, &rep);
	CHECK(r == 0, "attach: %s", moat_dp_errmsg(e->dp));
	moat_dp_copy_cfg_init(&e->cfg);
	e->cfg.n_workers = 2;
	e->cfg.ring_bytes = 1 << 20;
	if (start(e) < 0)
		goto out;
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CHECK(sock >= 0, "packet socket: %s", strerror(errno));
	if (sock < 0)
		goto out;
	{
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_ifindex = (int)if_nametoindex(ifb),
					   .sll_halen = 6 };
		struct tuple t = tup(IPPROTO_UDP, "198.18.10.1", "198.18.10.2", 5000, 6000);
		struct pkt p = text(&t, 0, "veth payload");
		int got = 0, ok = 0;

		read_mac(ifa, p.b); /* the destination: ifa, so the frame is for the host */
		for (int i = 0; i < 200; i++) {
			p.b[p.len - 1] = i; /* tell them apart */
			if (sendto(sock, p.b, p.len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
			    (ssize_t)p.len)
				sent++;
		}
		CHECK(sent == 200, "sent %d frames", sent);
		for (int tries = 0; tries < 50 && got < sent; tries++) {
			for (unsigned int w = 0; w < e->cfg.n_workers; w++) {
				r = moat_dp_consumer_poll(e->cons[w], 20);
				CHECK(r >= 0, "poll: %d", r);
			}
			got = total(e);
		}
		for (unsigned int w = 0; w < e->cfg.n_workers; w++)
			for (int i = 0; i < e->sink[w].n; i++) {
				struct rec *rc = &e->sink[w].r[i];

				if (rc->p.hook == MOAT_HOOK_TC_IN &&
				    rc->p.ifindex == if_nametoindex(ifa) &&
				    rc->p.cap_len == p.len &&
				    memcmp(rc->data + 12, p.b + 12, p.len - 13) == 0)
					ok++;
			}
		CHECK(got == sent && ok == sent, "received %d records, %d as sent, of %d", got, ok,
		      sent);
		{
			struct moat_dp_copy_stats s;

			CHECK(moat_dp_copy_stats(e->dp, -1, &s) == 0 &&
				      s.copied >= (uint64_t)sent && s.lost == 0,
			      "copied %llu lost %llu", (unsigned long long)s.copied,
			      (unsigned long long)s.lost);
		}
		/* epoll fd readiness: one more frame makes a consumer fd readable */
		{
			struct pollfd pf[2];

			sendto(sock, p.b, p.len, 0, (struct sockaddr *)&sll, sizeof(sll));
			for (unsigned int w = 0; w < 2; w++)
				pf[w] = (struct pollfd){ .fd = moat_dp_consumer_fd(e->cons[w]),
							 .events = POLLIN };
			CHECK(poll(pf, 2, 1000) == 1, "one consumer fd readable");
		}
	}
	/* A 40,000-byte frame (MTU raised; like a GRO packet) is copied whole. */
	{
		static uint8_t big[40000];
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_ifindex = (int)if_nametoindex(ifb),
					   .sll_halen = 6 };
		struct tuple t = tup(IPPROTO_UDP, "198.18.10.1", "198.18.10.2", 5001, 6001);
		struct pkt hdr = frame(&t, 0, "", 0);
		struct big_check bc = { .want = big, .len = sizeof(big) };
		struct moat_dp_consumer *bcons[2] = { NULL, NULL };
		uint16_t v;

		snprintf(cmd, sizeof(cmd), "ip link set %s mtu 60000 && ip link set %s mtu 60000",
			 ifa, ifb);
		CHECK(system(cmd) == 0, "raise MTU");
		consumers_free(e);
		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (uint8_t)(i * 7);
		memcpy(big, hdr.b, 42);
		read_mac(ifa, big);
		v = htons(sizeof(big) - 14);
		memcpy(big + 16, &v, 2);
		v = htons(sizeof(big) - 34);
		memcpy(big + 38, &v, 2);
		for (unsigned int w = 0; w < 2; w++)
			CHECK(moat_dp_consumer_new(e->dp, w, big_cb, &bc, &bcons[w]) == 0,
			      "big consumer %u", w);
		CHECK(sendto(sock, big, sizeof(big), 0, (struct sockaddr *)&sll, sizeof(sll)) ==
			      (ssize_t)sizeof(big),
		      "send 40000 bytes: %s", strerror(errno));
		for (int tries = 0; tries < 50 && !bc.seen; tries++)
			for (unsigned int w = 0; w < 2; w++)
				if (bcons[w])
					moat_dp_consumer_poll(bcons[w], 10);
		CHECK(bc.seen == 1 && bc.good == 1,
		      "40000-byte frame copied whole (seen %d good %d)", bc.seen, bc.good);
		for (unsigned int w = 0; w < 2; w++)
			moat_dp_consumer_free(bcons[w]);
	}
	printf("     veth %s: %d frames sent, copied at TC ingress\n", ifa, sent);
out:
	if (sock >= 0)
		close(sock);
	consumers_free(e);
	if (e->dp)
		moat_dp_detach(e->dp, ifa);
	moat_dp_close(e->dp); /* without moat_dp_copy_stop(): closing stops copying too */
	{
		char path[200];
		struct moat_copy_cfg cc = { .enabled = 1 };
		uint32_t zero = 0;
		int fd;

		snprintf(path, sizeof(path), "%s/moat_ccfg", root);
		fd = bpf_obj_get(path);
		CHECK(fd >= 0 && bpf_map_lookup_elem(fd, &zero, &cc) == 0 && cc.enabled == 0,
		      "pinned copy config disabled after close (fd %d, enabled %u)", fd,
		      cc.enabled);
		if (fd >= 0)
			close(fd);
	}
	free(e);
	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null; rm -rf %s", ifa, root);
	if (system(cmd) != 0)
		printf("     cleanup of %s failed\n", root);
	section("veth: real frames at TC ingress reach the consumers, none lost", f0);
}

int main(void)
{
	struct moat_dp_opts o = { .no_pin = true,
				  .block_entries = 64,
				  .allow_entries = 16,
				  .l4_entries = 16,
				  .note_entries = 16,
				  .flow_entries = 4096,
				  .http_entries = 64 };
	struct env *e;
	char err[512];
	int r;

	if (geteuid() != 0) {
		printf("skip: needs root for bpf()\n");
		return 77;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return 1;
	r = moat_dp_open(&o, &e->dp, err, sizeof(err));
	if (r == -EPERM || r == -ENOSYS) {
		printf("skip: bpf() unavailable: %s\n", err);
		free(e);
		return 77;
	}
	if (r < 0) {
		fprintf(stderr, "FAIL open: %s\n", err);
		free(e);
		return 1;
	}
	e->fd[IN] = moat_dp_tc_in_fd(e->dp);
	e->fd[OUT] = moat_dp_tc_out_fd(e->dp);
	moat_dp_copy_cfg_init(&e->cfg);
	e->cfg.n_workers = 4;
	e->cfg.ring_bytes = 1 << 20;
	if (start(e) == 0) {
		test_record(e);
		test_symmetric(e);
		test_depth_and_bypass(e);
		test_not_copied(e);
		test_ring_full(e);
		test_perf(e);
		test_http(e);
		test_http_admin(e);
	}
	consumers_free(e);
	moat_dp_copy_stop(e->dp);
	moat_dp_close(e->dp);
	free(e);
	test_http_full();
	test_veth(); /* last: moves this process into a new network namespace */

	return check_summary();
}
