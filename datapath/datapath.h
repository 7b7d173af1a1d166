/* SPDX-License-Identifier: GPL-2.0-only */
/* The datapath room's door: load, pin, adopt, attach and edit moat's XDP/TC programs and maps. */
#pragma once

/*
 * Contract for every function below:
 *   - returns >= 0 on success, -errno on failure; ret_ outputs are untouched on failure;
 *   - on failure, moat_dp_errmsg(dp) holds a one-line message naming the object at fault
 *     (map name, interface, pin path); moat_dp_open() writes its message into err/errlen;
 *   - never logs above debug (moat_dp_open() routes libbpf's messages, process-wide, to
 *     log_debug()); not thread-safe (one struct moat_dp per thread, or a lock).
 *     Several processes may use the same pinned maps at once (moatd and fwctl): every map
 *     edit is a single kernel operation, and the "map may be non-empty" bits and the
 *     prefilter counters (below) are updated atomically in shared memory.
 *
 * What the programs do (one verdict implementation, three hooks):
 *   XDP (ingress, attached as a pinned bpf_link), TC ingress and TC egress (tcx links on
 *   kernels that have them, else clsact filters). Parsing: Ethernet, up to two VLAN tags
 *   (802.1Q 0x8100 / 802.1ad 0x88a8; a third tag is malformed), IPv4 (IHL >= 5, options
 *   skipped, total length >= header), IPv6 with up to 8 extension headers (hop-by-hop,
 *   routing, fragment, destination options, AH; more is malformed), then TCP (20 bytes,
 *   data offset >= 5), UDP (8 bytes), ICMP and ICMPv6 (4 bytes: type, code, checksum).
 *   A header cut short or inconsistent is MALFORMED: pass (default) or drop, per
 *   moat_dp_set_malformed(), always counted under MOAT_R_MALFORMED. When the IP header itself
 *   was complete, the address entries (steps 1-3 below) are applied first, so a blocked source
 *   cannot slip through behind a broken extension chain; at ingress in default-deny mode a
 *   malformed packet is always dropped (passing it would bypass the mode). Other L4 protocols
 *   get the L3 checks only. Non-first fragments (IPv4 offset != 0, IPv6 fragment offset != 0)
 *   have no L4 header: address entries apply, L4 entries do not.
 *
 * Order of evaluation (first match decides):
 *   1. allowlist: the packet's source (and, at TC egress, also its destination, so replies
 *      to an allowlisted peer are never dropped) -> PASS (MOAT_R_ALLOW). Allow beats block.
 *   2. blocklist by source -> DROP (MOAT_R_BLOCK_SRC)
 *   3. blocklist by destination -> DROP (MOAT_R_BLOCK_DST)
 *   4. L4 entry for (proto, dst port, most specific source scope): block -> DROP
 *      (MOAT_R_PORT_BLOCK); allow -> PASS (MOAT_R_PORT_ALLOW)
 *   5. default: default-allow mode -> PASS (MOAT_R_NONE). Default-deny mode applies at
 *      ingress only (XDP and TC ingress; egress would kill replies): it passes non-IP
 *      frames (ARP etc., MOAT_R_NON_IP), ICMPv6 router/neighbour solicitation and
 *      advertisement and redirect (types 133-137, MOAT_R_ESSENTIAL) and non-first fragments
 *      (MOAT_R_FRAGMENT: their first fragment carried the L4 header and got the verdict),
 *      and drops everything else (MOAT_R_DEFAULT_DENY). Default-deny is stateless: replies to
 *      connections the host opens need allow entries (allowlist or port-allow).
 *   6. TC only, TCP and UDP that passed steps 1-5 (first fragments included), when copying is
 *      enabled or an HTTP check is configured: the flow stage (see "packet copies" and "HTTP
 *      checks" below). A flow an HTTP check marked -> DROP (MOAT_R_HTTP); else the packet may
 *      be copied to userspace. The counter of the final verdict is the one incremented.
 *   Every step checks the exact-match hash before the LPM trie, and skips empty maps. An
 *   entry whose expiry has passed does not match (the clock is read only after a match) and
 *   its hit counter is not incremented; hits count packets that matched a live entry. (An LPM
 *   trie returns only the longest prefix: if that one has expired, a shorter live prefix of
 *   the same list is not consulted until the sweep removes the expired one.)
 *
 * Cost (the pass path): every list has a prefilter in shared memory (moat_abi.h: for IPv4 one
 *   read per list by the address's /19, covering its hash and trie; for IPv6 one read per list
 *   by the hashed /32; per port for L4), so an address or port with no entries costs an array
 *   read instead of a hash or trie lookup. Measured with BPF_PROG_TEST_RUN
 *   (tests/bench/xdp_cost, 100k IPv4 + 100k IPv6 entries, 20% of them prefixes): ~20 ns per
 *   IPv4 or IPv6 pass packet (a few ns of noise between runs), vs ~8 ns for an empty XDP
 *   program and ~45 ns for xdp-filter; drops: ~30 ns (exact), ~100 ns (prefix, LPM trie walk).
 *
 * Pins (the enforcement outlives the process): maps under <root>/ (names in moat_abi.h),
 * links under <root>/links/ named "xdp-<netns inode>-<ifindex>", "tci-..." and "tce-..." (the
 * netns inode keeps namespaces with equal ifindexes apart). <root> is opts->pin_root, else
 * $MOAT_PIN_ROOT, else /sys/fs/bpf/moat; bpffs is mounted at /sys/fs/bpf if missing.
 * moat_dp_open() adopts existing pinned maps (their sizes win over the options) and pins new
 * ones; moat_dp_attach() on an interface that already has moat's pinned links updates them to
 * this process's programs.
 *
 * XDP coexistence: moat attaches XDP through a pinned bpf_link, not libxdp's dispatcher (whose
 * pins under /sys/fs/bpf/xdp/ are keyed by ifindex alone, which collides across network
 * namespaces, and which needs the program reloaded as freplace, defeating the skeleton's
 * adoption of pinned maps). If the XDP hook is already held by another program, moat does not
 * replace it: the attach report says so (xdp_mode = MOAT_XDP_BUSY, xdp_busy_prog_id) and the
 * same verdict is enforced at TC ingress, which tcx shares with other programs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/moat_abi.h"
#include "lib/cidr.h"

struct moat_dp;

#define MOAT_DP_PIN_ROOT "/sys/fs/bpf/moat"
#define MOAT_DP_DEFAULT_BLOCK_ENTRIES (1u << 20) /* per block map: >= 1,000,000 v4 and v6 */
#define MOAT_DP_DEFAULT_ALLOW_ENTRIES (1u << 16)
#define MOAT_DP_DEFAULT_L4_ENTRIES (1u << 16)
#define MOAT_DP_DEFAULT_NOTE_ENTRIES (1u << 16)
#define MOAT_DP_DEFAULT_TC_PRIORITY 0xc000 /* clsact fallback only */
#define MOAT_DP_DEFAULT_FLOW_ENTRIES (1u << 17) /* ~100 bytes each */
#define MOAT_DP_DEFAULT_HTTP_ENTRIES 4096
/*
 * Kernel memory: hash maps and tries allocate per entry (BPF_F_NO_PREALLOC, ~90 bytes per
 * IPv4 entry, ~100 per IPv6 entry, measured) plus, per hash map, a bucket array of 16 bytes x
 * max_entries rounded up to a power of two (16 MiB per block hash map at the default size);
 * the prefilters take a fixed 21 MiB. Tests use small sizes.
 */

