// SPDX-License-Identifier: GPL-2.0-only
/*
 * Offline packet source over libpcap (pcap and pcapng, microsecond timestamps).
 *
 * Fast path: libpcap's savefile reader copies every record twice (read(2) from the page
 * cache into the stdio buffer, fread into its packet buffer), a third of an offline run
 * with no rules. For the common case -- a regular file in classic pcap format 2.4, written
 * in this machine's byte order, with a link type whose records libpcap hands out unchanged
 * -- we map the file in windows and hand out pointers into the page cache instead. libpcap
 * has no mapped reader, so this walk over the 16-byte record headers is ours. It only takes
 * records libpcap would return exactly as stored (caplen within the snap length, the whole
 * record inside the file); at the first record that is anything else it seeks libpcap's
 * FILE to that record and libpcap reads (or reports) the rest, so truncated and corrupt
 * files keep libpcap's behaviour and messages. pcapng, stdin, pipes and other byte orders
 * always go through libpcap.
 */
#include "pcap_source.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* stdio buffer of the capture file: glibc's default is st_blksize (4 KiB), one read(2) per
 * 4 KiB; 128 KiB halves the kernel side of reading (measured on a 1.1 GiB capture). Note
 * setvbuf(f, NULL, ...) would keep the 4 KiB default: glibc ignores the size without a
 * buffer, so we pass our own. */
#define READ_BUF_SIZE (128 * 1024)

/* mapped window: bounds the file pages mapped (and counted in RSS) at once; must hold the
 * largest record (16-byte header + libpcap's largest snap length, 256 KiB) */
#define MAP_WINDOW (8u << 20)
#define REC_HDR 16

struct pcap_source {
	pcap_t *p;
	char *rbuf; /* the FILE's buffer: freed after pcap_close() closed the FILE */
	int linktype;
	bool done;
	uint64_t pkt_num;
	struct pcap_source_stats st;
	/* mapped fast path (fast == false: every record through libpcap) */
	bool fast;
	bool nano; /* nanosecond timestamps in the file */
	int fd; /* the FILE's descriptor (closed by pcap_close) */
	uint32_t snaplen;
	uint64_t file_size;
	uint64_t off; /* file offset of the next record */
	const uint8_t *map;
	uint64_t map_off;
	size_t map_len;
};

/* Link types whose records libpcap returns as stored when the file is in host byte order
 * (pcap_post_process() only rewrites USB headers there): the ones decode.c reads. */
static bool linktype_plain(int dlt)
{
	switch (dlt) {
	case 0: /* NULL */
	case 1: /* EN10MB */
	case 12: /* RAW (Linux) */
	case 14: /* RAW (OpenBSD) */
	case 101: /* LINKTYPE_RAW */
	case 113: /* LINUX_SLL */
	case 228: /* IPV4 */
	case 229: /* IPV6 */
	case 276: /* LINUX_SLL2 */
		return true;
	default:
		return false;
	}
}

static void fast_setup(struct pcap_source *s, FILE *f)
{
	uint32_t gh[6];
	struct stat st;
	int fd = fileno(f);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (pread(fd, gh, sizeof(gh), 0) != (ssize_t)sizeof(gh))
		return;
	/* the magic read in host order: classic pcap written by this byte order (not the
	 * modified-Linux 0xa1b2cd34 format with its longer record header) */
	if (gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d)
		return;
	if (pcap_is_swapped(s->p) || pcap_major_version(s->p) != 2 ||
	    pcap_minor_version(s->p) != 4 || !linktype_plain(s->linktype) ||
	    pcap_snapshot(s->p) <= 0)
		return;
	s->fast = true;
	s->nano = gh[0] == 0xa1b23c4d;
	s->fd = fd;
	s->snaplen = (uint32_t)pcap_snapshot(s->p); /* libpcap caps it for the link type */
	s->file_size = (uint64_t)st.st_size;
	s->off = sizeof(gh);
}

static void unmap(struct pcap_source *s)
{
	if (s->map)
		munmap((void *)s->map, s->map_len);
	s->map = NULL;
	s->map_len = 0;
}

/* Make [off, off + len) addressable by moving the window; false when mapping fails. */
static bool map_move(struct pcap_source *s, uint64_t off, size_t len)
{
	struct stat st;
	uint64_t base;
	size_t n;
	void *m;

	unmap(s);
	/* a file cut since the last window is read only up to its new end (libpcap reports
	 * the cut record): pages past the end of a file fault when touched */
	if (fstat(s->fd, &st) < 0)
		return false;
	if ((uint64_t)st.st_size < s->file_size)
		s->file_size = (uint64_t)st.st_size;
	base = off & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	if (off + len > s->file_size)
		return false;
	n = s->file_size - base < MAP_WINDOW ? (size_t)(s->file_size - base) : MAP_WINDOW;
	if (off + len > base + n)
		return false;
	/* populated up front: one call instead of a page fault every 64 KiB */
	m = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, s->fd, (off_t)base);
	if (m == MAP_FAILED)
		return false;
	s->map = m;
	s->map_off = base;
	s->map_len = n;
	s->st.windows_mapped++;
	return true;
}

