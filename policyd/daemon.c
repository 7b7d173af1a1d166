// SPDX-License-Identifier: GPL-2.0-only
/* The live daemon (see daemon.h): setup, the epoll main loop, signals, sweep, shutdown. */
#include "daemon.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "rules/rules.h"
#include "ctlplane.h"
#include "state.h"

#define MAX_WATCHED 1024 /* fds in the main loop (control clients included) */

struct watch {
	int fd;
	void (*cb)(void *ctx, uint32_t events); /* NULL: deleted, freed after this iteration */
	void *ctx;
	struct watch *next_dead;
};

struct daemon {
	struct moatd_config *cfg;
	struct moat_dp *dp; /* main thread: attach, copies, sweep, state, control */
	pthread_mutex_t dp_lock;
	/* the ban path's own handle (workers: bans, flow bypass), so a map walk on dp never
	 * delays a ban */
	struct moat_dp *dp_ban;
	pthread_mutex_t ban_lock;
	struct moat_dp_attach_report reports[CONFIG_MAX_IFACES];
	size_t n_reports;
	bool copying;
	struct bans *bans;
	struct worker_pool *pool;
	unsigned int n_workers;
	char eve_path[PATH_MAX + 16];
	int epfd, sigfd, timerfd;
	int save_fd; /* one-shot timer: save the state soon after a control-socket change */
	bool save_armed;
	uint64_t save_first_s; /* the first change the armed save waits for (mono_s) */
	uint64_t saved_s; /* the last state save (mono_s) */
	struct watch *watches[MAX_WATCHED];
	size_t n_watches;
	struct watch *dead; /* deleted during the current loop iteration */
	bool stop;
	uint64_t reloads;
	uint64_t started_s;
	uint64_t state_hash; /* of the state last written (unchanged state is not rewritten) */
	struct ctlplane *ctl; /* control socket, rule directory, metrics */
};

#define STATE_CATCHUP_S 60 /* longest a change made outside the daemon waits to be saved */

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ---- main-loop fds ---- */

int daemon_add_fd(struct daemon *d, int fd, void (*cb)(void *ctx, uint32_t events), void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct watch *w;

	if (d->n_watches == MAX_WATCHED)
		return -ENOSPC;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .cb = cb, .ctx = ctx };
	ev.data.ptr = w;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	d->watches[d->n_watches++] = w;
	return 0;
}

static struct watch *find_watch(struct daemon *d, int fd, size_t *ret_i)
{
	for (size_t i = 0; i < d->n_watches; i++) {
		if (d->watches[i]->fd == fd) {
			if (ret_i)
				*ret_i = i;
			return d->watches[i];
		}
	}
	return NULL;
}

