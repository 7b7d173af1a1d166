// SPDX-License-Identifier: GPL-2.0-only
/* Application layer: detects HTTP by content at the start of each TCP stream, drives one
 * libhtp connection per HTTP flow, writes http/flow/stats events. */
#include "app_layer.h"

#include <errno.h>
#include <htp/htp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "worker.h"
#include "lib/lib.h"

#define PROBE_BUF 40 /* longest unlisted method (31) + space + target start + CR/LFs */

enum app_proto {
	APP_PROTO_UNKNOWN = 0,
	APP_PROTO_HTTP,
	APP_PROTO_FAILED,
	APP_PROTO_DONE, /* was HTTP, now an opaque tunnel */
};

struct app_flow {
	uint8_t proto; /* enum app_proto */
	bool eof[2];
	bool probe_no[2];
	bool connect_reset;
	bool was_http; /* a CONNECT succeeded: what follows is a new protocol */
	/* a midstream pickup whose first data was a response: the flow's client is really
	 * the server (Suricata reverses such flows); app directions are the key's flipped */
	bool swapped;
	uint8_t probe_len[2];
	/* before the probe buffers: every stream chunk reads proto, swapped and http, now
	 * in one cache line */
	struct http_conn *http;
	void *user; /* app_layer_flow_user() */
	uint8_t probe[2][PROBE_BUF];
};

struct app_layer {
	struct app_layer_config cfg;
	struct eve_writer *w;
	struct http_engine *http;
	struct app_layer_stats st;
	app_layer_tx_hook tx_hook;
	void *tx_hook_ctx;
	uint64_t cur_pkt_num; /* packet being processed (pcap_cnt of events) */
	struct flow *cur_flow; /* flow whose stream is being fed (tx callback context) */
	struct eve_text http_text; /* a transaction's "http" object as text (direct path) */
};

void app_layer_config_init(struct app_layer_config *c)
{
	*c = (struct app_layer_config){
		.http_enabled = true,
		.flow_events = true,
		.http_events = true,
		.fileinfo_events = true,
	};
	http_config_defaults(&c->http);
}

int app_layer_new(const struct app_layer_config *cfg, struct eve_writer *w,
		  struct app_layer **ret_a)
{
	struct app_layer *a = calloc(1, sizeof(*a));
	struct http_config hc = cfg->http;
	int r;

	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->w = w;
	hc.track_files = cfg->fileinfo_events; /* file sizes and uploads without kept bodies */
	r = http_engine_new(&hc, &a->http);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret_a = a;
	return 0;
}

void app_layer_free(struct app_layer *a)
{
	if (!a)
		return;
	http_engine_free(a->http);
	free(a->http_text.p);
	free(a);
}

void app_layer_set_tx_hook(struct app_layer *a, app_layer_tx_hook hook, void *ctx)
{
	a->tx_hook = hook;
	a->tx_hook_ctx = ctx;
}

struct eve_writer *app_layer_writer(struct app_layer *a)
{
	return a->w;
}

void app_layer_set_request_body_limit(struct app_layer *a, uint64_t limit)
{
	if (a->http)
		http_engine_set_request_body_limit(a->http, limit);
}

const struct app_layer_stats *app_layer_stats(const struct app_layer *a)
{
	return &a->st;
}

void app_layer_flow_tuple(const struct flow *f, struct eve_tuple *t)
{
	const struct app_flow *af = f->app_state;

	memset(t, 0, sizeof(*t));
	t->family = f->key.ip_version;
	t->proto = f->key.proto;
	memcpy(t->src_ip, f->key.addr[0].u8, 16);
	memcpy(t->dest_ip, f->key.addr[1].u8, 16);
	t->src_port = f->key.port[0];
	t->dest_port = f->key.port[1];
	t->flow_id = f->flow_id;
	if (af && af->swapped) {
		memcpy(t->src_ip, f->key.addr[1].u8, 16);
		memcpy(t->dest_ip, f->key.addr[0].u8, 16);
		t->src_port = f->key.port[1];
		t->dest_port = f->key.port[0];
	}
	if (af && af->was_http)
		t->app_proto = "http";
	else if (af && af->proto == APP_PROTO_FAILED)
		t->app_proto = "failed";
}

