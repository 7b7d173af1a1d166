// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for rules/ matching: one rule loaded from text, inputs built by hand, and
 * whether it fires; per keyword match and no-match, with depth/offset/distance/within
 * boundaries, negation, nocase, relative pcre, byte_*, flow, flowbits, thresholds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "rules.h"

struct hits {
	int n;
	uint32_t last_sid;
	bool noalert;
};

static int on_alert(void *user, const struct detect_input *in, const struct detect_alert *a)
{
	struct hits *h = user;

	h->n++;
	h->last_sid = a->rule->sid;
	h->noalert = a->noalert;
	return 0;
}

static struct ruleset *load(const char *text)
{
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st;

	assert_int_equal(ruleset_load_string(text, "test.rules", NULL, &rs, &d), 0);
	ruleset_get_stats(rs, &st);
	if (st.loaded == 0 && d.n)
		fail_msg("rule did not load: %s", d.v[0].message);
	assert_true(st.loaded >= 1);
	rule_diags_done(&d);
	return rs;
}

static void input_init(struct detect_input *in)
{
	memset(in, 0, sizeof(*in));
	in->pkt.family = AF_INET;
	in->pkt.ip_proto = IPPROTO_TCP;
	inet_pton(AF_INET, "192.168.1.10", in->pkt.src);
	inet_pton(AF_INET, "198.18.0.1", in->pkt.dst);
	in->pkt.sport = 40000;
	in->pkt.dport = 80;
	in->pkt.ttl = 64;
	in->pkt.flags = DETECT_PKT_TO_SERVER | DETECT_PKT_ESTABLISHED | DETECT_PKT_HAS_TCP;
	in->pkt.app_proto = DETECT_APP_HTTP;
}

static void set_buf(struct detect_input *in, enum detect_buf b, const void *data, size_t len)
{
	in->buf[b].data = data;
	in->buf[b].len = len;
}

/* Load `rule`, run one input with `data` in buffer b; returns the number of alerts. */
static int fires_len(const char *rule, enum detect_buf b, const void *data, size_t len)
{
	struct ruleset *rs = load(rule);
	struct detect_ctx *ctx = NULL;
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	set_buf(&in, b, data, len);
	in.pkt.dsize = (uint32_t)len;
	assert_true(detect_run(ctx, NULL, &in, on_alert, &h) >= 0);
	detect_ctx_free(ctx);
	ruleset_free(rs);
	return h.n;
}

static int fires(const char *rule, enum detect_buf b, const char *data)
{
	return fires_len(rule, b, data, strlen(data));
}

#define R(opts) "alert tcp any any -> any any (msg:\"t\"; " opts " sid:1;)"
#define PKT DETECT_BUF_PKT
#define URI DETECT_BUF_HTTP_URI

static void test_detect_content_and_nocase(void **state)
{
	assert_int_equal(fires(R("content:\"evil\";"), PKT, "an evil thing"), 1);
	assert_int_equal(fires(R("content:\"evil\";"), PKT, "an EVIL thing"), 0);
	assert_int_equal(fires(R("content:\"evil\"; nocase;"), PKT, "an EVIL thing"), 1);
	assert_int_equal(fires(R("content:\"|41 42|C\";"), PKT, "xxABCxx"), 1);
	assert_int_equal(fires(R("content:\"|41 42|C\";"), PKT, "xxABDxx"), 0);
	assert_int_equal(fires(R("content:\"a\\;b\";"), PKT, "a;b"), 1);
}

static void test_detect_depth_offset_boundaries(void **state)
{
	assert_int_equal(fires(R("content:\"abc\"; depth:3;"), PKT, "abcxx"), 1);
	assert_int_equal(fires(R("content:\"abc\"; depth:3;"), PKT, "xabc"), 0);
	assert_int_equal(fires(R("content:\"abc\"; depth:4;"), PKT, "xabc"), 1);
	/* depth counts from offset, as in Suricata. */
	assert_int_equal(fires(R("content:\"abc\"; offset:1; depth:3;"), PKT, "xabc"), 1);
	assert_int_equal(fires(R("content:\"abc\"; offset:1; depth:3;"), PKT, "xxabc"), 0);
	assert_int_equal(fires(R("content:\"abc\"; offset:2;"), PKT, "xabc"), 0);
	assert_int_equal(fires(R("content:\"abc\"; offset:2;"), PKT, "xxabc"), 1);
}

static void test_detect_distance_within_boundaries(void **state)
{
	assert_int_equal(fires(R("content:\"a\"; content:\"b\"; distance:1;"), PKT, "a_b"), 1);
	assert_int_equal(fires(R("content:\"a\"; content:\"b\"; distance:1;"), PKT, "ab"), 0);
	assert_int_equal(fires(R("content:\"a\"; content:\"b\"; within:1;"), PKT, "ab"), 1);
	assert_int_equal(fires(R("content:\"a\"; content:\"b\"; within:1;"), PKT, "a_b"), 0);
	/* within counts from the end of distance. */
	assert_int_equal(
		fires(R("content:\"a\"; content:\"b\"; distance:1; within:1;"), PKT, "a_b"), 1);
	assert_int_equal(
		fires(R("content:\"a\"; content:\"b\"; distance:1; within:1;"), PKT, "a__b"), 0);
	/* Negative distance looks back. */
	assert_int_equal(
		fires(R("content:\"xb\"; content:\"x\"; distance:-2; within:1;"), PKT, "xb"), 1);
}

static void test_detect_relative_backtracks(void **state)
{
	/* Suricata stops retrying once an element fails whose successor does not depend on
	 * its position: the second "|02|" is never tried (checked against Suricata 7.0.10). */
	assert_int_equal(fires_len(R("content:\"|02|\"; content:\"b\"; within:3; content:!\"B\"; "
				     "offset:2; depth:3; byte_test:1,&,31,0,relative;"),
				   PKT,
				   "\x01a:\x02"
				   "Ab\x00"
				   "B\x01\x02"
				   "b\x01",
				   12),
			 0);
	assert_int_equal(fires_len(R("content:\"|02|\"; content:\"b\"; within:3; "
				     "byte_test:1,&,31,0,relative;"),
				   PKT,
				   "\x01a:\x02"
				   "Ab\x00"
				   "B\x01\x02"
				   "b\x01",
				   12),
			 1);
	/* Suricata's derived limits: a plain negated content between "a" and a relative "d"
	 * still pushes "d" to offset 2 or later (checked against Suricata 7.0.10). */
	assert_int_equal(
		fires(R("content:\"a\"; content:!\"bc\"; content:\"d\"; distance:0;"), PKT, "ad"),
		0);
	assert_int_equal(
		fires(R("content:\"a\"; content:!\"bc\"; content:\"d\"; distance:0;"), PKT, "xxad"),
		1);
	/* The first "a" fails the within; the second one succeeds. */
	assert_int_equal(fires(R("content:\"a\"; content:\"b\"; within:1;"), PKT, "a_xab"), 1);
	assert_int_equal(fires(R("content:\"GET\"; content:\"/x\"; distance:1; within:2;"), PKT,
			       "GET /y GET /x"),
			 1);
}

