// SPDX-License-Identifier: GPL-2.0-only
/*
 * CRS evaluation speed: requests/s of the OWASP CRS (Debian's crs-setup.conf + rules) on the
 * CRS request corpus and the benign corpus, at paranoia levels 1 and 4, single core, for
 *  - libmodsecurity 3 (linked into this benchmark only): per request a transaction,
 *    msc_process_connection/uri, the headers, request headers phase, the body, request body
 *    phase, logging phase (the fields handed over already parsed), and
 *  - moat: per request the raw bytes through libhtp (dpi/http.c), msc_vars (phases 1-2
 *    variables) and the SecRule engine (rules/msc.h) phases 1, 2 and 5 - the same steps
 *    moatd's msc_glue takes, HTTP parsing included.
 * Both load the same setup (crs-check's base configuration: engine On, request body access,
 * the XML/JSON body processor rules, paranoia level, threshold 5) and the same rule files,
 * in the same run; rule loading and corpus parsing are not timed. Each (engine, corpus,
 * paranoia) is run RUNS times alternating engines; JSON on stdout gives the best and median
 * requests/s, the blocked (intercepted) counts as a sanity check, moat's speedup, and
 * moat_parse_only_best_rps: libhtp + msc_vars alone (the HTTP layer's share of moat's cost).
 *
 * Usage: crs [--runs N] [--corpus-dir DIR] [--crs-setup FILE] [--crs-dir DIR] [--moat-only]
 *            [--no-hs-prefilter] [--no-vcache] [--dump FILE] [--paranoia N]
 *            [--corpus crs|benign]
 * --moat-only: no libmodsecurity runs (to profile moat alone; baseline and speedups are 0).
 * --no-hs-prefilter: moat evaluates every @rx with PCRE2 JIT alone (no Hyperscan group scans).
 * --no-vcache: moat without its verdict cache (msc_ctx_vcache). With it (the default), every
 *   timed run starts with an empty cache: only values seen earlier in the same run are
 *   answered from it, as a gateway sees the same header values again and again.
 * --dump FILE: moat's decisions of the first run, one line per request ("PL corpus id:
 *   status: rule ids of its alerts"), to check two builds decide the same.
 * --paranoia N, --corpus NAME: that paranoia level (1 or 4) or corpus only (to profile one).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <modsecurity/intervention.h>

#include "dpi/http.h"
#include "dpi/eve.h"
#include "dpi/msc_vars.h"
#include "rules/rules.h"

#define MAX_RUNS 50

static const char base_conf[] =
	"SecRuleEngine On\n"
	"SecRequestBodyAccess On\n"
	"SecRequestBodyLimit 13107200\n"
	"SecRequestBodyNoFilesLimit 131072\n"
	"SecRequestBodyLimitAction ProcessPartial\n"
	"SecResponseBodyAccess Off\n"
	"SecArgumentSeparator &\n"
	"SecCookieFormat 0\n"
	"SecPcreMatchLimit 100000\n"
	"SecPcreMatchLimitRecursion 100000\n"
	"SecRule REQUEST_HEADERS:Content-Type \"(?:application(?:/soap\\+|/)|text/)xml\" "
	"\"id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML\"\n"
	"SecRule REQUEST_HEADERS:Content-Type \"application/json\" "
	"\"id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
	"SecRule REQBODY_ERROR \"!@eq 0\" "
	"\"id:200002,phase:2,t:none,log,pass,msg:'Failed to parse request body.'\"\n"
	"SecRule MULTIPART_STRICT_ERROR \"!@eq 0\" "
	"\"id:200003,phase:2,t:none,log,pass,msg:'Multipart request body failed strict "
	"validation'\"\n";

struct req {
	const char *id;
	char *method, *uri, *version; /* version without "HTTP/" for libmodsecurity: ver */
	const char *ver;
	size_t nh;
	char **hname, **hval;
	uint8_t *body;
	size_t body_len;
	char *raw; /* the request as bytes on the wire, for moat */
	size_t raw_len;
};

struct corpus {
	const char *name;
	struct req *r;
	size_t n;
};

