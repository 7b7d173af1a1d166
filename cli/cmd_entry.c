// SPDX-License-Identifier: GPL-2.0-only
/* fwctl block / unblock / allow / disallow: one entry, or a bulk file (all or nothing). */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include "lib/lib.h"
#include "cmd_common.h"
#include "ctl_client.h"
#include "entry_args.h"

/* Bulk files: at most this many entries (a hard cap, reported), added in chunks of
 * BULK_CHUNK so memory stays bounded whatever the file size. */
#define BULK_MAX_ENTRIES 16000000u
#define BULK_CHUNK 65536u
/* At most this many line errors are printed before giving up on a bad file. */
#define BULK_MAX_ERRORS 10
/* Through the daemon, a bulk file goes in requests of at most this many targets and bytes
 * of CIDR text (a request line is at most 64 KiB; the daemon takes 4096 targets). */
#define DAEMON_CHUNK_ENTRIES 4096u
#define DAEMON_CHUNK_BYTES (48u << 10)
/* Returned by the daemon path when moatd is not reachable: use the pinned maps. */
#define DAEMON_DOWN (-1)

static const struct option entry_opts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "proto", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, 'P' },
	{ "ttl", required_argument, NULL, 't' },
	{ "reason", required_argument, NULL, 'r' },
	{ "file", required_argument, NULL, 'f' },
	{},
};

/* The targets of a bulk file, validated in full before anything is added. */
struct bulk {
	struct cidr *cidrs;
	size_t n, cap;
};

static void bulk_done(struct bulk *b)
{
	free(b->cidrs);
}

static int bulk_push(struct bulk *b, const struct cidr *c)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		struct cidr *n = reallocarray(b->cidrs, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->cidrs = n;
		b->cap = cap;
	}
	b->cidrs[b->n++] = *c;
	return 0;
}

/* Read and validate every line of path ("-" = stdin). Returns 0, or an exit code > 0 after
 * printing "FILE:LINE: message" for each bad line (up to BULK_MAX_ERRORS). */
static int bulk_read(const char *cmd, const struct entry_args_opts *o, const char *path,
		     struct bulk *b)
{
	_cleanup_fclose_ FILE *owned = NULL;
	_cleanup_free_ char *line = NULL;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	size_t cap = 0, lineno = 0, errors = 0;
	FILE *f = stdin;
	ssize_t len;

	if (strcmp(path, "-") != 0) {
		owned = fopen(path, "re");
		if (!owned) {
			log_err("%s: cannot open '%s': %s", cmd, path, strerror(errno));
			return FWCTL_EXIT_USAGE;
		}
		f = owned;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct moat_dp_entry e;
		const char *target;
		char err[256];
		int r;

		lineno++;
		if ((size_t)len > ENTRY_ARGS_MAX_LINE) {
			log_err("%s:%zu: line too long (%zd bytes, at most %d)", name, lineno, len,
				ENTRY_ARGS_MAX_LINE);
			r = -EINVAL;
		} else {
			r = entry_args_line(line, &target, err, sizeof(err));
			if (r < 0)
				log_err("%s:%zu: %s", name, lineno, err);
		}
		if (r == 0)
			continue;
		if (r > 0) {
			r = entry_args_build(o, target, &e, err, sizeof(err));
			if (r < 0)
				log_err("%s:%zu: %s", name, lineno, err);
		}
		if (r < 0) {
			if (++errors >= BULK_MAX_ERRORS) {
				log_err("%s: too many errors, giving up", name);
				break;
			}
			continue;
		}
		if (b->n >= BULK_MAX_ENTRIES) {
			log_err("%s:%zu: more than %u entries in one file (split it)", name, lineno,
				BULK_MAX_ENTRIES);
			return FWCTL_EXIT_USAGE;
		}
		if (bulk_push(b, &e.cidr) < 0) {
			log_err("%s: out of memory after %zu entries", name, b->n);
			return FWCTL_EXIT_FAILED;
		}
	}
	if (ferror(f)) {
		log_err("%s: read error: %s", name, strerror(errno));
		return FWCTL_EXIT_FAILED;
	}
	if (errors) {
		log_err("%s: %zu invalid line%s, nothing was changed", name, errors,
			errors == 1 ? "" : "s");
		return FWCTL_EXIT_USAGE;
	}
	return 0;
}

