// SPDX-License-Identifier: GPL-2.0-only
/* Checked parsing of numbers, ports and durations from operator input. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "parse.h"

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, 1, 65535, &v);

	if (r < 0)
		return r;
	*ret = (uint16_t)v;
	return 0;
}

int parse_duration(const char *s, uint64_t *ret_seconds)
{
	uint64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		uint64_t v = 0, mult;
		int digits = 0;

		while (isdigit((unsigned char)*p)) {
			if (v > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*p - '0');
			p++;
			digits++;
		}
		if (!digits)
			return -EINVAL;
		switch (*p) {
		case '\0':
			/* A bare number is seconds, but only as the whole string. */
			if (p - s != digits)
				return -EINVAL;
			mult = 1;
			break;
		case 's':
			mult = 1;
			p++;
			break;
		case 'm':
			mult = 60;
			p++;
			break;
		case 'h':
			mult = 3600;
			p++;
			break;
		case 'd':
			mult = 86400;
			p++;
			break;
		case 'w':
			mult = 7 * 86400;
			p++;
			break;
		default:
			return -EINVAL;
		}
		if (v > UINT64_MAX / mult || total > UINT64_MAX - v * mult)
			return -ERANGE;
		total += v * mult;
	}
	*ret_seconds = total;
	return 0;
}

const char *format_duration(uint64_t seconds, char *buf, unsigned long len)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (seconds == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && n < len; i++) {
		uint64_t q = seconds / units[i].secs;

		if (!q)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%llu%c", (unsigned long long)q,
				      units[i].unit);
		seconds %= units[i].secs;
	}
	return buf;
}

int parse_bool(const char *s, int *ret)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*ret = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*ret = 0;
			return 0;
		}
	}
	return -EINVAL;
}
