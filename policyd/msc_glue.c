// SPDX-License-Identifier: GPL-2.0-only
/*
 * SecRule evaluation of HTTP transactions (see msc_glue.h). Inspection points: phase 1 and
 * 2 when the transaction is first reported (its request is complete), 3 once it has a
 * response line, 4 and 5 when the response is complete (or, for 5, when the flow ends
 * first). The request side is refilled from libhtp's transaction when another transaction
 * used the variable builder in between (pipelining, interleaved flows).
 */
#include "msc_glue.h"

#include <errno.h>
#include <htp/htp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

uint64_t msc_glue_body_limit(const struct msc_ruleset *m, uint64_t base)
{
	uint64_t lim;

	if (!m || base == 0)
		return base;
	lim = MIN(msc_ruleset_config(m)->request_body_limit, (uint64_t)MSC_GLUE_BODY_KEEP_MAX);
	return MAX(base, lim);
}

struct mflow {
	struct msc_tx *tx;
	uint64_t tx_id;
	bool phase3, phase4;
	struct mflow *prev, *next; /* in msc_glue.live while tx is set */
};

struct msc_glue {
	const struct msc_ruleset *m;
	struct app_layer *a;
	struct msc_ctx *ctx;
	struct msc_vars *vars;
	struct msc_request req;
	/* which transaction the variables in req belong to */
	const struct flow *vars_flow;
	uint64_t vars_tx_id;
	bool vars_valid;
	struct msc_glue_stats st;
	/* the step being evaluated, for alerts */
	struct flow *f;
	bool to_server;
	uint64_t pcap_cnt, ts_us;
	int64_t tx_id;
	json_t *http;
	msc_glue_decision_hook hook;
	void *hook_ctx;
	const char *in_iface;
	/* flows with a transaction in progress: a ruleset swap must free their transactions
	 * before the context that made them */
	struct mflow *live;
};

static void live_link(struct msc_glue *g, struct mflow *mf)
{
	mf->prev = NULL;
	mf->next = g->live;
	if (g->live)
		g->live->prev = mf;
	g->live = mf;
}

static void live_unlink(struct msc_glue *g, struct mflow *mf)
{
	if (mf->prev)
		mf->prev->next = mf->next;
	else if (g && g->live == mf)
		g->live = mf->next;
	if (mf->next)
		mf->next->prev = mf->prev;
	mf->prev = mf->next = NULL;
}

/* Free MF's transaction (before the context that made it). */
static void mflow_drop_tx(struct msc_glue *g, struct mflow *mf)
{
	if (!mf->tx)
		return;
	live_unlink(g, mf);
	msc_tx_free(mf->tx);
	mf->tx = NULL;
}

int msc_glue_new(const struct msc_ruleset *m, struct app_layer *a, struct msc_glue **ret)
{
	const struct msc_config *cfg = msc_ruleset_config(m);
	struct msc_glue *g = calloc(1, sizeof(*g));
	struct msc_vars_config vc;
	int r;

	if (!g)
		return -ENOMEM;
	g->m = m;
	g->a = a;
	r = msc_ctx_new(m, &g->ctx);
	if (r < 0)
		goto fail;
	msc_vars_config_init(&vc);
	vc.arg_separator = cfg->argument_separator;
	vc.cookie_format = cfg->cookie_format ? MSC_COOKIE_V1 : MSC_COOKIE_V0;
	r = msc_vars_new(&vc, &g->vars);
	if (r < 0)
		goto fail;
	*ret = g;
	return 0;
fail:
	msc_glue_free(g);
	return r;
}

static int make_vars(const struct msc_ruleset *m, struct msc_vars **ret)
{
	const struct msc_config *cfg = msc_ruleset_config(m);
	struct msc_vars_config vc;

	msc_vars_config_init(&vc);
	vc.arg_separator = cfg->argument_separator;
	vc.cookie_format = cfg->cookie_format ? MSC_COOKIE_V1 : MSC_COOKIE_V0;
	return msc_vars_new(&vc, ret);
}

int msc_glue_set_ruleset(struct msc_glue *g, const struct msc_ruleset *m)
{
	struct msc_ctx *ctx = NULL;
	struct msc_vars *vars = NULL;
	int r;

	if (m) {
		r = msc_ctx_new(m, &ctx);
		if (r >= 0)
			r = make_vars(m, &vars);
		if (r < 0) {
			msc_ctx_free(ctx);
			return r; /* nothing changed */
		}
	}
	/* transactions in progress end here: their rules belong to the old ruleset */
	while (g->live) {
		g->st.dropped_on_swap++;
		mflow_drop_tx(g, g->live);
	}
	msc_ctx_free(g->ctx);
	msc_vars_free(g->vars);
	g->m = m;
	g->ctx = ctx;
	g->vars = vars;
	g->vars_valid = false;
	g->vars_flow = NULL;
	return 0;
}