static void test_detect_negation(void **state)
{
	assert_int_equal(fires(R("content:\"a\"; content:!\"evil\";"), PKT, "a good"), 1);
	assert_int_equal(fires(R("content:\"a\"; content:!\"evil\";"), PKT, "a evil"), 0);
	/* Relative negation: "evil" must not follow within 5 bytes. */
	assert_int_equal(fires(R("content:\"a\"; content:!\"evil\"; distance:0; within:5;"), PKT,
			       "a----------evil"),
			 1);
	assert_int_equal(
		fires(R("content:\"a\"; content:!\"evil\"; distance:0; within:5;"), PKT, "a evil"),
		0);
}

static void test_detect_startswith_endswith(void **state)
{
	assert_int_equal(fires(R("content:\"GET\"; startswith;"), PKT, "GET /"), 1);
	assert_int_equal(fires(R("content:\"GET\"; startswith;"), PKT, " GET /"), 0);
	assert_int_equal(fires(R("content:\".exe\"; endswith;"), PKT, "/a.exe"), 1);
	assert_int_equal(fires(R("content:\".exe\"; endswith;"), PKT, "/a.exe?x"), 0);
	assert_int_equal(fires(R("content:\"/\"; content:!\".exe\"; endswith;"), PKT, "/a.txt"), 1);
	/* "isdataat:!1,relative" right after a content is Suricata's endswith. */
	assert_int_equal(fires(R("content:\".exe\"; isdataat:!1,relative;"), PKT, "a.exe.exe"), 1);
	assert_int_equal(
		fires(R("content:\"a\"; content:!\"//b\"; isdataat:!1,relative;"), PKT, "a:xyz"),
		1);
}

static void test_detect_pcre_relative_and_flags(void **state)
{
	assert_int_equal(fires(R("content:\"foo\"; pcre:\"/^bar/R\";"), PKT, "foobar"), 1);
	assert_int_equal(fires(R("content:\"foo\"; pcre:\"/^bar/R\";"), PKT, "foo bar"), 0);
	assert_int_equal(fires(R("content:\"foo\"; pcre:\"/^bar/R\";"), PKT, "barfoo"), 0);
	assert_int_equal(fires(R("content:\"x\"; pcre:\"/a[0-9]+b/i\";"), PKT, "x A123B"), 1);
	assert_int_equal(fires(R("content:\"x\"; pcre:\"/a[0-9]+b/\";"), PKT, "x A123B"), 0);
	assert_int_equal(fires(R("content:\"x\"; pcre:!\"/evil/\";"), PKT, "x good"), 1);
	assert_int_equal(fires(R("content:\"x\"; pcre:!\"/evil/\";"), PKT, "x evil"), 0);
	/* Content after a relative pcre continues from the regex's end. */
	assert_int_equal(fires(R("content:\"k=\"; pcre:\"/\\d+/R\"; content:\"|3b|\"; within:1;"),
			       PKT, "k=123;"),
			 1);
}

static void test_detect_isdataat_bsize(void **state)
{
	assert_int_equal(fires(R("content:\"a\"; isdataat:2,relative;"), PKT, "abc"), 1);
	assert_int_equal(fires(R("content:\"a\"; isdataat:2,relative;"), PKT, "ab"), 0);
	assert_int_equal(fires(R("content:\"a\"; isdataat:!1,relative;"), PKT, "a"), 1);
	assert_int_equal(fires(R("content:\"a\"; isdataat:!1,relative;"), PKT, "ab"), 0);
	assert_int_equal(fires(R("http.uri; content:\"/a\"; bsize:2;"), URI, "/a"), 1);
	assert_int_equal(fires(R("http.uri; content:\"/a\"; bsize:2;"), URI, "/ab"), 0);
	assert_int_equal(fires(R("http.uri; content:\"/a\"; bsize:1<>4;"), URI, "/ab"), 1);
	assert_int_equal(fires(R("http.uri; content:\"/a\"; bsize:>3;"), URI, "/ab"), 0);
}

static void test_detect_byte_keywords(void **state)
{
	static const uint8_t pkt[] = { 'H', 0x00, 0x02, 'x', 'y', 'Z', 0x80 };

	assert_int_equal(
		fires_len(R("content:\"H\"; byte_test:2,=,2,0,relative;"), PKT, pkt, sizeof(pkt)),
		1);
	assert_int_equal(
		fires_len(R("content:\"H\"; byte_test:2,>,2,0,relative;"), PKT, pkt, sizeof(pkt)),
		0);
	assert_int_equal(fires_len(R("content:\"H\"; byte_test:2,=,512,0,relative,little;"), PKT,
				   pkt, sizeof(pkt)),
			 1);
	assert_int_equal(
		fires_len(R("content:\"Z\"; byte_test:1,&,128,0,relative;"), PKT, pkt, sizeof(pkt)),
		1);
	assert_int_equal(fires_len(R("content:\"Z\"; byte_test:1,!&,128,0,relative;"), PKT, pkt,
				   sizeof(pkt)),
			 0);
	/* Jump over the 2-byte length field and its 2 bytes of data, land on "Z". */
	assert_int_equal(fires_len(R("content:\"H\"; byte_jump:2,0,relative; content:\"Z\"; "
				     "within:1;"),
				   PKT, pkt, sizeof(pkt)),
			 1);
	assert_int_equal(fires_len(R("content:\"H\"; byte_extract:2,0,len,relative; "
				     "byte_test:1,=,len,0;"),
				   PKT, (const uint8_t[]){ 2, 'H', 0, 2 }, 4),
			 1);
	assert_int_equal(
		fires(R("content:\"n=\"; byte_test:3,>,100,0,relative,string,dec;"), PKT, "n=123"),
		1);
	assert_int_equal(
		fires(R("content:\"n=\"; byte_test:3,>,200,0,relative,string,dec;"), PKT, "n=123"),
		0);
}

