// SPDX-License-Identifier: GPL-2.0-only
/*
 * @detectSQLi: a SQL injection detector built on a small SQL tokenizer (no libinjection in
 * Debian; hand written because no packaged library tokenizes SQL fragments).
 *
 * Idea: an attacker's value is pasted into a statement somewhere the application expected a
 * number or the inside of a quoted string. For each such context (as is, after ', after ")
 * we tokenize the value as the SQL parser would see it, then walk the tokens looking for a
 * construct that changes the statement and that prose, identifiers, JSON or URLs do not
 * produce: a boolean condition after AND/OR, UNION SELECT, a second statement, a comment that
 * cuts the rest right after the quote is closed, a time/file function call, a subquery.
 * The walk gives up at the first pair of tokens SQL would reject (two operands in a row,
 * punctuation SQL has no use for): that is what keeps "O'Brien and sons" or "1 or 2 items"
 * from matching.
 *
 * Token classes (also the fingerprint letters):
 *   s string   1 number   n name   v @variable   f known function (name followed by '(')
 *   k keyword  U UNION/EXCEPT/INTERSECT   E statement keyword (SELECT, DROP, WAITFOR ...)
 *   & AND/OR/XOR/&&/||   o operator   c comment   ( ) , ; .   x anything else
 * The fingerprint is the context letter (0 as is, ' or ") followed by the classes of the
 * first tokens of that context, cut to fit MSC_SQLI_FP_LEN.
 *
 * Cost: at most MSC_INJECT_MAX_INSPECT bytes, at most SQLI_MAX_TOKENS tokens per context,
 * three contexts; every byte is consumed once per context (linear), no allocation.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "msc_inject.h"

#define SQLI_MAX_TOKENS 64
#define SQLI_MAX_WORD 32

enum {
	TF_OPEN = 1 << 0, /* string not closed in the value (the application closes it) */
	TF_DANGER = 1 << 1, /* function with a side effect attackers use (SLEEP, LOAD_FILE ...) */
	TF_CMP = 1 << 2, /* comparison operator (=, <>, LIKE, IS, IN, ...) */
	TF_WEAK = 1 << 3, /* '#' comment with text after it (could be "#2" in prose) */
	TF_UNARY = 1 << 4, /* NOT, ! */
	TF_LITERAL = 1 << 5, /* NULL, TRUE, FALSE: classed as a number */
	TF_INFO = 1 << 6, /* function reading server facts attackers exfiltrate (VERSION, USER) */
	TF_HEX = 1 << 7, /* 0x... literal of at least two bytes: smuggled text */
};

/* Keyword ids the classifier needs to tell apart. */
enum kw {
	KW_NONE = 0,
	KW_SELECT,
	KW_FROM,
	KW_ALL,
	KW_DISTINCT,
	KW_INTO,
	KW_TABLE_LIKE, /* TABLE DATABASE USER PROCEDURE ...: what DROP/CREATE/ALTER name */
	KW_DROP_LIKE, /* DROP CREATE ALTER TRUNCATE */
	KW_INSERT,
	KW_DELETE,
	KW_UPDATE,
	KW_SET,
	KW_DECLARE,
	KW_EXEC,
	KW_WAITFOR,
	KW_DELAY,
	KW_SHUTDOWN,
	KW_STAR,
	KW_ORDER, /* ORDER, GROUP: followed by BY */
	KW_BY,
	KW_WHERE, /* WHERE, HAVING: a condition follows */
};

struct tok {
	char t;
	uint8_t fl;
	uint8_t kw;
	uint32_t pos, len;
};

struct kwent {
	const char *w;
	char t;
	uint8_t fl;
	uint8_t kw;
};

/*
 * Words with a meaning for the classifier, sorted (strcmp order, upper case) for bsearch.
 * 'f' entries are functions only when '(' follows; otherwise they are names.
 */
