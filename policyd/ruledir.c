// SPDX-License-Identifier: GPL-2.0-only
/* The watched rule directory: inotify, debounce, background compile, install, status. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "control.h"
#include "metrics.h"
#include "ruledir.h"

#define TAG_INOTIFY 1
#define TAG_TIMER 2
#define TAG_DONE 3

struct watch {
	int wd;
	char *dir;
	char *only; /* basename of a watched file, or NULL: any rule file */
};

/* One compile, from request to installation. */
struct job {
	uint64_t generation;
	enum ruledir_trigger trigger;
	char *paths[RULEDIR_MAX_PATHS + 1];
	size_t n_paths;
	bool dir_present;
	const char *cache_dir;
	struct rule_vars *vars;
	int eventfd; /* written when done (thread mode) */
	/* results, all prepared in the compile thread */
	int r;
	struct ruleset *rs;
	struct rule_diags diags; /* freed by the thread once summarized below */
	json_t *files, *problems;
	size_t problems_total;
	char err[512]; /* the reason of a total failure */
	struct timespec started_wall;
	double duration_s;
};

struct ruledir {
	int ep, inotify_fd, timer_fd, done_fd;
	ruledir_install_fn install;
	void *install_ctx;
	char *dir; /* NULL: none */
	char **paths;
	size_t n_paths;
	char *cache_dir;
	struct rule_vars *vars;
	unsigned int debounce_ms, max_delay_ms;
	struct watch *watches;
	size_t n_watches;
	uint64_t first_change_ms; /* of the current burst; 0: none pending */

	struct job *running; /* compile thread active */
	pthread_t thread;
	bool pending; /* another reload requested while one runs */
	enum ruledir_trigger pending_trigger;
	uint64_t next_generation;

	const struct ruleset *current;
	json_t *installed; /* files and counts of the installed ruleset */
	json_t *last; /* the last reload, successful or not */
	struct ruledir_stats stats;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_rule_name(const char *name)
{
	return name[0] != '.' && (ends_with(name, ".rules") || ends_with(name, ".conf") ||
				  strcmp(name, "classification.config") == 0);
}

static const char *trigger_name(enum ruledir_trigger t)
{
	static const char *const names[] = { "startup", "watch", "signal", "command" };

	return (unsigned int)t < ARRAY_SIZE(names) ? names[t] : "?";
}

static const char *diag_kind_name(enum rule_diag_kind k)
{
	switch (k) {
	case RULE_DIAG_INVALID:
		return "invalid";
	case RULE_DIAG_UNSUPPORTED:
		return "unsupported";
	case RULE_DIAG_NOTE:
		return "note";
	}
	return "?";
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n_paths; i++)
		free(j->paths[i]);
	ruleset_free(j->rs);
	rule_diags_done(&j->diags);
	json_decref(j->files);
	json_decref(j->problems);
	free(j);
}

DEFINE_FREEP(struct job, job_free)

/* The rule files a path stands for, in load order (as ruleset_load reads them). */
static int list_files(const char *path, json_t *files)
{
	struct stat st;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		return json_array_append_new(
			files, json_pack("{s:s, s:s, s:I}", "path", path, "format",
					 ends_with(path, ".conf") ? "modsecurity" : "suricata",
					 "bytes", (json_int_t)st.st_size));
	}
	r = rules_dir_list(path, &names, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char full[PATH_MAX];

		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (stat(full, &st) < 0)
			continue;
		json_array_append_new(
			files, json_pack("{s:s, s:s, s:I}", "path", full, "format",
					 ends_with(full, ".conf") ? "modsecurity" : "suricata",
					 "bytes", (json_int_t)st.st_size));
	}
	rules_dir_list_free(names, n);
	return 0;
}

