// SPDX-License-Identifier: GPL-2.0-only
/* Entries of the datapath maps: key building, add/delete/get, bulk load, list, sweep, flush. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/dp_internal.h"
#include "lib/lib.h"

#define BULK_CHUNK 4096

static bool is_port_kind(unsigned int kind)
{
	return kind == MOAT_KIND_PORT_BLOCK || kind == MOAT_KIND_PORT_ALLOW;
}

int dp_entry_key(const struct moat_dp_entry *e, int family, struct dp_key *ret, char *err,
		 size_t errlen)
{
	struct dp_key k;
	struct cidr c = e->cidr;
	bool v4 = family == AF_INET;
	unsigned int base;

	memset(&k, 0, sizeof(k));
	if (family != AF_INET && family != AF_INET6) {
		snprintf(err, errlen, "%s entry: address family %d is neither IPv4 nor IPv6",
			 moat_dp_kind_name(e->kind), family);
		return -EINVAL;
	}
	if (c.family == AF_UNSPEC) {
		if (!is_port_kind(e->kind)) {
			snprintf(err, errlen, "%s entry needs an address",
				 moat_dp_kind_name(e->kind));
			return -EINVAL;
		}
		memset(&c, 0, sizeof(c));
		c.family = family;
		c.prefix = 0;
	} else if (c.family != family) {
		snprintf(err, errlen, "entry family mismatch");
		return -EINVAL;
	}
	if (c.prefix > (v4 ? 32 : 128)) {
		snprintf(err, errlen, "prefix length %u too long for %s", c.prefix,
			 v4 ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	cidr_canonicalize(&c);

	switch (e->kind) {
	case MOAT_KIND_ALLOW:
	case MOAT_KIND_BLOCK:
		if (e->kind == MOAT_KIND_ALLOW && e->dir != MOAT_DIR_SRC) {
			snprintf(err, errlen, "allow entries match the source only");
			return -EINVAL;
		}
		if (e->dir != MOAT_DIR_SRC && e->dir != MOAT_DIR_DST) {
			snprintf(err, errlen, "unknown direction %u", e->dir);
			return -EINVAL;
		}
		if (e->proto || e->port) {
			snprintf(err, errlen, "%s entries take no protocol or port (use port-%s)",
				 moat_dp_kind_name(e->kind), moat_dp_kind_name(e->kind));
			return -EINVAL;
		}
		base = e->kind == MOAT_KIND_ALLOW ? MOAT_M_AL4_H :
		       e->dir == MOAT_DIR_SRC	  ? MOAT_M_BS4_H :
						    MOAT_M_BD4_H;
		/* Layout of MOAT_M_*: base + {4_H, 4_P, 6_H, 6_P}. */
		if (v4 && c.prefix == 32) {
			k.map_id = base;
			k.key_len = 4;
			memcpy(&k.key.addr4, c.addr, 4);
		} else if (v4) {
			k.map_id = base + 1;
			k.key_len = sizeof(k.key.lpm4);
			k.key.lpm4.prefixlen = c.prefix;
			memcpy(k.key.lpm4.addr, c.addr, 4);
		} else if (c.prefix == 128) {
			k.map_id = base + 2;
			k.key_len = sizeof(k.key.addr6);
			memcpy(k.key.addr6.addr, c.addr, 16);
		} else {
			k.map_id = base + 3;
			k.key_len = sizeof(k.key.lpm6);
			k.key.lpm6.prefixlen = c.prefix;
			memcpy(k.key.lpm6.addr, c.addr, 16);
		}
		break;
	case MOAT_KIND_PORT_BLOCK:
	case MOAT_KIND_PORT_ALLOW:
		if (e->dir != MOAT_DIR_SRC) {
			snprintf(err, errlen, "port entries are scoped by source only");
			return -EINVAL;
		}
		if (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) {
			if (e->port == 0) {
				snprintf(err, errlen, "port 0 is not a valid destination port");
				return -EINVAL;
			}
		} else if (e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6) {
			if ((e->proto == IPPROTO_ICMP) != v4) {
				snprintf(err, errlen, "%s entries need an %s scope",
					 e->proto == IPPROTO_ICMP ? "icmp" : "icmpv6",
					 e->proto == IPPROTO_ICMP ? "IPv4" : "IPv6");
				return -EINVAL;
			}
			if (e->port > 255) {
				snprintf(err, errlen, "ICMP type %u out of range (0-255)", e->port);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen,
				 "port entries need protocol tcp, udp, icmp or icmpv6 (got %u)",
				 e->proto);
			return -EINVAL;
		}
		if (v4) {
			k.map_id = MOAT_M_L4_4;
			k.key_len = sizeof(k.key.l4v4);
			k.key.l4v4.prefixlen = MOAT_L4_PREFIX_BASE + c.prefix;
			k.key.l4v4.proto = e->proto;
			k.key.l4v4.port = htons(e->port);
			memcpy(k.key.l4v4.addr, c.addr, 4);
		} else {
			k.map_id = MOAT_M_L4_6;
			k.key_len = sizeof(k.key.l4v6);
			k.key.l4v6.prefixlen = MOAT_L4_PREFIX_BASE + c.prefix;
			k.key.l4v6.proto = e->proto;
			k.key.l4v6.port = htons(e->port);
			memcpy(k.key.l4v6.addr, c.addr, 16);
		}
		k.note.proto = e->proto;
		k.note.port = htons(e->port);
		break;
	default:
		snprintf(err, errlen, "unknown entry kind %u", e->kind);
		return -EINVAL;
	}
	k.note.map = k.map_id;
	k.note.prefixlen = c.prefix;
	memcpy(k.note.addr, c.addr, v4 ? 4 : 16);
	*ret = k;
	return 0;
}

