/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SQL tokenizer behind @detectSQLi (sqli_lex.c), shared with its classifier
 * (msc_inject_sqli.c). Internal to rules/: tokens, their classes and flags, the lexer state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	TF_PROSE = 1 << 8, /* open string holding spaces or long: text, not the app's quote */
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
	KW_IN, /* IN: a comparison only with "(" after it */
};

struct sqli_tok {
	char t;
	uint8_t kw;
	uint16_t fl;
	uint32_t pos, len;
};

struct sqli_lexer {
	const uint8_t *p;
	size_t n, i;
	uint8_t q; /* the context's quote, 0 as is */
	struct sqli_tok t[SQLI_MAX_TOKENS];
	size_t m;
};

/* The keyword table is in strict strcmp order and its letter index matches it (the lookup
 * bisects within one letter); for the unit tests. */
bool sqli_lex_table_sorted(void);

/* Whitespace as SQL parsers take it. */
bool sqli_is_space(uint8_t c);

/*
 * Start tokenizing p[0..n) in a context: q = 0 as is, else the value starts inside a string
 * opened with q (the first token is that string, open when q never comes).
 */
void sqli_lex_start(struct sqli_lexer *lx, const uint8_t *p, size_t n, uint8_t q);

/*
 * Go on tokenizing until there are want tokens (at most SQLI_MAX_TOKENS) or the value ends.
 * Each call resumes where the last stopped; a byte is looked at a bounded number of times
 * (a lookahead for '(' after a function name re-reads blanks once; splicing a keyword cut by
 * comments re-reads at most SQLI_MAX_WORD words).
 */
void sqli_lex_more(struct sqli_lexer *lx, size_t want);
