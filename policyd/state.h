/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent state: the kernel entries (manual and automatic: allowlist, blocklist, port
 * entries with their notes) and the automatic bans' history, saved as JSON (jansson) with an
 * atomic write-rename. Expiry times are stored as wall-clock (Unix) seconds, because the
 * kernel's CLOCK_BOOTTIME restarts at every boot.
 *
 * On start the daemon adopts the pinned maps when they exist (they are the truth: nothing is
 * re-added, only the ban history is read); otherwise it restores every entry from the file,
 * dropping those that expired meanwhile.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/datapath.h"
#include "bans.h"

#define STATE_MAX_BYTES (256u << 20) /* a larger state file is refused */
#define STATE_VERSION 1

struct state_restore_stats {
	size_t entries; /* in the file */
	size_t restored; /* added to the kernel */
	size_t expired; /* dropped: past their expiry */
	size_t invalid; /* dropped: malformed (each logged with its index) */
	size_t failed; /* kernel refused (map full ...) */
	size_t bans; /* automatic bans whose history was restored */
};

/* Write PATH atomically (PATH.tmp, fsync, rename, fsync of the directory). LOCK guards DP.
 * LAST_HASH (may be NULL) holds a hash of the content last written: an unchanged state is not
 * written again (the periodic save costs no disk I/O when nothing happened). Returns 0 or
 * -errno with a message in err. */
int state_save(const char *path, struct moat_dp *dp, pthread_mutex_t *lock, struct bans *b,
	       uint64_t *last_hash, char *err, size_t errlen);

/*
 * Read PATH. With ADOPTED (the pinned maps were there) only the ban history of bans still in
 * the kernel is restored; else every unexpired entry is added too. A missing file is not an
 * error (returns 0, nothing restored). -errno with "PATH: message" in err for an unreadable
 * or malformed file (the daemon starts anyway, empty).
 */
int state_restore(const char *path, struct moat_dp *dp, pthread_mutex_t *lock, struct bans *b,
		  bool adopted, struct state_restore_stats *ret, char *err, size_t errlen);