void dp_entry_from_key(unsigned int map_id, const void *key, struct moat_dp_entry *ret)
{
	const uint8_t *kb = key;
	struct moat_dp_entry e;
	unsigned int group = map_id / 4, sub = map_id % 4;

	memset(&e, 0, sizeof(e));
	if (map_id == MOAT_M_L4_4 || map_id == MOAT_M_L4_6) {
		bool v4 = map_id == MOAT_M_L4_4;
		uint32_t plen;
		uint16_t port;

		memcpy(&plen, kb, 4);
		memcpy(&port, kb + 5, 2);
		e.kind = MOAT_KIND_PORT_BLOCK; /* the caller sets allow from the value */
		e.proto = kb[4];
		e.port = ntohs(port);
		e.cidr.family = v4 ? AF_INET : AF_INET6;
		e.cidr.prefix = plen - MOAT_L4_PREFIX_BASE;
		memcpy(e.cidr.addr, kb + 7, v4 ? 4 : 16);
	} else {
		bool v4 = sub < 2, exact = sub % 2 == 0;
		uint32_t plen = v4 ? 32 : 128;

		e.kind = group == 0 ? MOAT_KIND_ALLOW : MOAT_KIND_BLOCK;
		e.dir = group == 2 ? MOAT_DIR_DST : MOAT_DIR_SRC;
		e.cidr.family = v4 ? AF_INET : AF_INET6;
		if (!exact) {
			memcpy(&plen, kb, 4);
			kb += 4;
		}
		e.cidr.prefix = plen;
		memcpy(e.cidr.addr, kb, v4 ? 4 : 16);
	}
	*ret = e;
}

static bool is_hash_map(unsigned int map_id)
{
	return map_id < MOAT_M_L4_4 && map_id % 2 == 0;
}

static bool has_pf(unsigned int map_id)
{
	return map_id < MOAT_M_NUM;
}

