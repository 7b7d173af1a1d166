// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwctl: the operator's command line; global options, the command table and dispatch.
 *
 * ONE SOURCE OF TRUTH. The tables below (commands[], global_opts_doc[], FWCTL_SUMMARY) are the
 * only place fwctl's interface is described: `fwctl help`, the man page (fwctl.8), the
 * reference (docs/fwctl.md) and the bash completion are all printed from them by
 * `fwctl --gen-doc man|markdown|bash` (cli/gendoc.c; run at build time by cli/meson.build).
 * We keep the text in C rather than in a separate data file because `fwctl help` must print
 * it anyway: a data file would need a generator step to become C, and the C is then the source.
 *
 * TO ADD A COMMAND: add one entry to commands[] below ({ name, handler, usage, help, details })
 * and its handler prototype in fwctl.h; then rebuild and run `ninja -C build update-fwctl-doc`
 * (rewrites docs/fwctl.md; the `fwctl-doc-fresh` test fails while it is stale). The usage
 * string drives the completion, so write it in the house syntax:
 *   - literal subcommands/keywords in lowercase, alternatives with '|' ("status | reload ..."
 *     for sub-commands, "[allow|deny]" for a keyword);
 *   - placeholders in UPPERCASE: IFACE (completes interface names), CMD (command names),
 *     FILE or PATH (file names), anything else (CIDR, N, DUR, VALUE) completes nothing;
 *   - options as "--name" (flag) or "--name VALUE" / "--name a|b|c" (its values complete),
 *     optional parts in [brackets].
 */
#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "lib/lib.h"
#include "fwctl.h"

static int cmd_help(struct fwctl *ctx, int argc, char **argv);

const char *const fwctl_summary = "control moat, the inline network security appliance";
const char *const fwctl_description =
	"fwctl is the operator's command line of moat: it attaches moat's XDP and TC programs to\n"
	"interfaces, edits the kernel block and allow lists, sets in-kernel HTTP checks, and asks\n"
	"the moatd daemon over its control socket for status, rules and configuration. The\n"
	"pinned-map commands (attach, detach, block, unblock, allow, disallow, list, stats, mode,\n"
	"http) work when the daemon is down: moatd adopts the pinned state when it starts.";

/* Global options (accepted before the command and, except --version, after it). */
const struct fwctl_global_opt fwctl_global_opts[] = {
	{ "--pin-root", "DIR",
	  "bpffs directory of moat's pins (default $MOAT_PIN_ROOT, else /sys/fs/bpf/moat)" },
	{ "--socket", "PATH",
	  "moatd's control socket (default $MOAT_SOCKET, else /run/moat/moatd.sock)" },
	{ "--json", NULL, "print one JSON object instead of a table" },
	{ "--verbose", NULL, "debug logging (before the command only; also -v)" },
	{ "--version", NULL, "print fwctl's version and exit" },
	{ "--help", NULL, "print this help (also -h); `fwctl help CMD` for one command" },
	{},
};

const char *const fwctl_exit_codes[] = {
	"0",  "ok",
	"1",  "operation failed or refused",
	"2",  "usage error: bad arguments or input; nothing was changed",
	"3",  "daemon unreachable (a command that needs moatd)",
	NULL,
};

