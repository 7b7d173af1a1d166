// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for dpi/http.c: libhtp glue fed with byte streams directly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <htp/htp.h>

#include "dpi/http.h"
#include "dpi/eve.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

#define MAX_TX 16

struct seen_tx {
	char method[32], uri[256], norm[256], host[128], ua[128], protocol[32], ctype[64];
	int status;
	uint64_t tx_id, length;
	char req_body[256], res_body[256];
	size_t req_body_len, res_body_len;
	bool req_trunc, res_trunc, complete;
	int files_rc; /* http_tx_request_files() */
	char file_name[4][32];
	uint64_t file_size[4];
	bool file_complete[4];
};

struct fixture {
	struct http_engine *e;
	struct http_stats st;
	struct seen_tx tx[MAX_TX];
	unsigned int ntx;
};

static void copy_view(char *dst, size_t size, struct http_view v)
{
	size_t n = v.len < size - 1 ? v.len : size - 1;

	if (v.ptr)
		memcpy(dst, v.ptr, n);
	dst[v.ptr ? n : 0] = '\0';
}

static void on_file(void *user, const struct http_file *f)
{
	struct seen_tx *s = user;
	int i = s->files_rc++;

	assert_true(i < 4);
	copy_view(s->file_name[i], sizeof(s->file_name[i]),
		  (struct http_view){ f->name, f->name_len });
	s->file_size[i] = f->size;
	s->file_complete[i] = f->complete;
}

static void on_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct fixture *fx = user;
	struct seen_tx *s;
	int r;

	assert_true(fx->ntx < MAX_TX);
	s = &fx->tx[fx->ntx++];
	memset(s, 0, sizeof(*s));
	copy_view(s->method, sizeof(s->method), tx->method);
	copy_view(s->uri, sizeof(s->uri), tx->uri_raw);
	copy_view(s->norm, sizeof(s->norm), tx->uri_norm);
	copy_view(s->host, sizeof(s->host), tx->host);
	copy_view(s->ua, sizeof(s->ua), tx->user_agent);
	copy_view(s->protocol, sizeof(s->protocol), tx->protocol);
	copy_view(s->ctype, sizeof(s->ctype), tx->response_content_type);
	copy_view(s->req_body, sizeof(s->req_body), tx->request_body);
	copy_view(s->res_body, sizeof(s->res_body), tx->response_body);
	s->req_body_len = tx->request_body.len;
	s->res_body_len = tx->response_body.len;
	s->req_trunc = tx->request_body_truncated;
	s->res_trunc = tx->response_body_truncated;
	s->status = tx->status;
	s->tx_id = tx->tx_id;
	s->length = tx->response_message_len;
	s->complete = tx->request_complete && tx->response_complete;
	r = http_tx_request_files(tx, on_file, s);
	assert_int_equal(r < 0 ? 0 : r, s->files_rc);
	s->files_rc = r;
}

static int setup_limits(void **state, uint64_t req_limit)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct http_config c;

	http_config_defaults(&c);
	c.request_body_limit = req_limit;
	c.keep_request_body = c.keep_response_body = true;
	assert_int_equal(http_engine_new(&c, &fx->e), 0);
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_limits(state, 100 * 1024);
}

static int setup_small(void **state)
{
	return setup_limits(state, 8);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	http_engine_free(fx->e);
	free(fx);
	return 0;
}

/* Feed `req` and `res` alternately in chunks of `step` bytes (0 = all at once). */
static void run(struct fixture *fx, const char *req, size_t req_len, const char *res,
		size_t res_len, size_t step)
{
	struct http_conn *c = http_conn_new(fx->e, on_tx, fx, &fx->st, 1000000);
	size_t a = 0, b = 0;

	assert_non_null(c);
	if (!step) {
		assert_int_equal(http_conn_data(c, 0, (const uint8_t *)req, req_len, 1000001), 0);
		if (res_len)
			assert_int_equal(
				http_conn_data(c, 1, (const uint8_t *)res, res_len, 1000002), 0);
	} else {
		/* all request bytes first, byte by byte, then the response */
		while (a < req_len) {
			size_t n = MIN(step, req_len - a);

			http_conn_data(c, 0, (const uint8_t *)req + a, n, 1000001);
			a += n;
		}
		while (b < res_len) {
			size_t n = MIN(step, res_len - b);

			http_conn_data(c, 1, (const uint8_t *)res + b, n, 1000002);
			b += n;
		}
	}
	http_conn_close(c, 2000000);
	http_conn_free(c);
}

