// SPDX-License-Identifier: GPL-2.0-only
/* Loading rule files and directories into a ruleset, with diagnostics, and the
 * `moatd -T` rule check. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "msc_int.h"
#include "ruleset_int.h"

#define RULE_FILE_MAX (256u << 20) /* bytes of one rules file */
#define RULES_MAX 1000000

void diag_add(struct rule_diags *d, enum rule_diag_kind kind, const char *file, unsigned int line,
	      uint32_t sid, const char *msg)
{
	struct rule_diag *e;

	if (!d)
		return;
	if (d->n >= RULE_DIAGS_MAX) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct rule_diag *nv = realloc(d->v, cap * sizeof(*nv));

		if (!nv) {
			d->dropped++;
			return;
		}
		d->v = nv;
		d->cap = cap;
	}
	e = &d->v[d->n];
	e->kind = kind;
	e->file = strdup(file ? file : "");
	e->line = line;
	e->sid = sid;
	e->message = strdup(msg);
	if (!e->file || !e->message) {
		free(e->file);
		free(e->message);
		d->dropped++;
		return;
	}
	d->n++;
}

void rule_diags_done(struct rule_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	*d = (struct rule_diags){ 0 };
}

const char *rule_action_name(enum rule_action a)
{
	switch (a) {
	case RULE_ACTION_ALERT:
		return "alert";
	case RULE_ACTION_DROP:
		return "drop";
	case RULE_ACTION_REJECT:
		return "reject";
	case RULE_ACTION_PASS:
		return "pass";
	}
	return "?";
}

static void mpm_done(struct mpm *m)
{
	hs_free_database(m->db);
	free(m->rule_off);
	free(m->rule_ids);
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (int b = 0; b < DETECT_BUF_MAX; b++)
		mpm_done(&rs->mpm[b]);
	mpm_done(&rs->pkt_only);
	mpm_done(&rs->pkt_non_tcp[0]);
	mpm_done(&rs->pkt_non_tcp[1]);
	for (int k = 0; k < PG_MAX; k++) {
		for (uint32_t g = 0; g < rs->pg[k].n_grp; g++)
			mpm_done(&rs->pg[k].grp[g]);
		free(rs->pg[k].grp);
		free(rs->pg[k].seg_lo);
		free(rs->pg[k].seg_grp);
	}
	free(rs->always);
	free(rs->ipidx.heads);
	free(rs->ipidx.ents);
	hs_free_scratch(rs->scratch);
	msc_ruleset_free(rs->msc);
	class_table_done(&rs->classes);
	name_table_done(&rs->flowbits);
	free(rs);
}
DEFINE_FREEP(struct ruleset, ruleset_free)

void ruleset_get_stats(const struct ruleset *rs, struct ruleset_stats *ret)
{
	*ret = rs->stats;
}

size_t ruleset_count(const struct ruleset *rs)
{
	return rs->n;
}

const struct rule_info *ruleset_rule(const struct ruleset *rs, size_t idx)
{
	return idx < rs->n ? &rs->rules[idx]->info : NULL;
}

int ruleset_find(const struct ruleset *rs, uint32_t gid, uint32_t sid)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->info.sid == sid && rs->rules[i]->info.gid == gid)
			return (int)i;
	return -ENOENT;
}

const char *rule_kind_name(enum rule_kind k)
{
	return k == RULE_KIND_SECRULE ? "secrule" : "suricata";
}

static void desc_suricata(const struct rule *r, struct rule_desc *d)
{
	*d = (struct rule_desc){
		.kind = RULE_KIND_SURICATA,
		.gid = r->info.gid,
		.sid = r->info.sid,
		.rev = r->info.rev,
		.action = rule_action_name(r->info.action),
		.priority = r->info.priority,
		.msg = r->info.msg ? r->info.msg : "",
		.file = r->file ? r->file : "?",
		.line = r->line,
		.classtype = r->info.classtype,
		.category = r->info.category,
	};
}

static const char *msc_disr_name(uint8_t disr)
{
	static const char *const names[] = {
		[MSC_DISR_NONE] = "default",	  [MSC_DISR_PASS] = "pass",
		[MSC_DISR_BLOCK] = "block",	  [MSC_DISR_DENY] = "deny",
		[MSC_DISR_DROP] = "drop",	  [MSC_DISR_ALLOW] = "allow",
		[MSC_DISR_REDIRECT] = "redirect",
	};

	return disr < ARRAY_SIZE(names) && names[disr] ? names[disr] : "?";
}

