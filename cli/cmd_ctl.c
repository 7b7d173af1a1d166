// SPDX-License-Identifier: GPL-2.0-only
/* fwctl status / rules / config: the commands served by moatd over its control socket. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "rules/rules.h"
#include "cmd_common.h"
#include "ctl_client.h"
#include "table.h"

#define RELOAD_POLL_MS 50
#define RELOAD_DEFAULT_TIMEOUT_S 300
/* "sid,sid,..." of a ban: at most 8 ids of 10 digits */
#define OFFENDER_RULES_STRLEN 96

/*
 * Call the daemon; on failure print one error line and return the exit code (3 when the
 * daemon is unreachable, 1 when it refused). Returns -1 on success (*ret_result set).
 */
static int call(const struct fwctl *ctx, const char *cmd, json_t *args, json_t **ret_result)
{
	char err[1024];
	int code = 0;
	int r = ctl_client_call_full(ctx->socket, cmd, args, 0, ret_result, &code, err,
				     sizeof(err));

	if (r >= 0)
		return -1;
	if (ctl_client_unreachable(r)) {
		log_err("%s (the daemon is needed for this command)", err);
		return FWCTL_EXIT_UNREACHABLE;
	}
	log_err("%s", err);
	return code == EINVAL ? FWCTL_EXIT_USAGE : FWCTL_EXIT_FAILED;
}

/*
 * call() for a listing: on success either --json printed the result or *ret_t is a new table
 * with COLS for the caller to fill from *ret_res. Consumes args. Returns -1 to go on (both
 * set), else the exit code.
 */
static int call_table(const struct fwctl *ctx, const char *cmd, json_t *args, unsigned int ncols,
		      const char *const *cols, json_t **ret_res, struct table **ret_t)
{
	int r = call(ctx, cmd, args, ret_res);

	json_decref(args);
	if (r >= 0)
		return r;
	if (ctx->json) {
		r = fwctl_print_json(*ret_res);
		*ret_res = NULL;
		return r;
	}
	*ret_t = table_new(ncols, cols);
	return *ret_t ? -1 : fwctl_print_json(NULL);
}

/* "id,id,..." of a JSON array of integers into buf (cut at its size); "-" when empty. */
static const char *join_ids(json_t *ids, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *x;

	buf[0] = '\0';
	json_array_foreach(ids, i, x) if (used < len) used += (size_t)snprintf(
		buf + used, len - used, "%s%lld", i ? "," : "", (long long)json_integer_value(x));
	return buf[0] ? buf : "-";
}

static json_int_t jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

/* Only the shared options, at most max_pos positionals; -1 to go on, else an exit code. */
static int plain_opts(struct fwctl *ctx, int argc, char **argv, const char *name, int max_pos)
{
	int c;

	while ((c = fwctl_getopt(ctx, argc, argv, NULL)) != -1) {
		if (c == 'h') {
			fwctl_help_command(fwctl_command_find(name), stdout);
			return FWCTL_EXIT_OK;
		}
		return FWCTL_EXIT_USAGE;
	}
	if (argc - optind > max_pos)
		return fwctl_usage_error(name, "unexpected argument '%s'", argv[optind + max_pos]);
	return -1;
}

static void print_problems(json_t *last, FILE *f, size_t max)
{
	json_t *probs = json_object_get(last, "problems"), *p;
	json_int_t total = jint(last, "problems_total");
	size_t i, shown = 0;

	json_array_foreach(probs, i, p)
	{
		if (strcmp(jstr(p, "kind"), "note") == 0)
			continue;
		if (shown++ >= max)
			break;
		fprintf(f, "  %s\n", jstr(p, "text"));
	}
	if (total > (json_int_t)shown && shown)
		fprintf(f, "  (%lld problems in all, notes included; fwctl rules status --json)\n",
			(long long)total);
}

static void print_last_reload(json_t *last, FILE *f)
{
	if (!json_is_object(last)) {
		fprintf(f, "last reload: none\n");
		return;
	}
	fprintf(f, "last reload: %s (%s, %.3f s): %s", jstr(last, "started"), jstr(last, "trigger"),
		json_real_value(json_object_get(last, "duration_s")),
		json_is_true(json_object_get(last, "ok")) ? "ok" : "FAILED");
	if (json_is_true(json_object_get(last, "ok")))
		fprintf(f, ", %lld loaded, %lld unsupported, %lld invalid\n",
			(long long)jint(last, "loaded"), (long long)jint(last, "unsupported"),
			(long long)jint(last, "invalid"));
	else
		fprintf(f, " (%s; the previous rules stay active)\n", jstr(last, "error"));
}

/* ---- status ---- */

static void status_print(json_t *st)
{
	json_t *daemon = json_object_get(st, "daemon"), *ifaces = json_object_get(st, "interfaces");
	json_t *rules = json_object_get(st, "rules"), *bans = json_object_get(st, "bans");
	json_t *copies = json_object_get(st, "copies"), *it;
	char up[32];
	size_t i;

	printf("daemon:      running (pid %lld, version %s, up %s, %lld workers)\n",
	       (long long)jint(daemon, "pid"), jstr(daemon, "version"),
	       format_duration((uint64_t)jint(daemon, "uptime_s"), up, sizeof(up)),
	       (long long)jint(daemon, "workers"));
	printf("mode:        %s\n", strcmp(jstr(st, "mode"), "deny") == 0 ?
					    "deny (default-deny)" :
					    "allow (default-allow)");
	printf("interfaces: ");
	if (!json_array_size(ifaces))
		printf(" none");
	json_array_foreach(ifaces, i, it)
		printf("%s %s (xdp %s, tc %s)", i ? "," : "", jstr(it, "ifname"),
		       jstr(it, "xdp_mode"), jstr(it, "tc_mode"));
	printf("\nrules:       %lld loaded, %lld skipped (%lld unsupported, %lld invalid) from "
	       "%zu files; generation %lld, %lld reloads, %lld failed\n",
	       (long long)jint(rules, "loaded"),
	       (long long)(jint(rules, "unsupported") + jint(rules, "invalid")),
	       (long long)jint(rules, "unsupported"), (long long)jint(rules, "invalid"),
	       json_array_size(json_object_get(rules, "files")),
	       (long long)jint(rules, "generation"), (long long)jint(rules, "reloads"),
	       (long long)jint(rules, "failures"));
	print_last_reload(json_object_get(rules, "last_reload"), stdout);
	print_problems(json_object_get(rules, "last_reload"), stdout, 10);
	printf("bans:        %lld active, %lld total, %lld refused (protected sources)\n",
	       (long long)jint(bans, "active"), (long long)jint(bans, "total"),
	       (long long)jint(bans, "refused"));
	printf("copies:      %lld copied, %lld ring-buffer losses\n",
	       (long long)jint(copies, "copied"), (long long)jint(copies, "ring_losses"));
}

