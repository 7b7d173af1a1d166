// SPDX-License-Identifier: GPL-2.0-only
/* fwctl list / mode: reading (and switching) the pinned datapath's state (stats: cmd_stats.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include "lib/lib.h"
#include "cmd_common.h"
#include "entry_args.h"
#include "table.h"

/* Parses a command that takes only the shared options and at most max_pos positionals. */
static int simple_opts(struct fwctl *ctx, int argc, char **argv, int max_pos)
{
	int c;

	while ((c = fwctl_getopt(ctx, argc, argv, NULL)) != -1) {
		if (c == 'h') {
			fwctl_help_command(fwctl_command_find(argv[0]), stdout);
			return FWCTL_EXIT_OK;
		}
		return FWCTL_EXIT_USAGE;
	}
	if (argc - optind > max_pos)
		return fwctl_usage_error(argv[0], "unexpected argument '%s'",
					 argv[optind + max_pos]);
	return -1;
}

/* `fwctl list --sort` collects the entries before printing: at most this many. */
#define LIST_SORT_MAX 4000000u

enum list_kind { LIST_ALL, LIST_BLOCKS, LIST_ALLOWS, LIST_PORTS };

struct list_state {
	uint64_t now;
	enum list_kind kind;
	int reason; /* -1: any; MOAT_REASON_AUTO / MOAT_REASON_MANUAL */
	uint64_t sid; /* 0: any; else entries of this rule id */
	bool collect; /* --sort: gather into v, print after */
	struct moat_dp_entry *v;
	size_t n, cap;
	json_t *arr; /* --json */
	struct table *t; /* human */
	int err;
};

static bool list_match(const struct list_state *st, const struct moat_dp_entry *e)
{
	switch (st->kind) {
	case LIST_BLOCKS:
		if (e->kind != MOAT_KIND_BLOCK)
			return false;
		break;
	case LIST_ALLOWS:
		if (e->kind != MOAT_KIND_ALLOW)
			return false;
		break;
	case LIST_PORTS:
		if (e->kind != MOAT_KIND_PORT_BLOCK && e->kind != MOAT_KIND_PORT_ALLOW)
			return false;
		break;
	case LIST_ALL:
		break;
	}
	if (st->reason >= 0 && e->reason != st->reason)
		return false;
	if (st->sid && (e->reason == MOAT_REASON_MANUAL || e->rule_id != st->sid))
		return false;
	return true;
}

static int list_print(struct list_state *st, const struct moat_dp_entry *e)
{
	bool port_kind = e->kind == MOAT_KIND_PORT_BLOCK || e->kind == MOAT_KIND_PORT_ALLOW;
	char cidr[CIDR_STRLEN], port[8], exp[32], hits[24], reason[32];
	const char *cells[9];

	if (st->arr) {
		json_t *o = fwctl_entry_json(e, st->now);

		if (!o || json_array_append_new(st->arr, o) < 0) {
			st->err = -ENOMEM;
			return 1;
		}
		return 0;
	}
	snprintf(port, sizeof(port), "%u", e->port);
	snprintf(hits, sizeof(hits), "%" PRIu64, e->hits);
	if (e->reason == MOAT_REASON_RULE)
		snprintf(reason, sizeof(reason), "rule:%u", e->rule_id);
	else
		snprintf(reason, sizeof(reason), "%s",
			 e->reason == MOAT_REASON_AUTO ? "auto" : "manual");
	cells[0] = moat_dp_kind_name(e->kind);
	cells[1] = e->dir == MOAT_DIR_DST ? "dst" : "src";
	cells[2] = e->cidr.family == AF_UNSPEC ? "any" : cidr_format(&e->cidr, cidr, sizeof(cidr));
	cells[3] = port_kind ? entry_args_proto_name(e->proto) : "-";
	cells[4] = port_kind ? port : "-";
	cells[5] = fwctl_format_expiry(e->expires_ns, st->now, exp, sizeof(exp));
	cells[6] = hits;
	cells[7] = reason;
	cells[8] = e->note[0] ? e->note : "-";
	st->err = table_add_row(st->t, cells);
	return st->err < 0 ? 1 : 0;
}

static int list_cb(const struct moat_dp_entry *e, void *userdata)
{
	struct list_state *st = userdata;

	if (!list_match(st, e))
		return 0;
	if (!st->collect)
		return list_print(st, e);
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 1024;
		struct moat_dp_entry *v =
			st->n < LIST_SORT_MAX ? reallocarray(st->v, cap, sizeof(*v)) : NULL;

		if (!v) {
			st->err = st->n < LIST_SORT_MAX ? -ENOMEM : -E2BIG;
			return 1;
		}
		st->v = v;
		st->cap = cap;
	}
	st->v[st->n++] = *e;
	return 0;
}

/* --sort expiry: soonest first, entries that never expire last; ties by hits. */
static int cmp_entry_expiry(const void *a, const void *b)
{
	const struct moat_dp_entry *x = a, *y = b;
	uint64_t ex = x->expires_ns ? x->expires_ns : UINT64_MAX;
	uint64_t ey = y->expires_ns ? y->expires_ns : UINT64_MAX;

	if (ex != ey)
		return ex < ey ? -1 : 1;
	return x->hits > y->hits ? -1 : x->hits < y->hits;
}

