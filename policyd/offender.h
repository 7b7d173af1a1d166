/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Offender scoring: per-source (or per-prefix, IPv6 aggregated) scores fed by alerts, decaying
 * over a sliding window, deciding when and for how long a source is banned. Pure logic: the
 * clock is passed in (ns, any monotonic clock), nothing touches the kernel; bans.c acts on the
 * verdicts. Not thread-safe (bans.c holds the lock).
 *
 * Scoring: each alert adds weight[priority - 1]. The score leaks at threshold per window, by
 * whole seconds (a leaky bucket: the sliding-window rate "more than threshold worth of alerts per
 * window" bans, a steady trickle below that rate never does). Reaching the threshold, or any
 * alert of a drop/reject rule when ban_on_drop is set, bans the source's prefix for
 * ban_ns * escalate^(offences - 1), capped at ban_max_ns; offences count bans of that prefix
 * and are forgotten forget_ns after the last ban ended. Alerts while a ban is active do not
 * ban again.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"

struct offender_config {
	double threshold;
	double weight[4]; /* by Suricata priority 1..4 (others clamp to 1 or 4) */
	uint64_t window_ns;
	bool ban_on_drop;
	uint64_t ban_ns, ban_max_ns;
	unsigned int escalate;
	uint64_t forget_ns;
	uint8_t v4_prefix, v6_prefix; /* aggregation */
	uint32_t max_entries; /* cap of tracked prefixes */
};

#define OFFENDER_MAX_SIDS 8 /* rule ids remembered per offender (the latest) */

struct offender_verdict {
	bool ban; /* ban prefix now */
	bool drop_rule; /* triggered by a drop/reject rule (else the score) */
	struct cidr prefix; /* the offender's prefix (canonical) */
	double score; /* score after this alert (before the reset a ban does) */
	uint64_t ban_ns; /* ban duration */
	unsigned int offences; /* including this ban */
	uint32_t sids[OFFENDER_MAX_SIDS]; /* rule ids that contributed, oldest first */
	size_t n_sids;
};

struct offender_stats {
	uint64_t alerts; /* offender_alert() calls */
	uint64_t bans; /* verdicts with ban set */
	uint64_t evicted; /* least recently seen entries dropped to make room */
	uint64_t entries; /* tracked now */
};

struct offender_table;

int offender_table_new(const struct offender_config *cfg, struct offender_table **ret);
void offender_table_free(struct offender_table *t);

/* The prefix an address is scored and banned under. */
void offender_prefix(const struct offender_config *cfg, int family, const void *addr,
		     struct cidr *ret);

/*
 * One alert from source ADDR (family AF_INET/AF_INET6) of a rule with PRIORITY, SID and
 * DROP (action drop or reject), at NOW_NS. Fills *ret. Returns 0.
 */
int offender_alert(struct offender_table *t, int family, const void *addr, int priority, bool drop,
		   uint32_t sid, uint64_t now_ns, struct offender_verdict *ret);

/* The current (decayed) score of ADDR's prefix, 0 if untracked. */
double offender_score(struct offender_table *t, int family, const void *addr, uint64_t now_ns);

/* Record a ban that happened elsewhere (state restore): PREFIX banned until UNTIL_NS with
 * OFFENCES so far, so a repeat offence escalates; SCORE and the N_SIDS rule ids it was decided
 * on (at most OFFENDER_MAX_SIDS kept) for the snapshot. */
void offender_note_ban(struct offender_table *t, const struct cidr *prefix, unsigned int offences,
		       uint64_t until_ns, double score, const uint32_t *sids, size_t n_sids);

/* Forget entries idle past window and forget time; returns how many were removed. */
size_t offender_expire(struct offender_table *t, uint64_t now_ns);

/* Clear an active ban mark (manual unban): the next threshold crossing bans again. */
void offender_unbanned(struct offender_table *t, const struct cidr *prefix);

void offender_get_stats(const struct offender_table *t, struct offender_stats *ret);

/* One tracked offender as offender_foreach() reports it. */
struct offender_snapshot {
	struct cidr prefix;
	double score; /* decayed to now */
	unsigned int offences;
	bool banned; /* a ban is active now */
	uint64_t last_ns; /* last alert */
	uint32_t sids[OFFENDER_MAX_SIDS]; /* of the score now (cleared at a ban) */
	size_t n_sids;
	/* banned: the score and rules the ban was decided on (0 and none for a ban adopted from
	 * the state file or made by the operator) */
	double ban_score;
	uint32_t ban_sids[OFFENDER_MAX_SIDS];
	size_t n_ban_sids;
};

/* Calls CB for every tracked prefix (most recently seen first); returns how many. */
size_t offender_foreach(struct offender_table *t, uint64_t now_ns,
			void (*cb)(void *ctx, const struct offender_snapshot *o), void *ctx);

/* Replace the scoring parameters (threshold, weights, window, ban times ...) at run time:
 * scores already accrued stay and leak at the new rate; running bans keep their expiry.
 * max_entries and the prefix lengths are kept (they shape the table). */
void offender_set_config(struct offender_table *t, const struct offender_config *cfg);
void offender_get_config(const struct offender_table *t, struct offender_config *ret);