struct moat_dp_opts {
	const char *pin_root; /* NULL: $MOAT_PIN_ROOT, else MOAT_DP_PIN_ROOT */
	/* private maps, nothing pinned or adopted, bpffs untouched (bpf_prog_test_run, benches) */
	bool no_pin;
	uint32_t block_entries; /* max entries of each block map (4 hash + 4 LPM); 0 = default */
	uint32_t allow_entries; /* each allowlist map; 0 = default */
	uint32_t l4_entries; /* each L4 map; 0 = default */
	uint32_t note_entries; /* the notes map; 0 = default */
	uint32_t flow_entries; /* the copy/HTTP flow map (LRU); 0 = MOAT_DP_DEFAULT_FLOW_ENTRIES */
	uint32_t http_entries; /* each HTTP check map; 0 = MOAT_DP_DEFAULT_HTTP_ENTRIES */
	uint32_t tc_priority; /* clsact fallback priority; 0 = default */
	bool force_clsact; /* use clsact even where tcx exists (tests) */
};

/*
 * Load the programs (embedded skeleton) and create or adopt the maps. err (may be NULL) gets
 * a message on failure. -EPERM without CAP_BPF/CAP_NET_ADMIN.
 */
int moat_dp_open(const struct moat_dp_opts *opts, struct moat_dp **ret, char *err, size_t errlen);

