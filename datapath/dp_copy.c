// SPDX-License-Identifier: GPL-2.0-only
/* Packet copies to userspace (ring buffers, perf buffers), flow bypass, in-kernel HTTP checks. */

/*
 * The kernel side is in moat_filter.bpf.c (moat_flow_stage); the map layouts in moat_abi.h.
 * Consumers are libbpf's ring_buffer and perf_buffer: this file only checks every record's
 * header against what arrived before handing it on.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/dp_internal.h"
#include "lib/lib.h"
#include "moat_filter.skel.h"

/*
 * The kernel wakes a consumer at most once per worker per 100 us (MOAT_WAKE_NS in
 * moat_filter.bpf.c; perf: every DP_PERF_WAKEUP_EVENTS samples), so records may sit in a
 * buffer without a wakeup: moat_dp_consumer_poll() never waits longer than DP_POLL_SLICE_MS
 * without consuming.
 */
#define DP_POLL_SLICE_MS MOAT_DP_CONSUMER_MAX_WAIT_MS
#define DP_PERF_WAKEUP_EVENTS 16

int dp_copy_size_maps(struct moat_dp *dp, const struct moat_dp_opts *opts)
{
	struct moat_filter *s = dp->skel;
	uint32_t http = opts->http_entries ? opts->http_entries : MOAT_DP_DEFAULT_HTTP_ENTRIES;
	int r;

	dp->ncpu = libbpf_num_possible_cpus();
	if (dp->ncpu <= 0)
		return dp_fail(dp, dp->ncpu ? dp->ncpu : -EINVAL, "counting possible CPUs");
	if ((r = dp_size_map(dp, s->maps.moat_ccfg, 0)) < 0 ||
	    (r = dp_size_map(dp, s->maps.moat_cstats, 0)) < 0 ||
	    (r = dp_size_map(dp, s->maps.moat_flows,
			     opts->flow_entries ? opts->flow_entries :
						  MOAT_DP_DEFAULT_FLOW_ENTRIES)) < 0 ||
	    (r = dp_size_map(dp, s->maps.moat_http_h, http)) < 0 ||
	    (r = dp_size_map(dp, s->maps.moat_http_u, http)) < 0 ||
	    (r = dp_size_map(dp, s->maps.moat_rings, 0)) < 0 ||
	    (r = dp_size_map(dp, s->maps.moat_perf, MOAT_MAX_WORKERS * (uint32_t)dp->ncpu)) < 0)
		return r;
	/* Not pinned (belongs to the program): one frame scratch per possible CPU. */
	r = bpf_map__set_max_entries(s->maps.moat_cscratch, (uint32_t)dp->ncpu);
	if (r < 0)
		return dp_fail(dp, r, "moat_cscratch: setting size %d", dp->ncpu);
	return 0;
}

int dp_copy_open(struct moat_dp *dp)
{
	struct moat_filter *s = dp->skel;
	void *mm;

	dp->cstats_fd = bpf_map__fd(s->maps.moat_cstats);
	dp->flows_fd = bpf_map__fd(s->maps.moat_flows);
	dp->http_h_fd = bpf_map__fd(s->maps.moat_http_h);
	dp->http_u_fd = bpf_map__fd(s->maps.moat_http_u);
	dp->rings_fd = bpf_map__fd(s->maps.moat_rings);
	dp->perf_fd = bpf_map__fd(s->maps.moat_perf);
	if (bpf_map__max_entries(s->maps.moat_perf) < MOAT_MAX_WORKERS * (uint32_t)dp->ncpu)
		return dp_fail(
			dp, -EPROTO,
			"pinned moat_perf has %u slots, this machine needs %u (CPUs added?); "
			"remove it to start afresh",
			bpf_map__max_entries(s->maps.moat_perf),
			MOAT_MAX_WORKERS * (uint32_t)dp->ncpu);
	mm = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		  bpf_map__fd(s->maps.moat_ccfg), 0);
	if (mm == MAP_FAILED)
		return dp_fail(dp, -errno, "mapping moat_ccfg: %s", strerror(errno));
	dp->ccfg = mm;
	return 0;
}

