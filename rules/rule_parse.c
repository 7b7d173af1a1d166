// SPDX-License-Identifier: GPL-2.0-only
/* Suricata rule text -> struct rule: header, option splitting, and the final checks and
 * fast-pattern choice once every keyword is known. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "rule_parse.h"

int ps_err(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->errbuf, ps->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int ps_unsup(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->errbuf, ps->errlen, fmt, ap);
	va_end(ap);
	return -EOPNOTSUPP;
}

static int list_index(struct parse_state *ps, int buf)
{
	struct rule *r = ps->r;

	bool dp = buf == ps->cur_buf && ps->cur_dotprefix;

	for (int i = 0; i < r->n_lists; i++) {
		if (r->lists[i].buf != buf)
			continue;
		if (r->lists[i].dotprefix != dp)
			return ps_err(ps, "buffer %s used with and without dotprefix",
				      buf == BUF_FILE_DATA ? "file.data" : detect_buf_name(buf));
		return i;
	}
	if (r->n_lists >= RULE_MAX_LISTS)
		return ps_err(ps, "more than %d inspection buffers", RULE_MAX_LISTS);
	r->lists[r->n_lists].buf = (uint8_t)buf;
	r->lists[r->n_lists].dotprefix = dp;
	return r->n_lists++;
}

static struct sm *list_append(struct parse_state *ps, int li)
{
	struct rule_list *l = &ps->r->lists[li];

	if (l->n >= RULE_MAX_SM) {
		ps_err(ps, "more than %d match keywords for one buffer", RULE_MAX_SM);
		return NULL;
	}
	if (l->n == l->cap) {
		uint16_t cap = l->cap ? (uint16_t)(l->cap * 2) : 4;
		struct sm *nv = realloc(l->sm, cap * sizeof(*nv));

		if (!nv) {
			ps_err(ps, "out of memory");
			return NULL;
		}
		l->sm = nv;
		l->cap = cap;
	}
	memset(&l->sm[l->n], 0, sizeof(l->sm[0]));
	return &l->sm[l->n++];
}

struct sm *ps_add_sm(struct parse_state *ps, int type)
{
	int li = list_index(ps, ps->cur_buf);
	struct sm *sm;

	if (li < 0)
		return NULL;
	sm = list_append(ps, li);
	if (!sm)
		return NULL;
	sm->type = (uint8_t)type;
	ps->last_list = li;
	ps->last_sm = ps->r->lists[li].n - 1;
	if (type == SM_CONTENT) {
		ps->lc_list = ps->last_list;
		ps->lc_sm = ps->last_sm;
	}
	return sm;
}

struct sm *ps_add_sm_relative(struct parse_state *ps, int type, bool relative)
{
	int saved = ps->cur_buf;
	struct sm *sm;

	if (relative && !ps->sticky_used && ps->cur_buf == DETECT_BUF_PKT && ps->last_list >= 0)
		ps->cur_buf = ps->r->lists[ps->last_list].buf;
	sm = ps_add_sm(ps, type);
	ps->cur_buf = saved;
	return sm;
}

struct sm_content *ps_last_content(struct parse_state *ps)
{
	if (ps->lc_list < 0) {
		ps_err(ps, "\"%s\" needs a preceding content", ps->kw);
		return NULL;
	}
	return &ps->r->lists[ps->lc_list].sm[ps->lc_sm].content;
}

int ps_move_last_content(struct parse_state *ps, int buf)
{
	struct rule_list *from;
	struct sm tmp;
	struct sm *dst;
	int li;

	if (!ps_last_content(ps))
		return -EINVAL;
	from = &ps->r->lists[ps->lc_list];
	if (from->buf != DETECT_BUF_PKT)
		return ps_err(ps, "\"%s\" on a content already bound to %s", ps->kw,
			      detect_buf_name(from->buf));
	tmp = from->sm[ps->lc_sm];
	memmove(&from->sm[ps->lc_sm], &from->sm[ps->lc_sm + 1],
		(from->n - ps->lc_sm - 1) * sizeof(tmp));
	from->n--;
	li = list_index(ps, buf);
	if (li < 0)
		return li;
	dst = list_append(ps, li);
	if (!dst)
		return -EINVAL;
	*dst = tmp;
	ps->lc_list = ps->last_list = li;
	ps->lc_sm = ps->last_sm = ps->r->lists[li].n - 1;
	return 0;
}

char *ps_unquote(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (n && s[0] == '"') {
		if (n < 2 || s[n - 1] != '"' || s[n - 2] == '\\')
			return NULL;
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

int ps_rval(struct parse_state *ps, const char *s, int64_t min, int64_t max, struct rval *ret)
{
	char buf[64], *p = buf, *e;
	bool neg = false;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return ps_err(ps, "%s: value too long", ps->kw);
	strcpy(buf, s);
	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (isalpha((unsigned char)*p) || *p == '_') {
		for (int i = 0; i < ps->r->n_vars; i++) {
			if (strcmp(ps->r->var_names[i], p) == 0) {
				ret->var = (int8_t)i;
				ret->v = 0;
				return 0;
			}
		}
		return ps_err(ps, "%s: unknown byte_extract variable \"%s\"", ps->kw, p);
	}
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (parse_u64(p, 0, (uint64_t)INT64_MAX, &v) < 0 ||
	    (neg ? -(int64_t)v : (int64_t)v) < min || (neg ? -(int64_t)v : (int64_t)v) > max)
		return ps_err(ps, "%s: bad number \"%s\" (%lld..%lld)", ps->kw, s, (long long)min,
			      (long long)max);
	ret->v = neg ? -(int64_t)v : (int64_t)v;
	ret->var = -1;
	return 0;
}

static const struct {
	const char *name;
	int proto; /* -1: an app-layer protocol moat does not inspect */
} protos[] = {
	{ "ip", RPROTO_IP },
	{ "pkthdr", -1 },
	{ "tcp", RPROTO_TCP },
	{ "udp", RPROTO_UDP },
	{ "icmp", RPROTO_ICMP },
	{ "icmpv4", RPROTO_ICMP },
	{ "icmpv6", RPROTO_ICMP },
	{ "http", RPROTO_HTTP },
	{ "http1", RPROTO_HTTP },
	{ "tcp-pkt", RPROTO_TCP_PKT },
	{ "tcp-stream", RPROTO_TCP_STREAM },
	{ "sctp", -1 },
	{ "http2", -1 },
	{ "dns", -1 },
	{ "tls", -1 },
	{ "ssh", -1 },
	{ "smtp", -1 },
	{ "ftp", -1 },
	{ "ftp-data", -1 },
	{ "smb", -1 },
	{ "dcerpc", -1 },
	{ "dhcp", -1 },
	{ "nfs", -1 },
	{ "krb5", -1 },
	{ "ntp", -1 },
	{ "snmp", -1 },
	{ "sip", -1 },
	{ "rfb", -1 },
	{ "mqtt", -1 },
	{ "modbus", -1 },
	{ "dnp3", -1 },
	{ "enip", -1 },
	{ "ike", -1 },
	{ "rdp", -1 },
	{ "tftp", -1 },
	{ "imap", -1 },
	{ "pop3", -1 },
	{ "quic", -1 },
	{ "pgsql", -1 },
	{ "telnet", -1 },
	{ "bittorrent-dht", -1 },
	{ "websocket", -1 },
	{ "ldap", -1 },
};

