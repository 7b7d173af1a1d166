/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules an operator disabled (`fwctl rules disable SID`), persisted in the daemon's state
 * directory so they survive reloads and restarts. The rule directory (ruledir.h) leaves them
 * out of every ruleset it compiles (ruleset_opts.disabled): a disabled rule neither alerts,
 * nor bans, nor sets flowbits or anomaly scores, exactly as if its line were deleted.
 *
 * Each entry keeps what the rule was (kind, msg, file:line) when it was disabled, so listings
 * can still show a rule the running ruleset no longer has.
 *
 * The file is JSON, written atomically (temporary file, fsync, rename):
 *   {"version":1,"disabled":[{"sid":2100498,"kind":"suricata","msg":"...","file":"...",
 *                             "line":12,"since":1763715600}]}
 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

#define RULE_DISABLE_MAX 65536 /* disabled rules at most (ENOSPC past it) */
#define RULE_DISABLE_FILE_MAX (64u << 20) /* bytes of the state file at most */
#define RULE_DISABLE_FILE_NAME "disabled-rules.json"

struct rule_disabled {
	uint32_t sid;
	enum rule_kind kind;
	char *msg, *file;
	unsigned int line;
	int64_t since; /* wall clock seconds when it was disabled */
};

struct rule_disable_set {
	struct rule_disabled *v; /* sorted by sid */
	size_t n, cap;
};

void rule_disable_done(struct rule_disable_set *s);

/* The entry for SID, or NULL. */
const struct rule_disabled *rule_disable_find(const struct rule_disable_set *s, uint32_t sid);
/* Add rule D (disabled now). -EEXIST if its sid is listed, -ENOSPC past RULE_DISABLE_MAX,
 * -ENOMEM. */
int rule_disable_add(struct rule_disable_set *s, const struct rule_desc *d, int64_t since);
/* Remove SID: 0, or -ENOENT. */
int rule_disable_remove(struct rule_disable_set *s, uint32_t sid);
/* The sids, sorted ascending (for ruleset_opts.disabled); malloc'd, NULL when empty or on
 * ENOMEM (*ret_n tells: 0 when empty). */
uint32_t *rule_disable_ids(const struct rule_disable_set *s, size_t *ret_n);

/* [{"sid":..,"kind":..,"msg":..,"file":..,"line":..,"since":..}, ...]; NULL on ENOMEM. */
json_t *rule_disable_json(const struct rule_disable_set *s);

/*
 * Read PATH into S (replacing its content). A missing file is an empty set (0). A bad file is
 * -EINVAL (or the read error) with "PATH:LINE:COLUMN: what" or "PATH: disabled[N]: what" in
 * err, and S left empty.
 */
int rule_disable_load(struct rule_disable_set *s, const char *path, char *err, size_t errlen);
/* The same from LEN bytes at BUF (any bytes), errors named after NAME. */
int rule_disable_parse(struct rule_disable_set *s, const char *buf, size_t len, const char *name,
		       char *err, size_t errlen);
/* Write S to PATH atomically (PATH.tmp, fsync, rename; the directory is created if missing).
 * 0, or -errno with a message in err. */
int rule_disable_save(const struct rule_disable_set *s, const char *path, char *err, size_t errlen);
