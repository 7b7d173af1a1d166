// SPDX-License-Identifier: GPL-2.0-only
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_secs(const struct timeval *a, const struct timeval *b)
{
	return (double)a->tv_sec + (double)a->tv_usec / 1e6 + (double)b->tv_sec +
	       (double)b->tv_usec / 1e6;
}

double bench_cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return tv_secs(&ru.ru_utime, &ru.ru_stime);
}

/* utime + stime of /proc/PID/task/TID/stat in clock ticks; -1 when unreadable. Fields 14
 * and 15 (proc(5)); the name (field 2) may hold spaces and parentheses, so count from the
 * last ')'. */
static long long thread_ticks(int pid, int tid)
{
	char path[96], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* after ')': state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
	 * utime stime */
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

static void thread_comm(int pid, int tid, char comm[16])
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, 15);
	close(fd);
	if (n <= 0)
		return;
	comm[n] = 0;
	comm[strcspn(comm, "\n")] = 0;
}

/* One look at every thread of PID: record its name and CPU time (the last one wins). */
static void poll_threads(int pid, double tick, struct bench_run *ret)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		int tid = atoi(e->d_name);
		struct bench_thread *t = NULL;
		long long ticks;

		if (tid <= 0)
			continue;
		ticks = thread_ticks(pid, tid);
		if (ticks < 0)
			continue; /* it exited between readdir and open */
		for (unsigned int i = 0; i < ret->n_threads && !t; i++)
			if (ret->threads[i].tid == tid)
				t = &ret->threads[i];
		if (!t) {
			if (ret->n_threads == BENCH_MAX_THREADS) {
				ret->threads_refused++;
				continue;
			}
			t = &ret->threads[ret->n_threads++];
			t->tid = tid;
		}
		/* a thread names itself after it starts (Suricata's "W#01"): read it each time */
		thread_comm(pid, tid, t->comm);
		t->cpu_secs = (double)ticks * tick;
	}
	closedir(d);
}

static int run_child(char *const argv[], bool keep_stderr, double poll_s, struct bench_run *ret)
{
	struct rusage ru;
	double t0 = bench_now(), tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
	int status;
	pid_t pid;

	ret->n_threads = ret->threads_refused = 0;
	ret->thread_resolution_s = poll_s > 0 ? tick + poll_s : 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			if (!keep_stderr)
				dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (poll_s > 0) {
		struct timespec ts = { .tv_sec = (time_t)poll_s,
				       .tv_nsec = (long)((poll_s - (double)(time_t)poll_s) * 1e9) };

		for (;;) {
			pid_t w;

			/* read before reaping: a zombie's /proc/PID/task is gone */
			poll_threads(pid, tick, ret);
			w = wait4(pid, &status, WNOHANG, &ru);
			if (w < 0)
				return -errno;
			if (w == pid)
				break;
			nanosleep(&ts, NULL);
		}
	} else if (wait4(pid, &status, 0, &ru) < 0) {
		return -errno;
	}
	ret->secs = bench_now() - t0;
	ret->cpu_secs = tv_secs(&ru.ru_utime, &ru.ru_stime);
	ret->rss_kib = ru.ru_maxrss;
	ret->status = status;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int bench_run_child(char *const argv[], bool keep_stderr, struct bench_run *ret)
{
	return run_child(argv, keep_stderr, 0, ret);
}

int bench_run_child_threads(char *const argv[], bool keep_stderr, double poll_s,
			    struct bench_run *ret)
{
	if (poll_s <= 0)
		return -EINVAL;
	return run_child(argv, keep_stderr, poll_s, ret);
}

double bench_thread_cpu(const struct bench_run *run, const char *comm)
{
	double sum = 0;
	bool seen = false;

	for (unsigned int i = 0; i < run->n_threads; i++)
		if (!strcmp(run->threads[i].comm, comm)) {
			sum += run->threads[i].cpu_secs;
			seen = true;
		}
	return seen ? sum : -1;
}

bool bench_have_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		return false;
	while (*path) {
		const char *c = strchr(path, ':');
		size_t l = c ? (size_t)(c - path) : strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)l, path, name);
		if (access(buf, X_OK) == 0)
			return true;
		path += l + (c ? 1 : 0);
	}
	return false;
}

int bench_concat_rules(const char *dir, const char *out)
{
	FILE *o = fopen(out, "w");
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (!o || n < 0) {
		int e = errno;

		if (o)
			fclose(o);
		if (n >= 0) {
			for (int i = 0; i < n; i++)
				free(names[i]);
			free(names);
		}
		return -e;
	}
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);
		char path[4096], buf[65536];
		FILE *f;

		if (l > 6 && strcmp(names[i]->d_name + l - 6, ".rules") == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			f = fopen(path, "r");
			if (f) {
				size_t k;

				while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
					fwrite(buf, 1, k, o);
				fputc('\n', o);
				fclose(f);
			}
		}
		free(names[i]);
	}
	free(names);
	return fclose(o) == 0 ? 0 : -errno;
}

void bench_rm_rf(const char *path)
{
	char *argv[] = { (char *)"rm", (char *)"-rf", (char *)path, NULL };
	struct bench_run r;

	if (bench_run_child(argv, true, &r) < 0)
		fprintf(stderr, "could not remove %s\n", path);
}

int bench_mkdtemp(const char *prefix, char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	n = snprintf(buf, len, "%s/%s-XXXXXX", tmp, prefix);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}
