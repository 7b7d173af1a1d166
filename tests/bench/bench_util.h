/* SPDX-License-Identifier: GPL-2.0-only */
/* What every benchmark program needs: clocks, running a child with its wall/CPU time and
 * peak RSS, finding a program, and scratch directories. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

double bench_now(void); /* CLOCK_MONOTONIC seconds */
double bench_cpu_self(void); /* user + system seconds of this process */

struct bench_run {
	double secs, cpu_secs;
	long rss_kib; /* peak resident set of the child */
	int status; /* wait status */
};

/* Run ARGV (NULL-terminated, PATH searched) with stdout to /dev/null (stderr too unless
 * keep_stderr). Returns 0 when it exited 0, -EIO otherwise (RET filled either way), -errno
 * when it could not be started. */
int bench_run_child(char *const argv[], bool keep_stderr, struct bench_run *ret);

bool bench_have_program(const char *name);

/* All *.rules of DIR, lexical order, concatenated into OUT (for `suricata -S`). */
int bench_concat_rules(const char *dir, const char *out);

/* Makes a fresh directory $TMPDIR/PREFIX-XXXXXX ($TMPDIR default /tmp) and writes its path
 * to BUF; 0 or -errno (-ENAMETOOLONG when BUF is too small). */
int bench_mkdtemp(const char *prefix, char *buf, size_t len);

/* rm -rf PATH (a scratch directory this program made). */
void bench_rm_rf(const char *path);
