/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by fwctl's command handlers: opening the datapath, printing JSON. */
#pragma once

#include <jansson.h>
#include "datapath/datapath.h"
#include "fwctl.h"

/* Open (or adopt) the pinned datapath at ctx->pin_root; logs a one-line error on failure and
 * returns NULL. */
struct moat_dp *fwctl_open_dp(const struct fwctl *ctx);

DEFINE_FREEP(struct moat_dp, moat_dp_close)

/* Print obj as one compact line on stdout and drop the reference; returns an exit code
 * (FWCTL_EXIT_FAILED if obj is NULL, i.e. building it ran out of memory). */
int fwctl_print_json(json_t *obj);

/* Time left until expires_ns ("never", "expired", "59m12s"), into buf. */
const char *fwctl_format_expiry(uint64_t expires_ns, uint64_t now_ns, char *buf, size_t len);

/* The entry as a JSON object with fwctl's stable field names. */
json_t *fwctl_entry_json(const struct moat_dp_entry *e, uint64_t now_ns);

/* `fwctl list bans`: the daemon's active bans (cmd_ctl.c); sort and reason may be NULL. */
int cmd_list_bans(struct fwctl *ctx, const char *sort, const char *reason);