/* --sort hits: most first; ties by expiry. */
static int cmp_entry_hits(const void *a, const void *b)
{
	const struct moat_dp_entry *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return cmp_entry_expiry(a, b);
}

int cmd_list(struct fwctl *ctx, int argc, char **argv)
{
	static const char *const cols[] = { "KIND",    "DIR",	"CIDR",	  "PROTO", ">PORT",
					    "EXPIRES", ">HITS", "REASON", "NOTE" };
	static const struct {
		const char *name;
		enum list_kind kind;
	} kinds[] = {
		{ "blocks", LIST_BLOCKS },
		{ "allows", LIST_ALLOWS },
		{ "ports", LIST_PORTS },
	};
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	_cleanup_(table_freep) struct table *t = NULL;
	struct list_state st = { .reason = -1 };
	int r;

	static const struct option opts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{},
	};
	const char *sort = NULL, *reason = NULL;
	int c;

	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case 'h':
			fwctl_help_command(fwctl_command_find("list"), stdout);
			return FWCTL_EXIT_OK;
		case 's':
			if (strcmp(optarg, "expiry") != 0 && strcmp(optarg, "hits") != 0)
				return fwctl_usage_error(
					"list", "invalid --sort '%s' (expiry, hits)", optarg);
			sort = optarg;
			break;
		case 'r':
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "manual") != 0 &&
			    parse_u64(optarg, 1, UINT32_MAX, &st.sid) < 0)
				return fwctl_usage_error(
					"list",
					"invalid --reason '%s' (auto, manual, or a rule id "
					"1-4294967295)",
					optarg);
			reason = optarg;
			break;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return fwctl_usage_error("list", "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc && strcmp(argv[optind], "bans") == 0) {
		if (reason && strcmp(reason, "manual") == 0)
			return fwctl_usage_error(
				"list", "--reason manual: bans are automatic ('list blocks "
					"--reason manual' lists manual blocks)");
		return cmd_list_bans(ctx, sort, reason);
	}
	if (optind < argc) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(kinds); i++)
			if (strcmp(argv[optind], kinds[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(kinds))
			return fwctl_usage_error(
				"list",
				"unknown list '%s' (blocks, allows, bans or ports; none: "
				"every entry)",
				argv[optind]);
		st.kind = kinds[i].kind;
	}
	if (reason && strcmp(reason, "auto") == 0)
		st.reason = MOAT_REASON_AUTO;
	else if (reason && strcmp(reason, "manual") == 0)
		st.reason = MOAT_REASON_MANUAL;
	st.collect = sort != NULL;
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	st.now = moat_dp_now_ns();
	if (ctx->json) {
		st.arr = json_array();
		if (!st.arr)
			return fwctl_print_json(NULL);
	} else {
		t = table_new(ARRAY_SIZE(cols), cols);
		if (!t)
			return fwctl_print_json(NULL);
		st.t = t;
	}
	r = moat_dp_list(dp, list_cb, &st);
	if (r >= 0 && st.err >= 0 && st.collect) {
		if (st.n)
			qsort(st.v, st.n, sizeof(*st.v),
			      strcmp(sort, "hits") == 0 ? cmp_entry_hits : cmp_entry_expiry);
		for (size_t i = 0; i < st.n && st.err >= 0; i++)
			list_print(&st, &st.v[i]);
	}
	free(st.v);
	if (r < 0 || st.err < 0) {
		json_decref(st.arr);
		if (st.err == -E2BIG)
			log_err("list: more than %u entries to sort (filter them, or drop --sort)",
				LIST_SORT_MAX);
		else if (st.err < 0)
			log_err("list: %s", strerror(-st.err));
		else
			log_err("list: %s",
				*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (!o) {
			json_decref(st.arr);
			return fwctl_print_json(NULL);
		}
		json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(st.arr)));
		json_object_set_new(o, "entries", st.arr);
		return fwctl_print_json(o);
	}
	table_print(t, stdout);
	printf("%zu entr%s\n", t->nrows, t->nrows == 1 ? "y" : "ies");
	return FWCTL_EXIT_OK;
}

int cmd_mode(struct fwctl *ctx, int argc, char **argv)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	uint32_t mode;
	bool set = false;
	int r;

	r = simple_opts(ctx, argc, argv, 1);
	if (r >= 0)
		return r;
	if (optind < argc) {
		if (strcmp(argv[optind], "allow") == 0)
			mode = MOAT_MODE_ALLOW;
		else if (strcmp(argv[optind], "deny") == 0)
			mode = MOAT_MODE_DENY;
		else
			return fwctl_usage_error("mode", "invalid mode '%s' (allow or deny)",
						 argv[optind]);
		set = true;
	}
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	r = set ? moat_dp_set_mode(dp, mode) : moat_dp_get_mode(dp, &mode);
	if (r < 0) {
		log_err("mode: %s", *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (o)
			json_object_set_new(o, "mode",
					    json_string(mode == MOAT_MODE_DENY ? "deny" : "allow"));
		return fwctl_print_json(o);
	}
	printf("mode: %s\n", mode == MOAT_MODE_DENY ? "deny" : "allow");
	return FWCTL_EXIT_OK;
}