/* Close fds and free; pinned maps and links stay (enforcement outlives the process). NULL ok. */
void moat_dp_close(struct moat_dp *dp);

/* The last error message ("" if none). Valid until the next call on dp. */
const char *moat_dp_errmsg(const struct moat_dp *dp);

/* The pin root in use ("" with no_pin). */
const char *moat_dp_pin_root(const struct moat_dp *dp);

/* Program fds (owned by dp; for bpf_prog_test_run_opts and benchmarks). */
int moat_dp_xdp_fd(const struct moat_dp *dp);
int moat_dp_tc_in_fd(const struct moat_dp *dp);
int moat_dp_tc_out_fd(const struct moat_dp *dp);

/* ---- attach ---- */

enum moat_xdp_mode {
	MOAT_XDP_AUTO = 0, /* request: native where the driver supports it, else generic */
	MOAT_XDP_NATIVE,
	MOAT_XDP_GENERIC,
	MOAT_XDP_OFF, /* request: no XDP (TC only); report: not attached */
	MOAT_XDP_BUSY, /* report only: another program holds the XDP hook; TC ingress enforces */
};

enum moat_tc_mode {
	MOAT_TC_OFF = 0, /* report: not attached */
	MOAT_TC_TCX,
	MOAT_TC_CLSACT,
};

struct moat_dp_attach_report {
	char ifname[16];
	int ifindex;
	enum moat_xdp_mode xdp_mode; /* NATIVE, GENERIC, BUSY or OFF */
	uint32_t xdp_busy_prog_id; /* BUSY: the id of the program holding the hook */
	enum moat_tc_mode tc_mode; /* TCX, CLSACT or OFF */
	uint32_t tc_priority; /* CLSACT: the priority used */
	bool updated; /* existing moat links were updated, not created */
};

/*
 * Attach to ifname (in the caller's network namespace): XDP per xdp_mode and, if tc, TC
 * ingress and egress. Links are pinned (unless no_pin, where they live as long as dp).
 * -ENODEV for an unknown interface; with MOAT_XDP_NATIVE, -EOPNOTSUPP if the driver lacks it;
 * -EBUSY when another program holds the XDP hook and tc is false (nothing would enforce).
 * Idempotent: attaching again updates the programs in place.
 */
int moat_dp_attach(struct moat_dp *dp, const char *ifname, enum moat_xdp_mode xdp_mode, bool tc,
		   struct moat_dp_attach_report *ret_report);

/* Remove moat's XDP and TC attachments from ifname (only what moat created). -ENOENT if none. */
int moat_dp_detach(struct moat_dp *dp, const char *ifname);

/*
 * Report moat's pinned attachments in the caller's network namespace (ifname resolved now).
 * Fills up to max reports; returns how many exist (may exceed max). Pins of links whose
 * interface has gone away are removed on the way.
 */
int moat_dp_attachments(struct moat_dp *dp, struct moat_dp_attach_report *reports, size_t max);

/* ---- entries ---- */

enum moat_dp_kind {
	MOAT_KIND_ALLOW = 1, /* source (peer) allowlist */
	MOAT_KIND_BLOCK, /* address blocklist, dir = SRC or DST */
	MOAT_KIND_PORT_BLOCK, /* proto + dst port, scoped to a source CIDR */
	MOAT_KIND_PORT_ALLOW,
};

