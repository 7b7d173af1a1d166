/* SPDX-License-Identifier: GPL-2.0-only */
/* What the packet pipeline (dpi/worker.c) tells the application layer (HTTP, EVE, detection). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct flow; /* dpi/flow.h */
struct packet; /* dpi/decode.h */

/* Directions are relative to the flow's client (see flow.h for who the client is). */
enum { APP_DIR_TOSERVER = 0, APP_DIR_TOCLIENT = 1 };

enum app_stream_flags {
	/* `len` bytes of this direction are missing (lost, refused by the memory cap, or never
	 * seen); data == NULL. Delivery continues after the hole. */
	APP_STREAM_GAP = 1,
	/* this direction is finished (FIN reached, RST, timeout, eviction or end of input);
	 * len == 0, data == NULL. Sent at most once per direction. */
	APP_STREAM_EOF = 2,
	/* the per-direction inspection depth was reached with this call: no more data follows
	 * for this direction (an EOF still does). */
	APP_STREAM_DEPTH = 4,
};

/* Why a flow ended: the `reason` of flow_end (Suricata's flow.reason strings, see
 * flow_end_reason_name() in flow.h). */
enum flow_end_reason {
	FLOW_END_TIMEOUT = 0, /* idle past its state's timeout */
	FLOW_END_FORCED = 1, /* evicted by the memory cap (emergency eviction) */
	FLOW_END_SHUTDOWN = 2, /* end of input / worker_flush(w, UINT64_MAX) / worker_free */
};

/*
 * Callbacks of one worker. All are called from the worker's thread only, synchronously from
 * worker_process()/worker_flush()/worker_free(); `ctx` is passed back untouched. Pointers
 * given to a callback (data, packet) are valid only during the call.
 */
struct app_ops {
	void *ctx;
	/* Ordered, reassembled TCP bytes of one direction, `dir` relative to the flow's client.
	 * `flags` is a mask of enum app_stream_flags (0 for plain data). `ts_us` is the time of
	 * the packet that made the data deliverable. Data is delivered without copying when
	 * the segment arrived in order. May be NULL. */
	void (*stream)(void *ctx, struct flow *f, int dir, const uint8_t *data, size_t len,
		       unsigned int flags, uint64_t ts_us);
	/* Every decoded packet that got a flow, after the flow's counters and the TCP state
	 * were updated and before its stream data is delivered. May be NULL. */
	void (*packet)(void *ctx, struct flow *f, const struct packet *p, int dir);
	/* The flow ends (enum flow_end_reason): all stream data and EOFs have already been
	 * delivered; emit the flow event and free f->app_state. The flow is recycled right
	 * after the call. May be NULL. */
	void (*flow_end)(void *ctx, struct flow *f, int reason);
	/* The packet is done: everything it made deliverable went through `stream` already
	 * (the place to inspect "the stream data this packet released" together with the
	 * packet). Called for every packet that got `packet`. May be NULL. */
	void (*packet_end)(void *ctx, struct flow *f, const struct packet *p, int dir);
};
