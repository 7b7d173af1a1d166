/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for dpi/tcp_reasm.c through the worker pipeline: ordering, overlap policies,
 * wrap-around, gaps, duplicates, tiny segments, FIN/RST, depth, memcap, midstream, async. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dpi/worker.h"
#include "pkt_build.h"

/* What the app layer saw: each direction's bytes, gaps written as '_'. */
struct rec {
	char buf[2][4096];
	size_t len[2];
	int eof[2], gaps[2], depth[2], calls[2];
	uint64_t gap_bytes[2];
	int zero_copy, copied;
	int ends, reason, end_state;
	uint64_t end_pkts[2], end_bytes[2];
	int packets;
	size_t len_at_end[16];
	int npend;
	uint64_t stream_bytes[2];
};

static const uint8_t *cur_frame; /* frame being processed, to detect zero-copy delivery */
static size_t cur_len;

static void on_stream(void *ctx, struct flow *f, int dir, const uint8_t *data, size_t len,
		      unsigned int flags, uint64_t ts)
{
	struct rec *r = ctx;

	r->calls[dir]++;
	if (flags & APP_STREAM_EOF) {
		assert_int_equal(len, 0);
		r->eof[dir]++;
		return;
	}
	if (flags & APP_STREAM_DEPTH)
		r->depth[dir]++;
	if (flags & APP_STREAM_GAP) {
		assert_null(data);
		r->gaps[dir]++;
		r->gap_bytes[dir] += len;
	} else if (len) {
		if (data >= cur_frame && data + len <= cur_frame + cur_len)
			r->zero_copy++;
		else
			r->copied++;
	}
	for (size_t i = 0; i < len && r->len[dir] < sizeof(r->buf[dir]) - 1; i++)
		r->buf[dir][r->len[dir]++] = (flags & APP_STREAM_GAP) ? '_' : (char)data[i];
	r->buf[dir][r->len[dir]] = '\0';
}

static void on_packet(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	((struct rec *)ctx)->packets++;
}

static void on_packet_end(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	struct rec *r = ctx;

	/* snapshot: what the app had of the client stream when this packet was done */
	if (r->npend < 16)
		r->len_at_end[r->npend++] = r->len[0];
	r->stream_bytes[0] = tcp_reasm_stream_bytes(&f->tcp, 0);
	r->stream_bytes[1] = tcp_reasm_stream_bytes(&f->tcp, 1);
}

static void on_end(void *ctx, struct flow *f, int reason)
{
	struct rec *r = ctx;

	r->ends++;
	r->reason = reason;
	r->end_state = f->state;
	for (int d = 0; d < 2; d++) {
		r->end_pkts[d] = f->pkts[d];
		r->end_bytes[d] = f->bytes[d];
	}
}

struct conn {
	struct worker *w;
	struct rec rec;
	uint32_t isn[2];
	uint16_t port[2];
	uint64_t ts;
	bool bad_csum;
	bool ipv6; /* addresses from fd00:6d6f:6174::/48 */
	bool fragment; /* IPv4: send data segments as two fragments, second first */
	uint16_t vlan;
};

/* Feed one IPv4 frame as two fragments (the second first); the TCP bytes are unchanged. */
static void send_fragmented(struct conn *c, const struct pb *f, const struct pb_ip *ip0)
{
	const size_t eth = 14 + (c->vlan ? 4 : 0), first = 24;
	const uint8_t *l4 = f->buf + eth + 20;
	size_t l4len = f->len - eth - 20;
	struct pb a, b;
	struct pb_ip ip = *ip0;

	ip.proto = IPPROTO_TCP;
	ip.ip_id = 4242;
	memcpy(a.buf, f->buf, eth);
	memcpy(b.buf, f->buf, eth);
	ip.frag_field = 0x2000;
	pb_iphdr(a.buf + eth, &ip, first);
	memcpy(a.buf + eth + 20, l4, first);
	a.len = eth + 20 + first;
	ip.frag_field = first / 8;
	pb_iphdr(b.buf + eth, &ip, l4len - first);
	memcpy(b.buf + eth + 20, l4 + first, l4len - first);
	b.len = eth + 20 + l4len - first;
	assert_int_equal(worker_process(c->w, DECODE_LINK_ETHERNET, b.buf, b.len, c->ts, 1),
			 DECODE_OK);
	assert_int_equal(worker_process(c->w, DECODE_LINK_ETHERNET, a.buf, a.len, c->ts, 2),
			 DECODE_OK);
}

