// SPDX-License-Identifier: GPL-2.0-only
/*
 * Detection glue between the packet pipeline (dpi/) and the matcher (rules/).
 *
 * Per packet (packet_end, after the stream data it released went through the app layer):
 * one detect_run() with the packet's payload as pkt_data and, for TCP, the stream bytes the
 * packet released in its own direction, preceded by up to DETECT_GLUE_TAIL bytes already
 * inspected (stream_new_off), so a pattern split across segments is found once and never
 * twice. Stream bytes released in the other direction wait for that direction's next packet
 * (or the flow's end). Per HTTP transaction (the app layer's tx hook, called when the
 * request completes and again when the transaction does): one run with the request buffers
 * (to_server), one with request + response buffers (to_client) once a response exists; the
 * matcher inspects only transaction rules there and alerts once per rule and transaction,
 * while packet rules only see packet runs. Directions given to the matcher are relative to
 * the application's client (app_layer_flow_swapped() flows are reversed).
 *
 * It lives in policyd/ because the dpi room must not depend on the rules room: moatd is
 * where both meet.
 */
#include "detect_glue.h"
#include "msc_glue.h"

#include <errno.h>
#include <htp/htp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/lib.h"

struct gdir {
	uint8_t *buf; /* [0, tail) inspected already, [tail, len) new */
	size_t tail, len, cap;
	uint64_t abs; /* offset of buf[0] in the direction's sequence of appended bytes */
};

struct gflow {
	struct detect_flow *df;
	void *msc; /* SecRule transaction state (msc_glue.h) */
	bool passed; /* a pass rule matched: no more inspection */
	/* the app protocol as Suricata's packet rules see it: pending once moat knows it (from
	 * data of direction proto_dir), visible from the other side's acknowledgement on */
	bool proto_pending, proto_visible;
	int8_t proto_dir;
	struct gdir d[2];
};

struct sbuf {
	uint8_t *p;
	size_t len, cap;
	bool refused;
};

struct detect_glue {
	const struct ruleset *rs;
	struct detect_ctx *ctx;
	struct app_layer *a;
	struct app_ops inner;
	struct detect_glue_stats st;
	struct msc_glue *msc; /* SecRules, when the ruleset has some */
	/* the packet being processed (between packet and packet_end), else NULL */
	const struct packet *cur;
	struct flow *cur_flow;
	int cur_dir;
	struct sbuf hb[DETECT_BUF_MAX]; /* HTTP buffers built per transaction */
	size_t stream_mem; /* bytes held by all flows' stream buffers */
	detect_glue_alert_hook alert_hook;
	void *alert_hook_ctx;
	const char *in_iface; /* alerts' in_iface (live mode); NULL: omitted */
};

#define ALERTS_PER_RUN 64

struct alert_ctx {
	struct detect_glue *g;
	struct flow *f;
	bool to_server;
	uint64_t pcap_cnt, ts_us;
	int64_t tx_id;
	json_t *http;
	/* alerts of this run, written after it unless a pass rule matched */
	const struct rule_info *pend[ALERTS_PER_RUN];
	size_t n_pend;
	bool passed;
};

static void emit(struct alert_ctx *c, const struct rule_info *ri)
{
	struct eve_writer *w = app_layer_writer(c->g->a);
	struct eve_alert_meta m;
	struct eve_tuple t;
	json_t *o;

	m = (struct eve_alert_meta){
		/* offline (IDS) runs never drop: Suricata logs drop/reject rules as allowed */
		.action = "allowed",	  .gid = ri->gid, .sid = ri->sid,
		.rev = ri->rev,		  .msg = ri->msg, .category = ri->category,
		.severity = ri->priority,
	};
	app_layer_flow_tuple(c->f, &t);
	t.in_iface = c->g->in_iface;
	o = eve_alert_event_new(c->ts_us, &t, c->to_server, c->pcap_cnt, c->tx_id, &m,
				c->http ? "http" : NULL, c->http);
	c->f->alerted = true;
	if (c->g->alert_hook)
		c->g->alert_hook(c->g->alert_hook_ctx, ri, t.family, t.src_ip);
	if (!o) {
		c->g->st.errors++;
		return;
	}
	if (w && eve_writer_write(w, o) == 0)
		c->g->st.alerts++;
	else if (w)
		c->g->st.errors++;
	json_decref(o);
}

