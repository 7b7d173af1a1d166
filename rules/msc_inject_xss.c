// SPDX-License-Identifier: GPL-2.0-only
/*
 * @detectXSS: an HTML injection detector built on a small HTML tokenizer (no libinjection in
 * Debian; no packaged library tokenizes HTML fragments without building a DOM).
 *
 * Idea: the value is pasted into a page as text, inside a tag (where attributes go), or
 * inside an attribute value quoted with ", ' or not quoted. For each context we run the HTML
 * tokenizer states that matter from that starting point (text, tag open, tag name, attribute
 * name, attribute value, comment) and report the first thing a browser would run script for:
 * - a tag that runs or loads code or changes where the page's code comes from: script, iframe,
 *   frame(set), object, embed, applet, base, meta, link, style, import, isindex, vmlframe;
 *   also XML declarations that define entities (<!ENTITY, <!DOCTYPE x [ ...);
 * - an event handler attribute (a known on* event, or any on* attribute whose value looks
 *   like code);
 * - a URL attribute (href, src, action, formaction, data, xlink:href, ...) whose value, after
 *   the whitespace and entities a browser drops, starts with javascript:, vbscript:, or data:
 *   (images excepted); srcdoc (a whole document);
 * - a style attribute holding expression(), -moz-binding, behavior, @import or a script URL.
 * Plain markup (<b>, <p>, <a href="https://...">, <img src="/x.png">) is not an injection by
 * itself and is accepted, so rich-text comments pass.
 *
 * Cost: at most MSC_INJECT_MAX_INSPECT bytes, five contexts, each a single forward pass
 * (linear), no allocation.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "msc_inject.h"

#define XSS_MAX_NAME 32

static bool ieq(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (n != l)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower(p[i]) != s[i])
			return false;
	return true;
}

/* Is p[0..n) (any case) one of the count sorted lower-case words of list? */
static bool in_list(const uint8_t *p, size_t n, const char *const *list, size_t count)
{
	char key[XSS_MAX_NAME + 1];
	size_t lo = 0, hi = count;

	if (n == 0 || n > XSS_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)tolower(p[i]);
	key[n] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, list[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

#define IN_LIST(p, n, list) in_list(p, n, list, sizeof(list) / sizeof(list[0]))

static bool html_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Strip an XML namespace prefix: x:script -> script. */
static void local_name(const uint8_t **p, size_t *n)
{
	for (size_t i = *n; i > 0; i--) {
		if ((*p)[i - 1] == ':') {
			*p += i;
			*n -= i;
			return;
		}
	}
}

/* What a tag name means: nothing, script by itself, or code once it has an attribute. */
enum tag_class { TAG_OK, TAG_ALWAYS, TAG_WITH_ATTR, TAG_STYLE };

/*
 * <script> runs what follows; frames, objects, applets, base, meta and link load or redirect
 * once they have an attribute (a bare "<object>" or "<base>" in prose loads nothing); <style>
 * is judged on its CSS. <xi:include> pulls a remote document into an XML page.
 */
static enum tag_class tag_class(const uint8_t *p, size_t n)
{
	/* sorted: in_list() bisects */
	static const char *const with_attr[] = {
		"applet",  "base", "embed", "frame",  "frameset", "iframe", "import",
		"isindex", "link", "meta",  "object", "vmlframe", "xml",
	};
	const uint8_t *full = p;
	size_t fn = n;

	local_name(&p, &n);
	if (fn != n && ieq(p, n, "include") && fn - n >= 2 && ieq(full, fn - n - 1, "xi"))
		return TAG_WITH_ATTR;
	if (ieq(p, n, "script"))
		return TAG_ALWAYS;
	if (ieq(p, n, "style"))
		return TAG_STYLE;
	return IN_LIST(p, n, with_attr) ? TAG_WITH_ATTR : TAG_OK;
}

static bool event_attr(const uint8_t *p, size_t n)
{
	/* the handlers attackers use; other on* names are judged on their value */
	/* sorted: in_list() bisects */
	static const char *const ev[] = {
		"onactivate",	  "onafterprint",     "onanimationend",	  "onanimationstart",
		"onauxclick",	  "onbeforeactivate", "onbeforeprint",	  "onbeforeunload",
		"onbegin",	  "onblur",	      "oncanplay",	  "onchange",
		"onclick",	  "oncontextmenu",    "oncopy",		  "oncut",
		"ondblclick",	  "ondrag",	      "ondragstart",	  "ondrop",
		"onend",	  "onended",	      "onerror",	  "onerrorupdate",
		"onfilterchange", "onfinish",	      "onfocus",	  "onfocusin",
		"onfocusout",	  "onhashchange",     "oninput",	  "oninvalid",
		"onkeydown",	  "onkeypress",	      "onkeyup",	  "onload",
		"onloadstart",	  "onmessage",	      "onmousedown",	  "onmouseenter",
		"onmouseleave",	  "onmousemove",      "onmouseout",	  "onmouseover",
		"onmouseup",	  "onpagehide",	      "onpageshow",	  "onpaste",
		"onplay",	  "onpointerdown",    "onpointerenter",	  "onpointerover",
		"onpopstate",	  "onprogress",	      "onpropertychange", "onreadystatechange",
		"onrepeat",	  "onreset",	      "onresize",	  "onscroll",
		"onsearch",	  "onselect",	      "onshow",		  "onstart",
		"onstorage",	  "onsubmit",	      "ontimeupdate",	  "ontoggle",
		"ontouchstart",	  "ontransitionend",  "onunload",	  "onwheel",
	};
	return IN_LIST(p, n, ev);
}

static bool url_attr(const uint8_t *p, size_t n)
{
	/* sorted: in_list() bisects */
	static const char *const attrs[] = {
		"action", "archive",	"background", "by",	  "cite",   "classid",
		"code",	  "codebase",	"data",	      "dynsrc",	  "folder", "formaction",
		"from",	  "href",	"icon",	      "longdesc", "lowsrc", "manifest",
		"ping",	  "poster",	"profile",    "src",	  "to",	    "usemap",
		"values", "xlink:href", "xml:base",
	};
	return IN_LIST(p, n, attrs);
}

/*
 * The value of a URL attribute as the browser reads it: leading spaces and control bytes
 * dropped, tab/newline anywhere dropped, a few entities decoded. Copies at most cap bytes
 * (lower case) into out; returns the length.
 */
static size_t url_normalize(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	/* leading spaces and controls are dropped; IE also took `...` as quotes */
	while (i < n && (p[i] <= 0x20 || p[i] == '`'))
		i++;
	while (i < n && o < cap) {
		uint8_t c = p[i];

		if (c == '\t' || c == '\n' || c == '\r' || c == 0 || (o == 0 && c <= 0x20)) {
			i++;
			continue;
		}
		if (c == '&') {
			/* &#NN; &#xHH; and the named entities used to split "javascript:" */
			size_t j = i + 1;
			unsigned long v = 0;
			bool num = false;

			if (j < n && p[j] == '#') {
				j++;
				if (j < n && (p[j] == 'x' || p[j] == 'X')) {
					for (j++; j < n && isxdigit(p[j]) && v < 0x110000; j++) {
						v = v * 16 +
						    (unsigned long)(isdigit(p[j]) ?
									    p[j] - '0' :
									    tolower(p[j]) - 'a' +
										    10);
						num = true;
					}
				} else {
					for (; j < n && isdigit(p[j]) && v < 0x110000; j++) {
						v = v * 10 + (unsigned long)(p[j] - '0');
						num = true;
					}
				}
				if (num) {
					if (j < n && p[j] == ';')
						j++;
					i = j;
					if (v == '\t' || v == '\n' || v == '\r' || v == 0 ||
					    (o == 0 && v <= 0x20))
						continue;
					out[o++] = (char)tolower(v < 0x80 ? (int)v : '?');
					continue;
				}
			} else {
				static const struct {
					const char *name;
					char c;
				} ents[] = { { "colon;", ':' }, { "tab;", 0 }, { "newline;", 0 } };

				for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
					size_t l = strlen(ents[k].name);

					if (j + l <= n && ieq(p + j, l, ents[k].name)) {
						i = j + l;
						if (ents[k].c)
							out[o++] = ents[k].c;
						goto next;
					}
				}
			}
		}
		out[o++] = (char)tolower(c);
		i++;
next:;
	}
	return o;
}

static bool bad_url(const uint8_t *p, size_t n)
{
	char u[24];
	size_t l = url_normalize(p, n, u, sizeof(u));

	if (l >= 11 && memcmp(u, "javascript:", 11) == 0)
		return true;
	if (l >= 9 && memcmp(u, "vbscript:", 9) == 0)
		return true;
	if (l >= 9 && memcmp(u, "livescript:", 9) == 0)
		return true;
	if (l >= 5 && memcmp(u, "data:", 5) == 0) {
		/* images are data, except SVG which carries script */
		if (l >= 11 && memcmp(u + 5, "image/", 6) == 0 &&
		    !(l >= 14 && memcmp(u + 11, "svg", 3) == 0))
			return false;
		return true;
	}
	return false;
}

/* Case-insensitive search of needle in p[0..n), bounded by n. */
static bool icontains(const uint8_t *p, size_t n, const char *needle)
{
	size_t l = strlen(needle);

	for (size_t i = 0; i + l <= n; i++) {
		size_t k = 0;

		while (k < l && tolower(p[i + k]) == needle[k])
			k++;
		if (k == l)
			return true;
	}
	return false;
}

static bool bad_style(const uint8_t *p, size_t n)
{
	static const char *const bad[] = {
		"expression",  "-moz-binding", "behavior", "@import",
		"javascript:", "vbscript:",    NULL,
	};

	uint8_t buf[512];
	size_t o = 0;

	if (n > 1024)
		n = 1024;
	/* CSS ignores comments and backslashes before letters (expr/ * * /ession, ex\pression):
	 * drop them, then look for the words. A style value is short; the copy is bounded, which
	 * keeps the whole scan linear. */
	for (size_t i = 0; i < n && o < sizeof(buf); i++) {
		if (p[i] == '/' && i + 1 < n && p[i + 1] == '*') {
			i += 2;
			while (i + 1 < n && !(p[i] == '*' && p[i + 1] == '/'))
				i++;
			i++;
			continue;
		}
		if (p[i] == '\\')
			continue;
		buf[o++] = p[i];
	}
	for (size_t i = 0; bad[i]; i++)
		if (icontains(buf, o, bad[i]))
			return true;
	return false;
}

/* Does an on* attribute value look like code: a call, an assignment, a template literal. */
static bool code_like(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && i < 256; i++)
		if (p[i] == '(' || p[i] == '`' || p[i] == '=')
			return true;
	return false;
}

