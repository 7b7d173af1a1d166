// SPDX-License-Identifier: GPL-2.0-only
/* Compiling a parsed ruleset: one Hyperscan literal database of fast patterns per
 * inspection buffer, the always-evaluated list, PCRE2 JIT, and the scratch prototype. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ruleset_int.h"

#define CACHE_FILE_MAX (512u << 20)

struct fp_ent {
	uint8_t buf;
	bool nocase;
	const uint8_t *pat;
	uint32_t len;
	uint32_t rule;
};

static int cmp_fp(const void *a, const void *b)
{
	const struct fp_ent *x = a, *y = b;
	int c;

	if (x->buf != y->buf)
		return x->buf - y->buf;
	if (x->nocase != y->nocase)
		return x->nocase - y->nocase;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->pat, y->pat, x->len);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool same_pat(const struct fp_ent *x, const struct fp_ent *y)
{
	return x->buf == y->buf && x->nocase == y->nocase && x->len == y->len &&
	       memcmp(x->pat, y->pat, x->len) == 0;
}

/* 128 bits of FNV-1a (two seeds) over everything that determines a database. */
struct db_key {
	uint64_t a, b;
};

static void key_feed(struct db_key *k, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		k->a = (k->a ^ p[i]) * 0x100000001b3ull;
		k->b = (k->b ^ p[i]) * 0x100000001b3ull;
	}
}

static void cache_path(const char *dir, int buf, const struct db_key *k, char *out, size_t len)
{
	snprintf(out, len, "%s/moat-hs-%d-%016llx%016llx.db", dir, buf, (unsigned long long)k->a,
		 (unsigned long long)k->b);
}

/* Read a cached database; any failure means "compile instead". */
static hs_database_t *cache_read(const char *path, struct ruleset *rs)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *bytes = NULL;
	hs_database_t *db = NULL;
	struct stat st;
	size_t off = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > CACHE_FILE_MAX) {
		rs->stats.cache_errors++;
		return NULL;
	}
	bytes = malloc((size_t)st.st_size);
	if (!bytes)
		return NULL;
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, bytes + off, (size_t)st.st_size - off);

		if (r <= 0) {
			rs->stats.cache_errors++;
			return NULL;
		}
		off += (size_t)r;
	}
	if (hs_deserialize_database(bytes, off, &db) != HS_SUCCESS) {
		rs->stats.cache_errors++;
		return NULL;
	}
	return db;
}

/* Write atomically (temporary file + rename); failures only count. */
static void cache_write(const char *path, const hs_database_t *db, struct ruleset *rs)
{
	char tmp[PATH_MAX + 8];
	char *bytes = NULL;
	size_t len = 0, off = 0;
	int fd;

	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
		rs->stats.cache_errors++;
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rs->stats.cache_errors++;
		free(bytes);
		return;
	}
	while (off < len) {
		ssize_t r = write(fd, bytes + off, len - off);

		if (r <= 0)
			break;
		off += (size_t)r;
	}
	free(bytes);
	if (close(fd) < 0 || off != len || rename(tmp, path) < 0) {
		unlink(tmp);
		rs->stats.cache_errors++;
	}
}

/* The database of M from the n sorted entries E (one buffer); cache_id names it in the cache
 * (the buffer, or DETECT_BUF_MAX and above for the pkt_data subsets). */
