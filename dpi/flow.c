/* SPDX-License-Identifier: GPL-2.0-only */
/* Bidirectional flow table of one worker: lookup by 5-tuple + VLANs, timeouts, memory cap. */
#include "flow.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "app.h"

/*
 * The bucket hash is SipHash-1-3 (Aumasson & Bernstein) written small: keyed, so crafted
 * tuples cannot pile into one bucket, and fast on short fixed-size input. Debian packages no
 * small keyed hash for C (libsodium's siphash needs the whole library and only offers
 * SipHash-2-4 on byte strings; xxhash is unkeyed against flooding), so we write our own.
 */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t siphash13_words(uint64_t k0, uint64_t k1, const uint64_t *m, size_t n)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)(n * 8) << 56;

	for (size_t i = 0; i < n; i++) {
		v3 ^= m[i];
		SIPROUND;
		v0 ^= m[i];
	}
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* fixed key for flow_hash_packet() and flow ids: every process must agree */
#define FIXED_K0 0x6d6f61742d666c6full
#define FIXED_K1 0x772d686173682d31ull

#define FLOW_ALLOC_CHUNK 1024

struct flow_chunk {
	struct flow_chunk *next;
	struct flow flows[FLOW_ALLOC_CHUNK];
};

struct flow_table {
	struct flow_table_config cfg;
	struct flow_stats st;
	flow_end_fn end;
	void *end_ctx;
	uint64_t k0, k1;
	struct flow **buckets;
	uint32_t mask;
	struct flow *lru_head, *lru_tail; /* least recently used first */
	struct flow *free_list; /* linked through hnext */
	struct flow_chunk *chunks;
	uint32_t allocated;
	uint64_t min_timeout;
	/* the flow of the previous lookup: packets come in trains (a sender's window, its
	 * ACK), so comparing the tuple with it first skips the keyed hash for most of them */
	struct flow *last;
};

void flow_table_config_init(struct flow_table_config *cfg)
{
	const uint64_t s = 1000000;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_flows = 65536;
	cfg->hash_size = 0;
	cfg->timeout_us[FLOW_PROTO_TCP][FLOW_STATE_NEW] = 60 * s;
	cfg->timeout_us[FLOW_PROTO_TCP][FLOW_STATE_ESTABLISHED] = 600 * s;
	cfg->timeout_us[FLOW_PROTO_TCP][FLOW_STATE_CLOSED] = 60 * s;
	for (int p = FLOW_PROTO_UDP; p < FLOW_PROTO_MAX; p++) {
		cfg->timeout_us[p][FLOW_STATE_NEW] = 30 * s;
		cfg->timeout_us[p][FLOW_STATE_ESTABLISHED] = 300 * s;
		cfg->timeout_us[p][FLOW_STATE_CLOSED] = 30 * s;
	}
}

struct flow_table *flow_table_new(const struct flow_table_config *cfg, flow_end_fn end, void *ctx)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	uint32_t size = 1;
	uint64_t want;

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (t->cfg.max_flows == 0)
		t->cfg.max_flows = 1;
	want = t->cfg.hash_size ? t->cfg.hash_size : t->cfg.max_flows;
	if (want > (1u << 24))
		want = 1u << 24;
	while (size < want)
		size <<= 1;
	t->buckets = calloc(size, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = size - 1;
	t->end = end;
	t->end_ctx = ctx;
	if (cfg->hash_seed) {
		t->k0 = cfg->hash_seed;
		t->k1 = cfg->hash_seed * 0x9e3779b97f4a7c15ull;
	} else {
		uint64_t k[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

		/* if the entropy pool is not ready we keep the constant key: flooding
		 * resistance degrades, correctness does not */
		if (getrandom(k, sizeof(k), GRND_NONBLOCK) != sizeof(k))
			k[0] ^= (uint64_t)(uintptr_t)t;
		t->k0 = k[0];
		t->k1 = k[1];
	}
	t->min_timeout = UINT64_MAX;
	for (int p = 0; p < FLOW_PROTO_MAX; p++)
		for (int s = 0; s < FLOW_STATE_MAX; s++)
			if (t->cfg.timeout_us[p][s] < t->min_timeout)
				t->min_timeout = t->cfg.timeout_us[p][s];
	return t;
}

static int proto_class(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return FLOW_PROTO_TCP;
	case IPPROTO_UDP:
		return FLOW_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return FLOW_PROTO_ICMP;
	default:
		return FLOW_PROTO_OTHER;
	}
}

