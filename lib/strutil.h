/* SPDX-License-Identifier: GPL-2.0-only */
/* Small string helpers shared by the parsers (rules, config). */
#pragma once

/* Strip leading and trailing white space in place; returns the first non-blank character. */
char *str_trim(char *s);
