// SPDX-License-Identifier: GPL-2.0-only
/*
 * ModSecurity's encoders and decoders with libmodsecurity 3.0.9's byte-exact results (see
 * msc_transform.c for why they are hand written and why 3.0.9's corners are kept).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msc_tfn_codec.h"

/* urlDecode: %HH and '+'; an invalid or truncated escape keeps its '%'. */
size_t msc_tfn_codec_url_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	while (i < len) {
		if (in[i] == '%' && i + 2 < len && tfn_is_hex(in[i + 1]) && tfn_is_hex(in[i + 2])) {
			d[o++] = tfn_x2c(in[i + 1], in[i + 2]);
			i += 3;
		} else if (in[i] == '+') {
			d[o++] = ' ';
			i++;
		} else {
			d[o++] = in[i++];
		}
	}
	return o;
}

/*
 * urlDecodeUni: urlDecode plus %uHHHH, of which only the low byte is kept; full-width ASCII
 * (%uff01-%uff5e) becomes its ASCII counterpart by adding 0x20 to the low byte. A "%u" without
 * four hex digits after it is copied as two bytes and decoding resumes after them.
 */
size_t msc_tfn_codec_url_decode_uni(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	while (i < len) {
		if (in[i] == '%') {
			if (i + 1 < len && (in[i + 1] | 0x20) == 'u') {
				if (i + 5 < len && tfn_is_hex(in[i + 2]) && tfn_is_hex(in[i + 3]) &&
				    tfn_is_hex(in[i + 4]) && tfn_is_hex(in[i + 5])) {
					uint8_t c = tfn_x2c(in[i + 4], in[i + 5]);
					if (c > 0x00 && c < 0x5f && (in[i + 2] | 0x20) == 'f' &&
					    (in[i + 3] | 0x20) == 'f')
						c += 0x20;
					d[o++] = c;
					i += 6;
				} else {
					d[o++] = in[i++];
					d[o++] = in[i++];
				}
			} else if (i + 2 < len && tfn_is_hex(in[i + 1]) && tfn_is_hex(in[i + 2])) {
				d[o++] = tfn_x2c(in[i + 1], in[i + 2]);
				i += 3;
			} else {
				d[o++] = in[i++];
			}
		} else if (in[i] == '+') {
			d[o++] = ' ';
			i++;
		} else {
			d[o++] = in[i++];
		}
	}
	return o;
}

/* urlEncode: alphanumerics and '*' stay, space becomes '+', the rest %hh (lowercase). */
size_t msc_tfn_codec_url_encode(const uint8_t *in, size_t len, uint8_t *d)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		if (c == ' ') {
			d[o++] = '+';
		} else if (tfn_is_alnum(c) || c == '*') {
			d[o++] = c;
		} else {
			d[o++] = '%';
			d[o++] = hex[c >> 4];
			d[o++] = hex[c & 15];
		}
	}
	return o;
}

/* The value of a decimal or hex digit run, saturated as strtol() does, cast to a byte. */
static uint8_t num_byte(const uint8_t *p, size_t n, unsigned base)
{
	unsigned long long v = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned dig = base == 16 ? tfn_x1c(p[k]) : (unsigned)(p[k] - '0');
		if (v > (0x7fffffffffffffffULL - dig) / base)
			return 0xff; /* strtol() returns LONG_MAX on overflow */
		v = v * base + dig;
	}
	return (uint8_t)v;
}

/*
 * htmlEntityDecode: &#DDD; &#xHH; (';' optional, value cut to its low byte) and the named
 * entities quot, amp, lt, gt, nbsp (case-insensitive, ';' optional); any other "&name" is
 * copied as is.
 */
size_t msc_tfn_codec_html_entity_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	while (i < len) {
		size_t copy = 1;
		if (in[i] == '&' && i + 1 < len) {
			size_t j = i + 1, k;
			if (in[j] == '#') {
				j++;
				if (j >= len)
					goto copy_raw;
				unsigned base = 10;
				if ((in[j] | 0x20) == 'x') {
					base = 16;
					j++;
					if (j >= len)
						goto copy_raw;
				}
				k = j;
				while (j < len &&
				       (base == 16 ? tfn_is_hex(in[j]) : tfn_is_digit(in[j])))
					j++;
				if (j == k)
					goto copy_raw;
				d[o++] = num_byte(in + k, j - k, base);
			} else {
				k = j;
				while (j < len && tfn_is_alnum(in[j]))
					j++;
				if (j == k)
					goto copy_raw;
				size_t n = j - k;
				const char *name = (const char *)in + k;
				if (n == 4 && strncasecmp(name, "quot", 4) == 0)
					d[o++] = '"';
				else if (n == 3 && strncasecmp(name, "amp", 3) == 0)
					d[o++] = '&';
				else if (n == 2 && strncasecmp(name, "lt", 2) == 0)
					d[o++] = '<';
				else if (n == 2 && strncasecmp(name, "gt", 2) == 0)
					d[o++] = '>';
				else if (n == 4 && strncasecmp(name, "nbsp", 4) == 0)
					d[o++] = 0xa0;
				else {
					copy = n + 1;
					goto copy_raw;
				}
			}
			i = (j < len && in[j] == ';') ? j + 1 : j;
			continue;
		}
copy_raw:
		for (size_t z = 0; z < copy && i < len; z++)
			d[o++] = in[i++];
	}
	return o;
}

