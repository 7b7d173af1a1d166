// SPDX-License-Identifier: GPL-2.0-only
/*
 * ET Open load report (corpus suite): loads every ET Open file, prints counts per skip
 * reason and the share of in-scope rules (protocol ip/tcp/udp/icmp/http/tcp-pkt/tcp-stream)
 * that load; fails below 99%, or when a rule is neither loaded nor reported.
 * Usage: rules_etopen ET_OPEN_DIR
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rules.h"

struct reason {
	char *text;
	size_t n;
};

static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->text, y->text);
}

/* Count active rules per protocol group by reading the files (independently of the loader). */
static void count_active(const char *dir, size_t *in_scope, size_t *total)
{
	static const char *const scope[] = { "ip",   "tcp",	"udp",	     "icmp",
					     "http", "tcp-pkt", "tcp-stream" };
	DIR *d = opendir(dir);
	struct dirent *de;

	*in_scope = *total = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[4096], line[1 << 16];
		size_t l = strlen(de->d_name);
		FILE *f;

		if (l < 6 || strcmp(de->d_name + l - 6, ".rules") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char action[16], proto[32];

			if (sscanf(line, "%15s %31s", action, proto) != 2 || action[0] == '#')
				continue;
			if (strcmp(action, "alert") && strcmp(action, "drop") &&
			    strcmp(action, "pass") && strcmp(action, "reject"))
				continue;
			(*total)++;
			for (size_t i = 0; i < sizeof(scope) / sizeof(scope[0]); i++)
				if (strcmp(proto, scope[i]) == 0)
					(*in_scope)++;
		}
		fclose(f);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/et-open";
	struct ruleset_opts opts = { 0 };
	struct rule_diags diags = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st;
	struct reason *reasons = NULL;
	size_t n_reasons = 0, in_scope, total, unsup_in_scope = 0, invalid_in_scope = 0;
	struct timespec t0, t1;
	double pct;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ruleset_load((const char *const[]){ dir }, 1, &opts, &rs, &diags);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r < 0) {
		fprintf(stderr, "rules_etopen: loading %s failed: %s\n", dir, strerror(-r));
		for (size_t i = 0; i < diags.n && i < 20; i++)
			fprintf(stderr, "%s:%u: %s\n", diags.v[i].file, diags.v[i].line,
				diags.v[i].message);
		return 1;
	}
	ruleset_get_stats(rs, &st);
	count_active(dir, &in_scope, &total);
	reasons = calloc(diags.n + 1, sizeof(*reasons));
	for (size_t i = 0; i < diags.n; i++) {
		const struct rule_diag *d = &diags.v[i];
		char key[300];
		size_t k;

		if (d->kind == RULE_DIAG_NOTE)
			continue;
		snprintf(key, sizeof(key), "%s: %s",
			 d->kind == RULE_DIAG_UNSUPPORTED ? "unsupported" : "invalid", d->message);
		/* Protocol skips are out of scope; everything else counts against the bar. */
		if (d->kind != RULE_DIAG_UNSUPPORTED ||
		    strncmp(d->message, "protocol \"", 10) != 0) {
			if (d->kind == RULE_DIAG_UNSUPPORTED)
				unsup_in_scope++;
			else
				invalid_in_scope++;
			if (d->kind == RULE_DIAG_INVALID)
				printf("invalid: %s:%u: sid %u: %s\n", d->file, d->line, d->sid,
				       d->message);
		}
		for (k = 0; k < n_reasons; k++)
			if (strcmp(reasons[k].text, key) == 0)
				break;
		if (k == n_reasons) {
			reasons[k].text = strdup(key);
			n_reasons++;
		}
		reasons[k].n++;
	}
	qsort(reasons, n_reasons, sizeof(*reasons), cmp_reason);
	printf("skip reasons:\n");
	for (size_t k = 0; k < n_reasons; k++) {
		printf("  %6zu  %s\n", reasons[k].n, reasons[k].text);
		free(reasons[k].text);
	}
	free(reasons);
	pct = in_scope ? 100.0 * (double)(in_scope - unsup_in_scope - invalid_in_scope) /
				 (double)in_scope :
			 0;
	printf("rules: %zu loaded, %zu skipped (unsupported), %zu invalid\n", st.loaded,
	       st.unsupported, st.invalid);
	printf("active rules: %zu, in scope: %zu, in scope and loaded: %.2f%% "
	       "(%zu unsupported keyword, %zu invalid)\n",
	       total, in_scope, pct, unsup_in_scope, invalid_in_scope);
	printf("fast patterns: %zu, always-evaluated rules: %zu, ip-only indexed rules: %zu, "
	       "load+compile: %.2f s\n",
	       st.fast_patterns, st.always, st.ip_only,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	r = 0;
	if (st.loaded + st.unsupported + st.invalid != total) {
		printf("FAIL: %zu active rules but %zu accounted for\n", total,
		       st.loaded + st.unsupported + st.invalid);
		r = 1;
	}
	if (pct < 99.0) {
		printf("FAIL: in-scope load rate %.2f%% is below 99%%\n", pct);
		r = 1;
	}
	ruleset_free(rs);
	rule_diags_done(&diags);
	return r;
}
