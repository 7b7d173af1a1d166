/* SPDX-License-Identifier: GPL-2.0-only */
/* Payload keyword parsers (rule_payload.c), dispatched from rule_keywords.c. */
#pragma once

#include "rule_parse.h"

int kw_split(char *s, char **tok, int max);
int kw_content(struct parse_state *ps, char *val);
int kw_uricontent(struct parse_state *ps, char *val);
int kw_nocase(struct parse_state *ps, char *val);
int kw_depth(struct parse_state *ps, char *val);
int kw_offset(struct parse_state *ps, char *val);
int kw_distance(struct parse_state *ps, char *val);
int kw_within(struct parse_state *ps, char *val);
int kw_startswith(struct parse_state *ps, char *val);
int kw_endswith(struct parse_state *ps, char *val);
int kw_fast_pattern(struct parse_state *ps, char *val);
int kw_rawbytes(struct parse_state *ps, char *val);
int kw_pcre(struct parse_state *ps, char *val);
int kw_isdataat(struct parse_state *ps, char *val);
int kw_bsize(struct parse_state *ps, char *val);
int kw_byte_test(struct parse_state *ps, char *val);
int kw_byte_jump(struct parse_state *ps, char *val);
int kw_byte_extract(struct parse_state *ps, char *val);
