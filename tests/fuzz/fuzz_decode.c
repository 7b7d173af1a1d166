/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: frames of every link type through the decoder and the worker pipeline.
 *
 * Input: byte 0 selects the link type, byte 1 bit 0 turns checksum validation on; then
 * frames as [u16 little-endian length][bytes], each decoded on its own (exact-size copy,
 * so any over-read trips ASan) and fed through one worker, so fragments, flows and
 * streams built from several frames are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi/worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	DECODE_LINK_ETHERNET,	DECODE_LINK_RAW,  DECODE_LINK_RAW_DLT,
	DECODE_LINK_IPV4,	DECODE_LINK_IPV6, DECODE_LINK_LINUX_SLL,
	DECODE_LINK_LINUX_SLL2, DECODE_LINK_NULL, DECODE_LINK_RAW_DLT_BSD,
};

static size_t stream_bytes;

static void on_stream(void *ctx, struct flow *f, int dir, const uint8_t *d, size_t len,
		      unsigned int flags, uint64_t ts)
{
	/* touch every delivered byte so ASan checks the pointers handed out */
	for (size_t i = 0; d && i < len; i++)
		stream_bytes += d[i];
	if ((flags & APP_STREAM_GAP) && d)
		abort();
	if (dir != APP_DIR_TOSERVER && dir != APP_DIR_TOCLIENT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker_config cfg;
	struct app_ops ops = { .stream = on_stream };
	struct worker *w;
	int linktype;
	uint64_t ts = 1000000;
	size_t off = 2, n = 0;

	if (size < 2)
		return 0;
	linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	worker_config_init(&cfg);
	cfg.decode.checksum_validation = data[1] & 1;
	cfg.tcp.midstream = data[1] & 2;
	cfg.tcp.async_oneside = data[1] & 4;
	cfg.flow.max_flows = 16;
	cfg.flow.hash_size = 16;
	cfg.defrag.max_trackers = 8;
	cfg.defrag.memcap = 1 << 16;
	cfg.tcp.memcap = 1 << 16;
	w = worker_new(&cfg, &ops);
	if (!w)
		return 0;
	while (off + 2 <= size && n < 64) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		uint8_t *frame;
		struct packet p = { 0 };

		off += 2;
		if (len > size - off)
			len = size - off;
		frame = malloc(len ? len : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, len);
		decode_packet(&p, linktype, frame, len, &cfg.decode, NULL);
		worker_process(w, linktype, frame, len, ts, ++n);
		free(frame);
		off += len;
		ts += 1000;
	}
	worker_flush(w, ts + 3600ull * 1000000);
	worker_free(w);
	return 0;
}
