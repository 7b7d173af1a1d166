// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SecRule language: variables ("ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/re/"), operators
 * ("!@rx ..."), action lists ("id:1,phase:2,t:none,setvar:'tx.x=+1',chain") and %{...}
 * macros, parsed into struct msc_rule (msc_int.h). Directives and files are msc_load.c's.
 * Hand-written: no library parses ModSecurity's action and variable syntax.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "msc_int.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- variables ---- */

struct var_name {
	const char *name;
	uint8_t kind, idx;
};

static const struct var_name var_names[] = {
	{ "ARGS", MSC_VK_ARGS, 0 },
	{ "ARGS_NAMES", MSC_VK_ARGS_NAMES, 0 },
	{ "ARGS_GET", MSC_VK_COLL, MSC_C_ARGS_GET },
	{ "ARGS_POST", MSC_VK_COLL, MSC_C_ARGS_POST },
	{ "ARGS_GET_NAMES", MSC_VK_COLL_NAMES, MSC_C_ARGS_GET },
	{ "ARGS_POST_NAMES", MSC_VK_COLL_NAMES, MSC_C_ARGS_POST },
	{ "REQUEST_HEADERS", MSC_VK_COLL, MSC_C_REQUEST_HEADERS },
	{ "REQUEST_HEADERS_NAMES", MSC_VK_COLL_NAMES, MSC_C_REQUEST_HEADERS },
	{ "REQUEST_COOKIES", MSC_VK_COLL, MSC_C_REQUEST_COOKIES },
	{ "REQUEST_COOKIES_NAMES", MSC_VK_COLL_NAMES, MSC_C_REQUEST_COOKIES },
	{ "FILES", MSC_VK_COLL, MSC_C_FILES },
	{ "FILES_NAMES", MSC_VK_COLL_NAMES, MSC_C_FILES },
	{ "FILES_SIZES", MSC_VK_COLL, MSC_C_FILES_SIZES },
	{ "MULTIPART_PART_HEADERS", MSC_VK_COLL, MSC_C_MULTIPART_PART_HEADERS },
	{ "XML", MSC_VK_XML, MSC_C_XML },
	{ "RESPONSE_HEADERS", MSC_VK_COLL, MSC_C_RESPONSE_HEADERS },
	{ "RESPONSE_HEADERS_NAMES", MSC_VK_COLL_NAMES, MSC_C_RESPONSE_HEADERS },
	{ "REQUEST_METHOD", MSC_VK_FIELD, MSC_F_REQUEST_METHOD },
	{ "REQUEST_PROTOCOL", MSC_VK_FIELD, MSC_F_REQUEST_PROTOCOL },
	{ "REQUEST_LINE", MSC_VK_FIELD, MSC_F_REQUEST_LINE },
	{ "REQUEST_URI", MSC_VK_FIELD, MSC_F_REQUEST_URI },
	{ "REQUEST_URI_RAW", MSC_VK_FIELD, MSC_F_REQUEST_URI_RAW },
	{ "REQUEST_FILENAME", MSC_VK_FIELD, MSC_F_REQUEST_FILENAME },
	{ "REQUEST_BASENAME", MSC_VK_FIELD, MSC_F_REQUEST_BASENAME },
	{ "QUERY_STRING", MSC_VK_FIELD, MSC_F_QUERY_STRING },
	{ "REQUEST_BODY", MSC_VK_FIELD, MSC_F_REQUEST_BODY },
	{ "REQBODY_ERROR_MSG", MSC_VK_FIELD, MSC_F_REQBODY_ERROR_MSG },
	{ "REMOTE_ADDR", MSC_VK_FIELD, MSC_F_REMOTE_ADDR },
	{ "REMOTE_PORT", MSC_VK_FIELD, MSC_F_REMOTE_PORT },
	{ "SERVER_ADDR", MSC_VK_FIELD, MSC_F_SERVER_ADDR },
	{ "SERVER_PORT", MSC_VK_FIELD, MSC_F_SERVER_PORT },
	{ "RESPONSE_PROTOCOL", MSC_VK_FIELD, MSC_F_RESPONSE_PROTOCOL },
	{ "RESPONSE_STATUS", MSC_VK_FIELD, MSC_F_RESPONSE_STATUS },
	{ "STATUS_LINE", MSC_VK_FIELD, MSC_F_STATUS_LINE },
	{ "RESPONSE_BODY", MSC_VK_FIELD, MSC_F_RESPONSE_BODY },
	{ "TX", MSC_VK_TX, MSC_COLL_TX },
	{ "IP", MSC_VK_IP, MSC_COLL_IP },
	{ "GLOBAL", MSC_VK_GLOBAL, MSC_COLL_GLOBAL },
	{ "MATCHED_VAR", MSC_VK_MATCHED_VAR, 0 },
	{ "MATCHED_VAR_NAME", MSC_VK_MATCHED_VAR_NAME, 0 },
	{ "MATCHED_VARS", MSC_VK_MATCHED_VARS, 0 },
	{ "MATCHED_VARS_NAMES", MSC_VK_MATCHED_VARS_NAMES, 0 },
	{ "ARGS_COMBINED_SIZE", MSC_VK_ARGS_COMBINED_SIZE, 0 },
	{ "FILES_COMBINED_SIZE", MSC_VK_FILES_COMBINED_SIZE, 0 },
	{ "REQBODY_ERROR", MSC_VK_REQBODY_ERROR, 0 },
	{ "REQBODY_PROCESSOR_ERROR", MSC_VK_REQBODY_ERROR, 0 },
	{ "REQBODY_PROCESSOR", MSC_VK_REQBODY_PROCESSOR, 0 },
	{ "REQUEST_BODY_LENGTH", MSC_VK_REQUEST_BODY_LENGTH, 0 },
	{ "UNIQUE_ID", MSC_VK_UNIQUE_ID, 0 },
	{ "DURATION", MSC_VK_DURATION, 0 },
	{ "RULE", MSC_VK_RULE, 0 },
	{ "ENV", MSC_VK_ENV, 0 },
	{ "MULTIPART_BOUNDARY_QUOTED", MSC_VK_MULTIPART_FLAG, 0 },
	{ "MULTIPART_BOUNDARY_WHITESPACE", MSC_VK_MULTIPART_FLAG, 1 },
	{ "MULTIPART_DATA_BEFORE", MSC_VK_MULTIPART_FLAG, 2 },
	{ "MULTIPART_DATA_AFTER", MSC_VK_MULTIPART_FLAG, 3 },
	{ "MULTIPART_HEADER_FOLDING", MSC_VK_MULTIPART_FLAG, 4 },
	{ "MULTIPART_LF_LINE", MSC_VK_MULTIPART_FLAG, 5 },
	{ "MULTIPART_CRLF_LF_LINES", MSC_VK_MULTIPART_FLAG, 6 },
	{ "MULTIPART_MISSING_SEMICOLON", MSC_VK_MULTIPART_FLAG, 7 },
	{ "MULTIPART_INVALID_QUOTING", MSC_VK_MULTIPART_FLAG, 8 },
	{ "MULTIPART_INVALID_PART", MSC_VK_MULTIPART_FLAG, 9 },
	{ "MULTIPART_INVALID_HEADER_FOLDING", MSC_VK_MULTIPART_FLAG, 10 },
	{ "MULTIPART_FILE_LIMIT_EXCEEDED", MSC_VK_MULTIPART_FLAG, 11 },
	{ "MULTIPART_UNMATCHED_BOUNDARY", MSC_VK_MULTIPART_FLAG, 12 },
	{ "MULTIPART_STRICT_ERROR", MSC_VK_MULTIPART_FLAG, 13 },
};

