// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect: inspection throughput of `moatd -r` (one worker) with every loadable ET Open rule
 * on a generated HTTP capture of at least 300 MB, beside, in the same run, moatd with no
 * rules and Suricata 7 (`--runmode single`, raised memcaps) on the same capture and rules.
 *
 * Each engine runs on a one-packet capture (start-up + rule loading only) and on the real
 * one, best of RUNS. The figure compared (inspect_cpu_s, speedup_vs_suricata) is CPU time of
 * the thread that inspects, minus the same on the one-packet capture:
 * - Suricata: its packet thread W#01 (decode, stream, app-layer, detection, output), read
 *   from /proc/PID/task/TID/stat every 10 ms while it runs (the last value before it exits;
 *   resolution one clock tick + one poll, per reading). Its ~20 s of rule loading happen in
 *   the main thread and vary by seconds between runs, which swamped the former figure
 *   (total minus start-up) when inspection takes 2-8 s.
 * - moatd -r: one thread does both; its process CPU (rusage) minus the one-packet run's, with
 *   ~1 s of start-up.
 * Also printed: wall_* (wall time, total minus start-up), process_* (all threads' CPU, the
 * same way) and threads_cpu_s (each thread's CPU in the best capture run).
 * Prints one JSON object.
 * Usage: detect MOATD [--rules ET_OPEN_DIR] [--size-mb N] [--runs N] [--keep PATH]
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "httpgen.h"

#define MAX_RUNS 5
#define POLL_S 0.010 /* thread CPU poll interval */
/* Suricata 7's one worker in --runmode single (decode, stream, app-layer, detection, output)
 * names itself so; rules are loaded by the main thread before it starts */
#define SURICATA_PACKET_THREAD "W#01"

struct engine_fig {
	bool ok;
	/* wall time: total run on the capture, on the one-packet capture, difference */
	double wall_load_s, wall_total_s, wall_inspect_s, wall_gbit_per_s;
	/* the child's process CPU (user + system of all its threads, rusage), the same way */
	double proc_load_cpu_s, proc_total_cpu_s, proc_inspect_cpu_s, proc_gbit_per_cpu_s;
	/* with a packet thread (THREAD given): its own CPU time on the capture and on the
	 * one-packet capture (its start-up: per-thread detection state) */
	double thread_total_cpu_s, thread_load_cpu_s;
	/* the figure compared: the packet thread's CPU minus its start-up when there is one,
	 * else the process CPU difference (a single-threaded engine) */
	double inspect_cpu_s, gbit_per_cpu_s, resolution_s;
	const char *method;
	json_t *threads; /* {comm: cpu seconds} of the best capture run */
	unsigned int threads_refused; /* threads past BENCH_MAX_THREADS, most in one run */
	long rss_kib;
	long alerts;
};
/* Lines with "event_type":"alert" in DIR/eve.json; -1 when unreadable. */
static long count_alerts(const char *dir)
{
	char path[4400], *line = NULL;
	size_t cap = 0;
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/eve.json", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, "\"event_type\":\"alert\""))
			n++;
	free(line);
	fclose(f);
	return n;
}