/* Split the header into tokens, keeping bracketed lists (which may hold spaces) whole. */
static int header_tokens(char *h, char **tok, int max)
{
	int n = 0;

	while (*h) {
		int nest = 0;

		while (isspace((unsigned char)*h))
			h++;
		if (!*h)
			break;
		if (n == max)
			return -E2BIG;
		tok[n++] = h;
		while (*h && (nest > 0 || !isspace((unsigned char)*h))) {
			if (*h == '[')
				nest++;
			else if (*h == ']')
				nest--;
			h++;
		}
		if (*h)
			*h++ = '\0';
	}
	return n;
}

static int parse_header(struct parse_state *ps, char *h)
{
	struct rule *r = ps->r;
	char *tok[8];
	int n = header_tokens(h, tok, 8), ret;

	if (n != 7)
		return ps_err(ps, "header needs 7 fields (action proto src sport dir dst dport)");
	if (strcmp(tok[0], "alert") == 0)
		r->info.action = RULE_ACTION_ALERT;
	else if (strcmp(tok[0], "drop") == 0)
		r->info.action = RULE_ACTION_DROP;
	else if (strcmp(tok[0], "reject") == 0 || strcmp(tok[0], "rejectsrc") == 0 ||
		 strcmp(tok[0], "rejectdst") == 0 || strcmp(tok[0], "rejectboth") == 0)
		r->info.action = RULE_ACTION_REJECT;
	else if (strcmp(tok[0], "pass") == 0)
		r->info.action = RULE_ACTION_PASS;
	else if (strcmp(tok[0], "config") == 0)
		return ps_unsup(ps, "action \"config\" is not supported");
	else
		return ps_err(ps, "unknown action \"%s\"", tok[0]);

	ret = -1;
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		if (strcasecmp(tok[1], protos[i].name) == 0) {
			if (protos[i].proto < 0)
				return ps_unsup(ps, "protocol \"%s\" is not supported", tok[1]);
			ret = protos[i].proto;
			break;
		}
	}
	if (ret < 0)
		return ps_err(ps, "unknown protocol \"%s\"", tok[1]);
	r->proto = (uint8_t)ret;

	if (strcmp(tok[4], "->") == 0)
		r->bidir = false;
	else if (strcmp(tok[4], "<>") == 0)
		r->bidir = true;
	else if (strcmp(tok[4], "=>") == 0)
		return ps_unsup(ps, "transactional direction \"=>\" is not supported");
	else
		return ps_err(ps, "bad direction \"%s\" (-> or <>)", tok[4]);

	ret = rule_vars_parse_addr(ps->env->vars, tok[2], &r->src, ps->errbuf, ps->errlen);
	if (ret >= 0)
		ret = rule_vars_parse_port(ps->env->vars, tok[3], &r->sp, ps->errbuf, ps->errlen);
	if (ret >= 0)
		ret = rule_vars_parse_addr(ps->env->vars, tok[5], &r->dst, ps->errbuf, ps->errlen);
	if (ret >= 0)
		ret = rule_vars_parse_port(ps->env->vars, tok[6], &r->dp, ps->errbuf, ps->errlen);
	if (ret < 0)
		return ret == -EINVAL ? ret :
					ps_err(ps, "address or port list: %s", strerror(-ret));
	return 0;
}

