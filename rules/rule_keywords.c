// SPDX-License-Identifier: GPL-2.0-only
/* Rule keywords: each option's value parsed into the typed rule, with Suricata 7's
 * semantics and error checks. Payload keywords (content, pcre, byte_*) are in
 * rule_payload.c. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include "rule_parse.h"
#include "rule_kw.h"
#include "lib/lib.h"

/* Split "a, b ,c" at commas into trimmed tokens; returns the count or -E2BIG. */
int kw_split(char *s, char **tok, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -E2BIG;
		tok[n++] = str_trim(t);
	}
	return n;
}

static int need_val(struct parse_state *ps, const char *val)
{
	if (!val || !*str_trim((char *)val))
		return ps_err(ps, "\"%s\" needs a value", ps->kw);
	return 0;
}

static int kw_msg(struct parse_state *ps, char *val)
{
	char *s = val ? ps_unquote(val) : NULL, *w;

	if (!s)
		return ps_err(ps, "msg: missing or unbalanced quotes");
	if (strlen(s) > RULE_MSG_MAX)
		return ps_err(ps, "msg longer than %d bytes", RULE_MSG_MAX);
	free(ps->r->msg_buf);
	ps->r->msg_buf = strdup(s);
	if (!ps->r->msg_buf)
		return -ENOMEM;
	/* Unescape \" \; \\ \: in place. */
	w = ps->r->msg_buf;
	for (const char *p = ps->r->msg_buf; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		*w++ = *p;
	}
	*w = '\0';
	ps->r->info.msg = ps->r->msg_buf;
	return 0;
}

static int kw_u32(struct parse_state *ps, char *val, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (need_val(ps, val) < 0)
		return -EINVAL;
	if (parse_u64(str_trim(val), min, max, ret) < 0)
		return ps_err(ps, "%s: bad number \"%s\"", ps->kw, val);
	return 0;
}

static int kw_sid(struct parse_state *ps, char *val)
{
	uint64_t v;

	if (kw_u32(ps, val, 1, UINT32_MAX, &v) < 0)
		return -EINVAL;
	ps->r->info.sid = (uint32_t)v;
	ps->has_sid = true;
	return 0;
}