/* The command table: later commands (daemon-backed) are added here. */
static const struct fwctl_command commands[] = {
	{ "attach", cmd_attach, "IFACE [--xdp-mode auto|native|generic] [--no-tc]",
	  "load (or adopt) moat and attach XDP and TC to IFACE",
	  "Reports the XDP mode actually used (native or generic) and the TC attach kind.\n"
	  "--xdp-mode auto (default) tries native and falls back to generic.\n"
	  "--no-tc attaches XDP only (no TC egress/ingress enforcement).\n"
	  "With moatd running the daemon attaches (and copies IFACE's packets to its workers;\n"
	  "`fwctl status` lists it); with it down the pinned links are made directly, with a\n"
	  "warning, and moatd serves IFACE when it starts." },
	{ "detach", cmd_detach, "IFACE", "remove moat's XDP and TC programs from IFACE",
	  "Only moat's own programs are removed; the maps (and policy) stay pinned.\n"
	  "Through moatd when it runs (it stops serving IFACE), else directly with a warning." },
	{ "block", cmd_entry,
	  "CIDR|--file FILE|- [--dir src|dst] [--proto tcp|udp|icmp [--port N]] [--ttl DUR] "
	  "[--reason TEXT]",
	  "drop traffic from (or to) CIDR; with --proto/--port only that service",
	  "A bare address is a host (/32, /128). CIDRs must be canonical (10.0.0.0/8, not\n"
	  "10.1.2.3/8). --dir src (default) matches the source, dst the destination.\n"
	  "--proto tcp|udp --port N blocks one destination port, scoped to CIDR as source\n"
	  "(0.0.0.0/0 and ::/0 for everyone). --ttl 30s|10m|1h|7d expires the entry in the\n"
	  "kernel. Re-adding an entry updates its expiry. --file reads one CIDR per line\n"
	  "('-' = stdin, '#' starts a comment); the options apply to every line and nothing\n"
	  "is loaded if any line is invalid.\n"
	  "block, unblock, allow and disallow go through moatd when it runs: it writes the\n"
	  "entry, logs it (log line and EVE 'policy' event with who, what, reason, ttl) and\n"
	  "saves it in its state file, so the entry survives a reboot. With the daemon down\n"
	  "they change the pinned maps directly and warn; moatd adopts them when it starts." },
	{ "unblock", cmd_entry,
	  "CIDR|--file FILE|- [--dir src|dst] [--proto tcp|udp|icmp [--port N]]",
	  "remove a block entry", NULL },
	{ "allow", cmd_entry,
	  "CIDR|--file FILE|- [--proto tcp|udp|icmp [--port N]] [--ttl DUR] [--reason TEXT]",
	  "allowlist a source (allow beats block); with --proto/--port open a service",
	  "In default-deny mode only allowlisted sources and allowed services pass." },
	{ "disallow", cmd_entry, "CIDR|--file FILE|- [--proto tcp|udp|icmp [--port N]]",
	  "remove an allow entry", NULL },
	{ "list", cmd_list,
	  "[blocks|allows|bans|ports] [--reason auto|manual|SID] [--sort expiry|hits]",
	  "list block and allow entries, or the daemon's bans, with time left and hits",
	  "Without a kind: every kernel entry, read from the pinned maps (works with the\n"
	  "daemon down); blocks, allows, ports: only block entries, allow entries, or port\n"
	  "(service) entries. --reason auto (automatic bans' entries), manual (operators'), or\n"
	  "SID (entries a rule made); --sort expiry (soonest first, never-expiring last) or\n"
	  "hits (most first); without --sort, map order. bans: moatd's active automatic bans\n"
	  "(prefix, score, offences, what triggered it, rule ids, time left, hits of the\n"
	  "kernel entry; 'gone' when an operator removed it); --sort expiry (default) or hits;\n"
	  "--reason auto (all bans) or SID (bans that rule contributed to). bans needs the\n"
	  "daemon (exit 3)." },
	{ "stats", cmd_stats, "[--watch [SECONDS] [--count N]] [--prometheus] [--json]",
	  "show the mode, attachments and packet/byte counters",
	  "Read from the pinned maps: works with the daemon down. --watch [SECONDS] (1-3600,\n"
	  "default 2; 5s, 1m also): redraws every SECONDS with per-second rates of packets and\n"
	  "bytes per hook, verdict and reason, drops by reason, copies to the daemon and their\n"
	  "losses, until interrupted or --count N frames (--json: one object per frame and\n"
	  "line). --prometheus: the Prometheus text exposition of the same counters: the\n"
	  "daemon's metrics when it runs (moat_daemon_up 1), else the pinned maps' counters\n"
	  "under the same names (moat_daemon_up 0, a warning on stderr)." },
	{ "mode", cmd_mode, "[allow|deny]", "show or set the default policy",
	  "allow: default-allow, the blocklist drops. deny: default-deny, only allowlisted\n"
	  "sources and allowed services pass (ingress only; ARP and IPv6 ND always pass)." },
	{ "http", cmd_http,
	  "block-host|unblock-host|block-method|unblock-method|block-uri|unblock-uri VALUE | "
	  "limits REQUEST_LINE HEADER | list [--json]",
	  "in-kernel HTTP checks on the first request segment of each TCP flow",
	  "Checked at TC ingress on the first payload segment a client sends after its SYN:\n"
	  "blocked methods (exact, case-sensitive), blocked Host values (case-insensitive, the\n"
	  "port ignored; give the name without port), URI prefixes (raw request target, must\n"
	  "start with '/'), and the longest request line and header line in bytes (limits,\n"
	  "0 = none, at most 2047). A hit drops the request and every later packet of its\n"
	  "connection (counted as drop/http in `fwctl stats`). Only the first segment is read:\n"
	  "a request line split over segments is counted, not seen." },
	{ "status", cmd_status, "[--json]",
	  "daemon, interfaces, mode, ruleset, bans and ring-buffer losses",
	  "Asks moatd over its control socket. When the daemon is down, shows what the pinned\n"
	  "maps say (mode, attachments, entries) and exits 3." },
	{ "rules", cmd_rules,
	  "status | reload [--no-wait] [--timeout DUR] | list [--sid N [--gid N]] [--limit N] | "
	  "disable|enable SID [--no-wait] [--timeout DUR] | check PATH...",
	  "the daemon's ruleset: status, reload, list, disable/enable rules; check rule files",
	  "status: rule files, counts, the last reload and its problems (file:line: message).\n"
	  "reload: compiles the rules directory and -S paths beside the running ruleset and\n"
	  "waits for the swap; exit 1 if it failed (the old rules stay) or skipped invalid\n"
	  "rules (the rest are active).\n"
	  "list: the running rules of both engines (Suricata, SecRule): kind, id, action,\n"
	  "enabled or disabled, alerts since the daemon started, file:line, msg (--sid N: that\n"
	  "id only; exit 1 when no rule has it).\n"
	  "disable SID, enable SID: the daemon leaves the rule out of (puts it back into) every\n"
	  "ruleset it compiles, at once (a reload) and for good (saved in its state directory,\n"
	  "kept across reloads and restarts); waits for the reload like 'reload'. A Suricata\n"
	  "rule of gid 1 and a SecRule with that id are both concerned. Exit 1 for an id the\n"
	  "running ruleset does not have (or, for enable, that is not disabled). The disabled\n"
	  "rules are listed by 'status'.\n"
	  "check PATH...: parses files or directories here, without the daemon; prints every\n"
	  "problem as file:line: message; exit 1 if any rule is invalid." },
	{ "config", cmd_config, "show", "the running daemon's effective configuration",
	  "Printed in moat.conf syntax (durations in seconds, sizes in bytes); --json for JSON." },
	{ "flush", cmd_flush, "bans|blocks --yes",
	  "remove every automatic ban, or every manual block",
	  "bans: moatd unbans every automatic ban (kernel entry deleted, EVE unban event with\n"
	  "reason flushed; offence history kept) and removes automatic entries it does not\n"
	  "track; needs the daemon (exit 3). blocks: deletes every block and port-block entry\n"
	  "that is not an automatic ban (manual and rule entries), through the pinned maps;\n"
	  "works with the daemon down (a warning: the daemon adopts the maps when it starts).\n"
	  "Allow entries are never touched. Without --yes nothing changes (exit 2)." },
	{ "alerts", cmd_alerts,
	  "[--follow [--count N]] [--since DUR] [--sid N] [--src CIDR] [--limit N]",
	  "the daemon's latest alerts, newest first, or followed as they come",
	  "From moatd's in-memory ring of the last 4096 alerts (all alerts, also with autoban\n"
	  "off; eve.json has the full record). --since 10m: only alerts of the last 10 minutes;\n"
	  "--sid N: one rule (Suricata sid or SecRule id); --src CIDR: sources within CIDR\n"
	  "(canonical); --limit N (1-4096, default 50).\n"
	  "--follow: prints new alerts as they arrive, oldest first, one line each (--json: one\n"
	  "object per line), until interrupted or --count N alerts were printed; --since and\n"
	  "--limit choose a backlog printed first (none without them); --sid and --src filter.\n"
	  "Alerts overwritten in the ring before fwctl read them are reported on stderr." },
	{ "top", cmd_top, "offenders|rules [--limit N]",
	  "the daemon's top offenders (by score) or rules (by alerts since start)",
	  "offenders: tracked sources or prefixes by current score (decayed over the window),\n"
	  "with offences (bans so far), whether a ban is active and the latest rule ids; the\n"
	  "header shows the ban threshold. rules: rule ids by alerts since the daemon started,\n"
	  "with the running rule's message. --limit N (1-10000, default 10)." },
	{ "threshold", cmd_threshold, "show | set threshold|window|ban-time|ban-max VALUE",
	  "show or change the automatic-ban scoring at run time",
	  "threshold: the score that bans (1-1000000; alerts add 10/5/2/1 by priority 1-4 as\n"
	  "configured). window: the score leaks threshold per window (1s-7d). ban-time: the\n"
	  "first ban's length, ban-max: the cap of escalated bans (1s-365d, ban-max >=\n"
	  "ban-time). Applied at once to every offender; running bans keep their expiry. Not\n"
	  "saved: a restart reads the config file again. `fwctl config show` shows the values\n"
	  "in force." },
	{ "help", cmd_help, "[CMD]", "show help for all commands or one", NULL },
};

