// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for policyd/control (the control socket server) and cli/ctl_client, over a real
 * Unix socket in a temporary directory: the server runs its dispatch loop in a thread, the
 * tests talk to it as clients (well-behaved, byte-by-byte, pipelining, hostile).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "policyd/control.h"
#include "cli/ctl_client.h"

struct server {
	struct control *c;
	pthread_t thread;
	int stop[2];
	char dir[64];
	char path[128];
	uint64_t echo_calls;
};

static void *server_loop(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = control_fd(s->c), .events = POLLIN },
				       { .fd = s->stop[0], .events = POLLIN } };

		if (poll(p, 2, 1000) < 0)
			continue;
		if (p[1].revents)
			break;
		if (p[0].revents)
			assert_int_equal(control_dispatch(s->c), 0);
	}
	return NULL;
}

/* echo {x: integer (required), s: string, flag: boolean} -> {x, s, calls} */
static int cmd_echo(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct server *s = ctx;
	json_t *x = json_object_get(args, "x");

	s->echo_calls++;
	if (json_integer_value(x) < 0) {
		snprintf(err, errlen, "x must not be negative (got %lld)",
			 (long long)json_integer_value(x));
		return -ERANGE;
	}
	*ret_result = json_pack("{s:O, s:O?, s:I}", "x", x, "s", json_object_get(args, "s"),
				"calls", (json_int_t)s->echo_calls);
	return 0;
}

static const struct control_arg echo_args[] = {
	{ "x", JSON_INTEGER, true },
	{ "s", JSON_STRING, false },
	{ "flag", JSON_TRUE, false },
	{},
};

/* big {n: integer} -> {data: "aaaa..." of n bytes} */
static int cmd_big(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	size_t n = (size_t)json_integer_value(json_object_get(args, "n"));
	char *buf = malloc(n + 1);

	if (!buf)
		return -ENOMEM;
	memset(buf, 'a', n);
	buf[n] = '\0';
	*ret_result = json_pack("{s:s}", "data", buf);
	free(buf);
	return 0;
}

static const struct control_arg big_args[] = {
	{ "n", JSON_INTEGER, true },
	{},
};

/* ctlstats -> the server's control_stats (read in the server's own thread) */
static int cmd_ctlstats(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct server *s = ctx;
	struct control_stats st;

	control_get_stats(s->c, &st);
	*ret_result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "clients",
				(json_int_t)st.clients, "refused", (json_int_t)st.refused_clients,
				"oversize", (json_int_t)st.oversize, "bad_json",
				(json_int_t)st.bad_json, "idle_closed", (json_int_t)st.idle_closed,
				"write_errors", (json_int_t)st.write_errors, "accepted",
				(json_int_t)st.accepted, "too_big", (json_int_t)st.replies_too_big);
	return 0;
}

/* whoami -> the requesting client's credentials (control_peer), or {"peer":false} */
static int cmd_whoami(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct server *s = ctx;
	struct ucred uc;

	if (control_peer(s->c, &uc) < 0)
		*ret_result = json_pack("{s:b}", "peer", 0);
	else
		*ret_result = json_pack("{s:b, s:I, s:I}", "peer", 1, "pid", (json_int_t)uc.pid,
					"uid", (json_int_t)uc.uid);
	return 0;
}

static struct server *server_start(const struct control_opts *base)
{
	struct server *s = calloc(1, sizeof(*s));
	struct control_opts o = base ? *base : (struct control_opts){ 0 };
	char err[256];

	assert_non_null(s);
	strcpy(s->dir, "/tmp/moat-ctl-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/run/moatd.sock", s->dir);
	o.path = s->path;
	assert_int_equal(control_new(&o, &s->c, err, sizeof(err)), 0);
	assert_int_equal(control_register(s->c, "echo", cmd_echo, s, echo_args), 0);
	assert_int_equal(control_register(s->c, "big", cmd_big, s, big_args), 0);
	assert_int_equal(control_register(s->c, "ctlstats", cmd_ctlstats, s, NULL), 0);
	assert_int_equal(control_register(s->c, "whoami", cmd_whoami, s, NULL), 0);
	assert_int_equal(pipe(s->stop), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, server_loop, s), 0);
	return s;
}

