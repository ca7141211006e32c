/*
 * test_election.c: the fast leader election state machine on scripted
 * message sequences: a small in-process network with an instant, ordered
 * delivery and a fake clock, plus hand-made notifications.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "election.h"
#include "proto.h"
#include "tap.h"

#define T_MAX 9
#define T_FINALIZE 200
#define T_PING 200
#define T_FAILURE 2000
#define T_QMAX 100000

struct t_qmsg {
	int from;
	struct election_msg m;
};

struct t_net {
	int n;
	int ids[T_MAX];
	int voter[T_MAX];
	struct election *e[T_MAX];
	struct election_accepted acc[T_MAX]; /* "disk" */
	int64_t now;
	struct t_qmsg *q;
	int qhead;
	int qtail;
	int cut[T_MAX]; /* isolated: nothing in or out */
	int switches; /* ELECT_EV_SWITCH seen */
	int stepdowns;
	uint64_t sent;
};

static struct election_conf
t_conf(const struct t_net *t, int id)
{
	struct election_conf c;
	int i;

	memset(&c, 0, sizeof c);
	c.self = id;
	c.nmembers = t->n;
	for (i = 0; i < t->n; i++) {
		c.members[i].id = t->ids[i];
		c.members[i].voter = t->voter[i];
	}
	c.finalize = T_FINALIZE;
	c.ping_interval = T_PING;
	c.failure_timeout = T_FAILURE;
	c.backoff_max = 8 * T_FINALIZE;
	return c;
}

static int
t_index(const struct t_net *t, int id)
{
	int i;

	for (i = 0; i < t->n; i++) {
		if (t->ids[i] == id)
			return i;
	}
	abort();
}

/* Queue the outbox of node index i and note its events. */
static void
t_out(struct t_net *t, int i, struct election_out *out)
{
	int k;

	for (k = 0; k < out->nev; k++) {
		if (out->ev[k].type == ELECT_EV_SWITCH)
			t->switches++;
		if (out->ev[k].type == ELECT_EV_STEPDOWN)
			t->stepdowns++;
		if (out->ev[k].type == ELECT_EV_ACCEPT) {
			t->acc[i].valid = 1;
			t->acc[i].leader = out->ev[k].leader;
			t->acc[i].epoch = out->ev[k].epoch;
		}
	}
	for (k = 0; k < out->nmsg; k++) {
		if (t->qtail == T_QMAX)
			abort();
		t->q[t->qtail].from = t->ids[i];
		t->q[t->qtail].m = out->msg[k];
		t->qtail++;
		t->sent++;
	}
}

/* Start node id (a restart keeps its accepted pair, as on disk). */
static void
t_start(struct t_net *t, int id)
{
	struct election_conf c = t_conf(t, id);
	struct election_out out;
	int i = t_index(t, id);

	election_out_reset(&out);
	t->e[i] = election_new(&c, &t->acc[i], t->now, &out);
	t_out(t, i, &out);
}

static void
t_kill(struct t_net *t, int id)
{
	int i = t_index(t, id);

	election_free(t->e[i]);
	t->e[i] = NULL;
}

/* Voters 1..nv and, if gw, the gateway 0 as an observer; none started. */
static void
t_init(struct t_net *t, int nv, int gw)
{
	int i;

	memset(t, 0, sizeof *t);
	t->q = calloc(T_QMAX, sizeof *t->q);
	if (t->q == NULL)
		abort();
	if (gw) {
		t->ids[t->n] = 0;
		t->voter[t->n++] = 0;
	}
	for (i = 1; i <= nv; i++) {
		t->ids[t->n] = i;
		t->voter[t->n++] = 1;
	}
	t->now = 1000;
}

static void
t_start_all(struct t_net *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		t_start(t, t->ids[i]);
}

static void
t_free(struct t_net *t)
{
	int i;

	for (i = 0; i < t->n; i++) {
		if (t->e[i] != NULL)
			election_free(t->e[i]);
	}
	free(t->q);
}

/* Deliver everything queued (and what it causes) at the current time. */
static void
t_deliver(struct t_net *t)
{
	struct election_out out;
	struct t_qmsg *qm;
	int f, i;

	while (t->qhead < t->qtail) {
		qm = &t->q[t->qhead++];
		i = t_index(t, qm->m.to);
		f = t_index(t, qm->from);
		if (t->e[i] == NULL || t->cut[i] || t->cut[f])
			continue;
		election_out_reset(&out);
		if (election_handle_vote(t->e[i], &qm->m.vote, t->now, &out) ==
		    -1)
			abort();
		t_out(t, i, &out);
	}
	if (t->qhead == t->qtail)
		t->qhead = t->qtail = 0;
}

