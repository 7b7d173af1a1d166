/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Literal factors of a regular expression (PCRE2 syntax, as @rx writes it): a set of strings
 * of which every match of the pattern contains at least one, compared ASCII-caselessly. The
 * CRS engine scans a value for the factors of many @rx at once with a Hyperscan literal
 * database, which costs a fraction of Hyperscan's prefilter engines for the same patterns:
 * a pattern none of whose factors occurs cannot match. Not a door: rules/msc.h is.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MSC_RX_LIT_CAP 32 /* bytes kept of a factor (a prefix of a factor is one too) */
#define MSC_RX_LIT_MAX 256 /* factors of one pattern, at most */

struct msc_rx_lit {
	uint8_t len;
	uint8_t s[MSC_RX_LIT_CAP];
};

/*
 * The factors of PAT[0..LEN) into *RET (malloc'd; the caller frees it): returns their number,
 * 0 when the pattern has no factor set this understands (unknown or unbounded constructs, an
 * empty match, more than MSC_RX_LIT_MAX factors) and *RET is NULL, or -ENOMEM. Any construct
 * the analysis does not know gives "no factors" rather than a guess, so a pattern it cannot
 * read is never ruled out wrongly.
 */
int msc_rx_factors(const char *pat, size_t len, struct msc_rx_lit **ret);
