/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading whole text files (rule files, configs) with a size cap; replacing a file atomically. */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Read F to its end into a new NUL-terminated buffer (*ret_buf, freed by the caller) of
 * *ret_len bytes (the terminator not counted; the content may itself hold NUL bytes, which
 * callers that want text check). Returns 0, -EFBIG when F holds more than MAX bytes, -EIO on
 * a read error, -ENOMEM. The ret_ outputs stay untouched on failure.
 */
int file_read_all(FILE *f, size_t max, char **ret_buf, size_t *ret_len);

/*
 * Replace PATH with LEN bytes of DATA so that a crash leaves the old or the new content,
 * never a mix: write PATH.tmp (MODE), fsync, rename over PATH, fsync the directory. Returns 0
 * or -errno with a message naming the file in ERR; PATH.tmp is removed on failure.
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
		      size_t errlen);
