/* SPDX-License-Identifier: GPL-2.0-only */
/* Private state of the datapath library, shared by datapath.c, dp_entries.c and dp_attach.c. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "datapath/datapath.h"
#include "lib/macro.h"

#define MOAT_DP_MAX_PRIV_LINKS 32
#define MOAT_DP_PIN_ROOT_MAX 200
#define MOAT_ENOTSUPP 524 /* the kernel's internal ENOTSUPP, seen by bpf() callers */

struct moat_filter;
struct bpf_map;

/* The prefilter arrays: pinned names and sizes in counters. */
enum { DP_PF_4, DP_PF_6, DP_PF_L4, DP_PF_NUM };
#define DP_PF_NAMES                                 \
	{                                           \
		"moat_pf4", "moat_pf6", "moat_pfl4" \
	}
#define DP_PF_COUNTERS                                                                         \
	{                                                                                      \
		(size_t) MOAT_PF_LISTS *MOAT_PF4_SLOTS, (size_t)MOAT_PF_LISTS *MOAT_PF6_SLOTS, \
			(size_t)MOAT_PFL4_SLOTS                                                \
	}

/* Links held by a no_pin handle (they live as long as dp). */
struct moat_dp_priv_link {
	int ifindex;
	int xdp_fd;
	int tci_fd;
	int tce_fd;
};

struct moat_dp {
	struct moat_filter *skel;
	char pin_root[256]; /* at most MOAT_DP_PIN_ROOT_MAX chars */
	bool no_pin;
	bool force_clsact;
	uint32_t tc_priority;
	int map_fd[MOAT_M_NUM]; /* entry maps, indexed MOAT_M_* */
	uint32_t map_max[MOAT_M_NUM];
	int cfg_fd;
	int stats_fd;
	int notes_fd;
	uint32_t notes_max;
	struct moat_cfg *cfg; /* mmapped moat_cfg[0] */
	/* The mmapped prefilters (moat_abi.h), indexed DP_PF_*. */
	uint64_t *pf[DP_PF_NUM];
	size_t pf_len[DP_PF_NUM];
	struct moat_dp_priv_link priv[MOAT_DP_MAX_PRIV_LINKS];
	/* packet copies and HTTP checks (dp_copy.c) */
	struct moat_copy_cfg *ccfg; /* mmapped moat_ccfg[0] */
	int cstats_fd, flows_fd, http_h_fd, http_u_fd, rings_fd, perf_fd;
	int ncpu; /* possible CPUs (perf array stride) */
	int ring_fd[MOAT_MAX_WORKERS]; /* this handle's ring buffers (-1: none) */
	unsigned int n_workers; /* of the running copy (0: stopped) */
	enum moat_copy_transport transport;
	uint32_t ring_bytes;
	char err[512];
};

/* dp_copy.c: size (and set pin paths of) the copy/HTTP maps before load; after load: map fds
 * and mmap; on close: release buffers. */
int dp_copy_size_maps(struct moat_dp *dp, const struct moat_dp_opts *opts);
int dp_copy_open(struct moat_dp *dp);
void dp_copy_close(struct moat_dp *dp);
/* Shared with datapath.c: size a map from its pin or want (0: keep the object's size). */
int dp_size_map(struct moat_dp *dp, struct bpf_map *map, uint32_t want);

/* Set dp->err and return err (a -errno). */
int dp_fail(struct moat_dp *dp, int err, const char *fmt, ...) _printf_(3, 4);

/* Atomically set or clear the "may be non-empty" bit of a map. */
void dp_mark_nonempty(struct moat_dp *dp, unsigned int map_id);
/* Clear the bit if the map is empty, closing the race with concurrent adds (see dp_entries.c). */
void dp_update_empty(struct moat_dp *dp, unsigned int map_id);

/*
 * Call fn(counter, userdata) for every prefilter counter a key of map_id counts in (each
 * distinct slot once per covered unit: the same counter may come twice for IPv6 spans).
 */
void dp_pf_each(struct moat_dp *dp, unsigned int map_id, const void *key,
		void (*fn)(uint64_t *counter, void *userdata), void *userdata);
/* Count every key of the address maps into the prefilters (after adopting old maps). */
int dp_pf_rebuild(struct moat_dp *dp);

/* A normalised entry key: which map, the key bytes, and the key of its note. */
struct dp_key {
	unsigned int map_id; /* MOAT_M_* */
	uint32_t key_len;
	union {
		uint8_t bytes[24];
		uint32_t addr4; /* network order */
		struct moat_addr6 addr6;
		struct moat_lpm4_key lpm4;
		struct moat_lpm6_key lpm6;
		struct moat_l4v4_key l4v4;
		struct moat_l4v6_key l4v6;
	} key;
	struct moat_note_key note;
};

/*
 * Build the key of e for family (AF_INET or AF_INET6; e->cidr.family unless that is AF_UNSPEC
 * for a port kind). Pure (no bpf), unit-tested. -EINVAL with a message in err.
 */
int dp_entry_key(const struct moat_dp_entry *e, int family, struct dp_key *ret, char *err,
		 size_t errlen);

/* Turn a map key back into the entry fields (kind, dir, cidr, proto, port). Pure. */
void dp_entry_from_key(unsigned int map_id, const void *key, struct moat_dp_entry *ret);
