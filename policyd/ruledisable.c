// SPDX-License-Identifier: GPL-2.0-only
/* The operator's disabled rules and their state file (ruledisable.h). */
#include "ruledisable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/lib.h"

static void entry_done(struct rule_disabled *e)
{
	free(e->msg);
	free(e->file);
}

void rule_disable_done(struct rule_disable_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		entry_done(&s->v[i]);
	free(s->v);
	*s = (struct rule_disable_set){ 0 };
}

/* Index of the first entry with sid >= SID. */
static size_t lower_bound(const struct rule_disable_set *s, uint32_t sid)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct rule_disabled *rule_disable_find(const struct rule_disable_set *s, uint32_t sid)
{
	size_t i = lower_bound(s, sid);

	return i < s->n && s->v[i].sid == sid ? &s->v[i] : NULL;
}

static int insert(struct rule_disable_set *s, struct rule_disabled *e)
{
	size_t i = lower_bound(s, e->sid);

	if (i < s->n && s->v[i].sid == e->sid)
		return -EEXIST;
	if (s->n >= RULE_DISABLE_MAX)
		return -ENOSPC;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct rule_disabled *v = reallocarray(s->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = *e;
	s->n++;
	return 0;
}

int rule_disable_add(struct rule_disable_set *s, const struct rule_desc *d, int64_t since)
{
	struct rule_disabled e = {
		.sid = d->sid,
		.kind = d->kind,
		.msg = strdup(d->msg ? d->msg : ""),
		.file = strdup(d->file ? d->file : "?"),
		.line = d->line,
		.since = since,
	};
	int r = e.msg && e.file ? insert(s, &e) : -ENOMEM;

	if (r < 0)
		entry_done(&e);
	return r;
}

int rule_disable_remove(struct rule_disable_set *s, uint32_t sid)
{
	size_t i = lower_bound(s, sid);

	if (i >= s->n || s->v[i].sid != sid)
		return -ENOENT;
	entry_done(&s->v[i]);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
	return 0;
}

uint32_t *rule_disable_ids(const struct rule_disable_set *s, size_t *ret_n)
{
	uint32_t *v;

	*ret_n = 0;
	if (!s->n)
		return NULL;
	v = calloc(s->n, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		v[i] = s->v[i].sid;
	*ret_n = s->n;
	return v;
}

json_t *rule_disable_json(const struct rule_disable_set *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->n; i++) {
		const struct rule_disabled *e = &s->v[i];
		json_t *o =
			json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "sid", (json_int_t)e->sid,
				  "kind", rule_kind_name(e->kind), "msg", e->msg, "file", e->file,
				  "line", (json_int_t)e->line, "since", (json_int_t)e->since);

		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* One entry of the file; -EINVAL with the reason in err. */
static int entry_parse(json_t *o, struct rule_disabled *e, char *err, size_t errlen)
{
	json_t *sid, *kind, *msg, *file, *line, *since;
	const char *k;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "not an object");
		return -EINVAL;
	}
	sid = json_object_get(o, "sid");
	kind = json_object_get(o, "kind");
	msg = json_object_get(o, "msg");
	file = json_object_get(o, "file");
	line = json_object_get(o, "line");
	since = json_object_get(o, "since");
	if (!json_is_integer(sid) || json_integer_value(sid) < 1 ||
	    json_integer_value(sid) > UINT32_MAX) {
		snprintf(err, errlen, "\"sid\" must be an integer 1-4294967295");
		return -EINVAL;
	}
	k = json_string_value(kind);
	if (!k || (strcmp(k, "suricata") != 0 && strcmp(k, "secrule") != 0)) {
		snprintf(err, errlen, "\"kind\" must be \"suricata\" or \"secrule\"");
		return -EINVAL;
	}
	if (!json_is_string(msg) || !json_is_string(file)) {
		snprintf(err, errlen, "\"msg\" and \"file\" must be strings");
		return -EINVAL;
	}
	if (!json_is_integer(line) || json_integer_value(line) < 0 ||
	    json_integer_value(line) > UINT32_MAX) {
		snprintf(err, errlen, "\"line\" must be an integer >= 0");
		return -EINVAL;
	}
	if (since && !json_is_integer(since)) {
		snprintf(err, errlen, "\"since\" must be an integer");
		return -EINVAL;
	}
	*e = (struct rule_disabled){
		.sid = (uint32_t)json_integer_value(sid),
		.kind = strcmp(k, "secrule") == 0 ? RULE_KIND_SECRULE : RULE_KIND_SURICATA,
		.msg = strdup(json_string_value(msg)),
		.file = strdup(json_string_value(file)),
		.line = (unsigned int)json_integer_value(line),
		.since = since ? (int64_t)json_integer_value(since) : 0,
	};
	if (!e->msg || !e->file) {
		entry_done(e);
		return -ENOMEM;
	}
	return 0;
}

int rule_disable_parse(struct rule_disable_set *s, const char *buf, size_t len, const char *name,
		       char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *arr, *ver;
	size_t i;
	int r;

	rule_disable_done(s);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	ver = json_object_get(root, "version");
	arr = json_object_get(root, "disabled");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1 || !json_is_array(arr)) {
		snprintf(err, errlen,
			 "%s: not a disabled-rules file (want {\"version\":1,"
			 "\"disabled\":[...]})",
			 name);
		json_decref(root);
		return -EINVAL;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		struct rule_disabled e;
		char why[128];

		r = entry_parse(json_array_get(arr, i), &e, why, sizeof(why));
		if (r == -EINVAL)
			snprintf(err, errlen, "%s: disabled[%zu]: %s", name, i, why);
		if (r >= 0) {
			r = insert(s, &e);
			if (r < 0)
				entry_done(&e);
			if (r == -EEXIST)
				snprintf(err, errlen, "%s: disabled[%zu]: sid %u listed twice",
					 name, i, e.sid);
			else if (r == -ENOSPC)
				snprintf(err, errlen, "%s: more than %d rules", name,
					 RULE_DISABLE_MAX);
			if (r == -EEXIST || r == -ENOSPC)
				r = -EINVAL;
		}
		if (r < 0) {
			if (r == -ENOMEM)
				snprintf(err, errlen, "%s: out of memory", name);
			json_decref(root);
			rule_disable_done(s);
			return r;
		}
	}
	json_decref(root);
	return 0;
}

int rule_disable_load(struct rule_disable_set *s, const char *path, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	rule_disable_done(s);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = file_read_all(f, RULE_DISABLE_FILE_MAX, &buf, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG ? "larger than 64 MiB" : strerror(-r));
		return r;
	}
	return rule_disable_parse(s, buf, len, path, err, errlen);
}

int rule_disable_save(const struct rule_disable_set *s, const char *path, char *err, size_t errlen)
{
	_cleanup_free_ char *dir = NULL, *text = NULL;
	json_t *root, *arr = rule_disable_json(s);
	char *slash;
	size_t len;
	int r;

	if (!arr)
		return -ENOMEM;
	root = json_pack("{s:i, s:o}", "version", 1, "disabled", arr);
	if (!root)
		return -ENOMEM;
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text || !(dir = strdup(path)))
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			snprintf(err, errlen, "%s: cannot create the directory: %s", dir,
				 strerror(-r));
			return r;
		}
	}
	len = strlen(text);
	text[len] = '\n'; /* a text file: one newline at the end (json_dumps left a NUL there) */
	return file_write_atomic(path, text, len + 1, 0644, err, errlen);
}
