// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: reassembly + HTTP + EVE, the whole offline pipeline after the pcap
 * reader. A segment script becomes Ethernet/IPv4/TCP frames fed to worker_process() with
 * the application layer (content detection, libhtp, http/flow events written to
 * /dev/null) attached.
 *
 * Script: byte 0 = options (bit 0 midstream pickup, bit 1 no handshake prelude, bit 2
 * server on port 80 instead of 8080, bit 3 small body limits). Then records:
 * [ctl][seq offset u16 LE][len][len bytes]; ctl bit 7 = direction (1 = server), low 6 bits =
 * TCP flags (FIN SYN RST PSH ACK URG). Offsets are relative to each side's ISN + 1; the ACK
 * is the peer's highest byte sent so far.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi/dpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void frame(struct worker *w, int dir, uint16_t sport, uint8_t flags, uint32_t seq,
		  uint32_t ack, const uint8_t *pl, size_t n, uint64_t num)
{
	uint8_t fr[14 + 20 + 20 + 256];
	uint8_t *ip = fr + 14, *tcp = ip + 20;
	uint32_t cli = 0xc6120002, srv = 0xc6120001; /* 198.18.0.2 -> 198.18.0.1 */

	memcpy(fr, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(40 + n));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, dir ? srv : cli);
	put32(ip + 16, dir ? cli : srv);
	put16(tcp, dir ? sport : 40000);
	put16(tcp + 2, dir ? 40000 : sport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (n)
		memcpy(tcp + 20, pl, n);
	worker_process(w, 1, fr, 54 + n, 1700000000000000ULL + num * 1000, num);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker_config wc;
	struct app_layer_config ac;
	struct app_layer *al = NULL;
	struct eve_writer *ew = NULL;
	struct app_ops ops;
	struct worker *w;
	uint32_t isn[2] = { 0xfffffff0u, 0x7ffffff0u }; /* the client's wraps */
	uint32_t high[2] = { 0, 0 };
	uint16_t sport;
	uint64_t num = 1;
	size_t off = 1;

	if (size < 1)
		return 0;
	worker_config_init(&wc);
	wc.decode.checksum_validation = false;
	wc.tcp.midstream = data[0] & 1;
	app_layer_config_init(&ac);
	if (data[0] & 8) {
		ac.http.request_body_limit = ac.http.response_body_limit = 64;
		ac.http.keep_request_body = ac.http.keep_response_body = true;
	}
	sport = data[0] & 4 ? 80 : 8080;
#ifndef FUZZ_APP_EVE
#define FUZZ_APP_EVE "/dev/null"
#endif
	if (eve_writer_open(FUZZ_APP_EVE, true, &ew) < 0)
		return 0;
	if (app_layer_new(&ac, ew, &al) < 0)
		goto out;
	app_layer_ops(al, &ops);
	w = worker_new(&wc, &ops);
	if (!w)
		goto out;
	if (!(data[0] & 2)) {
		frame(w, 0, sport, TCP_SYN, isn[0], 0, NULL, 0, num++);
		frame(w, 1, sport, TCP_SYN | TCP_ACK, isn[1], isn[0] + 1, NULL, 0, num++);
		frame(w, 0, sport, TCP_ACK, isn[0] + 1, isn[1] + 1, NULL, 0, num++);
	}
	while (off + 4 <= size) {
		uint8_t ctl = data[off];
		int dir = ctl >> 7;
		uint32_t seq_off = (uint32_t)data[off + 1] | (uint32_t)data[off + 2] << 8;
		size_t len = data[off + 3];

		off += 4;
		if (len > size - off)
			len = size - off;
		if (seq_off + len > high[dir])
			high[dir] = seq_off + (uint32_t)len;
		frame(w, dir, sport, ctl & 0x3f, isn[dir] + 1 + seq_off, isn[!dir] + 1 + high[!dir],
		      data + off, len, num++);
		off += len;
	}
	worker_flush(w, UINT64_MAX);
	{
		json_t *o = app_layer_stats_event(al, worker_stats(w), 1, 0);

		if (o)
			eve_writer_write(ew, o);
		json_decref(o);
	}
	worker_free(w);
out:
	app_layer_free(al);
	eve_writer_close(ew);
	return 0;
}
