/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4 and IPv6 fragment reassembly with memory caps and timeouts. */
#include "defrag.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* Hand-written: no Debian library reassembles IP fragments from captured packets (the
 * kernel does it for sockets only); Suricata's and Snort's are not libraries. */

#define DEFRAG_BUCKETS 1024
#define IPV4_MAX_DATAGRAM 65535
#define MAX_HDR 60

struct frag {
	uint32_t offset, len;
	uint8_t *data;
};

struct tracker {
	struct tracker *hnext;
	struct tracker *lprev, *lnext; /* age list, oldest first */
	uint8_t ip_version, proto;
	uint16_t vlan[DECODE_MAX_VLANS];
	union decode_addr src, dst;
	uint32_t id;
	uint32_t bucket;
	uint64_t first_us;
	uint32_t total; /* datagram payload length, known once the last fragment is seen */
	bool have_last, have_first;
	uint8_t hdr[MAX_HDR]; /* IPv4 header of the offset-0 fragment */
	uint32_t hdr_len;
	uint32_t nfrags;
	struct frag *frags; /* arrival order, max_frags */
	uint64_t mem;
};

struct defrag {
	struct defrag_config cfg;
	struct defrag_stats st;
	struct tracker *buckets[DEFRAG_BUCKETS];
	struct tracker *oldest, *newest;
	uint32_t ntrackers;
	uint8_t out[MAX_HDR + IPV4_MAX_DATAGRAM];
};

void defrag_config_init(struct defrag_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 16u << 20;
	cfg->max_trackers = 4096;
	cfg->max_frags = 256;
	cfg->timeout_us = 60ull * 1000000;
}

struct defrag *defrag_new(const struct defrag_config *cfg)
{
	struct defrag *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *cfg;
	if (d->cfg.max_frags == 0)
		d->cfg.max_frags = 1;
	return d;
}

static void tracker_free(struct defrag *d, struct tracker *t)
{
	struct tracker **pp;

	for (pp = &d->buckets[t->bucket]; *pp; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	if (t->lprev)
		t->lprev->lnext = t->lnext;
	else
		d->oldest = t->lnext;
	if (t->lnext)
		t->lnext->lprev = t->lprev;
	else
		d->newest = t->lprev;
	for (uint32_t i = 0; i < t->nfrags; i++)
		free(t->frags[i].data);
	d->st.mem_used -= t->mem;
	d->ntrackers--;
	free(t->frags);
	free(t);
}

void defrag_free(struct defrag *d)
{
	if (!d)
		return;
	while (d->oldest)
		tracker_free(d, d->oldest);
	free(d);
}

static uint32_t key_hash(const struct packet *p)
{
	uint32_t h = 2166136261u; /* FNV-1a: fragments are rare, any spread will do */
	const uint8_t *parts[2] = { p->src.u8, p->dst.u8 };

	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 16; i++)
			h = (h ^ parts[k][i]) * 16777619u;
	h = (h ^ p->frag_id) * 16777619u;
	h = (h ^ p->proto) * 16777619u;
	return h % DEFRAG_BUCKETS;
}

static bool key_eq(const struct tracker *t, const struct packet *p)
{
	return t->ip_version == p->ip_version && t->id == p->frag_id && t->proto == p->proto &&
	       t->vlan[0] == p->vlan[0] && t->vlan[1] == p->vlan[1] &&
	       memcmp(&t->src, &p->src, sizeof(t->src)) == 0 &&
	       memcmp(&t->dst, &p->dst, sizeof(t->dst)) == 0;
}

size_t defrag_expire(struct defrag *d, uint64_t now_us)
{
	size_t n = 0;

	while (d->oldest && d->oldest->first_us + d->cfg.timeout_us < now_us) {
		tracker_free(d, d->oldest);
		d->st.timeouts++;
		n++;
	}
	return n;
}

/* Is [0, total) covered? */
static bool complete(const struct tracker *t)
{
	uint32_t reach = 0;
	bool progress = true;

	if (!t->have_last || !t->have_first)
		return false;
	/* repeatedly extend the covered prefix; O(n^2) worst case on max_frags fragments */
	while (progress && reach < t->total) {
		progress = false;
		for (uint32_t i = 0; i < t->nfrags; i++) {
			const struct frag *f = &t->frags[i];

			if (f->offset <= reach && f->offset + f->len > reach) {
				reach = f->offset + f->len;
				progress = true;
			}
		}
	}
	return reach >= t->total;
}

