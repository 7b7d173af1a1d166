/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rule directory: /etc/moat/rules.d (*.rules Suricata, *.conf ModSecurity, lexical
 * order) plus moatd's -S paths, watched with inotify. A change (debounced: reloaded once the
 * paths have been quiet for debounce_ms), ruledir_reload() (SIGHUP, `rules.reload`) compiles
 * a new ruleset in a background thread beside the running one and hands it to the install
 * callback (the daemon swaps it in for its workers); detection never waits for a compile. A
 * file with bad rules is reported (file:line: message) and its bad rules skipped; a reload
 * that fails as a whole (unreadable path, compiler failure) keeps the running ruleset.
 *
 * Threading: every function here runs in the daemon loop's thread, and so does the install
 * callback; the compile thread touches nothing but its own job.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

#define RULEDIR_DEFAULT_DIR "/etc/moat/rules.d"
#define RULEDIR_DEFAULT_DEBOUNCE_MS 500u
#define RULEDIR_MAX_PATHS 256
#define RULEDIR_MAX_ERRORS 100 /* diagnostics kept for status; the rest only counted */

struct ruledir_opts {
	const char *dir; /* NULL: RULEDIR_DEFAULT_DIR; "" for none */
	const char *const *paths; /* extra rule files or directories (-S), watched too */
	size_t n_paths;
	const char *cache_dir; /* compiled Hyperscan databases; NULL: no cache */
	struct rule_vars *vars; /* borrowed, read-only while compiles run; NULL: defaults */
	unsigned int debounce_ms; /* 0: RULEDIR_DEFAULT_DEBOUNCE_MS */
	unsigned int max_delay_ms; /* a change reloads at the latest this long after it, even
				      if changes keep coming; 0: 10 x debounce */
	const char *disabled_file; /* the operator's disabled rules (ruledisable.h), read at
				      start, rewritten by rules.disable/enable; NULL: kept in
				      memory only */
};

/* Alerts per rule id since start, for rules.list: fills at most CAP (sid, alerts) pairs and
 * returns how many. */
struct ruledir_alert_count {
	uint32_t sid;
	uint64_t alerts;
};
typedef size_t (*ruledir_alerts_fn)(void *ctx, struct ruledir_alert_count *v, size_t cap);

/*
 * Receives each newly compiled ruleset (ownership passes to the callee) in the loop thread
 * and returns 0 once it is in use, or -errno when it could not be installed (the callee has
 * freed it and the previous one stays in use). The callee must keep an installed ruleset
 * alive at least until the next successful install: ruledir reads it (rules.list) between.
 */
typedef int (*ruledir_install_fn)(void *ctx, struct ruleset *rs);

enum ruledir_trigger {
	RULEDIR_TRIGGER_STARTUP = 0,
	RULEDIR_TRIGGER_WATCH, /* inotify */
	RULEDIR_TRIGGER_SIGNAL, /* SIGHUP */
	RULEDIR_TRIGGER_COMMAND, /* rules.reload */
};

struct ruledir_stats {
	uint64_t reloads; /* completed compiles that installed a ruleset (startup included) */
	uint64_t failures; /* compiles that failed as a whole: the old ruleset kept */
	uint64_t watch_events; /* inotify events about rule files */
	uint64_t watch_overflows; /* inotify queue overflows (treated as a change) */
	uint64_t generation; /* of the installed ruleset (0: none yet) */
	double last_duration_s; /* of the last compile, successful or not */
	double duration_total_s; /* all compiles */
	size_t rules_loaded, rules_unsupported, rules_invalid, files;
	bool running;
};

struct ruledir;

/* Set up the watches (a missing directory is reported in status and skipped). Loads
 * nothing yet. Returns 0 or -errno with a message in err. */
int ruledir_new(const struct ruledir_opts *opts, ruledir_install_fn install, void *ctx,
		struct ruledir **ret, char *err, size_t errlen);
/* Waits for a running compile and frees its result. NULL is fine. */
void ruledir_free(struct ruledir *rd);

/* The descriptor for the daemon's epoll loop: when readable, call ruledir_dispatch(). */
int ruledir_fd(const struct ruledir *rd);
/* Handle watch events, the debounce timer and finished compiles (installing their
 * ruleset). Never blocks. Returns 0 or -errno (epoll failure). */
int ruledir_dispatch(struct ruledir *rd);

/*
 * Compile now in the calling thread and install (daemon start, before the workers run).
 * Returns 0, or -errno when the load failed as a whole (message in err; diagnostics in the
 * status).
 */
int ruledir_load_sync(struct ruledir *rd, char *err, size_t errlen);

/*
 * Request a background reload. If one is running, another follows it (requests coalesce).
 * *ret_generation (if not NULL) is the generation the requested reload will have: it is
 * done when the status' last_reload.generation reaches it.
 */
int ruledir_reload(struct ruledir *rd, enum ruledir_trigger why, uint64_t *ret_generation);

void ruledir_get_stats(const struct ruledir *rd, struct ruledir_stats *ret);
/* The status object documented in docs/control.md ("rules.status"); NULL on ENOMEM. */
json_t *ruledir_status_json(const struct ruledir *rd);
/* The ruleset installed last (NULL before the first), see ruledir_install_fn. */
const struct ruleset *ruledir_current(const struct ruledir *rd);

/* Where rules.list reads its alert counts (none: 0). */
void ruledir_set_alert_source(struct ruledir *rd, ruledir_alerts_fn fn, void *ctx);

struct control;
/* Register rules.status, rules.reload, rules.list, rules.disable and rules.enable on c. */
int ruledir_register_commands(struct ruledir *rd, struct control *c);

struct metrics_writer;
/* A metrics collector (metrics_add_collector(m, ruledir_metrics_collect, rd)): rule counts,
 * reloads, failures, durations. */
void ruledir_metrics_collect(void *ctx, struct metrics_writer *w);
