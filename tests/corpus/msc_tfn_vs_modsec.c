// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of rules/msc_transform and rules/msc_ops against the real libmodsecurity
 * (Debian's 3.0.9, the engine the CRS expectations were recorded with). Inputs: the values of
 * the CRS request corpus (URIs, query and body parameters raw and split, header values) plus
 * generated hostile strings. Each input goes into a transaction as the value of header X-T;
 * one rule per transformation exposes sha1(hex) of the transformed value through logdata
 * (logdata is cut at ~200 bytes, a digest is not), one rule per operator logs when it matches.
 * Every disagreement is printed; the exit status is 1 if there is any.
 *
 * usage: msc_tfn_vs_modsec CRS_CORPUS_DIR [MAX_LINES_PER_FILE]
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/msc_ops.h"
#include "rules/msc_transform.h"

#define MAX_INPUTS 20000
#define MAX_INPUT_LEN 4096
#define GENERATED 4000

/* Operator rules get ids from OP_ID_BASE; transformation T gets id T + 1. */
#define OP_ID_BASE 1000
enum { OP_URLENC, OP_UTF8, OP_RANGE1, OP_RANGE2, OP_RANGE3, OP_IP, OP_COUNT_ };
static const char *const op_text[OP_COUNT_] = {
	"@validateUrlEncoding",
	"@validateUtf8Encoding",
	"@validateByteRange 1-255",
	"@validateByteRange 32-126,9,10,13",
	"@validateByteRange 38,44-46,48-58,61,65-90,95,97-122",
	"@ipMatch 127.0.0.1,::1,198.18.0.0/15,fd00:6d6f:6174::/48,10.1.0.0/16",
};

struct input {
	uint8_t *p;
	size_t len;
};

static struct input inputs[MAX_INPUTS];
static size_t n_inputs;

/* What the log callback saw for the current transaction. */
static char seen_digest[MSC_TFN_COUNT_][64];
static bool seen_op[OP_COUNT_];

static void add_input(const void *p, size_t len)
{
	if (n_inputs >= MAX_INPUTS || len > MAX_INPUT_LEN)
		return;
	for (size_t i = 0; i < n_inputs; i++)
		if (inputs[i].len == len && memcmp(inputs[i].p, p, len) == 0)
			return;
	uint8_t *c = malloc(len + 1);
	if (!c)
		abort();
	memcpy(c, p, len);
	inputs[n_inputs++] = (struct input){ c, len };
}

/* Add S and its '&'-separated parameters, each with its name and value apart. */
static void add_params(const char *s, size_t len)
{
	add_input(s, len);
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (eq) {
			add_input(p, (size_t)(eq - p));
			add_input(eq + 1, (size_t)(e - eq - 1));
		} else {
			add_input(p, (size_t)(e - p));
		}
		p = e + 1;
	}
}

static void load_jsonl(const char *path, int max_lines)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	struct msc_buf body = { 0 };
	while (getline(&line, &cap, f) > 0 && lineno < max_lines) {
		lineno++;
		json_error_t jerr;
		json_t *j = json_loads(line, 0, &jerr);
		if (!j) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, jerr.text);
			exit(2);
		}
		const char *uri = json_string_value(json_object_get(j, "uri"));
		if (uri) {
			const char *q = strchr(uri, '?');
			add_input(uri, q ? (size_t)(q - uri) : strlen(uri));
			if (q)
				add_params(q + 1, strlen(q + 1));
		}
		size_t i;
		json_t *h;
		json_array_foreach(json_object_get(j, "headers"), i, h)
		{
			const char *v = json_string_value(json_array_get(h, 1));
			if (v)
				add_input(v, strlen(v));
		}
		const char *b64 = json_string_value(json_object_get(j, "body_b64"));
		if (b64 && *b64 &&
		    msc_tfn_apply(MSC_TFN_BASE64_DECODE_EXT, (const uint8_t *)b64, strlen(b64),
				  &body) == 0)
			add_params((const char *)body.p, body.len);
		json_decref(j);
	}
	msc_buf_done(&body);
	free(line);
	fclose(f);
}

