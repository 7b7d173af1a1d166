// SPDX-License-Identifier: GPL-2.0-only
/* EVE JSON output: event builders (jansson) and a buffered one-object-per-line writer. */
#include "eve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EVE_BUF_SIZE (256 * 1024)

struct eve_writer {
	int fd;
	int error; /* first write error, sticky */
	struct eve_text scratch; /* one serialized event */
	size_t used;
	uint64_t events;
	char buf[EVE_BUF_SIZE];
};

int eve_writer_open(const char *path, bool append, struct eve_writer **ret_w)
{
	struct eve_writer *w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0)
		return -errno;
	w = malloc(sizeof(*w));
	if (!w) {
		close(fd);
		return -ENOMEM;
	}
	w->fd = fd;
	w->scratch = (struct eve_text){ 0 };
	w->error = 0;
	w->used = 0;
	w->events = 0;
	*ret_w = w;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int eve_writer_flush(struct eve_writer *w)
{
	int r;

	if (w->used == 0)
		return w->error;
	r = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	if (r < 0 && !w->error)
		w->error = r;
	return r;
}

/*
 * Serialization. Events are built with jansson; this writes them. json_dumpb() costs about
 * 10 us per event (it formats every container's address into a loop-detection table), a
 * tenth of moatd's offline time on HTTP traffic, so values are walked here directly: the
 * output is the same compact JSON (insertion order, same escapes for the few characters
 * JSON requires). Strings in jansson values are valid UTF-8 already.
 */
static void sb_grow(struct eve_text *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *np;

	while (cap < b->len + n)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = cap;
}

static inline void sb_put(struct eve_text *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		sb_grow(b, n);
		if (b->oom)
			return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/*
 * How many bytes of s[0..n) come before the first one JSON needs escaped (below 0x20, '"',
 * '\\'). Eight at a time (the strings of events rarely hold any: the byte loop was 4% of an
 * offline run's instructions): a word has such a byte iff one of the classic "has a byte
 * below k" / "has a zero byte" tests fires (exact for the word as a whole); the byte loop
 * then finds which.
 */
static size_t plain_prefix(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v, q, bs;

		memcpy(&v, s + i, 8);
		q = v ^ (ones * '"');
		bs = v ^ (ones * '\\');
		if (((v - ones * 0x20) & ~v & highs) | ((q - ones) & ~q & highs) |
		    ((bs - ones) & ~bs & highs))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"' || c == '\\')
			break;
	}
	return i;
}

static void sb_string(struct eve_text *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	sb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c;
		char esc[6];
		size_t el = 2;

		i += plain_prefix(s + i, n - i);
		if (i == n)
			break;
		c = (unsigned char)s[i];
		sb_put(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
			break;
		}
		sb_put(b, esc, el);
	}
	sb_put(b, s + run, n - run);
	sb_put(b, "\"", 1);
}

static void sb_int(struct eve_text *b, json_int_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	sb_put(b, p, (size_t)(e - p));
}

static int sb_value(struct eve_text *b, const json_t *v, int depth)
{
	if (depth > 64)
		return -ELOOP;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		bool first = true;

		sb_put(b, "{", 1);
		json_object_foreach((json_t *)v, key, val)
		{
			if (!first)
				sb_put(b, ",", 1);
			first = false;
			sb_string(b, key, strlen(key));
			sb_put(b, ":", 1);
			if (sb_value(b, val, depth + 1) < 0)
				return -ELOOP;
		}
		sb_put(b, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *val;

		sb_put(b, "[", 1);
		json_array_foreach(v, i, val)
		{
			if (i)
				sb_put(b, ",", 1);
			if (sb_value(b, val, depth + 1) < 0)
				return -ELOOP;
		}
		sb_put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		sb_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sb_int(b, json_integer_value(v));
		break;
	case JSON_REAL: {
		char tmp[40];
		int n = snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));

		char *e;

		/* as jansson: a real always reads back as a real, and the exponent has no '+'
		 * and no leading zeros */
		if (!strpbrk(tmp, ".eE") && n + 2 < (int)sizeof(tmp)) {
			memcpy(tmp + n, ".0", 3);
			n += 2;
		}
		e = strpbrk(tmp, "eE");
		if (e) {
			char *d = e + 1, *q;

			if (*d == '+')
				memmove(d, d + 1, strlen(d + 1) + 1);
			else if (*d == '-')
				d++;
			for (q = d; *q == '0' && q[1]; q++)
				;
			memmove(d, q, strlen(q) + 1);
			n = (int)strlen(tmp);
		}
		sb_put(b, tmp, (size_t)n);
		break;
	}
	case JSON_TRUE:
		sb_put(b, "true", 4);
		break;
	case JSON_FALSE:
		sb_put(b, "false", 5);
		break;
	default:
		sb_put(b, "null", 4);
		break;
	}
	return 0;
}