/* CPU time of this (single-threaded) process: the machine is shared, and wall time would
 * count other processes' time slices against whichever engine was running. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *b64(const char *s, size_t *ret_len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	uint8_t *d = malloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;

	if (!d)
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(tbl, s[i]) : NULL;

		if (!p)
			continue;
		acc = acc << 6 | (uint32_t)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	*ret_len = o;
	return d;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	return d;
}

/* Append the requests of PATH (JSON Lines) to C. Returns 0 or -errno. */
static int corpus_load(struct corpus *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;

	if (!fp)
		return -errno;
	while ((len = getline(&line, &cap, fp)) > 0) {
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, 0, &je), *hs, *h;
		struct req *q;
		size_t i, o = 0;
		const char *bs;
		struct req *nr;

		lineno++;
		if (!j) {
			fprintf(stderr, "%s:%ld: %s\n", path, lineno, je.text);
			exit(1);
		}
		nr = realloc(c->r, (c->n + 1) * sizeof(*c->r));
		if (!nr)
			abort();
		c->r = nr;
		q = &c->r[c->n++];
		memset(q, 0, sizeof(*q));
		q->id = xstrdup(json_string_value(json_object_get(j, "id")));
		q->method = xstrdup(json_string_value(json_object_get(j, "method")));
		q->uri = xstrdup(json_string_value(json_object_get(j, "uri")));
		q->version = xstrdup(json_string_value(json_object_get(j, "version")));
		q->ver = strncmp(q->version, "HTTP/", 5) ? q->version : q->version + 5;
		hs = json_object_get(j, "headers");
		q->nh = json_array_size(hs);
		q->hname = calloc(q->nh + 1, sizeof(char *));
		q->hval = calloc(q->nh + 1, sizeof(char *));
		if (!q->hname || !q->hval)
			abort();
		json_array_foreach(hs, i, h)
		{
			q->hname[i] = xstrdup(json_string_value(json_array_get(h, 0)));
			q->hval[i] = xstrdup(json_string_value(json_array_get(h, 1)));
		}
		bs = json_string_value(json_object_get(j, "body_b64"));
		q->body = b64(bs ? bs : "", &q->body_len);
		cap = strlen(q->method) + strlen(q->uri) + strlen(q->version) + 8 + q->body_len;
		for (i = 0; i < q->nh; i++)
			cap += strlen(q->hname[i]) + strlen(q->hval[i]) + 4;
		q->raw = malloc(cap + 1);
		if (!q->raw)
			abort();
		o += (size_t)sprintf(q->raw, "%s %s %s\r\n", q->method, q->uri, q->version);
		for (i = 0; i < q->nh; i++)
			o += (size_t)sprintf(q->raw + o, "%s: %s\r\n", q->hname[i], q->hval[i]);
		o += (size_t)sprintf(q->raw + o, "\r\n");
		memcpy(q->raw + o, q->body, q->body_len);
		q->raw_len = o + q->body_len;
		json_decref(j);
		cap = 0;
		free(line);
		line = NULL;
	}
	free(line);
	fclose(fp);
	return 0;
}

/* ---- libmodsecurity ---- */