/* Run until `until`, delivering instantly and firing timers in order. */
static void
t_run(struct t_net *t, int64_t until)
{
	struct election_out out;
	int64_t next, nt;
	int i, who;

	for (;;) {
		t_deliver(t);
		next = INT64_MAX;
		who = -1;
		for (i = 0; i < t->n; i++) {
			if (t->e[i] != NULL &&
			    (nt = election_next_timeout(t->e[i])) < next) {
				next = nt;
				who = i;
			}
		}
		if (who == -1 || next > until)
			break;
		if (next > t->now)
			t->now = next;
		election_out_reset(&out);
		election_tick(t->e[who], t->now, &out);
		t_out(t, who, &out);
	}
	t->now = until;
}

/* Tell every running node that gossip failed id. */
static void
t_down(struct t_net *t, int id)
{
	struct election_out out;
	int i;

	for (i = 0; i < t->n; i++) {
		if (t->e[i] == NULL || t->ids[i] == id)
			continue;
		election_out_reset(&out);
		election_node_down(t->e[i], id, t->now, &out);
		t_out(t, i, &out);
	}
}

static struct election *
t_e(struct t_net *t, int id)
{
	return t->e[t_index(t, id)];
}

/* "LEADING", "FOLLOWING 7", ... for compact checks. */
static const char *
t_role(struct t_net *t, int id)
{
	static char s[64];
	struct election *e = t_e(t, id);

	if (election_state(e) == ELECT_LOOKING ||
	    election_state(e) == ELECT_LEADING)
		snprintf(s, sizeof s, "%s e%llu",
		    election_state_name(election_state(e)),
		    (unsigned long long)election_epoch(e));
	else
		snprintf(s, sizeof s, "%s %d e%llu",
		    election_state_name(election_state(e)), election_leader(e),
		    (unsigned long long)election_epoch(e));
	return s;
}

/* Every running voter but `leader` follows it in epoch, observers observe. */
static int
t_agree(struct t_net *t, int leader, uint64_t epoch)
{
	struct election *e;
	int i;

	for (i = 0; i < t->n; i++) {
		if ((e = t->e[i]) == NULL)
			continue;
		if (election_leader(e) != leader || election_epoch(e) != epoch)
			return 0;
		if (!t->voter[i] && election_state(e) != ELECT_OBSERVING)
			return 0;
		if (t->voter[i] && t->ids[i] == leader &&
		    election_state(e) != ELECT_LEADING)
			return 0;
		if (t->voter[i] && t->ids[i] != leader &&
		    election_state(e) != ELECT_FOLLOWING)
			return 0;
	}
	return 1;
}

static struct proto_vote
t_vote(int sender, int state, int leader, uint64_t epoch)
{
	struct proto_vote v;

	memset(&v, 0, sizeof v);
	v.sender = (uint16_t)sender;
	v.state = (uint8_t)state;
	if (leader >= 0) {
		v.flags = PROTO_VOTE_LEADER;
		v.leader = (uint16_t)leader;
	}
	v.epoch = epoch;
	return v;
}

/*
 * e hears t_vote(sender, state, leader, epoch) at now; what it sends goes
 * to out (not emptied first).
 */
static void
t_hear(struct election *e, int64_t now, struct election_out *out, int sender,
    int state, int leader, uint64_t epoch)
{
	struct proto_vote v = t_vote(sender, state, leader, epoch);

	election_handle_vote(e, &v, now, out);
}

/*
 * 2 decides to follow 3 while 3 is still in its finalize wait: 3's LOOKING
 * notification for itself in that round is no reason to leave (it used to
 * send 2, and then 3, up an epoch each time).
 */
static void
test_leader_still_finalizing(void)
{
	struct election_conf c;
	struct election_out out;
	struct election *e;
	struct t_net t;

	t_init(&t, 3, 0);
	c = t_conf(&t, 2);
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	election_node_up(e, 1, 0, &out);
	election_node_up(e, 3, 0, &out);
	t_hear(e, 10, &out, 1, PROTO_LOOKING, 3, 0);
	t_hear(e, 10, &out, 3, PROTO_LOOKING, 3, 0);
	election_tick(e, 10 + T_FINALIZE, &out);
	is_str(election_state_name(election_state(e)), "FOLLOWING",
	    "2 follows 3 after its finalize wait");
	election_out_reset(&out);
	t_hear(e, 20 + T_FINALIZE, &out, 3, PROTO_LOOKING, 3, 0);
	is_str(election_state_name(election_state(e)), "FOLLOWING",
	    "3 still finalizing its own round: 2 keeps following");
	ok(out.nmsg > 0, "and tells 3 its vote");
	is_int(election_epoch(e), 0, "in epoch 0");
	t_hear(e, 30 + T_FINALIZE, &out, 3, PROTO_LOOKING, 3, 1);
	is_str(election_state_name(election_state(e)), "LOOKING",
	    "3 looking in a later round: 2 looks again");
	election_free(e);
	t_free(&t);
}