struct pinned_counts {
	size_t blocks, bans, allows;
};

static int count_cb(const struct moat_dp_entry *e, void *userdata)
{
	struct pinned_counts *c = userdata;

	if (e->kind == MOAT_KIND_ALLOW || e->kind == MOAT_KIND_PORT_ALLOW)
		c->allows++;
	else if (e->reason == MOAT_REASON_AUTO)
		c->bans++;
	else
		c->blocks++;
	return 0;
}

/* The daemon is down: what the pinned maps say. Always exits 3 (the daemon is down). */
static int status_pinned(struct fwctl *ctx, const char *why)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	struct moat_dp_opts opts = { .pin_root = ctx->pin_root };
	struct moat_dp_attach_report att[64];
	struct pinned_counts pc = { 0 };
	char err[256] = "";
	uint32_t mode = 0;
	int natt = 0, r;

	r = moat_dp_open(&opts, &dp, err, sizeof(err));
	if (r >= 0)
		r = moat_dp_get_mode(dp, &mode);
	if (r >= 0)
		r = natt = moat_dp_attachments(dp, att, ARRAY_SIZE(att));
	if (r >= 0)
		r = moat_dp_list(dp, count_cb, &pc);
	if (r < 0 && !err[0])
		snprintf(err, sizeof(err), "%s",
			 dp && *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
	natt = MIN(natt, (int)ARRAY_SIZE(att));
	if (ctx->json) {
		json_t *o = json_pack("{s:{s:b, s:s}}", "daemon", "running", 0, "error", why);
		json_t *ifs = json_array();

		if (!o || !ifs) {
			json_decref(ifs);
			fwctl_print_json(o);
			return FWCTL_EXIT_UNREACHABLE;
		}
		if (r < 0) {
			json_object_set_new(o, "pinned", json_pack("{s:s}", "error", err));
			json_decref(ifs);
		} else {
			for (int i = 0; i < natt; i++)
				json_array_append_new(
					ifs,
					json_pack("{s:s, s:i, s:s, s:s}", "ifname", att[i].ifname,
						  "ifindex", att[i].ifindex, "xdp_mode",
						  moat_dp_xdp_mode_name(att[i].xdp_mode), "tc_mode",
						  moat_dp_tc_mode_name(att[i].tc_mode)));
			json_object_set_new(o, "mode",
					    json_string(mode == MOAT_MODE_DENY ? "deny" : "allow"));
			json_object_set_new(o, "interfaces", ifs);
			json_object_set_new(
				o, "pinned",
				json_pack("{s:s, s:I, s:I, s:I}", "pin_root", moat_dp_pin_root(dp),
					  "blocks", (json_int_t)pc.blocks, "bans",
					  (json_int_t)pc.bans, "allows", (json_int_t)pc.allows));
		}
		fwctl_print_json(o);
		return FWCTL_EXIT_UNREACHABLE;
	}
	printf("daemon:      DOWN (%s)\n", why);
	if (r < 0) {
		printf("pinned maps: unavailable (%s)\n", err);
		return FWCTL_EXIT_UNREACHABLE;
	}
	printf("pinned maps: %s (enforcement continues without the daemon)\n",
	       moat_dp_pin_root(dp));
	printf("mode:        %s\n",
	       mode == MOAT_MODE_DENY ? "deny (default-deny)" : "allow (default-allow)");
	printf("interfaces: ");
	if (natt == 0)
		printf(" none in this network namespace");
	for (int i = 0; i < natt; i++)
		printf("%s %s (xdp %s, tc %s)", i ? "," : "", att[i].ifname,
		       moat_dp_xdp_mode_name(att[i].xdp_mode),
		       moat_dp_tc_mode_name(att[i].tc_mode));
	printf("\nentries:     %zu blocks, %zu bans (automatic), %zu allows\n", pc.blocks, pc.bans,
	       pc.allows);
	printf("rules:       not inspected while the daemon is down\n");
	return FWCTL_EXIT_UNREACHABLE;
}

int cmd_status(struct fwctl *ctx, int argc, char **argv)
{
	json_t *res = NULL;
	char err[1024];
	int r = plain_opts(ctx, argc, argv, "status", 0);

	if (r >= 0)
		return r;
	r = ctl_client_call(ctx->socket, "status", NULL, &res, err, sizeof(err));
	if (r < 0 && ctl_client_unreachable(r))
		return status_pinned(ctx, err);
	if (r < 0) {
		log_err("status: %s", err);
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json)
		return fwctl_print_json(res);
	status_print(res);
	json_decref(res);
	return FWCTL_EXIT_OK;
}

/* ---- list bans ---- */

