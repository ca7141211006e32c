/*
 * test_gossip.c: the heartbeat gossip state machine (merge rules, failure
 * and cleanup timing, rejoin, stale data), port-unreachable reports (a
 * suspicion and its probe) and the GOSSIP and PROBE codecs.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "gossip.h"
#include "proto.h"
#include "tap.h"

#define T_INTERVAL 200
#define T_FAILURE 2000
#define T_CLEANUP 4000

static struct gossip_conf
t_conf(int self, int n, uint64_t seed)
{
	struct gossip_conf c;
	int i;

	memset(&c, 0, sizeof c);
	c.self = self;
	c.nmembers = n;
	for (i = 0; i < n; i++)
		c.members[i] = i;
	c.incarnation = 100;
	c.interval = T_INTERVAL;
	c.failure_timeout = T_FAILURE;
	c.cleanup_timeout = T_CLEANUP;
	c.fanout = 3;
	c.seed = seed;
	return c;
}

/* A one-entry table message. */
static struct proto_gossip
t_msg(int id, uint64_t inc, uint64_t hb, int status)
{
	struct proto_gossip m;

	memset(&m, 0, sizeof m);
	m.n = 1;
	m.e[0].id = (uint16_t)id;
	m.e[0].incarnation = inc;
	m.e[0].heartbeat = hb;
	m.e[0].status = (uint8_t)status;
	return m;
}

/* The first event of a type in out, or NULL. */
static const struct gossip_event *
t_ev(const struct gossip_out *out, enum gossip_ev_type type)
{
	int i;

	for (i = 0; i < out->nev; i++) {
		if (out->ev[i].type == type)
			return &out->ev[i];
	}
	return NULL;
}

static void
test_send(void)
{
	struct gossip_conf c = t_conf(3, 8, 42);
	struct gossip_out out;
	struct gossip_info info;
	struct gossip *g;
	int ids[8], i, j, dup = 0, self = 0;

	g = gossip_new(&c, 1000);
	is_int(gossip_alive_set(g, ids, 8), 1, "a new table knows only itself");
	is_int(ids[0], 3, "which is alive");
	is_int(gossip_next_timeout(g), 1000, "the first round is due at once");
	gossip_out_reset(&out);
	gossip_tick(g, 1000, &out);
	is_int(out.nto, 3, "a round goes to fanout (3) members");
	for (i = 0; i < out.nto; i++) {
		self |= out.to[i] == 3;
		for (j = 0; j < i; j++)
			dup |= out.to[i] == out.to[j];
	}
	ok(!self && !dup, "distinct members, never itself");
	ok(out.msg.n == 1 && out.msg.e[0].id == 3 &&
		out.msg.e[0].heartbeat == 1 && out.msg.e[0].incarnation == 100,
	    "the table carries its own entry, heartbeat bumped to 1");
	is_int(gossip_next_timeout(g), 1200, "next round one interval later");
	gossip_out_reset(&out);
	gossip_tick(g, 1100, &out);
	is_int(out.nto, 0, "nothing to send between rounds");
	gossip_tick(g, 1200, &out);
	ok(gossip_get(g, 3, &info) == 0 && info.heartbeat == 2,
	    "heartbeat 2 after the second round");
	gossip_free(g);

	/* Fanout above the member count: everybody else. */
	c = t_conf(0, 3, 1);
	c.fanout = 10;
	g = gossip_new(&c, 0);
	gossip_out_reset(&out);
	gossip_tick(g, 0, &out);
	is_int(out.nto, 2, "fanout 10 of 3 members: the 2 others");
	gossip_free(g);
}