void msc_glue_free(struct msc_glue *g)
{
	if (!g)
		return;
	while (g->live) /* flows still holding transactions (their slots keep the mflow) */
		mflow_drop_tx(g, g->live);
	msc_ctx_free(g->ctx);
	msc_vars_free(g->vars);
	free(g);
}

const struct msc_glue_stats *msc_glue_stats(const struct msc_glue *g)
{
	return &g->st;
}

void msc_glue_set_hook(struct msc_glue *g, msc_glue_decision_hook hook, void *ctx)
{
	g->hook = hook;
	g->hook_ctx = ctx;
}

void msc_glue_set_in_iface(struct msc_glue *g, const char *in_iface)
{
	g->in_iface = in_iface;
}

/* ModSecurity severity (0 emergency .. 7 debug) to Suricata's (1 high .. 4). */
static int severity_of(int sev)
{
	if (sev < 0)
		return 3;
	if (sev <= 2)
		return 1;
	if (sev <= 4)
		return 2;
	if (sev == 5)
		return 3;
	return 4;
}

/* A JSON string of S, with bytes that are not valid UTF-8 replaced (jansson refuses them). */
static json_t *jstr(const char *s)
{
	size_t n = strlen(s);
	char *copy;
	json_t *j;

	if (eve_utf8_valid((const uint8_t *)s, n))
		return json_stringn(s, n);
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_stringn(copy, n);
	free(copy);
	return j;
}

static void meta_add(json_t *meta, const char *key, json_t *v)
{
	json_t *arr = json_object_get(meta, key);

	if (!v)
		return;
	if (!arr) {
		arr = json_array();
		if (!arr || json_object_set_new(meta, key, arr) < 0) {
			json_decref(v);
			return;
		}
	}
	json_array_append_new(arr, v);
}

static void on_alert(void *user, const struct msc_alert *al)
{
	struct msc_glue *g = user;
	struct eve_writer *w = app_layer_writer(g->a);
	_cleanup_free_ char *msg = NULL;
	struct eve_alert_meta m;
	struct eve_tuple t;
	json_t *o, *alert, *meta;
	char num[32];

	msg = strdup(al->msg);
	if (!msg) {
		g->st.errors++;
		return;
	}
	if (!eve_utf8_valid((const uint8_t *)msg, strlen(msg)))
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	m = (struct eve_alert_meta){
		.action = "allowed", /* offline (IDS): nothing is blocked */
		.gid = 1,
		.sid = al->id,
		.rev = al->rev ? (uint32_t)strtoul(al->rev, NULL, 10) : 0,
		.msg = msg,
		.category = "",
		.severity = severity_of(al->severity),
	};
	app_layer_flow_tuple(g->f, &t);
	t.in_iface = g->in_iface;
	if (g->hook && al->blocking) {
		struct rule_info ri = {
			.sid = al->id,
			.gid = 1,
			.rev = m.rev,
			.action = al->disruptive ? RULE_ACTION_DROP : RULE_ACTION_ALERT,
			.priority = m.severity,
			.msg = msg,
			.category = "",
			.tx_rule = true,
			.to_client = !g->to_server,
		};

		g->hook(g->hook_ctx, &ri, t.family, t.src_ip);
	}
	o = eve_alert_event_new(g->ts_us, &t, g->to_server, g->pcap_cnt, g->tx_id, &m,
				g->http ? "http" : NULL, g->http);
	if (!o) {
		g->st.errors++;
		return;
	}
	g->f->alerted = true;
	alert = json_object_get(o, "alert");
	meta = json_object();
	if (alert && meta) {
		for (size_t i = 0; i < al->n_tags; i++)
			meta_add(meta, "tag", jstr(al->tags[i]));
		snprintf(num, sizeof(num), "%lld", (long long)al->anomaly_score);
		meta_add(meta, "anomaly_score", json_string(num));
		if (msc_severity_name(al->severity))
			meta_add(meta, "msc_severity",
				 json_string(msc_severity_name(al->severity)));
		if (al->logdata)
			meta_add(meta, "logdata", jstr(al->logdata));
		if (al->ver)
			meta_add(meta, "ver", jstr(al->ver));
		snprintf(num, sizeof(num), "%d", al->phase);
		meta_add(meta, "phase", json_string(num));
		if (al->disruptive) {
			snprintf(num, sizeof(num), "%d", al->status);
			meta_add(meta, "intercept_status", json_string(num));
		}
		json_object_set_new(alert, "metadata", meta);
	} else {
		json_decref(meta);
	}
	if (w && eve_writer_write(w, o) == 0)
		g->st.alerts++;
	else if (w)
		g->st.errors++;
	json_decref(o);
}

