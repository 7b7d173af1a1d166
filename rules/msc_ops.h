/* SPDX-License-Identifier: GPL-2.0-only */
/* ModSecurity byte-level operators: @validateByteRange, @validateUrlEncoding, @validateUtf8Encoding, @ipMatch. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The set of allowed byte values of one @validateByteRange. */
struct msc_byte_range {
	uint64_t allowed[4]; /* bit b of allowed[b / 64] */
};

/*
 * Parse @validateByteRange's argument: comma-separated values "N" or ranges "N-M" with
 * 0 <= N <= M <= 255, white space around tokens allowed ("32-126,9,10,13"). Returns 0, or
 * -EINVAL with ERR naming the bad token (R is then untouched).
 */
int msc_byte_range_parse(const char *arg, struct msc_byte_range *r, char *err, size_t errlen);

/*
 * The operators below return true when the input is INVALID, i.e. when the operator matches
 * (as ModSecurity's do). Empty input never matches.
 */

/* A byte outside R. */
bool msc_op_validate_byte_range(const struct msc_byte_range *r, const uint8_t *in, size_t len);

/* A '%' not followed by two hex digits (including one too close to the end). */
bool msc_op_validate_url_encoding(const uint8_t *in, size_t len);

/*
 * Not well-formed UTF-8 (RFC 3629): a bad lead byte, a missing or bad continuation byte, an
 * overlong form, a surrogate (U+D800-DFFF) or a code point above U+10FFFF. ModSecurity 3.0.9
 * lets F4 90-BF sequences (U+110000-13FFFF) through; we do not.
 */
bool msc_op_validate_utf8(const uint8_t *in, size_t len);

/* A parsed @ipMatch list of IPv4/IPv6 addresses and CIDR prefixes. */
struct msc_ipset;

/* Most entries an @ipMatch list may hold; more are refused with an error. */
#define MSC_IPSET_MAX 65536

/*
 * Parse a comma-separated list of addresses and CIDRs ("10.0.0.0/8, ::1, 192.0.2.1"); host bits
 * beyond a prefix are cleared, empty entries skipped. Returns 0 and *RET, or -EINVAL with ERR
 * naming the bad entry (or saying the list is empty), -E2BIG past MSC_IPSET_MAX entries,
 * -ENOMEM.
 */
int msc_ipset_parse(const char *list, struct msc_ipset **ret, char *err, size_t errlen);

void msc_ipset_free(struct msc_ipset *s);

/* Number of entries (for logs and tests). */
size_t msc_ipset_count(const struct msc_ipset *s);

/*
 * True if ADDR_TEXT (LEN bytes, an IPv4 or IPv6 address in text form, not NUL-terminated) lies
 * in one of S's prefixes. Text that is not an address never matches.
 */
bool msc_ipset_match(const struct msc_ipset *s, const uint8_t *addr_text, size_t len);