static void modsec_log(void *data, const void *msg)
{
	(void)data;
	(void)msg;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of DIR in lexical order (what ruleset_load() does for a directory). */
static size_t conf_files(const char *dir, char ***ret)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 5, ".conf"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		if (!v || asprintf(&v[n], "%s/%s", dir, e->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	return n;
}

struct modsec {
	ModSecurity *ms;
	RulesSet *rs;
};

static void modsec_load(struct modsec *m, const char *setup, const char *crs_dir)
{
	const char *err = NULL;
	char **files;
	size_t n = conf_files(crs_dir, &files);

	m->ms = msc_init();
	msc_set_log_cb(m->ms, modsec_log);
	m->rs = msc_create_rules_set();
	if (msc_rules_add_file(m->rs, setup, &err) < 0) {
		fprintf(stderr, "libmodsecurity: %s: %s\n", setup, err ? err : "?");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		if (msc_rules_add_file(m->rs, files[i], &err) < 0) {
			fprintf(stderr, "libmodsecurity: %s: %s\n", files[i], err ? err : "?");
			exit(1);
		}
		free(files[i]);
	}
	free(files);
}

static size_t modsec_run(struct modsec *m, const struct corpus *c)
{
	size_t blocked = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct req *q = &c->r[i];
		Transaction *t = msc_new_transaction(m->ms, m->rs, NULL);
		ModSecurityIntervention it = { .status = 200 };

		if (!t)
			abort();
		msc_process_connection(t, "198.18.0.1", 40000, "198.18.0.2", 80);
		msc_process_uri(t, q->uri, q->method, q->ver);
		for (size_t h = 0; h < q->nh; h++)
			msc_add_n_request_header(
				t, (const unsigned char *)q->hname[h], strlen(q->hname[h]),
				(const unsigned char *)q->hval[h], strlen(q->hval[h]));
		msc_process_request_headers(t);
		if (q->body_len)
			msc_append_request_body(t, q->body, q->body_len);
		msc_process_request_body(t);
		if (msc_intervention(t, &it) && it.disruptive)
			blocked++;
		free(it.url);
		free(it.log);
		msc_process_logging(t);
		msc_transaction_cleanup(t);
	}
	return blocked;
}

/* ---- moat ---- */

struct moat {
	struct ruleset *rs;
	const struct msc_ruleset *m;
	struct msc_ctx *ctx;
	struct msc_vars *vars;
	struct http_engine *http;
	struct http_stats hst;
	struct msc_request req;
	size_t blocked, errors, txs;
	bool parse_only; /* libhtp + msc_vars, no rule engine: the HTTP layer's share */
	FILE *dump; /* --dump: decisions of this run, or NULL */
};

static void moat_alert(void *user, const struct msc_alert *a)
{
	struct moat *mo = user;

	if (mo->dump)
		fprintf(mo->dump, " %u:%" PRId64, a->id, a->anomaly_score);
}

/* One transaction: what policyd/msc_glue.c does for a request. */
static void moat_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct moat *mo = user;
	struct eve_tuple t = { .family = 4, .proto = 6, .src_port = 40000, .dest_port = 80 };
	struct msc_tx *mt;

	t.src_ip[0] = 198;
	t.src_ip[1] = 18;
	t.src_ip[3] = 1;
	t.dest_ip[0] = 198;
	t.dest_ip[1] = 18;
	t.dest_ip[3] = 2;
	mo->txs++;
	if (mo->parse_only) {
		if (msc_vars_request_headers(mo->vars, tx, &t, &mo->req) < 0 ||
		    msc_vars_request_body(mo->vars, tx, MSC_BODY_AUTO, &mo->req) < 0)
			mo->errors++;
		return;
	}
	if (msc_tx_new(mo->ctx, ts_us, &mt) < 0) {
		mo->errors++;
		return;
	}
	if (msc_vars_request_headers(mo->vars, tx, &t, &mo->req) < 0)
		mo->errors++;
	if (msc_tx_run_phase(mo->ctx, mt, 1, &mo->req, moat_alert, mo) < 0)
		mo->errors++;
	if ((msc_tx_request_body_access(mt) || msc_tx_force_body_variable(mt)) &&
	    msc_vars_request_body(mo->vars, tx, msc_tx_body_processor(mt), &mo->req) < 0)
		mo->errors++;
	if (msc_tx_run_phase(mo->ctx, mt, 2, &mo->req, moat_alert, mo) < 0)
		mo->errors++;
	if (msc_tx_intercepted(mt))
		mo->blocked++;
	if (msc_tx_run_phase(mo->ctx, mt, 5, &mo->req, moat_alert, mo) < 0)
		mo->errors++;
	if (mo->dump)
		fprintf(mo->dump, " status %d;", msc_tx_intercepted(mt));
	msc_tx_free(mt);
}

