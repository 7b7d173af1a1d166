// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for policyd/metrics: the exposition is checked by a strict parser of the
 * Prometheus text format 0.0.4 (written here: Debian ships no promtool outside the 96 MB
 * prometheus server package), and the HTTP endpoint is scraped over real TCP while the
 * server's dispatch runs in a thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "policyd/metrics.h"

/* ---- a strict exposition parser ---- */

struct family {
	char name[128];
	char type[16];
	bool help;
	int samples;
};

struct expo {
	struct family f[256];
	int n;
	char err[256];
};

static bool name_char(char c, bool first, bool colon)
{
	return isalpha((unsigned char)c) || c == '_' || (colon && c == ':') ||
	       (!first && isdigit((unsigned char)c));
}

/* Parse a metric or label name at *p; returns its length (0: invalid). */
static size_t parse_name(const char *p, bool colon)
{
	size_t n = 0;

	while (name_char(p[n], n == 0, colon))
		n++;
	return n;
}

static struct family *find_family(struct expo *e, const char *name, size_t len)
{
	for (int i = 0; i < e->n; i++)
		if (strlen(e->f[i].name) == len && memcmp(e->f[i].name, name, len) == 0)
			return &e->f[i];
	return NULL;
}

/* Returns 0, or -1 with e->err set. Families must be contiguous, HELP and TYPE first. */
static int expo_parse(struct expo *e, const char *text)
{
	const char *line = text;
	int lineno = 0;
	struct family *cur = NULL;

	memset(e, 0, sizeof(*e));
	if (*text && text[strlen(text) - 1] != '\n')
		return snprintf(e->err, sizeof(e->err), "no final newline"), -1;
	while (*line) {
		const char *end = strchr(line, '\n');
		char buf[4096];
		size_t len = (size_t)(end - line);

		lineno++;
		if (len >= sizeof(buf))
			return snprintf(e->err, sizeof(e->err), "%d: line too long", lineno), -1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = end + 1;
		if (strncmp(buf, "# HELP ", 7) == 0 || strncmp(buf, "# TYPE ", 7) == 0) {
			const char *p = buf + 7;
			size_t n = parse_name(p, true);
			struct family *f;

			if (!n || p[n] != ' ')
				return snprintf(e->err, sizeof(e->err), "%d: bad name", lineno), -1;
			f = find_family(e, p, n);
			if (!f) {
				if (e->n == 256)
					return -1;
				f = &e->f[e->n++];
				memcpy(f->name, p, n);
			} else if (f != cur || f->samples) {
				return snprintf(e->err, sizeof(e->err),
						"%d: %.*s declared after its samples or again",
						lineno, (int)n, p),
				       -1;
			}
			cur = f;
			if (buf[2] == 'H') {
				for (const char *q = p + n + 1; *q; q++)
					if (*q == '\\' && q[1] != '\\' && q[1] != 'n')
						return snprintf(e->err, sizeof(e->err),
								"%d: bad escape in HELP", lineno),
						       -1;
					else if (*q == '\\')
						q++;
				if (f->help)
					return snprintf(e->err, sizeof(e->err), "%d: HELP twice",
							lineno),
					       -1;
				f->help = true;
			} else {
				const char *t = p + n + 1;

				if (strcmp(t, "counter") && strcmp(t, "gauge") &&
				    strcmp(t, "untyped") && strcmp(t, "histogram") &&
				    strcmp(t, "summary"))
					return snprintf(e->err, sizeof(e->err), "%d: bad type",
							lineno),
					       -1;
				if (f->type[0])
					return snprintf(e->err, sizeof(e->err), "%d: TYPE twice",
							lineno),
					       -1;
				snprintf(f->type, sizeof(f->type), "%s", t);
			}
			continue;
		}
		if (buf[0] == '#')
			continue; /* other comments are allowed */
		if (!buf[0])
			return snprintf(e->err, sizeof(e->err), "%d: empty line", lineno), -1;
		/* sample: name[{labels}] value */
		const char *p = buf;
		size_t n = parse_name(p, true);
		struct family *f;

		if (!n)
			return snprintf(e->err, sizeof(e->err), "%d: bad sample name", lineno), -1;
		f = find_family(e, p, n);
		if (!f || f != cur || !f->help || !f->type[0])
			return snprintf(e->err, sizeof(e->err),
					"%d: sample of %.*s outside its declared family", lineno,
					(int)n, p),
			       -1;
		if (!strcmp(f->type, "counter") && (n < 6 || memcmp(p + n - 6, "_total", 6)))
			return snprintf(e->err, sizeof(e->err), "%d: counter without _total",
					lineno),
			       -1;
		p += n;
		if (*p == '{') {
			p++;
			while (*p != '}') {
				size_t ln = parse_name(p, false);

				if (!ln || p[ln] != '=' || p[ln + 1] != '"')
					return snprintf(e->err, sizeof(e->err), "%d: bad label",
							lineno),
					       -1;
				p += ln + 2;
				while (*p && *p != '"') {
					if (*p == '\\') {
						if (p[1] != '\\' && p[1] != 'n' && p[1] != '"')
							return snprintf(e->err, sizeof(e->err),
									"%d: bad escape", lineno),
							       -1;
						p++;
					}
					p++;
				}
				if (*p != '"')
					return snprintf(e->err, sizeof(e->err), "%d: open label",
							lineno),
					       -1;
				p++;
				if (*p == ',')
					p++;
				else if (*p != '}')
					return snprintf(e->err, sizeof(e->err),
							"%d: label separator", lineno),
					       -1;
			}
			p++;
		}
		if (*p != ' ')
			return snprintf(e->err, sizeof(e->err), "%d: no value", lineno), -1;
		p++;
		if (strcmp(p, "NaN") && strcmp(p, "+Inf") && strcmp(p, "-Inf")) {
			char *vend;

			strtod(p, &vend);
			if (vend == p || *vend)
				return snprintf(e->err, sizeof(e->err), "%d: bad value \"%s\"",
						lineno, p),
				       -1;
		}
		f->samples++;
	}
	return 0;
}

