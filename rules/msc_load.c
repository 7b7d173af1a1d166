// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading ModSecurity configuration files (*.conf): lines and continuations, Apache's
 * argument quoting, directives (SecRule, SecAction, SecMarker, SecDefaultAction, the engine
 * and body settings, SecRuleRemove*, SecRuleUpdateTarget*, Include with globs), chains,
 * defaults, and file:line diagnostics. Hand-written: Apache's parser is not a library.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/lib.h"
#include "msc_int.h"
#include "ruleset_int.h"

#define MSC_FILE_MAX (64u << 20)
#define MSC_ARGS_MAX 8
#define MSC_RULES_MAX 200000

struct load_state {
	struct msc_rule *chain_head, *chain_tail;
	bool chain_broken;
	bool chain_unsupported;
	int depth;
	bool no_compile;
	struct rule_diags *diags;
};

int msc_ruleset_new(struct msc_ruleset **ret)
{
	struct msc_ruleset *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->cfg = (struct msc_config){
		.engine = MSC_ENGINE_DETECTION_ONLY,
		.request_body_limit = 13107200,
		.request_body_nofiles_limit = 131072,
		.argument_separator = '&',
		.pcre_match_limit = 1000000,
		.pcre_match_limit_recursion = 1000000,
	};
	/* ModSecurity's built-in default action */
	for (int p = 1; p <= 5; p++)
		m->def[p] = (struct msc_defaults){ .disr = MSC_DISR_PASS, .log = true };
	*ret = m;
	return 0;
}

void msc_ruleset_free(struct msc_ruleset *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		msc_rule_free(m->v[i]);
	free(m->v);
	for (size_t i = 0; i < m->n_groups; i++) {
		hs_free_database(m->groups[i].db);
		free(m->groups[i].bit);
	}
	free(m->groups);
	for (int p = 0; p < 6; p++) {
		free(m->def[p].tfn_names);
		free(m->phase_idx[p]);
		free(m->skip_idx[p]);
	}
	hs_free_scratch(m->scratch);
	free(m);
}

const struct msc_config *msc_ruleset_config(const struct msc_ruleset *m)
{
	return &m->cfg;
}

const struct msc_stats *msc_ruleset_stats(const struct msc_ruleset *m)
{
	return &m->st;
}

static void diag(struct load_state *ls, enum rule_diag_kind kind, const char *file,
		 unsigned int line, uint32_t id, const char *fmt, ...) _printf_(6, 7);
static void diag(struct load_state *ls, enum rule_diag_kind kind, const char *file,
		 unsigned int line, uint32_t id, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(ls->diags, kind, file, line, id, msg);
}

/*
 * Apache's ap_getword_conf(): the next argument of a directive line. A double- or
 * single-quoted argument ends at the matching unescaped quote; inside it, backslash-quote
 * and backslash-backslash lose their backslash, every other backslash stays (ModSecurity v2
 * semantics). An unquoted argument ends at whitespace; backslash-backslash becomes one.
 * Writes into W (at most strlen(*pp) + 1 bytes); returns false at the end of the line.
 */
static bool getword_conf(const char **pp, char *w, bool *ret_unterminated)
{
	const char *p = *pp;
	char quote;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return false;
	*ret_unterminated = false;
	quote = *p;
	if (quote == '"' || quote == '\'') {
		p++;
		while (*p && *p != quote) {
			if (*p == '\\' && (p[1] == quote || p[1] == '\\')) {
				*w++ = p[1];
				p += 2;
			} else {
				*w++ = *p++;
			}
		}
		if (*p == quote)
			p++;
		else
			*ret_unterminated = true;
	} else {
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\\' && p[1] == '\\') {
				*w++ = '\\';
				p += 2;
			} else {
				*w++ = *p++;
			}
		}
	}
	*w = '\0';
	*pp = p;
	return true;
}

