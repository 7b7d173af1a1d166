/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser state shared by the rule parser (rule_parse.c) and the keyword parsers. */
#pragma once

#include "rule.h"

/* Parse-time pseudo buffer: file.data, resolved to the request or response body by the
 * rule's direction once all options are known. */
#define BUF_FILE_DATA DETECT_BUF_MAX

struct parse_state {
	struct rule *r;
	const struct parse_env *env;
	char *errbuf;
	size_t errlen;
	int cur_buf; /* sticky buffer in effect (DETECT_BUF_PKT: the payload list) */
	int last_list, last_sm; /* last content/pcre/byte_* element, for relative keywords */
	int lc_list, lc_sm; /* last content, for content modifiers */
	bool has_sid;
	bool sticky_used; /* a sticky buffer keyword (pkt_data included) appeared */
	bool cur_dotprefix; /* dotprefix follows the current sticky buffer */
	const char *kw; /* keyword being parsed, for messages */
};

int ps_err(struct parse_state *ps, const char *fmt, ...) _printf_(2, 3);
int ps_unsup(struct parse_state *ps, const char *fmt, ...) _printf_(2, 3);
/* Append an element of type to the list of the current sticky buffer; NULL after setting
 * the error (list or element cap). */
struct sm *ps_add_sm(struct parse_state *ps, int type);
/* Same for a relative keyword (isdataat, byte_*, pcre /R): with no sticky buffer in the
 * rule, it joins the list of the element it is relative to, as in Suricata (a content
 * moved by http_uri takes its relative isdataat along). */
struct sm *ps_add_sm_relative(struct parse_state *ps, int type, bool relative);
/* The last content, or NULL after an error naming the keyword. */
struct sm_content *ps_last_content(struct parse_state *ps);
/* Legacy content modifier (http_uri ...): move the last content to buffer buf. */
int ps_move_last_content(struct parse_state *ps, int buf);
/* Strip surrounding quotes (and whitespace) in place; NULL when unbalanced. */
char *ps_unquote(char *s);
/* Parse a decimal number or a byte_extract variable name. */
int ps_rval(struct parse_state *ps, const char *s, int64_t min, int64_t max, struct rval *ret);