int cmd_list_bans(struct fwctl *ctx, const char *sort, const char *reason)
{
	static const char *const cols[] = { "PREFIX", ">SCORE",	 ">OFFENCES", "TRIGGER",
					    "RULES",  "EXPIRES", ">HITS" };
	_cleanup_(table_freep) struct table *t = NULL;
	_cleanup_(json_decrefp) json_t *res = NULL;
	json_t *args = json_object(), *b;
	uint64_t sid;
	size_t i;
	int r;

	if (!args)
		return fwctl_print_json(NULL);
	if (reason && strcmp(reason, "auto") != 0 && strcmp(reason, "manual") != 0 &&
	    parse_u64(reason, 1, UINT32_MAX, &sid) < 0) {
		json_decref(args);
		return fwctl_usage_error(
			"list", "invalid --reason '%s' (auto, manual or a rule id)", reason);
	}
	if (sort)
		json_object_set_new(args, "sort", json_string(sort));
	if (reason)
		json_object_set_new(args, "reason", json_string(reason));
	r = call_table(ctx, "bans.list", args, ARRAY_SIZE(cols), cols, &res, &t);
	if (r >= 0)
		return r;
	json_array_foreach(json_object_get(res, "bans"), i, b)
	{
		char score[32], off[16], rules[OFFENDER_RULES_STRLEN], exp[32], hits[24];

		snprintf(score, sizeof(score), "%.1f",
			 json_real_value(json_object_get(b, "score")));
		snprintf(off, sizeof(off), "%lld", (long long)jint(b, "offences"));
		format_duration((uint64_t)jint(b, "expires_in_s"), exp, sizeof(exp));
		if (json_is_true(json_object_get(b, "in_kernel")))
			snprintf(hits, sizeof(hits), "%lld", (long long)jint(b, "hits"));
		else
			snprintf(hits, sizeof(hits), "gone");
		if (table_add_row(t, (const char *const[]){ jstr(b, "prefix"), score, off,
							    jstr(b, "trigger"),
							    join_ids(json_object_get(b, "rule_ids"),
								     rules, sizeof(rules)),
							    exp, hits }) < 0)
			return fwctl_print_json(NULL);
	}
	table_print(t, stdout);
	printf("%zu ban%s\n", t->nrows, t->nrows == 1 ? "" : "s");
	return FWCTL_EXIT_OK;
}

/* ---- rules ---- */

