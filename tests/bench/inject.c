// SPDX-License-Identifier: GPL-2.0-only
/*
 * inject: throughput of @detectSQLi and @detectXSS (rules/msc_inject_*.c) on real values,
 * beside two baselines over the same bytes in the same run: a memchr pass (the floor of any
 * byte scan) and a Hyperscan block scan of two case-insensitive regexes (what a @rx rule
 * costs). Prints one JSON object.
 *
 * Values: the query arguments (URL-decoded), cookie values, User-Agent and Referer of
 * CORPUS/crs/benign.jsonl ("benign") and of the CRS REQUEST-941/942 attack files plus their
 * urlencoded bodies ("attacks").
 *
 * Usage: inject CORPUS_DIR [ROUNDS]   (best of ROUNDS timed passes, default 5)
 */
#include <errno.h>
#include <hs/hs.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "msc_inject.h"

struct vals {
	uint8_t **v;
	size_t *len;
	size_t n, cap, bytes;
};

static int vals_add(struct vals *vs, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 1024;
		uint8_t **v = realloc(vs->v, cap * sizeof(*v));
		size_t *len;

		if (!v)
			return -ENOMEM;
		vs->v = v;
		len = realloc(vs->len, cap * sizeof(*len));
		if (!len)
			return -ENOMEM;
		vs->len = len;
		vs->cap = cap;
	}
	vs->v[vs->n] = malloc(n);
	if (!vs->v[vs->n])
		return -ENOMEM;
	memcpy(vs->v[vs->n], p, n);
	vs->len[vs->n++] = n;
	vs->bytes += n;
	return 0;
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* URL-decode p[0..n) in place (%XX, '+'); returns the new length. */
static size_t url_decode(uint8_t *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && hexv(p[i + 1]) >= 0 && hexv(p[i + 2]) >= 0) {
			p[o++] = (uint8_t)(hexv(p[i + 1]) << 4 | hexv(p[i + 2]));
			i += 2;
		} else {
			p[o++] = p[i] == '+' ? ' ' : p[i];
		}
	}
	return o;
}

/* Add the decoded values (and names) of an a=b&c=d string. */
static int add_args(struct vals *vs, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t e = i, eq;
		uint8_t *tmp;
		int r;

		while (e < n && s[e] != '&')
			e++;
		tmp = malloc(e - i + 1);
		if (!tmp)
			return -ENOMEM;
		memcpy(tmp, s + i, e - i);
		for (eq = 0; eq < e - i && tmp[eq] != '='; eq++)
			;
		r = vals_add(vs, tmp, url_decode(tmp, eq));
		if (r == 0 && eq < e - i)
			r = vals_add(vs, tmp + eq + 1, url_decode(tmp + eq + 1, e - i - eq - 1));
		free(tmp);
		if (r < 0)
			return r;
		i = e + 1;
	}
	return 0;
}

