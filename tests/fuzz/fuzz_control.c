// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for control-socket requests (policyd/control): each input line is answered as
 * the socket would answer it, by a control object with a command that takes arguments of
 * every type. Every reply must be one JSON object {"v":1, "id", "ok": bool, result|error}
 * with an errno name as error.code; anything else aborts.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policyd/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmd_typed(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	json_int_t n = json_integer_value(json_object_get(args, "n"));

	if (n < 0) {
		snprintf(err, errlen, "n must not be negative");
		return -ERANGE;
	}
	*ret_result = json_pack("{s:O}", "args", args);
	return 0;
}

static const struct control_arg typed_args[] = {
	{ "n", JSON_INTEGER, true },
	{ "s", JSON_STRING, false },
	{ "b", JSON_TRUE, false },
	{ "o", JSON_OBJECT, false },
	{ "a", JSON_ARRAY, false },
	{ "r", JSON_REAL, false },
	{},
};

static void check_reply(const char *s)
{
	json_error_t e;
	json_t *r = json_loads(s, 0, &e), *ok, *err;

	if (!r || !json_is_object(r) || json_integer_value(json_object_get(r, "v")) != 1)
		abort();
	ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok) || !json_object_get(r, "id"))
		abort();
	if (json_is_true(ok) && !json_is_object(json_object_get(r, "result")))
		abort();
	if (json_is_false(ok)) {
		const char *code;

		err = json_object_get(r, "error");
		code = json_string_value(json_object_get(err, "code"));
		if (!code || !control_errno_from_name(code) ||
		    !json_is_string(json_object_get(err, "message")))
			abort();
	}
	if (strchr(s, '\n'))
		abort(); /* one line per reply */
	json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control *c;
	const char *p = (const char *)data, *end = p + size;

	if (!c) {
		if (control_new_unbound(&c) < 0 ||
		    control_register(c, "typed", cmd_typed, NULL, typed_args) < 0)
			abort();
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *reply = NULL;

		if (control_handle_line(c, p, len, &reply) < 0)
			abort();
		check_reply(reply);
		free(reply);
		p += len + 1;
	}
	return 0;
}
