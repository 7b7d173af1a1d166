// SPDX-License-Identifier: GPL-2.0-only
/* moatd's control socket server: line-delimited versioned JSON over a Unix socket. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "control.h"
#include "metrics.h"

struct command {
	char *name;
	control_handler handler;
	void *ctx;
	const struct control_arg *args;
};

struct client {
	int fd;
	char *in; /* max_request + 1 bytes */
	size_t in_len;
	bool discarding; /* inside an oversize line: drop bytes up to the next '\n' */
	char *out;
	size_t out_len, out_off, out_cap;
	bool reading; /* EPOLLIN armed (off while too much reply is pending) */
	bool eof; /* the peer sent all it will: answer the complete lines, then close */
	bool closing; /* close once the pending reply is written */
	bool has_peer; /* peer: SO_PEERCRED at accept */
	struct ucred peer;
	uint64_t last_active_ms;
	struct client *prev, *next;
};

struct control {
	int ep; /* the descriptor the daemon watches */
	int listen_fd;
	int timer_fd; /* idle sweeps, armed while clients exist */
	char *path;
	struct control_opts o;
	struct command cmds[CONTROL_MAX_COMMANDS];
	size_t n_cmds;
	struct client *clients;
	const struct client *current; /* whose request a handler is serving (control_peer) */
	struct control_stats stats;
};

/* epoll user data: the two fixed descriptors are tagged, clients are their pointer. */
#define TAG_LISTEN ((uint64_t)1)
#define TAG_TIMER ((uint64_t)2)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *control_errno_name(int err)
{
	const char *n;

	if (err < 0)
		err = -err;
	n = err ? strerrorname_np(err) : NULL;
	return n ? n : "EIO";
}

int control_errno_from_name(const char *name)
{
	/* errno values are small; scanning them beats keeping a second table in sync. */
	for (int e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, name) == 0)
			return e;
	}
	return 0;
}

static void client_free(struct control *c, struct client *cl)
{
	if (!cl)
		return;
	if (cl->fd >= 0) {
		epoll_ctl(c->ep, EPOLL_CTL_DEL, cl->fd, NULL);
		close(cl->fd);
	}
	if (cl->prev)
		cl->prev->next = cl->next;
	else if (c->clients == cl)
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	c->stats.clients--;
	free(cl->in);
	free(cl->out);
	free(cl);
}

static int client_arm(struct control *c, struct client *cl)
{
	struct epoll_event ev = { .data.ptr = cl };
	bool want_in = !cl->closing && !cl->eof && cl->out_len - cl->out_off < c->o.max_pending;

	cl->reading = want_in;
	if (want_in)
		ev.events |= EPOLLIN;
	if (cl->out_len > cl->out_off)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, cl->fd, &ev) < 0)
		return -errno;
	return 0;
}

/* Write as much pending output as the socket takes. Returns 0, or -errno: client gone. */
static int client_flush(struct control *c, struct client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			c->stats.write_errors++;
			return -errno;
		}
		cl->out_off += (size_t)n;
	}
	if (cl->out_off == cl->out_len) {
		cl->out_off = cl->out_len = 0;
		if (cl->closing || (cl->eof && !memchr(cl->in, '\n', cl->in_len)))
			return -ECONNRESET;
	} else if (cl->out_off > cl->out_cap / 2) {
		memmove(cl->out, cl->out + cl->out_off, cl->out_len - cl->out_off);
		cl->out_len -= cl->out_off;
		cl->out_off = 0;
	}
	return client_arm(c, cl);
}

static int client_queue(struct client *cl, const char *s, size_t n)
{
	if (cl->out_len + n + 1 > cl->out_cap) {
		size_t cap = MAX(cl->out_cap * 2, cl->out_len + n + 1);
		char *p = realloc(cl->out, cap);

		if (!p)
			return -ENOMEM;
		cl->out = p;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, s, n);
	cl->out_len += n;
	cl->out[cl->out_len++] = '\n';
	return 0;
}