static void
test_three(void)
{
	struct t_net t;

	t_init(&t, 3, 0);
	t_start_all(&t);
	t_run(&t, t.now + T_FINALIZE - 1);
	is_str(t_role(&t, 3), "LOOKING e0",
	    "3 nodes: nobody decides before the finalize wait");
	t_run(&t, t.now + 1000);
	is_str(t_role(&t, 3), "LEADING e0", "3 nodes: 3 leads epoch 0");
	is_str(t_role(&t, 1), "FOLLOWING 3 e0", "3 nodes: 1 follows 3");
	is_str(t_role(&t, 2), "FOLLOWING 3 e0", "3 nodes: 2 follows 3");
	is_int(election_quorum(t_e(&t, 1)), 2, "3 voters: quorum 2");
	is_int(t.acc[0].valid && t.acc[0].leader == 3 && t.acc[0].epoch == 0, 1,
	    "3 nodes: 1 reported accepting (epoch 0, leader 3)");
	t_run(&t, t.now + 10 * T_FAILURE);
	ok(t_agree(&t, 3, 0), "3 nodes: stable for 10 failure timeouts");
	t_free(&t);
}

static void
test_seven(void)
{
	struct t_net t;
	int i;

	t_init(&t, 7, 1);
	t_start_all(&t);
	t_run(&t, t.now + 2000);
	is_str(t_role(&t, 7), "LEADING e0", "7+gw: 7 leads epoch 0");
	for (i = 1; i <= 6; i++)
		is_str(
		    t_role(&t, i), "FOLLOWING 7 e0", "7+gw: %d follows 7", i);
	is_str(t_role(&t, 0), "OBSERVING 7 e0", "7+gw: gateway observes 7");
	is_int(election_quorum(t_e(&t, 0)), 4,
	    "7 voters + observer: quorum 4 (observer not counted)");
	is_int(election_member_state(t_e(&t, 0), 7), ELECT_LEADING,
	    "gateway sees 7 LEADING");
	is_int(election_member_state(t_e(&t, 0), 3), ELECT_FOLLOWING,
	    "gateway sees 3 FOLLOWING");
	is_int(election_member_state(t_e(&t, 5), 0), ELECT_OBSERVING,
	    "5 sees the gateway OBSERVING");

	/* The leader dies: gossip tells everybody. */
	t_kill(&t, 7);
	t.switches = 0;
	t_down(&t, 7);
	t_run(&t, t.now + 2000);
	ok(t_agree(&t, 6, 1), "leader 7 failed: 6 leads epoch 1, all agree");
	is_str(
	    t_role(&t, 0), "OBSERVING 6 e1", "gateway observes 6 in epoch 1");
	ok(t.switches >= 7, "every node switched (%d switches)", t.switches);

	/* A follower dies: nothing changes. */
	t_kill(&t, 3);
	t.switches = 0;
	t_down(&t, 3);
	t_run(&t, t.now + 3 * T_FAILURE);
	is_int(t.switches, 0, "follower 3 failed: no state switch anywhere");
	ok(t_agree(&t, 6, 1), "follower 3 failed: still 6 in epoch 1");

	/* 3 restarts: it joins as a follower, no election. */
	t.switches = 0;
	t_start(&t, 3);
	t_run(&t, t.now + 1000);
	is_str(t_role(&t, 3), "FOLLOWING 6 e1",
	    "restarted 3 rejoins as follower of 6");
	is_int(t.switches, 1, "only the restarted node switched");
	is_int(election_member_state(t_e(&t, 3), 0), ELECT_OBSERVING,
	    "restarted 3 takes the silent gateway for an OBSERVER");
	is_int(election_member_state(t_e(&t, 3), 6), ELECT_LEADING,
	    "and 6 for the LEADER");
	ok(t_agree(&t, 6, 1), "restart of 3: still 6 in epoch 1");

	/* 7 restarts: it accepted (0, 7) before; it follows 6 in 1. */
	t.switches = 0;
	t_start(&t, 7);
	t_run(&t, t.now + 1000);
	is_str(t_role(&t, 7), "FOLLOWING 6 e1",
	    "restarted old leader 7 follows 6, no takeover");
	is_int(t.switches, 1, "only 7 switched");
	t_free(&t);
}

static void
test_late_joiner(void)
{
	struct t_net t;
	int i;

	t_init(&t, 5, 1);
	for (i = 0; i <= 4; i++)
		t_start(&t, i);
	t_run(&t, t.now + 2000);
	is_str(t_role(&t, 4), "LEADING e0", "4 of 5 up: 4 leads");
	is_str(t_role(&t, 0), "OBSERVING 4 e0", "gateway observes 4");
	t.switches = 0;
	t_start(&t, 5);
	t_run(&t, t.now + 1000);
	is_str(t_role(&t, 5), "FOLLOWING 4 e0",
	    "late joiner 5 follows the established leader 4");
	is_int(t.switches, 1, "the late joiner caused no election");
	t_free(&t);
}