static const char simple_req[] = "GET /index.html?a=1 HTTP/1.1\r\n"
				 "Host: Example.COM:8080\r\n"
				 "User-Agent: moat-test/1.0\r\n"
				 "\r\n";
static const char simple_res[] = "HTTP/1.1 200 OK\r\n"
				 "Content-Type: text/html; charset=utf-8\r\n"
				 "Content-Length: 5\r\n"
				 "\r\n"
				 "hello";

static void test_http_simple_transaction_fields(void **state)
{
	struct fixture *fx = *state;

	run(fx, simple_req, strlen(simple_req), simple_res, strlen(simple_res), 0);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].method, "GET");
	assert_string_equal(fx->tx[0].uri, "/index.html?a=1");
	assert_string_equal(fx->tx[0].norm, "/index.html?a=1");
	assert_string_equal(fx->tx[0].host, "Example.COM");
	assert_string_equal(fx->tx[0].ua, "moat-test/1.0");
	assert_string_equal(fx->tx[0].protocol, "HTTP/1.1");
	assert_string_equal(fx->tx[0].ctype, "text/html; charset=utf-8");
	assert_int_equal(fx->tx[0].status, 200);
	assert_int_equal(fx->tx[0].length, 5);
	assert_string_equal(fx->tx[0].res_body, "hello");
	assert_true(fx->tx[0].complete);
	assert_int_equal(fx->st.txs, 1);
	assert_int_equal(fx->st.conns, 1);
}

static void test_http_one_byte_segments_same_result(void **state)
{
	struct fixture *fx = *state;

	run(fx, simple_req, strlen(simple_req), simple_res, strlen(simple_res), 1);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].uri, "/index.html?a=1");
	assert_string_equal(fx->tx[0].host, "Example.COM");
	assert_int_equal(fx->tx[0].status, 200);
	assert_string_equal(fx->tx[0].res_body, "hello");
}

static void test_http_pipelined_requests_in_order(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
				  "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
				  "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char res[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
				  "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBB"
				  "HTTP/1.1 301 Moved\r\nContent-Length: 10\r\n\r\n";

	run(fx, req, strlen(req), res, strlen(res), 0);
	assert_int_equal(fx->ntx, 3);
	assert_string_equal(fx->tx[0].uri, "/a");
	assert_int_equal(fx->tx[0].status, 200);
	assert_int_equal(fx->tx[0].tx_id, 0);
	assert_string_equal(fx->tx[1].uri, "/b");
	assert_int_equal(fx->tx[1].status, 404);
	assert_string_equal(fx->tx[1].res_body, "BB");
	assert_int_equal(fx->tx[1].tx_id, 1);
	assert_string_equal(fx->tx[2].method, "HEAD");
	assert_int_equal(fx->tx[2].status, 301);
	assert_int_equal(fx->tx[2].tx_id, 2);
}

/* max_tx: unanswered requests beyond the cap stop the connection (counted once); answered
 * ones are destroyed and never count, however many there are */
static void test_http_max_tx_refuses_unanswered(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char res[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA";
	struct http_engine *e;
	struct http_config cfg;
	struct http_conn *c;

	http_config_defaults(&cfg);
	cfg.max_tx = 3;
	assert_int_equal(http_engine_new(&cfg, &e), 0);
	c = http_conn_new(e, on_tx, fx, &fx->st, 0);
	assert_non_null(c);
	for (int i = 0; i < 4; i++) /* the 4th finds 3 live: not over the cap */
		assert_int_equal(http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 1), 0);
	assert_int_equal(fx->st.tx_refused, 0);
	assert_int_equal(http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 2), -EPROTO);
	assert_int_equal(fx->st.tx_refused, 1);
	assert_int_equal(http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 3), -EPROTO);
	assert_int_equal(fx->st.tx_refused, 1);
	http_conn_free(c);

	/* twelve answered transactions: each destroyed once reported */
	c = http_conn_new(e, on_tx, fx, &fx->st, 0);
	assert_non_null(c);
	fx->ntx = 0;
	for (int i = 0; i < 12; i++) {
		assert_int_equal(http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 4), 0);
		assert_int_equal(http_conn_data(c, 1, (const uint8_t *)res, strlen(res), 5), 0);
	}
	assert_int_equal(fx->ntx, 12);
	assert_int_equal(fx->st.tx_refused, 1);
	assert_int_equal(http_conn_tx_count(c), 12);
	http_conn_free(c);
	http_engine_free(e);
}

