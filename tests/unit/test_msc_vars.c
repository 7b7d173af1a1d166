// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for dpi/msc_vars.c: raw HTTP requests through the real HTTP layer (libhtp),
 * then the three fillers inside the transaction callback; the collections are checked as a
 * text dump ("COLL:name=value" lines, bytes outside printable ASCII as \xHH). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dpi/http.h"
#include "dpi/eve.h"
#include "dpi/msc_vars.h"

static const char *const coll_names[MSC_C_MAX] = {
	[MSC_C_ARGS_GET] = "ARGS_GET",
	[MSC_C_ARGS_POST] = "ARGS_POST",
	[MSC_C_REQUEST_HEADERS] = "REQUEST_HEADERS",
	[MSC_C_REQUEST_COOKIES] = "REQUEST_COOKIES",
	[MSC_C_FILES] = "FILES",
	[MSC_C_FILES_SIZES] = "FILES_SIZES",
	[MSC_C_MULTIPART_PART_HEADERS] = "MULTIPART_PART_HEADERS",
	[MSC_C_XML] = "XML",
	[MSC_C_XML_ATTR] = "XML_ATTR",
	[MSC_C_RESPONSE_HEADERS] = "RESPONSE_HEADERS",
};

static const char *const field_names[MSC_F_MAX] = {
	[MSC_F_REQUEST_METHOD] = "REQUEST_METHOD",
	[MSC_F_REQUEST_PROTOCOL] = "REQUEST_PROTOCOL",
	[MSC_F_REQUEST_LINE] = "REQUEST_LINE",
	[MSC_F_REQUEST_URI] = "REQUEST_URI",
	[MSC_F_REQUEST_URI_RAW] = "REQUEST_URI_RAW",
	[MSC_F_REQUEST_FILENAME] = "REQUEST_FILENAME",
	[MSC_F_REQUEST_BASENAME] = "REQUEST_BASENAME",
	[MSC_F_QUERY_STRING] = "QUERY_STRING",
	[MSC_F_REQUEST_BODY] = "REQUEST_BODY",
	[MSC_F_REQBODY_PROCESSOR] = "REQBODY_PROCESSOR",
	[MSC_F_REQBODY_ERROR_MSG] = "REQBODY_ERROR_MSG",
	[MSC_F_REMOTE_ADDR] = "REMOTE_ADDR",
	[MSC_F_REMOTE_PORT] = "REMOTE_PORT",
	[MSC_F_SERVER_ADDR] = "SERVER_ADDR",
	[MSC_F_SERVER_PORT] = "SERVER_PORT",
	[MSC_F_RESPONSE_PROTOCOL] = "RESPONSE_PROTOCOL",
	[MSC_F_RESPONSE_STATUS] = "RESPONSE_STATUS",
	[MSC_F_STATUS_LINE] = "STATUS_LINE",
	[MSC_F_RESPONSE_BODY] = "RESPONSE_BODY",
};

struct fixture {
	struct http_engine *e;
	struct http_stats st;
	struct msc_vars *v;
	struct msc_vars_config cfg;
	enum msc_body_processor proc;
	bool ipv6;
	bool edge_tuple; /* other IPv4 addresses and ports */
	char dump[64 * 1024];
	size_t len;
	int ntx;
	int rc[3];
	struct msc_request last;
};

static void put(struct fixture *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct fixture *fx, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(fx->dump + fx->len, sizeof(fx->dump) - fx->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(fx->dump) - fx->len);
	fx->len += (size_t)n;
}

static void put_str(struct fixture *fx, struct msc_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] >= 0x20 && s.ptr[i] < 0x7f && s.ptr[i] != '\\')
			put(fx, "%c", s.ptr[i]);
		else
			put(fx, "\\x%02x", s.ptr[i]);
	}
}

static void dump_request(struct fixture *fx, const struct msc_request *r)
{
	for (int f = 0; f < MSC_F_MAX; f++) {
		if (!r->f[f].ptr)
			continue;
		put(fx, "%s=", field_names[f]);
		put_str(fx, r->f[f]);
		put(fx, "\n");
	}
	for (int c = 0; c < MSC_C_MAX; c++) {
		for (size_t i = 0; i < r->c[c].n; i++) {
			put(fx, "%s:", coll_names[c]);
			put_str(fx, r->c[c].v[i].name);
			put(fx, "=");
			put_str(fx, r->c[c].v[i].value);
			put(fx, "\n");
		}
	}
	put(fx, "REQBODY_ERROR=%d\nMULTIPART=%#x\n", r->reqbody_error, r->multipart);
}

