// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of dpi/msc_vars against the real libmodsecurity 3 (linked into this
 * test only): every request of the given CRS corpus files (JSON Lines, see
 * ../shared/corpus/crs/README.md) goes
 *  - as raw bytes through moat's HTTP layer (libhtp) and msc_vars (phases 1 and 2), and
 *  - through libmodsecurity's C API (msc_process_uri, headers, body) with one rule,
 *      SecRule <variables> "@rx ^" "phase:2,pass,log,multiMatch,t:none,t:sha1,t:hexEncode,
 *               logdata:'%{MATCHED_VAR}'"
 *    read back through the log callback: multiMatch logs each value once per
 *    transformation step, the message names the variable, and the data of the step after
 *    t:hexEncode is sha1hex(value) (never cut, unlike long raw values).
 * The two multisets of "NAME=sha1hex" strings must be equal for the request to agree.
 * Compared: ARGS (ours: ARGS_GET + ARGS_POST), REQUEST_COOKIES, REQUEST_HEADERS, FILES,
 * FILES_SIZES, MULTIPART_PART_HEADERS, the request line variables, QUERY_STRING,
 * REQUEST_BODY, REQBODY_PROCESSOR, REQBODY_ERROR and, for multipart bodies, the
 * MULTIPART_* flags. MULTIPART_PART_HEADERS goes through t:trimRight first: libmodsecurity 3
 * keeps each header line's CRLF, msc_vars does not (see msc_vars_body.c). XML://@(star) (the
 * attribute values) is compared; XML:/(star) is not (v3 gives it as one concatenated value;
 * the contract asks for text nodes).
 *
 * Usage: msc_vars_vs_modsec BAR FILE.jsonl...   BAR: minimum agreement in percent (rounded
 * down). Prints the disagreeing request ids with their differences, then the agreement.
 * Exit 77 when the corpus is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include "dpi/http.h"
#include "dpi/eve.h"
#include "dpi/msc_vars.h"

#define MAX_ITEMS 4096
#define SHA1_EMPTY "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA1_ZERO "b6589fc6ab0dc82cf12099d1c2d40ab994e8410c"
#define SHA1_TWO "da4b9237bacccdf19c0760cab7aec4a8359010b0"

/* libmodsecurity cannot tell an absent single-valued variable from an empty one (both
 * match "^" with an empty value), and leaves REQBODY_ERROR empty when no body processor
 * ran, and sets most MULTIPART_* flags to 0 for any request: empty values, REQBODY_ERROR=0
 * and flags at 0 are dropped on both sides (a flag at 1 on one side only still counts), and
 * so is MULTIPART_UNMATCHED_BOUNDARY=2 ("a later boundary matched": not an error, no bit in
 * the contract). */
static bool normalized_away(const char *s)
{
	const char *eq = strrchr(s, '='), *colon = strchr(s, ':');

	if (!eq || (colon && colon < eq))
		return false;
	if (!strcmp(eq + 1, SHA1_EMPTY))
		return true;
	if (!strncmp(s, "MULTIPART_UNMATCHED_BOUNDARY=", 29) && !strcmp(eq + 1, SHA1_TWO))
		return true;
	return (!strncmp(s, "REQBODY_ERROR=", 14) || !strncmp(s, "MULTIPART_", 10)) &&
	       !strcmp(eq + 1, SHA1_ZERO);
}

struct items {
	char *v[MAX_ITEMS];
	size_t n;
	bool overflow;
};

static void items_add(struct items *it, char *s)
{
	if (!s)
		abort();
	if (normalized_away(s)) {
		free(s);
		return;
	}
	if (it->n == MAX_ITEMS) {
		it->overflow = true;
		free(s);
		return;
	}
	it->v[it->n++] = s;
}

static void items_clear(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i]);
	it->n = 0;
	it->overflow = false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "NAME=sha1hex(VALUE)", NAME with bytes outside 32..126 as \xHH (libmodsecurity's rule
 * message writes the variable name so). */
static char *format_item(const char *name, size_t name_len, const uint8_t *val, size_t val_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t cap = name_len * 4 + 64, o = 0;
	char *s = malloc(cap);

	if (!s)
		abort();
	for (size_t i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 32 || c > 126)
			o += (size_t)snprintf(s + o, cap - o, "\\x%02x", c);
		else
			s[o++] = (char)c;
	}
	s[o++] = '=';
	if (!EVP_Digest(val, val_len, md, &mdlen, EVP_sha1(), NULL))
		abort();
	for (unsigned int i = 0; i < mdlen; i++)
		o += (size_t)snprintf(s + o, cap - o, "%02x", md[i]);
	s[o] = '\0';
	return s;
}

