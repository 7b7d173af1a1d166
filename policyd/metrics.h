/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prometheus metrics: the text exposition format (version 0.0.4) rendered from collector
 * callbacks at scrape time, served over HTTP (GET /metrics) on a local address by
 * libmicrohttpd driven from the daemon's epoll loop (no thread of its own).
 *
 * Threading: everything, collectors included, runs in the daemon loop's thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_DEFAULT_LISTEN "127.0.0.1:9567"
#define METRICS_MAX_COLLECTORS 16
#define METRICS_MAX_CLIENTS 16
#define METRICS_MAX_OUTPUT (16u << 20) /* a rendering past this is cut and counted */

enum metrics_type {
	METRICS_COUNTER = 0,
	METRICS_GAUGE,
};

/* Accumulates one exposition. Families must be declared before their samples; a family
 * declared twice or an invalid name is a programmer error (assert). */
struct metrics_writer;

/* Start family `name` (e.g. "moat_packets_total") with its type and help text. */
void metrics_family(struct metrics_writer *w, const char *name, enum metrics_type type,
		    const char *help);
/*
 * One sample of the current family: label name/value pairs follow v, terminated by NULL
 * ("reason", "xdp_block", NULL). Label values are escaped; names must be valid.
 */
void metrics_sample(struct metrics_writer *w, double v, ...) __attribute__((sentinel));
/* Same, with a suffix appended to the family name (histogram/summary parts: "_sum"). */
void metrics_sample_suffix(struct metrics_writer *w, const char *suffix, double v, ...)
	__attribute__((sentinel));

typedef void (*metrics_collect_fn)(void *ctx, struct metrics_writer *w);

struct metrics_stats {
	uint64_t scrapes; /* /metrics answered */
	uint64_t not_found; /* other paths */
	uint64_t bad_method; /* methods other than GET/HEAD */
	uint64_t truncated; /* renderings cut at METRICS_MAX_OUTPUT */
};

struct metrics;

/*
 * Listen on "ADDR:PORT" ("127.0.0.1:9567", "[::1]:9567"). Returns 0, -EINVAL for a malformed
 * address (message in err), or the bind error. Create nothing when metrics are off (empty
 * address): that is the caller's decision.
 */
int metrics_new(const char *listen, struct metrics **ret, char *err, size_t errlen);
void metrics_free(struct metrics *m);

/* Collectors run in registration order at every scrape. Returns 0 or -ENOSPC. */
int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *ctx);

/* The descriptor for the daemon's epoll loop; when readable, call metrics_dispatch(). */
int metrics_fd(const struct metrics *m);
int metrics_dispatch(struct metrics *m);

/* The port actually bound (useful with port 0). */
unsigned int metrics_port(const struct metrics *m);

/* Render the exposition now (fwctl stats --prometheus over the control socket, tests).
 * *ret is malloc'd and NUL-terminated. m may have no listener: see metrics_new_local(). */
int metrics_render(struct metrics *m, char **ret, size_t *ret_len);
/* A metrics object without a listener (rendering only). */
int metrics_new_local(struct metrics **ret);

void metrics_get_stats(const struct metrics *m, struct metrics_stats *ret);

/* Parse "ADDR:PORT" / "[V6]:PORT" into a sockaddr_storage; 0 or -EINVAL with a message. */
struct sockaddr_storage;
int metrics_parse_listen(const char *s, struct sockaddr_storage *ret, char *err, size_t errlen);
