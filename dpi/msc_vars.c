// SPDX-License-Identifier: GPL-2.0-only
/* ModSecurity variables from libhtp transactions: phase 1 (request line, query arguments,
 * headers, cookies, addresses), phase 2 (bodies: see msc_vars_body.c) and the response. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <htp/htp.h>
#include <libxml/parser.h>

#include "msc_vars.h"
#include "msc_vars_int.h"

void msc_vars_config_init(struct msc_vars_config *c)
{
	*c = (struct msc_vars_config){
		.arg_separator = '&',
		.cookie_format = MSC_COOKIE_V0,
		.max_args = 1000,
		.max_entries = 1000,
		.max_name_len = 4096,
		.max_value_len = 1024 * 1024,
		.max_arena = 4 * 1024 * 1024,
		.json_depth = 128,
		.xml_max_bytes = 1024 * 1024,
		.xml_depth = 128,
		.multipart_max_parts = 1000,
		.multipart_max_files = 100,
	};
}

int msc_vars_new(const struct msc_vars_config *cfg, struct msc_vars **ret)
{
	struct msc_vars *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (cfg)
		v->cfg = *cfg;
	else
		msc_vars_config_init(&v->cfg);
	if (!v->cfg.arg_separator)
		v->cfg.arg_separator = '&';
	/* libxml2's global state is set up on first use, which is not thread-safe: do it here,
	 * when a worker is created, not inside the first XML body of one of several workers */
	xmlInitParser();
	v->htp_cfg = htp_config_create();
	if (!v->htp_cfg) {
		free(v);
		return -ENOMEM;
	}
	*ret = v;
	return 0;
}

void msc_vars_free(struct msc_vars *v)
{
	struct arena_blk *b, *n;

	if (!v)
		return;
	for (b = v->blocks; b; b = n) {
		n = b->next;
		free(b);
	}
	for (int i = 0; i < MSC_C_MAX; i++)
		free(v->coll[i].v);
	if (v->htp_cfg)
		htp_config_destroy(v->htp_cfg);
	free(v->json_stack);
	free(v);
}

const struct msc_vars_stats *msc_vars_stats(const struct msc_vars *v)
{
	return &v->st;
}

/* ---- arena: blocks kept across transactions, so the steady state does not allocate ---- */

#define ARENA_BLOCK (64 * 1024)

uint8_t *mv_alloc(struct msc_vars *v, size_t n)
{
	struct arena_blk *b = v->cur;

	if (n > v->cfg.max_arena || v->arena_used + n > v->cfg.max_arena) {
		v->st.arena_refused++;
		return NULL;
	}
	/* first fit from the current block on: blocks are reused in order after a reset */
	while (b && b->cap - b->used < n)
		b = b->next;
	if (!b) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b) {
			v->st.alloc_failures++;
			return NULL;
		}
		b->cap = cap;
		b->used = 0;
		b->next = NULL;
		if (v->last)
			v->last->next = b;
		else
			v->blocks = b;
		v->last = b;
	}
	v->cur = b;
	v->arena_used += n;
	b->used += n;
	return b->data + b->used - n;
}

static void mv_reset(struct msc_vars *v)
{
	for (struct arena_blk *b = v->blocks; b; b = b->next)
		b->used = 0;
	v->cur = v->blocks;
	v->arena_used = 0;
	for (int i = 0; i < MSC_C_MAX; i++)
		v->coll[i].n = 0;
	v->nargs = 0;
}

struct msc_str mv_copy(struct msc_vars *v, const void *p, size_t n)
{
	uint8_t *d = mv_alloc(v, n ? n : 1);

	if (!d)
		return (struct msc_str){ 0 };
	if (n)
		memcpy(d, p, n);
	return (struct msc_str){ d, n };
}

struct msc_str mv_cstr(const char *s)
{
	return (struct msc_str){ (const uint8_t *)s, strlen(s) };
}

static struct msc_str mv_cut(struct msc_vars *v, struct msc_str s, size_t max)
{
	if (s.len > max) {
		v->st.truncated++;
		s.len = max;
	}
	return s;
}