void dp_pf_each(struct moat_dp *dp, unsigned int map_id, const void *key,
		void (*fn)(uint64_t *counter, void *userdata), void *userdata)
{
	const uint8_t *kb = key;
	uint32_t slot, plen, list = map_id / 4, top;
	bool v4 = map_id % 4 < 2;

	if (!has_pf(map_id))
		return;
	if (map_id == MOAT_M_L4_4 || map_id == MOAT_M_L4_6) {
		uint16_t port;

		memcpy(&port, kb + 5, 2); /* after prefixlen and proto */
		fn(&dp->pf[DP_PF_L4][moat_pfl4_slot(map_id == MOAT_M_L4_6, kb[4], ntohs(port))],
		   userdata);
		return;
	}
	if (is_hash_map(map_id)) {
		plen = v4 ? 32 : 128;
	} else {
		memcpy(&plen, kb, 4); /* LPM key: prefixlen, then the address */
		kb += 4;
	}
	if (v4) {
		/* The /MOAT_PF4_SHIFT slots the address or prefix covers. */
		uint32_t span = plen >= MOAT_PF4_SHIFT ? 0 : MOAT_PF4_SHIFT - plen;
		uint64_t *c;

		slot = moat_pf4_slot(kb[0], kb[1], kb[2]) & ~((1u << span) - 1);
		c = &dp->pf[DP_PF_4][(size_t)list * MOAT_PF4_SLOTS + slot];
		for (uint32_t i = 0; i < (1u << span); i++)
			fn(&c[i], userdata);
		return;
	}
	memcpy(&top, kb, 4);
	top = ntohl(top);
	if (plen >= 32) {
		fn(&dp->pf[DP_PF_6][(size_t)list * MOAT_PF6_SLOTS + moat_pf6_slot(top)], userdata);
	} else if (plen >= 16) {
		/* Every /32 the prefix covers, through the hash. */
		uint32_t n = 1u << (32 - plen), base = top & ~(n - 1);

		for (uint32_t i = 0; i < n; i++)
			fn(&dp->pf[DP_PF_6]
				  [(size_t)list * MOAT_PF6_SLOTS + moat_pf6_slot(base + i)],
			   userdata);
	} else {
		for (uint32_t i = 0; i < MOAT_PF6_SLOTS; i++)
			fn(&dp->pf[DP_PF_6][(size_t)list * MOAT_PF6_SLOTS + i], userdata);
	}
}

static void pf_inc(uint64_t *c, void *userdata)
{
	__atomic_fetch_add(c, 1, __ATOMIC_SEQ_CST);
}

static void pf_dec(uint64_t *c, void *userdata)
{
	/* Never below zero, even if a count was lost to a crash in between. */
	uint64_t old = __atomic_load_n(c, __ATOMIC_SEQ_CST);

	while (old && !__atomic_compare_exchange_n(c, &old, old - 1, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST))
		;
}

static void pf_add(struct moat_dp *dp, unsigned int map_id, const void *key, int delta)
{
	dp_pf_each(dp, map_id, key, delta > 0 ? pf_inc : pf_dec, NULL);
}

static int map_full(struct moat_dp *dp, unsigned int map_id)
{
	return dp_fail(dp, -ENOSPC, "map %s is full (%u entries); entry not added",
		       moat_dp_map_name(map_id), dp->map_max[map_id]);
}

static uint64_t entry_expiry(const struct moat_dp_entry *e, uint64_t now)
{
	if (e->expires_ns)
		return e->expires_ns;
	if (e->ttl_sec)
		return now + e->ttl_sec * 1000000000ull;
	return 0;
}

static void entry_value(const struct moat_dp_entry *e, uint64_t now, struct moat_entry *v)
{
	memset(v, 0, sizeof(*v));
	v->expires_ns = entry_expiry(e, now);
	v->reason = e->reason;
	v->rule_id = e->rule_id;
	v->action = e->kind == MOAT_KIND_PORT_ALLOW ? MOAT_ACT_ALLOW : MOAT_ACT_BLOCK;
}

static int note_put(struct moat_dp *dp, const struct dp_key *k, const char *text)
{
	struct moat_note n;

	if (!text[0])
		return 0;
	memset(&n, 0, sizeof(n));
	snprintf(n.text, sizeof(n.text), "%s", text);
	if (bpf_map_update_elem(dp->notes_fd, &k->note, &n, BPF_ANY) < 0) {
		if (errno == E2BIG || errno == ENOSPC)
			return dp_fail(dp, -ENOSPC,
				       "map moat_notes is full (%u notes); the entry went in, its "
				       "note did not",
				       dp->notes_max);
		return dp_fail(dp, -errno, "moat_notes: %s", strerror(errno));
	}
	return 0;
}