static void conn_init(struct conn *c, const struct worker_config *cfg, uint32_t cisn, uint32_t sisn)
{
	struct app_ops ops = { .stream = on_stream,
			       .packet = on_packet,
			       .flow_end = on_end,
			       .packet_end = on_packet_end };

	memset(c, 0, sizeof(*c));
	ops.ctx = &c->rec;
	c->w = worker_new(cfg, &ops);
	assert_non_null(c->w);
	c->isn[0] = cisn;
	c->isn[1] = sisn;
	c->port[0] = 40000;
	c->port[1] = 80;
	c->ts = 1000000;
}

/* Send from dir (0 client, 1 server) at stream offset `off` (0 = first data byte, i.e.
 * ISN + 1); SYN segments use off -1. `ack` is the peer's stream offset acknowledged. */
static void send_raw(struct conn *c, int dir, int64_t off, uint8_t flags, const char *data,
		     size_t len, int64_t ack)
{
	struct pb f;
	struct pb_ip ip;
	struct pb_tcp t = { 0 };

	if (c->ipv6)
		pb_v6(&ip, dir ? 2 : 1, dir ? 1 : 2);
	else
		pb_v4(&ip, dir ? 0xc6120002 : 0xc6120001, dir ? 0xc6120001 : 0xc6120002);
	ip.bad_l4_csum = c->bad_csum;
	ip.vlan[0] = c->vlan;
	t.sport = c->port[dir];
	t.dport = c->port[!dir];
	t.seq = c->isn[dir] + 1 + (uint32_t)off;
	t.ack = (flags & TCP_ACK) ? c->isn[!dir] + 1 + (uint32_t)ack : 0;
	t.flags = flags;
	pb_tcp_frame(&f, &ip, &t, data, len);
	cur_frame = f.buf;
	cur_len = f.len;
	c->ts += 1000;
	if (c->fragment && !c->ipv6 && len > 8) {
		send_fragmented(c, &f, &ip);
		return;
	}
	assert_int_equal(worker_process(c->w, DECODE_LINK_ETHERNET, f.buf, f.len, c->ts, 1),
			 DECODE_OK);
}

static void send_data(struct conn *c, int dir, int64_t off, const char *data)
{
	send_raw(c, dir, off, TCP_ACK | TCP_PSH, data, strlen(data), 0);
}

static void handshake(struct conn *c)
{
	send_raw(c, 0, -1, TCP_SYN, NULL, 0, 0);
	send_raw(c, 1, -1, TCP_SYN | TCP_ACK, NULL, 0, 0);
	send_raw(c, 0, 0, TCP_ACK, NULL, 0, 0);
}

static void conn_end(struct conn *c)
{
	worker_flush(c->w, UINT64_MAX);
}

static void conn_free(struct conn *c)
{
	worker_free(c->w);
}

static struct worker_config defaults(void)
{
	struct worker_config cfg;

	worker_config_init(&cfg);
	cfg.flow.hash_seed = 7;
	return cfg;
}

static void test_reasm_in_order_zero_copy(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "GET / HTTP/1.1\r\n");
	send_data(&c, 0, 16, "Host: x\r\n\r\n");
	send_data(&c, 1, 0, "HTTP/1.1 200 OK\r\n");
	assert_string_equal(c.rec.buf[0], "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_string_equal(c.rec.buf[1], "HTTP/1.1 200 OK\r\n");
	assert_int_equal(c.rec.zero_copy, 3);
	assert_int_equal(c.rec.copied, 0);
	assert_int_equal(worker_stats(c.w)->tcp.in_order, 3);
	assert_int_equal(worker_stats(c.w)->tcp.queued, 0);
	assert_int_equal(c.rec.packets, 6);
	conn_end(&c);
	assert_int_equal(c.rec.ends, 1);
	assert_int_equal(c.rec.reason, FLOW_END_SHUTDOWN);
	assert_int_equal(c.rec.end_state, FLOW_STATE_ESTABLISHED);
	assert_int_equal(c.rec.end_pkts[0], 4);
	assert_int_equal(c.rec.end_pkts[1], 2);
	assert_int_equal(c.rec.eof[0], 1);
	assert_int_equal(c.rec.eof[1], 1);
	/* packet_end comes after the packet's own data reached the app */
	assert_int_equal(c.rec.npend, 6);
	assert_int_equal(c.rec.len_at_end[3], 16);
	assert_int_equal(c.rec.len_at_end[4], 27);
	/* Suricata's stream_size counting: the SYN counts one */
	assert_int_equal(c.rec.stream_bytes[0], 28);
	assert_int_equal(c.rec.stream_bytes[1], 18);
	conn_free(&c);
}

/* A script of client segments (offset, data) and the stream the app must see. */
struct script_case {
	const char *name;
	uint32_t cisn;
	struct {
		int64_t off;
		const char *data;
	} segs[12];
	const char *want;
	uint64_t want_retrans;
};

