// SPDX-License-Identifier: GPL-2.0-only
/*
 * moatd: the moat daemon. This build runs the offline mode, Suricata-compatible:
 *   moatd -r FILE.pcap [-S PATH ...] -l LOGDIR [-k none] [--set KEY=VALUE ...]
 * reads the capture through the same worker pipeline live mode uses and writes
 * LOGDIR/eve.json (alert, http, flow, stats events).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <config.h> /* the build's (MOAT_VERSION), not policyd/config.h */
#include "lib/lib.h"
#include "dpi/dpi.h"
#include "policyd/config.h"
#ifdef MOAT_HAVE_LIVE
#include "policyd/daemon.h"
#endif
#ifdef MOAT_HAVE_RULES
#include "rules/rules.h"
#include "detect_glue.h"
#include "msc_glue.h"
#else
struct ruleset;
#endif

#define MAX_RULE_PATHS 256
#define MAX_PACKET_WARNINGS 20 /* per-packet messages printed before only counting */

#define MAX_SETS 128

struct args {
	const char *pcap;
	const char *logdir;
	bool logdir_given;
	const char *config; /* -c */
	const char *ifaces[CONFIG_MAX_IFACES];
	size_t n_ifaces;
	const char *sets[MAX_SETS]; /* --set, kept for live mode's config */
	size_t n_sets;
	const char *rule_paths[MAX_RULE_PATHS];
	size_t n_rule_paths;
	bool checksums;
	bool test_rules; /* -T */
	struct worker_config wcfg;
	struct app_layer_config acfg;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: moatd -i IFACE [-i IFACE ...] [-c CONFIG] [-S PATH ...] [-l DIR]\n"
		"             [--set KEY=VALUE ...]\n"
		"       moatd -r FILE [-S PATH ...] [-l DIR] [-k none|all] [--set KEY=VALUE ...]\n"
		"       moatd -T -S PATH ...\n"
		"\n"
		"  -i IFACE         protect IFACE (live mode; repeatable)\n"
		"  -c CONFIG        configuration file (default " CONFIG_PATH_DEFAULT
		", if present;\n"
		"                   see docs/config.md)\n"
		"  -r FILE          read packets from a pcap/pcapng file (offline mode)\n"
		"  -S PATH          rule file or directory (repeatable)\n"
		"  -l DIR           log directory for eve.json (default: live /var/log/moat,\n"
		"                   offline the current directory)\n"
		"  -k none|all      checksum validation (default all)\n"
		"  --set KEY=VALUE  override a setting (stream.midstream, stream.inline,\n"
		"                   stream.async-oneside, stream.reassembly.depth, ...,\n"
		"                   app-layer.protocols.http.libhtp.default-config.\n"
		"                   {request-body-limit,response-body-limit,\n"
		"                   response-body-decompress-layer-limit})\n"
		"  -T               check the rules given with -S and exit\n"
		"  -v               more log output (debug messages)\n"
		"  -h, --help       this help\n"
		"  -V, --version    print the version\n");
}

static int apply_set(struct args *a, const char *kv)
{
	char key[256], err[256] = "";
	const char *eq = strchr(kv, '=');
	int r;

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		log_err("--set %s: expected KEY=VALUE", kv);
		return -EINVAL;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	r = config_apply_set(&a->wcfg, &a->acfg, key, eq + 1, err, sizeof(err));
	if (r == -ENOENT) {
		log_warn("--set %s: unknown setting, ignored", key);
		return 0;
	}
	if (r < 0) {
		log_err("--set %s: %s", key, err[0] ? err : strerror(-r));
		return r;
	}
	return 0;
}

