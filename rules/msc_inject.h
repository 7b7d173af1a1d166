/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SQL and HTML/JS injection detectors behind the SecRule operators @detectSQLi and
 * @detectXSS (CRS rules 942100/942101 and 941100/941101). Debian has no libinjection, so these
 * are our own tokenizer-based detectors (msc_inject_sqli.c, msc_inject_xss.c).
 *
 * Contract shared by both functions:
 * - pure: no globals written, no allocation, thread-safe; the input is read-only and never
 *   read past n (it need not be NUL-terminated and may hold NUL bytes);
 * - linear time: at most MSC_INJECT_MAX_INSPECT bytes are looked at (a longer value is judged
 *   on its first MSC_INJECT_MAX_INSPECT bytes), each a bounded number of times;
 * - the input is the value after the rule's transformations (urlDecodeUni, htmlEntityDecode,
 *   ...): the detectors do no decoding of their own beyond what the grammar needs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes of one value the detectors inspect; the rest is ignored (the caller may count such
 * values). Large, because padding an attack past the cap would hide it: on ordinary values both
 * detectors run at over 100 MB/s (a full 64 KiB value: under a millisecond); values built to
 * be slow (thousands of attributes or tokens) measured a few milliseconds per 64 KiB.
 */
#define MSC_INJECT_MAX_INSPECT 65536

/* Fingerprint buffer size, NUL included. */
#define MSC_SQLI_FP_LEN 16

/*
 * True when p[0..n), read as a fragment placed in a SQL statement in one of the usual contexts
 * (as is / numeric, after a single quote, after a double quote, after a backtick), forms SQL
 * that changes the statement: tautologies and boolean conditions, UNION SELECT, stacked
 * queries, comments cutting the rest, time/file functions (SLEEP, BENCHMARK, LOAD_FILE ...).
 * ret_fingerprint (may be NULL) always receives a NUL-terminated string: on true, the context
 * and the token classes that decided, e.g. "s&1o1" (see msc_inject_sqli.c for the letters);
 * on false, "".
 */
bool msc_detect_sqli(const uint8_t *p, size_t n, char ret_fingerprint[MSC_SQLI_FP_LEN]);

/*
 * True when p[0..n), placed in an HTML document (as text, inside a tag, or inside an attribute
 * value quoted with ", ' or not quoted), would start script execution: script-capable tags
 * (script, iframe, object, embed, svg, ...), on* event handler attributes, javascript:,
 * vbscript: and data: URLs in URL attributes, style attributes/elements with expression(),
 * url(javascript:) or -moz-binding, and similar.
 */
bool msc_detect_xss(const uint8_t *p, size_t n);
