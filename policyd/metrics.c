// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus text exposition, rendered from collectors and served by libmicrohttpd. */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/lib.h"
#include "metrics.h"

#define MAX_FAMILIES 512
#define TAG_MHD 1
#define TAG_TIMER 2

struct metrics_writer {
	char *buf;
	size_t len, cap;
	bool truncated;
	const char *family; /* current family name */
	const char *families[MAX_FAMILIES]; /* declared so far (borrowed names) */
	size_t n_families;
};

struct metrics {
	struct MHD_Daemon *mhd;
	int ep, timer_fd;
	struct {
		metrics_collect_fn fn;
		void *ctx;
	} collectors[METRICS_MAX_COLLECTORS];
	size_t n_collectors;
	struct metrics_stats stats;
};

static bool valid_metric_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':'))
			return false;
	return true;
}

static bool valid_label_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_') || strncmp(s, "__", 2) == 0)
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static void w_put(struct metrics_writer *w, const char *s, size_t n)
{
	if (w->truncated)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = MAX(w->cap * 2, w->len + n + 1);
		char *p;

		if (cap > METRICS_MAX_OUTPUT || !(p = realloc(w->buf, cap))) {
			w->truncated = true;
			return;
		}
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void w_puts(struct metrics_writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

/* Escape for HELP (\\ and \n) or, with quote set, for label values (also \"). */
static void w_escaped(struct metrics_writer *w, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			w_puts(w, "\\\\");
		else if (*s == '\n')
			w_puts(w, "\\n");
		else if (quote && *s == '"')
			w_puts(w, "\\\"");
		else
			w_put(w, s, 1);
	}
}

void metrics_family(struct metrics_writer *w, const char *name, enum metrics_type type,
		    const char *help)
{
	assert(valid_metric_name(name));
	for (size_t i = 0; i < w->n_families; i++)
		assert(strcmp(w->families[i], name) != 0);
	assert(w->n_families < MAX_FAMILIES);
	w->families[w->n_families++] = name;
	w->family = name;
	w_puts(w, "# HELP ");
	w_puts(w, name);
	w_puts(w, " ");
	w_escaped(w, help, false);
	w_puts(w, "\n# TYPE ");
	w_puts(w, name);
	w_puts(w, type == METRICS_COUNTER ? " counter\n" : " gauge\n");
}

static void sample(struct metrics_writer *w, const char *suffix, double v, va_list ap)
{
	const char *k;
	char num[64];
	bool first = true;

	assert(w->family);
	w_puts(w, w->family);
	if (suffix)
		w_puts(w, suffix);
	while ((k = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);

		assert(valid_label_name(k));
		w_puts(w, first ? "{" : ",");
		first = false;
		w_puts(w, k);
		w_puts(w, "=\"");
		w_escaped(w, val ? val : "", true);
		w_puts(w, "\"");
	}
	if (!first)
		w_puts(w, "}");
	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(num, sizeof(num), "%.0f", v);
	else
		snprintf(num, sizeof(num), "%.17g", v);
	w_puts(w, " ");
	w_puts(w, num);
	w_puts(w, "\n");
}

void metrics_sample(struct metrics_writer *w, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	sample(w, NULL, v, ap);
	va_end(ap);
}

void metrics_sample_suffix(struct metrics_writer *w, const char *suffix, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	sample(w, suffix, v, ap);
	va_end(ap);
}

int metrics_render(struct metrics *m, char **ret, size_t *ret_len)
{
	struct metrics_writer w = { 0 };

	for (size_t i = 0; i < m->n_collectors; i++)
		m->collectors[i].fn(m->collectors[i].ctx, &w);
	if (w.truncated)
		m->stats.truncated++;
	if (!w.buf) {
		w.buf = strdup("");
		if (!w.buf)
			return -ENOMEM;
	}
	*ret = w.buf;
	*ret_len = w.len;
	return 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, char *body,
			       size_t len, const char *type)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result r;

	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct metrics *m = cls;
	char *body;
	size_t len;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		m->stats.bad_method++;
		body = strdup("only GET and HEAD are served\n");
		return body ? respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, body, strlen(body),
				      "text/plain; charset=utf-8") :
			      MHD_NO;
	}
	if (strcmp(url, "/metrics") != 0) {
		m->stats.not_found++;
		body = strdup("moatd serves Prometheus metrics at /metrics\n");
		return body ? respond(conn, MHD_HTTP_NOT_FOUND, body, strlen(body),
				      "text/plain; charset=utf-8") :
			      MHD_NO;
	}
	if (metrics_render(m, &body, &len) < 0)
		return MHD_NO;
	m->stats.scrapes++;
	return respond(conn, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

int metrics_parse_listen(const char *s, struct sockaddr_storage *ret, char *err, size_t errlen)
{
	char host[64];
	const char *colon, *h = s;
	size_t hlen;
	uint16_t port;
	struct sockaddr_storage ss = { 0 };

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			goto bad;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			goto bad;
		hlen = (size_t)(colon - s);
	}
	/* port 0 (any free port) is accepted for tests; parse_port() refuses it */
	if (strcmp(colon + 1, "0") == 0)
		port = 0;
	else if (parse_port(colon + 1, &port) < 0)
		goto bad;
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
	}
	*ret = ss;
	return 0;