/* Canonical (direction-independent) words of a tuple: lower endpoint first. */
static void tuple_words(const struct packet *p, uint64_t w[6])
{
	const union decode_addr *a = &p->src, *b = &p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	int c = memcmp(a, b, sizeof(*a));

	if (c > 0 || (c == 0 && pa > pb)) {
		a = &p->dst;
		b = &p->src;
		pa = p->dport;
		pb = p->sport;
	}
	memcpy(&w[0], a->u8, 16);
	memcpy(&w[2], b->u8, 16);
	w[4] = (uint64_t)pa | (uint64_t)pb << 16 | (uint64_t)p->proto << 32 |
	       (uint64_t)p->ip_version << 40;
	w[5] = (uint64_t)p->vlan[0] | (uint64_t)p->vlan[1] << 16;
}

uint32_t flow_hash_packet(const struct packet *p)
{
	uint64_t w[6];

	tuple_words(p, w);
	return (uint32_t)siphash13_words(FIXED_K0, FIXED_K1, w, 6);
}

static uint64_t make_flow_id(const struct packet *p, uint64_t start_us)
{
	uint64_t w[7], id;

	tuple_words(p, w);
	w[6] = start_us;
	/* 51 bits: exact in JSON doubles, as Suricata keeps its flow_id */
	id = siphash13_words(FIXED_K0, FIXED_K1, w, 7) & ((1ull << 51) - 1);
	return id ? id : 1;
}

static int match(const struct flow *f, const struct packet *p)
{
	const struct flow_key *k = &f->key;

	if (k->proto != p->proto || k->ip_version != p->ip_version || k->vlan[0] != p->vlan[0] ||
	    k->vlan[1] != p->vlan[1])
		return -1;
	if (k->port[0] == p->sport && k->port[1] == p->dport &&
	    memcmp(&k->addr[0], &p->src, sizeof(p->src)) == 0 &&
	    memcmp(&k->addr[1], &p->dst, sizeof(p->dst)) == 0)
		return APP_DIR_TOSERVER;
	if (k->port[0] == p->dport && k->port[1] == p->sport &&
	    memcmp(&k->addr[0], &p->dst, sizeof(p->dst)) == 0 &&
	    memcmp(&k->addr[1], &p->src, sizeof(p->src)) == 0)
		return APP_DIR_TOCLIENT;
	return -1;
}

static struct flow *find(struct flow_table *t, const struct packet *p, uint32_t h, int *ret_dir)
{
	for (struct flow *f = t->buckets[h & t->mask]; f; f = f->hnext) {
		int d;

		if (f->hash != h)
			continue;
		d = match(f, p);
		if (d >= 0) {
			*ret_dir = d;
			return f;
		}
	}
	return NULL;
}

static uint32_t bucket_hash(const struct flow_table *t, const struct packet *p)
{
	uint64_t w[6];

	tuple_words(p, w);
	return (uint32_t)siphash13_words(t->k0, t->k1, w, 6);
}

/* Lookup through the one-entry cache. A tuple has at most one flow in the table (flows are
 * only created when find() fails), so a hit returns what find() would. On a miss *ret_h is
 * the tuple's bucket hash. */
static struct flow *lookup(struct flow_table *t, const struct packet *p, uint32_t *ret_h,
			   int *ret_dir)
{
	struct flow *f = t->last;
	int d;

	if (f && (d = match(f, p)) >= 0) {
		*ret_dir = d;
		return f;
	}
	*ret_h = bucket_hash(t, p);
	f = find(t, p, *ret_h, ret_dir);
	if (f)
		t->last = f;
	return f;
}

struct flow *flow_table_lookup(struct flow_table *t, const struct packet *p, int *ret_dir)
{
	uint32_t h;
	int d;
	struct flow *f = lookup(t, p, &h, &d);

	if (f)
		*ret_dir = d;
	return f;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f)
{
	f->lru_prev = t->lru_tail;
	f->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = f;
	else
		t->lru_head = f;
	t->lru_tail = f;
}

