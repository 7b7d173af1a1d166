// SPDX-License-Identifier: GPL-2.0-only
/*
 * reaction: how fast moatd bans an attacker. Run inside the client's network namespace of a
 * lab where moatd protects the path to an HTTP server (tests/bench/reaction.sh builds it).
 * Per trial, from a fresh source address: connect, send one attack request, and take t0 when
 * send() returned (the last byte left the client's socket). Then spin: send a small UDP probe
 * from the same source every 20 microseconds (sleeping 10 us between checks) and read the blocklist entry of the source from
 * the pinned map (moat_dp_get): ban = first time the entry exists, drop = first time its hit
 * counter is non-zero (the kernel dropped a packet of the source at XDP). Prints one JSON
 * object with median, p99, min and max over the trials, beside two baselines measured in the
 * same run: the same probe loop after a direct moat_dp_add() (the floor: kernel + probe loop,
 * no detection), and the HTTP round trip of a benign request (the server's own latency, which
 * the ban waits for when the request only completes with the response).
 *
 *   reaction --pin-root DIR --server ADDR [--port N] --source-base ADDR [--trials N]
 *            [--path /attack] [--timeout-ms N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "datapath/datapath.h"

struct opts {
	const char *pin_root, *path;
	struct in_addr server, base;
	uint16_t port;
	unsigned int trials;
	unsigned int timeout_ms;
};

static uint64_t now_ns(void)
{
	return moat_dp_now_ns();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* {median, p99, min, max, n} in microseconds (3 decimals) of V[0..n) (sorted in place). */
static json_t *summary(uint64_t *v, size_t n)
{
	size_t p99;

	if (n == 0)
		return json_pack("{s:i}", "n", 0);
	qsort(v, n, sizeof(*v), cmp_u64);
	p99 = (n * 99 + 99) / 100;
	if (p99 > 0)
		p99--;
	if (p99 >= n)
		p99 = n - 1;
	return json_pack("{s:f, s:f, s:f, s:f, s:I}", "median_us", (double)v[n / 2] / 1000.0,
			 "p99_us", (double)v[p99] / 1000.0, "min_us", (double)v[0] / 1000.0,
			 "max_us", (double)v[n - 1] / 1000.0, "n", (json_int_t)n);
}

static struct in_addr addr_plus(struct in_addr base, unsigned int i)
{
	struct in_addr a = { .s_addr = htonl(ntohl(base.s_addr) + i) };

	return a;
}

static int bound_socket(int type, struct in_addr src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = src };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int tcp_connect(const struct opts *o, struct in_addr src)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_addr = o->server,
				   .sin_port = htons(o->port) };
	struct timeval tv = { .tv_sec = 2 };
	int fd = bound_socket(SOCK_STREAM, src);

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/*
 * The probe loop from SRC after T0: fills *ret_ban (0 if never) and *ret_drop (0 if never),
 * both relative to T0. Returns 0 when a drop was seen, -ETIMEDOUT otherwise.
 */
static int probe_loop(const struct opts *o, struct moat_dp *dp, struct in_addr src, uint64_t t0,
		      uint64_t *ret_ban, uint64_t *ret_drop)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_addr = o->server,
				   .sin_port = htons(9) };
	struct moat_dp_entry key = { .kind = MOAT_KIND_BLOCK, .dir = MOAT_DIR_SRC }, e;
	uint64_t deadline = t0 + (uint64_t)o->timeout_ms * 1000000u, last_probe = 0;
	int fd = bound_socket(SOCK_DGRAM, src);

	if (fd < 0)
		return fd;
	*ret_ban = *ret_drop = 0;
	key.cidr.family = AF_INET;
	key.cidr.prefix = 32;
	memcpy(key.cidr.addr, &src, 4);
	for (;;) {
		uint64_t t = now_ns();

		if (t > deadline)
			break;
		if (t - last_probe >= 20000) { /* a probe every 20 us */
			sendto(fd, "p", 1, MSG_DONTWAIT, (struct sockaddr *)&dst, sizeof(dst));
			last_probe = t;
		}
		/* sleep rather than spin: on a small machine a spinning client would take the
		 * CPU the daemon's workers need and measure the scheduler instead */
		nanosleep(&(struct timespec){ .tv_nsec = 10000 }, NULL);
		if (moat_dp_get(dp, &key, &e) == 0) {
			if (!*ret_ban)
				*ret_ban = now_ns() - t0;
			if (e.hits > 0) {
				*ret_drop = now_ns() - t0;
				close(fd);
				return 0;
			}
		}
	}
	close(fd);
	return -ETIMEDOUT;
}