/* Remove our ring buffers from moat_rings (only slots still holding ours) and close them. */
static void release_rings(struct moat_dp *dp)
{
	for (uint32_t w = 0; w < MOAT_MAX_WORKERS; w++) {
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info), id = 0;

		if (dp->ring_fd[w] < 0)
			continue;
		if (dp->rings_fd >= 0 && bpf_obj_get_info_by_fd(dp->ring_fd[w], &info, &len) == 0 &&
		    bpf_map_lookup_elem(dp->rings_fd, &w, &id) == 0 && id == info.id)
			bpf_map_delete_elem(dp->rings_fd, &w);
		close(dp->ring_fd[w]);
		dp->ring_fd[w] = -1;
	}
}

void dp_copy_close(struct moat_dp *dp)
{
	release_rings(dp);
	if (dp->ccfg)
		munmap(dp->ccfg, sysconf(_SC_PAGESIZE));
	dp->ccfg = NULL;
}

void moat_dp_copy_cfg_init(struct moat_dp_copy_cfg *cfg)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->n_workers = n < 1 ? 1 : n > MOAT_MAX_WORKERS ? MOAT_MAX_WORKERS : (unsigned int)n;
	cfg->transport = MOAT_COPY_RINGBUF;
	cfg->ring_bytes = MOAT_DP_COPY_DEFAULT_RING_BYTES;
	cfg->depth = MOAT_DP_COPY_DEFAULT_DEPTH;
	cfg->snaplen = MOAT_DP_COPY_DEFAULT_SNAPLEN;
}

