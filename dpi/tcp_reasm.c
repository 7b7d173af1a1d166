/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP session tracking and stream reassembly: handshake, ordering, overlaps, gaps, depth. */
#include "tcp_reasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "decode.h"
#include "flow.h"

/* Hand-written: libnids is the only C library for this in Debian and it owns the capture
 * loop, has no target-based overlap policies, no depth and no gap signalling. */

/*
 * Out-of-order data lives in a sorted list of non-overlapping segments whose positions are
 * 64-bit stream offsets (offset 0 = base sequence), so sequence wrap-around only matters
 * where a wire sequence number is turned into an offset (seq_off()). Each segment remembers
 * the bounds of the packet that brought it (orig_*), which the overlap policy compares.
 * In-order data with nothing queued is handed to the app straight from the packet.
 */
struct tcp_segment {
	struct tcp_segment *next;
	uint64_t start, end; /* stream offsets [start, end) */
	uint64_t orig_start, orig_end; /* the bringing packet's bounds */
	uint8_t data[];
};

#define MAX_WINDOW (1u << 30) /* data further than this from next_seq is ignored */

static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void tcp_reasm_config_init(struct tcp_reasm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->midstream = false;
	cfg->async_oneside = false;
	cfg->policy = TCP_OVERLAP_BSD;
	cfg->depth = 1u << 20;
	cfg->memcap = 64u << 20;
	cfg->max_queued_segments = 4096;
}

void tcp_reasm_init(struct tcp_reasm *r, const struct tcp_reasm_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	if (r->cfg.max_queued_segments == 0)
		r->cfg.max_queued_segments = 1;
}

void tcp_reasm_done(struct tcp_reasm *r)
{
	(void)r;
}

static void seg_free(struct tcp_reasm *r, struct tcp_stream *st, struct tcp_segment *s)
{
	r->st.mem_used -= sizeof(*s) + (s->end - s->start);
	st->nseg--;
	free(s);
}

static void stream_clear(struct tcp_reasm *r, struct tcp_stream *st)
{
	while (st->segs) {
		struct tcp_segment *s = st->segs;

		st->segs = s->next;
		seg_free(r, st, s);
	}
}

void tcp_reasm_session_done(struct tcp_reasm *r, struct tcp_session *s)
{
	stream_clear(r, &s->s[0]);
	stream_clear(r, &s->s[1]);
	memset(s, 0, sizeof(*s));
}