static void run_script(const struct script_case *sc, enum tcp_overlap_policy pol, struct rec *out)
{
	struct worker_config cfg = defaults();
	struct conn c;

	cfg.tcp.policy = pol;
	conn_init(&c, &cfg, sc->cisn, 77);
	handshake(&c);
	for (int i = 0; i < 12 && sc->segs[i].data; i++)
		send_data(&c, 0, sc->segs[i].off, sc->segs[i].data);
	conn_end(&c);
	*out = c.rec;
	if (sc->want_retrans)
		assert_int_equal(worker_stats(c.w)->tcp.retransmissions, sc->want_retrans);
	assert_int_equal(worker_stats(c.w)->tcp.mem_used, 0);
	conn_free(&c);
}

static void test_reasm_ordering_table(void **state)
{
	static const struct script_case cases[] = {
		{ "reversed",
		  1000,
		  { { 8, "ij" }, { 4, "efgh" }, { 0, "abcd" } },
		  "abcdefghij",
		  0 },
		{ "one-byte segments shuffled",
		  1000,
		  { { 3, "d" }, { 1, "b" }, { 5, "f" }, { 0, "a" }, { 4, "e" }, { 2, "c" } },
		  "abcdef",
		  0 },
		{ "duplicates",
		  1000,
		  { { 0, "abc" }, { 0, "abc" }, { 3, "def" }, { 1, "bc" } },
		  "abcdef",
		  2 },
		{ "duplicate queued",
		  1000,
		  { { 3, "def" }, { 3, "def" }, { 0, "abc" } },
		  "abcdef",
		  0 },
		{ "wrap-around in order",
		  0xfffffffau,
		  { { 0, "abcd" }, { 4, "efgh" }, { 8, "ijkl" } },
		  "abcdefghijkl",
		  0 },
		{ "wrap-around out of order",
		  0xfffffff0u,
		  { { 20, "uvwx" }, { 8, "ijkl" }, { 0, "abcdefgh" }, { 12, "mnopqrst" } },
		  "abcdefghijklmnopqrstuvwx",
		  0 },
		{ "partial retransmission", 1000, { { 0, "abcd" }, { 2, "cdef" } }, "abcdef", 0 },
		{ "hole never filled", 1000, { { 0, "ab" }, { 4, "ef" } }, "ab__ef", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r;

		print_message("case %s\n", cases[i].name);
		run_script(&cases[i], TCP_OVERLAP_BSD, &r);
		assert_string_equal(r.buf[0], cases[i].want);
		assert_int_equal(r.eof[0], 1);
	}
}

/* The classic overlap patterns (Novak/Sturges) under each policy. The original segment(s)
 * are queued first behind a hole, then the subsequent one, then the hole is filled. */
static void test_reasm_overlap_policies_table(void **state)
{
	static const struct {
		struct script_case sc;
		const char *want[TCP_OVERLAP_MAX]; /* first, last, bsd, linux */
	} cases[] = {
		{ { "starts before, ends inside",
		    1000,
		    { { 4, "aaaa" }, { 2, "BBBB" }, { 0, "xx" } },
		    NULL,
		    0 },
		  { "xxBBaaaa", "xxBBBBaa", "xxBBBBaa", "xxBBBBaa" } },
		{ { "same start, ends after",
		    1000,
		    { { 4, "aa" }, { 4, "BBBB" }, { 0, "xxxx" } },
		    NULL,
		    0 },
		  { "xxxxaaBB", "xxxxBBBB", "xxxxaaBB", "xxxxBBBB" } },
		{ { "same start, ends before",
		    1000,
		    { { 4, "aaaa" }, { 4, "BB" }, { 0, "xxxx" } },
		    NULL,
		    0 },
		  { "xxxxaaaa", "xxxxBBaa", "xxxxaaaa", "xxxxaaaa" } },
		{ { "starts inside, ends after",
		    1000,
		    { { 4, "aa" }, { 5, "BBB" }, { 0, "xxxx" } },
		    NULL,
		    0 },
		  { "xxxxaaBB", "xxxxaBBB", "xxxxaaBB", "xxxxaaBB" } },
		{ { "covers it", 1000, { { 4, "aa" }, { 3, "BBBBB" }, { 0, "xxx" } }, NULL, 0 },
		  { "xxxBaaBB", "xxxBBBBB", "xxxBBBBB", "xxxBBBBB" } },
		{ { "exact same range",
		    1000,
		    { { 4, "aa" }, { 4, "BB" }, { 0, "xxxx" } },
		    NULL,
		    0 },
		  { "xxxxaa", "xxxxBB", "xxxxaa", "xxxxaa" } },
		{ { "spans two originals",
		    1000,
		    { { 2, "aa" }, { 6, "cc" }, { 1, "BBBBBBBB" }, { 0, "x" } },
		    NULL,
		    0 },
		  { "xBaaBBccB", "xBBBBBBBB", "xBBBBBBBB", "xBBBBBBBB" } },
		{ { "inside, same end",
		    1000,
		    { { 2, "aaaaaa" }, { 4, "BBBB" }, { 0, "xx" } },
		    NULL,
		    0 },
		  { "xxaaaaaa", "xxaaBBBB", "xxaaaaaa", "xxaaaaaa" } },
		{ { "wraps 2^32",
		    0xfffffffdu,
		    { { 4, "aaaa" }, { 2, "BBBB" }, { 0, "xx" } },
		    NULL,
		    0 },
		  { "xxBBaaaa", "xxBBBBaa", "xxBBBBaa", "xxBBBBaa" } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int pol = 0; pol < TCP_OVERLAP_MAX; pol++) {
			struct rec r;

			print_message("case %s / %s\n", cases[i].sc.name,
				      tcp_overlap_policy_name((enum tcp_overlap_policy)pol));
			run_script(&cases[i].sc, (enum tcp_overlap_policy)pol, &r);
			assert_string_equal(r.buf[0], cases[i].want[pol]);
		}
}

static void test_reasm_gap_signalled_on_ack(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "aaaa");
	send_data(&c, 0, 8, "cccc"); /* [4, 8) lost */
	assert_string_equal(c.rec.buf[0], "aaaa");
	send_raw(&c, 1, 0, TCP_ACK, NULL, 0, 12); /* the server got it all */
	assert_string_equal(c.rec.buf[0], "aaaa____cccc");
	assert_int_equal(c.rec.gaps[0], 1);
	assert_int_equal(c.rec.gap_bytes[0], 4);
	send_data(&c, 0, 12, "dd"); /* continues in order after the gap */
	assert_string_equal(c.rec.buf[0], "aaaa____ccccdd");
	assert_int_equal(worker_stats(c.w)->tcp.gaps, 1);
	/* an ACK of the FIN does not make a gap of the FIN's sequence number */
	send_raw(&c, 0, 14, TCP_ACK | TCP_FIN, NULL, 0, 0);
	send_raw(&c, 1, 0, TCP_ACK, NULL, 0, 15);
	assert_int_equal(c.rec.gaps[0], 1);
	assert_int_equal(c.rec.eof[0], 1);
	conn_end(&c);
	conn_free(&c);
}

static void test_reasm_fin_and_close_states(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "req");
	send_raw(&c, 1, 0, TCP_ACK | TCP_PSH | TCP_FIN, "resp", 4, 3);
	assert_int_equal(c.rec.eof[1], 1);
	assert_int_equal(c.rec.eof[0], 0);
	send_raw(&c, 0, 3, TCP_ACK | TCP_FIN, NULL, 0, 5);
	assert_int_equal(c.rec.eof[0], 1);
	send_raw(&c, 1, 5, TCP_ACK, NULL, 0, 4);
	conn_end(&c);
	assert_int_equal(c.rec.end_state, FLOW_STATE_CLOSED);
	assert_string_equal(c.rec.buf[1], "resp");
	assert_int_equal(c.rec.eof[0], 1); /* EOF sent once */
	assert_int_equal(worker_stats(c.w)->tcp.fin, 2);
	conn_free(&c);
}