static void chain_drop(struct load_state *ls)
{
	msc_rule_free(ls->chain_head);
	ls->chain_head = ls->chain_tail = NULL;
	ls->chain_broken = ls->chain_unsupported = false;
}

static int push_entry(struct msc_ruleset *m, struct msc_rule *r)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct msc_rule **nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->v = nv;
		m->cap = cap;
	}
	m->v[m->n++] = r;
	return 0;
}

static struct msc_rule *find_rule(struct msc_ruleset *m, uint32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->v[i]->is_marker && m->v[i]->id == id)
			return m->v[i];
	return NULL;
}

/* Finish a chain whose last link was just parsed. */
static int chain_commit(struct msc_ruleset *m, struct load_state *ls)
{
	struct msc_rule *r = ls->chain_head;
	int rc;

	ls->chain_head = ls->chain_tail = NULL;
	if (ls->chain_broken) {
		if (ls->chain_unsupported)
			m->st.unsupported++;
		else
			m->st.invalid++;
		ls->chain_broken = ls->chain_unsupported = false;
		msc_rule_free(r);
		return 0;
	}
	if (m->n >= MSC_RULES_MAX) {
		diag(ls, RULE_DIAG_INVALID, r->file, r->line, r->id, "too many rules: limit %u",
		     MSC_RULES_MAX);
		m->st.invalid++;
		msc_rule_free(r);
		return 0;
	}
	if (r->id && rule_id_listed(m->disabled, m->n_disabled, r->id)) {
		m->st.disabled++; /* an operator's `fwctl rules disable` */
		msc_rule_free(r);
		return 0;
	}
	if (r->id && find_rule(m, r->id)) {
		struct msc_rule *old = find_rule(m, r->id);

		diag(ls, RULE_DIAG_INVALID, r->file, r->line, r->id,
		     "duplicate rule id %u (first at %s:%u): rule skipped", r->id, old->file,
		     old->line);
		m->st.invalid++;
		msc_rule_free(r);
		return 0;
	}
	rc = push_entry(m, r);
	if (rc < 0) {
		msc_rule_free(r);
		return rc;
	}
	m->st.rules++;
	for (struct msc_rule *l = r; l; l = l->next)
		m->st.links++;
	return 0;
}

static char *dir_of(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	return slash ? strndup(file, (size_t)(slash - file)) : strdup(".");
}

