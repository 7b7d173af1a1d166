// SPDX-License-Identifier: GPL-2.0-only
/* lib/fileio: whole-file reads with a cap, at and around the 64 KiB chunk boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/lib.h"

/* A stream of N bytes (pattern i % 251, with a NUL at position nul when nul < n). */
static FILE *stream_of(size_t n, size_t nul)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(fputc(i == nul ? 0 : (int)('a' + i % 26), f), EOF);
	rewind(f);
	return f;
}

static void check_read(size_t n, size_t max, int want)
{
	FILE *f = stream_of(n, SIZE_MAX);
	char *buf = (char *)0x1;
	size_t len = 12345;
	int r = file_read_all(f, max, &buf, &len);

	fclose(f);
	assert_int_equal(r, want);
	if (want < 0) {
		/* outputs untouched on failure */
		assert_ptr_equal(buf, (char *)0x1);
		assert_int_equal(len, 12345);
		return;
	}
	assert_int_equal(len, n);
	assert_int_equal(buf[n], '\0');
	for (size_t i = 0; i < n; i++)
		if (buf[i] != (char)('a' + i % 26))
			fail_msg("byte %zu differs", i);
	free(buf);
}

static void test_file_read_all_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131071, 131072, 131073, 300000 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_read(sizes[i], 1 << 20, 0);
}

static void test_file_read_all_cap_is_exact(void **state)
{
	(void)state;
	check_read(100000, 100000, 0);
	check_read(100001, 100000, -EFBIG);
	check_read(65536, 65536, 0);
	check_read(65537, 65536, -EFBIG);
	check_read(1, 0, -EFBIG);
	check_read(0, 0, 0);
}

static void test_file_read_all_keeps_nul_bytes(void **state)
{
	FILE *f = stream_of(70000, 69999);
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(file_read_all(f, 1 << 20, &buf, &len), 0);
	fclose(f);
	assert_int_equal(len, 70000);
	assert_non_null(memchr(buf, '\0', len)); /* callers wanting text check this */
	free(buf);
}

static void test_file_write_atomic_replaces_and_reports(void **state)
{
	char dir[] = "/tmp/moat-fileio-XXXXXX", path[64], tmp[80], err[256] = "", buf[16] = "";
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(file_write_atomic(path, "old", 3, 0600, err, sizeof(err)), 0);
	assert_int_equal(file_write_atomic(path, "new!", 4, 0600, err, sizeof(err)), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 4);
	fclose(f);
	assert_string_equal(buf, "new!");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_not_equal(access(tmp, F_OK), 0); /* no temporary left */
	/* a directory that does not exist: an error naming the file, nothing written */
	snprintf(path, sizeof(path), "%s/missing/state.json", dir);
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing/state.json"));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_read_all_sizes),
		cmocka_unit_test(test_file_read_all_cap_is_exact),
		cmocka_unit_test(test_file_read_all_keeps_nul_bytes),
		cmocka_unit_test(test_file_write_atomic_replaces_and_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