static const struct kwent kwtab[] = {
	{ "ALL", 'k', 0, KW_ALL },
	{ "ALTER", 'E', 0, KW_DROP_LIKE },
	{ "AND", '&', 0, 0 },
	{ "AS", 'k', 0, 0 },
	{ "ASCII", 'f', 0, 0 },
	{ "BENCHMARK", 'f', TF_DANGER, 0 },
	{ "BETWEEN", 'o', TF_CMP, 0 },
	{ "BY", 'k', 0, KW_BY },
	{ "CASE", 'k', 0, 0 },
	{ "CAST", 'f', 0, 0 },
	{ "CHAR", 'f', 0, 0 },
	{ "CHR", 'f', 0, 0 },
	{ "COALESCE", 'f', 0, 0 },
	{ "CONCAT", 'f', 0, 0 },
	{ "CONCAT_WS", 'f', 0, 0 },
	{ "CONVERT", 'f', 0, 0 },
	{ "COUNT", 'f', 0, 0 },
	{ "CREATE", 'E', 0, KW_DROP_LIKE },
	{ "CURRENT_USER", 'f', TF_INFO, 0 },
	{ "DATABASE", 'f', TF_INFO, KW_TABLE_LIKE },
	{ "DB_NAME", 'f', TF_INFO, 0 },
	{ "DBMS_PIPE.RECEIVE_MESSAGE", 'f', TF_DANGER, 0 },
	{ "DECLARE", 'E', 0, KW_DECLARE },
	{ "DELAY", 'k', 0, KW_DELAY },
	{ "DELETE", 'E', 0, KW_DELETE },
	{ "DESC", 'k', 0, 0 },
	{ "DISTINCT", 'k', 0, KW_DISTINCT },
	{ "DIV", 'o', 0, 0 },
	{ "DROP", 'E', 0, KW_DROP_LIKE },
	{ "ELSE", 'k', 0, 0 },
	{ "ELT", 'f', 0, 0 },
	{ "END", 'k', 0, 0 },
	{ "EXCEPT", 'U', 0, 0 },
	{ "EXEC", 'E', 0, KW_EXEC },
	{ "EXECUTE", 'E', 0, KW_EXEC },
	{ "EXISTS", 'f', 0, 0 },
	{ "EXP", 'f', 0, 0 },
	{ "EXTRACTVALUE", 'f', TF_DANGER, 0 },
	{ "FALSE", '1', TF_LITERAL, 0 },
	{ "FLOOR", 'f', 0, 0 },
	{ "FROM", 'k', 0, KW_FROM },
	{ "FUNCTION", 'k', 0, KW_TABLE_LIKE },
	{ "GROUP", 'k', 0, KW_ORDER },
	{ "GROUP_CONCAT", 'f', 0, 0 },
	{ "HAVING", 'k', 0, KW_WHERE },
	{ "HEX", 'f', 0, 0 },
	{ "IF", 'f', 0, 0 },
	{ "IFNULL", 'f', 0, 0 },
	{ "IIF", 'f', 0, 0 },
	{ "ILIKE", 'o', TF_CMP, 0 },
	{ "IN", 'o', TF_CMP, 0 },
	{ "INDEX", 'k', 0, KW_TABLE_LIKE },
	{ "INSERT", 'E', 0, KW_INSERT },
	{ "INTERSECT", 'U', 0, 0 },
	{ "INTO", 'k', 0, KW_INTO },
	{ "IS", 'o', TF_CMP, 0 },
	{ "ISNULL", 'f', 0, 0 },
	{ "LENGTH", 'f', 0, 0 },
	{ "LIKE", 'o', TF_CMP, 0 },
	{ "LIMIT", 'k', 0, 0 },
	{ "LOAD_FILE", 'f', TF_DANGER, 0 },
	{ "LOGIN", 'k', 0, KW_TABLE_LIKE },
	{ "LOWER", 'f', 0, 0 },
	{ "MAKE_SET", 'f', 0, 0 },
	{ "MD5", 'f', 0, 0 },
	{ "MID", 'f', 0, 0 },
	{ "MOD", 'o', 0, 0 },
	{ "NAME_CONST", 'f', 0, 0 },
	{ "NOT", 'o', TF_UNARY, 0 },
	{ "NOW", 'f', 0, 0 },
	{ "NULL", '1', TF_LITERAL, 0 },
	{ "NULLIF", 'f', 0, 0 },
	{ "OR", '&', 0, 0 },
	{ "ORD", 'f', 0, 0 },
	{ "ORDER", 'k', 0, KW_ORDER },
	{ "PG_SLEEP", 'f', TF_DANGER, 0 },
	{ "PROCEDURE", 'k', 0, KW_TABLE_LIKE },
	{ "RAND", 'f', 0, 0 },
	{ "RANDOMBLOB", 'f', TF_DANGER, 0 },
	{ "REGEXP", 'o', TF_CMP, 0 },
	{ "REPLACE", 'f', 0, 0 },
	{ "RLIKE", 'o', TF_CMP, 0 },
	{ "SCHEMA", 'f', TF_INFO, KW_TABLE_LIKE },
	{ "SELECT", 'E', 0, KW_SELECT },
	{ "SET", 'k', 0, KW_SET },
	{ "SHUTDOWN", 'E', 0, KW_SHUTDOWN },
	{ "SLEEP", 'f', TF_DANGER, 0 },
	{ "SUBSTR", 'f', 0, 0 },
	{ "SUBSTRING", 'f', 0, 0 },
	{ "SYSTEM_USER", 'f', TF_INFO, 0 },
	{ "SYS_EVAL", 'f', TF_DANGER, 0 },
	{ "SYS_EXEC", 'f', TF_DANGER, 0 },
	{ "TABLE", 'k', 0, KW_TABLE_LIKE },
	{ "THEN", 'k', 0, 0 },
	{ "TRIGGER", 'k', 0, KW_TABLE_LIKE },
	{ "TRUE", '1', TF_LITERAL, 0 },
	{ "TRUNCATE", 'E', 0, KW_DROP_LIKE },
	{ "UNHEX", 'f', 0, 0 },
	{ "UNION", 'U', 0, 0 },
	{ "UPDATE", 'E', 0, KW_UPDATE },
	{ "UPDATEXML", 'f', TF_DANGER, 0 },
	{ "UPPER", 'f', 0, 0 },
	{ "USER", 'f', TF_INFO, KW_TABLE_LIKE },
	{ "USER_NAME", 'f', TF_INFO, 0 },
	{ "UTL_HTTP.REQUEST", 'f', TF_DANGER, 0 },
	{ "UTL_INADDR.GET_HOST_ADDRESS", 'f', TF_DANGER, 0 },
	{ "VERSION", 'f', TF_INFO, 0 },
	{ "VIEW", 'k', 0, KW_TABLE_LIKE },
	{ "WAITFOR", 'E', 0, KW_WAITFOR },
	{ "WHEN", 'k', 0, 0 },
	{ "WHERE", 'k', 0, KW_WHERE },
	{ "XMLTYPE", 'f', 0, 0 },
	{ "XOR", '&', 0, 0 },
};