static void run(struct msc_glue *g, struct mflow *mf, int phase)
{
	int r;

	/* phases 1, 2 and 5 (logging, as the CRS's 980130 on the inbound score) speak of the
	 * request: their alerts name the client as src_ip; 3 and 4 the response's direction */
	g->to_server = phase <= 2 || phase == 5;
	r = msc_tx_run_phase(g->ctx, mf->tx, phase, &g->req, on_alert, g);
	if (r < 0)
		g->st.errors++;
}

/* Fill g->req's request side for TX (phase 1 variables, and the body when it is read). */
static void fill_request(struct msc_glue *g, struct flow *f, struct mflow *mf,
			 const struct http_tx *tx, bool body)
{
	struct eve_tuple t;

	app_layer_flow_tuple(f, &t);
	if (msc_vars_request_headers(g->vars, tx, &t, &g->req) < 0)
		g->st.errors++;
	g->vars_flow = f;
	g->vars_tx_id = tx->tx_id;
	g->vars_valid = true;
	if (body && (msc_tx_request_body_access(mf->tx) || msc_tx_force_body_variable(mf->tx)) &&
	    msc_vars_request_body(g->vars, tx, msc_tx_body_processor(mf->tx), &g->req) < 0)
		g->st.errors++;
}

static void finish(struct msc_glue *g, struct mflow *mf)
{
	static const struct msc_request empty;

	if (!mf->tx)
		return;
	if (!(g->vars_valid && g->vars_flow == g->f && g->vars_tx_id == mf->tx_id))
		g->req = empty;
	if (g->f)
		run(g, mf, 5);
	if (msc_tx_intercepted(mf->tx))
		g->st.intercepted++;
	mflow_drop_tx(g, mf);
}

void msc_glue_tx(struct msc_glue *g, struct flow *f, void **slot, const struct http_tx *tx,
		 json_t *http_obj, uint64_t ts_us, uint64_t pcap_cnt)
{
	struct mflow *mf = *slot;
	htp_tx_t *h = tx->htp;
	bool have_resp = h && (h->response_line || tx->status);

	if (!g->ctx)
		return; /* the running ruleset has no SecRules */
	if (!mf) {
		mf = calloc(1, sizeof(*mf));
		if (!mf) {
			g->st.errors++;
			return;
		}
		*slot = mf;
	}
	g->f = f;
	g->http = http_obj;
	g->ts_us = ts_us;
	g->pcap_cnt = pcap_cnt;
	g->tx_id = (int64_t)tx->tx_id;
	if (mf->tx && mf->tx_id != tx->tx_id)
		finish(g, mf); /* the previous transaction will not be reported again */
	if (!mf->tx) {
		if (msc_tx_new(g->ctx, ts_us, &mf->tx) < 0) {
			g->st.errors++;
			return;
		}
		live_link(g, mf);
		mf->tx_id = tx->tx_id;
		mf->phase3 = mf->phase4 = false;
		g->st.txs++;
		fill_request(g, f, mf, tx, false);
		run(g, mf, 1);
		if (msc_tx_request_body_access(mf->tx) || msc_tx_force_body_variable(mf->tx)) {
			if (msc_vars_request_body(g->vars, tx, msc_tx_body_processor(mf->tx),
						  &g->req) < 0)
				g->st.errors++;
		}
		run(g, mf, 2);
	}
	if (have_resp && (!mf->phase3 || (!mf->phase4 && tx->response_complete))) {
		if (!(g->vars_valid && g->vars_flow == f && g->vars_tx_id == tx->tx_id))
			fill_request(g, f, mf, tx, true);
		if (msc_vars_response(g->vars, tx, &g->req) < 0)
			g->st.errors++;
		if (!mf->phase3) {
			mf->phase3 = true;
			run(g, mf, 3);
		}
		if (tx->response_complete && !mf->phase4) {
			mf->phase4 = true;
			run(g, mf, 4);
		}
	}
	if (tx->response_complete)
		finish(g, mf);
}

void msc_glue_flow_end(struct msc_glue *g, struct flow *f, void **slot)
{
	struct mflow *mf = slot ? *slot : NULL;

	if (!mf)
		return;
	if (g && f && mf->tx) {
		/* no packet and no http object any more: phase 5 with the flow only */
		g->f = f;
		g->http = NULL;
		g->pcap_cnt = 0;
		g->ts_us = f->last_us;
		g->tx_id = (int64_t)mf->tx_id;
		finish(g, mf);
	}
	if (mf->tx) {
		/* G NULL: the glue was freed, and its transactions with it (msc_glue_free) */
		live_unlink(g, mf);
		msc_tx_free(mf->tx);
	}
	free(mf);
	*slot = NULL;
}
