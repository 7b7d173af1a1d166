/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One HTTP transaction as ModSecurity (SecRule) rules see it: the contract between the HTTP
 * layer (dpi/, which fills it from libhtp's transaction) and the SecRule engine (rules/,
 * which evaluates the phases over it). Types only; included through rules/rules.h.
 *
 * Every string is a borrowed byte range (not NUL-terminated, may hold NUL bytes), valid
 * until the filler is called again or freed. A field or list the HTTP layer does not have
 * is {NULL, 0} (absent); an empty but present value has ptr != NULL and len 0.
 *
 * Derived variables are the engine's job, not the filler's: ARGS = ARGS_GET + ARGS_POST,
 * ARGS_NAMES, *_NAMES, ARGS_COMBINED_SIZE, FILES_COMBINED_SIZE (sum of FILES_SIZES),
 * REQUEST_HEADERS_NAMES, MATCHED_VAR*, TX, UNIQUE_ID, DURATION.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msc_str {
	const uint8_t *ptr;
	size_t len;
};

struct msc_kv {
	struct msc_str name, value;
};

struct msc_list {
	const struct msc_kv *v;
	size_t n;
};

/* Single-valued variables (ModSecurity names). */
enum msc_field {
	MSC_F_REQUEST_METHOD = 0,
	MSC_F_REQUEST_PROTOCOL, /* "HTTP/1.1" */
	MSC_F_REQUEST_LINE, /* as received, without CRLF */
	MSC_F_REQUEST_URI, /* request target as received, query string included */
	MSC_F_REQUEST_URI_RAW, /* same, absolute form kept (scheme://host/...) */
	MSC_F_REQUEST_FILENAME, /* path part of the target (no query string) */
	MSC_F_REQUEST_BASENAME, /* last segment of REQUEST_FILENAME */
	MSC_F_QUERY_STRING, /* after '?', without it; absent when there is no '?' */
	MSC_F_REQUEST_BODY, /* body as received, dechunked/decompressed, capped */
	MSC_F_REQBODY_PROCESSOR, /* "URLENCODED", "MULTIPART", "JSON", "XML"; absent: none */
	MSC_F_REQBODY_ERROR_MSG, /* why REQBODY_ERROR is 1 */
	MSC_F_REMOTE_ADDR, /* client address, text form */
	MSC_F_REMOTE_PORT, /* decimal */
	MSC_F_SERVER_ADDR,
	MSC_F_SERVER_PORT,
	MSC_F_RESPONSE_PROTOCOL,
	MSC_F_RESPONSE_STATUS, /* decimal status code */
	MSC_F_STATUS_LINE,
	MSC_F_RESPONSE_BODY,
	MSC_F_MAX
};

/* Multi-valued variables: ordered (name, value) pairs, duplicates kept in wire order. */
enum msc_coll {
	MSC_C_ARGS_GET = 0, /* query string arguments, names and values URL-decoded ('+' = ' ') */
	MSC_C_ARGS_POST, /* urlencoded, multipart (non-file parts) and JSON body arguments */
	MSC_C_REQUEST_HEADERS, /* name as received (lookups are case-insensitive) */
	MSC_C_REQUEST_COOKIES, /* Cookie header(s) split into name=value pairs */
	MSC_C_FILES, /* multipart file parts: name = form field name, value = file name */
	MSC_C_FILES_SIZES, /* name = form field name, value = decimal size */
	MSC_C_MULTIPART_PART_HEADERS, /* name = part's field name, value = one header line */
	MSC_C_XML, /* XML:/(star) : value = each text node (name = element name) */
	MSC_C_XML_ATTR, /* XML://@(star) : name = attribute name, value = its value; every
			 * attribute of every element in document order (namespace
			 * declarations are not attributes, as in XPath) */
	MSC_C_RESPONSE_HEADERS,
	MSC_C_MAX
};

/* MULTIPART_* flag variables (ModSecurity's names), bits of msc_request.multipart. */
enum msc_multipart_flag {
	MSC_MP_BOUNDARY_QUOTED = 1u << 0,
	MSC_MP_BOUNDARY_WHITESPACE = 1u << 1,
	MSC_MP_DATA_BEFORE = 1u << 2,
	MSC_MP_DATA_AFTER = 1u << 3,
	MSC_MP_HEADER_FOLDING = 1u << 4,
	MSC_MP_LF_LINE = 1u << 5,
	MSC_MP_CRLF_LF_LINES = 1u << 6,
	MSC_MP_MISSING_SEMICOLON = 1u << 7,
	MSC_MP_INVALID_QUOTING = 1u << 8,
	MSC_MP_INVALID_PART = 1u << 9,
	MSC_MP_INVALID_HEADER_FOLDING = 1u << 10,
	MSC_MP_FILE_LIMIT_EXCEEDED = 1u << 11,
	MSC_MP_UNMATCHED_BOUNDARY = 1u << 12,
	MSC_MP_STRICT_ERROR = 1u << 13, /* set by the filler when any of the above is set */
};

/* Which parser reads the request body (ctl:requestBodyProcessor can force one). */
enum msc_body_processor {
	MSC_BODY_AUTO = 0, /* by Content-Type: urlencoded, multipart/form-data, JSON, XML */
	MSC_BODY_URLENCODED,
	MSC_BODY_MULTIPART,
	MSC_BODY_JSON,
	MSC_BODY_XML,
	MSC_BODY_NONE,
};

struct msc_request {
	struct msc_str f[MSC_F_MAX];
	struct msc_list c[MSC_C_MAX];
	bool reqbody_error; /* REQBODY_ERROR */
	bool body_truncated; /* the body exceeded the HTTP layer's limit */
	uint32_t multipart; /* MSC_MP_* */
	uint64_t request_body_len; /* bytes of body seen (REQUEST_BODY_LENGTH), even if capped */
	bool have_response; /* response fields and RESPONSE_HEADERS are filled */
};
