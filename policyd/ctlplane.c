// SPDX-License-Identifier: GPL-2.0-only
/* moatd's control plane in live mode: control socket, rule directory, metrics (ctlplane.h). */
#include "ctlplane.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <config.h> /* the build's: MOAT_VERSION */
#include "lib/lib.h"
#include "control.h"
#include "ctl_entries.h"
#include "daemon.h"
#include "metrics.h"
#include "ruledir.h"
#include "ruledisable.h"

struct ctlplane {
	struct daemon *d;
	struct control *control;
	struct ctl_entries *entries; /* entries.add/delete, iface.attach/detach */
	struct ruledir *ruledir;
	struct metrics *metrics;
	bool started; /* workers run: rulesets go to daemon_set_ruleset() */
	struct ruleset *initial; /* the synchronous first load, before the workers exist */
};

static int install(void *ctx, struct ruleset *rs)
{
	struct ctlplane *cp = ctx;

	if (!cp->started) {
		ruleset_free(cp->initial);
		cp->initial = rs;
		return 0;
	}
	return daemon_set_ruleset(cp->d, rs);
}

/* ---- main-loop callbacks ---- */

static void on_control(void *ctx, uint32_t events)
{
	struct ctlplane *cp = ctx;
	int r = control_dispatch(cp->control);

	if (r < 0)
		log_err("control socket: %s", strerror(-r));
}

static void on_ruledir(void *ctx, uint32_t events)
{
	struct ctlplane *cp = ctx;
	int r = ruledir_dispatch(cp->ruledir);

	if (r < 0)
		log_err("rule directory: %s", strerror(-r));
}

static void on_metrics(void *ctx, uint32_t events)
{
	struct ctlplane *cp = ctx;
	int r = metrics_dispatch(cp->metrics);

	if (r < 0)
		log_err("metrics: %s", strerror(-r));
}

/* ---- status ---- */

static json_t *ifaces_json(struct daemon *d)
{
	const struct moat_dp_attach_report *rep;
	size_t n = daemon_ifaces(d, &rep);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s, s:i, s:s, s:s}", "ifname", rep[i].ifname,
						"ifindex", rep[i].ifindex, "xdp_mode",
						moat_dp_xdp_mode_name(rep[i].xdp_mode), "tc_mode",
						moat_dp_tc_mode_name(rep[i].tc_mode)));
	return arr;
}

static json_t *rules_summary_json(struct ruledir *rd)
{
	json_t *st = ruledir_status_json(rd), *installed, *last, *res;

	if (!st)
		return NULL;
	installed = json_object_get(st, "installed");
	last = json_object_get(st, "last_reload");
	res = json_pack(
		"{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O, s:O, s:O?}", "files",
		json_object_get(installed, "files"), "loaded", json_object_get(installed, "loaded"),
		"unsupported", json_object_get(installed, "unsupported"), "invalid",
		json_object_get(installed, "invalid"), "generation",
		json_object_get(installed, "generation"), "installed",
		json_object_get(installed, "installed"), "reloads", json_object_get(st, "reloads"),
		"failures", json_object_get(st, "failures"), "last_reload", last);
	json_decref(st);
	return res;
}

static int cmd_status(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	struct daemon *d = cp->d;
	struct moat_dp_copy_stats cs = { 0 };
	struct bans_stats bs;
	uint32_t mode = 0;
	int r;

	pthread_mutex_lock(daemon_dp_lock(d));
	r = moat_dp_get_mode(daemon_dp(d), &mode);
	pthread_mutex_unlock(daemon_dp_lock(d));
	if (r < 0) {
		snprintf(err, errlen, "reading the mode: %s", strerror(-r));
		return r;
	}
	daemon_copy_stats(d, -1, &cs);
	bans_get_stats(daemon_bans(d), &bs);
	*ret_result = json_pack(
		"{s:{s:b, s:s, s:i, s:I, s:i}, s:s, s:o*, s:o*, s:{s:I, s:I, s:I}, "
		"s:{s:I, s:I, s:I, s:I}}",
		"daemon", "running", 1, "version", MOAT_VERSION, "pid", (int)getpid(), "uptime_s",
		(json_int_t)daemon_uptime(d), "workers", (int)daemon_workers(d), "mode",
		mode == MOAT_MODE_DENY ? "deny" : "allow", "interfaces", ifaces_json(d), "rules",
		rules_summary_json(cp->ruledir), "bans", "active", (json_int_t)bs.active, "total",
		(json_int_t)bs.bans, "refused",
		(json_int_t)(bs.refused_allowlist + bs.refused_own + bs.refused_never_ban),
		"copies", "copied", (json_int_t)cs.copied, "ring_losses", (json_int_t)cs.lost,
		"depth_skipped", (json_int_t)cs.depth_skipped, "bypassed", (json_int_t)cs.bypassed);
	return *ret_result ? 0 : -ENOMEM;
}

/* ---- config.show ---- */

