// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for dpi/eve.c: event shapes (Suricata's names), alert builder, buffered writer. */
#include <errno.h>
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
#include <jansson.h>

#include "dpi/eve.h"

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static struct eve_tuple tuple4(void)
{
	struct eve_tuple t = {
		.family = 4,
		.proto = IPPROTO_TCP,
		.src_port = 40000,
		.dest_port = 80,
		.src_ip = { 198, 18, 0, 2 },
		.dest_ip = { 198, 18, 0, 1 },
		.flow_id = 1234567,
		.app_proto = "http",
	};
	return t;
}

static void test_eve_timestamp_has_microseconds_and_zone(void **state)
{
	char ts[EVE_TS_LEN];

	(void)state;
	eve_format_timestamp(1259097429534255ULL, ts, sizeof(ts));
	assert_string_equal(ts, "2009-11-24T21:17:09.534255+0000");
	eve_format_timestamp(5, ts, sizeof(ts));
	assert_string_equal(ts, "1970-01-01T00:00:00.000005+0000");
	eve_format_timestamp(1709251199999999ULL, ts, sizeof(ts)); /* leap day, last µs */
	assert_string_equal(ts, "2024-02-29T23:59:59.999999+0000");
	eve_format_timestamp(4102444800000000ULL, ts, sizeof(ts));
	assert_string_equal(ts, "2100-01-01T00:00:00.000000+0000");
	/* the seconds part is kept per thread: the same second again, the next, an earlier */
	eve_format_timestamp(4102444800000001ULL, ts, sizeof(ts));
	assert_string_equal(ts, "2100-01-01T00:00:00.000001+0000");
	eve_format_timestamp(4102444801000000ULL, ts, sizeof(ts));
	assert_string_equal(ts, "2100-01-01T00:00:01.000000+0000");
	eve_format_timestamp(1259097429000001ULL, ts, sizeof(ts));
	assert_string_equal(ts, "2009-11-24T21:17:09.000001+0000");
	/* a short buffer gets the beginning, terminated, as snprintf would */
	eve_format_timestamp(1259097429534255ULL, ts, 11);
	assert_string_equal(ts, "2009-11-24");
}

/* eve_text_str() writes a string as jansson does (json_dumps of json_stringn): random
 * strings of every length to 40 over an alphabet of plain bytes, all the bytes JSON
 * escapes, DEL and UTF-8 sequences, so that escapes land at every offset of the 8-byte
 * scan and in its byte tail. */
static void test_eve_text_str_equals_jansson(void **state)
{
	static const char *const atoms[] = { "a",
					     "Z",
					     "0",
					     " ",
					     "/",
					     "~",
					     "\x7f",
					     "\"",
					     "\\",
					     "\n",
					     "\r",
					     "\t",
					     "\b",
					     "\f",
					     "\x01",
					     "\x1f",
					     "\xc3\xa9",
					     "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80" };
	char buf[256];
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = 0, want = (size_t)(round % 41);
		struct eve_text t = { 0 };
		json_t *js;
		char *ref;

		while (n < want) {
			const char *a;

			seed = seed * 1103515245u + 12345u;
			/* mostly plain bytes, as in real events */
			a = atoms[(seed >> 16) % 8 < 6 ? (seed >> 20) % 6 : (seed >> 20) % 19];
			memcpy(buf + n, a, strlen(a));
			n += strlen(a);
		}
		if (round % 97 == 0)
			buf[n++] = '\0'; /* an embedded NUL: \u0000 */
		js = json_stringn(buf, n);
		assert_non_null(js);
		ref = json_dumps(js, JSON_ENCODE_ANY | JSON_COMPACT);
		assert_non_null(ref);
		eve_text_str(&t, buf, n);
		assert_false(t.oom);
		assert_int_equal(t.len, strlen(ref));
		assert_memory_equal(t.p, ref, t.len);
		free(ref);
		free(t.p);
		json_decref(js);
	}
}

