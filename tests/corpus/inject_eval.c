// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driver for inject_corpus.py: reads one hex-encoded value per line on stdin and prints, per
 * line, "<sqli 0|1> <fingerprint or -> <xss 0|1>". Hex keeps NULs, newlines and any byte
 * intact across the pipe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "msc_inject.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int rc = 0;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		size_t n = 0;
		char fp[MSC_SQLI_FP_LEN];
		bool s, x;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len % 2) {
			fprintf(stderr, "stdin:%lu: odd number of hex digits\n", lineno);
			rc = 1;
			break;
		}
		for (ssize_t i = 0; i < len; i += 2) {
			int hi = hexval(line[i]), lo = hexval(line[i + 1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "stdin:%lu: bad hex digit at column %zd\n", lineno,
					i + 1);
				free(line);
				return 1;
			}
			line[n++] = (char)(hi << 4 | lo);
		}
		s = msc_detect_sqli((const uint8_t *)line, n, fp);
		x = msc_detect_xss((const uint8_t *)line, n);
		printf("%d %s %d\n", s, s ? fp : "-", x);
	}
	free(line);
	return rc;
}