static json_t *config_json(const struct moatd_config *c)
{
	json_t *never = json_array(), *sets = json_object(), *ifaces = json_array(),
	       *paths = json_array();
	char buf[CIDR_STRLEN];

	for (size_t i = 0; never && i < c->n_never_ban; i++)
		json_array_append_new(never,
				      json_string(cidr_format(&c->never_ban[i], buf, sizeof(buf))));
	for (size_t i = 0; sets && i < c->n_sets; i++)
		json_object_set_new(sets, c->sets[i].key, json_string(c->sets[i].value));
	for (size_t i = 0; ifaces && i < c->n_ifaces; i++)
		json_array_append_new(ifaces, json_string(c->ifaces[i]));
	for (size_t i = 0; paths && i < c->n_rule_paths; i++)
		json_array_append_new(paths, json_string(c->rule_paths[i]));
	/* Field names are the config file's keys (docs/config.md); durations in seconds. */
	return json_pack(
		"{s:{s:i, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:b}, "
		"s:{s:s, s:s}, s:{s:s}, "
		"s:{s:b, s:f, s:f, s:f, s:f, s:f, s:I, s:b, s:I, s:I, s:i, s:I, s:i, s:i, s:I, s:o*}, "
		"s:o*, s:{s:o*, s:o*}}",
		"daemon", "workers", (int)c->workers, "transport",
		config_transport_name(c->transport), "ring-size", (json_int_t)c->ring_size, "depth",
		(json_int_t)c->depth, "snaplen", (json_int_t)c->snaplen, "xdp-mode",
		config_xdp_mode_name(c->xdp_mode), "log-dir", c->log_dir, "rules-dir", c->rules_dir,
		"cache-dir", c->cache_dir, "state-file", c->state_file, "pin-root", c->pin_root,
		"keep-enforcement", c->keep_enforcement, "sweep-interval",
		(json_int_t)c->sweep_interval_s, "drop-capabilities", c->drop_caps, "control",
		"socket", c->control_socket, "group", c->control_group, "metrics", "listen",
		c->metrics_listen, "autoban", "enabled", c->autoban, "threshold", c->threshold,
		"weight-priority-1", c->weight[0], "weight-priority-2", c->weight[1],
		"weight-priority-3", c->weight[2], "weight-priority-4", c->weight[3], "window",
		(json_int_t)c->window_s, "ban-on-drop", c->ban_on_drop, "ban-time",
		(json_int_t)c->ban_time_s, "ban-max", (json_int_t)c->ban_max_s, "escalate",
		(int)c->escalate, "forget", (json_int_t)c->forget_s, "ipv4-prefix",
		(int)c->ipv4_prefix, "ipv6-prefix", (int)c->ipv6_prefix, "max-offenders",
		(json_int_t)c->max_offenders, "never-ban", never, "set", sets, "command-line",
		"interfaces", ifaces, "rule-paths", paths);
}

static int cmd_config(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;

	struct bans_scoring sc;
	json_t *ab;

	*ret_result = config_json(daemon_config(cp->d));
	if (!*ret_result)
		return -ENOMEM;
	/* `fwctl threshold set` changes these at run time: show the values in force */
	bans_get_scoring(daemon_bans(cp->d), &sc);
	ab = json_object_get(*ret_result, "autoban");
	json_object_set_new(ab, "threshold", json_real(sc.threshold));
	json_object_set_new(ab, "window", json_integer((json_int_t)sc.window_s));
	json_object_set_new(ab, "ban-time", json_integer((json_int_t)sc.ban_time_s));
	json_object_set_new(ab, "ban-max", json_integer((json_int_t)sc.ban_max_s));
	return 0;
}

/* ---- bans.list ---- */

/* Hard cap of bans one reply lists (the bans module caps its active list lower). */
#define BANS_LIST_MAX 65536

struct ban_snap {
	struct ban_info *v;
	size_t n, cap;
	uint64_t refused; /* past BANS_LIST_MAX or out of memory */
};