/* Next option: "key[:value];" with '\' escaping ';' (Suricata's splitting: quotes do not
 * protect ';'). Returns 1 with key/val set (val NULL when absent), 0 at end, <0 error. */
static int next_option(struct parse_state *ps, char **pos, char **ret_key, char **ret_val)
{
	char *p = *pos, *key, *val = NULL, *w;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	key = p;
	while (*p && *p != ':' && *p != ';')
		p++;
	if (!*p)
		return ps_err(ps, "option \"%.40s\" not terminated by ';'", key);
	if (*p == ':') {
		*p++ = '\0';
		val = w = p;
		for (;;) {
			if (!*p)
				return ps_err(ps, "option \"%s\" not terminated by ';'", key);
			if (*p == '\\' && p[1]) {
				/* Keep escapes for the keyword to interpret, except "\;". */
				if (p[1] != ';')
					*w++ = *p;
				p++;
				*w++ = *p++;
				continue;
			}
			if (*p == ';')
				break;
			*w++ = *p++;
		}
		*w = '\0';
		p++;
	} else {
		*p++ = '\0';
	}
	/* Trim the key. */
	for (w = key + strlen(key); w > key && isspace((unsigned char)w[-1]);)
		*--w = '\0';
	if (!*key)
		return ps_err(ps, "empty option name");
	*pos = p;
	*ret_key = key;
	*ret_val = val;
	return 1;
}

