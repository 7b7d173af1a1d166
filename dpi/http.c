// SPDX-License-Identifier: GPL-2.0-only
/* HTTP/1.x via libhtp: one connection parser per flow, bodies within limits, transactions
 * reported once when complete (or at close), content-based detection, the EVE object. */
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <htp/htp.h>
#include <htp/htp_multipart.h>

#include "eve.h"

#define HTTP_PENDING_CAP (256 * 1024) /* bytes held back while libhtp waits for the peer */
#define HTTP_MAX_DEFER 64 /* txs whose destruction waits for the parser call */

struct http_engine {
	htp_cfg_t *cfg;
	struct http_config conf;
};

/* Our per-transaction state, in htp_tx user data. */
#define HTTP_RAW_HEADER_MAX (64 * 1024)

struct http_txd {
	bool reported;
	bool req_trunc, res_trunc;
	uint8_t *req_body, *res_body;
	size_t req_len, res_len, req_cap, res_cap;
	/* raw header blocks as received (for http.header.raw), kept only with bodies */
	uint8_t *req_hdr, *res_hdr;
	size_t req_hdr_len, res_hdr_len, req_hdr_cap, res_hdr_cap;
};

struct http_pending {
	uint8_t *buf;
	size_t len;
};

struct http_conn {
	struct http_engine *e;
	htp_connp_t *connp;
	/* the connection's transaction list: libhtp creates it with the connection and
	 * keeps it to the end */
	htp_list_t *txs;
	/* its size after the last parser call, while the list is still in the cache: only
	 * the parser adds transactions (destroying one leaves a NULL in its place), so this
	 * is the size the next feed's max_tx check would read (one cache miss per feed
	 * less: 1.5% of an offline run) */
	size_t ntx;
	http_tx_cb cb;
	http_tx_cb req_cb; /* http_conn_set_request_cb() */
	void *user;
	struct http_stats *st;
	uint64_t ts_us;
	uint64_t destroyed; /* txs freed early (complete and reported) */
	bool dead[2]; /* direction no longer parsed (gap, error) */
	bool closed;
	bool stopped; /* whole connection no longer parsed */
	bool suspended; /* http_conn_suspend(): keep pending, parse nothing more */
	struct http_pending pending[2];
	htp_tx_t *defer[HTTP_MAX_DEFER];
	unsigned int ndefer;
};

void http_config_defaults(struct http_config *c)
{
	*c = (struct http_config){
		.request_body_limit = 100 * 1024,
		.response_body_limit = 100 * 1024,
		.decompress_layer_limit = 2,
		.max_tx = 512,
		.field_soft_limit = 9000,
		.field_hard_limit = 18000,
	};
}

static struct http_conn *conn_of(const htp_tx_t *tx)
{
	return htp_connp_get_user_data(tx->connp);
}

static struct http_txd *txd_get(htp_tx_t *tx)
{
	struct http_txd *d = htp_tx_get_user_data(tx);

	if (!d) {
		d = calloc(1, sizeof(*d));
		if (d)
			htp_tx_set_user_data(tx, d);
	}
	return d;
}

static void txd_free(htp_tx_t *tx)
{
	struct http_txd *d = htp_tx_get_user_data(tx);

	if (d) {
		free(d->req_body);
		free(d->res_body);
		free(d->req_hdr);
		free(d->res_hdr);
		free(d);
		htp_tx_set_user_data(tx, NULL);
	}
}

/* Append to a body buffer up to `limit` (0 = unlimited); returns false when cut. */
static bool body_append(uint8_t **buf, size_t *len, size_t *cap, uint64_t limit,
			const uint8_t *data, size_t n, int64_t expected, struct http_stats *st)
{
	size_t take = n;
	bool cut = false;

	if (limit && *len + take > limit) {
		take = *len >= limit ? 0 : (size_t)limit - *len;
		cut = true;
		st->body_truncated += n - take;
	}
	if (take == 0)
		return !cut;
	if (*len + take > *cap) {
		/* first allocation sized for the announced body (Content-Length), so a body
		 * is copied once rather than through doubling reallocs */
		size_t ncap = *cap ? *cap : expected > 0 ? (size_t)expected : 1024;
		uint8_t *nb;

		while (ncap < *len + take)
			ncap *= 2;
		if (limit && ncap > limit)
			ncap = (size_t)limit;
		nb = realloc(*buf, ncap);
		if (!nb) {
			st->alloc_failures++;
			return false;
		}
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, take);
	*len += take;
	return !cut;
}