static int entry_families(const struct moat_dp_entry *e, int fam[2])
{
	if (e->cidr.family != AF_UNSPEC || !is_port_kind(e->kind)) {
		fam[0] = e->cidr.family;
		return 1;
	}
	if (e->proto == IPPROTO_ICMP) {
		fam[0] = AF_INET;
		return 1;
	}
	if (e->proto == IPPROTO_ICMPV6) {
		fam[0] = AF_INET6;
		return 1;
	}
	fam[0] = AF_INET;
	fam[1] = AF_INET6;
	return 2;
}

/*
 * Insert or update, keeping the prefilter invariant (count >= keys present): the count goes up
 * before a new key goes in; updating an existing key leaves it as it was.
 */
static int upsert(struct moat_dp *dp, unsigned int map_id, const void *key, struct moat_entry *v)
{
	int fd = dp->map_fd[map_id], err;
	struct moat_entry old;

	for (int tries = 0; tries < 8; tries++) {
		pf_add(dp, map_id, key, +1);
		if (bpf_map_update_elem(fd, key, v, BPF_NOEXIST) == 0)
			return 0;
		err = errno;
		if (err != EEXIST) {
			pf_add(dp, map_id, key, -1);
			return -err;
		}
		/* Re-adding updates expiry and origin, keeps the hit count. */
		if (bpf_map_lookup_elem(fd, key, &old) == 0)
			v->hits = old.hits;
		if (bpf_map_update_elem(fd, key, v, BPF_EXIST) == 0) {
			pf_add(dp, map_id, key, -1);
			return 0;
		}
		err = errno;
		pf_add(dp, map_id, key, -1);
		if (err != ENOENT)
			return -err;
		/* Deleted by someone else meanwhile: insert again. */
	}
	return -EAGAIN;
}

static int add_one(struct moat_dp *dp, const struct moat_dp_entry *e, int family)
{
	struct dp_key k;
	struct moat_entry v;
	int r;

	r = dp_entry_key(e, family, &k, dp->err, sizeof(dp->err));
	if (r < 0)
		return r;
	entry_value(e, moat_dp_now_ns(), &v);
	dp_mark_nonempty(dp, k.map_id);
	r = upsert(dp, k.map_id, &k.key, &v);
	if (r < 0) {
		dp_update_empty(dp, k.map_id);
		if (r == -E2BIG || r == -ENOSPC)
			return map_full(dp, k.map_id);
		return dp_fail(dp, r, "%s: %s", moat_dp_map_name(k.map_id), strerror(-r));
	}
	dp_mark_nonempty(dp, k.map_id); /* again: see dp_update_empty() */
	return note_put(dp, &k, e->note);
}

