// SPDX-License-Identifier: GPL-2.0-only
/*
 * moatd's configuration file: INI-like `key = value` lines under `[section]` headers, `#` or
 * `;` comments (whole lines, or after white space), every key validated against a table of
 * types and bounds. Hand written: the format is twenty lines of parsing and no Debian library
 * reports errors as file:line the way we need (libinih stops at the first error without the
 * key's name, glib's GKeyFile drags in GLib).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* ---- Suricata-style settings (shared with offline mode's --set) ---- */

int config_parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (!strcasecmp(end, "kb") || !strcasecmp(end, "k") || !strcasecmp(end, "kib"))
		mult = 1024;
	else if (!strcasecmp(end, "mb") || !strcasecmp(end, "m") || !strcasecmp(end, "mib"))
		mult = 1024 * 1024;
	else if (!strcasecmp(end, "gb") || !strcasecmp(end, "g") || !strcasecmp(end, "gib"))
		mult = 1024ULL * 1024 * 1024;
	else if (*end && strcasecmp(end, "b"))
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

#define HTP_PREFIX "app-layer.protocols.http.libhtp.default-config."

int config_apply_set(struct worker_config *wc, struct app_layer_config *ac, const char *key,
		     const char *value, char *err, size_t errlen)
{
	uint64_t size;
	int b;

	if (!strcmp(key, "stream.inline")) {
		/* inline (IPS) reassembly changes when data is inspected, not what is parsed;
		 * moat inspects everything at the end of each segment anyway */
		if (parse_bool(value, &b) < 0) {
			snprintf(err, errlen, "not a boolean: %s", value);
			return -EINVAL;
		}
		return 0;
	}
	if (!strncmp(key, HTP_PREFIX, strlen(HTP_PREFIX))) {
		const char *k = key + strlen(HTP_PREFIX);

		if (!strcmp(k, "request-body-limit") || !strcmp(k, "response-body-limit")) {
			if (config_parse_size(value, &size) < 0) {
				snprintf(err, errlen, "not a size: %s", value);
				return -EINVAL;
			}
			if (k[2] == 'q')
				ac->http.request_body_limit = size;
			else
				ac->http.response_body_limit = size;
			return 0;
		}
		if (!strcmp(k, "response-body-decompress-layer-limit")) {
			if (config_parse_size(value, &size) < 0 || size > 64) {
				snprintf(err, errlen, "not a layer count (0-64): %s", value);
				return -EINVAL;
			}
			ac->http.decompress_layer_limit = (int)size;
			return 0;
		}
		return -ENOENT;
	}
	return worker_config_set(wc, key, value, err, errlen);
}

/* ---- defaults ---- */

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

void config_init(struct moatd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->workers = 0;
	c->transport = CONFIG_TRANSPORT_RINGBUF;
	c->ring_size = 4u << 20;
	c->depth = 1u << 20;
	c->snaplen = 0; /* the datapath's maximum: GRO super-packets arrive whole */
	c->xdp_mode = CONFIG_XDP_AUTO;
	copy_str(c->log_dir, sizeof(c->log_dir), "/var/log/moat");
	copy_str(c->rules_dir, sizeof(c->rules_dir), "/etc/moat/rules.d");
	copy_str(c->cache_dir, sizeof(c->cache_dir), "/var/cache/moat");
	copy_str(c->state_file, sizeof(c->state_file), "/var/lib/moat/state.json");
	c->keep_enforcement = true;
	c->sweep_interval_s = 10;
	c->drop_caps = true;
	copy_str(c->control_socket, sizeof(c->control_socket), "/run/moat/moatd.sock");
	copy_str(c->metrics_listen, sizeof(c->metrics_listen), "127.0.0.1:9567");
	c->autoban = true;
	c->threshold = 10;
	c->weight[0] = 10; /* priority 1: one high-severity alert bans */
	c->weight[1] = 5;
	c->weight[2] = 2;
	c->weight[3] = 1;
	c->window_s = 60;
	c->ban_on_drop = true;
	c->ban_time_s = 600;
	c->ban_max_s = 7 * 86400;
	c->escalate = 4;
	c->forget_s = 86400;
	c->ipv4_prefix = 32;
	c->ipv6_prefix = 64;
	c->max_offenders = 65536;
}

