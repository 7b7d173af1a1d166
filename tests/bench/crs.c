// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: OWASP CRS evaluation, requests/s on one core, moat's SecRule engine beside
 * libmodsecurity 3 (the baseline, linked into this program only) on the same CRS (Debian's,
 * with crs-check's setup), the same requests and the same paranoia level, in the same run.
 *
 * Per request, both engines parse the HTTP request themselves and run the request phases and
 * logging: moat through libhtp (dpi/http.h), msc_vars and the SecRule phases 1, 2 and 5;
 * ModSecurity through its C API (uri, headers, body, logging). Rule loading and corpus
 * parsing are not timed. Each configuration runs RUNS times alternating the engines; the
 * best and the median run are reported (the machine is shared). Also reported: how many
 * requests each engine blocked (949110), as a check that both did the same work.
 *
 * Usage: crs CORPUS_DIR [RUNS [moat|moat-hs]]   (CORPUS_DIR holds REQUEST-*.jsonl and
 * benign.jsonl; "moat" skips the baseline, for profiling; "moat-hs" also turns on the
 * Hyperscan @rx prefilter groups, ruleset_opts.msc_hs_prefilter)
 * Prints one JSON object.
 */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include "dpi/dpi.h"
#include "rules/rules.h"

#define CRS_DIR "/usr/share/modsecurity-crs/rules"
#define CRS_SETUP "/etc/modsecurity/crs/crs-setup.conf"
#define MAX_RUNS 15

/* crs-check's base configuration (tools/crs-check), the same for both engines. */
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
	"SecRule REQBODY_ERROR \"!@eq 0\" \"id:200002,phase:2,t:none,log,pass,msg:'Failed to "
	"parse request body.'\"\n"
	"SecRule MULTIPART_STRICT_ERROR \"!@eq 0\" \"id:200003,phase:2,t:none,log,pass,"
	"msg:'Multipart request body failed strict validation'\"\n";

struct req {
	char *method, *uri, *version;
	char **hn, **hv;
	size_t nh;
	unsigned char *body;
	size_t body_len;
	char *wire; /* the request as sent, for libhtp */
	size_t wire_len;
};

struct corpus {
	struct req *v;
	size_t n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static unsigned char *b64dec(const char *s, size_t *ret_len)
{
	size_t n = strlen(s), o = 0;
	unsigned char *out = malloc(n / 4 * 3 + 4);
	unsigned int acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0)
			continue;
		acc = acc << 6 | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*ret_len = o;
	return out;
}

static int load_corpus(const char *const *files, size_t n_files, struct corpus *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t f = 0; f < n_files; f++) {
		FILE *fp = fopen(files[f], "re");
		char *line = NULL;
		size_t cap = 0;

		if (!fp)
			return -errno;
		while (getline(&line, &cap, fp) > 0) {
			json_t *o = json_loads(line, 0, NULL), *h;
			struct req r = { 0 };
			size_t i, wl;
			FILE *w;

			if (!o)
				continue;
			r.method = strdup(json_string_value(json_object_get(o, "method")));
			r.uri = strdup(json_string_value(json_object_get(o, "uri")));
			r.version = strdup(json_string_value(json_object_get(o, "version")));
			h = json_object_get(o, "headers");
			r.nh = json_array_size(h);
			r.hn = calloc(r.nh + 1, sizeof(char *));
			r.hv = calloc(r.nh + 1, sizeof(char *));
			for (i = 0; i < r.nh; i++) {
				json_t *p = json_array_get(h, i);

				r.hn[i] = strdup(json_string_value(json_array_get(p, 0)));
				r.hv[i] = strdup(json_string_value(json_array_get(p, 1)));
			}
			r.body = b64dec(json_string_value(json_object_get(o, "body_b64")) ?: "",
					&r.body_len);
			w = open_memstream(&r.wire, &wl);
			fprintf(w, "%s %s %s\r\n", r.method, r.uri, r.version);
			for (i = 0; i < r.nh; i++)
				fprintf(w, "%s: %s\r\n", r.hn[i], r.hv[i]);
			fputs("\r\n", w);
			fwrite(r.body, 1, r.body_len, w);
			fclose(w);
			r.wire_len = wl;
			json_decref(o);
			c->v = realloc(c->v, (c->n + 1) * sizeof(*c->v));
			c->v[c->n++] = r;
		}
		free(line);
		fclose(fp);
	}
	return 0;
}

