// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for rules/msc_transform and rules/msc_ops. Every transformation runs on the
 * input (after the first byte); the first byte also picks a second transformation applied to
 * each result, as t:a,t:b chains do. Each output must respect the documented size bound
 * (len_out <= MSC_TFN_MAX_FACTOR * len_in + MSC_TFN_MAX_EXTRA) or the target aborts. The
 * byte-level operators run on the same bytes, and the input as text is parsed as a
 * @validateByteRange argument and an @ipMatch list and matched against itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/msc_ops.h"
#include "rules/msc_transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_bound(size_t in, size_t out)
{
	if (out > MSC_TFN_MAX_FACTOR * in + MSC_TFN_MAX_EXTRA)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msc_buf a = { 0 }, b = { 0 };

	if (size == 0 || size > 65536)
		return 0;
	enum msc_tfn second = (enum msc_tfn)(data[0] % MSC_TFN_COUNT_);
	data++;
	size--;

	for (int t = 0; t < MSC_TFN_COUNT_; t++) {
		if (msc_tfn_apply((enum msc_tfn)t, data, size, &a) < 0)
			abort();
		check_bound(size, a.len);
		if (msc_tfn_apply(second, a.p, a.len, &b) < 0)
			abort();
		check_bound(a.len, b.len);
	}
	msc_buf_done(&a);
	msc_buf_done(&b);

	(void)msc_op_validate_url_encoding(data, size);
	(void)msc_op_validate_utf8(data, size);

	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	char err[256];
	struct msc_byte_range r;
	if (msc_byte_range_parse(text, &r, err, sizeof(err)) == 0)
		(void)msc_op_validate_byte_range(&r, data, size);
	else if (!memchr(err, 0, sizeof(err)))
		abort();
	struct msc_ipset *s = NULL;
	if (msc_ipset_parse(text, &s, err, sizeof(err)) == 0) {
		(void)msc_ipset_match(s, data, size);
		const char *comma = strchr(text, ',');
		(void)msc_ipset_match(s, data, comma ? (size_t)(comma - text) : size);
		msc_ipset_free(s);
	}
	free(text);
	return 0;
}
