// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for dpi/pcap_source.c: frames, timestamps, packet numbers, corrupt files. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "dpi/pcap_source.h"

struct rec_hdr {
	uint32_t sec, usec, caplen, len;
};

/* Write a little-endian pcap (linktype 1) with `n` records of sizes 60, 61, ...; when
 * `cut` > 0 the last record's header promises `cut` more bytes than are written. */
static void write_pcap(const char *path, unsigned int n, size_t cut, uint32_t linktype)
{
	FILE *f = fopen(path, "wb");
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, linktype };
	uint8_t frame[128];

	assert_non_null(f);
	assert_int_equal(fwrite(gh, sizeof(gh), 1, f), 1);
	for (unsigned int i = 0; i < n; i++) {
		struct rec_hdr h = { 1700000000 + i, 250000 + i, 60 + i, 60 + i + (i == 1) };

		memset(frame, (int)i, sizeof(frame));
		if (cut && i == n - 1)
			h.caplen += (uint32_t)cut, h.len += (uint32_t)cut;
		assert_int_equal(fwrite(&h, sizeof(h), 1, f), 1);
		assert_int_equal(fwrite(frame, 60 + i, 1, f), 1);
	}
	fclose(f);
}

static void test_pcap_source_reads_frames_in_order(void **state)
{
	char path[] = "/tmp/test_pcap_src_XXXXXX";
	int fd = mkstemp(path);
	struct pcap_source *s = NULL;
	struct pcap_frame fr;
	char err[256];

	(void)state;
	close(fd);
	write_pcap(path, 3, 0, 113);
	assert_int_equal(pcap_source_open(path, &s, err, sizeof(err)), 0);
	assert_int_equal(pcap_source_linktype(s), 113);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), 1);
		assert_int_equal(fr.pkt_num, i + 1);
		assert_int_equal(fr.caplen, 60 + i);
		assert_int_equal(fr.ts_us, (1700000000ULL + i) * 1000000 + 250000 + i);
		assert_int_equal(fr.data[0], i);
		assert_int_equal(fr.linktype, 113);
	}
	assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), 0);
	assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), 0);
	assert_int_equal(pcap_source_stats(s)->records, 3);
	assert_int_equal(pcap_source_stats(s)->snapped, 1);
	assert_int_equal(pcap_source_stats(s)->records_mapped, 3);
	pcap_source_close(s);
	unlink(path);
}

static void test_pcap_source_truncated_record_names_packet(void **state)
{
	char path[] = "/tmp/test_pcap_src_XXXXXX";
	int fd = mkstemp(path);
	struct pcap_source *s = NULL;
	struct pcap_frame fr;
	char err[256];

	(void)state;
	close(fd);
	write_pcap(path, 4, 100, 1);
	assert_int_equal(pcap_source_open(path, &s, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), 1);
	assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "packet 4: "));
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), 0);
	assert_int_equal(pcap_source_stats(s)->read_errors, 1);
	/* three records mapped, then libpcap reads (and names) the cut one */
	assert_int_equal(pcap_source_stats(s)->records_mapped, 3);
	pcap_source_close(s);
	unlink(path);
}

static void test_pcap_source_open_errors(void **state)
{
	char path[] = "/tmp/test_pcap_src_XXXXXX";
	int fd = mkstemp(path);
	struct pcap_source *s = NULL;
	char err[256];

	(void)state;
	assert_int_equal(write(fd, "not a pcap file at all", 22), 22);
	close(fd);
	assert_int_equal(pcap_source_open("/nonexistent/x.pcap", &s, err, sizeof(err)), -ENOENT);
	assert_true(strlen(err) > 0);
	assert_true(pcap_source_open(path, &s, err, sizeof(err)) < 0);
	assert_null(s);
	assert_true(strlen(err) > 0);
	unlink(path);
}

/* Write a pcap with `n` records of 60..1573 bytes of varied content. magic: 0xa1b2c3d4
 * (µs) or 0xa1b23c4d (ns); big_endian writes the file in the other byte order; the record
 * numbered `odd` (if < n) gets caplen = snaplen + 50 (more than the header's snap length). */
static void write_pcap_big(const char *path, unsigned int n, uint32_t magic, bool big_endian,
			   uint32_t snaplen, unsigned int odd)
{
	FILE *f = fopen(path, "wb");
	uint32_t gh[6] = { magic, 0x00040002, 0, 0, snaplen, 1 };
	static uint8_t frame[2048];

	assert_non_null(f);
	if (big_endian) {
		for (int i = 0; i < 6; i++)
			gh[i] = __builtin_bswap32(gh[i]);
		gh[1] = 0x04000200; /* bytes 00 02 00 04: version 2.4 as two big-endian u16 */
	}
	assert_int_equal(fwrite(gh, sizeof(gh), 1, f), 1);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t cap = 60 + (i * 7919) % 1514;
		uint32_t h[4] = { 1700000000 + i / 1000, (i * 997) % 1000000, cap, cap + i % 3 };

		if (magic == 0xa1b23c4d)
			h[1] = (i * 999983) % 1000000000;
		if (i == odd)
			h[2] = cap = snaplen + 50, h[3] = cap;
		for (uint32_t k = 0; k < cap; k++)
			frame[k] = (uint8_t)(i * 31 + k);
		if (big_endian)
			for (int k = 0; k < 4; k++)
				h[k] = __builtin_bswap32(h[k]);
		assert_int_equal(fwrite(h, sizeof(h), 1, f), 1);
		assert_int_equal(fwrite(frame, cap, 1, f), 1);
	}
	fclose(f);
}