int mv_add(struct msc_vars *v, enum msc_coll c, struct msc_str name, struct msc_str value)
{
	struct mv_vec *vec = &v->coll[c];
	bool is_arg = c == MSC_C_ARGS_GET || c == MSC_C_ARGS_POST;

	if (is_arg ? v->nargs >= v->cfg.max_args : vec->n >= v->cfg.max_entries) {
		if (is_arg)
			v->st.args_refused++;
		else
			v->st.entries_refused++;
		return 0;
	}
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 16;
		struct msc_kv *nv = realloc(vec->v, cap * sizeof(*nv));

		if (!nv) {
			v->st.alloc_failures++;
			return -ENOMEM;
		}
		vec->v = nv;
		vec->cap = cap;
	}
	/* absent pieces of a present pair are empty, not absent */
	if (!name.ptr)
		name = (struct msc_str){ (const uint8_t *)"", 0 };
	if (!value.ptr)
		value = (struct msc_str){ (const uint8_t *)"", 0 };
	vec->v[vec->n++] = (struct msc_kv){ mv_cut(v, name, v->cfg.max_name_len),
					    mv_cut(v, value, v->cfg.max_value_len) };
	if (is_arg)
		v->nargs++;
	return 0;
}

void mv_publish(struct msc_vars *v, enum msc_coll c, struct msc_request *out)
{
	out->c[c] = (struct msc_list){ v->coll[c].n ? v->coll[c].v : NULL, v->coll[c].n };
}

/* ---- decoding ---- */

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX-decode S (and '+' to space when PLUS), keeping invalid escapes as they are, like
 * ModSecurity's urldecode_nonstrict (arguments) and uri_decode (the path). Borrows S when
 * nothing changes. */
static struct msc_str url_decode(struct msc_vars *v, const uint8_t *s, size_t n, bool plus)
{
	size_t i;
	uint8_t *d, *o;

