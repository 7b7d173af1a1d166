// SPDX-License-Identifier: GPL-2.0-only
/* Payload keywords: content and its modifiers, pcre, isdataat, bsize, byte_test,
 * byte_jump, byte_extract, and the shared numeric comparison syntax. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "rule_kw.h"
#include "lib/lib.h"

bool cmp_match(const struct cmp *c, uint64_t x)
{
	switch (c->op) {
	case CMP_EQ:
		return x == c->lo;
	case CMP_NE:
		return x != c->lo;
	case CMP_LT:
		return x < c->lo;
	case CMP_GT:
		return x > c->lo;
	case CMP_LE:
		return x <= c->lo;
	case CMP_GE:
		return x >= c->lo;
	case CMP_RANGE:
		return x > c->lo && x < c->hi;
	}
	return false;
}

int cmp_parse(const char *s, uint64_t max, struct cmp *ret)
{
	struct cmp c = { .op = CMP_EQ };
	char buf[64];
	char *p, *sep;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	p = str_trim(buf);
	if ((sep = strstr(p, "<>")) != NULL) {
		*sep = '\0';
		if (parse_u64(str_trim(p), 0, max, &c.lo) < 0 ||
		    parse_u64(str_trim(sep + 2), 0, max, &c.hi) < 0 || c.lo >= c.hi)
			return -EINVAL;
		c.op = CMP_RANGE;
		*ret = c;
		return 0;
	}
	if (p[0] == '<' && p[1] == '=')
		c.op = CMP_LE, p += 2;
	else if (p[0] == '>' && p[1] == '=')
		c.op = CMP_GE, p += 2;
	else if (p[0] == '<')
		c.op = CMP_LT, p++;
	else if (p[0] == '>')
		c.op = CMP_GT, p++;
	else if (p[0] == '!')
		c.op = CMP_NE, p++;
	else if (p[0] == '=')
		p++;
	if (parse_u64(str_trim(p), 0, max, &c.lo) < 0)
		return -EINVAL;
	*ret = c;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Content string with |hex| runs and \-escapes into bytes. */
static int content_bytes(struct parse_state *ps, const char *s, uint8_t **ret, uint32_t *ret_len)
{
	size_t n = strlen(s);
	_cleanup_free_ uint8_t *out = malloc(n ? n : 1);
	uint32_t len = 0;
	bool hex = false;
	int hi = -1;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '|') {
			if (hex && hi >= 0)
				return ps_err(ps, "content: odd number of hex digits");
			hex = !hex;
			continue;
		}
		if (hex) {
			int v;

			if (isspace((unsigned char)c))
				continue;
			v = hexval(c);
			if (v < 0)
				return ps_err(ps, "content: bad hex character '%c'", c);
			if (hi < 0) {
				hi = v;
			} else {
				out[len++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
			continue;
		}
		if (c == '\\') {
			char e = s[i + 1];

			if (e != '\\' && e != '"' && e != ';' && e != ':' && e != '|')
				return ps_err(ps, "content: invalid escape \"\\%c\"", e ? e : ' ');
			out[len++] = (uint8_t)e;
			i++;
			continue;
		}
		if (c == '"')
			return ps_err(ps, "content: unescaped '\"' inside the pattern");
		out[len++] = (uint8_t)c;
	}
	if (hex)
		return ps_err(ps, "content: unterminated |hex| run");
	if (len == 0)
		return ps_err(ps, "content: empty pattern");
	*ret = TAKE_PTR(out);
	*ret_len = len;
	return 0;
}

int kw_content(struct parse_state *ps, char *val)
{
	struct sm_content c = { 0 };
	struct sm *sm;
	char *s;
	int r;

	if (!val)
		return ps_err(ps, "content needs a value");
	s = str_trim(val);
	if (*s == '!') {
		c.negated = true;
		s++;
	}
	s = str_trim(s);
	if (*s != '"' || !(s = ps_unquote(s)))
		return ps_err(ps, "content must be quoted");
	r = content_bytes(ps, s, &c.pat, &c.len);
	if (r < 0)
		return r;
	c.offset.var = c.depth.var = c.distance.var = c.within.var = -1;
	sm = ps_add_sm(ps, SM_CONTENT);
	if (!sm) {
		free(c.pat);
		return -EINVAL;
	}
	sm->content = c;
	return 0;
}

int kw_uricontent(struct parse_state *ps, char *val)
{
	int r = kw_content(ps, val);

	return r < 0 ? r : ps_move_last_content(ps, DETECT_BUF_HTTP_URI);
}

