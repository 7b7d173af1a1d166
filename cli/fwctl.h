/* SPDX-License-Identifier: GPL-2.0-only */
/* fwctl's command table, shared context and exit codes (used by every cmd_*.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes are part of fwctl's interface: scripts test them. */
enum fwctl_exit {
	FWCTL_EXIT_OK = 0,
	FWCTL_EXIT_FAILED = 1, /* the operation was refused or failed */
	FWCTL_EXIT_USAGE = 2, /* bad arguments or input; nothing was changed */
	FWCTL_EXIT_UNREACHABLE = 3, /* the daemon is not reachable (control-socket commands) */
};

struct fwctl {
	const char *pin_root; /* --pin-root or $MOAT_PIN_ROOT; NULL = library default */
	const char *socket; /* --socket or $MOAT_SOCKET; NULL = /run/moat/moatd.sock */
	bool json; /* --json: one compact JSON object on stdout */
	bool color; /* stdout is a terminal */
};

struct fwctl_command {
	const char *name;
	/* Parses its own options from argv (argv[0] is the command name); returns an exit code. */
	int (*run)(struct fwctl *ctx, int argc, char **argv);
	const char *usage; /* "IFACE [--xdp-mode native|generic] [--no-tc]" */
	const char *help; /* one line */
	const char *details; /* extra lines for `fwctl help CMD`, or NULL */
};

/* Print a usage error naming the command, plus its usage line; returns FWCTL_EXIT_USAGE. */
int fwctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* All commands, in table order (cli/fwctl.c, the one source of fwctl's help and docs). */
const struct fwctl_command *fwctl_commands(size_t *n);

struct fwctl_global_opt {
	const char *name; /* "--pin-root" */
	const char *arg; /* "DIR", or NULL for a flag */
	const char *help; /* one line */
};

extern const struct fwctl_global_opt fwctl_global_opts[]; /* ends with a zero entry */
extern const char *const fwctl_exit_codes[]; /* code, meaning, ..., NULL */
extern const char *const fwctl_summary; /* one line, for the man page NAME */
extern const char *const fwctl_description; /* lines separated by '\n' */

/*
 * Print fwctl's documentation generated from the command table: format "man" (roff, fwctl.8),
 * "markdown" (docs/fwctl.md) or "bash" (the bash completion script). Returns 0, or -EINVAL for
 * an unknown format (error printed).
 */
int fwctl_gendoc(const char *format, FILE *f);

/* Find a command by name (NULL if unknown). */
const struct fwctl_command *fwctl_command_find(const char *name);

/*
 * Parse the options shared by every command (--json, --pin-root DIR, --socket PATH, --help) with
 * getopt_long: cmd_opts are the command's own long options (terminated by a zero entry, at
 * most 16). Returns the option character like getopt_long (-1 at the end; '?' after an error
 * has been printed); the shared options are handled here and never returned, except 'h' for
 * --help which the caller answers with fwctl_help_command().
 */
struct option;
int fwctl_getopt(struct fwctl *ctx, int argc, char **argv, const struct option *cmd_opts);

void fwctl_help_command(const struct fwctl_command *c, FILE *f);

/* Command handlers (cmd_*.c). */
int cmd_attach(struct fwctl *ctx, int argc, char **argv);
int cmd_detach(struct fwctl *ctx, int argc, char **argv);
int cmd_entry(struct fwctl *ctx, int argc, char **argv);
int cmd_list(struct fwctl *ctx, int argc, char **argv);
int cmd_stats(struct fwctl *ctx, int argc, char **argv);
int cmd_mode(struct fwctl *ctx, int argc, char **argv);
int cmd_status(struct fwctl *ctx, int argc, char **argv);
int cmd_rules(struct fwctl *ctx, int argc, char **argv);
int cmd_config(struct fwctl *ctx, int argc, char **argv);
int cmd_http(struct fwctl *ctx, int argc, char **argv);
int cmd_top(struct fwctl *ctx, int argc, char **argv);
int cmd_flush(struct fwctl *ctx, int argc, char **argv);
int cmd_alerts(struct fwctl *ctx, int argc, char **argv);
int cmd_threshold(struct fwctl *ctx, int argc, char **argv);
