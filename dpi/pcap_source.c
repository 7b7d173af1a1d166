// SPDX-License-Identifier: GPL-2.0-only
/* Offline packet source over libpcap (pcap and pcapng, microsecond timestamps). */
#include "pcap_source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* stdio buffer of the capture file: glibc's default is st_blksize (4 KiB), one read(2) per
 * 4 KiB; 128 KiB halves the kernel side of reading (measured on a 1.1 GiB capture). Note
 * setvbuf(f, NULL, ...) would keep the 4 KiB default: glibc ignores the size without a
 * buffer, so we pass our own. */
#define READ_BUF_SIZE (128 * 1024)

struct pcap_source {
	pcap_t *p;
	char *rbuf; /* the FILE's buffer: freed after pcap_close() closed the FILE */
	int linktype;
	bool done;
	uint64_t pkt_num;
	struct pcap_source_stats st;
};

int pcap_source_open(const char *path, struct pcap_source **ret_s, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char *rbuf = NULL;
	struct pcap_source *s;
	pcap_t *p;

	if (strcmp(path, "-") == 0) {
		p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
							    ebuf);
	} else {
		/* our own FILE with a READ_BUF_SIZE buffer: libpcap's reads of each record then
		 * cost a memcpy instead of a read(2) every few records */
		FILE *f = fopen(path, "rb");

		if (!f) {
			int e = errno;

			snprintf(err, errlen, "%s", strerror(e));
			return -e;
		}
		rbuf = malloc(READ_BUF_SIZE);
		if (rbuf)
			setvbuf(f, rbuf, _IOFBF, READ_BUF_SIZE);
		p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (!p) {
			fclose(f);
			free(rbuf);
			rbuf = NULL;
		}
	}
	if (!p) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : "cannot read the capture");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		pcap_close(p);
		free(rbuf);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->p = p;
	s->rbuf = rbuf;
	s->linktype = pcap_datalink(p);
	*ret_s = s;
	return 0;
}

int pcap_source_next(struct pcap_source *s, struct pcap_frame *ret_f, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	if (s->done)
		return 0;
	r = pcap_next_ex(s->p, &h, &data);
	if (r == PCAP_ERROR_BREAK) {
		s->done = true;
		return 0;
	}
	if (r != 1) {
		/* a short or corrupt record: libpcap names the problem; the record that failed
		 * is the next one */
		s->done = true;
		s->st.read_errors++;
		snprintf(err, errlen, "packet %llu: %s", (unsigned long long)s->pkt_num + 1,
			 pcap_geterr(s->p));
		return -EIO;
	}
	s->pkt_num++;
	s->st.records++;
	s->st.bytes += h->caplen;
	if (h->caplen < h->len)
		s->st.snapped++;
	ret_f->data = data;
	ret_f->caplen = h->caplen;
	ret_f->wirelen = h->len;
	ret_f->ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
	ret_f->pkt_num = s->pkt_num;
	ret_f->linktype = s->linktype;
	return 1;
}

int pcap_source_linktype(const struct pcap_source *s)
{
	return s->linktype;
}

const struct pcap_source_stats *pcap_source_stats(const struct pcap_source *s)
{
	return &s->st;
}

void pcap_source_close(struct pcap_source *s)
{
	if (!s)
		return;
	pcap_close(s->p);
	free(s->rbuf);
	free(s);
}