void eve_text_raw(struct eve_text *b, const char *s, size_t n)
{
	sb_put(b, s, n);
}

void eve_text_str(struct eve_text *b, const char *s, size_t n)
{
	sb_string(b, s, n);
}

void eve_text_int(struct eve_text *b, int64_t v)
{
	sb_int(b, (json_int_t)v);
}

void eve_text_key(struct eve_text *b, const char *key)
{
	size_t n = strlen(key);
	char *p;

	/* one capacity check for the 4 + n bytes (four sb_put() calls were 2% of an offline
	 * run's instructions) */
	if (b->len + n + 4 > b->cap) {
		sb_grow(b, n + 4);
		if (b->oom)
			return;
	}
	p = b->p + b->len;
	if (b->len && p[-1] != '{')
		*p++ = ',';
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	b->len = (size_t)(p - b->p);
}

/* jansson's rules for a JSON string (utf.c): shortest form only, no surrogates, nothing
 * past U+10FFFF. Hand written because jansson exports the check only inside json_stringn(),
 * which allocates. */
bool eve_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t v;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2)
			return false;
		else if (c < 0xe0)
			k = 2, v = c & 0x1f;
		else if (c < 0xf0)
			k = 3, v = c & 0x0f;
		else if (c < 0xf5)
			k = 4, v = c & 0x07;
		else
			return false;
		if (n - i < k)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			v = v << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && v < 0x800) || (k == 4 && v < 0x10000) || v > 0x10ffff ||
		    (v >= 0xd800 && v <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

struct eve_text *eve_writer_text(struct eve_writer *w)
{
	w->scratch.len = 0;
	w->scratch.oom = false;
	return &w->scratch;
}

/* The event in the scratch buffer plus '\n' into the output buffer. */
static int commit_scratch(struct eve_writer *w)
{
	struct eve_text *b = &w->scratch;
	int r;

	sb_put(b, "\n", 1);
	if (b->oom)
		return -ENOMEM;
	if (b->len > sizeof(w->buf) - w->used) {
		r = eve_writer_flush(w);
		if (r < 0)
			return r;
	}
	if (b->len > sizeof(w->buf)) {
		/* bigger than the whole buffer: straight out */
		r = write_all(w->fd, b->p, b->len);
		if (r < 0) {
			if (!w->error)
				w->error = r;
			return r;
		}
	} else {
		memcpy(w->buf + w->used, b->p, b->len);
		w->used += b->len;
	}
	w->events++;
	if (w->used > sizeof(w->buf) / 2)
		return eve_writer_flush(w);
	return 0;
}

int eve_writer_commit_text(struct eve_writer *w)
{
	return commit_scratch(w);
}

int eve_writer_write(struct eve_writer *w, const json_t *obj)
{
	struct eve_text *b = eve_writer_text(w);
	int r;

	r = sb_value(b, obj, 0);
	if (r < 0)
		return r;
	return commit_scratch(w);
}

int eve_writer_reopen(struct eve_writer *w, const char *path)
{
	int fd, r;

	r = eve_writer_flush(w);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND, 0644);
	if (fd < 0)
		return -errno;
	close(w->fd);
	w->fd = fd;
	return r < 0 ? r : 0;
}