static void server_stop(struct server *s)
{
	char run[160];

	assert_int_equal(write(s->stop[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	control_free(s->c);
	close(s->stop[0]);
	close(s->stop[1]);
	snprintf(run, sizeof(run), "%s/run", s->dir);
	assert_int_equal(rmdir(run), 0); /* the socket file is gone */
	assert_int_equal(rmdir(s->dir), 0);
	free(s);
}

static json_t *stats_of(struct server *s)
{
	json_t *res = NULL;
	char err[256];

	if (ctl_client_call(s->path, "ctlstats", NULL, &res, err, sizeof(err)) < 0)
		fail_msg("ctlstats: %s", err);
	return res;
}

static json_int_t stat_get(struct server *s, const char *key)
{
	json_t *st = stats_of(s);
	json_int_t v = json_integer_value(json_object_get(st, key));

	json_decref(st);
	return v;
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_send(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		assert_true(k > 0);
		p += k;
		n -= (size_t)k;
	}
}

/* Read one reply line (2 s timeout) and parse it. */
static json_t *raw_reply(int fd)
{
	static char buf[1 << 16];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		assert_int_equal(poll(&p, 1, 2000), 1);
		k = recv(fd, buf + len, 1, 0); /* byte by byte: never eat the next reply */
		assert_int_equal(k, 1);
		if (buf[len] == '\n')
			break;
		len++;
		assert_true(len < sizeof(buf));
	}
	json_t *j = json_loadb(buf, len, 0, NULL);

	assert_non_null(j);
	return j;
}

static const char *error_code(json_t *reply)
{
	assert_true(json_is_false(json_object_get(reply, "ok")));
	return json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
}

static void test_control_call_round_trip_and_commands_list(void **state)
{
	struct server *s = server_start(NULL);
	json_t *args = json_pack("{s:i, s:s, s:b}", "x", 42, "s", "h\xc3\xa9llo", "flag", 1);
	json_t *res = NULL;
	char err[256];
	struct stat st;

	assert_int_equal(stat(s->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(ctl_client_call(s->path, "echo", args, &res, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "x")), 42);
	assert_string_equal(json_string_value(json_object_get(res, "s")), "h\xc3\xa9llo");
	json_decref(res);
	json_decref(args);

	assert_int_equal(ctl_client_call(s->path, "commands", NULL, &res, err, sizeof(err)), 0);
	json_t *cmds = json_object_get(res, "commands");
	assert_int_equal(json_array_size(cmds), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cmds, 1), "name")),
			    "echo");
	json_t *x = json_object_get(json_object_get(json_array_get(cmds, 1), "args"), "x");
	assert_string_equal(json_string_value(json_object_get(x, "type")), "integer");
	assert_true(json_is_true(json_object_get(x, "required")));
	json_decref(res);
	server_stop(s);
}

/* A handler learns who asks (SO_PEERCRED): the daemon logs it with every policy change. */
static void test_control_peer_credentials(void **state)
{
	struct server *s = server_start(NULL);
	struct control *unbound;
	struct server us = { 0 };
	const char *line = "{\"v\":1,\"id\":1,\"cmd\":\"whoami\"}";
	json_t *res = NULL;
	char err[256], *reply = NULL;

	assert_int_equal(ctl_client_call(s->path, "whoami", NULL, &res, err, sizeof(err)), 0);
	assert_true(json_is_true(json_object_get(res, "peer")));
	assert_int_equal(json_integer_value(json_object_get(res, "pid")), getpid());
	assert_int_equal(json_integer_value(json_object_get(res, "uid")), getuid());
	json_decref(res);
	server_stop(s);

	/* no client outside the socket: control_handle_line() requests have no peer */
	assert_int_equal(control_new_unbound(&unbound), 0);
	us.c = unbound;
	assert_int_equal(control_register(unbound, "whoami", cmd_whoami, &us, NULL), 0);
	assert_int_equal(control_handle_line(unbound, line, strlen(line), &reply), 0);
	assert_non_null(strstr(reply, "\"peer\":false"));
	free(reply);
	control_free(unbound);
}

