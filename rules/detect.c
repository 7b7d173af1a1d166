// SPDX-License-Identifier: GPL-2.0-only
/*
 * Matching inputs against a compiled ruleset: Hyperscan prefilter per buffer, candidate
 * rules verified in ruleset order (header, flow, content programs, flowbits), then
 * thresholds and per-transaction alert dedup. Per-worker state lives in struct detect_ctx.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ruleset_int.h"

#define PCRE_MATCH_LIMIT 3500 /* Suricata's pcre.match-limit default */
#define PCRE_DEPTH_LIMIT 1500 /* Suricata's pcre.match-limit-recursion default */
#define INSPECT_BUDGET 3000 /* content elements tried per rule and buffer */
#define THR_TABLE_SIZE 65536 /* threshold entries per host state (power of two) */
/* (transaction, rule) pairs remembered as alerted per flow; when full, the oldest
 * transaction's pairs are forgotten first (a transaction may be inspected at its request
 * and again when complete, with later requests pipelined in between) */
#define TX_ALERTED_MAX 64
#define XBITS_TABLE_SIZE 65536 /* xbits entries per host state (power of two) */
/* pkt_data fast patterns remembered per flow direction as present in the stream bytes the
 * next input starts with; past it the next input is scanned whole (STREAM_CARRY_MAX) */
#define STREAM_CARRY_MAX 32
#define DIR_FLAGS (DETECT_PKT_TO_SERVER | DETECT_PKT_TO_CLIENT)
#define IPC_MAX 8 /* IP-only candidates cached per flow direction (more: not cached) */

static const char *const buf_names[DETECT_BUF_MAX] = {
	[DETECT_BUF_PKT] = "pkt_data",
	[DETECT_BUF_STREAM] = "stream",
	[DETECT_BUF_HTTP_URI] = "http.uri",
	[DETECT_BUF_HTTP_URI_RAW] = "http.uri.raw",
	[DETECT_BUF_HTTP_METHOD] = "http.method",
	[DETECT_BUF_HTTP_HOST] = "http.host",
	[DETECT_BUF_HTTP_HOST_RAW] = "http.host.raw",
	[DETECT_BUF_HTTP_REQUEST_LINE] = "http.request_line",
	[DETECT_BUF_HTTP_USER_AGENT] = "http.user_agent",
	[DETECT_BUF_HTTP_REFERER] = "http.referer",
	[DETECT_BUF_HTTP_ACCEPT] = "http.accept",
	[DETECT_BUF_HTTP_ACCEPT_ENC] = "http.accept_enc",
	[DETECT_BUF_HTTP_ACCEPT_LANG] = "http.accept_lang",
	[DETECT_BUF_HTTP_REQUEST_BODY] = "http.request_body",
	[DETECT_BUF_HTTP_HEADER] = "http.header",
	[DETECT_BUF_HTTP_HEADER_RAW] = "http.header.raw",
	[DETECT_BUF_HTTP_HEADER_NAMES] = "http.header_names",
	[DETECT_BUF_HTTP_COOKIE] = "http.cookie",
	[DETECT_BUF_HTTP_CONTENT_TYPE] = "http.content_type",
	[DETECT_BUF_HTTP_CONTENT_LEN] = "http.content_len",
	[DETECT_BUF_HTTP_START] = "http.start",
	[DETECT_BUF_HTTP_PROTOCOL] = "http.protocol",
	[DETECT_BUF_HTTP_CONNECTION] = "http.connection",
	[DETECT_BUF_HTTP_STAT_CODE] = "http.stat_code",
	[DETECT_BUF_HTTP_STAT_MSG] = "http.stat_msg",
	[DETECT_BUF_HTTP_RESPONSE_LINE] = "http.response_line",
	[DETECT_BUF_HTTP_RESPONSE_BODY] = "http.response_body",
	[DETECT_BUF_HTTP_SERVER] = "http.server",
	[DETECT_BUF_HTTP_LOCATION] = "http.location",
	[DETECT_BUF_HTTP_HEADER_RESP] = "http.header (response)",
	[DETECT_BUF_HTTP_HEADER_RAW_RESP] = "http.header.raw (response)",
	[DETECT_BUF_HTTP_HEADER_NAMES_RESP] = "http.header_names (response)",
	[DETECT_BUF_HTTP_COOKIE_RESP] = "http.cookie (response)",
	[DETECT_BUF_HTTP_CONTENT_TYPE_RESP] = "http.content_type (response)",
	[DETECT_BUF_HTTP_CONTENT_LEN_RESP] = "http.content_len (response)",
	[DETECT_BUF_HTTP_START_RESP] = "http.start (response)",
	[DETECT_BUF_HTTP_PROTOCOL_RESP] = "http.protocol (response)",
	[DETECT_BUF_HTTP_CONNECTION_RESP] = "http.connection (response)",
};

const char *detect_buf_name(enum detect_buf b)
{
	return (unsigned int)b < DETECT_BUF_MAX && buf_names[b] ? buf_names[b] : "?";
}

struct thr_ent {
	uint32_t rule; /* rule index + 1; 0 = empty */
	uint8_t family;
	uint8_t addr[16];
	uint32_t count;
	uint64_t window_start; /* usec */
};

/* An xbit set on an address (or address pair) until expire_usec. */
struct xb_ent {
	uint32_t id; /* name id + 1; 0 = empty */
	uint8_t key[33]; /* family, then the address or the ordered pair */
	uint64_t expire_usec;
};