void flow_table_end(struct flow_table *t, struct flow *f, int reason)
{
	struct flow **pp;

	if (!f->in_table)
		return;
	if (t->last == f)
		t->last = NULL;
	if (t->end)
		t->end(t->end_ctx, f, reason);
	for (pp = &t->buckets[f->hash & t->mask]; *pp; pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	lru_unlink(t, f);
	if (reason >= 0 && reason < 3)
		t->st.ended[reason]++;
	t->st.active--;
	memset(f, 0, sizeof(*f));
	f->hnext = t->free_list;
	t->free_list = f;
}

static struct flow *flow_alloc(struct flow_table *t)
{
	struct flow *f;

	if (!t->free_list && t->allocated < t->cfg.max_flows) {
		struct flow_chunk *c = calloc(1, sizeof(*c));

		if (!c)
			return NULL;
		c->next = t->chunks;
		t->chunks = c;
		for (int i = FLOW_ALLOC_CHUNK; i-- > 0;) {
			c->flows[i].hnext = t->free_list;
			t->free_list = &c->flows[i];
		}
		t->allocated += FLOW_ALLOC_CHUNK;
	}
	f = t->free_list;
	if (f)
		t->free_list = f->hnext;
	return f;
}

/* 0 if the sender of p is the client, 1 if the receiver is (see struct flow). */
static int client_side(const struct packet *p)
{
	if (p->proto == IPPROTO_TCP)
		return tcp_reasm_client_side(p);
	if (p->sport < 1024 && p->dport >= 1024)
		return 1;
	return 0;
}

struct flow *flow_table_get(struct flow_table *t, const struct packet *p, int *ret_dir)
{
	uint32_t h = 0;
	struct flow *f;
	int dir;

	f = lookup(t, p, &h, &dir);
	if (f) {
		if (t->lru_tail != f) {
			lru_unlink(t, f);
			lru_append(t, f);
		}
	} else {
		int swap; /* a miss: lookup() set h */

		if (t->st.active >= t->cfg.max_flows && t->lru_head) {
			t->st.evicted++;
			flow_table_end(t, t->lru_head, FLOW_END_FORCED);
		}
		f = flow_alloc(t);
		if (!f) {
			t->st.refused++;
			return NULL;
		}
		swap = client_side(p);
		f->key.addr[swap] = p->src;
		f->key.addr[!swap] = p->dst;
		f->key.port[swap] = p->sport;
		f->key.port[!swap] = p->dport;
		f->key.vlan[0] = p->vlan[0];
		f->key.vlan[1] = p->vlan[1];
		f->key.proto = p->proto;
		f->key.ip_version = p->ip_version;
		f->hash = h;
		f->start_us = p->ts_us;
		f->flow_id = make_flow_id(p, p->ts_us);
		f->state = FLOW_STATE_NEW;
		f->in_table = true;
		f->hnext = t->buckets[h & t->mask];
		t->buckets[h & t->mask] = f;
		lru_append(t, f);
		t->last = f;
		dir = swap ? APP_DIR_TOCLIENT : APP_DIR_TOSERVER;
		t->st.created++;
		t->st.active++;
		if (t->st.active > t->st.peak)
			t->st.peak = t->st.active;
		switch (proto_class(p->proto)) {
		case FLOW_PROTO_TCP:
			t->st.tcp++;
			break;
		case FLOW_PROTO_UDP:
			t->st.udp++;
			break;
		case FLOW_PROTO_ICMP:
			t->st.icmp++;
			break;
		default:
			t->st.other++;
			break;
		}
	}
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	f->pkts[dir]++;
	f->bytes[dir] += p->frame_len;
	if (p->proto == IPPROTO_TCP)
		f->tcp_flags[dir] |= p->tcp.flags;
	else if (dir == APP_DIR_TOCLIENT && f->state == FLOW_STATE_NEW)
		f->state = FLOW_STATE_ESTABLISHED;
	*ret_dir = dir;
	return f;
}

size_t flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	struct flow *f = t->lru_head;
	size_t n = 0;

	while (f) {
		struct flow *next = f->lru_next;
		uint64_t to = t->cfg.timeout_us[proto_class(f->key.proto)][f->state];

		/* the list is in last-use order: once a flow is younger than the shortest
		 * timeout, all that follow are too */
		if (f->last_us + t->min_timeout >= now_us)
			break;
		if (f->last_us + to < now_us) {
			flow_table_end(t, f, FLOW_END_TIMEOUT);
			n++;
		}
		f = next;
	}
	return n;
}

void flow_table_end_all(struct flow_table *t, int reason)
{
	while (t->lru_head)
		flow_table_end(t, t->lru_head, reason);
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	flow_table_end_all(t, FLOW_END_SHUTDOWN);
	while (t->chunks) {
		struct flow_chunk *c = t->chunks;

		t->chunks = c->next;
		free(c);
	}
	free(t->buckets);
	free(t);
}

const struct flow_stats *flow_table_stats(const struct flow_table *t)
{
	return &t->st;
}

const char *flow_state_name(enum flow_state st)
{
	switch (st) {
	case FLOW_STATE_NEW:
		return "new";
	case FLOW_STATE_ESTABLISHED:
		return "established";
	case FLOW_STATE_CLOSED:
		return "closed";
	default:
		return "unknown";
	}
}

const char *flow_end_reason_name(int reason)
{
	switch (reason) {
	case FLOW_END_TIMEOUT:
		return "timeout";
	case FLOW_END_FORCED:
		return "forced";
	case FLOW_END_SHUTDOWN:
		return "shutdown";
	default:
		return "unknown";
	}
}