int daemon_mod_fd(struct daemon *d, int fd, uint32_t events)
{
	struct watch *w = find_watch(d, fd, NULL);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int daemon_del_fd(struct daemon *d, int fd)
{
	size_t i;
	struct watch *w = find_watch(d, fd, &i);

	if (!w)
		return -ENOENT;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* the event array of this loop iteration may still point at w: keep it until then */
	w->cb = NULL;
	w->next_dead = d->dead;
	d->dead = w;
	d->watches[i] = d->watches[--d->n_watches];
	return 0;
}

/* ---- rules ---- */

int daemon_set_ruleset(struct daemon *d, struct ruleset *rs)
{
	int r;

	if (!d->pool) {
		ruleset_free(rs);
		return -EAGAIN;
	}
	r = worker_pool_set_ruleset(d->pool, rs);

	if (r == 0)
		d->reloads++;
	return r;
}

const struct ruleset *daemon_ruleset(struct daemon *d)
{
	return d->pool ? worker_pool_ruleset(d->pool) : NULL;
}

uint64_t daemon_reloads(const struct daemon *d)
{
	return d->reloads;
}

/* ---- accessors ---- */

void daemon_request_stop(struct daemon *d)
{
	d->stop = true;
}

const struct moatd_config *daemon_config(const struct daemon *d)
{
	return d->cfg;
}

struct moat_dp *daemon_dp(struct daemon *d)
{
	return d->dp;
}

pthread_mutex_t *daemon_dp_lock(struct daemon *d)
{
	return &d->dp_lock;
}

size_t daemon_ifaces(const struct daemon *d, const struct moat_dp_attach_report **ret)
{
	*ret = d->reports;
	return d->n_reports;
}

static void save_state(struct daemon *d);

static int find_report(const struct daemon *d, const char *ifname)
{
	for (size_t i = 0; i < d->n_reports; i++)
		if (strcmp(d->reports[i].ifname, ifname) == 0)
			return (int)i;
	return -1;
}

int daemon_attach(struct daemon *d, const char *ifname, enum moat_xdp_mode mode, bool tc,
		  struct moat_dp_attach_report *ret, char *err, size_t errlen)
{
	int i = find_report(d, ifname), r;
	struct moat_dp_attach_report rep = { 0 };

	if (i < 0 && d->n_reports >= CONFIG_MAX_IFACES) {
		snprintf(err, errlen, "attach %s: the daemon serves at most %d interfaces", ifname,
			 CONFIG_MAX_IFACES);
		return -ENOSPC;
	}
	pthread_mutex_lock(&d->dp_lock);
	r = moat_dp_attach(d->dp, ifname, mode, tc, &rep);
	if (r < 0)
		snprintf(err, errlen, "attach %s: %s", ifname,
			 *moat_dp_errmsg(d->dp) ? moat_dp_errmsg(d->dp) : strerror(-r));
	pthread_mutex_unlock(&d->dp_lock);
	if (r < 0)
		return r;
	if (i < 0)
		i = (int)d->n_reports++;
	d->reports[i] = rep;
	*ret = rep;
	return 0;
}

int daemon_detach(struct daemon *d, const char *ifname, char *err, size_t errlen)
{
	int i = find_report(d, ifname), r;

	pthread_mutex_lock(&d->dp_lock);
	r = moat_dp_detach(d->dp, ifname);
	if (r < 0 && r != -ENOENT)
		snprintf(err, errlen, "detach %s: %s", ifname,
			 *moat_dp_errmsg(d->dp) ? moat_dp_errmsg(d->dp) : strerror(-r));
	pthread_mutex_unlock(&d->dp_lock);
	if (r == -ENOENT)
		snprintf(err, errlen, "detach %s: moat is not attached there", ifname);
	if (i >= 0 && (r == 0 || r == -ENOENT)) /* gone from the kernel either way */
		d->reports[i] = d->reports[--d->n_reports];
	return r;
}

void daemon_save_soon(struct daemon *d)
{
	/* 300 ms after the last change, at most 10 s after the first: a burst of changes (a bulk
	 * file in many requests) costs one save, which would otherwise hold the main loop (and
	 * the burst's next request) once per request */
	struct itimerspec its = { .it_value = { .tv_nsec = 300000000 } };
	uint64_t now = mono_s();

	if (d->save_fd < 0)
		return;
	if (d->save_armed && now - d->save_first_s >= 10)
		return; /* due soon anyway */
	if (!d->save_armed)
		d->save_first_s = now;
	if (timerfd_settime(d->save_fd, 0, &its, NULL) == 0)
		d->save_armed = true;
	else
		save_state(d); /* cannot defer: save now */
}

unsigned int daemon_workers(const struct daemon *d)
{
	return d->n_workers;
}

int daemon_worker_stats(struct daemon *d, unsigned int i, struct live_worker_stats *ret)
{
	return worker_pool_stats(d->pool, i, ret);
}

int daemon_copy_stats(struct daemon *d, int i, struct moat_dp_copy_stats *ret)
{
	int r;

	pthread_mutex_lock(&d->dp_lock);
	r = moat_dp_copy_stats(d->dp, i, ret);
	pthread_mutex_unlock(&d->dp_lock);
	return r;
}

void daemon_alert_counts(struct daemon *d, uint64_t ret[4])
{
	memset(ret, 0, 4 * sizeof(ret[0]));
	for (unsigned int i = 0; i < d->n_workers; i++) {
		struct live_worker_stats st;

		if (worker_pool_stats(d->pool, i, &st) < 0)
			continue;
		for (int s = 0; s < 4; s++)
			ret[s] += st.alerts_by_severity[s];
	}
}

struct bans *daemon_bans(struct daemon *d)
{
	return d->bans;
}

uint64_t daemon_uptime(const struct daemon *d)
{
	return mono_s() - d->started_s;
}

/* ---- capabilities ---- */

/*
 * Keep CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON; drop the rest from the bounding, effective,
 * permitted and inheritable sets with prctl() and capset() (raw syscalls: libcap is not a
 * dependency for two calls). The uid stays 0: files moatd writes later (eve.json, the state
 * file) are its own.
 */
static int drop_capabilities(void)
{
	static const int keep[] = { CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON };
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	int last = CAP_LAST_CAP;

	for (int c = 0; c <= 63; c++) {
		bool k = false;

		for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
			k |= keep[i] == c;
		if (k)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL && c > last)
				break; /* past the kernel's last capability */
			if (errno != EINVAL)
				return -errno;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		data[keep[i] / 32].effective |= 1u << (keep[i] % 32);
		data[keep[i] / 32].permitted |= 1u << (keep[i] % 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* ---- setup and teardown ---- */

static enum moat_xdp_mode xdp_mode_of(enum config_xdp_mode m)
{
	switch (m) {
	case CONFIG_XDP_NATIVE:
		return MOAT_XDP_NATIVE;
	case CONFIG_XDP_GENERIC:
		return MOAT_XDP_GENERIC;
	case CONFIG_XDP_OFF:
		return MOAT_XDP_OFF;
	case CONFIG_XDP_AUTO:
		break;
	}
	return MOAT_XDP_AUTO;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

_Static_assert(MOAT_MAX_WORKERS >= 64, "config.c allows up to 64 workers");

static unsigned int default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return (unsigned int)MIN(n, (long)MOAT_MAX_WORKERS);
}

static void save_state(struct daemon *d)
{
	char err[512];
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", d->cfg->state_file);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir_p(dir, 0755);
	}
	{
		struct timespec t0, t1;
		double took;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		d->saved_s = mono_s();
		if (state_save(d->cfg->state_file, d->dp, &d->dp_lock, d->bans, &d->state_hash, err,
			       sizeof(err)) < 0)
			log_warn("state: %s", err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		/* the main loop (control socket included) waits for a save: say when it is slow */
		if (took >= 0.5)
			log_info("state: saving took %.2f s", took);
	}
}

static void on_signal(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reopening %s, reloading rules", d->eve_path);
			bans_reopen(d->bans);
			if (worker_pool_reopen(d->pool) < 0)
				log_warn("SIGHUP: a worker has not reopened %s yet", d->eve_path);
			else
				log_info("SIGHUP: %s reopened", d->eve_path);
			ctlplane_reload(d->ctl); /* compiled in the background */
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			d->stop = true;
		}
	}
}

static void on_timer(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	uint64_t ticks;
	int n;

	if (read(d->timerfd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	worker_pool_reap(d->pool);
	n = bans_sweep(d->bans);
	pthread_mutex_lock(&d->dp_lock);
	n += MAX(moat_dp_sweep(d->dp), 0);
	pthread_mutex_unlock(&d->dp_lock);
	if (n > 0)
		log_debug("sweep: %d expired entries removed", n);
	/* Changes the daemon makes save at once (bans) or soon (control commands); a sweep saves
	 * what it removed, and at least every STATE_CATCHUP_S what others changed in the pinned
	 * maps (fwctl flush blocks, a tool writing them). Not at every sweep: with 100k entries a
	 * save walks the maps and writes megabytes, seconds on a loaded host, and the main loop
	 * (the control socket) waits for it. */
	if (!d->save_armed && (n > 0 || mono_s() - d->saved_s >= STATE_CATCHUP_S))
		save_state(d);
}

/* A ban happened: persist it now (the sweep timer would wait up to sweep-interval). */
static void on_ban(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	uint64_t n;

	if (read(bans_notify_fd(d->bans), &n, sizeof(n)) == sizeof(n))
		save_state(d);
}

static void on_save(void *ctx, uint32_t events)
{
	struct daemon *d = ctx;
	uint64_t n;

	if (read(d->save_fd, &n, sizeof(n)) == sizeof(n)) {
		d->save_armed = false;
		save_state(d);
	}
}

static int setup(struct daemon *d)
{
	struct moat_dp_opts dopts = { 0 };
	struct moat_dp_copy_cfg cc;
	struct state_restore_stats rst;
	struct ruleset *rs;
	struct itimerspec its = { 0 };
	char err[512] = "", cfgpin[PATH_MAX + 16];
	const char *root;
	sigset_t mask;
	bool adopted;
	int r;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;

	/* adopt or create the pinned maps */
	root = d->cfg->pin_root[0] ? d->cfg->pin_root : getenv("MOAT_PIN_ROOT");
	if (!root || !*root)
		root = MOAT_DP_PIN_ROOT;
	dopts.pin_root = root;
	snprintf(cfgpin, sizeof(cfgpin), "%s/moat_cfg", root);
	adopted = access(cfgpin, F_OK) == 0;
	r = moat_dp_open(&dopts, &d->dp, err, sizeof(err));
	if (r < 0) {
		log_err("datapath: %s", err);
		return r;
	}
	log_info("datapath: %s pinned maps under %s", adopted ? "adopted the" : "created",
		 moat_dp_pin_root(d->dp));

	for (size_t i = 0; i < d->cfg->n_ifaces; i++) {
		struct moat_dp_attach_report *rep = &d->reports[d->n_reports];

		r = moat_dp_attach(d->dp, d->cfg->ifaces[i], xdp_mode_of(d->cfg->xdp_mode), true,
				   rep);
		if (r < 0) {
			log_err("attach %s: %s", d->cfg->ifaces[i], moat_dp_errmsg(d->dp));
			return r;
		}
		d->n_reports++;
		log_info("attached %s: xdp %s, tc %s%s", rep->ifname,
			 moat_dp_xdp_mode_name(rep->xdp_mode), moat_dp_tc_mode_name(rep->tc_mode),
			 rep->updated ? " (updated pinned links)" : "");
	}

	/* interfaces attached by fwctl (pinned links) while the daemon was down: served too */
	{
		struct moat_dp_attach_report pinned[CONFIG_MAX_IFACES];
		int n = moat_dp_attachments(d->dp, pinned, ARRAY_SIZE(pinned));

		for (int i = 0; i < MIN(n, (int)ARRAY_SIZE(pinned)); i++) {
			if (find_report(d, pinned[i].ifname) >= 0 ||
			    d->n_reports >= CONFIG_MAX_IFACES)
				continue;
			d->reports[d->n_reports++] = pinned[i];
			log_info("adopted %s: xdp %s, tc %s (attached while the daemon was down)",
				 pinned[i].ifname, moat_dp_xdp_mode_name(pinned[i].xdp_mode),
				 moat_dp_tc_mode_name(pinned[i].tc_mode));
		}
	}

	/* log directory and the automatic bans */
	r = mkdir_p(d->cfg->log_dir, 0755);
	if (r < 0) {
		log_err("log directory %s: %s", d->cfg->log_dir, strerror(-r));
		return r;
	}
	snprintf(d->eve_path, sizeof(d->eve_path), "%s/eve.json", d->cfg->log_dir);
	r = moat_dp_open(&dopts, &d->dp_ban, err, sizeof(err));
	if (r < 0) {
		log_err("datapath (ban handle): %s", err);
		return r;
	}
	r = bans_new(d->cfg, d->dp_ban, &d->ban_lock, d->eve_path, &d->bans);
	if (r < 0) {
		log_err("bans: %s", strerror(-r));
		return r;
	}

	r = state_restore(d->cfg->state_file, d->dp, &d->dp_lock, d->bans, adopted, &rst, err,
			  sizeof(err));
	if (r < 0)
		log_warn("state: %s (starting without it)", err);
	else if (rst.entries || rst.bans)
		log_info("state: %s: %zu entries, %zu restored, %zu expired, %zu invalid, "
			 "%zu failed; %zu bans%s",
			 d->cfg->state_file, rst.entries, rst.restored, rst.expired, rst.invalid,
			 rst.failed, rst.bans,
			 adopted ? " (pinned maps adopted: entries kept)" : "");

	/* packet copies and workers */
	moat_dp_copy_cfg_init(&cc);
	d->n_workers = d->cfg->workers ? d->cfg->workers : default_workers();
	if (d->n_workers > MOAT_MAX_WORKERS)
		d->n_workers = MOAT_MAX_WORKERS;
	cc.n_workers = d->n_workers;
	cc.transport = d->cfg->transport == CONFIG_TRANSPORT_PERFBUF ? MOAT_COPY_PERFBUF :
								       MOAT_COPY_RINGBUF;
	cc.ring_bytes = d->cfg->ring_size;
	/* 0 = unlimited: as far as the kernel's 32-bit counter goes */
	cc.depth =
		!d->cfg->depth || d->cfg->depth > UINT32_MAX ? UINT32_MAX : (uint32_t)d->cfg->depth;
	if (d->cfg->snaplen) /* else the datapath default, MOAT_SNAPLEN_MAX */
		cc.snaplen = MIN(d->cfg->snaplen, (uint32_t)MOAT_SNAPLEN_MAX);
	r = moat_dp_copy_start(d->dp, &cc);
	if (r < 0) {
		log_err("packet copies: %s", moat_dp_errmsg(d->dp));
		return r;
	}
	d->copying = true;
	/* the control plane loads the rules once here, then watches and reloads them */
	r = ctlplane_new(d, &d->ctl, &rs);
	if (r < 0)
		return r;
	r = worker_pool_start(d->cfg, d->dp, d->dp_ban, &d->ban_lock, d->bans, rs, d->n_workers,
			      d->eve_path, &d->pool);
	if (r < 0) {
		log_err("workers: %s", strerror(-r));
		return r;
	}
	if (rs)
		d->reloads++;
	log_info("%u workers on %s buffers of %u bytes, depth %u, snaplen %u; eve log %s",
		 d->n_workers, config_transport_name(d->cfg->transport), cc.ring_bytes, cc.depth,
		 cc.snaplen, d->eve_path);

	/* signals and the sweep timer */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	r = daemon_add_fd(d, d->sigfd, on_signal, d);
	if (r < 0)
		return r;
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timerfd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)d->cfg->sweep_interval_s;
	its.it_interval.tv_sec = (time_t)d->cfg->sweep_interval_s;
	if (timerfd_settime(d->timerfd, 0, &its, NULL) < 0)
		return -errno;
	r = daemon_add_fd(d, d->timerfd, on_timer, d);
	if (r < 0)
		return r;
	r = daemon_add_fd(d, bans_notify_fd(d->bans), on_ban, d);
	if (r < 0)
		return r;
	d->save_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->save_fd < 0)
		return -errno;
	r = daemon_add_fd(d, d->save_fd, on_save, d);
	if (r < 0)
		return r;
	save_state(d);
	return 0;
}

static void free_dead(struct daemon *d);

static void log_stats(struct daemon *d)
{
	struct moat_dp_copy_stats cs;

	for (unsigned int i = 0; d->pool && i < d->n_workers; i++) {
		struct live_worker_stats st;

		if (worker_pool_stats(d->pool, i, &st) < 0)
			continue;
		log_info(
			"worker %u: %llu records (%llu bytes, %llu truncated), %llu decode errors, "
			"%llu alerts, %llu flows bypassed, %llu in-kernel HTTP blocks",
			i, (unsigned long long)st.records, (unsigned long long)st.bytes,
			(unsigned long long)st.truncated, (unsigned long long)st.decode_errors,
			(unsigned long long)st.alerts, (unsigned long long)st.bypassed,
			(unsigned long long)st.http_blocked);
		log_info("worker %u: kernel-to-worker lag mean %llu us, max %llu us", i,
			 (unsigned long long)(st.records ? st.lag_sum_ns / st.records / 1000 : 0),
			 (unsigned long long)(st.lag_max_ns / 1000));
	}
	if (d->copying && daemon_copy_stats(d, -1, &cs) == 0)
		log_info("kernel copies: %llu copied, %llu lost (ring full), %llu past depth, "
			 "%llu bypassed",
			 (unsigned long long)cs.copied, (unsigned long long)cs.lost,
			 (unsigned long long)cs.depth_skipped, (unsigned long long)cs.bypassed);
}

static void teardown(struct daemon *d)
{
	ctlplane_free(d->ctl);
	d->ctl = NULL;
	log_stats(d);
	worker_pool_stop(d->pool);
	d->pool = NULL;
	if (d->copying) {
		pthread_mutex_lock(&d->dp_lock);
		moat_dp_copy_stop(d->dp);
		pthread_mutex_unlock(&d->dp_lock);
	}
	if (d->dp && d->bans)
		save_state(d);
	if (d->dp && !d->cfg->keep_enforcement) {
		for (size_t i = 0; i < d->n_reports; i++) {
			if (moat_dp_detach(d->dp, d->reports[i].ifname) == 0)
				log_info("detached %s (keep-enforcement = no)",
					 d->reports[i].ifname);
		}
	}
	bans_free(d->bans);
	moat_dp_close(d->dp_ban);
	moat_dp_close(d->dp);
	for (size_t i = 0; i < d->n_watches; i++)
		free(d->watches[i]);
	free_dead(d);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->save_fd >= 0)
		close(d->save_fd);
	if (d->epfd >= 0)
		close(d->epfd);
}