/* Buffers whose request and response variants share a rule keyword. */
static const int dual_bufs[][2] = {
	{ DETECT_BUF_HTTP_HEADER, DETECT_BUF_HTTP_HEADER_RESP },
	{ DETECT_BUF_HTTP_HEADER_RAW, DETECT_BUF_HTTP_HEADER_RAW_RESP },
	{ DETECT_BUF_HTTP_HEADER_NAMES, DETECT_BUF_HTTP_HEADER_NAMES_RESP },
	{ DETECT_BUF_HTTP_COOKIE, DETECT_BUF_HTTP_COOKIE_RESP },
	{ DETECT_BUF_HTTP_CONTENT_TYPE, DETECT_BUF_HTTP_CONTENT_TYPE_RESP },
	{ DETECT_BUF_HTTP_CONTENT_LEN, DETECT_BUF_HTTP_CONTENT_LEN_RESP },
	{ DETECT_BUF_HTTP_START, DETECT_BUF_HTTP_START_RESP },
	{ DETECT_BUF_HTTP_PROTOCOL, DETECT_BUF_HTTP_PROTOCOL_RESP },
	{ DETECT_BUF_HTTP_CONNECTION, DETECT_BUF_HTTP_CONNECTION_RESP },
};

static bool buf_is_response(int b)
{
	return b >= DETECT_BUF_HTTP_STAT_CODE && b < DETECT_BUF_MAX;
}

/* Suricata prefers other buffers over these short, low-entropy ones for the fast pattern. */
static bool buf_low_priority(int b)
{
	return b == DETECT_BUF_HTTP_METHOD || b == DETECT_BUF_HTTP_STAT_CODE ||
	       b == DETECT_BUF_HTTP_STAT_MSG || b == DETECT_BUF_HTTP_PROTOCOL ||
	       b == DETECT_BUF_HTTP_PROTOCOL_RESP || b == DETECT_BUF_HTTP_CONTENT_LEN ||
	       b == DETECT_BUF_HTTP_CONTENT_LEN_RESP;
}

static unsigned int pattern_strength(const struct sm_content *c)
{
	uint8_t seen[256] = { 0 };
	unsigned int s = 0;

	for (uint32_t i = 0; i < c->len; i++) {
		uint8_t b = c->nocase ? (uint8_t)tolower(c->pat[i]) : c->pat[i];

		if (!seen[b]) {
			seen[b] = 1;
			s += isalpha(b) ? 3 : (isprint(b) ? 4 : 6);
		} else {
			s++;
		}
	}
	return s;
}

static void choose_fast_pattern(struct rule *r)
{
	int best_l = -1, best_s = -1;
	bool best_low = true;
	uint32_t best_len = 0;
	unsigned int best_str = 0;

	r->fp_list = r->fp_sm = -1;
	for (int li = 0; li < r->n_lists; li++) {
		for (int si = 0; si < r->lists[li].n; si++) {
			const struct sm *sm = &r->lists[li].sm[si];

			/* A negated content cannot prefilter: the rule matches when it is
			 * absent. Suricata then picks another; so do we. */
			if (sm->type == SM_CONTENT && sm->content.fast_pattern &&
			    !sm->content.negated) {
				r->fp_list = (int16_t)li;
				r->fp_sm = (int16_t)si;
				return;
			}
		}
	}
	for (int li = 0; li < r->n_lists; li++) {
		bool low = buf_low_priority(r->lists[li].buf);

		for (int si = 0; si < r->lists[li].n; si++) {
			const struct sm_content *c = &r->lists[li].sm[si].content;
			unsigned int str;

			if (r->lists[li].sm[si].type != SM_CONTENT || c->negated || c->len == 0)
				continue;
			str = pattern_strength(c);
			if (best_l >= 0) {
				if (low && !best_low)
					continue;
				if (low == best_low &&
				    (c->len < best_len || (c->len == best_len && str <= best_str)))
					continue;
			}
			best_l = li;
			best_s = si;
			best_low = low;
			best_len = c->len;
			best_str = str;
		}
	}
	r->fp_list = (int16_t)best_l;
	r->fp_sm = (int16_t)best_s;
}