int moat_dp_copy_start(struct moat_dp *dp, const struct moat_dp_copy_cfg *cfg)
{
	long page = sysconf(_SC_PAGESIZE);
	struct moat_copy_cfg *cc = dp->ccfg;

	if (cfg->n_workers < 1 || cfg->n_workers > MOAT_MAX_WORKERS)
		return dp_fail(dp, -EINVAL, "copy: n_workers %u is not in 1..%u", cfg->n_workers,
			       MOAT_MAX_WORKERS);
	if (cfg->transport != MOAT_COPY_RINGBUF && cfg->transport != MOAT_COPY_PERFBUF)
		return dp_fail(dp, -EINVAL, "copy: unknown transport %d", (int)cfg->transport);
	if (cfg->ring_bytes < page || (cfg->ring_bytes & (cfg->ring_bytes - 1)))
		return dp_fail(dp, -EINVAL,
			       "copy: ring_bytes %u is not a power of two of at least the page "
			       "size (%ld)",
			       cfg->ring_bytes, page);
	if (cfg->snaplen < 1 || cfg->snaplen > MOAT_SNAPLEN_MAX)
		return dp_fail(dp, -EINVAL, "copy: snaplen %u is not in 1..%u", cfg->snaplen,
			       MOAT_SNAPLEN_MAX);

	/* Stop copying while the buffers change; drop the previous ones. */
	__atomic_store_n(&cc->enabled, 0, __ATOMIC_SEQ_CST);
	release_rings(dp);
	dp->n_workers = 0;
	for (uint32_t w = 0; w < MOAT_MAX_WORKERS; w++)
		if (bpf_map_delete_elem(dp->rings_fd, &w) < 0 && errno != ENOENT)
			return dp_fail(dp, -errno, "moat_rings[%u]: delete: %s", w,
				       strerror(errno));
	if (cfg->transport == MOAT_COPY_RINGBUF) {
		for (uint32_t w = 0; w < cfg->n_workers; w++) {
			char name[24];
			int fd;

			snprintf(name, sizeof(name), "moat_ring%u", w);
			fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, cfg->ring_bytes,
					    NULL);
			if (fd < 0) {
				int r = -errno;

				release_rings(dp);
				return dp_fail(dp, r, "creating ring buffer %u (%u bytes): %s", w,
					       cfg->ring_bytes, strerror(-r));
			}
			dp->ring_fd[w] = fd;
			if (bpf_map_update_elem(dp->rings_fd, &w, &fd, BPF_ANY) < 0) {
				int r = -errno;

				release_rings(dp);
				return dp_fail(dp, r, "moat_rings[%u]: inserting ring buffer: %s",
					       w, strerror(-r));
			}
		}
	}
	dp->n_workers = cfg->n_workers;
	dp->transport = cfg->transport;
	dp->ring_bytes = cfg->ring_bytes;
	__atomic_store_n(&cc->n_workers, cfg->n_workers, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->transport,
			 cfg->transport == MOAT_COPY_PERFBUF ? MOAT_TRANSPORT_PERFBUF :
							       MOAT_TRANSPORT_RINGBUF,
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->depth, cfg->depth, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->snaplen, cfg->snaplen, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->ncpu,
			 bpf_map__max_entries(dp->skel->maps.moat_perf) / MOAT_MAX_WORKERS,
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->enabled, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int moat_dp_copy_stop(struct moat_dp *dp)
{
	__atomic_store_n(&dp->ccfg->enabled, 0, __ATOMIC_SEQ_CST);
	release_rings(dp);
	dp->n_workers = 0;
	return 0;
}

/* ---- consumers ---- */

struct moat_dp_consumer {
	moat_dp_pkt_cb cb;
	void *ctx;
	unsigned int worker;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	int ring_fd; /* our dup of the worker's ring buffer */
	int cb_err; /* the callback's stop value */
	int delivered; /* records delivered in the current poll */
	uint64_t malformed;
};

/* Check a record against what arrived, then hand it on. */
static int deliver(struct moat_dp_consumer *c, const void *data, size_t size)
{
	struct moat_pkt_hdr h;
	struct moat_pkt p;
	int r;

	if (size < sizeof(h)) {
		c->malformed++;
		return 0;
	}
	memcpy(&h, data, sizeof(h));
	if (h.hdr_len != sizeof(h) || h.cap_len > size - sizeof(h)) {
		c->malformed++;
		return 0;
	}
	p = (struct moat_pkt){
		.ts_ns = h.ts_ns,
		.ifindex = h.ifindex,
		.hook = h.hook,
		.kind = h.kind,
		.http_check = h.http_check,
		.wire_len = h.wire_len,
		.cap_len = h.cap_len,
		.data = (const uint8_t *)data + sizeof(h),
		.worker = c->worker,
	};
	c->delivered++;
	r = c->cb(c->ctx, &p);
	if (r < 0)
		c->cb_err = r;
	return r < 0 ? r : 0;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size);
}

struct perf_sample {
	struct perf_event_header header;
	uint32_t size;
	uint8_t data[];
};

static enum bpf_perf_event_ret on_perf(void *ctx, int cpu, struct perf_event_header *ev)
{
	struct moat_dp_consumer *c = ctx;
	struct perf_sample *s = (struct perf_sample *)ev;

	(void)cpu;
	if (ev->type != PERF_RECORD_SAMPLE)
		return LIBBPF_PERF_EVENT_CONT; /* PERF_RECORD_LOST: the kernel counted it as lost */
	if (ev->size < sizeof(*s) || s->size > ev->size - sizeof(*s)) {
		c->malformed++;
		return LIBBPF_PERF_EVENT_CONT;
	}
	return deliver(c, s->data, s->size) < 0 ? LIBBPF_PERF_EVENT_ERROR : LIBBPF_PERF_EVENT_CONT;
}

