// SPDX-License-Identifier: GPL-2.0-only
/*
 * Literal factors of a PCRE2 pattern (msc_rxlit.h). Hand written: neither PCRE2 nor Hyperscan
 * exposes the literals a pattern requires (Hyperscan's prefilter mode derives them inside its
 * compiler; RE2's prefilter is C++ over RE2's own syntax).
 *
 * A recursive descent over the pattern gives each node two things:
 *  - exact: the set of strings the node matches, when it is small and finite ({""} for
 *    anchors and other zero-width items), else unknown;
 *  - fac: a set of strings of which every match of the node contains one, else none.
 * A sequence concatenates the exact sets of consecutive items while they stay small (a run)
 * and keeps the best of its runs and its items' factor sets; an alternation unites its
 * branches' (any branch without factors leaves the alternation without); an item repeated
 * at least once keeps its factors, an optional one has none. "Best" is the set whose shortest
 * string is longest (fewer strings on a tie). Anything not understood (backreferences,
 * conditionals, recursion, extended mode, unknown escapes) fails the whole pattern: no
 * factors, so nothing is ever ruled out on a guess.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macro.h"
#include "msc_rxlit.h"

#define EXACT_MAX 64 /* strings of an exact set */
#define CLASS_MAX 8 /* characters of a class taken as an exact set */
#define DEPTH_MAX 200

struct set {
	size_t n;
	struct msc_rx_lit v[];
};

struct px {
	const uint8_t *p, *end;
	bool fail, oom;
	/* the atom just read was nothing (\E, a comment, an option setting): a quantifier after
	 * it would bind to the atom before, which the sequence has already taken as it came */
	bool nothing;
	int depth;
	void **mem; /* every allocation, freed at the end */
	size_t n_mem, cap_mem;
};

struct info {
	struct set *exact; /* NULL: unknown */
	struct set *fac; /* NULL: none */
};

static struct set *set_new(struct px *x, size_t n)
{
	struct set *s;

	if (x->n_mem == x->cap_mem) {
		size_t cap = x->cap_mem ? x->cap_mem * 2 : 64;
		void **nm = realloc(x->mem, cap * sizeof(*nm));

		if (!nm) {
			x->oom = x->fail = true;
			return NULL;
		}
		x->mem = nm;
		x->cap_mem = cap;
	}
	s = malloc(sizeof(*s) + n * sizeof(s->v[0]));
	if (!s) {
		x->oom = x->fail = true;
		return NULL;
	}
	x->mem[x->n_mem++] = s;
	s->n = 0;
	return s;
}

static struct set *set_str(struct px *x, const uint8_t *s, size_t len)
{
	struct set *r = set_new(x, 1);

	if (!r)
		return NULL;
	len = MIN(len, (size_t)MSC_RX_LIT_CAP);
	r->v[0].len = (uint8_t)len;
	memcpy(r->v[0].s, s, len);
	r->n = 1;
	return r;
}

static struct set *set_empty(struct px *x)
{
	return set_str(x, (const uint8_t *)"", 0);
}

static size_t set_minlen(const struct set *s)
{
	size_t m = SIZE_MAX;

	if (!s || !s->n)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		m = MIN(m, (size_t)s->v[i].len);
	return m;
}

/* The better factor set of A and B (NULL when neither is one). */
static struct set *best(struct set *a, struct set *b)
{
	size_t ma = set_minlen(a), mb = set_minlen(b);

	if (!ma && !mb)
		return NULL;
	if (ma != mb)
		return ma > mb ? a : b;
	return a->n <= b->n ? a : b;
}

/* A then B, every pair; NULL when it would exceed EXACT_MAX strings or MSC_RX_LIT_CAP
 * bytes (the caller then ends the run). */
static struct set *set_cross(struct px *x, const struct set *a, const struct set *b)
{
	struct set *r;

	if (a->n * b->n > EXACT_MAX)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (a->v[i].len + b->v[j].len > MSC_RX_LIT_CAP)
				return NULL;
	r = set_new(x, a->n * b->n);
	if (!r)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++) {
			struct msc_rx_lit *l = &r->v[r->n++];

			l->len = (uint8_t)(a->v[i].len + b->v[j].len);
			memcpy(l->s, a->v[i].s, a->v[i].len);
			memcpy(l->s + a->v[i].len, b->v[j].s, b->v[j].len);
		}
	return r;
}

