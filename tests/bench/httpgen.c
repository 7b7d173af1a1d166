// SPDX-License-Identifier: GPL-2.0-only
#include "httpgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSS 1448
#define ACTIVE_FLOWS 256 /* flows interleaved at any time */

struct gen {
	FILE *f;
	bool varied;
	uint64_t rng, ts_us;
	struct httpgen_stats st;
};

struct gflow {
	bool live;
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint32_t cseq, sseq;
	int reqs_left;
	/* pending response bytes of the current request, sent in MSS segments */
	uint8_t *res;
	size_t res_len, res_off;
	int state; /* 0 handshake, 1 request, 2 response, 3 close */
};

static uint64_t rnd(struct gen *g)
{
	/* xorshift64*: deterministic, no libc state */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static int emit(struct gen *g, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint32_t seq,
		uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
	static uint8_t fr[14 + 20 + 20 + MSS];
	uint8_t *ip = fr + 14, *tcp = ip + 20;
	uint32_t s;
	uint32_t hdr[4];

	memcpy(fr, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(40 + n));
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(tcp, sp);
	put16(tcp + 2, dp);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (n)
		memcpy(tcp + 20, pl, n); /* pl is NULL for SYN/FIN/ACK-only segments */
	s = csum_add(0, ip + 12, 8);
	s += 6 + (uint32_t)(20 + n);
	s = csum_add(s, tcp, 20 + n);
	put16(tcp + 16, csum_fold(s));

	g->ts_us += 3 + rnd(g) % 20;
	hdr[0] = (uint32_t)(g->ts_us / 1000000);
	hdr[1] = (uint32_t)(g->ts_us % 1000000);
	hdr[2] = hdr[3] = (uint32_t)(54 + n);
	if (fwrite(hdr, sizeof(hdr), 1, g->f) != 1 || fwrite(fr, 54 + n, 1, g->f) != 1)
		return -EIO;
	g->st.bytes += sizeof(hdr) + 54 + n;
	g->st.pkts++;
	return 0;
}

static const char *const paths[] = { "/",
				     "/index.html",
				     "/static/app.js",
				     "/img/logo.png",
				     "/api/v2/items?page=3&sort=desc",
				     "/search?q=moat+ids",
				     "/downloads/file.tar.gz",
				     "/css/site.css" };

/* The varied mode's vocabulary: ordinary site traffic, nothing an IDS rule should flag. */
static const char *const dirs[] = { "",
				    "/blog",
				    "/shop",
				    "/api/v1",
				    "/static",
				    "/media",
				    "/docs",
				    "/account",
				    "/cart",
				    "/news",
				    "/wp-content/uploads",
				    "/assets/js",
				    "/forum",
				    "/help" };
static const char *const files[] = { "index.html", "app.js",	"main.css",  "logo.svg",
				     "photo.jpg",  "items",	"search",    "product",
				     "article",	   "list.json", "feed.xml",  "download",
				     "thread",	   "profile",	"video.mp4", "font.woff2" };
static const char *const keys[] = {
	"id", "page", "q", "sort", "lang", "ref", "utm_source", "size"
};
static const char *const agents[] = {
	"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/119.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	"Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
	"like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
	"curl/7.88.1",
	"python-requests/2.31.0",
};
static const char *const words[] = {
	"the",	    "moat",
	"gateway",  "river",
	"castle",   "network",
	"packet",   "stream",
	"service",  "account",
	"order",    "price",
	"shipping", "weather",
	"morning",  "library",
	"garden",   "history",
	"market",   "travel",
	"recipe",   "music",
	"football", "science",
	"report",   "update",
	"window",   "second",
	"number",   "between",
	"people",   "through",
	"during",   "without",
	"example",  "<div class=\"item\">",
	"</div>",   "<a href=\"/page\">",
	"</a>",	    "<p>",
	"</p>",	    "\n",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void flow_start(struct gen *g, struct gflow *f)
{
	uint64_t n = g->st.flows++;

	memset(f, 0, sizeof(*f));
	f->live = true;
	f->cip = (198u << 24) | (18u << 16) | (uint32_t)(n % 65000 + 256);
	f->sip = (198u << 24) | (19u << 16) | (uint32_t)(rnd(g) % 64 + 1);
	f->cport = (uint16_t)(1024 + n % 60000);
	f->sport = 80;
	f->cseq = (uint32_t)rnd(g);
	f->sseq = (uint32_t)rnd(g);
	f->reqs_left = 1 + (int)(rnd(g) % 4);
}

/* Realistic sizes: most responses a few KB, some tens/hundreds of KB. */
static size_t body_size(struct gen *g)
{
	uint64_t r = rnd(g) % 100;

	if (r < 50)
		return 500 + rnd(g) % 8000;
	if (r < 85)
		return 8000 + rnd(g) % 60000;
	return 60000 + rnd(g) % 600000;
}

static void uri(struct gen *g, char *buf, size_t size)
{
	int n;

	if (!g->varied) {
		snprintf(buf, size, "%s", paths[rnd(g) % ARRAY_LEN(paths)]);
		return;
	}
	n = snprintf(buf, size, "%s/%s", dirs[rnd(g) % ARRAY_LEN(dirs)],
		     files[rnd(g) % ARRAY_LEN(files)]);
	for (int k = (int)(rnd(g) % 4), first = 1; k > 0 && n > 0 && (size_t)n < size; k--) {
		n += snprintf(buf + n, size - (size_t)n, "%c%s=%s%u", first ? '?' : '&',
			      keys[rnd(g) % ARRAY_LEN(keys)], words[rnd(g) % 35],
			      (unsigned int)(rnd(g) % 1000));
		first = 0;
	}
}

static void fill_body(struct gen *g, uint8_t *p, size_t n)
{
	size_t i = 0;

	if (!g->varied) {
		for (; i < n; i++)
			p[i] = (uint8_t)("<p>moat benchmark body text</p>\n"[i % 32]);
		return;
	}
	while (i < n) {
		const char *w = words[rnd(g) % ARRAY_LEN(words)];
		size_t l = strlen(w);

		for (size_t k = 0; k < l && i < n; k++)
			p[i++] = (uint8_t)w[k];
		if (i < n)
			p[i++] = ' ';
	}
}

static int flow_step(struct gen *g, struct gflow *f)
{
	char req[2048], path[512];
	int r = 0;

	switch (f->state) {
	case 0:
		r = emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq, 0, 0x02, NULL, 0);
		r = r	  ?:
			    emit(g, f->sip, f->cip, f->sport, f->cport, f->sseq, f->cseq + 1, 0x12,
				 NULL, 0);
		f->cseq++;
		f->sseq++;
		r = r	  ?:
			    emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq, f->sseq, 0x10,
				 NULL, 0);
		f->state = 1;
		break;
	case 1: {
		int n;
		size_t body, hl;
		char hdr[256];

		uri(g, path, sizeof(path));
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.1\r\nHost: www%u.example.test\r\n"
			     "User-Agent: %s\r\n"
			     "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
			     "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: identity\r\n"
			     "Cookie: session=%016llx\r\nConnection: keep-alive\r\n\r\n",
			     path, (unsigned int)(rnd(g) % 100),
			     g->varied ? agents[rnd(g) % ARRAY_LEN(agents)] : agents[0],
			     (unsigned long long)rnd(g));
		r = emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq, f->sseq, 0x18,
			 (const uint8_t *)req, (size_t)n);
		f->cseq += (uint32_t)n;
		g->st.requests++;
		body = body_size(g);
		hl = (size_t)snprintf(hdr, sizeof(hdr),
				      "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: "
				      "text/html; charset=utf-8\r\nContent-Length: %zu\r\n"
				      "Cache-Control: max-age=600\r\n\r\n",
				      body);
		free(f->res);
		f->res = malloc(hl + body);
		if (!f->res)
			return -ENOMEM;
		memcpy(f->res, hdr, hl);
		fill_body(g, f->res + hl, body);
		f->res_len = hl + body;
		f->res_off = 0;
		f->state = 2;
		break;
	}
	case 2: {
		/* two segments then an ACK, like a real receiver */
		for (int k = 0; k < 2 && f->res_off < f->res_len && !r; k++) {
			size_t n = f->res_len - f->res_off < MSS ? f->res_len - f->res_off : MSS;

			r = emit(g, f->sip, f->cip, f->sport, f->cport, f->sseq, f->cseq, 0x10,
				 f->res + f->res_off, n);
			f->sseq += (uint32_t)n;
			f->res_off += n;
		}
		r = r	  ?:
			    emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq, f->sseq, 0x10,
				 NULL, 0);
		if (f->res_off == f->res_len)
			f->state = --f->reqs_left > 0 ? 1 : 3;
		break;
	}
	default:
		r = emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq, f->sseq, 0x11, NULL, 0);
		r = r	  ?:
			    emit(g, f->sip, f->cip, f->sport, f->cport, f->sseq, f->cseq + 1, 0x11,
				 NULL, 0);
		r = r	  ?:
			    emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq + 1, f->sseq + 1,
				 0x10, NULL, 0);
		free(f->res);
		f->res = NULL;
		f->live = false;
		break;
	}
	return r;
}