static void moat_load(struct moat *mo, const char *setup, const char *crs_dir, bool hs_prefilter)
{
	const char *paths[] = { setup, crs_dir };
	const struct msc_config *cfg;
	struct msc_vars_config vc;
	struct http_config hc;
	struct rule_diags diags = { 0 };
	struct ruleset_opts ro = { .msc_no_hs_prefilter = !hs_prefilter };
	int r;

	r = ruleset_load(paths, 2, &ro, &mo->rs, &diags);
	for (size_t i = 0; i < diags.n; i++)
		if (diags.v[i].kind == RULE_DIAG_INVALID)
			fprintf(stderr, "moat: %s:%u: %s\n", diags.v[i].file, diags.v[i].line,
				diags.v[i].message);
	rule_diags_done(&diags);
	if (r < 0 || !(mo->m = ruleset_msc(mo->rs))) {
		fprintf(stderr, "moat: loading the CRS failed (%d)\n", r);
		exit(1);
	}
	cfg = msc_ruleset_config(mo->m);
	if (msc_ctx_new(mo->m, &mo->ctx) < 0)
		exit(1);
	msc_vars_config_init(&vc);
	vc.arg_separator = cfg->argument_separator;
	vc.cookie_format = cfg->cookie_format ? MSC_COOKIE_V1 : MSC_COOKIE_V0;
	if (msc_vars_new(&vc, &mo->vars) < 0)
		exit(1);
	http_config_defaults(&hc);
	hc.request_body_limit = cfg->request_body_limit;
	hc.keep_request_body = true;
	if (http_engine_new(&hc, &mo->http) < 0)
		exit(1);
}

static size_t moat_run(struct moat *mo, const struct corpus *c, int paranoia)
{
	mo->blocked = 0;
	mo->txs = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct http_conn *conn = http_conn_new(mo->http, moat_tx, mo, &mo->hst, 1);

		if (!conn)
			abort();
		if (mo->dump)
			fprintf(mo->dump, "PL%d %s %s:", paranoia, c->name, c->r[i].id);
		http_conn_data(conn, 0, (const uint8_t *)c->r[i].raw, c->r[i].raw_len, 2);
		http_conn_close(conn, 3);
		http_conn_free(conn);
		if (mo->dump)
			fputc('\n', mo->dump);
	}
	return mo->blocked;
}

static void moat_free(struct moat *mo)
{
	http_engine_free(mo->http);
	msc_vars_free(mo->vars);
	msc_ctx_free(mo->ctx);
	ruleset_free(mo->rs);
}

/* ---- driver ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double best(const double *v, int n)
{
	double b = 0;

	for (int i = 0; i < n; i++)
		if (v[i] > b)
			b = v[i];
	return b;
}

static char *write_setup(const char *crs_setup, int paranoia)
{
	char path[] = "/tmp/moat-bench-crs-XXXXXX.conf"; /* .conf: a SecRule file for moat */
	int fd = mkstemps(path, 5);
	FILE *out, *in;
	char buf[8192];
	size_t n;

	if (fd < 0 || !(out = fdopen(fd, "w")))
		exit(1);
	in = fopen(crs_setup, "r");
	if (!in) {
		fprintf(stderr, "%s: %s\n", crs_setup, strerror(errno));
		unlink(path);
		exit(1);
	}
	fputs(base_conf, out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fprintf(out,
		"\nSecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=%d\"\n"
		"SecAction \"id:900001,phase:1,nolog,pass,t:none,"
		"setvar:tx.executing_paranoia_level=%d\"\n"
		"SecAction \"id:900110,phase:1,nolog,pass,t:none,"
		"setvar:tx.inbound_anomaly_score_threshold=5,"
		"setvar:tx.outbound_anomaly_score_threshold=4\"\n",
		paranoia, paranoia);
	if (fclose(out)) {
		unlink(path);
		exit(1);
	}
	return xstrdup(path);
}

