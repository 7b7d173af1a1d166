// SPDX-License-Identifier: GPL-2.0-only
/*
 * dpi_offline: throughput of `moatd -r` (no rules, one worker) on a generated HTTP capture
 * of at least 1 GiB, beside a plain libpcap read loop over the same file in the same run
 * (the read limit). Prints one JSON object. Usage:
 *   dpi_offline MOATD [--size-mb N] [--keep PATH] [--runs N]
 * With --runs N (default 3) moatd runs N times between N + 1 read loops and the fastest
 * of each counts (wall and CPU separately): on a shared machine one run of either can be
 * slowed several times over by its neighbours.
 * The capture goes to $TMPDIR (default /tmp) and is removed afterwards. Before timing, its
 * pages are dropped from the page cache and read back once (see recache_as_read();
 * DPI_OFFLINE_KEEP_WRITTEN_CACHE set keeps the pages the writes left).
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
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "httpgen.h"

/*
 * The read limit: every record through pcap_next_ex, touching each frame's bytes, read the
 * way moatd's pcap_source reads (a FILE with a READ_BUF_SIZE stdio buffer, faster than
 * pcap_open_offline()'s 4 KiB default), so the baseline is never the slower reader.
 */
#define READ_BUF_SIZE (128 * 1024)

static int read_loop(const char *path, double *ret_s, double *ret_cpu, uint64_t *ret_pkts,
		     uint64_t *ret_bytes)
{
	double c0 = bench_cpu_self();
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t pkts = 0, bytes = 0, sum = 0;
	double t0 = bench_now();
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
	*ret_s = bench_now() - t0;
	*ret_cpu = bench_cpu_self() - c0;
	*ret_pkts = pkts;
	*ret_bytes = bytes + (sum & 0); /* keep the touch */
	return 0;
}

/*
 * Put the capture in the page cache as reading it from disk would: httpgen's 4 KiB writes
 * leave it in 4 KiB pages, while a capture read from disk comes in through readahead's
 * large folios, which cost a reader that maps the file (moatd) a sixth as much to map
 * (mapping every 4 KiB page was 12% of a moatd run). The written file is on disk
 * (fsync'd by httpgen), so its pages are dropped and the file is read back once, before
 * either side is timed; both then read the same cached pages. Returns 0 or -errno.
 */
static int recache_as_read(const char *path)
{
	size_t bufsz = 1u << 20;
	char *buf = malloc(bufsz);
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0 || !buf) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	r = -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	while (r == 0 && (n = read(fd, buf, bufsz)) != 0)
		if (n < 0 && errno != EINTR)
			r = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
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
	uint64_t size_mb = 1100, pkts = 0, bytes = 0, pkts2, bytes2, runs = 3;
	char pcap[4096], logdir[4096];
	double gen_s, read_s = 0, read2_s = 0, moat_s = 0, read_cpu = 0, read2_cpu = 0,
		      moat_cpu = 0;
	long rss = 0, suri_rss = 0;
	double suri_s = 0, suri_cpu = 0;
	bool suri_ok = false;
	json_int_t tx, eve_pkts;
	struct httpgen_opts gopts = { 0 };
	struct httpgen_stats g = { 0 };
	struct bench_run run;
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
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = strtoull(argv[++i], NULL, 10);
	}
	if (runs < 1)
		runs = 1;
	snprintf(pcap, sizeof(pcap), "%s/dpi_offline.%d.pcap", tmp, (int)getpid());
	snprintf(logdir, sizeof(logdir), "%s/dpi_offline.%d.log", tmp, (int)getpid());
	if (mkdir(logdir, 0755) < 0) {
		perror(logdir);
		return 1;
	}
	gen_s = bench_now();
	gopts.target_bytes = size_mb * 1024 * 1024;
	r = httpgen_write(keep ? keep : pcap, &gopts, &g);
	gen_s = bench_now() - gen_s;
	if (keep)
		snprintf(pcap, sizeof(pcap), "%s", keep);
	if (r < 0) {
		fprintf(stderr, "generate %s: %s\n", pcap, strerror(-r));
		unlink(pcap);
		return 1;
	}
	r = getenv("DPI_OFFLINE_KEEP_WRITTEN_CACHE") ? 0 : recache_as_read(pcap);
	if (r < 0) {
		fprintf(stderr, "%s: cannot drop and read back: %s\n", pcap, strerror(-r));
		if (!keep)
			unlink(pcap);
		return 1;
	}
	/* read loops before, between and after the moatd runs (page cache warm for all); the
	 * fastest of each counts */
	r = read_loop(pcap, &read_s, &read_cpu, &pkts, &bytes);
	for (uint64_t i = 0; r == 0 && i < runs; i++) {
		char *margv[] = { argv[1], (char *)"-r", pcap, (char *)"-l", logdir, NULL };

		r = bench_run_child(margv, true, &run);
		if (r < 0) {
			fprintf(stderr, "moatd failed (status %d)\n", run.status);
			break;
		}
		if (i == 0 || run.secs < moat_s)
			moat_s = run.secs;
		if (i == 0 || run.cpu_secs < moat_cpu)
			moat_cpu = run.cpu_secs;
		if (run.rss_kib > rss)
			rss = run.rss_kib;
		r = read_loop(pcap, &read2_s, &read2_cpu, &pkts2, &bytes2);
		if (r == 0 && read2_s < read_s)
			read_s = read2_s;
		if (r == 0 && read2_cpu < read_cpu)
			read_cpu = read2_cpu;
	}
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

			suri_ok = bench_run_child(sargv, false, &run) == 0;
			suri_s = run.secs;
			suri_cpu = run.cpu_secs;
			suri_rss = run.rss_kib;
		}
	}
	if (stat(pcap, &st) < 0)
		st.st_size = 0;
	if (!keep)
		unlink(pcap);
	bench_rm_rf(logdir);
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
		      "single worker, no rules, checksums validated; moatd maps a classic pcap "
		      "(dpi/pcap_source.c), the read loop is libpcap's pcap_next_ex");
	if (o) {
		json_object_set_new(o, "best_of_runs", json_integer((json_int_t)runs));
		json_object_set_new(
			o, "page_cache",
			json_string(getenv("DPI_OFFLINE_KEEP_WRITTEN_CACHE") ?
					    "as written (4 KiB pages)" :
					    "dropped and read back once, as read from disk"));
	}
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