/* FIN that arrives before the data preceding it: EOF waits for the data. */
static void test_reasm_fin_out_of_order(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_raw(&c, 0, 4, TCP_ACK | TCP_FIN, "efgh", 4, 0);
	assert_int_equal(c.rec.eof[0], 0);
	send_data(&c, 0, 0, "abcd");
	assert_string_equal(c.rec.buf[0], "abcdefgh");
	assert_int_equal(c.rec.eof[0], 1);
	conn_end(&c);
	conn_free(&c);
}

static void test_reasm_rst_closes_both(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "ab");
	send_data(&c, 0, 4, "ef"); /* queued behind a hole */
	send_raw(&c, 1, 0, TCP_RST, NULL, 0, 0);
	assert_string_equal(c.rec.buf[0], "ab__ef");
	assert_int_equal(c.rec.eof[0], 1);
	assert_int_equal(c.rec.eof[1], 1);
	send_data(&c, 0, 6, "zz"); /* after the RST: ignored */
	assert_string_equal(c.rec.buf[0], "ab__ef");
	conn_end(&c);
	assert_int_equal(c.rec.end_state, FLOW_STATE_CLOSED);
	assert_int_equal(worker_stats(c.w)->tcp.rst, 1);
	conn_free(&c);
}

/* Forged RST (sequence far outside the window) and forged ACK (acknowledging more than the
 * window allows) must not end inspection or skip data. */
