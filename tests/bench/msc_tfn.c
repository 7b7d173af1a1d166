// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: cost of the CRS's transformation chains in moat (rules/msc_transform) beside
 * libmodsecurity 3 in the same run. Inputs are the query parameter values and header values
 * of the CRS request corpus. For moat: msc_tfn_chain_apply() of every chain on every value.
 * For ModSecurity, whose transformations have no API of their own: transactions carrying the
 * values as headers (VALUES_PER_TX each) through rules with the chains ("@unconditionalMatch",
 * nolog), minus the same transactions through as many t:none rules, so what remains is its
 * transformation cost. The three measurements alternate SAMPLES times; each keeps its fastest.
 * Reports ns per value and chain for both and the ratio; prints one JSON object (~1 min).
 * Usage: msc_tfn CRS_CORPUS_DIR [ROUNDS]
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
#include <time.h>

#include "rules/msc_transform.h"

#define MAX_VALUES 8192
#define VALUES_PER_TX 8
/*
 * ModSecurity gets REPEAT copies of each chain's rule (distinct ids; v3 has no transformation
 * cache across rules), so its transformation time stands out of its per-transaction cost;
 * moat applies each chain REPEAT times too. Results are per single chain application.
 */
#define REPEAT 8
#define SAMPLES 5

/* Chains as the CRS writes them (after t:none), most used first. */
static const char *const chains[] = {
	"t:urlDecodeUni",
	"t:urlDecodeUni,t:lowercase",
	"t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cssDecode,t:removeNulls",
	"t:urlDecodeUni,t:cmdLine",
	"t:urlDecodeUni,t:normalizePathWin",
	"t:urlDecodeUni,t:htmlEntityDecode,t:lowercase,t:removeWhitespace",
	"t:urlDecodeUni,t:replaceComments",
	"t:lowercase,t:sha1,t:hexEncode",
};
#define N_CHAINS (sizeof(chains) / sizeof(chains[0]))

struct value {
	char *p;
	size_t len;
};
static struct value values[MAX_VALUES];
static size_t n_values;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_value(const char *p, size_t len)
{
	/* header values must be NUL-free text for ModSecurity's connector API here */
	if (n_values >= MAX_VALUES || len == 0 || len > 2048 || memchr(p, 0, len))
		return;
	char *c = malloc(len);
	if (!c)
		exit(2);
	memcpy(c, p, len);
	values[n_values++] = (struct value){ c, len };
}

static void load(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		exit(2);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 6, ".jsonl") != 0 ||
		    strncmp(de->d_name, "REQUEST-", 8) != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			exit(2);
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0) {
			json_t *j = json_loads(line, 0, NULL);
			if (!j)
				continue;
			const char *uri = json_string_value(json_object_get(j, "uri"));
			const char *q = uri ? strchr(uri, '?') : NULL;
			while (q) {
				const char *v = strchr(q + 1, '=');
				const char *amp = strchr(q + 1, '&');
				if (v && (!amp || v < amp))
					add_value(v + 1,
						  amp ? (size_t)(amp - v - 1) : strlen(v + 1));
				q = amp;
			}
			size_t i;
			json_t *h;
			json_array_foreach(json_object_get(j, "headers"), i, h)
			{
				const char *v = json_string_value(json_array_get(h, 1));
				if (v)
					add_value(v, strlen(v));
			}
			json_decref(j);
		}
		free(line);
		fclose(f);
	}
	closedir(d);
}

/* Parse "t:a,t:b" into enum values. */
static size_t parse_chain(const char *s, enum msc_tfn *out)
{
	size_t n = 0;
	while (*s) {
		if (strncmp(s, "t:", 2) != 0)
			exit(2);
		s += 2;
		size_t l = strcspn(s, ",");
		int t = msc_tfn_lookup(s, l);
		if (t < 0)
			exit(2);
		out[n++] = (enum msc_tfn)t;
		s += l;
		if (*s == ',')
			s++;
	}
	return n;
}

static double bench_moat(int rounds, size_t *bytes)
{
	enum msc_tfn parsed[N_CHAINS][8];
	size_t plen[N_CHAINS];
	for (size_t c = 0; c < N_CHAINS; c++)
		plen[c] = parse_chain(chains[c], parsed[c]);
	struct msc_buf scratch[2] = { { 0 } };
	volatile size_t sink = 0;
	*bytes = 0;
	double t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n_values; i++)
			for (size_t c = 0; c < N_CHAINS; c++)
				for (int k = 0; k < REPEAT; k++) {
					const uint8_t *res;
					size_t res_len;
					if (msc_tfn_chain_apply(parsed[c], plen[c],
								(const uint8_t *)values[i].p,
								values[i].len, scratch, &res,
								&res_len) < 0)
						exit(2);
					sink += res_len;
					*bytes += values[i].len;
				}
	double t = now() - t0;
	msc_buf_done(&scratch[0]);
	msc_buf_done(&scratch[1]);
	return t;
}