/* ---- the key table ---- */

enum key_type {
	K_UINT, /* unsigned int, [min, max] */
	K_U32_SIZE, /* uint32_t, a size ("4mb"), [min, max] */
	K_U64_SIZE, /* uint64_t, a size, [min, max] */
	K_DURATION, /* uint64_t seconds, [min, max] */
	K_BOOL,
	K_PATH, /* char[PATH_MAX]; absolute path or "" when allowed (min = 1: may be empty) */
	K_STRING, /* char[] of size max */
	K_DOUBLE, /* double, [min, max] */
	K_U8, /* uint8_t, [min, max] */
	K_TRANSPORT,
	K_XDP_MODE,
	K_NEVER_BAN, /* CIDR list, appended */
	K_LISTEN, /* char[128] "ADDR:PORT" or "" */
};

struct key_def {
	const char *section, *name;
	enum key_type type;
	size_t off;
	uint64_t min, max;
};

#define OFF(f) offsetof(struct moatd_config, f)

static const struct key_def keys[] = {
	{ "daemon", "workers", K_UINT, OFF(workers), 0, 64 },
	{ "daemon", "transport", K_TRANSPORT, OFF(transport), 0, 0 },
	{ "daemon", "ring-size", K_U32_SIZE, OFF(ring_size), 4096, 1u << 30 },
	{ "daemon", "depth", K_U64_SIZE, OFF(depth), 0, 1ull << 32 },
	{ "daemon", "snaplen", K_U32_SIZE, OFF(snaplen), 0, 1u << 17 },
	{ "daemon", "xdp-mode", K_XDP_MODE, OFF(xdp_mode), 0, 0 },
	{ "daemon", "log-dir", K_PATH, OFF(log_dir), 0, 0 },
	{ "daemon", "rules-dir", K_PATH, OFF(rules_dir), 1, 0 },
	{ "daemon", "cache-dir", K_PATH, OFF(cache_dir), 1, 0 },
	{ "daemon", "state-file", K_PATH, OFF(state_file), 0, 0 },
	{ "daemon", "pin-root", K_PATH, OFF(pin_root), 1, 0 },
	{ "daemon", "keep-enforcement", K_BOOL, OFF(keep_enforcement), 0, 0 },
	{ "daemon", "sweep-interval", K_DURATION, OFF(sweep_interval_s), 1, 3600 },
	{ "daemon", "drop-capabilities", K_BOOL, OFF(drop_caps), 0, 0 },
	{ "control", "socket", K_PATH, OFF(control_socket), 1, 0 },
	{ "control", "group", K_STRING, OFF(control_group), 0,
	  sizeof(((struct moatd_config *)0)->control_group) },
	{ "metrics", "listen", K_LISTEN, OFF(metrics_listen), 0, 0 },
	{ "autoban", "enabled", K_BOOL, OFF(autoban), 0, 0 },
	{ "autoban", "threshold", K_DOUBLE, OFF(threshold), 1, 1000000 },
	{ "autoban", "weight-priority-1", K_DOUBLE, OFF(weight[0]), 0, 1000000 },
	{ "autoban", "weight-priority-2", K_DOUBLE, OFF(weight[1]), 0, 1000000 },
	{ "autoban", "weight-priority-3", K_DOUBLE, OFF(weight[2]), 0, 1000000 },
	{ "autoban", "weight-priority-4", K_DOUBLE, OFF(weight[3]), 0, 1000000 },
	{ "autoban", "window", K_DURATION, OFF(window_s), 1, 7 * 86400 },
	{ "autoban", "ban-on-drop", K_BOOL, OFF(ban_on_drop), 0, 0 },
	{ "autoban", "ban-time", K_DURATION, OFF(ban_time_s), 1, 365 * 86400 },
	{ "autoban", "ban-max", K_DURATION, OFF(ban_max_s), 1, 365 * 86400 },
	{ "autoban", "escalate", K_UINT, OFF(escalate), 1, 100 },
	{ "autoban", "forget", K_DURATION, OFF(forget_s), 0, 365 * 86400 },
	{ "autoban", "ipv4-prefix", K_U8, OFF(ipv4_prefix), 8, 32 },
	{ "autoban", "ipv6-prefix", K_U8, OFF(ipv6_prefix), 16, 128 },
	{ "autoban", "max-offenders", K_UINT, OFF(max_offenders), 16, 1u << 24 },
	{ "autoban", "never-ban", K_NEVER_BAN, 0, 0, 0 },
};