int main(int argc, char **argv)
{
	const char *corpus_dir = "../shared/corpus/crs";
	const char *crs_setup = "/etc/modsecurity/crs/crs-setup.conf";
	const char *crs_dir = "/usr/share/modsecurity-crs/rules";
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'n' },
		{ "moat-only", no_argument, NULL, 'm' },
		{ "corpus-dir", required_argument, NULL, 'c' },
		{ "crs-setup", required_argument, NULL, 's' },
		{ "crs-dir", required_argument, NULL, 'd' },
		{ "no-hs-prefilter", no_argument, NULL, 'p' },
		{ "no-vcache", no_argument, NULL, 'V' },
		{ "dump", required_argument, NULL, 'D' },
		{ "paranoia", required_argument, NULL, 'P' },
		{ "corpus", required_argument, NULL, 'C' },
		{ 0 },
	};
	static const int levels[] = { 1, 4 };
	struct corpus corpora[2] = { { .name = "crs" }, { .name = "benign" } };
	int runs = 5, o, cpu = -1, only_level = 0;
	const char *only_corpus = NULL;
	bool moat_only = false, hs_prefilter = true, vcache = true;
	FILE *dump = NULL;
	json_t *out = json_object(), *results = json_array();
	cpu_set_t set;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
			moat_only = true;
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 'c':
			corpus_dir = optarg;
			break;
		case 's':
			crs_setup = optarg;
			break;
		case 'd':
			crs_dir = optarg;
			break;
		case 'p':
			hs_prefilter = false;
			break;
		case 'V':
			vcache = false;
			break;
		case 'P':
			only_level = atoi(optarg);
			if (only_level != 1 && only_level != 4) {
				fprintf(stderr, "--paranoia: 1 or 4\n");
				return 2;
			}
			break;
		case 'C':
			only_corpus = optarg;
			if (strcmp(optarg, "crs") && strcmp(optarg, "benign")) {
				fprintf(stderr, "--corpus: crs or benign\n");
				return 2;
			}
			break;
		case 'D':
			dump = fopen(optarg, "w");
			if (!dump) {
				fprintf(stderr, "%s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		default:
			fprintf(stderr,
				"usage: %s [--runs N] [--corpus-dir DIR] [--crs-setup FILE] "
				"[--crs-dir DIR] [--moat-only] [--no-hs-prefilter] [--no-vcache] "
				"[--dump FILE] [--paranoia 1|4] [--corpus crs|benign]\n",
				argv[0]);
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "--runs: 1..%d\n", MAX_RUNS);
		return 2;
	}
	{
		char **files = NULL;
		size_t n = 0;
		DIR *d = opendir(corpus_dir);
		struct dirent *e;
		char *p;

		if (!d) {
			fprintf(stderr, "%s: %s\n", corpus_dir, strerror(errno));
			return 1;
		}
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			if (strncmp(e->d_name, "REQUEST-", 8) || l < 6 ||
			    strcmp(e->d_name + l - 6, ".jsonl"))
				continue;
			files = realloc(files, (n + 1) * sizeof(*files));
			if (!files || asprintf(&files[n], "%s/%s", corpus_dir, e->d_name) < 0)
				abort();
			n++;
		}
		closedir(d);
		qsort(files, n, sizeof(*files), cmp_str);
		for (size_t i = 0; i < n; i++) {
			if (corpus_load(&corpora[0], files[i]) < 0)
				return 1;
			free(files[i]);
		}
		free(files);
		if (asprintf(&p, "%s/benign.jsonl", corpus_dir) < 0 ||
		    corpus_load(&corpora[1], p) < 0) {
			fprintf(stderr, "%s/benign.jsonl: cannot read\n", corpus_dir);
			return 1;
		}
		free(p);
	}
	/* single core: stay on the CPU we start on */
	CPU_ZERO(&set);
	cpu = sched_getcpu();
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	for (size_t li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
		char *setup = write_setup(crs_setup, levels[li]);
		struct modsec ms = { 0 };
		struct moat mo = { 0 };
		double t0;

		if (only_level && levels[li] != only_level)
			continue;
		t0 = now_s();
		if (!moat_only) {
			modsec_load(&ms, setup, crs_dir);
			fprintf(stderr, "PL%d: libmodsecurity loaded in %.2f s\n", levels[li],
				now_s() - t0);
		}
		t0 = now_s();
		moat_load(&mo, setup, crs_dir, hs_prefilter);
		fprintf(stderr, "PL%d: moat loaded in %.2f s\n", levels[li], now_s() - t0);
		unlink(setup);
		free(setup);
		for (size_t ci = 0; ci < 2; ci++) {
			const struct corpus *c = &corpora[ci];
			double rps_ms[MAX_RUNS], rps_mo[MAX_RUNS], rps_po[MAX_RUNS], b_ms, b_mo,
				m_ms, m_mo;
			size_t blk_ms = 0, blk_mo = 0;
			struct msc_ctx_stats s0 = *msc_ctx_stats(mo.ctx);
			json_t *r;

			if (only_corpus && strcmp(only_corpus, c->name))
				continue;
			for (int k = 0; k < runs; k++) {
				t0 = now_s();
				blk_ms = moat_only ? 0 : modsec_run(&ms, c);
				rps_ms[k] = moat_only ? 0 : (double)c->n / (now_s() - t0);
				mo.dump = k == 0 ? dump : NULL;
				msc_ctx_vcache(mo.ctx, vcache); /* each run starts cold */
				t0 = now_s();
				blk_mo = moat_run(&mo, c, levels[li]);
				rps_mo[k] = (double)c->n / (now_s() - t0);
				mo.dump = NULL;
				mo.parse_only = true;
				t0 = now_s();
				moat_run(&mo, c, levels[li]);
				rps_po[k] = (double)c->n / (now_s() - t0);
				mo.parse_only = false;
				fprintf(stderr,
					"PL%d %s run %d: libmodsecurity %.0f req/s, moat %.0f req/s\n",
					levels[li], c->name, k + 1, rps_ms[k], rps_mo[k]);
			}
			b_ms = best(rps_ms, runs);
			b_mo = best(rps_mo, runs);
			m_ms = median(rps_ms, runs);
			m_mo = median(rps_mo, runs);
			r = json_pack(
				"{s:s, s:i, s:i, s:i, s:{s:f, s:f, s:i}, s:{s:f, s:f, s:i, s:i, s:i},"
				" s:f, s:f, s:f}",
				"corpus", c->name, "paranoia", levels[li], "requests", (int)c->n,
				"runs", runs, "libmodsecurity", "best_rps", b_ms, "median_rps",
				m_ms, "blocked", (int)blk_ms, "moat", "best_rps", b_mo,
				"median_rps", m_mo, "blocked", (int)blk_mo, "errors",
				(int)mo.errors, "transactions", (int)mo.txs, "speedup_best",
				b_ms > 0 ? b_mo / b_ms : 0.0, "speedup_median",
				m_ms > 0 ? m_mo / m_ms : 0.0, "moat_parse_only_best_rps",
				best(rps_po, runs));
			if (!r)
				abort();
			{
				/* the engine's counters over all runs, per transaction */
				const struct msc_ctx_stats *st = msc_ctx_stats(mo.ctx);
				double d = st->txs > s0.txs ? (double)(st->txs - s0.txs) : 1;

				json_object_set_new(
					r, "moat_per_tx",
					json_pack(
						"{s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
						"s:f, s:f, s:f}",
						"vcache", vcache, "links",
						(double)(st->rules_evaluated - s0.rules_evaluated) /
							d,
						"rx_pcre2", (double)(st->rx_runs - s0.rx_runs) / d,
						"rx_ruled_out",
						(double)(st->rx_skipped - s0.rx_skipped) / d,
						"rx_precheck_out",
						(double)(st->rx_precheck_out - s0.rx_precheck_out) /
							d,
						"rx_links_ruled_out",
						(double)(st->rx_links_skipped -
							 s0.rx_links_skipped) /
							d,
						"links_class_out",
						(double)(st->links_class_out - s0.links_class_out) /
							d,
						"hs_group_scans",
						(double)(st->hs_scans - s0.hs_scans) / d,
						"vcache_hits",
						(double)(st->vcache_hits - s0.vcache_hits) / d,
						"vcache_rx_hits",
						(double)(st->vcache_rx_hits - s0.vcache_rx_hits) /
							d,
						"tcache_hits",
						(double)(st->tcache_hits - s0.tcache_hits) / d,
						"tcache_misses",
						(double)(st->tcache_misses - s0.tcache_misses) / d,
						"matches", (double)(st->matches - s0.matches) / d));
			}
			json_array_append_new(results, r);
		}
		moat_free(&mo);
		if (!moat_only) {
			msc_rules_cleanup(ms.rs);
			msc_cleanup(ms.ms);
		}
	}
	json_object_set_new(out, "benchmark", json_string("crs"));
	json_object_set_new(out, "cpu", json_integer(cpu));
	json_object_set_new(out, "baseline", json_string("libmodsecurity 3.0.9 + same CRS"));
	json_object_set_new(out, "moat_hs_prefilter", json_boolean(hs_prefilter));
	json_object_set_new(out, "target_speedup", json_integer(20));
	json_object_set_new(out, "results", results);
	json_dumpf(out, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(out);
	if (dump && fclose(dump)) {
		perror("--dump");
		return 1;
	}
	return 0;
}