bad:
	snprintf(err, errlen,
		 "metrics address \"%s\": expected IPV4:PORT or [IPV6]:PORT with a numeric "
		 "address (e.g. 127.0.0.1:9567 or [::1]:9567)",
		 s);
	return -EINVAL;
}

int metrics_new_local(struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->ep = m->timer_fd = -1;
	*ret = m;
	return 0;
}

int metrics_new(const char *listen, struct metrics **ret, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	const union MHD_DaemonInfo *info;
	struct epoll_event ev = { .events = EPOLLIN };
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	unsigned int flags = MHD_USE_EPOLL;
	int r;

	err[0] = '\0';
	r = metrics_parse_listen(listen, &ss, err, errlen);
	if (r < 0)
		return r;
	r = metrics_new_local(&m);
	if (r < 0)
		return r;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)METRICS_MAX_CLIENTS, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)10, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				  (size_t)(64 << 10), MHD_OPTION_END);
	if (!m->mhd) {
		r = errno ? -errno : -EADDRNOTAVAIL;
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", listen, strerror(-r));
		goto fail;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	m->ep = epoll_create1(EPOLL_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!info || m->ep < 0 || m->timer_fd < 0) {
		r = -errno;
		goto fail;
	}
	ev.data.u64 = TAG_MHD;
	if (epoll_ctl(m->ep, EPOLL_CTL_ADD, info->epoll_fd, &ev) < 0)
		goto fail_errno;
	/* libmicrohttpd times idle connections out only when it runs: tick once a second. */
	ev.data.u64 = TAG_TIMER;
	if (timerfd_settime(m->timer_fd, 0, &its, NULL) < 0 ||
	    epoll_ctl(m->ep, EPOLL_CTL_ADD, m->timer_fd, &ev) < 0)
		goto fail_errno;
	*ret = m;
	return 0;
fail_errno:
	r = -errno;
fail:
	if (!err[0])
		snprintf(err, errlen, "metrics: %s", strerror(-r));
	metrics_free(m);
	return r;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	if (m->ep >= 0)
		close(m->ep);
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	free(m);
}

int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *ctx)
{
	if (m->n_collectors >= METRICS_MAX_COLLECTORS)
		return -ENOSPC;
	m->collectors[m->n_collectors].fn = fn;
	m->collectors[m->n_collectors].ctx = ctx;
	m->n_collectors++;
	return 0;
}

int metrics_fd(const struct metrics *m)
{
	return m->ep;
}

int metrics_dispatch(struct metrics *m)
{
	struct epoll_event evs[4];
	int n = epoll_wait(m->ep, evs, ARRAY_SIZE(evs), 0);
	uint64_t v;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		if (evs[i].data.u64 == TAG_TIMER)
			(void)!read(m->timer_fd, &v, sizeof(v));
	if (n > 0 && MHD_run(m->mhd) != MHD_YES)
		return -EIO;
	return 0;
}

unsigned int metrics_port(const struct metrics *m)
{
	const union MHD_DaemonInfo *info =
		m->mhd ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT) : NULL;

	return info ? info->port : 0;
}

void metrics_get_stats(const struct metrics *m, struct metrics_stats *ret)
{
	*ret = m->stats;
}