static void test_reasm_forged_rst_and_ack_ignored(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "ab");
	send_raw(&c, 1, 1000000, TCP_RST, NULL, 0, 0);
	assert_int_equal(c.rec.eof[0], 0);
	assert_int_equal(worker_stats(c.w)->tcp.rst_invalid, 1);
	send_data(&c, 0, 4, "ef");
	send_raw(&c, 1, 0, TCP_ACK, NULL, 0, 5000000); /* acks 5 MB the server never had */
	assert_int_equal(c.rec.gaps[0], 0);
	assert_int_equal(worker_stats(c.w)->tcp.ack_invalid, 1);
	send_data(&c, 0, 2, "cd"); /* the hole is still fillable */
	assert_string_equal(c.rec.buf[0], "abcdef");
	send_raw(&c, 1, 0, TCP_RST, NULL, 0, 0); /* in window: closes */
	assert_int_equal(c.rec.eof[0], 1);
	assert_int_equal(c.rec.eof[1], 1);
	conn_end(&c);
	assert_int_equal(c.rec.end_state, FLOW_STATE_CLOSED);
	conn_free(&c);
}

/* Midstream the window scale is unknown: a large ACKed hole is still believed. */
static void test_reasm_midstream_large_ack_gap(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	cfg.tcp.midstream = true;
	conn_init(&c, &cfg, 1000, 5000);
	send_data(&c, 0, 0, "ab");
	send_data(&c, 0, 300000, "zz");
	send_raw(&c, 1, 0, TCP_ACK, NULL, 0, 300002);
	assert_int_equal(c.rec.gaps[0], 1);
	assert_int_equal(c.rec.gap_bytes[0], 300000 - 2);
	assert_int_equal(c.rec.len[0], sizeof(c.rec.buf[0]) - 1); /* recorder is capped */
	assert_int_equal(worker_stats(c.w)->tcp.ack_invalid, 0);
	conn_end(&c);
	conn_free(&c);
}

static void test_reasm_depth(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	cfg.tcp.depth = 10;
	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "012345");
	send_data(&c, 0, 12, "CDEF"); /* queued, past the depth: dropped */
	send_data(&c, 0, 6, "6789AB");
	send_data(&c, 0, 16, "more");
	assert_string_equal(c.rec.buf[0], "0123456789");
	assert_int_equal(c.rec.depth[0], 1);
	assert_int_equal(worker_stats(c.w)->tcp.depth_reached, 1);
	assert_int_equal(worker_stats(c.w)->tcp.mem_used, 0);
	send_data(&c, 1, 0, "server side is separate");
	assert_string_equal(c.rec.buf[1], "server sid");
	conn_end(&c);
	conn_free(&c);
}

/* The memory cap refuses queued data (counted); the stream moves on with gaps. */
static void test_reasm_memcap(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;
	char seg[11] = "0123456789";

	cfg.tcp.memcap = 300;
	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	for (int i = 1; i <= 40; i++)
		send_data(&c, 0, i * 10, seg); /* [0, 10) never arrives */
	assert_true(worker_stats(c.w)->tcp.memcap_hits > 0);
	assert_true(worker_stats(c.w)->tcp.mem_used <= 300);
	assert_true(c.rec.gaps[0] > 0);
	conn_end(&c);
	assert_int_equal(worker_stats(c.w)->tcp.mem_used, 0);
	/* everything accounted: delivered bytes + gap bytes = the whole stream */
	assert_int_equal(c.rec.len[0], 410);
	assert_memory_equal(c.rec.buf[0] + 400, seg, 10);
	conn_free(&c);
}

static void test_reasm_queue_limit(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	cfg.tcp.max_queued_segments = 3;
	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	for (int i = 1; i <= 6; i++)
		send_data(&c, 0, i * 2, "ab");
	assert_true(worker_stats(c.w)->tcp.queue_limit_hits > 0);
	conn_end(&c);
	assert_string_equal(c.rec.buf[0], "__abababababab");
	conn_free(&c);
}

static void test_reasm_midstream(void **state)
{
	for (int on = 0; on < 2; on++) {
		struct worker_config cfg = defaults();
		struct conn c;

		cfg.tcp.midstream = on;
		conn_init(&c, &cfg, 1000, 5000);
		/* first packet: the server's response, from port 80 */
		send_raw(&c, 1, 0, TCP_ACK | TCP_PSH, "HTTP/1.1 200 OK", 15, 0);
		send_raw(&c, 0, 0, TCP_ACK, NULL, 0, 15);
		send_raw(&c, 0, 0, TCP_ACK | TCP_FIN, NULL, 0, 15);
		if (on) {
			assert_string_equal(c.rec.buf[1], "HTTP/1.1 200 OK");
			assert_int_equal(c.rec.eof[0], 1);
			assert_int_equal(worker_stats(c.w)->tcp.midstream_pickups, 1);
		} else {
			assert_int_equal(c.rec.len[1], 0);
			assert_true(worker_stats(c.w)->tcp.midstream_ignored > 0);
		}
		conn_end(&c);
		/* the reply's receiver is the client either way */
		assert_int_equal(c.rec.end_pkts[1], 1);
		assert_int_equal(c.rec.end_pkts[0], 2);
		assert_int_equal(c.rec.end_state, on ? FLOW_STATE_ESTABLISHED : FLOW_STATE_NEW);
		conn_free(&c);
	}
}