/* "file:line: sid N: message", without the parts a diagnostic lacks. */
static void diag_text(const struct rule_diag *g, char *text, size_t len)
{
	const char *file = g->file ? g->file : "?";

	if (g->line && g->sid)
		snprintf(text, len, "%s:%u: sid %u: %s", file, g->line, g->sid, g->message);
	else if (g->line)
		snprintf(text, len, "%s:%u: %s", file, g->line, g->message);
	else
		snprintf(text, len, "%s: %s", file, g->message);
}

static json_t *problems_json(const struct rule_diags *d, size_t *ret_total)
{
	json_t *arr = json_array();
	size_t total = d->dropped;

	if (!arr)
		return NULL;
	/* invalid rules first (what an operator must fix), then unsupported, then notes */
	for (int kind = RULE_DIAG_INVALID; kind <= RULE_DIAG_NOTE; kind++) {
		for (size_t i = 0; i < d->n; i++) {
			const struct rule_diag *g = &d->v[i];
			char text[1024];

			if ((int)g->kind != kind)
				continue;
			total++;
			if (json_array_size(arr) >= RULEDIR_MAX_ERRORS)
				continue;
			diag_text(g, text, sizeof(text));
			json_array_append_new(
				arr, json_pack("{s:s?, s:I, s:I, s:s, s:s, s:s}", "file", g->file,
					       "line", (json_int_t)g->line, "sid",
					       (json_int_t)g->sid, "kind", diag_kind_name(g->kind),
					       "message", g->message, "text", text));
		}
	}
	*ret_total = total;
	return arr;
}

/* The daemon log gets the first invalid rules; status has the list (first RULEDIR_MAX_ERRORS). */
static void log_problems(const struct rule_diags *d)
{
	size_t shown = 0, invalid = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct rule_diag *g = &d->v[i];

		if (g->kind != RULE_DIAG_INVALID)
			continue;
		if (invalid++ < 20) {
			char text[1024];

			diag_text(g, text, sizeof(text));
			log_warn("%s", text);
			shown++;
		}
	}
	if (invalid > shown)
		log_warn("rules: %zu more invalid rules (fwctl rules status lists them)",
			 invalid - shown);
}

static void format_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The compile thread (or the caller of ruledir_load_sync()): load, then summarize what the
 * loop thread will need, so that installing costs it as little as possible.
 */
static void *job_run(void *arg)
{
	struct job *j = arg;
	struct ruleset_opts o = { .vars = j->vars, .cache_dir = j->cache_dir };
	struct timespec t0, t1;
	uint64_t one = 1;

	clock_gettime(CLOCK_REALTIME, &j->started_wall);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->r = ruleset_load((const char *const *)j->paths, j->n_paths, &o, &j->rs, &j->diags);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->duration_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	j->files = json_array();
	for (size_t i = 0; i < j->n_paths && j->files; i++)
		list_files(j->paths[i], j->files);
	j->problems = problems_json(&j->diags, &j->problems_total);
	log_problems(&j->diags);
	if (j->r < 0) {
		/* the loader puts the reason of a total failure in an invalid diagnostic */
		const struct rule_diag *why = NULL;

		for (size_t i = 0; i < j->diags.n && !why; i++)
			if (j->diags.v[i].kind == RULE_DIAG_INVALID && j->diags.v[i].line == 0)
				why = &j->diags.v[i];
		if (why)
			snprintf(j->err, sizeof(j->err), "rules not loaded: %s: %s",
				 why->file ? why->file : "?", why->message);
		else
			snprintf(j->err, sizeof(j->err), "rules not loaded: %s", strerror(-j->r));
	}
	rule_diags_done(&j->diags);
	if (j->eventfd >= 0)
		(void)!write(j->eventfd, &one, sizeof(one));
	return NULL;
}

/* Record the job's outcome, install its ruleset if it has one. Consumes j. Returns 0 when a
 * ruleset was installed, else -errno (message in err). */