static const struct kwent *kw_lookup(const uint8_t *p, size_t n)
{
	char up[SQLI_MAX_WORD + 1];
	size_t lo = 0, hi = sizeof(kwtab) / sizeof(kwtab[0]);

	if (n == 0 || n > SQLI_MAX_WORD)
		return NULL;
	for (size_t i = 0; i < n; i++)
		up[i] = (char)toupper(p[i]);
	up[n] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(up, kwtab[mid].w);

		if (c == 0)
			return &kwtab[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool is_space(uint8_t c)
{
	/* SQL parsers take the C spaces; MySQL also 0xa0 in latin1 connections. */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       c == 0xa0;
}

static bool is_word(uint8_t c)
{
	/* Bytes >= 0x80 are identifier characters in MySQL (UTF-8 names), except 0xa0 (a space). */
	return isalnum(c) || c == '_' || c == '$' || (c >= 0x80 && c != 0xa0);
}

/*
 * End of a string opened with quote q whose content starts at i: index of the closing quote,
 * or n when the value ends first. A doubled quote and a backslash escape stay inside (MySQL
 * accepts both; the standard only the first).
 */
static size_t string_end(const uint8_t *p, size_t n, size_t i, uint8_t q)
{
	while (i < n) {
		if (p[i] == '\\' && i + 1 < n) {
			i += 2;
			continue;
		}
		if (p[i] == q) {
			if (i + 1 < n && p[i + 1] == q) {
				i += 2;
				continue;
			}
			return i;
		}
		i++;
	}
	return n;
}

struct lexer {
	const uint8_t *p;
	size_t n, i;
	struct tok t[SQLI_MAX_TOKENS];
	size_t m;
};

static void emit(struct lexer *lx, char t, uint8_t fl, uint8_t kw, size_t pos, size_t len)
{
	struct tok *tk;

	if (lx->m >= SQLI_MAX_TOKENS)
		return;
	tk = &lx->t[lx->m++];
	tk->t = t;
	tk->fl = fl;
	tk->kw = kw;
	tk->pos = (uint32_t)pos;
	tk->len = (uint32_t)len;
}

/* Skip whitespace and closed block comments; true when a word char is next. */
static void skip_blank(struct lexer *lx)
{
	const uint8_t *p = lx->p;

	while (lx->i < lx->n) {
		if (is_space(p[lx->i])) {
			lx->i++;
		} else if (p[lx->i] == '*' && lx->i + 1 < lx->n && p[lx->i + 1] == '/') {
			/* end of a MySQL executable comment opened with slash-star-bang */
			lx->i += 2;
		} else if (p[lx->i] == '/' && lx->i + 1 < lx->n && p[lx->i + 1] == '*') {
			size_t j = lx->i + 2;

			if (j < lx->n && p[j] == '!') {
				/* executable comment: its body is SQL (version digits skipped) */
				j++;
				while (j < lx->n && isdigit(p[j]))
					j++;
				lx->i = j;
				continue;
			}
			while (j + 1 < lx->n && !(p[j] == '*' && p[j + 1] == '/'))
				j++;
			if (j + 1 >= lx->n)
				return; /* unclosed: a cutting comment, the caller emits 'c' */
			lx->i = j + 2;
		} else {
			return;
		}
	}
}

/*
 * UN/ * * /ION, SEL/ * * /ECT: a keyword cut by block comments. SQL parsers read two words, but
 * filters that strip comments before the query is built (and the payload lists written for
 * them) join the halves, so a word [s, *e) that is no keyword is joined with the words glued
 * to it through comments while the joined text fits SQLI_MAX_WORD; when that makes a
 * keyword, *e moves past its last half. Each byte is looked at by at most SQLI_MAX_WORD
 * words' attempts, so the lexer stays linear.
 */
static const struct kwent *splice_word(const struct lexer *lx, size_t s, size_t *e)
{
	const uint8_t *p = lx->p;
	uint8_t w[SQLI_MAX_WORD];
	size_t wl = *e - s, pos = *e;

	if (wl >= SQLI_MAX_WORD)
		return NULL;
	memcpy(w, p + s, wl);
	while (pos + 2 < lx->n && p[pos] == '/' && p[pos + 1] == '*' && p[pos + 2] != '!') {
		size_t c = pos + 2, ws;
		const struct kwent *kw;

		while (c + 1 < lx->n && !(p[c] == '*' && p[c + 1] == '/'))
			c++;
		if (c + 1 >= lx->n)
			return NULL;
		ws = c + 2;
		pos = ws;
		while (pos < lx->n && is_word(p[pos]) && wl < SQLI_MAX_WORD)
			w[wl++] = p[pos++];
		if (pos == ws || (pos < lx->n && is_word(p[pos])))
			return NULL;
		kw = kw_lookup(w, wl);
		if (kw) {
			*e = pos;
			return kw;
		}
	}
	return NULL;
}

/* Word at lx->i: keyword, function, name; a '(' after a function name makes it 'f'. */
static void lex_word(struct lexer *lx)
{
	const uint8_t *p = lx->p;
	size_t s = lx->i, e = s;
	const struct kwent *kw;

	/* dots join qualified function names (DBMS_PIPE.RECEIVE_MESSAGE) but not a.b names */
	while (e < lx->n && is_word(p[e]))
		e++;
	kw = kw_lookup(p + s, e - s);
	if (!kw)
		kw = splice_word(lx, s, &e);
	if (!kw && e < lx->n && p[e] == '.') {
		size_t e2 = e + 1;
		const struct kwent *kw2;

		while (e2 < lx->n && is_word(p[e2]))
			e2++;
		kw2 = kw_lookup(p + s, e2 - s);
		if (kw2 && kw2->t == 'f') {
			kw = kw2;
			e = e2;
		}
	}
	lx->i = e;
	if (kw && kw->t == 'f') {
		size_t save = lx->i;

		skip_blank(lx);
		if (lx->i < lx->n && p[lx->i] == '(')
			emit(lx, 'f', kw->fl, kw->kw, s, e - s);
		else
			emit(lx, kw->kw ? 'k' : 'n', 0, kw->kw, s, e - s);
		lx->i = save;
		return;
	}
	if (kw)
		emit(lx, kw->t, kw->fl, kw->kw, s, e - s);
	else
		emit(lx, 'n', 0, 0, s, e - s);
}

/* Number: decimal, fraction, exponent, 0x hex, 0b binary. Letters glued on make a name. */
static void lex_number(struct lexer *lx)
{
	const uint8_t *p = lx->p;
	size_t s = lx->i, e = s;
	uint8_t fl = 0;

	if (e + 1 < lx->n && p[e] == '0' && (p[e + 1] == 'x' || p[e + 1] == 'X') && e + 2 < lx->n &&
	    isxdigit(p[e + 2])) {
		e += 2;
		while (e < lx->n && isxdigit(p[e]))
			e++;
		if (e - s >= 6)
			fl = TF_HEX;
	} else {
		while (e < lx->n && isdigit(p[e]))
			e++;
		if (e < lx->n && p[e] == '.') {
			e++;
			while (e < lx->n && isdigit(p[e]))
				e++;
		}
		if (e + 1 < lx->n && (p[e] == 'e' || p[e] == 'E') &&
		    (isdigit(p[e + 1]) || ((p[e + 1] == '-' || p[e + 1] == '+') && e + 2 < lx->n &&
					   isdigit(p[e + 2])))) {
			e += 2;
			while (e < lx->n && isdigit(p[e]))
				e++;
		}
	}
	if (e < lx->n && is_word(p[e])) {
		/* MySQL reads "1union" as 1 UNION; anything else glued on ("2nd", "10px") is a
		 * name, which is what keeps sizes and ordinals out of numeric tautologies */
		size_t w = e;
		const struct kwent *kw;

		while (w < lx->n && is_word(p[w]))
			w++;
		kw = kw_lookup(p + e, w - e);
		if (!kw || (kw->t != 'U' && kw->t != '&' && kw->t != 'E' && kw->kw != KW_FROM)) {
			emit(lx, 'n', 0, 0, s, w - s);
			lx->i = w;
			return;
		}
	}
	emit(lx, '1', fl, 0, s, e - s);
	lx->i = e;
}

/* Operators, longest first. */
static void lex_op(struct lexer *lx)
{
	static const struct {
		const char *s;
		char t;
		uint8_t fl;
	} ops[] = {
		{ "<=>", 'o', TF_CMP }, { "!=", 'o', TF_CMP }, { "<>", 'o', TF_CMP },
		{ "<=", 'o', TF_CMP },	{ ">=", 'o', TF_CMP }, { "==", 'o', TF_CMP },
		{ ":=", 'o', 0 },	{ "&&", '&', 0 },      { "||", '&', 0 },
		{ "<<", 'o', 0 },	{ ">>", 'o', 0 },      { "=", 'o', TF_CMP },
		{ "<", 'o', TF_CMP },	{ ">", 'o', TF_CMP },  { "!", 'o', TF_UNARY },
		{ "~", 'o', TF_UNARY }, { "+", 'o', 0 },       { "-", 'o', 0 },
		{ "*", 'o', 0 },	{ "/", 'o', 0 },       { "%", 'o', 0 },
		{ "^", 'o', 0 },	{ "|", 'o', 0 },       { "&", 'o', 0 },
	};
	const uint8_t *p = lx->p;

	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t l = strlen(ops[k].s);

		if (lx->i + l <= lx->n && memcmp(p + lx->i, ops[k].s, l) == 0) {
			emit(lx, ops[k].t, ops[k].fl, ops[k].s[0] == '*' && l == 1 ? KW_STAR : 0,
			     lx->i, l);
			lx->i += l;
			return;
		}
	}
	emit(lx, 'x', 0, 0, lx->i, 1);
	lx->i++;
}

/*
 * Tokenize p[0..n) in a context: q = 0 as is, else the value starts inside a string opened
 * with q (the first token is that string, open when q never comes).
 */
static void lex_all(struct lexer *lx, const uint8_t *p, size_t n, uint8_t q)
{
	lx->p = p;
	lx->n = n;
	lx->i = 0;
	lx->m = 0;
	if (q) {
		size_t e = string_end(p, n, 0, q);

		emit(lx, 's', e >= n ? TF_OPEN : 0, 0, 0, e);
		lx->i = e >= n ? n : e + 1;
	}
	while (lx->m < SQLI_MAX_TOKENS) {
		uint8_t c;

		skip_blank(lx);
		if (lx->i >= lx->n)
			break;
		c = p[lx->i];
		if (c == '\'' || c == '"') {
			size_t e = string_end(p, n, lx->i + 1, c);

			emit(lx, 's', e >= n ? TF_OPEN : 0, 0, lx->i, (e >= n ? n : e + 1) - lx->i);
			lx->i = e >= n ? n : e + 1;
		} else if (c == '`') {
			/* MySQL quoted identifier */
			size_t e = string_end(p, n, lx->i + 1, c);

			emit(lx, 'n', 0, 0, lx->i, (e >= n ? n : e + 1) - lx->i);
			lx->i = e >= n ? n : e + 1;
		} else if (c == '#' || (c == '-' && lx->i + 1 < n && p[lx->i + 1] == '-') ||
			   (c == '/' && lx->i + 1 < n && p[lx->i + 1] == '*')) {
			/* comment to the end of the line, or an unclosed block comment (a closed one
			 * was skipped as blank) */
			size_t s = lx->i, e = s + 1;
			bool weak = false;

			if (c == '/') {
				e = n;
			} else {
				while (e < n && p[e] != '\n') {
					if (c == '#' && !is_space(p[e]))
						weak = true;
					e++;
				}
			}
			emit(lx, 'c', weak ? TF_WEAK : 0, 0, s, e - s);
			lx->i = e;
		} else if (c == '@') {
			size_t e = lx->i + 1;

			if (e < n && p[e] == '@')
				e++;
			while (e < n && (is_word(p[e]) || p[e] == '.'))
				e++;
			emit(lx, e - lx->i > 1 ? 'v' : 'x', 0, 0, lx->i, e - lx->i);
			lx->i = e;
		} else if (isdigit(c) || (c == '.' && lx->i + 1 < n && isdigit(p[lx->i + 1]))) {
			lex_number(lx);
		} else if (is_word(c)) {
			lex_word(lx);
		} else if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.') {
			emit(lx, (char)c, 0, 0, lx->i, 1);
			lx->i++;
		} else {
			lex_op(lx);
		}
	}
}

