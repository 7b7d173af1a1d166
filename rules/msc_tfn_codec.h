/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The encoders and decoders behind msc_transform (URL, HTML, JS, CSS, UTF-8, base64, hex, SQL
 * hex, escape sequences) and the byte helpers both files share. Internal to the rules room: use
 * msc_tfn_apply(). Each function writes its result to D, which has room for the worst case
 * (msc_transform's out_bound()), and returns its length.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ASCII-only character classes: libmodsecurity runs in the C locale. */
static inline bool tfn_is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool tfn_is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline bool tfn_is_odigit(uint8_t c)
{
	return c >= '0' && c <= '7';
}

static inline bool tfn_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool tfn_is_alnum(uint8_t c)
{
	return tfn_is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline uint8_t tfn_to_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/*
 * ModSecurity's x2c(): two "hex digits" to a byte without validating them, so callers that
 * feed it non-hex bytes (hexDecode does) get its arithmetic, reproduced here.
 */
static inline uint8_t tfn_x2c(uint8_t hi, uint8_t lo)
{
	int d = hi >= 'A' ? ((hi & 0xdf) - 'A') + 10 : (hi - '0');
	d *= 16;
	d += lo >= 'A' ? ((lo & 0xdf) - 'A') + 10 : (lo - '0');
	return (uint8_t)d;
}

static inline uint8_t tfn_x1c(uint8_t c)
{
	return (uint8_t)(c >= 'A' ? ((c & 0xdf) - 'A') + 10 : (c - '0'));
}

/* The byte at I, or 0 past the end (ModSecurity reads the string's NUL terminator there). */
static inline uint8_t tfn_at(const uint8_t *in, size_t len, size_t i)
{
	return i < len ? in[i] : 0;
}

/* Length of IN up to its first NUL (the transformations 3.0.9 runs through strlen()). */
static inline size_t tfn_c_len(const uint8_t *in, size_t len)
{
	const uint8_t *z = memchr(in, 0, len);
	return z ? (size_t)(z - in) : len;
}

size_t msc_tfn_codec_url_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_url_decode_uni(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_url_encode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_html_entity_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_js_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_css_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_utf8_to_unicode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_base64_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_base64_decode_ext(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_base64_encode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_hex_encode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_hex_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_sql_hex_decode(const uint8_t *in, size_t len, uint8_t *d);
size_t msc_tfn_codec_escape_seq_decode(const uint8_t *in, size_t len, uint8_t *d);