static int job_finish(struct ruledir *rd, struct job *j, char *err, size_t errlen)
{
	struct ruleset_stats rst = { 0 };
	json_t *files = TAKE_PTR(j->files), *problems = TAKE_PTR(j->problems), *last;
	size_t total = j->problems_total;
	char started[32];
	int ret;

	if (j->r >= 0)
		ruleset_get_stats(j->rs, &rst);
	format_time(&j->started_wall, started, sizeof(started));
	if (j->r < 0 && err && errlen)
		snprintf(err, errlen, "%s", j->err);
	last = json_pack("{s:I, s:s, s:s, s:f, s:b, s:s?, s:I, s:I, s:I, s:I, s:o*, s:I, s:{s:I, "
			 "s:I, s:I}}",
			 "generation", (json_int_t)j->generation, "trigger",
			 trigger_name(j->trigger), "started", started, "duration_s", j->duration_s,
			 "ok", j->r >= 0, "error", j->r < 0 ? j->err : NULL, "loaded",
			 (json_int_t)rst.loaded, "unsupported", (json_int_t)rst.unsupported,
			 "invalid", (json_int_t)rst.invalid, "files",
			 (json_int_t)json_array_size(files), "problems", problems, "problems_total",
			 (json_int_t)total, "cache", "hits", (json_int_t)rst.cache_hits, "misses",
			 (json_int_t)rst.cache_misses, "errors", (json_int_t)rst.cache_errors);
	json_decref(rd->last);
	rd->last = last;
	rd->stats.last_duration_s = j->duration_s;
	rd->stats.duration_total_s += j->duration_s;
	if (j->r >= 0) {
		const struct ruleset *rs = j->rs;
		int r = rd->install(rd->install_ctx, TAKE_PTR(j->rs));

		if (r < 0) {
			/* compiled but refused by the daemon: the previous ruleset stays */
			rd->stats.failures++;
			json_object_set_new(rd->last, "ok", json_false());
			json_object_set_new(
				rd->last, "error",
				json_string("compiled, but the daemon could not install "
					    "it"));
			if (err && errlen)
				snprintf(err, errlen, "rules compiled, but not installed: %s",
					 strerror(-r));
			j->r = r;
		} else {
			json_decref(rd->installed);
			rd->installed = json_pack(
				"{s:I, s:s, s:I, s:I, s:I, s:I, s:o*}", "generation",
				(json_int_t)j->generation, "installed", started, "loaded",
				(json_int_t)rst.loaded, "unsupported", (json_int_t)rst.unsupported,
				"invalid", (json_int_t)rst.invalid, "fast_patterns",
				(json_int_t)rst.fast_patterns, "files", files);
			files = NULL;
			rd->stats.reloads++;
			rd->stats.generation = j->generation;
			rd->stats.rules_loaded = rst.loaded;
			rd->stats.rules_unsupported = rst.unsupported;
			rd->stats.rules_invalid = rst.invalid;
			rd->stats.files = rst.files;
			rd->current = rs;
			log_info("rules: %zu loaded, %zu skipped (unsupported), %zu invalid "
				 "(generation %llu, %s, %.3f s)",
				 rst.loaded, rst.unsupported, rst.invalid,
				 (unsigned long long)j->generation, trigger_name(j->trigger),
				 j->duration_s);
			if (ruleset_msc(rs)) {
				const struct msc_stats *ms = msc_ruleset_stats(ruleset_msc(rs));

				log_info(
					"secrules: %zu loaded, %zu skipped (unsupported), %zu invalid",
					ms->rules, ms->unsupported, ms->invalid);
			}
		}
	} else {
		rd->stats.failures++;
	}
	json_decref(files);
	ret = j->r;
	job_free(j);
	return ret < 0 ? ret : 0;
}

static struct job *job_new(struct ruledir *rd, enum ruledir_trigger why)
{
	_cleanup_(job_freep) struct job *j = calloc(1, sizeof(*j));
	struct stat st;