/* ---- moat ---- */

struct moat {
	struct ruleset *rs;
	struct http_engine *he;
	struct msc_ctx *ctx;
	struct msc_vars *vars;
	struct http_stats hst;
	struct msc_request req;
	uint64_t blocked, alerts, done;
	uint64_t cur_tx; /* last tx handled, +1 */
};

static void moat_alert(void *user, const struct msc_alert *a)
{
	struct moat *m = user;

	m->alerts++;
	if (a->id == 949110)
		m->blocked++;
}

static void moat_on_tx(void *user, const struct http_tx *tx, uint64_t ts)
{
	struct moat *m = user;
	struct eve_tuple t = { .family = 4,
			       .proto = 6,
			       .src_port = 40000,
			       .dest_port = 80,
			       .src_ip = { 198, 18, 0, 1 },
			       .dest_ip = { 198, 18, 0, 2 } };
	struct msc_tx *mt;

	if (m->cur_tx == tx->tx_id + 1)
		return; /* the request side was evaluated already */
	m->cur_tx = tx->tx_id + 1;
	if (msc_tx_new(m->ctx, ts, &mt) < 0)
		return;
	msc_vars_request_headers(m->vars, tx, &t, &m->req);
	msc_tx_run_phase(m->ctx, mt, 1, &m->req, moat_alert, m);
	if (msc_tx_request_body_access(mt) || msc_tx_force_body_variable(mt))
		msc_vars_request_body(m->vars, tx, msc_tx_body_processor(mt), &m->req);
	msc_tx_run_phase(m->ctx, mt, 2, &m->req, moat_alert, m);
	msc_tx_run_phase(m->ctx, mt, 5, &m->req, moat_alert, m);
	msc_tx_free(mt);
	m->done++;
}

static int moat_new(const char *setup_path, bool hs, struct moat *m)
{
	const char *paths[] = { setup_path, CRS_DIR };
	struct ruleset_opts opts = { .msc_hs_prefilter = hs };
	struct rule_diags d = { 0 };
	struct http_config hc;
	struct msc_vars_config vc;
	int r;

	memset(m, 0, sizeof(*m));
	r = ruleset_load(paths, 2, &opts, &m->rs, &d);
	rule_diags_done(&d);
	if (r < 0 || !ruleset_msc(m->rs))
		return r < 0 ? r : -EINVAL;
	http_config_defaults(&hc);
	hc.keep_request_body = true;
	hc.request_body_limit = 1 << 20;
	if (http_engine_new(&hc, &m->he) < 0 || msc_ctx_new(ruleset_msc(m->rs), &m->ctx) < 0)
		return -ENOMEM;
	msc_vars_config_init(&vc);
	return msc_vars_new(&vc, &m->vars);
}

static void moat_free(struct moat *m)
{
	msc_vars_free(m->vars);
	msc_ctx_free(m->ctx);
	http_engine_free(m->he);
	ruleset_free(m->rs);
}

static void moat_run(struct moat *m, const struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct http_conn *hc = http_conn_new(m->he, moat_on_tx, m, &m->hst, 1000000);

		if (!hc)
			continue;
		m->cur_tx = 0;
		http_conn_set_request_cb(hc, moat_on_tx);
		http_conn_data(hc, 0, (const uint8_t *)c->v[i].wire, c->v[i].wire_len, 1000001);
		http_conn_close(hc, 1000002);
		http_conn_free(hc);
	}
}

/* ---- ModSecurity ---- */