static void test_control_rejects_bad_requests_with_codes(void **state)
{
	struct server *s = server_start(NULL);
	static const struct {
		const char *line, *code, *msg_part;
	} cases[] = {
		{ "{\"v\":2,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":1}}", "EPROTONOSUPPORT",
		  "version 2" },
		{ "{\"id\":1,\"cmd\":\"echo\"}", "EINVAL", "\"v\"" },
		{ "{\"v\":1,\"cmd\":\"echo\"}", "EINVAL", "\"id\"" },
		{ "{\"v\":1,\"id\":\"7\",\"cmd\":\"echo\"}", "EINVAL", "\"id\"" },
		{ "{\"v\":1,\"id\":1}", "EINVAL", "\"cmd\"" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"nope\"}", "EOPNOTSUPP", "unknown command \"nope\"" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":[]}", "EINVAL", "\"args\"" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{}}", "EINVAL",
		  "missing argument \"x\"" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":\"1\"}}", "EINVAL",
		  "\"x\" must be an integer, not string" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":1,\"flag\":1}}", "EINVAL",
		  "\"flag\" must be a boolean" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":1,\"y\":1}}", "EINVAL",
		  "unknown argument \"y\"" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":-5}}", "ERANGE",
		  "must not be negative (got -5)" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"extra\":1}", "EINVAL", "unknown member" },
		{ "{\"v\":1,\"v\":1,\"id\":1,\"cmd\":\"echo\"}", "EBADMSG", "duplicate" },
		{ "[1,2,3]", "EINVAL", "JSON object" },
		{ "this is not json", "EBADMSG", "malformed request" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":1,\"s\":\"\xff\xfe\"}}",
		  "EBADMSG", "malformed" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":1,\"s\":\"a\\u0000b\"}}",
		  "EBADMSG", "malformed" },
	};
	int fd = raw_connect(s->path);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].line);
		json_t *r;
		const char *msg;

		raw_send(fd, cases[i].line, n);
		raw_send(fd, "\n", 1);
		r = raw_reply(fd);
		assert_int_equal(json_integer_value(json_object_get(r, "v")), 1);
		assert_string_equal(error_code(r), cases[i].code);
		msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
		if (!strstr(msg, cases[i].msg_part))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, msg,
				 cases[i].msg_part);
		json_decref(r);
	}
	/* a raw NUL byte inside the line */
	static const char nul[] = "{\"v\":1,\"id\":1,\"cmd\":\"ec\x00ho\"}\n";
	raw_send(fd, nul, sizeof(nul) - 1);
	json_t *nr = raw_reply(fd);
	assert_string_equal(error_code(nr), "EBADMSG");
	json_decref(nr);
	/* the connection survived every bad line */
	raw_send(fd, "{\"v\":1,\"id\":99,\"cmd\":\"echo\",\"args\":{\"x\":3}}\n", 44);
	json_t *r = raw_reply(fd);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 99);
	json_decref(r);
	close(fd);
	assert_int_equal(stat_get(s, "bad_json"), 5); /* dup, text, 0xff, \u0000, NUL */
	server_stop(s);
}

static void test_control_request_split_into_single_bytes(void **state)
{
	struct server *s = server_start(NULL);
	const char *req = "{\"v\":1,\"id\":5,\"cmd\":\"echo\",\"args\":{\"x\":7}}\r\n";
	int fd = raw_connect(s->path);

	for (const char *p = req; *p; p++) {
		struct timespec ts = { 0, 1000000 };

		raw_send(fd, p, 1);
		nanosleep(&ts, NULL);
	}
	json_t *r = raw_reply(fd);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "x")), 7);
	json_decref(r);
	close(fd);
	server_stop(s);
}