static void write_event(struct app_layer *a, json_t *o)
{
	if (!o) {
		a->st.events_written_failed++;
		return;
	}
	if (a->w && eve_writer_write(a->w, o) < 0)
		a->st.events_written_failed++;
	json_decref(o);
}

/* What one fileinfo event is written from: HTTP (NULL: the text path, a->http_text). */
struct fileinfo_ctx {
	struct app_layer *a;
	struct flow *f;
	const struct http_tx *tx;
	json_t *http;
	uint64_t ts_us;
};

static void write_fileinfos(struct fileinfo_ctx *c);

static void commit_text(struct app_layer *a)
{
	if (a->http_text.oom || eve_writer_commit_text(a->w) < 0)
		a->st.events_written_failed++;
}

/* The events of one transaction when no one needs them as objects (no tx hook): written
 * as text, the same bytes as the object path below. */
static void http_tx_text(struct app_layer *a, struct flow *f, const struct http_tx *tx,
			 uint64_t ts_us)
{
	struct eve_tuple t;
	struct eve_text *b;

	if (a->w) {
		a->http_text.len = 0;
		a->http_text.oom = false;
		http_tx_eve_text(tx, &a->http_text);
	}
	if (a->cfg.fileinfo_events)
		write_fileinfos(&(struct fileinfo_ctx){ a, f, tx, NULL, ts_us });
	if (a->cfg.http_events) {
		a->st.events_http++;
		if (!a->w)
			return;
		app_layer_flow_tuple(f, &t);
		t.in_iface = a->cfg.in_iface;
		b = eve_writer_text(a->w);
		eve_event_begin_text(b, "http", ts_us, &t, a->cur_pkt_num);
		eve_text_key(b, "tx_id");
		eve_text_int(b, (int64_t)tx->tx_id);
		eve_text_key(b, "http");
		eve_text_raw(b, a->http_text.p, a->http_text.len);
		eve_text_raw(b, "}", 1);
		commit_text(a);
	}
}

static void on_http_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct app_layer *a = user;
	struct flow *f = a->cur_flow;
	struct eve_tuple t;
	json_t *http, *o;

	a->st.tx_http++;
	if (!f)
		return;
	if (tx->status >= 200 && tx->status < 300 && tx->method.len == 7 &&
	    !memcmp(tx->method.ptr, "CONNECT", 7)) {
		struct app_flow *af = f->app_state;

		if (af && af->http) {
			af->connect_reset = true;
			http_conn_suspend(af->http);
		}
	}
	if (!a->tx_hook) {
		http_tx_text(a, f, tx, ts_us);
		return;
	}
	http = http_tx_eve(tx);
	if (!http) {
		a->st.events_written_failed++;
		return;
	}
	a->tx_hook(a->tx_hook_ctx, f, tx, http, ts_us);
	if (a->cfg.fileinfo_events)
		write_fileinfos(&(struct fileinfo_ctx){ a, f, tx, http, ts_us });
	if (a->cfg.http_events) {
		app_layer_flow_tuple(f, &t);
		t.in_iface = a->cfg.in_iface;
		o = eve_event_new("http", ts_us, &t, a->cur_pkt_num);
		if (o) {
			json_object_set_new(o, "tx_id", json_integer((json_int_t)tx->tx_id));
			json_object_set(o, "http", http);
			a->st.events_http++;
		}
		write_event(a, o);
	}
	json_decref(http);
}

/* The file name of a body as Suricata names it: Content-Disposition's filename parameter,
 * else the request URI's path. False when there is none. Not checked for UTF-8 (the object
 * path uses json_stringn_nocheck; both must write the same bytes). */