/* ---- classification ---- */

struct judge {
	const struct tok *t;
	size_t m;
	bool raw; /* the as-is context: stricter, the value starts no string */
};

static char tt(const struct judge *j, size_t i)
{
	return i < j->m ? j->t[i].t : '\0';
}

static bool is_operand(char t)
{
	return t == '1' || t == 's' || t == 'n' || t == 'v';
}

/* Skip a function call f(...) starting at i (t[i] == 'f'); index after ')', or m. */
static size_t skip_call(const struct judge *j, size_t i)
{
	int depth = 0;

	for (i++; i < j->m; i++) {
		if (j->t[i].t == '(')
			depth++;
		else if (j->t[i].t == ')' && --depth <= 0)
			return i + 1;
	}
	return j->m;
}

/*
 * An operand at i: literal, name, variable or function call. *next gets the index after it,
 * *kind its class.
 */
static bool operand_at(const struct judge *j, size_t i, size_t *next, char *kind)
{
	size_t depth = 0;
	char t;

	/* (1)=(1): parentheses stand in for spaces */
	while (tt(j, i) == '(') {
		depth++;
		i++;
	}
	t = tt(j, i);
	if (is_operand(t)) {
		*next = i + 1;
		*kind = t;
		/* a.b qualified name */
		while (tt(j, *next) == '.' && is_operand(tt(j, *next + 1)))
			*next += 2;
	} else if (t == 'f') {
		*next = skip_call(j, i);
		*kind = 'f';
	} else {
		return false;
	}
	while (depth > 0 && tt(j, *next) == ')') {
		depth--;
		(*next)++;
	}
	return true;
}