static void
test_restart_leader(void)
{
	struct t_net t;

	/*
	 * The leader restarts before anyone notices. Its followers hear it
	 * LOOKING, so it lost its post (and its state): a new epoch, and
	 * being the best candidate it leads again.
	 */
	t_init(&t, 3, 1);
	t_start_all(&t);
	t_run(&t, t.now + 1000);
	t_kill(&t, 3);
	t_start(&t, 3);
	t_run(&t, t.now + 1000);
	is_str(t_role(&t, 3), "LEADING e1",
	    "quickly restarted leader leads again, in a new epoch");
	ok(t_agree(&t, 3, 1), "quick leader restart: all agree on 3 in 1");
	t_free(&t);
}

static void
test_stepdown(void)
{
	struct t_net t;
	int64_t t0;

	t_init(&t, 3, 0);
	t_start_all(&t);
	t_run(&t, t.now + 1000);
	is_str(t_role(&t, 3), "LEADING e0", "stepdown: 3 leads");
	/* Cut the leader off. */
	t.cut[t_index(&t, 3)] = 1;
	t0 = t.now;
	t_run(&t, t0 + T_FAILURE - T_PING - 1);
	is_str(t_role(&t, 3), "LEADING e0",
	    "leader keeps leading before the failure timeout");
	t_run(&t, t0 + T_FAILURE + 2 * T_PING);
	is_str(t_role(&t, 3), "LOOKING e1",
	    "leader without a quorum steps down to LOOKING epoch 1");
	is_int(t.stepdowns, 1, "a STEPDOWN event");
	/* The followers notice the silence and elect 2 among themselves. */
	t_run(&t, t.now + 2000);
	is_str(t_role(&t, 2), "LEADING e1", "2 leads the majority in epoch 1");
	is_str(t_role(&t, 1), "FOLLOWING 2 e1", "1 follows 2");
	/* Heal: 3 joins 2 rather than disrupting it. */
	t.cut[t_index(&t, 3)] = 0;
	t_run(&t, t.now + 3000);
	ok(t_agree(&t, 2, 1), "after healing all follow 2 in epoch 1 (%s)",
	    t_role(&t, 3));
	t_free(&t);
}

static void
test_stale(void)
{
	struct t_net t;
	struct election_out out;
	struct election *e;

	/* 5 voters; 5 leads epoch 0; then 5 dies. */
	t_init(&t, 5, 1);
	t_start_all(&t);
	t_run(&t, t.now + 1000);
	ok(t_agree(&t, 5, 0), "stale: 5 leads epoch 0");
	t_kill(&t, 5);
	e = t_e(&t, 1);
	election_out_reset(&out);
	election_node_down(e, 5, t.now, &out);
	is_str(
	    t_role(&t, 1), "LOOKING e1", "1: leader failed, LOOKING epoch 1");
	/* Slow nodes still answer for 5, and a late LEADING from 5 arrives. */
	election_out_reset(&out);
	t_hear(e, t.now, &out, 5, PROTO_LEADING, 5, 0);
	t_hear(e, t.now, &out, 2, PROTO_FOLLOWING, 5, 0);
	t_hear(e, t.now, &out, 3, PROTO_FOLLOWING, 5, 0);
	t_hear(e, t.now, &out, 4, PROTO_FOLLOWING, 5, 0);
	is_str(t_role(&t, 1), "LOOKING e1",
	    "stale answers for the failed leader 5 are not followed");
	/* The gateway likewise. */
	e = t_e(&t, 0);
	election_out_reset(&out);
	election_node_down(e, 5, t.now, &out);
	is_str(t_role(&t, 0), "LOOKING e1", "gateway LOOKING epoch 1 too");
	t_hear(e, t.now, &out, 5, PROTO_LEADING, 5, 0);
	t_hear(e, t.now, &out, 2, PROTO_FOLLOWING, 5, 0);
	t_hear(e, t.now, &out, 3, PROTO_FOLLOWING, 5, 0);
	is_str(t_role(&t, 0), "LOOKING e1",
	    "gateway does not observe the failed leader");

	/* Without a LEADING from the leader itself, followers are not enough. */
	e = t_e(&t, 2);
	election_out_reset(&out);
	election_node_down(e, 5, t.now, &out);
	t.now += 10 * T_PING;
	election_node_up(e, 5, t.now, &out);
	t_hear(e, t.now, &out, 3, PROTO_FOLLOWING, 5, 0);
	t_hear(e, t.now, &out, 4, PROTO_FOLLOWING, 5, 0);
	is_str(t_role(&t, 2), "LOOKING e1",
	    "followers' answers alone do not make a leader");
	t_free(&t);
}