static bool file_name(const struct http_tx *tx, bool response, const char **ret_p, size_t *ret_n)
{
	const htp_header_t *cd =
		response ? tx->response_content_disposition : tx->request_content_disposition;

	if (cd && cd->value) {
		const char *v = (const char *)bstr_ptr(cd->value);
		size_t n = bstr_len(cd->value);

		for (size_t i = 0; i + 9 <= n; i++) {
			size_t s, e;

			if (strncasecmp(v + i, "filename=", 9) != 0)
				continue;
			s = i + 9;
			if (s < n && v[s] == '"') {
				s++;
				for (e = s; e < n && v[e] != '"'; e++)
					;
			} else {
				for (e = s; e < n && v[e] != ';' && v[e] != ' '; e++)
					;
			}
			if (e > s) {
				*ret_p = v + s;
				*ret_n = e - s;
				return true;
			}
		}
	}
	if (tx->htp && tx->htp->parsed_uri && tx->htp->parsed_uri->path) {
		const bstr *p = tx->htp->parsed_uri->path;

		*ret_p = (const char *)bstr_ptr(p);
		*ret_n = bstr_len(p);
		return true;
	}
	if (tx->uri_raw.ptr) {
		size_t n = 0;

		while (n < tx->uri_raw.len && tx->uri_raw.ptr[n] != '?')
			n++;
		*ret_p = (const char *)tx->uri_raw.ptr;
		*ret_n = n;
		return true;
	}
	return false;
}

/* A body as one file, as Suricata names a PUT or POST request body or a response body: size
 * after dechunking and decompression, within the body limit (TRUNCATED beyond it, as
 * Suricata's file tracking stops at its request/response-body-limit). False when empty. */
static bool body_file(const struct http_tx *tx, bool response, struct http_file *ret)
{
	htp_tx_t *h = tx->htp;
	const char *name;
	uint64_t limit;

	if (!h)
		return false;
	*ret = (struct http_file){
		.size = response ? (uint64_t)h->response_entity_len :
				   (uint64_t)h->request_entity_len,
		.complete = response ? tx->response_complete : tx->request_complete,
	};
	/* libhtp's entity length counts the whole body: past the limit, kept or not, the
	 * file stops at it */
	limit = response ? tx->response_body_limit : tx->request_body_limit;
	if ((response ? tx->response_body_truncated : tx->request_body_truncated) ||
	    (limit && ret->size > limit)) {
		ret->size = limit ? MIN(ret->size, limit) : ret->size;
		ret->complete = false;
	}
	if (file_name(tx, response, &name, &ret->name_len))
		ret->name = (const uint8_t *)name;
	return ret->size > 0;
}

static void write_fileinfo(struct fileinfo_ctx *c, const struct http_file *file)
{
	struct eve_tuple t;
	json_t *o, *fi;

	app_layer_flow_tuple(c->f, &t);
	t.in_iface = c->a->cfg.in_iface;
	o = eve_event_new("fileinfo", c->ts_us, &t, c->a->cur_pkt_num);
	fi = json_object();
	if (!o || !fi) {
		json_decref(o);
		json_decref(fi);
		c->a->st.events_written_failed++;
		return;
	}
	json_object_set(o, "http", c->http);
	json_object_set_new(o, "app_proto", json_string("http"));
	json_object_set_new(fi, "filename",
			    file->name ?
				    json_stringn_nocheck((const char *)file->name, file->name_len) :
				    json_string(""));
	json_object_set_new(fi, "gaps", json_false());
	json_object_set_new(fi, "state", json_string(file->complete ? "CLOSED" : "TRUNCATED"));
	json_object_set_new(fi, "stored", json_false());
	json_object_set_new(fi, "size", json_integer((json_int_t)file->size));
	json_object_set_new(fi, "tx_id", json_integer((json_int_t)c->tx->tx_id));
	json_object_set_new(o, "fileinfo", fi);
	c->a->st.events_fileinfo++;
	write_event(c->a, o);
}

