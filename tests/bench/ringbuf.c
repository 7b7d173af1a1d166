// SPDX-License-Identifier: GPL-2.0-only
/*
 * ringbuf: packets/s copied kernel -> one consumer on veth traffic, BPF ring buffer and perf
 * buffer side by side, with loss counts. Prints one JSON object. Root only.
 *
 *   ringbuf [--packets N] [--runs N] [--ring-bytes B]
 *
 * A private network namespace holds a veth pair; moat is attached (TC only) to one end and a
 * sender thread writes N UDP frames (--packets, default 200000; 64 flows) into the other end
 * with AF_PACKET, as fast as it can; they reach the TC ingress program, which copies them to
 * worker 0 (one worker), read by one consumer thread. Per frame size and transport: the rate
 * frames were offered (sent / send time), the rate records reached the consumer (delivered /
 * time from the first send to the last delivery), and the records lost (ring full). The
 * baseline of the same run is the same traffic with copying disabled (the offered rate
 * through the TC program alone). Median over --runs (default 3). No assertion on any figure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "lib/lib.h"
#include "datapath/datapath.h"

DEFINE_FREEP(struct moat_dp, moat_dp_close)

struct args {
	unsigned long packets;
	int runs;
	uint32_t ring_bytes;
};

struct run_result {
	double offered_pps; /* sent / send time */
	double copied_pps; /* delivered / (last delivery - first send) */
	uint64_t delivered, lost, sent;
};

struct consumer_ctx {
	struct moat_dp_consumer *c;
	atomic_ulong delivered;
	atomic_int stop;
	uint64_t last_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int count_cb(void *ctx, const struct moat_pkt *p)
{
	struct consumer_ctx *cc = ctx;

	(void)p;
	atomic_fetch_add_explicit(&cc->delivered, 1, memory_order_relaxed);
	return 0;
}

static void *consumer_main(void *arg)
{
	struct consumer_ctx *cc = arg;

	while (!atomic_load(&cc->stop)) {
		int r = moat_dp_consumer_poll(cc->c, 50);

		if (r > 0)
			cc->last_ns = now_ns();
		if (r < 0 && r != -EINTR)
			break;
	}
	/* drain what is left */
	while (moat_dp_consumer_poll(cc->c, 0) > 0)
		cc->last_ns = now_ns();
	return NULL;
}

static void build_frame(uint8_t *b, size_t len, const uint8_t *dmac, int flow)
{
	uint16_t v;

	memset(b, 0, len);
	memcpy(b, dmac, 6);
	b[6] = 0x02, b[11] = 0x09;
	b[12] = 0x08, b[13] = 0x00;
	b[14] = 0x45;
	v = htons(len - 14);
	memcpy(b + 16, &v, 2);
	b[22] = 64, b[23] = IPPROTO_UDP;
	b[26] = 198, b[27] = 18, b[28] = 20, b[29] = 2; /* 198.18.20.2 -> 198.18.20.1 */
	b[30] = 198, b[31] = 18, b[32] = 20, b[33] = 1;
	v = htons(10000 + flow);
	memcpy(b + 34, &v, 2);
	v = htons(9);
	memcpy(b + 36, &v, 2);
	v = htons(len - 34);
	memcpy(b + 38, &v, 2);
}

/* One run: copy with transport (or not at all when copy is false). */
static int one_run(struct moat_dp *dp, int sock, int ifindex, const uint8_t *dmac, size_t flen,
		   bool copy, enum moat_copy_transport tr, const struct args *a,
		   struct run_result *res)
{
	struct consumer_ctx cc = { 0 };
	struct moat_dp_copy_stats s0, s1;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = ifindex,
				   .sll_halen = 6 };
	uint8_t frames[64][1600];
	pthread_t th;
	uint64_t t0, t1;
	unsigned long sent = 0;
	int r;