/* A select list item starting at i that SQL, not prose, would write after SELECT. */
static bool select_item_at(const struct judge *j, size_t i, size_t *next)
{
	char t = tt(j, i), kind;

	if (t == 'k' && (j->t[i].kw == KW_ALL || j->t[i].kw == KW_DISTINCT))
		t = tt(j, ++i);
	if (t == 'o' && j->t[i].kw == KW_STAR) {
		*next = i + 1;
		return true;
	}
	if (t == '(' || (t == 'o' && tt(j, i + 1) == '1')) {
		*next = i + 1;
		return true;
	}
	if (!operand_at(j, i, next, &kind))
		return false;
	if (kind != 'n')
		return true;
	/* "select a plan": a bare name is an item only when SQL follows it */
	t = tt(j, *next);
	return t == ',' || (t == 'k' && j->t[*next].kw == KW_FROM);
}

/*
 * SELECT at i forms a query. With strict (the as-is context starting with SELECT), the item
 * must be followed by more SQL: FROM, another item, an operator, a subquery.
 */
static bool select_at(const struct judge *j, size_t i, bool strict)
{
	size_t k;
	char t;

	if (!select_item_at(j, i + 1, &k))
		return false;
	if (!strict)
		return true;
	t = tt(j, k);
	return t == ',' || t == 'o' || t == 'U' || t == '&' || t == 'c' ||
	       (t == 'k' && j->t[k].kw == KW_FROM) || (t == '(' && tt(j, k + 1) == 'E');
}