static int no_value(struct parse_state *ps, const char *val)
{
	if (val && *str_trim((char *)val))
		return ps_err(ps, "\"%s\" takes no value", ps->kw);
	return 0;
}

int kw_nocase(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || no_value(ps, val) < 0)
		return -EINVAL;
	c->nocase = true;
	return 0;
}

int kw_rawbytes(struct parse_state *ps, char *val)
{
	/* Suricata ignores rawbytes: there is no telnet/RPC normalisation to bypass. */
	return ps_last_content(ps) && no_value(ps, val) == 0 ? 0 : -EINVAL;
}

static bool is_relative(const struct sm_content *c)
{
	return c->has_distance || c->has_within;
}

int kw_depth(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || !val)
		return c ? ps_err(ps, "depth needs a value") : -EINVAL;
	if (c->has_depth || c->startswith)
		return ps_err(ps, "depth given twice (or with startswith)");
	if (is_relative(c))
		return ps_err(ps, "depth cannot be combined with distance/within");
	if (ps_rval(ps, val, 1, INT32_MAX, &c->depth) < 0)
		return -EINVAL;
	if (c->depth.var < 0 && c->depth.v < c->len)
		return ps_err(ps, "depth %lld is smaller than the content length %u",
			      (long long)c->depth.v, c->len);
	c->has_depth = true;
	return 0;
}

int kw_offset(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || !val)
		return c ? ps_err(ps, "offset needs a value") : -EINVAL;
	if (c->has_offset || c->startswith)
		return ps_err(ps, "offset given twice (or with startswith)");
	if (is_relative(c))
		return ps_err(ps, "offset cannot be combined with distance/within");
	c->has_offset = true;
	return ps_rval(ps, val, 0, INT32_MAX, &c->offset);
}

int kw_distance(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || !val)
		return c ? ps_err(ps, "distance needs a value") : -EINVAL;
	if (c->has_distance || c->startswith)
		return ps_err(ps, "distance given twice (or with startswith)");
	if (c->has_depth || c->has_offset)
		return ps_err(ps, "distance cannot be combined with depth/offset");
	c->has_distance = true;
	return ps_rval(ps, val, INT32_MIN / 2, INT32_MAX / 2, &c->distance);
}

int kw_within(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || !val)
		return c ? ps_err(ps, "within needs a value") : -EINVAL;
	if (c->has_within || c->startswith)
		return ps_err(ps, "within given twice (or with startswith)");
	if (c->has_depth || c->has_offset)
		return ps_err(ps, "within cannot be combined with depth/offset");
	if (ps_rval(ps, val, 1, INT32_MAX / 2, &c->within) < 0)
		return -EINVAL;
	if (c->within.var < 0 && c->within.v < c->len)
		return ps_err(ps, "within %lld is smaller than the content length %u",
			      (long long)c->within.v, c->len);
	c->has_within = true;
	return 0;
}

int kw_startswith(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || no_value(ps, val) < 0)
		return -EINVAL;
	if (c->has_depth || c->has_offset || is_relative(c))
		return ps_err(ps,
			      "startswith cannot be combined with depth/offset/distance/within");
	c->startswith = true;
	return 0;
}

int kw_endswith(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);

	if (!c || no_value(ps, val) < 0)
		return -EINVAL;
	c->endswith = true;
	return 0;
}

int kw_fast_pattern(struct parse_state *ps, char *val)
{
	struct sm_content *c = ps_last_content(ps);
	struct rule *r = ps->r;

	if (!c)
		return -EINVAL;
	for (int li = 0; li < r->n_lists; li++)
		for (int si = 0; si < r->lists[li].n; si++)
			if (r->lists[li].sm[si].type == SM_CONTENT &&
			    r->lists[li].sm[si].content.fast_pattern)
				return ps_err(ps, "fast_pattern given on more than one content");
	if (val && *str_trim(val)) {
		char *tok[3];
		int n = kw_split(val, tok, 3);
		uint64_t off, len;

		if (n == 1 && strcmp(tok[0], "only") == 0) {
			c->fp_only = true;
		} else if (n == 2 && parse_u64(tok[0], 0, 65535, &off) == 0 &&
			   parse_u64(tok[1], 1, 65535, &len) == 0) {
			/* The whole content still prefilters: a superset of the chopped part. */
			if (off + len > c->len)
				return ps_err(ps, "fast_pattern %llu,%llu runs past the content",
					      (unsigned long long)off, (unsigned long long)len);
		} else {
			return ps_err(ps, "fast_pattern: expected \"only\" or \"offset,length\"");
		}
	}
	c->fast_pattern = true;
	return 0;
}