/* Host-scoped state (see detect_hosts_new in rules.h); tables allocated on first use. */
struct detect_hosts {
	pthread_mutex_t mu;
	struct thr_ent *thr; /* THR_TABLE_SIZE */
	struct xb_ent *xb; /* XBITS_TABLE_SIZE */
};

int detect_hosts_new(struct detect_hosts **ret)
{
	struct detect_hosts *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->mu, NULL);
	*ret = h;
	return 0;
}

void detect_hosts_free(struct detect_hosts *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->mu);
	free(h->thr);
	free(h->xb);
	free(h);
}

/* Microseconds from T0 to T (0 when T is earlier: workers' packet times interleave). */
static uint64_t since_us(uint64_t t, uint64_t t0)
{
	return t > t0 ? t - t0 : 0;
}

/*
 * Per flow direction, for tracked stream inputs (detect_input.stream_tracked): the pkt_data
 * fast patterns that may occur in the bytes the next input of the direction starts with
 * (its already inspected prefix). The next input is then scanned from max_len - 1 bytes
 * before its new data only: a pattern occurrence starting earlier lies entirely in the
 * prefix, and its pattern is here. Each entry keeps the last stream offset at which the
 * occurrence it stands for may start (the end of the scan that found it, minus one); it
 * is dropped once the kept bytes no longer reach that far. More entries than needed only
 * make more candidates (each is verified in full), never fewer alerts.
 */
struct stream_carry {
	const struct mpm *m; /* the database the pattern ids are of */
	bool valid; /* the entries are complete for the bytes at next_abs... */
	uint64_t next_abs; /* ...the stream offset the next input must start at */
	uint32_t n;
	struct {
		uint32_t pat;
		uint64_t last_start;
	} e[STREAM_CARRY_MAX];
};

struct detect_ctx {
	const struct ruleset *rs;
	hs_scratch_t *scratch;
	uint32_t *found; /* pkt_data patterns found by the current stream scan */
	uint32_t n_found;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint8_t *cand; /* per rule: 1 when already a candidate of this input */
	uint32_t *list;
	size_t n_list;
	struct detect_hosts *hosts; /* own (own_hosts) or shared; NULL until first needed */
	bool own_hosts;
	uint8_t *dp; /* dotprefix copy, DOTPREFIX_MAX + 1 bytes */
	struct detect_ctx_stats st;
};

struct detect_flow {
	uint64_t generation;
	uint32_t nbits;
	uint8_t *bits;
	uint32_t nints;
	struct {
		uint32_t v;
		uint8_t set;
	} * ints; /* flowint values by name id, allocated on first use */
	uint32_t n_alerted;
	uint32_t alerted[TX_ALERTED_MAX];
	uint64_t alerted_tx[TX_ALERTED_MAX];
	struct stream_carry *carry[2]; /* per stream direction, allocated on first use */
	/* IP-only candidates of the flow's addresses, per packet direction: a flow's packets
	 * repeat them, so the index is probed once per direction (key checked every time) */
	struct {
		bool valid;
		uint8_t family, n;
		uint8_t src[16], dst[16];
		uint32_t rules[IPC_MAX];
	} ipc[2];
};

void detect_ctx_free(struct detect_ctx *ctx)
{
	if (!ctx)
		return;
	hs_free_scratch(ctx->scratch);
	pcre2_match_data_free(ctx->md);
	pcre2_match_context_free(ctx->mctx);
	free(ctx->cand);
	free(ctx->found);
	free(ctx->list);
	if (ctx->own_hosts)
		detect_hosts_free(ctx->hosts);
	free(ctx->dp);
	free(ctx);
}
DEFINE_FREEP(struct detect_ctx, detect_ctx_free)