static void on_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct fixture *fx = user;
	struct msc_request r;
	struct eve_tuple t = { .family = 4, .proto = 6, .src_port = 40000, .dest_port = 80 };

	(void)ts_us;
	inet_pton(AF_INET, "198.18.0.1", t.src_ip);
	inet_pton(AF_INET, "198.18.0.2", t.dest_ip);
	if (fx->edge_tuple) {
		inet_pton(AF_INET, "198.19.0.255", t.src_ip);
		inet_pton(AF_INET, "198.18.100.9", t.dest_ip);
		t.src_port = 65535;
		t.dest_port = 0;
	}
	if (fx->ipv6) {
		t.family = 6;
		inet_pton(AF_INET6, "fd00:6d6f:6174::1", t.src_ip);
		inet_pton(AF_INET6, "fd00:6d6f:6174::2", t.dest_ip);
	}
	fx->ntx++;
	fx->len = 0;
	fx->rc[0] = msc_vars_request_headers(fx->v, tx, &t, &r);
	fx->rc[1] = msc_vars_request_body(fx->v, tx, fx->proc, &r);
	fx->rc[2] = msc_vars_response(fx->v, tx, &r);
	dump_request(fx, &r);
	fx->last = r; /* pointers only valid here: tests read the scalars */
}

static int setup_cfg(void **state, const struct msc_vars_config *cfg)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct http_config c;

	assert_non_null(fx);
	http_config_defaults(&c);
	c.keep_request_body = c.keep_response_body = true;
	assert_int_equal(http_engine_new(&c, &fx->e), 0);
	if (cfg)
		fx->cfg = *cfg;
	else
		msc_vars_config_init(&fx->cfg);
	assert_int_equal(msc_vars_new(&fx->cfg, &fx->v), 0);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_cfg(state, NULL);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	msc_vars_free(fx->v);
	http_engine_free(fx->e);
	free(fx);
	return 0;
}

/* One request (and optional response) through libhtp; the dump is of the last tx. */
static const char *run(struct fixture *fx, const char *req, const char *res)
{
	struct http_conn *c = http_conn_new(fx->e, on_tx, fx, &fx->st, 1000000);

	assert_non_null(c);
	fx->ntx = 0;
	fx->len = 0;
	fx->dump[0] = '\0';
	http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 1000001);
	if (res)
		http_conn_data(c, 1, (const uint8_t *)res, strlen(res), 1000002);
	http_conn_close(c, 2000000);
	http_conn_free(c);
	assert_int_equal(fx->ntx, 1);
	assert_int_equal(fx->rc[0], 0);
	assert_int_equal(fx->rc[1], 0);
	assert_int_equal(fx->rc[2], 0);
	return fx->dump;
}

/* LINE (a whole "NAME=value" line) is in the dump. */
#define assert_line(d, line)                                                   \
	do {                                                                   \
		const char *_l = (line);                                       \
		const char *_p = (d);                                          \
		bool _found = false;                                           \
		size_t _n = strlen(_l);                                        \
		while ((_p = strstr(_p, _l))) {                                \
			if ((_p == (d) || _p[-1] == '\n') && _p[_n] == '\n') { \
				_found = true;                                 \
				break;                                         \
			}                                                      \
			_p++;                                                  \
		}                                                              \
		if (!_found)                                                   \
			fail_msg("line \"%s\" not in:\n%s", _l, (d));          \
	} while (0)

#define assert_no_line_prefix(d, prefix)                                              \
	do {                                                                          \
		const char *_p = (d);                                                 \
		size_t _n = strlen(prefix);                                           \
		for (; *_p; _p = strchr(_p, '\n') ? strchr(_p, '\n') + 1 : "")        \
			if (!strncmp(_p, (prefix), _n))                               \
				fail_msg("unexpected \"%s\" in:\n%s", (prefix), (d)); \
	} while (0)