enum { OPT_SET = 0x100, OPT_VERSION };

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "set", required_argument, NULL, OPT_SET },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:S:l:k:Thvi:c:V", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->pcap = optarg;
			break;
		case 'S':
			if (a->n_rule_paths == MAX_RULE_PATHS) {
				log_err("-S: more than %d rule paths", MAX_RULE_PATHS);
				return -E2BIG;
			}
			a->rule_paths[a->n_rule_paths++] = optarg;
			break;
		case 'l':
			a->logdir = optarg;
			a->logdir_given = true;
			break;
		case 'k':
			if (!strcmp(optarg, "none"))
				a->checksums = false;
			else if (!strcmp(optarg, "all"))
				a->checksums = true;
			else {
				log_err("-k %s: expected none or all", optarg);
				return -EINVAL;
			}
			break;
		case 'T':
			a->test_rules = true;
			break;
		case OPT_SET:
			if (apply_set(a, optarg) < 0)
				return -EINVAL;
			if (a->n_sets == MAX_SETS) {
				log_err("--set: more than %d settings", MAX_SETS);
				return -E2BIG;
			}
			a->sets[a->n_sets++] = optarg;
			break;
		case 'v':
			log_set_level(MIN(log_get_level() + 1, LOG_LEVEL_DEBUG));
			break;
		case 'i':
			if (a->n_ifaces == CONFIG_MAX_IFACES) {
				log_err("-i: more than %d interfaces", CONFIG_MAX_IFACES);
				return -E2BIG;
			}
			a->ifaces[a->n_ifaces++] = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("moatd %s\n", MOAT_VERSION);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument: %s", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Load the -S paths with the rules room's loader when it is part of the build; report
 * problems as file:line: sid N: message. Returns 0 (rule problems are not fatal offline)
 * with *ret_rs set to the ruleset, or NULL when there is none. */
static int load_rules(const struct args *a, struct ruleset **ret_rs)
{
	*ret_rs = NULL;
	if (a->n_rule_paths == 0)
		return 0;
#ifdef MOAT_HAVE_RULES
	{
		struct rule_diags diags = { 0 };
		struct ruleset *rs = NULL;
		struct ruleset_stats rst;
		int r;

		r = ruleset_load(a->rule_paths, a->n_rule_paths, NULL, &rs, &diags);
		for (size_t i = 0; i < diags.n; i++) {
			const struct rule_diag *d = &diags.v[i];

			char sid[32] = "";

			if (d->sid)
				snprintf(sid, sizeof(sid), "sid %u: ", d->sid);
			if (d->kind == RULE_DIAG_NOTE)
				log_info("%s:%u: %s%s", d->file, d->line, sid, d->message);
			else
				log_warn("%s:%u: %s%s", d->file, d->line, sid, d->message);
		}
		rule_diags_done(&diags);
		if (r < 0) {
			log_warn("rules: loading failed: %s; continuing without detection",
				 strerror(-r));
			return 0;
		}
		ruleset_get_stats(rs, &rst);
		log_info("rules: %zu loaded, %zu skipped (unsupported), %zu invalid", rst.loaded,
			 rst.unsupported, rst.invalid);
		*ret_rs = rs;
	}
#else
	for (size_t i = 0; i < a->n_rule_paths; i++)
		log_info("rules: %s recorded (no rule loader in this build)", a->rule_paths[i]);
#endif
	return 0;
}