static void free_dead(struct daemon *d)
{
	while (d->dead) {
		struct watch *w = d->dead;

		d->dead = w->next_dead;
		free(w);
	}
}

static void run_loop(struct daemon *d)
{
	struct epoll_event evs[64];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, (int)ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			if (w->cb)
				w->cb(w->ctx, evs[i].events);
		}
		free_dead(d);
	}
}

int daemon_run(struct moatd_config *cfg)
{
	struct daemon d = { .cfg = cfg, .epfd = -1, .sigfd = -1, .timerfd = -1, .save_fd = -1 };
	sigset_t mask;
	int r, ret = EXIT_FAILURE;

	d.started_s = mono_s();
	pthread_mutex_init(&d.dp_lock, NULL);
	pthread_mutex_init(&d.ban_lock, NULL);
	/* block the signals before threads start, so only the signalfd sees them */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	r = setup(&d);
	if (r < 0)
		goto out;
	if (cfg->drop_caps) {
		r = drop_capabilities();
		if (r < 0)
			log_warn("dropping capabilities: %s", strerror(-r));
		else
			log_info("capabilities: kept CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON");
	}
	log_info("running (pid %d)", (int)getpid());
	run_loop(&d);
	ret = EXIT_SUCCESS;
out:
	teardown(&d);
	pthread_mutex_destroy(&d.dp_lock);
	pthread_mutex_destroy(&d.ban_lock);
	return ret;
}