/* Online CPUs from /sys (perf events cannot be opened on offline ones). */
static int online_cpus(bool *online, int n)
{
	_cleanup_fclose_ FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	char buf[1024], *p;

	if (!f || !fgets(buf, sizeof(buf), f))
		return -errno ? -errno : -EIO;
	memset(online, 0, n * sizeof(*online));
	for (p = buf; *p && *p != '\n';) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1)
				return -EINVAL;
			p = end;
		}
		for (long i = a; i <= b && i < n; i++)
			if (i >= 0)
				online[i] = true;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int perf_consumer(struct moat_dp *dp, struct moat_dp_consumer *c)
{
	uint32_t stride = bpf_map__max_entries(dp->skel->maps.moat_perf) / MOAT_MAX_WORKERS;
	_cleanup_free_ bool *online = calloc(dp->ncpu, sizeof(bool));
	_cleanup_free_ int *cpus = calloc(dp->ncpu, sizeof(int));
	_cleanup_free_ int *keys = calloc(dp->ncpu, sizeof(int));
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.wakeup_events = DP_PERF_WAKEUP_EVENTS,
	};
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = 1;
	int n = 0, r;

	if (!online || !cpus || !keys)
		return dp_fail(dp, -ENOMEM, "out of memory");
	r = online_cpus(online, dp->ncpu);
	if (r < 0)
		return dp_fail(dp, r, "reading /sys/devices/system/cpu/online: %s", strerror(-r));
	for (int i = 0; i < dp->ncpu; i++) {
		if (!online[i])
			continue;
		cpus[n] = i;
		keys[n] = (int)(c->worker * stride + i);
		n++;
	}
	/* ring_bytes per worker, split over its per-CPU buffers, power-of-two pages each */
	while (pages * 2 * page * n <= dp->ring_bytes)
		pages *= 2;
	{
		LIBBPF_OPTS(perf_buffer_raw_opts, o, .cpu_cnt = n, .cpus = cpus, .map_keys = keys);

		c->pb = perf_buffer__new_raw(dp->perf_fd, pages, &attr, on_perf, c, &o);
	}
	if (!c->pb)
		return dp_fail(dp, -errno, "worker %u: opening perf buffers: %s", c->worker,
			       strerror(errno));
	return 0;
}

int moat_dp_consumer_new(struct moat_dp *dp, unsigned int worker, moat_dp_pkt_cb cb, void *ctx,
			 struct moat_dp_consumer **ret)
{
	_cleanup_free_ struct moat_dp_consumer *c = NULL;
	int r;