/* Only the client side is visible: SYN, then ACK + data without SYN/ACK. */
static void test_reasm_async_oneside(void **state)
{
	for (int on = 0; on < 2; on++) {
		struct worker_config cfg = defaults();
		struct conn c;

		cfg.tcp.async_oneside = on;
		conn_init(&c, &cfg, 1000, 5000);
		send_raw(&c, 0, -1, TCP_SYN, NULL, 0, 0);
		send_raw(&c, 0, 0, TCP_ACK, NULL, 0, 0);
		send_data(&c, 0, 0, "GET /");
		assert_string_equal(c.rec.buf[0], on ? "GET /" : "");
		conn_end(&c);
		conn_free(&c);
	}
}

/* Server-only capture picked up at the SYN/ACK (midstream + async-oneside). */
static void test_reasm_async_server_side(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	cfg.tcp.midstream = true;
	cfg.tcp.async_oneside = true;
	conn_init(&c, &cfg, 1000, 5000);
	send_raw(&c, 1, -1, TCP_SYN | TCP_ACK, NULL, 0, 0);
	send_raw(&c, 1, 0, TCP_ACK, NULL, 0, 0);
	send_raw(&c, 1, 0, TCP_ACK | TCP_PSH, "uid=0(root)", 11, 0);
	assert_string_equal(c.rec.buf[1], "uid=0(root)");
	conn_end(&c);
	assert_int_equal(c.rec.end_pkts[1], 3);
	conn_free(&c);
}

/* SYN, SYN (server), SYN/ACK (client), ACK (server): the client's data still flows. */
static void test_reasm_split_handshake(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 3000);
	send_raw(&c, 0, -1, TCP_SYN, NULL, 0, 0);
	send_raw(&c, 1, -1, TCP_SYN, NULL, 0, 0);
	send_raw(&c, 0, -1, TCP_SYN | TCP_ACK, NULL, 0, 0);
	send_raw(&c, 1, 0, TCP_ACK, NULL, 0, 0);
	send_data(&c, 0, 0, "EVIL");
	assert_string_equal(c.rec.buf[0], "EVIL");
	send_raw(&c, 0, 4, TCP_RST, NULL, 0, 0);
	conn_end(&c);
	assert_int_equal(c.rec.end_state, FLOW_STATE_CLOSED);
	conn_free(&c);
}

/* TCP Fast Open: data on the SYN is delivered, and what follows continues it. */
static void test_reasm_fast_open(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	send_raw(&c, 0, -1, TCP_SYN, "GET /", 5, 0);
	send_raw(&c, 1, -1, TCP_SYN | TCP_ACK, NULL, 0, 5);
	send_raw(&c, 0, 5, TCP_ACK | TCP_PSH, " HTTP/1.0\r\n\r\n", 13, 0);
	assert_string_equal(c.rec.buf[0], "GET / HTTP/1.0\r\n\r\n");
	conn_end(&c);
	conn_free(&c);
}

static void test_reasm_bad_checksum_dropped(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	c.bad_csum = true;
	send_data(&c, 0, 0, "evil");
	assert_int_equal(c.rec.len[0], 0);
	assert_int_equal(worker_stats(c.w)->csum_dropped, 1);
	assert_int_equal(c.rec.packets, 4); /* still seen by packet-level inspection */
	c.bad_csum = false;
	send_data(&c, 0, 0, "good"); /* the stream did not advance over the bad one */
	assert_string_equal(c.rec.buf[0], "good");
	conn_end(&c);
	conn_free(&c);

	cfg.decode.checksum_validation = false; /* -k none */
	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	c.bad_csum = true;
	send_data(&c, 0, 0, "evil");
	assert_string_equal(c.rec.buf[0], "evil");
	conn_end(&c);
	conn_free(&c);
}

