/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ModSecurity variables from a libhtp transaction: fills struct msc_request (the contract
 * with the SecRule engine, rules/msc_request.h) the way libmodsecurity v3 fills its
 * variables, phase by phase.
 *
 * Lifetime: strings in the request are either borrowed from the transaction (libhtp's
 * memory: valid during the http_tx callback only) or decoded into the msc_vars arena. All of
 * them stay valid until the next msc_vars_request_headers() (a new transaction) or
 * msc_vars_free(): phase-1 collections are still valid after msc_vars_request_body() and
 * msc_vars_response(). One msc_vars per worker; not thread-safe.
 *
 * Where ModSecurity v3 (3.0.9) is the reference:
 * - REQUEST_URI and REQUEST_FILENAME are %XX-decoded ('+' kept), as v3's processURI();
 *   REQUEST_URI drops "scheme://host" of an absolute target; REQUEST_URI_RAW and
 *   QUERY_STRING are as received.
 * - ARGS_GET/ARGS_POST: split on the argument separator, then on the first '=', names and
 *   values decoded (%XX, '+' = space, invalid escapes kept verbatim); a piece without '='
 *   is a name with an empty value; empty pieces are kept as ("", "").
 * - REQUEST_COOKIES (v0): split on ';', last pair right-trimmed, names left-trimmed, pairs
 *   with an empty name skipped, the value is everything after the first '='.
 * - JSON body arguments are named as v3 names them: "json.a.b", array members
 *   "json.a.array_0", a container inside an array "" ("json.a.array_1.c"), an empty key
 *   "empty-key". They go to ARGS_POST (v3 puts them in ARGS only). Numbers are jansson's
 *   value printed back (shortest round-trip form): "1e5" reads as "100000", "1.50" as "1.5"
 *   (v3 gives yajl's text as written).
 * - Multipart: parts through libhtp's parser; the MULTIPART_* flags as v3's parser sets them
 *   (checked by hand where libhtp does not tell, see msc_vars_body.c);
 *   MULTIPART_PART_HEADERS lines are "Name: value" without the line ending (v3 keeps it).
 * - XML: each non-blank text or CDATA node, named after its element (the contract's
 *   XML:/(star)); v3 gives XML:/(star) as one value, the root's whole text content.
 * Checked against libmodsecurity 3.0.9 by tests/corpus/msc_vars_vs_modsec.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h" /* the door: struct msc_request (rules/msc_request.h) */
#include "http.h"
#include "eve.h"

enum msc_cookie_format {
	MSC_COOKIE_V0 = 0, /* Netscape: name=value; ... (ModSecurity's default) */
	MSC_COOKIE_V1 = 1, /* RFC 2109: ';' or ',' separators, quoted values unquoted */
};

struct msc_vars_config {
	char arg_separator; /* SecArgumentSeparator; default '&' */
	enum msc_cookie_format cookie_format; /* SecCookieFormat; default v0 */
	uint32_t max_args; /* ARGS_GET + ARGS_POST entries (SecArgumentsLimit); 1000 */
	uint32_t max_entries; /* entries of any other collection; 1000 */
	size_t max_name_len; /* bytes of a name kept (longer ones cut, counted); 4 KiB */
	size_t max_value_len; /* bytes of a value kept; 1 MiB */
	size_t max_arena; /* decoded bytes per transaction; 4 MiB */
	uint32_t json_depth; /* nesting levels of a JSON body; deeper is REQBODY_ERROR; 128 */
	size_t xml_max_bytes; /* larger XML bodies are not parsed (REQBODY_ERROR); 1 MiB */
	uint32_t xml_depth; /* element nesting; deeper is REQBODY_ERROR; 128 */
	uint32_t multipart_max_parts; /* more parts: REQBODY_ERROR; 1000 */
	uint32_t multipart_max_files; /* SecUploadFileLimit: more files set
					 MULTIPART_FILE_LIMIT_EXCEEDED; 100 */
};
void msc_vars_config_init(struct msc_vars_config *c);

/* What the caps refused, summed over the msc_vars' life. */
struct msc_vars_stats {
	uint64_t txs;
	uint64_t args_refused; /* arguments over max_args */
	uint64_t entries_refused; /* other collection entries over max_entries */
	uint64_t truncated; /* names or values cut to max_name_len/max_value_len */
	uint64_t arena_refused; /* strings not stored: max_arena reached */
	uint64_t body_errors; /* REQBODY_ERROR set */
	uint64_t alloc_failures;
};

struct msc_vars;
int msc_vars_new(const struct msc_vars_config *cfg, struct msc_vars **ret);
void msc_vars_free(struct msc_vars *v);
const struct msc_vars_stats *msc_vars_stats(const struct msc_vars *v);

/* Phase 1. Starts a new transaction: resets the arena and OUT, then fills the request line
 * variables, QUERY_STRING, ARGS_GET, REQUEST_HEADERS, REQUEST_COOKIES, REMOTE_/SERVER_
 * ADDR/PORT (from T; T may be NULL) and REQBODY_PROCESSOR as the Content-Type selects it
 * (ModSecurity sets it while adding headers; JSON/XML as the recommended setup's phase-1
 * ctl rules do). Returns 0, or -ENOMEM if a collection could not grow (what was filled
 * stays usable). */
int msc_vars_request_headers(struct msc_vars *v, const struct http_tx *tx,
			     const struct eve_tuple *t, struct msc_request *out);

/* Phase 2: REQUEST_BODY and, per processor (MSC_BODY_AUTO: by Content-Type), ARGS_POST,
 * FILES, FILES_SIZES, MULTIPART_PART_HEADERS, the multipart flags, XML, REQBODY_PROCESSOR,
 * REQBODY_ERROR and its message. A malformed body is not an error of the call: it sets
 * reqbody_error. Returns 0 or -ENOMEM. */
int msc_vars_request_body(struct msc_vars *v, const struct http_tx *tx,
			  enum msc_body_processor proc, struct msc_request *out);

/* Phases 3-4: RESPONSE_STATUS/PROTOCOL, STATUS_LINE, RESPONSE_HEADERS, RESPONSE_BODY;
 * sets have_response. Returns 0 or -ENOMEM. */
int msc_vars_response(struct msc_vars *v, const struct http_tx *tx, struct msc_request *out);
