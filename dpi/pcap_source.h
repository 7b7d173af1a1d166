/* SPDX-License-Identifier: GPL-2.0-only */
/* Offline packet source: reads pcap/pcapng files with libpcap and hands frames with link
 * type, microsecond timestamp and 1-based packet number to the worker. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct pcap_frame {
	const uint8_t *data; /* valid until the next pcap_source_next() */
	size_t caplen; /* captured bytes */
	size_t wirelen; /* original length on the wire */
	uint64_t ts_us;
	uint64_t pkt_num; /* 1-based record number in the file */
	int linktype; /* LINKTYPE_* / DLT_* of the file (pcap_datalink) */
};

struct pcap_source_stats {
	uint64_t records; /* frames returned */
	uint64_t bytes; /* captured bytes returned */
	uint64_t snapped; /* records cut by the snap length (caplen < wirelen) */
	uint64_t read_errors; /* records libpcap could not read (file ends there) */
	uint64_t records_mapped; /* of records: read from the mapped file, not through libpcap */
	uint64_t windows_mapped; /* mmap() windows of the fast path */
};

struct pcap_source;

/* Open PATH ("-" = stdin). Returns 0 or -errno with a message in ERR (libpcap's text).
 * A regular classic-pcap file in host byte order is read through a mapping of the file
 * (records_mapped counts them; environment MOAT_PCAP_NO_MMAP set turns that off). A file
 * cut while it is read is read up to the cut (its size is checked at every 8 MiB window);
 * a cut inside the window being read faults (SIGBUS), as with any mapped file. */
int pcap_source_open(const char *path, struct pcap_source **ret_s, char *err, size_t errlen);
/* Next frame: 1 with *ret_f filled, 0 at the end of the file, -EIO when a record cannot be
 * read (truncated or corrupt file): ERR holds "packet N: reason" and the source is at its
 * end (libpcap cannot resynchronise inside a savefile). */
int pcap_source_next(struct pcap_source *s, struct pcap_frame *ret_f, char *err, size_t errlen);
int pcap_source_linktype(const struct pcap_source *s);
const struct pcap_source_stats *pcap_source_stats(const struct pcap_source *s);
void pcap_source_close(struct pcap_source *s);
