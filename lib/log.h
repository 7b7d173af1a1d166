/* SPDX-License-Identifier: GPL-2.0-only */
/* The process-wide logger: level-filtered lines to stderr (or a callback). */
#pragma once

#include <stdarg.h>
#include "macro.h"

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix every line with "PROG: " (NULL for none). The string must outlive the logger. */
void log_set_prog(const char *prog);
void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