int tcp_reasm_client_side(const struct packet *p)
{
	uint8_t fl = p->tcp.flags;

	if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		return 0;
	if ((fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		return 1;
	/* midstream: a packet from a well-known port to an ephemeral one is a reply */
	if (p->sport < 1024 && p->dport >= 1024)
		return 1;
	return 0;
}

/* Hand data to the app, honouring the depth. Advances the stream. */
static void deliver(struct tcp_reasm *r, struct tcp_stream *st, int dir, const uint8_t *data,
		    uint64_t len, bool gap, uint64_t ts, const struct app_ops *ops, struct flow *f)
{
	unsigned int flags = gap ? APP_STREAM_GAP : 0;

	if (st->depth_reached || len == 0)
		return;
	if (r->cfg.depth && st->delivered + len >= r->cfg.depth) {
		len = r->cfg.depth - st->delivered;
		flags |= APP_STREAM_DEPTH;
		st->depth_reached = true;
		r->st.depth_reached++;
	}
	if (gap) {
		r->st.gaps++;
		r->st.gap_bytes += len;
	}
	st->delivered += len;
	st->next_seq += (uint32_t)len;
	if (ops && ops->stream && (len || (flags & APP_STREAM_DEPTH)))
		ops->stream(ops->ctx, f, dir, gap ? NULL : data, (size_t)len, flags, ts);
	if (st->depth_reached)
		stream_clear(r, st);
}

static void send_eof(struct tcp_stream *st, int dir, uint64_t ts, const struct app_ops *ops,
		     struct flow *f)
{
	if (st->eof_sent)
		return;
	st->eof_sent = true;
	if (ops && ops->stream)
		ops->stream(ops->ctx, f, dir, NULL, 0, APP_STREAM_EOF, ts);
}

/* Deliver queued segments that are now in order. */
static void drain(struct tcp_reasm *r, struct tcp_stream *st, int dir, uint64_t ts,
		  const struct app_ops *ops, struct flow *f)
{
	while (st->segs && !st->depth_reached) {
		struct tcp_segment *s = st->segs;

		if (s->start > st->delivered)
			break;
		if (s->end > st->delivered)
			deliver(r, st, dir, s->data + (st->delivered - s->start),
				s->end - st->delivered, false, ts, ops, f);
		if (st->segs == s) { /* deliver() may have cleared the queue at depth */
			st->segs = s->next;
			seg_free(r, st, s);
		}
	}
	if (st->fin_seen && st->next_seq == st->fin_seq && !st->segs)
		send_eof(st, dir, ts, ops, f);
}

/* Skip the hole before the first queued segment (or up to `upto` when nothing is queued
 * before it) as a gap, then drain. */
static void skip_to(struct tcp_reasm *r, struct tcp_stream *st, int dir, uint64_t upto, uint64_t ts,
		    const struct app_ops *ops, struct flow *f)
{
	while (st->delivered < upto && !st->depth_reached) {
		uint64_t hole_end = upto;

		if (st->segs && st->segs->start < hole_end)
			hole_end = st->segs->start;
		if (hole_end > st->delivered)
			deliver(r, st, dir, NULL, hole_end - st->delivered, true, ts, ops, f);
		drain(r, st, dir, ts, ops, f);
	}
	drain(r, st, dir, ts, ops, f);
}

static bool new_wins(enum tcp_overlap_policy pol, const struct tcp_segment *o, uint64_t ns,
		     uint64_t ne)
{
	switch (pol) {
	case TCP_OVERLAP_LAST:
		return true;
	case TCP_OVERLAP_BSD:
		return ns < o->orig_start;
	case TCP_OVERLAP_LINUX:
		return ns < o->orig_start || (ns == o->orig_start && ne > o->orig_end);
	case TCP_OVERLAP_FIRST:
	default:
		return false;
	}
}

/* Queue one piece [start, end) of a new segment before *link. Returns false if refused. */
static bool queue_piece(struct tcp_reasm *r, struct tcp_stream *st, int dir,
			struct tcp_segment **link, uint64_t start, uint64_t end,
			const uint8_t *data, uint64_t ns, uint64_t ne)
{
	uint64_t len = end - start;
	struct tcp_segment *s;

	if (st->nseg >= r->cfg.max_queued_segments) {
		r->st.queue_limit_hits++;
		return false;
	}
	if (r->st.mem_used + sizeof(*s) + len > r->cfg.memcap) {
		r->st.memcap_hits++;
		return false;
	}
	s = malloc(sizeof(*s) + len);
	if (!s) {
		r->st.memcap_hits++;
		return false;
	}
	s->start = start;
	s->end = end;
	s->orig_start = ns;
	s->orig_end = ne;
	memcpy(s->data, data, len);
	s->next = *link;
	*link = s;
	st->nseg++;
	r->st.mem_used += sizeof(*s) + len;
	if (r->st.mem_used > r->st.mem_peak)
		r->st.mem_peak = r->st.mem_used;
	(void)dir;
	return true;
}

/* Insert [ns, ne) into the queue, resolving overlaps with queued data by the policy.
 * Returns false if a piece was refused (cap). */
static bool insert(struct tcp_reasm *r, struct tcp_stream *st, int dir, uint64_t ns, uint64_t ne,
		   const uint8_t *data)
{
	struct tcp_segment **link = &st->segs;
	uint64_t pos = ns;
	bool ok = true, counted = false;

	while (*link && pos < ne) {
		struct tcp_segment *e = *link;
		uint64_t oend;

		if (e->end <= pos) {
			link = &e->next;
			continue;
		}
		if (e->start >= ne)
			break;
		if (pos < e->start) {
			if (!queue_piece(r, st, dir, link, pos, e->start, data + (pos - ns), ns,
					 ne))
				ok = false;
			else
				link = &(*link)->next;
			pos = e->start;
		}
		oend = ne < e->end ? ne : e->end;
		if (!counted) {
			r->st.overlaps++;
			counted = true;
		}
		if (memcmp(e->data + (pos - e->start), data + (pos - ns), oend - pos) != 0) {
			r->st.overlaps_diff++;
			if (new_wins(r->cfg.policy, e, ns, ne))
				memcpy(e->data + (pos - e->start), data + (pos - ns), oend - pos);
		}
		pos = oend;
		link = &e->next;
	}
	if (pos < ne && !queue_piece(r, st, dir, link, pos, ne, data + (pos - ns), ns, ne))
		ok = false;
	return ok;
}

/* New data of direction `dir` at wire sequence `seq`. */
static void stream_data(struct tcp_reasm *r, struct tcp_stream *st, int dir, uint32_t seq,
			const uint8_t *data, uint32_t len, uint64_t ts, const struct app_ops *ops,
			struct flow *f)
{
	int32_t off;
	uint64_t ns, ne;

	if (len == 0 || st->depth_reached || st->eof_sent)
		return;
	r->st.segments++;
	off = seq_diff(seq, st->next_seq);
	if (off < 0) {
		if ((int64_t)off + len <= 0) {
			r->st.retransmissions++;
			return;
		}
		/* delivered bytes cannot change any more: the part before next_seq goes */
		r->st.overlaps++;
		data += -(int64_t)off;
		len -= (uint32_t) - (int64_t)off;
		off = 0;
	}
	if ((uint32_t)off > MAX_WINDOW) {
		r->st.out_of_window++;
		return;
	}
	if (off == 0 && !st->segs) {
		r->st.in_order++;
		deliver(r, st, dir, data, len, false, ts, ops, f);
		if (st->fin_seen && st->next_seq == st->fin_seq)
			send_eof(st, dir, ts, ops, f);
		return;
	}
	ns = st->delivered + (uint32_t)off;
	ne = ns + len;
	if (r->cfg.depth && ns >= r->cfg.depth)
		return; /* entirely past the depth: never needed */
	r->st.queued++;
	if (!insert(r, st, dir, ns, ne, data) && st->segs && st->segs->start > st->delivered) {
		/* a cap was hit: give up on the oldest hole of this stream so that its queue
		 * drains and memory comes back, then try once more */
		skip_to(r, st, dir, st->segs->start, ts, ops, f);
		/* skipping may have reached the FIN (EOF sent) or the depth: then the rest
		 * of this segment is past the end and must not be queued */
		if (ne > st->delivered && !st->eof_sent && !st->depth_reached) {
			uint64_t s0 = ns > st->delivered ? ns : st->delivered;

			insert(r, st, dir, s0, ne, data + (s0 - ns));
		}
	}
	drain(r, st, dir, ts, ops, f);
}

/* How far beyond a stream's next byte a peer may legitimately be: its advertised window,
 * at least 64 KiB (windows may be stale). */
static uint32_t window_slack(const struct tcp_stream *st)
{
	/* without this side's SYN the window scale is unknown: up to 2^14 times the raw
	 * value, so only the generic bound holds (midstream pickups) */
	if (!st->has_isn)
		return MAX_WINDOW;
	return st->window > 65535 ? st->window : 65535;
}

/* An RST is believed when its sequence lies within the receiver's window of the sender's
 * next byte (RFC 5961 asks for an exact match; a passive observer that may have missed
 * data accepts the window). */
static bool rst_in_window(const struct tcp_session *s, const struct tcp_stream *snd,
			  const struct tcp_stream *rcv, const struct packet *p)
{
	int32_t d;

	if (!snd->has_base)
		return true;
	d = seq_diff(p->tcp.seq, snd->next_seq);
	return d >= -1 && (uint32_t)(d < 0 ? 0 : d) <= window_slack(rcv);
}

/* `acker` acknowledged up to `ack` of stream `st`: bytes before it we never got are lost.
 * An ACK further ahead than the acker's own window allows is not believed. */
static void ack_gap(struct tcp_reasm *r, const struct tcp_stream *acker, struct tcp_stream *st,
		    int dir, uint32_t ack, uint64_t ts, const struct app_ops *ops, struct flow *f)
{
	int32_t d;

	if (!st->has_base || st->depth_reached || st->eof_sent)
		return;
	if (st->fin_seen && seq_diff(ack, st->fin_seq) > 0)
		ack = st->fin_seq; /* the FIN takes one sequence number but no data */
	d = seq_diff(ack, st->next_seq);
	if (d <= 0)
		return;
	if ((uint32_t)d > window_slack(acker)) {
		/* unless it covers data we queued: the peer has seen at least that much */
		const struct tcp_segment *last = st->segs;

		while (last && last->next)
			last = last->next;
		if (!last ||
		    (uint64_t)(uint32_t)d > last->end - st->delivered + window_slack(acker)) {
			r->st.ack_invalid++;
			return;
		}
	}
	skip_to(r, st, dir, st->delivered + (uint32_t)d, ts, ops, f);
}

static void set_base(struct tcp_stream *st, uint32_t seq)
{
	st->next_seq = seq;
	st->has_base = true;
}

static void rst_close(struct tcp_reasm *r, struct tcp_session *s, uint64_t ts,
		      const struct app_ops *ops, struct flow *f)
{
	s->state = TCP_STATE_CLOSED;
	tcp_reasm_flush(r, s, ops, f, ts);
}

void tcp_reasm_flush(struct tcp_reasm *r, struct tcp_session *s, const struct app_ops *ops,
		     struct flow *f, uint64_t ts_us)
{
	for (int dir = 0; dir < 2; dir++) {
		struct tcp_stream *st = &s->s[dir];

		if (!s->tracked)
			break;
		while (st->segs && !st->depth_reached)
			skip_to(r, st, dir, st->segs->start, ts_us, ops, f);
		stream_clear(r, st);
		send_eof(st, dir, ts_us, ops, f);
	}
}

/* Handshake and close tracking. Returns true if the packet's data may be reassembled. */
static bool track_state(struct tcp_reasm *r, struct tcp_session *s, const struct packet *p, int dir)
{
	struct tcp_stream *snd = &s->s[dir], *rcv = &s->s[!dir];
	uint8_t fl = p->tcp.flags;
	bool syn = fl & TCP_SYN, ack = fl & TCP_ACK;

	switch (s->state) {
	case TCP_STATE_NONE:
		if (fl & TCP_RST)
			return false;
		if (syn && !ack) {
			s->tracked = true;
			r->st.sessions++;
			snd->isn = p->tcp.seq;
			snd->has_isn = true;
			set_base(snd, p->tcp.seq + 1);
			s->state = TCP_STATE_SYN_SENT;
			return true; /* TCP Fast Open data rides on the SYN */
		}
		if (!r->cfg.midstream) {
			r->st.midstream_ignored++;
			return false;
		}
		s->tracked = true;
		s->midstream = true;
		r->st.sessions++;
		r->st.midstream_pickups++;
		if (syn) { /* SYN/ACK: its receiver is the client */
			snd->isn = p->tcp.seq;
			snd->has_isn = true;
			set_base(snd, p->tcp.seq + 1);
			set_base(rcv, p->tcp.ack);
			s->state = TCP_STATE_SYN_RECV;
			return true;
		}
		set_base(snd, p->tcp.seq);
		if (ack)
			set_base(rcv, p->tcp.ack);
		s->state = TCP_STATE_ESTABLISHED;
		s->established_seen = true;
		return true;
	case TCP_STATE_SYN_SENT:
		if (fl & TCP_RST) {
			s->state = TCP_STATE_CLOSED;
			return false;
		}
		if (syn && !ack) {
			if (dir == APP_DIR_TOSERVER) {
				/* retransmitted SYN: a new ISN is taken only while no data
				 * (TFO) went out, so the stream offsets never restart */
				if (snd->delivered == 0 && !snd->segs) {
					snd->isn = p->tcp.seq;
					set_base(snd, p->tcp.seq + 1);
				}
				return true;
			}
			/* the server answers SYN with SYN: split (four-way) handshake */
			s->four_whs = true;
			snd->isn = p->tcp.seq;
			snd->has_isn = true;
			set_base(snd, p->tcp.seq + 1);
			return false;
		}
		if (syn && ack) {
			if (seq_diff(p->tcp.ack, rcv->isn + 1) < 0 || !rcv->has_isn) {
				r->st.bad_handshake++;
				return false;
			}
			if (!snd->has_isn || seq_diff(snd->isn, p->tcp.seq) != 0) {
				snd->isn = p->tcp.seq;
				snd->has_isn = true;
				set_base(snd, p->tcp.seq + 1);
			}
			s->state = TCP_STATE_SYN_RECV;
			snd->last_ack = p->tcp.ack;
			return true;
		}
		if (dir == APP_DIR_TOSERVER && ack && r->cfg.async_oneside) {
			/* the SYN/ACK was not seen: only this side of the session is visible */
			s->state = TCP_STATE_ESTABLISHED;
			s->established_seen = true;
			return true;
		}
		r->st.bad_handshake++;
		return false;
	case TCP_STATE_SYN_RECV:
		if (fl & TCP_RST) {
			s->state = TCP_STATE_CLOSED;
			return false;
		}
		if (syn) /* retransmitted SYN or SYN/ACK */
			return !ack || dir == APP_DIR_TOCLIENT;
		if (ack) {
			/* the ACK completing the handshake comes from the side that did not send
			 * the SYN/ACK; with async-oneside any ACK will do */
			bool from_synack_side =
				(snd->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);

			if (!from_synack_side || r->cfg.async_oneside) {
				if (!snd->has_base)
					set_base(snd, p->tcp.seq);
				s->state = TCP_STATE_ESTABLISHED;
				s->established_seen = true;
				return true;
			}
		}
		r->st.bad_handshake++;
		return false;
	default:
		break;
	}
	/* established or closing */
	if (fl & TCP_RST)
		return false; /* handled by the caller (close after data) */
	if (syn)
		return false; /* handshake retransmission */
	if (!snd->has_base)
		set_base(snd, p->tcp.seq); /* first packet of a side seen late */
	return true;
}

static void update_close_state(struct tcp_session *s)
{
	const struct tcp_stream *c = &s->s[0], *sv = &s->s[1];
	bool cf = c->fin_seen, sf = sv->fin_seen;
	bool c_acked = cf && sv->flags & TCP_ACK && seq_diff(sv->last_ack, c->fin_seq) > 0;
	bool s_acked = sf && c->flags & TCP_ACK && seq_diff(c->last_ack, sv->fin_seq) > 0;

	if (s->state < TCP_STATE_ESTABLISHED || s->state == TCP_STATE_CLOSED)
		return;
	if (cf && sf)
		s->state = (c_acked && s_acked) ? TCP_STATE_CLOSED : TCP_STATE_LAST_ACK;
	else if (cf || sf)
		s->state = (cf ? c_acked : s_acked) ? TCP_STATE_FIN_WAIT2 : TCP_STATE_FIN_WAIT1;
}

void tcp_reasm_packet(struct tcp_reasm *r, struct tcp_session *s, const struct packet *p, int dir,
		      const struct app_ops *ops, struct flow *f)
{
	struct tcp_stream *snd = &s->s[dir], *rcv = &s->s[!dir];
	uint8_t fl = p->tcp.flags;
	bool data_ok = track_state(r, s, p, dir);
	uint32_t seq = p->tcp.seq + ((fl & TCP_SYN) ? 1 : 0);

	if (fl & TCP_ACK && (!(snd->flags & TCP_ACK) || seq_diff(p->tcp.ack, snd->last_ack) > 0))
		snd->last_ack = p->tcp.ack;
	snd->flags |= fl;
	if ((fl & TCP_SYN) && (p->flags & PKT_TCP_WSCALE)) {
		snd->wscale = p->tcp.wscale;
		snd->wscale_seen = true;
	}
	/* RFC 7323: windows in SYNs are never scaled; others only if both sides offered it */
	snd->window = (fl & TCP_SYN) ?
			      p->tcp.win :
			      (uint32_t)p->tcp.win
				      << (snd->wscale_seen && rcv->wscale_seen ? snd->wscale : 0);
	if (fl & TCP_RST)
		r->st.rst++;

	if (ops && ops->packet)
		ops->packet(ops->ctx, f, p, dir);

	if (!s->tracked)
		return;
	if (data_ok && snd->has_base) {
		if (fl & TCP_FIN && !snd->fin_seen) {
			snd->fin_seen = true;
			snd->fin_seq = seq + p->payload_len;
			r->st.fin++;
		}
		stream_data(r, snd, dir, seq, p->payload, p->payload_len, p->ts_us, ops, f);
		if (snd->fin_seen && snd->next_seq == snd->fin_seq && !snd->segs)
			send_eof(snd, dir, p->ts_us, ops, f);
	}
	if (fl & TCP_RST && s->state >= TCP_STATE_ESTABLISHED && !rst_in_window(s, snd, rcv, p)) {
		/* a forged or stale RST must not end inspection (evasion) */
		r->st.rst_invalid++;
		return;
	}
	if (fl & TCP_ACK && s->state >= TCP_STATE_ESTABLISHED && s->state != TCP_STATE_CLOSED)
		ack_gap(r, snd, rcv, !dir, p->tcp.ack, p->ts_us, ops, f);
	if (fl & TCP_RST) {
		snd->rst_seen = true;
		rst_close(r, s, p->ts_us, ops, f);
		return;
	}
	update_close_state(s);
}

uint64_t tcp_reasm_stream_bytes(const struct tcp_session *s, int dir)
{
	const struct tcp_stream *st = &s->s[dir];

	if (st->has_isn && st->has_base)
		return (uint32_t)(st->next_seq - st->isn);
	return st->delivered;
}

const char *tcp_state_name(enum tcp_state st)
{
	static const char *const names[TCP_STATE_MAX] = {
		[TCP_STATE_NONE] = "none",
		[TCP_STATE_SYN_SENT] = "syn_sent",
		[TCP_STATE_SYN_RECV] = "syn_recv",
		[TCP_STATE_ESTABLISHED] = "established",
		[TCP_STATE_FIN_WAIT1] = "fin_wait1",
		[TCP_STATE_FIN_WAIT2] = "fin_wait2",
		[TCP_STATE_TIME_WAIT] = "time_wait",
		[TCP_STATE_LAST_ACK] = "last_ack",
		[TCP_STATE_CLOSE_WAIT] = "close_wait",
		[TCP_STATE_CLOSING] = "closing",
		[TCP_STATE_CLOSED] = "closed",
	};

	if ((unsigned int)st >= TCP_STATE_MAX)
		return "unknown";
	return names[st];
}

static const char *const policy_names[TCP_OVERLAP_MAX] = {
	[TCP_OVERLAP_FIRST] = "first",
	[TCP_OVERLAP_LAST] = "last",
	[TCP_OVERLAP_BSD] = "bsd",
	[TCP_OVERLAP_LINUX] = "linux",
};

const char *tcp_overlap_policy_name(enum tcp_overlap_policy p)
{
	if ((unsigned int)p >= TCP_OVERLAP_MAX)
		return "unknown";
	return policy_names[p];
}

int tcp_overlap_policy_parse(const char *s, enum tcp_overlap_policy *ret)
{
	for (int i = 0; i < TCP_OVERLAP_MAX; i++)
		if (strcmp(s, policy_names[i]) == 0) {
			*ret = (enum tcp_overlap_policy)i;
			return 0;
		}
	return -EINVAL;
}