static void
test_join_lookers(void)
{
	struct t_net t;
	struct election_out out;
	struct proto_vote v;
	struct election *e;

	t_init(&t, 5, 1);
	t_start_all(&t);
	t_run(&t, t.now + 1000);
	ok(t_agree(&t, 5, 0), "lookers: 5 leads epoch 0");
	e = t_e(&t, 2);
	election_out_reset(&out);
	v = t_vote(1, PROTO_LOOKING, 1, 1);
	election_handle_vote(e, &v, t.now, &out);
	is_str(t_role(&t, 2), "FOLLOWING 5 e0",
	    "a follower hearing its leader ignores a voter looking in epoch 1");
	/* 5 goes quiet: three ping intervals later 2 joins the lookers. */
	t_kill(&t, 5);
	election_out_reset(&out);
	election_handle_vote(e, &v, t.now + 3 * T_PING, &out);
	is_str(t_role(&t, 2), "LOOKING e1",
	    "with its leader silent for 3 pings it looks in epoch 1 at once");
	e = t_e(&t, 0);
	election_out_reset(&out);
	election_handle_vote(e, &v, t.now + 3 * T_PING, &out);
	is_str(t_role(&t, 0), "LOOKING e1", "so does the gateway");
	/* A late gateway hears the new leader's announcement. */
	election_free(t.e[t_index(&t, 0)]);
	t.e[t_index(&t, 0)] = NULL;
	t_down(&t, 5);
	t_start(&t, 0);
	t_run(&t, t.now + 2000);
	is_str(
	    t_role(&t, 0), "OBSERVING 4 e1", "gateway (re)joins 4 in epoch 1");
	e = t_e(&t, 0);
	election_out_reset(&out);
	v = t_vote(3, PROTO_LEADING, 3, 2);
	election_handle_vote(e, &v, t.now, &out);
	is_str(t_role(&t, 0), "OBSERVING 4 e1",
	    "a LEADING in a later epoch is ignored while 4 pings");
	election_handle_vote(e, &v, t.now + 3 * T_PING, &out);
	is_str(t_role(&t, 0), "LOOKING e2",
	    "but once 4 missed 3 pings the gateway looks in epoch 2");
	t_free(&t);
}

static void
test_accept_rule(void)
{
	struct election_conf c;
	struct election_accepted acc = {1, 3, 4};
	struct election_out out;
	struct proto_vote v;
	struct election *e, *l;
	struct t_net t;
	int k, found;

	/* Voter 1 accepted leader 3 in epoch 4; 2 now claims epoch 4. */
	t_init(&t, 3, 0);
	c = t_conf(&t, 1);
	election_out_reset(&out);
	e = election_new(&c, &acc, 0, &out);
	is_int(
	    election_epoch(e), 5, "restart after accepting epoch 4 looks in 5");
	ok(out.nmsg == 2 && (out.msg[0].vote.flags & PROTO_VOTE_ACCEPTED) &&
		out.msg[0].vote.acc_epoch == 4 &&
		out.msg[0].vote.acc_leader == 3,
	    "its votes carry the accepted pair");
	election_out_reset(&out);
	v = t_vote(2, PROTO_LEADING, 2, 4);
	election_handle_vote(e, &v, 10, &out);
	v = t_vote(3, PROTO_FOLLOWING, 2, 4);
	election_handle_vote(e, &v, 10, &out);
	is_str(election_state_name(election_state(e)), "LOOKING",
	    "a voter never accepts a second leader in epoch 4");
	/* But leader 3 in epoch 4 again is fine. */
	v = t_vote(3, PROTO_LEADING, 3, 4);
	election_handle_vote(e, &v, 20, &out);
	v = t_vote(2, PROTO_FOLLOWING, 3, 4);
	election_handle_vote(e, &v, 20, &out);
	is_str(election_state_name(election_state(e)), "FOLLOWING",
	    "it rejoins the leader it accepted in that epoch");
	is_int(election_epoch(e), 4, "in epoch 4");
	election_free(e);

	/* A LOOKING voter does not answer FOLLOWING notifications. */
	c = t_conf(&t, 2);
	election_out_reset(&out);
	l = election_new(&c, NULL, 0, &out);
	election_out_reset(&out);
	v = t_vote(1, PROTO_FOLLOWING, 3, 0);
	election_handle_vote(l, &v, 0, &out);
	found = 0;
	for (k = 0; k < out.nmsg; k++)
		found |= out.msg[k].to == 1;
	ok(!found, "no reply to a FOLLOWING notification");
	election_free(l);

	/* Leader 2 in epoch 0 meets voter 1 that accepted 3 in epoch 0. */
	election_out_reset(&out);
	l = election_new(&c, NULL, 0, &out);
	election_out_reset(&out);
	v = t_vote(1, PROTO_LOOKING, 2, 0);
	election_handle_vote(l, &v, 0, &out);
	election_tick(l, T_FINALIZE, &out);
	is_str(election_state_name(election_state(l)), "LOOKING",
	    "a fresh 2 waits for 3, never heard yet");
	election_tick(l, T_FAILURE, &out);
	is_str(election_state_name(election_state(l)), "LEADING",
	    "2 leads epoch 0 with 1's vote after a failure timeout");
	v = t_vote(3, PROTO_LOOKING, 3, 1);
	v.flags |= PROTO_VOTE_ACCEPTED;
	v.acc_leader = 3;
	v.acc_epoch = 0;
	election_out_reset(&out);
	election_handle_vote(l, &v, T_FAILURE + 10, &out);
	is_str(election_state_name(election_state(l)), "LOOKING",
	    "leader steps down for a voter that accepted another leader "
	    "in its epoch");
	is_int(election_epoch(l), 2, "and looks in a fresh epoch (2)");
	ok(out.nev >= 2 && out.ev[0].type == ELECT_EV_STEPDOWN,
	    "STEPDOWN event first");
	election_free(l);
	t_free(&t);
}