/* Read PATH through pcap_source and through a plain libpcap loop; every frame, return
 * code and the end must agree. Returns the source's records_mapped. */
static uint64_t compare_with_libpcap(const char *path, uint64_t *ret_windows)
{
	char err[256], ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p =
		pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	struct pcap_source *s = NULL;
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0, mapped;
	int r, rs;

	assert_non_null(p);
	assert_int_equal(pcap_source_open(path, &s, err, sizeof(err)), 0);
	assert_int_equal(pcap_source_linktype(s), pcap_datalink(p));
	for (;;) {
		struct pcap_frame fr;

		r = pcap_next_ex(p, &h, &d);
		rs = pcap_source_next(s, &fr, err, sizeof(err));
		if (r != 1)
			break;
		n++;
		assert_int_equal(rs, 1);
		assert_int_equal(fr.pkt_num, n);
		assert_int_equal(fr.caplen, h->caplen);
		assert_int_equal(fr.wirelen, h->len);
		assert_int_equal(fr.ts_us,
				 (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec);
		assert_memory_equal(fr.data, d, h->caplen);
	}
	assert_int_equal(r, PCAP_ERROR_BREAK);
	assert_int_equal(rs, 0);
	assert_int_equal(pcap_source_stats(s)->records, n);
	assert_int_equal(pcap_source_stats(s)->read_errors, 0);
	mapped = pcap_source_stats(s)->records_mapped;
	*ret_windows = pcap_source_stats(s)->windows_mapped;
	pcap_source_close(s);
	pcap_close(p);
	return mapped;
}

/* 20000 records (~15 MiB): several mapped windows, records across their edges */
static void test_pcap_source_mapped_equals_libpcap(void **state)
{
	char path[] = "/tmp/test_pcap_src_XXXXXX";
	int fd = mkstemp(path);
	uint64_t windows;

	(void)state;
	close(fd);
	write_pcap_big(path, 20000, 0xa1b2c3d4, false, 65535, UINT32_MAX);
	assert_int_equal(compare_with_libpcap(path, &windows), 20000);
	assert_true(windows >= 2);
	/* nanosecond file: timestamps scaled to µs as libpcap does */
	write_pcap_big(path, 3000, 0xa1b23c4d, false, 65535, UINT32_MAX);
	assert_int_equal(compare_with_libpcap(path, &windows), 3000);
	/* the same bytes through libpcap only */
	setenv("MOAT_PCAP_NO_MMAP", "1", 1);
	assert_int_equal(compare_with_libpcap(path, &windows), 0);
	unsetenv("MOAT_PCAP_NO_MMAP");
	unlink(path);
}

/* Files the mapping does not take, entirely or from one record on, read as libpcap reads
 * them. */
static void test_pcap_source_mapped_hands_over(void **state)
{
	char path[] = "/tmp/test_pcap_src_XXXXXX";
	int fd = mkstemp(path);
	uint64_t windows;

	(void)state;
	close(fd);
	/* other byte order: libpcap from the start */
	write_pcap_big(path, 500, 0xa1b2c3d4, true, 65535, UINT32_MAX);
	assert_int_equal(compare_with_libpcap(path, &windows), 0);
	/* record 300 (0-based) bigger than the snap length: libpcap from there on */
	write_pcap_big(path, 500, 0xa1b2c3d4, false, 1600, 300);
	assert_int_equal(compare_with_libpcap(path, &windows), 300);
	unlink(path);
}

/* A file cut while it is read (past the current window): read up to the cut, and the cut
 * record reported by libpcap, never a fault on the pages past the new end. */
static void test_pcap_source_mapped_file_cut_while_read(void **state)
{
	char path[] = "/tmp/test_pcap_src_XXXXXX";
	int fd = mkstemp(path);
	struct pcap_source *s = NULL;
	struct pcap_frame fr;
	uint64_t off = 24, cut_rec = 0;
	char err[256];
	int r;

	(void)state;
	close(fd);
	write_pcap_big(path, 20000, 0xa1b2c3d4, false, 65535, UINT32_MAX);
	/* the first record starting past 10 MiB (beyond the first 8 MiB window) */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	while (off < (10u << 20)) {
		uint32_t h[4];

		assert_int_equal(pread(fd, h, sizeof(h), (off_t)off), sizeof(h));
		off += sizeof(h) + h[2];
		cut_rec++;
	}
	assert_int_equal(pcap_source_open(path, &s, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pcap_source_next(s, &fr, err, sizeof(err)), 1);
	assert_int_equal(ftruncate(fd, (off_t)off + 20), 0); /* inside record cut_rec + 1 */
	close(fd);
	while ((r = pcap_source_next(s, &fr, err, sizeof(err))) == 1)
		;
	assert_int_equal(r, -EIO);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(pcap_source_stats(s)->records, cut_rec);
	assert_true(pcap_source_stats(s)->records_mapped > 100);
	pcap_source_close(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_source_reads_frames_in_order),
		cmocka_unit_test(test_pcap_source_truncated_record_names_packet),
		cmocka_unit_test(test_pcap_source_open_errors),
		cmocka_unit_test(test_pcap_source_mapped_equals_libpcap),
		cmocka_unit_test(test_pcap_source_mapped_hands_over),
		cmocka_unit_test(test_pcap_source_mapped_file_cut_while_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
