// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for moatd's configuration parser (policyd/config): the input is a moat.conf.
 * Whatever it holds, the parser returns 0 or -errno with a "name:line: message" error, and a
 * configuration it accepted keeps its invariants (bounds of the validated keys).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policyd/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct moatd_config *c;
	char err[512] = "";
	int r;

	if (size > 1 << 16)
		return 0;
	c = malloc(sizeof(*c));
	if (!c)
		return 0;
	config_init(c);
	r = config_load_mem(c, (const char *)data, size, "fuzz.conf", err, sizeof(err));
	if (r < 0) {
		/* an error always names the input (a read error has no line) */
		if (strncmp(err, "fuzz.conf", 9) != 0)
			abort();
	} else {
		if (c->workers > 64 || c->ring_size < 4096 || (c->ring_size & (c->ring_size - 1)) ||
		    c->ban_max_s < c->ban_time_s || c->ipv4_prefix > 32 || c->ipv6_prefix > 128 ||
		    c->n_never_ban > CONFIG_MAX_NEVER_BAN || c->n_sets > CONFIG_MAX_SETS ||
		    !(c->threshold >= 1) || c->escalate < 1)
			abort();
	}
	free(c);
	return 0;
}