static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static int run_offline(struct args *a, const struct ruleset *rs)
{
	_cleanup_free_ char *eve_path = NULL;
	struct pcap_source *src = NULL;
	struct eve_writer *w = NULL;
	struct app_layer *al = NULL;
	struct worker *wk = NULL;
#ifdef MOAT_HAVE_RULES
	struct detect_glue *dg = NULL;
#endif
	struct app_ops ops;
	struct pcap_frame fr;
	struct stat st;
	char err[512];
	uint64_t last_ts = 0, bad_pkts = 0, t0 = now_s();
	int r, ret = EXIT_FAILURE;

	if (stat(a->logdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_err("-l %s: not a directory", a->logdir);
		return EXIT_FAILURE;
	}
	r = pcap_source_open(a->pcap, &src, err, sizeof(err));
	if (r < 0) {
		log_err("%s: %s", a->pcap, err);
		return EXIT_FAILURE;
	}
	if (asprintf(&eve_path, "%s/eve.json", a->logdir) < 0) {
		log_err("out of memory");
		goto out;
	}
	r = eve_writer_open(eve_path, false, &w);
	if (r < 0) {
		log_err("%s: %s", eve_path, strerror(-r));
		goto out;
	}
	r = app_layer_new(&a->acfg, w, &al);
	if (r < 0) {
		log_err("app layer: %s", strerror(-r));
		goto out;
	}
	app_layer_ops(al, &ops);
#ifdef MOAT_HAVE_RULES
	if (rs) {
		r = detect_glue_new(rs, al, &dg);
		if (r < 0) {
			log_err("detection: %s", strerror(-r));
			goto out;
		}
		detect_glue_ops(dg, &ops);
	}
#else
	(void)rs;
#endif
	a->wcfg.decode.checksum_validation = a->checksums;
	wk = worker_new(&a->wcfg, &ops);
	if (!wk) {
		log_err("worker: out of memory");
		goto out;
	}

	while ((r = pcap_source_next(src, &fr, err, sizeof(err))) > 0) {
		int d = worker_process(wk, fr.linktype, fr.data, fr.caplen, fr.ts_us, fr.pkt_num);

		last_ts = fr.ts_us;
		if (d != DECODE_OK && d != DECODE_ERR_NOT_IP) {
			if (++bad_pkts <= MAX_PACKET_WARNINGS)
				log_warn("%s: packet %llu: %s", a->pcap,
					 (unsigned long long)fr.pkt_num, decode_result_name(d));
		}
	}
	if (r < 0)
		log_warn("%s: %s", a->pcap, err);
	if (bad_pkts > MAX_PACKET_WARNINGS)
		log_warn("%s: %llu undecodable packets in all (first %d listed)", a->pcap,
			 (unsigned long long)bad_pkts, MAX_PACKET_WARNINGS);

	worker_flush(wk, UINT64_MAX);
	{
		json_t *o = app_layer_stats_event(al, worker_stats(wk), last_ts, now_s() - t0);

		if (o) {
			eve_set_path_u64(json_object_get(o, "stats"), "capture.kernel_packets",
					 pcap_source_stats(src)->records);
#ifdef MOAT_HAVE_RULES
			if (dg) {
				/* Suricata's detect.alert: alerts logged */
				const struct msc_glue_stats *ms = detect_glue_msc_stats(dg);

				eve_set_path_u64(json_object_get(o, "stats"), "detect.alert",
						 detect_glue_stats(dg)->alerts +
							 (ms ? ms->alerts : 0));
			}
#endif
			eve_writer_write(w, o);
			json_decref(o);
		}
	}
	ret = EXIT_SUCCESS;
out:
	worker_free(wk);
#ifdef MOAT_HAVE_RULES
	if (dg) {
		const struct detect_glue_stats *gs = detect_glue_stats(dg);
		const struct msc_glue_stats *ms = detect_glue_msc_stats(dg);

		log_info(
			"detect: %llu alerts, %llu inspections, %llu errors, %llu stream bytes "
			"refused (%llu memcap), %llu http buffers refused, %llu allocation failures",
			(unsigned long long)gs->alerts, (unsigned long long)gs->runs,
			(unsigned long long)gs->errors, (unsigned long long)gs->stream_refused,
			(unsigned long long)gs->memcap_hits,
			(unsigned long long)gs->http_buf_refused,
			(unsigned long long)gs->alloc_failures);
		if (ms)
			log_info("secrules: %llu transactions, %llu alerts, %llu intercepted, %llu "
				 "errors",
				 (unsigned long long)ms->txs, (unsigned long long)ms->alerts,
				 (unsigned long long)ms->intercepted,
				 (unsigned long long)ms->errors);
	}
	detect_glue_free(dg);
#endif
	app_layer_free(al);
	r = eve_writer_close(w);
	if (r < 0) {
		log_err("%s: write failed: %s", eve_path ? eve_path : "eve.json", strerror(-r));
		ret = EXIT_FAILURE;
	}
	pcap_source_close(src);
	return ret;
}

#ifdef MOAT_HAVE_LIVE
/* Live mode: the embedded defaults, then the config file, then the command line. */
static int run_live(struct args *a)
{
	_cleanup_free_ struct moatd_config *cfg = calloc(1, sizeof(*cfg));
	char err[1024] = "";
	int r;

	if (!cfg) {
		log_err("out of memory");
		return EXIT_FAILURE;
	}
	config_init(cfg);
	if (a->config || access(CONFIG_PATH_DEFAULT, F_OK) == 0) {
		const char *path = a->config ? a->config : CONFIG_PATH_DEFAULT;

		r = config_load(cfg, path, err, sizeof(err));
		if (r < 0) {
			log_err("%s", err);
			return EXIT_FAILURE;
		}
		log_info("configuration: %s", path);
	}
	if (a->logdir_given) {
		if (a->logdir[0] != '/' && !realpath(a->logdir, cfg->log_dir)) {
			log_err("-l %s: %s", a->logdir, strerror(errno));
			return EXIT_FAILURE;
		}
		if (a->logdir[0] == '/')
			snprintf(cfg->log_dir, sizeof(cfg->log_dir), "%s", a->logdir);
	}
	for (size_t i = 0; i < a->n_sets; i++) {
		char key[128];
		const char *eq = strchr(a->sets[i], '=');

		snprintf(key, sizeof(key), "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
		r = config_add_set(cfg, key, eq + 1, err, sizeof(err));
		if (r < 0) {
			log_err("--set %s", err);
			return EXIT_FAILURE;
		}
	}
	for (size_t i = 0; i < a->n_ifaces; i++)
		cfg->ifaces[cfg->n_ifaces++] = a->ifaces[i];
	for (size_t i = 0; i < a->n_rule_paths && i < CONFIG_MAX_RULE_PATHS; i++)
		cfg->rule_paths[cfg->n_rule_paths++] = a->rule_paths[i];
	return daemon_run(cfg);
}
#else
static int run_live(struct args *a)
{
	(void)a;
	log_err("-i: live mode needs the rules room in this build");
	return EXIT_FAILURE;
}
#endif

int main(int argc, char **argv)
{
	struct args a = {
		.logdir = ".",
		.checksums = true,
	};

	log_set_prog("moatd");
	worker_config_init(&a.wcfg);
	app_layer_config_init(&a.acfg);
	if (parse_args(argc, argv, &a) < 0)
		return EXIT_FAILURE;

	if (a.test_rules) {
		/*
		 * HOOK (rules room): `moatd -T -S PATH...` belongs to the rules engineer's
		 * rules_check() (rules/rules.h), which prints file:line diagnostics and the
		 * "rules: N loaded, M skipped (unsupported), K invalid" summary.
		 */
#ifdef MOAT_HAVE_RULES
		return rules_check(a.rule_paths, a.n_rule_paths, NULL, stdout);
#else
		log_err("-T: rule checking is not in this build");
		return EXIT_FAILURE;
#endif
	}
	if (a.n_ifaces && a.pcap) {
		log_err("-i and -r exclude each other (live or offline)");
		return EXIT_FAILURE;
	}
	if (a.n_ifaces)
		return run_live(&a);
	if (a.config) {
		log_err("-c: configuration files are for live mode (-i IFACE)");
		return EXIT_FAILURE;
	}
	if (!a.pcap) {
		log_err("nothing to do: give -i IFACE (live) or -r FILE (offline)");
		usage(stderr);
		return EXIT_FAILURE;
	}
	{
		struct ruleset *rs = NULL;
		int ret;

		load_rules(&a, &rs);
		/* bodies are buffered only for rules to inspect (Suricata does the same) */
		a.acfg.http.keep_request_body = a.acfg.http.keep_response_body = rs != NULL;
#ifdef MOAT_HAVE_RULES
		a.acfg.http.request_body_limit =
			msc_glue_body_limit(ruleset_msc(rs), a.acfg.http.request_body_limit);
#endif
		ret = run_offline(&a, rs);
#ifdef MOAT_HAVE_RULES
		ruleset_free(rs);
#endif
		return ret;
	}
}