static void desc_msc(const struct msc_rule *r, struct rule_desc *d)
{
	*d = (struct rule_desc){
		.kind = RULE_KIND_SECRULE,
		.sid = r->id,
		.action = msc_disr_name(r->disr),
		.priority = r->severity,
		.msg = r->msg.raw ? r->msg.raw : "",
		.file = r->file ? r->file : "?",
		.line = r->line,
	};
}

size_t ruleset_foreach_rule(const struct ruleset *rs,
			    int (*cb)(void *ctx, const struct rule_desc *d), void *ctx)
{
	struct rule_desc d;
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++) {
		desc_suricata(rs->rules[i], &d);
		n++;
		if (cb(ctx, &d))
			return n;
	}
	for (size_t i = 0; rs->msc && i < rs->msc->n; i++) {
		if (rs->msc->v[i]->is_marker)
			continue;
		desc_msc(rs->msc->v[i], &d);
		n++;
		if (cb(ctx, &d))
			return n;
	}
	return n;
}

int ruleset_lookup(const struct ruleset *rs, uint32_t sid, struct rule_desc *ret)
{
	int idx = ruleset_find(rs, 1, sid);

	if (idx >= 0) {
		desc_suricata(rs->rules[idx], ret);
		return 0;
	}
	for (size_t i = 0; sid && rs->msc && i < rs->msc->n; i++)
		if (!rs->msc->v[i]->is_marker && rs->msc->v[i]->id == sid) {
			desc_msc(rs->msc->v[i], ret);
			return 0;
		}
	return -ENOENT;
}

/* (gid, sid) -> index, open addressing; sized at twice the rules seen so far. */
struct sid_map {
	uint64_t *keys; /* gid << 32 | sid, 0 = empty (sid 0 is never loaded) */
	uint32_t *idx;
	size_t cap, n;
};

static int sid_map_grow(struct sid_map *m);

static size_t sid_slot(const struct sid_map *m, uint64_t key)
{
	size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);

	while (m->keys[h] && m->keys[h] != key)
		h = (h + 1) & (m->cap - 1);
	return h;
}

static int sid_map_grow(struct sid_map *m)
{
	struct sid_map n = { .cap = m->cap ? m->cap * 2 : 1024 };

	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.idx = calloc(n.cap, sizeof(*n.idx));
	if (!n.keys || !n.idx) {
		free(n.keys);
		free(n.idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			size_t s = sid_slot(&n, m->keys[i]);

			n.keys[s] = m->keys[i];
			n.idx[s] = m->idx[i];
		}
	}
	n.n = m->n;
	free(m->keys);
	free(m->idx);
	*m = n;
	return 0;
}

struct loader {
	struct ruleset *rs;
	struct rule_diags *diags;
	bool no_compile;
	struct parse_env env;
	struct sid_map sids;
	const uint32_t *disabled; /* ruleset_opts.disabled */
	size_t n_disabled;
};

static void loader_diag(struct loader *ld, enum rule_diag_kind kind, const char *file,
			unsigned int line, uint32_t sid, const char *msg)
{
	diag_add(ld->diags, kind, file, line, sid, msg);
}