	if (!cb)
		return dp_fail(dp, -EINVAL, "consumer: no callback");
	if (!dp->n_workers)
		return dp_fail(dp, -EINVAL, "consumer: copying is not started");
	if (worker >= dp->n_workers)
		return dp_fail(dp, -EINVAL, "consumer: worker %u is not in 0..%u", worker,
			       dp->n_workers - 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		return dp_fail(dp, -ENOMEM, "out of memory");
	c->cb = cb;
	c->ctx = ctx;
	c->worker = worker;
	c->ring_fd = -1;
	if (dp->transport == MOAT_COPY_PERFBUF) {
		r = perf_consumer(dp, c);
		if (r < 0)
			return r;
	} else {
		c->ring_fd = fcntl(dp->ring_fd[worker], F_DUPFD_CLOEXEC, 3);
		if (c->ring_fd < 0)
			return dp_fail(dp, -errno, "worker %u: dup ring fd: %s", worker,
				       strerror(errno));
		c->rb = ring_buffer__new(c->ring_fd, on_ring, c, NULL);
		if (!c->rb) {
			r = -errno;
			close(c->ring_fd);
			return dp_fail(dp, r, "worker %u: mapping ring buffer: %s", worker,
				       strerror(-r));
		}
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int moat_dp_consumer_fd(const struct moat_dp_consumer *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : perf_buffer__epoll_fd(c->pb);
}

int moat_dp_consumer_poll(struct moat_dp_consumer *c, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? moat_dp_now_ns() + timeout_ms * 1000000ull : 0;
	int r;

	c->delivered = 0;
	c->cb_err = 0;
	for (;;) {
		int slice = timeout_ms == 0 ? 0 : DP_POLL_SLICE_MS;

		r = c->rb ? ring_buffer__poll(c->rb, slice) : perf_buffer__poll(c->pb, slice);
		if (r >= 0 && !c->delivered && c->cb_err == 0)
			r = c->rb ? ring_buffer__consume(c->rb) : perf_buffer__consume(c->pb);
		if (c->cb_err < 0)
			return c->cb_err;
		if (r < 0 && r != -EINTR)
			return r;
		if (c->delivered || timeout_ms == 0 || r == -EINTR)
			return c->delivered;
		if (timeout_ms > 0 && moat_dp_now_ns() >= deadline)
			return 0;
	}
}

uint64_t moat_dp_consumer_malformed(const struct moat_dp_consumer *c)
{
	return c->malformed;
}

void moat_dp_consumer_free(struct moat_dp_consumer *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	perf_buffer__free(c->pb);
	if (c->ring_fd >= 0)
		close(c->ring_fd);
	free(c);
}

/* ---- counters and flows ---- */

int moat_dp_copy_stats(struct moat_dp *dp, int worker, struct moat_dp_copy_stats *ret)
{
	_cleanup_free_ struct moat_copy_counters *per = calloc(dp->ncpu, sizeof(*per));
	struct moat_dp_copy_stats s = {};
	uint32_t first = worker < 0 ? 0 : (uint32_t)worker;
	uint32_t last = worker < 0 ? MOAT_MAX_WORKERS - 1 : (uint32_t)worker;

	if (worker >= MOAT_MAX_WORKERS || worker < -1)
		return dp_fail(dp, -EINVAL, "copy stats: worker %d is not in -1..%d", worker,
			       MOAT_MAX_WORKERS - 1);
	if (!per)
		return dp_fail(dp, -ENOMEM, "out of memory");
	for (uint32_t w = first; w <= last; w++) {
		if (bpf_map_lookup_elem(dp->cstats_fd, &w, per) < 0)
			return dp_fail(dp, -errno, "reading moat_cstats[%u]: %s", w,
				       strerror(errno));
		for (int i = 0; i < dp->ncpu; i++) {
			s.copied += per[i].copied;
			s.copied_bytes += per[i].copied_bytes;
			s.lost += per[i].lost;
			s.depth_skipped += per[i].depth_skipped;
			s.bypassed += per[i].bypassed;
			s.http_blocked += per[i].http_blocked;
			s.http_incomplete += per[i].http_incomplete;
			s.flow_full += per[i].flow_full;
		}
	}
	*ret = s;
	return 0;
}

static int flow_key(const struct moat_dp_flow *f, struct moat_flow_key *k)
{
	uint8_t fam = f->family == AF_INET || f->family == 4  ? 4 :
		      f->family == AF_INET6 || f->family == 6 ? 6 :
								0;

	if (!fam || (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP))
		return -EINVAL;
	moat_flow_key_make(k, fam, f->proto, f->saddr, f->daddr, htons(f->sport), htons(f->dport));
	return 0;
}

unsigned int moat_dp_flow_worker(const struct moat_dp_flow *f, unsigned int n_workers)
{
	struct moat_flow_key k;

	if (n_workers <= 1 || flow_key(f, &k) < 0)
		return 0;
	return moat_flow_hash(&k) % n_workers;
}

int moat_dp_flow_bypass(struct moat_dp *dp, const struct moat_dp_flow *f)
{
	struct moat_flow_key k;
	struct moat_flow v = {};

	if (flow_key(f, &k) < 0)
		return dp_fail(dp, -EINVAL,
			       "bypass: family %u / protocol %u is not IPv4/IPv6 TCP/UDP",
			       f->family, f->proto);
	if (bpf_map_lookup_elem(dp->flows_fd, &k, &v) < 0 && errno != ENOENT)
		return dp_fail(dp, -errno, "moat_flows: lookup: %s", strerror(errno));
	/* The kernel only ever sets flags and adds bytes: a lost concurrent add is harmless. */
	v.flags |= MOAT_FLOW_BYPASS;
	if (bpf_map_update_elem(dp->flows_fd, &k, &v, BPF_ANY) < 0)
		return dp_fail(dp, -errno, "moat_flows: update: %s", strerror(errno));
	return 0;
}

/* ---- HTTP checks ---- */

const char *moat_dp_http_check_name(unsigned int check)
{
	switch (check) {
	case MOAT_HTTP_METHOD:
		return "method";
	case MOAT_HTTP_HOST:
		return "host";
	case MOAT_HTTP_URI_PREFIX:
		return "uri-prefix";
	case MOAT_HTTP_REQUEST_LINE_LEN:
		return "request-line-length";
	case MOAT_HTTP_HEADER_LEN:
		return "header-length";
	}
	return "?";
}

static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* Validate value and build its key: hash key (method, host) or trie key (URI prefix). */
static int http_key(struct moat_dp *dp, enum moat_http_check kind, const char *value,
		    struct moat_http_key *hk, struct moat_http_uri_key *uk)
{
	size_t n = value ? strlen(value) : 0;
	const char *what = moat_dp_http_check_name(kind);

	if (!n)
		return dp_fail(dp, -EINVAL, "http %s: empty value", what);
	switch (kind) {
	case MOAT_HTTP_METHOD:
		if (n > MOAT_HTTP_METHOD_MAX)
			return dp_fail(
				dp, -EINVAL,
				"http method \"%.40s...\": longer than %u bytes (the kernel's "
				"fixed-size key)",
				value, MOAT_HTTP_METHOD_MAX);
		for (size_t i = 0; i < n; i++)
			if (!is_tchar(value[i]))
				return dp_fail(dp, -EINVAL,
					       "http method \"%s\": not a token (character %zu)",
					       value, i + 1);
		memset(hk, 0, sizeof(*hk));
		hk->kind = MOAT_HC_METHOD;
		hk->len = n;
		memcpy(hk->value, value, n);
		return 0;
	case MOAT_HTTP_HOST:
		if (n > MOAT_HTTP_KEY_MAX)
			return dp_fail(dp, -EINVAL,
				       "http host \"%.40s...\": longer than %u bytes (the kernel's "
				       "fixed-size key)",
				       value, MOAT_HTTP_KEY_MAX);
		if (value[0] == '[') {
			if (value[n - 1] != ']' || n < 3)
				return dp_fail(dp, -EINVAL,
					       "http host \"%s\": an IPv6 literal is [address], "
					       "without a port",
					       value);
			for (size_t i = 1; i < n - 1; i++)
				if (!isxdigit((unsigned char)value[i]) && value[i] != ':' &&
				    value[i] != '.')
					return dp_fail(
						dp, -EINVAL,
						"http host \"%s\": bad character in the IPv6 "
						"literal (character %zu)",
						value, i + 1);
		} else {
			for (size_t i = 0; i < n; i++) {
				if (value[i] == ':')
					return dp_fail(dp, -EINVAL,
						       "http host \"%s\": no port please (the port "
						       "of a Host header is ignored)",
						       value);
				if (!is_host_char(value[i]))
					return dp_fail(dp, -EINVAL,
						       "http host \"%s\": not a host name "
						       "(character %zu)",
						       value, i + 1);
			}
		}
		memset(hk, 0, sizeof(*hk));
		hk->kind = MOAT_HC_HOST;
		hk->len = n;
		for (size_t i = 0; i < n; i++)
			hk->value[i] = tolower((unsigned char)value[i]);
		return 0;
	case MOAT_HTTP_URI_PREFIX:
		if (n > MOAT_HTTP_URI_MAX)
			return dp_fail(dp, -EINVAL,
				       "http uri prefix \"%.40s...\": longer than %u bytes (the "
				       "kernel's fixed-size key)",
				       value, MOAT_HTTP_URI_MAX);
		if (value[0] != '/')
			return dp_fail(dp, -EINVAL,
				       "http uri prefix \"%s\": must start with '/' (origin-form "
				       "request target)",
				       value);
		for (size_t i = 0; i < n; i++)
			if (value[i] <= 0x20 || value[i] >= 0x7f)
				return dp_fail(
					dp, -EINVAL,
					"http uri prefix \"%s\": not visible ASCII (character "
					"%zu)",
					value, i + 1);
		memset(uk, 0, sizeof(*uk));
		uk->prefixlen = 8 * n;
		memcpy(uk->uri, value, n);
		return 0;
	case MOAT_HTTP_REQUEST_LINE_LEN:
	case MOAT_HTTP_HEADER_LEN:
		return dp_fail(dp, -EINVAL, "http %s: a limit, set with moat_dp_http_set_limits",
			       what);
	}
	return dp_fail(dp, -EINVAL, "http: unknown check %d", (int)kind);
}

static void http_mark(struct moat_dp *dp, unsigned int hc)
{
	__atomic_fetch_or(&dp->ccfg->http_nonempty, 1u << hc, __ATOMIC_SEQ_CST);
}

static bool http_kind_present(struct moat_dp *dp, unsigned int hc)
{
	if (hc == MOAT_HC_URI_PREFIX) {
		struct moat_http_uri_key k;

		return bpf_map_get_next_key(dp->http_u_fd, NULL, &k) == 0;
	}
	{
		struct moat_http_key k, next;
		const void *prev = NULL;

		while (bpf_map_get_next_key(dp->http_h_fd, prev, &next) == 0) {
			if (next.kind == hc)
				return true;
			k = next;
			prev = &k;
		}
	}
	return false;
}

/* Clear hc's bit if it has no entries, then look again (a concurrent add sets it back). */
static void http_update_empty(struct moat_dp *dp, unsigned int hc)
{
	if (http_kind_present(dp, hc))
		return;
	__atomic_fetch_and(&dp->ccfg->http_nonempty, ~(1u << hc), __ATOMIC_SEQ_CST);
	if (http_kind_present(dp, hc))
		http_mark(dp, hc);
}

int moat_dp_http_add(struct moat_dp *dp, enum moat_http_check kind, const char *value)
{
	struct moat_http_key hk;
	struct moat_http_uri_key uk;
	struct moat_http_val v = {};
	bool uri = kind == MOAT_HTTP_URI_PREFIX;
	int r = http_key(dp, kind, value, &hk, &uk);

	if (r < 0)
		return r;
	http_mark(dp, kind);
	if (bpf_map_update_elem(uri ? dp->http_u_fd : dp->http_h_fd, uri ? (void *)&uk : &hk, &v,
				BPF_NOEXIST) < 0) {
		r = -errno;
		if (r == -EEXIST)
			return 0;
		http_update_empty(dp, kind);
		if (r == -E2BIG || r == -ENOMEM || r == -ENOSPC)
			return dp_fail(dp, -ENOSPC, "http %s \"%s\": %s is full (%u entries)",
				       moat_dp_http_check_name(kind), value,
				       uri ? "moat_http_u" : "moat_http_h",
				       bpf_map__max_entries(uri ? dp->skel->maps.moat_http_u :
								  dp->skel->maps.moat_http_h));
		return dp_fail(dp, r, "http %s \"%s\": %s", moat_dp_http_check_name(kind), value,
			       strerror(-r));
	}
	return 0;
}

int moat_dp_http_delete(struct moat_dp *dp, enum moat_http_check kind, const char *value)
{
	struct moat_http_key hk;
	struct moat_http_uri_key uk;
	bool uri = kind == MOAT_HTTP_URI_PREFIX;
	int r = http_key(dp, kind, value, &hk, &uk);

	if (r < 0)
		return r;
	if (bpf_map_delete_elem(uri ? dp->http_u_fd : dp->http_h_fd, uri ? (void *)&uk : &hk) < 0) {
		r = -errno;
		return dp_fail(dp, r, "http %s \"%s\": %s", moat_dp_http_check_name(kind), value,
			       r == -ENOENT ? "not blocked" : strerror(-r));
	}
	http_update_empty(dp, kind);
	return 0;
}

int moat_dp_http_hits(struct moat_dp *dp, enum moat_http_check kind, const char *value,
		      uint64_t *ret_hits)
{
	struct moat_http_key hk;
	struct moat_http_uri_key uk;
	struct moat_http_val v;
	bool uri = kind == MOAT_HTTP_URI_PREFIX;
	int r = http_key(dp, kind, value, &hk, &uk);

	if (r < 0)
		return r;
	if (bpf_map_lookup_elem(uri ? dp->http_u_fd : dp->http_h_fd, uri ? (void *)&uk : &hk, &v) <
	    0)
		return dp_fail(dp, -errno, "http %s \"%s\": %s", moat_dp_http_check_name(kind),
			       value, errno == ENOENT ? "not blocked" : strerror(errno));
	*ret_hits = v.hits;
	return 0;
}

int moat_dp_http_list(struct moat_dp *dp, int (*cb)(enum moat_http_check, const char *, void *),
		      void *ctx)
{
	char buf[MOAT_HTTP_URI_MAX + 1];
	int n = 0, r;

	for (unsigned int hc = MOAT_HC_METHOD; hc <= MOAT_HC_HOST; hc++) {
		struct moat_http_key k, next;
		const void *prev = NULL;

		while (bpf_map_get_next_key(dp->http_h_fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			if (k.kind != hc || k.len > MOAT_HTTP_KEY_MAX)
				continue;
			memcpy(buf, k.value, k.len);
			buf[k.len] = '\0';
			n++;
			r = cb(hc, buf, ctx);
			if (r)
				return r;
		}
	}
	{
		struct moat_http_uri_key k, next;
		const void *prev = NULL;

		while (bpf_map_get_next_key(dp->http_u_fd, prev, &next) == 0) {
			size_t len = next.prefixlen / 8;

			k = next;
			prev = &k;
			if (len > MOAT_HTTP_URI_MAX)
				continue;
			memcpy(buf, k.uri, len);
			buf[len] = '\0';
			n++;
			r = cb(MOAT_HTTP_URI_PREFIX, buf, ctx);
			if (r)
				return r;
		}
	}
	return n;
}

int moat_dp_http_set_limits(struct moat_dp *dp, uint32_t max_request_line, uint32_t max_header)
{
	struct moat_copy_cfg *cc = dp->ccfg;

	if (max_request_line >= MOAT_HTTP_SCAN || max_header >= MOAT_HTTP_SCAN)
		return dp_fail(dp, -EINVAL,
			       "http limits %u/%u: at most %u (the kernel reads the first %u bytes "
			       "of a request)",
			       max_request_line, max_header, MOAT_HTTP_SCAN - 1, MOAT_HTTP_SCAN);
	__atomic_store_n(&cc->http_max_request_line, max_request_line, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cc->http_max_header, max_header, __ATOMIC_SEQ_CST);
	if (max_request_line)
		http_mark(dp, MOAT_HC_REQUEST_LINE_LEN);
	else
		__atomic_fetch_and(&cc->http_nonempty, ~(1u << MOAT_HC_REQUEST_LINE_LEN),
				   __ATOMIC_SEQ_CST);
	if (max_header)
		http_mark(dp, MOAT_HC_HEADER_LEN);
	else
		__atomic_fetch_and(&cc->http_nonempty, ~(1u << MOAT_HC_HEADER_LEN),
				   __ATOMIC_SEQ_CST);
	return 0;
}

int moat_dp_http_get_limits(struct moat_dp *dp, uint32_t *ret_max_request_line,
			    uint32_t *ret_max_header)
{
	*ret_max_request_line = __atomic_load_n(&dp->ccfg->http_max_request_line, __ATOMIC_SEQ_CST);
	*ret_max_header = __atomic_load_n(&dp->ccfg->http_max_header, __ATOMIC_SEQ_CST);
	return 0;
}