/* ---- collectors ---- */

static atomic_uint_fast64_t packets;

static void collect_demo(void *ctx, struct metrics_writer *w)
{
	metrics_family(w, "moat_packets_total", METRICS_COUNTER, "Packets seen, by verdict.");
	metrics_sample(w, (double)atomic_load(&packets), "verdict", "pass", NULL);
	metrics_sample(w, 7, "verdict", "drop", NULL);
	metrics_family(w, "moat_weird", METRICS_GAUGE, "Help with a backslash \\ and a\nnewline.");
	metrics_sample(w, 0.25, "path", "C:\\dir \"quoted\"\nline", NULL);
	metrics_sample(w, NAN, "k", "nan", NULL);
	metrics_sample(w, INFINITY, "k", "inf", NULL);
	metrics_sample(w, -3, "k", "neg", NULL);
	metrics_sample(w, 1e300, "k", "big", NULL);
	metrics_sample(w, 18446744073709551615.0, "k", "u64max", NULL);
	metrics_family(w, "moat_up", METRICS_GAUGE, "1 while moatd runs.");
	metrics_sample(w, 1, NULL);
}

static void test_metrics_render_is_valid_exposition(void **state)
{
	struct metrics *m;
	struct expo e;
	char *text;
	size_t len;

	assert_int_equal(metrics_new_local(&m), 0);
	assert_int_equal(metrics_add_collector(m, collect_demo, NULL), 0);
	atomic_store(&packets, 12345678901ULL);
	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	if (expo_parse(&e, text) < 0)
		fail_msg("invalid exposition: %s\n%s", e.err, text);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.f[1].samples, 6);
	assert_non_null(strstr(text, "moat_packets_total{verdict=\"pass\"} 12345678901\n"));
	assert_non_null(
		strstr(text, "# HELP moat_weird Help with a backslash \\\\ and a\\nnewline.\n"));
	assert_non_null(
		strstr(text, "moat_weird{path=\"C:\\\\dir \\\"quoted\\\"\\nline\"} 0.25\n"));
	assert_non_null(strstr(text, "moat_weird{k=\"nan\"} NaN\n"));
	assert_non_null(strstr(text, "moat_weird{k=\"inf\"} +Inf\n"));
	assert_non_null(strstr(text, "moat_weird{k=\"neg\"} -3\n"));
	assert_non_null(strstr(text, "moat_weird{k=\"big\"} 1.0000000000000001e+300\n"));
	assert_non_null(strstr(text, "moat_up 1\n"));
	free(text);
	metrics_free(m);
}

static void test_metrics_validator_rejects_broken_text(void **state)
{
	static const char *const bad[] = {
		"moat_x 1\n", /* no HELP/TYPE */
		"# HELP a x\n# TYPE a gauge\na 1\n# HELP b y\n# TYPE b gauge\nb 1\na 2\n",
		"# HELP a x\n# TYPE a counter\na 1\n", /* counter without _total */
		"# HELP a x\n# TYPE a gauge\na{l=\"x} 1\n",
		"# HELP a x\n# TYPE a gauge\na{l=\"\\q\"} 1\n",
		"# HELP a x\n# TYPE a gauge\na one\n",
		"# HELP a x\n# TYPE a gauge\na 1",
		"# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
	};
	struct expo e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (expo_parse(&e, bad[i]) == 0)
			fail_msg("accepted broken exposition %zu", i);
}