enum moat_dp_dir {
	MOAT_DIR_SRC = 0,
	MOAT_DIR_DST,
};

struct moat_dp_entry {
	uint8_t kind; /* enum moat_dp_kind */
	uint8_t dir; /* enum moat_dp_dir: BLOCK only; others SRC */
	uint8_t proto; /* port kinds: IPPROTO_TCP, _UDP, _ICMP (v4), _ICMPV6 (v6) */
	uint8_t reason; /* MOAT_REASON_* */
	uint16_t port; /* port kinds: host order; ICMP/ICMPv6: the message type */
	uint32_t rule_id; /* MOAT_REASON_RULE */
	/*
	 * Address kinds: the address or prefix. Port kinds: the source scope (0.0.0.0/0 or ::/0 =
	 * any source); family AF_UNSPEC = any source, both families (add/delete/get act on v4 and
	 * v6; get reports v4). Host bits beyond the prefix are cleared (normalised).
	 */
	struct cidr cidr;
	uint64_t ttl_sec; /* add: lifetime in seconds (0 = never expires, unless expires_ns) */
	/* add: absolute CLOCK_BOOTTIME ns if non-zero (wins over ttl_sec; tests use a past time);
	 * list/get: the stored expiry, 0 = never */
	uint64_t expires_ns;
	uint64_t hits; /* list/get: packets matched */
	/* add: free text, longer is cut; "" keeps an existing note. list/get: the note or "" */
	char note[MOAT_NOTE_LEN];
};

/* Boot-time clock in ns (the clock of expires_ns). */
uint64_t moat_dp_now_ns(void);

/*
 * Add or update one entry (re-adding updates expiry, reason, rule id and note; hits stay).
 * -EINVAL with a message for an inconsistent entry; -ENOSPC when the target map is full
 * (message names the map and its size): never silent loss. A note that does not fit (notes
 * map full) fails with -ENOSPC after the entry went in (the message says so).
 */
int moat_dp_add(struct moat_dp *dp, const struct moat_dp_entry *e);

/* Delete one entry (matched on kind, dir, cidr, proto, port). -ENOENT if absent. */
int moat_dp_delete(struct moat_dp *dp, const struct moat_dp_entry *e);

/* Read one entry (same match as delete) into *ret. -ENOENT if absent. */
int moat_dp_get(struct moat_dp *dp, const struct moat_dp_entry *key, struct moat_dp_entry *ret);

/*
 * Bulk add with batch map operations (bpf_map_update_batch; one element at a time for the LPM
 * tries, which have no batch update). Entries are grouped by target map and the maps filled in
 * MOAT_M_* order. *ret_added (may be NULL) gets exactly how many entries went in, also on
 * failure. -ENOSPC naming the map when one fills up: that map's remaining entries and those of
 * later maps are not added. Entries with AF_UNSPEC port scopes count once per family.
 * Unlike moat_dp_add(), re-adding an existing entry in bulk resets its hit counter.
 * Memory during the call: 56 bytes of scratch per entry for each target map used.
 */
int moat_dp_add_bulk(struct moat_dp *dp, const struct moat_dp_entry *entries, size_t n,
		     size_t *ret_added);

/*
 * Call cb for every entry of every map, in MOAT_M_* order (allow, block src, block dst, then
 * port entries; IPv4 before IPv6 within each).
 * Expired entries are listed too (compare expires_ns with moat_dp_now_ns()). cb returns 0 to
 * go on, non-zero to stop (moat_dp_list returns that value). Returns the number listed when
 * not stopped.
 */
typedef int (*moat_dp_list_cb)(const struct moat_dp_entry *e, void *userdata);
int moat_dp_list(struct moat_dp *dp, moat_dp_list_cb cb, void *userdata);

/* Delete every expired entry (the daemon's sweep). Returns how many were removed.
 * Walks every map (about 1 s per million entries). */
int moat_dp_sweep(struct moat_dp *dp);

/* Delete every entry of every map (and all notes). Returns how many entries were removed. */
int moat_dp_flush(struct moat_dp *dp);