/* A capture of one small UDP packet (Suricata refuses a capture without packets). */
static int tiny_pcap(const char *path)
{
	static const uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	static const uint32_t rh[4] = { 1700000000, 0, 46, 46 };
	static const uint8_t fr[46] = { /* Ethernet */
					0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
					/* IPv4 198.18.0.1 -> 198.18.0.2, UDP, checksum valid */
					0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0xae, 0xa4, 198, 18,
					0, 1, 198, 18, 0, 2,
					/* UDP 40000 -> 9 (discard), checksum 0 (none), 4 bytes */
					0x9c, 0x40, 0, 9, 0, 12, 0, 0, 'm', 'o', 'a', 't'
	};
	FILE *f = fopen(path, "wb");

	if (!f)
		return -errno;
	if (fwrite(gh, sizeof(gh), 1, f) != 1 || fwrite(rh, sizeof(rh), 1, f) != 1 ||
	    fwrite(fr, sizeof(fr), 1, f) != 1) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static json_t *threads_json(const struct bench_run *run)
{
	json_t *o = json_object();

	for (unsigned int i = 0; o && i < run->n_threads; i++) {
		const char *c = run->threads[i].comm[0] ? run->threads[i].comm : "?";
		json_t *prev = json_object_get(o, c);
		double v = run->threads[i].cpu_secs + (prev ? json_real_value(prev) : 0);

		json_object_set_new(o, c, json_real(v));
	}
	return o;
}

/*
 * Run ARGV (whose element at pcap_idx is replaced by the capture and at log_idx by a fresh
 * log directory under WORK) RUNS times on EMPTY and on PCAP; keep the best of each. THREAD:
 * the name of the engine's packet thread (NULL: one thread, use the process CPU).
 */
static void measure(char **argv, int pcap_idx, int log_idx, const char *work, const char *empty,
		    const char *pcap, int runs, uint64_t frame_bytes, const char *thread,
		    struct engine_fig *ret)
{
	char logdir[4200];
	struct bench_run run;

	memset(ret, 0, sizeof(*ret));
	ret->wall_load_s = ret->wall_total_s = ret->proc_load_cpu_s = ret->proc_total_cpu_s =
		ret->thread_total_cpu_s = ret->thread_load_cpu_s = 1e18;
	snprintf(logdir, sizeof(logdir), "%s/log", work);
	argv[log_idx] = logdir;
	for (int i = 0; i < runs; i++) {
		for (int big = 0; big < 2; big++) {
			double th;

			bench_rm_rf(logdir);
			if (mkdir(logdir, 0755) < 0)
				return;
			argv[pcap_idx] = (char *)(big ? pcap : empty);
			if (bench_run_child_threads(argv, false, POLL_S, &run) < 0) {
				fprintf(stderr, "detect: %s failed (status %d)\n", argv[0],
					run.status);
				return;
			}
			th = thread ? bench_thread_cpu(&run, thread) : 0;
			if (th < 0) {
				fprintf(stderr, "detect: %s: no thread named %s seen\n", argv[0],
					thread);
				return;
			}
			if (big && th < ret->thread_total_cpu_s)
				ret->thread_total_cpu_s = th;
			else if (!big && th < ret->thread_load_cpu_s)
				ret->thread_load_cpu_s = th;
			if (big && run.cpu_secs < ret->proc_total_cpu_s) {
				ret->proc_total_cpu_s = run.cpu_secs;
				json_decref(ret->threads);
				ret->threads = threads_json(&run);
			} else if (!big && run.cpu_secs < ret->proc_load_cpu_s) {
				ret->proc_load_cpu_s = run.cpu_secs;
			}
			if (big && run.secs < ret->wall_total_s) {
				ret->wall_total_s = run.secs;
				ret->rss_kib = run.rss_kib;
				ret->alerts = count_alerts(logdir);
			} else if (!big && run.secs < ret->wall_load_s) {
				ret->wall_load_s = run.secs;
			}
			ret->resolution_s = run.thread_resolution_s;
			if (run.threads_refused > ret->threads_refused)
				ret->threads_refused = run.threads_refused;
		}
	}
	bench_rm_rf(logdir);
	ret->wall_inspect_s = ret->wall_total_s - ret->wall_load_s;
	if (ret->wall_inspect_s <= 0)
		ret->wall_inspect_s = 1e-9;
	ret->wall_gbit_per_s = (double)frame_bytes * 8 / ret->wall_inspect_s / 1e9;
	ret->proc_inspect_cpu_s = ret->proc_total_cpu_s - ret->proc_load_cpu_s;
	ret->proc_gbit_per_cpu_s = (double)frame_bytes * 8 /
				   (ret->proc_inspect_cpu_s > 0 ? ret->proc_inspect_cpu_s : 1e-9) /
				   1e9;
	if (thread) {
		ret->inspect_cpu_s = ret->thread_total_cpu_s - ret->thread_load_cpu_s;
		/* two readings, each within a tick and a poll interval */
		ret->resolution_s *= 2;
		ret->method = "packet thread CPU (/proc/PID/task/TID/stat utime+stime, polled "
			      "every 10 ms, last value before it exits): capture minus one-packet "
			      "capture";
	} else {
		ret->inspect_cpu_s = ret->proc_inspect_cpu_s;
		/* rusage is exact to the microsecond; the scheduler charges whole ticks */
		ret->resolution_s = 2.0 / (double)sysconf(_SC_CLK_TCK);
		ret->method = "process CPU (rusage user+system; one thread does start-up and "
			      "inspection): capture minus one-packet capture";
	}
	if (ret->inspect_cpu_s <= 0)
		ret->inspect_cpu_s = 1e-9;
	ret->gbit_per_cpu_s = (double)frame_bytes * 8 / ret->inspect_cpu_s / 1e9;
	ret->ok = true;
}

static json_t *fig_json(struct engine_fig *f, const char *command, const char *thread)
{
	json_t *o;

	if (!f->ok) {
		json_decref(f->threads);
		return json_null();
	}
	o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, "
		      "s:I}",
		      "command", command, "inspect_method", f->method, "inspect_cpu_s",
		      f->inspect_cpu_s, "inspect_cpu_resolution_s", f->resolution_s,
		      "inspect_gbit_per_cpu_s", f->gbit_per_cpu_s, "wall_load_s", f->wall_load_s,
		      "wall_total_s", f->wall_total_s, "wall_inspect_s", f->wall_inspect_s,
		      "wall_inspect_gbit_per_s", f->wall_gbit_per_s, "process_load_cpu_s",
		      f->proc_load_cpu_s, "process_total_cpu_s", f->proc_total_cpu_s,
		      "process_inspect_cpu_s", f->proc_inspect_cpu_s,
		      "process_inspect_gbit_per_cpu_s", f->proc_gbit_per_cpu_s, "peak_rss_kib",
		      (json_int_t)f->rss_kib, "alerts", (json_int_t)f->alerts);
	if (!o)
		return NULL;
	if (thread) {
		json_object_set_new(o, "packet_thread", json_string(thread));
		json_object_set_new(o, "thread_total_cpu_s", json_real(f->thread_total_cpu_s));
		json_object_set_new(o, "thread_load_cpu_s", json_real(f->thread_load_cpu_s));
	}
	json_object_set_new(o, "threads_cpu_s", f->threads ? f->threads : json_object());
	json_object_set_new(o, "threads_refused", json_integer(f->threads_refused));
	f->threads = NULL;
	return o;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *rules_dir = "../shared/corpus/et-open", *keep = NULL;
	uint64_t size_mb = 300;
	int runs = 2;
	char work[4096], pcap[4200], empty[4200], all_rules[4200], classification[4300],
		set_class[4400];
	struct httpgen_opts gopts = { .varied = true };
	struct httpgen_stats gs;
	uint64_t frame_bytes = 0;
	struct engine_fig none, moat, suri = { 0 };
	const char *suri_note = "suricata not installed";
	json_t *o;
	int r;

	if (argc < 2) {
		fprintf(stderr,
			"usage: %s MOATD [--rules DIR] [--size-mb N] [--runs N] [--keep PATH]\n",
			argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			rules_dir = argv[++i];
		else if (!strcmp(argv[i], "--size-mb") && i + 1 < argc)
			size_mb = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else {
			fprintf(stderr, "detect: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS)
		runs = 2;
	snprintf(work, sizeof(work), "%s/moat-bench-detect.%d", tmp, (int)getpid());
	if (mkdir(work, 0755) < 0) {
		perror(work);
		return 1;
	}
	snprintf(pcap, sizeof(pcap), "%s", keep ? keep : "");
	if (!keep)
		snprintf(pcap, sizeof(pcap), "%s/http.pcap", work);
	snprintf(empty, sizeof(empty), "%s/empty.pcap", work);
	snprintf(all_rules, sizeof(all_rules), "%s/all.rules", work);
	snprintf(classification, sizeof(classification), "%s/classification.config", rules_dir);
	snprintf(set_class, sizeof(set_class), "classification-file=%s", classification);

	gopts.target_bytes = size_mb * 1024 * 1024;
	r = httpgen_write(pcap, &gopts, &gs);
	r = r ?: tiny_pcap(empty);
	/* pcap file header 24 bytes, record headers 16 bytes each */
	frame_bytes = gs.bytes - 24 - 16 * gs.pkts;
	if (r < 0) {
		fprintf(stderr, "detect: writing captures in %s: %s\n", work, strerror(-r));
		bench_rm_rf(work);
		return 1;
	}

	{
		char *a[] = { argv[1], (char *)"-r", NULL, (char *)"-l", NULL, NULL };

		measure(a, 2, 4, work, empty, pcap, runs, frame_bytes, NULL, &none);
	}
	{
		char *a[] = { argv[1],	    (char *)"-r",      NULL, (char *)"-l", NULL,
			      (char *)"-S", (char *)rules_dir, NULL };

		measure(a, 2, 4, work, empty, pcap, runs, frame_bytes, NULL, &moat);
	}
	if (bench_have_program("suricata") && !getenv("DETECT_NO_SURICATA")) {
		suri_note = "suricata failed";
		if (bench_concat_rules(rules_dir, all_rules) == 0) {
			char *a[] = { (char *)"suricata",
				      (char *)"-r",
				      NULL,
				      (char *)"-l",
				      NULL,
				      (char *)"-S",
				      all_rules,
				      (char *)"--runmode",
				      (char *)"single",
				      (char *)"-k",
				      (char *)"all",
				      (char *)"--set",
				      set_class,
				      (char *)"--set",
				      (char *)"stream.memcap=4gb",
				      (char *)"--set",
				      (char *)"stream.reassembly.memcap=8gb",
				      (char *)"--set",
				      (char *)"flow.memcap=2gb",
				      NULL };

			measure(a, 2, 4, work, empty, pcap, runs, frame_bytes,
				SURICATA_PACKET_THREAD, &suri);
		}
	}
	if (keep)
		bench_rm_rf(empty);
	bench_rm_rf(work);
	if (!none.ok || !moat.ok) {
		json_decref(none.threads);
		json_decref(moat.threads);
		json_decref(suri.threads);
		return 1;
	}

	o = json_pack(
		"{s:s, s:s, s:i, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:o}", "benchmark",
		"detect", "rules", rules_dir, "runs", runs, "capture", "file_bytes",
		(json_int_t)gs.bytes, "packets", (json_int_t)gs.pkts, "flows", (json_int_t)gs.flows,
		"http_requests", (json_int_t)gs.requests, "frame_bytes", (json_int_t)frame_bytes,
		"moatd_no_rules", fig_json(&none, "moatd -r FILE -l DIR", NULL), "moatd_et_open",
		fig_json(&moat, "moatd -r FILE -l DIR -S ET_OPEN_DIR", NULL), "suricata_et_open",
		fig_json(&suri,
			 "suricata -r FILE -S all.rules --runmode single -k all "
			 "(memcaps raised)",
			 SURICATA_PACKET_THREAD));
	if (!o)
		return 1;
	if (suri.ok) {
		json_object_set_new(o, "speedup_vs_suricata",
				    json_real(suri.inspect_cpu_s / moat.inspect_cpu_s));
		json_object_set_new(
			o, "speedup_method",
			json_string(
				"inspect_cpu_s: Suricata's packet thread " SURICATA_PACKET_THREAD
				" CPU, moatd's process CPU (one thread), each minus its "
				"one-packet run"));
		json_object_set_new(o, "speedup_vs_suricata_wall",
				    json_real(suri.wall_inspect_s / moat.wall_inspect_s));
		json_object_set_new(o, "speedup_vs_suricata_process_cpu",
				    json_real(suri.proc_inspect_cpu_s / moat.proc_inspect_cpu_s));
	} else
		json_object_set_new(o, "suricata_note", json_string(suri_note));
	json_object_set_new(o, "target_speedup", json_real(3.0));
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
	return 0;
}