static void entry_describe(const struct moat_dp_entry *e, char *buf, size_t len)
{
	char c[CIDR_STRLEN];
	const char *cidr =
		e->cidr.family == AF_UNSPEC ? "any" : cidr_format(&e->cidr, c, sizeof(c));

	if (e->kind == MOAT_KIND_PORT_BLOCK || e->kind == MOAT_KIND_PORT_ALLOW)
		snprintf(buf, len, "%s/%u from %s", entry_args_proto_name(e->proto), e->port, cidr);
	else if (e->kind == MOAT_KIND_BLOCK)
		snprintf(buf, len, "%s (%s)", cidr, e->dir == MOAT_DIR_DST ? "dst" : "src");
	else
		snprintf(buf, len, "%s", cidr);
}

static int add_one(struct fwctl *ctx, struct moat_dp *dp, const char *cmd,
		   const struct moat_dp_entry *e)
{
	struct moat_dp_entry got;
	char desc[CIDR_STRLEN + 64], exp[32];
	int r;

	r = moat_dp_add(dp, e);
	if (r < 0) {
		log_err("%s: %s", cmd, *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	/* Read it back: the output shows what the kernel holds (expiry, hits so far). */
	if (moat_dp_get(dp, e, &got) < 0)
		got = *e;
	if (ctx->json) {
		json_t *o = json_object();

		if (o) {
			json_object_set_new(o, "command", json_string(cmd));
			json_object_set_new(o, "added", json_integer(1));
			json_object_set_new(o, "entry", fwctl_entry_json(&got, moat_dp_now_ns()));
		}
		return fwctl_print_json(o);
	}
	entry_describe(&got, desc, sizeof(desc));
	printf("%s %s, expires: %s\n", strcmp(cmd, "allow") == 0 ? "allowed" : "blocked", desc,
	       fwctl_format_expiry(got.expires_ns, moat_dp_now_ns(), exp, sizeof(exp)));
	return FWCTL_EXIT_OK;
}

static int delete_one(struct fwctl *ctx, struct moat_dp *dp, const char *cmd,
		      const struct moat_dp_entry *e)
{
	char desc[CIDR_STRLEN + 64];
	int r;

	entry_describe(e, desc, sizeof(desc));
	r = moat_dp_delete(dp, e);
	if (r == -ENOENT) {
		log_err("%s: no such entry: %s", cmd, desc);
		return FWCTL_EXIT_FAILED;
	}
	if (r < 0) {
		log_err("%s: %s", cmd, *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (o) {
			json_object_set_new(o, "command", json_string(cmd));
			json_object_set_new(o, "removed", json_integer(1));
		}
		return fwctl_print_json(o);
	}
	printf("removed %s\n", desc);
	return FWCTL_EXIT_OK;
}

/* The outcome of a bulk add or delete: DONE entries added or removed, ABSENT (delete) not
 * present. The JSON says "daemon": true when the daemon made the change. */
static int bulk_report(struct fwctl *ctx, const char *cmd, bool add, size_t done, size_t absent,
		       bool daemon)
{
	if (ctx->json) {
		json_t *obj = json_pack("{s:s, s:I}", "command", cmd, add ? "added" : "removed",
					(json_int_t)done);

		if (obj && daemon)
			json_object_set_new(obj, "daemon", json_true());
		if (obj && !add)
			json_object_set_new(obj, "absent", json_integer((json_int_t)absent));
		return fwctl_print_json(obj);
	}
	if (add)
		printf("%s: %zu entries added\n", cmd, done);
	else
		printf("%s: %zu entries removed, %zu were not present\n", cmd, done, absent);
	return FWCTL_EXIT_OK;
}

static int bulk_apply(struct fwctl *ctx, struct moat_dp *dp, const char *cmd, bool add,
		      const struct entry_args_opts *o, const struct bulk *b)
{
	_cleanup_free_ struct moat_dp_entry *chunk = NULL;
	struct moat_dp_entry tmpl;
	size_t done = 0, absent = 0;
	char err[256];
	int r;

	r = entry_args_template(o, &tmpl, err, sizeof(err));
	if (r < 0) {
		log_err("%s: %s", cmd, err);
		return FWCTL_EXIT_USAGE;
	}
	chunk = calloc(MIN((size_t)BULK_CHUNK, MAX(b->n, (size_t)1)), sizeof(*chunk));
	if (!chunk) {
		log_err("%s: out of memory", cmd);
		return FWCTL_EXIT_FAILED;
	}
	for (size_t i = 0; i < b->n; i += BULK_CHUNK) {
		size_t n = MIN((size_t)BULK_CHUNK, b->n - i), added = 0;

		for (size_t j = 0; j < n; j++) {
			chunk[j] = tmpl;
			chunk[j].cidr = b->cidrs[i + j];
		}
		if (add) {
			r = moat_dp_add_bulk(dp, chunk, n, &added);
			done += added;
			if (r < 0) {
				log_err("%s: %s (%zu of %zu entries added)", cmd,
					*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r),
					done, b->n);
				return FWCTL_EXIT_FAILED;
			}
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			r = moat_dp_delete(dp, &chunk[j]);
			if (r == -ENOENT) {
				absent++;
			} else if (r < 0) {
				log_err("%s: %s (%zu of %zu entries removed)", cmd,
					*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r),
					done, b->n);
				return FWCTL_EXIT_FAILED;
			} else {
				done++;
			}
		}
	}
	return bulk_report(ctx, cmd, add, done, absent, false);
}

/* The request's arguments but the targets, from the validated template. */
static json_t *daemon_args(const struct moat_dp_entry *t, bool add)
{
	bool port_kind = t->kind == MOAT_KIND_PORT_BLOCK || t->kind == MOAT_KIND_PORT_ALLOW;
	bool allow = t->kind == MOAT_KIND_ALLOW || t->kind == MOAT_KIND_PORT_ALLOW;
	json_t *a = json_pack("{s:s}", "kind", allow ? "allow" : "block");

	if (!a)
		return NULL;
	if (t->dir == MOAT_DIR_DST)
		json_object_set_new(a, "dir", json_string("dst"));
	if (port_kind) {
		json_object_set_new(a, "proto", json_string(entry_args_proto_name(t->proto)));
		json_object_set_new(a, "port", json_integer(t->port));
	}
	if (add && t->ttl_sec)
		json_object_set_new(a, "ttl_s", json_integer((json_int_t)t->ttl_sec));
	if (add && t->note[0])
		json_object_set_new(a, "reason", json_string(t->note));
	return a;
}

/* Deadline of one bulk request: the daemon's main loop may be saving a large state file. */
#define DAEMON_BULK_TIMEOUT_MS 60000

/* One request; returns 0 (*ret_result set), DAEMON_DOWN (why in err), or an exit code after
 * an error. */
static int daemon_call(struct fwctl *ctx, const char *cmd, const char *ccmd, json_t *args,
		       int timeout_ms, json_t **ret_result, char *err, size_t errlen)
{
	int code = 0;
	int r = ctl_client_call_full(ctx->socket, ccmd, args, timeout_ms, ret_result, &code, err,
				     errlen);

	if (r >= 0)
		return 0;
	if (ctl_client_unreachable(r)) {
		log_debug("%s: %s", cmd, err);
		return DAEMON_DOWN;
	}
	log_err("%s: %s", cmd, err);
	return code == EINVAL ? FWCTL_EXIT_USAGE : FWCTL_EXIT_FAILED;
}

static void warn_daemon_down(const char *cmd)
{
	log_warn("%s: moatd is not reachable: changing the pinned maps directly; the daemon adopts "
		 "the change when it starts",
		 cmd);
}

static int daemon_one(struct fwctl *ctx, const char *cmd, bool add, const struct moat_dp_entry *e)
{
	_cleanup_(json_decrefp) json_t *args = daemon_args(e, add), *res = NULL;
	char c[CIDR_STRLEN], desc[CIDR_STRLEN + 64], exp[32], err[1024];
	json_t *entry;
	int r;

	if (!args ||
	    json_object_set_new(args, "cidrs",
				json_pack("[s]", e->cidr.family == AF_UNSPEC ?
							 "any" :
							 cidr_format(&e->cidr, c, sizeof(c)))) < 0)
		return fwctl_print_json(NULL);
	r = daemon_call(ctx, cmd, add ? "entries.add" : "entries.delete", args, 0, &res, err,
			sizeof(err));
	if (r != 0)
		return r;
	entry = json_array_get(json_object_get(res, "entries"), 0);
	if (ctx->json) {
		json_t *o = add ? json_pack("{s:s, s:i, s:O*, s:b}", "command", cmd, "added", 1,
					    "entry", entry, "daemon", 1) :
				  json_pack("{s:s, s:i, s:b}", "command", cmd, "removed", 1,
					    "daemon", 1);

		return fwctl_print_json(o);
	}
	entry_describe(e, desc, sizeof(desc));
	if (!add) {
		printf("removed %s\n", desc);
		return FWCTL_EXIT_OK;
	}
	if (json_is_integer(json_object_get(entry, "expires_in")))
		format_duration((uint64_t)json_integer_value(json_object_get(entry, "expires_in")),
				exp, sizeof(exp));
	else
		snprintf(exp, sizeof(exp), "never");
	printf("%s %s, expires: %s\n", strcmp(cmd, "allow") == 0 ? "allowed" : "blocked", desc,
	       exp);
	return FWCTL_EXIT_OK;
}

/* A validated bulk file in requests of DAEMON_CHUNK_* each: one round trip per chunk. */
static int daemon_bulk(struct fwctl *ctx, const char *cmd, bool add, const struct moat_dp_entry *t,
		       const struct bulk *b)
{
	size_t done = 0, absent = 0, i = 0;
	int r;

	while (i < b->n) {
		_cleanup_(json_decrefp) json_t *args = daemon_args(t, add), *res = NULL;
		json_t *arr = json_array();
		size_t bytes = 0;
		char err[1024];

		if (!args || !arr || json_object_set_new(args, "cidrs", arr) < 0)
			return fwctl_print_json(NULL);
		for (; i < b->n && json_array_size(arr) < DAEMON_CHUNK_ENTRIES &&
		       bytes < DAEMON_CHUNK_BYTES;
		     i++) {
			char c[CIDR_STRLEN];

			cidr_format(&b->cidrs[i], c, sizeof(c));
			bytes += strlen(c) + 3;
			if (json_array_append_new(arr, json_string(c)) < 0)
				return fwctl_print_json(NULL);
		}
		r = daemon_call(ctx, cmd, add ? "entries.add" : "entries.delete", args,
				DAEMON_BULK_TIMEOUT_MS, &res, err, sizeof(err));
		if (r == DAEMON_DOWN && done == 0 && absent == 0)
			return DAEMON_DOWN; /* nothing sent yet: the pinned maps take it all */
		if (r == DAEMON_DOWN) {
			log_err("%s: %s, after %zu of %zu entries", cmd, err, done + absent, b->n);
			return FWCTL_EXIT_FAILED;
		}
		if (r != 0) {
			log_err("%s: %zu of %zu entries %s before the error", cmd, done, b->n,
				add ? "added" : "removed");
			return r;
		}
		done += (size_t)json_integer_value(json_object_get(res, add ? "added" : "removed"));
		absent += (size_t)json_integer_value(json_object_get(res, "absent"));
	}
	return bulk_report(ctx, cmd, add, done, absent, true);
}

int cmd_entry(struct fwctl *ctx, int argc, char **argv)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	const char *cmd = argv[0], *file = NULL;
	bool add = strcmp(cmd, "block") == 0 || strcmp(cmd, "allow") == 0;
	struct entry_args_opts o = {
		.allow = strcmp(cmd, "allow") == 0 || strcmp(cmd, "disallow") == 0,
	};
	struct moat_dp_entry e;
	char err[256];
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, entry_opts)) != -1) {
		switch (c) {
		case 'd':
			o.dir = optarg;
			break;
		case 'p':
			o.proto = optarg;
			break;
		case 'P':
			o.port = optarg;
			break;
		case 't':
			if (!add)
				return fwctl_usage_error(cmd, "--ttl is only for adding entries");
			o.ttl = optarg;
			break;
		case 'r':
			if (!add)
				return fwctl_usage_error(cmd,
							 "--reason is only for adding entries");
			o.reason = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			fwctl_help_command(fwctl_command_find(cmd), stdout);
			return FWCTL_EXIT_OK;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return fwctl_usage_error(cmd, "too many arguments ('%s')", argv[optind + 1]);
	if (file) {
		struct bulk b = { 0 };

		if (optind < argc)
			return fwctl_usage_error(cmd, "give either CIDR or --file, not both");
		r = entry_args_template(&o, &e, err, sizeof(err));
		if (r < 0)
			return fwctl_usage_error(cmd, "%s", err);
		r = bulk_read(cmd, &o, file, &b);
		if (r == 0)
			r = daemon_bulk(ctx, cmd, add, &e, &b);
		if (r == DAEMON_DOWN) {
			warn_daemon_down(cmd);
			dp = fwctl_open_dp(ctx);
			r = dp ? bulk_apply(ctx, dp, cmd, add, &o, &b) : FWCTL_EXIT_FAILED;
		}
		bulk_done(&b);
		return r;
	}
	r = entry_args_build(&o, optind < argc ? argv[optind] : NULL, &e, err, sizeof(err));
	if (r < 0) {
		log_err("%s: %s", cmd, err);
		return FWCTL_EXIT_USAGE;
	}
	r = daemon_one(ctx, cmd, add, &e);
	if (r != DAEMON_DOWN)
		return r;
	warn_daemon_down(cmd);
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	return add ? add_one(ctx, dp, cmd, &e) : delete_one(ctx, dp, cmd, &e);
}