/* A POST whose Content-Type is multipart/form-data (the requests whose files Suricata
 * extracts; the boundary is checked by the multipart parser). */
static bool multipart_post(const uint8_t *method, size_t method_len, const uint8_t *ct,
			   size_t ct_len)
{
	static const char mime[] = HTP_MULTIPART_MIME_TYPE;

	return method && method_len == 4 && memcmp(method, "POST", 4) == 0 && ct &&
	       ct_len >= sizeof(mime) - 1 &&
	       strncasecmp((const char *)ct, mime, sizeof(mime) - 1) == 0;
}

/* multipart_post() of a libhtp transaction (its body is kept for its files). */
static bool is_multipart_post(const htp_tx_t *tx)
{
	const htp_header_t *h =
		tx->request_headers ? htp_table_get_c(tx->request_headers, "content-type") : NULL;

	return tx->request_method && h && h->value &&
	       multipart_post(bstr_ptr(tx->request_method), bstr_len(tx->request_method),
			      bstr_ptr(h->value), bstr_len(h->value));
}

static int hook_req_body(htp_tx_data_t *d)
{
	struct http_conn *c = conn_of(d->tx);
	struct http_txd *td;

	/* track_files alone: only a multipart POST's body, for its files */
	if (!c->e->conf.keep_request_body && !is_multipart_post(d->tx))
		return HTP_OK;
	td = txd_get(d->tx);
	if (!td) {
		c->st->alloc_failures++;
		return HTP_OK;
	}
	if (d->data && d->len &&
	    !body_append(&td->req_body, &td->req_len, &td->req_cap, c->e->conf.request_body_limit,
			 d->data, d->len, d->tx->request_content_length, c->st))
		td->req_trunc = true;
	return HTP_OK;
}

static int hook_res_body(htp_tx_data_t *d)
{
	struct http_conn *c = conn_of(d->tx);
	struct http_txd *td = txd_get(d->tx);

	if (!td) {
		c->st->alloc_failures++;
		return HTP_OK;
	}
	if (d->data && d->len &&
	    !body_append(&td->res_body, &td->res_len, &td->res_cap, c->e->conf.response_body_limit,
			 d->data, d->len,
			 d->tx->response_content_encoding_processing == HTP_COMPRESSION_NONE ?
				 d->tx->response_content_length :
				 -1,
			 c->st))
		td->res_trunc = true;
	return HTP_OK;
}

/* Raw header bytes as libhtp saw them (folding and spacing kept), capped by the field
 * hard limit like the headers themselves. */
static int hook_hdr_data(htp_tx_data_t *d, bool response)
{
	struct http_conn *c = conn_of(d->tx);
	struct http_txd *td = txd_get(d->tx);

	if (!td) {
		c->st->alloc_failures++;
		return HTP_OK;
	}
	if (d->data && d->len) {
		if (response)
			body_append(&td->res_hdr, &td->res_hdr_len, &td->res_hdr_cap,
				    HTTP_RAW_HEADER_MAX, d->data, d->len, -1, c->st);
		else
			body_append(&td->req_hdr, &td->req_hdr_len, &td->req_hdr_cap,
				    HTTP_RAW_HEADER_MAX, d->data, d->len, -1, c->st);
	}
	return HTP_OK;
}

static int hook_req_hdr(htp_tx_data_t *d)
{
	return hook_hdr_data(d, false);
}

static int hook_res_hdr(htp_tx_data_t *d)
{
	return hook_hdr_data(d, true);
}

static struct http_view view_bstr(const bstr *b)
{
	if (!b)
		return (struct http_view){ 0 };
	return (struct http_view){ bstr_ptr(b), bstr_len(b) };
}

#define HDR(name)                      \
	{                              \
		name, sizeof(name) - 1 \
	}
struct header_name {
	const char *name;
	size_t len;
};

/*
 * Several headers of one table in one walk: OUT[i] = what htp_table_get_c(T, NAMES[i].name)
 * returns (the first header whose name matches by libhtp's comparison), without a scan of
 * the whole table per name (tx_call()'s lookups, one scan each, were 4% of an offline run).
 * A header name without NUL bytes can only match a name of the same length, so only those
 * are compared, with libhtp's own function; one holding NULs is always compared (libhtp
 * skips them).
 */