/*
 * Suricata narrows contents from their neighbours before matching (its
 * DetectContentPropagateLimits, meant as an optimisation) and the narrowing is visible:
 * e.g. in 'content:"a"; content:!"bc"; content:"d"; distance:0;' the plain negated content
 * still counts as the chain's last pattern, so "d" cannot start before offset 2. Rules must
 * fire as in Suricata, so the same derived limits are computed here (our own code, from
 * its observable behaviour, checked by tests/corpus/rules_vs_suricata.py).
 */
static void propagate_limits(struct rule_list *l)
{
	int64_t off = 0, opp = 0, dep = 0, ew_depth = 0;
	bool chain = false, any_depth = false, ends_with = false;

	for (int i = 0; i < l->n; i++) {
		struct sm *sm = &l->sm[i];
		struct sm_content *c = &sm->content;
		int64_t cd_off, cd_dep, dist, within;
		bool D, O, W, Dist;

		if (sm->type == SM_PCRE) {
			if (sm->pcre.relative)
				dep = 0;
			else
				opp = off = dep = 0;
			chain = false;
			continue;
		}
		if (sm->type != SM_CONTENT || c->offset.var >= 0 || c->depth.var >= 0 ||
		    c->distance.var >= 0 || c->within.var >= 0) {
			opp = off = dep = 0;
			chain = false;
			continue;
		}
		D = c->has_depth || c->startswith;
		O = c->has_offset;
		W = c->has_within;
		Dist = c->has_distance;
		cd_off = O ? c->offset.v : 0;
		cd_dep = c->has_depth ? cd_off + c->depth.v : c->startswith ? c->len : 0;
		dist = Dist ? c->distance.v : 0;
		within = W ? c->within.v : 0;
		if (!D && !O && !W && !Dist) {
			off = dep = 0;
			opp = c->len;
			chain = false;
			continue;
		}
		if (c->negated) {
			off = dep = opp = 0;
			chain = false;
			continue;
		}
		if (cd_dep)
			any_depth = chain = true;
		if (!D && !W) {
			dep = 0;
			chain = false;
		}
		if (!Dist)
			opp = off = 0;
		if (Dist && dist >= 0)
			off = cd_off = opp + dist;
		if (chain) {
			if (opp && W && within >= 0) {
				if (dep && dep > opp)
					dep = cd_dep = dep + within + (Dist && dist > 0 ? dist : 0);
				else
					dep = cd_dep = off + within;
			} else if (cd_dep == 0 && dep != 0 && within > 0) {
				if (Dist && dist >= 0)
					cd_off = opp + dist;
				dep = cd_dep = within + dep;
				if (c->endswith) {
					ends_with = true;
					ew_depth = ew_depth ? MIN(ew_depth, dep) : dep;
				}
			}
		}
		if (cd_off == 0 && Dist && dist >= 0)
			cd_off = opp;
		if (Dist && !D && !O && dist >= 0) {
			off = cd_off = opp + dist;
			opp = off + c->len;
		}
		if (O) {
			off = cd_off;
			opp = off + c->len;
		}
		if (cd_dep) {
			dep = cd_dep;
			opp = off + c->len;
			if (c->endswith) {
				ends_with = true;
				ew_depth = ew_depth ? MIN(ew_depth, dep) : dep;
			}
		}
		if (!W && !D) {
			chain = false;
			dep = 0;
		}
		/* Only what differs from the content's own limits is kept. */
		if (Dist || W) {
			c->pl_offset = cd_off;
			c->pl_depth = cd_dep;
		}
	}
	if (any_depth && ends_with) {
		for (int i = 0; i < l->n; i++) {
			struct sm_content *c = &l->sm[i].content;
			int64_t own;

			if (l->sm[i].type != SM_CONTENT)
				continue;
			if (c->has_distance || c->has_within)
				own = c->pl_depth;
			else
				own = c->has_depth ?
					      (c->has_offset ? c->offset.v : 0) + c->depth.v :
				      c->startswith ? c->len :
						      0;
			c->pl_depth = own ? MIN(own, ew_depth) : ew_depth;
		}
	}
}