/* Deterministic generator (xorshift) of strings dense in the decoders' special bytes. */
static uint64_t rng = 0x6d6f6174;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void add_generated(void)
{
	static const char *const atoms[] = {
		"%",
		"%u",
		"%U",
		"u",
		"+",
		"\\",
		"\\u",
		"\\x",
		"x",
		"X",
		"0",
		"1",
		"3",
		"4",
		"7",
		"8",
		"9",
		"a",
		"A",
		"f",
		"F",
		"ff",
		"FF",
		"g",
		"z",
		"&",
		"#",
		";",
		"&#",
		"&#x",
		"&lt",
		"&amp;",
		"&nbsp",
		"&quot;",
		"&gt",
		"&apos;",
		"/",
		".",
		"..",
		"./",
		"../",
		"//",
		"*",
		"/*",
		"*/",
		"-",
		"--",
		"<!--",
		"-->",
		"<",
		"!",
		">",
		"\"",
		"'",
		"^",
		",",
		" ",
		"  ",
		"\t",
		"\n",
		"\r",
		"\v",
		"\f",
		"\r\n",
		"\xa0",
		"\xc3",
		"\xa9",
		"\xc3\xa9",
		"\xc0\x80",
		"\xe2\x82\xac",
		"\xe0\x80\xaf",
		"\xed\xa0\x80",
		"\xf0\x9f\x98\x80",
		"\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80",
		"\x80",
		"\xbf",
		"\xfe",
		"\xff",
		"=",
		"==",
		"YWJj",
		"QQ",
		"0x",
		"0X",
		"0x41",
		"=\"",
		"41",
		"4142",
		"ff21",
		"ff5e",
		"00",
		"(",
		")",
		"e",
		"B",
		"Z",
		"q",
		"?",
	};
	for (int n = 0; n < GENERATED; n++) {
		char buf[256];
		size_t len = 0;
		int parts = 1 + (int)(rnd() % 12);
		for (int k = 0; k < parts; k++) {
			const char *a;
			size_t al;
			static char raw;
			if (rnd() % 8 == 0) {
				raw = (char)(n % 4 == 0 ? rnd() :
							  0); /* a NUL or, often, any byte */
				a = &raw;
				al = 1;
			} else {
				a = atoms[rnd() % (sizeof(atoms) / sizeof(atoms[0]))];
				al = strlen(a);
			}
			if (len + al > sizeof(buf))
				break;
			memcpy(buf + len, a, al);
			len += al;
		}
		add_input(buf, len);
	}
}

/* The last occurrence of NEEDLE in S. */
static const char *last_strstr(const char *s, const char *needle)
{
	const char *last = NULL;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		last = p;
	return last;
}

/*
 * The message quotes the matched value before the rule's fields, so a value holding
 * '[id "' must not be taken for them: the fields are the last occurrences.
 */
static void log_cb(void *data, const void *msg)
{
	const char *s = msg;
	const char *idp = last_strstr(s, "[id \"");
	if (!idp)
		return;
	int id = atoi(idp + 5);
	if (id >= OP_ID_BASE && id < OP_ID_BASE + OP_COUNT_) {
		seen_op[id - OP_ID_BASE] = true;
		return;
	}
	if (id < 1 || id > MSC_TFN_COUNT_)
		return;
	const char *d = last_strstr(s, "[data \"");
	if (!d)
		return;
	d += 7;
	size_t n = strspn(d, "0123456789abcdef");
	snprintf(seen_digest[id - 1], sizeof(seen_digest[0]), "%.*s", (int)n, d);
}

