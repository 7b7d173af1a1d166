/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * moatd's control socket: a Unix stream socket speaking line-delimited, versioned JSON
 * (docs/control.md). Non-blocking and epoll-driven behind one file descriptor that the
 * daemon's main loop watches; many clients; every request validated (size, UTF-8, JSON,
 * version, command, argument names and types) before a handler sees it.
 *
 * Threading: a struct control is used by one thread (the daemon loop); handlers run in that
 * thread, one at a time, and must not block for long.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONTROL_PROTO_VERSION 1
#define CONTROL_DEFAULT_PATH "/run/moat/moatd.sock"

/*
 * A command handler. args is the request's "args" object (never NULL, validated against the
 * command's argument table; borrowed). On success return >= 0 and set *ret_result to a new
 * reference to a JSON object (or leave it NULL for an empty object). On failure return
 * -errno and write a message for the client into err (the reply's error.code is the errno
 * name, e.g. "EINVAL").
 */
typedef int (*control_handler)(void *ctx, json_t *args, json_t **ret_result, char *err,
			       size_t errlen);

/* One accepted argument; arrays of these end with a zero entry. */
struct control_arg {
	const char *name;
	json_type type; /* JSON_INTEGER, JSON_STRING, JSON_TRUE (any boolean), JSON_OBJECT ... */
	bool required;
};

struct control_opts {
	const char *path; /* NULL: CONTROL_DEFAULT_PATH */
	const char *group; /* group owning the socket; NULL or "": the daemon's */
	mode_t mode; /* 0: 0660 */
	size_t max_request; /* bytes in one request line; 0: CONTROL_DEFAULT_MAX_REQUEST */
	size_t max_clients; /* 0: CONTROL_DEFAULT_MAX_CLIENTS */
	size_t max_pending; /* unsent reply bytes per client before it is no longer read;
			       0: CONTROL_DEFAULT_MAX_PENDING */
	size_t max_reply; /* one reply larger than this becomes an E2BIG error; 0: default */
	unsigned int idle_timeout_ms; /* a client silent this long is closed; 0: default */
};

#define CONTROL_DEFAULT_MAX_REQUEST (64u << 10)
#define CONTROL_DEFAULT_MAX_CLIENTS 64u
#define CONTROL_DEFAULT_MAX_PENDING (1u << 20)
#define CONTROL_DEFAULT_MAX_REPLY (64u << 20)
#define CONTROL_DEFAULT_IDLE_MS 60000u
#define CONTROL_MAX_COMMANDS 64

struct control_stats {
	uint64_t accepted; /* connections accepted */
	uint64_t clients; /* connected now */
	uint64_t refused_clients; /* connections refused past max_clients */
	uint64_t requests; /* request lines processed */
	uint64_t errors; /* error replies sent (all causes) */
	uint64_t oversize; /* request lines longer than max_request */
	uint64_t bad_json; /* unparsable lines (syntax, non-UTF-8, NUL) */
	uint64_t idle_closed; /* clients closed by the idle timeout */
	uint64_t write_errors; /* clients gone while a reply was pending (EPIPE, ECONNRESET) */
	uint64_t replies_too_big; /* replies replaced by an E2BIG error */
};

struct control;

/*
 * Create the socket at opts->path (its parent directory is created 0755 if missing). A stale
 * socket (nobody listening) is replaced; a live one is -EADDRINUSE. Errors are -errno with a
 * message in err (unknown group, path too long, bind failure ...).
 */
int control_new(const struct control_opts *opts, struct control **ret, char *err, size_t errlen);
/* A control object without a socket: commands are registered and answered through
 * control_handle_line() only (tests, the fuzzer). */
int control_new_unbound(struct control **ret);
/*
 * Answer one request line (without its '\n') exactly as the socket would: *ret_reply is the
 * malloc'd reply line (without '\n'). Returns 0 or -ENOMEM.
 */
int control_handle_line(struct control *c, const char *line, size_t len, char **ret_reply);
/* Closes every client and removes the socket file. NULL is fine. */
void control_free(struct control *c);

/* The one descriptor for the daemon's epoll loop: when readable, call control_dispatch(). */
int control_fd(const struct control *c);

/* Serve whatever is ready (accepts, reads, requests, writes, idle timeouts) without
 * blocking. Returns 0, or -errno on an internal failure of the epoll set itself. */
int control_dispatch(struct control *c);

/*
 * Register command `name` (copied) with its handler, context and argument table (borrowed,
 * must outlive c; NULL = no arguments). Returns 0, -EEXIST for a duplicate name, -ENOSPC past
 * CONTROL_MAX_COMMANDS.
 */
int control_register(struct control *c, const char *name, control_handler h, void *ctx,
		     const struct control_arg *args);

/* One row of a command table; tables end with a zero entry. */
struct control_command {
	const char *name;
	control_handler handler;
	const struct control_arg *args;
};

/* control_register() every command of the table, all with ctx; stops at the first error. */
int control_register_all(struct control *c, const struct control_command *cmds, void *ctx);

void control_get_stats(const struct control *c, struct control_stats *ret);
const char *control_path(const struct control *c);
/* The credentials (SO_PEERCRED: pid, uid, gid) of the client whose request a handler is
 * serving now; -ENOENT outside a handler or for control_handle_line() requests. */
struct ucred;
int control_peer(const struct control *c, struct ucred *ret);

/* The errno name for a reply's error.code ("EINVAL"; "EIO" for unknown values). */
const char *control_errno_name(int err);
/* The errno for an error.code name, or 0 when unknown. */
int control_errno_from_name(const char *name);

struct metrics_writer;
/* A metrics collector for the control socket's counters (ctx: the struct control). */
void control_metrics_collect(void *ctx, struct metrics_writer *w);