static void test_control_pipelined_requests_answered_in_order(void **state)
{
	struct server *s = server_start(NULL);
	char buf[64 * 64];
	size_t len = 0;
	int fd = raw_connect(s->path);

	for (int i = 0; i < 64; i++)
		len += (size_t)snprintf(
			buf + len, sizeof(buf) - len,
			"{\"v\":1,\"id\":%d,\"cmd\":\"echo\",\"args\":{\"x\":%d}}\n", i, i * 3);
	raw_send(fd, buf, len);
	shutdown(fd, SHUT_WR); /* replies still arrive after a half-close */
	for (int i = 0; i < 64; i++) {
		json_t *r = raw_reply(fd);

		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(r, "result"), "x")),
			i * 3);
		json_decref(r);
	}
	close(fd);
	server_stop(s);
}

static void test_control_oversize_request_refused_then_next_served(void **state)
{
	struct control_opts o = { .max_request = 1024 };
	struct server *s = server_start(&o);
	size_t n = 5000;
	char *big = malloc(n);
	int fd = raw_connect(s->path);

	memset(big, ' ', n);
	memcpy(big, "{\"v\":1,\"id\":1,\"cmd\":\"echo\",\"args\":{\"s\":\"", 40);
	raw_send(fd, big, n);
	raw_send(fd, "\"}}\n{\"v\":1,\"id\":2,\"cmd\":\"echo\",\"args\":{\"x\":1}}\n", 48);
	json_t *r = raw_reply(fd);
	assert_string_equal(error_code(r), "E2BIG");
	assert_non_null(
		strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
		       "limit of 1024 bytes"));
	json_decref(r);
	r = raw_reply(fd);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	close(fd);
	free(big);
	assert_int_equal(stat_get(s, "oversize"), 1);
	server_stop(s);
}

static void test_control_many_clients_at_once_and_cap(void **state)
{
	struct control_opts o = { .max_clients = 40 };
	struct server *s = server_start(&o);
	int fds[48];

	for (int i = 0; i < 40; i++)
		fds[i] = raw_connect(s->path);
	for (int i = 0; i < 40; i++) {
		char req[128];
		int n = snprintf(req, sizeof(req),
				 "{\"v\":1,\"id\":%d,\"cmd\":\"echo\",\"args\":{\"x\":%d}}\n", i,
				 i);

		raw_send(fds[i], req, (size_t)n);
	}
	/* read in reverse order: every client got its own reply */
	for (int i = 39; i >= 0; i--) {
		json_t *r = raw_reply(fds[i]);

		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
	/* one more is refused with EUSERS and closed */
	fds[40] = raw_connect(s->path);
	json_t *r = raw_reply(fds[40]);
	assert_string_equal(error_code(r), "EUSERS");
	json_decref(r);
	char c;
	struct pollfd p = { .fd = fds[40], .events = POLLIN };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(fds[40], &c, 1, 0), 0);
	close(fds[40]);
	/* the client library reports the refusal as the daemon's error, not as unreachable */
	{
		char err[256];
		int code = 0;
		json_t *res = NULL;

		assert_int_equal(ctl_client_call_full(s->path, "echo", NULL, 2000, &res, &code, err,
						      sizeof(err)),
				 -EREMOTEIO);
		assert_int_equal(code, EUSERS);
		assert_non_null(strstr(err, "too many control clients"));
	}
	for (int i = 0; i < 40; i++)
		close(fds[i]);
	/* the server notices the closes; a fresh client works and sees one client (itself).
	 * Until it has seen them all, a client is still refused as one too many (and counted
	 * in "refused"): retry then */
	int late = 0;

	for (int tries = 0; tries < 200; tries++) {
		json_t *res = NULL;
		char err[256];
		int code = 0;
		int rc = ctl_client_call_full(s->path, "ctlstats", NULL, 0, &res, &code, err,
					      sizeof(err));
		json_int_t n = rc < 0 ? -1 : json_integer_value(json_object_get(res, "clients"));

		json_decref(res);
		if (rc == -EREMOTEIO && code == EUSERS)
			late++;
		if (n == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(stat_get(s, "clients"), 1);
	assert_int_equal(stat_get(s, "refused"), 2 + late);
	server_stop(s);
}

static void test_control_client_gone_mid_reply(void **state)
{
	struct server *s = server_start(NULL);

	for (int round = 0; round < 3; round++) {
		int fd = raw_connect(s->path);
		char buf[4096];

		/* 8 MiB reply; read a little of it, then vanish */
		raw_send(fd, "{\"v\":1,\"id\":1,\"cmd\":\"big\",\"args\":{\"n\":8388608}}\n", 48);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 5000), 1);
		assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
		close(fd);
	}
	for (int tries = 0; tries < 200 && stat_get(s, "clients") != 1; tries++)
		usleep(10000);
	assert_int_equal(stat_get(s, "clients"), 1);
	assert_int_equal(stat_get(s, "write_errors"), 3);
	server_stop(s);
}

