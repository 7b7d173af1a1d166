// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for dpi/app_layer.c: content detection, HTTP events, flow/stats events, the
 * CONNECT re-detection and the detection hook, driven through struct app_ops directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "dpi/dpi.h"

struct fixture {
	char path[64];
	struct eve_writer *w;
	struct app_layer *al;
	struct app_ops ops;
	struct flow f;
	unsigned int hook_calls;
	json_t *events; /* array, after finish() */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct app_layer_config cfg;
	int fd;

	strcpy(fx->path, "/tmp/test_app_layer_XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(eve_writer_open(fx->path, false, &fx->w), 0);
	app_layer_config_init(&cfg);
	assert_int_equal(app_layer_new(&cfg, fx->w, &fx->al), 0);
	app_layer_ops(fx->al, &fx->ops);

	/* 198.18.0.2:40000 -> 198.18.0.1:8081, TCP */
	fx->f.key.ip_version = 4;
	fx->f.key.proto = IPPROTO_TCP;
	memcpy(fx->f.key.addr[0].u8, (uint8_t[]){ 198, 18, 0, 2 }, 4);
	memcpy(fx->f.key.addr[1].u8, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	fx->f.key.port[0] = 40000;
	fx->f.key.port[1] = 8081;
	fx->f.flow_id = 77;
	fx->f.start_us = 1000000;
	fx->f.last_us = 2000000;
	fx->f.pkts[0] = 4;
	fx->f.pkts[1] = 3;
	fx->f.state = FLOW_STATE_CLOSED;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	app_layer_free(fx->al);
	json_decref(fx->events);
	unlink(fx->path);
	free(fx);
	return 0;
}

static void feed(struct fixture *fx, int dir, const char *s)
{
	fx->ops.stream(fx->ops.ctx, &fx->f, dir, (const uint8_t *)s, strlen(s), 0, 1500000);
}

/* End the flow, write stats, close the writer and load every event. */
static void finish(struct fixture *fx)
{
	json_t *st;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	fx->ops.flow_end(fx->ops.ctx, &fx->f, FLOW_END_SHUTDOWN);
	st = app_layer_stats_event(fx->al, NULL, 3000000, 1);
	assert_non_null(st);
	assert_int_equal(eve_writer_write(fx->w, st), 0);
	json_decref(st);
	assert_int_equal(eve_writer_close(fx->w), 0);
	fx->w = NULL;
	fx->events = json_array();
	f = fopen(fx->path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		json_array_append_new(fx->events, o);
	}
	free(line);
	fclose(f);
}

static json_t *nth_event(struct fixture *fx, const char *type, size_t n)
{
	size_t i;
	json_t *o;

	json_array_foreach(fx->events, i, o)
	{
		if (!strcmp(json_string_value(json_object_get(o, "event_type")), type) && n-- == 0)
			return o;
	}
	return NULL;
}

static size_t count_events(struct fixture *fx, const char *type)
{
	size_t n = 0;

	while (nth_event(fx, type, n))
		n++;
	return n;
}

static const char *sget(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o ? json_string_value(o) : NULL;
}

static json_int_t iget(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	assert_non_null(o);
	return json_integer_value(o);
}

static void test_app_layer_http_on_any_port_byte_by_byte(void **state)
{
	struct fixture *fx = *state;
	static const char req[] = "GET /x HTTP/1.1\r\nHost: h.example\r\nUser-Agent: t\r\n\r\n";
	static const char res[] = "HTTP/1.1 204 No Content\r\n\r\n";
	json_t *h, *fl;

	for (size_t i = 0; i < strlen(req); i++)
		fx->ops.stream(fx->ops.ctx, &fx->f, APP_DIR_TOSERVER, (const uint8_t *)req + i, 1,
			       0, 1500000);
	feed(fx, APP_DIR_TOCLIENT, res);
	finish(fx);
	assert_int_equal(count_events(fx, "http"), 1);
	h = nth_event(fx, "http", 0);
	assert_string_equal(sget(h, "http.url"), "/x");
	assert_string_equal(sget(h, "http.hostname"), "h.example");
	assert_int_equal(iget(h, "http.status"), 204);
	assert_int_equal(iget(h, "tx_id"), 0);
	assert_int_equal(iget(h, "flow_id"), 77);
	assert_int_equal(iget(h, "dest_port"), 8081);
	assert_string_equal(sget(h, "src_ip"), "198.18.0.2");
	assert_string_equal(sget(h, "app_proto"), "http");
	fl = nth_event(fx, "flow", 0);
	assert_non_null(fl);
	assert_string_equal(sget(fl, "app_proto"), "http");
	assert_int_equal(iget(fl, "flow.pkts_toserver"), 4);
	assert_string_equal(sget(fl, "flow.state"), "closed");
	assert_string_equal(sget(fl, "flow.reason"), "shutdown");
	h = nth_event(fx, "stats", 0);
	assert_int_equal(iget(h, "stats.app_layer.flow.http"), 1);
	assert_int_equal(iget(h, "stats.app_layer.tx.http"), 1);
	assert_int_equal(iget(h, "stats.app_layer.flow.failed_tcp"), 0);
}

static void test_app_layer_tls_is_not_http(void **state)
{
	struct fixture *fx = *state;

	fx->ops.stream(fx->ops.ctx, &fx->f, APP_DIR_TOSERVER,
		       (const uint8_t *)"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 0, 1);
	feed(fx, APP_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\n\r\n");
	finish(fx);
	assert_int_equal(count_events(fx, "http"), 0);
	assert_string_equal(sget(nth_event(fx, "flow", 0), "app_proto"), "failed");
	assert_int_equal(iget(nth_event(fx, "stats", 0), "stats.app_layer.flow.failed_tcp"), 1);
}

static void test_app_layer_connect_tunnel_restarts_tx_ids(void **state)
{
	struct fixture *fx = *state;
	json_t *a, *b;

	feed(fx, APP_DIR_TOSERVER, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n");
	feed(fx, APP_DIR_TOCLIENT, "HTTP/1.1 200 Connection established\r\n\r\n");
	feed(fx, APP_DIR_TOSERVER, "GET /in HTTP/1.1\r\nHost: h\r\n\r\n");
	feed(fx, APP_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	finish(fx);
	assert_int_equal(count_events(fx, "http"), 2);
	a = nth_event(fx, "http", 0);
	b = nth_event(fx, "http", 1);
	assert_string_equal(sget(a, "http.http_method"), "CONNECT");
	assert_int_equal(iget(a, "tx_id"), 0);
	assert_string_equal(sget(b, "http.http_method"), "GET");
	assert_string_equal(sget(b, "http.url"), "/in");
	assert_int_equal(iget(b, "http.status"), 200);
	assert_int_equal(iget(b, "tx_id"), 0);
	/* one HTTP flow, not two */
	assert_int_equal(iget(nth_event(fx, "stats", 0), "stats.app_layer.flow.http"), 1);
}

static void hook(void *ctx, struct flow *f, const struct http_tx *tx, json_t *http_obj,
		 uint64_t ts_us)
{
	struct fixture *fx = ctx;

	assert_ptr_equal(f, &fx->f);
	assert_non_null(json_object_get(http_obj, "url"));
	assert_true(tx->method.len == 4 && !memcmp(tx->method.ptr, "POST", 4));
	fx->hook_calls++;
}

static void test_app_layer_tx_hook_sees_every_transaction(void **state)
{
	struct fixture *fx = *state;

	app_layer_set_tx_hook(fx->al, hook, fx);
	feed(fx, APP_DIR_TOSERVER,
	     "POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nxPOST /b HTTP/1.1\r\n"
	     "Content-Length: 0\r\n\r\n");
	feed(fx, APP_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	finish(fx);
	/* each request when it completes (the request-side inspection point), then each
	 * transaction once more: one complete, one reported at flow end */
	assert_int_equal(fx->hook_calls, 4);
	assert_int_equal(count_events(fx, "http"), 2);
}

static void test_app_layer_stats_names(void **state)
{
	struct fixture *fx = *state;
	struct worker_stats ws;
	json_t *o;

	memset(&ws, 0, sizeof(ws));
	ws.pkts = 10;
	ws.decode.ipv4 = 9;
	ws.decode.ipv6 = 1;
	ws.decode.tcp = 8;
	ws.flow.tcp = 2;
	ws.tcp.gaps = 3;
	o = app_layer_stats_event(fx->al, &ws, 5, 0);
	assert_int_equal(iget(o, "stats.decoder.pkts"), 10);
	assert_int_equal(iget(o, "stats.decoder.ipv4"), 9);
	assert_int_equal(iget(o, "stats.decoder.ipv6"), 1);
	assert_int_equal(iget(o, "stats.decoder.tcp"), 8);
	assert_int_equal(iget(o, "stats.flow.tcp"), 2);
	assert_int_equal(iget(o, "stats.tcp.reassembly_gap"), 3);
	assert_int_equal(iget(o, "stats.app_layer.tx.http"), 0);
	assert_string_equal(sget(o, "event_type"), "stats");
	json_decref(o);
	fx->ops.flow_end(fx->ops.ctx, &fx->f, FLOW_END_SHUTDOWN);
	eve_writer_close(fx->w);
}

/*
 * Without a tx hook the application layer writes http/fileinfo/flow events as text; with
 * one it builds objects for detection. Both must give the same file, byte for byte: run
 * the same conversations through both, IPv4 and IPv6, with hostile bytes, missing fields,
 * request and response bodies (fileinfo), a midstream flow reversed, in_iface set.
 */
static void noop_hook(void *ctx, struct flow *f, const struct http_tx *tx, json_t *http_obj,
		      uint64_t ts_us)
{
	unsigned int *calls = ctx;

	assert_non_null(http_obj);
	(*calls)++;
}

struct step {
	int dir;
	const char *data;
	size_t len;
};
#define STEP(d, s)                      \
	{                               \
		(d), (s), sizeof(s) - 1 \
	}

static char *run_conversation(bool with_hook, int family, bool midstream, const char *iface,
			      const struct step *steps, size_t nsteps, size_t *ret_len)
{
	char path[] = "/tmp/test_app_layer_same_XXXXXX";
	struct app_layer_config cfg;
	struct eve_writer *w;
	struct app_layer *al;
	struct app_ops ops;
	struct flow f = { 0 };
	unsigned int calls = 0;
	int fd = mkstemp(path);
	char *buf;
	long n;
	FILE *fp;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(eve_writer_open(path, false, &w), 0);
	app_layer_config_init(&cfg);
	cfg.in_iface = iface;
	assert_int_equal(app_layer_new(&cfg, w, &al), 0);
	if (with_hook)
		app_layer_set_tx_hook(al, noop_hook, &calls);
	app_layer_ops(al, &ops);
	f.key.ip_version = (uint8_t)family;
	f.key.proto = IPPROTO_TCP;
	if (family == 4) {
		memcpy(f.key.addr[0].u8, (uint8_t[]){ 198, 18, 0, 2 }, 4);
		memcpy(f.key.addr[1].u8, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	} else {
		memcpy(f.key.addr[0].u8,
		       (uint8_t[]){ 0xfd, 0, 0x6d, 0x6f, 0x61, 0x74, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
		       16);
		memcpy(f.key.addr[1].u8,
		       (uint8_t[]){ 0xfd, 0, 0x6d, 0x6f, 0x61, 0x74, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		       16);
	}
	f.key.port[0] = 40000;
	f.key.port[1] = 80;
	f.flow_id = 0xfedcba9876543210ULL;
	f.start_us = 1000000;
	f.last_us = 2500000;
	f.pkts[0] = 4;
	f.pkts[1] = 3;
	f.bytes[0] = 400;
	f.bytes[1] = 3000;
	f.tcp_flags[0] = 0x1b;
	f.tcp_flags[1] = 0x12;
	f.tcp.midstream = midstream;
	f.state = FLOW_STATE_CLOSED;
	for (size_t i = 0; i < nsteps; i++) {
		struct packet p = { .pkt_num = 10 + i };

		ops.packet(ops.ctx, &f, &p, steps[i].dir);
		ops.stream(ops.ctx, &f, steps[i].dir, (const uint8_t *)steps[i].data, steps[i].len,
			   0, 1500000 + i * 1000);
	}
	ops.flow_end(ops.ctx, &f, FLOW_END_TIMEOUT);
	app_layer_free(al);
	assert_int_equal(eve_writer_close(w), 0);
	/* the object path really ran (every conversation but the non-HTTP one has a tx) */
	if (with_hook)
		assert_int_equal(calls > 0, nsteps > 1 || steps[0].data[0] == 'H');
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	unlink(path);
	*ret_len = (size_t)n;
	return buf;
}

static void same_both_ways(int family, bool midstream, const char *iface, const struct step *steps,
			   size_t nsteps, const char *must_have)
{
	size_t la, lb;
	char *a = run_conversation(true, family, midstream, iface, steps, nsteps, &la);
	char *b = run_conversation(false, family, midstream, iface, steps, nsteps, &lb);

	if (la != lb || memcmp(a, b, la) != 0) {
		fprintf(stderr, "object path:\n%s\ntext path:\n%s\n", a, b);
		fail();
	}
	assert_non_null(strstr(a, must_have));
	free(a);
	free(b);
}

static void test_app_layer_text_and_object_paths_same_bytes(void **state)
{
	static const struct step put[] = {
		STEP(APP_DIR_TOSERVER,
		     "PUT /up/f\xff.bin?x=\"1\" HTTP/1.1\r\nHost: h\\\x01\r\n"
		     "Content-Disposition: attachment; filename=\"a\xc3\x28\\\"\r\n"
		     "Content-Length: 5\r\n\r\nhello"),
		STEP(APP_DIR_TOCLIENT, "HTTP/1.1 201 Created\r\nContent-Type: text/x\r\n"
				       "Content-Length: 2\r\n\r\nok"),
		STEP(APP_DIR_TOSERVER, "GET /\xed\xa0\x80 HTTP/1.1\r\nUser-Agent: \x7f\t\r\n\r\n"),
		STEP(APP_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				       "3\r\nabc\r\n0\r\n\r\n"),
		/* a request never answered: reported at flow end, TRUNCATED */
		STEP(APP_DIR_TOSERVER, "POST /p HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"),
	};
	static const struct step nul[] = {
		STEP(APP_DIR_TOSERVER, "GET /n HTTP/1.1\r\nHost: a\0b\r\n\r\n"),
		STEP(APP_DIR_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
	};
	static const struct step reversed[] = {
		STEP(APP_DIR_TOSERVER, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
	};
	static const struct step not_http[] = {
		STEP(APP_DIR_TOSERVER, "\x16\x03\x01\x00\x05hello"),
	};

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		same_both_ways(fam, false, NULL, put, 5, "\"event_type\":\"fileinfo\"");
		same_both_ways(fam, false, "eth\"0\\", put, 5, "\"in_iface\":\"eth\\\"0\\\\\"");
		same_both_ways(fam, false, NULL, nul, 2, "\\u0000");
		same_both_ways(fam, true, NULL, reversed, 1, "\"event_type\":\"flow\"");
		same_both_ways(fam, false, "lo", not_http, 1, "\"app_proto\":\"failed\"");
	}
	same_both_ways(6, false, NULL, put, 5, "\"src_ip\":\"fd00:6d6f:6174:0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_layer_text_and_object_paths_same_bytes),
		cmocka_unit_test_setup_teardown(test_app_layer_http_on_any_port_byte_by_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_app_layer_tls_is_not_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_layer_connect_tunnel_restarts_tx_ids,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_layer_tx_hook_sees_every_transaction,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_layer_stats_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
