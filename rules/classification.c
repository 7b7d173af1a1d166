// SPDX-License-Identifier: GPL-2.0-only
/* Classification table (classtype -> description, priority): Suricata's default table
 * embedded, plus classification.config parsing. Also the flowbit name table. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "rule.h"
#include "ruleset_int.h"
#include "lib/lib.h"

#define CLASS_MAX 4096
#define NAMES_MAX 65536

/* Suricata 7's shipped classification.config (the Emerging Threats table). */
static const struct {
	const char *name, *desc;
	int prio;
} default_classes[] = {
	{ "not-suspicious", "Not Suspicious Traffic", 3 },
	{ "unknown", "Unknown Traffic", 3 },
	{ "bad-unknown", "Potentially Bad Traffic", 2 },
	{ "attempted-recon", "Attempted Information Leak", 2 },
	{ "successful-recon-limited", "Information Leak", 2 },
	{ "successful-recon-largescale", "Large Scale Information Leak", 2 },
	{ "attempted-dos", "Attempted Denial of Service", 2 },
	{ "successful-dos", "Denial of Service", 2 },
	{ "attempted-user", "Attempted User Privilege Gain", 1 },
	{ "unsuccessful-user", "Unsuccessful User Privilege Gain", 1 },
	{ "successful-user", "Successful User Privilege Gain", 1 },
	{ "attempted-admin", "Attempted Administrator Privilege Gain", 1 },
	{ "successful-admin", "Successful Administrator Privilege Gain", 1 },
	{ "rpc-portmap-decode", "Decode of an RPC Query", 2 },
	{ "shellcode-detect", "Executable code was detected", 1 },
	{ "string-detect", "A suspicious string was detected", 3 },
	{ "suspicious-filename-detect", "A suspicious filename was detected", 2 },
	{ "suspicious-login", "An attempted login using a suspicious username was detected", 2 },
	{ "system-call-detect", "A system call was detected", 2 },
	{ "tcp-connection", "A TCP connection was detected", 4 },
	{ "trojan-activity", "A Network Trojan was detected", 1 },
	{ "unusual-client-port-connection", "A client was using an unusual port", 2 },
	{ "network-scan", "Detection of a Network Scan", 3 },
	{ "denial-of-service", "Detection of a Denial of Service Attack", 2 },
	{ "non-standard-protocol", "Detection of a non-standard protocol or event", 2 },
	{ "protocol-command-decode", "Generic Protocol Command Decode", 3 },
	{ "web-application-activity", "access to a potentially vulnerable web application", 2 },
	{ "web-application-attack", "Web Application Attack", 1 },
	{ "misc-activity", "Misc activity", 3 },
	{ "misc-attack", "Misc Attack", 2 },
	{ "icmp-event", "Generic ICMP event", 3 },
	{ "policy-violation", "Potential Corporate Privacy Violation", 1 },
	{ "default-login-attempt", "Attempt to login by a default username and password", 2 },
	{ "targeted-activity", "Targeted Malicious Activity was Detected", 1 },
	{ "exploit-kit", "Exploit Kit Activity Detected", 1 },
	{ "external-ip-check", "Device Retrieving External IP Address Detected", 2 },
	{ "domain-c2", "Domain Observed Used for C2 Detected", 1 },
	{ "pup-activity", "Possibly Unwanted Program Detected", 2 },
	{ "credential-theft", "Successful Credential Theft Detected", 1 },
	{ "social-engineering", "Possible Social Engineering Attempted", 2 },
	{ "coin-mining", "Crypto Currency Mining Activity Detected", 2 },
	{ "command-and-control", "Malware Command and Control Activity Detected", 1 },
};

void class_table_done(struct class_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].desc);
	}
	free(t->v);
	*t = (struct class_table){ 0 };
}

const struct class_entry *class_table_find(const struct class_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

int class_table_add(struct class_table *t, const char *name, const char *desc, int prio)
{
	struct class_entry *e = (struct class_entry *)class_table_find(t, name);
	char *d = strdup(desc);

	if (!d)
		return -ENOMEM;
	if (e) {
		/* A later definition overrides, as in Suricata. */
		free(e->desc);
		e->desc = d;
		e->priority = prio;
		return 0;
	}
	if (t->n >= CLASS_MAX) {
		free(d);
		return -ENOSPC;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct class_entry *nv = realloc(t->v, cap * sizeof(*nv));

		if (!nv) {
			free(d);
			return -ENOMEM;
		}
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n].name = strdup(name);
	if (!t->v[t->n].name) {
		free(d);
		return -ENOMEM;
	}
	t->v[t->n].desc = d;
	t->v[t->n].priority = prio;
	t->n++;
	return 0;
}

int class_table_load_defaults(struct class_table *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_classes); i++) {
		int r = class_table_add(t, default_classes[i].name, default_classes[i].desc,
					default_classes[i].prio);
		if (r < 0)
			return r;
	}
	return 0;
}

int class_table_parse(struct class_table *t, const char *text, const char *file,
		      struct rule_diags *diags)
{
	_cleanup_free_ char *copy = strdup(text);
	unsigned int lineno = 0;
	char *next = copy, *line;

	if (!copy)
		return -ENOMEM;
	while (next) {
		char *name, *desc, *prio, *c1, *c2;
		uint64_t pv;
		int r;

		line = next;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = str_trim(line);
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "config classification:", 22) != 0) {
			diag_add(diags, RULE_DIAG_INVALID, file, lineno, 0,
				 "not a \"config classification:\" line");
			continue;
		}
		name = line + 22;
		c1 = strchr(name, ',');
		c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
		if (!c1 || !c2) {
			diag_add(diags, RULE_DIAG_INVALID, file, lineno, 0,
				 "expected \"name,description,priority\"");
			continue;
		}
		*c1 = *c2 = '\0';
		name = str_trim(name);
		desc = str_trim(c1 + 1);
		prio = str_trim(c2 + 1);
		if (!*name || parse_u64(prio, 0, 255, &pv) < 0) {
			diag_add(diags, RULE_DIAG_INVALID, file, lineno, 0,
				 "bad classification name or priority");
			continue;
		}
		r = class_table_add(t, name, desc, (int)pv);
		if (r < 0)
			return r;
	}
	return 0;
}

void name_table_done(struct name_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	*t = (struct name_table){ 0 };
}

int name_table_intern(struct name_table *t, const char *name)
{
	/* Linear search: flowbit names number in the hundreds and are interned at load only. */
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i], name) == 0)
			return (int)i;
	if (t->n >= NAMES_MAX)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **nv = realloc(t->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n] = strdup(name);
	if (!t->v[t->n])
		return -ENOMEM;
	return (int)t->n++;
}
