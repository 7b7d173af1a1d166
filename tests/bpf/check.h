/* SPDX-License-Identifier: GPL-2.0-only */
/* The bpf suite's checks: CHECK() counts and reports a failed condition with file:line and a
 * message and goes on; section() prints a named group's verdict; check_summary() the last line
 * and the exit code. One executable per test, so the counters live here. */
#pragma once

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		checks++;                                                               \
		if (!(cond)) {                                                          \
			failures++;                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fprintf(stderr, "\n");                                          \
		}                                                                       \
	} while (0)

/* "ok   NAME" or "FAIL NAME": whether any check failed since FAILS_BEFORE (= failures then). */
static inline void section(const char *name, int fails_before)
{
	printf("%s %s\n", failures == fails_before ? "ok  " : "FAIL", name);
	fflush(stdout);
}

static inline int check_summary(void)
{
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