int msc_var_lookup(const char *name, size_t len, uint8_t *ret_kind, uint8_t *ret_idx)
{
	for (size_t i = 0; i < ARRAY_SIZE(var_names); i++) {
		if (strlen(var_names[i].name) == len &&
		    strncasecmp(var_names[i].name, name, len) == 0) {
			*ret_kind = var_names[i].kind;
			*ret_idx = var_names[i].idx;
			return (int)i;
		}
	}
	return -1;
}

const char *msc_var_name(uint8_t kind, uint8_t idx)
{
	for (size_t i = 0; i < ARRAY_SIZE(var_names); i++)
		if (var_names[i].kind == kind && var_names[i].idx == idx)
			return var_names[i].name;
	return "?";
}

/* Variables that take a key selector. */
static bool var_is_collection(uint8_t kind)
{
	switch (kind) {
	case MSC_VK_COLL:
	case MSC_VK_COLL_NAMES:
	case MSC_VK_ARGS:
	case MSC_VK_ARGS_NAMES:
	case MSC_VK_TX:
	case MSC_VK_IP:
	case MSC_VK_GLOBAL:
	case MSC_VK_MATCHED_VARS:
	case MSC_VK_MATCHED_VARS_NAMES:
	case MSC_VK_XML:
	case MSC_VK_RULE:
	case MSC_VK_ENV:
		return true;
	default:
		return false;
	}
}

void msc_target_done(struct msc_target *t)
{
	if (!t)
		return;
	free(t->key);
	pcre2_code_free(t->key_re);
	free(t->text);
	*t = (struct msc_target){ 0 };
}

/*
 * The XPath selectors of XML:... that the CRS uses, evaluated over the filler's lists (the
 * engine has no document tree, see msc_request.h): "/(star)" = the text nodes (MSC_C_XML),
 * "//@(star)" = every attribute value and "//@NAME" = the values of the attributes called NAME
 * (MSC_C_XML_ATTR, document order as libxml2's XPath gives them). Any other XPath is refused
 * with an error rather than silently read as one of these.
 */
static int xml_selector(const char *s, size_t n, struct msc_target *t, char *err, size_t errlen)
{
	if (n == 2 && !memcmp(s, "/*", 2))
		return 0;
	if (n >= 4 && !memcmp(s, "//@", 3)) {
		t->idx = MSC_C_XML_ATTR;
		if (n == 4 && s[3] == '*')
			return 0;
		for (size_t i = 3; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (!(isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || ch == ':' ||
			      ch >= 0x80))
				goto unsupported;
		}
		t->key = strndup(s + 3, n - 3);
		t->key_len = n - 3;
		return t->key ? 0 : -ENOMEM;
	}
unsupported:
	seterr(err, errlen, "XML selector '%.*s' is not supported (supported: /*, //@*, //@name)",
	       (int)MIN(n, 64u), s);
	return -EOPNOTSUPP;
}