static void expect_view_is(struct http_view v, htp_table_t *t, const char *name)
{
	htp_header_t *h = htp_table_get_c(t, name);

	if (!h || !h->value) {
		assert_null(v.ptr);
		return;
	}
	assert_ptr_equal(v.ptr, bstr_ptr(h->value));
	assert_int_equal(v.len, bstr_len(h->value));
}

static void headers_cb(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	unsigned int *n = user;
	htp_table_t *rq = tx->htp->request_headers, *rs = tx->htp->response_headers;
	htp_header_t *cd;

	expect_view_is(tx->user_agent, rq, "user-agent");
	expect_view_is(tx->cookie, rq, "cookie");
	expect_view_is(tx->referer, rq, "referer");
	expect_view_is(tx->request_content_type, rq, "content-type");
	expect_view_is(tx->response_content_type, rs, "content-type");
	expect_view_is(tx->location, rs, "location");
	expect_view_is(tx->set_cookie, rs, "set-cookie");
	cd = htp_table_get_c(rq, "content-disposition");
	assert_ptr_equal(tx->request_content_disposition, cd);
	cd = htp_table_get_c(rs, "content-disposition");
	assert_ptr_equal(tx->response_content_disposition, cd);
	(*n)++;
}

/* The header views (found in one walk over each table) are what libhtp's own lookup
 * returns: case, duplicates, NUL bytes inside names (libhtp's comparison skips them: the
 * response's "Location\0" comes first and wins over "Location"), near misses. */
static void test_http_header_views_match_libhtp_lookup(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "POST /u HTTP/1.1\r\nHost: h\r\n"
				  "Content-Typ: no\r\ncontent-typeX: no\r\n"
				  "USER-AGENT: first\r\nuser-agent: second\r\n"
				  "Coo\0kie: nul-inside\r\nCookie: plain\r\n"
				  "Referer\0\0: nul-after\r\n"
				  "Content-Disposition: form-data; filename=\"a.txt\"\r\n"
				  "Content-Length: 2\r\n\r\nab"
				  "GET /v HTTP/1.1\r\nHost: h\r\nx: y\r\n\r\n";
	static const char res[] = "HTTP/1.1 200 OK\r\nSet-Cookie: 1\r\nSET-COOKIE: 2\r\n"
				  "Location\0: /nul\r\nLocation: /plain\r\n"
				  "Content-Type: text/plain\r\n"
				  "content-disposition: attachment\r\n"
				  "Content-Length: 1\r\n\r\nA"
				  "HTTP/1.1 204 No Content\r\n\r\n";
	struct http_conn *c;
	unsigned int n = 0;

	c = http_conn_new(fx->e, headers_cb, &n, &fx->st, 0);
	assert_non_null(c);
	assert_int_equal(http_conn_data(c, 0, (const uint8_t *)req, sizeof(req) - 1, 1), 0);
	assert_int_equal(http_conn_data(c, 1, (const uint8_t *)res, sizeof(res) - 1, 2), 0);
	http_conn_close(c, 3);
	http_conn_free(c);
	assert_int_equal(n, 2);
}

static void test_http_chunked_body_dechunked(void **state)
{
	struct fixture *fx = *state;
	static const char req[] =
		"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n";
	static const char res[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

	run(fx, req, strlen(req), res, strlen(res), 1);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].req_body, "abcdefg");
	assert_string_equal(fx->tx[0].res_body, "hello world");
	assert_true(fx->tx[0].complete);
}

static void test_http_gzip_response_decompressed(void **state)
{
	struct fixture *fx = *state;
	static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xcb\x48\xcd\xc9\xc9"
				 "\x57\x48\xaf\xca\x2c\x50\x28\xcf\x2f\xca\x49\x01\x00\x6b\x7d"
				 "\xe8\xb7\x10\x00\x00\x00";
	char res[256];
	int n = snprintf(res, sizeof(res),
			 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
			 sizeof(gz) - 1);

	memcpy(res + n, gz, sizeof(gz) - 1);
	run(fx, simple_req, strlen(simple_req), res, (size_t)n + sizeof(gz) - 1, 0);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].res_body, "hello gzip world");
	assert_int_equal(fx->tx[0].length, sizeof(gz) - 1);
}