static void
test_random(void)
{
	struct gossip_conf c1 = t_conf(0, 9, 7), c2 = t_conf(0, 9, 8);
	struct gossip *a, *b, *d;
	struct gossip_out oa, ob, od;
	int r, k, same = 1, differ = 0, seen[9] = {0}, all = 1;

	a = gossip_new(&c1, 0);
	b = gossip_new(&c1, 0);
	d = gossip_new(&c2, 0);
	for (r = 0; r < 50; r++) {
		gossip_out_reset(&oa);
		gossip_out_reset(&ob);
		gossip_out_reset(&od);
		gossip_tick(a, r * T_INTERVAL, &oa);
		gossip_tick(b, r * T_INTERVAL, &ob);
		gossip_tick(d, r * T_INTERVAL, &od);
		for (k = 0; k < 3; k++) {
			same &= oa.to[k] == ob.to[k];
			differ |= oa.to[k] != od.to[k];
			seen[oa.to[k]]++;
		}
	}
	ok(same, "the same seed chooses the same members");
	ok(differ, "another seed chooses others");
	for (k = 1; k < 9; k++)
		all &= seen[k] > 0;
	ok(all && seen[0] == 0, "over 50 rounds every other member is chosen");
	gossip_free(a);
	gossip_free(b);
	gossip_free(d);
}

static void
test_merge(void)
{
	struct gossip_conf c = t_conf(3, 8, 1);
	struct gossip_out out;
	struct gossip_info info;
	struct proto_gossip m;
	const struct gossip_event *ev;
	struct gossip *g;
	int ids[8];

	g = gossip_new(&c, 0);
	gossip_out_reset(&out);
	m = t_msg(5, 7, 10, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, 100, &out);
	ev = t_ev(&out, GOSSIP_EV_JOINED);
	ok(ev != NULL && ev->id == 5 && ev->heartbeat == 10 && ev->from == 4,
	    "an unknown member joins from third-party gossip");
	ok(gossip_alive(g, 5), "and is alive");

	gossip_out_reset(&out);
	m = t_msg(5, 7, 17, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, 1234, &out);
	ev = t_ev(&out, GOSSIP_EV_UPDATED);
	ok(ev != NULL && ev->id == 5 && ev->heartbeat == 17 && ev->from == 4 &&
		ev->now == 1234,
	    "a higher heartbeat updates: [5] to [17] from "
	    "[4] at [1234]");
	ok(gossip_get(g, 5, &info) == 0 && info.last_heard == 1234,
	    "and resets the last-heard time");

	gossip_out_reset(&out);
	m = t_msg(5, 7, 17, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 6, &m, 1300, &out);
	m = t_msg(5, 7, 12, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 6, &m, 1300, &out);
	is_int(out.nev, 0, "equal or lower heartbeats change nothing");
	ok(gossip_get(g, 5, &info) == 0 && info.last_heard == 1234 &&
		info.heartbeat == 17,
	    "entry unchanged");

	m = t_msg(5, 6, 99, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 6, &m, 1300, &out);
	is_int(out.nev, 0, "a lower incarnation is stale, whatever heartbeat");

	m = t_msg(5, 7, 50, PROTO_GOSSIP_FAILED);
	gossip_handle(g, 6, &m, 1300, &out);
	ok(out.nev == 0 && gossip_alive(g, 5),
	    "FAILED entries from others are not taken");

	m = t_msg(3, 100, 1000, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 6, &m, 1300, &out);
	ok(out.nev == 0 && gossip_get(g, 3, &info) == 0 && info.heartbeat == 0,
	    "entries about ourselves are ignored");

	m = t_msg(42, 1, 1, PROTO_GOSSIP_ALIVE);
	is_int(gossip_handle(g, 6, &m, 1300, &out), 1,
	    "an entry for an unknown id is counted and skipped");

	gossip_out_reset(&out);
	m = t_msg(5, 8, 1, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, 1400, &out);
	ev = t_ev(&out, GOSSIP_EV_REJOINED);
	ok(ev != NULL && ev->id == 5 && ev->incarnation == 8,
	    "a higher incarnation replaces the entry (restart)");
	ok(gossip_get(g, 5, &info) == 0 && info.heartbeat == 1 &&
		info.incarnation == 8,
	    "heartbeat starts over");
	is_int(gossip_alive_set(g, ids, 8), 2, "alive set: 3 and 5");
	ok(ids[0] == 3 && ids[1] == 5, "sorted by id");
	gossip_free(g);
}