static void ban_snap_cb(void *ctx, const struct ban_info *bi)
{
	struct ban_snap *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct ban_info *v =
			cap <= BANS_LIST_MAX ? reallocarray(s->v, cap, sizeof(*v)) : NULL;

		if (!v) {
			s->refused++;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *bi;
}

struct ban_row {
	const struct ban_info *bi;
	bool in_kernel;
	uint64_t hits, expires_ns;
};

static int cmp_expiry(const void *a, const void *b)
{
	const struct ban_row *x = a, *y = b;

	return x->expires_ns < y->expires_ns ? -1 : x->expires_ns > y->expires_ns;
}

static int cmp_hits(const void *a, const void *b)
{
	const struct ban_row *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return cmp_expiry(a, b);
}

static const struct control_arg bans_list_args[] = {
	{ "sort", JSON_STRING, false },
	{ "reason", JSON_STRING, false },
	{},
};

/*
 * The daemon's active automatic bans, with the kernel entry's hits and expiry (an operator may
 * have changed or removed it: in_kernel false). reason: "auto" (all of them) or a rule id
 * (bans that rule contributed to); "manual" is refused (manual entries are not bans).
 */
static int cmd_bans_list(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	struct daemon *d = cp->d;
	const char *sort = json_string_value(json_object_get(args, "sort"));
	const char *reason = json_string_value(json_object_get(args, "reason"));
	struct ban_snap snap = { 0 };
	_cleanup_free_ struct ban_row *rows = NULL;
	uint64_t sid = 0, now = moat_dp_now_ns();
	size_t n = 0;
	json_t *arr, *res;
	char buf[CIDR_STRLEN];

	if (sort && strcmp(sort, "expiry") != 0 && strcmp(sort, "hits") != 0) {
		snprintf(err, errlen, "invalid sort '%s' (expiry, hits)", sort);
		return -EINVAL;
	}
	if (reason && strcmp(reason, "manual") == 0) {
		snprintf(err, errlen,
			 "bans are automatic: manual blocks are listed by 'fwctl list'");
		return -EINVAL;
	}
	if (reason && strcmp(reason, "auto") != 0 && parse_u64(reason, 1, UINT32_MAX, &sid) < 0) {
		snprintf(err, errlen, "invalid reason '%s' (auto, or a rule id 1-4294967295)",
			 reason);
		return -EINVAL;
	}
	bans_foreach(daemon_bans(d), ban_snap_cb, &snap);
	rows = calloc(snap.n ? snap.n : 1, sizeof(*rows));
	if (!rows) {
		free(snap.v);
		return -ENOMEM;
	}
	pthread_mutex_lock(daemon_dp_lock(d));
	for (size_t i = 0; i < snap.n; i++) {
		const struct ban_info *bi = &snap.v[i];
		struct moat_dp_entry key = { .kind = MOAT_KIND_BLOCK,
					     .dir = MOAT_DIR_SRC,
					     .cidr = bi->prefix },
				     e;
		bool match = !sid;

		for (size_t k = 0; k < bi->n_sids && !match; k++)
			match = bi->sids[k] == sid;
		if (!match)
			continue;
		rows[n] = (struct ban_row){ .bi = bi, .expires_ns = bi->expires_ns };
		if (moat_dp_get(daemon_dp(d), &key, &e) >= 0 && e.reason == MOAT_REASON_AUTO) {
			rows[n].in_kernel = true;
			rows[n].hits = e.hits;
			rows[n].expires_ns = e.expires_ns;
		}
		n++;
	}
	pthread_mutex_unlock(daemon_dp_lock(d));
	qsort(rows, n, sizeof(*rows), sort && strcmp(sort, "hits") == 0 ? cmp_hits : cmp_expiry);

	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		const struct ban_info *bi = rows[i].bi;
		json_t *sids = json_array();

		for (size_t k = 0; sids && k < bi->n_sids; k++)
			json_array_append_new(sids, json_integer(bi->sids[k]));
		json_array_append_new(
			arr, json_pack("{s:s, s:o*, s:f, s:i, s:s, s:I, s:I, s:b, s:I}", "prefix",
				       cidr_format(&bi->prefix, buf, sizeof(buf)), "rule_ids", sids,
				       "score", bi->score, "offences", (int)bi->offences, "trigger",
				       bi->drop_rule ? "drop_rule" : "score", "banned_at_us",
				       (json_int_t)bi->banned_at_us, "expires_in_s",
				       (json_int_t)(rows[i].expires_ns > now ?
							    (rows[i].expires_ns - now + 999999999) /
								    1000000000 :
							    0),
				       "in_kernel", rows[i].in_kernel, "hits",
				       (json_int_t)rows[i].hits));
	}
	res = json_pack("{s:I, s:I, s:o*}", "count", (json_int_t)n, "unlisted",
			(json_int_t)snap.refused, "bans", arr);
	free(snap.v);
	*ret_result = res;
	return res ? 0 : -ENOMEM;
}

/* ---- top.offenders, top.rules ---- */

#define TOP_DEFAULT_LIMIT 10
#define TOP_MAX_LIMIT 10000

static const struct control_arg top_args[] = {
	{ "limit", JSON_INTEGER, false },
	{},
};

static int top_limit(json_t *args, size_t *ret, char *err, size_t errlen)
{
	json_t *j = json_object_get(args, "limit");

	*ret = TOP_DEFAULT_LIMIT;
	if (!j)
		return 0;
	if (json_integer_value(j) < 1 || json_integer_value(j) > TOP_MAX_LIMIT) {
		snprintf(err, errlen, "invalid limit %lld (1-%d)", (long long)json_integer_value(j),
			 TOP_MAX_LIMIT);
		return -EINVAL;
	}
	*ret = (size_t)json_integer_value(j);
	return 0;
}

struct offender_snap {
	struct offender_snapshot *v;
	size_t n, cap;
	uint64_t refused; /* out of memory */
};

static void offender_snap_cb(void *ctx, const struct offender_snapshot *o)
{
	struct offender_snap *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct offender_snapshot *v = reallocarray(s->v, cap, sizeof(*v));

		if (!v) {
			s->refused++;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *o;
}

static int cmp_offender(const void *a, const void *b)
{
	const struct offender_snapshot *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->offences != y->offences)
		return x->offences > y->offences ? -1 : 1;
	return x->last_ns > y->last_ns ? -1 : x->last_ns < y->last_ns;
}

/* Tracked offenders by current (decayed) score, then offences, then the latest alert. */
static int cmd_top_offenders(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	struct offender_snap snap = { 0 };
	struct bans_scoring sc;
	char buf[CIDR_STRLEN];
	size_t limit;
	json_t *arr;
	int r = top_limit(args, &limit, err, errlen);

	if (r < 0)
		return r;
	bans_get_scoring(daemon_bans(cp->d), &sc);
	bans_offenders(daemon_bans(cp->d), offender_snap_cb, &snap);
	if (snap.n)
		qsort(snap.v, snap.n, sizeof(*snap.v), cmp_offender);
	arr = json_array();
	for (size_t i = 0; arr && i < snap.n && i < limit; i++) {
		const struct offender_snapshot *o = &snap.v[i];
		json_t *sids = json_array(), *ban_sids = json_array(), *e;

		for (size_t k = 0; sids && k < o->n_sids; k++)
			json_array_append_new(sids, json_integer(o->sids[k]));
		for (size_t k = 0; ban_sids && k < o->n_ban_sids; k++)
			json_array_append_new(ban_sids, json_integer(o->ban_sids[k]));
		e = json_pack("{s:s, s:f, s:i, s:b, s:o*}", "prefix",
			      cidr_format(&o->prefix, buf, sizeof(buf)), "score", o->score,
			      "offences", (int)o->offences, "banned", o->banned, "rule_ids", sids);
		/* a ban clears the score: say what it was decided on */
		if (e && o->banned)
			json_object_update_new(e,
					       json_pack("{s:f, s:o*}", "ban_score", o->ban_score,
							 "ban_rule_ids", ban_sids));
		else
			json_decref(ban_sids);
		json_array_append_new(arr, e);
	}
	*ret_result = json_pack("{s:I, s:f, s:o*}", "tracked", (json_int_t)snap.n, "threshold",
				sc.threshold, "offenders", arr);
	free(snap.v);
	return *ret_result ? 0 : -ENOMEM;
}

