/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A deterministic HTTP/1.1 capture generator for the benchmarks: complete TCP sessions
 * (handshake, 1-4 keep-alive requests, responses in MSS segments acknowledged every two
 * segments, FIN close), 256 flows interleaved, valid checksums, pcap (microseconds,
 * Ethernet). Addresses from 198.18.0.0/15.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct httpgen_opts {
	uint64_t target_bytes; /* file size to reach (then every open flow is finished) */
	/* false: one repeated body text and 8 URIs (the DPI benchmark's traffic); true: URIs,
	 * query strings, user agents and body words drawn from larger lists, so detection
	 * benchmarks see varied bytes rather than one pattern */
	bool varied;
};

struct httpgen_stats {
	uint64_t bytes, pkts, flows, requests;
};

/* Write the capture to PATH (fsynced). Returns 0 or -errno. */
int httpgen_write(const char *path, const struct httpgen_opts *opts, struct httpgen_stats *ret);