/* A statement keyword at i with the continuation that makes it a statement. */
static bool stmt_at(const struct judge *j, size_t i, bool strict)
{
	const struct tok *a = &j->t[i];
	char t1 = tt(j, i + 1);
	uint8_t k1 = i + 1 < j->m ? j->t[i + 1].kw : 0;

	switch (a->kw) {
	case KW_SELECT:
		return select_at(j, i, strict);
	case KW_DROP_LIKE:
		return t1 == 'k' && k1 == KW_TABLE_LIKE;
	case KW_INSERT:
		return t1 == 'k' && k1 == KW_INTO;
	case KW_DELETE:
		return t1 == 'k' && k1 == KW_FROM;
	case KW_UPDATE:
		return t1 == 'n' && tt(j, i + 2) == 'k' && j->t[i + 2].kw == KW_SET;
	case KW_DECLARE:
		return t1 == 'v';
	case KW_EXEC:
		return t1 == 'v' || t1 == '(' || t1 == 's' || (t1 == 'n' && tt(j, i + 2) != 'n');
	case KW_WAITFOR:
		return t1 == 'k' && k1 == KW_DELAY;
	case KW_SHUTDOWN:
		return !strict && (t1 == '\0' || t1 == 'c' || t1 == ';');
	default:
		return false;
	}
}

/* UNION [ALL|DISTINCT] [(] SELECT item at i. */
static bool union_at(const struct judge *j, size_t i)
{
	size_t k = i + 1;

	if (tt(j, k) == 'k' && (j->t[k].kw == KW_ALL || j->t[k].kw == KW_DISTINCT))
		k++;
	while (tt(j, k) == '(')
		k++;
	return tt(j, k) == 'E' && j->t[k].kw == KW_SELECT && select_at(j, k, false);
}

/* A call of a dangerous function with an argument: SLEEP(5), BENCHMARK(1e6,MD5(1)). */
static bool danger_call_at(const struct judge *j, size_t i)
{
	char a;

	if (tt(j, i) != 'f' || !(j->t[i].fl & TF_DANGER) || tt(j, i + 1) != '(')
		return false;
	a = tt(j, i + 2);
	return a != '\0' && a != ')';
}

/*
 * The condition after AND/OR at i: a comparison (1=1, ''='', x LIKE 'a'), a dangerous call,
 * a subquery, or (inside a string context) a lone operand the statement ends on ("' or 1--").
 */
static bool cond_at(const struct judge *j, size_t i)
{
	size_t k = i + 1, e;
	char t, ka, kb;

	while (k < j->m && ((j->t[k].fl & TF_UNARY) || j->t[k].t == '('))
		k++;
	t = tt(j, k);
	if (t == 'E' && j->t[k].kw == KW_SELECT)
		return select_at(j, k, false);
	if (danger_call_at(j, k))
		return true;
	if (!operand_at(j, k, &e, &ka))
		return false;
	while (tt(j, e) == ')')
		e++;
	t = tt(j, e);
	if (t == 'o' && (j->t[e].fl & TF_CMP)) {
		size_t e2;

		while (tt(j, e + 1) == '(' || (tt(j, e + 1) == 'o' && (j->t[e + 1].fl & TF_UNARY)))
			e++;
		if (tt(j, e + 1) == 'E')
			return true;
		if (!operand_at(j, e + 1, &e2, &kb))
			return false;
		/* as is, "status=active or kind=open" is a filter, not an injection: one side
		 * must be a literal, variable or call */
		return !j->raw || ka != 'n' || kb != 'n';
	}
	if (j->raw)
		return false;
	return e >= j->m || t == 'c' || t == ';';
}