uint64_t eve_writer_events(const struct eve_writer *w)
{
	return w->events;
}

int eve_writer_close(struct eve_writer *w)
{
	int r;

	if (!w)
		return 0;
	eve_writer_flush(w);
	r = w->error;
	if (close(w->fd) < 0 && !r)
		r = -errno;
	free(w->scratch.p);
	free(w);
	return r;
}

static char *digits(char *p, unsigned int v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* As snprintf(buf, len, "%s", s) for the N bytes of s: snprintf's format parsing was 2% of
 * an offline run's instructions. */
static void copy_bounded(char *buf, size_t len, const char *s, size_t n)
{
	if (!len)
		return;
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

void eve_format_timestamp(uint64_t ts_us, char *buf, size_t len)
{
	/* the date and time up to the seconds, per thread, for the second formatted last:
	 * events come in bursts within a second, and gmtime_r() takes glibc's time zone lock */
	static __thread uint64_t last_sec = UINT64_MAX;
	static __thread char last[20]; /* "2009-11-24T21:27:09" */
	uint64_t sec = ts_us / 1000000;
	char tmp[EVE_TS_LEN], *p = tmp;

	if (sec != last_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		/* digits by hand: strftime + snprintf were a few percent of an offline run */
		gmtime_r(&t, &tm);
		p = digits(last, (unsigned int)(tm.tm_year + 1900) % 10000, 4);
		*p++ = '-';
		p = digits(p, (unsigned int)tm.tm_mon + 1, 2);
		*p++ = '-';
		p = digits(p, (unsigned int)tm.tm_mday, 2);
		*p++ = 'T';
		p = digits(p, (unsigned int)tm.tm_hour, 2);
		*p++ = ':';
		p = digits(p, (unsigned int)tm.tm_min, 2);
		*p++ = ':';
		digits(p, (unsigned int)tm.tm_sec, 2);
		last_sec = sec;
	}
	memcpy(tmp, last, sizeof(last) - 1);
	p = tmp + sizeof(last) - 1;
	*p++ = '.';
	p = digits(p, (unsigned int)(ts_us % 1000000), 6);
	memcpy(p, "+0000", 6);
	copy_bounded(buf, len, tmp, (size_t)(p + 5 - tmp));
}

void eve_format_ip(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (family == 4) {
		char tmp[16], *p = tmp;

		for (int i = 0; i < 4; i++) {
			unsigned int v = a[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = '.';
		}
		copy_bounded(buf, len, tmp, (size_t)(p - 1 - tmp));
		return;
	}
	/* Suricata writes IPv6 uncompressed, four hex digits per group */
	{
		static const char hex[] = "0123456789abcdef";
		char tmp[40], *p = tmp;

		for (int i = 0; i < 16; i++) {
			*p++ = hex[a[i] >> 4];
			*p++ = hex[a[i] & 15];
			if (i % 2 && i < 15)
				*p++ = ':';
		}
		copy_bounded(buf, len, tmp, (size_t)(p - tmp));
	}
}

const char *eve_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "IPv6-ICMP";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_GRE:
		return "GRE";
	case IPPROTO_ESP:
		return "ESP";
	case IPPROTO_AH:
		return "AH";
	default:
		return NULL;
	}
}

static void set_ts(json_t *o, const char *key, uint64_t ts_us)
{
	char ts[EVE_TS_LEN];

	eve_format_timestamp(ts_us, ts, sizeof(ts));
	json_object_set_new(o, key, json_string(ts));
}

static void set_addrs(json_t *o, const struct eve_tuple *t, bool swap)
{
	char ip[64];
	const uint8_t *src = swap ? t->dest_ip : t->src_ip;
	const uint8_t *dst = swap ? t->src_ip : t->dest_ip;
	uint16_t sp = swap ? t->dest_port : t->src_port;
	uint16_t dp = swap ? t->src_port : t->dest_port;
	bool ports = t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP || t->proto == IPPROTO_SCTP;
	const char *pn = eve_proto_name(t->proto);

	eve_format_ip(t->family, src, ip, sizeof(ip));
	json_object_set_new(o, "src_ip", json_string(ip));
	if (ports)
		json_object_set_new(o, "src_port", json_integer(sp));
	eve_format_ip(t->family, dst, ip, sizeof(ip));
	json_object_set_new(o, "dest_ip", json_string(ip));
	if (ports)
		json_object_set_new(o, "dest_port", json_integer(dp));
	if (pn)
		json_object_set_new(o, "proto", json_string(pn));
	else {
		snprintf(ip, sizeof(ip), "%u", t->proto);
		json_object_set_new(o, "proto", json_string(ip));
	}
}

static json_t *event_new(const char *event_type, uint64_t ts_us, const struct eve_tuple *t,
			 uint64_t pcap_cnt, bool swap)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set_ts(o, "timestamp", ts_us);
	if (t) {
		/* Suricata prints flow_id as a non-negative JSON integer */
		json_object_set_new(o, "flow_id",
				    json_integer((json_int_t)(t->flow_id & INT64_MAX)));
		if (t->in_iface)
			json_object_set_new(o, "in_iface", json_string(t->in_iface));
	}
	json_object_set_new(o, "event_type", json_string(event_type));
	if (pcap_cnt)
		json_object_set_new(o, "pcap_cnt", json_integer((json_int_t)pcap_cnt));
	if (t) {
		set_addrs(o, t, swap);
		if (t->app_proto)
			json_object_set_new(o, "app_proto", json_string(t->app_proto));
	}
	return o;
}