static size_t count_prefix(const char *d, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = d; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		if (!strncmp(p, prefix, len))
			n++;
	return n;
}

static void test_request_line_fields(void **state)
{
	struct fixture *fx = *state;
	const char *d = run(fx,
			    "GET /a%20b/c%2fd/x.php?q=1 HTTP/1.1\r\n"
			    "Host: example\r\n\r\n",
			    NULL);

	assert_line(d, "REQUEST_METHOD=GET");
	assert_line(d, "REQUEST_PROTOCOL=HTTP/1.1");
	assert_line(d, "REQUEST_LINE=GET /a%20b/c%2fd/x.php?q=1 HTTP/1.1");
	assert_line(d, "REQUEST_URI_RAW=/a%20b/c%2fd/x.php?q=1");
	/* v3 decodes the path variables */
	assert_line(d, "REQUEST_URI=/a b/c/d/x.php?q=1");
	assert_line(d, "REQUEST_FILENAME=/a b/c/d/x.php");
	assert_line(d, "REQUEST_BASENAME=x.php");
	assert_line(d, "QUERY_STRING=q=1");
	assert_line(d, "REMOTE_ADDR=198.18.0.1");
	assert_line(d, "REMOTE_PORT=40000");
	assert_line(d, "SERVER_ADDR=198.18.0.2");
	assert_line(d, "SERVER_PORT=80");
	assert_line(d, "REQUEST_HEADERS:Host=example");
	assert_no_line_prefix(d, "REQUEST_BODY=");
	assert_no_line_prefix(d, "REQBODY_PROCESSOR=");
}

