/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: TCP reassembly driven by a segment script through the worker pipeline.
 *
 * Script: byte 0 = options (bit 0 midstream, bit 1 async-oneside, bits 2-3 overlap policy,
 * bit 4 tiny memcap, bit 5 tiny depth, bit 6 no handshake prelude, bit 7 tiny segment
 * queue). Then records: [dir+flags][seq offset u16 LE][ack offset u16 LE][len][len bytes],
 * dir = bit 7 of the first byte (1 = server), its low 6 bits = TCP flags (FIN SYN RST PSH
 * ACK URG). Offsets are relative to each side's ISN + 1 (ISNs near 2^32 to cross the wrap).
 * The stream callback checks the app-layer contract; app_ops can be extended with the HTTP
 * layer by replacing on_stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi/worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	uint64_t bytes[2];
	int eof[2];
	uint64_t depth;
};

static void on_stream(void *ctx, struct flow *f, int dir, const uint8_t *d, size_t len,
		      unsigned int flags, uint64_t ts)
{
	struct check *c = ctx;
	volatile uint8_t sink = 0;

	if (dir != APP_DIR_TOSERVER && dir != APP_DIR_TOCLIENT)
		abort();
	if (c->eof[dir])
		abort(); /* nothing after EOF */
	if (flags & APP_STREAM_EOF) {
		if (len || d)
			abort();
		c->eof[dir] = 1;
		return;
	}
	if ((flags & APP_STREAM_GAP) && d)
		abort();
	if (!(flags & APP_STREAM_GAP) && len && !d)
		abort();
	for (size_t i = 0; d && i < len; i++)
		sink ^= d[i];
	(void)sink;
	c->bytes[dir] += len;
	if (c->depth && c->bytes[dir] > c->depth)
		abort(); /* depth is a hard limit */
}

/* A flow ended (e.g. a new SYN reused the tuple): the next flow starts afresh. */
static void on_end(void *ctx, struct flow *f, int reason)
{
	struct check *c = ctx;
	uint64_t depth = c->depth;

	if (!c->eof[0] || !c->eof[1])
		if (f->tcp.tracked)
			abort(); /* a tracked TCP flow ends with both directions closed */
	memset(c, 0, sizeof(*c));
	c->depth = depth;
}

static void put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

/* A raw IPv4 + TCP frame, no checksums (validation is off). */
static size_t build(uint8_t *b, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
		    const uint8_t *payload, size_t len)
{
	memset(b, 0, 40);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(40 + len));
	b[8] = 64;
	b[9] = 6;
	put32(b + 12, dir ? 0xc6120002 : 0xc6120001);
	put32(b + 16, dir ? 0xc6120001 : 0xc6120002);
	put16(b + 20, dir ? 80 : 40000);
	put16(b + 22, dir ? 40000 : 80);
	put32(b + 24, seq);
	put32(b + 28, ack);
	b[32] = 5 << 4;
	b[33] = flags;
	put16(b + 34, 65535);
	if (len)
		memcpy(b + 40, payload, len);
	return 40 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[40 + 256];
	const uint32_t isn[2] = { 0xfffff000u, 0x7ffffff0u };
	struct worker_config cfg;
	struct check c;
	struct app_ops ops = { .ctx = &c, .stream = on_stream, .flow_end = on_end };
	struct worker *w;
	uint64_t ts = 1000000, num = 0;
	size_t off = 1;
	uint8_t opt;

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	opt = data[0];
	worker_config_init(&cfg);
	cfg.decode.checksum_validation = false;
	cfg.tcp.midstream = opt & 1;
	cfg.tcp.async_oneside = opt & 2;
	cfg.tcp.policy = (enum tcp_overlap_policy)((opt >> 2) & 3);
	if (opt & 16)
		cfg.tcp.memcap = 512;
	if (opt & 32)
		cfg.tcp.depth = 64;
	if (opt & 128)
		cfg.tcp.max_queued_segments = 4;
	cfg.flow.max_flows = 4;
	cfg.flow.hash_size = 4;
	c.depth = cfg.tcp.depth;
	w = worker_new(&cfg, &ops);
	if (!w)
		return 0;
	if (!(opt & 64)) {
		size_t n;

		n = build(frame, 0, isn[0], 0, 0x02, NULL, 0);
		worker_process(w, DECODE_LINK_RAW, frame, n, ts++, ++num);
		n = build(frame, 1, isn[1], isn[0] + 1, 0x12, NULL, 0);
		worker_process(w, DECODE_LINK_RAW, frame, n, ts++, ++num);
		n = build(frame, 0, isn[0] + 1, isn[1] + 1, 0x10, NULL, 0);
		worker_process(w, DECODE_LINK_RAW, frame, n, ts++, ++num);
	}
	while (off + 6 <= size) {
		int dir = data[off] >> 7;
		uint8_t flags = data[off] & 0x3f;
		uint32_t seq = (uint32_t)data[off + 1] | (uint32_t)data[off + 2] << 8;
		uint32_t ack = (uint32_t)data[off + 3] | (uint32_t)data[off + 4] << 8;
		size_t len = data[off + 5], n;

		off += 6;
		if (len > size - off)
			len = size - off;
		/* SYNs take the sequence number before the data */
		n = build(frame, dir, isn[dir] + 1 + seq - ((flags & 0x02) ? 1 : 0),
			  isn[!dir] + 1 + ack, flags, data + off, len);
		worker_process(w, DECODE_LINK_RAW, frame, n, ts, ++num);
		off += len;
		ts += 1000;
	}
	worker_flush(w, UINT64_MAX);
	if (worker_stats(w)->tcp.mem_used != 0)
		abort(); /* every queued byte was released */
	worker_free(w);
	return 0;
}