struct modsec {
	ModSecurity *ms;
	RulesSet *rules;
	uint64_t blocked;
};

static void modsec_log(void *data, const void *msg)
{
	(void)data;
	(void)msg;
}

static int modsec_new(const char *setup_path, struct modsec *x)
{
	const char *err = NULL;
	glob_t g;

	x->ms = msc_init();
	msc_set_log_cb(x->ms, modsec_log);
	x->rules = msc_create_rules_set();
	if (msc_rules_add_file(x->rules, setup_path, &err) < 0) {
		fprintf(stderr, "modsecurity: %s\n", err ? err : "?");
		return -EINVAL;
	}
	if (glob(CRS_DIR "/*.conf", 0, NULL, &g) != 0)
		return -ENOENT;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (msc_rules_add_file(x->rules, g.gl_pathv[i], &err) < 0) {
			fprintf(stderr, "modsecurity: %s: %s\n", g.gl_pathv[i], err ? err : "?");
			globfree(&g);
			return -EINVAL;
		}
	}
	globfree(&g);
	return 0;
}

static void modsec_run(struct modsec *x, const struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct req *r = &c->v[i];
		Transaction *t = msc_new_transaction(x->ms, x->rules, NULL);
		ModSecurityIntervention it = { .status = 200 };
		const char *ver = strncmp(r->version, "HTTP/", 5) ? r->version : r->version + 5;

		msc_process_connection(t, "198.18.0.1", 40000, "198.18.0.2", 80);
		msc_process_uri(t, r->uri, r->method, ver);
		for (size_t h = 0; h < r->nh; h++)
			msc_add_n_request_header(t, (const unsigned char *)r->hn[h],
						 strlen(r->hn[h]), (const unsigned char *)r->hv[h],
						 strlen(r->hv[h]));
		msc_process_request_headers(t);
		msc_append_request_body(t, r->body, r->body_len);
		msc_process_request_body(t);
		if (msc_intervention(t, &it) && it.disruptive)
			x->blocked++;
		free(it.url);
		free(it.log);
		msc_process_logging(t);
		msc_transaction_cleanup(t);
	}
}

