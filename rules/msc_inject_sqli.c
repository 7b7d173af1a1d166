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
 * The tokenizer is sqli_lex.c. Cost: at most MSC_INJECT_MAX_INSPECT bytes, at most
 * SQLI_MAX_TOKENS tokens per context, three contexts (a quote context only when the value
 * holds that quote); the lexer reads each byte a bounded number of times (sqli_lex.h) and
 * most values are dropped after SQLI_PEEK_TOKENS tokens; the classifier is quadratic in the
 * token count at worst (64 x 64). Linear in n, no allocation, the state on the stack.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "msc_inject.h"
#include "sqli_lex.h"

#define SQLI_PEEK_TOKENS 8

struct judge {
	const uint8_t *p;
	const struct sqli_tok *t;
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
	if (is_operand(t) && !(j->t[i].fl & TF_PROSE)) {
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
	if (t == 'k' && (j->t[i].fl & TF_INFO)) {
		/* SELECT user FROM dual, SELECT database(): server facts without parentheses */
		char t1 = tt(j, i + 1);

		*next = i + 1;
		return t1 == '\0' || t1 == ',' || t1 == ')' || t1 == 'c' ||
		       (t1 == 'k' && j->t[i + 1].kw == KW_FROM);
	}
	if (!operand_at(j, i, next, &kind))
		return false;
	if (kind != 'n')
		return true;
	/* "select a plan": a bare name is an item only when SQL follows it */
	t = tt(j, *next);
	return t == ',' || (t == 'k' && (j->t[*next].kw == KW_FROM || j->t[*next].kw == KW_WHERE));
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
	const struct sqli_tok *a = &j->t[i];
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
static bool breaks(const struct judge *j, size_t i);

static bool danger_call_at(const struct judge *j, size_t i)
{
	size_t e;
	char a;

	if (tt(j, i) != 'f' || !(j->t[i].fl & TF_DANGER) || tt(j, i + 1) != '(')
		return false;
	/* the arguments are SQL (a number, string, variable, call, subquery), not prose as in
	 * "benchmark (1.6.1-1) unstable" or "sleep (8 hours)" */
	a = tt(j, i + 2);
	if (!(a == '1' || a == 's' || a == 'v' || a == 'f' || a == '(' || a == 'E' ||
	      (a == 'o' && tt(j, i + 3) == '1')))
		return false;
	e = skip_call(j, i);
	for (size_t k = i + 2; k + 1 < e && k + 1 < j->m; k++)
		if (breaks(j, k))
			return false;
	return true;
}

static bool has_space(const struct judge *j, size_t i)
{
	for (uint32_t k = 0; k < j->t[i].len; k++)
		if (sqli_is_space(j->p[j->t[i].pos + k]))
			return true;
	return false;
}

/*
 * An open string at i that a payload would leave for the application to close: a word
 * ("' or 'x"), after a first string without spaces ("use an '&&'-chain" is prose).
 */
static bool open_word(const struct judge *j, size_t i)
{
	bool alnum = false;

	for (uint32_t k = 1; k < j->t[i].len && !alnum; k++)
		alnum = isalnum(j->p[j->t[i].pos + k]);
	return alnum && !(j->t[0].t == 's' && has_space(j, 0));
}

/* What a name may be compared with as strong evidence: a string, a call, NULL/TRUE/FALSE. */
static bool name_partner(const struct judge *j, size_t i, char kind)
{
	while (tt(j, i) == '(')
		i++;
	return kind == 's' || kind == 'f' || (kind == '1' && (j->t[i].fl & TF_LITERAL));
}

/* The operand at i (of class kind) is a literal, a variable or a call reading server facts. */
static bool lit_side(const struct judge *j, size_t i, char kind)
{
	while (tt(j, i) == '(')
		i++;
	if (kind == 'f')
		return (j->t[i].fl & (TF_INFO | TF_DANGER)) != 0;
	return kind == '1' || kind == 's' || kind == 'v';
}

/*
 * The condition after AND/OR at i: a comparison (1=1, ''='', x LIKE 'a'), a dangerous call,
 * a subquery, or (inside a string context) a lone operand the statement ends on ("' or 1--").
 * With no_names, a name on either side of a comparison is not enough.
 */
static bool cond_at(const struct judge *j, size_t i, bool no_names)
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
	if (t == 'o' && (j->t[e].fl & TF_CMP) && (j->t[e].kw != KW_IN || tt(j, e + 1) == '(')) {
		size_t e2;

		while (tt(j, e + 1) == '(' || (tt(j, e + 1) == 'o' && (j->t[e + 1].fl & TF_UNARY)))
			e++;
		if (tt(j, e + 1) == 'E')
			return j->t[e + 1].kw == KW_SELECT;
		if (!operand_at(j, e + 1, &e2, &kb))
			return false;
		bool weak_names, ends;

		/* "status=active or kind=open", "and status != 1 at line 7", "hack\" and so is
		 * disabled": a name compared with a number or a name is weak evidence; strings,
		 * calls and NULL/TRUE/FALSE (email IS NULL) are not */
		if (no_names && (ka == 'n' || kb == 'n'))
			return false;
		weak_names = (ka == 'n' && !name_partner(j, e + 1, kb)) ||
			     (kb == 'n' && !name_partner(j, k, ka));
		/* as is, "and EXP(a) < EXP(b)" is math: a literal, a variable or a call reading
		 * server facts must take part */
		if (j->raw && !lit_side(j, k, ka) && !lit_side(j, e + 1, kb))
			return false;
		/* and the condition ends where SQL can end or go on, not in more words */
		while (tt(j, e2) == ')')
			e2++;
		t = tt(j, e2);
		ends = t == '\0' || (t == 'c' && !(j->t[e2].fl & TF_WEAK)) || t == ';';
		if (weak_names)
			/* "' or id=1--" still is: a string context closed by a bare quote, the
			 * condition ending the statement */
			return !j->raw && ends && !has_space(j, 0);
		return ends || t == 'c' || t == '&' || t == 'U' || t == 'k' || t == 'o' ||
		       t == ',' || (t == 's' && (j->t[e2].fl & TF_OPEN));
	}
	if (j->raw)
		return false;
	/* a lone operand the statement ends on: "' or 1--", "' or 'x" (not a name: "`;' or
	 * newline", nor an empty string: "add missing '&&'") */
	if (ka == 'n' || (ka == 's' && (j->t[k].fl & TF_OPEN) && !open_word(j, k)))
		return false;
	return e >= j->m || (t == 'c' && !(j->t[e].fl & TF_WEAK)) || t == ';';
}

/*
 * Two tokens SQL would not put side by side: the walk stops there. An open string at the end
 * is the application's own closing quote and is allowed after anything.
 */
static bool breaks(const struct judge *j, size_t i)
{
	char a = tt(j, i), b = tt(j, i + 1);

	if (a == 'x' || b == 'x' || (j->t[i + 1].fl & TF_PROSE))
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
	/* ORDER BY 1,2,3 */
	while (tt(j, e) == ',' && operand_at(j, e + 1, &e, &kind))
		;
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
			hit = cond_at(j, i, false);
			break;
		case 'U':
			hit = union_at(j, i);
			break;
		case ';': {
			char n1 = tt(j, i + 1);

			hit = (n1 == 'E' && stmt_at(j, i + 1, false)) ||
			      (!j->raw && n1 == 'c' && !(j->t[i + 1].fl & TF_WEAK) && i > 0);
			break;
		}
		case 'E':
			/* WAITFOR without ';' right after a closed string, parenthesis or number (SQL
			 * Server needs no separator; other statements there are prose: "2. ALTER
			 * TABLE ...", "\"DROP TABLE\" is ...") */
			if (i > 0 && j->t[i].kw == KW_WAITFOR &&
			    (tt(j, i - 1) == ')' || tt(j, i - 1) == 's' || tt(j, i - 1) == '1'))
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
			/* as is, "where 'l' is dh->length" is prose: literals only there */
			hit = order_by_at(j, i) ||
			      (j->t[i].kw == KW_WHERE && cond_at(j, i, j->raw));
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
		/* admin'-- : the rest of the statement is cut (text before the quote is prose:
		 * "the line \"#", "`savestring' -- backwards") */
		if (!(j->t[i].fl & TF_WEAK) && !has_space(j, 0)) {
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
	if ((t == 'o' || (t == '&' && j->p[j->t[i].pos] == '|')) && tt(j, i + 1) == 'f' &&
	    tt(j, i + 2) == '(') {
		/* ' + CHAR(65) + ' / '||CHR(60)||': the string is closed to splice in a call */
		*end = i + 1;
		return true;
	}
	if (t == 'o' && (j->t[i].fl & TF_CMP)) {
		/* '=' as a user name (name=''='' is true), '=0--: the closed string is compared
		 * and the statement ends or goes on with a condition */
		size_t e;
		char kind, n1;

		/* a name after it, or text before the quote, is prose: "must contain '='",
		 * "`foo' is a" */
		if (operand_at(j, i + 1, &e, &kind) && kind != 'n' && !has_space(j, 0)) {
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
		const struct sqli_tok *a = &j->t[k];

		if (a->t == 'v' || (a->t == 'f' && (a->fl & (TF_INFO | TF_DANGER))) ||
		    (a->t == '1' && (a->fl & TF_HEX)))
			return true;
	}
	return false;
}

/*
 * As is, a value that starts like prose or a key=value list can still carry a full UNION
 * (only UNION: has_set_word() looks for that word alone)
 * SELECT with a literal item (9767 AND 1=1 UNION ALL SELECT 1,NULL,...): no prose writes
 * "union select" followed by a number, NULL, a string, * or a call.
 */
static bool raw_union_anywhere(const struct judge *j, size_t *end)
{
	for (size_t i = 1; i < j->m; i++) {
		size_t k = i + 1;
		char t;

		if (j->t[i].t != 'U' || j->t[i].len != 5)
			continue;
		if (tt(j, k) == 'k' && (j->t[k].kw == KW_ALL || j->t[k].kw == KW_DISTINCT))
			k++;
		if (tt(j, k) != 'E' || j->t[k].kw != KW_SELECT)
			continue;
		t = tt(j, k + 1);
		/* ... UNION SELECT salt FROM user: a name item needs FROM and a table after it */
		if (t == '1' || t == 's' || t == 'f' || t == 'v' ||
		    (t == 'o' && j->t[k + 1].kw == KW_STAR) ||
		    (t == 'n' && tt(j, k + 2) == 'k' && j->t[k + 2].kw == KW_FROM &&
		     (tt(j, k + 3) == 'n' ||
		      (tt(j, k + 3) == 'k' && (j->t[k + 3].fl & TF_INFO))))) {
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
		/* -1 UNION ..., +1 OR ..., IN (SELECT ... */
		if (t1 != '1' && t1 != '(')
			return false;
		break;
	case 'k':
		/* a clause the application's query goes on with: FROM(SELECT ..., WHERE 1=2 */
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
		if (cond_at(j, 0, false)) {
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

/*
 * Early outs on the first SQLI_PEEK_TOKENS tokens, mirroring the entry tests of judge_raw()
 * and judge_quoted(): false only when those would say false whatever follows. Running out of
 * peeked tokens answers "maybe".
 */
static bool has_set_word(const uint8_t *p, size_t n)
{
	/* UNION anywhere, or a block comment that may splice one */
	for (size_t i = 0; i + 1 < n; i++) {
		uint8_t c = p[i] | 0x20;

		if (c == 'u' && i + 5 <= n && (p[i + 1] | 0x20) == 'n' &&
		    (p[i + 2] | 0x20) == 'i' && (p[i + 3] | 0x20) == 'o' &&
		    (p[i + 4] | 0x20) == 'n')
			return true;
		if (p[i] == '/' && p[i + 1] == '*')
			return true;
	}
	return false;
}

static bool raw_may_hit(const struct judge *j, const uint8_t *p, size_t n)
{
	size_t i = 0;

	switch (tt(j, 0)) {
	case '1':
	case 'v':
	case '(':
	case 'o':
	case 'k':
	case 'f':
	case 'E':
	case 'U':
	case '&':
		return true;
	case 'n':
		while (tt(j, i + 1) == '.' && tt(j, i + 2) == 'n')
			i += 2;
		if (i + 2 >= j->m && j->m >= SQLI_PEEK_TOKENS)
			return true;
		if (tt(j, i + 1) == ')' || tt(j, i + 1) == ';' || tt(j, i + 1) == '&')
			return true;
		return has_set_word(p, n);
	default:
		return has_set_word(p, n);
	}
}

static bool quoted_may_hit(const struct judge *j)
{
	size_t i = 1;

	if (j->m < 2 || (j->t[0].fl & TF_OPEN))
		return false;
	while (tt(j, i) == ')')
		i++;
	if (i >= j->m)
		return j->m >= SQLI_PEEK_TOKENS;
	return strchr("&o;UEf(kc,", tt(j, i)) != NULL;
}

static void fingerprint(char ctx, const struct sqli_tok *t, size_t m, size_t end,
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
	struct sqli_lexer lx;

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
		sqli_lex_start(&lx, p, n, ctxs[c]);
		/* most values fail at the first tokens: look at a few before lexing them all */
		sqli_lex_more(&lx, SQLI_PEEK_TOKENS);
		j.p = p;
		j.t = lx.t;
		j.m = lx.m;
		j.raw = ctxs[c] == 0;
		if (!(j.raw ? raw_may_hit(&j, p, n) : quoted_may_hit(&j)))
			continue;
		sqli_lex_more(&lx, SQLI_MAX_TOKENS);
		j.m = lx.m;
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