static void test_http_request_body_limit_truncates(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n"
				  "0123456789abcdefghij";

	run(fx, req, strlen(req), "", 0, 3);
	assert_int_equal(fx->ntx, 1);
	assert_int_equal(fx->tx[0].req_body_len, 8);
	assert_string_equal(fx->tx[0].req_body, "01234567");
	assert_true(fx->tx[0].req_trunc);
	assert_int_equal(fx->st.body_truncated, 12);
}

static void test_http_request_without_response_reported_at_close(void **state)
{
	struct fixture *fx = *state;

	run(fx, simple_req, strlen(simple_req), "", 0, 0);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].uri, "/index.html?a=1");
	assert_int_equal(fx->tx[0].status, 0);
	assert_false(fx->tx[0].complete);
}

static void test_http_uri_normalized_by_libhtp(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /a/./b/../c%2Fd?q=%41 HTTP/1.0\r\n\r\n";

	run(fx, req, strlen(req), "HTTP/1.0 200 OK\r\n\r\n", 19, 0);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].uri, "/a/./b/../c%2Fd?q=%41");
	/* dot segments removed, %2F decoded by the IDS personality; query left as sent */
	assert_string_equal(fx->tx[0].norm, "/a/c/d?q=%41");
}

/* Suricata turns off the IDS personality's lowercasing: http.uri keeps the path's case. */
static void test_http_uri_case_kept(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /AllWork/./Dull%2FBoy?Q=A HTTP/1.0\r\n\r\n";

	run(fx, req, strlen(req), "HTTP/1.0 200 OK\r\n\r\n", 19, 0);
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].norm, "/AllWork/Dull/Boy?Q=A");
}

#define MP_HEAD(len)                                                                          \
	"POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n" \
	"Content-Length: " len "\r\n\r\n"
#define MP_FILE(name, data)                                                              \
	"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" name "\"\r\n" \
	"Content-Type: application/octet-stream\r\n\r\n" data "\r\n"
#define MP_TEXT(data) "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n" data "\r\n"

/* The files of a multipart POST as Suricata logs them: each part with a filename, its size,
 * in body order; text parts are no files; a missing last boundary leaves the last one
 * incomplete; any other request is not multipart (-ENOMSG). */
static void test_http_request_files(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = MP_TEXT("hello") MP_FILE("a.txt", "0123456789")
		MP_FILE("b.bin", "xyz") "--XyZ--\r\n";
	static const char cut[] = MP_FILE("c.txt", "abcdef");
	static const char text[] = MP_TEXT("only text") "--XyZ--\r\n";
	char req[1024];

	snprintf(req, sizeof(req), MP_HEAD("%zu") "%s", strlen(body), body);
	run(fx, req, strlen(req), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38, 7);
	assert_int_equal(fx->ntx, 1);
	assert_int_equal(fx->tx[0].files_rc, 2);
	assert_string_equal(fx->tx[0].file_name[0], "a.txt");
	assert_int_equal(fx->tx[0].file_size[0], 10);
	assert_string_equal(fx->tx[0].file_name[1], "b.bin");
	assert_int_equal(fx->tx[0].file_size[1], 3);
	assert_true(fx->tx[0].file_complete[0] && fx->tx[0].file_complete[1]);

	fx->ntx = 0;
	snprintf(req, sizeof(req), MP_HEAD("%zu") "%s", strlen(cut), cut);
	run(fx, req, strlen(req), "", 0, 0);
	assert_int_equal(fx->tx[0].files_rc, 1);
	assert_string_equal(fx->tx[0].file_name[0], "c.txt");
	assert_false(fx->tx[0].file_complete[0]);

	fx->ntx = 0;
	snprintf(req, sizeof(req), MP_HEAD("%zu") "%s", strlen(text), text);
	run(fx, req, strlen(req), "", 0, 0);
	assert_int_equal(fx->tx[0].files_rc, 0);

	fx->ntx = 0;
	snprintf(req, sizeof(req),
		 "POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: "
		 "application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b");
	run(fx, req, strlen(req), "", 0, 0);
	assert_int_equal(fx->tx[0].files_rc, -ENOMSG);
	fx->ntx = 0;
	run(fx, simple_req, strlen(simple_req), "", 0, 0);
	assert_int_equal(fx->tx[0].files_rc, -ENOMSG);
}