/* The same bytes as write_fileinfo(), written as text. */
static void write_fileinfo_text(struct fileinfo_ctx *c, const struct http_file *file)
{
	struct app_layer *a = c->a;
	struct eve_tuple t;
	struct eve_text *b;
	bool had_app_proto;

	a->st.events_fileinfo++;
	if (!a->w)
		return;
	app_layer_flow_tuple(c->f, &t);
	t.in_iface = a->cfg.in_iface;
	/* the object path sets app_proto "http" after "http": in place when the header had
	 * one, else appended */
	had_app_proto = t.app_proto != NULL;
	if (had_app_proto)
		t.app_proto = "http";
	b = eve_writer_text(a->w);
	eve_event_begin_text(b, "fileinfo", c->ts_us, &t, a->cur_pkt_num);
	eve_text_key(b, "http");
	eve_text_raw(b, a->http_text.p, a->http_text.len);
	if (!had_app_proto) {
		eve_text_key(b, "app_proto");
		eve_text_str(b, "http", 4);
	}
	eve_text_key(b, "fileinfo");
	eve_text_raw(b, "{", 1);
	eve_text_key(b, "filename");
	eve_text_str(b, file->name ? (const char *)file->name : "",
		     file->name ? file->name_len : 0);
	eve_text_key(b, "gaps");
	eve_text_raw(b, "false", 5);
	eve_text_key(b, "state");
	if (file->complete)
		eve_text_str(b, "CLOSED", 6);
	else
		eve_text_str(b, "TRUNCATED", 9);
	eve_text_key(b, "stored");
	eve_text_raw(b, "false", 5);
	eve_text_key(b, "size");
	eve_text_int(b, (int64_t)file->size);
	eve_text_key(b, "tx_id");
	eve_text_int(b, (int64_t)c->tx->tx_id);
	eve_text_raw(b, "}}", 2);
	commit_text(a);
}

static void write_file(void *user, const struct http_file *file)
{
	struct fileinfo_ctx *c = user;

	if (c->http)
		write_fileinfo(c, file);
	else
		write_fileinfo_text(c, file);
}

/* Suricata's "fileinfo" events of a transaction: the files of a multipart/form-data POST,
 * else a POST or PUT body as one file; then the response body. */
static void write_fileinfos(struct fileinfo_ctx *c)
{
	const struct http_tx *tx = c->tx;
	struct http_file bf;
	int n = http_tx_request_files(tx, write_file, c);

	if (n == -ENOMSG && ((tx->method.len == 4 && !memcmp(tx->method.ptr, "POST", 4)) ||
			     (tx->method.len == 3 && !memcmp(tx->method.ptr, "PUT", 3)))) {
		if (body_file(tx, false, &bf))
			write_file(c, &bf);
	} else if (n < 0 && n != -ENOMSG) {
		c->a->st.events_written_failed++;
	}
	if (body_file(tx, true, &bf))
		write_file(c, &bf);
}

/* A request finished before its response: the tx hook inspects the request side now (on
 * the packet that completed it, as Suricata does); no http event yet. */
static void on_http_request(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct app_layer *a = user;
	struct flow *f = a->cur_flow;
	json_t *http;

	if (!f || !a->tx_hook)
		return;
	http = http_tx_eve(tx);
	if (!http) {
		a->st.events_written_failed++;
		return;
	}
	a->tx_hook(a->tx_hook_ctx, f, tx, http, ts_us);
	json_decref(http);
}

static struct app_flow *flow_state(struct flow *f)
{
	if (!f->app_state)
		f->app_state = calloc(1, sizeof(struct app_flow));
	return f->app_state;
}

static void probe(struct app_layer *a, struct flow *f, struct app_flow *af, int dir,
		  const uint8_t *data, size_t len, uint64_t ts_us);