static int fail(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt, ...)
	_printf_(5, 6);

static int fail(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%u: %s", name, line, msg);
	return -EINVAL;
}

static int parse_never_ban(struct moatd_config *c, char *val, char *msg, size_t msglen)
{
	char *save = NULL;

	for (char *tok = strtok_r(val, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct cidr n;
		int r = cidr_parse_loose(tok, &n);

		if (r < 0) {
			snprintf(msg, msglen, "never-ban: not an address or network: %s", tok);
			return -EINVAL;
		}
		if (c->n_never_ban == CONFIG_MAX_NEVER_BAN) {
			snprintf(msg, msglen, "never-ban: more than %d networks",
				 CONFIG_MAX_NEVER_BAN);
			return -E2BIG;
		}
		c->never_ban[c->n_never_ban++] = n;
	}
	return 0;
}

static int parse_listen(const char *val, char *msg, size_t msglen)
{
	const char *colon = strrchr(val, ':');
	char host[128];
	uint16_t port;
	struct cidr a;

	if (!*val)
		return 0;
	if (!colon || colon == val || (size_t)(colon - val) >= sizeof(host)) {
		snprintf(msg, msglen, "expected ADDR:PORT (e.g. 127.0.0.1:9567, [::1]:9567): %s",
			 val);
		return -EINVAL;
	}
	memcpy(host, val, (size_t)(colon - val));
	host[colon - val] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']') {
			snprintf(msg, msglen, "bad IPv6 address in brackets: %s", val);
			return -EINVAL;
		}
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (cidr_parse(host, &a) < 0 || !cidr_is_host(&a)) {
		snprintf(msg, msglen, "not an IP address: %s", host);
		return -EINVAL;
	}
	if (parse_port(colon + 1, &port) < 0) {
		snprintf(msg, msglen, "not a port (1-65535): %s", colon + 1);
		return -EINVAL;
	}
	return 0;
}

