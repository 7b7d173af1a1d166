// SPDX-License-Identifier: GPL-2.0-only
/* ModSecurity variables, phase 2: the request body through the processor ModSecurity would
 * pick (urlencoded, multipart/form-data via libhtp, JSON via jansson, XML via libxml2). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <htp/htp.h>
#include <htp/htp_multipart.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "msc_vars.h"
#include "msc_vars_int.h"

static void body_error(struct msc_vars *v, struct msc_request *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void body_error(struct msc_vars *v, struct msc_request *out, const char *fmt, ...)
{
	va_list ap;

	if (out->reqbody_error)
		return; /* the first error is the message */
	va_start(ap, fmt);
	vsnprintf(v->errmsg, sizeof(v->errmsg), fmt, ap);
	va_end(ap);
	out->reqbody_error = true;
	out->f[MSC_F_REQBODY_ERROR_MSG] = mv_cstr(v->errmsg);
	v->st.body_errors++;
}

static struct msc_str bstr_view(const bstr *b)
{
	return b ? (struct msc_str){ bstr_ptr(b), bstr_len(b) } : (struct msc_str){ 0 };
}

/* ---- multipart ---- */

static bool sp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* ModSecurity's Content-Disposition checks, which libhtp's parser does not report (it
 * tolerates both): a parameter not preceded by ';' (MULTIPART_MISSING_SEMICOLON), and a
 * value whose quoting is broken: an unquoted value holding a quote, an unterminated quoted
 * value, or a backslash escaping anything but '"' or '\' (MULTIPART_INVALID_QUOTING). */
static uint32_t check_disposition(struct msc_str cd)
{
	const uint8_t *p = cd.ptr, *e = cd.ptr + cd.len;
	uint32_t flags = 0;

	if (cd.len < 9 || strncasecmp((const char *)p, "form-data", 9))
		return MSC_MP_INVALID_PART;
	p += 9;
	while (p < e) {
		while (p < e && sp(*p))
			p++;
		if (p == e)
			break;
		if (*p == ';')
			p++;
		else
			flags |= MSC_MP_MISSING_SEMICOLON;
		while (p < e && sp(*p))
			p++;
		while (p < e && *p != '=' && *p != ';' && !sp(*p))
			p++;
		while (p < e && sp(*p))
			p++;
		if (p == e || *p != '=')
			continue;
		p++;
		while (p < e && sp(*p))
			p++;
		if (p < e && *p == '"') {
			for (p++; p < e && *p != '"'; p++) {
				if (*p == '\\') {
					if (p + 1 < e && (p[1] == '"' || p[1] == '\\'))
						p++;
					else
						flags |= MSC_MP_INVALID_QUOTING;
				}
			}
			if (p == e)
				flags |= MSC_MP_INVALID_QUOTING;
			else
				p++;
		} else {
			for (; p < e && *p != ';' && !sp(*p); p++)
				if (*p == '"' || *p == '\'')
					flags |= MSC_MP_INVALID_QUOTING;
		}
	}
	return flags;
}

/* The boundary parameter of the Content-Type as ModSecurity judges it: whitespace around
 * '=' or inside the value (MULTIPART_BOUNDARY_WHITESPACE), a quoted value
 * (MULTIPART_BOUNDARY_QUOTED). libhtp accepts both and folds them into its "unusual" flag
 * with other cases, so they are checked here. */
static uint32_t boundary_flags(struct msc_str ct)
{
	for (size_t i = 0; i + 8 <= ct.len; i++) {
		uint32_t f = 0;
		size_t j;

		if (strncasecmp((const char *)ct.ptr + i, "boundary", 8))
			continue;
		j = i + 8;
		while (j < ct.len && sp(ct.ptr[j])) {
			f |= MSC_MP_BOUNDARY_WHITESPACE;
			j++;
		}
		if (j >= ct.len || ct.ptr[j] != '=')
			continue;
		j++;
		while (j < ct.len && sp(ct.ptr[j])) {
			f |= MSC_MP_BOUNDARY_WHITESPACE;
			j++;
		}
		if (j < ct.len && ct.ptr[j] == '"')
			f |= MSC_MP_BOUNDARY_QUOTED;
		for (; j < ct.len && ct.ptr[j] != ';' && ct.ptr[j] != ','; j++)
			if (sp(ct.ptr[j]) && !(f & MSC_MP_BOUNDARY_QUOTED))
				f |= MSC_MP_BOUNDARY_WHITESPACE;
		return f;
	}
	return 0;
}