json_t *eve_event_new(const char *event_type, uint64_t ts_us, const struct eve_tuple *t,
		      uint64_t pcap_cnt)
{
	return event_new(event_type, ts_us, t, pcap_cnt, false);
}

static void flags_hex(json_t *o, const char *key, uint8_t flags)
{
	char s[4];

	snprintf(s, sizeof(s), "%02x", flags);
	json_object_set_new(o, key, json_string(s));
}

json_t *eve_flow_event_new(const struct eve_tuple *t, const struct eve_flow_info *fi)
{
	json_t *o = event_new("flow", fi->end_us, t, 0, false);
	json_t *f;

	if (!o)
		return NULL;
	f = json_object();
	if (!f) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(f, "pkts_toserver", json_integer((json_int_t)fi->pkts_toserver));
	json_object_set_new(f, "pkts_toclient", json_integer((json_int_t)fi->pkts_toclient));
	json_object_set_new(f, "bytes_toserver", json_integer((json_int_t)fi->bytes_toserver));
	json_object_set_new(f, "bytes_toclient", json_integer((json_int_t)fi->bytes_toclient));
	set_ts(f, "start", fi->start_us);
	set_ts(f, "end", fi->end_us);
	json_object_set_new(
		f, "age",
		json_integer((json_int_t)(fi->end_us / 1000000 - fi->start_us / 1000000)));
	if (fi->state)
		json_object_set_new(f, "state", json_string(fi->state));
	if (fi->reason)
		json_object_set_new(f, "reason", json_string(fi->reason));
	json_object_set_new(f, "alerted", json_boolean(fi->alerted));
	json_object_set_new(o, "flow", f);

	if (fi->is_tcp) {
		static const struct {
			uint8_t bit;
			const char *name;
		} names[] = { { 0x01, "fin" }, { 0x02, "syn" }, { 0x04, "rst" }, { 0x08, "psh" },
			      { 0x10, "ack" }, { 0x20, "urg" }, { 0x40, "ece" }, { 0x80, "cwr" } };
		json_t *tcp = json_object();

		if (tcp) {
			flags_hex(tcp, "tcp_flags", fi->tcp_flags);
			flags_hex(tcp, "tcp_flags_ts", fi->tcp_flags_ts);
			flags_hex(tcp, "tcp_flags_tc", fi->tcp_flags_tc);
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (fi->tcp_flags & names[i].bit)
					json_object_set_new(tcp, names[i].name, json_true());
			if (fi->tcp_state)
				json_object_set_new(tcp, "state", json_string(fi->tcp_state));
			json_object_set_new(o, "tcp", tcp);
		}
	}
	return o;
}