	for (int f = 0; f < 64; f++)
		build_frame(frames[f], flen, dmac, f);
	if (copy) {
		struct moat_dp_copy_cfg cfg;

		moat_dp_copy_cfg_init(&cfg);
		cfg.n_workers = 1;
		cfg.transport = tr;
		cfg.ring_bytes = a->ring_bytes;
		cfg.depth = UINT32_MAX;
		r = moat_dp_copy_start(dp, &cfg);
		if (r < 0) {
			fprintf(stderr, "ringbuf: copy start: %s\n", moat_dp_errmsg(dp));
			return r;
		}
		r = moat_dp_consumer_new(dp, 0, count_cb, &cc, &cc.c);
		if (r < 0) {
			fprintf(stderr, "ringbuf: consumer: %s\n", moat_dp_errmsg(dp));
			return r;
		}
		if (pthread_create(&th, NULL, consumer_main, &cc) != 0) {
			moat_dp_consumer_free(cc.c);
			return -EAGAIN;
		}
	}
	moat_dp_copy_stats(dp, -1, &s0);
	t0 = now_ns();
	for (unsigned long i = 0; i < a->packets; i++)
		if (sendto(sock, frames[i % 64], flen, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
		    (ssize_t)flen)
			sent++;
	t1 = now_ns();
	if (copy) {
		/* wait (bounded, 5 s) until every copied record was delivered */
		for (int i = 0; i < 500; i++) {
			moat_dp_copy_stats(dp, -1, &s1);
			if (atomic_load(&cc.delivered) >= s1.copied - s0.copied)
				break;
			usleep(10000);
		}
		atomic_store(&cc.stop, 1);
		pthread_join(th, NULL);
		moat_dp_consumer_free(cc.c);
		moat_dp_copy_stop(dp);
	}
	moat_dp_copy_stats(dp, -1, &s1);
	res->sent = sent;
	res->offered_pps = sent / ((t1 - t0) / 1e9);
	res->delivered = atomic_load(&cc.delivered);
	res->lost = s1.lost - s0.lost;
	res->copied_pps = copy && cc.last_ns > t0 ? res->delivered / ((cc.last_ns - t0) / 1e9) : 0;
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "packets", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "ring-bytes", required_argument, NULL, 'b' },
		{ 0 },
	};
	static const size_t sizes[] = { 64, 512, 1500 };
	struct args a = { .packets = 200000, .runs = 3, .ring_bytes = 8u << 20 };
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	struct moat_dp_opts o = { .no_pin = true,
				  .block_entries = 64,
				  .allow_entries = 16,
				  .l4_entries = 16,
				  .note_entries = 16,
				  .flow_entries = 4096,
				  .http_entries = 16 };
	struct moat_dp_attach_report rep;
	char err[512], cmd[256], ifa[16], ifb[16];
	uint8_t dmac[6] = { 0 };
	json_t *out, *arr;
	struct utsname un;
	int c, r, sock, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			a.packets = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			a.runs = atoi(optarg);
			break;
		case 'b':
			a.ring_bytes = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
				"usage: ringbuf [--packets N] [--runs N] [--ring-bytes B]\n");
			return 2;
		}
	}
	if (a.packets < 1 || a.packets > 10000000 || a.runs < 1 || a.runs > 50) {
		fprintf(stderr, "ringbuf: --packets 1..10000000, --runs 1..50\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "ringbuf: needs root\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "ringbuf: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	snprintf(ifa, sizeof(ifa), "rba%d", (int)getpid() % 100000);
	snprintf(ifb, sizeof(ifb), "rbb%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name %s && ip link set %s up && ip link set %s up",
		 ifa, ifb, ifa, ifb);
	if (system(cmd) != 0) {
		fprintf(stderr, "ringbuf: cannot create the veth pair\n");
		return 1;
	}
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ringbuf: open: %s\n", err);
		return 1;
	}
	r = moat_dp_attach(dp, ifa, MOAT_XDP_OFF, true, &rep);
	if (r < 0) {
		fprintf(stderr, "ringbuf: attach: %s\n", moat_dp_errmsg(dp));
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "/sys/class/net/%s/address", ifa);
	{
		FILE *f = fopen(cmd, "re");
		unsigned int m[6];

		if (f &&
		    fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6)
			for (int i = 0; i < 6; i++)
				dmac[i] = m[i];
		if (f)
			fclose(f);
	}
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (sock < 0) {
		fprintf(stderr, "ringbuf: packet socket: %s\n", strerror(errno));
		return 1;
	}
	out = json_object();
	arr = json_array();
	uname(&un);
	json_object_set_new(out, "benchmark", json_string("ringbuf"));
	json_object_set_new(out, "kernel", json_string(un.release));
	json_object_set_new(out, "cpus", json_integer(libbpf_num_possible_cpus()));
	json_object_set_new(out, "packets_per_run", json_integer(a.packets));
	json_object_set_new(out, "runs", json_integer(a.runs));
	json_object_set_new(out, "ring_bytes", json_integer(a.ring_bytes));
	json_object_set_new(out, "results", arr);
	for (size_t si = 0; si < ARRAY_SIZE(sizes) && !rc; si++) {
		json_t *row = json_object();
		static const char *const names[3] = { "baseline_no_copy", "ringbuf", "perfbuf" };

		json_object_set_new(row, "frame_bytes", json_integer(sizes[si]));
		for (int mode = 0; mode < 3 && !rc; mode++) {
			double off[50], cop[50];
			uint64_t lost = 0, delivered = 0, sent = 0;
			json_t *m = json_object();

			for (int i = 0; i < a.runs; i++) {
				struct run_result res = { 0 };

				fprintf(stderr, "ringbuf: %zu bytes, %s, run %d\n", sizes[si],
					names[mode], i + 1);
				if (one_run(dp, sock, if_nametoindex(ifb), dmac, sizes[si],
					    mode > 0,
					    mode == 2 ? MOAT_COPY_PERFBUF : MOAT_COPY_RINGBUF, &a,
					    &res) < 0) {
					rc = 1;
					break;
				}
				off[i] = res.offered_pps;
				cop[i] = res.copied_pps;
				lost += res.lost;
				delivered += res.delivered;
				sent += res.sent;
			}
			if (rc)
				break;
			json_object_set_new(m, "offered_pps", json_real(median(off, a.runs)));
			if (mode) {
				json_object_set_new(m, "copied_pps",
						    json_real(median(cop, a.runs)));
				json_object_set_new(m, "delivered", json_integer(delivered));
				json_object_set_new(m, "lost", json_integer(lost));
			}
			json_object_set_new(m, "sent", json_integer(sent));
			json_object_set_new(row, names[mode], m);
		}
		json_array_append_new(arr, row);
	}
	close(sock);
	moat_dp_detach(dp, ifa);
	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", ifa);
	if (system(cmd) != 0)
		fprintf(stderr, "ringbuf: could not delete %s\n", ifa);
	json_object_set_new(out, "complete", json_boolean(rc == 0));
	{
		char *s = json_dumps(out,
				     JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

		if (s)
			puts(s);
		free(s);
	}
	json_decref(out);
	return rc;
}
