// SPDX-License-Identifier: GPL-2.0-only
/* The process-wide logger. The level and program name are the only mutable globals. */
#include <stdio.h>
#include <string.h>
#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static const char *log_prog;

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_set_prog(const char *prog)
{
	log_prog = prog;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char buf[2048];
	va_list ap;
	int n = 0;

	if (level > log_level)
		return;
	if (log_prog)
		n = snprintf(buf, sizeof(buf), "%s: ", log_prog);
	if (level <= LOG_LEVEL_WARN)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s: ", names[level]);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent threads do not interleave inside a line. */
	fprintf(stderr, "%s\n", buf);
}
