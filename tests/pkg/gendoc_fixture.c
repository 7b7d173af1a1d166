// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/gendoc.c linked with a fixture command table: the usage forms issue 7 plans (list kinds,
 * flush --yes, stats --watch, top, threshold) that fwctl's own table may not have yet, so
 * tests/pkg/fwctl_completion.sh checks the completion generator on them too. Prints what
 * `fwctl --gen-doc FORMAT` would print for this table.
 */
#include <stdio.h>
#include "lib/lib.h"
#include "fwctl.h"

static const struct fwctl_command fixture[] = {
	{ "list", NULL,
	  "[blocks|allows|bans|ports] [--reason auto|manual|SID] [--sort expiry|hits]",
	  "list entries", NULL },
	{ "flush", NULL, "[blocks|bans] --yes", "flush entries", NULL },
	{ "stats", NULL, "[--watch [SECONDS]] [--prometheus]", "counters", NULL },
	{ "alerts", NULL, "[--follow] [--since 10m] [--sid N] [--src CIDR] [--limit N]", "alerts",
	  NULL },
	{ "top", NULL, "[offenders|rules] [--limit N]", "top talkers", NULL },
	{ "threshold", NULL, "show | set threshold|window|ban-time VALUE", "score threshold",
	  NULL },
	{ "load", NULL, "FILE [--format suricata|modsec]", "a FILE positional", "two\nlines" },
};

const struct fwctl_command *fwctl_commands(size_t *n)
{
	*n = ARRAY_SIZE(fixture);
	return fixture;
}

const struct fwctl_global_opt fwctl_global_opts[] = {
	{ "--json", NULL, "JSON" },
	{ "--socket", "PATH", "socket" },
	{},
};
const char *const fwctl_exit_codes[] = { "0", "ok", NULL };
const char *const fwctl_summary = "fixture";
const char *const fwctl_description = "a fixture table\nfor the generator";

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s man|markdown|bash\n", argv[0]);
		return 2;
	}
	return fwctl_gendoc(argv[1], stdout) < 0 ? 2 : 0;
}
