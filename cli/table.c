// SPDX-License-Identifier: GPL-2.0-only
/* Aligned text tables: collect rows, measure the columns, print. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "table.h"

struct table *table_new(unsigned int ncols, const char *const *headers)
{
	struct table *t;

	if (ncols == 0 || ncols > TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	for (unsigned int i = 0; i < ncols; i++) {
		const char *h = headers[i];

		if (h[0] == '>') {
			t->align[i] = TABLE_RIGHT;
			h++;
		}
		t->headers[i] = h;
		t->width[i] = strlen(h);
	}
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int table_add_row(struct table *t, const char *const *cells)
{
	if (t->nrows >= TABLE_MAX_ROWS) {
		t->refused++;
		return -E2BIG;
	}
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **n = reallocarray(t->cells, cap * t->ncols, sizeof(char *));

		if (!n)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	for (unsigned int i = 0; i < t->ncols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "-");

		if (!s) {
			for (unsigned int j = 0; j < i; j++)
				free(t->cells[t->nrows * t->ncols + j]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
		t->width[i] = MAX(t->width[i], strlen(s));
	}
	t->nrows++;
	return 0;
}

static void table_print_row(const struct table *t, FILE *f, const char *const *cells)
{
	for (unsigned int i = 0; i < t->ncols; i++) {
		bool last = i + 1 == t->ncols;
		int w = (int)t->width[i];

		if (i)
			fputs("  ", f);
		if (t->align[i] == TABLE_RIGHT)
			fprintf(f, "%*s", w, cells[i]);
		else if (last)
			fputs(cells[i], f);
		else
			fprintf(f, "%-*s", w, cells[i]);
	}
	fputc('\n', f);
}

void table_print(const struct table *t, FILE *f)
{
	table_print_row(t, f, t->headers);
	for (size_t r = 0; r < t->nrows; r++)
		table_print_row(t, f, (const char *const *)&t->cells[r * t->ncols]);
}
