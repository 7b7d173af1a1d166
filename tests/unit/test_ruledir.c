// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for policyd/ruledir: a temporary rule directory is created, edited, broken and
 * hammered while the watcher runs; the test plays the daemon (its install callback keeps the
 * current ruleset) and, in the last tests, the control socket's client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "policyd/control.h"
#include "policyd/ruledir.h"
#include "cli/ctl_client.h"

struct daemon_sim {
	struct ruleset *current;
	unsigned int installs;
};

static int install(void *ctx, struct ruleset *rs)
{
	struct daemon_sim *d = ctx;

	ruleset_free(d->current); /* the real daemon defers this until workers let go */
	d->current = rs;
	d->installs++;
	return 0;
}

struct fixture {
	char dir[64]; /* the temp root */
	char rules[96]; /* root/rules.d */
	char cache[96];
	struct daemon_sim d;
	struct ruledir *rd;
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

static const char *rule(uint32_t sid, const char *content)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, 256,
		 "alert http any any -> any any (msg:\"test %u\"; content:\"%s\"; http_uri; "
		 "sid:%u; rev:1;)\n",
		 sid, content, sid);
	return b;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/moat-ruledir-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rules, sizeof(f->rules), "%s/rules.d", f->dir);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	assert_int_equal(mkdir(f->rules, 0755), 0);
	assert_int_equal(mkdir(f->cache, 0755), 0);
	*state = f;
	return 0;
}

static void rm_rf(const char *path)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ruledir_free(f->rd);
	ruleset_free(f->d.current);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static void start_debounce(struct fixture *f, const char *const *paths, size_t n, const char *cache,
			   unsigned int debounce_ms)
{
	struct ruledir_opts o = { .dir = f->rules,
				  .paths = paths,
				  .n_paths = n,
				  .cache_dir = cache,
				  .debounce_ms = debounce_ms };
	char err[256];

	assert_int_equal(ruledir_new(&o, install, &f->d, &f->rd, err, sizeof(err)), 0);
	assert_int_equal(ruledir_load_sync(f->rd, err, sizeof(err)), 0);
}

static void start(struct fixture *f, const char *const *paths, size_t n, const char *cache)
{
	start_debounce(f, paths, n, cache, 150);
}

/* Run the loop until `installs + failures` reaches want (or 10 s pass). */
static void pump_until(struct fixture *f, uint64_t want)
{
	struct ruledir_stats st;

	for (int i = 0; i < 1000; i++) {
		struct pollfd p = { .fd = ruledir_fd(f->rd), .events = POLLIN };

		ruledir_get_stats(f->rd, &st);
		if (st.reloads + st.failures >= want && !st.running)
			return;
		poll(&p, 1, 10);
		assert_int_equal(ruledir_dispatch(f->rd), 0);
	}
	fail_msg("no reload: %llu reloads, %llu failures, want %llu",
		 (unsigned long long)st.reloads, (unsigned long long)st.failures,
		 (unsigned long long)want);
}

/* Run the loop for ms milliseconds. */
static void pump_for(struct fixture *f, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = ruledir_fd(f->rd), .events = POLLIN };

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return;
		poll(&p, 1, 10);
		assert_int_equal(ruledir_dispatch(f->rd), 0);
	}
}

static bool has_sid(const struct fixture *f, uint32_t sid)
{
	return ruleset_find(ruledir_current(f->rd), 1, sid) >= 0;
}