/* Consumes res_in. */
static int rules_status(struct fwctl *ctx, json_t *res_in)
{
	_cleanup_(json_decrefp) json_t *res = res_in;
	json_t *inst = json_object_get(res, "installed"), *files = json_object_get(inst, "files");
	_cleanup_(table_freep) struct table *t = NULL;
	static const char *const cols[] = { "FILE", "FORMAT", ">BYTES" };
	json_t *f;
	size_t i;

	if (ctx->json)
		return fwctl_print_json(TAKE_PTR(res));
	printf("rules dir:   %s%s\n", jstr(res, "dir"),
	       json_is_true(json_object_get(res, "dir_present")) ? "" : " (missing)");
	if (json_is_object(inst))
		printf("running:     generation %lld since %s: %lld loaded, %lld unsupported, %lld "
		       "invalid\n",
		       (long long)jint(inst, "generation"), jstr(inst, "installed"),
		       (long long)jint(inst, "loaded"), (long long)jint(inst, "unsupported"),
		       (long long)jint(inst, "invalid"));
	else
		printf("running:     no ruleset\n");
	if (json_is_true(json_object_get(res, "running")))
		printf("reload:      in progress%s\n",
		       json_is_true(json_object_get(res, "pending")) ? " (another queued)" : "");
	print_last_reload(json_object_get(res, "last_reload"), stdout);
	print_problems(json_object_get(res, "last_reload"), stdout, 100);
	/* the operator's disabled rules: one line each, as `rules list` shows them */
	printf("disabled:    %zu rule%s%s\n", json_array_size(json_object_get(res, "disabled")),
	       json_array_size(json_object_get(res, "disabled")) == 1 ? "" : "s",
	       json_array_size(json_object_get(res, "disabled")) ? " (fwctl rules enable SID)" :
								   "");
	json_array_foreach(json_object_get(res, "disabled"), i, f)
		printf("  %-10lld %-8s %s:%lld  %s\n", (long long)jint(f, "sid"), jstr(f, "kind"),
		       jstr(f, "file"), (long long)jint(f, "line"), jstr(f, "msg"));
	if (json_array_size(files)) {
		t = table_new(ARRAY_SIZE(cols), cols);
		if (!t)
			return fwctl_print_json(NULL);
		json_array_foreach(files, i, f)
		{
			char bytes[24];

			snprintf(bytes, sizeof(bytes), "%lld", (long long)jint(f, "bytes"));
			if (table_add_row(t, (const char *const[]){ jstr(f, "path"),
								    jstr(f, "format"), bytes }) < 0)
				return fwctl_print_json(NULL);
		}
		printf("\n");
		table_print(t, stdout);
	}
	return FWCTL_EXIT_OK;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_generation(struct fwctl *ctx, const char *what, json_int_t gen, uint64_t timeout_s,
			   json_t **ret_status);

/* Exit 0 when the reload installed its ruleset without invalid rules; 1 when it failed (the
 * old rules stay) or skipped invalid rules (the rest are active). */
static int rules_reload(struct fwctl *ctx, bool wait, uint64_t timeout_s)
{
	json_t *res = NULL, *last;
	json_int_t gen;
	int r = call(ctx, "rules.reload", NULL, &res);

	if (r >= 0)
		return r;
	gen = jint(res, "generation");
	if (!wait) {
		if (ctx->json)
			return fwctl_print_json(res);
		printf("rules reload started (generation %lld)\n", (long long)gen);
		json_decref(res);
		return FWCTL_EXIT_OK;
	}
	json_decref(res);
	res = NULL;
	r = wait_generation(ctx, "rules reload", gen, timeout_s, &res);
	if (r >= 0)
		return r;
	last = json_object_get(res, "last_reload");
	/* a newer reload may have finished meanwhile: report whichever is last */
	r = json_is_true(json_object_get(last, "ok")) && jint(last, "invalid") == 0 ?
		    FWCTL_EXIT_OK :
		    FWCTL_EXIT_FAILED;
	if (ctx->json) {
		json_t *o = json_pack("{s:O}", "last_reload", last);

		json_decref(res);
		fwctl_print_json(o);
		return r;
	}
	print_last_reload(last, stdout);
	fflush(stdout); /* the summary first, then its problems */
	print_problems(last, stderr, 100);
	json_decref(res);
	return r;
}

static int rules_list(struct fwctl *ctx, json_t *args)
{
	static const char *const cols[] = { "KIND",    ">SID",	"ACTION", "STATE",
					    ">ALERTS", "WHERE", "MSG" };
	_cleanup_(table_freep) struct table *t = NULL;
	_cleanup_(json_decrefp) json_t *res = NULL;
	json_t *rule;
	size_t i;
	int r = call_table(ctx, "rules.list", args, ARRAY_SIZE(cols), cols, &res, &t);

	if (r >= 0)
		return r;
	json_array_foreach(json_object_get(res, "rules"), i, rule)
	{
		char sid[24], alerts[24], where[320];
		json_int_t gid = jint(rule, "gid");

		/* Suricata rules of another gid than 1 show it: gid:sid */
		if (gid > 1)
			snprintf(sid, sizeof(sid), "%lld:%lld", (long long)gid,
				 (long long)jint(rule, "sid"));
		else
			snprintf(sid, sizeof(sid), "%lld", (long long)jint(rule, "sid"));
		snprintf(alerts, sizeof(alerts), "%lld", (long long)jint(rule, "alerts"));
		snprintf(where, sizeof(where), "%s:%lld", jstr(rule, "file"),
			 (long long)jint(rule, "line"));
		if (table_add_row(t, (const char *const[]){
					     jstr(rule, "kind"), sid, jstr(rule, "action"),
					     json_is_true(json_object_get(rule, "enabled")) ?
						     "enabled" :
						     "disabled",
					     alerts, where, jstr(rule, "msg") }) < 0)
			return fwctl_print_json(NULL);
	}
	table_print(t, stdout);
	printf("%zu of %lld rules (generation %lld, %lld disabled)\n", t->nrows,
	       (long long)jint(res, "total"), (long long)jint(res, "generation"),
	       (long long)jint(res, "disabled"));
	return FWCTL_EXIT_OK;
}

/*
 * Wait until the reload of generation GEN (or a later one) has finished. Returns -1 with
 * *ret_status (rules.status' result) set, or an exit code after printing the error.
 */
static int wait_generation(struct fwctl *ctx, const char *what, json_int_t gen, uint64_t timeout_s,
			   json_t **ret_status)
{
	int64_t deadline = mono_ms() + (int64_t)timeout_s * 1000;

	for (;;) {
		struct timespec ts = { 0, RELOAD_POLL_MS * 1000000L };
		json_t *res = NULL;
		int r = call(ctx, "rules.status", NULL, &res);

		if (r >= 0)
			return r;
		if (jint(json_object_get(res, "last_reload"), "generation") >= gen) {
			*ret_status = res;
			return -1;
		}
		json_decref(res);
		if (mono_ms() > deadline) {
			log_err("%s: the reload is not finished after %" PRIu64
				" s (still compiling?)",
				what, timeout_s);
			return FWCTL_EXIT_FAILED;
		}
		nanosleep(&ts, NULL);
	}
}

/* `rules disable|enable SID`: the daemon persists the change and reloads without (with) the
 * rule; with wait, until that reload is done. Exit 1 for an unknown rule or a failed reload. */
static int rules_toggle(struct fwctl *ctx, const char *sub, const char *arg, bool wait,
			uint64_t timeout_s)
{
	bool disable = strcmp(sub, "disable") == 0;
	json_t *res = NULL, *st = NULL, *last, *args;
	uint64_t sid;
	int r;

	if (parse_u64(arg, 1, UINT32_MAX, &sid) < 0)
		return fwctl_usage_error("rules", "invalid SID '%s' (a rule id, 1-4294967295)",
					 arg);
	args = json_pack("{s:I}", "sid", (json_int_t)sid);
	if (!args)
		return fwctl_print_json(NULL);
	r = call(ctx, disable ? "rules.disable" : "rules.enable", args, &res);
	json_decref(args);
	if (r >= 0)
		return r;
	if (!json_is_true(json_object_get(res, "changed")) || !wait) {
		if (ctx->json)
			return fwctl_print_json(res);
		if (!json_is_true(json_object_get(res, "changed")))
			printf("rule %" PRIu64 " is %s already\n", sid,
			       disable ? "disabled" : "enabled");
		else
			printf("rule %" PRIu64 " %s; generation %lld %s it (reload started)\n", sid,
			       disable ? "disabled" : "enabled", (long long)jint(res, "generation"),
			       disable ? "leaves out" : "has");
		json_decref(res);
		return FWCTL_EXIT_OK;
	}
	r = wait_generation(ctx, disable ? "rules disable" : "rules enable",
			    jint(res, "generation"), timeout_s, &st);
	if (r >= 0) {
		json_decref(res);
		return r;
	}
	last = json_object_get(st, "last_reload");
	r = json_is_true(json_object_get(last, "ok")) ? FWCTL_EXIT_OK : FWCTL_EXIT_FAILED;
	if (ctx->json) {
		json_object_set(res, "last_reload", last);
		json_decref(st);
		fwctl_print_json(res);
		return r;
	}
	if (r == FWCTL_EXIT_OK)
		printf("rule %" PRIu64 " %s (generation %lld in use)\n", sid,
		       disable ? "disabled" : "enabled", (long long)jint(last, "generation"));
	else
		log_err("rule %" PRIu64 " is %s in the daemon's list, but the reload failed "
			"(the running rules stay until one succeeds): %s",
			sid, disable ? "disabled" : "enabled", jstr(last, "error"));
	json_decref(st);
	json_decref(res);
	return r;
}

/* `rules check PATH...`: parsed here, without the daemon (nothing is compiled). */
static int rules_check_local(struct fwctl *ctx, char **paths, size_t n)
{
	struct ruleset_opts o = { .no_compile = true };
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st = { 0 };
	int r, ret;

	for (size_t i = 0; i < n; i++)
		if (access(paths[i], R_OK) < 0) {
			log_err("rules check: %s: %s", paths[i], strerror(errno));
			return FWCTL_EXIT_USAGE;
		}
	r = ruleset_load((const char *const *)paths, n, &o, &rs, &d);
	if (r >= 0)
		ruleset_get_stats(rs, &st);
	ruleset_free(rs);
	ret = r < 0 || st.invalid ? FWCTL_EXIT_FAILED : FWCTL_EXIT_OK;
	if (ctx->json) {
		json_t *arr = json_array(), *o2;

		for (size_t i = 0; arr && i < d.n; i++) {
			const struct rule_diag *g = &d.v[i];

			json_array_append_new(
				arr,
				json_pack("{s:s?, s:I, s:I, s:s, s:s}", "file", g->file, "line",
					  (json_int_t)g->line, "sid", (json_int_t)g->sid, "kind",
					  g->kind == RULE_DIAG_INVALID	   ? "invalid" :
					  g->kind == RULE_DIAG_UNSUPPORTED ? "unsupported" :
									     "note",
					  "message", g->message));
		}
		o2 = json_pack("{s:b, s:I, s:I, s:I, s:I, s:o*}", "ok", ret == FWCTL_EXIT_OK,
			       "loaded", (json_int_t)st.loaded, "unsupported",
			       (json_int_t)st.unsupported, "invalid", (json_int_t)st.invalid,
			       "files", (json_int_t)st.files, "problems", arr);
		rule_diags_done(&d);
		fwctl_print_json(o2);
		return ret;
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct rule_diag *g = &d.v[i];

		if (g->kind == RULE_DIAG_NOTE)
			continue;
		if (g->sid)
			printf("%s:%u: sid %u: %s\n", g->file, g->line, g->sid, g->message);
		else
			printf("%s:%u: %s\n", g->file, g->line, g->message);
	}
	rule_diags_done(&d);
	if (r < 0) {
		log_err("rules check: %s", strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	printf("rules: %zu loaded, %zu skipped (unsupported), %zu invalid\n", st.loaded,
	       st.unsupported, st.invalid);
	return ret;
}

enum {
	OPT_SID = 0x200,
	OPT_GID,
	OPT_LIMIT,
	OPT_NO_WAIT,
	OPT_TIMEOUT,
};

int cmd_rules(struct fwctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sid", required_argument, NULL, OPT_SID },
		{ "gid", required_argument, NULL, OPT_GID },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{},
	};
	uint64_t sid = 0, gid = 0, limit = 0, timeout_s = RELOAD_DEFAULT_TIMEOUT_S;
	bool has_limit = false, wait = true;
	const char *sub;
	json_t *args;
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case 'h':
			fwctl_help_command(fwctl_command_find("rules"), stdout);
			return FWCTL_EXIT_OK;
		case OPT_SID:
			if (parse_u64(optarg, 1, UINT32_MAX, &sid) < 0)
				return fwctl_usage_error(
					"rules", "invalid --sid '%s' (1-4294967295)", optarg);
			break;
		case OPT_GID:
			if (parse_u64(optarg, 1, UINT32_MAX, &gid) < 0)
				return fwctl_usage_error(
					"rules", "invalid --gid '%s' (1-4294967295)", optarg);
			break;
		case OPT_LIMIT:
			if (parse_u64(optarg, 0, INT32_MAX, &limit) < 0)
				return fwctl_usage_error("rules", "invalid --limit '%s'", optarg);
			has_limit = true;
			break;
		case OPT_NO_WAIT:
			wait = false;
			break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &timeout_s) < 0 || timeout_s == 0)
				return fwctl_usage_error(
					"rules", "invalid --timeout '%s' (e.g. 30s, 5m)", optarg);
			break;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return fwctl_usage_error("rules", "missing subcommand");
	sub = argv[optind++];
	if ((sid || gid || has_limit) && strcmp(sub, "list") != 0)
		return fwctl_usage_error("rules", "--sid, --gid and --limit go with 'rules list'");
	if ((!wait || timeout_s != RELOAD_DEFAULT_TIMEOUT_S) && strcmp(sub, "reload") != 0 &&
	    strcmp(sub, "disable") != 0 && strcmp(sub, "enable") != 0)
		return fwctl_usage_error(
			"rules",
			"--no-wait and --timeout go with 'rules reload', 'disable', 'enable'");
	if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
		if (optind >= argc)
			return fwctl_usage_error("rules", "%s needs a SID", sub);
		if (argc - optind > 1)
			return fwctl_usage_error("rules", "unexpected argument '%s'",
						 argv[optind + 1]);
		return rules_toggle(ctx, sub, argv[optind], wait, timeout_s);
	}
	if (strcmp(sub, "check") == 0) {
		if (optind >= argc)
			return fwctl_usage_error("rules", "check needs a file or directory");
		return rules_check_local(ctx, argv + optind, (size_t)(argc - optind));
	}
	if (optind < argc)
		return fwctl_usage_error("rules", "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "status") == 0) {
		json_t *res = NULL;

		r = call(ctx, "rules.status", NULL, &res);
		return r >= 0 ? r : rules_status(ctx, res);
	}
	if (strcmp(sub, "reload") == 0)
		return rules_reload(ctx, wait, timeout_s);
	if (strcmp(sub, "list") == 0) {
		args = json_object();
		if (!args)
			return fwctl_print_json(NULL);
		if (sid)
			json_object_set_new(args, "sid", json_integer((json_int_t)sid));
		if (gid)
			json_object_set_new(args, "gid", json_integer((json_int_t)gid));
		if (has_limit)
			json_object_set_new(args, "limit", json_integer((json_int_t)limit));
		if (gid && !sid)
			return fwctl_usage_error("rules", "--gid needs --sid");
		return rules_list(ctx, args);
	}
	return fwctl_usage_error(
		"rules", "unknown subcommand '%s' (status, reload, list, check, disable, enable)",
		sub);
}

