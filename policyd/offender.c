// SPDX-License-Identifier: GPL-2.0-only
/* Offender scoring (see offender.h): a capped hash of prefixes with a least-recently-seen
 * list for eviction. */
#include "offender.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct offender {
	struct cidr prefix;
	double score; /* at last_ns */
	uint64_t last_ns; /* last alert */
	uint64_t ban_until_ns; /* active ban end; 0 = none */
	uint64_t last_ban_end_ns; /* end of the latest ban (for forget) */
	unsigned int offences;
	uint32_t sids[OFFENDER_MAX_SIDS];
	size_t n_sids;
	/* what the latest ban was decided on: the score and sids are cleared at a ban */
	double ban_score;
	uint32_t ban_sids[OFFENDER_MAX_SIDS];
	size_t n_ban_sids;
	struct offender *hnext; /* hash chain */
	struct offender *lprev, *lnext; /* LRU list: head = most recent */
};

struct offender_table {
	struct offender_config cfg;
	struct offender **buckets;
	size_t nbuckets; /* power of two */
	struct offender *lru_head, *lru_tail;
	size_t n;
	struct offender_stats st;
};

int offender_table_new(const struct offender_config *cfg, struct offender_table **ret)
{
	struct offender_table *t;
	size_t nb = 16;

	if (cfg->max_entries == 0 || cfg->window_ns == 0 || !(cfg->threshold > 0) ||
	    cfg->escalate == 0)
		return -EINVAL;
	while (nb < cfg->max_entries && nb < (1u << 24))
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->cfg = *cfg;
	t->nbuckets = nb;
	*ret = t;
	return 0;
}

void offender_table_free(struct offender_table *t)
{
	struct offender *o, *next;

	if (!t)
		return;
	for (o = t->lru_head; o; o = next) {
		next = o->lnext;
		free(o);
	}
	free(t->buckets);
	free(t);
}

void offender_prefix(const struct offender_config *cfg, int family, const void *addr,
		     struct cidr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = (uint8_t)family;
	memcpy(ret->addr, addr, family == AF_INET ? 4 : 16);
	ret->prefix = family == AF_INET ? cfg->v4_prefix : cfg->v6_prefix;
	cidr_canonicalize(ret);
}