static size_t b64_decode(const char *in, uint8_t *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (; *in && *in != '='; in++) {
		const char *c = strchr(tab, *in);

		if (!c)
			continue;
		acc = acc << 6 | (uint32_t)(c - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static int load(const char *path, struct vals *vs, bool bodies)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int r = 0;

	if (!f)
		return -errno;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err), *h;
		const char *uri, *q, *body;
		size_t idx;

		lineno++;
		if (!o) {
			fprintf(stderr, "%s:%lu: %s\n", path, lineno, err.text);
			r = -EINVAL;
			break;
		}
		uri = json_string_value(json_object_get(o, "uri"));
		q = uri ? strchr(uri, '?') : NULL;
		if (q)
			r = add_args(vs, q + 1, strlen(q + 1));
		json_array_foreach(json_object_get(o, "headers"), idx, h)
		{
			const char *k = json_string_value(json_array_get(h, 0));
			const char *v = json_string_value(json_array_get(h, 1));

			if (!k || !v || r < 0)
				continue;
			if (!strcasecmp(k, "user-agent") || !strcasecmp(k, "referer"))
				r = vals_add(vs, (const uint8_t *)v, strlen(v));
			else if (!strcasecmp(k, "cookie"))
				for (const char *c = v; *c && r == 0;) {
					const char *e = strchr(c, ';'), *eq;
					size_t l = e ? (size_t)(e - c) : strlen(c);

					eq = memchr(c, '=', l);
					if (eq)
						r = vals_add(vs, (const uint8_t *)eq + 1,
							     l - (size_t)(eq + 1 - c));
					c += l;
					while (*c == ';' || *c == ' ')
						c++;
				}
		}
		body = json_string_value(json_object_get(o, "body_b64"));
		if (bodies && body && *body && r == 0) {
			uint8_t *b = malloc(strlen(body));

			if (!b) {
				r = -ENOMEM;
			} else {
				r = add_args(vs, (const char *)b, b64_decode(body, b));
				free(b);
			}
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	return r;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(size_t *)ctx)++;
	return 0;
}

struct figures {
	double sqli, xss, mem, hs;
	size_t sqli_hits, xss_hits;
};

static int measure(const struct vals *vs, int rounds, hs_database_t *db, hs_scratch_t *scr,
		   struct figures *fg)
{
	double mb = (double)vs->bytes / 1e6;

	memset(fg, 0, sizeof(*fg));
	for (int r = 0; r < rounds; r++) {
		size_t hits = 0, mhits = 0, hsh = 0;
		double t;

		t = now();
		for (size_t i = 0; i < vs->n; i++)
			hits += msc_detect_sqli(vs->v[i], vs->len[i], NULL);
		t = now() - t;
		if (mb / t > fg->sqli)
			fg->sqli = mb / t;
		fg->sqli_hits = hits;

		hits = 0;
		t = now();
		for (size_t i = 0; i < vs->n; i++)
			hits += msc_detect_xss(vs->v[i], vs->len[i]);
		t = now() - t;
		if (mb / t > fg->xss)
			fg->xss = mb / t;
		fg->xss_hits = hits;

		t = now();
		for (size_t i = 0; i < vs->n; i++)
			mhits += memchr(vs->v[i], '\'', vs->len[i]) != NULL;
		t = now() - t;
		if (mb / t > fg->mem)
			fg->mem = mb / t;

		t = now();
		for (size_t i = 0; i < vs->n; i++)
			if (hs_scan(db, (const char *)vs->v[i], (unsigned int)vs->len[i], 0, scr,
				    on_match, &hsh) != HS_SUCCESS)
				return -EIO;
		t = now() - t;
		if (mb / t > fg->hs)
			fg->hs = mb / t;
		/* keep the baselines' results alive */
		if (mhits + hsh == SIZE_MAX)
			fprintf(stderr, "unreachable\n");
	}
	return 0;
}

static void print_set(const char *name, const struct vals *vs, const struct figures *fg, bool last)
{
	printf("  \"%s\": {\"values\": %zu, \"bytes\": %zu, \"sqli_MBps\": %.1f, "
	       "\"xss_MBps\": %.1f, \"sqli_hits\": %zu, \"xss_hits\": %zu, "
	       "\"baseline_memchr_MBps\": %.1f, \"baseline_hyperscan_2rx_MBps\": %.1f, "
	       "\"sqli_vs_hyperscan\": %.2f, \"xss_vs_hyperscan\": %.2f}%s\n",
	       name, vs->n, vs->bytes, fg->sqli, fg->xss, fg->sqli_hits, fg->xss_hits, fg->mem,
	       fg->hs, fg->sqli / fg->hs, fg->xss / fg->hs, last ? "" : ",");
}

int main(int argc, char **argv)
{
	static const char *const files[] = {
		"REQUEST-941-APPLICATION-ATTACK-XSS.jsonl",
		"REQUEST-942-APPLICATION-ATTACK-SQLI.jsonl",
	};
	const char *pats[] = { "union\\s+(all\\s+)?select", "<script[\\s>/]" };
	unsigned int pflags[] = { HS_FLAG_CASELESS, HS_FLAG_CASELESS };
	unsigned int ids[] = { 1, 2 };
	struct vals benign = { 0 }, attacks = { 0 };
	struct figures fb, fa;
	hs_database_t *db = NULL;
	hs_scratch_t *scr = NULL;
	hs_compile_error_t *cerr = NULL;
	char path[4096];
	int rounds = 5, r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ROUNDS]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		rounds = atoi(argv[2]) > 0 ? atoi(argv[2]) : 5;
	snprintf(path, sizeof(path), "%s/crs/benign.jsonl", argv[1]);
	r = load(path, &benign, false);
	for (size_t i = 0; r == 0 && i < 2; i++) {
		snprintf(path, sizeof(path), "%s/crs/%s", argv[1], files[i]);
		r = load(path, &attacks, true);
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return 1;
	}
	if (hs_compile_multi(pats, pflags, ids, 2, HS_MODE_BLOCK, NULL, &db, &cerr) != HS_SUCCESS ||
	    hs_alloc_scratch(db, &scr) != HS_SUCCESS) {
		fprintf(stderr, "hyperscan: %s\n", cerr ? cerr->message : "scratch");
		return 1;
	}
	if (measure(&benign, rounds, db, scr, &fb) < 0 ||
	    measure(&attacks, rounds, db, scr, &fa) < 0) {
		fprintf(stderr, "hs_scan failed\n");
		return 1;
	}
	printf("{\n  \"bench\": \"inject\", \"rounds\": %d, \"max_inspect\": %d,\n", rounds,
	       MSC_INJECT_MAX_INSPECT);
	print_set("benign", &benign, &fb, false);
	print_set("attacks", &attacks, &fa, true);
	printf("}\n");
	hs_free_scratch(scr);
	hs_free_database(db);
	for (size_t i = 0; i < benign.n; i++)
		free(benign.v[i]);
	for (size_t i = 0; i < attacks.n; i++)
		free(attacks.v[i]);
	free(benign.v);
	free(benign.len);
	free(attacks.v);
	free(attacks.len);
	return 0;
}
