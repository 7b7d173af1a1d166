// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SQL tokenizer behind @detectSQLi: keywords, functions, numbers, strings, comments and
 * operators as MySQL, PostgreSQL, SQL Server and Oracle parsers split them, closely enough to
 * classify injected fragments (msc_inject_sqli.c). Hand written: no packaged library
 * tokenizes SQL fragments. No allocation; the token array lives in the caller's lexer.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "sqli_lex.h"

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
	{ "COLLATE", 'k', 0, 0 },
	{ "CONCAT", 'f', 0, 0 },
	{ "CONCAT_WS", 'f', 0, 0 },
	{ "CONVERT", 'f', 0, 0 },
	{ "COUNT", 'f', 0, 0 },
	{ "CREATE", 'E', 0, KW_DROP_LIKE },
	{ "CURRENT_USER", 'f', TF_INFO, 0 },
	{ "DATABASE", 'f', TF_INFO, KW_TABLE_LIKE },
	{ "DBMS_PIPE.RECEIVE_MESSAGE", 'f', TF_DANGER, 0 },
	{ "DB_NAME", 'f', TF_INFO, 0 },
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
	{ "IN", 'o', TF_CMP, KW_IN },
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

/*
 * kw_first[c - 'A'] is the index of the first keyword starting with letter c, kw_first[26]
 * the table's size: the bisection starts within one letter. Checked against kwtab by
 * sqli_lex_table_sorted() (unit tested), so an edit of the table cannot silently break it.
 */
static const uint8_t kw_first[27] = { 0,  5,  8,  20, 30, 39, 43, 45,  47,  58,	 58,  58,  64, 68,
				      73, 76, 78, 78, 83, 93, 98, 107, 109, 112, 114, 114, 114 };

