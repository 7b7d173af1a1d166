// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: ET Open parse time, parse + compile time and peak memory of moat's rule loader,
 * beside Suricata 7 loading the same rules (`suricata -T`) in the same run when it is
 * installed. Each measurement runs in a fresh child process (peak RSS is per process);
 * the median of the runs is reported. Prints one JSON object.
 * Usage: rules_load [ET_OPEN_DIR] [RUNS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rules.h"

#include "bench_util.h"

#define MAX_RUNS 9

struct sample {
	double secs;
	long rss_kb;
	size_t loaded;
};

/* Run moat's loader in a child; the child reports its count through the exit pipe. */
static int run_moat(const char *dir, bool compile, const char *cache, struct sample *ret)
{
	int fds[2];
	struct rusage ru;
	double t0;
	pid_t pid;
	int status;

	if (pipe(fds) < 0)
		return -errno;
	t0 = bench_now();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct ruleset_opts opts = { .no_compile = !compile, .cache_dir = cache };
		struct rule_diags diags = { 0 };
		struct ruleset *rs = NULL;
		struct ruleset_stats st = { 0 };
		int r = ruleset_load((const char *const[]){ dir }, 1, &opts, &rs, &diags);

		if (r == 0)
			ruleset_get_stats(rs, &st);
		if (write(fds[1], &st.loaded, sizeof(st.loaded)) != sizeof(st.loaded))
			_exit(2);
		_exit(r == 0 ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], &ret->loaded, sizeof(ret->loaded)) != sizeof(ret->loaded))
		ret->loaded = 0;
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -errno;
	ret->secs = bench_now() - t0;
	ret->rss_kb = ru.ru_maxrss;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int run_suricata(const char *rules, const char *classification, const char *logdir,
			struct sample *ret)
{
	char set[4400];
	char *argv[] = { (char *)"suricata", (char *)"-T", (char *)"-S",
			 (char *)rules,	     (char *)"-l", (char *)logdir,
			 (char *)"--set",    set,	   NULL };
	struct bench_run run;
	int r;

	snprintf(set, sizeof(set), "classification-file=%s", classification);
	r = bench_run_child(argv, false, &run);
	ret->secs = run.secs;
	ret->rss_kb = run.rss_kib;
	ret->loaded = 0;
	return r;
}

static int cmp_sample(const void *a, const void *b)
{
	double x = ((const struct sample *)a)->secs, y = ((const struct sample *)b)->secs;

	return x < y ? -1 : x > y;
}

static struct sample median(struct sample *s, int n)
{
	qsort(s, (size_t)n, sizeof(*s), cmp_sample);
	return s[n / 2];
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/et-open";
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	struct sample parse[MAX_RUNS], full[MAX_RUNS], suri[MAX_RUNS], cold[MAX_RUNS],
		warm[MAX_RUNS];
	struct sample mp, mf, mc, mw, ms = { 0 };
	char tmpl[4096], rules[4200], classification[4200];
	bool suri_ok = false;
	const char *suri_note = "suricata not installed";

	if (runs < 1 || runs > MAX_RUNS)
		runs = 3;
	for (int i = 0; i < runs; i++) {
		char cache[4096];

		if (bench_mkdtemp("moat-bench-cache", cache, sizeof(cache)) < 0 ||
		    run_moat(dir, false, NULL, &parse[i]) < 0 ||
		    run_moat(dir, true, NULL, &full[i]) < 0 ||
		    run_moat(dir, true, cache, &cold[i]) < 0 ||
		    run_moat(dir, true, cache, &warm[i]) < 0) {
			fprintf(stderr, "rules_load: loading %s failed\n", dir);
			return 1;
		}
		bench_rm_rf(cache);
	}
	mp = median(parse, runs);
	mf = median(full, runs);
	mc = median(cold, runs);
	mw = median(warm, runs);
	if (bench_have_program("suricata") &&
	    bench_mkdtemp("moat-bench", tmpl, sizeof(tmpl)) == 0) {
		snprintf(rules, sizeof(rules), "%s/all.rules", tmpl);
		snprintf(classification, sizeof(classification), "%s/classification.config", dir);
		if (bench_concat_rules(dir, rules) == 0) {
			suri_ok = true;
			for (int i = 0; i < runs && suri_ok; i++)
				suri_ok = run_suricata(rules, classification, tmpl, &suri[i]) == 0;
			if (suri_ok)
				ms = median(suri, runs);
			else
				suri_note = "suricata -T failed";
			unlink(rules);
		}
		bench_rm_rf(tmpl);
	}
	printf("{\"bench\":\"rules_load\",\"rules_dir\":\"%s\",\"runs\":%d,", dir, runs);
	printf("\"moat\":{\"rules_loaded\":%zu,\"parse_s\":%.3f,\"parse_peak_rss_mb\":%.1f,"
	       "\"parse_compile_s\":%.3f,\"parse_compile_peak_rss_mb\":%.1f,"
	       "\"cache_cold_s\":%.3f,\"cache_warm_s\":%.3f,\"cache_warm_peak_rss_mb\":%.1f},",
	       mf.loaded, mp.secs, (double)mp.rss_kb / 1024, mf.secs, (double)mf.rss_kb / 1024,
	       mc.secs, mw.secs, (double)mw.rss_kb / 1024);
	if (suri_ok)
		printf("\"baseline_suricata\":{\"command\":\"suricata -T -S all.rules\",\"load_s\":%.3f,"
		       "\"peak_rss_mb\":%.1f},\"speedup_vs_suricata\":%.2f}\n",
		       ms.secs, (double)ms.rss_kb / 1024, ms.secs / mf.secs);
	else
		printf("\"baseline_suricata\":null,\"baseline_note\":\"%s\"}\n", suri_note);
	return 0;
}