static bool sm_is_relative(const struct sm *sm)
{
	switch (sm->type) {
	case SM_CONTENT:
		return sm->content.has_distance || sm->content.has_within;
	case SM_PCRE:
		return sm->pcre.relative;
	case SM_ISDATAAT:
		return sm->isdataat.relative;
	case SM_BYTE_TEST:
	case SM_BYTE_JUMP:
	case SM_BYTE_EXTRACT:
		return sm->byte.relative;
	default:
		return false;
	}
}

/*
 * Suricata 7 rejects a dsize rule whose payload contents cannot fit in the largest dsize
 * allowed. The required length, as Suricata 7.0.10 computes it (checked against its -T):
 * per chain of relative contents, offset + length of the chain's first content, then
 * distance + length for each positive relative content and distance + within for a
 * negated one that has within; the longest chain counts.
 */
static int check_dsize(struct parse_state *ps)
{
	const struct rule *r = ps->r;
	int64_t cur = 0, req = 0, max_dsize;

	if (!r->has_dsize)
		return 0;
	/* Suricata's bound (not the tightest one): "N" and "<N" give N, "A<>B" gives B;
	 * other forms are not checked. */
	switch (r->dsize.op) {
	case CMP_EQ:
	case CMP_LT:
		max_dsize = (int64_t)r->dsize.lo;
		break;
	case CMP_RANGE:
		max_dsize = (int64_t)r->dsize.hi;
		break;
	default:
		return 0;
	}
	for (int li = 0; li < r->n_lists; li++) {
		if (r->lists[li].buf != DETECT_BUF_PKT)
			continue;
		for (int si = 0; si < r->lists[li].n; si++) {
			const struct sm_content *c = &r->lists[li].sm[si].content;
			int64_t dist;

			if (r->lists[li].sm[si].type != SM_CONTENT)
				continue;
			if (c->distance.var >= 0 || c->within.var >= 0 || c->offset.var >= 0)
				return 0;
			dist = c->has_distance ? c->distance.v : 0;
			if (!c->has_distance && !c->has_within)
				cur = c->negated ? 0 : (c->has_offset ? c->offset.v : 0) + c->len;
			else if (!c->negated)
				cur += dist + c->len;
			else if (c->has_within)
				cur += dist + c->within.v;
			req = MAX(req, cur);
		}
	}
	if (req > max_dsize)
		return ps_err(ps, "required content length %lld exceeds dsize value %lld",
			      (long long)req, (long long)max_dsize);
	return 0;
}

static int finalize(struct parse_state *ps)
{
	struct rule *r = ps->r;
	bool resp = false;

	if (!ps->has_sid)
		return ps_err(ps, "no sid");
	if (r->flow & (RFLOW_TO_CLIENT))
		resp = true;
	for (int li = 0; li < r->n_lists && !(r->flow & RFLOW_TO_SERVER); li++)
		if (buf_is_response(r->lists[li].buf))
			resp = true;
	r->info.to_client = resp;
	/* Lists emptied by legacy modifiers moving their content away. */
	for (int li = 0; li < r->n_lists;) {
		if (r->lists[li].n == 0) {
			free(r->lists[li].sm);
			memmove(&r->lists[li], &r->lists[li + 1],
				(size_t)(r->n_lists - li - 1) * sizeof(r->lists[0]));
			r->n_lists--;
		} else {
			li++;
		}
	}
	for (int li = 0; li < r->n_lists; li++) {
		struct rule_list *l = &r->lists[li];

		if (l->buf == BUF_FILE_DATA)
			l->buf = r->flow & RFLOW_TO_SERVER ? DETECT_BUF_HTTP_REQUEST_BODY :
							     DETECT_BUF_HTTP_RESPONSE_BODY;
		if (resp)
			for (size_t i = 0; i < ARRAY_SIZE(dual_bufs); i++)
				if (l->buf == dual_bufs[i][0])
					l->buf = (uint8_t)dual_bufs[i][1];
		if (l->buf != DETECT_BUF_PKT)
			r->info.tx_rule = true;
		for (int si = 0; si + 1 < l->n; si++)
			l->sm[si].relative_next = sm_is_relative(&l->sm[si + 1]);
		propagate_limits(l);
	}
	/* A buffer given twice (request variant then resolved to the response one) merges
	 * poorly; Suricata keeps them as one list. Reject the rare collision. */
	for (int a = 0; a < r->n_lists; a++)
		for (int b = a + 1; b < r->n_lists; b++)
			if (r->lists[a].buf == r->lists[b].buf)
				return ps_err(ps, "buffer %s used in two incompatible ways",
					      detect_buf_name(r->lists[a].buf));
	if (r->has_urilen)
		r->info.tx_rule = true;
	if (check_dsize(ps) < 0)
		return -EINVAL;
	choose_fast_pattern(r);
	if (!r->info.msg)
		r->info.msg = "";
	return 0;
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	for (int li = 0; li < r->n_lists; li++) {
		for (int si = 0; si < r->lists[li].n; si++) {
			struct sm *sm = &r->lists[li].sm[si];

			if (sm->type == SM_CONTENT)
				free(sm->content.pat);
			else if (sm->type == SM_PCRE)
				pcre2_code_free(sm->pcre.re);
		}
		free(r->lists[li].sm);
	}
	for (int i = 0; i < r->n_vars; i++)
		free(r->var_names[i]);
	free(r->src.v);
	free(r->dst.v);
	free(r->sp.v);
	free(r->dp.v);
	free(r->msg_buf);
	free(r->file);
	free(r->note);
	free(r);
}