const struct fwctl_command *fwctl_commands(size_t *n)
{
	*n = ARRAY_SIZE(commands);
	return commands;
}

const struct fwctl_command *fwctl_command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void fwctl_help_command(const struct fwctl_command *c, FILE *f)
{
	fprintf(f, "usage: fwctl [--pin-root DIR] [--socket PATH] [--json] %s %s\n  %s\n", c->name,
		c->usage, c->help);
	if (c->details) {
		const char *p = c->details;

		while (*p) {
			size_t n = strcspn(p, "\n");

			fprintf(f, "  %.*s\n", (int)n, p);
			p += n;
			if (*p)
				p++;
		}
	}
}

static void help_all(FILE *f)
{
	fputs("usage: fwctl [--pin-root DIR] [--socket PATH] [--json] COMMAND [ARGS]\n"
	      "       fwctl --version | help [COMMAND]\n\n"
	      "Global options (--pin-root, --socket, --json also after the command):\n",
	      f);
	for (const struct fwctl_global_opt *o = fwctl_global_opts; o->name; o++) {
		char head[32];

		snprintf(head, sizeof(head), "%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-15s %s\n", head, o->help);
	}
	fputs("\nCommands:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fputs("\nExit codes:\n", f);
	for (size_t i = 0; fwctl_exit_codes[i]; i += 2)
		fprintf(f, "  %s  %s\n", fwctl_exit_codes[i], fwctl_exit_codes[i + 1]);
}

static int cmd_help(struct fwctl *ctx, int argc, char **argv)
{
	const struct fwctl_command *c;

	if (argc < 2) {
		help_all(stdout);
		return FWCTL_EXIT_OK;
	}
	if (argc > 2)
		return fwctl_usage_error("help", "too many arguments");
	c = fwctl_command_find(argv[1]);
	if (!c) {
		log_err("unknown command '%s' (try 'fwctl help')", argv[1]);
		return FWCTL_EXIT_USAGE;
	}
	fwctl_help_command(c, stdout);
	return FWCTL_EXIT_OK;
}

int fwctl_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct fwctl_command *c = cmd ? fwctl_command_find(cmd) : NULL;
	char msg[512];
	va_list ap;

	assert(fmt);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c)
		log_err("%s: %s (usage: fwctl %s %s)", cmd, msg, c->name, c->usage);
	else
		log_err("%s", msg);
	return FWCTL_EXIT_USAGE;
}