int moat_dp_add(struct moat_dp *dp, const struct moat_dp_entry *e)
{
	int fam[2], n = entry_families(e, fam), r;

	dp->err[0] = '\0';
	for (int i = 0; i < n; i++) {
		r = add_one(dp, e, fam[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int moat_dp_delete(struct moat_dp *dp, const struct moat_dp_entry *e)
{
	int fam[2], n = entry_families(e, fam), r, found = 0;
	struct dp_key k;

	dp->err[0] = '\0';
	for (int i = 0; i < n; i++) {
		r = dp_entry_key(e, fam[i], &k, dp->err, sizeof(dp->err));
		if (r < 0)
			return r;
		if (bpf_map_delete_elem(dp->map_fd[k.map_id], &k.key) < 0) {
			if (errno != ENOENT)
				return dp_fail(dp, -errno, "%s: %s", moat_dp_map_name(k.map_id),
					       strerror(errno));
			continue;
		}
		found++;
		pf_add(dp, k.map_id, &k.key, -1);
		(void)bpf_map_delete_elem(dp->notes_fd, &k.note);
		dp_update_empty(dp, k.map_id);
	}
	if (!found)
		return dp_fail(dp, -ENOENT, "no such %s entry", moat_dp_kind_name(e->kind));
	return 0;
}

static void fill_from_value(struct moat_dp *dp, const struct dp_key *k, const struct moat_entry *v,
			    struct moat_dp_entry *out, bool with_note)
{
	struct moat_note n;

	if (v->action == MOAT_ACT_ALLOW && (k->map_id == MOAT_M_L4_4 || k->map_id == MOAT_M_L4_6))
		out->kind = MOAT_KIND_PORT_ALLOW;
	out->expires_ns = v->expires_ns;
	out->hits = v->hits;
	out->reason = v->reason;
	out->rule_id = v->rule_id;
	out->note[0] = '\0';
	if (with_note && bpf_map_lookup_elem(dp->notes_fd, &k->note, &n) == 0) {
		n.text[sizeof(n.text) - 1] = '\0';
		memcpy(out->note, n.text, sizeof(out->note));
	}
}

int moat_dp_get(struct moat_dp *dp, const struct moat_dp_entry *key, struct moat_dp_entry *ret)
{
	int fam[2], n = entry_families(key, fam), r;
	struct moat_dp_entry out;
	struct moat_entry v;
	struct dp_key k;

	dp->err[0] = '\0';
	for (int i = 0; i < n; i++) {
		r = dp_entry_key(key, fam[i], &k, dp->err, sizeof(dp->err));
		if (r < 0)
			return r;
		if (bpf_map_lookup_elem(dp->map_fd[k.map_id], &k.key, &v) < 0)
			continue;
		dp_entry_from_key(k.map_id, &k.key, &out);
		fill_from_value(dp, &k, &v, &out, true);
		*ret = out;
		return 0;
	}
	return dp_fail(dp, -ENOENT, "no such %s entry", moat_dp_kind_name(key->kind));
}

/* One map's share of a bulk load. */
struct bulk_group {
	uint8_t *keys;
	struct moat_entry *vals;
	const struct moat_dp_entry **src;
	size_t n;
};

static int bulk_flush(struct moat_dp *dp, unsigned int map_id, struct bulk_group *g, size_t *added)
{
	int fd = dp->map_fd[map_id];
	uint32_t ksz;
	size_t done = 0;
	bool no_batch = false;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (!g->n)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return dp_fail(dp, -errno, "%s: %s", moat_dp_map_name(map_id), strerror(errno));
	ksz = info.key_size;
	dp_mark_nonempty(dp, map_id);
	/* Count every key before it goes in (re-added keys over-count: harmless). */
	for (size_t i = 0; i < g->n; i++)
		pf_add(dp, map_id, g->keys + i * ksz, +1);
	while (done < g->n) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
		uint32_t count = g->n - done;
		int r = -1;

		errno = EOPNOTSUPP;
		if (!no_batch)
			r = bpf_map_update_batch(fd, g->keys + done * ksz, g->vals + done, &count,
						 &opts);
		if (r < 0 && (errno == EINVAL || errno == MOAT_ENOTSUPP || errno == EOPNOTSUPP) &&
		    (no_batch || count == 0)) {
			/* Maps without batch support (LPM tries): one element at a time. */
			no_batch = true;
			count = 1;
			r = bpf_map_update_elem(fd, g->keys + done * ksz, g->vals + done, BPF_ANY);
			if (r < 0)
				count = 0;
		}
		done += count;
		*added += count;
		if (r < 0) {
			r = -errno;
			for (size_t i = done; i < g->n; i++)
				pf_add(dp, map_id, g->keys + i * ksz, -1);
			dp_update_empty(dp, map_id);
			if (r == -E2BIG || r == -ENOSPC)
				return dp_fail(dp, -ENOSPC,
					       "map %s is full (%u entries) after %zu of its %zu "
					       "bulk entries",
					       moat_dp_map_name(map_id), dp->map_max[map_id], done,
					       g->n);
			return dp_fail(dp, r, "%s: bulk update: %s", moat_dp_map_name(map_id),
				       strerror(-r));
		}
	}
	dp_mark_nonempty(dp, map_id);
	return 0;
}

int moat_dp_add_bulk(struct moat_dp *dp, const struct moat_dp_entry *entries, size_t n,
		     size_t *ret_added)
{
	struct bulk_group g[MOAT_M_NUM];
	size_t added = 0;
	uint64_t now = moat_dp_now_ns();
	int r = 0;

	dp->err[0] = '\0';
	memset(g, 0, sizeof(g));
	/* Each entry adds at most one key per map: n slots per map, allocated on first use. */
	for (size_t i = 0; i < n && r >= 0; i++) {
		int fam[2], nf = entry_families(&entries[i], fam);

		for (int f = 0; f < nf; f++) {
			struct dp_key k;
			struct bulk_group *b;

			r = dp_entry_key(&entries[i], fam[f], &k, dp->err, sizeof(dp->err));
			if (r < 0) {
				char msg[sizeof(dp->err)];

				snprintf(msg, sizeof(msg), "%s", dp->err);
				r = dp_fail(dp, r, "bulk entry %zu: %s", i, msg);
				break;
			}
			b = &g[k.map_id];
			if (!b->keys) {
				b->keys = calloc(n, sizeof(k.key));
				b->vals = calloc(n, sizeof(*b->vals));
				b->src = calloc(n, sizeof(*b->src));
				if (!b->keys || !b->vals || !b->src) {
					r = dp_fail(dp, -ENOMEM, "out of memory");
					break;
				}
			}
			memcpy(b->keys + b->n * k.key_len, &k.key, k.key_len);
			entry_value(&entries[i], now, &b->vals[b->n]);
			b->src[b->n] = &entries[i];
			b->n++;
		}
	}
	for (unsigned int m = 0; m < MOAT_M_NUM && r >= 0; m++)
		r = bulk_flush(dp, m, &g[m], &added);
	/* Notes, for the entries that went in. */
	for (unsigned int m = 0; m < MOAT_M_NUM && r >= 0; m++) {
		for (size_t j = 0; j < g[m].n && r >= 0; j++) {
			struct dp_key k;
			int fam = AF_INET;

			if (!g[m].src[j]->note[0])
				continue;
			if (m == MOAT_M_L4_6 || m % 4 >= 2)
				fam = AF_INET6;
			if (m == MOAT_M_L4_4)
				fam = AF_INET;
			if (dp_entry_key(g[m].src[j], fam, &k, dp->err, sizeof(dp->err)) == 0)
				r = note_put(dp, &k, g[m].src[j]->note);
		}
	}
	for (unsigned int m = 0; m < MOAT_M_NUM; m++) {
		free(g[m].keys);
		free(g[m].vals);
		free(g[m].src);
	}
	if (ret_added)
		*ret_added = added;
	return r < 0 ? r : 0;
}

/*
 * Walk a map: batch lookups (BULK_CHUNK elements per syscall) where the map type has them
 * (hashes), else get_next_key + lookup (tries). visit() gets each key and value; it returns 0 to
 * go on, > 0 to stop (returned), < 0 on error (returned). visit() must not delete from the map
 * being walked (callers collect keys first).
 */
typedef int (*raw_visit)(const void *key, const void *value, void *userdata);

static int fd_walk(int fd, uint32_t ksz, uint32_t vsz, raw_visit visit, void *userdata)
{
	_cleanup_free_ uint8_t *keys = malloc((size_t)BULK_CHUNK * ksz);
	_cleanup_free_ uint8_t *vals = malloc((size_t)BULK_CHUNK * vsz);
	uint8_t in[64], out[64], key[64], next[64];
	void *prev = NULL;
	bool first = true;
	int r;

	if (!keys || !vals)
		return -ENOMEM;
	if (ksz > sizeof(key))
		return -EINVAL;
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		uint32_t count = BULK_CHUNK;

		r = bpf_map_lookup_batch(fd, first ? NULL : in, out, keys, vals, &count, &opts);
		if (r < 0 && errno != ENOENT) {
			if (first &&
			    (errno == EINVAL || errno == EOPNOTSUPP || errno == MOAT_ENOTSUPP))
				break; /* no batch ops: walk key by key below */
			return -errno;
		}
		for (uint32_t i = 0; i < count; i++) {
			int v = visit(keys + (size_t)i * ksz, vals + (size_t)i * vsz, userdata);

			if (v != 0)
				return v;
		}
		if (r < 0) /* ENOENT: that was the last batch */
			return 0;
		memcpy(in, out, sizeof(in));
		first = false;
	}
	for (;;) {
		if (bpf_map_get_next_key(fd, prev, next) < 0)
			return errno == ENOENT ? 0 : -errno;
		memcpy(key, next, ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals) < 0)
			continue; /* deleted meanwhile */
		r = visit(key, vals, userdata);
		if (r != 0)
			return r;
	}
}

typedef int (*map_visit)(struct moat_dp *dp, unsigned int map_id, const void *key,
			 const struct moat_entry *v, void *userdata);

struct walk_ctx {
	struct moat_dp *dp;
	unsigned int map_id;
	map_visit visit;
	void *userdata;
};

static int walk_visit(const void *key, const void *value, void *userdata)
{
	struct walk_ctx *w = userdata;
	struct moat_entry v;

	memcpy(&v, value, sizeof(v));
	return w->visit(w->dp, w->map_id, key, &v, w->userdata);
}

static int map_walk(struct moat_dp *dp, unsigned int map_id, map_visit visit, void *userdata)
{
	struct walk_ctx w = { dp, map_id, visit, userdata };
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	int fd = dp->map_fd[map_id], r;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return dp_fail(dp, -errno, "%s: %s", moat_dp_map_name(map_id), strerror(errno));
	r = fd_walk(fd, info.key_size, sizeof(struct moat_entry), walk_visit, &w);
	if (r < 0 && !dp->err[0])
		return dp_fail(dp, r, "%s: iterating: %s", moat_dp_map_name(map_id), strerror(-r));
	return r;
}

/* All notes, sorted by key, so listing a million entries costs no per-entry syscall. */
struct note_rec {
	struct moat_note_key k;
	struct moat_note n;
};

struct note_cache {
	struct note_rec *v;
	size_t n, cap;
};

static int note_cache_visit(const void *key, const void *value, void *userdata)
{
	struct note_cache *c = userdata;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->v, cap * sizeof(*c->v));

		if (!p)
			return -ENOMEM;
		c->v = p;
		c->cap = cap;
	}
	memcpy(&c->v[c->n].k, key, sizeof(c->v[c->n].k));
	memcpy(&c->v[c->n].n, value, sizeof(c->v[c->n].n));
	c->v[c->n].n.text[MOAT_NOTE_LEN - 1] = '\0';
	c->n++;
	return 0;
}

