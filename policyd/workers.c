// SPDX-License-Identifier: GPL-2.0-only
/* Live workers (see workers.h): consumer -> worker_process() -> app layer -> detection. */
#include "workers.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dpi/dpi.h"
#include "rules/rules.h"
#include "detect_glue.h"
#include "msc_glue.h"

#define LINKTYPE_ETHERNET 1
#define HOUSEKEEPING_NS (100u * 1000 * 1000) /* flush EVE, expire flows */
#define POLL_MS 50

/* Bits of flow->app_flags (free for the app layer; the live shim is the outermost layer). */
#define LIVE_DEPTH_TS (1u << 28)
#define LIVE_DEPTH_TC (1u << 29)
#define LIVE_BYPASSED (1u << 30)

struct rs_ref {
	struct ruleset *rs;
	struct detect_hosts *hosts; /* thresholds and xbits, shared by the workers */
	atomic_uint refs;
	struct rs_ref *next_retired;
};

struct live_worker {
	struct worker_pool *pool;
	unsigned int idx;
	pthread_t th;
	bool started;
	struct eve_writer *eve;
	struct app_layer *al;
	struct detect_glue *dg;
	struct worker *wk;
	struct app_ops inner; /* the glue's or the app layer's callbacks */
	struct moat_dp_consumer *cons;
	struct rs_ref *rs;
	unsigned int rs_gen, log_gen;
	atomic_uint log_ack; /* the log generation this worker writes to */
	uint64_t pkt_num;
	int64_t boot_to_real_us; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	uint64_t body_limit_base; /* request body limit from the defaults and [set] */
	char iface[IF_NAMESIZE]; /* in_iface of the events being written */
	uint32_t iface_idx;
	struct batch_rec *batch; /* perf transport only (see on_record) */
	uint8_t *arena;
	size_t n_batch, arena_used;
	struct live_worker_stats st; /* worker thread only */
	pthread_mutex_t snap_mu;
	struct live_worker_stats snap; /* published copy */
};

struct worker_pool {
	const struct moatd_config *cfg;
	struct moat_dp *copy_dp; /* consumers (main thread, at start) */
	struct moat_dp *dp; /* flow bypass, under dp_lock */
	pthread_mutex_t *dp_lock;
	struct bans *bans;
	char *eve_path;
	atomic_bool stop;
	pthread_mutex_t rs_mu;
	struct rs_ref *rs; /* current; NULL = none yet */
	struct rs_ref *retired; /* unused, freed by worker_pool_reap() in the main thread */
	atomic_uint rs_gen;
	atomic_uint log_gen;
	unsigned int n;
	struct live_worker *w;
};

/* Drop a reference. The last one retires the ruleset: freeing one takes tens of milliseconds
 * (ET Open: ~100 ms), which a worker must not spend between two packets, so the main thread
 * frees it in worker_pool_reap(). */
static void rs_ref_put(struct worker_pool *p, struct rs_ref *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
		pthread_mutex_lock(&p->rs_mu);
		r->next_retired = p->retired;
		p->retired = r;
		pthread_mutex_unlock(&p->rs_mu);
	}
}