static void headers_get(htp_table_t *t, const struct header_name *names, size_t n,
			const htp_header_t **out)
{
	size_t nh = t ? htp_table_size(t) : 0, left = n;
	unsigned int found = 0;

	for (size_t j = 0; j < n; j++)
		out[j] = NULL;
	for (size_t i = 0; i < nh && left; i++) {
		bstr *key = NULL;
		htp_header_t *h = htp_table_get_index(t, i, &key);
		bool nul;

		if (!key)
			continue;
		nul = memchr(bstr_ptr(key), 0, bstr_len(key)) != NULL;
		for (size_t j = 0; j < n; j++) {
			if ((found & (1u << j)) || (!nul && bstr_len(key) != names[j].len) ||
			    bstr_cmp_c_nocasenorzero(key, names[j].name) != 0)
				continue;
			out[j] = h;
			found |= 1u << j;
			left--;
		}
	}
}

static struct http_view view_value(const htp_header_t *h)
{
	return h ? view_bstr(h->value) : (struct http_view){ 0 };
}

/* The normalized URI: libhtp's decoded path (per its IDS personality) + query + fragment,
 * as Suricata builds http.uri. Caller frees. */
static uint8_t *uri_normalize(const htp_tx_t *tx, size_t *ret_len)
{
	const htp_uri_t *u = tx->parsed_uri;
	size_t n = 0;
	uint8_t *s, *p;

	if (!u || !u->path)
		return NULL;
	n = bstr_len(u->path) + (u->query ? bstr_len(u->query) + 1 : 0) +
	    (u->fragment ? bstr_len(u->fragment) + 1 : 0);
	s = p = malloc(n ? n : 1);
	if (!s)
		return NULL;
	memcpy(p, bstr_ptr(u->path), bstr_len(u->path));
	p += bstr_len(u->path);
	if (u->query) {
		*p++ = '?';
		memcpy(p, bstr_ptr(u->query), bstr_len(u->query));
		p += bstr_len(u->query);
	}
	if (u->fragment) {
		*p++ = '#';
		memcpy(p, bstr_ptr(u->fragment), bstr_len(u->fragment));
	}
	*ret_len = n;
	return s;
}

/* Build the view of TX and call CB with it. */
#define REQ_HDRS 5
#define RES_HDRS 4
static const struct header_name req_names[REQ_HDRS] = {
	HDR("user-agent"),	    HDR("cookie"), HDR("referer"), HDR("content-type"),
	HDR("content-disposition"),
};
static const struct header_name res_names[RES_HDRS] = {
	HDR("content-type"),
	HDR("location"),
	HDR("set-cookie"),
	HDR("content-disposition"),
};

static void tx_call(struct http_conn *c, htp_tx_t *tx, struct http_txd *td, http_tx_cb cb)
{
	const htp_header_t *req_h[REQ_HDRS], *res_h[RES_HDRS];
	struct http_tx t = { 0 };
	uint8_t *norm;
	size_t norm_len = 0;

	t.tx_id = tx->index;
	t.request_complete = tx->request_progress == HTP_REQUEST_COMPLETE;
	t.response_complete = tx->response_progress == HTP_RESPONSE_COMPLETE;
	t.method = view_bstr(tx->request_method);
	t.uri_raw = view_bstr(tx->request_uri);
	norm = uri_normalize(tx, &norm_len);
	if (norm)
		t.uri_norm = (struct http_view){ norm, norm_len };
	t.protocol = view_bstr(tx->request_protocol);
	t.host = view_bstr(tx->request_hostname);
	t.host_port = tx->request_port_number;
	headers_get(tx->request_headers, req_names, REQ_HDRS, req_h);
	t.user_agent = view_value(req_h[0]);
	t.cookie = view_value(req_h[1]);
	t.referer = view_value(req_h[2]);
	t.request_content_type = view_value(req_h[3]);
	t.request_content_disposition = req_h[4];
	t.status_line = view_bstr(tx->response_line);
	t.response_protocol = view_bstr(tx->response_protocol);
	headers_get(tx->response_headers, res_names, RES_HDRS, res_h);
	t.response_content_type = view_value(res_h[0]);
	t.location = view_value(res_h[1]);
	t.set_cookie = view_value(res_h[2]);
	t.response_content_disposition = res_h[3];
	t.status = tx->response_status_number > 0 ? tx->response_status_number : 0;
	t.request_message_len = tx->request_message_len > 0 ? (uint64_t)tx->request_message_len : 0;
	t.response_message_len =
		tx->response_message_len > 0 ? (uint64_t)tx->response_message_len : 0;
	t.request_body = (struct http_view){ td->req_body, td->req_len };
	t.response_body = (struct http_view){ td->res_body, td->res_len };
	t.request_headers_raw = (struct http_view){ td->req_hdr, td->req_hdr_len };
	t.response_headers_raw = (struct http_view){ td->res_hdr, td->res_hdr_len };
	t.request_body_truncated = td->req_trunc;
	t.response_body_truncated = td->res_trunc;
	t.request_body_limit = c->e->conf.request_body_limit;
	t.response_body_limit = c->e->conf.response_body_limit;
	t.htp = tx;
	if (cb)
		cb(c->user, &t, c->ts_us);
	free(norm);
}