static bool bad_attr(const uint8_t *name, size_t nl, const uint8_t *val, size_t vl, bool has_val)
{
	/* an attribute without a value runs nothing (and "onclick" alone is a common value) */
	if (!has_val)
		return false;
	if (nl > 2 && tolower(name[0]) == 'o' && tolower(name[1]) == 'n') {
		bool alpha = true;

		if (event_attr(name, nl))
			return true;
		/* other on* names (browsers add events every year): letters only, code value */
		for (size_t i = 0; i < nl && alpha; i++)
			alpha = isalpha(name[i]);
		if (alpha && code_like(val, vl))
			return true;
	}
	if (ieq(name, nl, "srcdoc"))
		return true;
	/* SVG animation setting an event handler: <set attributeName=onmouseover to=alert(1)> */
	if (ieq(name, nl, "attributename") && vl > 2 && tolower(val[0]) == 'o' &&
	    tolower(val[1]) == 'n')
		return true;
	if (ieq(name, nl, "style"))
		return bad_style(val, vl);
	if (nl >= 5 && ieq(name, 5, "xmlns")) {
		/* XInclude pulls remote documents in (the XHTML namespace is every XHTML page's;
		 * a script element in it is caught by its name) */
		if (vl > 256)
			vl = 256;
		return icontains(val, vl, "xinclude");
	}
	if (nl > 14 && icontains(name, nl, "schemalocation")) {
		/* xsi:schemaLocation makes the parser fetch a schema from where it says */
		if (vl > 256)
			vl = 256;
		return icontains(val, vl, "://");
	}
	if (url_attr(name, nl))
		return bad_url(val, vl);
	return false;
}