size_t worker_pool_reap(struct worker_pool *p)
{
	struct rs_ref *r;
	size_t n = 0;

	pthread_mutex_lock(&p->rs_mu);
	r = p->retired;
	p->retired = NULL;
	pthread_mutex_unlock(&p->rs_mu);
	while (r) {
		struct rs_ref *next = r->next_retired;

		detect_hosts_free(r->hosts);
		ruleset_free(r->rs);
		free(r);
		r = next;
		n++;
	}
	return n;
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the shim between the DPI worker and the app layer / detection ---- */

static void bypass_flow(struct live_worker *w, struct flow *f)
{
	struct moat_dp_flow k = { 0 };
	size_t alen = f->key.ip_version == 4 ? 4 : 16;
	int r;

	if (f->app_flags & LIVE_BYPASSED)
		return;
	f->app_flags |= LIVE_BYPASSED;
	k.family = f->key.ip_version == 4 ? AF_INET : AF_INET6;
	k.proto = f->key.proto;
	memcpy(k.saddr, f->key.addr[0].u8, alen);
	memcpy(k.daddr, f->key.addr[1].u8, alen);
	k.sport = f->key.port[0];
	k.dport = f->key.port[1];
	pthread_mutex_lock(w->pool->dp_lock);
	r = moat_dp_flow_bypass(w->pool->dp, &k);
	pthread_mutex_unlock(w->pool->dp_lock);
	if (r < 0)
		w->st.bypass_errors++;
	else
		w->st.bypassed++;
}

static void shim_stream(void *ctx, struct flow *f, int dir, const uint8_t *data, size_t len,
			unsigned int flags, uint64_t ts_us)
{
	struct live_worker *w = ctx;

	if (w->inner.stream)
		w->inner.stream(w->inner.ctx, f, dir, data, len, flags, ts_us);
	if (flags & APP_STREAM_DEPTH) {
		f->app_flags |= dir == APP_DIR_TOSERVER ? LIVE_DEPTH_TS : LIVE_DEPTH_TC;
		if ((f->app_flags & (LIVE_DEPTH_TS | LIVE_DEPTH_TC)) ==
		    (LIVE_DEPTH_TS | LIVE_DEPTH_TC))
			bypass_flow(w, f);
	}
}

static void shim_packet(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	struct live_worker *w = ctx;

	if (w->inner.packet)
		w->inner.packet(w->inner.ctx, f, p, dir);
}

static void shim_flow_end(void *ctx, struct flow *f, int reason)
{
	struct live_worker *w = ctx;

	if (w->inner.flow_end)
		w->inner.flow_end(w->inner.ctx, f, reason);
}

/*
 * A flow the engine has finished with is bypassed in the kernel: both directions past the
 * inspection depth (shim_stream), or a TCP flow that is not HTTP while no Suricata rule is
 * loaded (a SecRule-only ruleset inspects HTTP transactions only, so nothing would read its
 * packets). With Suricata rules loaded, tcp/ip rules may inspect any flow's payload: no
 * bypass then.
 */
static void shim_packet_end(void *ctx, struct flow *f, const struct packet *p, int dir)
{
	struct live_worker *w = ctx;

	if (w->inner.packet_end)
		w->inner.packet_end(w->inner.ctx, f, p, dir);
	if (f && f->key.proto == IPPROTO_TCP && !(f->app_flags & LIVE_BYPASSED) &&
	    app_layer_flow_not_http(f) && (!w->rs || ruleset_count(w->rs->rs) == 0))
		bypass_flow(w, f);
}

static void on_alert(void *ctx, const struct rule_info *ri, int family, const uint8_t *client)
{
	struct live_worker *w = ctx;
	int prio = ri->priority < 1 ? 1 : ri->priority > 4 ? 4 : ri->priority;

	w->st.alerts++;
	w->st.alerts_by_severity[prio - 1]++;
	if (w->pool->bans)
		bans_alert(w->pool->bans, family == 4 ? AF_INET : AF_INET6, client, ri->priority,
			   ri->action == RULE_ACTION_DROP || ri->action == RULE_ACTION_REJECT,
			   ri->sid);
}

/* Pick up a newer ruleset, if any (between packets). */
static void check_ruleset(struct live_worker *w)
{
	struct worker_pool *p = w->pool;
	unsigned int gen = atomic_load_explicit(&p->rs_gen, memory_order_acquire);
	struct rs_ref *ref;
	int r;

	if (gen == w->rs_gen)
		return;
	pthread_mutex_lock(&p->rs_mu);
	ref = p->rs;
	if (ref)
		atomic_fetch_add(&ref->refs, 1);
	gen = atomic_load(&p->rs_gen);
	pthread_mutex_unlock(&p->rs_mu);
	w->rs_gen = gen;
	if (!ref)
		return;
	if (!w->dg) {
		r = detect_glue_new(ref->rs, w->al, &w->dg);
		if (r == 0) {
			detect_glue_set_alert_hook(w->dg, on_alert, w);
			detect_glue_set_in_iface(w->dg, w->iface);
			detect_glue_ops(w->dg, &w->inner);
		}
	} else {
		r = detect_glue_set_ruleset(w->dg, ref->rs);
	}
	if (r < 0) {
		log_err("worker %u: new ruleset not in use: %s", w->idx, strerror(-r));
		rs_ref_put(p, ref);
		return;
	}
	/* one host table for all workers: a scan spread over them counts once */
	detect_glue_set_hosts(w->dg, ref->hosts);
	rs_ref_put(p, w->rs);
	w->rs = ref;
	w->st.rulesets++;
	/* the SecRules see as much body as this generation's SecRequestBodyLimit says */
	app_layer_set_request_body_limit(
		w->al, msc_glue_body_limit(ruleset_msc(ref->rs), w->body_limit_base));
}

static void set_iface(struct live_worker *w, uint32_t ifindex)
{
	if (ifindex == w->iface_idx)
		return;
	w->iface_idx = ifindex;
	if (!if_indextoname(ifindex, w->iface))
		snprintf(w->iface, sizeof(w->iface), "if%u", ifindex);
}

/* An in-kernel HTTP check dropped this packet: an EVE alert (the packet is not inspected). */
static void http_block_alert(struct live_worker *w, const struct moat_pkt *mp, uint64_t ts_us)
{
	struct packet p = { 0 };
	struct decode_config dc = { 0 };
	struct eve_tuple t = { 0 };
	struct eve_alert_meta m;
	char msg[96];
	json_t *o;

	w->st.http_blocked++;
	if (decode_packet(&p, LINKTYPE_ETHERNET, mp->data, mp->cap_len, &dc, NULL) != DECODE_OK)
		return;
	t.family = p.ip_version;
	t.proto = p.proto;
	t.src_port = p.sport;
	t.dest_port = p.dport;
	memcpy(t.src_ip, p.src.u8, 16);
	memcpy(t.dest_ip, p.dst.u8, 16);
	t.in_iface = w->iface;
	t.app_proto = "http";
	snprintf(msg, sizeof(msg), "MOAT in-kernel HTTP check: blocked %s",
		 moat_dp_http_check_name(mp->http_check));
	m = (struct eve_alert_meta){
		.action = "blocked",
		.gid = 1,
		.sid = 0,
		.rev = 0,
		.msg = msg,
		.category = "Web Application Attack",
		.severity = 1,
	};
	o = eve_alert_event_new(ts_us, &t, true, 0, -1, &m, NULL, NULL);
	if (!o)
		return;
	if (eve_writer_write(w->eve, o) < 0)
		w->st.eve_errors++;
	else
		w->st.alerts++, w->st.alerts_by_severity[0]++;
	json_decref(o);
}

static int process_record(struct live_worker *w, const struct moat_pkt *mp)
{
	uint64_t ts_us = (uint64_t)((int64_t)(mp->ts_ns / 1000u) + w->boot_to_real_us);
	int d;

	uint64_t lag = clock_us(CLOCK_BOOTTIME) * 1000u - mp->ts_ns;

	w->st.records++;
	w->st.bytes += mp->cap_len;
	if ((int64_t)lag > 0) {
		w->st.lag_sum_ns += lag;
		if (lag > w->st.lag_max_ns)
			w->st.lag_max_ns = lag;
	}
	set_iface(w, mp->ifindex);
	if (mp->kind == MOAT_PKT_HTTP_BLOCK) {
		http_block_alert(w, mp, ts_us);
		return 0;
	}
	if (mp->cap_len < mp->wire_len)
		w->st.truncated++;
	check_ruleset(w);
	d = worker_process(w->wk, LINKTYPE_ETHERNET, mp->data, mp->cap_len, ts_us, ++w->pkt_num);
	if (d != DECODE_OK && d != DECODE_ERR_NOT_IP)
		w->st.decode_errors++;
	return 0;
}

/*
 * Perf transport: one buffer per CPU, consumed buffer after buffer, so a poll delivers the
 * packets of a flow grouped by the CPU that sent them (a request before its handshake). The
 * records of one poll are copied into a batch and processed in timestamp order; the ring
 * buffer (one ring per worker) keeps the kernel's order and is processed as it comes.
 */
#define BATCH_MAX_RECORDS 4096
#define BATCH_MAX_BYTES (16u << 20)

struct batch_rec {
	struct moat_pkt p;
	size_t off; /* of its data in the arena */
	size_t seq; /* arrival order: ties keep it */
};

static int cmp_batch(const void *a, const void *b)
{
	const struct batch_rec *x = a, *y = b;

	if (x->p.ts_ns != y->p.ts_ns)
		return x->p.ts_ns < y->p.ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void batch_flush(struct live_worker *w)
{
	if (!w->n_batch)
		return;
	qsort(w->batch, w->n_batch, sizeof(*w->batch), cmp_batch);
	for (size_t i = 0; i < w->n_batch; i++) {
		w->batch[i].p.data = w->arena + w->batch[i].off;
		process_record(w, &w->batch[i].p);
	}
	w->n_batch = 0;
	w->arena_used = 0;
}

static int on_record(void *ctx, const struct moat_pkt *mp)
{
	struct live_worker *w = ctx;
	struct batch_rec *br;

	if (!w->batch)
		return process_record(w, mp);
	if (w->n_batch == BATCH_MAX_RECORDS || mp->cap_len > BATCH_MAX_BYTES - w->arena_used) {
		w->st.batch_overflows++; /* processed in the order seen so far */
		batch_flush(w);
	}
	br = &w->batch[w->n_batch];
	br->p = *mp;
	br->off = w->arena_used;
	br->seq = w->n_batch;
	memcpy(w->arena + w->arena_used, mp->data, mp->cap_len);
	w->arena_used += mp->cap_len;
	w->n_batch++;
	return 0;
}

static void publish(struct live_worker *w)
{
	const struct worker_stats *ws = worker_stats(w->wk);

	w->st.flows_active = ws->flow.active;
	w->st.reasm_mem = ws->tcp.mem_used;
	w->st.reasm_memcap_hits = ws->tcp.memcap_hits;
	w->st.retransmissions = ws->tcp.retransmissions;
	w->st.malformed = moat_dp_consumer_malformed(w->cons);
	pthread_mutex_lock(&w->snap_mu);
	w->snap = w->st;
	pthread_mutex_unlock(&w->snap_mu);
}

static void *worker_main(void *arg)
{
	struct live_worker *w = arg;
	struct worker_pool *p = w->pool;
	uint64_t last_hk = 0;

	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		unsigned int lg = atomic_load(&p->log_gen);
		uint64_t now;
		int r;

		check_ruleset(w);
		if (lg != w->log_gen) {
			w->log_gen = lg;
			if (eve_writer_reopen(w->eve, p->eve_path) < 0)
				w->st.eve_errors++;
			atomic_store(&w->log_ack, lg);
		}
		r = moat_dp_consumer_poll(w->cons, POLL_MS);
		batch_flush(w);
		if (r < 0 && r != -EINTR) {
			log_err("worker %u: consumer: %s", w->idx, strerror(-r));
			break;
		}
		now = clock_us(CLOCK_BOOTTIME) * 1000u;
		if (r == 0 || now - last_hk >= HOUSEKEEPING_NS) {
			last_hk = now;
			if (eve_writer_flush(w->eve) < 0)
				w->st.eve_errors++;
			worker_flush(w->wk, clock_us(CLOCK_REALTIME));
		}
		/* an uncontended lock and a copy per wakeup: readers always see fresh counters */
		publish(w);
	}
	publish(w);
	return NULL;
}

/* ---- pool ---- */

static int worker_init(struct worker_pool *p, struct live_worker *w, unsigned int idx)
{
	struct worker_config wc;
	struct app_layer_config ac;
	struct app_ops shim;
	char err[256] = "";
	int r;

	w->pool = p;
	w->idx = idx;
	pthread_mutex_init(&w->snap_mu, NULL);
	w->boot_to_real_us = (int64_t)clock_us(CLOCK_REALTIME) - (int64_t)clock_us(CLOCK_BOOTTIME);
	worker_config_init(&wc);
	app_layer_config_init(&ac);
	/* the engine inspects as deep as the kernel copies ([set] stream.reassembly.depth wins) */
	wc.tcp.depth = p->cfg->depth;
	for (size_t i = 0; i < p->cfg->n_sets; i++) {
		r = config_apply_set(&wc, &ac, p->cfg->sets[i].key, p->cfg->sets[i].value, err,
				     sizeof(err));
		if (r < 0) {
			log_err("set %s: %s", p->cfg->sets[i].key, err);
			return r;
		}
	}
	/* offloads leave checksums partial on locally generated and veth traffic */
	wc.decode.checksum_validation = false;
	/* the kernel copies from the first packet it sees: daemons start mid-connection */
	wc.tcp.midstream = true;
	ac.in_iface = w->iface;
	w->body_limit_base = ac.http.request_body_limit;
	ac.http.keep_request_body = ac.http.keep_response_body = true;
	r = eve_writer_open(p->eve_path, true, &w->eve);
	if (r < 0) {
		log_err("%s: %s", p->eve_path, strerror(-r));
		return r;
	}
	r = app_layer_new(&ac, w->eve, &w->al);
	if (r < 0) {
		log_err("worker %u: app layer: %s", idx, strerror(-r));
		return r;
	}
	app_layer_ops(w->al, &w->inner);
	check_ruleset(w);
	shim = (struct app_ops){
		.ctx = w,
		.stream = shim_stream,
		.packet = shim_packet,
		.flow_end = shim_flow_end,
		.packet_end = shim_packet_end,
	};
	w->wk = worker_new(&wc, &shim);
	if (!w->wk)
		return -ENOMEM;
	if (p->cfg->transport == CONFIG_TRANSPORT_PERFBUF) {
		w->batch = calloc(BATCH_MAX_RECORDS, sizeof(*w->batch));
		w->arena = malloc(BATCH_MAX_BYTES);
		if (!w->batch || !w->arena)
			return -ENOMEM;
	}
	r = moat_dp_consumer_new(p->copy_dp, idx, on_record, w, &w->cons);
	if (r < 0) {
		log_err("worker %u: consumer: %s", idx, moat_dp_errmsg(p->copy_dp));
		return r;
	}
	return 0;
}

static void worker_done(struct live_worker *w)
{
	worker_free(w->wk); /* ends every flow: flow events, detection state freed */
	detect_glue_free(w->dg);
	app_layer_free(w->al);
	if (w->eve && eve_writer_close(w->eve) < 0)
		log_warn("worker %u: eve.json write failed", w->idx);
	moat_dp_consumer_free(w->cons);
	free(w->batch);
	free(w->arena);
	rs_ref_put(w->pool, w->rs);
	pthread_mutex_destroy(&w->snap_mu);
}

int worker_pool_start(const struct moatd_config *cfg, struct moat_dp *copy_dp, struct moat_dp *dp,
		      pthread_mutex_t *dp_lock, struct bans *bans, struct ruleset *rs,
		      unsigned int n, const char *eve_path, struct worker_pool **ret)
{
	struct worker_pool *p;
	int r;

	if (n == 0 || n > MOAT_MAX_WORKERS) {
		ruleset_free(rs);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ruleset_free(rs);
		return -ENOMEM;
	}
	p->cfg = cfg;
	p->copy_dp = copy_dp;
	p->dp = dp;
	p->dp_lock = dp_lock;
	p->bans = bans;
	pthread_mutex_init(&p->rs_mu, NULL);
	p->eve_path = strdup(eve_path);
	p->w = calloc(n, sizeof(*p->w));
	if (!p->eve_path || !p->w) {
		ruleset_free(rs);
		r = -ENOMEM;
		goto fail;
	}
	if (rs) {
		r = worker_pool_set_ruleset(p, rs);
		if (r < 0)
			goto fail;
	}
	p->n = n;
	for (unsigned int i = 0; i < n; i++) {
		r = worker_init(p, &p->w[i], i);
		if (r < 0)
			goto fail;
	}
	for (unsigned int i = 0; i < n; i++) {
		r = -pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]);
		if (r < 0) {
			log_err("worker %u: thread: %s", i, strerror(-r));
			goto fail;
		}
		p->w[i].started = true;
	}
	*ret = p;
	return 0;