static int compile_buf(struct ruleset *rs, struct mpm *m, int cache_id, const struct fp_ent *e,
		       size_t n, const char *cache_dir, struct rule_diags *diags)
{
	_cleanup_free_ const char **exprs = NULL;
	_cleanup_free_ unsigned int *flags = NULL, *ids = NULL;
	_cleanup_free_ size_t *lens = NULL;
	hs_compile_error_t *err = NULL;
	char path[PATH_MAX];
	uint32_t np = 0;
	hs_error_t hr;

	exprs = calloc(n, sizeof(*exprs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	lens = calloc(n, sizeof(*lens));
	m->rule_off = calloc(n + 1, sizeof(*m->rule_off));
	m->rule_ids = calloc(n, sizeof(*m->rule_ids));
	if (!exprs || !flags || !ids || !lens || !m->rule_off || !m->rule_ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !same_pat(&e[i - 1], &e[i])) {
			exprs[np] = (const char *)e[i].pat;
			lens[np] = e[i].len;
			flags[np] = HS_FLAG_SINGLEMATCH | (e[i].nocase ? HS_FLAG_CASELESS : 0);
			ids[np] = np;
			m->max_len = MAX(m->max_len, e[i].len);
			m->rule_off[np] = (uint32_t)i;
			np++;
		}
		m->rule_ids[i] = e[i].rule;
	}
	m->rule_off[np] = (uint32_t)n;
	m->n_pats = np;
	if (cache_id < DETECT_BUF_MAX) /* the subsets' ones are counted already */
		rs->stats.fast_patterns += np;
	if (cache_dir) {
		struct db_key k = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };
		const char *ver = hs_version();

		key_feed(&k, "moat-hs-lit-v1", 14);
		key_feed(&k, ver, strlen(ver));
		for (uint32_t i = 0; i < np; i++) {
			key_feed(&k, &lens[i], sizeof(lens[i]));
			key_feed(&k, &flags[i], sizeof(flags[i]));
			key_feed(&k, exprs[i], lens[i]);
		}
		cache_path(cache_dir, cache_id, &k, path, sizeof(path));
		m->db = cache_read(path, rs);
		if (m->db && hs_alloc_scratch(m->db, &rs->scratch) == HS_SUCCESS) {
			rs->stats.cache_hits++;
			return 0;
		}
		if (m->db) {
			/* Built for another CPU or Hyperscan: compile afresh. */
			hs_free_database(m->db);
			m->db = NULL;
			rs->stats.cache_errors++;
		}
	}
	hr = hs_compile_lit_multi(exprs, flags, ids, lens, np, HS_MODE_BLOCK, NULL, &m->db, &err);
	if (hr != HS_SUCCESS) {
		char msg[256];

		snprintf(msg, sizeof(msg), "Hyperscan compile of %s%s fast patterns failed: %s",
			 detect_buf_name(e[0].buf), cache_id >= DETECT_BUF_MAX ? " (subset)" : "",
			 err ? err->message : "?");
		diag_add(diags, RULE_DIAG_INVALID, "", 0, 0, msg);
		hs_free_compile_error(err);
		return -EINVAL;
	}
	hr = hs_alloc_scratch(m->db, &rs->scratch);
	if (hr != HS_SUCCESS)
		return -ENOMEM;
	if (cache_dir) {
		rs->stats.cache_misses++;
		cache_write(path, m->db, rs);
	}
	return 0;
}

/* A list usable as an IP-only anchor: non-empty, positive entries only, none of them /0. */
static bool anchor_list(const struct addr_list *l)
{
	if (l->n == 0)
		return false;
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].neg || l->v[i].c.prefix == 0)
			return false;
	return true;
}

static int ip_push(struct ip_ent **v, size_t *n, size_t *cap, const struct ip_ent *e)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct ip_ent *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *e;
	return 0;
}

/* Returns 1 when the rule went into the IP index, 0 when it stays always-evaluated. */
static int ip_index_add(struct ip_index *x, size_t *cap, const struct rule *r, uint32_t ri)
{
	const struct addr_list *l;
	uint8_t side;

	if (anchor_list(&r->src))
		l = &r->src, side = 0;
	else if (anchor_list(&r->dst))
		l = &r->dst, side = 1;
	else
		return 0;
	for (uint32_t i = 0; i < l->n; i++) {
		const struct cidr *c = &l->v[i].c;
		struct ip_ent e = {
			.family = c->family, .prefix = c->prefix, .side = side, .rule = ri
		};
		size_t k;
		int rc;

		memcpy(e.addr, c->addr, 16);
		rc = ip_push(&x->ents, &x->n_ents, cap, &e);
		if (rc < 0)
			return rc;
		for (k = 0; k < x->n_lens; k++)
			if (x->lens[k].family == e.family && x->lens[k].prefix == e.prefix)
				break;
		if (k == x->n_lens && k < ARRAY_SIZE(x->lens)) {
			x->lens[k].family = e.family;
			x->lens[k].prefix = e.prefix;
			x->n_lens++;
		}
	}
	return 1;
}

static int ip_index_build(struct ip_index *x)
{
	x->cap = 16;
	while (x->cap < x->n_ents * 2)
		x->cap *= 2;
	x->heads = malloc(x->cap * sizeof(*x->heads));
	if (!x->heads)
		return -ENOMEM;
	memset(x->heads, 0xff, x->cap * sizeof(*x->heads));
	for (size_t i = 0; i < x->n_ents; i++) {
		struct ip_ent *e = &x->ents[i];
		uint32_t b = ip_hash(e->family, e->prefix, e->addr) & (uint32_t)(x->cap - 1);

		e->next = x->heads[b];
		x->heads[b] = (uint32_t)i;
	}
	return 0;
}