/* A and B together; NULL when over MAX strings. */
static struct set *set_union(struct px *x, const struct set *a, const struct set *b, size_t max)
{
	struct set *r;

	if (a->n + b->n > max)
		return NULL;
	r = set_new(x, a->n + b->n);
	if (!r)
		return NULL;
	memcpy(r->v, a->v, a->n * sizeof(a->v[0]));
	memcpy(r->v + a->n, b->v, b->n * sizeof(b->v[0]));
	r->n = a->n + b->n;
	return r;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* After a backslash (X->p on the escaped character): one byte into *C, or the kind of item.
 * Returns 1 a byte, 0 a zero-width item, 2 a class of characters (\d, \w ...); fails X on
 * anything else. IN_CLASS: \b is a backspace there. */
static int escape(struct px *x, bool in_class, uint8_t *c)
{
	uint8_t e;

	if (x->p >= x->end) {
		x->fail = true;
		return 0;
	}
	e = *x->p++;
	switch (e) {
	case 'd':
	case 'D':
	case 'w':
	case 'W':
	case 's':
	case 'S':
	case 'h':
	case 'H':
	case 'v':
	case 'V':
	case 'p':
	case 'P':
		if (e == 'p' || e == 'P') {
			/* \pL or \p{...}: skip the name */
			if (x->p < x->end && *x->p == '{') {
				while (x->p < x->end && *x->p != '}')
					x->p++;
				if (x->p >= x->end) {
					x->fail = true;
					return 0;
				}
			}
			x->p++;
		}
		return 2;
	case 'R':
	case 'N':
	case 'X':
	case 'C':
		if (in_class || (e == 'N' && x->p < x->end && *x->p == '{'))
			break; /* \N{U+hh} names a character: not read here */
		return 2;
	case 'b':
		if (in_class) {
			*c = 8;
			return 1;
		}
		return 0;
	case 'B':
	case 'A':
	case 'z':
	case 'Z':
	case 'G':
	case 'K':
	case 'E':
		if (in_class)
			break;
		x->nothing = e == 'E';
		return 0;
	case 'n':
		*c = '\n';
		return 1;
	case 'r':
		*c = '\r';
		return 1;
	case 't':
		*c = '\t';
		return 1;
	case 'f':
		*c = '\f';
		return 1;
	case 'e':
		*c = 0x1b;
		return 1;
	case 'a':
		*c = 7;
		return 1;
	case '0': {
		unsigned v = 0;

		for (int i = 0; i < 2 && x->p < x->end && *x->p >= '0' && *x->p <= '7'; i++)
			v = v * 8 + (unsigned)(*x->p++ - '0');
		*c = (uint8_t)v;
		return 1;
	}
	case 'x': {
		unsigned v = 0;
		int h;

		if (x->p < x->end && *x->p == '{') {
			int digits = 0;

			x->p++;
			while (x->p < x->end && (h = hexval(*x->p)) >= 0 && digits < 3) {
				v = v * 16 + (unsigned)h;
				x->p++;
				digits++;
			}
			if (x->p >= x->end || *x->p != '}' || !digits || v > 0xff) {
				x->fail = true;
				return 0;
			}
			x->p++;
		} else {
			for (int i = 0; i < 2 && x->p < x->end && (h = hexval(*x->p)) >= 0; i++) {
				v = v * 16 + (unsigned)h;
				x->p++;
			}
		}
		*c = (uint8_t)v;
		return 1;
	}
	default:
		if (!is_alnum(e) && e < 0x80) {
			*c = e;
			return 1;
		}
		break;
	}
	x->fail = true; /* backreferences, \Q (handled by the caller), \c, \o, \g ... */
	return 0;
}

/* One member of a class at X->p (not at the end): as escape() after a backslash, else the
 * byte itself (returns 1). */
static int class_char(struct px *x, uint8_t *c)
{
	if (*x->p == '\\') {
		x->p++;
		return escape(x, true, c);
	}
	*c = *x->p++;
	return 1;
}

/* A character class, X->p after the '['. Its characters as an exact set, or unknown. */
static struct info parse_class(struct px *x)
{
	struct info r = { NULL, NULL };
	bool neg = false, big = false;
	uint8_t chars[CLASS_MAX];
	size_t n = 0;
	bool first = true;

