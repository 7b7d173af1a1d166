/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * moatd's control plane in live mode: ties the control socket (control.h), the watched rule
 * directory (ruledir.h) and the metrics listener (metrics.h) to the running daemon
 * (daemon.h): registers their fds in the main loop, serves status/config/metrics commands
 * from the daemon's accessors and hands reloaded rulesets to daemon_set_ruleset().
 *
 * Threading: the main loop's thread only.
 */
#pragma once

struct daemon;
struct ruleset;
struct ctlplane;

/*
 * Create the control socket (config [control] socket; none when empty), the rule-directory
 * watcher over rules-dir and the -S paths, and the metrics listener ([metrics] listen; none
 * when empty), all served by d's main loop. Then load the rules once, synchronously:
 * *ret_rules is that ruleset (NULL when there are no rules or loading failed, logged), for
 * worker_pool_start(). Later reloads go to daemon_set_ruleset(). Returns 0 or -errno (logged).
 */
int ctlplane_new(struct daemon *d, struct ctlplane **ret, struct ruleset **ret_rules);
/* Stops serving, waits for a running rule compile. NULL is fine. */
void ctlplane_free(struct ctlplane *cp);

/* SIGHUP: reload the rules in the background. */
void ctlplane_reload(struct ctlplane *cp);