static void test_detect_http_buffers_and_modifiers(void **state)
{
	const char *rule = "alert http any any -> any any (msg:\"m\"; flow:to_server; "
			   "content:\"/admin\"; http_uri; content:\"POST\"; http_method; sid:1;)";
	struct ruleset *rs = load(rule);
	struct detect_ctx *ctx = NULL;
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	set_buf(&in, DETECT_BUF_HTTP_URI, "/admin/x", 8);
	set_buf(&in, DETECT_BUF_HTTP_METHOD, "POST", 4);
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 1);
	set_buf(&in, DETECT_BUF_HTTP_METHOD, "GET", 3);
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 0);
	/* The method buffer absent: no match. */
	set_buf(&in, DETECT_BUF_HTTP_METHOD, NULL, 0);
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 0);
	/* The content in the payload is not the URI. */
	set_buf(&in, DETECT_BUF_HTTP_METHOD, "POST", 4);
	set_buf(&in, DETECT_BUF_HTTP_URI, "/", 1);
	set_buf(&in, DETECT_BUF_PKT, "/admin", 6);
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 0);
	detect_ctx_free(ctx);
	ruleset_free(rs);
	/* A relative keyword after a legacy modifier follows its content into the buffer. */
	assert_int_equal(fires("alert http any any -> any any (msg:\"r\"; content:\"/a\"; "
			       "http_uri; isdataat:!1,relative; sid:1;)",
			       URI, "/a"),
			 1);
	assert_int_equal(fires("alert http any any -> any any (msg:\"r\"; content:\"/a\"; "
			       "http_uri; pcre:\"/^b/R\"; sid:1;)",
			       URI, "/ab"),
			 1);
	assert_int_equal(fires("alert http any any -> any any (msg:\"u\"; uricontent:\"cmd.exe\"; "
			       "nocase; urilen:<20; sid:1;)",
			       URI, "/scripts/CMD.EXE"),
			 1);
	assert_int_equal(fires("alert http any any -> any any (msg:\"u\"; uricontent:\"cmd.exe\"; "
			       "nocase; urilen:<10; sid:1;)",
			       URI, "/scripts/CMD.EXE"),
			 0);
	assert_int_equal(fires("alert http any any -> any any (msg:\"u\"; http.uri; "
			       "pcre:\"/\\/x\\.php$/\"; sid:1;)",
			       URI, "/a/x.php"),
			 1);
	/* dotprefix: ".example.com" matches the host itself and its subdomains only. */
	assert_int_equal(fires("alert http any any -> any any (msg:\"d\"; http.host; dotprefix; "
			       "content:\".example.com\"; endswith; sid:1;)",
			       DETECT_BUF_HTTP_HOST, "example.com"),
			 1);
	assert_int_equal(fires("alert http any any -> any any (msg:\"d\"; http.host; dotprefix; "
			       "content:\".example.com\"; endswith; sid:1;)",
			       DETECT_BUF_HTTP_HOST, "www.example.com"),
			 1);
	assert_int_equal(fires("alert http any any -> any any (msg:\"d\"; http.host; dotprefix; "
			       "content:\".example.com\"; endswith; sid:1;)",
			       DETECT_BUF_HTTP_HOST, "badexample.com"),
			 0);
	assert_int_equal(fires("alert tcp any any -> any any (msg:\"u\"; content:\"GET\"; "
			       "pcre:\"/\\.php/U\"; sid:1;)",
			       PKT, "GET /x.php"),
			 0);
}

static void test_detect_header_addresses_ports_flow(void **state)
{
	assert_int_equal(fires("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"h\"; "
			       "flow:established,to_server; content:\"x\"; sid:1;)",
			       PKT, "x"),
			 1);
	/* The source is inside HOME_NET: a rule from EXTERNAL_NET does not fire. */
	assert_int_equal(fires("alert tcp $EXTERNAL_NET any -> any any (msg:\"h\"; content:\"x\"; "
			       "sid:1;)",
			       PKT, "x"),
			 0);
	assert_int_equal(
		fires("alert tcp any any -> any !80 (msg:\"h\"; content:\"x\"; sid:1;)", PKT, "x"),
		0);
	assert_int_equal(fires("alert tcp any any -> any [1:79,81:] (msg:\"h\"; content:\"x\"; "
			       "sid:1;)",
			       PKT, "x"),
			 0);
	assert_int_equal(fires("alert tcp any any <> 198.18.0.0/15 any (msg:\"h\"; content:\"x\"; "
			       "sid:1;)",
			       PKT, "x"),
			 1);
	assert_int_equal(fires("alert tcp any 80 <> any any (msg:\"bidir\"; content:\"x\"; sid:1;)",
			       PKT, "x"),
			 1);
	assert_int_equal(fires(R("flow:to_client; content:\"x\";"), PKT, "x"), 0);
	assert_int_equal(fires(R("flow:not_established; content:\"x\";"), PKT, "x"), 0);
	assert_int_equal(
		fires("alert udp any any -> any any (msg:\"u\"; content:\"x\"; sid:1;)", PKT, "x"),
		0);
	assert_int_equal(fires(R("dsize:1; content:\"x\";"), PKT, "x"), 1);
	assert_int_equal(fires(R("dsize:>1; content:\"x\";"), PKT, "x"), 0);
	/* Suricata 7: dsize:!N requires a payload; dsize:<N matches empty packets */
	assert_int_equal(fires(R("dsize:!9;"), PKT, "x"), 1);
	assert_int_equal(fires(R("dsize:!9;"), PKT, ""), 0);
	assert_int_equal(fires(R("dsize:<10;"), PKT, ""), 1);
	assert_int_equal(fires(R("ttl:64; content:\"x\";"), PKT, "x"), 1);
	assert_int_equal(fires(R("ttl:<10; content:\"x\";"), PKT, "x"), 0);
}