static void test_ruledir_loads_directory_in_lexical_order(void **state)
{
	struct fixture *f = *state;
	char both[512];
	struct ruledir_stats st;

	snprintf(both, sizeof(both), "%s%s", rule(2001, "/b1"), rule(2002, "/b2"));
	write_file(f->rules, "20-b.rules", both);
	write_file(f->rules, "10-a.rules", rule(1001, "/a"));
	write_file(f->rules, "notes.txt", "not a rule file\n");
	start(f, NULL, 0, NULL);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.reloads, 1);
	assert_int_equal(st.generation, 1);
	assert_int_equal(st.rules_loaded, 3);
	assert_int_equal(f->d.installs, 1);
	assert_ptr_equal(ruledir_current(f->rd), f->d.current);
	/* lexical order: 10-a before 20-b, so sid 1001 is rule 0 */
	assert_int_equal(ruleset_rule(f->d.current, 0)->sid, 1001);

	json_t *s = ruledir_status_json(f->rd);
	json_t *files = json_object_get(json_object_get(s, "installed"), "files");
	assert_int_equal(json_array_size(files), 2);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(files, 0), "path")),
			       "10-a.rules"));
	assert_true(json_is_true(json_object_get(s, "dir_present")));
	json_t *last = json_object_get(s, "last_reload");
	assert_string_equal(json_string_value(json_object_get(last, "trigger")), "startup");
	assert_true(json_is_true(json_object_get(last, "ok")));
	assert_int_equal(json_integer_value(json_object_get(last, "loaded")), 3);
	json_decref(s);
}

static void test_ruledir_create_modify_delete_each_reload(void **state)
{
	struct fixture *f = *state;

	write_file(f->rules, "a.rules", rule(1001, "/a"));
	start(f, NULL, 0, NULL);
	assert_false(has_sid(f, 1002));

	write_file(f->rules, "b.rules", rule(1002, "/b"));
	pump_until(f, 2);
	assert_true(has_sid(f, 1002));

	write_file(f->rules, "b.rules", rule(1003, "/c"));
	pump_until(f, 3);
	assert_false(has_sid(f, 1002));
	assert_true(has_sid(f, 1003));

	remove_file(f->rules, "b.rules");
	pump_until(f, 4);
	assert_false(has_sid(f, 1003));
	assert_true(has_sid(f, 1001));

	/* rename into place (how editors and package managers write) */
	write_file(f->dir, "staged.tmp", rule(1004, "/d"));
	char from[256], to[256];
	snprintf(from, sizeof(from), "%s/staged.tmp", f->dir);
	snprintf(to, sizeof(to), "%s/d.rules", f->rules);
	assert_int_equal(rename(from, to), 0);
	pump_until(f, 5);
	assert_true(has_sid(f, 1004));

	struct ruledir_stats st;
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.generation, 5);
	assert_int_equal(st.failures, 0);
	json_t *s = ruledir_status_json(f->rd);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(s, "last_reload"), "trigger")),
		"watch");
	json_decref(s);
}

static void test_ruledir_burst_of_changes_is_one_reload(void **state)
{
	struct fixture *f = *state;
	struct ruledir_stats st;

	/* 30 files written back to back, each well inside the 400 ms quiet period */
	start_debounce(f, NULL, 0, NULL, 400);
	for (int i = 0; i < 30; i++) {
		char name[32], uri[32];

		snprintf(name, sizeof(name), "r%02d.rules", i);
		snprintf(uri, sizeof(uri), "/burst%d", i);
		write_file(f->rules, name, rule(5000 + (uint32_t)i, uri));
	}
	pump_until(f, 2);
	pump_for(f, 1000); /* well past the debounce: nothing else comes */
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.reloads, 2);
	assert_int_equal(st.rules_loaded, 30);
	assert_true(st.watch_events >= 30);
}

static void test_ruledir_ignores_non_rule_files(void **state)
{
	struct fixture *f = *state;
	struct ruledir_stats st;

	start(f, NULL, 0, NULL);
	write_file(f->rules, "README", "hello\n");
	write_file(f->rules, ".a.rules.swp", "swap\n");
	write_file(f->rules, "x.rules~", "backup\n");
	pump_for(f, 500);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.reloads, 1);
	assert_int_equal(st.watch_events, 0);
}