/* Suricata's action order puts pass first: a matching pass rule silences the packet's (or
 * transaction step's) other alerts and passes the rest of the flow without inspection. */
static int on_alert(void *user, const struct detect_input *in, const struct detect_alert *al)
{
	struct alert_ctx *c = user;

	(void)in;
	if (al->rule->action == RULE_ACTION_PASS) {
		c->passed = true;
		return 1;
	}
	if (al->noalert)
		return 0;
	if (c->n_pend < ALERTS_PER_RUN)
		c->pend[c->n_pend++] = al->rule;
	else
		emit(c, al->rule); /* cannot be held back: written at once */
	return 0;
}

static enum detect_app_proto app_proto_of(const struct flow *f)
{
	struct eve_tuple t;

	app_layer_flow_tuple(f, &t);
	if (!t.app_proto)
		return DETECT_APP_UNKNOWN;
	if (!strcmp(t.app_proto, "http"))
		return DETECT_APP_HTTP;
	if (!strcmp(t.app_proto, "failed"))
		return DETECT_APP_FAILED;
	return DETECT_APP_OTHER;
}

/* The packet fields of direction DIR (relative to the application's client, see
 * app_layer_flow_swapped()) of flow F; P (the packet, same direction) may be NULL for
 * inspections without a packet of that direction (transactions, flow end). */
static void fill_pkt(const struct flow *f, const struct packet *p, int dir, uint64_t ts_us,
		     struct detect_packet *dp)
{
	int sw = app_layer_flow_swapped(f);
	int s = (dir == APP_DIR_TOSERVER ? 0 : 1) ^ sw; /* the sender's index in f->key */

	memset(dp, 0, sizeof(*dp));
	dp->family = f->key.ip_version == 6 ? AF_INET6 : AF_INET;
	dp->ip_proto = f->key.proto;
	memcpy(dp->src, f->key.addr[s].u8, 16);
	memcpy(dp->dst, f->key.addr[!s].u8, 16);
	dp->sport = f->key.port[s];
	dp->dport = f->key.port[!s];
	dp->ts_usec = ts_us;
	dp->flags = dir == APP_DIR_TOSERVER ? DETECT_PKT_TO_SERVER : DETECT_PKT_TO_CLIENT;
	if (f->key.proto == IPPROTO_TCP) {
		if (f->tcp.established_seen)
			dp->flags |= DETECT_PKT_ESTABLISHED;
		if (f->tcp.tracked) {
			dp->flags |= DETECT_PKT_HAS_STREAM_SIZE;
			dp->stream_bytes_toserver = tcp_reasm_stream_bytes(&f->tcp, sw);
			dp->stream_bytes_toclient = tcp_reasm_stream_bytes(&f->tcp, !sw);
		}
	} else if (f->state != FLOW_STATE_NEW) {
		dp->flags |= DETECT_PKT_ESTABLISHED;
	}
	dp->app_proto = app_proto_of(f);
	if (!p)
		return;
	dp->ttl = p->ttl;
	dp->dsize = p->payload_len;
	if (p->proto == IPPROTO_TCP && p->l4) {
		dp->flags |= DETECT_PKT_HAS_TCP;
		dp->tcp_flags = p->tcp.flags;
	}
	if ((p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && p->l4) {
		dp->flags |= DETECT_PKT_HAS_ICMP;
		dp->icmp_type = p->icmp_type;
		dp->icmp_code = p->icmp_code;
	}
	if (p->flags & PKT_REASSEMBLED)
		dp->flags |= DETECT_PKT_FRAG;
}

static void run(struct detect_glue *g, struct gflow *gf, const struct detect_input *in,
		struct alert_ctx *c)
{
	int r;

	if (gf && gf->passed)
		return;
	g->st.runs++;
	c->n_pend = 0;
	c->passed = false;
	r = detect_run(g->ctx, gf ? gf->df : NULL, in, on_alert, c);
	if (r < 0)
		g->st.errors++;
	if (c->passed) {
		g->st.passed++;
		if (gf)
			gf->passed = true;
		return;
	}
	for (size_t i = 0; i < c->n_pend; i++)
		emit(c, c->pend[i]);
}

static struct gflow *gflow_get(struct detect_glue *g, struct flow *f)
{
	void **slot = app_layer_flow_user(f);
	struct gflow *gf;