static void
test_failure(void)
{
	struct gossip_conf c = t_conf(3, 8, 1);
	struct gossip_out out;
	struct gossip_info info;
	struct proto_gossip m;
	const struct gossip_event *ev;
	struct gossip *g;
	int64_t t0 = 10000;

	g = gossip_new(&c, 0);
	gossip_out_reset(&out);
	m = t_msg(1, 5, 20, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 1, &m, t0, &out);
	ok(gossip_next_timeout(g) <= t0 + T_FAILURE,
	    "a timer is due by the failure timeout");
	gossip_out_reset(&out);
	gossip_tick(g, t0 + T_FAILURE - 1, &out);
	ok(t_ev(&out, GOSSIP_EV_FAILED) == NULL && gossip_alive(g, 1),
	    "alive 1 ms before the failure timeout");
	gossip_out_reset(&out);
	gossip_tick(g, t0 + T_FAILURE, &out);
	ev = t_ev(&out, GOSSIP_EV_FAILED);
	ok(ev != NULL && ev->id == 1 && ev->from == -1,
	    "failed exactly at the failure timeout");
	ok(!gossip_alive(g, 1) && gossip_get(g, 1, &info) == 0 &&
		info.status == GOSSIP_FAILED,
	    "status FAILED, not alive");

	/* A failed entry goes out as FAILED. */
	gossip_out_reset(&out);
	gossip_tick(g, t0 + T_FAILURE + T_INTERVAL, &out);
	ok(out.msg.n == 2 && out.msg.e[0].id == 1 &&
		out.msg.e[0].status == PROTO_GOSSIP_FAILED,
	    "failed entries are gossiped with status FAILED");

	/* Stale third-party gossip of the same incarnation: still failed. */
	gossip_out_reset(&out);
	m = t_msg(1, 5, 21, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, t0 + 2500, &out);
	ok(out.nev == 0 && !gossip_alive(g, 1),
	    "third-party gossip does not revive a failed entry");
	m = t_msg(1, 5, 20, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 1, &m, t0 + 2500, &out);
	ok(out.nev == 0 && !gossip_alive(g, 1),
	    "nor does the member itself without a higher heartbeat");

	gossip_out_reset(&out);
	gossip_tick(g, t0 + T_CLEANUP - 1, &out);
	ok(t_ev(&out, GOSSIP_EV_REMOVED) == NULL,
	    "not removed 1 ms before the cleanup timeout");
	gossip_out_reset(&out);
	gossip_tick(g, t0 + T_CLEANUP, &out);
	ev = t_ev(&out, GOSSIP_EV_REMOVED);
	ok(ev != NULL && ev->id == 1,
	    "removed at the cleanup timeout after the last rise");
	is_int(gossip_get(g, 1, &info), -1, "a removed entry is gone");
	gossip_out_reset(&out);
	gossip_tick(g, t0 + T_CLEANUP + T_INTERVAL, &out);
	ok(out.msg.n == 1, "and no longer gossiped");

	gossip_out_reset(&out);
	m = t_msg(1, 5, 25, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, t0 + 5000, &out);
	ok(out.nev == 0 && gossip_get(g, 1, &info) == -1,
	    "stale gossip does not resurrect a removed entry");

	gossip_out_reset(&out);
	m = t_msg(1, 5, 30, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 1, &m, t0 + 5000, &out);
	ev = t_ev(&out, GOSSIP_EV_REVIVED);
	ok(ev != NULL && ev->id == 1 && gossip_alive(g, 1),
	    "the member itself with a higher heartbeat revives it");

	/* Fail again, then a restart comes back through a third party. */
	gossip_out_reset(&out);
	gossip_tick(g, t0 + 5000 + T_FAILURE, &out);
	ok(!gossip_alive(g, 1), "failed again");
	gossip_out_reset(&out);
	m = t_msg(1, 6, 1, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, t0 + 8000, &out);
	ev = t_ev(&out, GOSSIP_EV_REJOINED);
	ok(ev != NULL && gossip_alive(g, 1),
	    "a higher incarnation from anyone brings it back (rejoined)");
	gossip_free(g);
}

/* The probe to id in out, or NULL. */
static const struct gossip_probe *
t_probe(const struct gossip_out *out, int id)
{
	int i;

	for (i = 0; i < out->nprobe; i++) {
		if (out->probe[i].to == id)
			return &out->probe[i];
	}
	return NULL;
}