/* id is borrowed (NULL = null). */
static json_t *reply_error(json_t *id, int err, const char *msg)
{
	return json_pack("{s:i, s:O?, s:b, s:{s:s, s:s}}", "v", CONTROL_PROTO_VERSION, "id", id,
			 "ok", 0, "error", "code", control_errno_name(err), "message", msg);
}

static json_t *handle_line(struct control *c, const char *line, size_t len);

/* The reply line for reply (stolen): counted, size-capped; NULL on ENOMEM. */
static char *reply_dump(struct control *c, json_t *reply)
{
	char *s = NULL;

	if (reply) {
		json_t *ok = json_object_get(reply, "ok");

		if (ok && !json_is_true(ok))
			c->stats.errors++;
		s = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);
	}
	if (s && strlen(s) > c->o.max_reply) {
		char msg[128];

		c->stats.replies_too_big++;
		snprintf(msg, sizeof(msg), "reply of %zu bytes exceeds the limit of %zu", strlen(s),
			 c->o.max_reply);
		free(s);
		s = NULL;
		json_decref(reply);
		reply = reply_error(NULL, E2BIG, msg);
		if (reply)
			s = json_dumps(reply, JSON_COMPACT);
	}
	json_decref(reply);
	return s;
}

/* Queue reply (stolen). Memory failures fall back to a fixed error line. */
static void client_reply(struct control *c, struct client *cl, json_t *reply)
{
	_cleanup_free_ char *s = reply_dump(c, reply);
	static const char nomem[] =
		"{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"ENOMEM\","
		"\"message\":\"out of memory building the reply\"}}";

	if (!s) {
		c->stats.errors++;
		if (client_queue(cl, nomem, sizeof(nomem) - 1) < 0)
			cl->closing = true;
		return;
	}
	if (client_queue(cl, s, strlen(s)) < 0)
		cl->closing = true;
}

int control_handle_line(struct control *c, const char *line, size_t len, char **ret_reply)
{
	char *s = reply_dump(c, handle_line(c, line, len));

	if (!s)
		return -ENOMEM;
	*ret_reply = s;
	return 0;
}

static const char *json_type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

static bool type_ok(json_type want, const json_t *v)
{
	if (want == JSON_TRUE || want == JSON_FALSE)
		return json_is_boolean(v);
	if (want == JSON_REAL)
		return json_is_number(v);
	return json_typeof(v) == want;
}

static const struct command *command_find(const struct control *c, const char *name)
{
	for (size_t i = 0; i < c->n_cmds; i++)
		if (strcmp(c->cmds[i].name, name) == 0)
			return &c->cmds[i];
	return NULL;
}

/* Check args against the command's table; message in err on failure. */
static int args_validate(const struct command *cmd, json_t *args, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v)
	{
		const struct control_arg *a = NULL;

		for (size_t i = 0; cmd->args && cmd->args[i].name; i++)
			if (strcmp(cmd->args[i].name, key) == 0)
				a = &cmd->args[i];
		if (!a) {
			snprintf(err, errlen, "%s: unknown argument \"%.64s\"", cmd->name, key);
			return -EINVAL;
		}
		if (!type_ok(a->type, v)) {
			snprintf(err, errlen, "%s: argument \"%s\" must be %s %s, not %s",
				 cmd->name, a->name, a->type == JSON_INTEGER ? "an" : "a",
				 json_type_name(a->type), json_type_name(json_typeof(v)));
			return -EINVAL;
		}
	}
	for (size_t i = 0; cmd->args && cmd->args[i].name; i++)
		if (cmd->args[i].required && !json_object_get(args, cmd->args[i].name)) {
			snprintf(err, errlen, "%s: missing argument \"%s\"", cmd->name,
				 cmd->args[i].name);
			return -EINVAL;
		}
	return 0;
}

