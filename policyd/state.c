// SPDX-License-Identifier: GPL-2.0-only
/* Persistent state (see state.h): kernel entries and ban history as JSON, atomic write-rename. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t real_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_BOOTTIME ns -> Unix seconds (rounded up, so an entry never expires early); 0 stays 0. */
static uint64_t boot_to_unix(uint64_t boot_ns, uint64_t boot_now, uint64_t real_now)
{
	uint64_t real_ns;

	if (!boot_ns)
		return 0;
	real_ns = boot_ns >= boot_now ? real_now + (boot_ns - boot_now) :
					real_now - MIN(boot_now - boot_ns, real_now);
	return (real_ns + 999999999u) / 1000000000u;
}

/* Unix seconds -> CLOCK_BOOTTIME ns; 0 when already past (ret_expired set). */
static uint64_t unix_to_boot(uint64_t unix_s, uint64_t boot_now, uint64_t real_now,
			     bool *ret_expired)
{
	uint64_t real_ns = unix_s * 1000000000ull;

	*ret_expired = real_ns <= real_now;
	if (*ret_expired)
		return 0;
	return boot_now + (real_ns - real_now);
}

struct save_ctx {
	json_t *arr;
	uint64_t boot_now, real_now;
	int err;
};

static int save_entry(const struct moat_dp_entry *e, void *userdata)
{
	struct save_ctx *c = userdata;
	char buf[CIDR_STRLEN];
	json_t *o;

	if (e->expires_ns && e->expires_ns <= c->boot_now)
		return 0; /* expired: not worth keeping */
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:s, s:I}", "kind",
		      moat_dp_kind_name(e->kind), "dir", e->dir == MOAT_DIR_DST ? "dst" : "src",
		      "cidr",
		      e->cidr.family == AF_UNSPEC ? "any" : cidr_format(&e->cidr, buf, sizeof(buf)),
		      "proto", e->proto, "port", e->port, "reason", e->reason, "rule_id",
		      (json_int_t)e->rule_id, "note", e->note, "expires",
		      (json_int_t)boot_to_unix(e->expires_ns, c->boot_now, c->real_now));
	if (!o || json_array_append_new(c->arr, o) < 0) {
		c->err = -ENOMEM;
		return 1;
	}
	return 0;
}

struct ban_save_ctx {
	json_t *arr;
	uint64_t boot_now, real_now;
	int err;
};

