// SPDX-License-Identifier: GPL-2.0-only
/* fwctl's control-socket client: connect, send one JSON line, read one JSON line. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "ctl_client.h"

#define DEFAULT_SOCK "/run/moat/moatd.sock"

bool ctl_client_unreachable(int r)
{
	switch (-r) {
	case ENOENT:
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EACCES:
	case EPERM:
	case ENOTSOCK:
	case ENOTDIR:
	case ECONNRESET:
	case EPIPE:
	case ENAMETOOLONG:
		return true;
	default:
		return false;
	}
}

/* The errno of a reply's error.code ("EINVAL"), EIO when unknown. */
static int errno_from_name(const char *name)
{
	for (int e = 1; e < 200; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, name) == 0)
			return e;
	}
	return EIO;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to become ready for events before the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)MIN(left, INT32_MAX));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

static int do_connect(const char *path, int64_t deadline, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	socklen_t len = sizeof(int);
	int r, soerr = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (r != -EINPROGRESS && r != -EAGAIN) {
			snprintf(err, errlen, "cannot reach moatd at %s: %s%s", path, strerror(-r),
				 r == -ENOENT || r == -ECONNREFUSED ? " (is moatd running?)" : "");
			return r;
		}
		/* Listen backlog full: wait for the connection to complete. */
		r = wait_fd(fd, POLLOUT, deadline);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr)
			r = -soerr;
		if (r < 0) {
			snprintf(err, errlen, "cannot reach moatd at %s: %s", path, strerror(-r));
			return r;
		}
	}
	return TAKE_FD(fd);
}

static int send_all(int fd, const char *s, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read one line (without '\n') into a malloc'd buffer. */
static int recv_line(int fd, int64_t deadline, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t k;
		char *nl;
		int r;

		if (cap - len < 4096) {
			char *p;

			if (cap >= CTL_CLIENT_MAX_REPLY)
				return -EMSGSIZE;
			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap + 1);
			if (!p)
				return -ENOMEM;
			buf = p;
		}
		k = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			r = wait_fd(fd, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (k == 0)
			return -ECONNRESET; /* closed before a full reply */
		nl = memchr(buf + len, '\n', (size_t)k);
		len += (size_t)k;
		if (nl) {
			*nl = '\0';
			*ret_len = (size_t)(nl - buf);
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
}

int ctl_client_call_full(const char *sock, const char *cmd, json_t *args, int timeout_ms,
			 json_t **ret_result, int *ret_code, char *err, size_t errlen)
{
	static unsigned int next_id;
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : CTL_CLIENT_DEFAULT_TIMEOUT_MS);
	json_auto_t *req = NULL, *reply = NULL;
	_cleanup_free_ char *line = NULL, *in = NULL;
	_cleanup_close_ int fd = -1;
	json_error_t jerr;
	json_t *id, *ok, *res;
	unsigned int my_id = ++next_id;
	size_t in_len = 0, len;
	char *nl;
	int r;

	err[0] = '\0';
	if (!sock)
		sock = DEFAULT_SOCK;
	req = json_pack("{s:i, s:i, s:s}", "v", 1, "id", (int)my_id, "cmd", cmd);
	if (!req || (args && json_object_set(req, "args", args) < 0))
		return -ENOMEM;
	line = json_dumps(req, JSON_COMPACT);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	nl = realloc(line, len + 2);
	if (!nl)
		return -ENOMEM;
	line = nl;
	memcpy(line + len, "\n", 2);
	fd = do_connect(sock, deadline, err, errlen);
	if (fd < 0)
		return fd;
	r = send_all(fd, line, len + 1, deadline);
	/* A daemon that refuses the connection (too many clients) answers and closes: its
	 * answer may still be readable after our send failed. */
	if (r >= 0 || r == -EPIPE || r == -ECONNRESET) {
		int rr = recv_line(fd, deadline, &in, &in_len);

		if (r >= 0 || rr >= 0)
			r = rr;
	}
	if (r < 0) {
		snprintf(err, errlen, "moatd at %s: %s%s", sock,
			 r == -ETIMEDOUT ? "no reply in time" : strerror(-r),
			 r == -ECONNRESET ? " (connection closed before the reply)" : "");
		return r;
	}
	reply = json_loadb(in, in_len, 0, &jerr);
	if (!reply || !json_is_object(reply)) {
		snprintf(err, errlen, "moatd at %s: malformed reply: %s", sock,
			 reply ? "not an object" : jerr.text);
		return -EPROTO;
	}
	id = json_object_get(reply, "id");
	ok = json_object_get(reply, "ok");
	if (!json_is_boolean(ok) || json_integer_value(json_object_get(reply, "v")) != 1) {
		snprintf(err, errlen, "moatd at %s: reply without \"ok\" or of another version",
			 sock);
		return -EPROTO;
	}
	if (json_is_false(ok)) {
		json_t *e = json_object_get(reply, "error");
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));

		snprintf(err, errlen, "%s", msg ? msg : "moatd refused the request");
		if (ret_code)
			*ret_code = code ? errno_from_name(code) : EIO;
		return -EREMOTEIO;
	}
	if (!json_is_integer(id) || json_integer_value(id) != (json_int_t)my_id) {
		snprintf(err, errlen, "moatd at %s: reply to another request", sock);
		return -EPROTO;
	}
	res = json_object_get(reply, "result");
	if (!json_is_object(res)) {
		snprintf(err, errlen, "moatd at %s: reply without a result object", sock);
		return -EPROTO;
	}
	if (ret_result)
		*ret_result = json_incref(res);
	return 0;
}

int ctl_client_call(const char *sock, const char *cmd, json_t *args, json_t **ret_result, char *err,
		    size_t errlen)
{
	return ctl_client_call_full(sock, cmd, args, 0, ret_result, NULL, err, errlen);
}
