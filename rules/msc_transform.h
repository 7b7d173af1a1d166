/* SPDX-License-Identifier: GPL-2.0-only */
/* ModSecurity transformations (t:...): byte-exact ModSecurity v3.0.9 semantics. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Every transformation ModSecurity v3 has. urlDecodeUni works as without SecUnicodeMapFile
 * (the CRS setup configures none): %uHHHH keeps its low byte. Aliases (normalisePath,
 * normalisePathWin) map to the same value; msc_tfn_name() returns the canonical spelling.
 */
enum msc_tfn {
	MSC_TFN_NONE,
	MSC_TFN_LOWERCASE,
	MSC_TFN_UPPERCASE,
	MSC_TFN_URL_DECODE,
	MSC_TFN_URL_DECODE_UNI,
	MSC_TFN_URL_ENCODE,
	MSC_TFN_HTML_ENTITY_DECODE,
	MSC_TFN_JS_DECODE,
	MSC_TFN_CSS_DECODE,
	MSC_TFN_UTF8_TO_UNICODE,
	MSC_TFN_REMOVE_NULLS,
	MSC_TFN_REPLACE_NULLS,
	MSC_TFN_REMOVE_WHITESPACE,
	MSC_TFN_COMPRESS_WHITESPACE,
	MSC_TFN_CMD_LINE,
	MSC_TFN_NORMALIZE_PATH,
	MSC_TFN_NORMALIZE_PATH_WIN,
	MSC_TFN_REPLACE_COMMENTS,
	MSC_TFN_REMOVE_COMMENTS,
	MSC_TFN_REMOVE_COMMENTS_CHAR,
	MSC_TFN_BASE64_DECODE,
	MSC_TFN_BASE64_DECODE_EXT,
	MSC_TFN_BASE64_ENCODE,
	MSC_TFN_HEX_ENCODE,
	MSC_TFN_HEX_DECODE,
	MSC_TFN_SQL_HEX_DECODE,
	MSC_TFN_ESCAPE_SEQ_DECODE,
	MSC_TFN_SHA1,
	MSC_TFN_MD5,
	MSC_TFN_LENGTH,
	MSC_TFN_TRIM,
	MSC_TFN_TRIM_LEFT,
	MSC_TFN_TRIM_RIGHT,
	MSC_TFN_PARITY_EVEN_7BIT,
	MSC_TFN_PARITY_ODD_7BIT,
	MSC_TFN_PARITY_ZERO_7BIT,
	MSC_TFN_COUNT_,
};

/*
 * Worst-case output size of any transformation, as a multiple of the input length plus a
 * constant: utf8toUnicode turns 2 bytes into 7 (3.5x), urlEncode and hexEncode 1 into 3 and 2,
 * base64Encode 3 into 4; digests and length are at most 20 bytes. The fuzz target checks
 * len_out <= MSC_TFN_MAX_FACTOR * len_in + MSC_TFN_MAX_EXTRA.
 */
#define MSC_TFN_MAX_FACTOR 4
#define MSC_TFN_MAX_EXTRA 24

/* A growable byte buffer owned by the caller; zero-initialise it, release with msc_buf_done(). */
struct msc_buf {
	uint8_t *p;
	size_t len, cap;
};

void msc_buf_done(struct msc_buf *b);

/*
 * Byte classes of a value (msc_tfn_classes()) and, per transformation, the classes whose
 * presence lets it change a value (msc_tfn_trigger()): a value holding none of T's trigger
 * classes is its own result under T, so a chain of such transformations is skipped without
 * looking at the bytes again. Most CRS values are plain text that urlDecodeUni,
 * htmlEntityDecode, jsDecode, removeNulls ... leave as they are. MSC_TFN_C_ALWAYS is in every
 * value's classes and in the trigger of every transformation this does not reason about.
 */