static int note_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct moat_note_key));
}

struct list_ctx {
	moat_dp_list_cb cb;
	void *userdata;
	int count;
	struct note_cache notes;
};

static int list_visit(struct moat_dp *dp, unsigned int map_id, const void *key,
		      const struct moat_entry *v, void *userdata)
{
	struct list_ctx *c = userdata;
	struct moat_dp_entry e;
	struct dp_key k;
	int r;

	dp_entry_from_key(map_id, key, &e);
	if (dp_entry_key(&e, e.cidr.family, &k, dp->err, sizeof(dp->err)) < 0)
		return 0; /* cannot happen for keys we wrote; skip foreign junk */
	fill_from_value(dp, &k, v, &e, false);
	if (c->notes.n) {
		const struct note_rec *n =
			bsearch(&k.note, c->notes.v, c->notes.n, sizeof(*c->notes.v), note_cmp);

		if (n)
			memcpy(e.note, n->n.text, sizeof(e.note));
	}
	r = c->cb(&e, c->userdata);
	if (r != 0)
		return r;
	c->count++;
	return 0;
}

int moat_dp_list(struct moat_dp *dp, moat_dp_list_cb cb, void *userdata)
{
	struct list_ctx c = { .cb = cb, .userdata = userdata };
	int r = 0;

	dp->err[0] = '\0';
	r = fd_walk(dp->notes_fd, sizeof(struct moat_note_key), sizeof(struct moat_note),
		    note_cache_visit, &c.notes);
	if (r < 0) {
		free(c.notes.v);
		return dp_fail(dp, r, "moat_notes: reading: %s", strerror(-r));
	}
	if (c.notes.n)
		qsort(c.notes.v, c.notes.n, sizeof(*c.notes.v), note_cmp);
	for (unsigned int m = 0; m < MOAT_M_NUM && r == 0; m++)
		r = map_walk(dp, m, list_visit, &c);
	free(c.notes.v);
	return r != 0 ? r : c.count;
}