struct rule_snap {
	struct bans_rule_count v[BANS_MAX_RULES];
	size_t n;
};

static void rule_snap_cb(void *ctx, const struct bans_rule_count *rc)
{
	struct rule_snap *s = ctx;

	if (s->n < BANS_MAX_RULES)
		s->v[s->n++] = *rc;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct bans_rule_count *x = a, *y = b;

	if (x->alerts != y->alerts)
		return x->alerts > y->alerts ? -1 : 1;
	return x->sid < y->sid ? -1 : x->sid > y->sid;
}

/* Rules by alerts since start, with the running ruleset's message when it has the rule. */
static int cmd_top_rules(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	_cleanup_free_ struct rule_snap *snap = calloc(1, sizeof(*snap));
	const struct ruleset *rs = daemon_ruleset(cp->d);
	uint64_t refused = 0, total = 0;
	size_t limit;
	json_t *arr;
	int r = top_limit(args, &limit, err, errlen);

	if (r < 0)
		return r;
	if (!snap)
		return -ENOMEM;
	bans_rule_counts(daemon_bans(cp->d), rule_snap_cb, snap, &refused);
	for (size_t i = 0; i < snap->n; i++)
		total += snap->v[i].alerts;
	qsort(snap->v, snap->n, sizeof(snap->v[0]), cmp_rule);
	arr = json_array();
	for (size_t i = 0; arr && i < snap->n && i < limit; i++) {
		const struct bans_rule_count *rc = &snap->v[i];
		struct rule_desc rd;
		bool known = rs && ruleset_lookup(rs, rc->sid, &rd) == 0;

		json_array_append_new(
			arr, json_pack("{s:I, s:I, s:I, s:s?, s:s?}", "sid", (json_int_t)rc->sid,
				       "alerts", (json_int_t)rc->alerts, "last_alert_us",
				       (json_int_t)rc->last_us, "msg", known ? rd.msg : NULL,
				       "kind", known ? rule_kind_name(rd.kind) : NULL));
	}
	*ret_result =
		json_pack("{s:I, s:I, s:I, s:o*}", "rules", (json_int_t)snap->n, "alerts",
			  (json_int_t)total, "unlisted_alerts", (json_int_t)refused, "top", arr);
	return *ret_result ? 0 : -ENOMEM;
}

/* ---- threshold.show, threshold.set ---- */

static json_t *scoring_json(const struct bans_scoring *sc)
{
	return json_pack("{s:f, s:I, s:I, s:I}", "threshold", sc->threshold, "window",
			 (json_int_t)sc->window_s, "ban-time", (json_int_t)sc->ban_time_s,
			 "ban-max", (json_int_t)sc->ban_max_s);
}

static int cmd_threshold_show(void *ctx, json_t *args, json_t **ret_result, char *err,
			      size_t errlen)
{
	struct ctlplane *cp = ctx;
	struct bans_scoring sc;

	bans_get_scoring(daemon_bans(cp->d), &sc);
	*ret_result = scoring_json(&sc);
	return *ret_result ? 0 : -ENOMEM;
}

static const struct control_arg threshold_set_args[] = {
	{ "key", JSON_STRING, true },
	{ "value", JSON_STRING, true },
	{},
};

/* Keys as in the config file's [autoban] section; durations as there (30s, 10m, 1h, 7d). */
static int cmd_threshold_set(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	const char *key = json_string_value(json_object_get(args, "key"));
	const char *value = json_string_value(json_object_get(args, "value"));
	struct bans_scoring sc, old;
	uint64_t *dur = NULL, old_dur = 0;
	char buf[32];
	int r;

	bans_get_scoring(daemon_bans(cp->d), &sc);
	old = sc;
	if (strcmp(key, "threshold") == 0) {
		char *end;
		double v;

		errno = 0;
		v = strtod(value, &end);
		if (!*value || *end || errno || !(v >= 1 && v <= 1000000)) {
			snprintf(err, errlen, "invalid threshold '%s' (a number, 1 to 1000000)",
				 value);
			return -EINVAL;
		}
		sc.threshold = v;
	} else if (strcmp(key, "window") == 0) {
		dur = &sc.window_s;
	} else if (strcmp(key, "ban-time") == 0) {
		dur = &sc.ban_time_s;
	} else if (strcmp(key, "ban-max") == 0) {
		dur = &sc.ban_max_s;
	} else {
		snprintf(err, errlen, "unknown key '%s' (threshold, window, ban-time, ban-max)",
			 key);
		return -EINVAL;
	}
	if (dur) {
		old_dur = *dur;
		if (parse_duration(value, dur) < 0) {
			snprintf(err, errlen, "invalid %s '%s' (a duration: 30s, 10m, 1h, 7d)", key,
				 value);
			return -EINVAL;
		}
	}
	r = bans_set_scoring(daemon_bans(cp->d), &sc, err, errlen);
	if (r < 0)
		return r;
	if (dur)
		log_info("autoban: %s %s -> %s (control socket)", key,
			 format_duration(old_dur, buf, sizeof(buf)), value);
	else
		log_info("autoban: threshold %g -> %g (control socket)", old.threshold,
			 sc.threshold);
	*ret_result = scoring_json(&sc);
	return *ret_result ? 0 : -ENOMEM;
}