/* Line checks libhtp's parser does not make as libmodsecurity does:
 * - MULTIPART_UNMATCHED_BOUNDARY: a line starting with "--" that is not the boundary, or a
 *   line holding "--boundary" elsewhere, when no matching boundary line follows it
 *   (libmodsecurity's last event wins; its value 2, "a later boundary matched", set on
 *   nearly every body, has no bit in the contract);
 * - "--" + quote or whitespace + boundary, or a boundary line with bytes after it: a
 *   REQBODY_ERROR, as libmodsecurity;
 * - MULTIPART_DATA_AFTER: bytes after the line of the final boundary (libhtp drops them);
 * - MULTIPART_LF_LINE, MULTIPART_CRLF_LF_LINES from boundary and part header lines only
 *   (libhtp also counts part data lines, which libmodsecurity does not).
 * Returns the flags; *RET_ERR is set to a message on a boundary error. */
static uint32_t scan_lines(struct msc_str body, const uint8_t *bnd, size_t blen,
			   const char **ret_err)
{
	const uint8_t *p = body.ptr, *e = body.ptr + body.len;
	bool in_headers = false, lf = false, crlf = false, unmatched = false;
	size_t nbound = 0;
	uint32_t f = 0;

	while (p < e) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
		bool cr = len && p[len - 1] == '\r', bline = false;
		size_t full = len + (nl ? 1 : 0);

		if (cr)
			len--;
		if (full > 3 && p[0] == '-' && p[1] == '-') {
			if (len >= 2 + blen && !memcmp(p + 2, bnd, blen)) {
				size_t rest = len - 2 - blen;
				bool fin = rest >= 2 && p[2 + blen] == '-' && p[3 + blen] == '-';

				if (rest != (fin ? 2u : 0u) || (!nl && !fin)) {
					*ret_err = "Multipart parsing error: invalid boundary";
					return f;
				}
				if (nbound++)
					unmatched = false;
				bline = true;
				if (nl) {
					lf |= !cr;
					crlf |= cr;
				}
				if (fin) {
					if (nl && nl + 1 < e)
						f |= MSC_MP_DATA_AFTER;
					break;
				}
				in_headers = true;
			} else {
				const uint8_t *q = p + 2;

				if (len >= 3 + blen && p[2] == '"' && !memcmp(p + 3, bnd, blen)) {
					*ret_err =
						"Multipart parsing error: invalid boundary (quotes)";
					return f;
				}
				while (q < p + len && (*q == ' ' || *q == '\t'))
					q++;
				if (q != p + 2 && (size_t)(p + len - q) >= blen &&
				    !memcmp(q, bnd, blen)) {
					*ret_err =
						"Multipart parsing error: invalid boundary (whitespace)";
					return f;
				}
				unmatched = true;
			}
		} else if (len >= 2 + blen) {
			for (size_t i = 0; i + 2 + blen <= len; i++) {
				if (p[i] == '-' && p[i + 1] == '-' &&
				    !memcmp(p + i + 2, bnd, blen)) {
					unmatched = true;
					break;
				}
			}
		}
		if (in_headers && !bline) {
			if (nl) {
				lf |= !cr;
				crlf |= cr;
			}
			if (!len)
				in_headers = false;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (unmatched)
		f |= MSC_MP_UNMATCHED_BOUNDARY;
	if (lf)
		f |= MSC_MP_LF_LINE;
	if (lf && crlf)
		f |= MSC_MP_CRLF_LF_LINES;
	return f;
}

/* MULTIPART_PART_HEADERS: one "Name: value" line per part header. libmodsecurity 3 keeps
 * the line's CRLF/LF; it is left out here (as ModSecurity v2, the CRS's reference, whose
 * regex semantics - '$' only at the very end - the SecRule engine follows: with the line
 * ending kept, 922150 captures "type\n" and 922110 fires on its own test 922110-2). */
static int part_headers(struct msc_vars *v, struct msc_str name, htp_table_t *h)
{
	size_t n = h ? htp_table_size(h) : 0;

	for (size_t i = 0; i < n; i++) {
		htp_header_t *hd = htp_table_get_index(h, i, NULL);
		uint8_t *d;
		size_t hl, vl;
		int r;

		if (!hd || !hd->name || !hd->value)
			continue;
		hl = bstr_len(hd->name);
		vl = bstr_len(hd->value);
		d = mv_alloc(v, hl + 2 + vl);
		if (!d)
			return 0;
		memcpy(d, bstr_ptr(hd->name), hl);
		memcpy(d + hl, ": ", 2);
		memcpy(d + hl + 2, bstr_ptr(hd->value), vl);
		r = mv_add(v, MSC_C_MULTIPART_PART_HEADERS, name,
			   (struct msc_str){ d, hl + 2 + vl });
		if (r < 0)
			return r;
	}
	return 0;
}

static int body_multipart(struct msc_vars *v, struct msc_str body, struct msc_request *out)
{
	struct msc_str ct = mv_content_type(out);
	bstr *ctb = NULL, *boundary = NULL;
	uint64_t hflags = 0, f;
	htp_mpartp_t *mp = NULL;
	htp_multipart_t *m;
	uint32_t mf = 0, files = 0;
	const char *berr = NULL;
	size_t nparts;
	int r = 0;

	if (!ct.ptr) {
		body_error(v, out, "Multipart parsing error: no Content-Type");
		return 0;
	}
	ctb = bstr_dup_mem(ct.ptr, ct.len);
	if (!ctb)
		goto oom;
	if (htp_mpartp_find_boundary(ctb, &boundary, &hflags) != HTP_OK || !boundary) {
		body_error(v, out, "Multipart parsing error: boundary not found in C-T");
		goto out;
	}
	if (hflags & HTP_MULTIPART_HBOUNDARY_INVALID) {
		body_error(v, out, "Multipart parsing error: invalid boundary in C-T");
		goto out;
	}
	mf |= boundary_flags(ct);
	if (hflags & HTP_MULTIPART_HBOUNDARY_QUOTED)
		mf |= MSC_MP_BOUNDARY_QUOTED;
	if (!body.len) {
		/* libmodsecurity: an empty multipart body is no error */
		out->multipart = mf ? mf | MSC_MP_STRICT_ERROR : 0;
		goto out;
	}
	mf |= scan_lines(body, bstr_ptr(boundary), bstr_len(boundary), &berr);
	if (berr) {
		out->multipart = mf | MSC_MP_STRICT_ERROR;
		body_error(v, out, "%s", berr);
		goto out;
	}
	mp = htp_mpartp_create(v->htp_cfg, boundary, hflags);
	if (!mp)
		goto oom;
	boundary = NULL; /* owned by the parser now */
	htp_mpartp_parse(mp, body.ptr, body.len);
	htp_mpartp_finalize(mp);
	m = htp_mpartp_get_multipart(mp);
	f = m->flags;
	if (f & HTP_MULTIPART_HAS_PREAMBLE)
		mf |= MSC_MP_DATA_BEFORE;
	if (f & HTP_MULTIPART_HAS_EPILOGUE)
		mf |= MSC_MP_DATA_AFTER;
	if (f & HTP_MULTIPART_PART_HEADER_FOLDING)
		mf |= MSC_MP_HEADER_FOLDING;
	/* not all of libhtp's "invalid part" reasons: an unknown part header (e.g.
	 * Content-Transfer-Encoding) or a repeated one is fine for libmodsecurity */
	if (f & (HTP_MULTIPART_CD_TYPE_INVALID | HTP_MULTIPART_NUL_BYTE |
		 HTP_MULTIPART_PART_UNKNOWN | HTP_MULTIPART_PART_HEADER_INVALID))
		mf |= MSC_MP_INVALID_PART;
	if ((f & HTP_MULTIPART_PART_HEADER_FOLDING) && (f & HTP_MULTIPART_PART_HEADER_INVALID))
		mf |= MSC_MP_INVALID_HEADER_FOLDING;
	if (!(f & HTP_MULTIPART_SEEN_LAST_BOUNDARY) || (f & HTP_MULTIPART_INCOMPLETE))
		body_error(v, out, "Multipart parsing error: final boundary missing");

	nparts = m->parts ? htp_list_size(m->parts) : 0;
	if (nparts > v->cfg.multipart_max_parts) {
		body_error(v, out, "Multipart parsing error: more than %u parts",
			   v->cfg.multipart_max_parts);
		nparts = v->cfg.multipart_max_parts;
	}
	for (size_t i = 0; i < nparts && !r; i++) {
		htp_multipart_part_t *p = htp_list_get(m->parts, i);
		struct msc_str name;
		htp_header_t *cd;

		if (!p || (p->type != MULTIPART_PART_TEXT && p->type != MULTIPART_PART_FILE &&
			   p->type != MULTIPART_PART_UNKNOWN))
			continue;
		/* libhtp's memory goes with the parser: names and values are copied */
		name = bstr_view(p->name);
		name = name.ptr ? mv_copy(v, name.ptr, name.len) : mv_cstr("");
		cd = p->headers ? htp_table_get_c(p->headers, "content-disposition") : NULL;
		if (cd && cd->value)
			mf |= check_disposition(bstr_view(cd->value));
		else
			mf |= MSC_MP_INVALID_PART;
		r = part_headers(v, name, p->headers);
		if (r)
			break;
		if (p->type == MULTIPART_PART_FILE && p->file) {
			char num[24];
			int n;

			if (++files > v->cfg.multipart_max_files) {
				mf |= MSC_MP_FILE_LIMIT_EXCEEDED;
				continue;
			}
			struct msc_str fn = bstr_view(p->file->filename);

			r = mv_add(v, MSC_C_FILES, name, fn.ptr ? mv_copy(v, fn.ptr, fn.len) : fn);
			n = snprintf(num, sizeof(num), "%lld",
				     (long long)(p->file->len > 0 ? p->file->len : 0));
			if (!r)
				r = mv_add(v, MSC_C_FILES_SIZES, name, mv_copy(v, num, (size_t)n));
		} else if (p->type == MULTIPART_PART_TEXT) {
			struct msc_str val = bstr_view(p->value);

			r = mv_add(v, MSC_C_ARGS_POST, name,
				   val.ptr ? mv_copy(v, val.ptr, val.len) : val);
		}
	}
	if (mf)
		mf |= MSC_MP_STRICT_ERROR;
	out->multipart = mf;
out:
	htp_mpartp_destroy(mp);
	bstr_free(boundary);
	bstr_free(ctb);
	return r;
oom:
	v->st.alloc_failures++;
	r = -ENOMEM;
	goto out;
}

/* ---- JSON ---- */

/* libmodsecurity 3.0.9 names JSON arguments from a yajl event stream: the path of container
 * names joined by '.', where an array adds ".array_N" for its Nth member; the top container
 * is "json", a container or scalar in a map takes its key ("empty-key" for ""), one in an
 * array takes "" (checked against libmodsecurity: json.a.b.array_1.c,
 * json.f.array_0.array_1, json.i.array_0.empty-key; a top-level scalar is "json"). The
 * walk below gives the same names over jansson's tree. */
struct jctx {
	struct msc_vars *v;
	struct msc_request *out;
	struct jlevel {
		struct msc_str name;
		bool array;
		size_t counter;
	} * stack;
	uint32_t depth, max_depth;
	struct msc_str key;
	int err;
};

static struct msc_str j_current_key(struct jctx *j)
{
	if (!j->depth)
		return mv_cstr("json");
	if (j->stack[j->depth - 1].array)
		return (struct msc_str){ (const uint8_t *)"", 0 };
	if (!j->key.len)
		return mv_cstr("empty-key");
	return j->key;
}

static void j_add(struct jctx *j, struct msc_str value)
{
	size_t len = 0, o = 0;
	struct jlevel *top = j->depth ? &j->stack[j->depth - 1] : NULL;
	struct msc_str data = { (const uint8_t *)"", 0 };
	char num[32];
	uint8_t *d;

	if (j->err)
		return;
	data = j_current_key(j);
	for (uint32_t i = 0; i < j->depth; i++)
		len += j->stack[i].name.len + (j->stack[i].array ? 7 + 20 : 1);
	d = mv_alloc(j->v, len + data.len + 1);
	if (!d)
		return;
	for (uint32_t i = 0; i < j->depth; i++) {
		memcpy(d + o, j->stack[i].name.ptr, j->stack[i].name.len);
		o += j->stack[i].name.len;
		if (j->stack[i].array) {
			int n = snprintf(num, sizeof(num), ".array_%zu", j->stack[i].counter);

			memcpy(d + o, num, (size_t)n);
			o += (size_t)n;
		} else {
			d[o++] = '.';
		}
	}
	memcpy(d + o, data.ptr, data.len);
	o += data.len;
	if (top && top->array)
		top->counter++;
	j->err = mv_add(j->v, MSC_C_ARGS_POST, (struct msc_str){ d, o }, value);
}

/* The shortest decimal text that reads back as D (yajl hands ModSecurity the number as
 * written; jansson keeps only the double). */
static struct msc_str j_real(struct msc_vars *v, double d)
{
	char buf[40];
	int n = 0;

	if (d == floor(d) && fabs(d) < 1e15) {
		n = snprintf(buf, sizeof(buf), "%.0f", d);
	} else {
		for (int prec = 1; prec <= 17; prec++) {
			n = snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	}
	return mv_copy(v, buf, (size_t)n);
}

static void j_walk(struct jctx *j, json_t *x)
{
	char buf[32];
	int n;

	if (j->err)
		return;
	switch (json_typeof(x)) {
	case JSON_OBJECT:
	case JSON_ARRAY: {
		struct jlevel *top;
		struct msc_str name;

		if (j->depth >= j->max_depth) {
			body_error(j->v, j->out, "JSON parsing error: nesting deeper than %u",
				   j->max_depth);
			j->err = 1;
			return;
		}
		name = j_current_key(j);
		j->stack[j->depth++] = (struct jlevel){ .name = name, .array = json_is_array(x) };
		if (json_is_array(x)) {
			size_t i;
			json_t *e;

			json_array_foreach(x, i, e)
			{
				j_walk(j, e);
			}
		} else {
			const char *k;
			json_t *e;

			json_object_foreach(x, k, e)
			{
				/* keys are NUL-free: jansson refuses \u0000 in keys */
				j->key = mv_copy(j->v, k, strlen(k));
				j_walk(j, e);
			}
		}
		j->depth--;
		top = j->depth ? &j->stack[j->depth - 1] : NULL;
		if (top && top->array)
			top->counter++;
		return;
	}
	case JSON_STRING:
		j_add(j, mv_copy(j->v, json_string_value(x), json_string_length(x)));
		return;
	case JSON_INTEGER:
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(x));
		j_add(j, mv_copy(j->v, buf, (size_t)n));
		return;
	case JSON_REAL:
		j_add(j, j_real(j->v, json_real_value(x)));
		return;
	case JSON_TRUE:
		j_add(j, mv_cstr("true"));
		return;
	case JSON_FALSE:
		j_add(j, mv_cstr("false"));
		return;
	case JSON_NULL:
		j_add(j, (struct msc_str){ (const uint8_t *)"", 0 });
		return;
	}
}

static int body_json(struct msc_vars *v, struct msc_str body, struct msc_request *out)
{
	size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
	struct jctx j = { .v = v, .out = out, .max_depth = v->cfg.json_depth };
	json_error_t e;
	json_t *root;

	if (!body.len)
		return 0; /* ModSecurity: no error for an empty body */
	root = json_loadb((const char *)body.ptr, body.len, flags, &e);
	if (!root && json_error_code(&e) == json_error_numeric_overflow)
		root = json_loadb((const char *)body.ptr, body.len, flags | JSON_DECODE_INT_AS_REAL,
				  &e);
	if (!root) {
		body_error(v, out, "JSON parsing error: %s (byte %d)", e.text, e.position);
		return 0;
	}
	if (!v->json_stack)
		v->json_stack = calloc(j.max_depth ? j.max_depth : 1, sizeof(*j.stack));
	j.stack = v->json_stack;
	if (!j.stack) {
		json_decref(root);
		v->st.alloc_failures++;
		return -ENOMEM;
	}
	j.key = (struct msc_str){ (const uint8_t *)"", 0 };
	j_walk(&j, root);
	json_decref(root);
	return j.err < 0 ? j.err : 0;
}

/* ---- XML ---- */

static bool blank(const xmlChar *s)
{
	for (; *s; s++)
		if (!isspace(*s))
			return false;
	return true;
}

/* Every attribute of element N, in document order, into MSC_C_XML_ATTR (XML://@*). */
static int xml_attrs(struct msc_vars *v, xmlNode *n)
{
	int r = 0;

	for (xmlAttr *a = n->properties; a && !r; a = a->next) {
		/* the value as XPath's string-value gives it (text and entity children joined) */
		xmlChar *val = xmlNodeGetContent((xmlNode *)a);
		const char *an = a->name ? (const char *)a->name : "";

		if (!val) {
			v->st.alloc_failures++;
			return -ENOMEM;
		}
		r = mv_add(v, MSC_C_XML_ATTR, mv_copy(v, an, strlen(an)),
			   mv_copy(v, val, strlen((const char *)val)));
		xmlFree(val);
	}
	return r;
}

/*
 * Text and CDATA nodes (MSC_C_XML) and attribute values (MSC_C_XML_ATTR) in document order;
 * element depth capped (iterative walk).
 */
static int xml_walk(struct msc_vars *v, xmlNode *root, struct msc_request *out)
{
	xmlNode *n = root;
	uint32_t depth = 0;
	int r = 0;

	while (n && !r) {
		if (n->type == XML_ELEMENT_NODE && n->properties && (r = xml_attrs(v, n)) < 0)
			break;
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content &&
		    !blank(n->content)) {
			const char *pn =
				n->parent && n->parent->name ? (const char *)n->parent->name : "";

			r = mv_add(v, MSC_C_XML, mv_copy(v, pn, strlen(pn)),
				   mv_copy(v, n->content, strlen((const char *)n->content)));
		}
		if (n->type == XML_ELEMENT_NODE && n->children) {
			if (++depth > v->cfg.xml_depth) {
				body_error(v, out, "XML parsing error: nesting deeper than %u",
					   v->cfg.xml_depth);
				break;
			}
			n = n->children;
			continue;
		}
		while (n && !n->next && n != root) {
			n = n->parent;
			depth--;
		}
		if (!n || n == root)
			break;
		n = n->next;
	}
	return r;
}

