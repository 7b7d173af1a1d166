/* SPDX-License-Identifier: GPL-2.0-only */
/* EVE JSON output: Suricata-shaped alert/http/flow/stats events built with jansson and
 * written one object per line through a buffered writer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Buffered line writer. Not thread-safe: one per worker, or guarded by the caller. */
struct eve_writer;

/* Open (create/truncate, or append) PATH. Returns 0 or -errno. */
int eve_writer_open(const char *path, bool append, struct eve_writer **ret_w);
/* Serialize OBJ compactly plus '\n' into the buffer; flush when it passes the buffer size.
 * Does not take ownership of OBJ. Returns 0 or -errno (-ENOMEM, write error). */
int eve_writer_write(struct eve_writer *w, const json_t *obj);
int eve_writer_flush(struct eve_writer *w);
/* Flush, then continue in PATH opened for appending (log rotation: the old file was renamed).
 * On failure the old file stays in use. Returns 0 or -errno. */
int eve_writer_reopen(struct eve_writer *w, const char *path);
uint64_t eve_writer_events(const struct eve_writer *w);
/* Flushes and closes; returns the first write error seen over the writer's life, or 0. */
int eve_writer_close(struct eve_writer *w);

/* The five-tuple and flow identity every event carries. Addresses in network order;
 * family is 4 or 6. "src" is the flow's client (Suricata's convention for http/flow
 * events); alerts may swap them to match the packet direction. */
struct eve_tuple {
	uint8_t family;
	uint8_t proto; /* IPPROTO_* */
	uint16_t src_port, dest_port;
	uint8_t src_ip[16], dest_ip[16];
	uint64_t flow_id;
	const char *in_iface; /* NULL: omitted */
	const char *app_proto; /* NULL: omitted ("failed" / "http" ...) */
};

/* "2009-11-24T21:27:09.534255+0000" (UTC). BUF must hold EVE_TS_LEN bytes. */
#define EVE_TS_LEN 64
void eve_format_timestamp(uint64_t ts_us, char *buf, size_t len);
/* Suricata's address text: dotted quad, or full uncompressed IPv6 ("fe80:0000:...") */
void eve_format_ip(uint8_t family, const uint8_t *addr, char *buf, size_t len);
const char *eve_proto_name(uint8_t proto);

/* A new event object with timestamp, flow_id, [in_iface], event_type, [pcap_cnt],
 * src/dest ip/port, proto, [app_proto]. T may be NULL (stats). pcap_cnt 0: omitted.
 * Returns NULL on allocation failure. */
json_t *eve_event_new(const char *event_type, uint64_t ts_us, const struct eve_tuple *t,
		      uint64_t pcap_cnt);

/* What the flow event needs to know about a flow. */
struct eve_flow_info {
	uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
	uint64_t start_us, end_us;
	const char *state; /* "new" "established" "closed" "bypassed" */
	const char *reason; /* "timeout" "forced" "shutdown" */
	bool alerted;
	bool is_tcp;
	uint8_t tcp_flags, tcp_flags_ts, tcp_flags_tc; /* OR of flags seen */
	const char *tcp_state; /* NULL: omitted */
};
json_t *eve_flow_event_new(const struct eve_tuple *t, const struct eve_flow_info *fi);

/* Rule metadata an alert reports (detection fills it; here independent of rules/). */
struct eve_alert_meta {
	const char *action; /* "allowed" or "blocked" */
	uint32_t gid, sid, rev;
	const char *msg;
	const char *category; /* classtype description; NULL/"" -> "" */
	int severity; /* 1 (high) .. 4 */
};
/* An alert event. to_server says which way the matching packet/tx went: src/dest follow it
 * (Suricata puts the packet's source in src_ip), "direction" is "to_server"/"to_client" and
 * "flow.src_ip/dest_ip" keep the flow's orientation. TX_ID < 0: omitted. APP_OBJ (e.g. the
 * "http" object) is added under APP_KEY when both are non-NULL; the reference is borrowed. */
json_t *eve_alert_event_new(uint64_t ts_us, const struct eve_tuple *t, bool to_server,
			    uint64_t pcap_cnt, int64_t tx_id, const struct eve_alert_meta *m,
			    const char *app_key, json_t *app_obj);

/*
 * Direct serialisation, for events no one needs as objects (no rules loaded): the same
 * bytes as building the object and eve_writer_write(), without jansson allocations.
 * A text buffer grows as needed; on allocation failure it sets oom and the commit fails.
 */
struct eve_text {
	char *p;
	size_t len, cap;
	bool oom;
};
/* The writer's scratch buffer, emptied: build one event in it, then commit. */
struct eve_text *eve_writer_text(struct eve_writer *w);
/* Append the scratch event plus '\n' to the output. Returns 0 or -errno (-ENOMEM). */
int eve_writer_commit_text(struct eve_writer *w);
void eve_text_raw(struct eve_text *b, const char *s, size_t n);
/* A JSON string of S (N bytes, valid UTF-8 as eve_utf8_valid() says), escaped as jansson. */
void eve_text_str(struct eve_text *b, const char *s, size_t n);
void eve_text_int(struct eve_text *b, int64_t v);
/* "KEY": preceded by ',' unless the text ends with '{'. KEY needs no escaping. */
void eve_text_key(struct eve_text *b, const char *key);
/* Would json_stringn() accept these bytes? */
bool eve_utf8_valid(const uint8_t *s, size_t n);
/* eve_event_new()'s fields as text: "{" and the members, object left open. */
void eve_event_begin_text(struct eve_text *b, const char *event_type, uint64_t ts_us,
			  const struct eve_tuple *t, uint64_t pcap_cnt);
/* eve_flow_event_new()'s event as text, closed. */
void eve_flow_event_text(struct eve_text *b, const struct eve_tuple *t,
			 const struct eve_flow_info *fi);
int eve_flow_event_write(struct eve_writer *w, const struct eve_tuple *t,
			 const struct eve_flow_info *fi);

/* Set PATH (dotted, e.g. "decoder.ipv4") to VALUE inside OBJ, creating sub-objects. */
int eve_set_path_u64(json_t *obj, const char *path, uint64_t value);
