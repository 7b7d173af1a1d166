/* SPDX-License-Identifier: GPL-2.0-only */
/* Turning fwctl's entry arguments (CIDR, --dir, --proto, --port, --ttl, --reason) and bulk-file
 * lines into datapath entries, with one-line errors that name the bad value. No I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "datapath/datapath.h"

/* The options of one block/unblock/allow/disallow invocation, as typed (validated later). */
struct entry_args_opts {
	bool allow; /* allow/disallow (else block/unblock) */
	const char *dir; /* NULL (= src), "src" or "dst" */
	const char *proto; /* NULL, "tcp", "udp", "icmp" or "icmpv6" */
	const char *port; /* NULL or the text of --port */
	const char *ttl; /* NULL (never expires) or a duration ("30s", "10m", "1h", "7d") */
	const char *reason; /* NULL or free text (at most MOAT_NOTE_LEN - 1 bytes) */
};

/* The longest bulk-file line accepted (bytes, without the newline). */
#define ENTRY_ARGS_MAX_LINE 1024

/*
 * Build the datapath entry for one target: a CIDR or bare address ("10.0.0.0/8",
 * "2001:db8::1"), or NULL for "any source" (only with --proto/--port). Strict: a CIDR with
 * host bits set is refused and the message suggests the canonical form.
 * Returns 0; -EINVAL / -ERANGE / -EADDRNOTAVAIL with a one-line message in err (which names
 * the bad value, e.g. "invalid port '0' (1..65535)"). *ret is untouched on failure.
 */
int entry_args_build(const struct entry_args_opts *o, const char *target, struct moat_dp_entry *ret,
		     char *err, size_t errlen);

/*
 * Validate the options alone (before reading a bulk file), same messages as above, and fill
 * *ret with every field but the CIDR (zeroed): the template of each bulk line's entry.
 */
int entry_args_template(const struct entry_args_opts *o, struct moat_dp_entry *ret, char *err,
			size_t errlen);

/*
 * Parse one line of a bulk file in place: strips a '#' comment and surrounding blanks.
 * Returns 1 with *ret_target set (a NUL-terminated token inside line), 0 for a blank or
 * comment-only line, -EINVAL when the line holds more than one token (message in err).
 */
int entry_args_line(char *line, const char **ret_target, char *err, size_t errlen);

/* "tcp", "udp", "icmp", "icmpv6" (also "icmp6") -> IPPROTO_*; -EINVAL otherwise. */
int entry_args_proto(const char *s, uint8_t *ret);

/* IPPROTO_* -> "tcp" ...; NULL for 0. */
const char *entry_args_proto_name(uint8_t proto);