/* Keys to delete, collected during a walk (deleting while walking a hash can skip keys). */
struct key_list {
	uint8_t (*keys)[32];
	size_t n, cap;
	uint64_t now;
	bool all;
};

static int collect_visit(struct moat_dp *dp, unsigned int map_id, const void *key,
			 const struct moat_entry *v, void *userdata)
{
	struct key_list *l = userdata;

	if (!l->all && !(v->expires_ns && v->expires_ns <= l->now))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		void *p = realloc(l->keys, cap * sizeof(*l->keys));

		if (!p)
			return dp_fail(dp, -ENOMEM, "out of memory");
		l->keys = p;
		l->cap = cap;
	}
	memcpy(l->keys[l->n++], key, 32);
	return 0;
}

static int delete_where(struct moat_dp *dp, bool all)
{
	int total = 0;

	dp->err[0] = '\0';
	for (unsigned int m = 0; m < MOAT_M_NUM; m++) {
		struct key_list l = { .now = moat_dp_now_ns(), .all = all };
		int r = map_walk(dp, m, collect_visit, &l);

		for (size_t i = 0; r == 0 && i < l.n; i++) {
			struct moat_dp_entry e;
			struct dp_key k;

			if (bpf_map_delete_elem(dp->map_fd[m], l.keys[i]) < 0)
				continue;
			pf_add(dp, m, l.keys[i], -1);
			total++;
			dp_entry_from_key(m, l.keys[i], &e);
			if (dp_entry_key(&e, e.cidr.family, &k, dp->err, sizeof(dp->err)) == 0)
				(void)bpf_map_delete_elem(dp->notes_fd, &k.note);
		}
		free(l.keys);
		if (r < 0)
			return r;
		dp_update_empty(dp, m);
	}
	return total;
}