/* SecRule VARS OP [ACTIONS] (vars == NULL: SecAction ACTIONS). */
static int handle_rule(struct msc_ruleset *m, struct load_state *ls, const char *file,
		       unsigned int line, const char *vars, const char *op, const char *actions)
{
	struct msc_rule *r = calloc(1, sizeof(*r));
	struct msc_action_ctx ac = { 0 };
	bool is_link = ls->chain_head != NULL;
	char err[512] = "";
	int rc = 0;

	if (!r)
		return -ENOMEM;
	r->severity = -1;
	r->log = -1;
	r->line = line;
	r->file = strdup(file);
	if (!r->file) {
		free(r);
		return -ENOMEM;
	}
	r->starter = is_link ? ls->chain_head : r;
	if (is_link) {
		ls->chain_tail->next = r;
		ls->chain_tail = r;
	} else {
		ls->chain_head = ls->chain_tail = r;
	}
	if (ls->chain_broken) {
		/* the chain is already refused: only follow its 'chain' flags */
		r->chain = actions && msc_actions_have_chain(actions);
		goto out;
	}
	/* actions first, so that errors in the variables or the operator name the rule id */
	if (actions)
		rc = msc_parse_actions(actions, r, &ac, err, sizeof(err));
	if (rc >= 0 && vars) {
		rc = msc_parse_targets(vars, &r->t, &r->n_t, err, sizeof(err));
		if (rc >= 0)
			rc = msc_parse_operator(op, r, err, sizeof(err));
	} else if (rc >= 0) {
		r->is_action = true;
		r->op = MSC_OP_UNCONDITIONAL;
	}
	if (rc >= 0 && !is_link && !ac.has_id) {
		snprintf(err, sizeof(err), "rule has no id");
		rc = -EINVAL;
	}
	if (rc >= 0 && is_link && (ac.has_id || ac.has_phase)) {
		snprintf(err, sizeof(err), "a chained rule cannot set %s",
			 ac.has_id ? "an id" : "a phase");
		rc = -EINVAL;
	}
	if (rc >= 0 && !is_link && !ac.has_phase)
		r->phase = 2;
	if (rc >= 0 && is_link)
		r->phase = ls->chain_head->phase;
	if (rc >= 0 && !is_link) {
		const struct msc_defaults *d = &m->def[r->phase];

		if (r->disr == MSC_DISR_NONE)
			r->disr = MSC_DISR_BLOCK;
		r->block_as = d->disr;
		if (r->log < 0)
			r->log = d->log;
		if (!r->status)
			r->status = d->status;
	}
	if (rc >= 0 && !ac.t_none && m->def[r->phase].tfn_names) {
		/* the default action's transformations come first */
		char *merged = NULL;
		size_t a = 0, b = 0;

		for (const char *p = m->def[r->phase].tfn_names; *p; p += strlen(p) + 1)
			a += strlen(p) + 1;
		if (r->tfn_names)
			for (const char *p = r->tfn_names; *p; p += strlen(p) + 1)
				b += strlen(p) + 1;
		merged = malloc(a + b + 1);
		if (!merged) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(merged, m->def[r->phase].tfn_names, a);
		if (b)
			memcpy(merged + a, r->tfn_names, b);
		merged[a + b] = '\0';
		free(r->tfn_names);
		r->tfn_names = merged;
	}
	if (rc >= 0) {
		_cleanup_free_ char *dir = dir_of(file);

		if (!dir)
			rc = -ENOMEM;
		else
			rc = msc_compile_rule(m, r, dir, ls->no_compile, err, sizeof(err));
	}
	if (rc < 0 && rc != -ENOMEM) {
		uint32_t id = ls->chain_head->id ? ls->chain_head->id : r->id;

		diag(ls, rc == -EOPNOTSUPP ? RULE_DIAG_UNSUPPORTED : RULE_DIAG_INVALID, file, line,
		     id, "%s%s", err[0] ? err : strerror(-rc),
		     is_link || r->chain ? " (whole chain skipped)" : "");
		ls->chain_broken = true;
		ls->chain_unsupported = rc == -EOPNOTSUPP;
		if (!r->chain && actions)
			r->chain = msc_actions_have_chain(actions);
		rc = 0;
	}
out:
	if (rc < 0)
		return rc;
	if (!r->chain)
		return chain_commit(m, ls);
	if (!is_link)
		return 0;
	{
		int n = 0;

		for (struct msc_rule *l = ls->chain_head; l; l = l->next)
			n++;
		if (n > MSC_CHAIN_MAX && !ls->chain_broken) {
			diag(ls, RULE_DIAG_INVALID, file, line, ls->chain_head->id,
			     "chain longer than %d links", MSC_CHAIN_MAX);
			ls->chain_broken = true;
		}
	}
	return 0;
}

