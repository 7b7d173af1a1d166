/* SPDX-License-Identifier: GPL-2.0-only */
/* The compiled ruleset's internals, shared by the loader/compiler and the matcher. */
#pragma once

#include <hs/hs.h>
#include "rule.h"

/* One Hyperscan database of fast patterns for one inspection buffer. */
struct mpm {
	hs_database_t *db;
	uint32_t n_pats;
	uint32_t *rule_off; /* n_pats + 1 offsets into rule_ids */
	uint32_t *rule_ids; /* rule indexes sharing each pattern */
};

struct ruleset {
	struct rule **rules;
	size_t n, cap;
	struct class_table classes;
	struct name_table flowbits;
	struct ruleset_stats stats;
	uint64_t generation; /* random id: per-flow state from another ruleset is reset */
	struct mpm mpm[DETECT_BUF_MAX]; /* DETECT_BUF_STREAM shares DETECT_BUF_PKT's */
	uint32_t *always; /* rules without a fast pattern */
	size_t n_always;
	hs_scratch_t *scratch; /* prototype, cloned per worker; never scanned with */
};

/* Append a diagnostic (copies strings). Past RULE_DIAGS_MAX it is counted as dropped. */
void diag_add(struct rule_diags *d, enum rule_diag_kind kind, const char *file, unsigned int line,
	      uint32_t sid, const char *msg);

/* Build the Hyperscan databases and JIT the regexes (ruleset_compile.c). */
int ruleset_compile(struct ruleset *rs, struct rule_diags *diags);
