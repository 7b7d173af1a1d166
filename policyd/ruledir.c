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
#include "ruledisable.h"

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
	uint32_t *disabled; /* the operator's disabled rule ids, sorted (a copy) */
	size_t n_disabled;
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

	struct rule_disable_set disabled; /* rules.disable: left out of every compile */
	char *disabled_file; /* where they persist; NULL: memory only */
	ruledir_alerts_fn alerts; /* rules.list's alert counts */
	void *alerts_ctx;
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
	free(j->disabled);
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
	struct ruleset_opts o = { .vars = j->vars,
				  .cache_dir = j->cache_dir,
				  .disabled = j->disabled,
				  .n_disabled = j->n_disabled };
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
	last = json_pack("{s:I, s:s, s:s, s:f, s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:o*, s:I, "
			 "s:{s:I, s:I, s:I}}",
			 "generation", (json_int_t)j->generation, "trigger",
			 trigger_name(j->trigger), "started", started, "duration_s", j->duration_s,
			 "ok", j->r >= 0, "error", j->r < 0 ? j->err : NULL, "loaded",
			 (json_int_t)rst.loaded, "unsupported", (json_int_t)rst.unsupported,
			 "invalid", (json_int_t)rst.invalid, "disabled", (json_int_t)rst.disabled,
			 "files", (json_int_t)json_array_size(files), "problems", problems,
			 "problems_total", (json_int_t)total, "cache", "hits",
			 (json_int_t)rst.cache_hits, "misses", (json_int_t)rst.cache_misses,
			 "errors", (json_int_t)rst.cache_errors);
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
				"{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:o*}", "generation",
				(json_int_t)j->generation, "installed", started, "loaded",
				(json_int_t)rst.loaded, "unsupported", (json_int_t)rst.unsupported,
				"invalid", (json_int_t)rst.invalid, "disabled",
				(json_int_t)rst.disabled, "fast_patterns",
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
	j->disabled = rule_disable_ids(&rd->disabled, &j->n_disabled);
	if (rd->disabled.n && !j->disabled)
		return NULL;
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
	if (o->disabled_file) {
		char derr[512];

		rd->disabled_file = strdup(o->disabled_file);
		if (!rd->disabled_file) {
			r = -ENOMEM;
			goto fail;
		}
		/* A damaged file must not stop the daemon: its rules stay enabled (logged). */
		r = rule_disable_load(&rd->disabled, rd->disabled_file, derr, sizeof(derr));
		if (r == -ENOMEM)
			goto fail;
		if (r < 0)
			log_err("disabled rules not restored: %s (every rule is enabled; `fwctl "
				"rules disable` rewrites the file)",
				derr);
		else if (rd->disabled.n)
			log_info("rules: %zu disabled by the operator (%s)", rd->disabled.n,
				 rd->disabled_file);
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
	rule_disable_done(&rd->disabled);
	free(rd->disabled_file);
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
	return json_pack("{s:s?, s:b, s:o*, s:I, s:b, s:b, s:I, s:I, s:f, s:O?, s:O?, s:o*, s:s?}",
			 "dir", rd->dir, "dir_present",
			 rd->dir && stat(rd->dir, &st) == 0 && S_ISDIR(st.st_mode), "paths", paths,
			 "generation", (json_int_t)rd->stats.generation, "running",
			 rd->running != NULL, "pending", rd->pending, "reloads",
			 (json_int_t)rd->stats.reloads, "failures", (json_int_t)rd->stats.failures,
			 "duration_total_s", rd->stats.duration_total_s, "installed", rd->installed,
			 "last_reload", rd->last, "disabled", rule_disable_json(&rd->disabled),
			 "disabled_file", rd->disabled_file);
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

/* ---- rules.list, rules.disable, rules.enable ---- */

void ruledir_set_alert_source(struct ruledir *rd, ruledir_alerts_fn fn, void *ctx)
{
	rd->alerts = fn;
	rd->alerts_ctx = ctx;
}

/* Cap of the (sid, alerts) pairs rules.list asks for (bans.h counts at most 4096 rules). */
#define LIST_ALERT_COUNTS_MAX 8192

static int cmp_alert_count(const void *a, const void *b)
{
	const struct ruledir_alert_count *x = a, *y = b;

	return x->sid < y->sid ? -1 : x->sid > y->sid;
}

struct list_query {
	const struct ruledir *rd;
	uint32_t sid, gid; /* 0: any */
	json_int_t limit; /* < 0: no limit */
	size_t seen; /* rules matching the filter */
	struct ruledir_alert_count *counts;
	size_t n_counts;
	bool *in_current; /* per disabled entry: the running ruleset still has the rule */
	json_t *arr;
	int err;
};

static uint64_t alerts_of(const struct list_query *q, uint32_t sid)
{
	struct ruledir_alert_count key = { .sid = sid }, *c;

	c = q->n_counts ? bsearch(&key, q->counts, q->n_counts, sizeof(key), cmp_alert_count) :
			  NULL;
	return c ? c->alerts : 0;
}

static json_t *desc_json(const struct rule_desc *d, bool enabled, uint64_t alerts)
{
	json_t *o = json_pack(
		"{s:s, s:I, s:s, s:i, s:s, s:s, s:I, s:b, s:I}", "kind", rule_kind_name(d->kind),
		"sid", (json_int_t)d->sid, "action", d->action ? d->action : "?", "priority",
		d->priority, "msg", d->msg ? d->msg : "", "file", d->file ? d->file : "?", "line",
		(json_int_t)d->line, "enabled", enabled, "alerts", (json_int_t)alerts);

	if (o && d->kind == RULE_KIND_SURICATA) {
		json_object_set_new(o, "gid", json_integer((json_int_t)d->gid));
		json_object_set_new(o, "rev", json_integer((json_int_t)d->rev));
		if (d->classtype)
			json_object_set_new(o, "classtype", json_string(d->classtype));
		if (d->category)
			json_object_set_new(o, "category", json_string(d->category));
	}
	return o;
}

static bool list_add(struct list_query *q, const struct rule_desc *d, bool enabled)
{
	json_t *o;

	if (q->limit >= 0 && (json_int_t)json_array_size(q->arr) >= q->limit)
		return true;
	o = desc_json(d, enabled, alerts_of(q, d->sid));
	if (!o || json_array_append_new(q->arr, o) < 0) {
		q->err = -ENOMEM;
		return false;
	}
	return true;
}

static int list_cb(void *ctx, const struct rule_desc *d)
{
	struct list_query *q = ctx;
	/* a disabled id leaves a gid-1 Suricata rule and a SecRule out (ruleset_opts) */
	const struct rule_disabled *e = d->kind == RULE_KIND_SECRULE || d->gid == 1 ?
						rule_disable_find(&q->rd->disabled, d->sid) :
						NULL;
	bool enabled = !e;

	if (e && e->kind == d->kind && q->in_current)
		q->in_current[e - q->rd->disabled.v] = true;
	if (q->sid && (d->sid != q->sid || (q->gid && d->gid != q->gid)))
		return 0;
	q->seen++;
	return list_add(q, d, enabled) ? 0 : 1;
}

/* Loaded rules, then disabled ones the running ruleset no longer has (enabled: false). */
static int cmd_list(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ruledir *rd = ctx;
	const struct ruleset *rs = rd->current;
	json_t *jsid = json_object_get(args, "sid"), *jgid = json_object_get(args, "gid");
	json_t *jlimit = json_object_get(args, "limit");
	struct list_query q = { .rd = rd, .limit = jlimit ? json_integer_value(jlimit) : -1 };
	json_t *res;

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
	if (jlimit && q.limit < 0) {
		snprintf(err, errlen, "limit must not be negative");
		return -ERANGE;
	}
	if (!rs && !rd->disabled.n) {
		snprintf(err, errlen, "no ruleset is loaded");
		return -ENOENT;
	}
	q.sid = jsid ? (uint32_t)json_integer_value(jsid) : 0;
	q.gid = jgid ? (uint32_t)json_integer_value(jgid) : 0;
	if (rd->alerts) {
		q.counts = calloc(LIST_ALERT_COUNTS_MAX, sizeof(*q.counts));
		if (!q.counts)
			return -ENOMEM;
		q.n_counts = rd->alerts(rd->alerts_ctx, q.counts, LIST_ALERT_COUNTS_MAX);
		qsort(q.counts, q.n_counts, sizeof(*q.counts), cmp_alert_count);
	}
	q.arr = json_array();
	q.in_current = calloc(rd->disabled.n ? rd->disabled.n : 1, sizeof(*q.in_current));
	if (q.arr && q.in_current && rs)
		ruleset_foreach_rule(rs, list_cb, &q);
	for (size_t i = 0; q.arr && q.in_current && !q.err && i < rd->disabled.n; i++) {
		const struct rule_disabled *e = &rd->disabled.v[i];
		struct rule_desc d = { .kind = e->kind,
				       .gid = e->kind == RULE_KIND_SURICATA ? 1 : 0,
				       .sid = e->sid,
				       .action = "-",
				       .priority = 0,
				       .msg = e->msg,
				       .file = e->file,
				       .line = e->line };

		if (q.in_current[i])
			continue; /* listed above; the reload without it has not finished */
		if (q.sid && (e->sid != q.sid || (q.gid && d.gid != q.gid)))
			continue;
		q.seen++;
		list_add(&q, &d, false);
	}
	free(q.counts);
	if (!q.in_current)
		q.err = -ENOMEM;
	free(q.in_current);
	if (!q.arr || q.err) {
		json_decref(q.arr);
		return -ENOMEM;
	}
	if (q.sid && !q.seen) {
		json_decref(q.arr);
		if (q.gid && q.gid != 1)
			snprintf(err, errlen, "no rule %u:%u in the running ruleset", q.gid, q.sid);
		else
			snprintf(err, errlen, "no rule %u in the running ruleset", q.sid);
		return -ENOENT;
	}
	res = json_pack("{s:I, s:I, s:I, s:o}", "generation", (json_int_t)rd->stats.generation,
			"total", (json_int_t)q.seen, "disabled", (json_int_t)rd->disabled.n,
			"rules", q.arr);
	if (!res)
		return -ENOMEM;
	*ret_result = res;
	return 0;
}

static int sid_arg(json_t *args, uint32_t *ret, char *err, size_t errlen)
{
	json_int_t v = json_integer_value(json_object_get(args, "sid"));

	if (v < 1 || v > UINT32_MAX) {
		snprintf(err, errlen, "sid %lld out of range (1-4294967295)", (long long)v);
		return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* Persist the set and start the reload that applies it. */
static int apply_disabled(struct ruledir *rd, uint64_t *ret_gen, char *err, size_t errlen)
{
	int r;

	if (rd->disabled_file) {
		r = rule_disable_save(&rd->disabled, rd->disabled_file, err, errlen);
		if (r < 0)
			return r;
	}
	r = ruledir_reload(rd, RULEDIR_TRIGGER_COMMAND, ret_gen);
	if (r < 0)
		snprintf(err, errlen, "saved, but cannot start the reload: %s", strerror(-r));
	return r;
}

static int change_reply(json_t **ret_result, uint32_t sid, bool enabled, bool changed, uint64_t gen)
{
	*ret_result = json_pack("{s:I, s:b, s:b, s:I}", "sid", (json_int_t)sid, "enabled", enabled,
				"changed", changed, "generation", (json_int_t)gen);
	return *ret_result ? 0 : -ENOMEM;
}

static int cmd_disable(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ruledir *rd = ctx;
	struct rule_desc d;
	uint64_t gen = 0;
	uint32_t sid;
	int r = sid_arg(args, &sid, err, errlen);

	if (r < 0)
		return r;
	if (rule_disable_find(&rd->disabled, sid))
		return change_reply(ret_result, sid, false, false, rd->stats.generation);
	if (!rd->current || ruleset_lookup(rd->current, sid, &d) < 0) {
		snprintf(err, errlen, "no rule %u in the running ruleset", sid);
		return -ENOENT;
	}
	r = rule_disable_add(&rd->disabled, &d, (int64_t)time(NULL));
	if (r == -ENOSPC)
		snprintf(err, errlen, "%d rules are disabled already (the limit)",
			 RULE_DISABLE_MAX);
	if (r < 0)
		return r;
	r = apply_disabled(rd, &gen, err, errlen);
	if (r < 0) {
		rule_disable_remove(&rd->disabled, sid); /* nothing changed */
		return r;
	}
	log_info("rules: rule %u (%s:%u) disabled by the control socket; generation %llu "
		 "leaves it out",
		 sid, d.file, d.line, (unsigned long long)gen);
	return change_reply(ret_result, sid, false, true, gen);
}

static int cmd_enable(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ruledir *rd = ctx;
	const struct rule_disabled *e;
	_cleanup_free_ char *msg = NULL, *file = NULL;
	struct rule_desc d;
	int64_t since;
	uint64_t gen = 0;
	uint32_t sid;
	int r = sid_arg(args, &sid, err, errlen);

	if (r < 0)
		return r;
	e = rule_disable_find(&rd->disabled, sid);
	if (!e) {
		if (rd->current && ruleset_lookup(rd->current, sid, &d) == 0)
			return change_reply(ret_result, sid, true, false, rd->stats.generation);
		snprintf(err, errlen, "no rule %u in the running ruleset, and it is not disabled",
			 sid);
		return -ENOENT;
	}
	msg = strdup(e->msg);
	file = strdup(e->file);
	if (!msg || !file)
		return -ENOMEM;
	d = (struct rule_desc){
		.kind = e->kind, .sid = e->sid, .msg = msg, .file = file, .line = e->line
	};
	since = e->since;
	rule_disable_remove(&rd->disabled, sid);
	r = apply_disabled(rd, &gen, err, errlen);
	if (r < 0) {
		rule_disable_add(&rd->disabled, &d, since); /* nothing changed */
		return r;
	}
	log_info("rules: rule %u enabled by the control socket; generation %llu has it", sid,
		 (unsigned long long)gen);
	return change_reply(ret_result, sid, true, true, gen);
}

static const struct control_arg list_args[] = {
	{ "sid", JSON_INTEGER, false },
	{ "gid", JSON_INTEGER, false },
	{ "limit", JSON_INTEGER, false },
	{},
};

static const struct control_arg sid_args[] = {
	{ "sid", JSON_INTEGER, true },
	{},
};

int ruledir_register_commands(struct ruledir *rd, struct control *c)
{
	static const struct control_command cmds[] = {
		{ "rules.status", cmd_status, NULL },
		{ "rules.reload", cmd_reload, NULL },
		{ "rules.list", cmd_list, list_args },
		{ "rules.disable", cmd_disable, sid_args },
		{ "rules.enable", cmd_enable, sid_args },
		{},
	};

	return control_register_all(c, cmds, rd);
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