static int handle_default_action(struct msc_ruleset *m, struct load_state *ls, const char *file,
				 unsigned int line, const char *actions)
{
	struct msc_rule *r = calloc(1, sizeof(*r));
	struct msc_action_ctx ac = { 0 };
	char err[512] = "";
	int rc;

	if (!r)
		return -ENOMEM;
	r->log = -1;
	rc = msc_parse_actions(actions, r, &ac, err, sizeof(err));
	if (rc >= 0 && !ac.has_phase) {
		snprintf(err, sizeof(err), "SecDefaultAction needs a phase");
		rc = -EINVAL;
	}
	if (rc >= 0 && (r->disr == MSC_DISR_NONE || r->disr == MSC_DISR_BLOCK)) {
		snprintf(err, sizeof(err), "SecDefaultAction needs a disruptive action");
		rc = -EINVAL;
	}
	if (rc >= 0 && (ac.has_id || r->n_sv || r->n_ctl || r->chain || r->skip_after)) {
		snprintf(err, sizeof(err),
			 "SecDefaultAction takes no id, setvar, ctl, chain or skip");
		rc = -EINVAL;
	}
	if (rc >= 0) {
		struct msc_defaults *d = &m->def[r->phase];

		d->disr = r->disr;
		d->log = r->log != 0;
		d->status = r->status;
		d->set = true;
		free(d->tfn_names);
		d->tfn_names = TAKE_PTR(r->tfn_names);
	} else if (rc != -ENOMEM) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "SecDefaultAction: %s", err);
		m->st.invalid++;
		rc = 0;
	}
	msc_rule_free(r);
	return rc;
}

static bool rule_has_tag_re(const struct msc_rule *r, const pcre2_code *re, pcre2_match_data *md)
{
	for (size_t i = 0; i < r->n_tags; i++)
		if (pcre2_match(re, (PCRE2_SPTR)r->tags[i], strlen(r->tags[i]), 0, 0, md, NULL) >=
		    0)
			return true;
	return false;
}

static int remove_by(struct msc_ruleset *m, struct load_state *ls, const char *file,
		     unsigned int line, const char *dir, char **args, int n)
{
	if (!strcasecmp(dir, "SecRuleRemoveById")) {
		for (int i = 1; i < n; i++) {
			uint32_t lo, hi;
			char *end;
			unsigned long a = strtoul(args[i], &end, 10), b = a;

			if (*end == '-')
				b = strtoul(end + 1, &end, 10);
			if (*end || end == args[i] || a > UINT32_MAX || b > UINT32_MAX || b < a) {
				diag(ls, RULE_DIAG_INVALID, file, line, 0,
				     "%s: bad id or range '%s'", dir, args[i]);
				continue;
			}
			lo = (uint32_t)a;
			hi = (uint32_t)b;
			for (size_t k = 0; k < m->n; k++)
				if (!m->v[k]->is_marker && m->v[k]->id >= lo && m->v[k]->id <= hi)
					m->v[k]->removed = true;
		}
		return 0;
	}
	for (int i = 1; i < n; i++) {
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)args[i], PCRE2_ZERO_TERMINATED, 0, &ec,
					       &eo, NULL);
		pcre2_match_data *md;

		if (!re) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: bad regex '%s'", dir,
			     args[i]);
			continue;
		}
		md = pcre2_match_data_create_from_pattern(re, NULL);
		if (!md) {
			pcre2_code_free(re);
			return -ENOMEM;
		}
		for (size_t k = 0; k < m->n; k++) {
			struct msc_rule *r = m->v[k];

			if (r->is_marker)
				continue;
			if (!strcasecmp(dir, "SecRuleRemoveByTag") ?
				    rule_has_tag_re(r, re, md) :
				    r->msg.raw &&
					    pcre2_match(re, (PCRE2_SPTR)r->msg.raw,
							strlen(r->msg.raw), 0, 0, md, NULL) >= 0)
				r->removed = true;
		}
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	return 0;
}