/* Handle one complete request line (no '\n'); returns the reply (new reference). */
static json_t *handle_line(struct control *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *v, *id, *cmdv, *args, *reply;
	json_t *result = NULL;
	const struct command *cmd;
	char err[512] = "";
	int r;

	c->stats.requests++;
	/* jansson rejects invalid UTF-8 and (without JSON_ALLOW_NUL) NUL bytes itself. */
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		c->stats.bad_json++;
		snprintf(err, sizeof(err), "malformed request at byte %d: %s", jerr.position,
			 jerr.text);
		return reply_error(NULL, EBADMSG, err);
	}
	if (!json_is_object(req)) {
		json_decref(req);
		return reply_error(NULL, EINVAL, "a request must be a JSON object");
	}
	id = json_object_get(req, "id");
	if (id && !json_is_integer(id) && !json_is_null(id))
		id = NULL; /* echo only integer ids; the error below names it */
	v = json_object_get(req, "v");
	cmdv = json_object_get(req, "cmd");
	args = json_object_get(req, "args");
	if (!v || !json_is_integer(v)) {
		reply = reply_error(id, EINVAL, "missing or non-integer \"v\" (protocol version)");
	} else if (json_integer_value(v) != CONTROL_PROTO_VERSION) {
		snprintf(err, sizeof(err),
			 "protocol version %lld not supported (this daemon speaks %d)",
			 (long long)json_integer_value(v), CONTROL_PROTO_VERSION);
		reply = reply_error(id, EPROTONOSUPPORT, err);
	} else if (!json_object_get(req, "id") || !json_is_integer(json_object_get(req, "id"))) {
		reply = reply_error(NULL, EINVAL, "missing or non-integer \"id\"");
	} else if (!cmdv || !json_is_string(cmdv)) {
		reply = reply_error(id, EINVAL, "missing or non-string \"cmd\"");
	} else if (args && !json_is_object(args)) {
		reply = reply_error(id, EINVAL, "\"args\" must be an object");
	} else if (json_object_size(req) > 4 - !args) {
		reply = reply_error(id, EINVAL,
				    "unknown member in request (allowed: v, id, cmd, args)");
	} else if (!(cmd = command_find(c, json_string_value(cmdv)))) {
		snprintf(err, sizeof(err), "unknown command \"%.64s\" (\"commands\" lists them)",
			 json_string_value(cmdv));
		reply = reply_error(id, EOPNOTSUPP, err);
	} else {
		_cleanup_(json_decrefp) json_t *empty = NULL;

		if (!args)
			args = empty = json_object();
		r = args ? args_validate(cmd, args, err, sizeof(err)) : -ENOMEM;
		if (r >= 0)
			r = cmd->handler(cmd->ctx, args, &result, err, sizeof(err));
		if (r < 0) {
			json_decref(result);
			if (!err[0])
				snprintf(err, sizeof(err), "%s: %s", cmd->name, strerror(-r));
			reply = reply_error(id, -r, err);
		} else {
			if (!result)
				result = json_object();
			reply = json_pack("{s:i, s:O, s:b, s:o}", "v", CONTROL_PROTO_VERSION, "id",
					  id, "ok", 1, "result", result);
		}
	}
	json_decref(req);
	return reply;
}

/* Consume complete lines from the input buffer. */
static void client_process(struct control *c, struct client *cl)
{
	size_t start = 0;

	for (;;) {
		char *nl = memchr(cl->in + start, '\n', cl->in_len - start);
		size_t len;

		/* too much unsent reply: the rest waits until the client reads (backpressure) */
		if (!nl || cl->out_len - cl->out_off >= c->o.max_pending)
			break;
		len = (size_t)(nl - (cl->in + start));
		if (cl->discarding) {
			cl->discarding = false;
		} else {
			if (len && cl->in[start + len - 1] == '\r')
				len--;
			if (len) {
				c->current = cl;
				client_reply(c, cl, handle_line(c, cl->in + start, len));
				c->current = NULL;
			}
		}
		start += (size_t)(nl - (cl->in + start)) + 1;
		if (cl->closing)
			break;
	}
	memmove(cl->in, cl->in + start, cl->in_len - start);
	cl->in_len -= start;
	if (cl->in_len > c->o.max_request && !memchr(cl->in, '\n', cl->in_len)) {
		char msg[128];

		/* Over the limit without a newline: answer once, skip to the next line. */
		if (!cl->discarding) {
			c->stats.oversize++;
			snprintf(msg, sizeof(msg), "request exceeds the limit of %zu bytes",
				 c->o.max_request);
			client_reply(c, cl, reply_error(NULL, E2BIG, msg));
		}
		cl->discarding = true;
		cl->in_len = 0;
	}
}

