/* SPDX-License-Identifier: GPL-2.0-only */
/* HTTP/1.x over reassembled TCP streams: libhtp glue (one connection parser per flow),
 * content-based protocol detection, transactions with bodies, and their EVE "http" object. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct htp_tx_t;

struct http_config {
	uint64_t request_body_limit; /* request body bytes kept per tx; 0 = unlimited */
	uint64_t response_body_limit; /* response body bytes kept per tx (after decompression) */
	int decompress_layer_limit; /* nested Content-Encoding layers libhtp undoes */
	uint32_t max_tx; /* unfinished transactions per connection before refusing */
	size_t field_soft_limit, field_hard_limit; /* header/request-line length limits */
	/* Buffer bodies for inspection (within the limits above). Like Suricata, only when
	 * detection has rules that read them: off by default. */
	bool keep_request_body, keep_response_body;
	/* For fileinfo events without kept bodies: keep the bodies of multipart POST requests
	 * (their files); sizes come from libhtp's entity lengths. */
	bool track_files;
};
/* Suricata 7's defaults: 100 KiB bodies (not kept), 2 decompression layers. */
void http_config_defaults(struct http_config *c);

/* A transaction handed to the tx callback. Views point into libhtp's memory and are valid
 * only during the callback. Absent fields have ptr == NULL, len == 0. */
struct http_view {
	const uint8_t *ptr;
	size_t len;
};
struct http_tx {
	uint64_t tx_id; /* 0-based index in the connection (Suricata's tx_id) */
	bool request_complete, response_complete;
	struct http_view method, uri_raw, uri_norm, protocol, host, user_agent, cookie, referer,
		request_content_type, status_line, response_protocol, response_content_type,
		location, set_cookie;
	int status; /* 0: no valid status */
	int host_port; /* -1: none in Host/URI */
	uint64_t response_message_len, request_message_len;
	struct http_view request_body, response_body; /* dechunked/decompressed, capped */
	bool request_body_truncated, response_body_truncated;
	/* the limits in force (0: none); a truncated body went on past them */
	uint64_t request_body_limit, response_body_limit;
	/* header blocks as received (kept with the bodies; capped at 64 KiB) */
	struct http_view request_headers_raw, response_headers_raw;
	struct htp_tx_t *htp; /* the libhtp transaction, for headers and extensions */
	/* each side's Content-Disposition header (NULL: none), for fileinfo's file name */
	const struct htp_header_t *request_content_disposition, *response_content_disposition;
};

/* A file of a request body as Suricata logs it (see http_tx_request_files()). */
struct http_file {
	const uint8_t *name; /* the part's Content-Disposition filename; valid in the callback */
	size_t name_len;
	uint64_t size; /* bytes of the file within the kept body */
	bool complete; /* its closing boundary was seen and the body was not cut at the limit */
};
typedef void (*http_file_cb)(void *user, const struct http_file *file);

/*
 * The files of a POST multipart/form-data request, as Suricata 7 extracts them: every part
 * with a filename, parsed from the kept request body (request_body_limit) by libhtp's
 * multipart parser; CB is called for each in body order. Returns how many (0: a multipart
 * body without files, which Suricata does not log either), -ENOMSG for any other request
 * (Suricata logs a POST or PUT body as one file named by the URI: the caller does), -ENOMEM.
 */
int http_tx_request_files(const struct http_tx *tx, http_file_cb cb, void *user);

/* Called once per transaction: when both directions are complete, or at close for one that
 * started but never completed. `user` is the pointer given to http_conn_new(). */
typedef void (*http_tx_cb)(void *user, const struct http_tx *tx, uint64_t ts_us);

struct http_stats {
	uint64_t conns, txs;
	uint64_t parse_errors; /* libhtp returned HTP_STREAM_ERROR */
	uint64_t gaps; /* directions abandoned after a gap */
	uint64_t body_truncated; /* body bytes beyond the limits (not kept) */
	uint64_t tx_refused; /* transactions over max_tx (parsing of the conn stopped) */
	uint64_t alloc_failures;
};

/* Shared, read-only configuration (the libhtp config + hooks). One per process. */
struct http_engine;
int http_engine_new(const struct http_config *c, struct http_engine **ret_e);
void http_engine_free(struct http_engine *e);
/* Change the request body bytes kept per transaction (0 = unlimited) for bodies received
 * from now on (the live daemon follows the ruleset's SecRequestBodyLimit across reloads). */
void http_engine_set_request_body_limit(struct http_engine *e, uint64_t limit);

/* One HTTP connection (one per TCP flow). Returns NULL on allocation failure. */
struct http_conn;
struct http_conn *http_conn_new(struct http_engine *e, http_tx_cb cb, void *user,
				struct http_stats *st, uint64_t ts_us);
/* Also call CB (same `user`) when a transaction's request is complete while its response
 * is not: the request-side inspection point. The full report still follows once. */
void http_conn_set_request_cb(struct http_conn *c, http_tx_cb cb);
/* Feed reassembled bytes of one direction (0 to server, 1 to client). After a parse error
 * or a gap in a direction, that direction's later data is ignored. Returns 0, or -EPROTO
 * once the connection is no longer parsed. */
int http_conn_data(struct http_conn *c, int dir, const uint8_t *data, size_t len, uint64_t ts_us);
void http_conn_gap(struct http_conn *c, int dir, size_t len);
/* Stop feeding libhtp (callable from the tx callback): later data is ignored and what is
 * held back stays in http_conn_pending(). Used to hand a CONNECT tunnel to re-detection. */
void http_conn_suspend(struct http_conn *c);
/* Close: finish what libhtp can and report every started transaction not yet reported. */
void http_conn_close(struct http_conn *c, uint64_t ts_us);
/* Frees (calls http_conn_close() first if it was not). NULL is fine. */
void http_conn_free(struct http_conn *c);
uint64_t http_conn_tx_count(const struct http_conn *c);
/* The libhtp parser of the connection, read on every feed (for prefetching only). */
const void *http_conn_parser(const struct http_conn *c);
/* Bytes of DIR that libhtp has not consumed yet (held while it waited for the other side,
 * e.g. a client's tunnelled bytes after CONNECT). Valid until the next call on C. */
size_t http_conn_pending(const struct http_conn *c, int dir, const uint8_t **ret_data);

enum http_probe_result { HTTP_PROBE_NO = 0, HTTP_PROBE_YES = 1, HTTP_PROBE_MORE = 2 };
/* Content detection at the start of a stream: a request line's method token followed by a
 * space (to server; known methods, or an upper-case token followed by " /" or " *"), or
 * "HTTP/" (to client). MORE: need more bytes to decide. */
enum http_probe_result http_probe(int dir, const uint8_t *data, size_t len);

/* The EVE "http" object (Suricata's field names: hostname, http_port, url, http_user_agent,
 * http_content_type, http_refer, http_method, protocol, status, redirect, length). */
json_t *http_tx_eve(const struct http_tx *tx);
/* The same object as JSON text appended to B (the bytes eve_writer_write() would give). */
struct eve_text;
void http_tx_eve_text(const struct http_tx *tx, struct eve_text *b);
