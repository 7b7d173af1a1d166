/* SPDX-License-Identifier: GPL-2.0-only */
/* Internals shared by msc_vars.c (phase 1, response) and msc_vars_body.c (phase 2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <htp/htp.h>

#include "msc_vars.h"

struct arena_blk {
	struct arena_blk *next;
	size_t cap, used;
	uint8_t data[];
};

struct mv_vec {
	struct msc_kv *v;
	size_t n, cap;
};

struct msc_vars {
	struct msc_vars_config cfg;
	struct msc_vars_stats st;
	struct arena_blk *blocks, *last, *cur;
	size_t arena_used;
	struct mv_vec coll[MSC_C_MAX];
	size_t nargs; /* ARGS_GET + ARGS_POST */
	htp_cfg_t *htp_cfg; /* for libhtp's multipart parser */
	void *json_stack; /* the JSON walk's container stack (json_depth levels), kept */
	char remote_addr[48], server_addr[48], remote_port[8], server_port[8], status[16];
	char errmsg[256];
};

uint8_t *mv_alloc(struct msc_vars *v, size_t n);
struct msc_str mv_copy(struct msc_vars *v, const void *p, size_t n);
struct msc_str mv_cstr(const char *s);
/* Append (NAME, VALUE) to collection C (caps applied and counted). 0 or -ENOMEM. */
int mv_add(struct msc_vars *v, enum msc_coll c, struct msc_str name, struct msc_str value);
/* Point OUT's list C at the collection. */
void mv_publish(struct msc_vars *v, enum msc_coll c, struct msc_request *out);
/* ARGS-style name=value pairs of S into C. */
int mv_parse_args(struct msc_vars *v, enum msc_coll c, const uint8_t *s, size_t n);
struct msc_str mv_content_type(const struct msc_request *out);
enum msc_body_processor mv_pick_processor(struct msc_str ct);
const char *mv_processor_name(enum msc_body_processor p);