	if (x->p < x->end && *x->p == '^') {
		neg = true;
		x->p++;
	}
	while (!x->fail) {
		uint8_t lo, hi;
		int k;

		if (x->p >= x->end) {
			x->fail = true;
			break;
		}
		if (*x->p == ']' && !first) {
			x->p++;
			break;
		}
		first = false;
		if (*x->p == '[' && x->p + 1 < x->end &&
		    (x->p[1] == ':' || x->p[1] == '.' || x->p[1] == '=')) {
			/* [:alpha:] or [:^alpha:] (letters only: else PCRE2 reads a literal '[') */
			const uint8_t *q = x->p + 2;

			if (x->p[1] != ':') {
				x->fail = true; /* [.ch.] [=ch=]: not read here */
				break;
			}
			if (q < x->end && *q == '^')
				q++;
			while (q < x->end && ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z'))
				q++;
			if (q + 1 < x->end && q[0] == ':' && q[1] == ']') {
				x->p = q + 2;
				big = true;
				continue;
			}
			x->fail = true; /* "[:" that is not a class name: not worth the corner */
			break;
		}
		k = class_char(x, &lo);
		if (x->fail)
			break;
		if (k != 1) {
			big = true;
			continue;
		}
		hi = lo;
		if (x->p + 1 < x->end && *x->p == '-' && x->p[1] != ']') {
			x->p++;
			k = class_char(x, &hi);
			if (x->fail)
				break;
			if (k != 1) {
				x->fail = true; /* a range up to \d: PCRE2 refuses it */
				break;
			}
			if (hi < lo) {
				x->fail = true;
				break;
			}
		}
		for (unsigned c = lo; c <= hi && !big; c++) {
			if (n == CLASS_MAX)
				big = true;
			else
				chars[n++] = (uint8_t)c;
		}
	}
	if (x->fail || neg || big)
		return r;
	r.exact = set_new(x, n);
	if (!r.exact)
		return r;
	for (size_t i = 0; i < n; i++) {
		r.exact->v[i].len = 1;
		r.exact->v[i].s[0] = chars[i];
	}
	r.exact->n = n;
	if (!n)
		r.exact = NULL; /* an empty class never matches: unknown is the safe reading */
	return r;
}

static struct info parse_alt(struct px *x);

/* Move X past the next DELIM; fails X when there is none. */
static bool skip_past(struct px *x, uint8_t delim)
{
	while (x->p < x->end && *x->p != delim)
		x->p++;
	if (x->p >= x->end) {
		x->fail = true;
		return false;
	}
	x->p++;
	return true;
}

/* A group, X->p after the '('. */
static struct info parse_group(struct px *x)
{
	struct info r = { NULL, NULL };
	bool lookaround = false;