bool app_layer_flow_swapped(const struct flow *f)
{
	const struct app_flow *af = f->app_state;

	return af && af->swapped;
}

bool app_layer_flow_not_http(const struct flow *f)
{
	const struct app_flow *af = f->app_state;

	return af && (af->proto == APP_PROTO_FAILED || af->proto == APP_PROTO_DONE);
}

void **app_layer_flow_user(struct flow *f)
{
	struct app_flow *af = flow_state(f);

	return af ? &af->user : NULL;
}

/* After a successful CONNECT the tunnel carries a new conversation: like Suricata, end the
 * HTTP parser and detect again (transaction ids restart at 0). Bytes libhtp held back are
 * re-probed. */
static void connect_reset(struct app_layer *a, struct flow *f, struct app_flow *af, uint64_t ts_us)
{
	uint8_t *held[2] = { NULL, NULL };
	size_t held_len[2] = { 0, 0 };

	for (int d = 0; d < 2; d++) {
		const uint8_t *p;
		size_t n = http_conn_pending(af->http, d, &p);

		if (n && (held[d] = malloc(n))) {
			memcpy(held[d], p, n);
			held_len[d] = n;
		}
	}
	a->cur_flow = f;
	http_conn_free(af->http);
	a->cur_flow = NULL;
	af->http = NULL;
	f->app_hot[0] = f->app_hot[1] = NULL;
	af->connect_reset = false;
	af->proto = APP_PROTO_UNKNOWN;
	af->probe_no[0] = af->probe_no[1] = false;
	af->probe_len[0] = af->probe_len[1] = 0;
	a->st.http_connect_resets++;
	for (int d = 0; d < 2; d++) {
		if (held_len[d] && af->proto == APP_PROTO_UNKNOWN && !af->probe_no[d])
			probe(a, f, af, d, held[d], held_len[d], ts_us);
		else if (held_len[d] && af->proto == APP_PROTO_HTTP && af->http)
			http_conn_data(af->http, d, held[d], held_len[d], ts_us);
		free(held[d]);
	}
}

static void http_feed(struct app_layer *a, struct flow *f, struct app_flow *af, int dir,
		      const uint8_t *data, size_t len, uint64_t ts_us)
{
	if (!af->http)
		return;
	a->cur_flow = f;
	http_conn_data(af->http, dir, data, len, ts_us);
	a->cur_flow = NULL;
	if (af->connect_reset)
		connect_reset(a, f, af, ts_us);
}

/* Detection on the first bytes of each direction; held bytes are replayed into libhtp
 * once HTTP is recognised. */
