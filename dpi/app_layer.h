/* SPDX-License-Identifier: GPL-2.0-only */
/* The application layer of one worker: protocol detection on reassembled streams, HTTP
 * transactions (dpi/http.c), and the http/flow/stats EVE events. Implements struct app_ops. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "app.h"
#include "eve.h"
#include "http.h"

struct flow;
struct worker_stats;

struct app_layer_config {
	struct http_config http;
	bool http_enabled; /* app-layer.protocols.http.enabled */
	bool flow_events; /* emit "flow" events (default on) */
	bool http_events; /* emit "http" events (default on) */
	bool fileinfo_events; /* emit "fileinfo" events for HTTP bodies (default on) */
	const char *in_iface; /* NULL: not logged ("in_iface" of live capture) */
};
void app_layer_config_init(struct app_layer_config *c);

struct app_layer_stats {
	uint64_t flows_http; /* app_layer.flow.http */
	uint64_t flows_failed_tcp; /* app_layer.flow.failed_tcp */
	uint64_t tx_http; /* app_layer.tx.http */
	uint64_t http_connect_resets; /* parsers restarted after a successful CONNECT */
	uint64_t events_http, events_flow, events_fileinfo, events_written_failed;
	struct http_stats http;
};

/*
 * Per-transaction hook for detection: called for every HTTP transaction before its http
 * event is written, with the flow, the transaction and the event's "http" object
 * (borrowed; may be reused in alert events); and before that, when a request completes
 * while its response does not yet, once with the request side (the packet that completed
 * the request is the current one). So a transaction may meet the hook twice: detection
 * alerts once per rule and transaction. Returns nothing: alerts are written by the hook
 * through app_layer_writer().
 */
typedef void (*app_layer_tx_hook)(void *ctx, struct flow *f, const struct http_tx *tx,
				  json_t *http_obj, uint64_t ts_us);

struct app_layer;

/* W is borrowed (may be NULL: no output). Returns 0 or -ENOMEM / libhtp setup errors. */
int app_layer_new(const struct app_layer_config *cfg, struct eve_writer *w,
		  struct app_layer **ret_a);
void app_layer_free(struct app_layer *a);
/* The callbacks to give worker_new(). */
void app_layer_ops(struct app_layer *a, struct app_ops *ret_ops);
void app_layer_set_tx_hook(struct app_layer *a, app_layer_tx_hook hook, void *ctx);
struct eve_writer *app_layer_writer(struct app_layer *a);
/* See http_engine_set_request_body_limit(); no-op when HTTP is disabled. */
void app_layer_set_request_body_limit(struct app_layer *a, uint64_t limit);
const struct app_layer_stats *app_layer_stats(const struct app_layer *a);

/* A pointer slot of F's application state for the tx hook's owner (detection): NULL at
 * first, NULL on allocation failure. The owner frees what it stores there before the flow
 * ends (the slot is freed by the flow_end callback). */
void **app_layer_flow_user(struct flow *f);

/* True when F was picked up midstream with a response first and reversed: its client
 * is f->key's index 1 (stream callbacks' dir and the key's are flipped for the app). */
bool app_layer_flow_swapped(const struct flow *f);

/* True once detection decided F is not HTTP (or, after a CONNECT, an opaque tunnel): the
 * application layer has nothing more to do with it. */
bool app_layer_flow_not_http(const struct flow *f);

/* Fill T from flow F (client = src). app_proto from the flow's detected protocol. */
void app_layer_flow_tuple(const struct flow *f, struct eve_tuple *t);

/* The "stats" event (Suricata's counter names: decoder.*, flow.*, tcp.*, defrag.*,
 * app_layer.flow.*, app_layer.tx.*). WS may be NULL. */
json_t *app_layer_stats_event(const struct app_layer *a, const struct worker_stats *ws,
			      uint64_t ts_us, uint64_t uptime_s);