static void test_detect_stream_versus_packet_rules(void **state)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"stream\"; content:\"split\"; sid:1;)\n"
		"alert tcp-pkt any any -> any any (msg:\"pkt\"; content:\"split\"; sid:2;)\n"
		"alert tcp any any -> any any (msg:\"dsize\"; dsize:<10; content:\"split\"; "
		"sid:3;)\n"
		"alert tcp any any -> any any (msg:\"neg fp\"; content:!\"zzz\"; fast_pattern; "
		"content:\"spl\"; sid:4;)\n");
	struct detect_ctx *ctx = NULL;
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	/* The packet holds "it", the stream the whole pattern split across two segments. */
	set_buf(&in, PKT, "it", 2);
	set_buf(&in, DETECT_BUF_STREAM, "split", 5);
	in.pkt.dsize = 2;
	in.pkt.flags |= DETECT_PKT_STREAM;
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 2);
	/* Only the packet rules see a packet that holds the pattern. */
	set_buf(&in, PKT, "split", 5);
	set_buf(&in, DETECT_BUF_STREAM, "xx", 2);
	in.pkt.dsize = 5;
	h.n = 0;
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 2);
	assert_int_equal(h.last_sid, 3);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static void test_detect_stream_overlap_alerts_once(void **state)
{
	struct ruleset *rs = load("alert tcp any any -> any any (msg:\"s\"; content:\"attack\"; "
				  "sid:1;)\n");
	struct detect_ctx *ctx = NULL;
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	in.pkt.flags |= DETECT_PKT_STREAM;
	/* Chunk 1 ends inside the pattern: nothing yet. */
	set_buf(&in, DETECT_BUF_STREAM, "xxxxatt", 7);
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 0);
	/* Chunk 2 is passed with the 3-byte tail of chunk 1: the split pattern is found. */
	set_buf(&in, DETECT_BUF_STREAM, "attack yy", 9);
	in.stream_new_off = 3;
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 1);
	/* Chunk 3 re-reads the tail "ack yy" of chunk 2 only: no second alert. */
	set_buf(&in, DETECT_BUF_STREAM, "ack yyzz", 8);
	in.stream_new_off = 6;
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 0);
	/* A whole pattern in the old part and another in the new part: the new one counts. */
	set_buf(&in, DETECT_BUF_STREAM, "attack attack", 13);
	in.stream_new_off = 7;
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 1);
	/* A match ending exactly where the new data starts was seen before. */
	set_buf(&in, DETECT_BUF_STREAM, "attack zz", 9);
	in.stream_new_off = 6;
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 0);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static void test_detect_flowbits_across_packets(void **state)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"check\"; flowbits:isset,seen; content:\"B\"; "
		"sid:2;)\n"
		"alert tcp any any -> any any (msg:\"set\"; content:\"A\"; flowbits:set,seen; "
		"flowbits:noalert; sid:1;)\n");
	struct detect_ctx *ctx = NULL;
	struct detect_flow *f = detect_flow_new(), *other = detect_flow_new();
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	set_buf(&in, PKT, "B", 1);
	assert_int_equal(detect_run(ctx, f, &in, on_alert, &h), 0);
	set_buf(&in, PKT, "A", 1);
	assert_int_equal(detect_run(ctx, f, &in, on_alert, &h), 1);
	assert_true(h.noalert);
	set_buf(&in, PKT, "B", 1);
	assert_int_equal(detect_run(ctx, f, &in, on_alert, &h), 1);
	assert_int_equal(h.last_sid, 2);
	assert_false(h.noalert);
	/* Another flow has its own bits. */
	assert_int_equal(detect_run(ctx, other, &in, on_alert, &h), 0);
	/* Setter and checker in one input: setters run first. */
	set_buf(&in, PKT, "AB", 2);
	h.n = 0;
	assert_int_equal(detect_run(ctx, other, &in, on_alert, &h), 2);
	detect_flow_free(f);
	detect_flow_free(other);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static void test_detect_xbits_flowint_stream_size(void **state)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"set\"; content:\"A\"; xbits:set,seen,track "
		"ip_src,expire 10; noalert; sid:1;)\n"
		"alert tcp any any -> any any (msg:\"check\"; content:\"B\"; xbits:isset,seen,track "
		"ip_src; sid:2;)\n"
		"alert tcp any any -> any any (msg:\"small\"; content:\"C\"; "
		"stream_size:server,<,5; sid:3;)\n"
		"alert tcp any any -> any any (msg:\"count\"; content:\"D\"; flowint:n,+,1; "
		"noalert; sid:4;)\n"
		"alert tcp any any -> any any (msg:\"many\"; content:\"E\"; flowint:n,>=,3; sid:5;)\n");
	struct detect_ctx *ctx = NULL;
	struct detect_flow *f1 = detect_flow_new(), *f2 = detect_flow_new();
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	in.pkt.ts_usec = 1000000;
	set_buf(&in, PKT, "B", 1);
	assert_int_equal(detect_run(ctx, f1, &in, on_alert, &h), 0);
	set_buf(&in, PKT, "A", 1);
	assert_int_equal(detect_run(ctx, f1, &in, on_alert, &h), 1);
	/* The bit belongs to the source address, so another flow from it sees it... */
	set_buf(&in, PKT, "B", 1);
	in.pkt.sport = 40001;
	assert_int_equal(detect_run(ctx, f2, &in, on_alert, &h), 1);
	/* ...another source does not... */
	in.pkt.src[3] ^= 1;
	assert_int_equal(detect_run(ctx, f2, &in, on_alert, &h), 0);
	in.pkt.src[3] ^= 1;
	/* ...and it expires. */
	in.pkt.ts_usec += 11 * 1000000ull;
	assert_int_equal(detect_run(ctx, f2, &in, on_alert, &h), 0);
	detect_flow_free(f2);
	f2 = detect_flow_new();
	/* flowint: counted per flow; the check fires from the third hit on. */
	set_buf(&in, PKT, "D", 1);
	for (int i = 0; i < 4; i++)
		detect_run(ctx, f2, &in, on_alert, &h);
	set_buf(&in, PKT, "E", 1);
	h.n = 0;
	assert_int_equal(detect_run(ctx, f2, &in, on_alert, &h), 1);
	assert_int_equal(detect_run(ctx, f1, &in, on_alert, &h), 0);
	/* stream_size needs the session's byte counts. */
	set_buf(&in, PKT, "C", 1);
	assert_int_equal(detect_run(ctx, f1, &in, on_alert, &h), 0);
	in.pkt.flags |= DETECT_PKT_HAS_STREAM_SIZE;
	in.pkt.stream_bytes_toclient = 4;
	assert_int_equal(detect_run(ctx, f1, &in, on_alert, &h), 1);
	in.pkt.stream_bytes_toclient = 5;
	assert_int_equal(detect_run(ctx, f1, &in, on_alert, &h), 0);
	detect_flow_free(f1);
	detect_flow_free(f2);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static void test_detect_threshold_and_tx_dedup(void **state)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"t\"; content:\"x\"; threshold:type limit, "
		"track by_src, count 2, seconds 60; sid:1;)\n"
		"alert http any any -> any any (msg:\"u\"; http.uri; content:\"/a\"; sid:2;)\n");
	struct detect_ctx *ctx = NULL;
	struct detect_flow *f = detect_flow_new();
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	set_buf(&in, PKT, "x", 1);
	for (int i = 0; i < 5; i++) {
		in.pkt.ts_usec = (uint64_t)i * 1000000;
		detect_run(ctx, f, &in, on_alert, &h);
	}
	assert_int_equal(h.n, 2);
	in.pkt.ts_usec = 61ull * 1000000;
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 3);
	/* One alert per rule per transaction. */
	h.n = 0;
	set_buf(&in, PKT, NULL, 0);
	set_buf(&in, URI, "/a", 2);
	in.has_tx = true;
	in.tx_id = 0;
	detect_run(ctx, f, &in, on_alert, &h);
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 1);
	in.tx_id = 1;
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 2);
	/* pipelined: tx 0 inspected again when it completes, after tx 1's request */
	in.tx_id = 0;
	detect_run(ctx, f, &in, on_alert, &h);
	in.tx_id = 1;
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 2);
	/* many later transactions push the oldest out, never the current one */
	for (uint64_t t = 2; t < 200; t++) {
		in.tx_id = t;
		detect_run(ctx, f, &in, on_alert, &h);
		detect_run(ctx, f, &in, on_alert, &h);
	}
	assert_int_equal(h.n, 200);
	detect_flow_free(f);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static int on_alert_counted(void *user, const struct detect_input *in, const struct detect_alert *a)
{
	struct hits *h = user;

	(void)in;
	h->n += !a->noalert;
	return 0;
}

/* Two contexts (two live workers) over flows of the same host: with one shared host state
 * a by_src threshold counts the matches of both and an xbit set by one is seen by the
 * other; each with its own state, neither. */