	if (x->p < x->end && *x->p == '*') {
		x->fail = true; /* (*VERB) */
		return r;
	}
	if (x->p < x->end && *x->p == '?') {
		x->p++;
		if (x->p >= x->end) {
			x->fail = true;
			return r;
		}
		switch (*x->p) {
		case '#':
			if (!skip_past(x, ')'))
				return r;
			r.exact = set_empty(x);
			x->nothing = true;
			return r;
		case ':':
		case '>':
		case '|':
			x->p++;
			break;
		case '=':
		case '!':
			x->p++;
			lookaround = true;
			break;
		case '<':
			if (x->p + 1 < x->end && (x->p[1] == '=' || x->p[1] == '!')) {
				x->p += 2;
				lookaround = true;
				break;
			}
			/* (?<name>...) */
			if (!skip_past(x, '>'))
				return r;
			break;
		case '\'':
			x->p++;
			if (!skip_past(x, '\''))
				return r;
			break;
		case 'P':
			if (x->p + 1 < x->end && x->p[1] == '<') {
				if (!skip_past(x, '>'))
					return r;
				break;
			}
			x->fail = true; /* (?P=name) (?P>name) */
			return r;
		default: {
			/* option settings: (?i) (?i: (?-i) (?s) ... ; x changes the syntax */
			const uint8_t *q = x->p;

			while (q < x->end && (*q == 'i' || *q == 'm' || *q == 's' || *q == 'n' ||
					      *q == 'U' || *q == 'J' || *q == '-' || *q == '^'))
				q++;
			if (q >= x->end || q == x->p || (*q != ')' && *q != ':')) {
				x->fail = true; /* (?x) (?( (?R) (?1) (?& ... */
				return r;
			}
			x->p = q + 1;
			if (*q == ')') {
				r.exact = set_empty(x); /* matching is caseless anyway */
				x->nothing = true;
				return r;
			}
			break;
		}
		}
	}
	r = parse_alt(x);
	x->nothing = false; /* the group is an item, whatever it ended with */
	if (x->fail)
		return r;
	if (x->p >= x->end || *x->p != ')') {
		x->fail = true;
		return r;
	}
	x->p++;
	if (lookaround) {
		/* zero width; what it asserts is not needed by the match itself */
		r.exact = set_empty(x);
		r.fac = NULL;
	}
	return r;
}

static struct info parse_atom(struct px *x)
{
	struct info r = { NULL, NULL };
	uint8_t c = *x->p++;
	int k;

	switch (c) {
	case '(':
		if (++x->depth > DEPTH_MAX) {
			x->fail = true;
			return r;
		}
		r = parse_group(x);
		x->depth--;
		return r;
	case '[':
		return parse_class(x);
	case '.':
		return r;
	case '^':
	case '$':
		r.exact = set_empty(x);
		return r;
	case '*':
	case '+':
	case '?':
		x->fail = true;
		return r;
	case '{':
		if (x->p < x->end && ((*x->p >= '0' && *x->p <= '9') || *x->p == ',')) {
			x->fail = true; /* a quantifier with nothing before it, or "{,n}" */
			return r;
		}
		break;
	case '\\':
		if (x->p < x->end && *x->p == 'Q') {
			/* \Q...\E: a literal run */
			const uint8_t *s = ++x->p, *e = s;

			while (e < x->end && !(e[0] == '\\' && e + 1 < x->end && e[1] == 'E'))
				e++;
			x->p = e < x->end ? e + 2 : e;
			if (e == s) {
				r.exact = set_empty(x);
				x->nothing = true;
				return r;
			}
			if ((size_t)(e - s) > MSC_RX_LIT_CAP) {
				r.fac = set_str(x, s, (size_t)(e - s)); /* a prefix */
				return r;
			}
			r.exact = set_str(x, s, (size_t)(e - s));
			return r;
		}
		k = escape(x, false, &c);
		if (x->fail || k == 2)
			return r;
		if (k == 0) {
			r.exact = set_empty(x);
			return r;
		}
		break;
	default:
		break;
	}
	r.exact = set_str(x, &c, 1);
	return r;
}

/* A quantifier after an atom, if any: *LO and *HI (-1: unbounded). Returns whether one was
 * read. A '{' that does not start a quantifier is left as a literal. */
static bool parse_quant(struct px *x, long *lo, long *hi)
{
	const uint8_t *q;

	if (x->p >= x->end)
		return false;
	switch (*x->p) {
	case '*':
		*lo = 0, *hi = -1;
		x->p++;
		break;
	case '+':
		*lo = 1, *hi = -1;
		x->p++;
		break;
	case '?':
		*lo = 0, *hi = 1;
		x->p++;
		break;
	case '{':
		q = x->p + 1;
		if (q < x->end && *q == ',') {
			x->fail = true; /* "{,n}": literal in PCRE2 10.42, {0,n} from 10.43 */
			return false;
		}
		if (q >= x->end || *q < '0' || *q > '9')
			return false; /* a literal '{' */
		*lo = 0;
		while (q < x->end && *q >= '0' && *q <= '9' && *lo < 100000)
			*lo = *lo * 10 + (*q++ - '0');
		*hi = *lo;
		if (q < x->end && *q == ',') {
			q++;
			*hi = -1;
			if (q < x->end && *q >= '0' && *q <= '9') {
				*hi = 0;
				while (q < x->end && *q >= '0' && *q <= '9' && *hi < 100000)
					*hi = *hi * 10 + (*q++ - '0');
			}
		}
		if (q >= x->end || *q != '}') {
			x->fail =
				true; /* digits after '{' but no quantifier: not worth the corner */
			return false;
		}
		x->p = q + 1;
		break;
	default:
		return false;
	}
	/* lazy or possessive */
	if (x->p < x->end && (*x->p == '?' || *x->p == '+'))
		x->p++;
	return true;
}

/* A sequence of items up to '|', ')' or the end. */
static struct info parse_seq(struct px *x)
{
	struct info r = { NULL, NULL };
	struct set *run = set_empty(x), *all = run, *fac = NULL;