static void tx_report(struct http_conn *c, htp_tx_t *tx)
{
	struct http_txd *td = txd_get(tx);

	if (!td) {
		c->st->alloc_failures++;
		return;
	}
	if (td->reported)
		return;
	td->reported = true;
	c->st->txs++;
	tx_call(c, tx, td, c->cb);
}

/* Report a finished tx and schedule its destruction after the current parser call (libhtp
 * may still look at it inside the hook). */
static void tx_finished(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx);

	tx_report(c, tx);
	if (c->ndefer < HTTP_MAX_DEFER)
		c->defer[c->ndefer++] = tx;
}

static int hook_req_complete(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx);

	if (tx->response_progress == HTP_RESPONSE_COMPLETE) {
		tx_finished(tx);
	} else if (c->req_cb) {
		struct http_txd *td = txd_get(tx);

		if (td)
			tx_call(c, tx, td, c->req_cb);
		else
			c->st->alloc_failures++;
	}
	return HTP_OK;
}

static int hook_res_complete(htp_tx_t *tx)
{
	if (tx->request_progress == HTP_REQUEST_COMPLETE)
		tx_finished(tx);
	else if (tx->request_method_number == HTP_M_CONNECT && tx->response_status_number >= 200 &&
		 tx->response_status_number < 300)
		/* a successful CONNECT: libhtp ends the request only when tunnel data arrives;
		 * report now so the caller can hand the tunnel to re-detection */
		tx_report(conn_of(tx), tx);
	return HTP_OK;
}

int http_engine_new(const struct http_config *conf, struct http_engine **ret_e)
{
	struct http_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->conf = *conf;
	e->cfg = htp_config_create();
	if (!e->cfg) {
		free(e);
		return -ENOMEM;
	}
	/* Suricata's default-config: IDS personality, response decompression, lzma/bomb caps */
	htp_config_set_server_personality(e->cfg, HTP_SERVER_IDS);
	/* the IDS personality lowercases the path; Suricata turns that off (rules and file
	 * names see the path's case) and so do we */
	htp_config_set_convert_lowercase(e->cfg, HTP_DECODER_URL_PATH, 0);
	htp_config_set_log_level(e->cfg, HTP_LOG_ERROR);
	htp_config_set_tx_auto_destroy(e->cfg, 0);
	htp_config_set_response_decompression(e->cfg, 1);
	htp_config_set_response_decompression_layer_limit(e->cfg, conf->decompress_layer_limit);
	htp_config_set_lzma_memlimit(e->cfg, 1024 * 1024);
	htp_config_set_lzma_layers(e->cfg, conf->decompress_layer_limit);
	htp_config_set_compression_bomb_limit(e->cfg, 1024 * 1024);
	htp_config_set_compression_time_limit(e->cfg, 100000);
	htp_config_set_field_limits(e->cfg, conf->field_soft_limit, conf->field_hard_limit);
	htp_config_set_parse_request_cookies(e->cfg, 0);
	/* Suricata 7.0.16+ decompresses request bodies too */
	htp_config_set_request_decompression(e->cfg, 1);
	if (conf->keep_request_body || conf->track_files)
		htp_config_register_request_body_data(e->cfg, hook_req_body);
	if (conf->keep_request_body)
		htp_config_register_request_header_data(e->cfg, hook_req_hdr);
	if (conf->keep_response_body)
		htp_config_register_response_header_data(e->cfg, hook_res_hdr);
	if (conf->keep_response_body)
		htp_config_register_response_body_data(e->cfg, hook_res_body);
	htp_config_register_request_complete(e->cfg, hook_req_complete);
	htp_config_register_response_complete(e->cfg, hook_res_complete);
	*ret_e = e;
	return 0;
}

void http_engine_set_request_body_limit(struct http_engine *e, uint64_t limit)
{
	e->conf.request_body_limit = limit;
}