	if (!j)
		return NULL;
	j->trigger = why;
	j->cache_dir = rd->cache_dir;
	j->vars = rd->vars;
	j->eventfd = -1;
	if (rd->dir && stat(rd->dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		j->dir_present = true;
		j->paths[j->n_paths] = strdup(rd->dir);
		if (!j->paths[j->n_paths++])
			return NULL;
	}
	for (size_t i = 0; i < rd->n_paths; i++) {
		j->paths[j->n_paths] = strdup(rd->paths[i]);
		if (!j->paths[j->n_paths++])
			return NULL;
	}
	j->generation = ++rd->next_generation;
	return TAKE_PTR(j);
}

static void ruledir_rearm(struct ruledir *rd);

static int job_start(struct ruledir *rd, enum ruledir_trigger why)
{
	struct job *j;
	int r;

	ruledir_rearm(rd);
	j = job_new(rd, why);
	if (!j)
		return -ENOMEM;
	j->eventfd = rd->done_fd;
	r = -pthread_create(&rd->thread, NULL, job_run, j);
	if (r < 0) {
		rd->next_generation--;
		job_free(j);
		return r;
	}
	rd->running = j;
	rd->stats.running = true;
	return 0;
}

int ruledir_reload(struct ruledir *rd, enum ruledir_trigger why, uint64_t *ret_generation)
{
	int r;

	if (rd->running) {
		if (!rd->pending)
			rd->pending_trigger = why;
		rd->pending = true;
		if (ret_generation)
			*ret_generation = rd->next_generation + 1;
		return 0;
	}
	r = job_start(rd, why);
	if (r < 0)
		return r;
	if (ret_generation)
		*ret_generation = rd->next_generation;
	return 0;
}

int ruledir_load_sync(struct ruledir *rd, char *err, size_t errlen)
{
	struct job *j;

	if (rd->running)
		return -EBUSY;
	j = job_new(rd, RULEDIR_TRIGGER_STARTUP);
	if (!j)
		return -ENOMEM;
	job_run(j);
	if (err && errlen)
		err[0] = '\0';
	return job_finish(rd, j, err, errlen);
}

static void on_done(struct ruledir *rd)
{
	uint64_t v;
	struct job *j = rd->running;
	char err[512];

	if (read(rd->done_fd, &v, sizeof(v)) < 0 || !j)
		return;
	pthread_join(rd->thread, NULL);
	rd->running = NULL;
	rd->stats.running = false;
	err[0] = '\0';
	if (job_finish(rd, j, err, sizeof(err)) < 0)
		log_err("rules reload failed, previous rules stay active: %s", err);
	if (rd->pending) {
		rd->pending = false;
		if (job_start(rd, rd->pending_trigger) < 0)
			log_err("rules reload: cannot start the queued reload");
	}
}

static void arm_debounce(struct ruledir *rd)
{
	uint64_t now = now_ms(), deadline;
	struct itimerspec its = { 0 };

	if (!rd->first_change_ms)
		rd->first_change_ms = now;
	deadline = MIN(now + rd->debounce_ms, rd->first_change_ms + rd->max_delay_ms);
	if (deadline <= now)
		deadline = now + 1;
	its.it_value.tv_sec = (time_t)((deadline - now) / 1000);
	its.it_value.tv_nsec = (long)((deadline - now) % 1000) * 1000000;
	timerfd_settime(rd->timer_fd, 0, &its, NULL);
}

static bool event_relevant(const struct ruledir *rd, const struct inotify_event *ev)
{
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
		return true;
	if (!ev->len)
		return false;
	for (size_t i = 0; i < rd->n_watches; i++) {
		const struct watch *w = &rd->watches[i];

		if (w->wd != ev->wd)
			continue;
		if (w->only ? (strcmp(ev->name, w->only) == 0 ||
			       strcmp(ev->name, "classification.config") == 0) :
			      is_rule_name(ev->name))
			return true;
	}
	return false;
}

static void on_inotify(struct ruledir *rd)
{
	/* inotify's documented alignment for its buffer */
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;

	for (;;) {
		ssize_t n = read(rd->inotify_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW) {
				rd->stats.watch_overflows++;
				changed = true;
			} else if (ev->mask & IN_IGNORED) {
				/* the watched directory is gone: watched again at the next reload */
				for (size_t i = 0; i < rd->n_watches; i++)
					if (rd->watches[i].wd == ev->wd)
						rd->watches[i].wd = -1;
				changed = true;
			} else if (event_relevant(rd, ev)) {
				rd->stats.watch_events++;
				changed = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (changed)
		arm_debounce(rd);
}

static void on_timer(struct ruledir *rd)
{
	uint64_t v;

	if (read(rd->timer_fd, &v, sizeof(v)) < 0)
		return;
	rd->first_change_ms = 0;
	if (ruledir_reload(rd, RULEDIR_TRIGGER_WATCH, NULL) < 0)
		log_err("rules reload: cannot start");
}

int ruledir_dispatch(struct ruledir *rd)
{
	struct epoll_event evs[8];
	int n = epoll_wait(rd->ep, evs, ARRAY_SIZE(evs), 0);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		switch (evs[i].data.u64) {
		case TAG_INOTIFY:
			on_inotify(rd);
			break;
		case TAG_TIMER:
			on_timer(rd);
			break;
		case TAG_DONE:
			on_done(rd);
			break;
		}
	}
	return 0;
}

static int add_watch(struct ruledir *rd, const char *dir, const char *only)
{
	struct watch *nw;
	int wd;

	for (size_t i = 0; i < rd->n_watches; i++) {
		struct watch *w = &rd->watches[i];

		if (w->wd >= 0 && strcmp(w->dir, dir) == 0 &&
		    (w->only ? only && strcmp(w->only, only) == 0 : !only))
			return 0; /* already watched */
	}

	wd = inotify_add_watch(rd->inotify_fd, dir,
			       IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO |
				       IN_MOVED_FROM | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
				       IN_ONLYDIR);
	if (wd < 0)
		return -errno;
	nw = realloc(rd->watches, (rd->n_watches + 1) * sizeof(*nw));
	if (!nw)
		return -ENOMEM;
	rd->watches = nw;
	nw[rd->n_watches] =
		(struct watch){ .wd = wd, .dir = strdup(dir), .only = only ? strdup(only) : NULL };
	rd->n_watches++;
	if (!nw[rd->n_watches - 1].dir || (only && !nw[rd->n_watches - 1].only))
		return -ENOMEM;
	return 0;
}

/*
 * Watch a directory path itself, or a file through its parent directory (editors replace
 * files by rename, which a watch on the file would lose). With missing_ok, a path that does
 * not exist (yet) is watched through its parent so that its creation starts a reload, which
 * then watches the path itself (ruledir_rearm()).
 */
static int watch_path(struct ruledir *rd, const char *path, bool missing_ok, char *err,
		      size_t errlen)
{
	_cleanup_free_ char *copy = strdup(path);
	struct stat st;
	char *slash;
	int r;

	bool exists;

	if (!copy)
		return -ENOMEM;
	exists = stat(path, &st) == 0;
	if (!exists && !missing_ok) {
		r = -errno;
		snprintf(err, errlen, "rule path %s: %s", path, strerror(-r));
		return r;
	}
	if (exists && S_ISDIR(st.st_mode))
		r = add_watch(rd, path, NULL);
	else {
		slash = strrchr(copy, '/');
		if (!slash)
			r = add_watch(rd, ".", copy);
		else if (slash == copy)
			r = add_watch(rd, "/", copy + 1);
		else {
			*slash = '\0';
			r = add_watch(rd, copy, slash + 1);
		}
		if (r == -ENOENT && missing_ok)
			r = 0; /* not even the parent: nothing to watch until a restart */
	}
	if (r < 0)
		snprintf(err, errlen, "rule path %s: cannot watch: %s", path, strerror(-r));
	return r;
}

/* Watch every path again where a watch was lost (deleted, or created since). */
static void ruledir_rearm(struct ruledir *rd)
{
	char err[256];

	if (rd->dir && watch_path(rd, rd->dir, true, err, sizeof(err)) < 0)
		log_warn("%s", err);
	for (size_t i = 0; i < rd->n_paths; i++)
		if (watch_path(rd, rd->paths[i], true, err, sizeof(err)) < 0)
			log_warn("%s", err);
}

int ruledir_new(const struct ruledir_opts *o, ruledir_install_fn install, void *ctx,
		struct ruledir **ret, char *err, size_t errlen)
{
	struct ruledir *rd;
	struct epoll_event ev = { .events = EPOLLIN };
	const char *dir = o->dir ? o->dir : RULEDIR_DEFAULT_DIR;
	int r;

	err[0] = '\0';
	if (o->n_paths > RULEDIR_MAX_PATHS - 1) {
		snprintf(err, errlen, "too many rule paths (%zu, at most %u)", o->n_paths,
			 RULEDIR_MAX_PATHS - 1);
		return -E2BIG;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->ep = rd->inotify_fd = rd->timer_fd = rd->done_fd = -1;
	rd->install = install;
	rd->install_ctx = ctx;
	rd->vars = o->vars;
	rd->debounce_ms = o->debounce_ms ? o->debounce_ms : RULEDIR_DEFAULT_DEBOUNCE_MS;
	rd->max_delay_ms = o->max_delay_ms ? o->max_delay_ms : 10 * rd->debounce_ms;
	r = -ENOMEM;
	if (dir[0] && !(rd->dir = strdup(dir)))
		goto fail;
	if (o->cache_dir && !(rd->cache_dir = strdup(o->cache_dir)))
		goto fail;
	rd->paths = calloc(o->n_paths + 1, sizeof(*rd->paths));
	if (!rd->paths)
		goto fail;
	for (size_t i = 0; i < o->n_paths; i++) {
		rd->paths[i] = strdup(o->paths[i]);
		if (!rd->paths[i])
			goto fail;
		rd->n_paths++;
	}
	rd->ep = epoll_create1(EPOLL_CLOEXEC);
	rd->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	rd->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	rd->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rd->ep < 0 || rd->inotify_fd < 0 || rd->timer_fd < 0 || rd->done_fd < 0) {
		r = -errno;
		goto fail;
	}
	ev.data.u64 = TAG_INOTIFY;
	if (epoll_ctl(rd->ep, EPOLL_CTL_ADD, rd->inotify_fd, &ev) < 0)
		goto fail_errno;
	ev.data.u64 = TAG_TIMER;
	if (epoll_ctl(rd->ep, EPOLL_CTL_ADD, rd->timer_fd, &ev) < 0)
		goto fail_errno;
	ev.data.u64 = TAG_DONE;
	if (epoll_ctl(rd->ep, EPOLL_CTL_ADD, rd->done_fd, &ev) < 0)
		goto fail_errno;
	/* A missing rules directory is not an error (no rules yet): status says so, and its
	 * parent is watched for it. A missing -S path is. */
	if (rd->dir) {
		r = watch_path(rd, rd->dir, true, err, errlen);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < rd->n_paths; i++) {
		r = watch_path(rd, rd->paths[i], false, err, errlen);
		if (r < 0)
			goto fail;
	}
	*ret = rd;
	return 0;
fail_errno:
	r = -errno;
fail:
	if (!err[0])
		snprintf(err, errlen, "rule directory: %s", strerror(-r));
	ruledir_free(rd);
	return r;
}

void ruledir_free(struct ruledir *rd)
{
	if (!rd)
		return;
	if (rd->running) {
		pthread_join(rd->thread, NULL);
		job_free(rd->running);
	}
	for (size_t i = 0; i < rd->n_watches; i++) {
		free(rd->watches[i].dir);
		free(rd->watches[i].only);
	}
	free(rd->watches);
	for (size_t i = 0; i < rd->n_paths; i++)
		free(rd->paths[i]);
	free(rd->paths);
	free(rd->dir);
	free(rd->cache_dir);
	json_decref(rd->installed);
	json_decref(rd->last);
	if (rd->ep >= 0)
		close(rd->ep);
	if (rd->inotify_fd >= 0)
		close(rd->inotify_fd);
	if (rd->timer_fd >= 0)
		close(rd->timer_fd);
	if (rd->done_fd >= 0)
		close(rd->done_fd);
	free(rd);
}

int ruledir_fd(const struct ruledir *rd)
{
	return rd->ep;
}

void ruledir_get_stats(const struct ruledir *rd, struct ruledir_stats *ret)
{
	*ret = rd->stats;
}

const struct ruleset *ruledir_current(const struct ruledir *rd)
{
	return rd->current;
}

json_t *ruledir_status_json(const struct ruledir *rd)
{
	json_t *paths = json_array();
	struct stat st;

	for (size_t i = 0; paths && i < rd->n_paths; i++)
		json_array_append_new(paths, json_string(rd->paths[i]));
	return json_pack("{s:s?, s:b, s:o*, s:I, s:b, s:b, s:I, s:I, s:f, s:O?, s:O?}", "dir",
			 rd->dir, "dir_present",
			 rd->dir && stat(rd->dir, &st) == 0 && S_ISDIR(st.st_mode), "paths", paths,
			 "generation", (json_int_t)rd->stats.generation, "running",
			 rd->running != NULL, "pending", rd->pending, "reloads",
			 (json_int_t)rd->stats.reloads, "failures", (json_int_t)rd->stats.failures,
			 "duration_total_s", rd->stats.duration_total_s, "installed", rd->installed,
			 "last_reload", rd->last);
}

/* ---- control commands ---- */

static int cmd_status(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	json_t *res = ruledir_status_json(ctx);

	if (!res)
		return -ENOMEM;
	*ret_result = res;
	return 0;
}

static int cmd_reload(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ruledir *rd = ctx;
	uint64_t gen = 0;
	bool queued = rd->running != NULL;
	int r = ruledir_reload(rd, RULEDIR_TRIGGER_COMMAND, &gen);

	if (r < 0) {
		snprintf(err, errlen, "cannot start a reload: %s", strerror(-r));
		return r;
	}
	*ret_result = json_pack("{s:I, s:b}", "generation", (json_int_t)gen, "queued", queued);
	return *ret_result ? 0 : -ENOMEM;
}

static json_t *rule_json(const struct rule_info *ri)
{
	return json_pack("{s:I, s:I, s:I, s:s, s:i, s:s?, s:s?, s:s?}", "gid", (json_int_t)ri->gid,
			 "sid", (json_int_t)ri->sid, "rev", (json_int_t)ri->rev, "action",
			 rule_action_name(ri->action), "priority", ri->priority, "msg", ri->msg,
			 "classtype", ri->classtype, "category", ri->category);
}

static int cmd_list(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ruledir *rd = ctx;
	const struct ruleset *rs = rd->current;
	json_t *jsid = json_object_get(args, "sid"), *jgid = json_object_get(args, "gid");
	json_t *jlimit = json_object_get(args, "limit");
	json_int_t limit = jlimit ? json_integer_value(jlimit) : -1;
	json_t *res, *list;
	size_t n;

	if (!rs) {
		snprintf(err, errlen, "no ruleset is loaded");
		return -ENOENT;
	}
	if (jsid && (json_integer_value(jsid) <= 0 || json_integer_value(jsid) > UINT32_MAX)) {
		snprintf(err, errlen, "sid %lld out of range (1-4294967295)",
			 (long long)json_integer_value(jsid));
		return -ERANGE;
	}
	if (jgid && (json_integer_value(jgid) <= 0 || json_integer_value(jgid) > UINT32_MAX)) {
		snprintf(err, errlen, "gid %lld out of range (1-4294967295)",
			 (long long)json_integer_value(jgid));
		return -ERANGE;
	}
	if (jlimit && limit < 0) {
		snprintf(err, errlen, "limit must not be negative");
		return -ERANGE;
	}
	list = json_array();
	res = json_pack("{s:I, s:o}", "generation", (json_int_t)rd->stats.generation, "rules",
			list);
	if (!res)
		return -ENOMEM;
	n = ruleset_count(rs);
	if (jsid) {
		int idx = ruleset_find(rs, jgid ? (uint32_t)json_integer_value(jgid) : 1,
				       (uint32_t)json_integer_value(jsid));

		if (idx < 0) {
			json_decref(res);
			snprintf(err, errlen, "no rule %u:%lld in the running ruleset",
				 jgid ? (unsigned int)json_integer_value(jgid) : 1u,
				 (long long)json_integer_value(jsid));
			return -ENOENT;
		}
		json_array_append_new(list, rule_json(ruleset_rule(rs, (size_t)idx)));
	} else {
		for (size_t i = 0; i < n && (limit < 0 || (json_int_t)i < limit); i++)
			json_array_append_new(list, rule_json(ruleset_rule(rs, i)));
	}
	json_object_set_new(res, "total", json_integer((json_int_t)n));
	*ret_result = res;
	return 0;
}

static const struct control_arg list_args[] = {
	{ "sid", JSON_INTEGER, false },
	{ "gid", JSON_INTEGER, false },
	{ "limit", JSON_INTEGER, false },
	{},
};

int ruledir_register_commands(struct ruledir *rd, struct control *c)
{
	int r = control_register(c, "rules.status", cmd_status, rd, NULL);

	if (r >= 0)
		r = control_register(c, "rules.reload", cmd_reload, rd, NULL);
	if (r >= 0)
		r = control_register(c, "rules.list", cmd_list, rd, list_args);
	return r;
}

void ruledir_metrics_collect(void *ctx, struct metrics_writer *w)
{
	const struct ruledir *rd = ctx;
	const struct ruledir_stats *st = &rd->stats;

	metrics_family(w, "moat_rules_loaded", METRICS_GAUGE, "Rules in the running ruleset.");
	metrics_sample(w, (double)st->rules_loaded, NULL);
	metrics_family(w, "moat_rules_skipped", METRICS_GAUGE,
		       "Rules of the running ruleset's files that were skipped, by reason.");
	metrics_sample(w, (double)st->rules_unsupported, "reason", "unsupported", NULL);
	metrics_sample(w, (double)st->rules_invalid, "reason", "invalid", NULL);
	metrics_family(w, "moat_rules_generation", METRICS_GAUGE,
		       "Generation of the running ruleset (1 = loaded at start).");
	metrics_sample(w, (double)st->generation, NULL);
	metrics_family(w, "moat_rules_reloads_total", METRICS_COUNTER,
		       "Rule compiles that installed a ruleset, the one at start included.");
	metrics_sample(w, (double)st->reloads, NULL);
	metrics_family(w, "moat_rules_reload_failures_total", METRICS_COUNTER,
		       "Rule reloads that failed as a whole (the running ruleset was kept).");
	metrics_sample(w, (double)st->failures, NULL);
	metrics_family(w, "moat_rules_reload_duration_seconds", METRICS_GAUGE,
		       "Duration of the last rule compile.");
	metrics_sample(w, st->last_duration_s, NULL);
	metrics_family(w, "moat_rules_reload_seconds_total", METRICS_COUNTER,
		       "Time spent compiling rules, all reloads.");
	metrics_sample(w, st->duration_total_s, NULL);
}