static void save_ban(void *ctx, const struct ban_info *bi)
{
	struct ban_save_ctx *c = ctx;
	char buf[CIDR_STRLEN];
	json_t *sids = json_array(), *o;

	for (size_t i = 0; sids && i < bi->n_sids; i++)
		json_array_append_new(sids, json_integer(bi->sids[i]));
	o = json_pack("{s:s, s:I, s:i, s:f, s:b, s:o*}", "prefix",
		      cidr_format(&bi->prefix, buf, sizeof(buf)), "expires",
		      (json_int_t)boot_to_unix(bi->expires_ns, c->boot_now, c->real_now),
		      "offences", (int)bi->offences, "score", bi->score, "drop_rule", bi->drop_rule,
		      "rule_ids", sids);
	if (!o || json_array_append_new(c->arr, o) < 0)
		c->err = -ENOMEM;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

int state_save(const char *path, struct moat_dp *dp, pthread_mutex_t *lock, struct bans *b,
	       uint64_t *last_hash, char *err, size_t errlen)
{
	struct save_ctx sc = { .boot_now = moat_dp_now_ns(), .real_now = real_now_ns() };
	struct ban_save_ctx bc = { .boot_now = sc.boot_now, .real_now = sc.real_now };
	_cleanup_free_ char *text = NULL;
	json_t *root;
	int r;

	sc.arr = json_array();
	bc.arr = json_array();
	if (!sc.arr || !bc.arr) {
		json_decref(sc.arr);
		json_decref(bc.arr);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	pthread_mutex_lock(lock);
	r = moat_dp_list(dp, save_entry, &sc);
	if (r < 0 && !sc.err)
		snprintf(err, errlen, "%s: listing the maps: %s", path, moat_dp_errmsg(dp));
	pthread_mutex_unlock(lock);
	if (b)
		bans_foreach(b, save_ban, &bc);
	if (r < 0 || sc.err || bc.err) {
		json_decref(sc.arr);
		json_decref(bc.arr);
		if (sc.err || bc.err) {
			snprintf(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
		return r;
	}
	root = json_pack("{s:i, s:o, s:o}", "version", STATE_VERSION, "entries", sc.arr, "bans",
			 bc.arr);
	if (!root) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (last_hash && *last_hash == fnv1a(text) && access(path, F_OK) == 0)
		return 0;
	r = file_write_atomic(path, text, strlen(text), 0600, err, errlen);
	if (r == 0 && last_hash)
		*last_hash = fnv1a(text);
	return r;
}

static int kind_of(const char *s)
{
	for (unsigned int k = MOAT_KIND_ALLOW; k <= MOAT_KIND_PORT_ALLOW; k++) {
		if (!strcmp(s, moat_dp_kind_name(k)))
			return (int)k;
	}
	return -1;
}

/* One entry object -> *e (expiry converted); false when malformed (message in why). */
static bool parse_entry(json_t *o, struct moat_dp_entry *e, uint64_t *ret_unix, const char **why)
{
	const char *kind = NULL, *dir = NULL, *cidr = NULL, *note = "";
	json_int_t proto = 0, port = 0, reason = 0, rule_id = 0, expires = 0;
	json_error_t je;
	int k;

	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s?s, s:I}",
			   "kind", &kind, "dir", &dir, "cidr", &cidr, "proto", &proto, "port",
			   &port, "reason", &reason, "rule_id", &rule_id, "note", &note, "expires",
			   &expires) < 0) {
		*why = "fields missing, extra or of the wrong type";
		return false;
	}
	memset(e, 0, sizeof(*e));
	k = kind_of(kind);
	if (k < 0) {
		*why = "unknown kind";
		return false;
	}
	e->kind = (uint8_t)k;
	if (strcmp(dir, "src") && strcmp(dir, "dst")) {
		*why = "dir is neither src nor dst";
		return false;
	}
	e->dir = !strcmp(dir, "dst") ? MOAT_DIR_DST : MOAT_DIR_SRC;
	if (!strcmp(cidr, "any"))
		e->cidr.family = AF_UNSPEC;
	else if (cidr_parse(cidr, &e->cidr) < 0) {
		*why = "bad cidr";
		return false;
	}
	if (proto < 0 || proto > 255 || port < 0 || port > 65535 || reason < 0 || reason > 2 ||
	    rule_id < 0 || rule_id > UINT32_MAX || expires < 0) {
		*why = "a number out of range";
		return false;
	}
	e->proto = (uint8_t)proto;
	e->port = (uint16_t)port;
	e->reason = (uint8_t)reason;
	e->rule_id = (uint32_t)rule_id;
	snprintf(e->note, sizeof(e->note), "%s", note);
	*ret_unix = (uint64_t)expires;
	return true;
}

static bool parse_ban(json_t *o, struct ban_info *bi, uint64_t *ret_unix)
{
	const char *prefix;
	json_int_t expires, offences;
	double score;
	int drop = 0;
	json_t *sids = NULL;
	size_t i;
	json_t *v;

	if (json_unpack(o, "{s:s, s:I, s:I, s:F, s?b, s?o}", "prefix", &prefix, "expires", &expires,
			"offences", &offences, "score", &score, "drop_rule", &drop, "rule_ids",
			&sids) < 0)
		return false;
	memset(bi, 0, sizeof(*bi));
	if (cidr_parse(prefix, &bi->prefix) < 0 || expires <= 0 || offences < 0 ||
	    offences > 1000000)
		return false;
	bi->offences = (unsigned int)offences;
	bi->score = score;
	bi->drop_rule = drop;
	if (json_is_array(sids)) {
		json_array_foreach(sids, i, v)
		{
			if (bi->n_sids < OFFENDER_MAX_SIDS && json_is_integer(v))
				bi->sids[bi->n_sids++] = (uint32_t)json_integer_value(v);
		}
	}
	*ret_unix = (uint64_t)expires;
	return true;
}

int state_restore(const char *path, struct moat_dp *dp, pthread_mutex_t *lock, struct bans *b,
		  bool adopted, struct state_restore_stats *ret, char *err, size_t errlen)
{
	uint64_t boot_now = moat_dp_now_ns(), real_now = real_now_ns();
	struct state_restore_stats st = { 0 };
	_cleanup_free_ struct moat_dp_entry *v = NULL;
	json_error_t je;
	json_t *root, *entries, *bans, *o;
	json_int_t version;
	struct stat sb;
	size_t i, n = 0, added = 0;
	int r = 0;

	if (stat(path, &sb) < 0) {
		if (errno == ENOENT) {
			*ret = st;
			return 0;
		}
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (sb.st_size > STATE_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u MiB", path, STATE_MAX_BYTES >> 20);
		return -EFBIG;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	if (json_unpack_ex(root, &je, 0, "{s:I, s:o, s:o}", "version", &version, "entries",
			   &entries, "bans", &bans) < 0 ||
	    !json_is_array(entries) || !json_is_array(bans)) {
		snprintf(err, errlen, "%s: not a moat state file (version, entries, bans)", path);
		json_decref(root);
		return -EINVAL;
	}
	if (version != STATE_VERSION) {
		snprintf(err, errlen, "%s: state version %lld, this moatd reads %d", path,
			 (long long)version, STATE_VERSION);
		json_decref(root);
		return -EINVAL;
	}
	st.entries = json_array_size(entries);
	if (!adopted && st.entries) {
		v = calloc(st.entries, sizeof(*v));
		if (!v) {
			json_decref(root);
			snprintf(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
		json_array_foreach(entries, i, o)
		{
			const char *why = NULL;
			uint64_t unix_s;
			bool expired;

			if (!parse_entry(o, &v[n], &unix_s, &why)) {
				log_warn("%s: entries[%zu]: %s; skipped", path, i, why);
				st.invalid++;
				continue;
			}
			if (unix_s) {
				v[n].expires_ns =
					unix_to_boot(unix_s, boot_now, real_now, &expired);
				if (expired) {
					st.expired++;
					continue;
				}
			}
			n++;
		}
		pthread_mutex_lock(lock);
		r = moat_dp_add_bulk(dp, v, n, &added);
		if (r < 0)
			snprintf(err, errlen, "%s: restoring entries: %s", path,
				 moat_dp_errmsg(dp));
		pthread_mutex_unlock(lock);
		st.restored = added;
		st.failed = n - added;
	}
	json_array_foreach(bans, i, o)
	{
		struct ban_info bi;
		struct moat_dp_entry key = { .kind = MOAT_KIND_BLOCK, .dir = MOAT_DIR_SRC }, cur;
		uint64_t unix_s;
		bool expired;
		int g;

		if (!b)
			break;
		if (!parse_ban(o, &bi, &unix_s)) {
			log_warn("%s: bans[%zu]: malformed; skipped", path, i);
			st.invalid++;
			continue;
		}
		bi.expires_ns = unix_to_boot(unix_s, boot_now, real_now, &expired);
		if (expired)
			continue;
		key.cidr = bi.prefix;
		pthread_mutex_lock(lock);
		g = moat_dp_get(dp, &key, &cur);
		pthread_mutex_unlock(lock);
		if (g < 0 || cur.reason != MOAT_REASON_AUTO)
			continue; /* gone from the kernel: an operator removed it */
		bi.expires_ns = cur.expires_ns; /* the kernel's is exact */
		bans_restore(b, &bi);
		st.bans++;
	}
	json_decref(root);
	*ret = st;
	return r;
}