/*
 * A selector regex that is a literal: letters, digits, '_', '-' and '\/', optionally
 * anchored by a leading '^', optionally ended by ".*" or by one optional character ("X*"):
 * as neither end needs to match anything, it selects the keys holding the literal (starting
 * with it when anchored). Compiled PCRE2_CASELESS without UTF, PCRE2 folds ASCII letters
 * only: so does the literal match (msc_coll.c). The CRS's selectors are of this kind (118
 * times /__utm/ in its exclusions): each cost a PCRE2 call per key and rule.
 */
void msc_key_literal(struct msc_target *t, const char *re, size_t n)
{
	const char *p = re, *end = re + n;
	uint8_t kind = MSC_KEY_LIT_SUBSTRING;
	size_t len = 0;

	t->key_lit_kind = MSC_KEY_LIT_NONE;
	if (p < end && *p == '^') {
		kind = MSC_KEY_LIT_PREFIX;
		p++;
	}
	while (p < end) {
		char ch = *p;

		if (ch == '.' && p + 2 == end && p[1] == '*')
			break; /* trailing .* (DOTALL): anything or nothing */
		if (ch == '*' && p + 1 == end && len > 0) {
			len--; /* trailing "X*": X is optional */
			break;
		}
		if (len >= sizeof(t->key_lit))
			return;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') {
			t->key_lit[len++] = ch;
			p++;
		} else if (ch == '\\' && p + 1 < end && (p[1] == '/' || p[1] == '\\')) {
			t->key_lit[len++] = p[1]; /* \/ and \\ stand for themselves */
			p += 2;
		} else if (ch == '/') {
			t->key_lit[len++] = '/';
			p++;
		} else {
			return;
		}
	}
	t->key_lit_len = (uint8_t)len;
	t->key_lit_kind = kind;
}

/*
 * A TX/IP/GLOBAL key in small letters (ASCII, as strncasecmp() folds in the C locale): those
 * collections compare names caselessly, and the CRS sets its variables in small letters but
 * reads some in capitals (TX:EXECUTING_PARANOIA_LEVEL): a key spelt like the entry is
 * matched without folding (msc_coll.c). Its hash is caseless already.
 */
static void key_fold_coll(struct msc_target *t)
{
	if (!t->key || (t->kind != MSC_VK_TX && t->kind != MSC_VK_IP && t->kind != MSC_VK_GLOBAL))
		return;
	for (size_t i = 0; i < t->key_len; i++)
		if (t->key[i] >= 'A' && t->key[i] <= 'Z')
			t->key[i] |= 0x20;
}

/* One target "NAME[:selector]" (without '!'/'&'), N bytes. */
static int target_parse_one(const char *s, size_t n, struct msc_target *t, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	size_t nlen = colon ? (size_t)(colon - s) : n;

	if (msc_var_lookup(s, nlen, &t->kind, &t->idx) < 0) {
		seterr(err, errlen, "unknown variable '%.*s'", (int)MIN(nlen, 64u), s);
		return -EOPNOTSUPP;
	}
	t->text = strndup(s, n);
	if (!t->text)
		return -ENOMEM;
	t->cname = msc_var_name(t->kind, t->idx);
	if (!colon)
		return 0;
	if (!var_is_collection(t->kind)) {
		seterr(err, errlen, "variable '%.*s' takes no selector", (int)nlen, s);
		return -EINVAL;
	}
	s = colon + 1;
	n -= nlen + 1;
	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') {
		s++;
		n -= 2;
	}
	if (n == 0) {
		seterr(err, errlen, "empty selector after '%.*s:'", (int)nlen, colon - nlen);
		return -EINVAL;
	}
	if (t->kind == MSC_VK_XML)
		return xml_selector(s, n, t, err, errlen);
	if (n >= 2 && s[0] == '/' && s[n - 1] == '/') {
		int ec;
		PCRE2_SIZE eo;

		t->key_re = pcre2_compile((PCRE2_SPTR)s + 1, n - 2, PCRE2_CASELESS | PCRE2_DOTALL,
					  &ec, &eo, NULL);
		if (!t->key_re) {
			char msg[128];

			pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
			seterr(err, errlen, "selector regex /%.*s/: %s at offset %zu",
			       (int)MIN(n - 2, 64u), s + 1, msg, (size_t)eo);
			return -EINVAL;
		}
		/* else interpreted */
		t->key_re_jit = pcre2_jit_compile(t->key_re, PCRE2_JIT_COMPLETE) == 0;
		msc_key_literal(t, s + 1, n - 2);
		return 0;
	}
	t->key = strndup(s, n);
	if (!t->key)
		return -ENOMEM;
	t->key_len = n;
	t->key_hash = msc_name_hash(s, n);
	key_fold_coll(t);
	return 0;
}

