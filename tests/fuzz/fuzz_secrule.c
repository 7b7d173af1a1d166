// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for the SecRule loader (rules/msc_load.c, msc_parse.c): the input is a
 * ModSecurity configuration text, loaded parse-only (no JIT, no Hyperscan, no .data files),
 * then evaluated over a small fixed request through all five phases, so the evaluator
 * meets whatever the loader accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "msc_int.h"

#define S(s)                                        \
	{                                           \
		(const uint8_t *)(s), sizeof(s) - 1 \
	}

static const struct msc_kv args[] = { { S("q"), S("1' or '1'='1") }, { S("a"), S("<x>") } };
static const struct msc_kv hdrs[] = { { S("Host"), S("example.com") },
				      { S("User-Agent"), S("fuzz") } };

static void on_alert(void *user, const struct msc_alert *a)
{
	(*(size_t *)user) += strlen(a->msg) + (a->logdata ? strlen(a->logdata) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msc_request q = { 0 };
	struct msc_ruleset *m = NULL;
	struct rule_diags d = { 0 };
	struct msc_ctx *ctx = NULL;
	struct msc_tx *tx = NULL;
	size_t sink = 0;
	char *text;

	if (size > (1u << 20))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (msc_ruleset_new(&m) < 0)
		goto out;
	if (msc_load_string(m, text, "fuzz.conf", true, &d) < 0 ||
	    msc_compile_finish(m, true, false, &d) < 0)
		goto out;
	q.f[MSC_F_REQUEST_METHOD] = (struct msc_str)S("GET");
	q.f[MSC_F_REQUEST_URI] = (struct msc_str)S("/a?q=1");
	q.f[MSC_F_REMOTE_ADDR] = (struct msc_str)S("198.18.0.1");
	q.c[MSC_C_ARGS_GET] = (struct msc_list){ args, 2 };
	q.c[MSC_C_REQUEST_HEADERS] = (struct msc_list){ hdrs, 2 };
	if (msc_ctx_new(m, &ctx) == 0 && msc_tx_new(ctx, 1, &tx) == 0)
		for (int p = 1; p <= 5; p++)
			msc_tx_run_phase(ctx, tx, p, &q, on_alert, &sink);
out:
	msc_tx_free(tx);
	msc_ctx_free(ctx);
	msc_ruleset_free(m);
	rule_diags_done(&d);
	free(text);
	return 0;
}