static int shared_hosts_alerts(bool shared)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"scan\"; content:\"x\"; threshold:type "
		"threshold, track by_src, count 4, seconds 60; sid:1;)\n"
		"alert tcp any any -> any any (msg:\"set\"; content:\"s\"; xbits:set,seen,track "
		"ip_src; noalert; sid:2;)\n"
		"alert tcp any any -> any any (msg:\"is\"; content:\"i\"; xbits:isset,seen,track "
		"ip_src; sid:3;)\n");
	struct detect_ctx *a = NULL, *b = NULL;
	struct detect_flow *fa = detect_flow_new(), *fb = detect_flow_new();
	struct detect_hosts *hosts = NULL;
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &a), 0);
	assert_int_equal(detect_ctx_new(rs, &b), 0);
	if (shared) {
		assert_int_equal(detect_hosts_new(&hosts), 0);
		detect_ctx_set_hosts(a, hosts);
		detect_ctx_set_hosts(b, hosts);
	}
	input_init(&in);
	set_buf(&in, PKT, "x", 1);
	for (int i = 0; i < 4; i++) {
		in.pkt.ts_usec = (uint64_t)(i + 1) * 1000000;
		in.pkt.sport = (uint16_t)(40000 + i);
		detect_run(i % 2 ? b : a, i % 2 ? fb : fa, &in, on_alert_counted, &h);
	}
	set_buf(&in, PKT, "s", 1);
	detect_run(a, fa, &in, on_alert_counted, &h);
	set_buf(&in, PKT, "i", 1);
	detect_run(b, fb, &in, on_alert_counted, &h);
	detect_flow_free(fa);
	detect_flow_free(fb);
	detect_ctx_free(a);
	detect_ctx_free(b);
	detect_hosts_free(hosts);
	ruleset_free(rs);
	return h.n;
}

static void test_detect_hosts_shared_by_contexts(void **state)
{
	(void)state;
	assert_int_equal(shared_hosts_alerts(true), 2); /* sid 1 at the 4th match, sid 3 */
	assert_int_equal(shared_hosts_alerts(false), 0);
}

/* Transaction steps inspect transaction rules only; an http rule without HTTP buffers is a
 * packet rule for flows whose app_proto is http (Suricata's per-packet app-proto rule). */
static void test_detect_packet_vs_tx_rules(void **state)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"p\"; flow:to_server; sid:1;)\n"
		"alert http any any -> any any (msg:\"h\"; flow:to_server; sid:2;)\n"
		"alert http any any -> any any (msg:\"u\"; http.uri; content:\"/a\"; sid:3;)\n");
	struct detect_ctx *ctx = NULL;
	struct detect_flow *f = detect_flow_new();
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	in.pkt.app_proto = DETECT_APP_UNKNOWN;
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 1); /* sid 1 only: not http yet */
	in.pkt.app_proto = DETECT_APP_HTTP;
	detect_run(ctx, f, &in, on_alert, &h);
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 5); /* sids 1 and 2 per packet */
	h.n = 0;
	set_buf(&in, URI, "/a", 2);
	in.has_tx = true;
	detect_run(ctx, f, &in, on_alert, &h);
	assert_int_equal(h.n, 1); /* sid 3 only */
	detect_flow_free(f);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static void test_detect_ip_only_rules_by_address(void **state)
{
	/* The input goes 192.168.1.10 -> 198.18.0.1. */
	assert_int_equal(fires("alert ip [10.9.9.9,192.168.1.10] any -> any any (msg:\"rep\"; "
			       "sid:1;)",
			       PKT, "x"),
			 1);
	assert_int_equal(fires("alert ip [10.9.9.9,192.168.1.11] any -> any any (msg:\"rep\"; "
			       "sid:1;)",
			       PKT, "x"),
			 0);
	/* Listed as a destination only: the source side does not count... */
	assert_int_equal(
		fires("alert ip [198.18.0.1] any -> any any (msg:\"rep\"; sid:1;)", PKT, "x"), 0);
	/* ...unless the rule is bidirectional. */
	assert_int_equal(
		fires("alert ip [198.18.0.1] any <> any any (msg:\"rep\"; sid:1;)", PKT, "x"), 1);
	assert_int_equal(fires("alert tcp any any -> [198.18.0.0/15,10.0.0.0/8] 80 (msg:\"net\"; "
			       "flow:to_server; sid:1;)",
			       PKT, "x"),
			 1);
	assert_int_equal(fires("alert tcp any any -> [198.18.0.0/15,10.0.0.0/8] 81 (msg:\"net\"; "
			       "sid:1;)",
			       PKT, "x"),
			 0);
	assert_int_equal(
		fires("alert tcp $HOME_NET any -> any any (msg:\"home\"; sid:1;)", PKT, "x"), 1);
	assert_int_equal(
		fires("alert tcp !$HOME_NET any -> any any (msg:\"not home\"; sid:1;)", PKT, "x"),
		0);
}

/* With a flow, IP-only candidates come from a per-flow cache keyed by the addresses: a
 * packet with other addresses on the same flow state, or the other direction, gets its own
 * answer; more matching rules than the cache holds still all fire. */
static void test_detect_ip_only_flow_cache(void **state)
{
	char text[4096];
	size_t off = 0;
	struct ruleset *rs;
	struct detect_ctx *ctx = NULL;
	struct detect_flow *f = detect_flow_new();
	static const struct {
		const char *src, *dst;
		uint32_t dir;
		int n;
	} pk[] = {
		{ "192.168.1.10", "198.18.0.1", DETECT_PKT_TO_SERVER, 1 },
		{ "192.168.1.10", "198.18.0.1", DETECT_PKT_TO_SERVER, 1 },
		{ "198.18.0.1", "192.168.1.10", DETECT_PKT_TO_CLIENT, 0 },
		{ "192.168.1.11", "198.18.0.1", DETECT_PKT_TO_SERVER, 0 },
		{ "192.168.1.10", "198.18.0.1", DETECT_PKT_TO_SERVER, 1 },
		{ "198.18.0.2", "192.168.1.10", DETECT_PKT_TO_CLIENT, 12 },
		{ "198.18.0.2", "192.168.1.10", DETECT_PKT_TO_CLIENT, 12 },
		{ "198.18.0.1", "192.168.1.10", DETECT_PKT_TO_CLIENT, 0 },
	};

	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"alert ip [10.9.9.9,192.168.1.10] any -> any any (msg:\"r\"; "
				"sid:1;)\n");
	for (int i = 0; i < 12; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"alert ip 198.18.0.2 any -> any any (msg:\"m\"; sid:%d;)\n",
					10 + i);
	rs = load(text);
	assert_non_null(f);
	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		struct detect_input in;
		struct hits h = { 0 };

		input_init(&in);
		inet_pton(AF_INET, pk[i].src, in.pkt.src);
		inet_pton(AF_INET, pk[i].dst, in.pkt.dst);
		in.pkt.flags &= ~(uint32_t)DETECT_PKT_TO_SERVER;
		in.pkt.flags |= pk[i].dir;
		set_buf(&in, PKT, "x", 1);
		assert_true(detect_run(ctx, f, &in, on_alert, &h) >= 0);
		assert_int_equal(h.n, pk[i].n);
	}
	detect_flow_free(f);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