fail:
	worker_pool_stop(p);
	return r;
}

void worker_pool_stop(struct worker_pool *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	for (unsigned int i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].th, NULL);
	}
	for (unsigned int i = 0; i < p->n; i++)
		worker_done(&p->w[i]);
	rs_ref_put(p, p->rs);
	worker_pool_reap(p);
	pthread_mutex_destroy(&p->rs_mu);
	free(p->w);
	free(p->eve_path);
	free(p);
}

int worker_pool_set_ruleset(struct worker_pool *p, struct ruleset *rs)
{
	struct rs_ref *ref, *old;

	if (!rs)
		return -EINVAL;
	ref = calloc(1, sizeof(*ref));
	if (!ref) {
		ruleset_free(rs);
		return -ENOMEM;
	}
	ref->rs = rs;
	if (detect_hosts_new(&ref->hosts) < 0) {
		free(ref);
		ruleset_free(rs);
		return -ENOMEM;
	}
	atomic_init(&ref->refs, 1); /* the pool's reference */
	pthread_mutex_lock(&p->rs_mu);
	old = p->rs;
	p->rs = ref;
	atomic_fetch_add_explicit(&p->rs_gen, 1, memory_order_release);
	pthread_mutex_unlock(&p->rs_mu);
	rs_ref_put(p, old);
	return 0;
}