static void test_ruledir_broken_file_reported_rest_loaded(void **state)
{
	struct fixture *f = *state;
	char text[1024];
	struct ruledir_stats st;

	write_file(f->rules, "a.rules", rule(1001, "/a"));
	start(f, NULL, 0, NULL);
	snprintf(text, sizeof(text), "%s%s%s", rule(3001, "/ok1"),
		 "alert http any any -> any any (msg:\"broken\"; content:; sid:3002;)\n",
		 rule(3003, "/ok2"));
	write_file(f->rules, "b.rules", text);
	pump_until(f, 2);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.rules_loaded, 3);
	assert_int_equal(st.rules_invalid, 1);
	assert_true(has_sid(f, 3001) && has_sid(f, 3003) && has_sid(f, 1001));
	assert_false(has_sid(f, 3002));

	json_t *s = ruledir_status_json(f->rd);
	json_t *last = json_object_get(s, "last_reload");
	json_t *p0 = json_array_get(json_object_get(last, "problems"), 0);
	char want[256];

	snprintf(want, sizeof(want), "%s/b.rules:2: sid 3002: ", f->rules);
	assert_non_null(p0);
	if (strncmp(json_string_value(json_object_get(p0, "text")), want, strlen(want)))
		fail_msg("problem text \"%s\" does not start with \"%s\"",
			 json_string_value(json_object_get(p0, "text")), want);
	assert_string_equal(json_string_value(json_object_get(p0, "kind")), "invalid");
	assert_int_equal(json_integer_value(json_object_get(p0, "line")), 2);
	assert_int_equal(json_integer_value(json_object_get(last, "invalid")), 1);
	json_decref(s);
}

static void test_ruledir_total_failure_keeps_running_rules(void **state)
{
	struct fixture *f = *state;
	char extra[256];
	const char *paths[1] = { extra };
	struct ruledir_stats st;
	const struct ruleset *before;

	snprintf(extra, sizeof(extra), "%s/extra.rules", f->dir);
	write_file(f->dir, "extra.rules", rule(4001, "/x"));
	start(f, paths, 1, NULL);
	assert_true(has_sid(f, 4001));
	before = f->d.current;

	remove_file(f->dir, "extra.rules"); /* an -S path vanishes: the load fails */
	pump_until(f, 2);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.reloads, 1);
	assert_ptr_equal(f->d.current, before); /* still the old one, still working */
	assert_true(has_sid(f, 4001));
	json_t *s = ruledir_status_json(f->rd);
	json_t *last = json_object_get(s, "last_reload");
	assert_true(json_is_false(json_object_get(last, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(last, "error")), "extra.rules"));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(s, "installed"), "generation")),
		1);
	json_decref(s);

	/* it comes back: the watch on its directory sees it */
	write_file(f->dir, "extra.rules", rule(4002, "/y"));
	pump_until(f, 3);
	assert_true(has_sid(f, 4002));
}

static void test_ruledir_reload_requests_coalesce(void **state)
{
	struct fixture *f = *state;
	uint64_t g1 = 0, g2 = 0, g3 = 0;
	struct ruledir_stats st;

	write_file(f->rules, "a.rules", rule(1001, "/a"));
	start(f, NULL, 0, NULL);
	assert_int_equal(ruledir_reload(f->rd, RULEDIR_TRIGGER_SIGNAL, &g1), 0);
	assert_int_equal(ruledir_reload(f->rd, RULEDIR_TRIGGER_COMMAND, &g2), 0);
	assert_int_equal(ruledir_reload(f->rd, RULEDIR_TRIGGER_COMMAND, &g3), 0);
	assert_int_equal(g1, 2);
	assert_int_equal(g2, 3);
	assert_int_equal(g3, 3); /* joins the queued one */
	pump_until(f, 3);
	pump_for(f, 100);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.generation, 3);
	assert_int_equal(st.reloads, 3);
}