/* A new SYN with another ISN on the tuple of a closed session starts a new flow. */
static void test_reasm_port_reuse(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_raw(&c, 0, 0, TCP_ACK | TCP_FIN, NULL, 0, 0);
	send_raw(&c, 1, 0, TCP_ACK | TCP_FIN, NULL, 0, 1);
	send_raw(&c, 0, 1, TCP_ACK, NULL, 0, 1);
	c.isn[0] = 90000;
	handshake(&c);
	assert_int_equal(c.rec.ends, 1);
	assert_int_equal(c.rec.reason, FLOW_END_FORCED);
	send_data(&c, 0, 0, "second");
	assert_string_equal(c.rec.buf[0], "second");
	conn_end(&c);
	assert_int_equal(c.rec.ends, 2);
	conn_free(&c);
}

/* The same session over IPv6, inside a VLAN, and with IPv4 fragments: same stream. */
static void test_worker_ipv6_vlan_fragments(void **state)
{
	for (int variant = 0; variant < 3; variant++) {
		struct worker_config cfg = defaults();
		struct conn c;

		conn_init(&c, &cfg, 1000, 5000);
		c.ipv6 = variant == 0;
		c.vlan = variant == 1 ? 42 : 0;
		c.fragment = variant == 2;
		handshake(&c);
		send_data(&c, 0, 20, "and a second segment");
		send_data(&c, 0, 0, "first segment, long ");
		send_raw(&c, 1, 0, TCP_ACK | TCP_PSH | TCP_FIN, "a reply long enough", 19, 40);
		assert_string_equal(c.rec.buf[0], "first segment, long and a second segment");
		assert_string_equal(c.rec.buf[1], "a reply long enough");
		assert_int_equal(c.rec.eof[1], 1);
		if (c.fragment)
			assert_int_equal(worker_stats(c.w)->defrag.ipv4_reassembled, 3);
		assert_int_equal(worker_stats(c.w)->flow.created, 1);
		conn_end(&c);
		assert_int_equal(c.rec.end_pkts[0], 4); /* SYN, ACK, two data */
		conn_free(&c);
	}
}

static void test_reasm_udp_flow_event(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;
	struct pb f;
	struct pb_ip ip;

	conn_init(&c, &cfg, 1, 1);
	pb_v4(&ip, 0xc6120001, 0xc6120002);
	pb_udp_frame(&f, &ip, 33333, 53, "query", 5);
	worker_process(c.w, DECODE_LINK_ETHERNET, f.buf, f.len, 10, 1);
	pb_v4(&ip, 0xc6120002, 0xc6120001);
	pb_udp_frame(&f, &ip, 53, 33333, "answer", 6);
	worker_process(c.w, DECODE_LINK_ETHERNET, f.buf, f.len, 20, 2);
	worker_flush(c.w, 20 + 301 * 1000000ull); /* established UDP times out at 300 s */
	assert_int_equal(c.rec.ends, 1);
	assert_int_equal(c.rec.reason, FLOW_END_TIMEOUT);
	assert_int_equal(c.rec.end_state, FLOW_STATE_ESTABLISHED);
	assert_int_equal(c.rec.end_pkts[0], 1);
	assert_int_equal(c.rec.end_pkts[1], 1);
	assert_int_equal(c.rec.end_bytes[1], f.len);
	assert_int_equal(c.rec.calls[0] + c.rec.calls[1], 0);
	assert_int_equal(c.rec.packets, 2);
	conn_free(&c);
}

/* Timeouts run on packet time: a packet 301 s after an established UDP flow's last one
 * ends it (timeout) and starts a new flow. */
static void test_worker_timeout_on_packet_time(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;
	struct pb f;
	struct pb_ip ip;

	conn_init(&c, &cfg, 1, 1);
	pb_v4(&ip, 0xc6120001, 0xc6120002);
	pb_udp_frame(&f, &ip, 33333, 53, "q", 1);
	worker_process(c.w, DECODE_LINK_ETHERNET, f.buf, f.len, 1000000, 1);
	pb_v4(&ip, 0xc6120002, 0xc6120001);
	pb_udp_frame(&f, &ip, 53, 33333, "a", 1);
	worker_process(c.w, DECODE_LINK_ETHERNET, f.buf, f.len, 2000000, 2);
	worker_process(c.w, DECODE_LINK_ETHERNET, f.buf, f.len, 2000000 + 301000000ull, 3);
	assert_int_equal(c.rec.ends, 1);
	assert_int_equal(c.rec.reason, FLOW_END_TIMEOUT);
	assert_int_equal(worker_stats(c.w)->flow.created, 2);
	conn_free(&c); /* worker_free ends the second flow: shutdown */
	assert_int_equal(c.rec.ends, 2);
	assert_int_equal(c.rec.reason, FLOW_END_SHUTDOWN);
}

/* At the flow cap a TCP flow with queued data is evicted: its stream is flushed (gap, data,
 * EOF) before flow_end with reason forced. */