static const struct {
	char letter;
	int buf;
} pcre_bufs[] = {
	{ 'U', DETECT_BUF_HTTP_URI },	       { 'I', DETECT_BUF_HTTP_URI_RAW },
	{ 'P', DETECT_BUF_HTTP_REQUEST_BODY }, { 'Q', DETECT_BUF_HTTP_RESPONSE_BODY },
	{ 'H', DETECT_BUF_HTTP_HEADER },       { 'D', DETECT_BUF_HTTP_HEADER_RAW },
	{ 'M', DETECT_BUF_HTTP_METHOD },       { 'C', DETECT_BUF_HTTP_COOKIE },
	{ 'S', DETECT_BUF_HTTP_STAT_CODE },    { 'Y', DETECT_BUF_HTTP_STAT_MSG },
	{ 'V', DETECT_BUF_HTTP_USER_AGENT },   { 'W', DETECT_BUF_HTTP_HOST },
	{ 'Z', DETECT_BUF_HTTP_HOST_RAW },
};

int kw_pcre(struct parse_state *ps, char *val)
{
	struct sm_pcre p = { 0 };
	uint32_t opts = 0;
	int buf = -1, saved = ps->cur_buf, errcode;
	PCRE2_SIZE erroff;
	char *s, *end;
	struct sm *sm;

	if (!val)
		return ps_err(ps, "pcre needs a value");
	s = str_trim(val);
	if (*s == '!') {
		p.negated = true;
		s++;
	}
	s = str_trim(s);
	/* Suricata takes the regex quoted or bare. */
	if ((*s == '"' && !(s = ps_unquote(s))) || !s || s[0] != '/')
		return ps_err(ps, "pcre must be \"/regex/flags\"");
	end = strrchr(s, '/');
	if (end == s)
		return ps_err(ps, "pcre: no closing '/'");
	*end = '\0';
	for (const char *f = end + 1; *f; f++) {
		switch (*f) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		case 'A':
			opts |= PCRE2_ANCHORED;
			break;
		case 'E':
			opts |= PCRE2_DOLLAR_ENDONLY;
			break;
		case 'G':
			opts |= PCRE2_UNGREEDY;
			break;
		case 'R':
			p.relative = true;
			break;
		case 'O':
			p.nolimit = true;
			break;
		case 'B':
			break;
		default: {
			size_t i;

			for (i = 0; i < ARRAY_SIZE(pcre_bufs); i++)
				if (pcre_bufs[i].letter == *f)
					break;
			if (i == ARRAY_SIZE(pcre_bufs))
				return ps_err(ps, "pcre: unknown modifier '%c'", *f);
			if (buf >= 0 && buf != pcre_bufs[i].buf)
				return ps_err(ps, "pcre: more than one buffer modifier");
			buf = pcre_bufs[i].buf;
		}
		}
	}
	if (ps->cur_buf == BUF_FILE_DATA &&
	    (buf == DETECT_BUF_HTTP_RESPONSE_BODY || buf == DETECT_BUF_HTTP_REQUEST_BODY))
		buf = BUF_FILE_DATA; /* /Q or /P inside file.data: the same body */
	if (buf >= 0 && ps->cur_buf != DETECT_BUF_PKT && ps->cur_buf != buf)
		return ps_err(ps, "pcre buffer modifier conflicts with sticky buffer %s",
			      detect_buf_name(ps->cur_buf == BUF_FILE_DATA ?
						      DETECT_BUF_HTTP_RESPONSE_BODY :
						      ps->cur_buf));
	p.re = pcre2_compile((PCRE2_SPTR)(s + 1), PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff,
			     NULL);
	if (!p.re) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return ps_err(ps, "pcre: %s at offset %zu", (char *)msg, (size_t)erroff);
	}
	if (buf >= 0)
		ps->cur_buf = buf;
	sm = buf >= 0 ? ps_add_sm(ps, SM_PCRE) : ps_add_sm_relative(ps, SM_PCRE, p.relative);
	ps->cur_buf = saved;
	if (!sm) {
		pcre2_code_free(p.re);
		return -EINVAL;
	}
	sm->pcre = p;
	return 0;
}

