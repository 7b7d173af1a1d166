// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for the disabled-rules state file (policyd/ruledisable): whatever the input, the
 * parser returns 0 with a set sorted by sid without duplicates, or -errno with an error naming
 * the file and the set left empty; an accepted set written out and read back is the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policyd/ruledisable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_disable_set s = { 0 }, t = { 0 };
	char err[512] = "";
	json_t *a, *b;
	char *text;
	int r;

	if (size > 1 << 16)
		return 0;
	r = rule_disable_parse(&s, (const char *)data, size, "fuzz.json", err, sizeof(err));
	if (r < 0) {
		if (s.n || (r != -ENOMEM && strncmp(err, "fuzz.json", 9) != 0))
			abort();
		return 0;
	}
	for (size_t i = 1; i < s.n; i++)
		if (s.v[i - 1].sid >= s.v[i].sid)
			abort();
	/* round trip through the writer's JSON */
	a = rule_disable_json(&s);
	b = a ? json_pack("{s:i, s:O}", "version", 1, "disabled", a) : NULL;
	text = b ? json_dumps(b, JSON_COMPACT) : NULL;
	if (text) {
		if (rule_disable_parse(&t, text, strlen(text), "again", err, sizeof(err)) < 0 ||
		    t.n != s.n)
			abort();
		for (size_t i = 0; i < s.n; i++)
			if (t.v[i].sid != s.v[i].sid || t.v[i].kind != s.v[i].kind ||
			    strcmp(t.v[i].msg, s.v[i].msg) != 0 || t.v[i].line != s.v[i].line)
				abort();
	}
	free(text);
	json_decref(a);
	json_decref(b);
	rule_disable_done(&s);
	rule_disable_done(&t);
	return 0;
}