static void test_worker_eviction_flushes_stream(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;

	cfg.flow.max_flows = 1;
	conn_init(&c, &cfg, 1000, 5000);
	handshake(&c);
	send_data(&c, 0, 0, "ab");
	send_data(&c, 0, 4, "ef");
	c.port[0] = 40001; /* another flow: the first is evicted */
	handshake(&c);
	assert_int_equal(c.rec.ends, 1);
	assert_int_equal(c.rec.reason, FLOW_END_FORCED);
	assert_string_equal(c.rec.buf[0], "ab__ef");
	assert_int_equal(c.rec.eof[0], 1);
	assert_int_equal(worker_stats(c.w)->flow.evicted, 1);
	assert_int_equal(worker_stats(c.w)->tcp.mem_used, 0);
	conn_end(&c);
	conn_free(&c);
}

/* Bad input through the worker: counted, reported by result, never fatal. */
static void test_worker_bad_frames_counted(void **state)
{
	struct worker_config cfg = defaults();
	struct conn c;
	uint8_t junk[30] = { 0 };

	conn_init(&c, &cfg, 1, 1);
	junk[12] = 0x08;
	assert_int_equal(worker_process(c.w, DECODE_LINK_ETHERNET, junk, sizeof(junk), 1, 1),
			 DECODE_ERR_TRUNCATED);
	assert_int_equal(worker_process(c.w, 9999, junk, sizeof(junk), 1, 2), DECODE_ERR_LINKTYPE);
	assert_int_equal(worker_stats(c.w)->decode_errors, 2);
	conn_free(&c);
}

static void test_worker_config_set(void **state)
{
	struct worker_config cfg = defaults();
	char err[128];

	assert_int_equal(worker_config_set(&cfg, "stream.midstream", "true", err, sizeof(err)), 0);
	assert_true(cfg.tcp.midstream);
	assert_int_equal(worker_config_set(&cfg, "stream.async-oneside", "yes", err, sizeof(err)),
			 0);
	assert_true(cfg.tcp.async_oneside);
	assert_int_equal(
		worker_config_set(&cfg, "stream.reassembly.depth", "2mb", err, sizeof(err)), 0);
	assert_int_equal(cfg.tcp.depth, 2u << 20);
	assert_int_equal(worker_config_set(&cfg, "stream.reassembly.overlap-policy", "linux", err,
					   sizeof(err)),
			 0);
	assert_int_equal(cfg.tcp.policy, TCP_OVERLAP_LINUX);
	assert_int_equal(worker_config_set(&cfg, "flow.timeouts.udp.new", "45s", err, sizeof(err)),
			 0);
	assert_int_equal(cfg.flow.timeout_us[FLOW_PROTO_UDP][FLOW_STATE_NEW], 45000000);
	assert_int_equal(
		worker_config_set(&cfg, "stream.reassembly.depth", "lots", err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "stream.reassembly.depth"));
	assert_int_equal(worker_config_set(&cfg, "no.such.key", "1", err, sizeof(err)), -ENOENT);
	assert_int_equal(worker_config_set(&cfg, "flow.memcap", "1mb", err, sizeof(err)), 0);
	assert_int_equal(cfg.flow.max_flows, (1u << 20) / sizeof(struct flow));
	assert_int_equal(worker_config_set(&cfg, "flow.memcap", "10", err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasm_in_order_zero_copy),
		cmocka_unit_test(test_reasm_ordering_table),
		cmocka_unit_test(test_reasm_overlap_policies_table),
		cmocka_unit_test(test_reasm_gap_signalled_on_ack),
		cmocka_unit_test(test_reasm_fin_and_close_states),
		cmocka_unit_test(test_reasm_fin_out_of_order),
		cmocka_unit_test(test_reasm_rst_closes_both),
		cmocka_unit_test(test_reasm_forged_rst_and_ack_ignored),
		cmocka_unit_test(test_reasm_midstream_large_ack_gap),
		cmocka_unit_test(test_reasm_depth),
		cmocka_unit_test(test_reasm_memcap),
		cmocka_unit_test(test_reasm_queue_limit),
		cmocka_unit_test(test_reasm_midstream),
		cmocka_unit_test(test_reasm_async_oneside),
		cmocka_unit_test(test_reasm_async_server_side),
		cmocka_unit_test(test_reasm_split_handshake),
		cmocka_unit_test(test_reasm_fast_open),
		cmocka_unit_test(test_reasm_bad_checksum_dropped),
		cmocka_unit_test(test_reasm_port_reuse),
		cmocka_unit_test(test_worker_ipv6_vlan_fragments),
		cmocka_unit_test(test_reasm_udp_flow_event),
		cmocka_unit_test(test_worker_timeout_on_packet_time),
		cmocka_unit_test(test_worker_eviction_flushes_stream),
		cmocka_unit_test(test_worker_bad_frames_counted),
		cmocka_unit_test(test_worker_config_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