static int loader_add_rule(struct loader *ld, struct rule *r, const char *file)
{
	struct ruleset *rs = ld->rs;
	uint64_t key = (uint64_t)r->info.gid << 32 | r->info.sid;
	size_t slot;

	if (r->info.gid == 1 && rule_id_listed(ld->disabled, ld->n_disabled, r->info.sid)) {
		rs->stats.disabled++; /* an operator's `fwctl rules disable` */
		rule_free(r);
		return 0;
	}
	if ((ld->sids.n + 1) * 2 > ld->sids.cap && sid_map_grow(&ld->sids) < 0)
		return -ENOMEM;
	slot = sid_slot(&ld->sids, key);
	if (ld->sids.keys[slot]) {
		struct rule *old = rs->rules[ld->sids.idx[slot]];
		char msg[256];

		/* Suricata keeps the higher revision of a duplicate (gid, sid). */
		if (r->info.rev > old->info.rev) {
			snprintf(msg, sizeof(msg), "duplicate sid: replaces rev %u at %s:%u",
				 old->info.rev, old->file, old->line);
			loader_diag(ld, RULE_DIAG_INVALID, file, r->line, r->info.sid, msg);
			rs->rules[ld->sids.idx[slot]] = r;
			rule_free(old);
		} else {
			snprintf(msg, sizeof(msg), "duplicate sid: already loaded from %s:%u",
				 old->file, old->line);
			loader_diag(ld, RULE_DIAG_INVALID, file, r->line, r->info.sid, msg);
			rule_free(r);
		}
		rs->stats.invalid++;
		return 0;
	}
	if (rs->n >= RULES_MAX) {
		loader_diag(ld, RULE_DIAG_INVALID, file, r->line, r->info.sid,
			    "too many rules: limit reached");
		rs->stats.invalid++;
		rule_free(r);
		return 0;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 256;
		struct rule **nv = realloc(rs->rules, cap * sizeof(*nv));

		if (!nv) {
			rule_free(r);
			return -ENOMEM;
		}
		rs->rules = nv;
		rs->cap = cap;
	}
	ld->sids.keys[slot] = key;
	ld->sids.idx[slot] = (uint32_t)rs->n;
	ld->sids.n++;
	rs->rules[rs->n++] = r;
	rs->stats.loaded++;
	return 0;
}

static int load_text(struct loader *ld, char *text, const char *name)
{
	unsigned int lineno = 0;
	char *next = text;

	while (next) {
		char *line = next, *w, *p;
		unsigned int first;
		struct rule *r = NULL;
		char err[512];
		uint32_t sid = 0;
		int rc;

		/* Join '\'-continued lines in place. */
		first = ++lineno;
		w = line;
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
				break;
			}
			*w++ = *p;
		}
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		err[0] = '\0';
		rc = rule_parse(line, &ld->env, &r, &sid, err, sizeof(err));
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			bool unsup = rc == -EOPNOTSUPP;

			loader_diag(ld, unsup ? RULE_DIAG_UNSUPPORTED : RULE_DIAG_INVALID, name,
				    first, sid, err[0] ? err : strerror(-rc));
			if (unsup)
				ld->rs->stats.unsupported++;
			else
				ld->rs->stats.invalid++;
			continue;
		}
		r->line = first;
		if (r->note)
			loader_diag(ld, RULE_DIAG_NOTE, name, first, r->info.sid, r->note);
		r->file = strdup(name);
		if (!r->file) {
			rule_free(r);
			return -ENOMEM;
		}
		rc = loader_add_rule(ld, r, name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int read_file(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (!f)
		return -errno;
	r = file_read_all(f, RULE_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len))
		return -EBADMSG;
	*ret = TAKE_PTR(buf);
	return 0;
}

static int load_classification(struct loader *ld, const char *path)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file(path, &text);

	if (r < 0)
		return r;
	return class_table_parse(&ld->rs->classes, text, path, ld->diags);
}

static int load_file(struct loader *ld, const char *path)
{
	_cleanup_free_ char *text = NULL;
	int r = read_file(path, &text);

	if (r < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(-r));
		loader_diag(ld, RULE_DIAG_INVALID, path, 0, 0, msg);
		return r;
	}
	ld->rs->stats.files++;
	return load_text(ld, text, path);
}

/* A ModSecurity configuration file into the ruleset's SecRule part. */
static int load_msc(struct loader *ld, const char *path)
{
	if (!ld->rs->msc) {
		int r = msc_ruleset_new(&ld->rs->msc);

		if (r >= 0) {
			ld->rs->msc->disabled = ld->disabled;
			ld->rs->msc->n_disabled = ld->n_disabled;
		}

		if (r < 0)
			return r;
	}
	return msc_load_file(ld->rs->msc, path, ld->no_compile, ld->diags);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

void rules_dir_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int rules_dir_list(const char *dir, char ***ret_names, size_t *ret_n)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!ends_with(de->d_name, ".rules") && !ends_with(de->d_name, ".conf"))
			continue;
		if (n == cap) {
			char **nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(names, cap * sizeof(*nv));
			if (!nv)
				goto oom;
			names = nv;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto oom;
		n++;
	}
	closedir(d);
	if (n) /* qsort(NULL, 0, ...) is undefined */
		qsort(names, n, sizeof(*names), cmp_str);
	*ret_names = names;
	*ret_n = n;
	return 0;