static void probe(struct app_layer *a, struct flow *f, struct app_flow *af, int dir,
		  const uint8_t *data, size_t len, uint64_t ts_us)
{
	uint8_t buf[PROBE_BUF];
	size_t n = af->probe_len[dir];
	size_t take = MIN(len, sizeof(buf) - n);
	enum http_probe_result r;

	memcpy(buf, af->probe[dir], n);
	memcpy(buf + n, data, take);
	r = a->cfg.http_enabled ? http_probe(dir, buf, n + take) : HTTP_PROBE_NO;
	if (r == HTTP_PROBE_MORE && n + take == sizeof(buf))
		r = HTTP_PROBE_NO;
	if (r == HTTP_PROBE_MORE) {
		memcpy(af->probe[dir] + n, data, take);
		af->probe_len[dir] = (uint8_t)(n + take);
		return;
	}
	if (r == HTTP_PROBE_NO && dir == APP_DIR_TOSERVER && !af->was_http && !af->swapped &&
	    f->key.proto == IPPROTO_TCP && f->tcp.midstream && !af->probe_len[APP_DIR_TOCLIENT] &&
	    !af->probe_no[APP_DIR_TOCLIENT] &&
	    http_probe(APP_DIR_TOCLIENT, buf, n + take) == HTTP_PROBE_YES) {
		/* a response seen first on a picked-up session: reverse the flow */
		af->swapped = true;
		memcpy(af->probe[APP_DIR_TOCLIENT], af->probe[APP_DIR_TOSERVER], n);
		af->probe_len[APP_DIR_TOCLIENT] = (uint8_t)n;
		af->probe_len[APP_DIR_TOSERVER] = 0;
		probe(a, f, af, APP_DIR_TOCLIENT, data, len, ts_us);
		return;
	}
	if (r == HTTP_PROBE_NO) {
		af->probe_no[dir] = true;
		/* a request direction that is not HTTP decides; a non-HTTP reply waits for
		 * the request side unless that one is finished */
		if (dir == APP_DIR_TOSERVER || af->probe_no[APP_DIR_TOSERVER] ||
		    af->eof[APP_DIR_TOSERVER]) {
			/* a tunnel after CONNECT that is not HTTP (TLS) keeps app_proto http */
			af->proto = af->was_http ? APP_PROTO_DONE : APP_PROTO_FAILED;
			if (!af->was_http)
				a->st.flows_failed_tcp++;
		}
		af->probe_len[dir] = 0;
		return;
	}
	if (af->proto == APP_PROTO_UNKNOWN && !af->was_http)
		a->st.flows_http++;
	af->proto = APP_PROTO_HTTP;
	af->was_http = true;
	af->http = http_conn_new(a->http, on_http_tx, a, &a->st.http, ts_us);
	if (!af->http) {
		af->proto = APP_PROTO_FAILED;
		return;
	}
	f->app_hot[0] = af->http;
	f->app_hot[1] = http_conn_parser(af->http);
	if (a->tx_hook)
		http_conn_set_request_cb(af->http, on_http_request);
	/* held bytes of the other direction first if it is the request side */
	if (dir == APP_DIR_TOCLIENT && af->probe_len[APP_DIR_TOSERVER])
		http_feed(a, f, af, APP_DIR_TOSERVER, af->probe[APP_DIR_TOSERVER],
			  af->probe_len[APP_DIR_TOSERVER], ts_us);
	if (n)
		http_feed(a, f, af, dir, af->probe[dir], n, ts_us);
	http_feed(a, f, af, dir, data, len, ts_us);
	if (dir == APP_DIR_TOSERVER && af->probe_len[APP_DIR_TOCLIENT])
		http_feed(a, f, af, APP_DIR_TOCLIENT, af->probe[APP_DIR_TOCLIENT],
			  af->probe_len[APP_DIR_TOCLIENT], ts_us);
	af->probe_len[0] = af->probe_len[1] = 0;
}

static void on_stream(void *ctx, struct flow *f, int dir, const uint8_t *data, size_t len,
		      unsigned int flags, uint64_t ts_us)
{
	struct app_layer *a = ctx;
	struct app_flow *af = flow_state(f);

	if (!af) {
		a->st.http.alloc_failures++;
		return;
	}
	dir ^= af->swapped;
	if (flags & APP_STREAM_GAP) {
		if (af->proto == APP_PROTO_HTTP)
			http_conn_gap(af->http, dir, len);
		else if (af->proto == APP_PROTO_UNKNOWN)
			af->probe_no[dir] = true; /* cannot see the start any more */
		return;
	}
	if (flags & APP_STREAM_EOF) {
		af->eof[dir] = true;
		return;
	}
	if (!data || len == 0)
		return;
	switch (af->proto) {
	case APP_PROTO_UNKNOWN:
		if (!af->probe_no[dir])
			probe(a, f, af, dir, data, len, ts_us);
		break;
	case APP_PROTO_HTTP:
		http_feed(a, f, af, dir, data, len, ts_us);
		break;
	default:
		break;
	}
}

static void on_packet(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	struct app_layer *a = ctx;

	a->cur_pkt_num = p->pkt_num;
}