static int update_target(struct msc_ruleset *m, struct load_state *ls, const char *file,
			 unsigned int line, const char *dir, char **args, int n)
{
	bool by_tag = !strcasecmp(dir, "SecRuleUpdateTargetByTag");
	struct msc_target *t = NULL;
	size_t nt = 0;
	char err[512] = "";
	uint32_t id = 0;
	bool found = false;
	int rc;

	if (n != 3) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: expected %s and VARIABLES", dir,
		     by_tag ? "TAG" : "ID");
		return 0;
	}
	if (!by_tag) {
		uint64_t x;

		if (parse_u64(args[1], 0, UINT64_MAX, &x) < 0 || x == 0 || x > UINT32_MAX) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: bad rule id '%s'", dir,
			     args[1]);
			return 0;
		}
		id = (uint32_t)x;
	}
	rc = msc_parse_targets(args[2], &t, &nt, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: %s", dir, err);
		return 0;
	}
	for (size_t k = 0; k < m->n && rc >= 0; k++) {
		struct msc_rule *r = m->v[k];
		bool hit = false;

		if (r->is_marker)
			continue;
		if (by_tag) {
			for (size_t i = 0; i < r->n_tags; i++)
				hit |= !strcmp(r->tags[i], args[1]);
		} else {
			hit = r->id == id;
		}
		if (!hit)
			continue;
		found = true;
		for (size_t i = 0; i < nt; i++) {
			struct msc_target *nv, c = { 0 };
			char e2[256];

			if (r->n_t >= MSC_TARGETS_MAX) {
				diag(ls, RULE_DIAG_INVALID, file, line, r->id,
				     "%s: more than %d variables", dir, MSC_TARGETS_MAX);
				break;
			}
			/* a deep copy: reparse the text */
			{
				struct msc_target *one = NULL;
				size_t n1 = 0;
				char txt[1024];

				snprintf(txt, sizeof(txt), "%s%s%s", t[i].exclude ? "!" : "",
					 t[i].count ? "&" : "", t[i].text);
				rc = msc_parse_targets(txt, &one, &n1, e2, sizeof(e2));
				if (rc < 0)
					break;
				c = one[0];
				free(one);
			}
			nv = realloc(r->t, (r->n_t + 1) * sizeof(*nv));
			if (!nv) {
				msc_target_done(&c);
				rc = -ENOMEM;
				break;
			}
			r->t = nv;
			r->t[r->n_t++] = c;
		}
	}
	if (rc >= 0 && !found)
		diag(ls, RULE_DIAG_NOTE, file, line, id, "%s: no rule %s", dir, args[1]);
	for (size_t i = 0; i < nt; i++)
		msc_target_done(&t[i]);
	free(t);
	return rc == -ENOMEM ? rc : 0;
}

static int load_text(struct msc_ruleset *m, struct load_state *ls, char *text, const char *name);

static int load_path(struct msc_ruleset *m, struct load_state *ls, const char *path,
		     const char *from_file, unsigned int from_line)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int rc;

	{
		struct stat st;

		/* a FIFO or device would block or never end */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			diag(ls, RULE_DIAG_INVALID, from_file ? from_file : path, from_line, 0,
			     "%s: not a regular file", path);
			return -EINVAL;
		}
	}
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		if (from_file)
			diag(ls, RULE_DIAG_INVALID, from_file, from_line, 0, "Include %s: %s", path,
			     strerror(-rc));
		else
			diag(ls, RULE_DIAG_INVALID, path, 0, 0, "cannot read: %s", strerror(-rc));
		return rc;
	}
	rc = file_read_all(f, MSC_FILE_MAX, &buf, &len);
	if (rc == -EFBIG)
		diag(ls, RULE_DIAG_INVALID, path, 0, 0, "file larger than %u bytes", MSC_FILE_MAX);
	if (rc < 0)
		return rc;
	if (memchr(buf, '\0', len)) {
		diag(ls, RULE_DIAG_INVALID, path, 0, 0, "file holds NUL bytes: not a rule file");
		m->st.invalid++;
		return 0;
	}
	m->st.files++;
	return load_text(m, ls, buf, path);
}

/* Include PATTERN (a path or glob, relative to FILE's directory). IncludeOptional (Apache's
 * spelling, used by Debian's owasp-crs.load) is the same but a path that matches nothing is
 * not an error. */