/* FNV-1a over family, prefix length and address. */
static size_t prefix_hash(const struct cidr *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *b = (const uint8_t *)p;

	for (size_t i = 0; i < sizeof(*p); i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return (size_t)h;
}

static bool prefix_eq(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static struct offender **find_slot(struct offender_table *t, const struct cidr *p)
{
	struct offender **s = &t->buckets[prefix_hash(p) & (t->nbuckets - 1)];

	while (*s && !prefix_eq(&(*s)->prefix, p))
		s = &(*s)->hnext;
	return s;
}

static void lru_unlink(struct offender_table *t, struct offender *o)
{
	if (o->lprev)
		o->lprev->lnext = o->lnext;
	else
		t->lru_head = o->lnext;
	if (o->lnext)
		o->lnext->lprev = o->lprev;
	else
		t->lru_tail = o->lprev;
	o->lprev = o->lnext = NULL;
}

static void lru_push(struct offender_table *t, struct offender *o)
{
	o->lnext = t->lru_head;
	o->lprev = NULL;
	if (t->lru_head)
		t->lru_head->lprev = o;
	t->lru_head = o;
	if (!t->lru_tail)
		t->lru_tail = o;
}

static void remove_entry(struct offender_table *t, struct offender *o)
{
	struct offender **s = find_slot(t, &o->prefix);

	if (*s == o)
		*s = o->hnext;
	lru_unlink(t, o);
	free(o);
	t->n--;
}

/* Find or create (evicting the least recently seen entry at the cap). NULL on ENOMEM. */
static struct offender *get_entry(struct offender_table *t, const struct cidr *p)
{
	struct offender **s = find_slot(t, p);
	struct offender *o = *s;

	if (o) {
		lru_unlink(t, o);
		lru_push(t, o);
		return o;
	}
	if (t->n >= t->cfg.max_entries && t->lru_tail) {
		remove_entry(t, t->lru_tail);
		t->st.evicted++;
		s = find_slot(t, p);
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->prefix = *p;
	o->hnext = *s;
	*s = o;
	lru_push(t, o);
	t->n++;
	return o;
}

#define NS_PER_S 1000000000ull

/* The score leaks by whole seconds, so alerts within the same second add up exactly (two
 * priority-2 alerts a millisecond apart reach a threshold of 10, not 9.9998). */
static double decayed(const struct offender_table *t, const struct offender *o, uint64_t now_ns,
		      uint64_t *ret_secs)
{
	uint64_t secs = now_ns > o->last_ns ? (now_ns - o->last_ns) / NS_PER_S : 0;
	double leak = (double)secs * (double)NS_PER_S / (double)t->cfg.window_ns * t->cfg.threshold;

	if (ret_secs)
		*ret_secs = secs;
	return o->score > leak ? o->score - leak : 0;
}

static uint64_t ban_duration(const struct offender_config *c, unsigned int offences)
{
	uint64_t d = c->ban_ns;

	for (unsigned int i = 1; i < offences; i++) {
		if (d > c->ban_max_ns / c->escalate) {
			d = c->ban_max_ns;
			break;
		}
		d *= c->escalate;
	}
	return d < c->ban_max_ns ? d : c->ban_max_ns;
}

int offender_alert(struct offender_table *t, int family, const void *addr, int priority, bool drop,
		   uint32_t sid, uint64_t now_ns, struct offender_verdict *ret)
{
	struct offender *o;
	struct cidr p;
	int prio = priority < 1 ? 1 : priority > 4 ? 4 : priority;

	memset(ret, 0, sizeof(*ret));
	offender_prefix(&t->cfg, family, addr, &p);
	ret->prefix = p;
	t->st.alerts++;
	o = get_entry(t, &p);
	if (!o)
		return -ENOMEM;
	if (o->ban_until_ns && now_ns >= o->ban_until_ns) {
		o->last_ban_end_ns = o->ban_until_ns;
		o->ban_until_ns = 0;
	}
	if (o->offences && !o->ban_until_ns && t->cfg.forget_ns &&
	    now_ns - o->last_ban_end_ns > t->cfg.forget_ns)
		o->offences = 0;
	{
		uint64_t secs;

		o->score = decayed(t, o, now_ns, &secs) + t->cfg.weight[prio - 1];
		/* keep the fraction of a second not leaked yet */
		o->last_ns = o->last_ns && secs < now_ns / NS_PER_S ? o->last_ns + secs * NS_PER_S :
								      now_ns;
	}
	/* the distinct rules, most recent last: a rule seen again moves to the end */
	for (size_t i = 0; i < o->n_sids; i++) {
		if (o->sids[i] == sid) {
			memmove(o->sids + i, o->sids + i + 1,
				sizeof(o->sids[0]) * (o->n_sids - i - 1));
			o->n_sids--;
			break;
		}
	}
	if (o->n_sids == OFFENDER_MAX_SIDS) {
		memmove(o->sids, o->sids + 1, sizeof(o->sids[0]) * (OFFENDER_MAX_SIDS - 1));
		o->n_sids--;
	}
	o->sids[o->n_sids++] = sid;
	ret->score = o->score;
	ret->offences = o->offences;
	memcpy(ret->sids, o->sids, sizeof(ret->sids));
	ret->n_sids = o->n_sids;
	if (o->ban_until_ns)
		return 0; /* banned already */
	if (!(o->score >= t->cfg.threshold) && !(drop && t->cfg.ban_on_drop))
		return 0;
	ret->ban = true;
	ret->drop_rule = drop && t->cfg.ban_on_drop && !(o->score >= t->cfg.threshold);
	o->offences++;
	ret->offences = o->offences;
	ret->ban_ns = ban_duration(&t->cfg, o->offences);
	o->ban_until_ns = now_ns + ret->ban_ns;
	o->ban_score = o->score;
	memcpy(o->ban_sids, o->sids, sizeof(o->ban_sids));
	o->n_ban_sids = o->n_sids;
	o->score = 0;
	o->n_sids = 0;
	t->st.bans++;
	return 0;
}

double offender_score(struct offender_table *t, int family, const void *addr, uint64_t now_ns)
{
	struct cidr p;
	struct offender *o;

	offender_prefix(&t->cfg, family, addr, &p);
	o = *find_slot(t, &p);
	return o ? decayed(t, o, now_ns, NULL) : 0;
}

void offender_note_ban(struct offender_table *t, const struct cidr *prefix, unsigned int offences,
		       uint64_t until_ns, double score, const uint32_t *sids, size_t n_sids)
{
	struct offender *o = get_entry(t, prefix);

	if (!o)
		return;
	o->offences = offences;
	o->ban_until_ns = until_ns;
	o->ban_score = score;
	o->n_ban_sids = MIN(n_sids, (size_t)OFFENDER_MAX_SIDS);
	memcpy(o->ban_sids, sids, o->n_ban_sids * sizeof(o->ban_sids[0]));
}

void offender_unbanned(struct offender_table *t, const struct cidr *prefix)
{
	struct offender *o = *find_slot(t, prefix);

	if (o && o->ban_until_ns) {
		o->ban_until_ns = 0;
		o->last_ban_end_ns = o->last_ns;
	}
}

size_t offender_expire(struct offender_table *t, uint64_t now_ns)
{
	struct offender *o, *prev;
	size_t n = 0;

	/* oldest first; stop at the first entry still of interest is not possible (bans keep
	 * old entries alive), so walk the whole list: called once per sweep interval */
	for (o = t->lru_tail; o; o = prev) {
		prev = o->lprev;
		if (o->ban_until_ns && now_ns >= o->ban_until_ns) {
			o->last_ban_end_ns = o->ban_until_ns;
			o->ban_until_ns = 0;
		}
		if (o->ban_until_ns || decayed(t, o, now_ns, NULL) > 0)
			continue;
		if (o->offences && now_ns - o->last_ban_end_ns <= t->cfg.forget_ns)
			continue;
		remove_entry(t, o);
		n++;
	}
	return n;
}

void offender_get_stats(const struct offender_table *t, struct offender_stats *ret)
{
	*ret = t->st;
	ret->entries = t->n;
}

size_t offender_foreach(struct offender_table *t, uint64_t now_ns,
			void (*cb)(void *ctx, const struct offender_snapshot *o), void *ctx)
{
	size_t n = 0;

	for (struct offender *o = t->lru_head; o; o = o->lnext) {
		struct offender_snapshot s = {
			.prefix = o->prefix,
			.score = decayed(t, o, now_ns, NULL),
			.offences = o->offences,
			.banned = o->ban_until_ns && now_ns < o->ban_until_ns,
			.last_ns = o->last_ns,
			.n_sids = o->n_sids,
		};

		memcpy(s.sids, o->sids, sizeof(s.sids));
		if (s.banned) {
			s.ban_score = o->ban_score;
			memcpy(s.ban_sids, o->ban_sids, sizeof(s.ban_sids));
			s.n_ban_sids = o->n_ban_sids;
		}
		cb(ctx, &s);
		n++;
	}
	return n;
}

void offender_set_config(struct offender_table *t, const struct offender_config *cfg)
{
	uint32_t max = t->cfg.max_entries;
	uint8_t v4 = t->cfg.v4_prefix, v6 = t->cfg.v6_prefix;

	t->cfg = *cfg;
	t->cfg.max_entries = max;
	t->cfg.v4_prefix = v4;
	t->cfg.v6_prefix = v6;
}

void offender_get_config(const struct offender_table *t, struct offender_config *ret)
{
	*ret = t->cfg;
}