static void test_http_gap_stops_direction(void **state)
{
	struct fixture *fx = *state;
	struct http_conn *c = http_conn_new(fx->e, on_tx, fx, &fx->st, 0);

	http_conn_data(c, 0, (const uint8_t *)"GET /x HTTP/1.1\r\nHo", 19, 1);
	http_conn_gap(c, 0, 100);
	http_conn_data(c, 0, (const uint8_t *)"GET /y HTTP/1.1\r\n\r\n", 19, 2);
	assert_int_equal(http_conn_tx_count(c), 1);
	http_conn_free(c);
	assert_int_equal(fx->st.gaps, 1);
	/* /x was started (reported at close), /y never parsed */
	assert_int_equal(fx->ntx, 1);
	assert_string_equal(fx->tx[0].uri, "/x");
}

static void test_http_garbage_never_crashes(void **state)
{
	struct fixture *fx = *state;
	uint8_t junk[4096];
	struct http_conn *c = http_conn_new(fx->e, on_tx, fx, &fx->st, 0);

	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	http_conn_data(c, 0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, 1);
	http_conn_data(c, 0, junk, sizeof(junk), 2);
	http_conn_data(c, 1, junk, sizeof(junk), 3);
	http_conn_free(c);
}

static void test_http_bodies_not_kept_by_default(void **state)
{
	struct fixture *fx = *state;
	struct http_config c;
	struct http_engine *e;
	struct http_conn *conn;

	http_config_defaults(&c);
	assert_false(c.keep_request_body || c.keep_response_body);
	assert_int_equal(http_engine_new(&c, &e), 0);
	conn = http_conn_new(e, on_tx, fx, &fx->st, 0);
	http_conn_data(conn, 0, (const uint8_t *)simple_req, strlen(simple_req), 1);
	http_conn_data(conn, 1, (const uint8_t *)simple_res, strlen(simple_res), 2);
	http_conn_free(conn);
	http_engine_free(e);
	assert_int_equal(fx->ntx, 1);
	assert_int_equal(fx->tx[0].status, 200);
	assert_int_equal(fx->tx[0].length, 5);
	assert_int_equal(fx->tx[0].res_body_len, 0);
}

static void test_http_probe(void **state)
{
	(void)state;
	assert_int_equal(http_probe(0, (const uint8_t *)"GET / HTTP/1.1", 14), HTTP_PROBE_YES);
	assert_int_equal(http_probe(0, (const uint8_t *)"\r\nPOST /", 8), HTTP_PROBE_YES);
	assert_int_equal(http_probe(0, (const uint8_t *)"PROPFIND /", 10), HTTP_PROBE_YES);
	assert_int_equal(http_probe(0, (const uint8_t *)"GE", 2), HTTP_PROBE_MORE);
	assert_int_equal(http_probe(0, (const uint8_t *)"GET", 3), HTTP_PROBE_MORE);
	assert_int_equal(http_probe(0, (const uint8_t *)"getx /", 6), HTTP_PROBE_NO);
	/* unlisted methods: an upper-case token, one space, then '/' or '*' */
	assert_int_equal(http_probe(0, (const uint8_t *)"GETX /", 6), HTTP_PROBE_YES);
	assert_int_equal(http_probe(0, (const uint8_t *)"REALLYLONGUNREALMETHOD /x", 25),
			 HTTP_PROBE_YES);
	assert_int_equal(http_probe(0, (const uint8_t *)"FOO *", 5), HTTP_PROBE_YES);
	assert_int_equal(http_probe(0, (const uint8_t *)"FOO", 3), HTTP_PROBE_MORE);
	assert_int_equal(http_probe(0, (const uint8_t *)"FOO ", 4), HTTP_PROBE_MORE);
	assert_int_equal(http_probe(0, (const uint8_t *)"EHLO mail.example", 17), HTTP_PROBE_NO);
	assert_int_equal(http_probe(0, (const uint8_t *)"INVITE sip:a@b", 14), HTTP_PROBE_NO);
	assert_int_equal(http_probe(0, (const uint8_t *)"FOO  /", 6), HTTP_PROBE_NO);
	assert_int_equal(http_probe(0, (const uint8_t *)"\x16\x03\x01\x02\x00", 5), HTTP_PROBE_NO);
	assert_int_equal(http_probe(0, (const uint8_t *)"SSH-2.0-OpenSSH", 15), HTTP_PROBE_NO);
	assert_int_equal(http_probe(1, (const uint8_t *)"HTTP/1.1 200", 12), HTTP_PROBE_YES);
	assert_int_equal(http_probe(1, (const uint8_t *)"HTT", 3), HTTP_PROBE_MORE);
	assert_int_equal(http_probe(1, (const uint8_t *)"220 ftp", 7), HTTP_PROBE_NO);
}