/* ---- ours ---- */

struct ours {
	struct msc_vars *v;
	struct items it;
	int ntx;
};

static void add_kv(struct items *it, const char *prefix, struct msc_str name, struct msc_str val)
{
	size_t pl = strlen(prefix);
	char *n = malloc(pl + name.len + 2);

	if (!n)
		abort();
	memcpy(n, prefix, pl);
	n[pl] = ':';
	if (name.len)
		memcpy(n + pl + 1, name.ptr, name.len);
	items_add(it, format_item(n, pl + 1 + name.len, val.ptr, val.len));
	free(n);
}

static void add_field(struct items *it, const char *name, struct msc_str val)
{
	if (val.ptr)
		items_add(it, format_item(name, strlen(name), val.ptr, val.len));
}

static const struct {
	const char *name;
	uint32_t bit;
} mp_flags[] = {
	{ "MULTIPART_BOUNDARY_QUOTED", MSC_MP_BOUNDARY_QUOTED },
	{ "MULTIPART_BOUNDARY_WHITESPACE", MSC_MP_BOUNDARY_WHITESPACE },
	{ "MULTIPART_DATA_BEFORE", MSC_MP_DATA_BEFORE },
	{ "MULTIPART_DATA_AFTER", MSC_MP_DATA_AFTER },
	{ "MULTIPART_HEADER_FOLDING", MSC_MP_HEADER_FOLDING },
	{ "MULTIPART_LF_LINE", MSC_MP_LF_LINE },
	{ "MULTIPART_CRLF_LF_LINES", MSC_MP_CRLF_LF_LINES },
	{ "MULTIPART_MISSING_SEMICOLON", MSC_MP_MISSING_SEMICOLON },
	{ "MULTIPART_INVALID_QUOTING", MSC_MP_INVALID_QUOTING },
	{ "MULTIPART_INVALID_PART", MSC_MP_INVALID_PART },
	{ "MULTIPART_INVALID_HEADER_FOLDING", MSC_MP_INVALID_HEADER_FOLDING },
	{ "MULTIPART_FILE_LIMIT_EXCEEDED", MSC_MP_FILE_LIMIT_EXCEEDED },
	{ "MULTIPART_UNMATCHED_BOUNDARY", MSC_MP_UNMATCHED_BOUNDARY },
	{ "MULTIPART_STRICT_ERROR", MSC_MP_STRICT_ERROR },
};