static void on_flow_end(void *ctx, struct flow *f, int reason)
{
	struct app_layer *a = ctx;
	struct app_flow *af = f->app_state;
	struct eve_tuple t;
	struct eve_flow_info fi;

	if (af && af->http) {
		a->cur_flow = f;
		http_conn_close(af->http, f->last_us);
		a->cur_flow = NULL;
		http_conn_free(af->http);
		af->http = NULL;
		f->app_hot[0] = f->app_hot[1] = NULL;
	}
	if (af && af->proto == APP_PROTO_UNKNOWN && !af->was_http && f->key.proto == IPPROTO_TCP &&
	    (af->probe_len[0] || af->probe_len[1] || af->probe_no[0] || af->probe_no[1])) {
		/* data was seen but never decided */
		af->proto = APP_PROTO_FAILED;
		a->st.flows_failed_tcp++;
	}
	if (a->cfg.flow_events) {
		int sw = af && af->swapped;

		app_layer_flow_tuple(f, &t);
		t.in_iface = a->cfg.in_iface;
		fi = (struct eve_flow_info){
			.pkts_toserver = f->pkts[sw],
			.pkts_toclient = f->pkts[!sw],
			.bytes_toserver = f->bytes[sw],
			.bytes_toclient = f->bytes[!sw],
			.start_us = f->start_us,
			.end_us = f->last_us,
			.state = flow_state_name(f->state),
			.reason = flow_end_reason_name(reason),
			.alerted = f->alerted,
			.is_tcp = f->key.proto == IPPROTO_TCP,
			.tcp_flags = f->tcp_flags[0] | f->tcp_flags[1],
			.tcp_flags_ts = f->tcp_flags[sw],
			.tcp_flags_tc = f->tcp_flags[!sw],
			.tcp_state =
				f->key.proto == IPPROTO_TCP ? tcp_state_name(f->tcp.state) : NULL,
		};
		/* no one needs the flow event as an object: straight to text */
		if (a->w && eve_flow_event_write(a->w, &t, &fi) < 0)
			a->st.events_written_failed++;
		a->st.events_flow++;
	}
	free(af);
	f->app_state = NULL;
}

void app_layer_ops(struct app_layer *a, struct app_ops *ret_ops)
{
	*ret_ops = (struct app_ops){
		.ctx = a,
		.stream = on_stream,
		.packet = on_packet,
		.flow_end = on_flow_end,
	};
}

