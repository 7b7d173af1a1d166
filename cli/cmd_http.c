// SPDX-License-Identifier: GPL-2.0-only
/* fwctl http: the in-kernel HTTP checks (blocked methods, Host values, URI prefixes, limits). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include "lib/lib.h"
#include "cmd_common.h"
#include "table.h"

static const struct {
	const char *name;
	bool add;
	enum moat_http_check kind;
} subs[] = {
	{ "block-method", true, MOAT_HTTP_METHOD },  { "unblock-method", false, MOAT_HTTP_METHOD },
	{ "block-host", true, MOAT_HTTP_HOST },	     { "unblock-host", false, MOAT_HTTP_HOST },
	{ "block-uri", true, MOAT_HTTP_URI_PREFIX }, { "unblock-uri", false, MOAT_HTTP_URI_PREFIX },
};

struct http_list_state {
	struct moat_dp *dp;
	json_t *arr; /* --json */
	struct table *t; /* human */
	int err;
};

static int http_list_cb(enum moat_http_check kind, const char *value, void *userdata)
{
	struct http_list_state *st = userdata;
	uint64_t hits = 0;
	char h[24];

	/* An entry deleted meanwhile by someone else lists with 0 hits. */
	if (moat_dp_http_hits(st->dp, kind, value, &hits) < 0)
		hits = 0;
	if (st->arr) {
		json_t *o = json_pack("{s:s, s:s, s:I}", "check", moat_dp_http_check_name(kind),
				      "value", value, "hits", (json_int_t)hits);

		if (!o || json_array_append_new(st->arr, o) < 0) {
			st->err = -ENOMEM;
			return -ENOMEM;
		}
		return 0;
	}
	snprintf(h, sizeof(h), "%" PRIu64, hits);
	{
		const char *cells[3] = { moat_dp_http_check_name(kind), value, h };
		int r = table_add_row(st->t, cells);

		if (r < 0 && r != -E2BIG) {
			st->err = r;
			return r;
		}
	}
	return 0;
}

static int http_list(struct fwctl *ctx, struct moat_dp *dp)
{
	static const char *const headers[] = { "CHECK", "VALUE", ">HITS" };
	_cleanup_(table_freep) struct table *t = NULL;
	struct http_list_state st = { .dp = dp };
	struct moat_dp_copy_stats cs;
	uint32_t rl, hl;
	int r;

	moat_dp_http_get_limits(dp, &rl, &hl);
	r = moat_dp_copy_stats(dp, -1, &cs);
	if (r < 0) {
		log_err("http list: %s", moat_dp_errmsg(dp));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		st.arr = json_array();
		if (!o || !st.arr) {
			json_decref(o);
			json_decref(st.arr);
			return fwctl_print_json(NULL);
		}
		r = moat_dp_http_list(dp, http_list_cb, &st);
		if (r < 0 || st.err) {
			json_decref(o);
			json_decref(st.arr);
			log_err("http list: %s", st.err ? strerror(-st.err) : moat_dp_errmsg(dp));
			return FWCTL_EXIT_FAILED;
		}
		json_object_set_new(o, "entries", st.arr);
		json_object_set_new(o, "limits",
				    json_pack("{s:I, s:I}", "request_line", (json_int_t)rl,
					      "header", (json_int_t)hl));
		json_object_set_new(o, "counters",
				    json_pack("{s:I, s:I}", "http_blocked",
					      (json_int_t)cs.http_blocked, "http_incomplete",
					      (json_int_t)cs.http_incomplete));
		return fwctl_print_json(o);
	}
	t = table_new(3, headers);
	if (!t) {
		log_err("http list: out of memory");
		return FWCTL_EXIT_FAILED;
	}
	st.t = t;
	r = moat_dp_http_list(dp, http_list_cb, &st);
	if (r < 0 || st.err) {
		log_err("http list: %s", st.err ? strerror(-st.err) : moat_dp_errmsg(dp));
		return FWCTL_EXIT_FAILED;
	}
	table_print(t, stdout);
	printf("limits: request line %" PRIu32 ", header line %" PRIu32 " (bytes, 0 = none)\n"
	       "dropped packets: %" PRIu64 "; first segments without a complete request line: "
	       "%" PRIu64 "\n",
	       rl, hl, cs.http_blocked, cs.http_incomplete);
	return FWCTL_EXIT_OK;
}

static int parse_limit(const char *s, uint32_t *ret)
{
	uint64_t v;

	if (parse_u64(s, 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int cmd_http(struct fwctl *ctx, int argc, char **argv)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	const char *sub, *value;
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, NULL)) != -1) {
		if (c == 'h') {
			fwctl_help_command(fwctl_command_find("http"), stdout);
			return FWCTL_EXIT_OK;
		}
		return FWCTL_EXIT_USAGE;
	}
	if (optind >= argc)
		return fwctl_usage_error("http", "missing subcommand");
	sub = argv[optind];
	if (strcmp(sub, "list") == 0) {
		if (argc - optind > 1)
			return fwctl_usage_error("http", "unexpected argument '%s'",
						 argv[optind + 1]);
		dp = fwctl_open_dp(ctx);
		return dp ? http_list(ctx, dp) : FWCTL_EXIT_FAILED;
	}
	if (strcmp(sub, "limits") == 0) {
		uint32_t rl, hl;

		if (argc - optind != 3)
			return fwctl_usage_error("http", "limits needs REQUEST_LINE HEADER (bytes, "
							 "0 = no limit)");
		if (parse_limit(argv[optind + 1], &rl) < 0 ||
		    parse_limit(argv[optind + 2], &hl) < 0)
			return fwctl_usage_error("http", "limits: '%s' '%s' are not numbers",
						 argv[optind + 1], argv[optind + 2]);
		dp = fwctl_open_dp(ctx);
		if (!dp)
			return FWCTL_EXIT_FAILED;
		r = moat_dp_http_set_limits(dp, rl, hl);
		if (r == -EINVAL)
			return fwctl_usage_error("http", "%s", moat_dp_errmsg(dp));
		if (r < 0) {
			log_err("http limits: %s", moat_dp_errmsg(dp));
			return FWCTL_EXIT_FAILED;
		}
		return FWCTL_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(sub, subs[i].name) != 0)
			continue;
		if (argc - optind != 2)
			return fwctl_usage_error("http",
						 argc - optind < 2 ? "%s: missing VALUE" :
								     "%s: one VALUE only",
						 sub);
		value = argv[optind + 1];
		dp = fwctl_open_dp(ctx);
		if (!dp)
			return FWCTL_EXIT_FAILED;
		r = subs[i].add ? moat_dp_http_add(dp, subs[i].kind, value) :
				  moat_dp_http_delete(dp, subs[i].kind, value);
		if (r == -EINVAL)
			return fwctl_usage_error("http", "%s", moat_dp_errmsg(dp));
		if (r < 0) {
			log_err("http %s: %s", sub, moat_dp_errmsg(dp));
			return FWCTL_EXIT_FAILED;
		}
		return FWCTL_EXIT_OK;
	}
	return fwctl_usage_error("http", "unknown subcommand '%s'", sub);
}
