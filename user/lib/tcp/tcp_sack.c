// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sender's SACK scoreboard (RFC 2018) and loss recovery driven by it
 * (RFC 6675): what the peer holds above SND.UNA is kept as at most
 * TCP_SACK_RANGES disjoint ranges; a hole with DupThresh segments' worth
 * of SACKed data (or DupThresh SACKed ranges) above it is lost; during
 * recovery the pipe (bytes believed in the network) bounds sending, and
 * each opportunity goes to the next lost hole first, then to new data.
 * The scoreboard outlives an RTO (RFC 6675 section 5.1): going back to
 * SND.UNA skips what the peer holds, until a cumulative ACK ending inside
 * a SACKed range shows the peer discarded it (RFC 2018 section 8).
 */
#include <string.h>

#include "tcp.h"

/* Add [@start, @end) to the scoreboard, merging; the highest falls off. */
static void sb_add(struct tcp_conn *c, uint32_t start, uint32_t end)
{
	struct tcp_sack_range *r = c->sacked;
	uint32_t i = 0, j;

	while (i < c->nr_sacked && seq_lt(r[i].end, start))
		i++;
	/* Merge every range that touches [start, end). */
	j = i;
	while (j < c->nr_sacked && seq_leq(r[j].start, end)) {
		start = seq_min(start, r[j].start);
		end = seq_max(end, r[j].end);
		j++;
	}
	if (j == i && c->nr_sacked == TCP_SACK_RANGES) {
		if (i == TCP_SACK_RANGES)
			return;
		c->nr_sacked--;		/* forget the highest */
	}
	memmove(&r[i + 1], &r[j], (c->nr_sacked - j) * sizeof(*r));
	c->nr_sacked = c->nr_sacked - (j - i) + 1;
	tcp_pred_update(c);
	r[i].start = start;
	r[i].end = end;
}

static uint32_t sb_bytes(const struct tcp_conn *c)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->nr_sacked; i++)
		n += c->sacked[i].end - c->sacked[i].start;
	return n;
}

/*
 * RFC 2883 section 4: the first block of an ACK (snd_una already moved
 * to it) reports a duplicate when it starts below the ACK or lies inside
 * the second block.
 */
bool tcp_sack_dsack(const struct tcp_conn *c, const struct bypass_tcp_opts *o)
{
	if (!o->nr_sack)
		return false;
	if (seq_lt(o->sack[0].start, c->snd_una))
		return true;
	return o->nr_sack > 1 && seq_geq(o->sack[0].start, o->sack[1].start) &&
	       seq_leq(o->sack[0].end, o->sack[1].end);
}

/*
 * Take the blocks of an ACK (snd_una already moved); true when they
 * SACKed data not SACKed before. A D-SACK block reports a duplicate,
 * not new data, and is left out.
 */
bool tcp_sack_update(struct tcp_conn *c, const struct bypass_tcp_opts *o)
{
	uint32_t i, n = 0, before;

	/* Drop what SND.UNA passed. */
	for (i = 0; i < c->nr_sacked; i++) {
		if (seq_leq(c->sacked[i].end, c->snd_una))
			continue;
		c->sacked[n] = c->sacked[i];
		if (seq_lt(c->sacked[n].start, c->snd_una))
			c->sacked[n].start = c->snd_una;
		n++;
	}
	c->nr_sacked = n;
	tcp_pred_update(c);
	if (!c->sack_ok)
		return false;
	before = sb_bytes(c);
	for (i = 0; i < o->nr_sack; i++) {
		uint32_t s = o->sack[i].start, e = o->sack[i].end;

		/* Only blocks of data sent and not yet acknowledged. */
		if (!seq_lt(s, e) || seq_leq(s, c->snd_una) ||
		    seq_gt(e, c->snd_max) || (!i && tcp_sack_dsack(c, o)))
			continue;
		sb_add(c, s, e);
	}
	return sb_bytes(c) != before;
}

/*
 * RFC 2018 section 8 lets a receiver discard data it has SACKed. A new
 * cumulative ACK (snd_una already moved) that ends inside a range the
 * peer reported shows it did: it holds everything below the ACK and not
 * the byte at it. The scoreboard is dropped; SACK recovery goes on as
 * NewReno's; after an RTO, sending goes back to SND.UNA again, as the
 * ranges skipped since may be gone.
 */
void tcp_sack_check_renege(struct tcp_conn *c)
{
	uint32_t i;

	for (i = 0; i < c->nr_sacked; i++) {
		if (seq_lt(c->snd_una, c->sacked[i].start))
			return;
		if (seq_lt(c->snd_una, c->sacked[i].end))
			break;
	}
	if (i == c->nr_sacked)
		return;
	c->tcp->stats.sack_reneged++;
	c->nr_sacked = 0;
	tcp_pred_update(c);
	if (c->sack_recovery) {
		c->sack_recovery = false;
		c->cwnd = c->ssthresh;
	} else if (!c->in_recovery && seq_lt(c->snd_una, c->recover)) {
		c->snd_nxt = c->snd_una;
	}
}