static int kw_rev(struct parse_state *ps, char *val)
{
	uint64_t v;

	if (kw_u32(ps, val, 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	ps->r->info.rev = (uint32_t)v;
	return 0;
}

static int kw_gid(struct parse_state *ps, char *val)
{
	uint64_t v;

	if (kw_u32(ps, val, 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	ps->r->info.gid = (uint32_t)v;
	return 0;
}

static int kw_priority(struct parse_state *ps, char *val)
{
	uint64_t v;

	if (kw_u32(ps, val, 1, 255, &v) < 0)
		return -EINVAL;
	ps->r->info.priority = (int)v;
	return 0;
}

static int kw_classtype(struct parse_state *ps, char *val)
{
	const struct class_entry *c;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	c = class_table_find(ps->env->classes, str_trim(val));
	if (!c)
		return ps_err(ps, "unknown classtype \"%s\"", str_trim(val));
	ps->r->info.classtype = c->name;
	ps->r->info.category = c->desc;
	if (!ps->r->info.priority)
		ps->r->info.priority = c->priority;
	return 0;
}

static int kw_accept_value(struct parse_state *ps, char *val)
{
	/* reference, metadata: informational; only checked for presence. */
	return need_val(ps, val);
}

static int kw_target(struct parse_state *ps, char *val)
{
	if (need_val(ps, val) < 0)
		return -EINVAL;
	val = str_trim(val);
	if (strcmp(val, "src_ip") != 0 && strcmp(val, "dest_ip") != 0)
		return ps_err(ps, "target: expected src_ip or dest_ip, got \"%s\"", val);
	return 0;
}

static int kw_noalert(struct parse_state *ps, char *val)
{
	ps->r->noalert = true;
	return 0;
}

static int kw_flow(struct parse_state *ps, char *val)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} opts[] = {
		{ "to_server", RFLOW_TO_SERVER },     { "from_client", RFLOW_TO_SERVER },
		{ "to_client", RFLOW_TO_CLIENT },     { "from_server", RFLOW_TO_CLIENT },
		{ "established", RFLOW_ESTABLISHED }, { "not_established", RFLOW_NOT_ESTABLISHED },
		{ "stateless", RFLOW_STATELESS },     { "only_stream", RFLOW_ONLY_STREAM },
		{ "no_stream", RFLOW_NO_STREAM },     { "only_frag", RFLOW_ONLY_FRAG },
		{ "no_frag", RFLOW_NO_FRAG },
	};
	char *tok[8];
	int n;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	n = kw_split(val, tok, 8);
	if (n <= 0)
		return ps_err(ps, "flow: too many options");
	for (int i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < ARRAY_SIZE(opts); j++)
			if (strcmp(tok[i], opts[j].name) == 0)
				break;
		if (j == ARRAY_SIZE(opts))
			return ps_err(ps, "flow: unknown option \"%s\"", tok[i]);
		if (ps->r->flow & opts[j].flag)
			return ps_err(ps, "flow: \"%s\" given twice", tok[i]);
		ps->r->flow |= opts[j].flag;
	}
	if ((ps->r->flow & RFLOW_TO_SERVER) && (ps->r->flow & RFLOW_TO_CLIENT))
		return ps_err(ps, "flow: both directions given");
	if ((ps->r->flow & RFLOW_ESTABLISHED) &&
	    (ps->r->flow & (RFLOW_NOT_ESTABLISHED | RFLOW_STATELESS)))
		return ps_err(ps, "flow: established conflicts with not_established/stateless");
	if ((ps->r->flow & RFLOW_ONLY_STREAM) && (ps->r->flow & RFLOW_NO_STREAM))
		return ps_err(ps, "flow: only_stream conflicts with no_stream");
	if ((ps->r->flow & RFLOW_ONLY_FRAG) && (ps->r->flow & RFLOW_NO_FRAG))
		return ps_err(ps, "flow: only_frag conflicts with no_frag");
	return 0;
}

static int kw_flowbits(struct parse_state *ps, char *val)
{
	static const char *const cmds[] = { "set", "unset", "toggle", "isset", "isnotset" };
	struct flowbit_op op = { 0 };
	char *comma, *cmd, *names;
	size_t c;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	comma = strchr(val, ',');
	if (comma)
		*comma = '\0';
	cmd = str_trim(val);
	if (strcmp(cmd, "noalert") == 0) {
		if (comma)
			return ps_err(ps, "flowbits:noalert takes no name");
		ps->r->noalert = true;
		return 0;
	}
	for (c = 0; c < ARRAY_SIZE(cmds); c++)
		if (strcmp(cmd, cmds[c]) == 0)
			break;
	if (c == ARRAY_SIZE(cmds))
		return ps_err(ps, "flowbits: unknown command \"%s\"", cmd);
	if (!comma || !*str_trim(comma + 1))
		return ps_err(ps, "flowbits:%s needs a name", cmd);
	op.cmd = (uint8_t)c;
	names = str_trim(comma + 1);
	if (strchr(names, '|')) {
		if (op.cmd != FB_ISSET && op.cmd != FB_ISNOTSET)
			return ps_err(ps, "flowbits:%s cannot take '|' alternatives", cmd);
		op.any = true;
	}
	if (strchr(names, '&') && (op.cmd == FB_ISSET || op.cmd == FB_ISNOTSET))
		return ps_err(ps, "flowbits:%s cannot take '&'", cmd);
	for (char *save = NULL, *t = strtok_r(names, "|&", &save); t;
	     t = strtok_r(NULL, "|&", &save)) {
		int id;

		t = str_trim(t);
		if (!*t || strchr(t, ' ') || strchr(t, ','))
			return ps_err(ps, "flowbits: bad name \"%s\"", t);
		if (op.n == ARRAY_SIZE(op.ids))
			return ps_err(ps, "flowbits: more than %zu names", ARRAY_SIZE(op.ids));
		id = name_table_intern(ps->env->flowbits, t);
		if (id < 0)
			return ps_err(ps, "flowbits: name table full");
		op.ids[op.n++] = (uint32_t)id;
	}
	if (ps->r->n_fb == RULE_MAX_FLOWBITS)
		return ps_err(ps, "more than %d flowbits", RULE_MAX_FLOWBITS);
	ps->r->fb[ps->r->n_fb++] = op;
	return 0;
}

static int kw_xbits(struct parse_state *ps, char *val)
{
	static const char *const cmds[] = { "set", "unset", "toggle", "isset", "isnotset" };
	struct xbit_op op = { .expire = 30 }; /* Suricata's default expiry */
	char *tok[6], name[300];
	int n, id;
	size_t c;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	n = kw_split(val, tok, 6);
	if (n < 3)
		return ps_err(ps, "xbits needs command, name and track");
	for (c = 0; c < ARRAY_SIZE(cmds); c++)
		if (strcmp(tok[0], cmds[c]) == 0)
			break;
	if (c == ARRAY_SIZE(cmds))
		return ps_err(ps, "xbits: unknown command \"%s\"", tok[0]);
	op.cmd = (uint8_t)c;
	if (!*tok[1] || strlen(tok[1]) > 256 || strpbrk(tok[1], " |&"))
		return ps_err(ps, "xbits: bad name \"%s\"", tok[1]);
	for (int i = 2; i < n; i++) {
		char *sp = strpbrk(tok[i], " \t"), *arg;
		uint64_t v;

		if (!sp)
			return ps_err(ps,
				      "xbits: expected \"track ...\" or \"expire N\", got \"%s\"",
				      tok[i]);
		*sp = '\0';
		arg = str_trim(sp + 1);
		if (strcmp(tok[i], "track") == 0) {
			if (strcmp(arg, "ip_src") == 0)
				op.track = XB_IP_SRC;
			else if (strcmp(arg, "ip_dst") == 0)
				op.track = XB_IP_DST;
			else if (strcmp(arg, "ip_pair") == 0)
				op.track = XB_IP_PAIR;
			else
				return ps_unsup(ps, "xbits: track \"%s\" is not supported", arg);
		} else if (strcmp(tok[i], "expire") == 0) {
			if (parse_u64(arg, 1, UINT32_MAX, &v) < 0)
				return ps_err(ps, "xbits: bad expire \"%s\"", arg);
			op.expire = (uint32_t)v;
		} else {
			return ps_err(ps, "xbits: unknown option \"%s\"", tok[i]);
		}
	}
	snprintf(name, sizeof(name), "xbits:%s", tok[1]);
	id = name_table_intern(ps->env->flowbits, name);
	if (id < 0)
		return ps_err(ps, "xbits: name table full");
	op.id = (uint32_t)id;
	if (ps->r->n_xb == RULE_MAX_XBITS)
		return ps_err(ps, "more than %d xbits", RULE_MAX_XBITS);
	ps->r->xb[ps->r->n_xb++] = op;
	return 0;
}

static int kw_flowint(struct parse_state *ps, char *val)
{
	struct flowint_op op = { 0 };
	char *tok[4], name[300];
	uint64_t v = 0;
	int n, id;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	n = kw_split(val, tok, 4);
	if (n < 2)
		return ps_err(ps, "flowint needs name, operator[, value]");
	if (!*tok[0] || strlen(tok[0]) > 256 || strpbrk(tok[0], " |&"))
		return ps_err(ps, "flowint: bad name \"%s\"", tok[0]);
	if (strcmp(tok[1], "isset") == 0 || strcmp(tok[1], "notset") == 0 ||
	    strcmp(tok[1], "isnotset") == 0) {
		if (n != 2)
			return ps_err(ps, "flowint:%s takes no value", tok[1]);
		op.op = strcmp(tok[1], "isset") == 0 ? FI_ISSET : FI_NOTSET;
	} else {
		char buf[64];

		if (n != 3)
			return ps_err(ps, "flowint: \"%s\" needs a value", tok[1]);
		if (!isdigit((unsigned char)tok[2][0]))
			return ps_unsup(ps, "flowint: a variable as value is not supported");
		if (parse_u64(tok[2], 0, UINT32_MAX, &v) < 0)
			return ps_err(ps, "flowint: bad value \"%s\"", tok[2]);
		op.value = (uint32_t)v;
		if (strcmp(tok[1], "=") == 0) {
			op.op = FI_SET;
		} else if (strcmp(tok[1], "+") == 0) {
			op.op = FI_ADD;
		} else if (strcmp(tok[1], "-") == 0) {
			op.op = FI_SUB;
		} else {
			const char *o = strcmp(tok[1], "==") == 0 ? "" :
					strcmp(tok[1], "!=") == 0 ? "!" :
								    tok[1];

			if (strcmp(o, "") && strcmp(o, "!") && strcmp(o, "<") && strcmp(o, ">") &&
			    strcmp(o, "<=") && strcmp(o, ">="))
				return ps_err(ps, "flowint: unknown operator \"%s\"", tok[1]);
			snprintf(buf, sizeof(buf), "%s%s", o, tok[2]);
			if (cmp_parse(buf, UINT32_MAX, &op.cmp) < 0)
				return ps_err(ps, "flowint: bad value \"%s\"", tok[2]);
			op.op = FI_CMP;
		}
	}
	snprintf(name, sizeof(name), "flowint:%s", tok[0]);
	id = name_table_intern(ps->env->flowbits, name);
	if (id < 0)
		return ps_err(ps, "flowint: name table full");
	op.id = (uint32_t)id;
	if (ps->r->n_fi == RULE_MAX_FLOWINTS)
		return ps_err(ps, "more than %d flowint", RULE_MAX_FLOWINTS);
	ps->r->fi[ps->r->n_fi++] = op;
	return 0;
}

/* tag asks for packets after the alert to be logged; alerts are unaffected. moat has no
 * tagged-packet log yet, so the rule loads with a note saying so. */
static int kw_tag(struct parse_state *ps, char *val)
{
	char *tok[5];
	uint64_t v;
	int n;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	n = kw_split(val, tok, 5);
	if (n < 1 || (strcmp(tok[0], "session") != 0 && strcmp(tok[0], "host") != 0))
		return ps_err(ps, "tag: expected session or host");
	if (n >= 3 &&
	    (parse_u64(tok[1], 0, UINT32_MAX, &v) < 0 ||
	     (strcmp(tok[2], "packets") && strcmp(tok[2], "seconds") && strcmp(tok[2], "bytes"))))
		return ps_err(ps, "tag: expected \"%s,COUNT,packets|seconds|bytes\"", tok[0]);
	if (n == 2 || n > 4)
		return ps_err(ps, "tag: bad arguments");
	if (!ps->r->note && !(ps->r->note = strdup("tag: tagged packets are not logged")))
		return -ENOMEM;
	return 0;
}

/* Transform: the sticky buffer is inspected as "." + buffer (for domain suffix matches). */
static int kw_dotprefix(struct parse_state *ps, char *val)
{
	if (val && *str_trim(val))
		return ps_err(ps, "dotprefix takes no value");
	if (ps->cur_buf == DETECT_BUF_PKT)
		return ps_err(ps, "dotprefix must follow a sticky buffer");
	for (int i = 0; i < ps->r->n_lists; i++)
		if (ps->r->lists[i].buf == ps->cur_buf && ps->r->lists[i].n)
			return ps_err(ps, "transforms must directly follow the sticky buffer");
	ps->cur_dotprefix = true;
	return 0;
}

static int kw_stream_size(struct parse_state *ps, char *val)
{
	static const char *const which[] = { "server", "client", "both", "either" };
	char *tok[4], buf[64];
	size_t w;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	if (kw_split(val, tok, 4) != 3)
		return ps_err(ps, "stream_size needs side, operator, number");
	for (w = 0; w < ARRAY_SIZE(which); w++)
		if (strcmp(tok[0], which[w]) == 0)
			break;
	if (w == ARRAY_SIZE(which))
		return ps_err(ps, "stream_size: unknown side \"%s\"", tok[0]);
	if (strcmp(tok[1], "!=") == 0)
		snprintf(buf, sizeof(buf), "!%s", tok[2]);
	else if (strcmp(tok[1], "=") == 0)
		snprintf(buf, sizeof(buf), "%s", tok[2]);
	else if (strcmp(tok[1], "<") == 0 || strcmp(tok[1], ">") == 0 ||
		 strcmp(tok[1], "<=") == 0 || strcmp(tok[1], ">=") == 0)
		snprintf(buf, sizeof(buf), "%s%s", tok[1], tok[2]);
	else
		return ps_err(ps, "stream_size: unknown operator \"%s\"", tok[1]);
	if (cmp_parse(buf, UINT32_MAX, &ps->r->ss) < 0)
		return ps_err(ps, "stream_size: bad number \"%s\"", tok[2]);
	ps->r->has_stream_size = true;
	ps->r->ss_which = (uint8_t)w;
	return 0;
}

static int kw_threshold_common(struct parse_state *ps, char *val, struct threshold *t, bool df)
{
	char *tok[8];
	int n;
	bool has_count = false, has_secs = false, has_track = false;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	if (t->type != THR_NONE)
		return ps_err(ps, "%s given twice", ps->kw);
	n = kw_split(val, tok, 8);
	if (n <= 0)
		return ps_err(ps, "%s: too many options", ps->kw);
	if (df)
		t->type = THR_DETECTION_FILTER;
	for (int i = 0; i < n; i++) {
		char *sp = strpbrk(tok[i], " \t"), *arg;
		uint64_t v;

		if (!sp)
			return ps_err(ps, "%s: expected \"name value\", got \"%s\"", ps->kw,
				      tok[i]);
		*sp = '\0';
		arg = str_trim(sp + 1);
		if (!df && strcmp(tok[i], "type") == 0) {
			if (strcmp(arg, "limit") == 0)
				t->type = THR_LIMIT;
			else if (strcmp(arg, "threshold") == 0)
				t->type = THR_THRESHOLD;
			else if (strcmp(arg, "both") == 0)
				t->type = THR_BOTH;
			else
				return ps_err(ps, "%s: unknown type \"%s\"", ps->kw, arg);
		} else if (strcmp(tok[i], "track") == 0) {
			if (strcmp(arg, "by_src") == 0)
				t->track = TRACK_SRC;
			else if (strcmp(arg, "by_dst") == 0)
				t->track = TRACK_DST;
			else if (strcmp(arg, "by_rule") == 0)
				t->track = TRACK_RULE;
			else if (strcmp(arg, "by_both") == 0)
				t->track = TRACK_BOTH;
			else
				return ps_err(ps, "%s: unknown track \"%s\"", ps->kw, arg);
			has_track = true;
		} else if (strcmp(tok[i], "count") == 0) {
			if (parse_u64(arg, 1, UINT32_MAX, &v) < 0)
				return ps_err(ps, "%s: bad count \"%s\"", ps->kw, arg);
			t->count = (uint32_t)v;
			has_count = true;
		} else if (strcmp(tok[i], "seconds") == 0) {
			if (parse_u64(arg, 1, UINT32_MAX, &v) < 0)
				return ps_err(ps, "%s: bad seconds \"%s\"", ps->kw, arg);
			t->seconds = (uint32_t)v;
			has_secs = true;
		} else {
			return ps_err(ps, "%s: unknown option \"%s\"", ps->kw, tok[i]);
		}
	}
	if (t->type == THR_NONE || !has_count || !has_secs || !has_track)
		return ps_err(ps, "%s needs %stack, count and seconds", ps->kw, df ? "" : "type, ");
	return 0;
}

static int kw_threshold(struct parse_state *ps, char *val)
{
	return kw_threshold_common(ps, val, &ps->r->thr, false);
}

static int kw_detection_filter(struct parse_state *ps, char *val)
{
	return kw_threshold_common(ps, val, &ps->r->dfilter, true);
}

static int kw_app_layer_protocol(struct parse_state *ps, char *val)
{
	char *p;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	p = str_trim(val);
	ps->r->has_app_proto = true;
	if (*p == '!') {
		ps->r->app_proto_neg = true;
		p = str_trim(p + 1);
	}
	if (strcmp(p, "http") == 0 || strcmp(p, "http1") == 0)
		ps->r->app_proto = DETECT_APP_HTTP;
	else if (strcmp(p, "failed") == 0)
		ps->r->app_proto = DETECT_APP_FAILED;
	else if (strcmp(p, "unknown") == 0)
		ps->r->app_proto = DETECT_APP_UNKNOWN;
	else
		return ps_unsup(ps, "app-layer-protocol \"%s\" is not supported", p);
	return 0;
}

static int flag_bit(char c)
{
	switch (c) {
	case 'F':
		return 0x01;
	case 'S':
		return 0x02;
	case 'R':
		return 0x04;
	case 'P':
		return 0x08;
	case 'A':
		return 0x10;
	case 'U':
		return 0x20;
	case 'E':
	case '2':
		return 0x40;
	case 'C':
	case '1':
		return 0x80;
	default:
		return -1;
	}
}

static int kw_flags(struct parse_state *ps, char *val)
{
	struct rule *r = ps->r;
	char *comma, *p;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	comma = strchr(val, ',');
	if (comma)
		*comma = '\0';
	p = str_trim(val);
	r->has_flags = true;
	r->flags_mask = 0xff;
	for (; *p; p++) {
		int b;

		if (*p == '+' || *p == '*' || *p == '!') {
			if (r->flags_mode)
				return ps_err(ps, "flags: more than one modifier");
			r->flags_mode = (uint8_t)*p;
			continue;
		}
		if (*p == '0')
			continue;
		b = flag_bit(*p);
		if (b < 0)
			return ps_err(ps, "flags: unknown flag '%c'", *p);
		r->flags_set |= (uint8_t)b;
	}
	if (comma) {
		for (p = str_trim(comma + 1); *p; p++) {
			int b = flag_bit(*p);

			if (b < 0)
				return ps_err(ps, "flags: unknown flag to ignore '%c'", *p);
			r->flags_mask &= (uint8_t)~b;
		}
	}
	return 0;
}

static int kw_cmp(struct parse_state *ps, char *val, uint64_t max, bool *has, struct cmp *c)
{
	if (need_val(ps, val) < 0)
		return -EINVAL;
	if (*has)
		return ps_err(ps, "%s given twice", ps->kw);
	if (cmp_parse(str_trim(val), max, c) < 0)
		return ps_err(ps, "%s: bad value \"%s\"", ps->kw, str_trim(val));
	*has = true;
	return 0;
}

static int kw_ttl(struct parse_state *ps, char *val)
{
	return kw_cmp(ps, val, 255, &ps->r->has_ttl, &ps->r->ttl);
}

static int kw_itype(struct parse_state *ps, char *val)
{
	return kw_cmp(ps, val, 255, &ps->r->has_itype, &ps->r->itype);
}

static int kw_icode(struct parse_state *ps, char *val)
{
	return kw_cmp(ps, val, 255, &ps->r->has_icode, &ps->r->icode);
}

static int kw_dsize(struct parse_state *ps, char *val)
{
	return kw_cmp(ps, val, 65535, &ps->r->has_dsize, &ps->r->dsize);
}

static int kw_urilen(struct parse_state *ps, char *val)
{
	char *comma;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	comma = strchr(val, ',');
	if (comma) {
		char *m = str_trim(comma + 1);

		*comma = '\0';
		if (strcmp(m, "raw") == 0)
			ps->r->urilen_raw = true;
		else if (strcmp(m, "norm") != 0)
			return ps_err(ps, "urilen: expected norm or raw, got \"%s\"", m);
	}
	return kw_cmp(ps, val, UINT32_MAX, &ps->r->has_urilen, &ps->r->urilen);
}

static int kw_ip_proto(struct parse_state *ps, char *val)
{
	char *p;
	struct protoent *pe;
	char num[16];
	uint8_t op = 0;

	if (need_val(ps, val) < 0)
		return -EINVAL;
	p = str_trim(val);
	if (*p == '<' || *p == '>' || *p == '!')
		op = (uint8_t)*p++;
	if (!isdigit((unsigned char)*p)) {
		/* Names as /etc/protocols knows them (Suricata uses getprotobyname too). */
		pe = getprotobyname(p);
		if (!pe)
			return ps_err(ps, "ip_proto: unknown protocol \"%s\"", p);
		snprintf(num, sizeof(num), "%s%d", op ? (char[2]){ (char)op, 0 } : "", pe->p_proto);
		return kw_cmp(ps, num, 255, &ps->r->has_ip_proto, &ps->r->ip_proto);
	}
	return kw_cmp(ps, val, 255, &ps->r->has_ip_proto, &ps->r->ip_proto);
}

/* Sticky buffers: the keyword selects the buffer later payload keywords inspect. */
static const struct {
	const char *name;
	int buf;
} sticky[] = {
	{ "pkt_data", DETECT_BUF_PKT },
	{ "http.uri", DETECT_BUF_HTTP_URI },
	{ "http.uri.raw", DETECT_BUF_HTTP_URI_RAW },
	{ "http.method", DETECT_BUF_HTTP_METHOD },
	{ "http.host", DETECT_BUF_HTTP_HOST },
	{ "http.host.raw", DETECT_BUF_HTTP_HOST_RAW },
	{ "http.request_line", DETECT_BUF_HTTP_REQUEST_LINE },
	{ "http_request_line", DETECT_BUF_HTTP_REQUEST_LINE },
	{ "http.user_agent", DETECT_BUF_HTTP_USER_AGENT },
	{ "http.referer", DETECT_BUF_HTTP_REFERER },
	{ "http_referer", DETECT_BUF_HTTP_REFERER },
	{ "http.accept", DETECT_BUF_HTTP_ACCEPT },
	{ "http_accept", DETECT_BUF_HTTP_ACCEPT },
	{ "http.accept_enc", DETECT_BUF_HTTP_ACCEPT_ENC },
	{ "http_accept_enc", DETECT_BUF_HTTP_ACCEPT_ENC },
	{ "http.accept_lang", DETECT_BUF_HTTP_ACCEPT_LANG },
	{ "http_accept_lang", DETECT_BUF_HTTP_ACCEPT_LANG },
	{ "http.request_body", DETECT_BUF_HTTP_REQUEST_BODY },
	{ "http.header", DETECT_BUF_HTTP_HEADER },
	{ "http.header.raw", DETECT_BUF_HTTP_HEADER_RAW },
	{ "http.header_names", DETECT_BUF_HTTP_HEADER_NAMES },
	{ "http_header_names", DETECT_BUF_HTTP_HEADER_NAMES },
	{ "http.cookie", DETECT_BUF_HTTP_COOKIE },
	{ "http.content_type", DETECT_BUF_HTTP_CONTENT_TYPE },
	{ "http_content_type", DETECT_BUF_HTTP_CONTENT_TYPE },
	{ "http.content_len", DETECT_BUF_HTTP_CONTENT_LEN },
	{ "http_content_len", DETECT_BUF_HTTP_CONTENT_LEN },
	{ "http.start", DETECT_BUF_HTTP_START },
	{ "http_start", DETECT_BUF_HTTP_START },
	{ "http.protocol", DETECT_BUF_HTTP_PROTOCOL },
	{ "http_protocol", DETECT_BUF_HTTP_PROTOCOL },
	{ "http.connection", DETECT_BUF_HTTP_CONNECTION },
	{ "http_connection", DETECT_BUF_HTTP_CONNECTION },
	{ "http.stat_code", DETECT_BUF_HTTP_STAT_CODE },
	{ "http.stat_msg", DETECT_BUF_HTTP_STAT_MSG },
	{ "http.response_line", DETECT_BUF_HTTP_RESPONSE_LINE },
	{ "http_response_line", DETECT_BUF_HTTP_RESPONSE_LINE },
	{ "http.response_body", DETECT_BUF_HTTP_RESPONSE_BODY },
	{ "http.server", DETECT_BUF_HTTP_SERVER },
	{ "http.location", DETECT_BUF_HTTP_LOCATION },
	{ "file.data", BUF_FILE_DATA },
	{ "file_data", BUF_FILE_DATA },
};

/* Legacy content modifiers: move the preceding content into the buffer. */
static const struct {
	const char *name;
	int buf;
} modifiers[] = {
	{ "http_uri", DETECT_BUF_HTTP_URI },
	{ "http_raw_uri", DETECT_BUF_HTTP_URI_RAW },
	{ "http_method", DETECT_BUF_HTTP_METHOD },
	{ "http_header", DETECT_BUF_HTTP_HEADER },
	{ "http_raw_header", DETECT_BUF_HTTP_HEADER_RAW },
	{ "http_cookie", DETECT_BUF_HTTP_COOKIE },
	{ "http_user_agent", DETECT_BUF_HTTP_USER_AGENT },
	{ "http_host", DETECT_BUF_HTTP_HOST },
	{ "http_raw_host", DETECT_BUF_HTTP_HOST_RAW },
	{ "http_stat_code", DETECT_BUF_HTTP_STAT_CODE },
	{ "http_stat_msg", DETECT_BUF_HTTP_STAT_MSG },
	{ "http_client_body", DETECT_BUF_HTTP_REQUEST_BODY },
	{ "http_server_body", DETECT_BUF_HTTP_RESPONSE_BODY },
};

static const struct {
	const char *name;
	int (*fn)(struct parse_state *ps, char *val);
} keywords[] = {
	{ "msg", kw_msg },
	{ "sid", kw_sid },
	{ "rev", kw_rev },
	{ "gid", kw_gid },
	{ "priority", kw_priority },
	{ "classtype", kw_classtype },
	{ "reference", kw_accept_value },
	{ "metadata", kw_accept_value },
	{ "target", kw_target },
	{ "noalert", kw_noalert },
	{ "flow", kw_flow },
	{ "flowbits", kw_flowbits },
	{ "xbits", kw_xbits },
	{ "flowint", kw_flowint },
	{ "tag", kw_tag },
	{ "dotprefix", kw_dotprefix },
	{ "stream_size", kw_stream_size },
	{ "threshold", kw_threshold },
	{ "detection_filter", kw_detection_filter },
	{ "app-layer-protocol", kw_app_layer_protocol },
	{ "flags", kw_flags },
	{ "ttl", kw_ttl },
	{ "ip_proto", kw_ip_proto },
	{ "itype", kw_itype },
	{ "icode", kw_icode },
	{ "dsize", kw_dsize },
	{ "urilen", kw_urilen },
	{ "content", kw_content },
	{ "uricontent", kw_uricontent },
	{ "nocase", kw_nocase },
	{ "depth", kw_depth },
	{ "offset", kw_offset },
	{ "distance", kw_distance },
	{ "within", kw_within },
	{ "startswith", kw_startswith },
	{ "endswith", kw_endswith },
	{ "fast_pattern", kw_fast_pattern },
	{ "rawbytes", kw_rawbytes },
	{ "pcre", kw_pcre },
	{ "isdataat", kw_isdataat },
	{ "bsize", kw_bsize },
	{ "byte_test", kw_byte_test },
	{ "byte_jump", kw_byte_jump },
	{ "byte_extract", kw_byte_extract },
};

/* Suricata keywords moat does not implement (yet): rules using them are skipped as
 * unsupported rather than invalid. Any other dotted name is an app-layer buffer. */
static const char *const unsupported[] = {
	"base64_decode",
	"base64_data",
	"asn1",
	"app-layer-event",
	"decode-event",
	"stream-event",
	"engine-event",
	"ftpbounce",
	"ftpdata_command",
	"filename",
	"fileext",
	"filemagic",
	"filestore",
	"filemd5",
	"filesha1",
	"filesha256",
	"filesize",
	"lua",
	"luajit",
	"iprep",
	"hostbits",
	"flowvar",
	"pktvar",
	"rpc",
	"geoip",
	"datarep",
	"dataset",
	"replace",
	"id",
	"ipopts",
	"fragbits",
	"fragoffset",
	"tos",
	"seq",
	"ack",
	"window",
	"icmp_id",
	"icmp_seq",
	"sameip",
	"strip_whitespace",
	"compress_whitespace",
	"to_md5",
	"to_sha1",
	"to_sha256",
	"to_lowercase",
	"to_uppercase",
	"pcrexform",
	"url_decode",
	"xor",
	"header_lowercase",
	"strip_pseudo_headers",
	"requires",
	"prefilter",
	"bypass",
	"config",
	"ssl_version",
	"ssl_state",
	"tls_cert_notbefore",
	"tls_cert_notafter",
	"tls_cert_expired",
	"tls_cert_valid",
	"tls_store",
	"ja3_hash",
	"ja3_string",
	"ja3s_hash",
	"ja3s_string",
	"dnp3_func",
	"dnp3_ind",
	"dnp3_obj",
	"dnp3_data",
	"modbus",
	"enip_command",
	"cip_service",
	"ssh_proto",
	"ssh_software",
	"ssh.protoversion",
	"ssh.softwareversion",
	"dce_iface",
	"dce_opnum",
	"dce_stub_data",
	"krb5_msg_type",
	"krb5_err_code",
	"snmp.version",
	"http2.frametype",
	"template",
	"mqtt.type",
	"rfb.secresult",
	"byte_math",
	"entropy",
	"ike.exchtype",
	"nfs_procedure",
	"tls_sni",
	"tls_cert_issuer",
	"tls_cert_subject",
	"tls_cert_serial",
	"tls_cert_fingerprint",
	"dns_query",
	"http_response_body",
	"http_request_body",
	"http.request_header",
	"http.response_header",
	"http_stat_msg_raw",
	"pkthdr",
	"l3_proto",
	"threshold_file",
	"ipv4-csum",
	"tcpv4-csum",
	"tcpv6-csum",
	"udpv4-csum",
	"udpv6-csum",
	"icmpv4-csum",
	"icmpv6-csum",
	"file.name",
	"file.magic",
	"flow.age",
	"flow.pkts",
	"flow.bytes",
	"transform",
	"ja4.hash",
	"tcp.mss",
	"tcp.hdr",
	"udp.hdr",
	"ipv4.hdr",
	"ipv6.hdr",
	"icmpv4.hdr",
	"icmpv6.hdr",
	"icmpv6.mtu",
};

int rule_keyword_apply(struct parse_state *ps, const char *key, char *val)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
		if (strcmp(key, keywords[i].name) == 0)
			return keywords[i].fn(ps, val);
	for (size_t i = 0; i < ARRAY_SIZE(sticky); i++) {
		if (strcmp(key, sticky[i].name) == 0) {
			if (val && *str_trim(val))
				return ps_err(ps, "sticky buffer \"%s\" takes no value", key);
			ps->cur_buf = sticky[i].buf;
			ps->sticky_used = true;
			ps->cur_dotprefix = false;
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(modifiers); i++) {
		if (strcmp(key, modifiers[i].name) == 0) {
			if (val && *str_trim(val))
				return ps_err(ps, "\"%s\" takes no value", key);
			return ps_move_last_content(ps, modifiers[i].buf);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		if (strcmp(key, unsupported[i]) == 0)
			return ps_unsup(ps, "keyword \"%s\" is not supported", key);
	if (strchr(key, '.') || strncmp(key, "tls_", 4) == 0 || strncmp(key, "dns_", 4) == 0 ||
	    strncmp(key, "smb_", 4) == 0 || strncmp(key, "krb5_", 5) == 0 ||
	    strncmp(key, "sip_", 4) == 0 || strncmp(key, "ja3", 3) == 0)
		return ps_unsup(ps, "keyword \"%s\" is not supported", key);
	return ps_err(ps, "unknown keyword \"%s\"", key);
}
