/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live workers: one thread per kernel copy buffer (datapath.h moat_dp_consumer_*), each with
 * its own DPI worker (flow shard), application layer, detection context and EVE writer,
 * running the same pipeline as offline mode from the decoder on (linktype Ethernet).
 *
 * EVE: every worker appends whole lines to the same eve.json through its own writer opened
 * with O_APPEND. A write() to a regular file opened O_APPEND is atomic with respect to other
 * appenders on Linux (the inode lock is held for the whole write), and a writer's buffer only
 * ever holds whole lines, so lines never interleave; no lock or extra copy is shared between
 * workers (a single shared writer would serialise them). Writers are flushed when idle and at
 * least every 100 ms, so events reach the file promptly.
 *
 * Ruleset swap: worker_pool_set_ruleset() publishes a new ruleset; each worker picks it up
 * between two packets (a new detection context; flows keep their state) and drops its
 * reference to the old one; once the last worker let go of it, the main thread frees it
 * (worker_pool_reap()), so no worker spends the ~100 ms that takes. Detection never pauses.
 *
 * Bypass: when the engine is finished with a flow (both directions reached the inspection
 * depth), the flow is marked bypassed in the kernel and its copies stop.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "datapath/datapath.h"
#include "config.h"
#include "bans.h"

struct ruleset;
struct worker_pool;

struct live_worker_stats {
	uint64_t records; /* packets delivered by the kernel */
	uint64_t bytes; /* their captured bytes */
	uint64_t truncated; /* captured shorter than on the wire (snaplen) */
	uint64_t decode_errors;
	uint64_t http_blocked; /* in-kernel HTTP check records (EVE alerts) */
	uint64_t bypassed; /* flows marked bypassed in the kernel */
	uint64_t bypass_errors;
	uint64_t alerts; /* alert events */
	uint64_t alerts_by_severity[4]; /* by Suricata priority 1..4 */
	uint64_t flows_active;
	uint64_t reasm_mem; /* bytes queued by TCP reassembly (gauge) */
	uint64_t reasm_memcap_hits; /* segments refused by the reassembly memory cap */
	uint64_t retransmissions; /* TCP segments of already seen data */
	uint64_t malformed; /* records the consumer refused */
	uint64_t rulesets; /* rulesets picked up (1 = the first) */
	uint64_t eve_errors; /* EVE write failures */
	uint64_t lag_sum_ns, lag_max_ns; /* kernel timestamp -> worker, per record */
};

/*
 * N workers (1..MOAT_MAX_WORKERS) on COPY_DP's copy buffers (moat_dp_copy_start() done by the
 * caller; used here only, in the caller's thread). RS (may be NULL: no detection until one is
 * set) is owned by the pool from now on. Workers write EVE_PATH and report alerts to BANS
 * (may be NULL). DP (flow bypass) is used under DP_LOCK. Threads start at once. Returns 0 or
 * -errno (message logged).
 */
int worker_pool_start(const struct moatd_config *cfg, struct moat_dp *copy_dp, struct moat_dp *dp,
		      pthread_mutex_t *dp_lock, struct bans *bans, struct ruleset *rs,
		      unsigned int n, const char *eve_path, struct worker_pool **ret);

/* Stop and join the threads, end every flow (flow events written), free. NULL ok. */
void worker_pool_stop(struct worker_pool *p);

/* Free the rulesets no worker uses any more (main thread; the daemon calls it after a swap
 * and on its sweep timer). Returns how many were freed. */
size_t worker_pool_reap(struct worker_pool *p);

/* Swap in RS (owned from now on; not NULL). Returns 0. */
int worker_pool_set_ruleset(struct worker_pool *p, struct ruleset *rs);

/* The ruleset in use (borrowed, valid until the next set). */
const struct ruleset *worker_pool_ruleset(struct worker_pool *p);

/* Ask every worker to reopen eve.json (SIGHUP). */
void worker_pool_reopen(struct worker_pool *p);

unsigned int worker_pool_size(const struct worker_pool *p);

/* A snapshot of worker I's counters (refreshed by the worker after every batch of records and
 * at least every 50 ms). */
int worker_pool_stats(struct worker_pool *p, unsigned int i, struct live_worker_stats *ret);