/*
 * Two tokens SQL would not put side by side: the walk stops there. An open string at the end
 * is the application's own closing quote and is allowed after anything.
 */
static bool breaks(const struct judge *j, size_t i)
{
	char a = tt(j, i), b = tt(j, i + 1);

	if (a == 'x' || b == 'x')
		return true;
	if (b == 's' && (j->t[i + 1].fl & TF_OPEN))
		return false;
	if (is_operand(a) && is_operand(b)) {
		/* DECLARE @q VARCHAR(99): a type after a variable */
		if (a == 'v' && b == 'n')
			return false;
		return true;
	}
	/* after a closing parenthesis a name is an alias: (SELECT ...)x */
	return false;
}

/*
 * ORDER BY n / GROUP BY n that ends the statement: the column-count probe ("1' ORDER BY 3--").
 * It has to end on a comment (or, inside a string context, on the value's end) since "order by
 * date" is common prose in search boxes.
 */
static bool order_by_at(const struct judge *j, size_t i)
{
	size_t e;
	char kind, t;

	if (j->t[i].kw != KW_ORDER || tt(j, i + 1) != 'k' || j->t[i + 1].kw != KW_BY)
		return false;
	if (!operand_at(j, i + 2, &e, &kind))
		return false;
	t = tt(j, e);
	return t == 'c' || t == ';' || (!j->raw && e >= j->m);
}

/* Walk from i: true at the first construct that changes the statement. */
static bool walk(const struct judge *j, size_t i, size_t *ret_end)
{
	for (; i < j->m; i++) {
		char t = j->t[i].t;
		bool hit = false;

		switch (t) {
		case '&':
			hit = cond_at(j, i);
			break;
		case 'U':
			hit = union_at(j, i);
			break;
		case ';': {
			char n1 = tt(j, i + 1);

			hit = (n1 == 'E' && stmt_at(j, i + 1, false)) ||
			      (!j->raw && (n1 == 'c' || n1 == '\0') && i > 0);
			break;
		}
		case 'E':
			/* a statement without ';' right after a closed string or parenthesis (SQL
			 * Server needs no separator) */
			if (i > 0 && (tt(j, i - 1) == ')' || tt(j, i - 1) == 's'))
				hit = stmt_at(j, i, false);
			break;
		case '(':
			if (tt(j, i + 1) == 'E' && j->t[i + 1].kw == KW_SELECT)
				hit = select_at(j, i + 1, false);
			break;
		case 'f':
			hit = danger_call_at(j, i);
			break;
		case 'k':
			/* ' HAVING 1=1--: a clause of our own with a condition */
			hit = order_by_at(j, i) ||
			      (j->t[i].kw == KW_WHERE && !j->raw && cond_at(j, i));
			break;
		default:
			break;
		}
		if (hit) {
			*ret_end = i;
			return true;
		}
		if (breaks(j, i))
			return false;
	}
	return false;
}

/* The value closes a string (quote context, t[0] the string): what follows it. */
static bool judge_quoted(const struct judge *j, size_t *end)
{
	size_t i = 1;
	char t;

	if (j->m < 2 || (j->t[0].fl & TF_OPEN))
		return false;
	while (tt(j, i) == ')')
		i++;
	t = tt(j, i);
	switch (t) {
	case 'c':
		/* admin'-- : the rest of the statement is cut */
		if (!(j->t[i].fl & TF_WEAK)) {
			*end = i;
			return true;
		}
		return false;
	case '&':
	case 'o':
	case ';':
	case 'U':
	case 'E':
	case ',':
	case 'f':
	case '(':
	case 'k':
		break;
	default:
		/* a name, number or string glued to the closed string: prose (O'Brien) */
		return false;
	}
	if (t == 'f' && !danger_call_at(j, i))
		return false;
	if (t == 'o' && tt(j, i + 1) == 'f' && tt(j, i + 2) == '(') {
		/* ' + CHAR(65) + ' / '||CHR(60)||': the string is closed to splice in a call */
		*end = i + 1;
		return true;
	}
	if (t == 'o' && (j->t[i].fl & TF_CMP)) {
		/* '=' as a user name (name=''='' is true), '=0--: the closed string is compared
		 * and the statement ends or goes on with a condition */
		size_t e;
		char kind, n1;

		if (operand_at(j, i + 1, &e, &kind)) {
			n1 = tt(j, e);
			if (e >= j->m || (n1 == 'c' && !(j->t[e].fl & TF_WEAK)) || n1 == ';') {
				*end = e;
				return true;
			}
		}
	}
	return walk(j, i, end);
}