int httpgen_write(const char *path, const struct httpgen_opts *opts, struct httpgen_stats *ret)
{
	static struct gflow fl[ACTIVE_FLOWS];
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	struct gen g = { .varied = opts->varied };
	int r = 0;

	memset(fl, 0, sizeof(fl));
	g.f = fopen(path, "wb");
	if (!g.f)
		return -errno;
	setvbuf(g.f, NULL, _IOFBF, 1 << 20);
	g.rng = 0x6d6f6174ULL;
	g.ts_us = 1700000000ULL * 1000000;
	if (fwrite(gh, sizeof(gh), 1, g.f) != 1)
		r = -EIO;
	g.st.bytes = sizeof(gh);
	while (g.st.bytes < opts->target_bytes && !r) {
		struct gflow *f = &fl[rnd(&g) % ACTIVE_FLOWS];

		if (!f->live)
			flow_start(&g, f);
		r = flow_step(&g, f);
	}
	/* finish every open flow so the capture ends cleanly */
	for (int i = 0; i < ACTIVE_FLOWS && !r; i++)
		while (fl[i].live && !r)
			r = flow_step(&g, &fl[i]);
	for (int i = 0; i < ACTIVE_FLOWS; i++) {
		free(fl[i].res);
		fl[i].res = NULL;
	}
	/* written back before anything is timed: otherwise the kernel's writeback of the
	 * fresh capture competes with whichever run comes first */
	if ((fflush(g.f) != 0 || fsync(fileno(g.f)) != 0) && !r)
		r = -errno;
	if (fclose(g.f) != 0 && !r)
		r = -errno;
	*ret = g.st;
	return r;
}
