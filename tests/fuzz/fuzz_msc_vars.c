// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for dpi/msc_vars.c. Input: one control byte (bits 0-2: the body
 * processor, MSC_BODY_AUTO..MSC_BODY_NONE, 6-7 taken as AUTO; bit 3: cookie format v1;
 * bit 4: tiny caps), then raw HTTP request bytes, optionally followed by "@@RESPONSE@@" and
 * raw response bytes. The bytes go through libhtp (dpi/http.c); each transaction goes
 * through all three fillers, and every string of the result is read (so ASan sees a
 * dangling or short view) and every list is checked against its cap: abort() otherwise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi/eve.h"
#include "dpi/http.h"
#include "dpi/msc_vars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct msc_vars *v;
	const struct msc_vars_config *cfg;
	enum msc_body_processor proc;
};

static volatile uint8_t sink;

static void touch(struct msc_str s)
{
	uint8_t x = 0;

	if (!s.ptr && s.len)
		abort();
	for (size_t i = 0; i < s.len; i++)
		x ^= s.ptr[i];
	sink ^= x;
}

static void check(const struct ctx *c, const struct msc_request *r)
{
	size_t args = r->c[MSC_C_ARGS_GET].n + r->c[MSC_C_ARGS_POST].n;

	for (int f = 0; f < MSC_F_MAX; f++)
		touch(r->f[f]);
	for (int k = 0; k < MSC_C_MAX; k++) {
		if (k != MSC_C_ARGS_GET && k != MSC_C_ARGS_POST && r->c[k].n > c->cfg->max_entries)
			abort();
		for (size_t i = 0; i < r->c[k].n; i++) {
			if (r->c[k].v[i].name.len > c->cfg->max_name_len ||
			    r->c[k].v[i].value.len > c->cfg->max_value_len)
				abort();
			touch(r->c[k].v[i].name);
			touch(r->c[k].v[i].value);
		}
	}
	if (args > c->cfg->max_args)
		abort();
	if (r->reqbody_error && !r->f[MSC_F_REQBODY_ERROR_MSG].len)
		abort();
	if ((r->multipart & ~(uint32_t)MSC_MP_STRICT_ERROR) &&
	    !(r->multipart & MSC_MP_STRICT_ERROR))
		abort();
}

static void on_tx(void *user, const struct http_tx *tx, uint64_t ts_us)
{
	struct ctx *c = user;
	struct eve_tuple t = { .family = 6, .proto = 6, .src_port = 1, .dest_port = 80 };
	struct msc_request r;

	(void)ts_us;
	t.src_ip[15] = 1;
	t.dest_ip[15] = 2;
	msc_vars_request_headers(c->v, tx, &t, &r);
	check(c, &r);
	msc_vars_request_body(c->v, tx, c->proc, &r);
	check(c, &r);
	msc_vars_response(c->v, tx, &r);
	check(c, &r);
	/* a forced second body pass (ctl:requestBodyProcessor) over the same transaction */
	msc_vars_request_body(c->v, tx, MSC_BODY_JSON, &r);
	check(c, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_engine *e;
	static struct msc_vars *vars[4];
	static struct msc_vars_config cfgs[4];
	static const char sep[] = "@@RESPONSE@@";
	struct http_stats st = { 0 };
	const uint8_t *res = NULL;
	size_t req_len, res_len = 0;
	struct http_conn *conn;
	struct ctx c;
	int which;

	if (!e) {
		struct http_config cfg;

		http_config_defaults(&cfg);
		cfg.request_body_limit = 64 * 1024;
		cfg.keep_request_body = cfg.keep_response_body = true;
		if (http_engine_new(&cfg, &e) < 0)
			abort();
		for (int i = 0; i < 4; i++) {
			msc_vars_config_init(&cfgs[i]);
			if (i & 1)
				cfgs[i].cookie_format = MSC_COOKIE_V1;
			if (i & 2) {
				cfgs[i].max_args = 4;
				cfgs[i].max_entries = 4;
				cfgs[i].max_name_len = 8;
				cfgs[i].max_value_len = 16;
				cfgs[i].max_arena = 512;
				cfgs[i].json_depth = 4;
				cfgs[i].xml_depth = 4;
				cfgs[i].xml_max_bytes = 256;
				cfgs[i].multipart_max_parts = 3;
				cfgs[i].multipart_max_files = 1;
			}
			if (msc_vars_new(&cfgs[i], &vars[i]) < 0)
				abort();
		}
	}
	if (size < 1)
		return 0;
	which = ((data[0] >> 3) & 1) | ((data[0] >> 3) & 2);
	c.v = vars[which];
	c.cfg = &cfgs[which];
	c.proc = (enum msc_body_processor)(data[0] & 7);
	if (c.proc > MSC_BODY_NONE)
		c.proc = MSC_BODY_AUTO;
	data++;
	size--;
	req_len = size;
	for (size_t i = 0; i + sizeof(sep) - 1 <= size; i++) {
		if (!memcmp(data + i, sep, sizeof(sep) - 1)) {
			req_len = i;
			res = data + i + sizeof(sep) - 1;
			res_len = size - i - (sizeof(sep) - 1);
			break;
		}
	}
	conn = http_conn_new(e, on_tx, &c, &st, 0);
	if (!conn)
		return 0;
	http_conn_data(conn, 0, data, req_len, 1);
	if (res)
		http_conn_data(conn, 1, res, res_len, 2);
	http_conn_close(conn, 3);
	http_conn_free(conn);
	return 0;
}
