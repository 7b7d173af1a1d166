// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for the Suricata rule parser. The input is rule text (several lines allowed).
 * An odd first byte also compiles the ruleset (Hyperscan, PCRE2 JIT) and runs the input
 * itself through every buffer, so the content engine meets whatever the parser accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

static int on_alert(void *user, const struct detect_input *in, const struct detect_alert *a)
{
	(*(int *)user)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset_opts opts = { 0 };
	struct rule_diags diags = { 0 };
	struct ruleset *rs = NULL;
	bool run;
	char *text;

	if (size == 0 || size > 65536)
		return 0;
	run = data[0] & 1;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	opts.no_compile = !run;
	if (ruleset_load_string(text, "fuzz.rules", &opts, &rs, &diags) == 0 && run) {
		struct detect_ctx *ctx = NULL;

		if (detect_ctx_new(rs, &ctx) == 0) {
			struct detect_input in = { 0 };
			struct detect_flow *f = detect_flow_new();
			int hits = 0;

			in.pkt.family = 2;
			in.pkt.ip_proto = 6;
			in.pkt.flags =
				DETECT_PKT_TO_SERVER | DETECT_PKT_ESTABLISHED | DETECT_PKT_HAS_TCP;
			in.pkt.app_proto = DETECT_APP_HTTP;
			in.pkt.dsize = (uint32_t)(size - 1);
			in.has_tx = true;
			for (int b = 0; b < DETECT_BUF_MAX; b++) {
				in.buf[b].data = (const uint8_t *)text;
				in.buf[b].len = size - 1;
			}
			detect_run(ctx, f, &in, on_alert, &hits);
			detect_flow_free(f);
			detect_ctx_free(ctx);
		}
	}
	ruleset_free(rs);
	rule_diags_done(&diags);
	free(text);
	return 0;
}
