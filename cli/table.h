/* SPDX-License-Identifier: GPL-2.0-only */
/* Aligned text tables for fwctl's human output (the JSON output does not go through here). */
#pragma once

#include <stdio.h>
#include "lib/macro.h"

/* Hard caps: a row wider than this is a programming error; rows beyond TABLE_MAX_ROWS are
 * refused and counted (table->refused), so a huge list can never exhaust memory. */
#define TABLE_MAX_COLS 12
#define TABLE_MAX_ROWS 10000000u

enum table_align {
	TABLE_LEFT = 0,
	TABLE_RIGHT,
};

struct table {
	unsigned int ncols;
	const char *headers[TABLE_MAX_COLS];
	enum table_align align[TABLE_MAX_COLS];
	size_t width[TABLE_MAX_COLS];
	char **cells; /* nrows * ncols owned strings */
	size_t nrows;
	size_t cap;
	size_t refused;
};

/* headers: ncols strings that must outlive the table. A header starting with '>' is right
 * aligned (the '>' is not printed). Returns NULL on allocation failure. */
struct table *table_new(unsigned int ncols, const char *const *headers);
void table_free(struct table *t);
DEFINE_FREEP(struct table, table_free)

/* Append a row of exactly ncols cells (copied; NULL prints as "-").
 * Returns 0, -ENOMEM, or -E2BIG when the row cap is reached (counted in refused). */
int table_add_row(struct table *t, const char *const *cells);

/* Print the header and rows, columns separated by two spaces, no trailing blanks. */
void table_print(const struct table *t, FILE *f);