static void test_ruledir_cache_dir_reused(void **state)
{
	struct fixture *f = *state;
	uint64_t g;

	write_file(f->rules, "a.rules", rule(1001, "/cached-pattern"));
	start(f, NULL, 0, f->cache);
	json_t *s = ruledir_status_json(f->rd);
	json_t *cache = json_object_get(json_object_get(s, "last_reload"), "cache");
	assert_true(json_integer_value(json_object_get(cache, "misses")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(cache, "hits")), 0);
	json_decref(s);
	assert_int_equal(ruledir_reload(f->rd, RULEDIR_TRIGGER_COMMAND, &g), 0);
	pump_until(f, 2);
	s = ruledir_status_json(f->rd);
	cache = json_object_get(json_object_get(s, "last_reload"), "cache");
	assert_true(json_integer_value(json_object_get(cache, "hits")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(cache, "misses")), 0);
	json_decref(s);
}

static void test_ruledir_missing_dir_created_later_is_watched(void **state)
{
	struct fixture *f = *state;
	struct ruledir_stats st;

	/* the configured rules directory does not exist yet */
	rm_rf(f->rules);
	start(f, NULL, 0, NULL);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.rules_loaded, 0);
	json_t *s = ruledir_status_json(f->rd);
	assert_true(json_is_false(json_object_get(s, "dir_present")));
	json_decref(s);

	assert_int_equal(mkdir(f->rules, 0755), 0); /* seen through the parent's watch */
	pump_until(f, 2);
	write_file(f->rules, "a.rules", rule(6001, "/late")); /* seen through its own watch */
	pump_until(f, 3);
	assert_true(has_sid(f, 6001));
}

static void test_ruledir_path_deleted_and_recreated_is_watched_again(void **state)
{
	struct fixture *f = *state;
	char extra[256];
	const char *paths[1] = { extra };
	struct ruledir_stats st;

	snprintf(extra, sizeof(extra), "%s/extra.d", f->dir);
	assert_int_equal(mkdir(extra, 0755), 0);
	write_file(extra, "x.rules", rule(7001, "/x"));
	start(f, paths, 1, NULL);
	assert_true(has_sid(f, 7001));

	rm_rf(extra); /* the reload fails as a whole; sid 7001 stays */
	pump_until(f, 2);
	ruledir_get_stats(f->rd, &st);
	assert_int_equal(st.failures, 1);
	assert_true(has_sid(f, 7001));

	assert_int_equal(mkdir(extra, 0755), 0);
	pump_until(f, 3);
	write_file(extra, "y.rules", rule(7002, "/y"));
	pump_until(f, 4);
	assert_true(has_sid(f, 7002));
	assert_false(has_sid(f, 7001));
}

/* ---- through the control socket ---- */

struct loop {
	struct fixture *f;
	struct control *c;
	int stop[2];
	pthread_t t;
};

static void *loop_run(void *arg)
{
	struct loop *l = arg;

	for (;;) {
		struct pollfd p[3] = { { .fd = control_fd(l->c), .events = POLLIN },
				       { .fd = ruledir_fd(l->f->rd), .events = POLLIN },
				       { .fd = l->stop[0], .events = POLLIN } };

		poll(p, 3, 1000);
		if (p[2].revents)
			return NULL;
		if (p[0].revents)
			control_dispatch(l->c);
		if (p[1].revents)
			ruledir_dispatch(l->f->rd);
	}
}

static json_t *call(const char *sock, const char *cmd, json_t *args, int want)
{
	json_t *res = NULL;
	char err[512];
	int r = ctl_client_call(sock, cmd, args, &res, err, sizeof(err));

	json_decref(args);
	if (r != want)
		fail_msg("%s: %d (%s), want %d", cmd, r, err, want);
	return res;
}

