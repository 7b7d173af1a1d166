// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the HTTP glue (dpi/http.c over libhtp). The input is a script of
 * records, each: one control byte (bit 0: direction, 0 = to server; bit 1: a gap of
 * `len` bytes instead of data; bit 2: suspend), one length byte, then `len` data bytes.
 * Each transaction is turned into its EVE object, and the stream start goes through the
 * content probe, so the whole path from bytes to JSON runs. The object's compact dump must
 * equal the direct text form (http_tx_eve_text) byte for byte: abort() otherwise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi/eve.h"
#include "dpi/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	json_t *o = http_tx_eve(tx);
	struct eve_text b = { 0 };
	char *s;

	(void)user;
	(void)ts_us;
	if (!o)
		return;
	s = json_dumps(o, JSON_COMPACT);
	http_tx_eve_text(tx, &b);
	if (s && !b.oom && (strlen(s) != b.len || memcmp(s, b.p, b.len) != 0))
		abort();
	free(b.p);
	free(s);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_engine *e;
	struct http_stats st = { 0 };
	struct http_conn *c;
	size_t off = 0;
	uint64_t ts = 1;

	if (!e) {
		struct http_config cfg;

		http_config_defaults(&cfg);
		/* small limits so truncation paths run */
		cfg.request_body_limit = 512;
		cfg.response_body_limit = 512;
		cfg.max_tx = 16;
		cfg.keep_request_body = cfg.keep_response_body = true;
		if (http_engine_new(&cfg, &e) < 0)
			abort();
	}
	c = http_conn_new(e, on_tx, NULL, &st, 0);
	if (!c)
		return 0;
	while (off + 2 <= size) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		int dir = ctl & 1;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (ctl & 2) {
			http_conn_gap(c, dir, len);
		} else {
			if (off == 2)
				(void)http_probe(dir, data + off, len);
			http_conn_data(c, dir, data + off, len, ts++);
			off += len;
		}
		if (ctl & 4)
			http_conn_suspend(c);
	}
	http_conn_close(c, ts);
	http_conn_free(c);
	return 0;
}