/* Ports that get a group of their own (struct port_groups): the web's, HTTP and TLS, of
 * Suricata 7's detect.grouping tcp-whitelist (53, 80, 139, 443, 445, 1433, 3306, 3389,
 * 6666, 6667, 8080). Each group is one more Hyperscan compile at start-up (0.1-0.4 s for
 * ET Open without the cache), hence only these. */
static const uint16_t PG_PORTS[] = { 80, 443 };
#define PG_GROUPS_MAX (ARRAY_SIZE(PG_PORTS) + 2) /* + no port-specific rule + the rest */

/* Whether a packet whose key port (0: destination, 1: source) is PORT can match R's ports:
 * header_match() needs its key list to admit PORT, or for `<>` the other list. */
static bool pg_port_ok(const struct rule *r, int key, uint16_t port)
{
	const struct port_list *k = key ? &r->sp : &r->dp, *o = key ? &r->dp : &r->sp;

	return port_list_match(k, port) || (r->bidir && port_list_match(o, port));
}

static bool pg_any(const struct rule *r, int key)
{
	const struct port_list *k = key ? &r->sp : &r->dp, *o = key ? &r->dp : &r->sp;

	return k->n == 0 || (r->bidir && o->n == 0);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int bounds_push(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		uint32_t *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static int pg_bounds(const struct rule *r, int key, uint32_t **v, size_t *n, size_t *cap)
{
	for (int side = 0; side < (r->bidir ? 2 : 1); side++) {
		const struct port_list *l = (key ^ side) ? &r->sp : &r->dp;

		for (uint32_t i = 0; i < l->n; i++) {
			int rc = bounds_push(v, n, cap, l->v[i].lo);

			rc = rc ?: bounds_push(v, n, cap, (uint32_t)l->v[i].hi + 1);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* The group whose port-specific members are BITS (nw words), added when new. */
static int pg_group_of(uint64_t **sets, uint32_t *n_grp, const uint64_t *bits, size_t nw)
{
	for (uint32_t g = 0; g < *n_grp; g++)
		if (memcmp(sets[g], bits, nw * sizeof(*bits)) == 0)
			return (int)g;
	if (*n_grp == PG_GROUPS_MAX)
		return -E2BIG; /* cannot happen: one group per whitelisted port, empty, rest */
	sets[*n_grp] = malloc(nw * sizeof(*bits));
	if (!sets[*n_grp])
		return -ENOMEM;
	memcpy(sets[*n_grp], bits, nw * sizeof(*bits));
	return (int)(*n_grp)++;
}

/*
 * The port groups of the n sorted pkt_data entries E (struct port_groups) keyed by the
 * packet's destination (key 0) or source (key 1) port. Each rule has one entry.
 */
static int pg_build(struct ruleset *rs, struct port_groups *pg, int key, int cache_id,
		    const struct fp_ent *e, size_t n, const char *cache_dir,
		    struct rule_diags *diags)
{
	_cleanup_free_ uint32_t *bounds = NULL, *spec = NULL;
	_cleanup_free_ uint64_t *bits = NULL, *rest = NULL;
	_cleanup_free_ struct fp_ent *sel = NULL;
	uint64_t *sets[PG_GROUPS_MAX] = { NULL };
	size_t nb = 0, bcap = 0, ns = 0, nw, u = 0;
	bool has_rest = false;
	int rc = 0;

	spec = calloc(n ? n : 1, sizeof(*spec)); /* entry indexes of port-specific rules */
	sel = calloc(n ? n : 1, sizeof(*sel));
	if (!spec || !sel)
		return -ENOMEM;
	rc = bounds_push(&bounds, &nb, &bcap, 0);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct rule *r = rs->rules[e[i].rule];

		if (pg_any(r, key))
			continue;
		spec[ns++] = (uint32_t)i;
		rc = pg_bounds(r, key, &bounds, &nb, &bcap);
	}
	if (rc < 0)
		return rc;
	qsort(bounds, nb, sizeof(*bounds), cmp_u32);
	for (size_t i = 0; i < nb; i++) /* unique, and only starts of ports (< 65536) */
		if (bounds[i] <= UINT16_MAX && (u == 0 || bounds[u - 1] != bounds[i]))
			bounds[u++] = bounds[i];
	nb = u;
	nw = ns / 64 + 1;
	pg->seg_lo = calloc(nb, sizeof(*pg->seg_lo));
	pg->seg_grp = calloc(nb, sizeof(*pg->seg_grp));
	bits = calloc(nw, sizeof(*bits));
	rest = calloc(nw, sizeof(*rest));
	if (!pg->seg_lo || !pg->seg_grp || !bits || !rest)
		return -ENOMEM;
	pg->n_seg = (uint32_t)nb;
	/* own groups first; rest segments are marked UINT16_MAX and get the rest group */
	for (size_t s = 0; s < nb; s++) {
		uint32_t lo = bounds[s], hi = s + 1 < nb ? bounds[s + 1] : UINT16_MAX + 1;
		bool own = false, empty = true;

		memset(bits, 0, nw * sizeof(*bits));
		for (size_t i = 0; i < ns; i++)
			if (pg_port_ok(rs->rules[e[spec[i]].rule], key, (uint16_t)lo)) {
				bits[i / 64] |= 1ull << (i % 64);
				empty = false;
			}
		for (size_t k = 0; k < ARRAY_SIZE(PG_PORTS); k++)
			own |= PG_PORTS[k] >= lo && PG_PORTS[k] < hi;
		pg->seg_lo[s] = lo;
		if (own || empty) {
			rc = pg_group_of(sets, &pg->n_grp, bits, nw);
			if (rc < 0)
				goto out;
			pg->seg_grp[s] = (uint16_t)rc;
		} else {
			for (size_t w = 0; w < nw; w++)
				rest[w] |= bits[w];
			pg->seg_grp[s] = UINT16_MAX;
			has_rest = true;
		}
	}
	if (has_rest) {
		rc = pg_group_of(sets, &pg->n_grp, rest, nw);
		if (rc < 0)
			goto out;
		for (size_t s = 0; s < nb; s++)
			if (pg->seg_grp[s] == UINT16_MAX)
				pg->seg_grp[s] = (uint16_t)rc;
	}
	pg->grp = calloc(pg->n_grp, sizeof(*pg->grp));
	if (!pg->grp) {
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
	for (uint32_t g = 0; g < pg->n_grp && rc == 0; g++) {
		size_t nsel = 0, k = 0;

		/* E's order (sorted) kept: the any-port entries and the group's members */
		for (size_t i = 0; i < n; i++) {
			bool member = true;

			if (k < ns && spec[k] == i) {
				member = (sets[g][k / 64] >> (k % 64)) & 1;
				k++;
			}
			if (member)
				sel[nsel++] = e[i];
		}
		if (nsel)
			rc = compile_buf(rs, &pg->grp[g], cache_id, sel, nsel, cache_dir, diags);
	}
	rs->stats.port_groups += pg->n_grp;
out:
	for (size_t g = 0; g < PG_GROUPS_MAX; g++)
		free(sets[g]);
	return rc < 0 ? rc : 0;
}

/* The pkt_data subsets compiled besides each buffer's database: the port group sets
 * (PG_*), the packet-only patterns, the non-TCP patterns per direction. */
enum { SUB_ONLY = PG_MAX, SUB_NTCP_TS, SUB_NTCP_TC, SUB_MAX };

/* Whether R can match a TCP packet, or a packet of another protocol (by its header). */
static bool rule_may_tcp(const struct rule *r)
{
	return r->proto != RPROTO_UDP && r->proto != RPROTO_ICMP;
}

static bool rule_may_non_tcp(const struct rule *r)
{
	return r->proto == RPROTO_IP || r->proto == RPROTO_UDP || r->proto == RPROTO_ICMP;
}

int ruleset_compile(struct ruleset *rs, const char *cache_dir, struct rule_diags *diags)
{
	_cleanup_free_ struct fp_ent *fps = calloc(rs->n ? rs->n : 1, sizeof(*fps));
	/* pkt_data subsets: one per port group set (PG_*), the packet-only one, the
	 * non-TCP ones per direction */
	struct fp_ent *sub[SUB_MAX] = { NULL };
	size_t nfp = 0, nsub[SUB_MAX] = { 0 }, icap = 0;
	int r;

	rs->always = calloc(rs->n ? rs->n : 1, sizeof(*rs->always));
	r = 0;
	for (int k = 0; k < SUB_MAX; k++)
		if (!(sub[k] = calloc(rs->n ? rs->n : 1, sizeof(*sub[k]))))
			r = -ENOMEM;
	if (!fps || !rs->always)
		r = -ENOMEM;
	if (r < 0)
		goto out;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *ru = rs->rules[i];

		for (int li = 0; li < ru->n_lists; li++)
			for (int si = 0; si < ru->lists[li].n; si++)
				if (ru->lists[li].sm[si].type == SM_PCRE)
					/* Failure leaves the interpreter: slower, same result. */
					(void)pcre2_jit_compile(ru->lists[li].sm[si].pcre.re,
								PCRE2_JIT_COMPLETE);
		/* In a dotprefix list only a leading '.' can come from the transform: the rest
		 * of the pattern prefilters the raw buffer. A lone "." cannot. */
		if (ru->fp_list >= 0 && ru->lists[ru->fp_list].dotprefix &&
		    ru->lists[ru->fp_list].sm[ru->fp_sm].content.len == 1 &&
		    ru->lists[ru->fp_list].sm[ru->fp_sm].content.pat[0] == '.')
			ru->fp_list = ru->fp_sm = -1;
		if (ru->fp_list < 0) {
			r = ip_index_add(&rs->ipidx, &icap, ru, (uint32_t)i);
			if (r < 0)
				goto out;
			if (r == 0)
				rs->always[rs->n_always++] = (uint32_t)i;
			else
				rs->stats.ip_only++;
			continue;
		}
		{
			const struct rule_list *l = &ru->lists[ru->fp_list];
			const struct sm_content *c = &l->sm[ru->fp_sm].content;
			bool strip = l->dotprefix && c->pat[0] == '.';
			bool only = rule_pkt_only(ru), ts = !(ru->flow & RFLOW_TO_CLIENT),
			     tc = !(ru->flow & RFLOW_TO_SERVER), tcp = rule_may_tcp(ru),
			     ntcp = rule_may_non_tcp(ru);

			fps[nfp++] = (struct fp_ent){ .buf = l->buf,
						      .nocase = c->nocase,
						      .pat = c->pat + strip,
						      .len = c->len - strip,
						      .rule = (uint32_t)i };
			if (l->buf != DETECT_BUF_PKT)
				continue;
			if (only)
				sub[SUB_ONLY][nsub[SUB_ONLY]++] = fps[nfp - 1];
			if (tcp && ts)
				sub[PG_TOSERVER][nsub[PG_TOSERVER]++] = fps[nfp - 1];
			if (tcp && tc)
				sub[PG_TOCLIENT][nsub[PG_TOCLIENT]++] = fps[nfp - 1];
			if (ntcp && ts)
				sub[SUB_NTCP_TS][nsub[SUB_NTCP_TS]++] = fps[nfp - 1];
			if (ntcp && tc)
				sub[SUB_NTCP_TC][nsub[SUB_NTCP_TC]++] = fps[nfp - 1];
		}
	}
	rs->stats.always = rs->n_always;
	r = ip_index_build(&rs->ipidx);
	if (r < 0)
		goto out;
	qsort(fps, nfp, sizeof(*fps), cmp_fp);
	for (size_t i = 0; i < nfp;) {
		size_t j = i;

		while (j < nfp && fps[j].buf == fps[i].buf)
			j++;
		r = compile_buf(rs, &rs->mpm[fps[i].buf], fps[i].buf, fps + i, j - i, cache_dir,
				diags);
		if (r < 0)
			goto out;
		i = j;
	}
	for (int k = 0; k < SUB_MAX && r >= 0; k++) {
		if (!nsub[k])
			continue;
		qsort(sub[k], nsub[k], sizeof(*sub[k]), cmp_fp);
		if (k == SUB_ONLY)
			r = compile_buf(rs, &rs->pkt_only, DETECT_BUF_MAX + k, sub[k], nsub[k],
					cache_dir, diags);
		else if (k == SUB_NTCP_TS || k == SUB_NTCP_TC)
			r = compile_buf(rs, &rs->pkt_non_tcp[k == SUB_NTCP_TC], DETECT_BUF_MAX + k,
					sub[k], nsub[k], cache_dir, diags);
		else /* to_server packets by destination port, to_client ones by source */
			r = pg_build(rs, &rs->pg[k], k == PG_TOCLIENT, DETECT_BUF_MAX + k, sub[k],
				     nsub[k], cache_dir, diags);
	}
out:
	for (int k = 0; k < SUB_MAX; k++)
		free(sub[k]);
	return r < 0 ? r : 0;
}