void http_engine_free(struct http_engine *e)
{
	if (!e)
		return;
	htp_config_destroy(e->cfg);
	free(e);
}

static void ts_to_htp(uint64_t ts_us, htp_time_t *t)
{
	t->tv_sec = (time_t)(ts_us / 1000000);
	t->tv_usec = (suseconds_t)(ts_us % 1000000);
}

void http_conn_set_request_cb(struct http_conn *c, http_tx_cb cb)
{
	c->req_cb = cb;
}

struct http_conn *http_conn_new(struct http_engine *e, http_tx_cb cb, void *user,
				struct http_stats *st, uint64_t ts_us)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	htp_time_t t;

	if (!c) {
		st->alloc_failures++;
		return NULL;
	}
	c->connp = htp_connp_create(e->cfg);
	if (!c->connp) {
		st->alloc_failures++;
		free(c);
		return NULL;
	}
	c->e = e;
	c->cb = cb;
	c->user = user;
	c->st = st;
	c->ts_us = ts_us;
	ts_to_htp(ts_us, &t);
	htp_connp_set_user_data(c->connp, c);
	htp_connp_open(c->connp, NULL, 0, NULL, 0, &t);
	c->txs = htp_connp_get_connection(c->connp)->transactions;
	st->conns++;
	return c;
}

static void run_deferred(struct http_conn *c)
{
	for (unsigned int i = 0; i < c->ndefer; i++) {
		htp_tx_t *tx = c->defer[i];

		txd_free(tx);
		if (htp_tx_destroy(tx) == HTP_OK)
			c->destroyed++;
	}
	c->ndefer = 0;
}

static size_t live_txs(const struct http_conn *c)
{
	return c->ntx - (size_t)c->destroyed;
}

/* One libhtp call; returns bytes consumed, or SIZE_MAX when the direction died. */
static size_t feed_once(struct http_conn *c, int dir, const uint8_t *data, size_t len,
			bool *ret_other)
{
	htp_time_t t;
	int r;
	size_t used;

	ts_to_htp(c->ts_us, &t);
	*ret_other = false;
	if (dir == 0)
		r = htp_connp_req_data(c->connp, &t, data, len);
	else
		r = htp_connp_res_data(c->connp, &t, data, len);
	c->ntx = htp_list_size(c->txs);
	run_deferred(c);
	if (r == HTP_STREAM_ERROR) {
		c->st->parse_errors++;
		c->stopped = true;
		return SIZE_MAX;
	}
	if (r == HTP_STREAM_DATA_OTHER) {
		used = dir == 0 ? htp_connp_req_data_consumed(c->connp) :
				  htp_connp_res_data_consumed(c->connp);
		*ret_other = true;
		return used > len ? len : used;
	}
	/* HTP_STREAM_TUNNEL (after CONNECT) and DATA: libhtp took everything */
	return len;
}

/* Keep the unconsumed tail of a direction until libhtp wants it. */
static int pending_set(struct http_conn *c, int dir, const uint8_t *data, size_t len)
{
	struct http_pending *p = &c->pending[dir];
	uint8_t *nb;

	if (len == 0) {
		p->len = 0;
		return 0;
	}
	if (len > HTTP_PENDING_CAP) {
		c->st->tx_refused++;
		c->dead[dir] = true;
		p->len = 0;
		return -ENOBUFS;
	}
	if (data == p->buf) {
		p->len = len;
		return 0;
	}
	nb = malloc(len);
	if (!nb) {
		c->st->alloc_failures++;
		c->dead[dir] = true;
		return -ENOMEM;
	}
	memcpy(nb, data, len);
	free(p->buf);
	p->buf = nb;
	p->len = len;
	return 0;
}

/* Feed DATA (the full pending + new bytes) to DIR; returns true if anything was consumed. */
static bool feed(struct http_conn *c, int dir, const uint8_t *data, size_t len)
{
	bool other;
	size_t used;

	if (c->stopped || c->dead[dir] || c->suspended)
		return false;
	if (live_txs(c) > c->e->conf.max_tx) {
		c->st->tx_refused++;
		c->stopped = true;
		return false;
	}
	used = feed_once(c, dir, data, len, &other);
	if (used == SIZE_MAX)
		return false;
	if (other || used < len) {
		/* memmove semantics: data may alias pending buf */
		if (data == c->pending[dir].buf) {
			memmove(c->pending[dir].buf, data + used, len - used);
			pending_set(c, dir, c->pending[dir].buf, len - used);
		} else {
			pending_set(c, dir, data + used, len - used);
		}
	} else {
		c->pending[dir].len = 0;
	}
	return used > 0;
}