static void on_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct ours *o = user;
	struct eve_tuple t = { .family = 4, .proto = 6, .src_port = 40000, .dest_port = 80 };
	struct msc_request r;
	static const struct {
		enum msc_field f;
		const char *name;
	} fields[] = {
		{ MSC_F_REQUEST_METHOD, "REQUEST_METHOD" },
		{ MSC_F_REQUEST_PROTOCOL, "REQUEST_PROTOCOL" },
		{ MSC_F_REQUEST_LINE, "REQUEST_LINE" },
		{ MSC_F_REQUEST_URI, "REQUEST_URI" },
		{ MSC_F_REQUEST_URI_RAW, "REQUEST_URI_RAW" },
		{ MSC_F_REQUEST_FILENAME, "REQUEST_FILENAME" },
		{ MSC_F_REQUEST_BASENAME, "REQUEST_BASENAME" },
		{ MSC_F_QUERY_STRING, "QUERY_STRING" },
		{ MSC_F_REQUEST_BODY, "REQUEST_BODY" },
		{ MSC_F_REQBODY_PROCESSOR, "REQBODY_PROCESSOR" },
	};
	static const struct {
		enum msc_coll c;
		const char *name;
	} colls[] = {
		{ MSC_C_ARGS_GET, "ARGS" },
		{ MSC_C_ARGS_POST, "ARGS" },
		{ MSC_C_REQUEST_COOKIES, "REQUEST_COOKIES" },
		{ MSC_C_REQUEST_HEADERS, "REQUEST_HEADERS" },
		{ MSC_C_FILES, "FILES" },
		{ MSC_C_FILES_SIZES, "FILES_SIZES" },
		{ MSC_C_MULTIPART_PART_HEADERS, "MULTIPART_PART_HEADERS" },
	};
	struct msc_str p;

	(void)ts_us;
	if (o->ntx++)
		return; /* one request per connection: a second "transaction" is leftover junk */
	inet_pton(AF_INET, "198.18.0.1", t.src_ip);
	inet_pton(AF_INET, "198.18.0.2", t.dest_ip);
	msc_vars_request_headers(o->v, tx, &t, &r);
	msc_vars_request_body(o->v, tx, MSC_BODY_AUTO, &r);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		add_field(&o->it, fields[i].name, r.f[fields[i].f]);
	for (size_t i = 0; i < sizeof(colls) / sizeof(colls[0]); i++)
		for (size_t j = 0; j < r.c[colls[i].c].n; j++)
			add_kv(&o->it, colls[i].name, r.c[colls[i].c].v[j].name,
			       r.c[colls[i].c].v[j].value);
	/* v3 names each XML://@(star) value by the selector alone */
	for (size_t j = 0; j < r.c[MSC_C_XML_ATTR].n; j++)
		add_field(&o->it, "XML://@*", r.c[MSC_C_XML_ATTR].v[j].value);
	add_field(&o->it, "REQBODY_ERROR",
		  (struct msc_str){ (const uint8_t *)(r.reqbody_error ? "1" : "0"), 1 });
	p = r.f[MSC_F_REQBODY_PROCESSOR];
	if (p.len == 9 && !memcmp(p.ptr, "MULTIPART", 9))
		for (size_t i = 0; i < sizeof(mp_flags) / sizeof(mp_flags[0]); i++)
			add_field(&o->it, mp_flags[i].name,
				  (struct msc_str){
					  (const uint8_t *)((r.multipart & mp_flags[i].bit) ? "1" :
											      "0"),
					  1 });
}

/* ---- theirs ---- */

static struct items theirs_msgs;

/* "NAME\tDATA" of one rule message: NAME from "against variable `NAME' (Value: `", DATA
 * from [data "..."] (the logdata, %{MATCHED_VAR} after the current transformation). */
static void log_cb(void *data, const void *msg)
{
	const char *m = msg, *n = strstr(m, "against variable `"), *ne, *d, *de;
	char *s;

	(void)data;
	if (!n)
		return;
	n += 18;
	ne = strstr(n, "' (Value: `");
	d = ne ? strstr(ne, "[data \"") : NULL;
	if (!d)
		return;
	d += 7;
	de = strstr(d, "\"] [severity");
	if (!de)
		return;
	if (asprintf(&s, "%.*s\t%.*s", (int)(ne - n), n, (int)(de - d), d) < 0)
		abort();
	items_add(&theirs_msgs, s);
}

static const char rules_text[] =
	"SecRuleEngine DetectionOnly\n"
	"SecRequestBodyAccess On\n"
	"SecRequestBodyLimit 13107200\n"
	"SecRequestBodyNoFilesLimit 13107200\n"
	/* the recommended setup's body processor rules (modsecurity.conf-recommended) */
	"SecRule REQUEST_HEADERS:Content-Type \"^(?:application(?:/soap\\+|/)|text/)xml\" "
	"\"id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML\"\n"
	"SecRule REQUEST_HEADERS:Content-Type \"^application/json\" "
	"\"id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
	"SecRule REQUEST_HEADERS:Content-Type \"^application/[a-z0-9.-]+[+]json\" "
	"\"id:200006,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
	"SecRule MULTIPART_PART_HEADERS \"@rx ^\" \"id:2,phase:2,pass,log,multiMatch,t:none,"
	"t:trimRight,t:sha1,t:hexEncode,logdata:'%{MATCHED_VAR}'\"\n"
	"SecRule ARGS|REQUEST_COOKIES|REQUEST_HEADERS|FILES|FILES_SIZES|"
	"REQUEST_METHOD|REQUEST_PROTOCOL|REQUEST_LINE|REQUEST_URI|REQUEST_URI_RAW|"
	"REQUEST_FILENAME|REQUEST_BASENAME|QUERY_STRING|REQUEST_BODY|REQBODY_PROCESSOR|"
	"REQBODY_ERROR|MULTIPART_BOUNDARY_QUOTED|MULTIPART_BOUNDARY_WHITESPACE|"
	"MULTIPART_DATA_BEFORE|MULTIPART_DATA_AFTER|MULTIPART_HEADER_FOLDING|MULTIPART_LF_LINE|"
	"MULTIPART_CRLF_LF_LINES|MULTIPART_MISSING_SEMICOLON|MULTIPART_INVALID_QUOTING|"
	"MULTIPART_INVALID_PART|MULTIPART_INVALID_HEADER_FOLDING|MULTIPART_FILE_LIMIT_EXCEEDED|"
	"MULTIPART_UNMATCHED_BOUNDARY|MULTIPART_STRICT_ERROR|XML://@* "
	"\"@rx ^\" \"id:1,phase:2,pass,log,multiMatch,t:none,t:sha1,t:hexEncode,"
	"logdata:'%{MATCHED_VAR}'\"\n";