static void test_ruledir_commands_over_control_socket(void **state)
{
	struct fixture *f = *state;
	struct loop l = { .f = f };
	char sock[128], err[256], text[1024];
	struct control_opts o = { .path = sock };

	write_file(f->rules, "a.rules", rule(1001, "/a"));
	start(f, NULL, 0, NULL);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", f->dir);
	assert_int_equal(control_new(&o, &l.c, err, sizeof(err)), 0);
	assert_int_equal(ruledir_register_commands(f->rd, l.c), 0);
	assert_int_equal(pipe(l.stop), 0);
	assert_int_equal(pthread_create(&l.t, NULL, loop_run, &l), 0);

	json_t *r = call(sock, "rules.list", json_pack("{s:i}", "sid", 1001), 0);
	json_t *r0 = json_array_get(json_object_get(r, "rules"), 0);
	assert_int_equal(json_integer_value(json_object_get(r0, "sid")), 1001);
	assert_string_equal(json_string_value(json_object_get(r0, "msg")), "test 1001");
	assert_string_equal(json_string_value(json_object_get(r0, "action")), "alert");
	json_decref(r);
	json_decref(call(sock, "rules.list", json_pack("{s:i}", "sid", 999), -EREMOTEIO));
	json_decref(call(sock, "rules.list", json_pack("{s:s}", "sid", "1"), -EREMOTEIO));

	/* a broken file, then rules.reload, then poll rules.status until it is done */
	snprintf(text, sizeof(text), "%s%s", rule(1002, "/b"),
		 "alert http any any -> any any (msg:\"x\"; pcre:\"/(/\"; sid:1003;)\n");
	write_file(f->rules, "b.rules", text);
	r = call(sock, "rules.reload", NULL, 0);
	json_int_t gen = json_integer_value(json_object_get(r, "generation"));
	json_decref(r);
	assert_true(gen >= 2);
	for (int i = 0; i < 500; i++) {
		r = call(sock, "rules.status", NULL, 0);
		json_t *last = json_object_get(r, "last_reload");

		if (json_integer_value(json_object_get(last, "generation")) >= gen &&
		    json_is_false(json_object_get(r, "running")))
			break;
		json_decref(r);
		r = NULL;
		usleep(10000);
	}
	assert_non_null(r);
	json_t *last = json_object_get(r, "last_reload");
	assert_true(json_is_true(json_object_get(last, "ok")));
	assert_int_equal(json_integer_value(json_object_get(last, "invalid")), 1);
	assert_non_null(
		strstr(json_string_value(json_object_get(
			       json_array_get(json_object_get(last, "problems"), 0), "text")),
		       "b.rules:2: sid 1003"));
	json_decref(r);
	r = call(sock, "rules.list", NULL, 0);
	assert_int_equal(json_array_size(json_object_get(r, "rules")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "total")), 2);
	json_decref(r);

	assert_int_equal(write(l.stop[1], "x", 1), 1);
	pthread_join(l.t, NULL);
	close(l.stop[0]);
	close(l.stop[1]);
	control_free(l.c);
}

/* Wait over the socket until the reload of generation gen is done; returns its last_reload. */
static json_t *wait_gen(const char *sock, json_int_t gen)
{
	for (int i = 0; i < 500; i++) {
		json_t *r = call(sock, "rules.status", NULL, 0);
		json_t *last = json_object_get(r, "last_reload");

		if (json_integer_value(json_object_get(last, "generation")) >= gen &&
		    json_is_false(json_object_get(r, "running")))
			return r;
		json_decref(r);
		usleep(10000);
	}
	fail_msg("generation %lld not reached", (long long)gen);
	return NULL;
}

static void loop_start(struct fixture *f, struct loop *l, char *sock, size_t len)
{
	struct control_opts o = { .path = sock };
	char err[256];

	snprintf(sock, len, "%s/ctl.sock", f->dir);
	l->f = f;
	assert_int_equal(control_new(&o, &l->c, err, sizeof(err)), 0);
	assert_int_equal(ruledir_register_commands(f->rd, l->c), 0);
	assert_int_equal(pipe(l->stop), 0);
	assert_int_equal(pthread_create(&l->t, NULL, loop_run, l), 0);
}

static void loop_stop(struct loop *l)
{
	assert_int_equal(write(l->stop[1], "x", 1), 1);
	pthread_join(l->t, NULL);
	close(l->stop[0]);
	close(l->stop[1]);
	control_free(l->c);
}

