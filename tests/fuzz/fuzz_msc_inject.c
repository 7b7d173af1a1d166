// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for @detectSQLi and @detectXSS (rules/msc_inject_*.c). The input is one value.
 * Both detectors run on a copy of exactly the input's size (so ASan sees any read past n);
 * the fingerprint must be NUL-terminated and fit, empty when nothing was detected, and the
 * answer must not depend on the bytes after n.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "msc_inject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char fp[MSC_SQLI_FP_LEN];
	uint8_t *copy, *longer;
	bool s, x;

	copy = malloc(size ? size : 1);
	longer = malloc(size + 16);
	if (!copy || !longer) {
		free(copy);
		free(longer);
		return 0;
	}
	memcpy(copy, data, size);
	memset(fp, 'X', sizeof(fp));
	s = msc_detect_sqli(copy, size, fp);
	if (memchr(fp, '\0', sizeof(fp)) == NULL || (s != (fp[0] != '\0')))
		abort();
	x = msc_detect_xss(copy, size);
	/* bytes after n change nothing */
	memcpy(longer, data, size);
	memcpy(longer + size, "' or 1=1--<script>", 16);
	if (msc_detect_sqli(longer, size, NULL) != s || msc_detect_xss(longer, size) != x)
		abort();
	free(copy);
	free(longer);
	return 0;
}
