// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for cli/table: fwctl's aligned text tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "cli/table.h"

static char *render(const struct table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	table_print(t, f);
	fclose(f);
	return buf;
}

static void test_table_aligns_columns_without_trailing_blanks(void **state)
{
	static const char *const cols[] = { "KIND", ">HITS", "NOTE" };
	struct table *t = table_new(3, cols);
	char *out;

	assert_non_null(t);
	assert_int_equal(table_add_row(t, (const char *const[]){ "port-block", "7", "x" }), 0);
	assert_int_equal(table_add_row(t, (const char *const[]){ "allow", "12345", NULL }), 0);
	out = render(t);
	assert_string_equal(out, "KIND         HITS  NOTE\n"
				 "port-block      7  x\n"
				 "allow       12345  -\n");
	free(out);
	table_free(t);
}

static void test_table_header_only_and_limits(void **state)
{
	static const char *const cols[] = { "A" };
	const char *many[TABLE_MAX_COLS + 1] = { 0 };
	struct table *t = table_new(1, cols);
	char *out;

	assert_null(table_new(0, cols));
	assert_null(table_new(TABLE_MAX_COLS + 1, many));
	out = render(t);
	assert_string_equal(out, "A\n");
	free(out);
	table_free(t);
	table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_aligns_columns_without_trailing_blanks),
		cmocka_unit_test(test_table_header_only_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
