// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for dpi/pcap_source.c: frames, timestamps, packet numbers, corrupt files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_source_reads_frames_in_order),
		cmocka_unit_test(test_pcap_source_truncated_record_names_packet),
		cmocka_unit_test(test_pcap_source_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
