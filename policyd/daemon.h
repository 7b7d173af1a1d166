/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The live daemon (`moatd -i IFACE ...`): sets up the datapath (open or adopt the pinned maps,
 * attach to the interfaces, start the packet copies), restores state, loads the rules, starts
 * the workers, drops capabilities, then runs an epoll main loop (signals, the sweep timer and
 * any fds other modules add) until SIGTERM/SIGINT.
 *
 * Hook points for the control socket, rule directory and metrics modules: daemon_add_fd()
 * registers an fd with the main loop, daemon_set_ruleset() swaps rulesets, and the read
 * accessors below report what a status or metrics request needs. Everything here is called
 * from the main loop's thread (callbacks run there) unless said otherwise.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/datapath.h"
#include "config.h"
#include "bans.h"
#include "workers.h"

struct daemon;
struct ruleset;

/* Run the daemon with CFG (ifaces and rule paths filled from the command line). Returns the
 * process exit code. */
int daemon_run(struct moatd_config *cfg);

/*
 * Watch FD (EPOLLIN; EPOLLOUT too if asked through daemon_mod_fd) in the main loop; CB gets
 * the epoll events, in the main thread. Returns 0 or -errno (-EEXIST if FD is watched).
 */
int daemon_add_fd(struct daemon *d, int fd, void (*cb)(void *ctx, uint32_t events), void *ctx);
/* Change the events watched for FD (EPOLLIN, EPOLLOUT ...). */
int daemon_mod_fd(struct daemon *d, int fd, uint32_t events);
/* Stop watching FD (the caller closes it). */
int daemon_del_fd(struct daemon *d, int fd);

/* Take ownership of RS and swap it in atomically: workers pick it up between two packets and
 * the old ruleset is freed (in this thread, on the next swap or sweep tick) once no worker uses
 * it. Returns 0 or -errno (RS freed). */
int daemon_set_ruleset(struct daemon *d, struct ruleset *rs);
/* The ruleset in use (NULL: none), valid until the next daemon_set_ruleset(). */
const struct ruleset *daemon_ruleset(struct daemon *d);
/* Rulesets swapped in since start (the first load counts). */
uint64_t daemon_reloads(const struct daemon *d);

/* Ask the main loop to stop (as SIGTERM does). */
void daemon_request_stop(struct daemon *d);

/* ---- read accessors (status, metrics) ---- */

const struct moatd_config *daemon_config(const struct daemon *d);

/* The datapath handle and the lock every call on it must hold (it is shared with workers). */
struct moat_dp *daemon_dp(struct daemon *d);
pthread_mutex_t *daemon_dp_lock(struct daemon *d);

/* Interfaces and how they are attached (one report per -i). */
size_t daemon_ifaces(const struct daemon *d, const struct moat_dp_attach_report **ret);

/*
 * Attach XDP (MODE) and, with TC, the TC programs to IFNAME (fwctl attach through the control
 * socket); packets are copied to the workers from then on. An interface already served is
 * updated. Detach removes moat's programs and the interface from daemon_ifaces() (-ENOENT
 * when moat is not attached there). Returns 0 or -errno with a message in err.
 */
int daemon_attach(struct daemon *d, const char *ifname, enum moat_xdp_mode mode, bool tc,
		  struct moat_dp_attach_report *ret, char *err, size_t errlen);
int daemon_detach(struct daemon *d, const char *ifname, char *err, size_t errlen);

/* The kernel entries changed (control socket): save the state file shortly (one save for a
 * burst of changes). */
void daemon_save_soon(struct daemon *d);

unsigned int daemon_workers(const struct daemon *d);
int daemon_worker_stats(struct daemon *d, unsigned int i, struct live_worker_stats *ret);

/* Kernel copy counters of worker I, or summed (I = -1). Takes the datapath lock. */
int daemon_copy_stats(struct daemon *d, int i, struct moat_dp_copy_stats *ret);

/* Alerts by severity (Suricata priority 1..4), summed over workers. */
void daemon_alert_counts(struct daemon *d, uint64_t ret[4]);

/* Automatic bans: list (bans_foreach) and counters (bans_get_stats). */
struct bans *daemon_bans(struct daemon *d);

/* Seconds since the daemon started. */
uint64_t daemon_uptime(const struct daemon *d);