static void
test_unreachable(void)
{
	struct gossip_conf c = t_conf(3, 8, 1);
	struct gossip_out out;
	struct gossip_info info;
	struct proto_gossip m;
	const struct gossip_event *ev;
	const struct gossip_probe *pr;
	struct gossip *g, *g2;
	int64_t t0 = 10000, t;
	uint64_t tag;
	int i;

	g = gossip_new(&c, 0);
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g, 5, t0, &out), 0,
	    "a member never heard of (not started yet) is not suspected");
	is_int(gossip_unreachable(g, 3, t0, &out), 0, "nor is self");
	is_int(gossip_unreachable(g, 42, t0, &out), 0, "nor a non-member");
	ok(out.nev == 0 && out.nprobe == 0, "no event, no probe for any");

	/* 1 gossips to us directly, 2 is known through 1 only. */
	m = t_msg(1, 5, 20, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 1, &m, t0, &out);
	m = t_msg(2, 7, 9, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 1, &m, t0, &out);
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g, 1, t0 + T_INTERVAL - 1, &out), 0,
	    "a report within an interval of a frame from the member: ignored");
	ok(out.nprobe == 0 && !gossip_suspect(g, 1), "1 is not a suspect");
	gossip_heard(g, 1, t0 + 100);
	is_int(gossip_unreachable(g, 1, t0 + 100 + T_INTERVAL - 1, &out), 0,
	    "a VOTE frame counts as proof of life too");

	/* A report (forged or not) an interval later: suspect, probed. */
	t = t0 + 100 + T_INTERVAL;
	is_int(gossip_unreachable(g, 1, t, &out), 1,
	    "a report an interval after the last frame makes 1 a suspect");
	pr = t_probe(&out, 1);
	ok(pr != NULL && pr->tag != 0 && out.nprobe == 1,
	    "one probe to 1, with a tag");
	tag = pr != NULL ? pr->tag : 0;
	ok(out.nev == 0 && gossip_alive(g, 1) && gossip_suspect(g, 1),
	    "the report alone fails nothing: 1 is alive and a suspect");
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g, 1, t + 1, &out), 0,
	    "a second report while probing is ignored");
	is_int(out.nprobe, 0, "and sends no second probe");
	is_int(gossip_probe_refused(g, 1, tag + 1, t + 1, &out), 0,
	    "a report quoting another tag (an old probe) fails nothing");
	is_int(gossip_probe_refused(g, 2, tag, t + 1, &out), 0,
	    "nor does this tag quoted for another member");
	ok(out.nev == 0 && gossip_alive(g, 1), "1 is still alive");

	/* Any authenticated frame from the member clears it. */
	gossip_heard(g, 1, t + 5);
	ok(!gossip_suspect(g, 1) && gossip_alive(g, 1),
	    "a frame from 1 (its PROBE_ACK) clears the suspicion");
	is_int(gossip_probe_refused(g, 1, tag, t + 6, &out), 0,
	    "the cleared probe's quote no longer fails it");
	gossip_out_reset(&out);
	gossip_tick(g, t + 2 * T_INTERVAL, &out);
	ok(t_ev(&out, GOSSIP_EV_FAILED) == NULL && out.nprobe == 0 &&
		gossip_alive(g, 1),
	    "no failure and no probe at the old deadline");

	/* Spoofed reports, again and again: answered, never failed. */
	t = t0 + 1000;
	for (i = 0; i < 20; i++, t += T_INTERVAL + 10) {
		gossip_out_reset(&out);
		gossip_unreachable(g, 1, t, &out);
		if (t_probe(&out, 1) == NULL)
			break;
		gossip_heard(g, 1, t + 3);
		gossip_tick(g, t + 2 * T_INTERVAL, &out);
		if (t_ev(&out, GOSSIP_EV_FAILED) != NULL)
			break;
		m = t_msg(1, 5, 21 + (uint64_t)i, PROTO_GOSSIP_ALIVE);
		gossip_handle(g, 1, &m, t + 4, &out);
	}
	ok(gossip_alive(g, 1) && !gossip_suspect(g, 1),
	    "20 spoofed reports, each probed and answered: 1 stays alive");

	/* No answer: probed again after an interval, failed at the deadline. */
	t += 1000;
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g, 1, t, &out), 1, "suspect again");
	gossip_out_reset(&out);
	gossip_tick(g, t + T_INTERVAL - 1, &out);
	ok(out.nprobe == 0 && out.nev == 0, "nothing 1 ms before an interval");
	gossip_tick(g, t + T_INTERVAL, &out);
	ok(t_probe(&out, 1) != NULL && out.nev == 0,
	    "a second probe after an interval, no failure yet");
	gossip_out_reset(&out);
	gossip_tick(g, t + 2 * T_INTERVAL - 1, &out);
	ok(out.nev == 0 && gossip_alive(g, 1),
	    "alive 1 ms before the probe deadline");
	is_int(gossip_next_timeout(g), t + 2 * T_INTERVAL,
	    "a timer is due at the deadline");
	gossip_tick(g, t + 2 * T_INTERVAL, &out);
	ev = t_ev(&out, GOSSIP_EV_FAILED);
	ok(ev != NULL && ev->id == 1 && ev->incarnation == 5 &&
		!gossip_alive(g, 1) && gossip_get(g, 1, &info) == 0 &&
		info.status == GOSSIP_FAILED,
	    "no proof of life for two intervals: FAILED, long before "
	    "failure-timeout");
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g, 1, t + 2 * T_INTERVAL + 1, &out), 0,
	    "a failed member is not suspected again");
	ok(out.nev == 0 && out.nprobe == 0, "no event, no probe");

	/* A report quoting the current probe: its port is closed. */
	g2 = gossip_new(&c, 0);
	m = t_msg(2, 7, 9, PROTO_GOSSIP_ALIVE);
	gossip_handle(g2, 1, &m, t0, &out);
	t = t0 + T_INTERVAL;
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g2, 2, t, &out), 1,
	    "2, known through a third party, is a suspect an interval later");
	pr = t_probe(&out, 2);
	tag = pr != NULL ? pr->tag : 0;
	gossip_out_reset(&out);
	is_int(gossip_probe_refused(g2, 2, tag, t + 1, &out), 1,
	    "a report quoting the probe fails it at once");
	ev = t_ev(&out, GOSSIP_EV_FAILED);
	ok(ev != NULL && ev->id == 2 && !gossip_alive(g2, 2) &&
		!gossip_suspect(g2, 2),
	    "event FAILED, 1 ms after the report");
	gossip_out_reset(&out);
	is_int(gossip_probe_refused(g2, 2, tag, t + 2, &out), 0,
	    "the same quote again fails nothing more");
	gossip_tick(g2, t0 + T_FAILURE, &out);
	ok(t_ev(&out, GOSSIP_EV_FAILED) == NULL,
	    "the failure timeout does not fail it again");
	gossip_tick(g2, t0 + T_CLEANUP, &out);
	ev = t_ev(&out, GOSSIP_EV_REMOVED);
	ok(ev != NULL && ev->id == 2,
	    "cleanup still counts from the last rise");
	gossip_free(g2);

	/* A quick restart: the report about the old process comes late. */
	gossip_out_reset(&out);
	t = t0 + 9000;
	m = t_msg(2, 8, 1, PROTO_GOSSIP_ALIVE);
	gossip_handle(g, 4, &m, t, &out);
	ok(t_ev(&out, GOSSIP_EV_REJOINED) != NULL && gossip_alive(g, 2),
	    "2 restarted: new incarnation through a third party");
	gossip_out_reset(&out);
	is_int(gossip_unreachable(g, 2, t + T_INTERVAL - 1, &out), 0,
	    "a stale report right after the new incarnation is ignored");
	ok(out.nev == 0 && out.nprobe == 0 && gossip_alive(g, 2),
	    "the new process stays alive, unprobed");
	gossip_free(g);
}