enum {
	OPT_JSON = 0x100,
	OPT_PIN_ROOT,
	OPT_VERSION,
	OPT_SOCKET,
	OPT_GEN_DOC,
};

#define FWCTL_MAX_CMD_OPTS 16

int fwctl_getopt(struct fwctl *ctx, int argc, char **argv, const struct option *cmd_opts)
{
	struct option opts[FWCTL_MAX_CMD_OPTS + 5] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "help", no_argument, NULL, 'h' },
	};
	size_t n = 4;
	int c;

	for (size_t i = 0; cmd_opts && cmd_opts[i].name; i++) {
		assert(i < FWCTL_MAX_CMD_OPTS);
		opts[n++] = cmd_opts[i];
	}
	for (;;) {
		/* Permuting: options may follow the positional ("block 10.0.0.0/8 --ttl 1h"). */
		c = getopt_long(argc, argv, ":h", opts, NULL);
		switch (c) {
		case OPT_JSON:
			ctx->json = true;
			continue;
		case OPT_PIN_ROOT:
			ctx->pin_root = optarg;
			continue;
		case OPT_SOCKET:
			ctx->socket = optarg;
			continue;
		case ':':
			log_err("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
			return '?';
		case '?':
			log_err("%s: unknown option '%s' (try 'fwctl help %s')", argv[0],
				argv[optind - 1], argv[0]);
			return '?';
		default:
			return c;
		}
	}
}