int kw_isdataat(struct parse_state *ps, char *val)
{
	struct sm_isdataat d = { 0 };
	char *tok[4], *s;
	struct sm *sm;
	int n;

	if (!val)
		return ps_err(ps, "isdataat needs a value");
	n = kw_split(val, tok, 4);
	if (n <= 0)
		return ps_err(ps, "isdataat: bad value");
	s = tok[0];
	if (*s == '!') {
		d.negated = true;
		s = str_trim(s + 1);
	}
	if (ps_rval(ps, s, 0, INT32_MAX, &d.v) < 0)
		return -EINVAL;
	for (int i = 1; i < n; i++) {
		if (strcmp(tok[i], "relative") == 0)
			d.relative = true;
		else if (strcmp(tok[i], "rawbytes") != 0)
			return ps_err(ps, "isdataat: unknown option \"%s\"", tok[i]);
	}
	/* Suricata turns "isdataat:!1,relative" right after a content into endswith on that
	 * content (negated contents included: "does not end with"). */
	if (d.negated && d.relative && d.v.var < 0 && d.v.v == 1 && ps->last_list >= 0 &&
	    (ps->sticky_used ? ps->r->lists[ps->last_list].buf == ps->cur_buf : true)) {
		struct sm *prev = &ps->r->lists[ps->last_list].sm[ps->last_sm];

		if (prev->type == SM_CONTENT) {
			prev->content.endswith = true;
			return 0;
		}
	}
	sm = ps_add_sm_relative(ps, SM_ISDATAAT, d.relative);
	if (!sm)
		return -EINVAL;
	sm->isdataat = d;
	return 0;
}

int kw_bsize(struct parse_state *ps, char *val)
{
	struct cmp c;
	struct sm *sm;

	if (!val || cmp_parse(str_trim(val), UINT32_MAX, &c) < 0)
		return ps_err(ps, "bsize: bad value \"%s\"", val ? str_trim(val) : "");
	sm = ps_add_sm(ps, SM_BSIZE);
	if (!sm)
		return -EINVAL;
	sm->bsize = c;
	return 0;
}

/* Options shared by byte_test/byte_jump/byte_extract after the positional arguments. */
static int byte_opts(struct parse_state *ps, struct sm_byte *b, char **tok, int n, bool jump,
		     bool extract)
{
	for (int i = 0; i < n; i++) {
		char *t = tok[i], *arg = strpbrk(t, " \t");
		uint64_t v;

		if (arg) {
			*arg = '\0';
			arg = str_trim(arg + 1);
		}
		if (strcmp(t, "relative") == 0)
			b->relative = true;
		else if (strcmp(t, "little") == 0)
			b->little = true;
		else if (strcmp(t, "big") == 0)
			b->little = false;
		else if (strcmp(t, "dce") == 0)
			b->dce = true;
		else if (strcmp(t, "string") == 0)
			b->base = b->base ? b->base : 10;
		else if (strcmp(t, "hex") == 0)
			b->base = 16;
		else if (strcmp(t, "dec") == 0)
			b->base = 10;
		else if (strcmp(t, "oct") == 0)
			b->base = 8;
		else if (strcmp(t, "bitmask") == 0 && arg &&
			 parse_u64(arg, 1, UINT32_MAX, &b->bitmask) == 0)
			;
		else if ((jump || extract) && strcmp(t, "multiplier") == 0 && arg &&
			 parse_u64(arg, 1, 65535, &v) == 0)
			b->multiplier = (uint32_t)v;
		else if (jump && strcmp(t, "align") == 0 && !arg)
			b->align = true;
		else if (extract && strcmp(t, "align") == 0 && arg &&
			 parse_u64(arg, 2, 4, &v) == 0 && v != 3)
			b->post_offset = (int32_t)v; /* alignment for byte_extract */
		else if (jump && strcmp(t, "from_beginning") == 0)
			b->from_beginning = true;
		else if (jump && strcmp(t, "from_end") == 0)
			b->from_end = true;
		else if (jump && strcmp(t, "post_offset") == 0 && arg) {
			struct rval rv;

			if (ps_rval(ps, arg, INT32_MIN / 2, INT32_MAX / 2, &rv) < 0 || rv.var >= 0)
				return ps_err(ps, "%s: bad post_offset", ps->kw);
			b->post_offset = (int32_t)rv.v;
		} else
			return ps_err(ps, "%s: unknown option \"%s\"", ps->kw, t);
	}
	if (b->base && b->dce)
		return ps_err(ps, "%s: string and dce cannot be combined", ps->kw);
	if (b->dce)
		return ps_unsup(ps, "%s: dce (DCERPC byte order) is not supported", ps->kw);
	if (!b->base && (b->nbytes > 8 || b->nbytes == 0))
		return ps_err(ps, "%s: binary reads take 1 to 8 bytes", ps->kw);
	if (b->from_beginning && b->from_end)
		return ps_err(ps, "%s: from_beginning and from_end both given", ps->kw);
	return 0;
}