static void test_absolute_uri_and_no_query(void **state)
{
	struct fixture *fx = *state;
	const char *d =
		run(fx, "GET http://example.com:8080/p/?#frag HTTP/1.1\r\nHost: x\r\n\r\n", NULL);

	assert_line(d, "REQUEST_URI_RAW=http://example.com:8080/p/?#frag");
	assert_line(d, "REQUEST_URI=/p/?#frag");
	assert_line(d, "QUERY_STRING=#frag");
	assert_line(d, "ARGS_GET:#frag=");
	/* after a trailing slash the basename is present and empty (as ModSecurity v2) */
	assert_line(d, "REQUEST_BASENAME=");
	d = run(fx, "GET /dir\\file.asp HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
	assert_line(d, "REQUEST_BASENAME=file.asp");
	assert_no_line_prefix(d, "QUERY_STRING=");
	assert_no_line_prefix(d, "ARGS_GET:");
}

static void test_query_args_escapes(void **state)
{
	struct fixture *fx = *state;
	const char *d = run(fx,
			    "GET /?a=1&a=2&b+c=d+e&pct=%41%4g%&x%2=%zz&noeq&&=v&e= HTTP/1.1\r\n"
			    "Host: x\r\n\r\n",
			    NULL);

	assert_line(d, "ARGS_GET:a=1");
	assert_line(d, "ARGS_GET:a=2");
	assert_int_equal(count_prefix(d, "ARGS_GET:a="), 2);
	assert_line(d, "ARGS_GET:b c=d e");
	/* invalid escapes kept verbatim */
	assert_line(d, "ARGS_GET:pct=A%4g%");
	assert_line(d, "ARGS_GET:x%2=%zz");
	assert_line(d, "ARGS_GET:noeq=");
	/* the empty piece between && is an argument too, as in v3 */
	assert_line(d, "ARGS_GET:=");
	assert_line(d, "ARGS_GET:=v");
	assert_line(d, "ARGS_GET:e=");
	assert_int_equal(count_prefix(d, "ARGS_GET:"), 9);
	/* NUL from %00 is kept as a byte */
	d = run(fx, "GET /?n=a%00b& HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
	assert_line(d, "ARGS_GET:n=a\\x00b");
	assert_int_equal(count_prefix(d, "ARGS_GET:"), 1);
}

static void test_arg_separator(void **state)
{
	struct fixture *fx = *state;
	struct msc_vars_config c;
	const char *d;

	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.arg_separator = ';';
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	d = run(fx, "GET /?a=1;b=2&c=3 HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
	assert_line(d, "ARGS_GET:a=1");
	assert_line(d, "ARGS_GET:b=2&c=3");
}

static void test_headers_duplicates_and_folding(void **state)
{
	struct fixture *fx = *state;
	const char *d = run(fx,
			    "GET / HTTP/1.1\r\n"
			    "Host: x\r\n"
			    "X-A: one\r\n"
			    "X-A:  two  \r\n"
			    "X-Folded: first\r\n"
			    "\tsecond\r\n"
			    "\r\n",
			    NULL);

	assert_line(d, "REQUEST_HEADERS:X-A=one");
	assert_line(d, "REQUEST_HEADERS:X-A=two");
	assert_line(d, "REQUEST_HEADERS:X-Folded=first second");
	assert_int_equal(count_prefix(d, "REQUEST_HEADERS:"), 4);
}

static void test_cookies_v0(void **state)
{
	struct fixture *fx = *state;
	const char *d = run(fx,
			    "GET / HTTP/1.1\r\n"
			    "Host: x\r\n"
			    "Cookie: a=1; b=x=y;;  c ;=skip; d=\"q v\" ;e= \r\n"
			    "Cookie: f=2\r\n"
			    "\r\n",
			    NULL);

	assert_line(d, "REQUEST_COOKIES:a=1");
	assert_line(d, "REQUEST_COOKIES:b=x=y");
	/* no '=': a name with an empty value (right spaces kept, as v3 keeps them) */
	assert_line(d, "REQUEST_COOKIES:c =");
	/* quotes are part of the value in v0; the value's own spaces are kept */
	assert_line(d, "REQUEST_COOKIES:d=\"q v\" ");
	/* the last pair is right-trimmed */
	assert_line(d, "REQUEST_COOKIES:e=");
	assert_line(d, "REQUEST_COOKIES:f=2");
	assert_int_equal(count_prefix(d, "REQUEST_COOKIES:"), 6);
}

static void test_cookies_v1(void **state)
{
	struct fixture *fx = *state;
	struct msc_vars_config c;
	const char *d;

	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.cookie_format = MSC_COOKIE_V1;
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	d = run(fx,
		"GET / HTTP/1.1\r\nHost: x\r\n"
		"Cookie: $Version=\"1\"; a=\"x;\\\"y\" , b = 2 ;c\r\n\r\n",
		NULL);
	assert_line(d, "REQUEST_COOKIES:$Version=1");
	assert_line(d, "REQUEST_COOKIES:a=x;\"y");
	assert_line(d, "REQUEST_COOKIES:b=2");
	assert_line(d, "REQUEST_COOKIES:c=");
	assert_int_equal(count_prefix(d, "REQUEST_COOKIES:"), 4);
}

static void test_caps_counted(void **state)
{
	struct fixture *fx = *state;
	struct msc_vars_config c;
	char req[4096];
	const char *d;
	size_t n;

	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.max_args = 3;
	c.max_entries = 2;
	c.max_value_len = 4;
	c.max_name_len = 2;
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	n = (size_t)snprintf(
		req, sizeof(req),
		"GET /?a=1&b=2&c=3&d=4&e=5 HTTP/1.1\r\nHost: x\r\nX-Long: 123456789\r\n"
		"X-C: 1\r\n\r\n");
	assert_true(n < sizeof(req));
	d = run(fx, req, NULL);
	assert_int_equal(count_prefix(d, "ARGS_GET:"), 3);
	assert_int_equal(count_prefix(d, "REQUEST_HEADERS:"), 2);
	assert_line(d, "REQUEST_HEADERS:X-=1234");
	assert_int_equal(msc_vars_stats(fx->v)->args_refused, 2);
	assert_int_equal(msc_vars_stats(fx->v)->entries_refused, 1);
	assert_true(msc_vars_stats(fx->v)->truncated >= 2);

	/* arena cap: the decoded strings that do not fit are refused and counted */
	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.max_arena = 16;
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	d = run(fx,
		"GET /?a=%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41 HTTP/1.1\r\n"
		"Host: x\r\n\r\n",
		NULL);
	assert_int_equal(count_prefix(d, "ARGS_GET:"), 0);
	assert_true(msc_vars_stats(fx->v)->arena_refused >= 1);
}

static void test_arena_reused(void **state)
{
	struct fixture *fx = *state;
	const char *d;

	for (int i = 0; i < 50; i++) {
		d = run(fx, "GET /%41?a=%42 HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
		assert_line(d, "ARGS_GET:a=B");
		assert_line(d, "REQUEST_FILENAME=/A");
	}
	assert_int_equal(msc_vars_stats(fx->v)->txs, 50);
	assert_int_equal(msc_vars_stats(fx->v)->arena_refused, 0);
}

/* A POST with BODY and Content-Type CT (Content-Length computed). */
static const char *post(struct fixture *fx, const char *ct, const char *body)
{
	static char req[32 * 1024];
	int n = snprintf(req, sizeof(req),
			 "POST /submit HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 ct, strlen(body), body);

	assert_true(n > 0 && (size_t)n < sizeof(req));
	return run(fx, req, NULL);
}

static void test_urlencoded_body(void **state)
{
	struct fixture *fx = *state;
	const char *d = post(fx, "application/x-www-form-urlencoded; charset=UTF-8",
			     "user=a+b&pw=%27%20or%201%3D1--&pw=2");

	assert_line(d, "REQBODY_PROCESSOR=URLENCODED");
	assert_line(d, "REQUEST_BODY=user=a+b&pw=%27%20or%201%3D1--&pw=2");
	assert_line(d, "ARGS_POST:user=a b");
	assert_line(d, "ARGS_POST:pw=' or 1=1--");
	assert_line(d, "ARGS_POST:pw=2");
	assert_line(d, "REQBODY_ERROR=0");
	/* a forced processor wins over the Content-Type */
	fx->proc = MSC_BODY_NONE;
	d = post(fx, "application/x-www-form-urlencoded", "a=1");
	assert_no_line_prefix(d, "ARGS_POST:");
	assert_no_line_prefix(d, "REQBODY_PROCESSOR=");
	assert_line(d, "REQUEST_BODY=a=1");
	fx->proc = MSC_BODY_URLENCODED;
	d = post(fx, "text/plain", "b=2");
	assert_line(d, "ARGS_POST:b=2");
	assert_line(d, "REQBODY_PROCESSOR=URLENCODED");
}

#define MP_CT "multipart/form-data; boundary=XyZ"

static void test_multipart_clean(void **state)
{
	struct fixture *fx = *state;
	const char *d = post(fx, MP_CT,
			     "--XyZ\r\n"
			     "Content-Disposition: form-data; name=\"field\"\r\n"
			     "\r\n"
			     "hello world\r\n"
			     "--XyZ\r\n"
			     "Content-Disposition: form-data; name=\"up\"; filename=\"a.php\"\r\n"
			     "Content-Type: application/x-php\r\n"
			     "\r\n"
			     "<?php echo 1; ?>\r\n"
			     "--XyZ--\r\n");

	assert_line(d, "REQBODY_PROCESSOR=MULTIPART");
	assert_line(d, "ARGS_POST:field=hello world");
	assert_line(d, "FILES:up=a.php");
	assert_line(d, "FILES_SIZES:up=16");
	assert_line(d,
		    "MULTIPART_PART_HEADERS:field=Content-Disposition: form-data; name=\"field\"");
	assert_line(d, "MULTIPART_PART_HEADERS:up=Content-Type: application/x-php");
	assert_int_equal(count_prefix(d, "ARGS_POST:"), 1);
	assert_line(d, "MULTIPART=0");
	assert_line(d, "REQBODY_ERROR=0");
}

/* One multipart body per flag: the flag (and STRICT_ERROR) is set. */
static void test_multipart_flags(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *ct, *body;
		uint32_t flag;
	} cases[] = {
		{ "multipart/form-data; boundary=\"XyZ\"",
		  "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n",
		  MSC_MP_BOUNDARY_QUOTED },
		{ "multipart/form-data; boundary = XyZ",
		  "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n",
		  MSC_MP_BOUNDARY_WHITESPACE },
		{ MP_CT,
		  "junk\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
		  "--XyZ--\r\n",
		  MSC_MP_DATA_BEFORE },
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n"
		  "trailing junk\r\n",
		  MSC_MP_DATA_AFTER },
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\n1\r\n"
		  "--XyZ--\r\n",
		  MSC_MP_HEADER_FOLDING },
		{ MP_CT, "--XyZ\nContent-Disposition: form-data; name=\"a\"\n\n1\n--XyZ--\n",
		  MSC_MP_LF_LINE },
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\n\r\n1\r\n--XyZ--\r\n",
		  MSC_MP_CRLF_LF_LINES },
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n",
		  MSC_MP_MISSING_SEMICOLON },
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data; name=a'b\r\n\r\n1\r\n--XyZ--\r\n",
		  MSC_MP_INVALID_QUOTING },
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"a\\x\"\r\n\r\n1\r\n--XyZ--\r\n",
		  MSC_MP_INVALID_QUOTING },
		{ MP_CT, "--XyZ\r\nX-Other: 1\r\n\r\n1\r\n--XyZ--\r\n", MSC_MP_INVALID_PART },
		/* libmodsecurity's last event wins: a later matching boundary clears it */
		{ MP_CT,
		  "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyQ\r\n",
		  MSC_MP_UNMATCHED_BOUNDARY },
		{ MP_CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx--XyZ\r\n",
		  MSC_MP_UNMATCHED_BOUNDARY },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post(fx, cases[i].ct, cases[i].body);
		if ((fx->last.multipart & cases[i].flag) != cases[i].flag ||
		    !(fx->last.multipart & MSC_MP_STRICT_ERROR))
			fail_msg("case %zu: flags %#x lack %#x\n%s", i, fx->last.multipart,
				 cases[i].flag, fx->dump);
	}
}