json_t *eve_alert_event_new(uint64_t ts_us, const struct eve_tuple *t, bool to_server,
			    uint64_t pcap_cnt, int64_t tx_id, const struct eve_alert_meta *m,
			    const char *app_key, json_t *app_obj)
{
	json_t *o = event_new("alert", ts_us, t, pcap_cnt, !to_server);
	json_t *a, *f;
	char ip[64];

	if (!o)
		return NULL;
	if (tx_id >= 0)
		json_object_set_new(o, "tx_id", json_integer(tx_id));
	a = json_object();
	if (!a) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(a, "action", json_string(m->action ? m->action : "allowed"));
	json_object_set_new(a, "gid", json_integer(m->gid));
	json_object_set_new(a, "signature_id", json_integer(m->sid));
	json_object_set_new(a, "rev", json_integer(m->rev));
	json_object_set_new(a, "signature", json_string(m->msg ? m->msg : ""));
	json_object_set_new(a, "category", json_string(m->category ? m->category : ""));
	json_object_set_new(a, "severity", json_integer(m->severity));
	json_object_set_new(o, "alert", a);
	json_object_set_new(o, "direction", json_string(to_server ? "to_server" : "to_client"));
	if (app_key && app_obj)
		json_object_set(o, app_key, app_obj);
	f = json_object();
	if (f) {
		eve_format_ip(t->family, t->src_ip, ip, sizeof(ip));
		json_object_set_new(f, "src_ip", json_string(ip));
		eve_format_ip(t->family, t->dest_ip, ip, sizeof(ip));
		json_object_set_new(f, "dest_ip", json_string(ip));
		if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
			json_object_set_new(f, "src_port", json_integer(t->src_port));
			json_object_set_new(f, "dest_port", json_integer(t->dest_port));
		}
		json_object_set_new(o, "flow", f);
	}
	return o;
}