static int body_xml(struct msc_vars *v, struct msc_str body, struct msc_request *out)
{
	xmlParserCtxtPtr ctx;
	xmlDocPtr doc;
	int r = 0;

	if (body.len > v->cfg.xml_max_bytes || body.len > (size_t)INT32_MAX) {
		body_error(v, out, "XML parsing error: body of %zu bytes over the %zu limit",
			   body.len, v->cfg.xml_max_bytes);
		return 0;
	}
	ctx = xmlNewParserCtxt();
	if (!ctx) {
		v->st.alloc_failures++;
		return -ENOMEM;
	}
	/* No entity substitution, no DTD loading, no network; errors into the context, not
	 * stderr. */
	doc = xmlCtxtReadMemory(ctx, (const char *)body.ptr, (int)body.len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !ctx->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		char msg[160];
		size_t l;

		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "not well formed");
		l = strlen(msg);
		while (l && isspace((unsigned char)msg[l - 1]))
			msg[--l] = '\0';
		body_error(v, out, "XML parsing error: %s (line %d)", msg, e ? e->line : 0);
	} else {
		xmlNode *root = xmlDocGetRootElement(doc);

		if (root)
			r = xml_walk(v, root, out);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return r;
}

/* ---- phase 2 ---- */

int msc_vars_request_body(struct msc_vars *v, const struct http_tx *tx,
			  enum msc_body_processor proc, struct msc_request *out)
{
	struct msc_str body = { tx->request_body.ptr, tx->request_body.len };
	const char *name;
	int r = 0;