/*
 * A call at i whose arguments read server facts or smuggle bytes: CONCAT(0x3c62723e,
 * VERSION()), CHAR(@@version). Names, plain numbers and strings as arguments are not enough
 * (date(2024), count(3) are prose-like).
 */
static bool info_call_at(const struct judge *j, size_t i)
{
	size_t e = skip_call(j, i);

	for (size_t k = i + 1; k < e; k++) {
		const struct tok *a = &j->t[k];

		if (a->t == 'v' || (a->t == 'f' && (a->fl & (TF_INFO | TF_DANGER))) ||
		    (a->t == '1' && (a->fl & TF_HEX)))
			return true;
	}
	return false;
}

/*
 * As is, a value that starts like prose or a key=value list can still carry a full UNION
 * SELECT with a literal item (9767 AND 1=1 UNION ALL SELECT 1,NULL,...): no prose writes
 * "union select" followed by a number, NULL, a string, * or a call.
 */
static bool raw_union_anywhere(const struct judge *j, size_t *end)
{
	for (size_t i = 1; i < j->m; i++) {
		size_t k = i + 1;
		char t;

		if (j->t[i].t != 'U')
			continue;
		if (tt(j, k) == 'k' && (j->t[k].kw == KW_ALL || j->t[k].kw == KW_DISTINCT))
			k++;
		if (tt(j, k) != 'E' || j->t[k].kw != KW_SELECT)
			continue;
		t = tt(j, k + 1);
		if (t == '1' || t == 's' || t == 'f' || t == 'v' ||
		    (t == 'o' && j->t[k + 1].kw == KW_STAR)) {
			*end = i;
			return true;
		}
	}
	return false;
}

/* The value as is (numeric or bare context). */
static bool judge_raw(const struct judge *j, size_t *end)
{
	char t0 = tt(j, 0), t1 = tt(j, 1);
	size_t i = 0;

	switch (t0) {
	case '1':
	case 'v':
	case '(':
		break;
	case 'o':
		/* -1 UNION ..., +1 OR ... */
		if (t1 != '1')
			return false;
		break;
	case 'f':
		if (danger_call_at(j, 0) || info_call_at(j, 0)) {
			*end = 0;
			return true;
		}
		break;
	case 'E':
		/* a whole query: SELECT with an item, then more SQL right after the item or a
		 * strong construct further on (a subquery in an unclosed call, UNION ...) */
		if (j->t[0].kw != KW_SELECT || !select_item_at(j, 1, &i))
			return raw_union_anywhere(j, end);
		if (select_at(j, 0, true)) {
			*end = 0;
			return true;
		}
		return walk(j, 1, end);
	case 'U':
		break;
	case '&':
		/* AND (name = "...: the value continues a WHERE clause */
		if (cond_at(j, 0)) {
			*end = 0;
			return true;
		}
		return false;
	case 'n':
		/* the end of a name or path the application wrapped: CRS) UNION ..., a.ini);... */
		while (tt(j, i + 1) == '.' && tt(j, i + 2) == 'n')
			i += 2;
		t1 = tt(j, i + 1);
		if (t1 != ')' && t1 != ';' && t1 != '&')
			return raw_union_anywhere(j, end);
		break;
	default:
		return raw_union_anywhere(j, end);
	}
	return walk(j, 0, end) || raw_union_anywhere(j, end);
}

static void fingerprint(char ctx, const struct tok *t, size_t m, size_t end,
			char ret_fingerprint[MSC_SQLI_FP_LEN])
{
	size_t o = 0;

	ret_fingerprint[o++] = ctx;
	for (size_t i = 0; i < m && o + 1 < MSC_SQLI_FP_LEN && i <= end + 4; i++)
		ret_fingerprint[o++] = t[i].t;
	ret_fingerprint[o] = '\0';
}

bool msc_detect_sqli(const uint8_t *p, size_t n, char ret_fingerprint[MSC_SQLI_FP_LEN])
{
	static const uint8_t ctxs[] = { 0, '\'', '"' };
	struct lexer lx;

	if (ret_fingerprint)
		ret_fingerprint[0] = '\0';
	if (!p || n == 0)
		return false;
	if (n > MSC_INJECT_MAX_INSPECT)
		n = MSC_INJECT_MAX_INSPECT;
	for (size_t c = 0; c < sizeof(ctxs); c++) {
		struct judge j;
		size_t end = 0;
		bool hit;

		/* a quote context only matters when the value holds that quote */
		if (ctxs[c] && !memchr(p, ctxs[c], n))
			continue;
		lex_all(&lx, p, n, ctxs[c]);
		j.t = lx.t;
		j.m = lx.m;
		j.raw = ctxs[c] == 0;
		hit = j.raw ? judge_raw(&j, &end) : judge_quoted(&j, &end);
		if (hit) {
			if (ret_fingerprint)
				fingerprint(ctxs[c] ? (char)ctxs[c] : '0', lx.t, lx.m, end,
					    ret_fingerprint);
			return true;
		}
	}
	return false;
}