/* Holds F4 90-BF, the lead of a code point above U+10FFFF. */
static bool above_10ffff(const struct input *in)
{
	for (size_t i = 0; i + 1 < in->len; i++)
		if (in->p[i] == 0xf4 && in->p[i + 1] >= 0x90 && in->p[i + 1] <= 0xbf)
			return true;
	return false;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

static void print_escaped(const uint8_t *p, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n && i < 160; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	printf(n > 160 ? "\"..." : "\"");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CRS_CORPUS_DIR [MAX_LINES_PER_FILE]\n", argv[0]);
		return 2;
	}
	int max_lines = argc > 2 ? atoi(argv[2]) : 1000000;

	DIR *dir = opendir(argv[1]);
	if (!dir) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		if (l > 6 && strcmp(de->d_name + l - 6, ".jsonl") == 0) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
			load_jsonl(path, max_lines);
		}
	}
	closedir(dir);
	size_t n_corpus = n_inputs;
	static const char *const edge[] = { "",	  "%", "%u", "%u00", "\\",     "&",
					    "&#", "/", ".",  "..",   "[id \"", "[data \"1" };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		add_input(edge[i], strlen(edge[i]));
	add_generated();

	ModSecurity *ms = msc_init();
	msc_set_log_cb(ms, log_cb);
	RulesSet *rs = msc_create_rules_set();
	size_t cap = 65536, off = 0;
	char *conf = malloc(cap);
	off += (size_t)snprintf(conf + off, cap - off, "SecRuleEngine DetectionOnly\n");
	for (int t = 0; t < MSC_TFN_COUNT_; t++)
		off += (size_t)snprintf(conf + off, cap - off,
					"SecRule REQUEST_HEADERS:X-T \"@unconditionalMatch\" "
					"\"id:%d,phase:1,pass,log,t:none,t:%s,t:sha1,t:hexEncode,"
					"logdata:'%%{MATCHED_VAR}'\"\n",
					t + 1, msc_tfn_name((enum msc_tfn)t));
	for (int o = 0; o < OP_COUNT_; o++)
		off += (size_t)snprintf(conf + off, cap - off,
					"SecRule REQUEST_HEADERS:X-T \"%s\" "
					"\"id:%d,phase:1,pass,log,t:none\"\n",
					op_text[o], OP_ID_BASE + o);
	const char *err = NULL;
	if (msc_rules_add(rs, conf, &err) < 0) {
		fprintf(stderr, "libmodsecurity refused the rules: %s\n", err);
		return 2;
	}
	free(conf);

	struct msc_byte_range ranges[3];
	struct msc_ipset *ips = NULL;
	char perr[256];
	for (int o = OP_RANGE1; o <= OP_RANGE3; o++)
		if (msc_byte_range_parse(strchr(op_text[o], ' ') + 1, &ranges[o - OP_RANGE1], perr,
					 sizeof(perr)) < 0) {
			fprintf(stderr, "%s\n", perr);
			return 2;
		}
	if (msc_ipset_parse(strchr(op_text[OP_IP], ' ') + 1, &ips, perr, sizeof(perr)) < 0) {
		fprintf(stderr, "%s\n", perr);
		return 2;
	}
	/* A few addresses for @ipMatch beside whatever the corpus holds. */
	static const char *const addrs[] = {
		"127.0.0.1",  "::1",	  "198.19.255.255",   "198.20.0.0", "fd00:6d6f:6174:1::5",
		"10.1.255.1", "10.2.0.1", "::ffff:127.0.0.1", "1.2.3",	    "127.0.0.1 "
	};
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		add_input(addrs[i], strlen(addrs[i]));
	/* and generated ones on both sides of each prefix's edges */
	for (int i = 0; i < 400; i++) {
		char a[64];
		uint32_t r = rnd();
		switch (i % 4) {
		case 0:
			snprintf(a, sizeof(a), "198.%u.%u.%u", 16 + r % 6, (r >> 8) & 255,
				 (r >> 16) & 255);
			break;
		case 1:
			snprintf(a, sizeof(a), "10.%u.%u.%u", r % 3, (r >> 8) & 255,
				 (r >> 16) & 255);
			break;
		case 2:
			snprintf(a, sizeof(a), "fd00:6d6f:%x::%x", 0x6173 + r % 3,
				 (r >> 8) & 0xffff);
			break;
		default:
			snprintf(a, sizeof(a), "%s%x:%x", r & 1 ? "::" : "::ffff:", (r >> 1) & 3,
				 (r >> 4) & 0xffff);
			break;
		}
		add_input(a, strlen(a));
	}

	unsigned long compared = 0, bad = 0, bad_by_tfn[MSC_TFN_COUNT_] = { 0 },
		      bad_by_op[OP_COUNT_] = { 0 }, skipped_utf8 = 0;
	unsigned long op_matches[OP_COUNT_] = { 0 };
	struct msc_buf out = { 0 };
	for (size_t i = 0; i < n_inputs; i++) {
		const struct input *in = &inputs[i];
		memset(seen_digest, 0, sizeof(seen_digest));
		memset(seen_op, 0, sizeof(seen_op));
		Transaction *tx = msc_new_transaction(ms, rs, NULL);
		msc_process_connection(tx, "198.18.0.1", 40000, "198.18.0.2", 80);
		msc_process_uri(tx, "/", "GET", "1.1");
		msc_add_n_request_header(tx, (const unsigned char *)"X-T", 3, in->p, in->len);
		msc_process_request_headers(tx);
		msc_transaction_cleanup(tx);

		for (int t = 0; t < MSC_TFN_COUNT_; t++) {
			if (msc_tfn_apply((enum msc_tfn)t, in->p, in->len, &out) < 0)
				abort();
			uint8_t dg[20];
			struct msc_buf dgb = { 0 };
			if (msc_tfn_apply(MSC_TFN_SHA1, out.p, out.len, &dgb) < 0)
				abort();
			memcpy(dg, dgb.p, 20);
			msc_buf_done(&dgb);
			char ours[41];
			hex(dg, 20, ours);
			compared++;
			if (strcmp(ours, seen_digest[t]) == 0)
				continue;
			bad++;
			if (bad_by_tfn[t]++ < 8) {
				printf("MISMATCH t:%s input ", msc_tfn_name((enum msc_tfn)t));
				print_escaped(in->p, in->len);
				printf(" ours ");
				print_escaped(out.p, out.len);
				printf(" (len %zu, sha1 %s) modsec sha1 %s\n", out.len, ours,
				       seen_digest[t][0] ? seen_digest[t] : "(no log)");
			}
		}
		bool ours_op[OP_COUNT_] = {
			msc_op_validate_url_encoding(in->p, in->len),
			msc_op_validate_utf8(in->p, in->len),
			msc_op_validate_byte_range(&ranges[0], in->p, in->len),
			msc_op_validate_byte_range(&ranges[1], in->p, in->len),
			msc_op_validate_byte_range(&ranges[2], in->p, in->len),
			msc_ipset_match(ips, in->p, in->len),
		};
		for (int o = 0; o < OP_COUNT_; o++) {
			op_matches[o] += seen_op[o];
			/* Deliberate difference: 3.0.9 accepts F4 90-BF (above U+10FFFF). */
			if (o == OP_UTF8 && ours_op[o] && !seen_op[o] && above_10ffff(in)) {
				skipped_utf8++;
				continue;
			}
			compared++;
			if (ours_op[o] == seen_op[o])
				continue;
			bad++;
			if (bad_by_op[o]++ < 8) {
				printf("MISMATCH %s input ", op_text[o]);
				print_escaped(in->p, in->len);
				printf(" ours %d modsec %d\n", ours_op[o], seen_op[o]);
			}
		}
	}
	msc_buf_done(&out);
	for (int t = 0; t < MSC_TFN_COUNT_; t++)
		if (bad_by_tfn[t])
			printf("t:%s: %lu mismatches\n", msc_tfn_name((enum msc_tfn)t),
			       bad_by_tfn[t]);
	for (int o = 0; o < OP_COUNT_; o++)
		printf("%s: matched %lu of %zu inputs in ModSecurity, %lu mismatches\n", op_text[o],
		       op_matches[o], n_inputs, bad_by_op[o]);
	printf("%zu inputs (%zu from the corpus), %lu comparisons, %lu mismatches, %lu utf8 "
	       "inputs above U+10FFFF left out (deliberate)\n",
	       n_inputs, n_corpus, compared, bad, skipped_utf8);
	msc_ipset_free(ips);
	for (size_t i = 0; i < n_inputs; i++)
		free(inputs[i].p);
	msc_rules_cleanup(rs);
	msc_cleanup(ms);
	return bad ? 1 : 0;
}