static void test_multipart_file_limit_and_errors(void **state)
{
	struct fixture *fx = *state;
	struct msc_vars_config c;
	const char *d;

	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.multipart_max_files = 1;
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	d = post(fx, MP_CT,
		 "--XyZ\r\nContent-Disposition: form-data; name=\"f1\"; filename=\"1.txt\"\r\n\r\n"
		 "x\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f2\"; filename=\"2.txt\"\r\n"
		 "\r\nyy\r\n--XyZ--\r\n");
	assert_line(d, "FILES:f1=1.txt");
	assert_no_line_prefix(d, "FILES:f2");
	assert_true(fx->last.multipart & MSC_MP_FILE_LIMIT_EXCEEDED);

	/* no final boundary: REQBODY_ERROR with a message */
	d = post(fx, MP_CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n");
	assert_line(d, "REQBODY_ERROR=1");
	assert_line(d, "REQBODY_ERROR_MSG=Multipart parsing error: final boundary missing");
	/* no boundary at all */
	d = post(fx, "multipart/form-data", "--XyZ--\r\n");
	assert_line(d, "REQBODY_ERROR=1");
	/* a boundary line with bytes after it, a quoted or space-led boundary line */
	d = post(fx, MP_CT, "--XyZ junk\r\n--XyZ--\r\n");
	assert_line(d, "REQBODY_ERROR_MSG=Multipart parsing error: invalid boundary");
	d = post(fx, "multipart/form-data; boundary=\"XyZ\"", "--\"XyZ\"\r\n--XyZ--\r\n");
	assert_line(d, "REQBODY_ERROR_MSG=Multipart parsing error: invalid boundary (quotes)");
	d = post(fx, MP_CT, "-- XyZ\r\n--XyZ--\r\n");
	assert_line(d, "REQBODY_ERROR_MSG=Multipart parsing error: invalid boundary (whitespace)");
	/* an empty body is no error */
	d = post(fx, MP_CT, "");
	assert_line(d, "REQBODY_ERROR=0");
	assert_int_equal(msc_vars_stats(fx->v)->body_errors, 5);
}

static void test_json_names(void **state)
{
	struct fixture *fx = *state;
	/* names as libmodsecurity 3.0.9 gives them for the same body */
	const char *d = post(fx, "application/json",
			     "{\"a\":{\"b\":1,\"c\":[true,null,\"x\"]},\"d\":[{\"e\":1.5},[2]],"
			     "\"f\":\"<script>\",\"\":{\"h\":1},\"i\":[{\"\":2}]}");

	assert_line(d, "REQBODY_PROCESSOR=JSON");
	assert_line(d, "ARGS_POST:json.a.b=1");
	assert_line(d, "ARGS_POST:json.a.c.array_0=true");
	assert_line(d, "ARGS_POST:json.a.c.array_1=");
	assert_line(d, "ARGS_POST:json.a.c.array_2=x");
	assert_line(d, "ARGS_POST:json.d.array_0.e=1.5");
	assert_line(d, "ARGS_POST:json.d.array_1.array_0=2");
	assert_line(d, "ARGS_POST:json.f=<script>");
	assert_line(d, "ARGS_POST:json.empty-key.h=1");
	assert_line(d, "ARGS_POST:json.i.array_0.empty-key=2");
	assert_int_equal(count_prefix(d, "ARGS_POST:"), 9);
	assert_line(d, "REQBODY_ERROR=0");
	/* +json, a top-level array, a top-level scalar */
	d = post(fx, "application/vnd.api+json", "[\"p\",{\"q\":\"r\"}]");
	assert_line(d, "REQBODY_PROCESSOR=JSON");
	assert_line(d, "ARGS_POST:json.array_0=p");
	assert_line(d, "ARGS_POST:json.array_1.q=r");
	d = post(fx, "application/json", "\"top\"");
	assert_line(d, "ARGS_POST:json=top");
	/* a huge integer does not make the body invalid */
	d = post(fx, "application/json", "{\"n\":123456789012345678901234567890}");
	assert_line(d, "REQBODY_ERROR=0");
	assert_int_equal(count_prefix(d, "ARGS_POST:json.n="), 1);
}

static void test_json_invalid_and_depth(void **state)
{
	struct fixture *fx = *state;
	struct msc_vars_config c;
	const char *d = post(fx, "application/json", "{\"a\":");

	assert_line(d, "REQBODY_ERROR=1");
	assert_non_null(strstr(d, "REQBODY_ERROR_MSG=JSON parsing error: "));
	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.json_depth = 3;
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	d = post(fx, "application/json", "{\"a\":{\"b\":{\"c\":1}}}");
	assert_line(d, "REQBODY_ERROR=0");
	d = post(fx, "application/json", "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}");
	assert_line(d, "REQBODY_ERROR=1");
	assert_line(d, "REQBODY_ERROR_MSG=JSON parsing error: nesting deeper than 3");
}

static void test_xml(void **state)
{
	struct fixture *fx = *state;
	struct msc_vars_config c;
	const char *d = post(fx, "text/xml; charset=utf-8",
			     "<?xml version=\"1.0\"?>\n<r>\n <a x=\"attr\">one</a>\n"
			     " <b><![CDATA[<two>]]></b>\n</r>");

	assert_line(d, "REQBODY_PROCESSOR=XML");
	assert_line(d, "XML:a=one");
	assert_line(d, "XML:b=<two>");
	assert_int_equal(count_prefix(d, "XML:"), 2);
	assert_line(d, "XML_ATTR:x=attr");
	assert_int_equal(count_prefix(d, "XML_ATTR:"), 1);
	assert_line(d, "REQBODY_ERROR=0");
	/* every attribute of every element, document order, entity references joined,
	 * namespace declarations left out (XPath's //@*) */
	d = post(fx, "application/xml",
		 "<r xmlns:n=\"urn:x\" a=\"1\" n:b=\"2\"><e c=\"x&amp;y\" d=\"\"/>"
		 "<e c=\"4\"/></r>");
	assert_int_equal(count_prefix(d, "XML_ATTR:"), 5);
	assert_non_null(strstr(d, "XML_ATTR:a=1\nXML_ATTR:b=2\nXML_ATTR:c=x&y\nXML_ATTR:d=\n"
				  "XML_ATTR:c=4\n"));
	assert_no_line_prefix(d, "XML_ATTR:n");
	assert_no_line_prefix(d, "XML_ATTR:xmlns");
	/* entities are not expanded, external ones not fetched */
	d = post(fx, "application/xml",
		 "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\"><!ENTITY i \"INT\">]>"
		 "<r>&e;&i;</r>");
	assert_null(strstr(d, "root:"));
	assert_no_line_prefix(d, "XML:r=INT");
	d = post(fx, "application/soap+xml", "<r><unclosed></r>");
	assert_line(d, "REQBODY_ERROR=1");
	assert_non_null(strstr(d, "REQBODY_ERROR_MSG=XML parsing error: "));
	msc_vars_free(fx->v);
	msc_vars_config_init(&c);
	c.xml_depth = 2;
	c.xml_max_bytes = 64;
	assert_int_equal(msc_vars_new(&c, &fx->v), 0);
	d = post(fx, "text/xml", "<a><b>x</b></a>");
	assert_line(d, "XML:b=x");
	d = post(fx, "text/xml", "<a><b><c>x</c></b></a>");
	assert_line(d, "REQBODY_ERROR=1");
	d = post(fx, "text/xml",
		 "<a>0123456789012345678901234567890123456789012345678901234567890123456789</a>");
	assert_line(d, "REQBODY_ERROR=1");
	assert_no_line_prefix(d, "XML:");
}

static void test_response(void **state)
{
	struct fixture *fx = *state;
	const char *d = run(fx, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			    "HTTP/1.1 404 Not Found\r\nServer: t\r\nSet-Cookie: a=1\r\n"
			    "Set-Cookie: b=2\r\nContent-Length: 4\r\n\r\nnope");

	assert_true(fx->last.have_response);
	assert_line(d, "RESPONSE_STATUS=404");
	assert_line(d, "RESPONSE_PROTOCOL=HTTP/1.1");
	assert_line(d, "STATUS_LINE=HTTP/1.1 404 Not Found");
	assert_line(d, "RESPONSE_HEADERS:Set-Cookie=a=1");
	assert_line(d, "RESPONSE_HEADERS:Set-Cookie=b=2");
	assert_line(d, "RESPONSE_BODY=nope");
	/* response headers are not request cookies */
	assert_no_line_prefix(d, "REQUEST_COOKIES:");
}

/* addresses and ports written by hand (not inet_ntop): zeros, one, two and three digits */
static void test_ipv4_address_text(void **state)
{
	struct fixture *fx = *state;
	const char *d;

	fx->edge_tuple = true;
	d = run(fx, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
	assert_line(d, "REMOTE_ADDR=198.19.0.255");
	assert_line(d, "SERVER_ADDR=198.18.100.9");
	assert_line(d, "REMOTE_PORT=65535");
	assert_line(d, "SERVER_PORT=0");
}

static void test_ipv6_addresses(void **state)
{
	struct fixture *fx = *state;
	const char *d;

	fx->ipv6 = true;
	d = run(fx, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
	/* ModSecurity's text form (inet_ntop), not EVE's uncompressed one */
	assert_line(d, "REMOTE_ADDR=fd00:6d6f:6174::1");
	assert_line(d, "SERVER_ADDR=fd00:6d6f:6174::2");
}

/* Without kept bodies the HTTP layer keeps no raw header block: libhtp's table is used
 * (repeated headers merged by libhtp), and there is no body to parse. */
static void test_headers_from_libhtp_table(void **state)
{
	struct fixture *fx = *state;
	struct http_config c;
	const char *d;

	http_engine_free(fx->e);
	http_config_defaults(&c);
	assert_int_equal(http_engine_new(&c, &fx->e), 0);
	d = run(fx,
		"POST /?q=1 HTTP/1.1\r\nHost: x\r\nX-A: one\r\nX-A: two\r\nCookie: a=1\r\n"
		"Content-Type: "
		"application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nb=2",
		NULL);
	assert_line(d, "REQUEST_HEADERS:Host=x");
	assert_line(d, "REQUEST_HEADERS:X-A=one, two");
	assert_line(d, "REQUEST_COOKIES:a=1");
	assert_line(d, "ARGS_GET:q=1");
	assert_line(d, "REQBODY_PROCESSOR=URLENCODED");
	assert_no_line_prefix(d, "ARGS_POST:");
	assert_no_line_prefix(d, "REQUEST_BODY=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_line_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_uri_and_no_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_args_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arg_separator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers_duplicates_and_folding, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cookies_v0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookies_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urlencoded_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_file_limit_and_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_json_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_invalid_and_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_address_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers_from_libhtp_table, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