static void
test_replies(void)
{
	struct election_conf c;
	struct election_out out;
	struct proto_vote v;
	struct election *e;
	struct t_net t;

	t_init(&t, 3, 1);
	c = t_conf(&t, 3);
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	is_int(out.nmsg, 3, "a new voter notifies the 3 other members");
	is_int(out.msg[0].vote.state, PROTO_LOOKING, "as LOOKING");
	is_int(out.msg[0].vote.leader, 3, "proposing itself");

	election_out_reset(&out);
	v = t_vote(1, PROTO_LOOKING, 1, 0);
	election_handle_vote(e, &v, 1, &out);
	ok(out.nmsg == 1 && out.msg[0].to == 1 && out.msg[0].vote.leader == 3,
	    "a worse vote gets our better one back");
	election_out_reset(&out);
	v = t_vote(0, PROTO_OBSERVING, -1, 0);
	election_handle_vote(e, &v, 1, &out);
	ok(out.nmsg == 1 && out.msg[0].to == 0,
	    "an observer's query is answered");

	/* Bad notifications. */
	v = t_vote(9, PROTO_LOOKING, 9, 0);
	is_int(election_handle_vote(e, &v, 1, &out), -1, "unknown sender");
	v = t_vote(3, PROTO_LOOKING, 3, 0);
	is_int(election_handle_vote(e, &v, 1, &out), -1, "from ourselves");
	v = t_vote(2, PROTO_OBSERVING, -1, 0);
	is_int(election_handle_vote(e, &v, 1, &out), -1,
	    "a voter claiming to observe");
	t_free(&t);
	v = t_vote(0, PROTO_LEADING, 0, 0);
	is_int(election_handle_vote(e, &v, 1, &out), -1,
	    "an observer claiming to lead");

	/* The back-off: resends at 200, 400, 800, 1600, 1600 ms gaps. */
	{
		int64_t prev = election_next_timeout(e), gaps[5];
		int k;

		for (k = 0; k < 5; k++) {
			election_out_reset(&out);
			election_tick(e, prev, &out);
			gaps[k] = election_next_timeout(e) - prev;
			prev = election_next_timeout(e);
		}
		ok(gaps[0] == 400 && gaps[1] == 800 && gaps[2] == 1600 &&
			gaps[3] == 1600 && gaps[4] == 1600,
		    "resend back-off doubles up to 8x finalize (%lld %lld %lld "
		    "%lld %lld)",
		    (long long)gaps[0], (long long)gaps[1], (long long)gaps[2],
		    (long long)gaps[3], (long long)gaps[4]);
	}
	election_free(e);
}

static void
test_finalize_better(void)
{
	struct election_conf c;
	struct election_out out;
	struct proto_vote v;
	struct election *e;
	struct t_net t;

	/* 5 voters; 3 has votes from 1 and 2 (quorum), then 5 shows up. */
	t_init(&t, 5, 0);
	c = t_conf(&t, 3);
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	v = t_vote(1, PROTO_LOOKING, 3, 0);
	election_handle_vote(e, &v, 10, &out);
	v = t_vote(2, PROTO_LOOKING, 3, 0);
	election_handle_vote(e, &v, 10, &out);
	election_out_reset(&out);
	election_tick(e, 10 + T_FINALIZE - 1, &out);
	is_int(election_state(e), ELECT_LOOKING,
	    "quorum for 3: no decision before the finalize wait");
	v = t_vote(5, PROTO_LOOKING, 5, 0);
	election_out_reset(&out);
	election_handle_vote(e, &v, 100, &out);
	is_int(out.nmsg, 4, "a better vote within the wait is broadcast");
	election_out_reset(&out);
	election_tick(e, 10 + T_FINALIZE, &out);
	is_int(election_state(e), ELECT_LOOKING,
	    "no decision for 3 after the better vote");
	v = t_vote(1, PROTO_LOOKING, 5, 0);
	election_handle_vote(e, &v, 300, &out);
	v = t_vote(2, PROTO_LOOKING, 5, 0);
	election_handle_vote(e, &v, 300, &out);
	election_tick(e, 300 + T_FINALIZE, &out);
	is_str(election_state_name(election_state(e)), "FOLLOWING",
	    "3 follows once 5 has a quorum and the wait passed");
	is_int(election_leader(e), 5, "leader 5");
	election_free(e);
	t_free(&t);
}

