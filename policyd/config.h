/* SPDX-License-Identifier: GPL-2.0-only */
/* moatd's configuration: embedded defaults, the moat.conf parser (docs/config.md) and the
 * Suricata-style `--set KEY=VALUE` settings shared with offline mode. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"
#include "dpi/dpi.h"

#define CONFIG_MAX_NEVER_BAN 256
#define CONFIG_MAX_SETS 128
#define CONFIG_MAX_IFACES 32
#define CONFIG_MAX_RULE_PATHS 256
#define CONFIG_MAX_LINE 4096
#define CONFIG_PATH_DEFAULT "/etc/moat/moat.conf"

enum config_transport {
	CONFIG_TRANSPORT_RINGBUF = 0,
	CONFIG_TRANSPORT_PERFBUF,
};

enum config_xdp_mode {
	CONFIG_XDP_AUTO = 0,
	CONFIG_XDP_NATIVE,
	CONFIG_XDP_GENERIC,
	CONFIG_XDP_OFF,
};

/* One Suricata-style setting from [set] or --set, applied to the worker/app config. */
struct config_set {
	char key[128];
	char value[256];
};

struct moatd_config {
	/* [daemon] */
	unsigned int workers; /* 0 = one per online CPU */
	enum config_transport transport;
	uint32_t ring_size; /* bytes per worker ring buffer, power of two, >= 4096 */
	uint64_t depth; /* per-direction inspection depth of a flow in bytes (kernel copy cap) */
	uint32_t snaplen; /* bytes of each packet copied to userspace; 0 = the datapath maximum */
	enum config_xdp_mode xdp_mode;
	char log_dir[PATH_MAX]; /* eve.json goes here */
	char rules_dir[PATH_MAX]; /* "" = none */
	char cache_dir[PATH_MAX]; /* compiled Hyperscan databases; "" = no cache */
	char state_file[PATH_MAX];
	char pin_root[PATH_MAX]; /* "" = the datapath's default (/sys/fs/bpf/moat) */
	bool keep_enforcement; /* SIGTERM leaves programs and maps pinned (default yes) */
	uint64_t sweep_interval_s; /* expired-entry sweep and state save period */
	bool drop_caps; /* drop capabilities after setup (default yes) */
	/* [control] (read by the control socket module) */
	char control_socket[PATH_MAX];
	char control_group[64]; /* "" = the daemon's group */
	/* [metrics] */
	char metrics_listen[128]; /* "ADDR:PORT"; "" = off */
	/* [autoban] */
	bool autoban; /* automatic blocking on (default yes) */
	double threshold; /* score that triggers a ban */
	double weight[4]; /* score per alert of Suricata priority 1..4 */
	uint64_t window_s; /* scores decay linearly to zero over this window */
	bool ban_on_drop; /* drop/reject rules ban at once */
	uint64_t ban_time_s; /* first ban */
	uint64_t ban_max_s; /* cap of escalated bans */
	unsigned int escalate; /* factor per repeat offence (1 = no escalation) */
	uint64_t forget_s; /* a ban history older than this is forgotten */
	uint8_t ipv4_prefix; /* ban this prefix around an IPv4 offender (32) */
	uint8_t ipv6_prefix; /* and around an IPv6 one (64) */
	uint32_t max_offenders; /* scored sources tracked at once (cap) */
	struct cidr never_ban[CONFIG_MAX_NEVER_BAN];
	size_t n_never_ban;
	/* [set] */
	struct config_set sets[CONFIG_MAX_SETS];
	size_t n_sets;
	/* command line (not in the file) */
	const char *ifaces[CONFIG_MAX_IFACES];
	size_t n_ifaces;
	const char *rule_paths[CONFIG_MAX_RULE_PATHS];
	size_t n_rule_paths;
};

/* The embedded defaults (documented in docs/config.md). */
void config_init(struct moatd_config *c);

/*
 * Read PATH over the current values. Every key is validated; the first error is returned as
 * -EINVAL (or -errno when the file cannot be read) with "PATH:LINE: message" in err.
 */
int config_load(struct moatd_config *c, const char *path, char *err, size_t errlen);

/* The same, from LEN bytes of memory named NAME in messages (tests, fuzzing). */
int config_load_mem(struct moatd_config *c, const char *data, size_t len, const char *name,
		    char *err, size_t errlen);

/*
 * Apply one Suricata-style setting (stream.*, flow.*, defrag.*,
 * app-layer.protocols.http.libhtp.default-config.*) to the worker and app-layer configs.
 * Returns 0, -ENOENT for an unknown key, -EINVAL for a bad value (message in err).
 */
int config_apply_set(struct worker_config *wc, struct app_layer_config *ac, const char *key,
		     const char *value, char *err, size_t errlen);

/* Add one [set] line (validated now against scratch configs, applied by the workers). Returns 0,
 * -ENOENT (unknown key), -EINVAL (bad value) or -E2BIG, "KEY: message" in err. */
int config_add_set(struct moatd_config *c, const char *key, const char *value, char *err,
		   size_t errlen);

/* Suricata's byte sizes: "100kb", "1mb", "2gb", "512"; case-insensitive. */
int config_parse_size(const char *s, uint64_t *ret);

/* True if ADDR (family AF_INET/AF_INET6) is inside a never_ban network. */
bool config_never_ban(const struct moatd_config *c, int family, const void *addr);

const char *config_transport_name(enum config_transport t);
const char *config_xdp_mode_name(enum config_xdp_mode m);