int msc_parse_targets(const char *s, struct msc_target **ret, size_t *ret_n, char *err,
		      size_t errlen)
{
	struct msc_target *v = NULL;
	size_t n = 0;
	int r = 0;

	while (*s) {
		const char *start, *p;
		bool excl = false, count = false, in_re = false;
		char quote = 0;
		struct msc_target t = { 0 };

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '!') {
			excl = true;
			s++;
		} else if (*s == '&') {
			count = true;
			s++;
		}
		start = s;
		/* '|' ends a target except inside a quoted or /regex/ selector */
		for (p = s; *p; p++) {
			if (quote) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == quote)
					quote = 0;
				continue;
			}
			if (in_re) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '/' && (p[1] == '|' || p[1] == '\0' || p[1] == ' '))
					in_re = false;
				continue;
			}
			if (*p == '|')
				break;
			if (*p == ':' && p[1] == '\'') {
				quote = '\'';
				p++;
			} else if (*p == ':' && p[1] == '/' &&
				   !(p - s == 3 && !strncasecmp(s, "XML", 3))) {
				in_re = true;
				p++;
			}
		}
		{
			const char *e = p;

			while (e > start && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e == start) {
				seterr(err, errlen, "empty variable in '%s'", start);
				r = -EINVAL;
				goto fail;
			}
			if (n >= MSC_TARGETS_MAX) {
				seterr(err, errlen, "more than %d variables", MSC_TARGETS_MAX);
				r = -E2BIG;
				goto fail;
			}
			r = target_parse_one(start, (size_t)(e - start), &t, err, errlen);
			if (r < 0) {
				msc_target_done(&t);
				goto fail;
			}
		}
		t.exclude = excl;
		t.count = count;
		{
			struct msc_target *nv = realloc(v, (n + 1) * sizeof(*nv));

			if (!nv) {
				msc_target_done(&t);
				r = -ENOMEM;
				goto fail;
			}
			v = nv;
			v[n++] = t;
		}
		s = *p == '|' ? p + 1 : p;
	}
	if (n == 0) {
		seterr(err, errlen, "no variable");
		r = -EINVAL;
		goto fail;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		msc_target_done(&v[i]);
	free(v);
	return r;
}

/* ---- macros ---- */

void msc_macro_done(struct msc_macro *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->parts[i].lit);
		msc_target_done(&m->parts[i].var);
	}
	free(m->parts);
	free(m->raw);
	*m = (struct msc_macro){ 0 };
}

static int macro_push(struct msc_macro *m, struct msc_mpart *p)
{
	struct msc_mpart *nv = realloc(m->parts, (m->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	m->parts = nv;
	m->parts[m->n++] = *p;
	return 0;
}

int msc_macro_parse(const char *s, struct msc_macro *m, char *err, size_t errlen)
{
	const char *p = s;
	int r;

	*m = (struct msc_macro){ 0 };
	m->raw = strdup(s);
	if (!m->raw)
		return -ENOMEM;
	m->raw_len = strlen(s);
	m->raw_hash = msc_name_hash(s, m->raw_len);
	while (*p) {
		const char *open = strstr(p, "%{"), *close;
		struct msc_mpart part = { 0 };

		if (open)
			close = strchr(open + 2, '}');
		if (!open || !close) {
			part.lit = strdup(p);
			part.lit_len = strlen(p);
			if (!part.lit || macro_push(m, &part) < 0) {
				free(part.lit);
				r = -ENOMEM;
				goto fail;
			}
			break;
		}
		if (open > p) {
			part.lit = strndup(p, (size_t)(open - p));
			part.lit_len = (size_t)(open - p);
			if (!part.lit || macro_push(m, &part) < 0) {
				free(part.lit);
				r = -ENOMEM;
				goto fail;
			}
			part = (struct msc_mpart){ 0 };
		}
		{
			/* %{COLL.key} or %{VAR}: the '.' separates the key */
			const char *name = open + 2,
				   *dot = memchr(name, '.', (size_t)(close - name));
			size_t nlen = dot ? (size_t)(dot - name) : (size_t)(close - name);

			if (msc_var_lookup(name, nlen, &part.var.kind, &part.var.idx) < 0) {
				seterr(err, errlen, "unknown variable in macro %%{%.*s}",
				       (int)MIN((size_t)(close - name), 64u), name);
				r = -EOPNOTSUPP;
				goto fail;
			}
			part.var.text = strndup(name, (size_t)(close - name));
			part.var.cname = msc_var_name(part.var.kind, part.var.idx);
			if (dot) {
				part.var.key = strndup(dot + 1, (size_t)(close - dot - 1));
				part.var.key_len = (size_t)(close - dot - 1);
				part.var.key_hash = msc_name_hash(dot + 1, part.var.key_len);
				key_fold_coll(&part.var);
			}
			if (!part.var.text || (dot && !part.var.key) || macro_push(m, &part) < 0) {
				msc_target_done(&part.var);
				r = -ENOMEM;
				goto fail;
			}
			m->dynamic = true;
		}
		p = close + 1;
	}
	return 0;
fail:
	msc_macro_done(m);
	return r;
}

/* ---- operators ---- */

static const struct {
	const char *name;
	uint8_t op;
	bool needs_arg;
} op_names[] = {
	{ "rx", MSC_OP_RX, false },
	{ "pm", MSC_OP_PM, true },
	{ "pmFromFile", MSC_OP_PMFROMFILE, true },
	{ "pmf", MSC_OP_PMFROMFILE, true },
	{ "contains", MSC_OP_CONTAINS, false },
	{ "containsWord", MSC_OP_CONTAINS_WORD, false },
	{ "beginsWith", MSC_OP_BEGINS_WITH, false },
	{ "endsWith", MSC_OP_ENDS_WITH, false },
	{ "streq", MSC_OP_STREQ, false },
	{ "eq", MSC_OP_EQ, false },
	{ "ge", MSC_OP_GE, false },
	{ "gt", MSC_OP_GT, false },
	{ "lt", MSC_OP_LT, false },
	{ "le", MSC_OP_LE, false },
	{ "within", MSC_OP_WITHIN, false },
	{ "ipMatch", MSC_OP_IPMATCH, true },
	{ "validateByteRange", MSC_OP_VALIDATE_BYTE_RANGE, true },
	{ "validateUrlEncoding", MSC_OP_VALIDATE_URL_ENCODING, false },
	{ "validateUtf8Encoding", MSC_OP_VALIDATE_UTF8, false },
	{ "detectSQLi", MSC_OP_DETECT_SQLI, false },
	{ "detectXSS", MSC_OP_DETECT_XSS, false },
	{ "unconditionalMatch", MSC_OP_UNCONDITIONAL, false },
	{ "noMatch", MSC_OP_NOMATCH, false },
};

const char *msc_op_name(uint8_t op)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
		if (op_names[i].op == op)
			return op_names[i].name;
	return "?";
}

int msc_parse_operator(const char *s, struct msc_rule *r, char *err, size_t errlen)
{
	const char *name, *arg;
	size_t nlen;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '!') {
		r->op_neg = true;
		s++;
	}
	if (*s != '@') {
		r->op = MSC_OP_RX;
		r->op_arg = strdup(s);
		r->op_arg_len = strlen(s);
		return r->op_arg ? 0 : -ENOMEM;
	}
	name = s + 1;
	for (arg = name; *arg && *arg != ' ' && *arg != '\t'; arg++)
		;
	nlen = (size_t)(arg - name);
	while (*arg == ' ' || *arg == '\t')
		arg++;
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (strlen(op_names[i].name) != nlen || strncasecmp(op_names[i].name, name, nlen))
			continue;
		if (op_names[i].needs_arg && !*arg) {
			seterr(err, errlen, "@%s needs an argument", op_names[i].name);
			return -EINVAL;
		}
		r->op = op_names[i].op;
		r->op_arg = strdup(arg);
		if (!r->op_arg)
			return -ENOMEM;
		r->op_arg_len = strlen(arg);
		if (strstr(arg, "%{")) {
			int rc = msc_macro_parse(arg, &r->op_macro, err, errlen);

			if (rc < 0)
				return rc;
		}
		return 0;
	}
	seterr(err, errlen, "operator @%.*s is not supported", (int)MIN(nlen, 64u), name);
	return -EOPNOTSUPP;
}