/* Make [off, off + len) addressable; false when mapping fails. The test inline: it runs
 * twice per record (2% of an offline run's instructions as a call). */
static inline bool map_range(struct pcap_source *s, uint64_t off, size_t len)
{
	if (s->map && off >= s->map_off && off + len <= s->map_off + s->map_len)
		return true;
	return map_move(s, off, len);
}

static inline uint32_t rd32_host(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/*
 * Ask for the bytes PREFETCH_DIST ahead of the reader, as many as it just consumed: the
 * frames are first touched by the checksum, which then waits on memory for every line;
 * fetched a few records early they arrive while the previous ones are inspected. 4 KiB
 * (about four records of an HTTP capture) beat 16 KiB, 8 KiB, 2 KiB and none on moatd's
 * CPU time (dpi_offline capture, 8 alternating runs each: median 0.70 s against 0.77 s at
 * 16 KiB, 0.84 s without; the machine shared, so only the ordering is firm).
 */
#define PREFETCH_DIST (4u << 10)

static inline void prefetch_ahead(const struct pcap_source *s, size_t n)
{
	uint64_t from = s->off + PREFETCH_DIST - s->map_off;

	if (from >= s->map_len)
		return;
	if (n > s->map_len - from)
		n = (size_t)(s->map_len - from);
	for (size_t i = 0; i < n; i += 64)
		__builtin_prefetch(s->map + from + i);
}

/* The next record from the mapping: 1, or 0 when it is not one we take (libpcap reads it). */
static int fast_next(struct pcap_source *s, struct pcap_frame *ret_f)
{
	const uint8_t *h;
	uint32_t caplen, sub;

	if (s->off + REC_HDR > s->file_size || !map_range(s, s->off, REC_HDR))
		return 0;
	h = s->map + (s->off - s->map_off);
	caplen = rd32_host(h + 8);
	if (caplen > s->snaplen || s->off + REC_HDR + caplen > s->file_size ||
	    !map_range(s, s->off, REC_HDR + (size_t)caplen))
		return 0;
	h = s->map + (s->off - s->map_off); /* map_range may have moved the window */
	sub = rd32_host(h + 4);
	ret_f->data = h + REC_HDR;
	ret_f->caplen = caplen;
	ret_f->wirelen = rd32_host(h + 12);
	/* as libpcap opened with PCAP_TSTAMP_PRECISION_MICRO reports it */
	ret_f->ts_us = (uint64_t)rd32_host(h) * 1000000 + (s->nano ? sub / 1000 : sub);
	s->off += REC_HDR + (uint64_t)caplen;
	s->st.records_mapped++;
	prefetch_ahead(s, REC_HDR + (size_t)caplen);
	return 1;
}

/* Leave the fast path at s->off: libpcap reads from there on. */
static int fast_leave(struct pcap_source *s, char *err, size_t errlen)
{
	FILE *f = pcap_file(s->p);

	s->fast = false;
	unmap(s);
	if (!f || fseeko(f, (off_t)s->off, SEEK_SET) < 0) {
		s->done = true;
		s->st.read_errors++;
		snprintf(err, errlen, "packet %llu: cannot seek to offset %llu",
			 (unsigned long long)s->pkt_num + 1, (unsigned long long)s->off);
		return -EIO;
	}
	return 0;
}

int pcap_source_open(const char *path, struct pcap_source **ret_s, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char *rbuf = NULL;
	struct pcap_source *s;
	FILE *f = NULL;
	pcap_t *p;

	if (strcmp(path, "-") == 0) {
		p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
							    ebuf);
	} else {
		/* our own FILE with a READ_BUF_SIZE buffer: libpcap's reads of each record then
		 * cost a memcpy instead of a read(2) every few records */
		f = fopen(path, "rb");
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
	s->fd = -1;
	if (f && !getenv("MOAT_PCAP_NO_MMAP"))
		fast_setup(s, f);
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
	if (s->fast) {
		if (fast_next(s, ret_f) == 1)
			goto got;
		r = fast_leave(s, err, errlen);
		if (r < 0)
			return r;
	}
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
	ret_f->data = data;
	ret_f->caplen = h->caplen;
	ret_f->wirelen = h->len;
	ret_f->ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
got:
	s->pkt_num++;
	s->st.records++;
	s->st.bytes += ret_f->caplen;
	if (ret_f->caplen < ret_f->wirelen)
		s->st.snapped++;
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
	unmap(s);
	pcap_close(s->p);
	free(s->rbuf);
	free(s);
}