static size_t assemble(struct defrag *d, const struct tracker *t)
{
	uint8_t *o = d->out;
	size_t hl;

	if (t->ip_version == 4) {
		uint32_t tot = t->hdr_len + t->total;
		uint32_t sum;

		hl = t->hdr_len;
		memcpy(o, t->hdr, hl);
		o[2] = (uint8_t)(tot >> 8);
		o[3] = (uint8_t)tot;
		o[6] = 0;
		o[7] = 0;
		o[10] = 0;
		o[11] = 0;
		sum = decode_csum_fold(decode_csum_add(0, o, hl));
		o[10] = (uint8_t)(sum >> 8);
		o[11] = (uint8_t)sum;
	} else {
		/* a plain IPv6 header: the unfragmentable extension headers are not kept */
		hl = 40;
		memset(o, 0, hl);
		o[0] = 0x60;
		o[4] = (uint8_t)(t->total >> 8);
		o[5] = (uint8_t)t->total;
		o[6] = t->proto;
		o[7] = 64;
		memcpy(o + 8, t->src.u8, 16);
		memcpy(o + 24, t->dst.u8, 16);
	}
	/* newest first so that older fragments overwrite them: the first copy of a byte wins */
	for (uint32_t i = t->nfrags; i-- > 0;) {
		const struct frag *f = &t->frags[i];
		uint32_t len = f->len;

		if (f->offset >= t->total)
			continue;
		if (f->offset + len > t->total)
			len = t->total - f->offset;
		memcpy(o + hl + f->offset, f->data, len);
	}
	return hl + t->total;
}

int defrag_add(struct defrag *d, const struct packet *p, const uint8_t **ret_data, size_t *ret_len)
{
	struct tracker *t;
	uint32_t b = key_hash(p), end;
	uint64_t overhead;
	struct frag *f;

	if (p->ip_version == 4)
		d->st.ipv4_fragments++;
	else
		d->st.ipv6_fragments++;

	end = p->frag_offset + p->payload_len;
	if (end > IPV4_MAX_DATAGRAM || (p->frag_more && (p->payload_len % 8 != 0)) ||
	    (p->frag_more && p->payload_len == 0)) {
		d->st.invalid++;
		return -EINVAL;
	}
	for (t = d->buckets[b]; t; t = t->hnext)
		if (key_eq(t, p))
			break;
	if (t && t->first_us + d->cfg.timeout_us < p->ts_us) {
		tracker_free(d, t);
		d->st.timeouts++;
		t = NULL;
	}
	if (!t) {
		if (d->ntrackers >= d->cfg.max_trackers) {
			defrag_expire(d, p->ts_us);
			if (d->ntrackers >= d->cfg.max_trackers) {
				d->st.tracker_hits++;
				return -ENOSPC;
			}
		}
		/* the tracker itself counts against the cap too */
		overhead = sizeof(*t) + (uint64_t)d->cfg.max_frags * sizeof(*t->frags);
		if (d->st.mem_used + overhead + p->payload_len > d->cfg.memcap) {
			d->st.memcap_hits++;
			return -ENOMEM;
		}
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		t->frags = calloc(d->cfg.max_frags, sizeof(*t->frags));
		if (!t->frags) {
			free(t);
			return -ENOMEM;
		}
		t->mem = overhead;
		d->st.mem_used += overhead;
		t->ip_version = p->ip_version;
		t->proto = p->proto;
		t->vlan[0] = p->vlan[0];
		t->vlan[1] = p->vlan[1];
		t->src = p->src;
		t->dst = p->dst;
		t->id = p->frag_id;
		t->bucket = b;
		t->first_us = p->ts_us;
		t->hnext = d->buckets[b];
		d->buckets[b] = t;
		t->lprev = d->newest;
		if (d->newest)
			d->newest->lnext = t;
		else
			d->oldest = t;
		d->newest = t;
		d->ntrackers++;
	}
	if (t->nfrags >= d->cfg.max_frags) {
		d->st.too_many_frags++;
		tracker_free(d, t);
		return -ENOSPC;
	}
	if (!p->frag_more) {
		if (t->have_last && t->total != end) {
			d->st.invalid++;
			tracker_free(d, t);
			return -EINVAL;
		}
		t->have_last = true;
		t->total = end;
	}
	if (d->st.mem_used + p->payload_len + sizeof(*f) > d->cfg.memcap) {
		d->st.memcap_hits++;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->nfrags; i++)
		if (t->frags[i].offset < end &&
		    p->frag_offset < t->frags[i].offset + t->frags[i].len) {
			d->st.overlaps++;
			break;
		}
	f = &t->frags[t->nfrags];
	f->data = malloc(p->payload_len ? p->payload_len : 1);
	if (!f->data)
		return -ENOMEM;
	memcpy(f->data, p->payload, p->payload_len);
	f->offset = p->frag_offset;
	f->len = p->payload_len;
	t->nfrags++;
	t->mem += p->payload_len + sizeof(*f);
	d->st.mem_used += p->payload_len + sizeof(*f);
	if (p->frag_offset == 0 && !t->have_first) {
		t->have_first = true;
		if (p->ip_version == 4) {
			t->hdr_len = p->l3_hdr_len > MAX_HDR ? MAX_HDR : p->l3_hdr_len;
			memcpy(t->hdr, p->l3, t->hdr_len);
		}
	}
	if (!complete(t))
		return 0;
	*ret_len = assemble(d, t);
	*ret_data = d->out;
	if (t->ip_version == 4)
		d->st.ipv4_reassembled++;
	else
		d->st.ipv6_reassembled++;
	tracker_free(d, t);
	return 1;
}

const struct defrag_stats *defrag_stats(const struct defrag *d)
{
	return &d->st;
}