/* ---- actions ---- */

static const char *const severities[] = { "EMERGENCY", "ALERT",	 "CRITICAL", "ERROR",
					  "WARNING",   "NOTICE", "INFO",     "DEBUG" };

const char *msc_severity_name(int sev)
{
	return sev >= 0 && sev < 8 ? severities[sev] : NULL;
}

/*
 * Split the next action off *PP: NAME and VALUE (NUL-terminated, in BUF). ModSecurity v2
 * quoting: a value in single quotes ends at the next unescaped quote, \' and \\ are the
 * quote and the backslash (other backslashes are kept); otherwise it ends at ','.
 */
static int next_action(const char **pp, char *buf, char **ret_name, char **ret_value, char *err,
		       size_t errlen)
{
	const char *p = *pp;
	char *w = buf;

	while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r')
		p++;
	if (!*p)
		return 0;
	*ret_name = w;
	while (*p && *p != ':' && *p != ',' && *p != ' ' && *p != '\t')
		*w++ = *p++;
	*w++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	*ret_value = NULL;
	if (*p == ':') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		*ret_value = w;
		if (*p == '\'') {
			p++;
			for (;;) {
				if (!*p) {
					seterr(err, errlen, "action '%s': missing closing quote",
					       *ret_name);
					return -EINVAL;
				}
				if (*p == '\\' && (p[1] == '\'' || p[1] == '\\')) {
					*w++ = p[1];
					p += 2;
				} else if (*p == '\'') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
		} else {
			while (*p && *p != ',')
				*w++ = *p++;
			while (w > *ret_value && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
		}
		*w = '\0';
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != ',') {
		seterr(err, errlen, "action '%s': unexpected '%c' after the value", *ret_name, *p);
		return -EINVAL;
	}
	*pp = p;
	return 1;
}

static int parse_uint(const char *v, uint64_t max, uint64_t *ret)
{
	uint64_t x;

	if (!v || parse_u64(v, 0, max, &x) < 0)
		return -EINVAL;
	*ret = x;
	return 0;
}

static int add_tfn_name(char **names, const char *v)
{
	size_t old = 0, add = strlen(v) + 1;
	char *nb;

	if (*names)
		for (const char *p = *names; *p; p += strlen(p) + 1)
			old += strlen(p) + 1;
	nb = realloc(*names, old + add + 1);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + old, v, add);
	nb[old + add] = '\0';
	*names = nb;
	return 0;
}