struct req {
	const char *id, *method, *uri, *version;
	json_t *headers;
	uint8_t *body;
	size_t body_len;
};

static bool is_hex40(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 40;
}

static int theirs(ModSecurity *ms, RulesSet *rs, const struct req *q, struct items *out)
{
	Transaction *t = msc_new_transaction(ms, rs, NULL);
	const char *ver = q->version;
	size_t i;
	json_t *h;
	char *s;

	if (!t)
		return -ENOMEM;
	if (!strncmp(ver, "HTTP/", 5))
		ver += 5;
	items_clear(&theirs_msgs);
	msc_process_connection(t, "198.18.0.1", 40000, "198.18.0.2", 80);
	msc_process_uri(t, q->uri, q->method, ver);
	json_array_foreach(q->headers, i, h)
	{
		const char *k = json_string_value(json_array_get(h, 0));
		const char *v = json_string_value(json_array_get(h, 1));

		if (k && v)
			msc_add_n_request_header(t, (const unsigned char *)k, strlen(k),
						 (const unsigned char *)v, strlen(v));
	}
	msc_process_request_headers(t);
	if (q->body_len)
		msc_append_request_body(t, q->body, q->body_len);
	msc_process_request_body(t);
	msc_transaction_cleanup(t);
	/* The value after t:sha1,t:hexEncode: 40 hex digits right after a message for the same
	 * variable whose data is the raw digest (never 40 hex digits). */
	for (i = 1; i < theirs_msgs.n; i++) {
		char *cur = theirs_msgs.v[i], *prev = theirs_msgs.v[i - 1];
		char *tab = strchr(cur, '\t'), *ptab = strchr(prev, '\t');

		if (!tab || !ptab || tab - cur != ptab - prev ||
		    strncmp(cur, prev, (size_t)(tab - cur)))
			continue;
		if (!is_hex40(tab + 1) || is_hex40(ptab + 1))
			continue;
		if (asprintf(&s, "%.*s=%s", (int)(tab - cur), cur, tab + 1) < 0)
			abort();
		items_add(out, s);
	}
	return 0;
}

/* ---- driver ---- */

static uint8_t *b64(const char *s, size_t *ret_len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	uint8_t *d = malloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;

	if (!d)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *p = strchr(tbl, s[i]);

		if (s[i] == '=' || !p || !s[i])
			continue;
		acc = acc << 6 | (uint32_t)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	*ret_len = o;
	return d;
}

static char *raw_request(const struct req *q, size_t *ret_len)
{
	size_t cap = strlen(q->method) + strlen(q->uri) + strlen(q->version) + 8 + q->body_len,
	       o = 0, i;
	json_t *h;
	char *s;

	json_array_foreach(q->headers, i, h)
	{
		const char *k = json_string_value(json_array_get(h, 0));
		const char *v = json_string_value(json_array_get(h, 1));

		cap += (k ? strlen(k) : 0) + (v ? strlen(v) : 0) + 4;
	}
	s = malloc(cap + 1);
	if (!s)
		abort();
	o += (size_t)sprintf(s, "%s %s %s\r\n", q->method, q->uri, q->version);
	json_array_foreach(q->headers, i, h)
	{
		const char *k = json_string_value(json_array_get(h, 0));
		const char *v = json_string_value(json_array_get(h, 1));

		if (k && v)
			o += (size_t)sprintf(s + o, "%s: %s\r\n", k, v);
	}
	o += (size_t)sprintf(s + o, "\r\n");
	memcpy(s + o, q->body, q->body_len);
	*ret_len = o + q->body_len;
	return s;
}

