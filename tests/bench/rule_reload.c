// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: what a rule reload costs the daemon's main loop. Loads ET Open (plus an empty
 * watched rules directory) through policyd/ruledir, then drops a rule file into the directory
 * and runs a loop like moatd's (poll on the ruledir fd with a 1 ms tick) until the new ruleset
 * is installed. Reports the drop-to-installed latency and the longest gap between two loop
 * iterations during the reload, beside the baseline measured in the same run: the time a
 * synchronous load of the same rules takes, i.e. how long the loop stood still when moatd
 * compiled on SIGHUP in the loop thread. Runs cold (empty Hyperscan cache) and warm.
 * Prints one JSON object. Usage: rule_reload [ET_OPEN_DIR]
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policyd/ruledir.h"

#include "bench_util.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The daemon's side: frees the previous ruleset (moatd does that in whichever thread drops
 * the last reference); timed apart so that ruledir's own cost shows. */
struct sim {
	struct ruleset *current;
	double install_s;
};

static int install(void *ctx, struct ruleset *rs)
{
	struct sim *s = ctx;
	double t0 = now();

	ruleset_free(s->current);
	s->current = rs;
	s->install_s = now() - t0;
	return 0;
}

struct run {
	double sync_s, latency_s, max_gap_ms, free_old_ms, idle_gap_ms;
	size_t loaded;
};

static int one_run(const char *et, const char *rulesd, const char *cache, int n, struct run *ret)
{
	const char *paths[] = { et };
	struct ruledir_opts o = { .dir = rulesd, .paths = paths, .n_paths = 1, .cache_dir = cache };
	struct sim sim = { 0 };
	struct ruledir *rd = NULL;
	struct ruledir_stats st;
	char err[512], path[512];
	double t0, last, t;
	FILE *f;
	int r;

	r = ruledir_new(&o, install, &sim, &rd, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "rule_reload: %s\n", err);
		return r;
	}
	t0 = now();
	r = ruledir_load_sync(rd, err, sizeof(err));
	ret->sync_s = now() - t0;
	if (r < 0) {
		fprintf(stderr, "rule_reload: %s\n", err);
		goto out;
	}
	/* scheduling noise: the same loop for 1 s with nothing to do */
	ret->idle_gap_ms = 0;
	for (t0 = last = now(); last - t0 < 1.0;) {
		struct pollfd p = { .fd = ruledir_fd(rd), .events = POLLIN };

		poll(&p, 1, 1);
		ruledir_dispatch(rd);
		t = now();
		if ((t - last) * 1e3 > ret->idle_gap_ms)
			ret->idle_gap_ms = (t - last) * 1e3;
		last = t;
	}
	snprintf(path, sizeof(path), "%s/drop-%d.rules", rulesd, n);
	f = fopen(path, "w");
	if (!f) {
		r = -errno;
		goto out;
	}
	fprintf(f,
		"alert http any any -> any any (msg:\"dropped %d\"; http.uri; "
		"content:\"/bench-%d\"; sid:%d; rev:1;)\n",
		n, n, 990000 + n);
	fclose(f);
	t0 = last = now();
	ret->max_gap_ms = ret->free_old_ms = 0;
	for (;;) {
		struct pollfd p = { .fd = ruledir_fd(rd), .events = POLLIN };

		poll(&p, 1, 1);
		sim.install_s = 0;
		r = ruledir_dispatch(rd);
		t = now();
		/* the loop's own stall: the previous ruleset's free is the daemon's, not ruledir's */
		if ((t - last - sim.install_s) * 1e3 > ret->max_gap_ms)
			ret->max_gap_ms = (t - last - sim.install_s) * 1e3;
		if (sim.install_s * 1e3 > ret->free_old_ms)
			ret->free_old_ms = sim.install_s * 1e3;
		last = t;
		if (r < 0)
			goto out;
		ruledir_get_stats(rd, &st);
		if (st.generation >= 2 || st.failures)
			break;
		if (t - t0 > 600) {
			r = -ETIMEDOUT;
			goto out;
		}
	}
	ret->latency_s = now() - t0;
	ret->loaded = st.rules_loaded;
	r = st.failures ? -EIO : 0;
out:
	ruledir_free(rd);
	ruleset_free(sim.current);
	return r;
}

int main(int argc, char **argv)
{
	const char *et = argc > 1 ? argv[1] : "../shared/corpus/et-open";
	char tmp[4096], rulesd[4200], cache[4200];
	struct run cold, warm;
	int r;

	if (bench_mkdtemp("moat-bench-reload", tmp, sizeof(tmp)) < 0) {
		fprintf(stderr, "rule_reload: cannot make a scratch directory in $TMPDIR\n");
		return 1;
	}
	snprintf(rulesd, sizeof(rulesd), "%s/rules.d", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	if (mkdir(rulesd, 0755) < 0 || mkdir(cache, 0755) < 0) {
		perror(tmp);
		bench_rm_rf(tmp);
		return 1;
	}
	r = one_run(et, rulesd, cache, 1, &cold);
	if (r >= 0)
		r = one_run(et, rulesd, cache, 2, &warm);
	bench_rm_rf(tmp);
	if (r < 0) {
		fprintf(stderr, "rule_reload: %s\n", strerror(-r));
		return 1;
	}
	printf("{\"benchmark\":\"rule_reload\",\"rules\":\"%s\",\"loaded\":%zu,"
	       "\"debounce_ms\":%u,"
	       "\"cold\":{\"baseline_sync_load_s\":%.3f,\"drop_to_installed_s\":%.3f,"
	       "\"loop_max_stall_ms\":%.1f,\"idle_loop_max_gap_ms\":%.1f,"
	       "\"free_previous_ruleset_ms\":%.1f},"
	       "\"warm\":{\"baseline_sync_load_s\":%.3f,\"drop_to_installed_s\":%.3f,"
	       "\"loop_max_stall_ms\":%.1f,\"idle_loop_max_gap_ms\":%.1f,"
	       "\"free_previous_ruleset_ms\":%.1f}}\n",
	       et, warm.loaded, RULEDIR_DEFAULT_DEBOUNCE_MS, cold.sync_s, cold.latency_s,
	       cold.max_gap_ms, cold.idle_gap_ms, cold.free_old_ms, warm.sync_s, warm.latency_s,
	       warm.max_gap_ms, warm.idle_gap_ms, warm.free_old_ms);
	return 0;
}