/* Set one key from the table; message (without file:line) in msg on failure. */
static int set_key(struct moatd_config *c, const struct key_def *k, char *val, char *msg,
		   size_t msglen)
{
	char *p = (char *)c + k->off;
	uint64_t v;
	int b, r;

	switch (k->type) {
	case K_UINT:
	case K_U8:
		r = parse_u64(val, k->min, k->max, &v);
		if (r < 0)
			goto range;
		if (k->type == K_U8)
			*(uint8_t *)p = (uint8_t)v;
		else
			*(unsigned int *)p = (unsigned int)v;
		return 0;
	case K_U32_SIZE:
	case K_U64_SIZE:
		r = config_parse_size(val, &v);
		if (r < 0 || v < k->min || v > k->max) {
			snprintf(
				msg, msglen,
				"%s: expected a size from %llu to %llu bytes (\"64kb\", \"4mb\"): %s",
				k->name, (unsigned long long)k->min, (unsigned long long)k->max,
				val);
			return -EINVAL;
		}
		if (!strcmp(k->name, "ring-size") && (v & (v - 1))) {
			snprintf(msg, msglen, "ring-size: must be a power of two: %s", val);
			return -EINVAL;
		}
		if (k->type == K_U32_SIZE)
			*(uint32_t *)p = (uint32_t)v;
		else
			*(uint64_t *)p = v;
		return 0;
	case K_DURATION:
		r = parse_duration(val, &v);
		if (r < 0 || v < k->min || v > k->max) {
			char a[32], b2[32];

			snprintf(
				msg, msglen,
				"%s: expected a duration from %s to %s (\"30s\", \"10m\", \"1h\"): %s",
				k->name, format_duration(k->min, a, sizeof(a)),
				format_duration(k->max, b2, sizeof(b2)), val);
			return -EINVAL;
		}
		*(uint64_t *)p = v;
		return 0;
	case K_BOOL:
		if (parse_bool(val, &b) < 0) {
			snprintf(msg, msglen, "%s: expected yes or no: %s", k->name, val);
			return -EINVAL;
		}
		*(bool *)p = b;
		return 0;
	case K_PATH:
		if (!*val && k->min) {
			*p = '\0';
			return 0;
		}
		if (val[0] != '/') {
			snprintf(msg, msglen, "%s: expected an absolute path%s: %s", k->name,
				 k->min ? " or nothing" : "", val);
			return -EINVAL;
		}
		if (strlen(val) >= PATH_MAX) {
			snprintf(msg, msglen, "%s: path too long", k->name);
			return -EINVAL;
		}
		copy_str(p, PATH_MAX, val);
		return 0;
	case K_STRING:
		if (strlen(val) >= k->max) {
			snprintf(msg, msglen, "%s: longer than %llu characters", k->name,
				 (unsigned long long)k->max - 1);
			return -EINVAL;
		}
		for (const char *s = val; *s; s++) {
			if (!isalnum((unsigned char)*s) && !strchr("._-", *s)) {
				snprintf(msg, msglen, "%s: not a valid name: %s", k->name, val);
				return -EINVAL;
			}
		}
		copy_str(p, k->max, val);
		return 0;
	case K_DOUBLE: {
		char *end;
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (end == val || *end || errno || !(d >= (double)k->min) ||
		    !(d <= (double)k->max)) {
			snprintf(msg, msglen, "%s: expected a number from %llu to %llu: %s",
				 k->name, (unsigned long long)k->min, (unsigned long long)k->max,
				 val);
			return -EINVAL;
		}
		*(double *)p = d;
		return 0;
	}
	case K_TRANSPORT:
		if (!strcmp(val, "ringbuf"))
			c->transport = CONFIG_TRANSPORT_RINGBUF;
		else if (!strcmp(val, "perfbuf"))
			c->transport = CONFIG_TRANSPORT_PERFBUF;
		else {
			snprintf(msg, msglen, "transport: expected ringbuf or perfbuf: %s", val);
			return -EINVAL;
		}
		return 0;
	case K_XDP_MODE:
		for (int m = CONFIG_XDP_AUTO; m <= CONFIG_XDP_OFF; m++) {
			if (!strcmp(val, config_xdp_mode_name(m))) {
				c->xdp_mode = m;
				return 0;
			}
		}
		snprintf(msg, msglen, "xdp-mode: expected auto, native, generic or off: %s", val);
		return -EINVAL;
	case K_NEVER_BAN:
		return parse_never_ban(c, val, msg, msglen);
	case K_LISTEN:
		r = parse_listen(val, msg, msglen);
		if (r < 0)
			return r;
		copy_str(c->metrics_listen, sizeof(c->metrics_listen), val);
		return 0;
	}
	return -EINVAL;
range:
	snprintf(msg, msglen, "%s: expected a whole number from %llu to %llu: %s", k->name,
		 (unsigned long long)k->min, (unsigned long long)k->max, val);
	return -EINVAL;
}

int config_add_set(struct moatd_config *c, const char *key, const char *val, char *msg,
		   size_t msglen)
{
	struct worker_config wc;
	struct app_layer_config ac;
	char e[256] = "";
	int r;

	worker_config_init(&wc);
	app_layer_config_init(&ac);
	r = config_apply_set(&wc, &ac, key, val, e, sizeof(e));
	if (r == -ENOENT) {
		snprintf(msg, msglen, "unknown setting: %s", key);
		return r;
	}
	if (r < 0) {
		snprintf(msg, msglen, "%s: %s", key, e[0] ? e : strerror(-r));
		return r;
	}
	if (c->n_sets == CONFIG_MAX_SETS) {
		snprintf(msg, msglen, "more than %d settings in [set]", CONFIG_MAX_SETS);
		return -E2BIG;
	}
	if (strlen(key) >= sizeof(c->sets[0].key) || strlen(val) >= sizeof(c->sets[0].value)) {
		snprintf(msg, msglen, "%s: key or value too long", key);
		return -EINVAL;
	}
	copy_str(c->sets[c->n_sets].key, sizeof(c->sets[0].key), key);
	copy_str(c->sets[c->n_sets].value, sizeof(c->sets[0].value), val);
	c->n_sets++;
	return 0;
}