/* ---- flush ---- */

struct block_entries {
	struct moat_dp_entry *v;
	size_t n, cap;
	int err;
};

static int block_entry_cb(const struct moat_dp_entry *e, void *userdata)
{
	struct block_entries *b = userdata;

	if ((e->kind != MOAT_KIND_BLOCK && e->kind != MOAT_KIND_PORT_BLOCK) ||
	    e->reason == MOAT_REASON_AUTO)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct moat_dp_entry *v = reallocarray(b->v, cap, sizeof(*v));

		if (!v) {
			b->err = -ENOMEM;
			return 1;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = *e;
	return 0;
}

/* Manual (and rule) block entries, through the pinned maps: the daemon keeps no copy of them
 * (the maps are the truth, state.h), so this works the same with the daemon down. */
static int flush_blocks(struct fwctl *ctx)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	struct block_entries b = { 0 };
	size_t deleted = 0, failed = 0;
	json_t *res = NULL;
	char err[256];
	int r = ctl_client_call(ctx->socket, "status", NULL, &res, err, sizeof(err));
	bool down = r < 0 && ctl_client_unreachable(r);

	json_decref(res);
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	r = moat_dp_list(dp, block_entry_cb, &b);
	if (r < 0 || b.err < 0) {
		log_err("flush blocks: listing the entries: %s", b.err < 0 ? strerror(-b.err) :
								 *moat_dp_errmsg(dp) ?
									     moat_dp_errmsg(dp) :
									     strerror(-r));
		free(b.v);
		return FWCTL_EXIT_FAILED;
	}
	for (size_t i = 0; i < b.n; i++) {
		char c[CIDR_STRLEN];

		r = moat_dp_delete(dp, &b.v[i]);
		if (r >= 0 || r == -ENOENT) {
			deleted += r >= 0;
			continue;
		}
		failed++;
		log_err("flush blocks: %s: %s",
			b.v[i].cidr.family == AF_UNSPEC ? "any" :
							  cidr_format(&b.v[i].cidr, c, sizeof(c)),
			*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
	}
	free(b.v);
	if (down)
		log_warn(
			"moatd is not running (%s): the entries were removed from the pinned maps; "
			"the daemon adopts them as they are when it starts",
			err);
	if (ctx->json) {
		fwctl_print_json(json_pack("{s:I, s:I, s:b}", "deleted", (json_int_t)deleted,
					   "failed", (json_int_t)failed, "daemon_running", !down));
	} else {
		printf("%zu block entr%s removed\n", deleted, deleted == 1 ? "y" : "ies");
	}
	return failed ? FWCTL_EXIT_FAILED : FWCTL_EXIT_OK;
}

int cmd_flush(struct fwctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{},
	};
	json_t *res = NULL;
	bool yes = false;
	const char *what;
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case 'h':
			fwctl_help_command(fwctl_command_find("flush"), stdout);
			return FWCTL_EXIT_OK;
		case 'y':
			yes = true;
			break;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return fwctl_usage_error("flush", "missing what to flush (bans, blocks)");
	what = argv[optind++];
	if (strcmp(what, "bans") != 0 && strcmp(what, "blocks") != 0)
		return fwctl_usage_error("flush", "unknown '%s' (bans, blocks)", what);
	if (optind < argc)
		return fwctl_usage_error("flush", "unexpected argument '%s'", argv[optind]);
	if (!yes)
		return fwctl_usage_error("flush",
					 "flush %s removes every entry of its kind: confirm with "
					 "--yes (nothing changed)",
					 what);
	if (strcmp(what, "blocks") == 0)
		return flush_blocks(ctx);
	r = call(ctx, "bans.flush", NULL, &res);
	if (r >= 0)
		return r;
	r = jint(res, "failed") ? FWCTL_EXIT_FAILED : FWCTL_EXIT_OK;
	if (ctx->json) {
		fwctl_print_json(res);
		return r;
	}
	printf("%lld ban%s flushed", (long long)jint(res, "unbanned"),
	       jint(res, "unbanned") == 1 ? "" : "s");
	if (jint(res, "untracked"))
		printf(", %lld untracked automatic entries removed",
		       (long long)jint(res, "untracked"));
	if (jint(res, "failed"))
		printf(", %lld failed (see the daemon's log)", (long long)jint(res, "failed"));
	printf("\n");
	json_decref(res);
	return r;
}