oom:
	closedir(d);
	rules_dir_list_free(names, n);
	return -ENOMEM;
}

static int load_dir(struct loader *ld, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	int r = rules_dir_list(dir, &names, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ends_with(names[i], ".conf"))
			r = load_msc(ld, path);
		else
			r = load_file(ld, path);
		if (r == -ENOMEM)
			break;
		r = 0;
	}
	rules_dir_list_free(names, n);
	return r;
}

static int ruleset_new(const struct ruleset_opts *opts, struct ruleset **ret)
{
	_cleanup_(ruleset_freep) struct ruleset *rs = calloc(1, sizeof(*rs));
	int r;

	if (!rs)
		return -ENOMEM;
	r = class_table_load_defaults(&rs->classes);
	if (r < 0)
		return r;
	if (getrandom(&rs->generation, sizeof(rs->generation), 0) != sizeof(rs->generation))
		rs->generation = (uint64_t)(uintptr_t)rs;
	*ret = TAKE_PTR(rs);
	return 0;
}

static int order_key(const struct rule *r)
{
	bool sets = false, reads = false;

	for (int i = 0; i < r->n_fb; i++) {
		if (r->fb[i].cmd == FB_ISSET || r->fb[i].cmd == FB_ISNOTSET)
			reads = true;
		else
			sets = true;
	}
	/* Suricata orders by action (pass first), then flowbits setters before readers. */
	return (r->info.action == RULE_ACTION_PASS ? 0 : 1) * 4 + (sets && !reads ? 0 :
								   sets		  ? 1 :
								   reads	  ? 2 :
										    3);
}