enum state { S_TEXT, S_ATTRS };

/*
 * Run the tokenizer from index i in state st. Linear: i only moves forward, and every helper
 * looks at bytes of one attribute value, which the scan then skips.
 */
static bool scan(const uint8_t *p, size_t n, size_t i, enum state st)
{
	bool pending = false; /* in a tag that loads code once it has an attribute */

	while (i < n) {
		if (st == S_TEXT) {
			const uint8_t *lt = memchr(p + i, '<', n - i);
			size_t s;

			if (!lt)
				return false;
			i = (size_t)(lt - p) + 1;
			if (i >= n)
				return false;
			if (p[i] == '!') {
				/* comment, doctype, CDATA: no script, but entity definitions (XXE) are
				 * what libinjection users expect to be caught here too */
				if (i + 2 < n && p[i + 1] == '-' && p[i + 2] == '-') {
					size_t k = i + 3, end = n;

					/* browsers also end a comment at "<!-->", "<!--->" and "--!>":
					 * "<!--><script>" runs the script */
					if (k < n && p[k] == '>')
						end = k + 1;
					else if (k + 1 < n && p[k] == '-' && p[k + 1] == '>')
						end = k + 2;
					for (; end == n && k + 2 < n; k++) {
						if (p[k] == '-' && p[k + 1] == '-' &&
						    p[k + 2] == '>')
							end = k + 3;
						else if (k + 3 < n && p[k] == '-' &&
							 p[k + 1] == '-' && p[k + 2] == '!' &&
							 p[k + 3] == '>')
							end = k + 4;
					}
					if (end >= n)
						return false; /* the rest is a comment */
					i = end;
					continue;
				}
				if (n - i - 1 >= 6 && ieq(p + i + 1, 6, "entity"))
					return true;
				if (n - i - 1 >= 7 && ieq(p + i + 1, 7, "doctype")) {
					/* bounded: a value of many "<!doctype" stays linear */
					size_t lim = n - i < 256 ? n - i : 256;
					const uint8_t *gt = memchr(p + i, '>', lim);
					size_t end = gt ? (size_t)(gt - p) : i + lim;

					if (memchr(p + i, '[', end - i))
						return true;
				}
				continue;
			}
			if (p[i] == '?' || p[i] == '/') {
				/* <?name is a processing instruction (IE ran <?import>); </x> ends a tag */
				s = i + 1;
			} else {
				s = i;
			}
			if (s >= n || !isalpha(p[s]))
				continue;
			i = s;
			while (i < n && !html_space(p[i]) && p[i] != '/' && p[i] != '>')
				i++;
			if (p[s - 1] == '?' && !ieq(p + s, i - s, "import"))
				continue; /* <?xml ...?> and other PIs run nothing */
			if (p[s - 1] != '/') {
				enum tag_class tc = tag_class(p + s, i - s);

				if (tc == TAG_ALWAYS)
					return true;
				if (tc == TAG_STYLE && bad_style(p + i, n - i))
					return true;
				pending = tc != TAG_OK;
			}
			if (p[s - 1] == '/') {
				/* end tag: attributes are ignored, skip to '>' */
				const uint8_t *gt = memchr(p + i, '>', n - i);

				if (!gt)
					return false;
				i = (size_t)(gt - p) + 1;
				continue;
			}
			st = S_ATTRS;
			continue;
		}
		/* S_ATTRS: before attribute name */
		while (i < n && (html_space(p[i]) || p[i] == '/'))
			i++;
		if (i >= n)
			return false;
		if (p[i] == '>') {
			i++;
			st = S_TEXT;
			pending = false;
			continue;
		}
		if (pending)
			return true; /* an attribute on a loading tag */
		{
			size_t ns = i, ne, vs = 0, ve = 0;
			bool has_val = false;

			/* an attribute name runs to space, '/', '>' or '=' (a leading '=' is part
			 * of it) */
			i++;
			while (i < n && !html_space(p[i]) && p[i] != '/' && p[i] != '>' &&
			       p[i] != '=')
				i++;
			ne = i;
			while (i < n && html_space(p[i]))
				i++;
			if (i < n && p[i] == '=') {
				i++;
				while (i < n && html_space(p[i]))
					i++;
				has_val = true;
				if (i < n && (p[i] == '"' || p[i] == '\'')) {
					const uint8_t *q = memchr(p + i + 1, p[i], n - i - 1);

					vs = i + 1;
					ve = q ? (size_t)(q - p) : n;
					i = q ? ve + 1 : n;
				} else {
					vs = i;
					while (i < n && !html_space(p[i]) && p[i] != '>')
						i++;
					ve = i;
				}
			}
			if (ne - ns <= XSS_MAX_NAME &&
			    bad_attr(p + ns, ne - ns, p + vs, ve - vs, has_val))
				return true;
		}
	}
	return false;
}

bool msc_detect_xss(const uint8_t *p, size_t n)
{
	const uint8_t *q;

	if (!p || n == 0)
		return false;
	if (n > MSC_INJECT_MAX_INSPECT)
		n = MSC_INJECT_MAX_INSPECT;
	/* every finding needs a tag ('<') or an attribute with a value ('=') */
	if (!memchr(p, '<', n) && !memchr(p, '=', n))
		return false;
	/* as text */
	if (scan(p, n, 0, S_TEXT))
		return true;
	/* inside a tag, where attributes go */
	if (scan(p, n, 0, S_ATTRS))
		return true;
	/* inside a double- or single-quoted attribute value: the value must close it */
	q = memchr(p, '"', n);
	if (q && scan(p, n, (size_t)(q - p) + 1, S_ATTRS))
		return true;
	q = memchr(p, '\'', n);
	if (q && scan(p, n, (size_t)(q - p) + 1, S_ATTRS))
		return true;
	/* inside an unquoted attribute value: a space or '>' ends it */
	for (size_t i = 0; i < n; i++) {
		if (html_space(p[i]) || p[i] == '>')
			return scan(p, n, p[i] == '>' ? i + 1 : i, p[i] == '>' ? S_TEXT : S_ATTRS);
	}
	return false;
}