/*
 * jsDecode: \uHHHH (low byte, full-width ASCII mapped), \xHH, \OOO (at most one byte's worth:
 * a fourth-or-higher leading digit limits it to two digits), \a \b \f \n \r \t \v, and \C -> C
 * for any other C. A backslash at the very end stays.
 */
/* The byte a C-style one-letter escape stands for (\a \b \f \n \r \t \v), or -1: the
 * table jsDecode and escapeSeqDecode share. */
static int c_escape_letter(uint8_t c)
{
	switch (c) {
	case 'a':
		return 7;
	case 'b':
		return 8;
	case 'f':
		return 0x0c;
	case 'n':
		return 0x0a;
	case 'r':
		return 0x0d;
	case 't':
		return 0x09;
	case 'v':
		return 0x0b;
	default:
		return -1;
	}
}

size_t msc_tfn_codec_js_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	while (i < len) {
		if (in[i] != '\\') {
			d[o++] = in[i++];
			continue;
		}
		if (i + 5 < len && in[i + 1] == 'u' && tfn_is_hex(in[i + 2]) &&
		    tfn_is_hex(in[i + 3]) && tfn_is_hex(in[i + 4]) && tfn_is_hex(in[i + 5])) {
			uint8_t c = tfn_x2c(in[i + 4], in[i + 5]);
			if (c > 0x00 && c < 0x5f && (in[i + 2] | 0x20) == 'f' &&
			    (in[i + 3] | 0x20) == 'f')
				c += 0x20;
			d[o++] = c;
			i += 6;
		} else if (i + 3 < len && in[i + 1] == 'x' && tfn_is_hex(in[i + 2]) &&
			   tfn_is_hex(in[i + 3])) {
			d[o++] = tfn_x2c(in[i + 2], in[i + 3]);
			i += 4;
		} else if (i + 1 < len && tfn_is_odigit(in[i + 1])) {
			size_t j = 0;
			while (i + 1 + j < len && j < 3) {
				j++;
				if (!tfn_is_odigit(tfn_at(in, len, i + 1 + j)))
					break;
			}
			if (j == 3 && in[i + 1] > '3')
				j = 2;
			unsigned v = 0;
			for (size_t k = 0; k < j; k++)
				v = v * 8 + (unsigned)(in[i + 1 + k] - '0');
			d[o++] = (uint8_t)v;
			i += 1 + j;
		} else if (i + 1 < len) {
			int c = c_escape_letter(in[i + 1]);

			d[o++] = c >= 0 ? (uint8_t)c : in[i + 1];
			i += 2;
		} else {
			d[o++] = in[i++];
		}
	}
	return o;
}

/*
 * cssDecode: "\" + 1-6 hex digits (the last two give the byte; full-width ASCII mapped for
 * 4 digits, or 5-6 with leading zeros) eats one following whitespace; "\" newline is a line
 * continuation; "\C" is C; a trailing "\" goes. 3.0.9 returns the result up to its first NUL.
 */
size_t msc_tfn_codec_css_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	while (i < len) {
		if (in[i] != '\\') {
			d[o++] = in[i++];
			continue;
		}
		if (i + 1 >= len) {
			i++;
			continue;
		}
		i++;
		size_t j = 0;
		while (j < 6 && i + j < len && tfn_is_hex(in[i + j]))
			j++;
		if (j == 0) {
			if (in[i] == '\n')
				i++;
			else
				d[o++] = in[i++];
			continue;
		}
		bool fullcheck = false;
		uint8_t c;
		if (j == 1)
			c = tfn_x1c(in[i]);
		else
			c = tfn_x2c(in[i + j - 2], in[i + j - 1]);
		if (j == 4)
			fullcheck = true;
		else if (j == 5)
			fullcheck = in[i] == '0';
		else if (j == 6)
			fullcheck = in[i] == '0' && in[i + 1] == '0';
		if (fullcheck && c > 0x00 && c < 0x5f && (in[i + j - 3] | 0x20) == 'f' &&
		    (in[i + j - 4] | 0x20) == 'f')
			c += 0x20;
		d[o++] = c;
		if (i + j < len && tfn_is_space(in[i + j]))
			j++;
		i += j;
	}
	return tfn_c_len(d, o);
}