int http_conn_data(struct http_conn *c, int dir, const uint8_t *data, size_t len, uint64_t ts_us)
{
	struct http_pending *p = &c->pending[dir];

	if (c->closed || c->stopped)
		return -EPROTO;
	if (c->dead[dir] || c->suspended || len == 0)
		return 0;
	c->ts_us = ts_us;
	if (p->len) {
		uint8_t *nb;

		if (p->len + len > HTTP_PENDING_CAP) {
			c->st->tx_refused++;
			c->dead[dir] = true;
			return 0;
		}
		nb = realloc(p->buf, p->len + len);
		if (!nb) {
			c->st->alloc_failures++;
			c->dead[dir] = true;
			return 0;
		}
		memcpy(nb + p->len, data, len);
		p->buf = nb;
		p->len += len;
		feed(c, dir, p->buf, p->len);
	} else {
		feed(c, dir, data, len);
	}
	/* the other side may have been waiting for this one (DATA_OTHER) */
	for (int i = 0; i < 4 && c->pending[!dir].len && !c->stopped && !c->suspended; i++)
		if (!feed(c, !dir, c->pending[!dir].buf, c->pending[!dir].len))
			break;
	return c->stopped ? -EPROTO : 0;
}

void http_conn_suspend(struct http_conn *c)
{
	c->suspended = true;
}

void http_conn_gap(struct http_conn *c, int dir, size_t len)
{
	/* libhtp 0.5 cannot resynchronise inside a message: stop parsing this direction, as
	 * Suricata does for parsers that do not accept gaps */
	if (!c->dead[dir]) {
		c->dead[dir] = true;
		c->st->gaps++;
	}
}

void http_conn_close(struct http_conn *c, uint64_t ts_us)
{
	htp_conn_t *conn;
	htp_time_t t;

	if (c->closed)
		return;
	c->closed = true;
	c->ts_us = ts_us;
	ts_to_htp(ts_us, &t);
	if (!c->stopped && !c->suspended) {
		htp_connp_close(c->connp, &t);
		run_deferred(c);
	}
	conn = htp_connp_get_connection(c->connp);
	for (size_t i = 0; conn && i < htp_list_size(conn->transactions); i++) {
		htp_tx_t *tx = htp_list_get(conn->transactions, i);

		if (tx && (tx->request_progress > HTP_REQUEST_NOT_STARTED ||
			   tx->response_progress > HTP_RESPONSE_NOT_STARTED))
			tx_report(c, tx);
	}
}

void http_conn_free(struct http_conn *c)
{
	htp_conn_t *conn;

	if (!c)
		return;
	http_conn_close(c, c->ts_us);
	conn = htp_connp_get_connection(c->connp);
	for (size_t i = 0; conn && i < htp_list_size(conn->transactions); i++) {
		htp_tx_t *tx = htp_list_get(conn->transactions, i);

		if (tx)
			txd_free(tx);
	}
	htp_connp_destroy_all(c->connp);
	free(c->pending[0].buf);
	free(c->pending[1].buf);
	free(c);
}

int http_tx_request_files(const struct http_tx *tx, http_file_cb cb, void *user)
{
	const struct http_view ct = tx->request_content_type;
	bstr *ctb, *boundary = NULL;
	uint64_t flags = 0;
	htp_mpartp_t *mp;
	htp_multipart_t *m;
	size_t n, last_file = SIZE_MAX;
	int found = 0;

	if (!tx->htp || !multipart_post(tx->method.ptr, tx->method.len, ct.ptr, ct.len))
		return -ENOMSG;
	ctb = bstr_dup_mem(ct.ptr, ct.len);
	if (!ctb)
		return -ENOMEM;
	if (htp_mpartp_find_boundary(ctb, &boundary, &flags) != HTP_OK || !boundary) {
		bstr_free(ctb);
		return -ENOMSG; /* no boundary: Suricata takes the body as a plain POST body */
	}
	bstr_free(ctb);
	mp = htp_mpartp_create(tx->htp->cfg, boundary, flags); /* owns boundary from here */
	if (!mp) {
		bstr_free(boundary);
		return -ENOMEM;
	}
	if (tx->request_body.len)
		htp_mpartp_parse(mp, tx->request_body.ptr, tx->request_body.len);
	htp_mpartp_finalize(mp);
	m = htp_mpartp_get_multipart(mp);
	n = m && m->parts ? htp_list_size(m->parts) : 0;
	for (size_t i = 0; i < n; i++) {
		const htp_multipart_part_t *part = htp_list_get(m->parts, i);

		if (part->type == MULTIPART_PART_FILE && part->file && part->file->filename)
			last_file = i;
	}
	for (size_t i = 0; i < n; i++) {
		const htp_multipart_part_t *part = htp_list_get(m->parts, i);
		struct http_file f;

		if (part->type != MULTIPART_PART_FILE || !part->file || !part->file->filename)
			continue;
		f = (struct http_file){
			.name = bstr_ptr(part->file->filename),
			.name_len = bstr_len(part->file->filename),
			.size = part->file->len > 0 ? (uint64_t)part->file->len : 0,
			/* only the last file can be cut: by the body limit or a missing boundary */
			.complete = i != last_file ||
				    (tx->request_complete && !tx->request_body_truncated &&
				     !(m->flags & HTP_MULTIPART_INCOMPLETE)),
		};
		cb(user, &f);
		found++;
	}
	htp_mpartp_destroy(mp);
	return found;
}

