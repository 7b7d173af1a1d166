/* SPDX-License-Identifier: GPL-2.0-only */
/* One DPI worker's pipeline: decode -> defrag -> flow table -> TCP reassembly -> app callbacks. */
#include "worker.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

struct worker {
	struct worker_config cfg;
	struct app_ops ops;
	struct worker_stats st;
	struct defrag *defrag;
	struct flow_table *flows;
	struct tcp_reasm reasm;
	uint64_t next_housekeeping;
	struct packet pkt; /* scratch: no allocation per packet */
};

void worker_config_init(struct worker_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->decode.checksum_validation = true;
	defrag_config_init(&cfg->defrag);
	flow_table_config_init(&cfg->flow);
	tcp_reasm_config_init(&cfg->tcp);
	cfg->housekeeping_us = 1000000;
}

/* "64mb", "1 KiB", "4096", "1gb": Suricata's size syntax (1024-based). */
static int parse_size(const char *s, uint64_t *ret)
{
	char num[32];
	size_t i = 0;
	uint64_t v, mul = 1;
	const char *u;

	while (s[i] && isdigit((unsigned char)s[i]) && i < sizeof(num) - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	if (i == 0 || parse_u64(num, 0, UINT64_MAX, &v) < 0)
		return -EINVAL;
	u = s + i;
	while (*u == ' ')
		u++;
	if (*u == '\0' || strcasecmp(u, "b") == 0)
		mul = 1;
	else if (strcasecmp(u, "kb") == 0 || strcasecmp(u, "kib") == 0 || strcasecmp(u, "k") == 0)
		mul = 1ull << 10;
	else if (strcasecmp(u, "mb") == 0 || strcasecmp(u, "mib") == 0 || strcasecmp(u, "m") == 0)
		mul = 1ull << 20;
	else if (strcasecmp(u, "gb") == 0 || strcasecmp(u, "gib") == 0 || strcasecmp(u, "g") == 0)
		mul = 1ull << 30;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret = v * mul;
	return 0;
}

int worker_config_set(struct worker_config *cfg, const char *key, const char *value, char *err,
		      size_t errlen)
{
	uint64_t v;
	int b, r;

	if (strcmp(key, "stream.midstream") == 0 || strcmp(key, "stream.async-oneside") == 0) {
		if (parse_bool(value, &b) < 0)
			goto bad;
		if (key[7] == 'm')
			cfg->tcp.midstream = b;
		else
			cfg->tcp.async_oneside = b;
		return 0;
	}
	if (strcmp(key, "stream.reassembly.depth") == 0 ||
	    strcmp(key, "stream.reassembly.memcap") == 0 || strcmp(key, "defrag.memcap") == 0) {
		if (parse_size(value, &v) < 0)
			goto bad;
		if (strcmp(key, "stream.reassembly.depth") == 0)
			cfg->tcp.depth = v;
		else if (strcmp(key, "stream.reassembly.memcap") == 0)
			cfg->tcp.memcap = v;
		else
			cfg->defrag.memcap = v;
		return 0;
	}
	if (strcmp(key, "flow.memcap") == 0) {
		/* flows are fixed-size records from a pool: the byte cap becomes a count */
		if (parse_size(value, &v) < 0 || v < sizeof(struct flow))
			goto bad;
		v /= sizeof(struct flow);
		cfg->flow.max_flows = v > (1u << 24) ? (1u << 24) : (uint32_t)v;
		return 0;
	}
	if (strcmp(key, "stream.reassembly.overlap-policy") == 0) {
		if (tcp_overlap_policy_parse(value, &cfg->tcp.policy) < 0)
			goto bad;
		return 0;
	}
	if (strcmp(key, "flow.max-flows") == 0 || strcmp(key, "flow.hash-size") == 0) {
		if (parse_u64(value, 1, 1u << 24, &v) < 0)
			goto bad;
		if (key[5] == 'm')
			cfg->flow.max_flows = (uint32_t)v;
		else
			cfg->flow.hash_size = (uint32_t)v;
		return 0;
	}
	if (strcmp(key, "defrag.timeout") == 0) {
		if (parse_duration(value, &v) < 0)
			goto bad;
		cfg->defrag.timeout_us = v * 1000000;
		return 0;
	}
	if (strncmp(key, "flow.timeouts.", 14) == 0) {
		static const char *const protos[FLOW_PROTO_MAX] = { "tcp", "udp", "icmp",
								    "default" };
		static const char *const states[FLOW_STATE_MAX] = { "new", "established",
								    "closed" };
		const char *rest = key + 14, *dot = strchr(rest, '.');

		if (!dot)
			return -ENOENT;
		for (int pi = 0; pi < FLOW_PROTO_MAX; pi++) {
			if (strlen(protos[pi]) != (size_t)(dot - rest) ||
			    strncmp(rest, protos[pi], (size_t)(dot - rest)) != 0)
				continue;
			for (int si = 0; si < FLOW_STATE_MAX; si++) {
				if (strcmp(dot + 1, states[si]) != 0)
					continue;
				r = parse_duration(value, &v);
				if (r < 0)
					goto bad;
				cfg->flow.timeout_us[pi][si] = v * 1000000;
				return 0;
			}
		}
		return -ENOENT;
	}
	return -ENOENT;
bad:
	if (err && errlen)
		snprintf(err, errlen, "%s: invalid value '%s'", key, value);
	return -EINVAL;
}

static void update_flow_state(struct flow *f)
{
	switch (f->tcp.state) {
	case TCP_STATE_NONE:
	case TCP_STATE_SYN_SENT:
	case TCP_STATE_SYN_RECV:
		/* a closed handshake (RST in SYN_SENT) ends up TCP_STATE_CLOSED below */
		f->state = FLOW_STATE_NEW;
		break;
	case TCP_STATE_CLOSED:
		f->state = FLOW_STATE_CLOSED;
		break;
	default:
		f->state = FLOW_STATE_ESTABLISHED;
		break;
	}
}

static void on_flow_end(void *ctx, struct flow *f, int reason)
{
	struct worker *w = ctx;

	if (f->key.proto == IPPROTO_TCP)
		tcp_reasm_flush(&w->reasm, &f->tcp, &w->ops, f, f->last_us);
	if (w->ops.flow_end)
		w->ops.flow_end(w->ops.ctx, f, reason);
	if (f->key.proto == IPPROTO_TCP)
		tcp_reasm_session_done(&w->reasm, &f->tcp);
}

struct worker *worker_new(const struct worker_config *cfg, const struct app_ops *ops)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->cfg = *cfg;
	if (ops)
		w->ops = *ops;
	tcp_reasm_init(&w->reasm, &cfg->tcp);
	w->defrag = defrag_new(&cfg->defrag);
	w->flows = flow_table_new(&cfg->flow, on_flow_end, w);
	if (!w->defrag || !w->flows) {
		worker_free(w);
		return NULL;
	}
	return w;
}

