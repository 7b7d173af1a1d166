// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "fileio.h"
#include "macro.h"

#define CHUNK 65536

int file_read_all(FILE *f, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		size_t n;

		if (len + CHUNK + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 2 * CHUNK;
			if (cap > max + CHUNK + 1)
				cap = max + CHUNK + 1;
			if (len + CHUNK + 1 > cap)
				return -EFBIG;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = fread(buf + len, 1, CHUNK, f);
		len += n;
		if (len > max)
			return -EFBIG;
		if (n < CHUNK) {
			if (ferror(f))
				return -EIO;
			break;
		}
	}
	buf[len] = '\0';
	*ret_len = len;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}