/* Time ModSecurity transactions over all values, VALUES_PER_TX headers each. */
static double bench_modsec(ModSecurity *ms, RulesSet *rs, int rounds)
{
	double t0 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n_values; i += VALUES_PER_TX) {
			Transaction *tx = msc_new_transaction(ms, rs, NULL);
			msc_process_connection(tx, "198.18.0.1", 40000, "198.18.0.2", 80);
			msc_process_uri(tx, "/", "GET", "1.1");
			for (size_t k = i; k < i + VALUES_PER_TX && k < n_values; k++) {
				char name[16];
				snprintf(name, sizeof(name), "X-%zu", k - i);
				msc_add_n_request_header(
					tx, (const unsigned char *)name, strlen(name),
					(const unsigned char *)values[k].p, values[k].len);
			}
			msc_process_request_headers(tx);
			msc_transaction_cleanup(tx);
		}
	return now() - t0;
}

static RulesSet *modsec_rules(bool with_chains)
{
	RulesSet *rs = msc_create_rules_set();
	static char conf[65536];
	size_t off = (size_t)snprintf(conf, sizeof(conf), "SecRuleEngine DetectionOnly\n");
	for (size_t c = 0; c < N_CHAINS; c++)
		for (int k = 0; k < REPEAT; k++)
			off += (size_t)snprintf(conf + off, sizeof(conf) - off,
						"SecRule REQUEST_HEADERS \"@unconditionalMatch\" "
						"\"id:%zu,phase:1,pass,nolog,t:none%s%s\"\n",
						c * REPEAT + (size_t)k + 1, with_chains ? "," : "",
						with_chains ? chains[c] : "");
	if (off >= sizeof(conf))
		exit(2);
	const char *err = NULL;
	if (msc_rules_add(rs, conf, &err) < 0) {
		fprintf(stderr, "libmodsecurity: %s\n", err);
		exit(2);
	}
	return rs;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CRS_CORPUS_DIR [ROUNDS]\n", argv[0]);
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	if (rounds < 1)
		rounds = 1;
	load(argv[1]);
	if (n_values == 0) {
		fprintf(stderr, "no values in %s\n", argv[1]);
		return 2;
	}

	size_t bytes;
	double t_moat = 1e30, t_with = 1e30, t_without = 1e30;

	ModSecurity *ms = msc_init();
	RulesSet *with = modsec_rules(true), *without = modsec_rules(false);
	(void)bench_modsec(ms, with, 1); /* warm-up */
	/* alternate the three measurements and keep each one's fastest sample */
	for (int s = 0; s < SAMPLES; s++) {
		double t = bench_moat(rounds, &bytes);
		t_moat = t < t_moat ? t : t_moat;
		t = bench_modsec(ms, with, rounds);
		t_with = t < t_with ? t : t_with;
		t = bench_modsec(ms, without, rounds);
		t_without = t < t_without ? t : t_without;
	}
	double per = (double)n_values * N_CHAINS * rounds * REPEAT;
	double moat_ns = t_moat / per * 1e9;
	double modsec_ns = (t_with - t_without) / per * 1e9;

	printf("{\"bench\":\"msc_tfn\",\"values\":%zu,\"chains\":%zu,\"repeat\":%d,"
	       "\"rounds\":%d,"
	       "\"moat\":{\"ns_per_value_chain\":%.1f,\"mb_per_s\":%.1f},"
	       "\"baseline_modsecurity\":{\"version\":\"%s\",\"ns_per_value_chain\":%.1f,"
	       "\"tx_with_chains_s\":%.3f,\"tx_with_t_none_s\":%.3f},"
	       "\"speedup\":%.1f}\n",
	       n_values, N_CHAINS, REPEAT, rounds, moat_ns, (double)bytes / t_moat / 1e6,
	       msc_who_am_i(ms), modsec_ns, t_with, t_without,
	       moat_ns > 0 ? modsec_ns / moat_ns : 0.0);
	msc_rules_cleanup(with);
	msc_rules_cleanup(without);
	msc_cleanup(ms);
	for (size_t i = 0; i < n_values; i++)
		free(values[i].p);
	return 0;
}