/* ---- configuration and counters ---- */

int moat_dp_set_mode(struct moat_dp *dp, uint32_t mode); /* MOAT_MODE_ALLOW / _DENY */
int moat_dp_get_mode(struct moat_dp *dp, uint32_t *ret_mode);
int moat_dp_set_malformed(struct moat_dp *dp, uint32_t policy); /* MOAT_MALFORMED_* */
int moat_dp_get_malformed(struct moat_dp *dp, uint32_t *ret_policy);

/* Counters summed over CPUs, indexed MOAT_STATS_IDX(hook, verdict, reason). */
struct moat_dp_stats {
	struct moat_counter c[MOAT_STATS_N];
};
int moat_dp_stats(struct moat_dp *dp, struct moat_dp_stats *ret);

/* Zero all counters (tests). */
int moat_dp_stats_reset(struct moat_dp *dp);

/* The MOAT_M_* map an entry goes to (AF_UNSPEC scope: the v4 one); -EINVAL if inconsistent. */
int moat_dp_entry_map(const struct moat_dp_entry *e, unsigned int *ret_map_id);
const char *moat_dp_map_name(unsigned int map_id); /* MOAT_M_* -> "moat_bs4_h" */

/* Human-readable names ("pass"/"drop", "block-src", "xdp", "native", "tcx", ...). */
const char *moat_dp_verdict_name(unsigned int verdict);
const char *moat_dp_reason_name(unsigned int reason);
const char *moat_dp_hook_name(unsigned int hook);
const char *moat_dp_xdp_mode_name(enum moat_xdp_mode m);
const char *moat_dp_tc_mode_name(enum moat_tc_mode m);
const char *moat_dp_kind_name(unsigned int kind);

/* ---- packet copies to userspace (TC ingress and egress) ---- */

/*
 * What is copied (details in moat_filter.bpf.c and moat_abi.h): TCP and UDP packets that
 * passed the L3/L4 verdict, at TC ingress and egress, while copying is enabled (between
 * moat_dp_copy_start() and moat_dp_copy_stop(); enforcement never depends on it). ICMP, other
 * protocols and non-first fragments are not copied (no ports, nothing the DPI engine reads).
 * A kernel flow map (LRU, normalised 5-tuple, pinned) counts copied payload bytes per
 * direction: payload is copied up to cfg->depth per direction, TCP segments with SYN, FIN or
 * RST always, nothing once moat_dp_flow_bypass() marked the flow. A fresh SYN (without ACK)
 * resets the flow's state. Each record goes to worker moat_flow_hash(key) % n_workers, the
 * same for both directions of a flow, and carries at most snaplen bytes of the frame (from
 * its Ethernet header; wire_len is the skb length). TC sees GSO/GRO super-packets (up to
 * 64 KiB on most devices): the default snaplen, MOAT_SNAPLEN_MAX, copies them whole (the perf
 * transport at most MOAT_PERF_CAP_MAX bytes); the DPI engine must accept frames over the MTU.
 * TC egress copies only packets this host sends (forwarded ones were copied at the ingress of
 * their interface: attach to every interface forwarded traffic enters). HTTP checks alone
 * (copying stopped) track only TCP flows, from their SYN.
 * A full ring (or a worker without a buffer in place) counts as lost, per worker.
 */
enum moat_copy_transport {
	MOAT_COPY_RINGBUF = 0, /* one BPF ring buffer per worker */
	MOAT_COPY_PERFBUF, /* perf event array: one buffer per (worker, CPU) */
};

struct moat_dp_copy_cfg {
	unsigned int n_workers; /* 1..MOAT_MAX_WORKERS */
	enum moat_copy_transport transport;
	/* per worker: ring buffer size (power of two, >= page size); perf: split over the
	 * CPUs, each CPU's buffer rounded down to a power-of-two number of pages (>= 1) */
	uint32_t ring_bytes;
	uint32_t depth; /* payload bytes copied per flow and direction */
	uint32_t snaplen; /* bytes of one frame copied at most, 1..MOAT_SNAPLEN_MAX */
};