int detect_ctx_new(const struct ruleset *rs, struct detect_ctx **ret)
{
	_cleanup_(detect_ctx_freep) struct detect_ctx *ctx = calloc(1, sizeof(*ctx));
	size_t n = rs->n ? rs->n : 1;

	if (!ctx)
		return -ENOMEM;
	ctx->rs = rs;
	if (rs->scratch && hs_clone_scratch(rs->scratch, &ctx->scratch) != HS_SUCCESS)
		return -ENOMEM;
	ctx->md = pcre2_match_data_create(16, NULL);
	ctx->mctx = pcre2_match_context_create(NULL);
	ctx->cand = calloc(n, 1);
	ctx->found = calloc(rs->mpm[DETECT_BUF_PKT].n_pats + 1, sizeof(*ctx->found));
	ctx->list = calloc(n, sizeof(*ctx->list));
	ctx->dp = malloc(DOTPREFIX_MAX + 1);
	if (!ctx->md || !ctx->mctx || !ctx->cand || !ctx->found || !ctx->list || !ctx->dp)
		return -ENOMEM;
	pcre2_set_match_limit(ctx->mctx, PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(ctx->mctx, PCRE_DEPTH_LIMIT);
	*ret = TAKE_PTR(ctx);
	return 0;
}

void detect_ctx_set_hosts(struct detect_ctx *ctx, struct detect_hosts *h)
{
	if (ctx->own_hosts)
		detect_hosts_free(ctx->hosts);
	ctx->hosts = h;
	ctx->own_hosts = false;
}

/* The context's host state, created on first use when none was given (NULL: no memory). */
static struct detect_hosts *ctx_hosts(struct detect_ctx *ctx)
{
	if (!ctx->hosts && detect_hosts_new(&ctx->hosts) == 0)
		ctx->own_hosts = true;
	return ctx->hosts;
}

void detect_ctx_get_stats(const struct detect_ctx *ctx, struct detect_ctx_stats *ret)
{
	*ret = ctx->st;
}

struct detect_flow *detect_flow_new(void)
{
	return calloc(1, sizeof(struct detect_flow));
}

void detect_flow_free(struct detect_flow *f)
{
	if (!f)
		return;
	free(f->bits);
	free(f->ints);
	free(f->carry[0]);
	free(f->carry[1]);
	free(f);
}

static void flow_bind(struct detect_flow *f, const struct ruleset *rs)
{
	if (f->generation == rs->generation)
		return;
	free(f->bits);
	f->bits = NULL;
	f->nbits = 0;
	free(f->ints);
	f->ints = NULL;
	f->nints = 0;
	f->n_alerted = 0;
	f->ipc[0].valid = f->ipc[1].valid = false;
	/* pattern ids of another ruleset's database */
	for (int d = 0; d < 2; d++)
		if (f->carry[d])
			f->carry[d]->valid = false;
	f->generation = rs->generation;
}

static bool fb_get(const struct detect_flow *f, uint32_t id)
{
	return f && id < f->nbits && (f->bits[id / 8] >> (id % 8)) & 1;
}

static void fb_put(struct detect_flow *f, const struct ruleset *rs, uint32_t id, int how)
{
	bool cur;

	if (!f->bits) {
		f->nbits = (uint32_t)rs->flowbits.n;
		f->bits = calloc((f->nbits + 7) / 8 + 1, 1);
		if (!f->bits) {
			f->nbits = 0;
			return;
		}
	}
	if (id >= f->nbits)
		return;
	cur = fb_get(f, id);
	if (how == FB_SET || (how == FB_TOGGLE && !cur))
		f->bits[id / 8] |= (uint8_t)(1u << (id % 8));
	else
		f->bits[id / 8] &= (uint8_t) ~(1u << (id % 8));
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
		       unsigned int flags, void *user)
{
	void **a = user;
	struct detect_ctx *ctx = a[0];
	const struct mpm *m = a[1];

	for (uint32_t k = m->rule_off[id]; k < m->rule_off[id + 1]; k++) {
		uint32_t r = m->rule_ids[k];

		if (!ctx->cand[r]) {
			ctx->cand[r] = 1;
			ctx->list[ctx->n_list++] = r;
		}
	}
	return 0;
}

static void cand_add(struct detect_ctx *ctx, uint32_t r)
{
	if (!ctx->cand[r]) {
		ctx->cand[r] = 1;
		ctx->list[ctx->n_list++] = r;
	}
}

/* on_hs_match, also noting the pattern (single-match: once per scan) in ctx->found. */
static int on_hs_stream_match(unsigned int id, unsigned long long from, unsigned long long to,
			      unsigned int flags, void *user)
{
	void **a = user;
	struct detect_ctx *ctx = a[0];

	ctx->found[ctx->n_found++] = id;
	return on_hs_match(id, from, to, flags, user);
}

static void pat_candidates(struct detect_ctx *ctx, const struct mpm *m, uint32_t pat)
{
	for (uint32_t k = m->rule_off[pat]; k < m->rule_off[pat + 1]; k++)
		cand_add(ctx, m->rule_ids[k]);
}

static void carry_put(struct stream_carry *c, uint32_t pat, uint64_t last_start)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->e[i].pat == pat) {
			c->e[i].last_start = MAX(c->e[i].last_start, last_start);
			return;
		}
	if (c->n == STREAM_CARRY_MAX) {
		c->valid = false;
		return;
	}
	c->e[c->n].pat = pat;
	c->e[c->n++].last_start = last_start;
}

/*
 * The stream buffer's Hyperscan scan. Untracked: the whole buffer. Tracked (see struct
 * stream_carry): from max_len - 1 bytes before the new data when the direction's carry is
 * valid for this buffer, the carried patterns becoming candidates; then the carry is
 * rebuilt for the next buffer.
 */
static int scan_stream(struct detect_ctx *ctx, struct detect_flow *flow,
		       const struct detect_input *in, const struct mpm *m)
{
	const uint8_t *data = in->buf[DETECT_BUF_STREAM].data;
	size_t len = in->buf[DETECT_BUF_STREAM].len, lo = 0;
	struct stream_carry *c = NULL;
	void *arg[2] = { ctx, (void *)m };
	uint64_t end, next;
	uint32_t n;

	if (flow && in->stream_tracked && in->stream_dir < 2 && in->stream_new_off <= len) {
		c = flow->carry[in->stream_dir];
		if (!c) {
			c = flow->carry[in->stream_dir] = calloc(1, sizeof(*c));
			if (!c)
				ctx->st.carry_refused++;
		}
	}
	if (c && c->valid && c->m == m && c->next_abs == in->stream_abs) {
		if (in->stream_new_off + 1 > m->max_len)
			lo = in->stream_new_off + 1 - m->max_len;
		for (uint32_t i = 0; i < c->n; i++)
			if (c->e[i].last_start >= in->stream_abs)
				pat_candidates(ctx, m, c->e[i].pat);
	} else if (c) {
		c->valid = false;
	}
	ctx->n_found = 0;
	ctx->st.stream_scan_bytes += len - lo;
	if (hs_scan(m->db, (const char *)data + lo, (unsigned int)(len - lo), 0, ctx->scratch,
		    c ? on_hs_stream_match : on_hs_match, arg) != HS_SUCCESS) {
		if (c)
			c->valid = false;
		return -EIO;
	}
	if (!c)
		return 0;
	/* Next buffer: [next, end). Keep the entries that may still start in it. */
	end = in->stream_abs + len;
	next = end - MIN(in->stream_keep, len);
	n = 0;
	if (c->valid)
		for (uint32_t i = 0; i < c->n; i++)
			if (c->e[i].last_start >= next)
				c->e[n++] = c->e[i];
	c->n = n;
	c->valid = true;
	for (uint32_t i = 0; i < ctx->n_found && c->valid; i++)
		carry_put(c, ctx->found[i], end - 1);
	if (!c->valid)
		ctx->st.carry_overflows++;
	c->next_abs = next;
	c->m = m;
	return 0;
}