static int pf_count_visit(struct moat_dp *dp, unsigned int map_id, const void *key,
			  const struct moat_entry *v, void *userdata)
{
	pf_add(dp, map_id, key, +1);
	return 0;
}

int dp_pf_rebuild(struct moat_dp *dp)
{
	for (unsigned int m = 0; m < MOAT_M_NUM; m++) {
		int r = map_walk(dp, m, pf_count_visit, NULL);

		if (r < 0)
			return r;
	}
	return 0;
}

int moat_dp_sweep(struct moat_dp *dp)
{
	return delete_where(dp, false);
}

int moat_dp_flush(struct moat_dp *dp)
{
	uint8_t key[sizeof(struct moat_note_key)];
	int r = delete_where(dp, true);

	if (r < 0)
		return r;
	while (bpf_map_get_next_key(dp->notes_fd, NULL, key) == 0)
		if (bpf_map_delete_elem(dp->notes_fd, key) < 0)
			break;
	return r;
}

int moat_dp_entry_map(const struct moat_dp_entry *e, unsigned int *ret_map_id)
{
	int fam[2];
	struct dp_key k;
	char err[128];
	int r;

	entry_families(e, fam);
	r = dp_entry_key(e, fam[0], &k, err, sizeof(err));
	if (r < 0)
		return r;
	*ret_map_id = k.map_id;
	return 0;
}