/*
 * Sending from snd_nxt below snd_max (going back after an RTO), RFC 6675
 * section 5.1: the SACK information stays in use. Move snd_nxt past what
 * the peer holds (never past the FIN, which the peer cannot SACK); put in
 * *@sacked the SACKed bytes in [snd_una, snd_nxt), which the congestion
 * window does not count; return how much may be sent before the next
 * SACKed range (UINT32_MAX: no limit).
 */
uint32_t tcp_sack_skip(struct tcp_conn *c, uint32_t *sacked)
{
	uint32_t i;

	*sacked = 0;
	for (i = 0; i < c->nr_sacked; i++) {
		uint32_t start = seq_max(c->sacked[i].start, c->snd_una);
		uint32_t end = seq_min(c->sacked[i].end, c->snd_end);

		if (seq_lt(c->snd_nxt, start))
			return start - c->snd_nxt;
		if (seq_lt(c->snd_nxt, end))
			c->snd_nxt = end;
		*sacked += seq_gt(end, start) ? end - start : 0;
	}
	return UINT32_MAX;
}

/* RFC 6675 IsLost() for the hole ending where range @i starts. */
static bool hole_lost(const struct tcp_conn *c, uint32_t i)
{
	uint32_t bytes = 0, k;

	if (c->nr_sacked - i >= TCP_DUPACK_THRESH)
		return true;
	for (k = i; k < c->nr_sacked; k++)
		bytes += c->sacked[k].end - c->sacked[k].start;
	return bytes > (TCP_DUPACK_THRESH - 1) * c->mss;
}

/* RFC 6675 SetPipe(): bytes outstanding, not SACKed, not lost (or resent). */
static uint32_t pipe(const struct tcp_conn *c)
{
	uint32_t from = c->snd_una, i, p = 0;

	for (i = 0; i <= c->nr_sacked; i++) {
		uint32_t to = i < c->nr_sacked ? c->sacked[i].start : c->snd_max;
		uint32_t len = to - from;

		if (i == c->nr_sacked || !hole_lost(c, i))
			p += len;
		/* The retransmitted part of the hole is in flight again. */
		if (seq_gt(c->high_rxt, from))
			p += (seq_lt(c->high_rxt, to) ? c->high_rxt : to) - from;
		if (i < c->nr_sacked)
			from = c->sacked[i].end;
	}
	return p;
}

/*
 * RFC 6675 NextSeg() rule 1: the first lost, unresent byte; its hole ends
 * at *@end. False when there is none.
 */
static bool next_lost(const struct tcp_conn *c, uint32_t *seq, uint32_t *end)
{
	uint32_t from = c->snd_una, i;

	for (i = 0; i < c->nr_sacked; i++) {
		uint32_t s = seq_max(from, c->high_rxt);

		if (seq_lt(s, c->sacked[i].start) && hole_lost(c, i)) {
			*seq = s;
			*end = c->sacked[i].start;
			return true;
		}
		from = c->sacked[i].end;
	}
	return false;
}

/* Send while the pipe leaves room for a segment (RFC 6675 5, step C). */
static void send_some(struct tcp_conn *c)
{
	uint32_t seq, end, n;

	while (c->cwnd >= pipe(c) + c->mss) {
		if (next_lost(c, &seq, &end)) {
			n = tcp_send_range(c, seq, seq_lt(end, seq + c->mss) ?
					   end - seq : c->mss);
			c->high_rxt = seq + n;
			continue;
		}
		/* Rule 2: new data the peer's window admits. */
		if (c->snd_nxt == c->snd_end ||
		    seq_geq(c->snd_nxt, c->snd_una + c->snd_wnd))
			return;
		n = tcp_send_range(c, c->snd_nxt, c->snd_una + c->snd_wnd -
				   c->snd_nxt);
		if (!n)
			return;
		c->snd_nxt += n;
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
	}
}

/* RFC 6675 IsLost(SND.UNA): enough is SACKed above the first hole. */
bool tcp_sack_head_lost(const struct tcp_conn *c)
{
	return c->sack_ok && c->nr_sacked && hole_lost(c, 0);
}

/* Whether SACK-based recovery applies: SACK on and the peer reporting. */
bool tcp_sack_active(const struct tcp_conn *c)
{
	return c->sack_ok && c->nr_sacked;
}

/* Enter recovery (RFC 6675 5, step 4): cwnd = ssthresh, resend, fill. */
void tcp_sack_enter(struct tcp_conn *c)
{
	uint32_t end;

	c->high_rxt = c->snd_una;
	c->cwnd = c->ssthresh;
	/* The first hole is resent whatever the pipe says. */
	end = c->nr_sacked ? c->sacked[0].start : c->snd_max;
	c->high_rxt = c->snd_una +
		      tcp_send_range(c, c->snd_una, seq_lt(end, c->snd_una + c->mss) ?
				     end - c->snd_una : c->mss);
	send_some(c);
}

/* An ACK during SACK recovery (RFC 6675 5, step C). */
void tcp_sack_step(struct tcp_conn *c)
{
	if (seq_lt(c->high_rxt, c->snd_una))
		c->high_rxt = c->snd_una;
	send_some(c);
}