static void start_disabled(struct fixture *f, const char *file)
{
	struct ruledir_opts o = { .dir = f->rules, .debounce_ms = 150, .disabled_file = file };
	char err[256];

	assert_int_equal(ruledir_new(&o, install, &f->d, &f->rd, err, sizeof(err)), 0);
	assert_int_equal(ruledir_load_sync(f->rd, err, sizeof(err)), 0);
}

static bool listed_enabled(const char *sock, uint32_t sid)
{
	json_t *r = call(sock, "rules.list", json_pack("{s:i}", "sid", (int)sid), 0);
	bool on = json_is_true(
		json_object_get(json_array_get(json_object_get(r, "rules"), 0), "enabled"));

	json_decref(r);
	return on;
}

static void test_ruledir_disable_enable_persist(void **state)
{
	struct fixture *f = *state;
	struct loop l = { 0 };
	char sock[128], file[128], text[512];
	json_t *r;
	json_int_t gen;

	snprintf(file, sizeof(file), "%s/state/disabled-rules.json", f->dir);
	snprintf(text, sizeof(text), "%s%s", rule(1001, "/a"), rule(1002, "/b"));
	write_file(f->rules, "a.rules", text);
	start_disabled(f, file);
	loop_start(f, &l, sock, sizeof(sock));

	r = call(sock, "rules.disable", json_pack("{s:i}", "sid", 1001), 0);
	assert_true(json_is_true(json_object_get(r, "changed")));
	assert_true(json_is_false(json_object_get(r, "enabled")));
	gen = json_integer_value(json_object_get(r, "generation"));
	json_decref(r);
	r = wait_gen(sock, gen);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "installed"), "disabled")),
		1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(r, "disabled"), 0), "sid")),
			 1001);
	json_decref(r);
	assert_false(listed_enabled(sock, 1001)); /* listed from the saved record */
	assert_true(listed_enabled(sock, 1002));
	r = call(sock, "rules.disable", json_pack("{s:i}", "sid", 1001), 0);
	assert_true(json_is_false(json_object_get(r, "changed"))); /* twice: nothing to do */
	json_decref(r);
	json_decref(call(sock, "rules.disable", json_pack("{s:i}", "sid", 999), -EREMOTEIO));
	json_decref(call(sock, "rules.enable", json_pack("{s:i}", "sid", 999), -EREMOTEIO));
	json_decref(call(sock, "rules.disable", json_pack("{s:I}", "sid", (json_int_t)1 << 33),
			 -EREMOTEIO));
	json_decref(call(sock, "rules.disable", NULL, -EREMOTEIO)); /* sid is required */
	loop_stop(&l);

	/* a restart reads the file: 1001 stays out */
	ruledir_free(f->rd);
	f->rd = NULL;
	start_disabled(f, file);
	assert_false(has_sid(f, 1001));
	assert_true(has_sid(f, 1002));
	loop_start(f, &l, sock, sizeof(sock));
	r = call(sock, "rules.enable", json_pack("{s:i}", "sid", 1001), 0);
	assert_true(json_is_true(json_object_get(r, "changed")));
	gen = json_integer_value(json_object_get(r, "generation"));
	json_decref(r);
	json_decref(wait_gen(sock, gen));
	assert_true(listed_enabled(sock, 1001));
	loop_stop(&l);
	assert_true(has_sid(f, 1001));

	/* a damaged file does not stop the start: every rule enabled */
	ruledir_free(f->rd);
	f->rd = NULL;
	write_file(f->dir, "state/disabled-rules.json", "{\"version\":1,\"disabled\":[{]}");
	start_disabled(f, file);
	assert_true(has_sid(f, 1001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ruledir_loads_directory_in_lexical_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_create_modify_delete_each_reload,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_burst_of_changes_is_one_reload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_ignores_non_rule_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_broken_file_reported_rest_loaded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_total_failure_keeps_running_rules,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_reload_requests_coalesce, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_cache_dir_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_missing_dir_created_later_is_watched,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ruledir_path_deleted_and_recreated_is_watched_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_commands_over_control_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ruledir_disable_enable_persist, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