static void test_metrics_listen_address_parsing(void **state)
{
	static const char *const bad[] = { "localhost:9567", "127.0.0.1",      "127.0.0.1:",
					   "1.2.3.4:99999",  "[::1]9567",      "::1:9567",
					   "[::1:9567",	     "300.1.1.1:9567", ":9567",
					   "[]:9567",	     "127.0.0.1:94x7" };
	struct sockaddr_storage ss;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(metrics_parse_listen(bad[i], &ss, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
		assert_non_null(strstr(err, "127.0.0.1:9567"));
	}
	assert_int_equal(metrics_parse_listen("127.0.0.1:9567", &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9567);
	assert_int_equal(metrics_parse_listen("[::1]:80", &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
}

/* ---- over HTTP ---- */

struct server {
	struct metrics *m;
	int stop[2];
	pthread_t t;
};

static void *serve(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = metrics_fd(s->m), .events = POLLIN },
				       { .fd = s->stop[0], .events = POLLIN } };

		poll(p, 2, 1000);
		if (p[1].revents)
			return NULL;
		if (p[0].revents)
			assert_int_equal(metrics_dispatch(s->m), 0);
	}
}

/* Send req to 127.0.0.1:port, return the whole response (malloc'd). */
static char *http(unsigned int port, const char *req)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	assert_non_null(buf);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		assert_int_equal(poll(&p, 1, 5000), 1);
		k = recv(fd, buf + len, cap - len - 1, 0);
		assert_true(k >= 0);
		if (k == 0)
			break;
		len += (size_t)k;
		assert_true(len < cap - 1);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static void test_metrics_served_over_http(void **state)
{
	struct server s = { 0 };
	char err[256];
	unsigned int port;
	char *resp, *body;
	struct expo e;
	struct metrics_stats st;

	assert_int_equal(metrics_new("127.0.0.1:0", &s.m, err, sizeof(err)), 0);
	assert_int_equal(metrics_add_collector(s.m, collect_demo, NULL), 0);
	port = metrics_port(s.m);
	assert_true(port > 0);
	assert_int_equal(pipe(s.stop), 0);
	assert_int_equal(pthread_create(&s.t, NULL, serve, &s), 0);

	for (uint64_t i = 1; i <= 3; i++) {
		char want[64];

		atomic_store(&packets, i * 1000);
		resp = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
		assert_non_null(strstr(resp, "HTTP/1.1 200"));
		assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
		body = strstr(resp, "\r\n\r\n");
		assert_non_null(body);
		body += 4;
		if (expo_parse(&e, body) < 0)
			fail_msg("invalid exposition over HTTP: %s", e.err);
		snprintf(want, sizeof(want), "moat_packets_total{verdict=\"pass\"} %llu\n",
			 (unsigned long long)(i * 1000));
		assert_non_null(strstr(body, want)); /* the counter moves between scrapes */
		free(resp);
	}
	resp = http(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_null(strstr(resp, "moat_up"));
	free(resp);
	resp = http(port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 404"));
	free(resp);
	resp = http(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
			  "Connection: close\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 405"));
	assert_non_null(strstr(resp, "GET, HEAD"));
	free(resp);
	/* libmicrohttpd closes a connection that is not HTTP without an answer */
	resp = http(port, "garbage\r\n\r\n");
	assert_null(strstr(resp, "moat_up"));
	free(resp);
	resp = http(port, "GET /metrics HTTP/1.0\r\n\r\n"); /* and serves the next */
	assert_non_null(strstr(resp, "HTTP/1.0 200") ? resp : strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "moat_up 1\n"));
	free(resp);

	assert_int_equal(write(s.stop[1], "x", 1), 1);
	pthread_join(s.t, NULL);
	metrics_get_stats(s.m, &st);
	assert_int_equal(st.scrapes, 5);
	assert_int_equal(st.not_found, 1);
	assert_int_equal(st.bad_method, 1);
	close(s.stop[0]);
	close(s.stop[1]);
	metrics_free(s.m);
}

static void test_metrics_port_in_use_is_an_error(void **state)
{
	struct metrics *a, *b = NULL;
	char err[256], addr[64];

	assert_int_equal(metrics_new("127.0.0.1:0", &a, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", metrics_port(a));
	assert_true(metrics_new(addr, &b, err, sizeof(err)) < 0);
	assert_null(b);
	assert_non_null(strstr(err, addr));
	metrics_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_render_is_valid_exposition),
		cmocka_unit_test(test_metrics_validator_rejects_broken_text),
		cmocka_unit_test(test_metrics_listen_address_parsing),
		cmocka_unit_test(test_metrics_served_over_http),
		cmocka_unit_test(test_metrics_port_in_use_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