/* ---- alerts ---- */

#define FOLLOW_POLL_MS 250
#define FOLLOW_MAX_COUNT 1000000

static volatile sig_atomic_t follow_stop;

static void on_follow_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void alert_time(json_t *a, char *when, size_t len)
{
	time_t sec = (time_t)(jint(a, "ts_us") / 1000000);
	struct tm tm;

	snprintf(when, len, "-");
	if (localtime_r(&sec, &tm))
		strftime(when, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* One streamed alert: a JSON line, or a fixed-width line (a table cannot align a stream). */
static int follow_print(struct fwctl *ctx, json_t *a)
{
	char when[32];

	if (ctx->json) {
		char *line = json_dumps(a, JSON_COMPACT);

		if (!line)
			return -ENOMEM;
		printf("%s\n", line);
		free(line);
	} else {
		alert_time(a, when, sizeof(when));
		printf("%s  %-15s %10lld %4lld  %-5s  %s\n", when, jstr(a, "src_ip"),
		       (long long)jint(a, "sid"), (long long)jint(a, "priority"), jstr(a, "action"),
		       jstr(a, "msg"));
	}
	return fflush(stdout) == 0 ? 0 : -EIO;
}

/*
 * `alerts --follow`: polls the daemon's ring with a cursor (the "after" argument: alerts
 * since the last one seen), so nothing is printed twice and a gap (the ring overwritten
 * between two polls, a daemon restart) is reported instead of hidden. A poll every 250 ms
 * costs the daemon one walk of the new part of its ring. backlog: print the alerts the first
 * call matches (--since or --limit given), else start from now.
 */
static int alerts_follow(struct fwctl *ctx, json_t *args, bool backlog, uint64_t count)
{
	struct sigaction sa = { .sa_handler = on_follow_signal }; /* no SA_RESTART */
	json_int_t cursor = 0;
	uint64_t printed = 0;
	bool first = true;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	if (!backlog)
		json_object_set_new(args, "limit", json_integer(1));
	while (!follow_stop) {
		json_t *res = NULL, *arr;
		json_int_t last;
		int r;

		if (!first) {
			struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
			if (follow_stop)
				break;
		}
		r = call(ctx, "alerts", args, &res);
		if (r >= 0)
			return r;
		last = jint(res, "last_seq");
		arr = json_object_get(res, "alerts");
		if (!first && last < cursor) {
			log_warn("alerts: the daemon restarted; following its new alerts");
			cursor = 0;
			json_object_set_new(args, "after", json_integer(0));
			json_decref(res);
			continue;
		}
		if (!first && jint(res, "missed"))
			log_warn("alerts: %lld alerts were overwritten in the daemon's ring before "
				 "they could be read",
				 (long long)jint(res, "missed"));
		if (first && !backlog)
			arr = NULL; /* from now on */
		/* newest first in the reply: print oldest first */
		for (size_t i = json_array_size(arr); i > 0 && (!count || printed < count); i--) {
			if (follow_print(ctx, json_array_get(arr, i - 1)) < 0) {
				json_decref(res);
				return FWCTL_EXIT_FAILED; /* stdout closed */
			}
			printed++;
		}
		json_decref(res);
		if (count && printed >= count)
			break;
		cursor = last;
		if (first) {
			/* later polls: every new alert matching the filters, whatever its age */
			json_object_del(args, "since_s");
			json_object_set_new(args, "limit", json_integer(4096));
			first = false;
		}
		json_object_set_new(args, "after", json_integer(cursor));
	}
	return FWCTL_EXIT_OK;
}

int cmd_alerts(struct fwctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "sid", required_argument, NULL, 'i' },
		{ "src", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{},
	};
	static const char *const cols[] = { "TIME", "SOURCE", ">SID", ">PRIO", "ACTION", "MSG" };
	_cleanup_(table_freep) struct table *t = NULL;
	_cleanup_(json_decrefp) json_t *res = NULL;
	json_t *args = json_object(), *a;
	uint64_t v, count = 0;
	bool follow = false, backlog = false;
	struct cidr cidr;
	char buf[CIDR_STRLEN];
	size_t i;
	int c, r;

	if (!args)
		return fwctl_print_json(NULL);
	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case 'h':
			json_decref(args);
			fwctl_help_command(fwctl_command_find("alerts"), stdout);
			return FWCTL_EXIT_OK;
		case 's':
			if (parse_duration(optarg, &v) < 0 || v < 1 || v > 365 * 86400) {
				json_decref(args);
				return fwctl_usage_error("alerts",
							 "invalid --since '%s' (30s, 10m, 1h, 7d)",
							 optarg);
			}
			json_object_set_new(args, "since_s", json_integer((json_int_t)v));
			backlog = true;
			break;
		case 'i':
			if (parse_u64(optarg, 1, UINT32_MAX, &v) < 0) {
				json_decref(args);
				return fwctl_usage_error(
					"alerts", "invalid --sid '%s' (1-4294967295)", optarg);
			}
			json_object_set_new(args, "sid", json_integer((json_int_t)v));
			break;
		case 'c':
			r = cidr_parse(optarg, &cidr);
			if (r < 0) {
				json_decref(args);
				if (r == -EADDRNOTAVAIL)
					return fwctl_usage_error(
						"alerts",
						"--src '%s' has host bits set (did you mean %s?)",
						optarg, cidr_format(&cidr, buf, sizeof(buf)));
				return fwctl_usage_error("alerts",
							 "invalid --src '%s' (an address or CIDR)",
							 optarg);
			}
			json_object_set_new(args, "src", json_string(optarg));
			break;
		case 'l':
			if (parse_u64(optarg, 1, 4096, &v) < 0) {
				json_decref(args);
				return fwctl_usage_error("alerts", "invalid --limit '%s' (1-4096)",
							 optarg);
			}
			json_object_set_new(args, "limit", json_integer((json_int_t)v));
			backlog = true;
			break;
		case 'f':
			follow = true;
			break;
		case 'n':
			if (parse_u64(optarg, 1, FOLLOW_MAX_COUNT, &count) < 0) {
				json_decref(args);
				return fwctl_usage_error("alerts", "invalid --count '%s' (1-%d)",
							 optarg, FOLLOW_MAX_COUNT);
			}
			break;
		default:
			json_decref(args);
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		json_decref(args);
		return fwctl_usage_error("alerts", "unexpected argument '%s'", argv[optind]);
	}
	if (count && !follow) {
		json_decref(args);
		return fwctl_usage_error("alerts", "--count goes with --follow");
	}
	if (follow) {
		r = alerts_follow(ctx, args, backlog, count);
		json_decref(args);
		return r;
	}
	r = call_table(ctx, "alerts", args, ARRAY_SIZE(cols), cols, &res, &t);
	if (r >= 0)
		return r;
	json_array_foreach(json_object_get(res, "alerts"), i, a)
	{
		char when[32], sid[16], prio[8];

		alert_time(a, when, sizeof(when));
		snprintf(sid, sizeof(sid), "%lld", (long long)jint(a, "sid"));
		snprintf(prio, sizeof(prio), "%lld", (long long)jint(a, "priority"));
		if (table_add_row(t, (const char *const[]){ when, jstr(a, "src_ip"), sid, prio,
							    jstr(a, "action"), jstr(a, "msg") }) <
		    0)
			return fwctl_print_json(NULL);
	}
	table_print(t, stdout);
	printf("%zu alert%s", t->nrows, t->nrows == 1 ? "" : "s");
	if (jint(res, "overwritten"))
		printf(" (the ring keeps the last %lld; %lld older ones not kept)",
		       (long long)jint(res, "ring_size"), (long long)jint(res, "overwritten"));
	printf("\n");
	return FWCTL_EXIT_OK;
}