const void *http_conn_parser(const struct http_conn *c)
{
	return c->connp;
}

uint64_t http_conn_tx_count(const struct http_conn *c)
{
	return htp_list_size(htp_connp_get_connection(c->connp)->transactions);
}

size_t http_conn_pending(const struct http_conn *c, int dir, const uint8_t **ret_data)
{
	*ret_data = c->pending[dir].buf;
	return c->pending[dir].len;
}

/* Request methods recognised at the start of a stream (RFC 9110, WebDAV, and the odd ones
 * libhtp knows); followed by a space or tab. */
static const char *const methods[] = {
	"GET",	      "POST",	     "HEAD",	   "PUT",	  "DELETE",
	"OPTIONS",    "CONNECT",     "TRACE",	   "PATCH",	  "PROPFIND",
	"PROPPATCH",  "MKCOL",	     "COPY",	   "MOVE",	  "LOCK",
	"UNLOCK",     "CHECKOUT",    "CHECKIN",	   "UNCHECKOUT",  "VERSION-CONTROL",
	"REPORT",     "MKWORKSPACE", "MKACTIVITY", "MERGE",	  "BASELINE-CONTROL",
	"LABEL",      "SEARCH",	     "SUBSCRIBE",  "UNSUBSCRIBE", "NOTIFY",
	"POLL",	      "BMOVE",	     "BCOPY",	   "BDELETE",	  "BPROPFIND",
	"BPROPPATCH", "ACL",	     "MKCALENDAR", "ORDERPATCH",  "UPDATE",
	"LINK",	      "UNLINK",	     "PURGE",
};

/*
 * A method outside the list: an upper-case token (letters, '-', '_'; at most
 * HTTP_PROBE_METHOD_MAX) then one space and an origin-form target ("/...") or "*". Web servers
 * answer such requests (405/501) and a WAF must see them (CRS 911100 exists for them), so
 * this is broader than Suricata 7, which knows methods by list only. Other line protocols do
 * not start that way (SMTP/FTP/POP3 commands are followed by arguments, not '/'; SIP by
 * "sip:"; SSH by "SSH-2.0").
 */
#define HTTP_PROBE_METHOD_MAX 32
static enum http_probe_result probe_unknown_method(const uint8_t *data, size_t len)
{
	size_t i = 0;

	while (i < len && i < HTTP_PROBE_METHOD_MAX &&
	       ((data[i] >= 'A' && data[i] <= 'Z') || data[i] == '-' || data[i] == '_'))
		i++;
	if (i == 0 || i == HTTP_PROBE_METHOD_MAX)
		return HTTP_PROBE_NO;
	if (i == len)
		return HTTP_PROBE_MORE;
	if (data[i] != ' ')
		return HTTP_PROBE_NO;
	if (i + 1 == len)
		return HTTP_PROBE_MORE;
	return data[i + 1] == '/' || data[i + 1] == '*' ? HTTP_PROBE_YES : HTTP_PROBE_NO;
}

enum http_probe_result http_probe(int dir, const uint8_t *data, size_t len)
{
	bool more = false;