/* ---- bans.flush ---- */

/* Automatic entries in the kernel that no tracked ban owns (left by a daemon whose state
 * was lost) are removed too; at most this many per flush. */
#define FLUSH_MAX_UNTRACKED 65536

struct auto_entries {
	struct moat_dp_entry *v;
	size_t n, cap;
	bool truncated;
};

static int auto_entry_cb(const struct moat_dp_entry *e, void *userdata)
{
	struct auto_entries *a = userdata;

	if (e->kind != MOAT_KIND_BLOCK || e->reason != MOAT_REASON_AUTO)
		return 0;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct moat_dp_entry *v =
			cap <= FLUSH_MAX_UNTRACKED ? reallocarray(a->v, cap, sizeof(*v)) : NULL;

		if (!v) {
			a->truncated = true;
			return 1;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *e;
	return 0;
}

static int cmd_bans_flush(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	struct daemon *d = cp->d;
	struct auto_entries a = { 0 };
	size_t failed = 0, untracked = 0, n;
	int r;

	n = bans_flush(daemon_bans(d), "flushed", &failed);
	/* A worker may ban between the flush and this walk: its entry goes too, and the next
	 * sweep logs that ban's unban ("removed"), so no ban is left untracked or unlogged. */
	pthread_mutex_lock(daemon_dp_lock(d));
	r = moat_dp_list(daemon_dp(d), auto_entry_cb, &a);
	for (size_t i = 0; r >= 0 && i < a.n; i++) {
		if (moat_dp_delete(daemon_dp(d), &a.v[i]) == 0)
			untracked++;
		else
			failed++;
	}
	pthread_mutex_unlock(daemon_dp_lock(d));
	free(a.v);
	if (r < 0) {
		snprintf(err, errlen, "%zu bans flushed; listing the kernel's entries: %s", n,
			 strerror(-r));
		return r;
	}
	log_info("bans flushed by the control socket: %zu unbanned, %zu untracked entries "
		 "removed, %zu failed",
		 n, untracked, failed);
	*ret_result = json_pack("{s:I, s:I, s:I, s:b}", "unbanned", (json_int_t)n, "untracked",
				(json_int_t)untracked, "failed", (json_int_t)failed, "truncated",
				a.truncated);
	return *ret_result ? 0 : -ENOMEM;
}

/* ---- alerts ---- */

#define ALERTS_DEFAULT_LIMIT 50

static const struct control_arg alerts_args[] = {
	{ "since_s", JSON_INTEGER, false }, { "sid", JSON_INTEGER, false },
	{ "src", JSON_STRING, false },	    { "limit", JSON_INTEGER, false },
	{ "after", JSON_INTEGER, false },   {},
};

struct alerts_query {
	uint64_t after_seq; /* only alerts past this cursor (0: any) */
	uint64_t last_seq; /* the newest alert's cursor (0: none yet) */
	uint64_t after_us; /* 0: any */
	uint32_t sid; /* 0: any */
	bool has_src;
	struct cidr src;
	size_t limit, matched;
	const struct ruleset *rs;
	json_t *arr;
};

static int alert_cb(void *ctx, const struct bans_alert_rec *a)
{
	struct alerts_query *q = ctx;
	char ip[CIDR_STRLEN];
	struct rule_desc rd;
	bool known;

	if (!q->last_seq)
		q->last_seq = a->seq; /* newest first */
	if (a->seq <= q->after_seq)
		return 1; /* the follower has the rest */
	if (q->after_us && a->ts_us < q->after_us)
		return 1; /* newest first: the rest are older */
	if (q->sid && a->sid != q->sid)
		return 0;
	if (q->has_src && !cidr_contains(&q->src, a->family, a->src))
		return 0;
	/* Suricata sid (gid 1) or SecRule id: both engines' alerts carry their rule's id */
	known = q->rs && ruleset_lookup(q->rs, a->sid, &rd) == 0;
	if (q->arr)
		json_array_append_new(
			q->arr,
			json_pack("{s:I, s:I, s:s, s:I, s:i, s:s, s:s?, s:s?}", "seq",
				  (json_int_t)a->seq, "ts_us", (json_int_t)a->ts_us, "src_ip",
				  addr_format(a->family, a->src, ip, sizeof(ip)), "sid",
				  (json_int_t)a->sid, "priority", (int)a->priority, "action",
				  a->drop ? "drop" : "alert", "msg", known ? rd.msg : NULL, "kind",
				  known ? rule_kind_name(rd.kind) : NULL));
	return ++q->matched >= q->limit;
}

/* The latest alerts, newest first, from the daemon's ring (bans.h). */
static int cmd_alerts(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	json_t *jsince = json_object_get(args, "since_s"), *jsid = json_object_get(args, "sid");
	json_t *jlimit = json_object_get(args, "limit"), *jafter = json_object_get(args, "after");
	const char *src = json_string_value(json_object_get(args, "src"));
	struct alerts_query q = { .limit = ALERTS_DEFAULT_LIMIT, .rs = daemon_ruleset(cp->d) };
	uint64_t overwritten = 0;
	struct timespec ts;

	if (jsince) {
		if (json_integer_value(jsince) < 1 || json_integer_value(jsince) > 365 * 86400) {
			snprintf(err, errlen, "invalid since_s %lld (1 to 365 days in seconds)",
				 (long long)json_integer_value(jsince));
			return -EINVAL;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		q.after_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u -
			     (uint64_t)json_integer_value(jsince) * 1000000u;
	}
	if (jsid) {
		if (json_integer_value(jsid) < 1 || json_integer_value(jsid) > UINT32_MAX) {
			snprintf(err, errlen, "invalid sid %lld (1-4294967295)",
				 (long long)json_integer_value(jsid));
			return -EINVAL;
		}
		q.sid = (uint32_t)json_integer_value(jsid);
	}
	if (src) {
		int r = cidr_parse(src, &q.src);

		if (r == -EADDRNOTAVAIL) {
			char buf[CIDR_STRLEN];

			snprintf(err, errlen, "src '%s' has host bits set (did you mean %s?)", src,
				 cidr_format(&q.src, buf, sizeof(buf)));
			return -EINVAL;
		}
		if (r < 0) {
			snprintf(err, errlen, "invalid src '%s' (an address or CIDR)", src);
			return -EINVAL;
		}
		q.has_src = true;
	}
	if (jlimit) {
		if (json_integer_value(jlimit) < 1 ||
		    json_integer_value(jlimit) > BANS_ALERT_RING) {
			snprintf(err, errlen, "invalid limit %lld (1-%d)",
				 (long long)json_integer_value(jlimit), BANS_ALERT_RING);
			return -EINVAL;
		}
		q.limit = (size_t)json_integer_value(jlimit);
	}
	if (jafter) {
		if (json_integer_value(jafter) < 0) {
			snprintf(err, errlen, "invalid after %lld (a cursor >= 0: last_seq)",
				 (long long)json_integer_value(jafter));
			return -EINVAL;
		}
		q.after_seq = (uint64_t)json_integer_value(jafter);
	}
	q.arr = json_array();
	if (!q.arr)
		return -ENOMEM;
	bans_recent_alerts(daemon_bans(cp->d), alert_cb, &q, &overwritten);
	if (!q.last_seq)
		q.last_seq = overwritten; /* empty ring */
	/* a follower's cursor the ring no longer reaches: alerts it will never see */
	*ret_result = json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:o}", "count", (json_int_t)q.matched, "ring_size",
		(json_int_t)BANS_ALERT_RING, "overwritten", (json_int_t)overwritten, "last_seq",
		(json_int_t)q.last_seq, "missed",
		(json_int_t)(jafter && overwritten > q.after_seq ? overwritten - q.after_seq : 0),
		"alerts", q.arr);
	return *ret_result ? 0 : -ENOMEM;
}

