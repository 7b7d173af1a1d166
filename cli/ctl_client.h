/* SPDX-License-Identifier: GPL-2.0-only */
/* fwctl's side of moatd's control socket: one request, one reply (docs/control.md). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CTL_CLIENT_DEFAULT_TIMEOUT_MS 10000
#define CTL_CLIENT_MAX_REPLY (64u << 20)

/*
 * Send command cmd with args (borrowed; NULL = no arguments) to the daemon listening on sock
 * (NULL = /run/moat/moatd.sock) and wait for its reply. On success returns 0 and sets
 * *ret_result to the reply's "result" (new reference). Errors:
 *   -ENOENT, -ECONNREFUSED, -ETIMEDOUT, -EACCES ...: the daemon is unreachable
 *                (ctl_client_unreachable() says which errors mean that); err says why;
 *   -EREMOTEIO:  the daemon refused the request; err holds its message and *ret_code (if
 *                not NULL) its errno;
 *   -EPROTO:     the reply was not a valid protocol reply.
 */
int ctl_client_call(const char *sock, const char *cmd, json_t *args, json_t **ret_result, char *err,
		    size_t errlen);
/* Same, with a deadline in milliseconds for connect + request + reply, and the daemon's
 * error code. */
int ctl_client_call_full(const char *sock, const char *cmd, json_t *args, int timeout_ms,
			 json_t **ret_result, int *ret_code, char *err, size_t errlen);

/* True when r (a ctl_client_call() result) means the daemon could not be reached. */
bool ctl_client_unreachable(int r);