static void housekeeping(struct worker *w, uint64_t now)
{
	if (now < w->next_housekeeping)
		return;
	flow_table_expire(w->flows, now);
	defrag_expire(w->defrag, now);
	w->next_housekeeping = now + w->cfg.housekeeping_us;
}

int worker_process(struct worker *w, int linktype, const uint8_t *frame, size_t len, uint64_t ts_us,
		   uint64_t pkt_num)
{
	struct packet *p = &w->pkt;
	enum decode_result r;
	struct flow *f;
	int dir;

	w->st.pkts++;
	w->st.bytes += len;
	p->ts_us = ts_us;
	p->pkt_num = pkt_num;
	r = decode_packet(p, linktype, frame, len, &w->cfg.decode, &w->st.decode);
	housekeeping(w, ts_us);
	if (r != DECODE_OK) {
		if (r != DECODE_ERR_NOT_IP)
			w->st.decode_errors++;
		return r;
	}
	if (p->flags & PKT_FRAGMENT) {
		const uint8_t *data;
		size_t dlen;

		if (defrag_add(w->defrag, p, &data, &dlen) != 1)
			return DECODE_OK; /* kept for later, or refused and counted */
		p->flags |= PKT_REASSEMBLED;
		r = decode_ip(p, data, dlen, &w->cfg.decode, &w->st.decode);
		if (r != DECODE_OK) {
			w->st.decode_errors++;
			return r;
		}
	}
	if (p->flags & PKT_L4_CSUM_BAD) {
		/* as Suricata: the packet keeps its flow and packet-level inspection, but
		 * the TCP state machine and the stream never see it */
		w->st.csum_dropped++;
		f = flow_table_get(w->flows, p, &dir);
		if (!f)
			w->st.no_flow++;
		else {
			if (w->ops.packet)
				w->ops.packet(w->ops.ctx, f, p, dir);
			if (w->ops.packet_end)
				w->ops.packet_end(w->ops.ctx, f, p, dir);
		}
		return DECODE_OK;
	}
	if (p->proto == IPPROTO_TCP && (p->tcp.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* a new SYN on the tuple of a closed session: port reuse, start a new flow */
		f = flow_table_lookup(w->flows, p, &dir);
		if (f && f->tcp.state >= TCP_STATE_FIN_WAIT2 && dir == APP_DIR_TOSERVER &&
		    p->tcp.seq != f->tcp.s[0].isn)
			flow_table_end(w->flows, f, FLOW_END_FORCED);
	}
	f = flow_table_get(w->flows, p, &dir);
	if (!f) {
		w->st.no_flow++;
		return DECODE_OK;
	}
	if (p->proto == IPPROTO_TCP) {
		/* the app layer's flow state (and its parser's) is read when the segment's
		 * data is delivered: start fetching it while the reassembly works (each was a
		 * cache miss costing 1-2% of an offline run) */
		if (f->app_state)
			__builtin_prefetch(f->app_state);
		if (f->app_hot[0]) {
			/* the connection's flags sit in its second line */
			__builtin_prefetch(f->app_hot[0]);
			__builtin_prefetch((const char *)f->app_hot[0] + 64);
		}
		if (f->app_hot[1])
			__builtin_prefetch(f->app_hot[1]);
		tcp_reasm_packet(&w->reasm, &f->tcp, p, dir, &w->ops, f);
		update_flow_state(f);
	} else if (w->ops.packet) {
		w->ops.packet(w->ops.ctx, f, p, dir);
	}
	if (w->ops.packet_end)
		w->ops.packet_end(w->ops.ctx, f, p, dir);
	return DECODE_OK;
}

void worker_flush(struct worker *w, uint64_t now_us)
{
	if (now_us == UINT64_MAX) {
		flow_table_end_all(w->flows, FLOW_END_SHUTDOWN);
		defrag_expire(w->defrag, UINT64_MAX - w->cfg.defrag.timeout_us - 1);
		return;
	}
	flow_table_expire(w->flows, now_us);
	defrag_expire(w->defrag, now_us);
}

const struct worker_stats *worker_stats(struct worker *w)
{
	w->st.defrag = *defrag_stats(w->defrag);
	w->st.flow = *flow_table_stats(w->flows);
	w->st.tcp = w->reasm.st;
	return &w->st;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	flow_table_free(w->flows);
	defrag_free(w->defrag);
	tcp_reasm_done(&w->reasm);
	free(w);
}