/* ---- metrics ---- */

/* The kernel's verdict counters, one series per hook, verdict and named reason. */
static void verdict_family(struct metrics_writer *w, const struct moat_dp_stats *s, bool bytes)
{
	if (bytes)
		metrics_family(w, "moat_bytes_total", METRICS_COUNTER,
			       "Bytes seen by the kernel programs, by hook, verdict and reason.");
	else
		metrics_family(w, "moat_packets_total", METRICS_COUNTER,
			       "Packets seen by the kernel programs, by hook, verdict and reason "
			       "(drops: verdict=\"drop\").");
	for (unsigned int h = 0; h < MOAT_HOOK_NUM; h++)
		for (unsigned int v = 0; v < MOAT_V_NUM; v++)
			for (unsigned int rs = 0; rs < MOAT_R_NUM; rs++) {
				const struct moat_counter *c = &s->c[MOAT_STATS_IDX(h, v, rs)];

				if (strcmp(moat_dp_reason_name(rs), "?") == 0)
					continue; /* an unused reason slot */
				metrics_sample(w, (double)(bytes ? c->bytes : c->packets), "hook",
					       moat_dp_hook_name(h), "verdict",
					       moat_dp_verdict_name(v), "reason",
					       moat_dp_reason_name(rs), NULL);
			}
}

