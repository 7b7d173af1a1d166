/* SPDX-License-Identifier: GPL-2.0-only */
/* What every benchmark program needs: clocks, running a child with its wall/CPU time and
 * peak RSS, finding a program, and scratch directories. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

double bench_now(void); /* CLOCK_MONOTONIC seconds */
double bench_cpu_self(void); /* user + system seconds of this process */

#define BENCH_MAX_THREADS 64

/* One thread of a child seen by bench_run_child_threads: its name (/proc/.../comm) and the
 * last CPU time (user + system) read for it before it exited. */
struct bench_thread {
	int tid;
	char comm[16];
	double cpu_secs;
};

struct bench_run {
	double secs, cpu_secs;
	long rss_kib; /* peak resident set of the child */
	int status; /* wait status */
	/* bench_run_child_threads only (0 otherwise): the child's threads, at most
	 * BENCH_MAX_THREADS (threads_refused counts the others), and the resolution of their
	 * CPU figures (one clock tick + one poll interval: CPU spent after the last poll is
	 * not seen) */
	unsigned int n_threads, threads_refused;
	double thread_resolution_s;
	struct bench_thread threads[BENCH_MAX_THREADS];
};

/* Run ARGV (NULL-terminated, PATH searched) with stdout to /dev/null (stderr too unless
 * keep_stderr). Returns 0 when it exited 0, -EIO otherwise (RET filled either way), -errno
 * when it could not be started. */
int bench_run_child(char *const argv[], bool keep_stderr, struct bench_run *ret);

/* bench_run_child, and while the child runs, every POLL_S seconds, the CPU time of each of
 * its threads from /proc/PID/task/TID/stat (utime + stime); the last value read for each
 * thread is kept in RET->threads. The per-thread time is what a multi-threaded program's
 * process CPU cannot give: the time of its packet thread alone, without start-up. */
int bench_run_child_threads(char *const argv[], bool keep_stderr, double poll_s,
			    struct bench_run *ret);

/* Sum of the CPU seconds of RUN's threads named COMM; -1 when none was seen. */
double bench_thread_cpu(const struct bench_run *run, const char *comm);

bool bench_have_program(const char *name);

/* All *.rules of DIR, lexical order, concatenated into OUT (for `suricata -S`). */
int bench_concat_rules(const char *dir, const char *out);

/* Makes a fresh directory $TMPDIR/PREFIX-XXXXXX ($TMPDIR default /tmp) and writes its path
 * to BUF; 0 or -errno (-ENAMETOOLONG when BUF is too small). */
int bench_mkdtemp(const char *prefix, char *buf, size_t len);

/* rm -rf PATH (a scratch directory this program made). */
void bench_rm_rf(const char *path);