/* ---- top ---- */

int cmd_top(struct fwctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{},
	};
	static const char *const ocols[] = { "SOURCE", ">SCORE", ">OFFENCES", "BANNED", "RULES" };
	static const char *const rcols[] = { ">SID", ">ALERTS", "MSG" };
	_cleanup_(table_freep) struct table *t = NULL;
	_cleanup_(json_decrefp) json_t *res = NULL;
	json_t *args, *x;
	uint64_t limit = 0;
	bool offenders;
	const char *sub;
	size_t i;
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case 'h':
			fwctl_help_command(fwctl_command_find("top"), stdout);
			return FWCTL_EXIT_OK;
		case OPT_LIMIT:
			if (parse_u64(optarg, 1, 10000, &limit) < 0)
				return fwctl_usage_error("top", "invalid --limit '%s' (1-10000)",
							 optarg);
			break;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return fwctl_usage_error("top", "missing subcommand (offenders, rules)");
	sub = argv[optind++];
	if (strcmp(sub, "offenders") != 0 && strcmp(sub, "rules") != 0)
		return fwctl_usage_error("top", "unknown subcommand '%s' (offenders, rules)", sub);
	if (optind < argc)
		return fwctl_usage_error("top", "unexpected argument '%s'", argv[optind]);
	offenders = strcmp(sub, "offenders") == 0;
	args = json_object();
	if (!args)
		return fwctl_print_json(NULL);
	if (limit)
		json_object_set_new(args, "limit", json_integer((json_int_t)limit));
	r = offenders ? call_table(ctx, "top.offenders", args, ARRAY_SIZE(ocols), ocols, &res, &t) :
			call_table(ctx, "top.rules", args, ARRAY_SIZE(rcols), rcols, &res, &t);
	if (r >= 0)
		return r;
	json_array_foreach(json_object_get(res, offenders ? "offenders" : "top"), i, x)
	{
		char a[32], b[32], rules[OFFENDER_RULES_STRLEN];

		if (offenders) {
			bool banned = json_is_true(json_object_get(x, "banned"));
			char ban[48] = "no";

			snprintf(a, sizeof(a), "%.1f",
				 json_real_value(json_object_get(x, "score")));
			snprintf(b, sizeof(b), "%lld", (long long)jint(x, "offences"));
			/* a ban clears the score: BANNED shows the score it was decided on and
			 * RULES its rules until new alerts come */
			if (banned)
				snprintf(ban, sizeof(ban), "yes (at %.1f)",
					 json_real_value(json_object_get(x, "ban_score")));
			join_ids(json_object_get(x, "rule_ids"), rules, sizeof(rules));
			if (banned && !rules[0])
				join_ids(json_object_get(x, "ban_rule_ids"), rules, sizeof(rules));
			r = table_add_row(t, (const char *const[]){ jstr(x, "prefix"), a, b, ban,
								    rules[0] ? rules : "-" });
		} else {
			snprintf(a, sizeof(a), "%lld", (long long)jint(x, "sid"));
			snprintf(b, sizeof(b), "%lld", (long long)jint(x, "alerts"));
			r = table_add_row(t, (const char *const[]){ a, b, jstr(x, "msg") });
		}
		if (r < 0)
			return fwctl_print_json(NULL);
	}
	if (offenders)
		printf("%lld sources tracked; ban threshold %g\n", (long long)jint(res, "tracked"),
		       json_real_value(json_object_get(res, "threshold")));
	else
		printf("%lld alerts from %lld rules since start\n", (long long)jint(res, "alerts"),
		       (long long)jint(res, "rules"));
	table_print(t, stdout);
	return FWCTL_EXIT_OK;
}