/* Print what is only on one side; return true when the multisets are equal. */
static bool compare(const char *id, struct items *a, struct items *b)
{
	size_t i = 0, j = 0;
	bool same = !a->overflow && !b->overflow;
	int shown = 0;

	qsort(a->v, a->n, sizeof(char *), cmp_str);
	qsort(b->v, b->n, sizeof(char *), cmp_str);
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);

		if (!c) {
			i++;
			j++;
			continue;
		}
		same = false;
		if (shown++ < 6)
			printf("  %s %s %s\n", id, c < 0 ? "moat-only" : "modsec-only",
			       c < 0 ? a->v[i] : b->v[j]);
		if (c < 0)
			i++;
		else
			j++;
	}
	return same;
}

int main(int argc, char **argv)
{
	struct http_config hc;
	struct http_engine *e;
	struct http_stats st = { 0 };
	struct ours o = { 0 };
	static struct items th;
	ModSecurity *ms;
	RulesSet *rs;
	const char *err = NULL;
	unsigned long total = 0, agree = 0;
	int bar;

	if (argc < 3) {
		fprintf(stderr, "usage: %s BAR FILE.jsonl...\n", argv[0]);
		return 2;
	}
	bar = atoi(argv[1]);
	http_config_defaults(&hc);
	hc.request_body_limit = 13107200;
	hc.keep_request_body = true;
	if (http_engine_new(&hc, &e) < 0 || msc_vars_new(NULL, &o.v) < 0)
		return 1;
	ms = msc_init();
	msc_set_log_cb(ms, log_cb);
	rs = msc_create_rules_set();
	if (msc_rules_add(rs, rules_text, &err) < 0) {
		fprintf(stderr, "libmodsecurity rules: %s\n", err ? err : "?");
		return 1;
	}
	for (int f = 2; f < argc; f++) {
		FILE *fp = fopen(argv[f], "r");
		unsigned long ftotal = 0, fagree = 0;
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		long lineno = 0;

		if (!fp) {
			fprintf(stderr, "%s: %s\n", argv[f], strerror(errno));
			return errno == ENOENT ? 77 : 1;
		}
		while ((n = getline(&line, &cap, fp)) > 0) {
			json_error_t je;
			json_t *j = json_loadb(line, (size_t)n, 0, &je);
			struct req q = { 0 };
			struct http_conn *c;
			char *raw;
			size_t raw_len;
			const char *bs;

			lineno++;
			if (!j) {
				fprintf(stderr, "%s:%ld: %s\n", argv[f], lineno, je.text);
				return 1;
			}
			q.id = json_string_value(json_object_get(j, "id"));
			q.method = json_string_value(json_object_get(j, "method"));
			q.uri = json_string_value(json_object_get(j, "uri"));
			q.version = json_string_value(json_object_get(j, "version"));
			q.headers = json_object_get(j, "headers");
			bs = json_string_value(json_object_get(j, "body_b64"));
			if (!q.id || !q.method || !q.uri || !q.version ||
			    !json_is_array(q.headers)) {
				fprintf(stderr, "%s:%ld: missing fields\n", argv[f], lineno);
				return 1;
			}
			q.body = b64(bs ? bs : "", &q.body_len);
			raw = raw_request(&q, &raw_len);
			items_clear(&o.it);
			o.ntx = 0;
			c = http_conn_new(e, on_tx, &o, &st, 1);
			if (!c)
				return 1;
			http_conn_data(c, 0, (const uint8_t *)raw, raw_len, 2);
			http_conn_close(c, 3);
			http_conn_free(c);
			items_clear(&th);
			if (theirs(ms, rs, &q, &th) < 0)
				return 1;
			ftotal++;
			if (o.ntx == 0)
				printf("  %s no transaction from libhtp\n", q.id);
			if (o.ntx && compare(q.id, &o.it, &th))
				fagree++;
			free(raw);
			free(q.body);
			json_decref(j);
		}
		free(line);
		fclose(fp);
		printf("%s: %lu/%lu agree\n", argv[f], fagree, ftotal);
		total += ftotal;
		agree += fagree;
	}
	items_clear(&o.it);
	items_clear(&th);
	items_clear(&theirs_msgs);
	msc_rules_cleanup(rs);
	msc_cleanup(ms);
	msc_vars_free(o.v);
	http_engine_free(e);
	printf("agreement: %lu/%lu = %.1f%% (bar %d%%)\n", agree, total,
	       total ? 100.0 * (double)agree / (double)total : 0.0, bar);
	return total && agree * 100 / total >= (unsigned long)bar ? 0 : 1;
}