static const struct kwent *kw_lookup(const uint8_t *p, size_t n)
{
	char up[SQLI_MAX_WORD + 1];
	size_t lo, hi;
	int l;

	/* every keyword starts with a letter and is at least two bytes long */
	if (n < 2 || n > SQLI_MAX_WORD || !isalpha(p[0]))
		return NULL;
	for (size_t i = 0; i < n; i++)
		up[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 0x20 : p[i]);
	up[n] = '\0';
	l = up[0] - 'A';
	lo = kw_first[l];
	hi = kw_first[l + 1];
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

bool sqli_lex_table_sorted(void)
{
	size_t n = sizeof(kwtab) / sizeof(kwtab[0]);

	for (size_t i = 1; i < n; i++)
		if (strcmp(kwtab[i - 1].w, kwtab[i].w) >= 0)
			return false;
	/* the letter index */
	if (kw_first[26] != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int l = kwtab[i].w[0] - 'A';

		if (l < 0 || l >= 26 || i < kw_first[l] || i >= kw_first[l + 1])
			return false;
	}
	return true;
}

bool sqli_is_space(uint8_t c)
{
	/* SQL parsers take the C spaces; MySQL also 0xa0 in latin1 connections. */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       c == 0xa0;
}

static bool is_word(uint8_t c)
{
	/* Bytes >= 0x80 are identifier characters in MySQL (UTF-8 names), except 0xa0 (a space). */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || (c >= 0x80 && c != 0xa0);
}

/*
 * End of a string opened with quote q whose content starts at i: index of the closing quote,
 * or n when the value ends first. A doubled quote stays inside; so does a backslash escape
 * when bslash (MySQL accepts both; the standard, SQL Server and PostgreSQL only the first).
 */
static size_t string_end(const uint8_t *p, size_t n, size_t i, uint8_t q, bool bslash)
{
	while (i < n) {
		if (bslash && p[i] == '\\' && i + 1 < n) {
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

/*
 * Flags of a string the value leaves open (the application's own quote closes it): payloads
 * leave a short word there ("' or 'a'='a"); text after a quote has spaces or runs long.
 */
static uint16_t open_flags(const struct sqli_lexer *lx, uint8_t quote, const uint8_t *p, size_t n)
{
	/* only the context's quote is closed by the application ("used inside ' and \"") */
	if (lx->q && quote != lx->q)
		return TF_OPEN | TF_PROSE;
	if (n > 32)
		return TF_OPEN | TF_PROSE;
	for (size_t i = 0; i < n; i++)
		if (sqli_is_space(p[i]))
			return TF_OPEN | TF_PROSE;
	return TF_OPEN;
}

static void emit(struct sqli_lexer *lx, char t, uint16_t fl, uint8_t kw, size_t pos, size_t len)
{
	struct sqli_tok *tk;

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
static void skip_blank(struct sqli_lexer *lx)
{
	const uint8_t *p = lx->p;

	while (lx->i < lx->n) {
		if (sqli_is_space(p[lx->i])) {
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
static const struct kwent *splice_word(const struct sqli_lexer *lx, size_t s, size_t *e)
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
static void lex_word(struct sqli_lexer *lx)
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
			emit(lx, kw->kw ? 'k' : 'n', kw->fl & TF_INFO, kw->kw, s, e - s);
		lx->i = save;
		return;
	}
	if (kw)
		emit(lx, kw->t, kw->fl, kw->kw, s, e - s);
	else
		emit(lx, 'n', 0, 0, s, e - s);
}

/* Number: decimal, fraction, exponent, 0x hex, 0b binary. Letters glued on make a name. */
static void lex_number(struct sqli_lexer *lx)
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
		/* "10.to_i": a dot before a name is a member access, not a fraction */
		if (e < lx->n && p[e] == '.' &&
		    !(e + 1 < lx->n && is_word(p[e + 1]) && !isdigit(p[e + 1]))) {
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
static void lex_op(struct sqli_lexer *lx)
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
		size_t l;

		if ((uint8_t)ops[k].s[0] != p[lx->i])
			continue;
		l = ops[k].s[1] ? (ops[k].s[2] ? 3 : 2) : 1;
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
void sqli_lex_start(struct sqli_lexer *lx, const uint8_t *p, size_t n, uint8_t q)
{
	lx->p = p;
	lx->n = n;
	lx->i = 0;
	lx->m = 0;
	lx->q = q;
	if (q) {
		/* the context's string: a backslash before the quote does not escape it on most
		 * servers (and "\\' or 1=1--" beats filters that add backslashes) */
		size_t e = string_end(p, n, 0, q, false);

		emit(lx, 's', e >= n ? TF_OPEN : 0, 0, 0, e);
		lx->i = e >= n ? n : e + 1;
	}
}

/* Go on tokenizing until there are want tokens (at most SQLI_MAX_TOKENS) or the value ends. */
void sqli_lex_more(struct sqli_lexer *lx, size_t want)
{
	const uint8_t *p = lx->p;
	size_t n = lx->n;

	if (want > SQLI_MAX_TOKENS)
		want = SQLI_MAX_TOKENS;
	while (lx->m < want) {
		uint8_t c;

		skip_blank(lx);
		if (lx->i >= lx->n)
			break;
		c = p[lx->i];
		if (c == '\'' || c == '"') {
			size_t e = string_end(p, n, lx->i + 1, c, true);

			emit(lx, 's', e >= n ? open_flags(lx, c, p + lx->i + 1, n - lx->i - 1) : 0,
			     0, lx->i, (e >= n ? n : e + 1) - lx->i);
			lx->i = e >= n ? n : e + 1;
		} else if (c == '`') {
			/* MySQL quoted identifier */
			size_t e = string_end(p, n, lx->i + 1, c, true);

			/* unclosed, it is a syntax error (and GNU-style `quoting' in prose) */
			emit(lx, e >= n ? 'x' : 'n', 0, 0, lx->i, (e >= n ? n : e + 1) - lx->i);
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
				/* "--with-x" is an option, not a comment (MySQL wants a space after
				 * --, and payloads put nothing after it); a comment holding quotes
				 * is prose around a quoted "--"; text after # may be "#2" */
				if (c == '-' && s + 2 < n && isalnum(p[s + 2]))
					weak = true;
				while (e < n && p[e] != '\n') {
					if ((c == '#' && !sqli_is_space(p[e])) || p[e] == '\'' ||
					    p[e] == '"')
						weak = true;
					e++;
				}
			}
			/* payloads end on "--", "-- -", "#", an open block comment; a sentence
			 * after it is prose ("\" -- that is, the subject ...") */
			if (e - s > 16 ||
			    (c == '/' && (memchr(p + s, '\'', e - s) || memchr(p + s, '"', e - s))))
				weak = true;
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