static int include(struct msc_ruleset *m, struct load_state *ls, const char *file,
		   unsigned int line, const char *pattern, bool optional)
{
	char path[PATH_MAX];
	glob_t g;
	int rc = 0, gr;

	if (ls->depth >= MSC_INCLUDE_DEPTH) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "Include %s: nested deeper than %d",
		     pattern, MSC_INCLUDE_DEPTH);
		return 0;
	}
	if (pattern[0] == '/') {
		snprintf(path, sizeof(path), "%s", pattern);
	} else {
		_cleanup_free_ char *dir = dir_of(file);

		if (!dir)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s/%s", dir, pattern);
	}
	gr = glob(path, GLOB_ERR, NULL, &g);
	if (gr == GLOB_NOMATCH) {
		if (!optional && !strpbrk(pattern, "*?["))
			diag(ls, RULE_DIAG_INVALID, file, line, 0, "Include %s: no such file",
			     pattern);
		return 0;
	}
	if (gr != 0) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "Include %s: cannot list", pattern);
		return gr == GLOB_NOSPACE ? -ENOMEM : 0;
	}
	ls->depth++;
	for (size_t i = 0; i < g.gl_pathc && rc != -ENOMEM; i++)
		rc = load_path(m, ls, g.gl_pathv[i], file, line);
	ls->depth--;
	globfree(&g);
	return rc == -ENOMEM ? rc : 0;
}

static const char *const ignored_directives[] = {
	"SecComponentSignature",
	"SecCollectionTimeout",
	"SecAuditEngine",
	"SecAuditLog",
	"SecAuditLog2",
	"SecAuditLogParts",
	"SecAuditLogType",
	"SecAuditLogFormat",
	"SecAuditLogStorageDir",
	"SecAuditLogDirMode",
	"SecAuditLogFileMode",
	"SecAuditLogRelevantStatus",
	"SecDebugLog",
	"SecDebugLogLevel",
	"SecTmpDir",
	"SecDataDir",
	"SecUploadDir",
	"SecUploadKeepFiles",
	"SecUploadFileMode",
	"SecUploadFileLimit",
	"SecResponseBodyMimeType",
	"SecResponseBodyLimit",
	"SecResponseBodyLimitAction",
	"SecRequestBodyInMemoryLimit",
	"SecRequestBodyJsonDepthLimit",
	"SecArgumentsLimit",
	"SecUnicodeMapFile",
	"SecStatusEngine",
	"SecServerSignature",
	"SecTmpSaveUploadedFiles",
	"SecXmlExternalEntity",
	"SecWebAppId",
	"SecSensorId",
	"SecGeoLookupDb",
	"SecHttpBlKey",
};

static int bool_directive(const char *v, bool *dst)
{
	if (!strcasecmp(v, "On"))
		*dst = true;
	else if (!strcasecmp(v, "Off"))
		*dst = false;
	else
		return -EINVAL;
	return 0;
}