static size_t put_unicode(uint8_t *d, unsigned cp)
{
	char hex[16];
	int n = snprintf(hex, sizeof(hex), "%x", cp);
	size_t o = 0;
	d[o++] = '%';
	d[o++] = 'u';
	for (int k = n; k < 4; k++)
		d[o++] = '0';
	memcpy(d + o, hex, (size_t)n);
	return o + (size_t)n;
}

/*
 * utf8toUnicode: each well-formed 2-4 byte UTF-8 sequence becomes %uhhhh (lowercase, at least
 * four digits). 3.0.9's quirks, kept: a lead byte whose sequence is truncated or has a bad
 * continuation byte is dropped (decoding resumes at the next byte); for overlong forms and
 * surrogates the %u form is followed by the raw lead byte; lead bytes F5-F7 are copied before
 * their %u form; NUL bytes vanish; other bytes are copied.
 */
size_t msc_tfn_codec_utf8_to_unicode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	/* 3.0.9 works on LEN+1 bytes (the NUL terminator included). */
	size_t total = len + 1;
	while (i < len) {
		uint8_t c = in[i];
		size_t n = 0;
		unsigned cp = 0;
		bool bad_cont = false;
		if (c < 0x80) {
			if (c != 0)
				d[o++] = c;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 2;
		else if ((c & 0xf0) == 0xe0)
			n = 3;
		else if ((c & 0xf8) == 0xf0)
			n = 4;
		if (n == 0) {
			d[o++] = c;
			i++;
			continue;
		}
		if (n == 4 && c >= 0xf5)
			d[o++] = c;
		if (total < n) {
			i++;
			continue;
		}
		for (size_t k = 1; k < n; k++)
			if ((tfn_at(in, len, i + k) & 0xc0) != 0x80) {
				bad_cont = true;
				break;
			}
		if (bad_cont) {
			i++;
			continue;
		}
		cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
		for (size_t k = 1; k < n; k++)
			cp = (cp << 6) | (in[i + k] & 0x3f);
		o += put_unicode(d + o, cp);
		if (cp >= 0xd800 && cp <= 0xdfff)
			d[o++] = c;
		if ((n == 4 && cp < 0x10000) || (n == 3 && cp < 0x800) || (n == 2 && cp < 0x80))
			d[o++] = c;
		i += n;
	}
	return o;
}

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * base64Decode: strict (3.0.9 hands the value up to its first NUL to mbedTLS): any character
 * outside the alphabet, a '=' before data or more than two, or a space inside a line gives an
 * empty result; spaces at the end and CR/LF are skipped; a trailing partial group of 2-3
 * characters without padding yields nothing.
 */
size_t msc_tfn_codec_base64_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	len = tfn_c_len(in, len);
	size_t i, n = 0, eq = 0;
	for (i = 0; i < len; i++) {
		bool spaces = false;
		while (i < len && in[i] == ' ') {
			i++;
			spaces = true;
		}
		if (i == len)
			break;
		if (len - i >= 2 && in[i] == '\r' && in[i + 1] == '\n')
			continue;
		if (in[i] == '\n')
			continue;
		if (spaces)
			return 0;
		if (in[i] == '=') {
			if (++eq > 2)
				return 0;
		} else if (eq != 0 || b64_value(in[i]) < 0) {
			return 0;
		}
		n++;
	}
	if (n == 0)
		return 0;
	size_t o = 0, acc = 0;
	uint32_t x = 0;
	eq = 0;
	for (size_t k = 0; k < len; k++) {
		uint8_t c = in[k];
		if (c == '\r' || c == '\n' || c == ' ')
			continue;
		x <<= 6;
		if (c == '=')
			eq++;
		else
			x |= (uint32_t)b64_value(c);
		if (++acc == 4) {
			acc = 0;
			d[o++] = (uint8_t)(x >> 16);
			if (eq <= 1)
				d[o++] = (uint8_t)(x >> 8);
			if (eq == 0)
				d[o++] = (uint8_t)x;
		}
	}
	return o;
}

/*
 * base64DecodeExt: forgiving: characters outside the alphabet are skipped, '=' is skipped
 * except right after the first character of a group (then the result is empty unless another
 * '=' follows), and a trailing partial group yields its complete bytes. NUL bytes do not stop
 * it (unlike base64Decode).
 */