static void client_read(struct control *c, struct client *cl)
{
	for (;;) {
		size_t room = c->o.max_request + 1 - cl->in_len;
		ssize_t n;

		if (room == 0)
			break; /* full of complete lines held back by backpressure */

		n = recv(cl->fd, cl->in + cl->in_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n == 0) {
			/* EOF: answer the complete lines, then go */
			client_process(c, cl);
			cl->eof = true;
			break;
		}
		if (n < 0) {
			cl->closing = true;
			break;
		}
		cl->last_active_ms = now_ms();
		cl->in_len += (size_t)n;
		client_process(c, cl);
		if (cl->closing || cl->out_len - cl->out_off >= c->o.max_pending)
			break;
	}
}

static void timer_arm(struct control *c)
{
	unsigned int tick = MAX(c->o.idle_timeout_ms / 4, 10u);
	struct itimerspec its = { 0 };

	if (c->clients) {
		its.it_value.tv_sec = tick / 1000;
		its.it_value.tv_nsec = (long)(tick % 1000) * 1000000;
		its.it_interval = its.it_value;
	}
	timerfd_settime(c->timer_fd, 0, &its, NULL);
}

static void do_accept(struct control *c)
{
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* EAGAIN, or EMFILE and friends: try again on the next event */
		}
		if (c->stats.clients >= c->o.max_clients) {
			static const char busy[] =
				"{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"EUSERS\","
				"\"message\":\"too many control clients\"}}\n";

			c->stats.refused_clients++;
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (cl)
			cl->in = malloc(c->o.max_request + 1);
		if (!cl || !cl->in) {
			if (cl)
				free(cl);
			close(fd);
			c->stats.refused_clients++;
			continue;
		}
		cl->fd = fd;
		cl->reading = true;
		{
			socklen_t sl = sizeof(cl->peer);

			cl->has_peer = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cl->peer, &sl) == 0;
		}
		cl->last_active_ms = now_ms();
		ev.data.ptr = cl;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(cl->in);
			free(cl);
			close(fd);
			c->stats.refused_clients++;
			continue;
		}
		cl->next = c->clients;
		if (c->clients)
			c->clients->prev = cl;
		c->clients = cl;
		c->stats.clients++;
		c->stats.accepted++;
		if (!cl->next)
			timer_arm(c);
	}
}

static void idle_sweep(struct control *c)
{
	uint64_t t, now = now_ms();
	struct client *cl, *next;

	(void)!read(c->timer_fd, &t, sizeof(t));
	for (cl = c->clients; cl; cl = next) {
		next = cl->next;
		if (now - cl->last_active_ms >= c->o.idle_timeout_ms) {
			c->stats.idle_closed++;
			client_free(c, cl);
		}
	}
	if (!c->clients)
		timer_arm(c);
}

int control_dispatch(struct control *c)
{
	struct epoll_event evs[32];
	bool sweep = false;
	int n;

	n = epoll_wait(c->ep, evs, ARRAY_SIZE(evs), 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct client *cl;

		if (evs[i].data.u64 == TAG_LISTEN) {
			do_accept(c);
			continue;
		}
		if (evs[i].data.u64 == TAG_TIMER) {
			sweep = true; /* after the batch: it frees clients later events name */
			continue;
		}
		cl = evs[i].data.ptr;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			if (cl->reading)
				client_read(c, cl);
		if (evs[i].events & EPOLLERR && !(evs[i].events & EPOLLIN))
			cl->closing = true;
		for (;;) {
			if (client_flush(c, cl) < 0) {
				client_free(c, cl);
				if (!c->clients)
					timer_arm(c);
				break;
			}
			/* lines held back by backpressure, now that replies drained */
			if (cl->closing || cl->out_len - cl->out_off >= c->o.max_pending ||
			    !memchr(cl->in, '\n', cl->in_len))
				break;
			client_process(c, cl);
		}
	}
	if (sweep)
		idle_sweep(c);
	return 0;
}

