/* SPDX-License-Identifier: GPL-2.0-only */
/* Checked parsing of numbers, ports and durations from operator input. */
#pragma once

#include <stdint.h>

/*
 * Parse a whole decimal (or 0x hex) unsigned number within [min, max].
 * Returns 0, -EINVAL if not a number (or trailing garbage), -ERANGE if outside the bounds.
 * *ret is untouched on failure.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* A TCP/UDP port, 1..65535. */
int parse_port(const char *s, uint16_t *ret);

/*
 * A duration such as "30s", "10m", "1h", "7d", "2w" or a bare number of seconds, or
 * "1h30m". Returns seconds. 0 is accepted. -EINVAL on syntax, -ERANGE on overflow.
 */
int parse_duration(const char *s, uint64_t *ret_seconds);

/* Format seconds as the shortest duration string ("1h30m", "7d", "0s") into buf. */
const char *format_duration(uint64_t seconds, char *buf, unsigned long len);

/* Parse "yes/no/true/false/on/off/1/0". */
int parse_bool(const char *s, int *ret);
