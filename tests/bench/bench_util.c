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

int bench_run_child(char *const argv[], bool keep_stderr, struct bench_run *ret)
{
	struct rusage ru;
	double t0 = bench_now();
	int status;
	pid_t pid = fork();

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
	if (wait4(pid, &status, 0, &ru) < 0)
		return -errno;
	ret->secs = bench_now() - t0;
	ret->cpu_secs = tv_secs(&ru.ru_utime, &ru.ru_stime);
	ret->rss_kib = ru.ru_maxrss;
	ret->status = status;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
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