static int cache_run(const char *dir, struct ruleset_stats *st)
{
	struct ruleset_opts opts = { .cache_dir = dir };
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct detect_ctx *ctx = NULL;
	struct detect_input in;
	struct hits h = { 0 };

	assert_int_equal(ruleset_load_string("alert tcp any any -> any any (msg:\"c\"; "
					     "content:\"cached\"; sid:1;)\n"
					     "alert http any any -> any any (msg:\"u\"; http.uri; "
					     "content:\"/u\"; sid:2;)\n",
					     "c.rules", &opts, &rs, &d),
			 0);
	ruleset_get_stats(rs, st);
	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	set_buf(&in, PKT, "is cached", 9);
	set_buf(&in, URI, "/u", 2);
	detect_run(ctx, NULL, &in, on_alert, &h);
	detect_ctx_free(ctx);
	ruleset_free(rs);
	rule_diags_done(&d);
	return h.n;
}

static void test_detect_database_cache(void **state)
{
	char dir[] = "/tmp/moat-hscache-XXXXXX";
	struct ruleset_stats st;
	struct dirent *de;
	DIR *dh;
	char path[512];

	assert_non_null(mkdtemp(dir));
	/* four databases: pkt_data, its to_server and to_client subsets, http.uri */
	assert_int_equal(cache_run(dir, &st), 2);
	assert_int_equal(st.cache_misses, 4);
	assert_int_equal(st.cache_hits, 0);
	assert_int_equal(cache_run(dir, &st), 2);
	assert_int_equal(st.cache_hits, 4);
	assert_int_equal(st.cache_misses, 0);
	/* Corrupt files are counted and compiled afresh. */
	dh = opendir(dir);
	assert_non_null(dh);
	while ((de = readdir(dh))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "w");
		fputs("garbage", f);
		fclose(f);
	}
	closedir(dh);
	assert_int_equal(cache_run(dir, &st), 2);
	assert_int_equal(st.cache_errors, 4);
	assert_int_equal(st.cache_misses, 4);
	dh = opendir(dir);
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(dh);
	rmdir(dir);
}

static void test_detect_many_rules_share_patterns(void **state)
{
	char text[64 * 200];
	size_t off = 0;
	struct ruleset *rs;
	struct detect_ctx *ctx = NULL;
	struct detect_input in;
	struct hits h = { 0 };
	struct ruleset_stats st;

	for (int i = 0; i < 100; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"alert tcp any any -> any any (msg:\"r\"; content:\"p%d\"; "
					"sid:%d;)\n",
					i % 10, i + 1);
	rs = load(text);
	ruleset_get_stats(rs, &st);
	assert_int_equal(st.loaded, 100);
	assert_int_equal(st.fast_patterns, 10);
	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	input_init(&in);
	set_buf(&in, PKT, "xx p3 yy", 8);
	assert_int_equal(detect_run(ctx, NULL, &in, on_alert, &h), 10);
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

/* The pkt_data prefilter is split by direction: each rule still fires on the packets and
 * streams of the directions it allows, also with no direction known. */
static void test_detect_direction_subsets(void **state)
{
	struct ruleset *rs = load(
		"alert tcp any any -> any any (msg:\"s\"; flow:to_server; content:\"srv\"; sid:1;)\n"
		"alert tcp any any -> any any (msg:\"c\"; flow:to_client; content:\"cli\"; sid:2;)\n"
		"alert tcp any any -> any any (msg:\"b\"; content:\"both\"; sid:3;)\n"
		"alert tcp any any -> any any (msg:\"d\"; flow:to_client; content:\"cli\"; "
		"dsize:>3; sid:4;)\n");
	static const uint32_t dirs[3] = { DETECT_PKT_TO_SERVER, DETECT_PKT_TO_CLIENT, 0 };
	/* expected alerts per direction (to_server, to_client, none) and text */
	static const struct {
		const char *text;
		int n[3];
	} cases[] = {
		{ "x srv both cli", { 2, 3, 1 } },
		{ "cli", { 0, 1, 0 } },
		{ "srv", { 1, 0, 0 } },
	};
	struct detect_ctx *ctx = NULL;

	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int d = 0; d < 3; d++)
			for (int stream = 0; stream < 2; stream++) {
				struct detect_input in;
				struct hits h = { 0 };
				size_t len = strlen(cases[c].text);

				input_init(&in);
				in.pkt.flags &= ~(uint32_t)DETECT_PKT_TO_SERVER;
				in.pkt.flags |= dirs[d];
				in.pkt.dsize = (uint32_t)len;
				set_buf(&in, PKT, cases[c].text, len);
				if (stream) {
					in.pkt.flags |= DETECT_PKT_STREAM;
					set_buf(&in, DETECT_BUF_STREAM, cases[c].text, len);
				}
				assert_true(detect_run(ctx, NULL, &in, on_alert, &h) >= 0);
				assert_int_equal(h.n, cases[c].n[d]);
			}
	detect_ctx_free(ctx);
	ruleset_free(rs);
}

struct sid_log {
	uint32_t sids[4096];
	int n;
};