static int finish(struct loader *ld, const struct ruleset_opts *opts)
{
	struct ruleset *rs = ld->rs;
	struct rule **sorted;

	/* Stable order by key, then load order. */
	sorted = calloc(rs->n ? rs->n : 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (int k = 0, o = 0; k < 8; k++)
		for (size_t i = 0; i < rs->n; i++)
			if (order_key(rs->rules[i]) == k)
				sorted[o++] = rs->rules[i];
	if (rs->n)
		memcpy(rs->rules, sorted, rs->n * sizeof(*sorted));
	free(sorted);
	for (size_t i = 0; i < rs->n; i++)
		if (!rs->rules[i]->info.priority)
			rs->rules[i]->info.priority = 3;
	if (rs->msc) {
		const struct msc_stats *ms = msc_ruleset_stats(rs->msc);
		int r = msc_compile_finish(rs->msc, ld->no_compile,
					   !(opts && opts->msc_no_hs_prefilter), ld->diags);

		if (r < 0)
			return r;
		rs->stats.loaded += ms->rules;
		rs->stats.unsupported += ms->unsupported;
		rs->stats.invalid += ms->invalid;
		rs->stats.files += ms->files;
		rs->stats.disabled += ms->disabled;
		rs->msc->disabled = NULL; /* borrowed for the load only */
		rs->msc->n_disabled = 0;
	}
	if (opts && opts->no_compile)
		return 0;
	return ruleset_compile(rs, opts ? opts->cache_dir : NULL, ld->diags);
}

static int loader_init(struct loader *ld, const struct ruleset_opts *opts, struct rule_vars **own,
		       struct rule_diags *diags)
{
	int r;

	*ld = (struct loader){ .diags = diags, .no_compile = opts && opts->no_compile };
	if (opts && opts->n_disabled) {
		for (size_t i = 1; i < opts->n_disabled; i++)
			if (opts->disabled[i - 1] >= opts->disabled[i])
				return -EINVAL; /* not sorted: a caller's bug */
		ld->disabled = opts->disabled;
		ld->n_disabled = opts->n_disabled;
	}
	r = ruleset_new(opts, &ld->rs);
	if (r < 0)
		return r;
	if (opts && opts->vars) {
		ld->env.vars = opts->vars;
	} else {
		*own = rule_vars_new();
		if (!*own)
			return -ENOMEM;
		ld->env.vars = *own;
	}
	ld->env.classes = &ld->rs->classes;
	ld->env.flowbits = &ld->rs->flowbits;
	if (opts && opts->classification_file) {
		r = load_classification(ld, opts->classification_file);
		if (r < 0)
			return r;
	}
	return 0;
}

static void loader_done(struct loader *ld)
{
	free(ld->sids.keys);
	free(ld->sids.idx);
	ruleset_free(ld->rs);
}

int ruleset_load(const char *const *paths, size_t n_paths, const struct ruleset_opts *opts,
		 struct ruleset **ret, struct rule_diags *diags)
{
	_cleanup_(rule_vars_freep) struct rule_vars *own = NULL;
	struct loader ld;
	int r = loader_init(&ld, opts, &own, diags);

	/* classification.config beside the rules (a directory's, or a file's directory). */
	for (size_t i = 0; r >= 0 && i < n_paths && !(opts && opts->classification_file); i++) {
		struct stat st;
		char path[PATH_MAX];
		const char *slash;

		if (stat(paths[i], &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			snprintf(path, sizeof(path), "%s/classification.config", paths[i]);
		} else {
			slash = strrchr(paths[i], '/');
			snprintf(path, sizeof(path), "%.*sclassification.config",
				 slash ? (int)(slash - paths[i] + 1) : 0, paths[i]);
		}
		if (access(path, R_OK) == 0)
			r = load_classification(&ld, path);
	}
	for (size_t i = 0; r >= 0 && i < n_paths; i++) {
		struct stat st;

		if (stat(paths[i], &st) < 0) {
			char msg[256];

			r = -errno;
			snprintf(msg, sizeof(msg), "cannot read: %s", strerror(-r));
			diag_add(diags, RULE_DIAG_INVALID, paths[i], 0, 0, msg);
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = load_dir(&ld, paths[i]);
		else if (ends_with(paths[i], ".conf")) {
			r = load_msc(&ld, paths[i]);
			if (r != -ENOMEM)
				r = 0;
		} else
			r = load_file(&ld, paths[i]);
	}
	if (r >= 0)
		r = finish(&ld, opts);
	if (r >= 0)
		*ret = TAKE_PTR(ld.rs);
	loader_done(&ld);
	return r < 0 ? r : 0;
}

int ruleset_load_string(const char *text, const char *name, const struct ruleset_opts *opts,
			struct ruleset **ret, struct rule_diags *diags)
{
	_cleanup_(rule_vars_freep) struct rule_vars *own = NULL;
	_cleanup_free_ char *copy = strdup(text);
	struct loader ld;
	int r;

	if (!copy)
		return -ENOMEM;
	r = loader_init(&ld, opts, &own, diags);
	if (r >= 0)
		r = load_text(&ld, copy, name);
	if (r >= 0)
		r = finish(&ld, opts);
	if (r >= 0)
		*ret = TAKE_PTR(ld.rs);
	loader_done(&ld);
	return r < 0 ? r : 0;
}

int rules_check(const char *const *paths, size_t n_paths, struct rule_vars *vars, FILE *out)
{
	struct ruleset_opts opts = { .vars = vars, .no_compile = false };
	struct rule_diags diags = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st = { 0 };
	int r, code;

	r = ruleset_load(paths, n_paths, &opts, &rs, &diags);
	for (size_t i = 0; i < diags.n; i++) {
		const struct rule_diag *d = &diags.v[i];

		if (d->sid)
			fprintf(out, "%s:%u: sid %u: %s\n", d->file, d->line, d->sid, d->message);
		else
			fprintf(out, "%s:%u: %s\n", d->file, d->line, d->message);
	}
	if (diags.dropped)
		fprintf(out, "(%zu more problems not shown)\n", diags.dropped);
	if (rs)
		ruleset_get_stats(rs, &st);
	if (rs && rs->msc) {
		const struct msc_stats *ms = msc_ruleset_stats(rs->msc);

		fprintf(out,
			"secrules: %zu loaded (%zu rule lines with chains, %zu markers) from %zu "
			"files, %zu skipped (unsupported), %zu invalid\n",
			ms->rules, ms->links, ms->markers, ms->files, ms->unsupported, ms->invalid);
	}
	fprintf(out, "rules: %zu loaded, %zu skipped (unsupported), %zu invalid\n", st.loaded,
		st.unsupported, st.invalid);
	code = r < 0 ? 2 : st.invalid ? 1 : 0;
	ruleset_free(rs);
	rule_diags_done(&diags);
	return code;
}