static int parse_setvar(const char *v, struct msc_rule *r, bool expire, char *err, size_t errlen)
{
	struct msc_setvar sv = { 0 };
	const char *dot, *eq;
	_cleanup_free_ char *name = NULL;
	struct msc_setvar *nv;
	int rc;

	if (*v == '!') {
		sv.op = MSC_SV_DEL;
		v++;
	}
	dot = strchr(v, '.');
	if (!dot) {
		seterr(err, errlen, "setvar '%s': expected COLLECTION.name", v);
		return -EINVAL;
	}
	if ((size_t)(dot - v) == 2 && !strncasecmp(v, "tx", 2))
		sv.coll = MSC_COLL_TX;
	else if ((size_t)(dot - v) == 2 && !strncasecmp(v, "ip", 2))
		sv.coll = MSC_COLL_IP;
	else if ((size_t)(dot - v) == 6 && !strncasecmp(v, "global", 6))
		sv.coll = MSC_COLL_GLOBAL;
	else {
		seterr(err, errlen, "setvar '%s': collection '%.*s' is not supported", v,
		       (int)(dot - v), v);
		return -EOPNOTSUPP;
	}
	eq = strchr(dot + 1, '=');
	if (sv.op == MSC_SV_DEL) {
		if (eq) {
			seterr(err, errlen, "setvar '!%s': a deletion takes no value", v);
			return -EINVAL;
		}
		name = strdup(dot + 1);
	} else if (!eq) {
		/* "setvar:tx.x" sets the variable to 1... v2 sets it empty; v3 too: keep "" */
		name = strdup(dot + 1);
		rc = msc_macro_parse("", &sv.value, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		const char *val = eq + 1;

		name = strndup(dot + 1, (size_t)(eq - dot - 1));
		if (!expire && *val == '+') {
			sv.op = MSC_SV_ADD;
			val++;
		} else if (!expire && *val == '-') {
			sv.op = MSC_SV_SUB;
			val++;
		}
		rc = msc_macro_parse(val, &sv.value, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (!name) {
		msc_macro_done(&sv.value);
		return -ENOMEM;
	}
	if (!*name) {
		msc_macro_done(&sv.value);
		seterr(err, errlen, "setvar: empty variable name");
		return -EINVAL;
	}
	if (expire) {
		sv.op = MSC_SV_EXPIRE;
	}
	rc = msc_macro_parse(name, &sv.name, err, errlen);
	if (rc < 0) {
		msc_macro_done(&sv.value);
		return rc;
	}
	nv = realloc(r->sv, (r->n_sv + 1) * sizeof(*nv));
	if (!nv) {
		msc_macro_done(&sv.name);
		msc_macro_done(&sv.value);
		return -ENOMEM;
	}
	r->sv = nv;
	r->sv[r->n_sv++] = sv;
	return 0;
}

static int parse_id_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || end == s || a > UINT32_MAX)
		return -EINVAL;
	b = a;
	if (*end == '-') {
		const char *s2 = end + 1;

		b = strtoul(s2, &end, 10);
		if (errno || end == s2 || b > UINT32_MAX || b < a)
			return -EINVAL;
	}
	while (*end == ' ')
		end++;
	if (*end)
		return -EINVAL;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
}

int msc_parse_body_processor(const char *v)
{
	if (!strcasecmp(v, "URLENCODED"))
		return MSC_BODY_URLENCODED;
	if (!strcasecmp(v, "MULTIPART"))
		return MSC_BODY_MULTIPART;
	if (!strcasecmp(v, "JSON"))
		return MSC_BODY_JSON;
	if (!strcasecmp(v, "XML"))
		return MSC_BODY_XML;
	return -1;
}

int msc_parse_engine_mode(const char *v)
{
	if (!strcasecmp(v, "On"))
		return MSC_ENGINE_ON;
	if (!strcasecmp(v, "Off"))
		return MSC_ENGINE_OFF;
	if (!strcasecmp(v, "DetectionOnly"))
		return MSC_ENGINE_DETECTION_ONLY;
	return -1;
}

static int parse_onoff(const char *v)
{
	if (!strcasecmp(v, "On"))
		return 1;
	if (!strcasecmp(v, "Off"))
		return 0;
	return -1;
}

static int parse_ctl(const char *v, struct msc_rule *r, char *err, size_t errlen)
{
	struct msc_ctl c = { 0 };
	const char *eq = strchr(v, '=');
	const char *val = eq ? eq + 1 : "";
	size_t nlen = eq ? (size_t)(eq - v) : strlen(v);
	struct msc_ctl *nv;
	int rc;

#define IS(s) (nlen == strlen(s) && !strncasecmp(v, s, nlen))
	if (!eq) {
		seterr(err, errlen, "ctl '%s': expected option=value", v);
		return -EINVAL;
	}
	if (IS("ruleEngine")) {
		c.kind = MSC_CTL_RULE_ENGINE;
		c.value = msc_parse_engine_mode(val);
	} else if (IS("requestBodyProcessor")) {
		c.kind = MSC_CTL_BODY_PROCESSOR;
		c.value = msc_parse_body_processor(val);
	} else if (IS("forceRequestBodyVariable")) {
		c.kind = MSC_CTL_FORCE_BODY;
		c.value = parse_onoff(val);
	} else if (IS("requestBodyAccess")) {
		c.kind = MSC_CTL_REQUEST_BODY_ACCESS;
		c.value = parse_onoff(val);
	} else if (IS("ruleRemoveById")) {
		c.kind = MSC_CTL_REMOVE_BY_ID;
		c.value = parse_id_range(val, &c.id_lo, &c.id_hi) < 0 ? -1 : 0;
	} else if (IS("ruleRemoveByTag")) {
		c.kind = MSC_CTL_REMOVE_BY_TAG;
		c.tag = strdup(val);
		if (!c.tag)
			return -ENOMEM;
	} else if (IS("ruleRemoveTargetById") || IS("ruleRemoveTargetByTag")) {
		const char *semi = strchr(val, ';');
		struct msc_target *t = NULL;
		size_t n = 0;

		c.kind = IS("ruleRemoveTargetById") ? MSC_CTL_REMOVE_TARGET_BY_ID :
						      MSC_CTL_REMOVE_TARGET_BY_TAG;
		if (!semi) {
			seterr(err, errlen, "ctl '%s': expected ID;VARIABLE", v);
			return -EINVAL;
		}
		if (c.kind == MSC_CTL_REMOVE_TARGET_BY_ID) {
			_cleanup_free_ char *ids = strndup(val, (size_t)(semi - val));

			if (!ids)
				return -ENOMEM;
			if (parse_id_range(ids, &c.id_lo, &c.id_hi) < 0) {
				seterr(err, errlen, "ctl '%s': bad rule id", v);
				return -EINVAL;
			}
		} else {
			c.tag = strndup(val, (size_t)(semi - val));
			if (!c.tag)
				return -ENOMEM;
		}
		rc = msc_parse_targets(semi + 1, &t, &n, err, errlen);
		if (rc < 0) {
			free(c.tag);
			return rc;
		}
		if (n != 1) {
			for (size_t i = 0; i < n; i++)
				msc_target_done(&t[i]);
			free(t);
			free(c.tag);
			seterr(err, errlen, "ctl '%s': one variable expected", v);
			return -EINVAL;
		}
		c.target = t[0];
		free(t);
	} else if (IS("auditLogParts") || IS("auditEngine") || IS("debugLogLevel")) {
		c.kind = MSC_CTL_IGNORED;
	} else {
		seterr(err, errlen, "ctl option '%.*s' is not supported", (int)MIN(nlen, 64u), v);
		return -EOPNOTSUPP;
	}
#undef IS
	if (c.value < 0) {
		seterr(err, errlen, "ctl '%s': bad value", v);
		free(c.tag);
		msc_target_done(&c.target);
		return -EINVAL;
	}
	nv = realloc(r->ctl, (r->n_ctl + 1) * sizeof(*nv));
	if (!nv) {
		free(c.tag);
		msc_target_done(&c.target);
		return -ENOMEM;
	}
	r->ctl = nv;
	r->ctl[r->n_ctl++] = c;
	return 0;
}

static int set_string(char **dst, const char *v)
{
	char *s = strdup(v ? v : "");

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int msc_parse_actions(const char *s, struct msc_rule *r, struct msc_action_ctx *ac, char *err,
		      size_t errlen)
{
	_cleanup_free_ char *buf = malloc(strlen(s) * 2 + 2);
	const char *p = s;
	int rc;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		char *name, *v;
		uint64_t x;

		rc = next_action(&p, buf, &name, &v, err, errlen);
		if (rc <= 0)
			return rc;
#define IS(s) (!strcasecmp(name, s))
#define NEEDV()                                                                 \
	do {                                                                    \
		if (!v) {                                                       \
			seterr(err, errlen, "action '%s' needs a value", name); \
			return -EINVAL;                                         \
		}                                                               \
	} while (0)
		if (IS("id")) {
			if (parse_uint(v, UINT32_MAX, &x) < 0 || x == 0) {
				seterr(err, errlen, "bad rule id '%s'", v ? v : "");
				return -EINVAL;
			}
			r->id = (uint32_t)x;
			ac->has_id = true;
		} else if (IS("phase")) {
			NEEDV();
			if (!strcasecmp(v, "request"))
				x = 2;
			else if (!strcasecmp(v, "response"))
				x = 4;
			else if (!strcasecmp(v, "logging"))
				x = 5;
			else if (parse_uint(v, 5, &x) < 0 || x == 0) {
				seterr(err, errlen, "bad phase '%s'", v);
				return -EINVAL;
			}
			r->phase = (uint8_t)x;
			ac->has_phase = true;
		} else if (IS("msg") || IS("logdata")) {
			struct msc_macro *m = IS("msg") ? &r->msg : &r->logdata;

			NEEDV();
			msc_macro_done(m);
			rc = msc_macro_parse(v, m, err, errlen);
			if (rc < 0)
				return rc;
		} else if (IS("severity")) {
			NEEDV();
			r->severity = -1;
			for (int i = 0; i < 8; i++)
				if (!strcasecmp(v, severities[i]))
					r->severity = i;
			if (r->severity < 0 && parse_uint(v, 7, &x) == 0)
				r->severity = (int)x;
			if (r->severity < 0) {
				seterr(err, errlen, "bad severity '%s'", v);
				return -EINVAL;
			}
		} else if (IS("tag")) {
			char **nv;

			NEEDV();
			nv = realloc(r->tags, (r->n_tags + 1) * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			r->tags = nv;
			r->tags[r->n_tags] = strdup(v);
			if (!r->tags[r->n_tags])
				return -ENOMEM;
			r->n_tags++;
		} else if (IS("ver") || IS("rev") || IS("maturity") || IS("accuracy")) {
			char **dst = IS("ver")	    ? &r->ver :
				     IS("rev")	    ? &r->rev :
				     IS("maturity") ? &r->maturity :
						      &r->accuracy;

			if (set_string(dst, v) < 0)
				return -ENOMEM;
		} else if (IS("pass")) {
			r->disr = MSC_DISR_PASS;
		} else if (IS("block")) {
			r->disr = MSC_DISR_BLOCK;
		} else if (IS("deny")) {
			r->disr = MSC_DISR_DENY;
		} else if (IS("drop")) {
			r->disr = MSC_DISR_DROP;
		} else if (IS("allow")) {
			r->disr = MSC_DISR_ALLOW;
		} else if (IS("redirect")) {
			NEEDV();
			r->disr = MSC_DISR_REDIRECT;
		} else if (IS("status")) {
			if (parse_uint(v, 999, &x) < 0 || x < 100) {
				seterr(err, errlen, "bad status '%s'", v ? v : "");
				return -EINVAL;
			}
			r->status = (int)x;
		} else if (IS("log")) {
			r->log = 1;
		} else if (IS("nolog")) {
			r->log = 0;
		} else if (IS("auditlog")) {
			r->auditlog = true;
		} else if (IS("noauditlog")) {
			r->auditlog = false;
		} else if (IS("capture")) {
			r->capture = true;
		} else if (IS("multiMatch")) {
			r->multi_match = true;
		} else if (IS("chain")) {
			r->chain = true;
		} else if (IS("skip")) {
			if (parse_uint(v, 1000000, &x) < 0 || x == 0) {
				seterr(err, errlen, "bad skip count '%s'", v ? v : "");
				return -EINVAL;
			}
			r->skip = (int)x;
		} else if (IS("skipAfter")) {
			NEEDV();
			if (set_string(&r->skip_after, v) < 0)
				return -ENOMEM;
		} else if (IS("setvar") || IS("expirevar")) {
			NEEDV();
			rc = parse_setvar(v, r, IS("expirevar"), err, errlen);
			if (rc < 0)
				return rc;
		} else if (IS("ctl")) {
			NEEDV();
			rc = parse_ctl(v, r, err, errlen);
			if (rc < 0)
				return rc;
		} else if (IS("t")) {
			NEEDV();
			if (!strcasecmp(v, "none")) {
				free(r->tfn_names);
				r->tfn_names = NULL;
				ac->t_none = true;
			} else if (add_tfn_name(&r->tfn_names, v) < 0) {
				return -ENOMEM;
			}
		} else if (IS("initcol")) {
			NEEDV();
			if (!strncasecmp(v, "ip=", 3)) {
				msc_macro_done(&r->initcol_ip);
				rc = msc_macro_parse(v + 3, &r->initcol_ip, err, errlen);
				if (rc < 0)
					return rc;
				r->has_initcol_ip = true;
			} else if (strncasecmp(v, "global=", 7)) {
				seterr(err, errlen,
				       "initcol '%s': only ip and global are supported", v);
				return -EOPNOTSUPP;
			}
		} else if (IS("noauditlog") || IS("sanitiseArg") || IS("sanitizeArg") ||
			   IS("sanitiseMatched") || IS("sanitizeMatched") || IS("xmlns") ||
			   IS("sanitiseMatchedBytes") || IS("sanitizeMatchedBytes")) {
			/* logging only: nothing to do here */
		} else {
			seterr(err, errlen, "action '%s' is not supported", name);
			return -EOPNOTSUPP;
		}
#undef IS
#undef NEEDV
	}
}

/* Does the action list contain 'chain'? For skipping the rest of a broken chain. */
bool msc_actions_have_chain(const char *s)
{
	const char *p = s;

	while ((p = strcasestr(p, "chain"))) {
		bool start = p == s || p[-1] == ',' || p[-1] == ' ' || p[-1] == '\t' ||
			     p[-1] == '"' || p[-1] == '\n';
		bool end = !p[5] || p[5] == ',' || p[5] == ' ' || p[5] == '\t' || p[5] == '"' ||
			   p[5] == '\n';

		if (start && end)
			return true;
		p += 5;
	}
	return false;
}

void msc_rule_free(struct msc_rule *r)
{
	while (r) {
		struct msc_rule *next = r->next;

		free(r->marker);
		for (size_t i = 0; i < r->n_t; i++)
			msc_target_done(&r->t[i]);
		free(r->t);
		free(r->op_arg);
		msc_macro_done(&r->op_macro);
		msc_rule_free_compiled(r);
		free(r->tfn_names);
		msc_macro_done(&r->msg);
		msc_macro_done(&r->logdata);
		for (size_t i = 0; i < r->n_tags; i++)
			free(r->tags[i]);
		free(r->tags);
		free(r->ver);
		free(r->rev);
		free(r->maturity);
		free(r->accuracy);
		free(r->skip_after);
		for (size_t i = 0; i < r->n_sv; i++) {
			msc_macro_done(&r->sv[i].name);
			msc_macro_done(&r->sv[i].value);
		}
		free(r->sv);
		for (size_t i = 0; i < r->n_ctl; i++) {
			free(r->ctl[i].tag);
			msc_target_done(&r->ctl[i].target);
		}
		free(r->ctl);
		msc_macro_done(&r->initcol_ip);
		free(r->file);
		free(r);
		r = next;
	}
}