static void test_control_unread_replies_apply_backpressure(void **state)
{
	/* a small request buffer too: the held-back requests fill it, and none is lost */
	struct control_opts o = { .max_pending = 64 << 10, .max_request = 1024 };
	struct server *s = server_start(&o);
	int fd = raw_connect(s->path);
	const char *req = "{\"v\":1,\"id\":1,\"cmd\":\"big\",\"args\":{\"n\":32768}}\n";
	size_t got = 0, lines = 0;
	char buf[65536];

	/* 200 requests for 32 KiB each, sent before reading anything (6.4 MiB of replies) */
	for (int i = 0; i < 200; i++)
		raw_send(fd, req, strlen(req));
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t k = recv(fd, buf, sizeof(buf), 0);

		assert_true(k >= 0);
		if (k == 0)
			break;
		got += (size_t)k;
		for (ssize_t i = 0; i < k; i++)
			lines += buf[i] == '\n';
	}
	assert_int_equal(lines, 200);
	assert_true(got > 200 * 32768);
	assert_int_equal(
		got, 200 * strlen("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"data\":\"\"}}\n") +
			     200 * 32768); /* 200 full replies, no error among them */
	close(fd);
	server_stop(s);
}

static void test_control_reply_over_limit_becomes_e2big(void **state)
{
	struct control_opts o = { .max_reply = 4096 };
	struct server *s = server_start(&o);
	json_t *args = json_pack("{s:i}", "n", 10000), *res = NULL;
	char err[256];
	int code = 0;

	assert_int_equal(
		ctl_client_call_full(s->path, "big", args, 2000, &res, &code, err, sizeof(err)),
		-EREMOTEIO);
	assert_int_equal(code, E2BIG);
	assert_non_null(strstr(err, "exceeds the limit of 4096"));
	assert_null(res);
	json_decref(args);
	assert_int_equal(stat_get(s, "too_big"), 1);
	server_stop(s);
}

static void test_control_idle_client_closed(void **state)
{
	struct control_opts o = { .idle_timeout_ms = 100 };
	struct server *s = server_start(&o);
	int fd = raw_connect(s->path);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	raw_send(fd, "{\"v\":1,", 7); /* half a request, then silence */
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);
	assert_int_equal(stat_get(s, "idle_closed"), 1);
	server_stop(s);
}