static void test_eve_ipv6_uncompressed_like_suricata(void **state)
{
	static const uint8_t a[16] = { 0xfe, 0x80, 0,	 0,    0,    0,	   0,	 0,
				       0x02, 0x0c, 0x29, 0xff, 0xfa, 0xf2, 0xab, 0x42 };
	char buf[64];

	(void)state;
	eve_format_ip(6, a, buf, sizeof(buf));
	assert_string_equal(buf, "fe80:0000:0000:0000:020c:29ff:faf2:ab42");
	eve_format_ip(4, (const uint8_t[]){ 10, 0, 0, 255 }, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.255");
	eve_format_ip(4, (const uint8_t[]){ 198, 18, 100, 9 }, buf, sizeof(buf));
	assert_string_equal(buf, "198.18.100.9");
	eve_format_ip(4, (const uint8_t[]){ 0, 0, 0, 0 }, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0");
	eve_format_ip(6, (const uint8_t[16]){ 0xff, 0xff, [15] = 1 }, buf, sizeof(buf));
	assert_string_equal(buf, "ffff:0000:0000:0000:0000:0000:0000:0001");
	/* short buffers get the beginning, terminated, as snprintf would */
	eve_format_ip(4, (const uint8_t[]){ 198, 18, 100, 9 }, buf, 5);
	assert_string_equal(buf, "198.");
	eve_format_ip(6, a, buf, 8);
	assert_string_equal(buf, "fe80:00");
	buf[0] = 'x';
	eve_format_ip(4, (const uint8_t[]){ 1, 2, 3, 4 }, buf, 0);
	assert_int_equal(buf[0], 'x');
}

static void test_eve_event_common_fields(void **state)
{
	struct eve_tuple t = tuple4();
	json_t *o;

	(void)state;
	t.in_iface = "eth0";
	o = eve_event_new("http", 1000000, &t, 42);
	assert_non_null(o);
	assert_string_equal(str(o, "timestamp"), "1970-01-01T00:00:01.000000+0000");
	assert_int_equal(num(o, "flow_id"), 1234567);
	assert_string_equal(str(o, "in_iface"), "eth0");
	assert_string_equal(str(o, "event_type"), "http");
	assert_int_equal(num(o, "pcap_cnt"), 42);
	assert_string_equal(str(o, "src_ip"), "198.18.0.2");
	assert_int_equal(num(o, "src_port"), 40000);
	assert_string_equal(str(o, "dest_ip"), "198.18.0.1");
	assert_int_equal(num(o, "dest_port"), 80);
	assert_string_equal(str(o, "proto"), "TCP");
	assert_string_equal(str(o, "app_proto"), "http");
	json_decref(o);

	t.proto = 47;
	t.app_proto = NULL;
	o = eve_event_new("flow", 0, &t, 0);
	assert_string_equal(str(o, "proto"), "GRE"); /* Suricata 7 names GRE, ESP, AH */
	assert_null(json_object_get(o, "src_port"));
	assert_null(json_object_get(o, "pcap_cnt"));
	assert_null(json_object_get(o, "app_proto"));
	json_decref(o);
	t.proto = 99;
	o = eve_event_new("flow", 0, &t, 0);
	assert_string_equal(str(o, "proto"), "99"); /* unnamed protocols: the number */
	json_decref(o);
}

static void test_eve_flow_event_shape(void **state)
{
	struct eve_tuple t = tuple4();
	struct eve_flow_info fi = {
		.pkts_toserver = 5,
		.pkts_toclient = 4,
		.bytes_toserver = 500,
		.bytes_toclient = 4000,
		.start_us = 1000000,
		.end_us = 3500000,
		.state = "closed",
		.reason = "shutdown",
		.is_tcp = true,
		.tcp_flags = 0x1b,
		.tcp_flags_ts = 0x1b,
		.tcp_flags_tc = 0x1b,
		.tcp_state = "closed",
	};
	json_t *o = eve_flow_event_new(&t, &fi), *f, *tcp;

	(void)state;
	assert_string_equal(str(o, "event_type"), "flow");
	f = json_object_get(o, "flow");
	assert_int_equal(num(f, "pkts_toserver"), 5);
	assert_int_equal(num(f, "bytes_toclient"), 4000);
	assert_string_equal(str(f, "start"), "1970-01-01T00:00:01.000000+0000");
	assert_string_equal(str(f, "end"), "1970-01-01T00:00:03.500000+0000");
	assert_int_equal(num(f, "age"), 2);
	assert_string_equal(str(f, "state"), "closed");
	assert_string_equal(str(f, "reason"), "shutdown");
	assert_true(json_is_false(json_object_get(f, "alerted")));
	tcp = json_object_get(o, "tcp");
	assert_string_equal(str(tcp, "tcp_flags"), "1b");
	assert_true(json_is_true(json_object_get(tcp, "syn")));
	assert_true(json_is_true(json_object_get(tcp, "fin")));
	assert_true(json_is_true(json_object_get(tcp, "psh")));
	assert_true(json_is_true(json_object_get(tcp, "ack")));
	assert_null(json_object_get(tcp, "rst"));
	json_decref(o);
}

static void test_eve_alert_made_up_rule(void **state)
{
	struct eve_tuple t = tuple4();
	struct eve_alert_meta m = {
		.action = "allowed",
		.gid = 1,
		.sid = 2100498,
		.rev = 7,
		.msg = "GPL ATTACK_RESPONSE id check returned root",
		.category = "Potentially Bad Traffic",
		.severity = 2,
	};
	json_t *http = json_pack("{s:s}", "url", "/x");
	json_t *o, *a, *f;

	(void)state;
	/* matched on a to_client packet: src/dest follow the packet */
	o = eve_alert_event_new(2000000, &t, false, 7, 3, &m, "http", http);
	assert_string_equal(str(o, "event_type"), "alert");
	assert_string_equal(str(o, "src_ip"), "198.18.0.1");
	assert_int_equal(num(o, "src_port"), 80);
	assert_string_equal(str(o, "dest_ip"), "198.18.0.2");
	assert_int_equal(num(o, "tx_id"), 3);
	assert_int_equal(num(o, "pcap_cnt"), 7);
	assert_string_equal(str(o, "direction"), "to_client");
	a = json_object_get(o, "alert");
	assert_string_equal(str(a, "action"), "allowed");
	assert_int_equal(num(a, "gid"), 1);
	assert_int_equal(num(a, "signature_id"), 2100498);
	assert_int_equal(num(a, "rev"), 7);
	assert_string_equal(str(a, "signature"), "GPL ATTACK_RESPONSE id check returned root");
	assert_string_equal(str(a, "category"), "Potentially Bad Traffic");
	assert_int_equal(num(a, "severity"), 2);
	assert_string_equal(str(json_object_get(o, "http"), "url"), "/x");
	f = json_object_get(o, "flow");
	assert_string_equal(str(f, "src_ip"), "198.18.0.2");
	assert_int_equal(num(f, "dest_port"), 80);
	json_decref(o);

	/* to_server, no tx, no category */
	m.category = NULL;
	o = eve_alert_event_new(2000000, &t, true, 0, -1, &m, NULL, NULL);
	assert_string_equal(str(o, "src_ip"), "198.18.0.2");
	assert_null(json_object_get(o, "tx_id"));
	assert_string_equal(str(json_object_get(o, "alert"), "category"), "");
	assert_string_equal(str(o, "direction"), "to_server");
	json_decref(o);
	json_decref(http);
}

static void test_eve_writer_one_object_per_line(void **state)
{
	char path[] = "/tmp/test_eve_XXXXXX";
	int fd = mkstemp(path);
	struct eve_writer *w;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	unsigned int lines = 0;
	char *big = malloc(600 * 1024);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(eve_writer_open(path, false, &w), 0);
	for (int i = 0; i < 5000; i++) {
		json_t *o = json_pack("{s:i,s:s}", "n", i, "pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

		assert_int_equal(eve_writer_write(w, o), 0);
		json_decref(o);
	}
	/* an object bigger than the whole buffer */
	memset(big, 'a', 600 * 1024 - 1);
	big[600 * 1024 - 1] = '\0';
	{
		json_t *o = json_pack("{s:s}", "big", big);

		assert_int_equal(eve_writer_write(w, o), 0);
		json_decref(o);
	}
	assert_int_equal(eve_writer_events(w), 5001);
	assert_int_equal(eve_writer_close(w), 0);

	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);

		assert_non_null(o);
		if (lines < 5000)
			assert_int_equal(json_integer_value(json_object_get(o, "n")), lines);
		else
			assert_int_equal(strlen(json_string_value(json_object_get(o, "big"))),
					 600 * 1024 - 1);
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 5001);
	free(line);
	free(big);
	fclose(f);
	unlink(path);
}

static void test_eve_writer_output_equals_jansson_dump(void **state)
{
	char path[] = "/tmp/test_eve_XXXXXX";
	int fd = mkstemp(path);
	struct eve_writer *w;
	char line[4096], *ref;
	FILE *f;
	json_t *o;

	(void)state;
	close(fd);
	o = json_pack("{s:s, s:s#, s:I, s:I, s:i, s:f, s:f, s:b, s:b, s:n, s:[i, s, {}, []], s:{}}",
		      "plain", "abc", "escapes", "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f", 13, "max",
		      (json_int_t)INT64_MAX, "min", (json_int_t)INT64_MIN, "zero", 0, "real", 1.0,
		      "frac", -2.5e-7, "t", 1, "f", 0, "null", "arr", 7, "ünïcødé €", "empty");
	assert_non_null(o);
	json_object_set_new(o, "nested", json_pack("{s:{s:{s:[[i]]}}}", "a", "b", "c", 1));
	json_object_set_new(o, "big", json_real(1e300));
	assert_non_null(json_object_get(o, "nested"));
	ref = json_dumps(o, JSON_COMPACT);
	assert_int_equal(eve_writer_open(path, false, &w), 0);
	assert_int_equal(eve_writer_write(w, o), 0);
	assert_int_equal(eve_writer_close(w), 0);
	f = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	assert_string_equal(line, ref);
	free(ref);
	json_decref(o);
	unlink(path);
}

/* The 8-bytes-at-a-time string scan: every escape-worthy byte (and the neighbours of the
 * boundaries, 0x1f/0x20, '!'/'"'/'#', '['/'\\'/']', 0x7f, UTF-8) at every position of
 * strings 1..40 bytes long, in one event each, serialized exactly as jansson does. */
static void test_eve_writer_string_scan_every_position(void **state)
{
	static const char specials[] = { '"', '\\', '\n', 0x01, 0x1f, 0x20, '!',
					 '#', '[',  ']',  0x7f, '\t', 0 };
	char path[] = "/tmp/test_eve_XXXXXX";
	int fd = mkstemp(path);
	struct eve_writer *w;
	char str[48], line[512];
	FILE *f;
	int events = 0;

	(void)state;
	close(fd);
	assert_int_equal(eve_writer_open(path, false, &w), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	for (size_t len = 1; len <= 40; len++)
		for (size_t pos = 0; pos < len; pos++)
			for (const char *sp = specials; *sp; sp++) {
				json_t *o;
				char *ref;

				for (size_t i = 0; i < len; i++)
					str[i] = (char)('a' + i % 26);
				str[pos] = *sp;
				if (pos + 2 < len && *sp == '!') /* a 2-byte UTF-8 sequence */
					memcpy(str + pos + 1, "\xc3\xa9", 2);
				o = json_pack("{s:s#}", "v", str, (int)len);
				assert_non_null(o);
				ref = json_dumps(o, JSON_COMPACT);
				assert_int_equal(eve_writer_write(w, o), 0);
				assert_int_equal(eve_writer_flush(w), 0);
				assert_non_null(fgets(line, sizeof(line), f));
				line[strcspn(line, "\n")] = '\0';
				assert_string_equal(line, ref);
				free(ref);
				json_decref(o);
				events++;
			}
	assert_int_equal(events, 820 * 12);
	fclose(f);
	assert_int_equal(eve_writer_close(w), 0);
	unlink(path);
}

static void test_eve_writer_open_error(void **state)
{
	struct eve_writer *w = NULL;

	(void)state;
	assert_int_equal(eve_writer_open("/nonexistent-dir/eve.json", false, &w), -ENOENT);
	assert_null(w);
}

static void test_eve_set_path_creates_objects(void **state)
{
	json_t *o = json_object();

	(void)state;
	assert_int_equal(eve_set_path_u64(o, "decoder.ipv4", 3), 0);
	assert_int_equal(eve_set_path_u64(o, "decoder.ipv6", 4), 0);
	assert_int_equal(eve_set_path_u64(o, "app_layer.flow.http", 5), 0);
	assert_int_equal(num(json_object_get(o, "decoder"), "ipv4"), 3);
	assert_int_equal(num(json_object_get(o, "decoder"), "ipv6"), 4);
	assert_int_equal(num(json_object_get(json_object_get(o, "app_layer"), "flow"), "http"), 5);
	assert_int_equal(eve_set_path_u64(o, "decoder.ipv4.x", 1), -EEXIST);
	json_decref(o);
}

/* The direct (text) serialisation must give exactly json_dumps(JSON_COMPACT) of the object
 * path: jansson is the reference, over tuples of every shape. */
static void assert_text_is_dump(struct eve_text *b, json_t *o)
{
	char *d = json_dumps(o, JSON_COMPACT);

	assert_non_null(d);
	assert_false(b->oom);
	if (strlen(d) != b->len || memcmp(d, b->p, b->len) != 0) {
		fprintf(stderr, "object: %s\ntext:   %.*s\n", d, (int)b->len, b->p);
		fail();
	}
	free(d);
	json_decref(o);
	b->len = 0;
}

static void tuple_variants(struct eve_tuple *ts, size_t *n)
{
	static const uint8_t protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, 47, 0, 255
	};
	static const char *ifaces[] = { NULL, "eth0", "a\"b\\c\n\x01\x1f\x7f\xc3\xa9" };
	static const char *apps[] = { NULL, "http", "failed" };
	size_t k = 0;

	for (size_t p = 0; p < sizeof(protos); p++)
		for (int fam = 4; fam <= 6; fam += 2)
			for (size_t i = 0; i < 3; i++) {
				struct eve_tuple t = tuple4();

				t.family = (uint8_t)fam;
				t.proto = protos[p];
				t.in_iface = ifaces[i];
				t.app_proto = apps[(p + i) % 3];
				t.flow_id =
					p & 1 ? UINT64_MAX : (uint64_t)p * 0x0123456789abcdefULL;
				t.src_port = (uint16_t)(p * 9000);
				t.dest_port = i ? 65535 : 0;
				if (fam == 6) {
					static const uint8_t a6[16] = { 0xfd, 0x00, 0x6d, 0x6f,
									0x61, 0x74, 0,	  0,
									0,    0,    0,	  0,
									0,    0,    0,	  1 };
					memcpy(t.src_ip, a6, 16);
					memset(t.dest_ip, 0xff, 16);
				} else {
					memset(t.dest_ip, 0, 16);
				}
				ts[k++] = t;
			}
	*n = k;
}

static void test_eve_text_header_equals_object(void **state)
{
	struct eve_tuple ts[64];
	struct eve_text b = { 0 };
	size_t n;
	static const uint64_t stamps[] = { 0, 1, 1258939629534255ULL, 253402300799999999ULL };

	(void)state;
	tuple_variants(ts, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < 4; s++) {
			uint64_t pcap_cnt = s == 0 ? 0 : (uint64_t)s * 1000003 + i;

			eve_event_begin_text(&b, "http", stamps[s], &ts[i], pcap_cnt);
			eve_text_raw(&b, "}", 1);
			assert_text_is_dump(&b, eve_event_new("http", stamps[s], &ts[i], pcap_cnt));
		}
	eve_event_begin_text(&b, "stats", stamps[2], NULL, 0);
	eve_text_raw(&b, "}", 1);
	assert_text_is_dump(&b, eve_event_new("stats", stamps[2], NULL, 0));
	free(b.p);
}

static void test_eve_text_flow_event_equals_object(void **state)
{
	struct eve_tuple ts[64];
	struct eve_text b = { 0 };
	size_t n;
	static const char *states[] = { NULL, "new", "established", "closed" };
	static const char *reasons[] = { NULL, "timeout", "shutdown" };
	static const char *tcp_states[] = { NULL, "syn_sent", "closed" };

	(void)state;
	tuple_variants(ts, &n);
	for (size_t i = 0; i < n; i++)
		for (unsigned int v = 0; v < 24; v++) {
			struct eve_flow_info fi = {
				.pkts_toserver = v * 7ULL,
				.pkts_toclient = v & 1 ? (uint64_t)INT64_MAX : 0,
				.bytes_toserver = (uint64_t)v << 40,
				.bytes_toclient = 1460,
				.start_us = 1258939629534255ULL + v,
				.end_us = 1258939629534255ULL + (uint64_t)v * 999999,
				.state = states[v % 4],
				.reason = reasons[v % 3],
				.alerted = v & 2,
				.is_tcp = ts[i].proto == IPPROTO_TCP || (v & 4),
				.tcp_flags = (uint8_t)(v * 37),
				.tcp_flags_ts = (uint8_t)(v * 11),
				.tcp_flags_tc = (uint8_t)(0xff - v),
				.tcp_state = tcp_states[v % 3],
			};

			eve_flow_event_text(&b, &ts[i], &fi);
			assert_text_is_dump(&b, eve_flow_event_new(&ts[i], &fi));
		}
	free(b.p);
}

/* Both writer paths on the same events give the same file. */
static void test_eve_writer_text_and_object_same_file(void **state)
{
	char pa[] = "/tmp/moat-eve-text-XXXXXX", pb[] = "/tmp/moat-eve-text-XXXXXX";
	int fa = mkstemp(pa), fb = mkstemp(pb);
	struct eve_writer *wa, *wb;
	struct eve_tuple ts[64];
	size_t n;
	char *da, *db;
	long la, lb;
	FILE *f;

	(void)state;
	assert_true(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	assert_int_equal(eve_writer_open(pa, false, &wa), 0);
	assert_int_equal(eve_writer_open(pb, false, &wb), 0);
	tuple_variants(ts, &n);
	/* enough events to flush the 256 KiB buffer several times */
	for (int round = 0; round < 200; round++)
		for (size_t i = 0; i < n; i++) {
			struct eve_flow_info fi = { .start_us = (uint64_t)round * 1000,
						    .end_us = (uint64_t)round * 5000 + i,
						    .state = "closed",
						    .is_tcp = true,
						    .tcp_flags = (uint8_t)round };
			json_t *o = eve_flow_event_new(&ts[i], &fi);

			assert_int_equal(eve_writer_write(wa, o), 0);
			json_decref(o);
			assert_int_equal(eve_flow_event_write(wb, &ts[i], &fi), 0);
		}
	assert_int_equal(eve_writer_events(wa), eve_writer_events(wb));
	assert_int_equal(eve_writer_close(wa), 0);
	assert_int_equal(eve_writer_close(wb), 0);
	f = fopen(pa, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	la = ftell(f);
	rewind(f);
	da = malloc((size_t)la);
	assert_int_equal(fread(da, 1, (size_t)la, f), (size_t)la);
	fclose(f);
	f = fopen(pb, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	lb = ftell(f);
	rewind(f);
	db = malloc((size_t)lb);
	assert_int_equal(fread(db, 1, (size_t)lb, f), (size_t)lb);
	fclose(f);
	assert_true(la > 2 * 256 * 1024);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, (size_t)la);
	free(da);
	free(db);
	unlink(pa);
	unlink(pb);
}

/* eve_utf8_valid() agrees with json_stringn() (jansson's own check) on every 1- and 2-byte
 * string, every 3-byte string led by E0..EF or a continuation/invalid byte, and random
 * 4..12-byte strings biased to lead bytes. */
static void check_utf8(const uint8_t *s, size_t n)
{
	json_t *j = json_stringn((const char *)s, n);
	bool ok = j != NULL;

	json_decref(j);
	if (eve_utf8_valid(s, n) != ok) {
		fprintf(stderr, "utf8 disagreement on %zu bytes:", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", s[i]);
		fprintf(stderr, " (jansson %s)\n", ok ? "valid" : "invalid");
		fail();
	}
}

static void test_eve_utf8_valid_agrees_with_jansson(void **state)
{
	uint8_t s[12] = { 0 };
	uint64_t rng = 88172645463325252ULL;

	(void)state;
	check_utf8(s, 0);
	for (unsigned int a = 0; a < 256; a++) {
		s[0] = (uint8_t)a;
		check_utf8(s, 1);
		for (unsigned int b = 0; b < 256; b++) {
			s[1] = (uint8_t)b;
			check_utf8(s, 2);
			if (a < 0xe0 || a > 0xf4)
				continue;
			for (unsigned int c = 0; c < 256; c += (b & 0xc0) == 0x80 ? 1 : 51) {
				s[2] = (uint8_t)c;
				check_utf8(s, 3);
				s[3] = 0xbf;
				check_utf8(s, 4);
				s[3] = 0x80;
				check_utf8(s, 4);
			}
		}
	}
	for (int i = 0; i < 200000; i++) {
		size_t n = 4 + (size_t)(i % 9);

		for (size_t k = 0; k < n; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			/* mostly continuation and lead bytes, some ASCII */
			s[k] = (uint8_t)((rng & 3) == 0 ? rng >> 8 : 0x80 | ((rng >> 8) & 0x7f));
		}
		check_utf8(s, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eve_timestamp_has_microseconds_and_zone),
		cmocka_unit_test(test_eve_text_str_equals_jansson),
		cmocka_unit_test(test_eve_ipv6_uncompressed_like_suricata),
		cmocka_unit_test(test_eve_event_common_fields),
		cmocka_unit_test(test_eve_flow_event_shape),
		cmocka_unit_test(test_eve_alert_made_up_rule),
		cmocka_unit_test(test_eve_writer_one_object_per_line),
		cmocka_unit_test(test_eve_writer_output_equals_jansson_dump),
		cmocka_unit_test(test_eve_writer_string_scan_every_position),
		cmocka_unit_test(test_eve_writer_open_error),
		cmocka_unit_test(test_eve_set_path_creates_objects),
		cmocka_unit_test(test_eve_text_header_equals_object),
		cmocka_unit_test(test_eve_text_flow_event_equals_object),
		cmocka_unit_test(test_eve_writer_text_and_object_same_file),
		cmocka_unit_test(test_eve_utf8_valid_agrees_with_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