enum {
	MSC_TFN_C_ALWAYS = 1u << 0,
	MSC_TFN_C_NUL = 1u << 1,
	MSC_TFN_C_HIGH = 1u << 2, /* a byte >= 0x80 */
	MSC_TFN_C_UPPER = 1u << 3, /* A-Z */
	MSC_TFN_C_PCT = 1u << 4, /* '%' or '+' */
	MSC_TFN_C_AMP = 1u << 5, /* '&' */
	MSC_TFN_C_BSL = 1u << 6, /* '\' */
	MSC_TFN_C_SLASH = 1u << 7, /* '/' */
	MSC_TFN_C_DOT = 1u << 8, /* '.' */
	MSC_TFN_C_SP = 1u << 9, /* ' ' */
	MSC_TFN_C_SP2 = 1u << 10, /* two spaces in a row */
	MSC_TFN_C_WSX = 1u << 11, /* \t \n \v \f \r */
	MSC_TFN_C_CMD = 1u << 12, /* " ' ^ , ; ( */
	/* no transformation's trigger: for the first-byte test of @rx (msc_tfn_classes_of_set) */
	MSC_TFN_C_NL = 1u << 13, /* \n \r */
	MSC_TFN_C_LT = 1u << 14, /* '<' */
	MSC_TFN_C_GT = 1u << 15, /* '>' */
	MSC_TFN_C_DOLLAR = 1u << 16, /* '$' */
	MSC_TFN_C_BTICK = 1u << 17, /* '`' */
	MSC_TFN_C_BRACE = 1u << 18, /* '{' '}' */
	MSC_TFN_C_PIPE = 1u << 19, /* '|' */
	MSC_TFN_C_SEMI = 1u << 20, /* ';' */
	MSC_TFN_C_PAREN = 1u << 21, /* '(' ')' */
	MSC_TFN_C_QUOTE = 1u << 22, /* '"' '\'' */
	MSC_TFN_C_DIGIT = 1u << 23, /* 0-9 */
	MSC_TFN_C_EQ = 1u << 24, /* '=' */
	MSC_TFN_C_BRACKET = 1u << 25, /* '[' ']' */
};

uint32_t msc_tfn_classes(const uint8_t *in, size_t len);

/*
 * Classes of which a value holding some byte of SET (a bit per byte value, byte B at bit B % 8
 * of SET[B / 8], as PCRE2_INFO_FIRSTBITMAP gives it) holds at least one: each byte's class
 * with the fewest members. 0 when SET is empty or some byte of it has no class but
 * MSC_TFN_C_ALWAYS (every value would pass).
 */
uint32_t msc_tfn_classes_of_set(const uint8_t set[32]);
uint32_t msc_tfn_trigger(enum msc_tfn t);

/* The transformation named NAME (LEN bytes, case-insensitive, "t:" not included), or -1. */
int msc_tfn_lookup(const char *name, size_t len);

/* The canonical ModSecurity name ("urlDecodeUni"); "?" for an out-of-range value. */
const char *msc_tfn_name(enum msc_tfn t);

/*
 * Apply T to IN[0..LEN) and replace OUT's content with the result (OUT grows as needed and
 * must not alias IN). IN may hold NUL bytes, and be NULL when LEN is 0. sha1/md5 yield the raw
 * digest, length the decimal byte count. Returns 0, or -ENOMEM (OUT then holds an empty result),
 * or -EINVAL for a T out of range.
 */
int msc_tfn_apply(enum msc_tfn t, const uint8_t *in, size_t len, struct msc_buf *out);

/*
 * Apply CHAIN[0..N) to IN[0..LEN) in order, as a rule's t:a,t:b,... list (MSC_TFN_NONE
 * entries are skipped; a rule parser resets the list at t:none itself). Steps alternate between
 * the caller's two buffers SCRATCH[0] and SCRATCH[1], so a chain costs no allocation once they
 * have grown. *RET and *RET_LEN get the result: IN itself when no step ran, else one of the
 * scratch buffers (valid until they are next used). Returns 0, -ENOMEM or -EINVAL (a value out
 * of range); the ret_ outputs are untouched on failure.
 */
int msc_tfn_chain_apply(const enum msc_tfn *chain, size_t n, const uint8_t *in, size_t len,
			struct msc_buf scratch[2], const uint8_t **ret, size_t *ret_len);