/* IP-only rules listing this address on the side it appears on (either side for <>). */
static void ip_candidates(struct detect_ctx *ctx, const struct detect_packet *p,
			  const uint8_t *addr, uint8_t side)
{
	const struct ip_index *x = &ctx->rs->ipidx;

	if (!x->heads)
		return;
	for (size_t k = 0; k < x->n_lens; k++) {
		struct cidr net = { .family = x->lens[k].family, .prefix = x->lens[k].prefix };
		uint32_t b;

		if (net.family != p->family)
			continue;
		memcpy(net.addr, addr, p->family == AF_INET ? 4 : 16);
		cidr_canonicalize(&net);
		b = ip_hash(net.family, net.prefix, net.addr) & (uint32_t)(x->cap - 1);
		for (uint32_t i = x->heads[b]; i != UINT32_MAX; i = x->ents[i].next) {
			const struct ip_ent *e = &x->ents[i];

			if (e->family == net.family && e->prefix == net.prefix &&
			    memcmp(e->addr, net.addr, 16) == 0 &&
			    (e->side == side || ctx->rs->rules[e->rule]->bidir))
				cand_add(ctx, e->rule);
		}
	}
}

/* ip_candidates() for both addresses, from the flow's cache when it holds them. */
static void ip_candidates_flow(struct detect_ctx *ctx, struct detect_flow *f,
			       const struct detect_packet *p)
{
	size_t n0 = ctx->n_list;
	int d = !!(p->flags & DETECT_PKT_TO_CLIENT);

	if (!ctx->rs->ipidx.heads)
		return;
	if (f && f->ipc[d].valid && f->ipc[d].family == p->family &&
	    memcmp(f->ipc[d].src, p->src, 16) == 0 && memcmp(f->ipc[d].dst, p->dst, 16) == 0) {
		for (uint32_t i = 0; i < f->ipc[d].n; i++)
			cand_add(ctx, f->ipc[d].rules[i]);
		return;
	}
	ip_candidates(ctx, p, p->src, 0);
	ip_candidates(ctx, p, p->dst, 1);
	if (!f)
		return;
	/* the new candidates are exactly this packet's IP-only rules: no other way makes
	 * them candidates (they have no fast pattern and are not always-evaluated) */
	f->ipc[d].valid = false;
	if (ctx->n_list - n0 > IPC_MAX)
		return;
	f->ipc[d].family = p->family;
	memcpy(f->ipc[d].src, p->src, 16);
	memcpy(f->ipc[d].dst, p->dst, 16);
	f->ipc[d].n = (uint8_t)(ctx->n_list - n0);
	for (size_t i = n0; i < ctx->n_list; i++)
		f->ipc[d].rules[i - n0] = ctx->list[i];
	f->ipc[d].valid = true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool proto_match(const struct rule *r, const struct detect_packet *p)
{
	switch (r->proto) {
	case RPROTO_IP:
		return true;
	case RPROTO_TCP:
	case RPROTO_TCP_PKT:
	case RPROTO_TCP_STREAM:
		return p->ip_proto == IPPROTO_TCP;
	case RPROTO_HTTP:
		return p->ip_proto == IPPROTO_TCP && p->app_proto == DETECT_APP_HTTP;
	case RPROTO_UDP:
		return p->ip_proto == IPPROTO_UDP;
	case RPROTO_ICMP:
		return p->ip_proto == IPPROTO_ICMP || p->ip_proto == IPPROTO_ICMPV6;
	}
	return false;
}

/* Ports apply to every rule as in Suricata: packets without ports carry port 0. */
static bool ports_apply(const struct rule *r)
{
	return true;
}

static bool header_match(const struct rule *r, const struct detect_packet *p)
{
	bool fwd, rev = false;

	fwd = addr_list_match(&r->src, p->family, p->src) &&
	      addr_list_match(&r->dst, p->family, p->dst) &&
	      (!ports_apply(r) ||
	       (port_list_match(&r->sp, p->sport) && port_list_match(&r->dp, p->dport)));
	if (!fwd && r->bidir)
		rev = addr_list_match(&r->src, p->family, p->dst) &&
		      addr_list_match(&r->dst, p->family, p->src) &&
		      (!ports_apply(r) ||
		       (port_list_match(&r->sp, p->dport) && port_list_match(&r->dp, p->sport)));
	return fwd || rev;
}

static bool flow_match(const struct rule *r, const struct detect_packet *p)
{
	uint32_t f = r->flow, pf = p->flags;

	if ((f & RFLOW_TO_SERVER) && !(pf & DETECT_PKT_TO_SERVER))
		return false;
	if ((f & RFLOW_TO_CLIENT) && !(pf & DETECT_PKT_TO_CLIENT))
		return false;
	if ((f & RFLOW_ESTABLISHED) && !(pf & DETECT_PKT_ESTABLISHED))
		return false;
	if ((f & RFLOW_NOT_ESTABLISHED) && (pf & DETECT_PKT_ESTABLISHED))
		return false;
	if ((f & RFLOW_ONLY_STREAM) && !(pf & DETECT_PKT_STREAM))
		return false;
	if ((f & RFLOW_NO_STREAM) && (pf & DETECT_PKT_STREAM))
		return false;
	if ((f & RFLOW_ONLY_FRAG) && !(pf & DETECT_PKT_FRAG))
		return false;
	if ((f & RFLOW_NO_FRAG) && (pf & DETECT_PKT_FRAG))
		return false;
	return true;
}

static bool misc_match(const struct rule *r, const struct detect_input *in)
{
	const struct detect_packet *p = &in->pkt;

	if (r->has_app_proto && ((p->app_proto == r->app_proto) == r->app_proto_neg))
		return false;
	if (r->has_flags) {
		uint8_t f = p->tcp_flags & r->flags_mask;

		if (!(p->flags & DETECT_PKT_HAS_TCP))
			return false;
		switch (r->flags_mode) {
		case '+':
			if ((f & r->flags_set) != r->flags_set)
				return false;
			break;
		case '*':
			if (!(f & r->flags_set))
				return false;
			break;
		case '!':
			if (f & r->flags_set)
				return false;
			break;
		default:
			if (f != r->flags_set)
				return false;
		}
	}
	if (r->has_ttl && !cmp_match(&r->ttl, p->ttl))
		return false;
	if (r->has_ip_proto && !cmp_match(&r->ip_proto, p->ip_proto))
		return false;
	if ((r->has_itype || r->has_icode) && !(p->flags & DETECT_PKT_HAS_ICMP))
		return false;
	if (r->has_itype && !cmp_match(&r->itype, p->icmp_type))
		return false;
	if (r->has_icode && !cmp_match(&r->icode, p->icmp_code))
		return false;
	/* dsize is about this packet's payload (such rules inspect the packet, not the
	 * stream: see lists_match()). Like Suricata 7, "dsize:!N" needs a payload: a packet
	 * without one (SYN, bare ACK) never matches it. */
	if (r->has_dsize &&
	    (!cmp_match(&r->dsize, p->dsize) || (r->dsize.op == CMP_NE && p->dsize == 0)))
		return false;
	if (r->has_stream_size) {
		bool s, c;

		if (!(p->flags & DETECT_PKT_HAS_STREAM_SIZE))
			return false;
		s = cmp_match(&r->ss, p->stream_bytes_toclient);
		c = cmp_match(&r->ss, p->stream_bytes_toserver);
		if (!(r->ss_which == 0 ? s :
		      r->ss_which == 1 ? c :
		      r->ss_which == 2 ? s && c :
					 s || c))
			return false;
	}
	if (r->has_urilen) {
		int b = r->urilen_raw ? DETECT_BUF_HTTP_URI_RAW : DETECT_BUF_HTTP_URI;

		if (!in->buf[b].data || !cmp_match(&r->urilen, in->buf[b].len))
			return false;
	}
	return true;
}

static bool lists_match(struct detect_ctx *ctx, const struct rule *r, const struct detect_input *in)
{
	struct inspect_env env = {
		.md = ctx->md,
		.mctx = ctx->mctx,
		.pcre_limit_hits = &ctx->st.pcre_limit_hits,
		.budget_hits = &ctx->st.inspect_budget_hits,
	};

	for (int li = 0; li < r->n_lists; li++) {
		const struct rule_list *l = &r->lists[li];
		int b = l->buf;

		if (b == DETECT_BUF_PKT) {
			/* The payload list: a tcp rule inspects the stream when the input has
			 * it, else the packet. Packet rules (tcp-pkt, dsize, no_stream) only
			 * packets; stream rules (tcp-stream, only_stream) only streams. */
			if (r->proto == RPROTO_TCP_STREAM || (r->flow & RFLOW_ONLY_STREAM))
				b = DETECT_BUF_STREAM;
			else if (rule_pkt_only(r))
				b = DETECT_BUF_PKT;
			else if (in->buf[DETECT_BUF_STREAM].data)
				b = DETECT_BUF_STREAM;
		}
		if (!in->buf[b].data)
			return false;
		env.budget = INSPECT_BUDGET;
		env.min_end = b == DETECT_BUF_STREAM ? in->stream_new_off : 0;
		if (l->dotprefix) {
			if (in->buf[b].len > DOTPREFIX_MAX) {
				ctx->st.transform_refused++;
				return false;
			}
			ctx->dp[0] = '.';
			memcpy(ctx->dp + 1, in->buf[b].data, in->buf[b].len);
			if (!content_inspect(l, ctx->dp, in->buf[b].len + 1, &env))
				return false;
			continue;
		}
		if (!content_inspect(l, in->buf[b].data, in->buf[b].len, &env))
			return false;
	}
	return true;
}

static void xb_key(const struct xbit_op *op, const struct detect_packet *p, uint8_t key[33])
{
	memset(key, 0, 33);
	key[0] = p->family;
	if (op->track == XB_IP_SRC) {
		memcpy(key + 1, p->src, 16);
	} else if (op->track == XB_IP_DST) {
		memcpy(key + 1, p->dst, 16);
	} else {
		/* A pair is the same whichever way the packet goes. */
		bool lt = memcmp(p->src, p->dst, 16) < 0;

		memcpy(key + 1, lt ? p->src : p->dst, 16);
		memcpy(key + 17, lt ? p->dst : p->src, 16);
	}
}

/* The live entry for (op, packet), or with create a slot for it (NULL when full). Called
 * with hs->mu held. */
static struct xb_ent *xb_lookup(struct detect_hosts *hs, const struct xbit_op *op,
				const struct detect_packet *p, bool create)
{
	uint8_t key[33];
	uint64_t h = (op->id + 1) * 0x9e3779b97f4a7c15ull;
	struct xb_ent *free_slot = NULL;

	if (!hs->xb) {
		if (!create)
			return NULL;
		hs->xb = calloc(XBITS_TABLE_SIZE, sizeof(*hs->xb));
		if (!hs->xb)
			return NULL;
	}
	xb_key(op, p, key);
	for (int i = 0; i < 33; i++)
		h = (h ^ key[i]) * 0x100000001b3ull;
	for (uint32_t probe = 0; probe < 16; probe++) {
		struct xb_ent *e = &hs->xb[(h + probe) & (XBITS_TABLE_SIZE - 1)];
		bool live = e->id && e->expire_usec > p->ts_usec;

		if (live && e->id == op->id + 1 && memcmp(e->key, key, 33) == 0)
			return e;
		if (!live && !free_slot)
			free_slot = e;
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->id = op->id + 1;
	memcpy(free_slot->key, key, 33);
	free_slot->expire_usec = 0;
	return free_slot;
}

static bool xbits_match(struct detect_ctx *ctx, const struct rule *r, const struct detect_packet *p)
{
	struct detect_hosts *hs;
	bool ok = true;

	if (!r->n_xb)
		return true;
	hs = ctx_hosts(ctx);
	if (!hs) { /* no memory: nothing is set */
		for (int i = 0; i < r->n_xb; i++)
			if (r->xb[i].cmd == FB_ISSET)
				return false;
		return true;
	}
	pthread_mutex_lock(&hs->mu);
	for (int i = 0; ok && i < r->n_xb; i++) {
		const struct xbit_op *op = &r->xb[i];

		if (op->cmd == FB_ISSET && !xb_lookup(hs, op, p, false))
			ok = false;
		if (op->cmd == FB_ISNOTSET && xb_lookup(hs, op, p, false))
			ok = false;
	}
	pthread_mutex_unlock(&hs->mu);
	return ok;
}

static void xbits_apply(struct detect_ctx *ctx, const struct rule *r, const struct detect_packet *p)
{
	struct detect_hosts *hs;

	if (!r->n_xb)
		return;
	hs = ctx_hosts(ctx);
	if (!hs) {
		ctx->st.xbits_refused++;
		return;
	}
	pthread_mutex_lock(&hs->mu);
	for (int i = 0; i < r->n_xb; i++) {
		const struct xbit_op *op = &r->xb[i];
		struct xb_ent *e;

		if (op->cmd == FB_ISSET || op->cmd == FB_ISNOTSET)
			continue;
		e = xb_lookup(hs, op, p, op->cmd != FB_UNSET);
		if (op->cmd == FB_UNSET || (op->cmd == FB_TOGGLE && e && e->expire_usec)) {
			if (e)
				e->id = 0;
			continue;
		}
		if (!e) {
			ctx->st.xbits_refused++;
			continue;
		}
		e->expire_usec = p->ts_usec + (uint64_t)op->expire * 1000000;
	}
	pthread_mutex_unlock(&hs->mu);
}

static bool flowint_match(const struct rule *r, const struct detect_flow *f)
{
	for (int i = 0; i < r->n_fi; i++) {
		const struct flowint_op *op = &r->fi[i];
		bool set = f && op->id < f->nints && f->ints[op->id].set;

		if (op->op == FI_ISSET && !set)
			return false;
		if (op->op == FI_NOTSET && set)
			return false;
		if (op->op == FI_CMP && (!set || !cmp_match(&op->cmp, f->ints[op->id].v)))
			return false;
	}
	return true;
}

static void flowint_apply(struct detect_flow *f, const struct ruleset *rs, const struct rule *r)
{
	for (int i = 0; f && i < r->n_fi; i++) {
		const struct flowint_op *op = &r->fi[i];

		if (op->op != FI_SET && op->op != FI_ADD && op->op != FI_SUB)
			continue;
		if (!f->ints) {
			f->nints = (uint32_t)rs->flowbits.n;
			f->ints = calloc(f->nints ? f->nints : 1, sizeof(*f->ints));
			if (!f->ints) {
				f->nints = 0;
				return;
			}
		}
		if (op->id >= f->nints)
			continue;
		/* An unset variable counts from 0, as in Suricata. */
		if (op->op == FI_SET || !f->ints[op->id].set)
			f->ints[op->id].v = op->op == FI_SUB ? 0 : op->value;
		else if (op->op == FI_ADD)
			f->ints[op->id].v += op->value;
		else
			f->ints[op->id].v -= op->value;
		f->ints[op->id].set = 1;
	}
}

static bool flowbits_match(const struct rule *r, const struct detect_flow *f)
{
	for (int i = 0; i < r->n_fb; i++) {
		const struct flowbit_op *op = &r->fb[i];
		int n_set = 0;

		if (op->cmd != FB_ISSET && op->cmd != FB_ISNOTSET)
			continue;
		for (int k = 0; k < op->n; k++)
			n_set += fb_get(f, op->ids[k]);
		if (op->cmd == FB_ISSET && (op->any ? n_set == 0 : n_set != op->n))
			return false;
		if (op->cmd == FB_ISNOTSET && (op->any ? n_set == op->n : n_set != 0))
			return false;
	}
	return true;
}

/* Thresholds: whether this match may alert. Suricata semantics per track key. Called with
 * hs->mu held. */
static bool threshold_step(struct detect_ctx *ctx, struct detect_hosts *hs, uint32_t ri,
			   const struct threshold *t, const struct detect_packet *p)
{
	uint8_t key[16] = { 0 };
	uint64_t h = (uint64_t)ri * 0x9e3779b97f4a7c15ull, win = (uint64_t)t->seconds * 1000000;
	struct thr_ent *e = NULL;

	if (!hs->thr) {
		hs->thr = calloc(THR_TABLE_SIZE, sizeof(*hs->thr));
		if (!hs->thr) {
			ctx->st.threshold_refused++;
			return true;
		}
	}
	if (t->track == TRACK_SRC)
		memcpy(key, p->src, 16);
	else if (t->track == TRACK_DST)
		memcpy(key, p->dst, 16);
	else if (t->track == TRACK_BOTH)
		for (int i = 0; i < 16; i++)
			key[i] = p->src[i] ^ p->dst[i];
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 0x100000001b3ull;
	for (uint32_t probe = 0; probe < 16; probe++) {
		struct thr_ent *c = &hs->thr[(h + probe) & (THR_TABLE_SIZE - 1)];

		if (c->rule == ri + 1 && c->family == p->family && memcmp(c->addr, key, 16) == 0) {
			e = c;
			break;
		}
		/* Reuse empty or expired slots. */
		if (!e && (c->rule == 0 || since_us(p->ts_usec, c->window_start) > 4 * win))
			e = c;
	}
	if (!e || e->rule != ri + 1 || e->family != p->family || memcmp(e->addr, key, 16)) {
		if (!e) {
			ctx->st.threshold_refused++;
			return true;
		}
		*e = (struct thr_ent){ .rule = ri + 1,
				       .family = p->family,
				       .window_start = p->ts_usec };
		memcpy(e->addr, key, 16);
	}
	if (since_us(p->ts_usec, e->window_start) >= win) {
		e->window_start = p->ts_usec;
		e->count = 0;
	}
	e->count++;
	switch (t->type) {
	case THR_LIMIT:
		return e->count <= t->count;
	case THR_THRESHOLD:
		if (e->count >= t->count) {
			e->count = 0;
			e->window_start = p->ts_usec;
			return true;
		}
		return false;
	case THR_BOTH:
		return e->count == t->count;
	case THR_DETECTION_FILTER:
		return e->count > t->count;
	}
	return true;
}

static bool threshold_pass(struct detect_ctx *ctx, uint32_t ri, const struct threshold *t,
			   const struct detect_packet *p)
{
	struct detect_hosts *hs = ctx_hosts(ctx);
	bool pass;

	if (!hs) {
		ctx->st.threshold_refused++;
		return true;
	}
	pthread_mutex_lock(&hs->mu);
	pass = threshold_step(ctx, hs, ri, t, p);
	pthread_mutex_unlock(&hs->mu);
	return pass;
}

/* True when this rule already alerted on this transaction of the flow. */
static bool tx_seen(struct detect_ctx *ctx, struct detect_flow *f, const struct detect_input *in,
		    uint32_t ri)
{
	uint64_t oldest = UINT64_MAX;
	uint32_t n = 0;

	for (uint32_t i = 0; i < f->n_alerted; i++)
		if (f->alerted[i] == ri && f->alerted_tx[i] == in->tx_id)
			return true;
	if (f->n_alerted == TX_ALERTED_MAX) {
		for (uint32_t i = 0; i < f->n_alerted; i++)
			oldest = MIN(oldest, f->alerted_tx[i]);
		if (oldest >= in->tx_id) {
			/* only this transaction is remembered and it is full */
			ctx->st.tx_dedup_refused++;
			return false;
		}
		for (uint32_t i = 0; i < f->n_alerted; i++)
			if (f->alerted_tx[i] != oldest) {
				f->alerted[n] = f->alerted[i];
				f->alerted_tx[n++] = f->alerted_tx[i];
			}
		f->n_alerted = n;
	}
	f->alerted[f->n_alerted] = ri;
	f->alerted_tx[f->n_alerted++] = in->tx_id;
	return false;
}

/*
 * Whether the packet's payload is the end of the stream's new bytes (data in order): the
 * stream scan, whose database (pm in detect_run) holds every pkt_data pattern of the
 * packet-only rules too, finds whatever pattern the packet holds, so the packet need not be
 * scanned again for the packet-only rules' patterns.
 */
static bool pkt_in_stream(const struct detect_input *in)
{
	const uint8_t *p = in->buf[DETECT_BUF_PKT].data, *s = in->buf[DETECT_BUF_STREAM].data;
	size_t pl = in->buf[DETECT_BUF_PKT].len, sl = in->buf[DETECT_BUF_STREAM].len;

	if (!p || !s || sl < in->stream_new_off || sl - in->stream_new_off < pl)
		return false;
	return memcmp(s + sl - pl, p, pl) == 0;
}

/* The port group of PORT, or an empty database when no rule of the set has a fast pattern. */
static const struct mpm *pg_get(const struct port_groups *g, uint16_t port)
{
	static const struct mpm none;

	return g->n_seg ? pg_lookup(g, port) : &none;
}

int detect_run(struct detect_ctx *ctx, struct detect_flow *flow, const struct detect_input *in,
	       detect_alert_cb cb, void *user)
{
	const struct ruleset *rs = ctx->rs;
	const struct mpm *pm = &rs->mpm[DETECT_BUF_PKT], *only = &rs->pkt_only;
	int matches = 0;

	ctx->st.scans++;
	if (flow)
		flow_bind(flow, rs);
	ctx->n_list = 0;
	/* pkt_data patterns of the rules this input's protocol, direction and server port
	 * can match (see struct port_groups) */
	if (in->pkt.ip_proto != IPPROTO_TCP) {
		if ((in->pkt.flags & DIR_FLAGS) == DETECT_PKT_TO_SERVER)
			pm = &rs->pkt_non_tcp[0];
		else if ((in->pkt.flags & DIR_FLAGS) == DETECT_PKT_TO_CLIENT)
			pm = &rs->pkt_non_tcp[1];
	} else if ((in->pkt.flags & DIR_FLAGS) == DETECT_PKT_TO_SERVER) {
		pm = pg_get(&rs->pg[PG_TOSERVER], in->pkt.dport);
	} else if ((in->pkt.flags & DIR_FLAGS) == DETECT_PKT_TO_CLIENT) {
		pm = pg_get(&rs->pg[PG_TOCLIENT], in->pkt.sport);
	}
	for (int b = 0; b < DETECT_BUF_MAX; b++) {
		const struct mpm *m =
			b == DETECT_BUF_PKT || b == DETECT_BUF_STREAM ? pm : &rs->mpm[b];
		void *arg[2];

		/* With stream data only packet-only rules inspect the packet (lists_match),
		 * and only when the stream scan does not hold the packet's bytes. */
		if (b == DETECT_BUF_PKT && in->buf[DETECT_BUF_STREAM].data)
			m = only;
		if (b == DETECT_BUF_PKT && pkt_in_stream(in))
			continue;
		arg[0] = ctx;
		arg[1] = (void *)m;

		if (!in->buf[b].data || !m->db || in->buf[b].len > UINT32_MAX)
			continue;
		if (b == DETECT_BUF_STREAM) {
			if (scan_stream(ctx, flow, in, m) < 0) {
				for (size_t i = 0; i < ctx->n_list; i++)
					ctx->cand[ctx->list[i]] = 0;
				return -EIO;
			}
			continue;
		}
		if (hs_scan(m->db, (const char *)in->buf[b].data, (unsigned int)in->buf[b].len, 0,
			    ctx->scratch, on_hs_match, arg) != HS_SUCCESS) {
			for (size_t i = 0; i < ctx->n_list; i++)
				ctx->cand[ctx->list[i]] = 0;
			return -EIO;
		}
	}
	for (size_t i = 0; i < rs->n_always; i++)
		cand_add(ctx, rs->always[i]);
	ip_candidates_flow(ctx, flow, &in->pkt);
	qsort(ctx->list, ctx->n_list, sizeof(*ctx->list), cmp_u32);
	ctx->st.candidates += ctx->n_list;
	for (size_t i = 0; i < ctx->n_list; i++) {
		uint32_t ri = ctx->list[i];
		const struct rule *r = rs->rules[ri];
		struct detect_alert a = { .rule = &r->info, .rule_idx = ri, .noalert = r->noalert };

		ctx->cand[ri] = 0;
		/* a transaction step inspects transaction rules only: packet rules were seen
		 * with the packet (Suricata's per-packet vs per-tx inspection) */
		if (in->has_tx && !r->info.tx_rule)
			continue;
		if (!proto_match(r, &in->pkt) || !flow_match(r, &in->pkt) ||
		    !header_match(r, &in->pkt) || !misc_match(r, in) || !flowbits_match(r, flow) ||
		    !flowint_match(r, flow) || !xbits_match(ctx, r, &in->pkt) ||
		    !lists_match(ctx, r, in))
			continue;
		if (r->info.tx_rule && in->has_tx && flow && tx_seen(ctx, flow, in, ri))
			continue;
		ctx->st.matches++;
		matches++;
		for (int k = 0; flow && k < r->n_fb; k++) {
			const struct flowbit_op *op = &r->fb[k];

			if (op->cmd == FB_SET || op->cmd == FB_UNSET || op->cmd == FB_TOGGLE)
				for (int n = 0; n < op->n; n++)
					fb_put(flow, rs, op->ids[n], op->cmd);
		}
		xbits_apply(ctx, r, &in->pkt);
		flowint_apply(flow, rs, r);
		if (r->dfilter.type && !threshold_pass(ctx, ri, &r->dfilter, &in->pkt))
			continue;
		if (r->thr.type && !threshold_pass(ctx, ri, &r->thr, &in->pkt))
			continue;
		if (!a.noalert)
			ctx->st.alerts++;
		if (cb && cb(user, in, &a)) {
			for (size_t k = i + 1; k < ctx->n_list; k++)
				ctx->cand[ctx->list[k]] = 0;
			break;
		}
	}
	return matches;
}