int eve_set_path_u64(json_t *obj, const char *path, uint64_t value)
{
	char key[128];
	const char *dot;
	json_t *sub;

	while ((dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);

		if (n == 0 || n >= sizeof(key))
			return -EINVAL;
		memcpy(key, path, n);
		key[n] = '\0';
		sub = json_object_get(obj, key);
		if (!sub) {
			sub = json_object();
			if (!sub || json_object_set_new(obj, key, sub) < 0)
				return -ENOMEM;
		} else if (!json_is_object(sub)) {
			return -EEXIST;
		}
		obj = sub;
		path = dot + 1;
	}
	if (json_object_set_new(obj, path, json_integer((json_int_t)value)) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * Direct serialisation: the same events as event_new() / eve_flow_event_new() + the
 * writer, written straight into text without building jansson objects (building and
 * freeing them was about a sixth of an offline run with no rules). Field order and
 * formatting must stay identical to the object path: tests/unit/test_eve.c compares them.
 */
static void text_key_str(struct eve_text *b, const char *key, const char *s)
{
	eve_text_key(b, key);
	sb_string(b, s, strlen(s));
}

static void text_ts(struct eve_text *b, const char *key, uint64_t ts_us)
{
	char ts[EVE_TS_LEN];

	eve_format_timestamp(ts_us, ts, sizeof(ts));
	text_key_str(b, key, ts);
}

void eve_event_begin_text(struct eve_text *b, const char *event_type, uint64_t ts_us,
			  const struct eve_tuple *t, uint64_t pcap_cnt)
{
	sb_put(b, "{", 1);
	text_ts(b, "timestamp", ts_us);
	if (t) {
		eve_text_key(b, "flow_id");
		sb_int(b, (json_int_t)(t->flow_id & INT64_MAX));
		if (t->in_iface)
			text_key_str(b, "in_iface", t->in_iface);
	}
	text_key_str(b, "event_type", event_type);
	if (pcap_cnt) {
		eve_text_key(b, "pcap_cnt");
		sb_int(b, (json_int_t)pcap_cnt);
	}
	if (t) {
		char ip[64];
		bool ports = t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP ||
			     t->proto == IPPROTO_SCTP;
		const char *pn = eve_proto_name(t->proto);

		eve_format_ip(t->family, t->src_ip, ip, sizeof(ip));
		text_key_str(b, "src_ip", ip);
		if (ports) {
			eve_text_key(b, "src_port");
			sb_int(b, t->src_port);
		}
		eve_format_ip(t->family, t->dest_ip, ip, sizeof(ip));
		text_key_str(b, "dest_ip", ip);
		if (ports) {
			eve_text_key(b, "dest_port");
			sb_int(b, t->dest_port);
		}
		if (!pn) {
			snprintf(ip, sizeof(ip), "%u", t->proto);
			pn = ip;
		}
		text_key_str(b, "proto", pn);
		if (t->app_proto)
			text_key_str(b, "app_proto", t->app_proto);
	}
}

static void text_flags(struct eve_text *b, const char *key, uint8_t flags)
{
	static const char hex[] = "0123456789abcdef";
	char s[3] = { hex[flags >> 4], hex[flags & 15], '\0' };

	text_key_str(b, key, s);
}

void eve_flow_event_text(struct eve_text *b, const struct eve_tuple *t,
			 const struct eve_flow_info *fi)
{
	eve_event_begin_text(b, "flow", fi->end_us, t, 0);
	eve_text_key(b, "flow");
	sb_put(b, "{", 1);
	eve_text_key(b, "pkts_toserver");
	sb_int(b, (json_int_t)fi->pkts_toserver);
	eve_text_key(b, "pkts_toclient");
	sb_int(b, (json_int_t)fi->pkts_toclient);
	eve_text_key(b, "bytes_toserver");
	sb_int(b, (json_int_t)fi->bytes_toserver);
	eve_text_key(b, "bytes_toclient");
	sb_int(b, (json_int_t)fi->bytes_toclient);
	text_ts(b, "start", fi->start_us);
	text_ts(b, "end", fi->end_us);
	eve_text_key(b, "age");
	sb_int(b, (json_int_t)(fi->end_us / 1000000 - fi->start_us / 1000000));
	if (fi->state)
		text_key_str(b, "state", fi->state);
	if (fi->reason)
		text_key_str(b, "reason", fi->reason);
	eve_text_key(b, "alerted");
	if (fi->alerted)
		sb_put(b, "true", 4);
	else
		sb_put(b, "false", 5);
	sb_put(b, "}", 1);
	if (fi->is_tcp) {
		static const struct {
			uint8_t bit;
			const char *name;
		} names[] = { { 0x01, "fin" }, { 0x02, "syn" }, { 0x04, "rst" }, { 0x08, "psh" },
			      { 0x10, "ack" }, { 0x20, "urg" }, { 0x40, "ece" }, { 0x80, "cwr" } };

		eve_text_key(b, "tcp");
		sb_put(b, "{", 1);
		text_flags(b, "tcp_flags", fi->tcp_flags);
		text_flags(b, "tcp_flags_ts", fi->tcp_flags_ts);
		text_flags(b, "tcp_flags_tc", fi->tcp_flags_tc);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (fi->tcp_flags & names[i].bit) {
				eve_text_key(b, names[i].name);
				sb_put(b, "true", 4);
			}
		if (fi->tcp_state)
			text_key_str(b, "state", fi->tcp_state);
		sb_put(b, "}", 1);
	}
	sb_put(b, "}", 1);
}

int eve_flow_event_write(struct eve_writer *w, const struct eve_tuple *t,
			 const struct eve_flow_info *fi)
{
	eve_flow_event_text(eve_writer_text(w), t, fi);
	return eve_writer_commit_text(w);
}