static void test_control_stale_socket_replaced_live_one_refused(void **state)
{
	struct server *s = server_start(NULL);
	struct control *second = NULL;
	struct control_opts o = { .path = s->path };
	char err[256];

	/* a second daemon on the same path is refused */
	assert_int_equal(control_new(&o, &second, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another daemon"));
	assert_null(second);
	server_stop(s);

	/* a stale socket file (nobody listening) is replaced */
	char dir[] = "/tmp/moat-ctl-XXXXXX", path[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	json_t *res = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	/* connecting to it now is refused: the client reports ECONNREFUSED, unreachable */
	assert_int_equal(ctl_client_call(path, "commands", NULL, &res, err, sizeof(err)),
			 -ECONNREFUSED);
	assert_true(ctl_client_unreachable(-ECONNREFUSED));
	assert_non_null(strstr(err, "is moatd running?"));
	o.path = path;
	assert_int_equal(control_new(&o, &second, err, sizeof(err)), 0);
	control_free(second);
	assert_int_equal(access(path, F_OK), -1); /* removed on exit */

	/* a regular file in the way is not touched */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(control_new(&o, &second, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	unlink(path);

	/* a group owns the socket when configured (gid of "daemon", present on Debian) */
	struct group *gr = getgrnam("daemon");
	if (gr) {
		struct stat st;

		o.group = "daemon";
		assert_int_equal(control_new(&o, &second, err, sizeof(err)), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_gid, gr->gr_gid);
		assert_int_equal(st.st_mode & 0777, 0660);
		control_free(second);
	}

	/* an unknown group is an error naming it */
	o.group = "moat-no-such-group-xyz";
	assert_int_equal(control_new(&o, &second, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "moat-no-such-group-xyz"));
	rmdir(dir);
}

static void test_client_unreachable_errors_distinguished(void **state)
{
	char dir[] = "/tmp/moat-ctl-XXXXXX", path[128], err[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *res = NULL;
	int fd;
	struct timespec t0, t1;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	assert_int_equal(ctl_client_call(path, "status", NULL, &res, err, sizeof(err)), -ENOENT);
	assert_true(ctl_client_unreachable(-ENOENT));
	assert_non_null(strstr(err, path));

	/* a listener that never answers: timeout */
	snprintf(path, sizeof(path), "%s/mute.sock", dir);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(
		ctl_client_call_full(path, "status", NULL, 200, &res, NULL, err, sizeof(err)),
		-ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(ctl_client_unreachable(-ETIMEDOUT));
	assert_non_null(strstr(err, "no reply in time"));

	/* a listener that answers garbage: protocol error, not "unreachable" */
	assert_false(ctl_client_unreachable(-EPROTO));
	assert_false(ctl_client_unreachable(-EREMOTEIO));
	close(fd);
	unlink(path);
	assert_null(res);
	rmdir(dir);
}

static void *garbage_server(void *arg)
{
	int lfd = *(int *)arg;
	int fd = accept(lfd, NULL, NULL);
	char c = 0;

	assert_true(fd >= 0);
	while (c != '\n') /* the whole request, so the client's send never fails */
		assert_int_equal(recv(fd, &c, 1, 0), 1);
	assert_int_equal(send(fd, "{\"v\":1,\"ok\":tru\n", 16, 0), 16);
	close(fd);
	return NULL;
}

static void test_client_malformed_reply_is_eproto(void **state)
{
	char dir[] = "/tmp/moat-ctl-XXXXXX", path[128], err[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *res = NULL;
	pthread_t t;
	int lfd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/g.sock", dir);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(pthread_create(&t, NULL, garbage_server, &lfd), 0);
	assert_int_equal(ctl_client_call(path, "status", NULL, &res, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "malformed reply"));
	pthread_join(t, NULL);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_call_round_trip_and_commands_list),
		cmocka_unit_test(test_control_rejects_bad_requests_with_codes),
		cmocka_unit_test(test_control_peer_credentials),
		cmocka_unit_test(test_control_request_split_into_single_bytes),
		cmocka_unit_test(test_control_pipelined_requests_answered_in_order),
		cmocka_unit_test(test_control_oversize_request_refused_then_next_served),
		cmocka_unit_test(test_control_many_clients_at_once_and_cap),
		cmocka_unit_test(test_control_client_gone_mid_reply),
		cmocka_unit_test(test_control_unread_replies_apply_backpressure),
		cmocka_unit_test(test_control_reply_over_limit_becomes_e2big),
		cmocka_unit_test(test_control_idle_client_closed),
		cmocka_unit_test(test_control_stale_socket_replaced_live_one_refused),
		cmocka_unit_test(test_client_unreachable_errors_distinguished),
		cmocka_unit_test(test_client_malformed_reply_is_eproto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
