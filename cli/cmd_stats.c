// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwctl stats: the kernel's counters from the pinned maps (works with the daemon down), once,
 * redrawn with per-second rates (--watch), or as a Prometheus exposition (--prometheus: the
 * daemon's own metrics when it runs, else the pinned maps' counters under the same names).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "cmd_common.h"
#include "ctl_client.h"
#include "table.h"

/* Interfaces listed by stats (moat attaches to a handful per host). */
#define STATS_MAX_ATTACH 64
#define WATCH_DEFAULT_S 2
#define WATCH_MAX_S 3600
#define WATCH_MAX_COUNT 1000000
#define PROM_DAEMON_TIMEOUT_MS 3000

struct snap {
	struct moat_dp_stats s;
	struct moat_dp_copy_stats cs;
	uint64_t mono_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_snap(struct moat_dp *dp, struct snap *sn)
{
	int r = moat_dp_stats(dp, &sn->s);

	if (r >= 0)
		r = moat_dp_copy_stats(dp, -1, &sn->cs);
	if (r < 0) {
		log_err("stats: %s", *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return r;
	}
	sn->mono_ns = mono_ns();
	return 0;
}

static json_t *attachments_json(const struct moat_dp_attach_report *att, int n)
{
	json_t *arr = json_array();

	for (int i = 0; arr && i < n; i++) {
		json_t *o = json_object();

		if (!o || json_array_append_new(arr, o) < 0)
			break;
		json_object_set_new(o, "ifname", json_string(att[i].ifname));
		json_object_set_new(o, "ifindex", json_integer(att[i].ifindex));
		json_object_set_new(o, "xdp_mode",
				    json_string(moat_dp_xdp_mode_name(att[i].xdp_mode)));
		json_object_set_new(o, "tc_mode",
				    json_string(moat_dp_tc_mode_name(att[i].tc_mode)));
	}
	return arr;
}

/* `fwctl stats`: one reading. */
static int stats_once(struct fwctl *ctx, struct moat_dp *dp)
{
	static const char *const cols[] = { "HOOK", "VERDICT", "REASON", ">PACKETS", ">BYTES" };
	_cleanup_(table_freep) struct table *t = NULL;
	_cleanup_free_ struct snap *sn = calloc(1, sizeof(*sn));
	struct moat_dp_attach_report att[STATS_MAX_ATTACH];
	const struct moat_dp_copy_stats *cs;
	json_t *arr = NULL;
	uint32_t mode = 0;
	int r, natt = 0;

	if (!sn)
		return fwctl_print_json(NULL);
	if (read_snap(dp, sn) < 0)
		return FWCTL_EXIT_FAILED;
	cs = &sn->cs;
	r = moat_dp_get_mode(dp, &mode);
	if (r >= 0)
		r = natt = moat_dp_attachments(dp, att, ARRAY_SIZE(att));
	if (r < 0) {
		log_err("stats: %s", *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	natt = MIN(natt, (int)ARRAY_SIZE(att));
	if (ctx->json) {
		arr = json_array();
		if (!arr)
			return fwctl_print_json(NULL);
	} else {
		t = table_new(ARRAY_SIZE(cols), cols);
		if (!t)
			return fwctl_print_json(NULL);
	}
	/* Only counters that moved: 96 mostly-zero rows would hide the ones that matter. */
	for (unsigned int h = 0; h < MOAT_HOOK_NUM; h++)
		for (unsigned int v = 0; v < MOAT_V_NUM; v++)
			for (unsigned int rs = 0; rs < MOAT_R_NUM; rs++) {
				const struct moat_counter *c = &sn->s.c[MOAT_STATS_IDX(h, v, rs)];
				char pk[24], by[24];

				if (!c->packets && !c->bytes)
					continue;
				if (arr) {
					json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "hook",
							      moat_dp_hook_name(h), "verdict",
							      moat_dp_verdict_name(v), "reason",
							      moat_dp_reason_name(rs), "packets",
							      (json_int_t)c->packets, "bytes",
							      (json_int_t)c->bytes);

					if (!o || json_array_append_new(arr, o) < 0) {
						json_decref(arr);
						return fwctl_print_json(NULL);
					}
					continue;
				}
				snprintf(pk, sizeof(pk), "%" PRIu64, (uint64_t)c->packets);
				snprintf(by, sizeof(by), "%" PRIu64, (uint64_t)c->bytes);
				r = table_add_row(t, (const char *const[]){ moat_dp_hook_name(h),
									    moat_dp_verdict_name(v),
									    moat_dp_reason_name(rs),
									    pk, by });
				if (r < 0)
					return fwctl_print_json(NULL);
			}
	if (arr) {
		json_t *o = json_object();

		if (!o) {
			json_decref(arr);
			return fwctl_print_json(NULL);
		}
		json_object_set_new(o, "mode",
				    json_string(mode == MOAT_MODE_DENY ? "deny" : "allow"));
		json_object_set_new(o, "attachments", attachments_json(att, natt));
		json_object_set_new(o, "counters", arr);
		json_object_set_new(o, "copy",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "copied",
					      (json_int_t)cs->copied, "copied_bytes",
					      (json_int_t)cs->copied_bytes, "lost",
					      (json_int_t)cs->lost, "depth_skipped",
					      (json_int_t)cs->depth_skipped, "bypassed",
					      (json_int_t)cs->bypassed, "http_blocked",
					      (json_int_t)cs->http_blocked, "http_incomplete",
					      (json_int_t)cs->http_incomplete));
		return fwctl_print_json(o);
	}
	printf("mode: %s\n",
	       mode == MOAT_MODE_DENY ? "deny (default-deny)" : "allow (default-allow)");
	printf("attached:");
	if (natt == 0)
		printf(" nowhere in this network namespace");
	for (int i = 0; i < natt; i++)
		printf("%s %s (xdp %s, tc %s)", i ? "," : "", att[i].ifname,
		       moat_dp_xdp_mode_name(att[i].xdp_mode),
		       moat_dp_tc_mode_name(att[i].tc_mode));
	printf("\n");
	table_print(t, stdout);
	printf("copies to the daemon: %" PRIu64 " packets (%" PRIu64 " bytes), %" PRIu64
	       " lost (buffer full), %" PRIu64 " past depth, %" PRIu64 " bypassed; http checks: "
	       "%" PRIu64 " dropped, %" PRIu64 " incomplete\n",
	       cs->copied, cs->copied_bytes, cs->lost, cs->depth_skipped, cs->bypassed,
	       cs->http_blocked, cs->http_incomplete);
	return FWCTL_EXIT_OK;
}

/* ---- --watch ---- */

static volatile sig_atomic_t watch_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* A counter's increase; a counter that went backwards was reset (maps recreated). */
static uint64_t delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

/* One frame of rates between A and B (B later). */
static int watch_frame(struct fwctl *ctx, const struct snap *a, const struct snap *b,
		       double interval_s, bool clear)
{
	static const char *const cols[] = { "HOOK",   "VERDICT", "REASON",
					    ">PKT/S", ">BYTE/S", ">PACKETS" };
	_cleanup_(table_freep) struct table *t = NULL;
	double dt = (double)(b->mono_ns - a->mono_ns) / 1e9, drops[MOAT_R_NUM] = { 0 };
	json_t *arr = NULL, *dj = NULL;
	struct timespec now;
	char when[32] = "-";
	struct tm tm;

	if (dt <= 0)
		dt = 1e-9;
	clock_gettime(CLOCK_REALTIME, &now);
	if (localtime_r(&now.tv_sec, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (ctx->json) {
		arr = json_array();
		dj = json_object();
		if (!arr || !dj) {
			json_decref(arr);
			json_decref(dj);
			return -ENOMEM;
		}
	} else {
		t = table_new(ARRAY_SIZE(cols), cols);
		if (!t)
			return -ENOMEM;
	}
	for (unsigned int h = 0; h < MOAT_HOOK_NUM; h++)
		for (unsigned int v = 0; v < MOAT_V_NUM; v++)
			for (unsigned int rs = 0; rs < MOAT_R_NUM; rs++) {
				const struct moat_counter *cb = &b->s.c[MOAT_STATS_IDX(h, v, rs)];
				const struct moat_counter *ca = &a->s.c[MOAT_STATS_IDX(h, v, rs)];
				double pps = (double)delta(cb->packets, ca->packets) / dt;
				double bps = (double)delta(cb->bytes, ca->bytes) / dt;
				char c1[32], c2[32], c3[24];

				if (!cb->packets)
					continue;
				if (v == MOAT_V_DROP)
					drops[rs] += pps;
				if (arr) {
					if (json_array_append_new(
						    arr,
						    json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f}",
							      "hook", moat_dp_hook_name(h),
							      "verdict", moat_dp_verdict_name(v),
							      "reason", moat_dp_reason_name(rs),
							      "packets", (json_int_t)cb->packets,
							      "bytes", (json_int_t)cb->bytes,
							      "packets_per_s", pps, "bytes_per_s",
							      bps)) < 0)
						return -ENOMEM;
					continue;
				}
				snprintf(c1, sizeof(c1), "%.1f", pps);
				snprintf(c2, sizeof(c2), "%.0f", bps);
				snprintf(c3, sizeof(c3), "%" PRIu64, (uint64_t)cb->packets);
				if (table_add_row(t, (const char *const[]){ moat_dp_hook_name(h),
									    moat_dp_verdict_name(v),
									    moat_dp_reason_name(rs),
									    c1, c2, c3 }) < 0)
					return -ENOMEM;
			}
	if (ctx->json) {
		json_t *o;

		for (unsigned int rs = 0; rs < MOAT_R_NUM; rs++)
			if (drops[rs] > 0)
				json_object_set_new(dj, moat_dp_reason_name(rs),
						    json_real(drops[rs]));
		o = json_pack("{s:I, s:f, s:o, s:o, s:{s:I, s:f, s:I, s:f, s:f, s:f}}", "ts_us",
			      (json_int_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, "interval_s",
			      dt, "counters", arr, "drops_per_s", dj, "copy", "copied",
			      (json_int_t)b->cs.copied, "copied_per_s",
			      (double)delta(b->cs.copied, a->cs.copied) / dt, "lost",
			      (json_int_t)b->cs.lost, "lost_per_s",
			      (double)delta(b->cs.lost, a->cs.lost) / dt, "depth_skipped_per_s",
			      (double)delta(b->cs.depth_skipped, a->cs.depth_skipped) / dt,
			      "bypassed_per_s", (double)delta(b->cs.bypassed, a->cs.bypassed) / dt);
		if (!o)
			return -ENOMEM;
		fwctl_print_json(o);
		fflush(stdout);
		return 0;
	}
	if (clear)
		printf("\033[H\033[2J");
	printf("moat stats at %s, rates over the last %.1f s (Ctrl-C stops)\n", when, interval_s);
	if (t->nrows)
		table_print(t, stdout);
	else
		printf("no packets counted yet\n");
	printf("drops/s:");
	{
		bool any = false;

		for (unsigned int rs = 0; rs < MOAT_R_NUM; rs++)
			if (drops[rs] > 0) {
				printf("%s %s %.1f", any ? "," : "", moat_dp_reason_name(rs),
				       drops[rs]);
				any = true;
			}
		if (!any)
			printf(" none");
	}
	printf("\ncopies/s: %.1f, lost/s: %.1f (%" PRIu64 " lost since start), past depth/s: "
	       "%.1f, bypassed/s: %.1f\n",
	       (double)delta(b->cs.copied, a->cs.copied) / dt,
	       (double)delta(b->cs.lost, a->cs.lost) / dt, b->cs.lost,
	       (double)delta(b->cs.depth_skipped, a->cs.depth_skipped) / dt,
	       (double)delta(b->cs.bypassed, a->cs.bypassed) / dt);
	if (!clear)
		printf("\n"); /* frames one after another when not a terminal */
	fflush(stdout);
	return 0;
}

static int stats_watch(struct fwctl *ctx, struct moat_dp *dp, uint64_t interval_s, uint64_t count)
{
	_cleanup_free_ struct snap *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct sigaction sa = { .sa_handler = on_stop_signal }; /* no SA_RESTART: wake sleeps */
	bool clear = !ctx->json && isatty(STDOUT_FILENO);

	if (!a || !b)
		return fwctl_print_json(NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (read_snap(dp, a) < 0)
		return FWCTL_EXIT_FAILED;
	for (uint64_t i = 0; !count || i < count; i++) {
		struct timespec ts = { .tv_sec = (time_t)interval_s };

		while (!watch_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (watch_stop)
			break;
		if (read_snap(dp, b) < 0)
			return FWCTL_EXIT_FAILED;
		if (watch_frame(ctx, a, b, (double)interval_s, clear) < 0)
			return fwctl_print_json(NULL);
		{
			struct snap *tmp = a; /* b becomes the next frame's start */

			a = b;
			b = tmp;
		}
	}
	return FWCTL_EXIT_OK;
}

/* ---- --prometheus ---- */

/* The exposition of the pinned maps' counters, with the family names, help and labels the
 * daemon's metrics endpoint uses (docs/control.md), so dashboards work either way. Hand
 * written: the label values are fixed names that need no escaping. */
static int prom_pinned(struct moat_dp *dp)
{
	_cleanup_free_ struct snap *sn = calloc(1, sizeof(*sn));
	struct moat_dp_copy_stats w[MOAT_MAX_WORKERS];
	int nw = 0;

	if (!sn)
		return fwctl_print_json(NULL);
	if (read_snap(dp, sn) < 0)
		return FWCTL_EXIT_FAILED;
	for (int i = 0; i < MOAT_MAX_WORKERS; i++) {
		if (moat_dp_copy_stats(dp, i, &w[i]) < 0)
			break;
		/* the pinned maps do not say how many workers the daemon ran: list those
		 * that counted anything (worker 0 always) */
		if (i == 0 || w[i].copied || w[i].lost || w[i].depth_skipped || w[i].bypassed)
			nw = i + 1;
	}
	printf("# HELP moat_daemon_up 1 when fwctl reached moatd (its metrics follow), 0 when "
	       "only the pinned maps were read.\n# TYPE moat_daemon_up gauge\nmoat_daemon_up 0\n");
	for (int bytes = 0; bytes < 2; bytes++) {
		const char *name = bytes ? "moat_bytes_total" : "moat_packets_total";

		if (bytes)
			printf("# HELP %s Bytes seen by the kernel programs, by hook, verdict and "
			       "reason.\n",
			       name);
		else
			printf("# HELP %s Packets seen by the kernel programs, by hook, verdict "
			       "and reason (drops: verdict=\"drop\").\n",
			       name);
		printf("# TYPE %s counter\n", name);
		for (unsigned int h = 0; h < MOAT_HOOK_NUM; h++)
			for (unsigned int v = 0; v < MOAT_V_NUM; v++)
				for (unsigned int rs = 0; rs < MOAT_R_NUM; rs++) {
					const struct moat_counter *c =
						&sn->s.c[MOAT_STATS_IDX(h, v, rs)];

					if (strcmp(moat_dp_reason_name(rs), "?") == 0)
						continue; /* an unused reason slot */
					printf("%s{hook=\"%s\",verdict=\"%s\",reason=\"%s\"} "
					       "%" PRIu64 "\n",
					       name, moat_dp_hook_name(h), moat_dp_verdict_name(v),
					       moat_dp_reason_name(rs),
					       (uint64_t)(bytes ? c->bytes : c->packets));
				}
	}
#define PER_WORKER(fam, help, field)                                                          \
	do {                                                                                  \
		printf("# HELP " fam " " help "\n# TYPE " fam " counter\n");                  \
		for (int i = 0; i < nw; i++)                                                  \
			printf(fam "{worker=\"%d\"} %" PRIu64 "\n", i, (uint64_t)w[i].field); \
	} while (0)
	PER_WORKER("moat_copies_total", "Packets copied by the kernel to the worker's buffer.",
		   copied);
	PER_WORKER("moat_copy_bytes_total", "Bytes copied to the worker's buffer.", copied_bytes);
	PER_WORKER("moat_ring_lost_total",
		   "Packet copies lost because the worker's buffer was full.", lost);
	PER_WORKER("moat_copy_depth_skipped_total",
		   "Packets not copied: their flow reached its inspection depth.", depth_skipped);
	PER_WORKER("moat_copy_bypassed_total", "Packets not copied: their flow was bypassed.",
		   bypassed);
#undef PER_WORKER
	return fflush(stdout) == 0 ? FWCTL_EXIT_OK : FWCTL_EXIT_FAILED;
}

static int stats_prometheus(struct fwctl *ctx)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	json_t *res = NULL;
	char err[512];
	int r = ctl_client_call_full(ctx->socket, "metrics", NULL, PROM_DAEMON_TIMEOUT_MS, &res,
				     NULL, err, sizeof(err));

	if (r >= 0) {
		const char *text = json_string_value(json_object_get(res, "text"));

		if (text) {
			printf("# HELP moat_daemon_up 1 when fwctl reached moatd (its metrics "
			       "follow), 0 when only the pinned maps were read.\n"
			       "# TYPE moat_daemon_up gauge\nmoat_daemon_up 1\n%s",
			       text);
			json_decref(res);
			return fflush(stdout) == 0 ? FWCTL_EXIT_OK : FWCTL_EXIT_FAILED;
		}
		json_decref(res);
		log_warn("stats: the daemon's metrics reply has no text; reading the pinned maps");
	} else {
		log_warn("stats: %s; only the kernel's counters (pinned maps)", err);
	}
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	return prom_pinned(dp);
}

enum {
	OPT_WATCH = 0x300,
	OPT_COUNT,
	OPT_PROMETHEUS,
};

int cmd_stats(struct fwctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", optional_argument, NULL, OPT_WATCH },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{},
	};
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	uint64_t interval = 0, count = 0;
	bool watch = false, prom = false;
	int c;

	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		const char *val;

		switch (c) {
		case 'h':
			fwctl_help_command(fwctl_command_find("stats"), stdout);
			return FWCTL_EXIT_OK;
		case OPT_WATCH:
			watch = true;
			interval = WATCH_DEFAULT_S;
			/* "--watch 5" as well as "--watch=5": stats takes no positional, so a
			 * word after --watch that is not an option is its value */
			val = optarg;
			if (!val && optind < argc && argv[optind][0] != '-')
				val = argv[optind++];
			if (val && (parse_duration(val, &interval) < 0 || interval < 1 ||
				    interval > WATCH_MAX_S))
				return fwctl_usage_error(
					"stats", "invalid --watch '%s' (seconds, 1-%d, or 5s, 1m)",
					val, WATCH_MAX_S);
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, 1, WATCH_MAX_COUNT, &count) < 0)
				return fwctl_usage_error("stats", "invalid --count '%s' (1-%d)",
							 optarg, WATCH_MAX_COUNT);
			break;
		case OPT_PROMETHEUS:
			prom = true;
			break;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return fwctl_usage_error("stats", "unexpected argument '%s'", argv[optind]);
	if (count && !watch)
		return fwctl_usage_error("stats", "--count goes with --watch");
	if (prom && (watch || ctx->json))
		return fwctl_usage_error("stats", "--prometheus goes without --watch and --json");
	if (prom)
		return stats_prometheus(ctx);
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	return watch ? stats_watch(ctx, dp, interval, count) : stats_once(ctx, dp);
}