static int listen_socket(struct control *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *dir = NULL;
	char *slash;
	struct stat st;
	gid_t gid = (gid_t)-1;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path %s: longer than %zu bytes", c->path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->path);
	if (c->o.group && c->o.group[0]) {
		struct group gr, *res = NULL;
		char buf[4096];
		int r = getgrnam_r(c->o.group, &gr, buf, sizeof(buf), &res);

		if (r || !res) {
			snprintf(err, errlen, "control socket group \"%s\": %s", c->o.group,
				 r ? strerror(r) : "no such group");
			return r ? -r : -ENOENT;
		}
		gid = gr.gr_gid;
	}
	dir = strdup(c->path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			snprintf(err, errlen, "control socket directory %s: %s", dir, strerror(e));
			return -e;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (lstat(c->path, &st) == 0) {
		_cleanup_close_ int probe = -1;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket path %s exists and is not a socket",
				 c->path);
			return -EEXIST;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			snprintf(err, errlen, "control socket %s: another daemon is listening",
				 c->path);
			return -EADDRINUSE;
		}
		unlink(c->path); /* stale: nobody listens */
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		snprintf(err, errlen, "control socket %s: bind: %s", c->path, strerror(e));
		return -e;
	}
	/* The socket was created with the process umask; moatd's default 022 already denies
	 * connect() to others until these take effect. */
	if (chmod(c->path, c->o.mode) < 0 ||
	    (gid != (gid_t)-1 && chown(c->path, (uid_t)-1, gid) < 0)) {
		int e = errno;

		snprintf(err, errlen, "control socket %s: permissions: %s", c->path, strerror(e));
		unlink(c->path);
		return -e;
	}
	if (listen(fd, 64) < 0) {
		int e = errno;

		unlink(c->path);
		return -e;
	}
	c->listen_fd = TAKE_FD(fd);
	return 0;
}

static int cmd_commands(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct control *c = ctx;
	json_t *res = json_object(), *list = json_array();

	if (!res || !list || json_object_set_new(res, "commands", list) < 0) {
		json_decref(res);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_cmds; i++) {
		json_t *argv = json_object();

		if (!argv ||
		    json_array_append_new(list, json_pack("{s:s, s:o}", "name", c->cmds[i].name,
							  "args", argv)) < 0) {
			json_decref(res);
			return -ENOMEM;
		}
		for (size_t k = 0; c->cmds[i].args && c->cmds[i].args[k].name; k++) {
			const struct control_arg *a = &c->cmds[i].args[k];

			json_object_set_new(argv, a->name,
					    json_pack("{s:s, s:b}", "type", json_type_name(a->type),
						      "required", a->required));
		}
	}
	*ret_result = res;
	return 0;
}