/* Cut a comment: '#' or ';' at the start or after white space. */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if ((*p == '#' || *p == ';') && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static int parse_line(struct moatd_config *c, char *line, char *section, size_t seclen, char *msg,
		      size_t msglen)
{
	char *s, *eq, *key, *val;

	strip_comment(line);
	s = str_trim(line);
	if (!*s)
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);
		static const char *const sections[] = { "daemon", "control", "metrics", "autoban",
							"set" };

		if (s[n - 1] != ']') {
			snprintf(msg, msglen, "section header without ']': %s", s);
			return -EINVAL;
		}
		s[n - 1] = '\0';
		s = str_trim(s + 1);
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
			if (!strcmp(s, sections[i])) {
				copy_str(section, seclen, s);
				return 0;
			}
		}
		snprintf(msg, msglen,
			 "unknown section [%s] (expected daemon, control, metrics, autoban, set)",
			 s);
		return -EINVAL;
	}
	eq = strchr(s, '=');
	if (!eq) {
		snprintf(msg, msglen, "expected key = value: %s", s);
		return -EINVAL;
	}
	*eq = '\0';
	key = str_trim(s);
	val = str_trim(eq + 1);
	if (!*key) {
		snprintf(msg, msglen, "missing key before '='");
		return -EINVAL;
	}
	if (!*section) {
		snprintf(msg, msglen, "%s: key outside a section (start with [daemon])", key);
		return -EINVAL;
	}
	if (!strcmp(section, "set"))
		return config_add_set(c, key, val, msg, msglen);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, key))
			return set_key(c, &keys[i], val, msg, msglen);
	}
	snprintf(msg, msglen, "unknown key %s in [%s]", key, section);
	return -EINVAL;
}

static int check_whole(const struct moatd_config *c, char *msg, size_t msglen)
{
	if (c->ban_max_s < c->ban_time_s) {
		snprintf(msg, msglen, "autoban: ban-max is shorter than ban-time");
		return -EINVAL;
	}
	return 0;
}

static int load_stream(struct moatd_config *c, FILE *f, const char *name, char *err, size_t errlen)
{
	_cleanup_free_ char *line = NULL;
	char section[16] = "";
	char msg[512];
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > CONFIG_MAX_LINE)
			return fail(err, errlen, name, lineno, "line longer than %d characters",
				    CONFIG_MAX_LINE);
		if (memchr(line, '\0', (size_t)n))
			return fail(err, errlen, name, lineno, "NUL byte in line");
		if (parse_line(c, line, section, sizeof(section), msg, sizeof(msg)) < 0)
			return fail(err, errlen, name, lineno, "%s", msg);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", name);
		return -EIO;
	}
	if (check_whole(c, msg, sizeof(msg)) < 0)
		return fail(err, errlen, name, lineno, "%s", msg);
	return 0;
}

int config_load(struct moatd_config *c, const char *path, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return load_stream(c, f, path, err, errlen);
}

int config_load_mem(struct moatd_config *c, const char *data, size_t len, const char *name,
		    char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = NULL;

	if (len == 0)
		return check_whole(c, err, errlen) < 0 ? -EINVAL : 0;
	f = fmemopen((void *)data, len, "r");
	if (!f)
		return -errno;
	return load_stream(c, f, name, err, errlen);
}

bool config_never_ban(const struct moatd_config *c, int family, const void *addr)
{
	for (size_t i = 0; i < c->n_never_ban; i++) {
		if (c->never_ban[i].family == family &&
		    cidr_contains(&c->never_ban[i], family, addr))
			return true;
	}
	return false;
}

const char *config_transport_name(enum config_transport t)
{
	return t == CONFIG_TRANSPORT_PERFBUF ? "perfbuf" : "ringbuf";
}

const char *config_xdp_mode_name(enum config_xdp_mode m)
{
	switch (m) {
	case CONFIG_XDP_AUTO:
		return "auto";
	case CONFIG_XDP_NATIVE:
		return "native";
	case CONFIG_XDP_GENERIC:
		return "generic";
	case CONFIG_XDP_OFF:
		return "off";
	}
	return "?";
}