json_t *app_layer_stats_event(const struct app_layer *a, const struct worker_stats *ws,
			      uint64_t ts_us, uint64_t uptime_s)
{
	json_t *o = eve_event_new("stats", ts_us, NULL, 0);
	json_t *s = json_object();
	const struct app_layer_stats *st = &a->st;

	if (!o || !s) {
		json_decref(o);
		json_decref(s);
		return NULL;
	}
	json_object_set_new(o, "stats", s);
	eve_set_path_u64(s, "uptime", uptime_s);
	if (ws) {
		const struct decode_stats *d = &ws->decode;
		const struct tcp_reasm_stats *tcp = &ws->tcp;
		uint64_t invalid = 0;

		for (int i = 1; i < DECODE_ERR_MAX; i++)
			if (i != DECODE_ERR_NOT_IP)
				invalid += d->errors[i];
		eve_set_path_u64(s, "decoder.pkts", ws->pkts);
		eve_set_path_u64(s, "decoder.bytes", ws->bytes);
		eve_set_path_u64(s, "decoder.invalid", invalid);
		eve_set_path_u64(s, "decoder.ipv4", d->ipv4);
		eve_set_path_u64(s, "decoder.ipv6", d->ipv6);
		eve_set_path_u64(s, "decoder.tcp", d->tcp);
		eve_set_path_u64(s, "decoder.udp", d->udp);
		eve_set_path_u64(s, "decoder.icmpv4", d->icmpv4);
		eve_set_path_u64(s, "decoder.icmpv6", d->icmpv6);
		eve_set_path_u64(s, "decoder.vlan", d->vlan);
		eve_set_path_u64(s, "decoder.vlan_qinq", d->vlan_qinq);
		eve_set_path_u64(s, "decoder.truncated", d->errors[DECODE_ERR_TRUNCATED]);
		eve_set_path_u64(s, "decoder.ipv4_in_ipv6", 0);
		eve_set_path_u64(s, "decoder.not_ip", d->errors[DECODE_ERR_NOT_IP]);
		eve_set_path_u64(s, "decoder.checksum_dropped", ws->csum_dropped);
		eve_set_path_u64(s, "flow.total", ws->flow.created);
		eve_set_path_u64(s, "flow.active", ws->flow.active);
		eve_set_path_u64(s, "flow.tcp", ws->flow.tcp);
		eve_set_path_u64(s, "flow.udp", ws->flow.udp);
		eve_set_path_u64(s, "flow.icmpv4", ws->flow.icmp);
		eve_set_path_u64(s, "flow.memcap", ws->flow.refused);
		eve_set_path_u64(s, "flow.emerg_mode_entered", ws->flow.evicted);
		eve_set_path_u64(s, "flow.end.timeout", ws->flow.ended[FLOW_END_TIMEOUT]);
		eve_set_path_u64(s, "flow.end.forced", ws->flow.ended[FLOW_END_FORCED]);
		eve_set_path_u64(s, "flow.end.shutdown", ws->flow.ended[FLOW_END_SHUTDOWN]);
		eve_set_path_u64(s, "tcp.sessions", tcp->sessions);
		eve_set_path_u64(s, "tcp.midstream_pickups", tcp->midstream_pickups);
		eve_set_path_u64(s, "tcp.segments", tcp->segments);
		eve_set_path_u64(s, "tcp.reassembly_gap", tcp->gaps);
		eve_set_path_u64(s, "tcp.overlap", tcp->overlaps);
		eve_set_path_u64(s, "tcp.overlap_diff_data", tcp->overlaps_diff);
		eve_set_path_u64(s, "tcp.segment_memcap_drop", tcp->memcap_hits);
		eve_set_path_u64(s, "tcp.rst", tcp->rst);
		eve_set_path_u64(s, "tcp.memuse", tcp->mem_used);
		eve_set_path_u64(s, "tcp.reassembly_memuse_peak", tcp->mem_peak);
		eve_set_path_u64(s, "defrag.ipv4.fragments", ws->defrag.ipv4_fragments);
		eve_set_path_u64(s, "defrag.ipv4.reassembled", ws->defrag.ipv4_reassembled);
		eve_set_path_u64(s, "defrag.ipv6.fragments", ws->defrag.ipv6_fragments);
		eve_set_path_u64(s, "defrag.ipv6.reassembled", ws->defrag.ipv6_reassembled);
		eve_set_path_u64(s, "defrag.max_frag_hits", ws->defrag.too_many_frags);
		eve_set_path_u64(s, "defrag.memcap_exception", ws->defrag.memcap_hits);
	}
	eve_set_path_u64(s, "app_layer.flow.http", st->flows_http);
	eve_set_path_u64(s, "app_layer.flow.failed_tcp", st->flows_failed_tcp);
	eve_set_path_u64(s, "app_layer.tx.http", st->tx_http);
	eve_set_path_u64(s, "app_layer.error.http.parser", st->http.parse_errors);
	eve_set_path_u64(s, "app_layer.error.http.gap", st->http.gaps);
	eve_set_path_u64(s, "app_layer.error.http.alloc", st->http.alloc_failures);
	eve_set_path_u64(s, "app_layer.error.http.internal", st->http.tx_refused);
	eve_set_path_u64(s, "http.body_truncated_bytes", st->http.body_truncated);
	return o;
}