#define MOAT_DP_COPY_DEFAULT_RING_BYTES (8u << 20)
#define MOAT_DP_COPY_DEFAULT_DEPTH (1u << 20)
#define MOAT_DP_COPY_DEFAULT_SNAPLEN MOAT_SNAPLEN_MAX

/* Defaults: one worker per online CPU (at most MOAT_MAX_WORKERS), ring buffer, 8 MiB per
 * worker, depth 1 MiB, snaplen MOAT_SNAPLEN_MAX. */
void moat_dp_copy_cfg_init(struct moat_dp_copy_cfg *cfg);

/*
 * Validate cfg (-EINVAL naming the field), create the workers' buffers (ring transport: the
 * ring buffers, put in moat_rings; perf: consumers open theirs), write the copy config and
 * enable copying. Calling it again replaces the previous buffers (consumers of the old ones
 * must be freed first). -EBUSY never: the last caller wins (one daemon per pin root).
 */
int moat_dp_copy_start(struct moat_dp *dp, const struct moat_dp_copy_cfg *cfg);

/* Disable copying and release this handle's buffers. Idempotent. */
int moat_dp_copy_stop(struct moat_dp *dp);

struct moat_pkt { /* one record, valid during the callback */
	uint64_t ts_ns; /* CLOCK_BOOTTIME */
	uint32_t ifindex;
	uint8_t hook; /* MOAT_HOOK_TC_IN / MOAT_HOOK_TC_OUT */
	uint8_t kind; /* MOAT_PKT_COPY, MOAT_PKT_HTTP_BLOCK */
	uint8_t http_check; /* enum moat_http_check for MOAT_PKT_HTTP_BLOCK, else 0 */
	uint32_t wire_len, cap_len;
	const uint8_t *data; /* Ethernet frame, cap_len bytes */
	unsigned int worker; /* the worker whose buffer carried it */
};

/* Called per record; return 0 to go on, a negative errno to stop (poll returns it). */
typedef int (*moat_dp_pkt_cb)(void *ctx, const struct moat_pkt *p);

struct moat_dp_consumer;

/*
 * A consumer of one worker's records (after moat_dp_copy_start(); free consumers before the
 * next start or stop). One thread per consumer; the consumer keeps its own fds, so it does not
 * race with other calls on dp. A record shorter than its header, or whose cap_len exceeds
 * what arrived, is counted in moat_dp_consumer_malformed() and skipped, never passed on.
 */
int moat_dp_consumer_new(struct moat_dp *dp, unsigned int worker, moat_dp_pkt_cb cb, void *ctx,
			 struct moat_dp_consumer **ret);
/*
 * Wakeups are rate-limited for throughput (at most one per worker per 100 us; perf: one per 16
 * records per CPU), so records can be waiting while the fd is not readable: an epoll loop
 * waits at most MOAT_DP_CONSUMER_MAX_WAIT_MS, then calls moat_dp_consumer_poll(c, 0) whether
 * the fd became readable or not. moat_dp_consumer_poll() with a timeout does this itself.
 */
#define MOAT_DP_CONSUMER_MAX_WAIT_MS 1
int moat_dp_consumer_fd(const struct moat_dp_consumer *c); /* for epoll (see above) */
/* Wait up to timeout_ms (0: no wait, -1: forever) until records arrive, deliver them (cb in
 * this thread): returns records delivered (0 on timeout) or -errno. */
int moat_dp_consumer_poll(struct moat_dp_consumer *c, int timeout_ms);
/* Records skipped as malformed (shorter than their header, or cap_len beyond the record). */
uint64_t moat_dp_consumer_malformed(const struct moat_dp_consumer *c);
void moat_dp_consumer_free(struct moat_dp_consumer *c);

struct moat_dp_copy_stats {
	uint64_t copied, copied_bytes, lost, depth_skipped, bypassed, http_blocked;
	uint64_t http_incomplete; /* first request segments whose request line did not end there */
	uint64_t flow_full; /* flow map updates that failed */
};

