// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for fwctl's entry arguments and bulk-file lines (cli/entry_args). The first
 * input line holds the options as up to five space-separated tokens (dir proto port ttl reason,
 * "-" = not given); every further line is a bulk-file line, parsed and built into an entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/entry_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry_args_opts o = { 0 };
	const char **slots[] = { &o.dir, &o.proto, &o.port, &o.ttl, &o.reason };
	char *buf, *line, *save = NULL, *tok, *tsave = NULL;
	struct moat_dp_entry e;
	char err[256];
	size_t n = 0;

	if (size > 1 << 16)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	line = strtok_r(buf, "\n", &save);
	if (line) {
		o.allow = line[0] & 1;
		for (tok = strtok_r(line, " ", &tsave); tok && n < 5;
		     tok = strtok_r(NULL, " ", &tsave), n++)
			*slots[n] = strcmp(tok, "-") == 0 ? NULL : tok;
		(void)entry_args_template(&o, &e, err, sizeof(err));
		(void)entry_args_build(&o, NULL, &e, err, sizeof(err));
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		const char *target;

		if (strlen(line) > ENTRY_ARGS_MAX_LINE)
			continue;
		if (entry_args_line(line, &target, err, sizeof(err)) == 1)
			(void)entry_args_build(&o, target, &e, err, sizeof(err));
	}
	free(buf);
	return 0;
}
