// SPDX-License-Identifier: GPL-2.0-only
/*
 * dpi_offline: throughput of `moatd -r` (no rules, one worker) on a generated HTTP capture
 * of at least 1 GiB, beside a plain libpcap read loop over the same file in the same run
 * (the read limit). Prints one JSON object. Usage:
 *   dpi_offline MOATD [--size-mb N] [--keep PATH]
 * The capture goes to $TMPDIR (default /tmp) and is removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSS 1448
#define ACTIVE_FLOWS 256 /* flows interleaved at any time */

struct gen {
	FILE *f;
	uint64_t bytes, pkts, flows, requests;
	uint64_t ts_us;
	uint64_t rng;
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
	memcpy(tcp + 20, pl, n);
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
	g->bytes += sizeof(hdr) + 54 + n;
	g->pkts++;
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

static void flow_start(struct gen *g, struct gflow *f)
{
	uint64_t n = g->flows++;

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

static int flow_step(struct gen *g, struct gflow *f)
{
	char req[1024];
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
		int n = snprintf(req, sizeof(req),
				 "GET %s HTTP/1.1\r\nHost: www%u.example.test\r\n"
				 "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
				 "Gecko/20100101 Firefox/120.0\r\n"
				 "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
				 "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: identity\r\n"
				 "Cookie: session=%016llx\r\nConnection: keep-alive\r\n\r\n",
				 paths[rnd(g) % 8], (unsigned int)(rnd(g) % 100),
				 (unsigned long long)rnd(g));
		size_t body = body_size(g), hl;
		char hdr[256];

		r = emit(g, f->cip, f->sip, f->cport, f->sport, f->cseq, f->sseq, 0x18,
			 (const uint8_t *)req, (size_t)n);
		f->cseq += (uint32_t)n;
		g->requests++;
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
		for (size_t i = 0; i < body; i++)
			f->res[hl + i] = (uint8_t)("<p>moat benchmark body text</p>\n"[i % 32]);
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

static int generate(const char *path, uint64_t target, struct gen *g)
{
	static struct gflow fl[ACTIVE_FLOWS];
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	int r = 0;

	g->f = fopen(path, "wb");
	if (!g->f)
		return -errno;
	setvbuf(g->f, NULL, _IOFBF, 1 << 20);
	g->rng = 0x6d6f6174ULL;
	g->ts_us = 1700000000ULL * 1000000;
	fwrite(gh, sizeof(gh), 1, g->f);
	g->bytes = sizeof(gh);
	while (g->bytes < target && !r) {
		struct gflow *f = &fl[rnd(g) % ACTIVE_FLOWS];

		if (!f->live)
			flow_start(g, f);
		r = flow_step(g, f);
	}
	/* finish every open flow so the capture ends cleanly */
	for (int i = 0; i < ACTIVE_FLOWS && !r; i++)
		while (fl[i].live && !r)
			r = flow_step(g, &fl[i]);
	/* written back before anything is timed: otherwise the kernel's writeback of the
	 * fresh 1 GiB competes with whichever run comes first */
	if ((fflush(g->f) != 0 || fsync(fileno(g->f)) != 0) && !r)
		r = -errno;
	if (fclose(g->f) != 0 && !r)
		r = -errno;
	return r;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/*
 * The read limit: every record through pcap_next_ex, touching each frame's bytes, read the
 * way moatd's pcap_source reads (a FILE with a READ_BUF_SIZE stdio buffer, faster than
 * pcap_open_offline()'s 4 KiB default), so the baseline is never the slower reader.
 */
#define READ_BUF_SIZE (128 * 1024)

static int read_loop(const char *path, double *ret_s, double *ret_cpu, uint64_t *ret_pkts,
		     uint64_t *ret_bytes)
{
	double c0 = cpu_self();
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t pkts = 0, bytes = 0, sum = 0;
	double t0 = now();
	char *buf = malloc(READ_BUF_SIZE);
	FILE *f = buf ? fopen(path, "rb") : NULL;
	pcap_t *p;

	if (!f) {
		free(buf);
		fprintf(stderr, "%s: cannot open\n", path);
		return -EIO;
	}
	setvbuf(f, buf, _IOFBF, READ_BUF_SIZE);
	p = pcap_fopen_offline(f, err);
	if (!p) {
		fclose(f);
		free(buf);
		fprintf(stderr, "%s: %s\n", path, err);
		return -EIO;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		pkts++;
		bytes += h->caplen;
		sum += d[h->caplen - 1] + d[0];
	}
	pcap_close(p);
	free(buf);
	*ret_s = now() - t0;
	*ret_cpu = cpu_self() - c0;
	*ret_pkts = pkts;
	*ret_bytes = bytes + (sum & 0); /* keep the touch */
	return 0;
}

/* Run ARGV (NULL-terminated) with stdout/stderr to /dev/null; wall and CPU time, peak RSS. */
static int run_child(char *const argv[], double *ret_s, double *ret_cpu, long *ret_rss_kib)
{
	struct rusage ru;
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -errno;
	*ret_s = now() - t0;
	*ret_rss_kib = ru.ru_maxrss;
	*ret_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int run_moatd(const char *moatd, const char *pcap, const char *logdir, double *ret_s,
		     double *ret_cpu, long *ret_rss_kib)
{
	struct rusage ru;
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execl(moatd, moatd, "-r", pcap, "-l", logdir, (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -errno;
	*ret_s = now() - t0;
	*ret_rss_kib = ru.ru_maxrss;
	*ret_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "moatd failed (status %d)\n", status);
		return -EIO;
	}
	return 0;
}

/* app_layer.tx.http and decoder.pkts from the final stats event of eve.json */
static void eve_counters(const char *logdir, json_int_t *ret_tx, json_int_t *ret_pkts)
{
	char path[4200], *line = NULL;
	size_t cap = 0;
	FILE *f;

	*ret_tx = *ret_pkts = -1;
	snprintf(path, sizeof(path), "%s/eve.json", logdir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		json_t *o;

		if (!strstr(line, "\"event_type\":\"stats\""))
			continue;
		o = json_loads(line, 0, NULL);
		if (o) {
			json_t *s = json_object_get(o, "stats");

			*ret_tx = json_integer_value(json_object_get(
				json_object_get(json_object_get(s, "app_layer"), "tx"), "http"));
			*ret_pkts = json_integer_value(
				json_object_get(json_object_get(s, "decoder"), "pkts"));
			json_decref(o);
		}
	}
	free(line);
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *keep = NULL;
	uint64_t size_mb = 1100, pkts = 0, bytes = 0, pkts2, bytes2;
	char pcap[4096], logdir[4096];
	double gen_s, read_s = 0, read2_s = 0, moat_s = 0, read_cpu = 0, read2_cpu = 0,
		      moat_cpu = 0;
	long rss = 0, suri_rss = 0;
	double suri_s = 0, suri_cpu = 0;
	bool suri_ok = false;
	json_int_t tx, eve_pkts;
	struct gen g = { 0 };
	struct stat st;
	json_t *o;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MOATD [--size-mb N] [--keep PATH]\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--size-mb") && i + 1 < argc)
			size_mb = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
	}
	snprintf(pcap, sizeof(pcap), "%s/dpi_offline.%d.pcap", tmp, (int)getpid());
	snprintf(logdir, sizeof(logdir), "%s/dpi_offline.%d.log", tmp, (int)getpid());
	if (mkdir(logdir, 0755) < 0) {
		perror(logdir);
		return 1;
	}
	gen_s = now();
	r = generate(keep ? keep : pcap, size_mb * 1024 * 1024, &g);
	gen_s = now() - gen_s;
	if (keep)
		snprintf(pcap, sizeof(pcap), "%s", keep);
	if (r < 0) {
		fprintf(stderr, "generate %s: %s\n", pcap, strerror(-r));
		unlink(pcap);
		return 1;
	}
	/* read loop before and after moatd (page cache warm for both); the faster counts */
	r = read_loop(pcap, &read_s, &read_cpu, &pkts, &bytes);
	r = r ?: run_moatd(argv[1], pcap, logdir, &moat_s, &moat_cpu, &rss);
	r = r ?: read_loop(pcap, &read2_s, &read2_cpu, &pkts2, &bytes2);
	if (r == 0 && read2_s < read_s)
		read_s = read2_s;
	if (r == 0 && read2_cpu < read_cpu)
		read_cpu = read2_cpu;
	eve_counters(logdir, &tx, &eve_pkts);
	/* Suricata on the same file when installed (same work: no rules, one worker, checksums
	 * validated; its figure includes its start-up, reported separately as a reference) */
	if (r == 0 && !getenv("DPI_OFFLINE_NO_SURICATA")) {
		char rules[4200], sdir[4200];
		FILE *rf;

		snprintf(rules, sizeof(rules), "%s/empty.rules", logdir);
		snprintf(sdir, sizeof(sdir), "%s/suricata", logdir);
		rf = fopen(rules, "w");
		if (rf)
			fclose(rf);
		if (rf && mkdir(sdir, 0755) == 0) {
			char *sargv[] = { (char *)"suricata",
					  (char *)"-r",
					  pcap,
					  (char *)"-S",
					  rules,
					  (char *)"-l",
					  sdir,
					  (char *)"--runmode",
					  (char *)"single",
					  (char *)"-k",
					  (char *)"all",
					  NULL };

			suri_ok = run_child(sargv, &suri_s, &suri_cpu, &suri_rss) == 0;
		}
	}
	if (stat(pcap, &st) < 0)
		st.st_size = 0;
	if (!keep)
		unlink(pcap);
	{
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", logdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", logdir);
	}
	if (r < 0)
		return 1;

	o = json_pack("{s:s, s:{s:I, s:I, s:I, s:I, s:I, s:f}, s:{s:f, s:f, s:f, s:f}, "
		      "s:{s:f, s:f, s:f, s:f, s:I, s:I, s:I}, s:f, s:f, s:f, s:s}",
		      "benchmark", "dpi_offline", "capture", "file_bytes", (json_int_t)st.st_size,
		      "packets", (json_int_t)pkts, "frame_bytes", (json_int_t)bytes, "flows",
		      (json_int_t)g.flows, "http_requests", (json_int_t)g.requests, "generate_s",
		      gen_s, "read_loop", "seconds", read_s, "cpu_seconds", read_cpu, "pkts_per_s",
		      (double)pkts / read_s, "gbit_per_s", (double)bytes * 8 / read_s / 1e9,
		      "moatd", "seconds", moat_s, "cpu_seconds", moat_cpu, "pkts_per_s",
		      (double)pkts / moat_s, "gbit_per_s", (double)bytes * 8 / moat_s / 1e9,
		      "peak_rss_kib", (json_int_t)rss, "http_tx_logged", tx, "decoder_pkts",
		      eve_pkts, "ratio_vs_read_loop", read_s / moat_s, "ratio_cpu",
		      read_cpu / moat_cpu, "target_ratio", 0.4, "mode",
		      "single worker, no rules, checksums validated");
	if (!o)
		return 1;
	if (suri_ok)
		json_object_set_new(
			o, "suricata_reference",
			json_pack("{s:f, s:f, s:f, s:I, s:s}", "seconds", suri_s, "cpu_seconds",
				  suri_cpu, "pkts_per_s", (double)pkts / suri_s, "peak_rss_kib",
				  (json_int_t)suri_rss, "command",
				  "suricata -r FILE -S empty.rules --runmode single -k all"));
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
	return 0;
}
