/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Automatic bans: turns alerts into offender scores (offender.h) and scores into kernel
 * blocklist entries (datapath.h: MOAT_KIND_BLOCK, source, MOAT_REASON_AUTO, rule id = the
 * triggering sid, expiry), refuses to ban protected sources (kernel allowlist, the host's own
 * addresses read over netlink, never-ban networks), writes EVE "ban"/"unban" events, and
 * unbans on expiry.
 *
 * Threading: bans_alert() is called by every worker thread; everything here runs under the
 * lock passed in at creation, which guards DP (a struct moat_dp is not thread-safe). The
 * daemon gives the bans (and the workers' flow bypass) a datapath handle of their own, apart
 * from the main thread's, so a long map walk there (sweep, state save, control requests) never
 * delays a ban. The ban happens in the calling worker's thread: one map update after the
 * alert, not a queue hop.
 */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/datapath.h"
#include "offender.h"
#include "config.h"

struct bans;

/* One active automatic ban. */
struct ban_info {
	struct cidr prefix;
	uint64_t expires_ns; /* CLOCK_BOOTTIME */
	uint64_t banned_at_us; /* wall clock (EVE time) */
	double score;
	unsigned int offences;
	bool drop_rule; /* banned by a drop/reject rule rather than the score */
	uint32_t sids[OFFENDER_MAX_SIDS];
	size_t n_sids;
};

struct bans_stats {
	uint64_t alerts; /* alerts scored */
	uint64_t bans; /* entries written */
	uint64_t unbans; /* expired or removed */
	uint64_t active; /* automatic bans in force now */
	uint64_t refused_allowlist, refused_own, refused_never_ban;
	uint64_t narrowed; /* prefix narrowed to the host (it covered a protected address) */
	uint64_t errors; /* kernel map updates that failed (map full: counted, logged) */
	uint64_t refused_table_full; /* bans not tracked (active list at its cap) */
	struct offender_stats offenders;
};

/*
 * CFG, DP and LOCK are borrowed and must outlive the bans. EVE_PATH (may be NULL: no events)
 * is opened for appending. With cfg->autoban off, alerts are ignored. Reads the host's
 * addresses now. Returns 0 or -errno.
 */
int bans_new(const struct moatd_config *cfg, struct moat_dp *dp, pthread_mutex_t *lock,
	     const char *eve_path, struct bans **ret);
void bans_free(struct bans *b);

/*
 * An alert from source ADDR (family AF_INET/AF_INET6) of rule SID with Suricata PRIORITY;
 * DROP for drop/reject rules. May ban (kernel entry + EVE). Thread-safe.
 */
void bans_alert(struct bans *b, int family, const void *addr, int priority, bool drop,
		uint32_t sid);

/*
 * The sweep (main thread, every sweep interval): unban expired automatic bans (EVE unban,
 * map entry deleted), notice bans removed or replaced by an operator, refresh the host's
 * addresses, forget idle offenders. Returns entries removed. Walks no map: the daemon sweeps
 * other expired entries (moat_dp_sweep) on its own handle, so workers never wait for a walk.
 */
int bans_sweep(struct bans *b);

/* Write EVENT (an eve_event_new() object) to the bans' EVE file and flush it, under the lock
 * (the control plane's entry events share the file). 0 without an EVE file, or -errno. */
int bans_eve_write(struct bans *b, const json_t *event);

/* Reopen the EVE file (SIGHUP). */
int bans_reopen(struct bans *b);

/* Refresh the cached list of the host's own addresses (netlink RTM_GETADDR dump). */
int bans_refresh_own(struct bans *b);

/* Adopt a ban restored from state (active list + offence history). Thread-safe. */
void bans_restore(struct bans *b, const struct ban_info *bi);

/* Snapshot of active bans: calls cb for each under the lock (cb must not call back into
 * bans); returns how many. */
size_t bans_foreach(struct bans *b, void (*cb)(void *ctx, const struct ban_info *bi), void *ctx);

/* An eventfd that becomes readable after every ban (read it to reset): the daemon saves its
 * state at once, so a crash right after a ban loses not even the ban's history. */
int bans_notify_fd(const struct bans *b);

void bans_get_stats(struct bans *b, struct bans_stats *ret);

/* Every tracked offender (score decayed to now), under the lock; returns how many. */
size_t bans_offenders(struct bans *b, void (*cb)(void *ctx, const struct offender_snapshot *o),
		      void *ctx);

/* Alerts per rule id since start (counted also with autoban off), at most BANS_MAX_RULES
 * rule ids; alerts of further rule ids are counted in rules_refused. */
#define BANS_MAX_RULES 4096
struct bans_rule_count {
	uint32_t sid;
	uint64_t alerts;
	uint64_t last_us; /* wall clock of the latest alert */
};
size_t bans_rule_counts(struct bans *b, void (*cb)(void *ctx, const struct bans_rule_count *rc),
			void *ctx, uint64_t *ret_refused);

/* The scoring parameters in force, and changing them at run time (the others stay): see
 * offender_set_config(). Returns 0 or -EINVAL (message in err) for an inconsistent set. */
struct bans_scoring {
	double threshold;
	uint64_t window_s, ban_time_s, ban_max_s;
};
void bans_get_scoring(struct bans *b, struct bans_scoring *ret);
int bans_set_scoring(struct bans *b, const struct bans_scoring *sc, char *err, size_t errlen);

/*
 * Unban every active automatic ban now (an operator's flush): kernel entry deleted when it is
 * still the automatic one, EVE unban event with reason REASON, offence history kept (a repeat
 * offender still escalates). Returns how many were unbanned; *ret_failed (may be NULL) gets
 * kernel deletions that failed (the ban is dropped from the active list all the same, the
 * entry expires in the kernel).
 */
size_t bans_flush(struct bans *b, const char *reason, size_t *ret_failed);

/* The latest alerts (all of them, also with autoban off), kept in a ring of BANS_ALERT_RING;
 * older ones are overwritten (counted). */
#define BANS_ALERT_RING 4096
struct bans_alert_rec {
	uint64_t seq; /* 1 for the first alert since start, then +1 (a cursor for followers) */
	uint64_t ts_us; /* wall clock */
	uint32_t sid;
	uint8_t priority;
	bool drop; /* drop/reject rule */
	int family; /* AF_INET, AF_INET6 */
	uint8_t src[16];
};
/* Calls CB newest first, under the lock, until it returns non-zero; *ret_overwritten (may be
 * NULL) gets alerts lost to the ring's cap since start. Returns how many CB saw. */
size_t bans_recent_alerts(struct bans *b, int (*cb)(void *ctx, const struct bans_alert_rec *a),
			  void *ctx, uint64_t *ret_overwritten);