/* Copy counters of one worker, or summed over all (worker -1). -EINVAL for a bad index. */
int moat_dp_copy_stats(struct moat_dp *dp, int worker, struct moat_dp_copy_stats *ret);

struct moat_dp_flow {
	uint8_t family, proto; /* AF_INET/AF_INET6 (or 4/6); IPPROTO_TCP/UDP */
	uint8_t saddr[16], daddr[16]; /* IPv4: first 4 bytes */
	uint16_t sport, dport; /* host byte order; either direction */
};

/* Mark a flow bypassed: nothing more of it is copied (counted in bypassed). Creates the flow
 * entry if the kernel has none yet. */
int moat_dp_flow_bypass(struct moat_dp *dp, const struct moat_dp_flow *f);

/* The worker a flow's records go to under n_workers (both directions: the same). */
unsigned int moat_dp_flow_worker(const struct moat_dp_flow *f, unsigned int n_workers);

/* ---- in-kernel HTTP checks (TC ingress, the first request segment of a TCP flow) ---- */

/*
 * On the first payload segment sent by the client of a TCP flow whose SYN moat saw (flows
 * picked up mid-stream are not checked), at TC ingress, if it starts like an HTTP request
 * (method token, SP): blocked methods (exact, case-sensitive), blocked URI prefixes (raw bytes
 * of the request target, no decoding: a cheap early filter, the DPI engine normalises), the
 * request-line length, blocked Host values (first Host header, case-insensitive, port and
 * surrounding whitespace ignored; the host inside an absolute-form request target is not
 * looked at), and header-line lengths. Only the first MOAT_HTTP_SCAN
 * bytes of that one segment are read: a request line not complete in it is counted
 * (http_incomplete) and only what was seen is checked (method, URI prefix, a request line
 * already longer than the limit); headers beyond the segment are not seen. A hit drops the
 * segment, marks the flow so all its later packets (both directions) drop with reason
 * MOAT_R_HTTP (counted in http_blocked), bumps the entry's hit counter, and, while copying is
 * enabled, sends a MOAT_PKT_HTTP_BLOCK record with the packet to the flow's worker.
 */
enum moat_http_check {
	MOAT_HTTP_METHOD = 1,
	MOAT_HTTP_HOST,
	MOAT_HTTP_URI_PREFIX,
	MOAT_HTTP_REQUEST_LINE_LEN,
	MOAT_HTTP_HEADER_LEN,
};

/*
 * Add or remove a blocked METHOD (RFC 9110 token, at most MOAT_HTTP_METHOD_MAX bytes), HOST
 * (hostname or IPv4 literal or [IPv6] literal, no port, at most MOAT_HTTP_KEY_MAX bytes; stored
 * lower case) or URI_PREFIX (starts with '/' or is "*", visible ASCII, at most
 * MOAT_HTTP_URI_MAX bytes). -EINVAL with a message naming the value; -ENOSPC when the map is
 * full; add of an existing value is a no-op (0), delete of a missing one -ENOENT.
 */
int moat_dp_http_add(struct moat_dp *dp, enum moat_http_check kind, const char *value);
int moat_dp_http_delete(struct moat_dp *dp, enum moat_http_check kind, const char *value);
/* Call cb for every entry (methods, hosts, URI prefixes); cb non-zero stops (returned). Returns
 * the number listed. */
int moat_dp_http_list(struct moat_dp *dp, int (*cb)(enum moat_http_check, const char *, void *),
		      void *ctx);
/* Hits of one entry (requests it dropped). -ENOENT if absent. */
int moat_dp_http_hits(struct moat_dp *dp, enum moat_http_check kind, const char *value,
		      uint64_t *ret_hits);
/* Longest request line and header line (bytes without CRLF) allowed; 0 = no limit. */
int moat_dp_http_set_limits(struct moat_dp *dp, uint32_t max_request_line, uint32_t max_header);
int moat_dp_http_get_limits(struct moat_dp *dp, uint32_t *ret_max_request_line,
			    uint32_t *ret_max_header);
const char *moat_dp_http_check_name(unsigned int check); /* "method", "host", "uri-prefix", ... */