static int byte_nbytes(struct parse_state *ps, const char *s, struct sm_byte *b)
{
	uint64_t v;

	if (parse_u64(s, 0, 20, &v) < 0)
		return ps_err(ps, "%s: bad byte count \"%s\" (1..8, or 1..20 for strings)", ps->kw,
			      s);
	b->nbytes = (uint8_t)v;
	return 0;
}

int kw_byte_test(struct parse_state *ps, char *val)
{
	struct sm_byte b = { .var = -1 };
	char *tok[16], *op;
	struct sm *sm;
	int n;

	if (!val || (n = kw_split(val, tok, 16)) < 4)
		return ps_err(ps, "byte_test needs nbytes, operator, value, offset");
	if (byte_nbytes(ps, tok[0], &b) < 0)
		return -EINVAL;
	op = tok[1];
	if (*op == '!') {
		b.negated = true;
		op = str_trim(op + 1);
	}
	if (strcmp(op, "<") == 0)
		b.op = BOP_LT;
	else if (strcmp(op, ">") == 0)
		b.op = BOP_GT;
	else if (strcmp(op, "=") == 0 || (b.negated && !*op))
		b.op = BOP_EQ;
	else if (strcmp(op, "&") == 0)
		b.op = BOP_AND;
	else if (strcmp(op, "^") == 0)
		b.op = BOP_XOR;
	else if (strcmp(op, "<=") == 0)
		b.op = BOP_LE;
	else if (strcmp(op, ">=") == 0)
		b.op = BOP_GE;
	else
		return ps_err(ps, "byte_test: unknown operator \"%s\"", tok[1]);
	if (ps_rval(ps, tok[2], 0, INT64_MAX, &b.value) < 0 ||
	    ps_rval(ps, tok[3], INT32_MIN / 2, INT32_MAX / 2, &b.offset) < 0)
		return -EINVAL;
	if (byte_opts(ps, &b, tok + 4, n - 4, false, false) < 0)
		return -EINVAL;
	sm = ps_add_sm_relative(ps, SM_BYTE_TEST, b.relative);
	if (!sm)
		return -EINVAL;
	sm->byte = b;
	return 0;
}

int kw_byte_jump(struct parse_state *ps, char *val)
{
	struct sm_byte b = { .var = -1 };
	char *tok[16];
	struct sm *sm;
	int n;

	if (!val || (n = kw_split(val, tok, 16)) < 2)
		return ps_err(ps, "byte_jump needs nbytes, offset");
	b.value.var = -1;
	if (byte_nbytes(ps, tok[0], &b) < 0 ||
	    ps_rval(ps, tok[1], INT32_MIN / 2, INT32_MAX / 2, &b.offset) < 0)
		return -EINVAL;
	if (byte_opts(ps, &b, tok + 2, n - 2, true, false) < 0)
		return -EINVAL;
	sm = ps_add_sm_relative(ps, SM_BYTE_JUMP, b.relative);
	if (!sm)
		return -EINVAL;
	sm->byte = b;
	return 0;
}

int kw_byte_extract(struct parse_state *ps, char *val)
{
	struct sm_byte b = { .var = -1 };
	struct rule *r = ps->r;
	char *tok[16];
	struct sm *sm;
	int n;

	if (!val || (n = kw_split(val, tok, 16)) < 3)
		return ps_err(ps, "byte_extract needs nbytes, offset, name");
	b.value.var = -1;
	if (byte_nbytes(ps, tok[0], &b) < 0 ||
	    ps_rval(ps, tok[1], INT32_MIN / 2, INT32_MAX / 2, &b.offset) < 0)
		return -EINVAL;
	if (!isalpha((unsigned char)tok[2][0]) && tok[2][0] != '_')
		return ps_err(ps, "byte_extract: bad variable name \"%s\"", tok[2]);
	for (int i = 0; i < r->n_vars; i++)
		if (strcmp(r->var_names[i], tok[2]) == 0)
			return ps_err(ps, "byte_extract: variable \"%s\" defined twice", tok[2]);
	if (r->n_vars == RULE_MAX_VARS)
		return ps_err(ps, "more than %d byte_extract variables", RULE_MAX_VARS);
	if (byte_opts(ps, &b, tok + 3, n - 3, false, true) < 0)
		return -EINVAL;
	r->var_names[r->n_vars] = strdup(tok[2]);
	if (!r->var_names[r->n_vars])
		return -ENOMEM;
	b.var = (int8_t)r->n_vars++;
	sm = ps_add_sm_relative(ps, SM_BYTE_EXTRACT, b.relative);
	if (!sm)
		return -EINVAL;
	sm->byte = b;
	return 0;
}