static void collect_daemon(void *ctx, struct metrics_writer *w)
{
	struct ctlplane *cp = ctx;
	struct daemon *d = cp->d;
	_cleanup_free_ struct moat_dp_stats *s = calloc(1, sizeof(*s));
	struct moat_dp_copy_stats cs[MOAT_MAX_WORKERS];
	struct live_worker_stats ws[MOAT_MAX_WORKERS];
	unsigned int nw = MIN(daemon_workers(d), (unsigned int)MOAT_MAX_WORKERS);
	uint64_t alerts[4];
	struct bans_stats bs;
	char label[16];
	int r = -ENOMEM;

	metrics_family(w, "moat_build_info", METRICS_GAUGE, "moatd's version (always 1).");
	metrics_sample(w, 1, "version", MOAT_VERSION, NULL);
	metrics_family(w, "moat_uptime_seconds", METRICS_GAUGE, "Seconds since moatd started.");
	metrics_sample(w, (double)daemon_uptime(d), NULL);

	if (s) {
		pthread_mutex_lock(daemon_dp_lock(d));
		r = moat_dp_stats(daemon_dp(d), s);
		pthread_mutex_unlock(daemon_dp_lock(d));
	}
	if (r >= 0) {
		verdict_family(w, s, false);
		verdict_family(w, s, true);
	}

	for (unsigned int i = 0; i < nw; i++) {
		if (daemon_copy_stats(d, (int)i, &cs[i]) < 0)
			memset(&cs[i], 0, sizeof(cs[i]));
		if (daemon_worker_stats(d, i, &ws[i]) < 0)
			memset(&ws[i], 0, sizeof(ws[i]));
	}
#define PER_WORKER(name, type, help, expr)                                        \
	do {                                                                      \
		metrics_family(w, name, type, help);                              \
		for (unsigned int i = 0; i < nw; i++) {                           \
			snprintf(label, sizeof(label), "%u", i);                  \
			metrics_sample(w, (double)(expr), "worker", label, NULL); \
		}                                                                 \
	} while (0)
	PER_WORKER("moat_copies_total", METRICS_COUNTER,
		   "Packets copied by the kernel to the worker's buffer.", cs[i].copied);
	PER_WORKER("moat_copy_bytes_total", METRICS_COUNTER, "Bytes copied to the worker's buffer.",
		   cs[i].copied_bytes);
	PER_WORKER("moat_ring_lost_total", METRICS_COUNTER,
		   "Packet copies lost because the worker's buffer was full.", cs[i].lost);
	PER_WORKER("moat_copy_depth_skipped_total", METRICS_COUNTER,
		   "Packets not copied: their flow reached its inspection depth.",
		   cs[i].depth_skipped);
	PER_WORKER("moat_copy_bypassed_total", METRICS_COUNTER,
		   "Packets not copied: their flow was bypassed.", cs[i].bypassed);
	PER_WORKER("moat_worker_records_total", METRICS_COUNTER,
		   "Packet records the worker received.", ws[i].records);
	PER_WORKER("moat_worker_decode_errors_total", METRICS_COUNTER,
		   "Packets the worker could not decode.", ws[i].decode_errors);
	PER_WORKER("moat_flows_active", METRICS_GAUGE, "Flows the worker tracks now.",
		   ws[i].flows_active);
	PER_WORKER("moat_reassembly_bytes", METRICS_GAUGE,
		   "Bytes queued by the worker's TCP reassembly.", ws[i].reasm_mem);
	PER_WORKER("moat_reassembly_memcap_refused_total", METRICS_COUNTER,
		   "TCP segments refused by the reassembly memory cap.", ws[i].reasm_memcap_hits);
	PER_WORKER("moat_tcp_retransmissions_total", METRICS_COUNTER,
		   "TCP segments carrying already seen data.", ws[i].retransmissions);
	PER_WORKER("moat_worker_lag_seconds_max", METRICS_GAUGE,
		   "Longest delay from the kernel's copy to the worker, since start.",
		   (double)ws[i].lag_max_ns / 1e9);
	PER_WORKER("moat_eve_errors_total", METRICS_COUNTER, "EVE log write failures.",
		   ws[i].eve_errors);
#undef PER_WORKER

	daemon_alert_counts(d, alerts);
	metrics_family(w, "moat_alerts_total", METRICS_COUNTER,
		       "Alerts logged, by Suricata priority (1 = most severe).");
	for (int i = 0; i < 4; i++) {
		snprintf(label, sizeof(label), "%d", i + 1);
		metrics_sample(w, (double)alerts[i], "severity", label, NULL);
	}

	bans_get_stats(daemon_bans(d), &bs);
	metrics_family(w, "moat_bans_active", METRICS_GAUGE, "Automatic bans in force.");
	metrics_sample(w, (double)bs.active, NULL);
	metrics_family(w, "moat_bans_total", METRICS_COUNTER, "Automatic bans written.");
	metrics_sample(w, (double)bs.bans, NULL);
	metrics_family(w, "moat_unbans_total", METRICS_COUNTER,
		       "Automatic bans that expired or were removed.");
	metrics_sample(w, (double)bs.unbans, NULL);
	metrics_family(w, "moat_bans_refused_total", METRICS_COUNTER,
		       "Bans refused to protect a source, by reason.");
	metrics_sample(w, (double)bs.refused_allowlist, "reason", "allowlist", NULL);
	metrics_sample(w, (double)bs.refused_own, "reason", "own_address", NULL);
	metrics_sample(w, (double)bs.refused_never_ban, "reason", "never_ban", NULL);
	metrics_sample(w, (double)bs.refused_table_full, "reason", "table_full", NULL);
	metrics_family(w, "moat_offenders_tracked", METRICS_GAUGE, "Sources being scored now.");
	metrics_sample(w, (double)bs.offenders.entries, NULL);
}

static int cmd_metrics(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctlplane *cp = ctx;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = metrics_render(cp->metrics, &text, &len);

	if (r < 0)
		return r;
	*ret_result = json_pack("{s:s%}", "text", text, len);
	return *ret_result ? 0 : -ENOMEM;
}

/* ---- rules.list's alert counts ---- */

struct alert_count_fill {
	struct ruledir_alert_count *v;
	size_t n, cap;
};

static void alert_count_cb(void *ctx, const struct bans_rule_count *rc)
{
	struct alert_count_fill *f = ctx;

	if (f->n < f->cap)
		f->v[f->n++] = (struct ruledir_alert_count){ .sid = rc->sid, .alerts = rc->alerts };
}

static size_t rule_alert_counts(void *ctx, struct ruledir_alert_count *v, size_t cap)
{
	struct ctlplane *cp = ctx;
	struct alert_count_fill f = { .v = v, .cap = cap };

	bans_rule_counts(daemon_bans(cp->d), alert_count_cb, &f, NULL);
	return f.n;
}

/* The operator's disabled rules live beside the state file (its directory is the daemon's
 * state directory); NULL when there is no state file. */