size_t msc_tfn_codec_base64_decode_ext(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	int last = 0;
	for (size_t k = 0; k < len; k++) {
		uint8_t ch = in[k];
		if (ch == '=') {
			if (tfn_at(in, len, k + 1) != '=' && i % 4 == 1)
				return 0;
			last = '=';
			continue;
		}
		int v = b64_value(ch);
		last = v;
		if (v < 0)
			continue;
		switch (i % 4) {
		case 0:
			d[o] = (uint8_t)(v << 2);
			break;
		case 1:
			d[o++] |= (uint8_t)(v >> 4);
			d[o] = (uint8_t)((v & 0x0f) << 4);
			break;
		case 2:
			d[o++] |= (uint8_t)(v >> 2);
			d[o] = (uint8_t)((v & 0x03) << 6);
			break;
		case 3:
			d[o++] |= (uint8_t)v;
			break;
		}
		i++;
	}
	/*
	 * 3.0.9 then tests whether the last byte's table value equals '=' (61): true for a final
	 * '=' and, by accident, for a final '9' (value 61). With a lone character in the last
	 * group the result is then empty.
	 */
	if (last == '=' && i % 4 == 1)
		return 0;
	return o;
}

size_t msc_tfn_codec_base64_encode(const uint8_t *in, size_t len, uint8_t *d)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		d[o++] = tab[v >> 18];
		d[o++] = tab[(v >> 12) & 63];
		d[o++] = tab[(v >> 6) & 63];
		d[o++] = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
		d[o++] = tab[v >> 18];
		d[o++] = tab[(v >> 12) & 63];
		d[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		d[o++] = '=';
	}
	return o;
}

size_t msc_tfn_codec_hex_encode(const uint8_t *in, size_t len, uint8_t *d)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		d[2 * i] = hex[in[i] >> 4];
		d[2 * i + 1] = hex[in[i] & 15];
	}
	return 2 * len;
}

/* hexDecode: byte pairs through tfn_x2c() unvalidated (as 3.0.9); an odd last byte is dropped. */
size_t msc_tfn_codec_hex_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t o = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		d[o++] = tfn_x2c(in[i], in[i + 1]);
	return o;
}

/*
 * sqlHexDecode: 0xHHHH... runs (pairs of hex digits after "0x"/"0X") become bytes. 3.0.9's
 * loop never copies the input's last byte unless it directly follows a decoded run, stops at
 * the first NUL of the input, and returns the result up to its first NUL: all kept.
 */
size_t msc_tfn_codec_sql_hex_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t p = 0, o = 0;
	while (p + 1 < len && in[p] != 0) {
		if (in[p] == '0' && (tfn_at(in, len, p + 1) | 0x20) == 'x' &&
		    tfn_is_hex(tfn_at(in, len, p + 2)) && tfn_is_hex(tfn_at(in, len, p + 3))) {
			p += 2;
			while (tfn_is_hex(tfn_at(in, len, p)) &&
			       tfn_is_hex(tfn_at(in, len, p + 1))) {
				d[o++] = tfn_x2c(in[p], in[p + 1]);
				p += 2;
			}
		}
		d[o++] = tfn_at(in, len, p);
		p++;
	}
	return tfn_c_len(d, o);
}

/* escapeSeqDecode: ANSI C escapes \a \b \f \n \r \t \v \\ \? \' \" \xHH \OOO; else \C -> C. */
size_t msc_tfn_codec_escape_seq_decode(const uint8_t *in, size_t len, uint8_t *d)
{
	size_t i = 0, o = 0;
	while (i < len) {
		if (in[i] != '\\' || i + 1 >= len) {
			d[o++] = in[i++];
			continue;
		}
		int c = c_escape_letter(in[i + 1]);

		if (in[i + 1] == '\\' || in[i + 1] == '?' || in[i + 1] == '\'' || in[i + 1] == '"')
			c = in[i + 1];
		if (c != -1) {
			i += 2;
		} else if ((in[i + 1] | 0x20) == 'x') {
			if (i + 3 < len && tfn_is_hex(in[i + 2]) && tfn_is_hex(in[i + 3])) {
				c = tfn_x2c(in[i + 2], in[i + 3]);
				i += 4;
			}
		} else if (tfn_is_odigit(in[i + 1])) {
			size_t j = 0;
			while (i + 1 + j < len && j < 3) {
				j++;
				if (!tfn_is_odigit(tfn_at(in, len, i + 1 + j)))
					break;
			}
			unsigned v = 0;
			for (size_t k = 0; k < j; k++)
				v = v * 8 + (unsigned)(in[i + 1 + k] - '0');
			c = (uint8_t)v;
			i += 1 + j;
		}
		if (c == -1) {
			d[o++] = in[i + 1];
			i += 2;
		} else {
			d[o++] = (uint8_t)c;
		}
	}
	return o;
}