int control_new(const struct control_opts *opts, struct control **ret, char *err, size_t errlen)
{
	struct control *c;
	struct epoll_event ev = { .events = EPOLLIN };
	int r;

	err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ep = c->listen_fd = c->timer_fd = -1;
	if (opts)
		c->o = *opts;
	c->path = strdup(c->o.path ? c->o.path : CONTROL_DEFAULT_PATH);
	c->o.path = c->path;
	if (!c->o.mode)
		c->o.mode = 0660;
	if (!c->o.max_request)
		c->o.max_request = CONTROL_DEFAULT_MAX_REQUEST;
	if (!c->o.max_clients)
		c->o.max_clients = CONTROL_DEFAULT_MAX_CLIENTS;
	if (!c->o.max_pending)
		c->o.max_pending = CONTROL_DEFAULT_MAX_PENDING;
	if (!c->o.max_reply)
		c->o.max_reply = CONTROL_DEFAULT_MAX_REPLY;
	if (!c->o.idle_timeout_ms)
		c->o.idle_timeout_ms = CONTROL_DEFAULT_IDLE_MS;
	c->o.group = NULL; /* borrowed only during creation */
	if (!c->path) {
		r = -ENOMEM;
		goto fail;
	}
	c->o.group = opts ? opts->group : NULL;
	r = listen_socket(c, err, errlen);
	c->o.group = NULL;
	if (r < 0)
		goto fail;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->ep < 0 || c->timer_fd < 0) {
		r = -errno;
		goto fail;
	}
	ev.data.u64 = TAG_LISTEN;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->listen_fd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	ev.data.u64 = TAG_TIMER;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->timer_fd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	r = control_register(c, "commands", cmd_commands, c, NULL);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "control socket %s: %s", c->path ? c->path : "?",
			 strerror(-r));
	control_free(c);
	return r;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	while (c->clients)
		client_free(c, c->clients);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	if (c->ep >= 0)
		close(c->ep);
	for (size_t i = 0; i < c->n_cmds; i++)
		free(c->cmds[i].name);
	free(c->path);
	free(c);
}

int control_new_unbound(struct control **ret)
{
	struct control *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->ep = c->listen_fd = c->timer_fd = -1;
	c->o.max_request = CONTROL_DEFAULT_MAX_REQUEST;
	c->o.max_reply = CONTROL_DEFAULT_MAX_REPLY;
	r = control_register(c, "commands", cmd_commands, c, NULL);
	if (r < 0) {
		control_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int control_fd(const struct control *c)
{
	return c->ep;
}

int control_register(struct control *c, const char *name, control_handler h, void *ctx,
		     const struct control_arg *args)
{
	if (command_find(c, name))
		return -EEXIST;
	if (c->n_cmds >= CONTROL_MAX_COMMANDS)
		return -ENOSPC;
	c->cmds[c->n_cmds].name = strdup(name);
	if (!c->cmds[c->n_cmds].name)
		return -ENOMEM;
	c->cmds[c->n_cmds].handler = h;
	c->cmds[c->n_cmds].ctx = ctx;
	c->cmds[c->n_cmds].args = args;
	c->n_cmds++;
	return 0;
}

int control_register_all(struct control *c, const struct control_command *cmds, void *ctx)
{
	for (; cmds->name; cmds++) {
		int r = control_register(c, cmds->name, cmds->handler, ctx, cmds->args);

		if (r < 0)
			return r;
	}
	return 0;
}

void control_get_stats(const struct control *c, struct control_stats *ret)
{
	*ret = c->stats;
}

int control_peer(const struct control *c, struct ucred *ret)
{
	if (!c->current || !c->current->has_peer)
		return -ENOENT;
	*ret = c->current->peer;
	return 0;
}

const char *control_path(const struct control *c)
{
	return c->path;
}

void control_metrics_collect(void *ctx, struct metrics_writer *w)
{
	const struct control *c = ctx;

	metrics_family(w, "moat_control_clients", METRICS_GAUGE,
		       "Clients connected to the control socket.");
	metrics_sample(w, (double)c->stats.clients, NULL);
	metrics_family(w, "moat_control_requests_total", METRICS_COUNTER,
		       "Control-socket request lines processed.");
	metrics_sample(w, (double)c->stats.requests, NULL);
	metrics_family(w, "moat_control_errors_total", METRICS_COUNTER,
		       "Control-socket error replies (all causes).");
	metrics_sample(w, (double)c->stats.errors, NULL);
	metrics_family(w, "moat_control_bad_requests_total", METRICS_COUNTER,
		       "Control-socket request lines refused before parsing, by cause.");
	metrics_sample(w, (double)c->stats.oversize, "cause", "oversize", NULL);
	metrics_sample(w, (double)c->stats.bad_json, "cause", "malformed", NULL);
	metrics_family(w, "moat_control_refused_clients_total", METRICS_COUNTER,
		       "Control-socket connections refused past the client cap.");
	metrics_sample(w, (double)c->stats.refused_clients, NULL);
}