static char *disabled_file_path(const struct moatd_config *cfg)
{
	const char *slash = strrchr(cfg->state_file, '/');
	char *p = NULL;

	if (!cfg->state_file[0])
		return NULL;
	if (asprintf(&p, "%.*s%s", slash ? (int)(slash - cfg->state_file + 1) : 0, cfg->state_file,
		     RULE_DISABLE_FILE_NAME) < 0)
		return NULL;
	return p;
}

/* ---- setup ---- */

void ctlplane_reload(struct ctlplane *cp)
{
	if (ruledir_reload(cp->ruledir, RULEDIR_TRIGGER_SIGNAL, NULL) < 0)
		log_err("rules reload: cannot start");
}

static const struct control_command daemon_commands[] = {
	{ "status", cmd_status, NULL },
	{ "config.show", cmd_config, NULL },
	{ "metrics", cmd_metrics, NULL },
	{ "bans.list", cmd_bans_list, bans_list_args },
	{ "alerts", cmd_alerts, alerts_args },
	{ "bans.flush", cmd_bans_flush, NULL },
	{ "top.offenders", cmd_top_offenders, top_args },
	{ "top.rules", cmd_top_rules, top_args },
	{ "threshold.show", cmd_threshold_show, NULL },
	{ "threshold.set", cmd_threshold_set, threshold_set_args },
	{},
};

int ctlplane_new(struct daemon *d, struct ctlplane **ret, struct ruleset **ret_rules)
{
	const struct moatd_config *cfg = daemon_config(d);
	struct ctlplane *cp = calloc(1, sizeof(*cp));
	struct ruledir_opts ro = {
		.dir = cfg->rules_dir,
		.paths = cfg->rule_paths,
		.n_paths = cfg->n_rule_paths,
		.cache_dir = cfg->cache_dir[0] ? cfg->cache_dir : NULL,
	};
	_cleanup_free_ char *disabled_file = disabled_file_path(cfg);
	char err[512];
	int r;

	if (!cp)
		return -ENOMEM;
	ro.disabled_file = disabled_file;
	cp->d = d;
	if (ro.cache_dir && mkdir(ro.cache_dir, 0755) < 0 && errno != EEXIST) {
		log_warn("rules: cache directory %s: %s (compiling without a cache)", ro.cache_dir,
			 strerror(errno));
		ro.cache_dir = NULL;
	}
	r = ruledir_new(&ro, install, cp, &cp->ruledir, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		goto fail;
	}
	ruledir_set_alert_source(cp->ruledir, rule_alert_counts, cp);
	if (cfg->rules_dir[0] && access(cfg->rules_dir, F_OK) < 0)
		log_info("rules: %s does not exist; no rules from it", cfg->rules_dir);
	/* a total failure is logged and leaves no rules: the daemon still enforces bans */
	if (ruledir_load_sync(cp->ruledir, err, sizeof(err)) < 0)
		log_err("%s", err);

	if (cfg->metrics_listen[0]) {
		r = metrics_new(cfg->metrics_listen, &cp->metrics, err, sizeof(err));
		if (r < 0) {
			log_err("%s", err);
			goto fail;
		}
	} else {
		r = metrics_new_local(&cp->metrics); /* for the "metrics" command */
		if (r < 0)
			goto fail;
	}
	metrics_add_collector(cp->metrics, collect_daemon, cp);
	metrics_add_collector(cp->metrics, ruledir_metrics_collect, cp->ruledir);

	if (cfg->control_socket[0]) {
		struct control_opts co = { .path = cfg->control_socket,
					   .group = cfg->control_group };

		r = control_new(&co, &cp->control, err, sizeof(err));
		if (r < 0) {
			log_err("%s", err);
			goto fail;
		}
		metrics_add_collector(cp->metrics, control_metrics_collect, cp->control);
		r = control_register_all(cp->control, daemon_commands, cp);
		if (r >= 0)
			r = ruledir_register_commands(cp->ruledir, cp->control);
		if (r >= 0)
			r = ctl_entries_register(cp->control, d, &cp->entries);
		if (r >= 0)
			r = daemon_add_fd(d, control_fd(cp->control), on_control, cp);
		if (r < 0)
			goto fail;
		log_info("control socket %s", control_path(cp->control));
	}
	r = daemon_add_fd(d, ruledir_fd(cp->ruledir), on_ruledir, cp);
	if (r < 0)
		goto fail;
	if (cfg->metrics_listen[0]) {
		r = daemon_add_fd(d, metrics_fd(cp->metrics), on_metrics, cp);
		if (r < 0)
			goto fail;
		log_info("metrics at http://%s/metrics", cfg->metrics_listen);
	}
	*ret_rules = TAKE_PTR(cp->initial);
	cp->started = true;
	*ret = cp;
	return 0;
fail:
	ctlplane_free(cp);
	return r;
}

void ctlplane_free(struct ctlplane *cp)
{
	if (!cp)
		return;
	if (cp->control)
		daemon_del_fd(cp->d, control_fd(cp->control));
	if (cp->ruledir)
		daemon_del_fd(cp->d, ruledir_fd(cp->ruledir));
	if (cp->metrics && metrics_fd(cp->metrics) >= 0)
		daemon_del_fd(cp->d, metrics_fd(cp->metrics));
	control_free(cp->control);
	ctl_entries_free(cp->entries);
	ruledir_free(cp->ruledir);
	metrics_free(cp->metrics);
	ruleset_free(cp->initial);
	free(cp);
}