static void
test_probe_codec(void)
{
	struct buf b;
	uint64_t tag = 0;
	uint8_t *p;
	size_t i;

	buf_init(&b);
	proto_probe_encode(&b, 0x0102030405060708ULL);
	p = buf_data(&b);
	ok(buf_len(&b) == PROTO_PROBE_LEN && p[0] == 1 && p[7] == 8,
	    "PROBE payload: the tag, 8 bytes big-endian");
	ok(proto_probe_decode(p, buf_len(&b), &tag) == 0 &&
		tag == 0x0102030405060708ULL,
	    "PROBE round trip");
	for (i = 0; i < buf_len(&b); i++) {
		if (proto_probe_decode(p, i, &tag) != -1)
			break;
	}
	is_int((int)i, PROTO_PROBE_LEN, "every truncation is rejected");
	buf_add(&b, "x", 1);
	is_int(proto_probe_decode(buf_data(&b), buf_len(&b), &tag), -1,
	    "a trailing byte is rejected");
	buf_reset(&b);
	proto_probe_encode(&b, 0);
	is_int(proto_probe_decode(buf_data(&b), buf_len(&b), &tag), -1,
	    "tag 0 is rejected");
	is_str(proto_type_name(PROTO_PROBE), "PROBE", "name PROBE");
	is_str(proto_type_name(PROTO_PROBE_ACK), "PROBE_ACK", "name PROBE_ACK");
	buf_free(&b);
}