static void eve_cb(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	json_t **out = user;

	*out = http_tx_eve(tx);
}

static void test_http_eve_object_suricata_names(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /p HTTP/1.1\r\nHost: www.Example.org:81\r\n"
				  "User-Agent: UA\r\nReferer: http://r/\r\n\r\n";
	static const char res[] =
		"HTTP/1.1 302 Found\r\nLocation: /new\r\n"
		"Content-Type: text/plain;charset=x\r\nContent-Length: 3\r\n\r\nabc";
	json_t *o = NULL;
	struct http_conn *c = http_conn_new(fx->e, eve_cb, &o, &fx->st, 0);

	http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 1);
	http_conn_data(c, 1, (const uint8_t *)res, strlen(res), 2);
	http_conn_free(c);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "hostname")), "www.Example.org");
	assert_int_equal(json_integer_value(json_object_get(o, "http_port")), 81);
	assert_string_equal(json_string_value(json_object_get(o, "url")), "/p");
	assert_string_equal(json_string_value(json_object_get(o, "http_user_agent")), "UA");
	assert_string_equal(json_string_value(json_object_get(o, "http_content_type")),
			    "text/plain");
	assert_string_equal(json_string_value(json_object_get(o, "http_refer")), "http://r/");
	assert_string_equal(json_string_value(json_object_get(o, "http_method")), "GET");
	assert_string_equal(json_string_value(json_object_get(o, "protocol")), "HTTP/1.1");
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 302);
	assert_string_equal(json_string_value(json_object_get(o, "redirect")), "/new");
	assert_int_equal(json_integer_value(json_object_get(o, "length")), 3);
	json_decref(o);
}

static void test_http_eve_non_utf8_escaped(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /\xff\xfe HTTP/1.1\r\nHost: h\r\n\r\n";
	json_t *o = NULL;
	struct http_conn *c = http_conn_new(fx->e, eve_cb, &o, &fx->st, 0);

	http_conn_data(c, 0, (const uint8_t *)req, strlen(req), 1);
	http_conn_free(c);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "url")), "/\\xff\\xfe");
	json_decref(o);
}

/* Every transaction's text form (direct path) is json_dumps(JSON_COMPACT) of its object. */
static unsigned int text_checked;

static void text_cb(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct eve_text b = { 0 };
	json_t *o = http_tx_eve(tx);
	char *d;

	(void)user;
	assert_non_null(o);
	d = json_dumps(o, JSON_COMPACT);
	assert_non_null(d);
	http_tx_eve_text(tx, &b);
	assert_false(b.oom);
	if (strlen(d) != b.len || memcmp(d, b.p, b.len) != 0) {
		fprintf(stderr, "object: %s\ntext:   %.*s\n", d, (int)b.len, b.p);
		fail();
	}
	text_checked++;
	free(d);
	free(b.p);
	json_decref(o);
}