const struct ruleset *worker_pool_ruleset(struct worker_pool *p)
{
	const struct ruleset *rs;

	pthread_mutex_lock(&p->rs_mu);
	rs = p->rs ? p->rs->rs : NULL;
	pthread_mutex_unlock(&p->rs_mu);
	return rs;
}

int worker_pool_reopen(struct worker_pool *p)
{
	unsigned int gen = atomic_fetch_add(&p->log_gen, 1) + 1;

	/* every worker reopens at its next loop turn (<= 50 ms); wait for them, so that what
	 * happens after this returns is logged in the new file */
	for (int i = 0; i < 2000; i++) {
		unsigned int done = 0;

		for (unsigned int k = 0; k < p->n; k++)
			done += atomic_load(&p->w[k].log_ack) == gen;
		if (done == p->n)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return -ETIMEDOUT;
}

unsigned int worker_pool_size(const struct worker_pool *p)
{
	return p->n;
}

int worker_pool_stats(struct worker_pool *p, unsigned int i, struct live_worker_stats *ret)
{
	if (i >= p->n)
		return -EINVAL;
	pthread_mutex_lock(&p->w[i].snap_mu);
	*ret = p->w[i].snap;
	pthread_mutex_unlock(&p->w[i].snap_mu);
	return 0;
}