	while (!x->fail && x->p < x->end && *x->p != '|' && *x->p != ')') {
		struct info a;
		long lo, hi;

		x->nothing = false;
		a = parse_atom(x);
		if (x->fail)
			break;
		if (x->nothing && x->p < x->end &&
		    (*x->p == '*' || *x->p == '+' || *x->p == '?' ||
		     (*x->p == '{' && x->p + 1 < x->end && x->p[1] >= '0' && x->p[1] <= '9'))) {
			x->fail = true;
			break;
		}
		if (parse_quant(x, &lo, &hi)) {
			if (lo == 0) {
				struct set *e = NULL;

				if (hi == 1 && a.exact) {
					struct set *z = set_empty(x);

					e = z ? set_union(x, z, a.exact, EXACT_MAX) : NULL;
				}
				a.fac = NULL;
				a.exact = e;
			} else {
				a.fac = best(a.fac, a.exact);
				if (!(lo == 1 && hi == 1))
					a.exact = NULL;
			}
		}
		if (x->fail)
			break;
		fac = best(fac, a.fac);
		if (a.exact) {
			struct set *n = run ? set_cross(x, run, a.exact) : NULL;

			if (n) {
				run = n;
			} else {
				fac = best(fac, run);
				run = a.exact;
			}
			all = all ? set_cross(x, all, a.exact) : NULL;
		} else {
			fac = best(fac, run);
			run = set_empty(x);
			all = NULL;
		}
	}
	r.fac = best(fac, run);
	r.exact = all;
	return r;
}

static struct info parse_alt(struct px *x)
{
	struct info r = parse_seq(x);

	while (!x->fail && x->p < x->end && *x->p == '|') {
		struct info b;

		x->p++;
		b = parse_seq(x);
		if (x->fail)
			break;
		r.exact = r.exact && b.exact ? set_union(x, r.exact, b.exact, EXACT_MAX) : NULL;
		r.fac = r.fac && b.fac ? set_union(x, r.fac, b.fac, MSC_RX_LIT_MAX) : NULL;
	}
	/* a branch's factors are its exact strings when it has no better */
	return r;
}

int msc_rx_factors(const char *pat, size_t len, struct msc_rx_lit **ret)
{
	struct px x = { .p = (const uint8_t *)pat, .end = (const uint8_t *)pat + len };
	struct info r;
	int n = 0;

	*ret = NULL;
	r = parse_alt(&x);
	if (!x.fail && x.p != x.end)
		x.fail = true; /* an unbalanced ')' */
	if (!x.fail) {
		struct set *f = best(r.fac, r.exact);

		if (f && set_minlen(f) > 0 && f->n <= MSC_RX_LIT_MAX) {
			*ret = malloc(f->n * sizeof(**ret));
			if (!*ret) {
				x.oom = true;
			} else {
				memcpy(*ret, f->v, f->n * sizeof(**ret));
				n = (int)f->n;
			}
		}
	}
	for (size_t i = 0; i < x.n_mem; i++)
		free(x.mem[i]);
	free(x.mem);
	return x.oom ? -ENOMEM : n;
}