/*
 * A live voter with a better id that has not voted yet (it still follows
 * the old leader: its gossip runs but its JVMs slowed it) is waited for
 * beyond the finalize time, at most one failure timeout from the start.
 */
static void
test_wait_live_better(void)
{
	struct election_conf c;
	struct election_out out;
	struct election *e;
	struct t_net t;
	int i, late;

	t_init(&t, 5, 0);
	c = t_conf(&t, 3);
	for (late = 0; late <= 1; late++) {
		election_out_reset(&out);
		e = election_new(&c, NULL, 0, &out);
		for (i = 1; i <= 4; i++)
			election_node_up(e, i, 0, &out);
		election_node_down(e, 5, 0, &out);
		t_hear(e, 5, &out, 4, PROTO_FOLLOWING, 5, 0);
		t_hear(e, 10, &out, 1, PROTO_LOOKING, 3, 0);
		t_hear(e, 10, &out, 2, PROTO_LOOKING, 3, 0);
		election_tick(e, 10 + T_FINALIZE, &out);
		is_int(election_state(e), ELECT_LOOKING,
		    "quorum for 3 but live 4 has not voted: still looking");
		if (!late) {
			t_hear(e, 500, &out, 4, PROTO_LOOKING, 4, 0);
			t_hear(e, 500, &out, 1, PROTO_LOOKING, 4, 0);
			t_hear(e, 500, &out, 2, PROTO_LOOKING, 4, 0);
			election_tick(e, 500 + T_FINALIZE, &out);
			is_str(election_state_name(election_state(e)),
			    "FOLLOWING", "4 votes late: 3 follows");
			is_int(election_leader(e), 4, "the better candidate 4");
		} else {
			election_tick(e, T_FAILURE - 1, &out);
			is_int(election_state(e), ELECT_LOOKING,
			    "4 silent: still looking before a failure timeout");
			election_tick(e, T_FAILURE + T_FINALIZE, &out);
			is_str(election_state_name(election_state(e)),
			    "LEADING", "then 3 leads with its quorum");
		}
		election_free(e);
	}
	/* Fresh: 4 and 5, never heard, are waited for, a while at most. */
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	t_hear(e, 10, &out, 1, PROTO_LOOKING, 3, 0);
	t_hear(e, 10, &out, 2, PROTO_LOOKING, 3, 0);
	election_tick(e, 10 + T_FINALIZE, &out);
	is_int(election_state(e), ELECT_LOOKING,
	    "a node that never decided waits for better voters never heard");
	election_tick(e, T_FAILURE + T_FINALIZE, &out);
	is_str(election_state_name(election_state(e)), "LEADING",
	    "for a failure timeout at most");
	election_free(e);
	/* Gossip says 4 failed: no wait at all. */
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	election_node_up(e, 4, 0, &out);
	election_node_down(e, 4, 1, &out);
	election_node_down(e, 5, 1, &out);
	t_hear(e, 10, &out, 1, PROTO_LOOKING, 3, 0);
	t_hear(e, 10, &out, 2, PROTO_LOOKING, 3, 0);
	election_tick(e, 10 + T_FINALIZE, &out);
	is_str(election_state_name(election_state(e)), "LEADING",
	    "a failed voter is not waited for");
	election_free(e);
	t_free(&t);
}

static void
test_vote_codec(void)
{
	struct proto_vote v, w;
	struct buf b;
	uint8_t *p;

	v = t_vote(7, PROTO_LEADING, 7, 0x0102030405060708ULL);
	v.flags |= PROTO_VOTE_ACCEPTED;
	v.acc_leader = 6;
	v.acc_epoch = 99;
	buf_init(&b);
	proto_vote_encode(&b, &v);
	is_int(buf_len(&b), PROTO_VOTE_LEN, "VOTE is %d bytes", PROTO_VOTE_LEN);
	p = buf_data(&b);
	ok(p[0] == 2 && p[1] == 3 && p[2] == 0 && p[3] == 7 && p[6] == 1 &&
		p[13] == 8,
	    "VOTE fields big-endian in order");
	memset(&w, 0, sizeof w);
	ok(proto_vote_decode(p, buf_len(&b), &w) == 0 &&
		memcmp(&v, &w, sizeof v) == 0,
	    "VOTE round trip");
	is_int(proto_vote_decode(p, buf_len(&b) - 1, &w), -1, "short VOTE");
	buf_add(&b, "x", 1);
	is_int(proto_vote_decode(buf_data(&b), buf_len(&b), &w), -1,
	    "VOTE with a trailing byte");
	p = buf_data(&b);
	p[0] = 4;
	is_int(proto_vote_decode(p, PROTO_VOTE_LEN, &w), -1,
	    "VOTE with an unknown state");
	p[0] = 1;
	p[1] = 0x80;
	is_int(proto_vote_decode(p, PROTO_VOTE_LEN, &w), -1,
	    "VOTE with unknown flags");
	buf_free(&b);
}