static int directive(struct msc_ruleset *m, struct load_state *ls, const char *file,
		     unsigned int line, char **args, int n)
{
	const char *d = args[0];
	uint64_t x;

	if (ls->chain_head && strcasecmp(d, "SecRule")) {
		diag(ls, RULE_DIAG_INVALID, file, line, ls->chain_head->id,
		     "%s where the chain of rule %u expects a SecRule", d, ls->chain_head->id);
		if (!ls->chain_broken)
			m->st.invalid++;
		ls->chain_broken = ls->chain_unsupported = false;
		chain_drop(ls);
	}
	if (!strcasecmp(d, "SecRule")) {
		if (n != 3 && n != 4) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0,
			     "SecRule: expected VARIABLES OPERATOR [ACTIONS], got %d arguments",
			     n - 1);
			m->st.invalid++;
			return 0;
		}
		return handle_rule(m, ls, file, line, args[1], args[2], n == 4 ? args[3] : NULL);
	}
	if (!strcasecmp(d, "SecAction")) {
		if (n != 2) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0, "SecAction: expected ACTIONS");
			m->st.invalid++;
			return 0;
		}
		return handle_rule(m, ls, file, line, NULL, NULL, args[1]);
	}
	if (!strcasecmp(d, "SecMarker")) {
		struct msc_rule *r;
		int rc;

		if (n != 2) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0, "SecMarker: expected NAME");
			return 0;
		}
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		r->is_marker = true;
		r->marker = strdup(args[1]);
		r->file = strdup(file);
		r->line = line;
		if (!r->marker || !r->file || (rc = push_entry(m, r)) < 0) {
			msc_rule_free(r);
			return -ENOMEM;
		}
		m->st.markers++;
		return 0;
	}
	if (!strcasecmp(d, "SecDefaultAction")) {
		if (n != 2) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0,
			     "SecDefaultAction: expected ACTIONS");
			return 0;
		}
		return handle_default_action(m, ls, file, line, args[1]);
	}
	if (!strcasecmp(d, "Include") || !strcasecmp(d, "IncludeOptional")) {
		if (n != 2) {
			diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: expected PATH", d);
			return 0;
		}
		return include(m, ls, file, line, args[1], !strcasecmp(d, "IncludeOptional"));
	}
	if (!strcasecmp(d, "SecRuleRemoveById") || !strcasecmp(d, "SecRuleRemoveByTag") ||
	    !strcasecmp(d, "SecRuleRemoveByMsg"))
		return remove_by(m, ls, file, line, d, args, n);
	if (!strcasecmp(d, "SecRuleUpdateTargetById") || !strcasecmp(d, "SecRuleUpdateTargetByTag"))
		return update_target(m, ls, file, line, d, args, n);
	for (size_t i = 0; i < ARRAY_SIZE(ignored_directives); i++) {
		if (!strcasecmp(d, ignored_directives[i])) {
			diag(ls, RULE_DIAG_NOTE, file, line, 0, "%s: accepted and ignored", d);
			return 0;
		}
	}
	if (n != 2) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0,
		     "%s: unknown directive or wrong number "
		     "of arguments",
		     d);
		m->st.invalid++;
		return 0;
	}
	if (!strcasecmp(d, "SecRuleEngine")) {
		int v = msc_parse_engine_mode(args[1]);

		if (v >= 0) {
			m->cfg.engine = (uint8_t)v;
			return 0;
		}
	} else if (!strcasecmp(d, "SecRequestBodyAccess")) {
		if (bool_directive(args[1], &m->cfg.request_body_access) == 0)
			return 0;
	} else if (!strcasecmp(d, "SecResponseBodyAccess")) {
		if (bool_directive(args[1], &m->cfg.response_body_access) == 0)
			return 0;
	} else if (!strcasecmp(d, "SecRequestBodyLimit")) {
		if (parse_u64(args[1], 0, UINT64_MAX, &x) == 0) {
			m->cfg.request_body_limit = x;
			return 0;
		}
	} else if (!strcasecmp(d, "SecRequestBodyNoFilesLimit")) {
		if (parse_u64(args[1], 0, UINT64_MAX, &x) == 0) {
			m->cfg.request_body_nofiles_limit = x;
			return 0;
		}
	} else if (!strcasecmp(d, "SecRequestBodyLimitAction")) {
		if (!strcasecmp(args[1], "Reject") || !strcasecmp(args[1], "ProcessPartial")) {
			m->cfg.request_body_limit_reject = !strcasecmp(args[1], "Reject");
			return 0;
		}
	} else if (!strcasecmp(d, "SecArgumentSeparator")) {
		if (strlen(args[1]) == 1) {
			m->cfg.argument_separator = args[1][0];
			return 0;
		}
	} else if (!strcasecmp(d, "SecCookieFormat")) {
		if (!strcmp(args[1], "0") || !strcmp(args[1], "1")) {
			m->cfg.cookie_format = args[1][0] - '0';
			return 0;
		}
	} else if (!strcasecmp(d, "SecPcreMatchLimit")) {
		if (parse_u64(args[1], 0, UINT64_MAX, &x) == 0 && x > 0) {
			m->cfg.pcre_match_limit = x;
			return 0;
		}
	} else if (!strcasecmp(d, "SecPcreMatchLimitRecursion")) {
		if (parse_u64(args[1], 0, UINT64_MAX, &x) == 0 && x > 0) {
			m->cfg.pcre_match_limit_recursion = x;
			return 0;
		}
	} else {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "unknown directive %s", d);
		m->st.invalid++;
		return 0;
	}
	diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: bad value '%s'", d, args[1]);
	m->st.invalid++;
	return 0;
}