static void
test_codec(void)
{
	struct proto_gossip m, w;
	struct buf b;
	uint8_t *p;
	int i;

	memset(&m, 0, sizeof m);
	m.n = 3;
	for (i = 0; i < 3; i++) {
		m.e[i].id = (uint16_t)(i + 1);
		m.e[i].status = i == 2;
		m.e[i].incarnation = 0x1122334455667788ULL + (uint64_t)i;
		m.e[i].heartbeat = 1000 + (uint64_t)i;
	}
	buf_init(&b);
	proto_gossip_encode(&b, &m);
	is_int(buf_len(&b), 2 + 3 * PROTO_GOSSIP_ENTRY_LEN,
	    "GOSSIP of 3 entries is 59 bytes");
	p = buf_data(&b);
	ok(p[0] == 0 && p[1] == 3 && p[2] == 0 && p[3] == 1 && p[4] == 0 &&
		p[5] == 0x11 && p[12] == 0x88,
	    "GOSSIP fields big-endian in order");
	memset(&w, 0, sizeof w);
	ok(proto_gossip_decode(p, buf_len(&b), &w) == 0 && w.n == 3 &&
		memcmp(w.e, m.e, 3 * sizeof m.e[0]) == 0,
	    "GOSSIP round trip");
	for (i = 0; i < (int)buf_len(&b); i++) {
		if (proto_gossip_decode(p, (size_t)i, &w) != -1)
			break;
	}
	is_int(i, (int)buf_len(&b), "every truncation is rejected");
	p[1] = 2;
	is_int(proto_gossip_decode(p, buf_len(&b), &w), -1,
	    "trailing bytes are rejected");
	p[1] = 3;
	p[2 + 2 * PROTO_GOSSIP_ENTRY_LEN + 2] = 2;
	is_int(proto_gossip_decode(p, buf_len(&b), &w), -1,
	    "an unknown status is rejected");
	buf_reset(&b);
	i = 2 + (PROTO_GOSSIP_MAX + 1) * PROTO_GOSSIP_ENTRY_LEN;
	p = buf_reserve(&b, (size_t)i);
	memset(p, 0, (size_t)i);
	p[1] = PROTO_GOSSIP_MAX + 1;
	buf_commit(&b, (size_t)i);
	is_int(proto_gossip_decode(buf_data(&b), buf_len(&b), &w), -1,
	    "more than %d entries are rejected", PROTO_GOSSIP_MAX);
	m.n = 0;
	buf_reset(&b);
	proto_gossip_encode(&b, &m);
	ok(proto_gossip_decode(buf_data(&b), buf_len(&b), &w) == 0 && w.n == 0,
	    "an empty table decodes");
	buf_free(&b);
}

int
main(void)
{
	test_send();
	test_random();
	test_merge();
	test_failure();
	test_unreachable();
	test_codec();
	test_probe_codec();
	return tap_done();
}