/*
 * A leader that steps down for a voter that cannot join it, and at once
 * joins another established leader, follows that one in its epoch: the
 * voter's later LOOKING round must not drag its epoch along (found by
 * tests/fuzz/fuzz_cluster).
 */
static void
test_stepdown_join(void)
{
	struct election_conf c;
	struct election_accepted acc;
	struct election_out out;
	struct proto_vote v;
	struct election *e;
	struct t_net t;
	uint64_t n;

	t_init(&t, 3, 0);
	c = t_conf(&t, 3);
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	v = t_vote(1, PROTO_LOOKING, 3, 0);
	election_handle_vote(e, &v, 0, &out);
	v = t_vote(2, PROTO_LOOKING, 3, 0);
	election_handle_vote(e, &v, 0, &out);
	election_out_reset(&out);
	election_tick(e, T_FINALIZE, &out);
	is_str(election_state_name(election_state(e)), "LEADING",
	    "3 leads epoch 0");
	/* A healed partition: 2 leads epoch 5 with 1, which now looks. */
	election_out_reset(&out);
	v = t_vote(2, PROTO_LEADING, 2, 5);
	election_handle_vote(e, &v, T_FINALIZE + 10, &out);
	v = t_vote(1, PROTO_LOOKING, 1, 7);
	v.flags |= PROTO_VOTE_ACCEPTED;
	v.acc_leader = 2;
	v.acc_epoch = 5;
	election_handle_vote(e, &v, T_FINALIZE + 20, &out);
	acc = election_accepted(e);
	ok(election_state(e) == ELECT_FOLLOWING && election_leader(e) == 2 &&
		acc.valid && acc.leader == 2 && acc.epoch == 5,
	    "3 steps down and joins 2 in epoch 5");
	is_int(election_epoch(e), 5, "its epoch is the one it accepted");
	n = election_count(e);
	election_out_reset(&out);
	v = t_vote(2, PROTO_LEADING, 2, 5);
	election_handle_vote(e, &v, T_FINALIZE + 30, &out);
	ok(election_state(e) == ELECT_FOLLOWING && election_leader(e) == 2 &&
		election_count(e) == n && out.nev == 0,
	    "2's next ping is just a ping, not a new election");
	election_free(e);
	t_free(&t);
}

/* Epochs near 2^64 are refused: epoch + 1 must not wrap (fuzz_cluster). */
static void
test_epoch_max(void)
{
	struct election_conf c;
	struct election_out out;
	struct proto_vote v;
	struct election *e;
	struct t_net t;

	t_init(&t, 3, 0);
	c = t_conf(&t, 1);
	election_out_reset(&out);
	e = election_new(&c, NULL, 0, &out);
	election_out_reset(&out);
	v = t_vote(2, PROTO_LOOKING, 2, UINT64_MAX);
	is_int(election_handle_vote(e, &v, 0, &out), -1,
	    "a vote in epoch 2^64-1 is refused");
	is_int(election_epoch(e), 0, "and leaves the round alone");
	v = t_vote(2, PROTO_LOOKING, 2, 1);
	v.flags |= PROTO_VOTE_ACCEPTED;
	v.acc_leader = 3;
	v.acc_epoch = ELECT_EPOCH_MAX;
	is_int(election_handle_vote(e, &v, 0, &out), -1,
	    "so is an accepted pair in epoch ELECT_EPOCH_MAX");
	v = t_vote(2, PROTO_LOOKING, 2, ELECT_EPOCH_MAX - 1);
	is_int(election_handle_vote(e, &v, 0, &out), 0,
	    "ELECT_EPOCH_MAX - 1 is fine");
	is_int(election_epoch(e), ELECT_EPOCH_MAX - 1, "and is caught up with");
	election_free(e);
	t_free(&t);
}

int
main(void)
{
	test_vote_codec();
	test_three();
	test_seven();
	test_late_joiner();
	test_restart_leader();
	test_stepdown();
	test_stale();
	test_join_lookers();
	test_accept_rule();
	test_replies();
	test_finalize_better();
	test_wait_live_better();
	test_leader_still_finalizing();
	test_stepdown_join();
	test_epoch_max();
	return tap_done();
}