/* ---- threshold ---- */

int cmd_threshold(struct fwctl *ctx, int argc, char **argv)
{
	json_t *res = NULL, *args = NULL;
	char buf[32];
	int r = plain_opts(ctx, argc, argv, "threshold", 3);

	if (r >= 0)
		return r;
	if (optind >= argc)
		return fwctl_usage_error("threshold", "missing subcommand (show, set)");
	if (strcmp(argv[optind], "show") == 0) {
		if (argc - optind > 1)
			return fwctl_usage_error("threshold", "unexpected argument '%s'",
						 argv[optind + 1]);
		r = call(ctx, "threshold.show", NULL, &res);
	} else if (strcmp(argv[optind], "set") == 0) {
		if (argc - optind != 3)
			return fwctl_usage_error("threshold", "set needs KEY VALUE");
		args = json_pack("{s:s, s:s}", "key", argv[optind + 1], "value", argv[optind + 2]);
		if (!args)
			return fwctl_print_json(NULL);
		r = call(ctx, "threshold.set", args, &res);
		json_decref(args);
	} else {
		return fwctl_usage_error("threshold", "unknown subcommand '%s' (show, set)",
					 argv[optind]);
	}
	if (r >= 0)
		return r;
	if (ctx->json)
		return fwctl_print_json(res);
	printf("threshold: %g\n", json_real_value(json_object_get(res, "threshold")));
	printf("window:    %s\n", format_duration((uint64_t)jint(res, "window"), buf, sizeof(buf)));
	printf("ban-time:  %s\n",
	       format_duration((uint64_t)jint(res, "ban-time"), buf, sizeof(buf)));
	printf("ban-max:   %s\n",
	       format_duration((uint64_t)jint(res, "ban-max"), buf, sizeof(buf)));
	json_decref(res);
	return FWCTL_EXIT_OK;
}

/* ---- config ---- */

/* One section of the effective configuration, in the config file's syntax. */
static void print_section(const char *name, json_t *sec)
{
	const char *key;
	json_t *v;

	printf("[%s]\n", name);
	json_object_foreach(sec, key, v)
	{
		char *s;

		if (json_is_string(v)) {
			const char *str = json_string_value(v);

			printf("%s =%s%s\n", key, *str ? " " : "", str); /* no trailing blank */
			continue;
		}
		if (json_is_boolean(v)) {
			printf("%s = %s\n", key, json_is_true(v) ? "yes" : "no");
			continue;
		}
		if (json_is_array(v)) {
			size_t i;
			json_t *x;

			json_array_foreach(v, i, x) printf("%s = %s\n", key, json_string_value(x));
			continue;
		}
		if (json_is_object(v)) {
			const char *k2;
			json_t *v2;

			json_object_foreach(v, k2, v2)
				printf("%s = %s\n", k2, json_string_value(v2));
			continue;
		}
		s = json_dumps(v, JSON_ENCODE_ANY);
		printf("%s = %s\n", key, s ? s : "?");
		free(s);
	}
	printf("\n");
}

int cmd_config(struct fwctl *ctx, int argc, char **argv)
{
	json_t *res = NULL;
	const char *key;
	json_t *sec;
	int r = plain_opts(ctx, argc, argv, "config", 1);

	if (r >= 0)
		return r;
	if (optind >= argc)
		return fwctl_usage_error("config", "missing subcommand (show)");
	if (strcmp(argv[optind], "show") != 0)
		return fwctl_usage_error("config", "unknown subcommand '%s' (show)", argv[optind]);
	r = call(ctx, "config.show", NULL, &res);
	if (r >= 0)
		return r;
	if (ctx->json)
		return fwctl_print_json(res);
	printf("# the running daemon's effective configuration (durations in seconds, sizes in "
	       "bytes)\n");
	json_object_foreach(res, key, sec)
	{
		if (strcmp(key, "command-line") == 0) {
			size_t i;
			json_t *x;

			printf("# command line:");
			json_array_foreach(json_object_get(sec, "interfaces"), i, x)
				printf(" -i %s", json_string_value(x));
			json_array_foreach(json_object_get(sec, "rule-paths"), i, x)
				printf(" -S %s", json_string_value(x));
			printf("\n");
			continue;
		}
		print_section(key, sec);
	}
	json_decref(res);
	return FWCTL_EXIT_OK;
}