int main(int argc, char **argv)
{
	struct fwctl ctx = { .color = isatty(STDOUT_FILENO) };
	static const struct option global_opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		/* Undocumented on purpose: the build's doc generator (see the top of this file). */
		{ "gen-doc", required_argument, NULL, OPT_GEN_DOC },
		{},
	};
	const struct fwctl_command *cmd;
	int c;

	log_set_prog("fwctl");
	ctx.pin_root = getenv("MOAT_PIN_ROOT");
	if (ctx.pin_root && !*ctx.pin_root)
		ctx.pin_root = NULL;
	ctx.socket = getenv("MOAT_SOCKET");
	if (ctx.socket && !*ctx.socket)
		ctx.socket = NULL;

	/* '+': global options end at the command name; the command parses the rest. */
	while ((c = getopt_long(argc, argv, "+:hv", global_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			ctx.json = true;
			break;
		case OPT_PIN_ROOT:
			ctx.pin_root = optarg;
			break;
		case OPT_SOCKET:
			ctx.socket = optarg;
			break;
		case OPT_VERSION:
			printf("fwctl %s\n", MOAT_VERSION);
			return FWCTL_EXIT_OK;
		case OPT_GEN_DOC:
			return fwctl_gendoc(optarg, stdout) < 0 ? FWCTL_EXIT_USAGE : FWCTL_EXIT_OK;
		case 'h':
			help_all(stdout);
			return FWCTL_EXIT_OK;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case ':':
			log_err("option '%s' needs a value", argv[optind - 1]);
			return FWCTL_EXIT_USAGE;
		default:
			log_err("unknown option '%s' (try 'fwctl help')", argv[optind - 1]);
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		help_all(stderr);
		return FWCTL_EXIT_USAGE;
	}
	cmd = fwctl_command_find(argv[optind]);
	if (!cmd) {
		log_err("unknown command '%s' (try 'fwctl help')", argv[optind]);
		return FWCTL_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* GNU getopt: full re-initialisation for the command's own parse */
	return cmd->run(&ctx, argc, argv);
}