static void unban(struct moat_dp *dp, struct in_addr src)
{
	struct moat_dp_entry key = { .kind = MOAT_KIND_BLOCK, .dir = MOAT_DIR_SRC };

	key.cidr.family = AF_INET;
	key.cidr.prefix = 32;
	memcpy(key.cidr.addr, &src, 4);
	moat_dp_delete(dp, &key);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "server", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'P' },
		{ "source-base", required_argument, NULL, 'b' },
		{ "trials", required_argument, NULL, 'n' },
		{ "path", required_argument, NULL, 'u' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->pin_root = optarg;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o->server) != 1)
				return -EINVAL;
			break;
		case 'P':
			if (parse_port(optarg, &o->port) < 0)
				return -EINVAL;
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &o->base) != 1)
				return -EINVAL;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 100000, &v) < 0)
				return -EINVAL;
			o->trials = (unsigned int)v;
			break;
		case 'u':
			o->path = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 1, 60000, &v) < 0)
				return -EINVAL;
			o->timeout_ms = (unsigned int)v;
			break;
		default:
			return -EINVAL;
		}
	}
	if (!o->pin_root || !o->server.s_addr || !o->base.s_addr)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .path = "/attack", .port = 8080, .trials = 200, .timeout_ms = 2000 };
	struct moat_dp_opts dopts = { 0 };
	struct moat_dp *dp = NULL;
	uint64_t *ban, *drop, *floor_drop, *rtt;
	size_t n_ok = 0, n_floor = 0, n_rtt = 0, timeouts = 0, errors = 0;
	unsigned int n_baseline;
	char req[512], err[256];
	json_t *out;
	int r;

	if (parse_opts(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: reaction --pin-root DIR --server ADDR [--port N] "
				"--source-base ADDR [--trials N] [--path P] [--timeout-ms N]\n");
		return 2;
	}
	n_baseline = o.trials < 50 ? o.trials : 50;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* 10 us sleeps, not 50 us */
	dopts.pin_root = o.pin_root;
	r = moat_dp_open(&dopts, &dp, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "reaction: %s\n", err);
		return r == -EPERM ? 77 : 1;
	}
	ban = calloc(o.trials, sizeof(*ban));
	drop = calloc(o.trials, sizeof(*drop));
	floor_drop = calloc(n_baseline, sizeof(*floor_drop));
	rtt = calloc(n_baseline, sizeof(*rtt));
	if (!ban || !drop || !floor_drop || !rtt)
		return 1;
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: bench\r\nUser-Agent: moat-reaction\r\n"
		 "Connection: close\r\n\r\n",
		 o.path);

	/* baseline 1: the benign HTTP round trip (first response byte), sources after the
	 * trial range so no source ever attacked */
	for (unsigned int i = 0; i < n_baseline; i++) {
		struct in_addr src = addr_plus(o.base, o.trials + n_baseline + i);
		const char *benign = "GET /index.html HTTP/1.1\r\nHost: bench\r\n"
				     "Connection: close\r\n\r\n";
		char c;
		int fd = tcp_connect(&o, src);
		uint64_t t0;

		if (fd < 0) {
			errors++;
			continue;
		}
		t0 = now_ns();
		if (send(fd, benign, strlen(benign), 0) == (ssize_t)strlen(benign) &&
		    recv(fd, &c, 1, 0) == 1)
			rtt[n_rtt++] = now_ns() - t0;
		close(fd);
	}

	/* the trials */
	for (unsigned int i = 0; i < o.trials; i++) {
		struct in_addr src = addr_plus(o.base, i);
		int fd = tcp_connect(&o, src);
		uint64_t t0, b, d;

		if (fd < 0) {
			errors++;
			continue;
		}
		if (send(fd, req, strlen(req), 0) != (ssize_t)strlen(req)) {
			errors++;
			close(fd);
			continue;
		}
		t0 = now_ns();
		r = probe_loop(&o, dp, src, t0, &b, &d);
		close(fd);
		if (r < 0) {
			timeouts++;
			continue;
		}
		ban[n_ok] = b;
		drop[n_ok] = d;
		n_ok++;
		unban(dp, src);
	}

	/* baseline 2: the floor, a ban written directly (no detection) and the same loop */
	for (unsigned int i = 0; i < n_baseline; i++) {
		struct in_addr src = addr_plus(o.base, o.trials + i);
		struct moat_dp_entry e = { .kind = MOAT_KIND_BLOCK,
					   .dir = MOAT_DIR_SRC,
					   .reason = MOAT_REASON_MANUAL,
					   .ttl_sec = 60 };
		uint64_t t0, b, d;

		e.cidr.family = AF_INET;
		e.cidr.prefix = 32;
		memcpy(e.cidr.addr, &src, 4);
		t0 = now_ns();
		if (moat_dp_add(dp, &e) < 0) {
			errors++;
			continue;
		}
		if (probe_loop(&o, dp, src, t0, &b, &d) == 0)
			floor_drop[n_floor++] = d;
		unban(dp, src);
	}

	out = json_pack(
		"{s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:{s:o, s:o}, s:s}", "benchmark", "reaction",
		"trials", (json_int_t)o.trials, "ok", (json_int_t)n_ok, "timeouts",
		(json_int_t)timeouts, "errors", (json_int_t)errors, "request_to_ban",
		summary(ban, n_ok), "request_to_first_drop", summary(drop, n_ok), "baseline",
		"direct_ban_to_first_drop", summary(floor_drop, n_floor), "benign_http_rtt",
		summary(rtt, n_rtt), "note",
		"t0 = send() of the attack request returned; ban = entry in the pinned map; "
		"drop = its XDP hit counter > 0 (a 20 us UDP probe from the source)");
	if (!out)
		return 1;
	json_dumpf(out, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(out);
	free(ban);
	free(drop);
	free(floor_drop);
	free(rtt);
	moat_dp_close(dp);
	return n_ok ? 0 : 1;
}