/* Pull "sid:N" out of the raw text so errors before the sid keyword can name it. */
static uint32_t sniff_sid(const char *text)
{
	const char *p = text;

	while ((p = strstr(p, "sid")) != NULL) {
		if ((p == text || p[-1] == ';' || p[-1] == '(' || isspace((unsigned char)p[-1]))) {
			const char *q = p + 3;
			uint64_t v = 0;

			while (isspace((unsigned char)*q))
				q++;
			if (*q == ':') {
				q++;
				while (isspace((unsigned char)*q))
					q++;
				while (isdigit((unsigned char)*q) && v < UINT32_MAX)
					v = v * 10 + (uint64_t)(*q++ - '0');
				return v <= UINT32_MAX ? (uint32_t)v : 0;
			}
		}
		p += 3;
	}
	return 0;
}

int rule_parse(const char *text, const struct parse_env *env, struct rule **ret, uint32_t *ret_sid,
	       char *errbuf, size_t errlen)
{
	_cleanup_(rule_freep) struct rule *r = NULL;
	_cleanup_free_ char *copy = NULL;
	struct parse_state ps = {
		.env = env,
		.errbuf = errbuf,
		.errlen = errlen,
		.cur_buf = DETECT_BUF_PKT,
		.last_list = -1,
		.lc_list = -1,
	};
	char *open, *close, *pos, *key = NULL, *val = NULL;
	int rc;

	*ret_sid = sniff_sid(text);
	if (strlen(text) > RULE_MAX_LEN)
		return ps_err(&ps, "rule longer than %d bytes", RULE_MAX_LEN);
	copy = strdup(text);
	r = calloc(1, sizeof(*r));
	if (!copy || !r)
		return -ENOMEM;
	ps.r = r;
	r->info.gid = 1;
	r->info.priority = 0;
	r->fp_list = r->fp_sm = -1;
	open = strchr(copy, '(');
	close = strrchr(copy, ')');
	if (!open || !close || close < open)
		return ps_err(&ps, "no option list \"( ... )\"");
	for (char *t = close + 1; *t; t++)
		if (!isspace((unsigned char)*t))
			return ps_err(&ps, "text after the closing ')'");
	*open = '\0';
	*close = '\0';
	rc = parse_header(&ps, copy);
	if (rc < 0)
		return rc;
	pos = open + 1;
	while ((rc = next_option(&ps, &pos, &key, &val)) > 0) {
		ps.kw = key;
		rc = rule_keyword_apply(&ps, key, val);
		if (rc < 0) {
			if (r->info.sid)
				*ret_sid = r->info.sid;
			return rc;
		}
	}
	if (rc < 0)
		return rc;
	rc = finalize(&ps);
	if (rc < 0)
		return rc;
	*ret_sid = r->info.sid;
	*ret = TAKE_PTR(r);
	return 0;
}