/* One logical line (continuations joined). */
static int load_line(struct msc_ruleset *m, struct load_state *ls, const char *file,
		     unsigned int line, const char *s)
{
	size_t len = strlen(s);
	_cleanup_free_ char *store = malloc(len + MSC_ARGS_MAX + 1);
	char *args[MSC_ARGS_MAX + 1], *w = store;
	const char *p = s;
	int n = 0;
	bool unterminated = false;

	if (!store)
		return -ENOMEM;
	while (n <= MSC_ARGS_MAX && getword_conf(&p, w, &unterminated)) {
		args[n++] = w;
		w += strlen(w) + 1;
		if (unterminated)
			break;
	}
	if (unterminated) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: missing closing quote", args[0]);
		m->st.invalid++;
		return 0;
	}
	if (n > MSC_ARGS_MAX) {
		diag(ls, RULE_DIAG_INVALID, file, line, 0, "%s: too many arguments", args[0]);
		m->st.invalid++;
		return 0;
	}
	return directive(m, ls, file, line, args, n);
}

static int load_text(struct msc_ruleset *m, struct load_state *ls, char *text, const char *name)
{
	unsigned int lineno = 0;
	char *next = text;
	int rc = 0;

	while (next && rc >= 0) {
		char *line = next, *w = line, *p;
		unsigned int first = ++lineno;
		size_t joined = 0;

		/* Join '\'-continued lines in place (the next line's indentation is kept). */
		for (p = line;; p++) {
			if (*p == '\n' || *p == '\0') {
				char *q = w;

				while (q > line && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t'))
					q--;
				if (*p == '\n' && q > line && q[-1] == '\\') {
					w = q - 1;
					lineno++;
					continue;
				}
				next = *p == '\n' ? p + 1 : NULL;
				*q = '\0';
				joined = (size_t)(q - line);
				break;
			}
			*w++ = *p;
		}
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (joined > MSC_LINE_MAX) {
			diag(ls, RULE_DIAG_INVALID, name, first, 0,
			     "directive longer than %u bytes", MSC_LINE_MAX);
			m->st.invalid++;
			continue;
		}
		rc = load_line(m, ls, name, first, line);
	}
	if (rc >= 0 && ls->chain_head && ls->depth == 0) {
		diag(ls, RULE_DIAG_INVALID, name, ls->chain_tail->line, ls->chain_head->id,
		     "rule %u: chain not followed by a SecRule at the end of the file",
		     ls->chain_head->id);
		if (!ls->chain_broken)
			m->st.invalid++;
		chain_drop(ls);
	}
	return rc;
}

int msc_load_file(struct msc_ruleset *m, const char *path, bool no_compile,
		  struct rule_diags *diags)
{
	struct load_state ls = { .no_compile = no_compile, .diags = diags };
	int rc = load_path(m, &ls, path, NULL, 0);

	chain_drop(&ls);
	return rc;
}

int msc_load_string(struct msc_ruleset *m, const char *text, const char *name, bool no_compile,
		    struct rule_diags *diags)
{
	struct load_state ls = { .no_compile = no_compile, .diags = diags };
	_cleanup_free_ char *copy = strdup(text);
	int rc;

	if (!copy)
		return -ENOMEM;
	m->st.files++;
	rc = load_text(m, &ls, copy, name);
	chain_drop(&ls);
	return rc;
}