	static const enum msc_coll phase2[] = { MSC_C_ARGS_POST,   MSC_C_FILES,
						MSC_C_FILES_SIZES, MSC_C_MULTIPART_PART_HEADERS,
						MSC_C_XML,	   MSC_C_XML_ATTR };

	/* a second call for the same transaction (a forced processor) starts phase 2 over */
	for (size_t i = 0; i < sizeof(phase2) / sizeof(phase2[0]); i++) {
		v->nargs -= phase2[i] == MSC_C_ARGS_POST ? v->coll[MSC_C_ARGS_POST].n : 0;
		v->coll[phase2[i]].n = 0;
	}
	out->reqbody_error = false;
	out->multipart = 0;
	out->f[MSC_F_REQBODY_ERROR_MSG] = (struct msc_str){ 0 };

	if (proc == MSC_BODY_AUTO)
		proc = mv_pick_processor(mv_content_type(out));
	name = mv_processor_name(proc);
	out->f[MSC_F_REQBODY_PROCESSOR] = name ? mv_cstr(name) : (struct msc_str){ 0 };
	out->f[MSC_F_REQUEST_BODY] = body.len ? body : (struct msc_str){ 0 };
	out->body_truncated = tx->request_body_truncated;
	out->request_body_len = body.len;
	if (tx->htp && tx->htp->request_entity_len > 0 &&
	    (uint64_t)tx->htp->request_entity_len > out->request_body_len)
		out->request_body_len = (uint64_t)tx->htp->request_entity_len;

	switch (proc) {
	case MSC_BODY_URLENCODED:
		r = mv_parse_args(v, MSC_C_ARGS_POST, body.ptr, body.len);
		break;
	case MSC_BODY_MULTIPART:
		r = body_multipart(v, body, out);
		break;
	case MSC_BODY_JSON:
		r = body_json(v, body, out);
		break;
	case MSC_BODY_XML:
		r = body_xml(v, body, out);
		break;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(phase2) / sizeof(phase2[0]); i++)
		mv_publish(v, phase2[i], out);
	return r;
}