	if (dir != 0) {
		static const char h[] = "HTTP/";
		size_t n = len < 5 ? len : 5;

		if (strncasecmp((const char *)data, h, n) != 0)
			return HTTP_PROBE_NO;
		return n < 5 ? HTTP_PROBE_MORE : HTTP_PROBE_YES;
	}
	/* leading blank lines are tolerated by servers and libhtp */
	while (len && (*data == '\r' || *data == '\n'))
		data++, len--;
	if (len == 0)
		return HTTP_PROBE_MORE;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t m = strlen(methods[i]);

		if (len <= m) {
			if (strncasecmp((const char *)data, methods[i], len) == 0)
				more = true;
			continue;
		}
		if (strncasecmp((const char *)data, methods[i], m) == 0 &&
		    (data[m] == ' ' || data[m] == '\t'))
			return HTTP_PROBE_YES;
	}
	if (more)
		return HTTP_PROBE_MORE;
	return probe_unknown_method(data, len);
}

/* JSON strings must be UTF-8: escape bytes that are not, as Suricata does (\xHH) */
static json_t *string_safe(struct http_view v)
{
	json_t *s = json_stringn((const char *)v.ptr, v.len);
	char *buf, *p;

	if (s)
		return s;
	buf = p = malloc(v.len * 4 + 1);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < v.len; i++) {
		uint8_t ch = v.ptr[i];

		if (ch >= 0x20 && ch < 0x7f) {
			*p++ = (char)ch;
		} else {
			static const char hex[] = "0123456789abcdef";

			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	s = json_stringn(buf, (size_t)(p - buf));
	free(buf);
	return s;
}

static void set_str(json_t *o, const char *key, struct http_view v)
{
	json_t *s;

	if (!v.ptr)
		return;
	s = string_safe(v);
	if (s)
		json_object_set_new(o, key, s);
}

json_t *http_tx_eve(const struct http_tx *tx)
{
	json_t *o = json_object();
	struct http_view ct = tx->response_content_type;

	if (!o)
		return NULL;
	set_str(o, "hostname", tx->host);
	if (tx->host_port > 0)
		json_object_set_new(o, "http_port", json_integer(tx->host_port));
	set_str(o, "url", tx->uri_raw);
	set_str(o, "http_user_agent", tx->user_agent);
	if (ct.ptr) {
		/* media type only, as Suricata: up to the first ';' */
		const uint8_t *semi = memchr(ct.ptr, ';', ct.len);

		if (semi)
			ct.len = (size_t)(semi - ct.ptr);
		set_str(o, "http_content_type", ct);
	}
	set_str(o, "http_refer", tx->referer);
	set_str(o, "http_method", tx->method);
	set_str(o, "protocol", tx->protocol);
	if (tx->status)
		json_object_set_new(o, "status", json_integer(tx->status));
	set_str(o, "redirect", tx->location);
	json_object_set_new(o, "length", json_integer((json_int_t)tx->response_message_len));
	return o;
}

static void text_str(struct eve_text *b, const char *key, struct http_view v)
{
	json_t *s;

	if (!v.ptr)
		return;
	eve_text_key(b, key);
	if (eve_utf8_valid(v.ptr, v.len)) {
		eve_text_str(b, (const char *)v.ptr, v.len);
		return;
	}
	/* rare: the object path's \xHH text, so both stay one implementation */
	s = string_safe(v);
	if (!s) {
		b->oom = true;
		return;
	}
	eve_text_str(b, json_string_value(s), json_string_length(s));
	json_decref(s);
}

void http_tx_eve_text(const struct http_tx *tx, struct eve_text *b)
{
	struct http_view ct = tx->response_content_type;

	eve_text_raw(b, "{", 1);
	text_str(b, "hostname", tx->host);
	if (tx->host_port > 0) {
		eve_text_key(b, "http_port");
		eve_text_int(b, tx->host_port);
	}
	text_str(b, "url", tx->uri_raw);
	text_str(b, "http_user_agent", tx->user_agent);
	if (ct.ptr) {
		/* media type only, as Suricata: up to the first ';' */
		const uint8_t *semi = memchr(ct.ptr, ';', ct.len);

		if (semi)
			ct.len = (size_t)(semi - ct.ptr);
		text_str(b, "http_content_type", ct);
	}
	text_str(b, "http_refer", tx->referer);
	text_str(b, "http_method", tx->method);
	text_str(b, "protocol", tx->protocol);
	if (tx->status) {
		eve_text_key(b, "status");
		eve_text_int(b, tx->status);
	}
	text_str(b, "redirect", tx->location);
	eve_text_key(b, "length");
	eve_text_int(b, (int64_t)tx->response_message_len);
	eve_text_raw(b, "}", 1);
}