	if (!slot) {
		g->st.alloc_failures++;
		return NULL;
	}
	if (*slot)
		return *slot;
	gf = calloc(1, sizeof(*gf));
	if (!gf || !(gf->df = detect_flow_new())) {
		free(gf);
		g->st.alloc_failures++;
		return NULL;
	}
	*slot = gf;
	return gf;
}

static void gflow_free(struct detect_glue *g, struct gflow *gf)
{
	if (!gf)
		return;
	g->stream_mem -= gf->d[0].cap + gf->d[1].cap;
	msc_glue_flow_end(g->msc, NULL, &gf->msc);
	detect_flow_free(gf->df);
	free(gf->d[0].buf);
	free(gf->d[1].buf);
	free(gf);
}

static void gdir_append(struct detect_glue *g, struct gdir *d, const uint8_t *data, size_t len)
{
	size_t room = DETECT_GLUE_TAIL + DETECT_GLUE_STREAM_MAX - d->len;

	if (len > room) {
		g->st.stream_refused += len - room;
		len = room;
	}
	if (!len)
		return;
	if (d->len + len > d->cap) {
		size_t cap = MAX(d->cap * 2, 2 * (size_t)DETECT_GLUE_TAIL);
		uint8_t *n;

		while (cap < d->len + len)
			cap *= 2;
		if (g->stream_mem - d->cap + cap > DETECT_GLUE_MEMCAP) {
			g->st.stream_refused += len;
			g->st.memcap_hits++;
			return;
		}
		n = realloc(d->buf, cap);
		if (!n) {
			g->st.stream_refused += len;
			return;
		}
		g->stream_mem = g->stream_mem - d->cap + cap;
		d->buf = n;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

/* After inspection: keep the last DETECT_GLUE_TAIL bytes as the next call's prefix, and
 * give back what a large burst made the buffer grow to. */
static void gdir_consumed(struct detect_glue *g, struct gdir *d)
{
	size_t keep = MIN(d->len, (size_t)DETECT_GLUE_TAIL);

	memmove(d->buf, d->buf + d->len - keep, keep);
	d->abs += d->len - keep;
	d->tail = d->len = keep;
	if (d->cap > 4 * (size_t)DETECT_GLUE_TAIL) {
		uint8_t *n = realloc(d->buf, 2 * (size_t)DETECT_GLUE_TAIL);

		if (n) {
			g->stream_mem = g->stream_mem - d->cap + 2 * (size_t)DETECT_GLUE_TAIL;
			d->buf = n;
			d->cap = 2 * (size_t)DETECT_GLUE_TAIL;
		}
	}
}

static void set_stream(struct detect_input *in, struct gdir *d, int dir)
{
	if (d->len <= d->tail)
		return;
	in->buf[DETECT_BUF_STREAM].data = d->buf;
	in->buf[DETECT_BUF_STREAM].len = d->len;
	in->stream_new_off = d->tail;
	/* gdir_consumed() keeps the last DETECT_GLUE_TAIL bytes: the matcher scans only the
	 * new ones and remembers the patterns in the kept ones */
	in->stream_tracked = true;
	in->stream_dir = (uint8_t)dir;
	in->stream_abs = d->abs;
	in->stream_keep = MIN(d->len, (size_t)DETECT_GLUE_TAIL);
	in->pkt.flags |= DETECT_PKT_STREAM;
}

static void on_packet(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	struct detect_glue *g = ctx;

	g->cur = p;
	g->cur_flow = f;
	g->cur_dir = dir;
	if (g->inner.packet)
		g->inner.packet(g->inner.ctx, f, p, dir);
}

static void on_stream(void *ctx, struct flow *f, int dir, const uint8_t *data, size_t len,
		      unsigned int flags, uint64_t ts_us)
{
	struct detect_glue *g = ctx;
	struct gflow *gf;

	if (g->inner.stream)
		g->inner.stream(g->inner.ctx, f, dir, data, len, flags, ts_us);
	if (!data || !len || (flags & (APP_STREAM_GAP | APP_STREAM_EOF)))
		return;
	gf = gflow_get(g, f);
	if (gf)
		gdir_append(g, &gf->d[dir], data, len);
}

/*
 * The app protocol a TCP packet rule sees. Suricata (IDS) hands a direction's stream data to
 * its app layer when the other side acknowledges it, so the protocol is known from the first
 * packet of the other direction that does (an ACK without SYN: not a TFO SYN-ACK) after the
 * data; moat parses at once. Packet rules with a protocol (`alert http` without buffers,
 * app-layer-protocol) fire on Suricata's packets this way. A flow whose other side was never
 * seen is parsed packet by packet (stream.async-oneside): known at once (unless the data came
 * on a SYN, TCP Fast Open: the answer is still to come).
 */
static enum detect_app_proto packet_app_proto(struct gflow *gf, const struct flow *f,
					      const struct packet *p, int dir,
					      enum detect_app_proto ap)
{
	if (ap == DETECT_APP_UNKNOWN || !gf || gf->proto_visible)
		return ap;
	if (!f->pkts[!dir] && !(p->tcp.flags & TCP_SYN)) {
		gf->proto_visible = true;
		return ap;
	}
	if (!gf->proto_pending) {
		gf->proto_pending = true;
		gf->proto_dir = (int8_t)dir;
		return DETECT_APP_UNKNOWN;
	}
	if (dir != gf->proto_dir && (p->tcp.flags & TCP_ACK) && !(p->tcp.flags & TCP_SYN)) {
		gf->proto_visible = true;
		return ap;
	}
	return DETECT_APP_UNKNOWN;
}

static void on_packet_end(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	struct detect_glue *g = ctx;
	int adir = dir ^ app_layer_flow_swapped(f);
	struct gflow *gf;
	struct detect_input in;
	struct alert_ctx c = {
		.g = g,
		.f = f,
		.to_server = adir == APP_DIR_TOSERVER,
		.pcap_cnt = p->pkt_num,
		.ts_us = p->ts_us,
		.tx_id = -1,
	};

	if (g->inner.packet_end)
		g->inner.packet_end(g->inner.ctx, f, p, dir);
	gf = gflow_get(g, f);
	memset(&in, 0, sizeof(in));
	fill_pkt(f, p, adir, p->ts_us, &in.pkt);
	if (f->key.proto == IPPROTO_TCP && p->l4)
		in.pkt.app_proto = packet_app_proto(gf, f, p, dir, in.pkt.app_proto);
	if (p->payload_len) {
		in.buf[DETECT_BUF_PKT].data = p->payload;
		in.buf[DETECT_BUF_PKT].len = p->payload_len;
	}
	if (gf && f->key.proto == IPPROTO_TCP)
		set_stream(&in, &gf->d[dir], dir);
	run(g, gf, &in, &c);
	if (gf && in.buf[DETECT_BUF_STREAM].data)
		gdir_consumed(g, &gf->d[dir]);
	g->cur = NULL;
	g->cur_flow = NULL;
}

static void on_flow_end(void *ctx, struct flow *f, int reason)
{
	struct detect_glue *g = ctx;
	void **slot = f->app_state ? app_layer_flow_user(f) : NULL;
	struct gflow *gf = slot ? *slot : NULL;

	g->cur = NULL;
	g->cur_flow = NULL;
	/* stream data delivered by the final flush has no packet: inspect it on its own */
	for (int dir = 0; gf && dir < 2; dir++) {
		int adir = dir ^ app_layer_flow_swapped(f);
		struct detect_input in;
		struct alert_ctx c = {
			.g = g,
			.f = f,
			.to_server = adir == APP_DIR_TOSERVER,
			.ts_us = f->last_us,
			.tx_id = -1,
		};

		if (gf->d[dir].len <= gf->d[dir].tail)
			continue;
		memset(&in, 0, sizeof(in));
		fill_pkt(f, NULL, adir, f->last_us, &in.pkt);
		set_stream(&in, &gf->d[dir], dir);
		run(g, gf, &in, &c);
		gdir_consumed(g, &gf->d[dir]);
	}
	if (g->inner.flow_end)
		g->inner.flow_end(g->inner.ctx, f, reason);
	if (gf && g->msc)
		msc_glue_flow_end(g->msc, f, &gf->msc);
	/* the app layer freed the slot with its flow state; the gflow is ours */
	gflow_free(g, gf);
}

/* ---- HTTP transaction buffers ---- */

static void sb_add(struct detect_glue *g, struct sbuf *b, const void *p, size_t n)
{
	if (b->refused)
		return;
	if (b->len + n > DETECT_GLUE_HTTP_MAX) {
		b->refused = true;
		g->st.http_buf_refused++;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = MAX(b->cap * 2, (size_t)1024);
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->refused = true;
			g->st.http_buf_refused++;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void sb_bstr(struct detect_glue *g, struct sbuf *b, const bstr *s)
{
	if (s)
		sb_add(g, b, bstr_ptr(s), bstr_len(s));
}

static void set_buf(struct detect_input *in, enum detect_buf b, const uint8_t *p, size_t n)
{
	if (!p)
		return;
	in->buf[b].data = p;
	in->buf[b].len = n;
}

static void set_bstr(struct detect_input *in, enum detect_buf b, const bstr *s)
{
	if (s)
		set_buf(in, b, bstr_ptr(s), bstr_len(s));
}

static void set_sb(struct detect_input *in, enum detect_buf b, struct sbuf *s)
{
	if (!s->refused)
		set_buf(in, b, s->p ? s->p : (const uint8_t *)"", s->len);
}

static void set_header(struct detect_input *in, enum detect_buf b, htp_table_t *t, const char *name)
{
	htp_header_t *h = t ? htp_table_get_c(t, name) : NULL;

	if (h)
		set_bstr(in, b, h->value);
}

/* http.header ("Name: value\r\n" without EXCLUDE), http.header_names
 * ("\r\nName...\r\n\r\n"), http.header.raw (every header, then "\r\n"). */
static void build_headers(struct detect_glue *g, htp_table_t *t, const char *exclude,
			  enum detect_buf hdr, enum detect_buf names, enum detect_buf raw)
{
	size_t n = t ? htp_table_size(t) : 0;

	if (!n)
		return;
	sb_add(g, &g->hb[names], "\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(t, i, NULL);

		if (!h || !h->name)
			continue;
		sb_bstr(g, &g->hb[names], h->name);
		sb_add(g, &g->hb[names], "\r\n", 2);
		sb_bstr(g, &g->hb[raw], h->name);
		sb_add(g, &g->hb[raw], ": ", 2);
		sb_bstr(g, &g->hb[raw], h->value);
		sb_add(g, &g->hb[raw], "\r\n", 2);
		if (bstr_cmp_c_nocase(h->name, exclude) == 0)
			continue;
		sb_bstr(g, &g->hb[hdr], h->name);
		sb_add(g, &g->hb[hdr], ": ", 2);
		sb_bstr(g, &g->hb[hdr], h->value);
		sb_add(g, &g->hb[hdr], "\r\n", 2);
	}
	sb_add(g, &g->hb[names], "\r\n", 2);
	sb_add(g, &g->hb[raw], "\r\n", 2);
}

/* http.header.raw is the header block as received when the app layer kept it (spacing and
 * folding intact); the rebuilt "Name: value" lines stand in otherwise. */
static void use_raw(struct detect_glue *g, const struct http_view *v, enum detect_buf raw)
{
	if (!v->ptr || !v->len)
		return;
	g->hb[raw].len = 0;
	g->hb[raw].refused = false;
	sb_add(g, &g->hb[raw], v->ptr, v->len);
}

static void build_start(struct detect_glue *g, const bstr *line, enum detect_buf start,
			enum detect_buf raw)
{
	if (!line)
		return;
	sb_bstr(g, &g->hb[start], line);
	sb_add(g, &g->hb[start], "\r\n", 2);
	if (!g->hb[raw].refused)
		sb_add(g, &g->hb[start], g->hb[raw].p, g->hb[raw].len);
}

/*
 * Inspect one side of a transaction (dir relative to the real client). The packet fields come
 * from the packet being processed when it belongs to this flow and travels in that direction,
 * else from the flow alone; the alert's pcap_cnt is that packet's number whenever it belongs
 * to this flow (0 for work done at flow end).
 */
static void run_tx_side(struct detect_glue *g, struct gflow *gf, struct flow *f,
			struct detect_input *in, int dir, const struct http_tx *tx,
			json_t *http_obj, uint64_t ts_us)
{
	bool cur = g->cur && g->cur_flow == f && g->cur_dir == (dir ^ app_layer_flow_swapped(f));
	struct alert_ctx c = {
		.g = g,
		.f = f,
		.to_server = dir == APP_DIR_TOSERVER,
		.pcap_cnt = g->cur && g->cur_flow == f ? g->cur->pkt_num : 0,
		.ts_us = ts_us,
		.tx_id = (int64_t)tx->tx_id,
		.http = http_obj,
	};

	fill_pkt(f, cur ? g->cur : NULL, dir, ts_us, &in->pkt);
	/* A transaction rule may also have a payload list (pcre without a buffer modifier
	 * beside http ones): Suricata inspects it on the packet whose data completed the
	 * transaction's side, so that packet's payload goes with the buffers. */
	if (cur && g->cur->payload_len) {
		in->buf[DETECT_BUF_PKT].data = g->cur->payload;
		in->buf[DETECT_BUF_PKT].len = g->cur->payload_len;
	} else {
		in->buf[DETECT_BUF_PKT].data = NULL;
	}
	run(g, gf, in, &c);
}

static void on_tx(void *ctx, struct flow *f, const struct http_tx *tx, json_t *http_obj,
		  uint64_t ts_us)
{
	struct detect_glue *g = ctx;
	htp_tx_t *h = tx->htp;
	struct gflow *gf = gflow_get(g, f);
	struct detect_input in;
	bool have_resp = h && (h->response_line || tx->status);

	if (g->msc && gf)
		msc_glue_tx(g->msc, f, &gf->msc, tx, http_obj, ts_us,
			    g->cur && g->cur_flow == f ? g->cur->pkt_num : 0);
	for (int i = 0; i < DETECT_BUF_MAX; i++) {
		g->hb[i].len = 0;
		g->hb[i].refused = false;
	}
	memset(&in, 0, sizeof(in));
	in.has_tx = true;
	in.tx_id = tx->tx_id;

	/* request side */
	set_buf(&in, DETECT_BUF_HTTP_METHOD, tx->method.ptr, tx->method.len);
	set_buf(&in, DETECT_BUF_HTTP_URI, tx->uri_norm.ptr, tx->uri_norm.len);
	set_buf(&in, DETECT_BUF_HTTP_URI_RAW, tx->uri_raw.ptr, tx->uri_raw.len);
	set_buf(&in, DETECT_BUF_HTTP_PROTOCOL, tx->protocol.ptr, tx->protocol.len);
	set_buf(&in, DETECT_BUF_HTTP_USER_AGENT, tx->user_agent.ptr, tx->user_agent.len);
	set_buf(&in, DETECT_BUF_HTTP_COOKIE, tx->cookie.ptr, tx->cookie.len);
	set_buf(&in, DETECT_BUF_HTTP_REFERER, tx->referer.ptr, tx->referer.len);
	set_buf(&in, DETECT_BUF_HTTP_CONTENT_TYPE, tx->request_content_type.ptr,
		tx->request_content_type.len);
	if (tx->request_body.ptr && tx->request_body.len)
		set_buf(&in, DETECT_BUF_HTTP_REQUEST_BODY, tx->request_body.ptr,
			tx->request_body.len);
	if (tx->host.ptr) {
		/* Suricata's http.host: lowercase, without the port */
		struct sbuf *b = &g->hb[DETECT_BUF_HTTP_HOST];

		sb_add(g, b, tx->host.ptr, tx->host.len);
		for (size_t i = 0; !b->refused && i < b->len; i++)
			if (b->p[i] >= 'A' && b->p[i] <= 'Z')
				b->p[i] = (uint8_t)(b->p[i] - 'A' + 'a');
		set_sb(&in, DETECT_BUF_HTTP_HOST, b);
	}
	if (h) {
		htp_table_t *rq = h->request_headers;

		set_bstr(&in, DETECT_BUF_HTTP_REQUEST_LINE, h->request_line);
		set_header(&in, DETECT_BUF_HTTP_HOST_RAW, rq, "host");
		set_header(&in, DETECT_BUF_HTTP_ACCEPT, rq, "accept");
		set_header(&in, DETECT_BUF_HTTP_ACCEPT_ENC, rq, "accept-encoding");
		set_header(&in, DETECT_BUF_HTTP_ACCEPT_LANG, rq, "accept-language");
		set_header(&in, DETECT_BUF_HTTP_CONTENT_LEN, rq, "content-length");
		set_header(&in, DETECT_BUF_HTTP_CONNECTION, rq, "connection");
		build_headers(g, rq, "cookie", DETECT_BUF_HTTP_HEADER, DETECT_BUF_HTTP_HEADER_NAMES,
			      DETECT_BUF_HTTP_HEADER_RAW);
		use_raw(g, &tx->request_headers_raw, DETECT_BUF_HTTP_HEADER_RAW);
		build_start(g, h->request_line, DETECT_BUF_HTTP_START, DETECT_BUF_HTTP_HEADER_RAW);
		set_sb(&in, DETECT_BUF_HTTP_HEADER, &g->hb[DETECT_BUF_HTTP_HEADER]);
		set_sb(&in, DETECT_BUF_HTTP_HEADER_NAMES, &g->hb[DETECT_BUF_HTTP_HEADER_NAMES]);
		set_sb(&in, DETECT_BUF_HTTP_HEADER_RAW, &g->hb[DETECT_BUF_HTTP_HEADER_RAW]);
		if (h->request_line)
			set_sb(&in, DETECT_BUF_HTTP_START, &g->hb[DETECT_BUF_HTTP_START]);
		for (int b = DETECT_BUF_HTTP_HEADER; b <= DETECT_BUF_HTTP_HEADER_RAW; b++)
			if (!g->hb[b].len)
				in.buf[b].data = NULL;
		if (!g->hb[DETECT_BUF_HTTP_HEADER_NAMES].len)
			in.buf[DETECT_BUF_HTTP_HEADER_NAMES].data = NULL;
	}
	run_tx_side(g, gf, f, &in, APP_DIR_TOSERVER, tx, http_obj, ts_us);
	if (!have_resp)
		return;

	/* response side, with the request buffers still set */
	set_buf(&in, DETECT_BUF_HTTP_LOCATION, tx->location.ptr, tx->location.len);
	set_buf(&in, DETECT_BUF_HTTP_COOKIE_RESP, tx->set_cookie.ptr, tx->set_cookie.len);
	set_buf(&in, DETECT_BUF_HTTP_CONTENT_TYPE_RESP, tx->response_content_type.ptr,
		tx->response_content_type.len);
	set_buf(&in, DETECT_BUF_HTTP_PROTOCOL_RESP, tx->response_protocol.ptr,
		tx->response_protocol.len);
	if (tx->response_body.ptr && tx->response_body.len)
		set_buf(&in, DETECT_BUF_HTTP_RESPONSE_BODY, tx->response_body.ptr,
			tx->response_body.len);
	if (h) {
		htp_table_t *rs = h->response_headers;

		set_bstr(&in, DETECT_BUF_HTTP_STAT_CODE, h->response_status);
		set_bstr(&in, DETECT_BUF_HTTP_STAT_MSG, h->response_message);
		set_bstr(&in, DETECT_BUF_HTTP_RESPONSE_LINE, h->response_line);
		set_header(&in, DETECT_BUF_HTTP_SERVER, rs, "server");
		set_header(&in, DETECT_BUF_HTTP_CONTENT_LEN_RESP, rs, "content-length");
		set_header(&in, DETECT_BUF_HTTP_CONNECTION_RESP, rs, "connection");
		build_headers(g, rs, "set-cookie", DETECT_BUF_HTTP_HEADER_RESP,
			      DETECT_BUF_HTTP_HEADER_NAMES_RESP, DETECT_BUF_HTTP_HEADER_RAW_RESP);
		use_raw(g, &tx->response_headers_raw, DETECT_BUF_HTTP_HEADER_RAW_RESP);
		build_start(g, h->response_line, DETECT_BUF_HTTP_START_RESP,
			    DETECT_BUF_HTTP_HEADER_RAW_RESP);
		if (g->hb[DETECT_BUF_HTTP_HEADER_RESP].len)
			set_sb(&in, DETECT_BUF_HTTP_HEADER_RESP,
			       &g->hb[DETECT_BUF_HTTP_HEADER_RESP]);
		if (g->hb[DETECT_BUF_HTTP_HEADER_NAMES_RESP].len)
			set_sb(&in, DETECT_BUF_HTTP_HEADER_NAMES_RESP,
			       &g->hb[DETECT_BUF_HTTP_HEADER_NAMES_RESP]);
		if (g->hb[DETECT_BUF_HTTP_HEADER_RAW_RESP].len)
			set_sb(&in, DETECT_BUF_HTTP_HEADER_RAW_RESP,
			       &g->hb[DETECT_BUF_HTTP_HEADER_RAW_RESP]);
		if (g->hb[DETECT_BUF_HTTP_START_RESP].len)
			set_sb(&in, DETECT_BUF_HTTP_START_RESP, &g->hb[DETECT_BUF_HTTP_START_RESP]);
	}
	run_tx_side(g, gf, f, &in, APP_DIR_TOCLIENT, tx, http_obj, ts_us);
}

int detect_glue_new(const struct ruleset *rs, struct app_layer *a, struct detect_glue **ret)
{
	struct detect_glue *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return -ENOMEM;
	r = detect_ctx_new(rs, &g->ctx);
	if (r < 0) {
		free(g);
		return r;
	}
	g->rs = rs;
	g->a = a;
	if (ruleset_msc(rs)) {
		r = msc_glue_new(ruleset_msc(rs), a, &g->msc);
		if (r < 0) {
			detect_glue_free(g);
			return r;
		}
	}
	app_layer_ops(a, &g->inner);
	app_layer_set_tx_hook(a, on_tx, g);
	*ret = g;
	return 0;
}

int detect_glue_set_ruleset(struct detect_glue *g, const struct ruleset *rs)
{
	struct detect_ctx *ctx;
	int r;

	r = detect_ctx_new(rs, &ctx);
	if (r < 0)
		return r;
	/* The SecRule side follows the ruleset too: its context must not outlive the old
	 * ruleset, which the caller frees once every worker has moved on. */
	if (g->msc) {
		r = msc_glue_set_ruleset(g->msc, ruleset_msc(rs));
	} else if (ruleset_msc(rs)) {
		r = msc_glue_new(ruleset_msc(rs), g->a, &g->msc);
		if (r >= 0) {
			msc_glue_set_hook(g->msc, g->alert_hook, g->alert_hook_ctx);
			msc_glue_set_in_iface(g->msc, g->in_iface);
		}
	}
	if (r < 0) {
		detect_ctx_free(ctx);
		return r;
	}
	detect_ctx_free(g->ctx);
	g->ctx = ctx;
	g->rs = rs;
	return 0;
}

void detect_glue_set_in_iface(struct detect_glue *g, const char *name)
{
	g->in_iface = name;
	if (g->msc)
		msc_glue_set_in_iface(g->msc, name);
}

void detect_glue_set_alert_hook(struct detect_glue *g, detect_glue_alert_hook hook, void *ctx)
{
	g->alert_hook = hook;
	g->alert_hook_ctx = ctx;
	/* SecRule decisions (CRS 949110) feed the same scores */
	if (g->msc)
		msc_glue_set_hook(g->msc, hook, ctx);
}

void detect_glue_set_hosts(struct detect_glue *g, struct detect_hosts *h)
{
	detect_ctx_set_hosts(g->ctx, h);
}

void detect_glue_free(struct detect_glue *g)
{
	if (!g)
		return;
	detect_ctx_free(g->ctx);
	msc_glue_free(g->msc);
	for (int i = 0; i < DETECT_BUF_MAX; i++)
		free(g->hb[i].p);
	free(g);
}

void detect_glue_ops(struct detect_glue *g, struct app_ops *ret_ops)
{
	*ret_ops = (struct app_ops){
		.ctx = g,
		.stream = on_stream,
		.packet = on_packet,
		.flow_end = on_flow_end,
		.packet_end = on_packet_end,
	};
}

const struct detect_glue_stats *detect_glue_stats(const struct detect_glue *g)
{
	return &g->st;
}

const struct msc_glue_stats *detect_glue_msc_stats(const struct detect_glue *g)
{
	return g->msc ? msc_glue_stats(g->msc) : NULL;
}