	for (i = 0; i < n; i++)
		if (s[i] == '%' || (plus && s[i] == '+'))
			break;
	if (i == n)
		return (struct msc_str){ s ? s : (const uint8_t *)"", n };
	d = o = mv_alloc(v, n);
	if (!d)
		return (struct msc_str){ 0 };
	memcpy(o, s, i);
	o += i;
	for (; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (uint8_t)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else if (plus && s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	return (struct msc_str){ d, (size_t)(o - d) };
}

/* ModSecurity's extractArguments(): split on SEP (a trailing empty piece is not a piece, as
 * std::getline gives them), then on the first '='. */
int mv_parse_args(struct msc_vars *v, enum msc_coll c, const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *p = s + i, *e = memchr(p, v->cfg.arg_separator, n - i);
		size_t len = e ? (size_t)(e - p) : n - i;
		const uint8_t *eq = memchr(p, '=', len);
		struct msc_str name, value;
		int r;

		if (eq) {
			name = url_decode(v, p, (size_t)(eq - p), true);
			value = url_decode(v, eq + 1, len - (size_t)(eq - p) - 1, true);
		} else {
			name = url_decode(v, p, len, true);
			value = (struct msc_str){ (const uint8_t *)"", 0 };
		}
		if (!name.ptr || !value.ptr)
			return 0; /* arena full: counted */
		r = mv_add(v, c, name, value);
		if (r < 0)
			return r;
		i += len + 1;
	}
	return 0;
}

/* ---- cookies ---- */

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* v0, as libmodsecurity 3.0.9's addRequestHeader(). */
static int cookies_v0(struct msc_vars *v, const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *p = s + i, *e = memchr(p, ';', n - i);
		size_t len = e ? (size_t)(e - p) : n - i;
		const uint8_t *eq;
		struct msc_str name, value = { (const uint8_t *)"", 0 };
		int r;

		i += len + 1;
		if (i >= n) /* the last pair (std::getline drops a trailing empty one) */
			while (len && is_space(p[len - 1]))
				len--;
		eq = memchr(p, '=', len);
		name = (struct msc_str){ p, eq ? (size_t)(eq - p) : len };
		if (eq)
			value = (struct msc_str){ eq + 1, len - name.len - 1 };
		while (name.len && is_space(name.ptr[0])) {
			name.ptr++;
			name.len--;
		}
		if (!name.len)
			continue;
		r = mv_add(v, MSC_C_REQUEST_COOKIES, name, value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* v1 (RFC 2109, ModSecurity v2's parser): ';' or ',' separators, whitespace around names
 * and values dropped, a quoted value loses its quotes (and backslash escapes). */
static int cookies_v1(struct msc_vars *v, const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t ns, ne;
		struct msc_str value = { (const uint8_t *)"", 0 };
		int r;

		while (i < n && (is_space(s[i]) || s[i] == ';' || s[i] == ','))
			i++;
		ns = i;
		while (i < n && s[i] != '=' && s[i] != ';' && s[i] != ',')
			i++;
		ne = i;
		while (ne > ns && is_space(s[ne - 1]))
			ne--;
		if (i < n && s[i] == '=') {
			i++;
			while (i < n && is_space(s[i]))
				i++;
			if (i < n && s[i] == '"') {
				uint8_t *d = mv_alloc(v, n - i), *o = d;

				if (!d)
					return 0;
				for (i++; i < n && s[i] != '"'; i++) {
					if (s[i] == '\\' && i + 1 < n)
						i++;
					*o++ = s[i];
				}
				value = (struct msc_str){ d, (size_t)(o - d) };
				while (i < n && s[i] != ';' && s[i] != ',')
					i++;
			} else {
				size_t vs = i;

				while (i < n && s[i] != ';' && s[i] != ',')
					i++;
				value = (struct msc_str){ s + vs, i - vs };
				while (value.len && is_space(value.ptr[value.len - 1]))
					value.len--;
			}
		}
		if (ne == ns)
			continue;
		r = mv_add(v, MSC_C_REQUEST_COOKIES, (struct msc_str){ s + ns, ne - ns }, value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- headers ---- */

/* Walk a raw header block ("Name: value" lines, CRLF or LF, folded lines joined with one
 * space), calling CB per header. libhtp's header table merges repeated headers; ModSecurity
 * keeps each, so the block as received is the source when the HTTP layer kept it. */
typedef int (*header_cb)(struct msc_vars *v, enum msc_coll c, struct msc_str name,
			 struct msc_str value);

static struct msc_str trim(struct msc_str s)
{
	while (s.len && is_space(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

static int add_header(struct msc_vars *v, enum msc_coll c, struct msc_str name,
		      struct msc_str value)
{
	int r = mv_add(v, c, name, value);

	if (r < 0 || c != MSC_C_REQUEST_HEADERS)
		return r;
	if (name.len == 6 && !strncasecmp((const char *)name.ptr, "cookie", 6))
		r = v->cfg.cookie_format == MSC_COOKIE_V1 ? cookies_v1(v, value.ptr, value.len) :
							    cookies_v0(v, value.ptr, value.len);
	return r;
}

static int headers_raw(struct msc_vars *v, enum msc_coll c, const uint8_t *s, size_t n)
{
	struct msc_str name = { 0 }, value = { 0 };
	bool have = false;
	size_t i = 0;
	int r;

	while (i < n) {
		const uint8_t *p = s + i, *e = memchr(p, '\n', n - i);
		size_t len = e ? (size_t)(e - p) : n - i;
		const uint8_t *colon;

		i += len + 1;
		if (len && p[len - 1] == '\r')
			len--;
		if (!len)
			continue;
		if ((p[0] == ' ' || p[0] == '\t') && have) {
			/* folded: value + ' ' + the continuation */
			struct msc_str cont = trim((struct msc_str){ p, len });
			uint8_t *d = mv_alloc(v, value.len + 1 + cont.len);

			if (!d)
				continue;
			memcpy(d, value.ptr, value.len);
			d[value.len] = ' ';
			memcpy(d + value.len + 1, cont.ptr, cont.len);
			value = (struct msc_str){ d, value.len + 1 + cont.len };
			continue;
		}
		colon = memchr(p, ':', len);
		if (!colon)
			continue; /* not a header line (libhtp flags it) */
		if (have) {
			r = add_header(v, c, name, value);
			if (r < 0)
				return r;
		}
		name = trim((struct msc_str){ p, (size_t)(colon - p) });
		value = trim((struct msc_str){ colon + 1, len - (size_t)(colon - p) - 1 });
		have = true;
	}
	return have ? add_header(v, c, name, value) : 0;
}

static int headers_table(struct msc_vars *v, enum msc_coll c, htp_table_t *t)
{
	size_t n = t ? htp_table_size(t) : 0;

	for (size_t i = 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(t, i, NULL);
		int r;

		if (!h || !h->name || !h->value)
			continue;
		r = add_header(v, c, (struct msc_str){ bstr_ptr(h->name), bstr_len(h->name) },
			       (struct msc_str){ bstr_ptr(h->value), bstr_len(h->value) });
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- phase 1 ---- */

static struct msc_str view(struct http_view w)
{
	return (struct msc_str){ w.ptr, w.len };
}

static struct msc_str bview(const bstr *b)
{
	return b ? (struct msc_str){ bstr_ptr(b), bstr_len(b) } : (struct msc_str){ 0 };
}

/* V in decimal at B (NUL-terminated); returns the digits' count. */
static size_t dec_u32(char *b, uint32_t v)
{
	char d[10];
	size_t n = 0, i;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		b[i] = d[n - 1 - i];
	b[n] = '\0';
	return n;
}

/*
 * The text of address A (family 4 or 6) in B, as inet_ntop() writes it. IPv4 by hand:
 * glibc's inet_ntop() formats it with sprintf(), ~1,700 instructions, and the two
 * addresses and ports of a CRS transaction cost 1.5% of its evaluation that way.
 */
static bool addr_text(int family, const uint8_t *a, char *b, size_t cap)
{
	size_t o = 0;

	if (family == 6)
		return inet_ntop(AF_INET6, a, b, (socklen_t)cap) != NULL;
	if (cap < INET_ADDRSTRLEN)
		return false;
	for (int i = 0; i < 4; i++) {
		if (i)
			b[o++] = '.';
		o += dec_u32(b + o, a[i]);
	}
	return true;
}

static void set_addr(struct msc_vars *v, struct msc_request *out, const struct eve_tuple *t)
{
	if (t->family != 4 && t->family != 6)
		return;
	if (addr_text(t->family, t->src_ip, v->remote_addr, sizeof(v->remote_addr)))
		out->f[MSC_F_REMOTE_ADDR] = mv_cstr(v->remote_addr);
	if (addr_text(t->family, t->dest_ip, v->server_addr, sizeof(v->server_addr)))
		out->f[MSC_F_SERVER_ADDR] = mv_cstr(v->server_addr);
	dec_u32(v->remote_port, t->src_port);
	dec_u32(v->server_port, t->dest_port);
	out->f[MSC_F_REMOTE_PORT] = mv_cstr(v->remote_port);
	out->f[MSC_F_SERVER_PORT] = mv_cstr(v->server_port);
}

/* The last Content-Type request header (ModSecurity decides per header, the last wins). */
struct msc_str mv_content_type(const struct msc_request *out)
{
	const struct msc_list *h = &out->c[MSC_C_REQUEST_HEADERS];
	struct msc_str ct = { 0 };

	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].name.len == 12 &&
		    !strncasecmp((const char *)h->v[i].name.ptr, "content-type", 12))
			ct = h->v[i].value;
	return ct;
}

static bool has_prefix_ci(struct msc_str s, const char *p)
{
	size_t n = strlen(p);

	return s.len >= n && !strncasecmp((const char *)s.ptr, p, n);
}

/* "application/<token>+<suffix>" ([a-z0-9.-]+ token, the recommended setup's regex). */
static bool is_plus_type(struct msc_str s, const char *suffix)
{
	size_t i = 12, n = strlen(suffix);

	if (!has_prefix_ci(s, "application/"))
		return false;
	while (i < s.len && (isalnum(s.ptr[i]) || s.ptr[i] == '.' || s.ptr[i] == '-'))
		i++;
	return i > 12 && i < s.len && s.ptr[i] == '+' && s.len - i - 1 >= n &&
	       !strncasecmp((const char *)s.ptr + i + 1, suffix, n);
}

enum msc_body_processor mv_pick_processor(struct msc_str ct)
{
	if (!ct.ptr)
		return MSC_BODY_NONE;
	if (has_prefix_ci(ct, "application/x-www-form-urlencoded"))
		return MSC_BODY_URLENCODED;
	if (has_prefix_ci(ct, "multipart/form-data"))
		return MSC_BODY_MULTIPART;
	if (has_prefix_ci(ct, "application/json") || is_plus_type(ct, "json"))
		return MSC_BODY_JSON;
	if (has_prefix_ci(ct, "application/xml") || has_prefix_ci(ct, "text/xml") ||
	    has_prefix_ci(ct, "application/soap+xml") || is_plus_type(ct, "xml"))
		return MSC_BODY_XML;
	return MSC_BODY_NONE;
}

const char *mv_processor_name(enum msc_body_processor p)
{
	switch (p) {
	case MSC_BODY_URLENCODED:
		return "URLENCODED";
	case MSC_BODY_MULTIPART:
		return "MULTIPART";
	case MSC_BODY_JSON:
		return "JSON";
	case MSC_BODY_XML:
		return "XML";
	default:
		return NULL;
	}
}

int msc_vars_request_headers(struct msc_vars *v, const struct http_tx *tx,
			     const struct eve_tuple *t, struct msc_request *out)
{
	struct msc_str uri = view(tx->uri_raw), path, dec;
	const uint8_t *q;
	const char *proc;
	int r = 0;

	mv_reset(v);
	memset(out, 0, sizeof(*out));
	v->st.txs++;

	out->f[MSC_F_REQUEST_METHOD] = view(tx->method);
	out->f[MSC_F_REQUEST_PROTOCOL] = view(tx->protocol);
	if (tx->htp)
		out->f[MSC_F_REQUEST_LINE] = bview(tx->htp->request_line);
	out->f[MSC_F_REQUEST_URI_RAW] = uri;
	if (uri.ptr) {
		/* REQUEST_URI / FILENAME / BASENAME: as v3, from the %XX-decoded target */
		dec = url_decode(v, uri.ptr, uri.len, false);
		if (!dec.ptr)
			dec = uri;
		path = dec;
		q = memchr(dec.ptr, '?', dec.len);
		if (q)
			path.len = (size_t)(q - dec.ptr);
		out->f[MSC_F_REQUEST_FILENAME] = path;
		/* the part after the last '/' or '\\': present and empty for "/" or "/dir/" (CRS
		 * 920200 reads "!@endsWith .pdf" on it), the whole path when it has no separator */
		out->f[MSC_F_REQUEST_BASENAME] = path;
		for (size_t i = path.len; i > 0; i--) {
			if (path.ptr[i - 1] == '/' || path.ptr[i - 1] == '\\') {
				out->f[MSC_F_REQUEST_BASENAME] =
					(struct msc_str){ path.ptr + i, path.len - i };
				break;
			}
		}
		out->f[MSC_F_REQUEST_URI] = dec;
		if (dec.len && dec.ptr[0] != '/') {
			/* absolute form: drop scheme://host when a '/' path follows */
			const uint8_t *c = memchr(dec.ptr, ':', dec.len);
			size_t o = c ? (size_t)(c - dec.ptr) + 1 : 0;

			if (c && o + 2 <= dec.len && dec.ptr[o] == '/' && dec.ptr[o + 1] == '/') {
				const uint8_t *sl = memchr(dec.ptr + o + 2, '/', dec.len - o - 2);

				if (sl)
					out->f[MSC_F_REQUEST_URI] = (struct msc_str){
						sl, dec.len - (size_t)(sl - dec.ptr)
					};
			}
		}
		q = memchr(uri.ptr, '?', uri.len);
		if (q) {
			size_t off = (size_t)(q - uri.ptr) + 1;

			out->f[MSC_F_QUERY_STRING] = (struct msc_str){ q + 1, uri.len - off };
			r = mv_parse_args(v, MSC_C_ARGS_GET, q + 1, uri.len - off);
		}
	}
	if (!r) {
		if (tx->request_headers_raw.len)
			r = headers_raw(v, MSC_C_REQUEST_HEADERS, tx->request_headers_raw.ptr,
					tx->request_headers_raw.len);
		else if (tx->htp)
			r = headers_table(v, MSC_C_REQUEST_HEADERS, tx->htp->request_headers);
	}
	mv_publish(v, MSC_C_ARGS_GET, out);
	mv_publish(v, MSC_C_REQUEST_HEADERS, out);
	mv_publish(v, MSC_C_REQUEST_COOKIES, out);
	if (t)
		set_addr(v, out, t);
	proc = mv_processor_name(mv_pick_processor(mv_content_type(out)));
	if (proc)
		out->f[MSC_F_REQBODY_PROCESSOR] = mv_cstr(proc);
	return r;
}

/* ---- response ---- */

int msc_vars_response(struct msc_vars *v, const struct http_tx *tx, struct msc_request *out)
{
	int r = 0;

	v->coll[MSC_C_RESPONSE_HEADERS].n = 0;
	out->f[MSC_F_RESPONSE_PROTOCOL] = view(tx->response_protocol);
	out->f[MSC_F_STATUS_LINE] = view(tx->status_line);
	if (tx->status > 0) {
		snprintf(v->status, sizeof(v->status), "%d", tx->status);
		out->f[MSC_F_RESPONSE_STATUS] = mv_cstr(v->status);
	} else {
		out->f[MSC_F_RESPONSE_STATUS] = (struct msc_str){ 0 };
	}
	if (tx->response_headers_raw.len)
		r = headers_raw(v, MSC_C_RESPONSE_HEADERS, tx->response_headers_raw.ptr,
				tx->response_headers_raw.len);
	else if (tx->htp)
		r = headers_table(v, MSC_C_RESPONSE_HEADERS, tx->htp->response_headers);
	mv_publish(v, MSC_C_RESPONSE_HEADERS, out);
	out->f[MSC_F_RESPONSE_BODY] = view(tx->response_body);
	out->have_response = true;
	return r;
}