static int log_sid(void *user, const struct detect_input *in, const struct detect_alert *a)
{
	struct sid_log *l = user;

	if (l->n < (int)(sizeof(l->sids) / sizeof(l->sids[0])))
		l->sids[l->n++] = a->rule->sid;
	return 0;
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* A port expression of the port group test and what it admits: any of up to two ranges (none:
 * every port), never port neg (-1: no negation). */
struct pexpr {
	const char *text;
	int nr;
	uint16_t r[2][2];
	int neg;
};

static const struct pexpr pexprs[] = {
	{ "any", 0, { { 0, 0 } }, -1 },
	{ "80", 1, { { 80, 80 } }, -1 },
	{ "443", 1, { { 443, 443 } }, -1 },
	{ "3389", 1, { { 3389, 3389 } }, -1 },
	{ "1024:", 1, { { 1024, 65535 } }, -1 },
	{ ":1023", 1, { { 0, 1023 } }, -1 },
	{ "[8000:8100]", 1, { { 8000, 8100 } }, -1 },
	{ "!80", 0, { { 0, 0 } }, 80 },
	{ "[80,443]", 2, { { 80, 80 }, { 443, 443 } }, -1 },
	{ "[1:65535,!443]", 1, { { 1, 65535 } }, 443 },
	{ "[79:81,3389]", 2, { { 79, 81 }, { 3389, 3389 } }, -1 },
};

static bool pexpr_match(const struct pexpr *e, uint16_t port)
{
	bool in = e->nr == 0;

	for (int i = 0; i < e->nr; i++)
		in |= port >= e->r[i][0] && port <= e->r[i][1];
	return in && (int)port != e->neg;
}

struct pg_rule {
	int proto, flow, sp, dp, dsize; /* indexes into pg_protos, pg_flows, pexprs, pg_dsizes */
	bool bidir;
};

static const char *const pg_protos[] = { "tcp", "udp", "ip" };
static const char *const pg_flows[] = { "", "flow:to_server;", "flow:to_client;" };
/* packet-only rules by dsize, small payloads only (< PKT_SMALL_DSIZE) or not */
static const char *const pg_dsizes[] = { "", "dsize:>0;", "dsize:<100;", "dsize:<=800;" };

/* Whether R's header admits a packet (UDP when udp, else TCP) of direction DIR (flags) and
 * payload size DSIZE. */
static bool pg_admits(const struct pg_rule *r, bool udp, uint32_t dir, uint16_t sport,
		      uint16_t dport, size_t dsize)
{
	const struct pexpr *sp = &pexprs[r->sp], *dp = &pexprs[r->dp];
	bool fwd = pexpr_match(sp, sport) && pexpr_match(dp, dport);
	bool rev = r->bidir && pexpr_match(sp, dport) && pexpr_match(dp, sport);

	if ((r->proto == 0 && udp) || (r->proto == 1 && !udp))
		return false;
	if (r->flow && dir != (r->flow == 1 ? DETECT_PKT_TO_SERVER : DETECT_PKT_TO_CLIENT))
		return false;
	if ((r->dsize == 2 && dsize >= 100) || (r->dsize == 3 && dsize > 800))
		return false;
	return fwd || rev;
}

/*
 * Port groups (per protocol, direction and server port, see ruleset_int.h) never lose an
 * alert: random rules (tcp/udp/ip, ->/<>, flow direction, packet-only, port expressions,
 * packet-only by dsize, fast patterns shared or not, short or not) against packets of both
 * protocols, every direction, with and without stream data, small and large, on ports at
 * and around the groups' bounds, compared with what their headers admit.
 */
static void test_detect_port_groups(void **state)
{
	enum { NR = 240 };
	static const char *const pats[] = { "hit", "|11|", "ab", "longer pattern here" };
	static const uint16_t ports[] = { 0, 1, 79, 80, 81, 443, 1023, 1024, 3389, 8050, 65535 };
	enum { NP = sizeof(ports) / sizeof(ports[0]) };
	static const uint32_t dirs[3] = { DETECT_PKT_TO_SERVER, DETECT_PKT_TO_CLIENT, 0 };
	static char payload[1000] = "xx hit \x11 ab longer pattern here xx", sbuf[1003];
	struct pg_rule rl[NR];
	size_t cap = NR * 160, len = 0;
	char *text = malloc(cap);
	uint32_t seed = 7;
	struct ruleset *rs;
	struct detect_ctx *ctx = NULL;
	struct ruleset_stats st;

	assert_non_null(text);
	for (int i = 0; i < NR; i++) {
		int np = (int)(sizeof(pexprs) / sizeof(pexprs[0]));
		struct pg_rule *r = &rl[i];

		r->proto = (int)(lcg(&seed) % 3);
		r->flow = (int)(lcg(&seed) % 3);
		r->bidir = lcg(&seed) % 4 == 0;
		r->dsize = r->proto == 2 ? 0 : (int)(lcg(&seed) % 4);
		/* ip rules take no ports */
		r->sp = r->proto == 2 || lcg(&seed) % 2 ? 0 : (int)(lcg(&seed) % np);
		r->dp = r->proto == 2 ? 0 : (int)(lcg(&seed) % np);
		len += (size_t)snprintf(
			text + len, cap - len,
			"alert %s any %s %s any %s (msg:\"r\"; %s %s content:\"%s\"; "
			"sid:%d;)\n",
			pg_protos[r->proto], pexprs[r->sp].text, r->bidir ? "<>" : "->",
			pexprs[r->dp].text, pg_flows[r->flow], pg_dsizes[r->dsize],
			pats[lcg(&seed) % 4], i + 1);
		assert_true(len < cap);
	}
	rs = load(text);
	ruleset_get_stats(rs, &st);
	assert_int_equal(st.loaded, NR);
	assert_true(st.port_groups > 2);
	assert_int_equal(detect_ctx_new(rs, &ctx), 0);
	/* (udp, direction, stream: none / other bytes / "old" + the packet's, payload size,
	 * source port, destination port) */
	for (int c = 0; c < 2 * 3 * 3 * 2 * NP * NP; c++) {
		bool udp = c % 2;
		int stream = c / 6 % 3;
		size_t plen = c / 18 % 2 ? sizeof(payload) : 40;
		uint32_t dir = dirs[c / 2 % 3];
		uint16_t sport = ports[c / 36 % NP], dport = ports[c / 36 / NP];
		struct detect_input in;
		struct sid_log got = { .n = 0 };
		bool seen[NR] = { false };
		int want = 0;

		if (udp && stream)
			continue;
		input_init(&in);
		in.pkt.ip_proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		in.pkt.flags = dir | DETECT_PKT_ESTABLISHED | (udp ? 0 : DETECT_PKT_HAS_TCP);
		in.pkt.sport = sport;
		in.pkt.dport = dport;
		in.pkt.dsize = (uint32_t)plen;
		set_buf(&in, PKT, payload, plen);
		in.pkt.flags |= stream ? DETECT_PKT_STREAM : 0;
		/* other bytes: the stream holds none of the patterns, only packet-only rules
		 * (dsize), which inspect the packet, may alert; the packet's bytes after 3
		 * inspected ones: every rule may */
		if (stream == 1) {
			memset(sbuf, 'n', plen + 3);
			set_buf(&in, DETECT_BUF_STREAM, sbuf, plen + 3);
		}
		if (stream == 2) {
			memcpy(sbuf, "old", 3);
			memcpy(sbuf + 3, payload, plen);
			set_buf(&in, DETECT_BUF_STREAM, sbuf, plen + 3);
			in.stream_new_off = 3;
		}
		assert_true(detect_run(ctx, NULL, &in, log_sid, &got) >= 0);
		for (int k = 0; k < got.n; k++)
			seen[got.sids[k] - 1] = true;
		for (int i = 0; i < NR; i++) {
			const struct pg_rule *r = &rl[i];
			bool ok = pg_admits(r, udp, dir, sport, dport, plen) &&
				  (stream != 1 || r->dsize);

			if (ok != seen[i])
				fail_msg(
					"sid %d (%s %s %s %s %s %s): %s dir %u stream %d dsize %zu "
					"ports %u -> %u: alerted %d, header admits %d",
					i + 1, pg_protos[r->proto], pexprs[r->sp].text,
					r->bidir ? "<>" : "->", pexprs[r->dp].text,
					pg_flows[r->flow], pg_dsizes[r->dsize], udp ? "udp" : "tcp",
					dir, stream, plen, sport, dport, seen[i], ok);
			want += ok;
		}
		assert_int_equal(got.n, want);
	}
	detect_ctx_free(ctx);
	ruleset_free(rs);
	free(text);
}

/*
 * A tracked stream (stream_tracked: only the new bytes scanned, the kept bytes' fast
 * patterns remembered per flow) alerts exactly as the same inputs untracked (whole buffer
 * scanned), chunk by chunk: fast pattern in the kept bytes and the rest in new data,
 * patterns split across chunks, a fast pattern longer than the overlap, packet-only rules
 * beside stream rules, a carry overflowing, and a stream offset that does not continue
 * (scanned whole again).
 */
static void test_detect_stream_tracked_same_alerts(void **state)
{
	static const char *const tokens[] = {
		"attack", "GET",  "zz",
		"q",	  "w",	  "x",
		" ",	  "k",	  "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
		"ab",	  "ABCD", "k",
		"k",	  "k",	  "k"
	};
	char text[32768];
	size_t off = 0;
	struct ruleset *rs;
	struct detect_ctx *ctx[2] = { NULL, NULL };
	struct detect_flow *fl[2];
	struct detect_ctx_stats st[2];
	static char stream[24000];
	size_t slen = 0, pos = 0;
	uint32_t seed = 7;
	uint64_t abs = 0;
	uint8_t buf[2][1300];
	uint32_t kinds = 0;
	size_t blen[2] = { 0, 0 };
	int chunks = 0, alerts = 0;

	off += (size_t)snprintf(
		text + off, sizeof(text) - off,
		"alert tcp any any -> any any (msg:\"a\"; content:\"attack\"; sid:1;)\n"
		"alert tcp any any -> any any (msg:\"b\"; content:\"GET\"; "
		"content:\"zz\"; distance:0; sid:2;)\n"
		"alert tcp any any -> any any (msg:\"c\"; "
		"content:\"abcdefghijklmnopqrstuvwxyz0123456789ABCD\"; sid:3;)\n"
		"alert tcp any any -> any any (msg:\"d\"; content:\"q\"; "
		"content:\"w\"; distance:0; within:20; sid:4;)\n"
		"alert tcp-pkt any any -> any any (msg:\"e\"; content:\"attack\"; "
		"sid:5;)\n"
		"alert tcp any any -> any any (msg:\"f\"; content:\"GET\"; "
		"dsize:>10; sid:6;)\n");
	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(
			text + off, sizeof(text) - off,
			"alert tcp any any -> any any (msg:\"k\"; content:\"k%c%c\"; "
			"sid:%d;)\n",
			'a' + i / 10, '0' + i % 10, 100 + i);
	rs = load(text);
	while (slen < sizeof(stream) - 64) {
		uint32_t r = lcg(&seed);
		const char *t = tokens[r % (sizeof(tokens) / sizeof(tokens[0]))];

		memcpy(stream + slen, t, strlen(t));
		slen += strlen(t);
		if (!strcmp(t, "k")) {
			stream[slen++] = (char)('a' + lcg(&seed) % 4);
			stream[slen++] = (char)('0' + lcg(&seed) % 10);
		}
	}
	for (int k = 0; k < 2; k++) {
		assert_int_equal(detect_ctx_new(rs, &ctx[k]), 0);
		fl[k] = detect_flow_new();
		assert_non_null(fl[k]);
	}
	while (pos < slen) {
		/* mostly packet-sized chunks; every 10th large enough to overflow the carry */
		size_t n = chunks % 10 == 9 ? 1000 : 1 + lcg(&seed) % 300, keep;
		struct sid_log lg[2] = { 0 };

		n = n > slen - pos ? slen - pos : n;
		chunks++;
		for (int k = 0; k < 2; k++) {
			struct detect_input in;

			memcpy(buf[k] + blen[k], stream + pos, n);
			input_init(&in);
			in.pkt.flags |= DETECT_PKT_STREAM;
			in.pkt.dsize = (uint32_t)n;
			set_buf(&in, PKT, stream + pos, n);
			set_buf(&in, DETECT_BUF_STREAM, buf[k], blen[k] + n);
			in.stream_new_off = blen[k];
			keep = blen[k] + n < 256 ? blen[k] + n : 256;
			if (k == 1) {
				in.stream_tracked = true;
				in.stream_abs = abs;
				in.stream_keep = keep;
				/* now and then an offset that does not continue the last one */
				if (chunks % 37 == 0)
					in.stream_abs += 5;
			}
			assert_true(detect_run(ctx[k], fl[k], &in, log_sid, &lg[k]) >= 0);
			if (k == 1)
				abs = in.stream_abs + blen[k] + n - keep;
			memmove(buf[k], buf[k] + blen[k] + n - keep, keep);
			blen[k] = keep;
		}
		assert_int_equal(lg[1].n, lg[0].n);
		for (int i = 0; i < lg[0].n; i++) {
			assert_int_equal(lg[1].sids[i], lg[0].sids[i]);
			kinds |= 1u << (lg[0].sids[i] < 100 ? lg[0].sids[i] : 0);
		}
		alerts += lg[0].n;
		pos += n;
	}
	for (int k = 0; k < 2; k++) {
		detect_ctx_get_stats(ctx[k], &st[k]);
		detect_flow_free(fl[k]);
		detect_ctx_free(ctx[k]);
	}
	/* the comparison meant something: alerts of every kind, fewer bytes scanned tracked,
	 * and the carry overflowed at least once */
	assert_true(alerts > 200);
	assert_int_equal(kinds, 0x7f);
	assert_true(st[1].stream_scan_bytes < st[0].stream_scan_bytes * 3 / 4);
	assert_true(st[1].carry_overflows > 0);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_content_and_nocase),
		cmocka_unit_test(test_detect_depth_offset_boundaries),
		cmocka_unit_test(test_detect_distance_within_boundaries),
		cmocka_unit_test(test_detect_relative_backtracks),
		cmocka_unit_test(test_detect_negation),
		cmocka_unit_test(test_detect_startswith_endswith),
		cmocka_unit_test(test_detect_pcre_relative_and_flags),
		cmocka_unit_test(test_detect_isdataat_bsize),
		cmocka_unit_test(test_detect_byte_keywords),
		cmocka_unit_test(test_detect_http_buffers_and_modifiers),
		cmocka_unit_test(test_detect_header_addresses_ports_flow),
		cmocka_unit_test(test_detect_stream_versus_packet_rules),
		cmocka_unit_test(test_detect_stream_overlap_alerts_once),
		cmocka_unit_test(test_detect_flowbits_across_packets),
		cmocka_unit_test(test_detect_xbits_flowint_stream_size),
		cmocka_unit_test(test_detect_threshold_and_tx_dedup),
		cmocka_unit_test(test_detect_hosts_shared_by_contexts),
		cmocka_unit_test(test_detect_packet_vs_tx_rules),
		cmocka_unit_test(test_detect_ip_only_rules_by_address),
		cmocka_unit_test(test_detect_ip_only_flow_cache),
		cmocka_unit_test(test_detect_database_cache),
		cmocka_unit_test(test_detect_many_rules_share_patterns),
		cmocka_unit_test(test_detect_direction_subsets),
		cmocka_unit_test(test_detect_stream_tracked_same_alerts),
		cmocka_unit_test(test_detect_port_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