static void modsec_free(struct modsec *x)
{
	msc_rules_cleanup(x->rules);
	msc_cleanup(x->ms);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int write_setup(int pl, char *path)
{
	FILE *f, *s;
	char buf[8192];
	size_t n;
	int fd;

	strcpy(path, "/tmp/bench_crs_setup.XXXXXX.conf");
	fd = mkstemps(path, 5);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	s = fopen(CRS_SETUP, "re");
	if (!f || !s)
		return -errno;
	fputs(base_conf, f);
	while ((n = fread(buf, 1, sizeof(buf), s)) > 0)
		fwrite(buf, 1, n, f);
	fclose(s);
	fprintf(f,
		"\nSecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=%d\"\n",
		pl);
	fprintf(f,
		"SecAction \"id:900001,phase:1,nolog,pass,t:none,"
		"setvar:tx.executing_paranoia_level=%d\"\n",
		pl);
	fprintf(f, "SecAction \"id:900110,phase:1,nolog,pass,t:none,"
		   "setvar:tx.inbound_anomaly_score_threshold=5,"
		   "setvar:tx.outbound_anomaly_score_threshold=4\"\n");
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/crs";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	struct corpus crs, benign;
	char pat[4096], bpath[4096];
	glob_t g;
	bool first = true, only_moat = argc > 3 && !strncmp(argv[3], "moat", 4);
	bool hs = argc > 3 && !strcmp(argv[3], "moat-hs");

	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	if (access(CRS_DIR, R_OK) || access(CRS_SETUP, R_OK)) {
		fprintf(stderr, "crs: Debian's modsecurity-crs is not installed\n");
		return 77;
	}
	snprintf(pat, sizeof(pat), "%s/REQUEST-*.jsonl", dir);
	snprintf(bpath, sizeof(bpath), "%s/benign.jsonl", dir);
	if (glob(pat, 0, NULL, &g) != 0 ||
	    load_corpus((const char *const *)g.gl_pathv, g.gl_pathc, &crs) < 0) {
		fprintf(stderr, "crs: cannot read %s\n", pat);
		return 1;
	}
	globfree(&g);
	{
		const char *b[] = { bpath };

		if (load_corpus(b, 1, &benign) < 0) {
			fprintf(stderr, "crs: cannot read %s\n", bpath);
			return 1;
		}
	}
	printf("{\"runs\": %d, \"results\": [", runs);
	for (int pl = 1; pl <= 4; pl += 3) {
		char setup[64];
		struct moat m;
		struct modsec x;
		double t0;

		if (write_setup(pl, setup) < 0) {
			fprintf(stderr, "crs: cannot write the setup file\n");
			return 1;
		}
		t0 = now();
		if (moat_new(setup, hs, &m) < 0) {
			fprintf(stderr, "crs: moat cannot load the CRS\n");
			return 1;
		}
		fprintf(stderr, "crs: PL %d: moat loaded in %.2f s\n", pl, now() - t0);
		t0 = now();
		memset(&x, 0, sizeof(x));
		if (!only_moat && modsec_new(setup, &x) < 0)
			return 1;
		fprintf(stderr, "crs: PL %d: ModSecurity loaded in %.2f s\n", pl, now() - t0);
		unlink(setup);
		for (int ci = 0; ci < 2; ci++) {
			const struct corpus *c = ci ? &benign : &crs;
			double tm[MAX_RUNS], tx[MAX_RUNS];
			uint64_t mb = 0, xb = 0, ma = 0;

			for (int r = 0; r < runs; r++) {
				m.blocked = m.alerts = 0;
				x.blocked = 0;
				t0 = now();
				moat_run(&m, c);
				tm[r] = now() - t0;
				t0 = now();
				if (!only_moat)
					modsec_run(&x, c);
				tx[r] = now() - t0;
				mb = m.blocked;
				ma = m.alerts;
				xb = x.blocked;
			}
			{
				const struct msc_ctx_stats *st = msc_ctx_stats(m.ctx);

				fprintf(stderr,
					"crs: moat so far: %llu txs, %llu rules evaluated, %llu matches, "
					"%llu PCRE2 runs, tcache %llu hits %llu misses\n",
					(unsigned long long)st->txs,
					(unsigned long long)st->rules_evaluated,
					(unsigned long long)st->matches,
					(unsigned long long)st->rx_runs,
					(unsigned long long)st->tcache_hits,
					(unsigned long long)st->tcache_misses);
			}
			qsort(tm, (size_t)runs, sizeof(double), cmp_d);
			qsort(tx, (size_t)runs, sizeof(double), cmp_d);
			printf("%s\n {\"corpus\": \"%s\", \"paranoia\": %d, \"requests\": %zu, "
			       "\"moat_rps_best\": %.0f, \"moat_rps_median\": %.0f, "
			       "\"modsecurity_rps_best\": %.0f, \"modsecurity_rps_median\": %.0f, "
			       "\"ratio_best\": %.1f, \"ratio_median\": %.1f, \"moat_blocked\": %llu, "
			       "\"modsecurity_blocked\": %llu, \"moat_alerts\": %llu}",
			       first ? "" : ",", ci ? "benign" : "crs-tests", pl, c->n,
			       (double)c->n / tm[0], (double)c->n / tm[runs / 2],
			       (double)c->n / tx[0], (double)c->n / tx[runs / 2], tx[0] / tm[0],
			       tx[runs / 2] / tm[runs / 2], (unsigned long long)mb,
			       (unsigned long long)xb, (unsigned long long)ma);
			fflush(stdout);
			first = false;
		}
		moat_free(&m);
		if (!only_moat)
			modsec_free(&x);
	}
	printf("\n]}\n");
	return 0;
}