static void test_http_eve_text_equals_object(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *req, *res;
	} cases[] = {
		{ "GET /p HTTP/1.1\r\nHost: www.Example.org:81\r\nUser-Agent: UA\r\n"
		  "Referer: http://r/\r\n\r\n",
		  "HTTP/1.1 302 Found\r\nLocation: /new\r\n"
		  "Content-Type: text/plain;charset=x\r\nContent-Length: 3\r\n\r\nabc" },
		/* no Host, no UA, no response: missing fields */
		{ "GET / HTTP/1.0\r\n\r\n", NULL },
		/* empty values */
		{ "GET /e HTTP/1.1\r\nHost:\r\nUser-Agent:\r\nReferer:\r\n\r\n",
		  "HTTP/1.1 200 OK\r\nContent-Type:\r\nLocation:\r\nContent-Length: 0\r\n\r\n" },
		/* hostile bytes: quotes, backslashes, control bytes, DEL, invalid and valid
		 * UTF-8, surrogates, overlongs */
		{ "GET /a\"b\\c\x01\x1f\x7f%00\xc3\xa9\xed\xa0\x80 HTTP/1.1\r\n"
		  "Host: h\"\\\x7f\xc0\xaf:8080\r\nUser-Agent: \x08\x0c\t\"\\/\xe2\x82\xac\r\n"
		  "Referer: \xf4\x90\x80\x80\xf0\x9f\x98\x80\r\n\r\n",
		  "HTTP/1.1 404 \xff\r\nContent-Type: \"x\\y\x01;z\r\nLocation: \xe2\x82\r\n"
		  "Content-Length: 1\r\n\r\nq" },
		/* a request with NUL bytes in a header value */
		{ "POST /n HTTP/1.1\r\nHost: a\x00"
		  "b\r\nContent-Length: 2\r\n\r\nxy",
		  "HTTP/1.1 500 E\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" },
		/* absolute URI with port, odd method and protocol */
		{ "PROPFIND http://Host.example:65535/x?y=\"1\" HTTP/1.1\r\n\r\n",
		  "HTTP/1.0 207 Multi\r\n\r\n" },
		{ "GET /x HTTP/9.9\r\nHost: [fd00:6d6f:6174::1]:443\r\n\r\n",
		  "HTTP/1.1 999 W\r\n\r\n" },
	};
	size_t req_len;

	text_checked = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_conn *c = http_conn_new(fx->e, text_cb, NULL, &fx->st, 0);

		assert_non_null(c);
		/* the NUL case: sizeof would be needed; count up to the body */
		req_len = strlen(cases[i].req);
		if (i == 4)
			req_len = sizeof("POST /n HTTP/1.1\r\nHost: a\x00"
					 "b\r\nContent-Length: 2\r\n\r\nxy") -
				  1;
		http_conn_data(c, 0, (const uint8_t *)cases[i].req, req_len, 1);
		if (cases[i].res)
			http_conn_data(c, 1, (const uint8_t *)cases[i].res, strlen(cases[i].res),
				       2);
		http_conn_close(c, 3);
		http_conn_free(c);
	}
	assert_true(text_checked >= sizeof(cases) / sizeof(cases[0]));
}

/* Random bytes in every field the object carries. */
static void test_http_eve_text_equals_object_random(void **state)
{
	struct fixture *fx = *state;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	char req[512], res[512];

	text_checked = 0;
	for (int round = 0; round < 2000; round++) {
		char v[5][24];
		struct http_conn *c;
		int rl, sl;

		for (int k = 0; k < 5; k++) {
			size_t n = (size_t)(round + k) % 23;

			for (size_t j = 0; j < n; j++) {
				uint8_t ch;

				do {
					rng ^= rng << 13;
					rng ^= rng >> 7;
					rng ^= rng << 17;
					ch = (uint8_t)(rng >> 24);
					/* keep the message framing: no CR/LF/NUL/space */
				} while (ch == '\r' || ch == '\n' || ch == 0 || ch == ' ');
				v[k][j] = (char)ch;
			}
			v[k][n] = '\0';
		}
		rl = snprintf(req, sizeof(req),
			      "GET /%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nReferer: "
			      "%s\r\n\r\n",
			      v[0], v[1], v[2], v[3]);
		sl = snprintf(res, sizeof(res),
			      "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nLocation: %s\r\n"
			      "Content-Length: 0\r\n\r\n",
			      v[4], v[0]);
		c = http_conn_new(fx->e, text_cb, NULL, &fx->st, 0);
		assert_non_null(c);
		http_conn_data(c, 0, (const uint8_t *)req, (size_t)rl, 1);
		http_conn_data(c, 1, (const uint8_t *)res, (size_t)sl, 2);
		http_conn_close(c, 3);
		http_conn_free(c);
	}
	assert_true(text_checked >= 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_http_simple_transaction_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_one_byte_segments_same_result, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_pipelined_requests_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_max_tx_refuses_unanswered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_header_views_match_libhtp_lookup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_chunked_body_dechunked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_gzip_response_decompressed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_request_body_limit_truncates, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_http_request_without_response_reported_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_uri_normalized_by_libhtp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_uri_case_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_request_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_gap_stops_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_garbage_never_crashes, setup, teardown),
		cmocka_unit_test(test_http_probe),
		cmocka_unit_test_setup_teardown(test_http_bodies_not_kept_by_default, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_eve_object_suricata_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_eve_non_utf8_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_eve_text_equals_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_eve_text_equals_object_random, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
