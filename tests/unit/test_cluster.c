/*
 * test_cluster.c: the socket shell around election and gossip, on a real
 * event loop and loopback UDP: every kind of bad datagram is dropped and
 * counted by reason, good ones reach the state machines, the accepted pair
 * is written to state-dir and read back after a restart (and, once, from
 * log-dir, where earlier versions kept it), a node that cannot write it
 * sends no vote, listeners hear about
 * leaders and nodes, a closed port (ICMP port unreachable) fails a live
 * member at once, a flood is read in bounded batches (the loop gets its
 * turn between them), and /cluster-info and /metrics say what happened.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cluster-int.h"
#include "cluster.h"
#include "conf.h"
#include "ev.h"
#include "log.h"
#include "proto.h"
#include "tap.h"
#include "wire.h"

static uint8_t t_key[WIRE_KEY_LEN], t_bad[WIRE_KEY_LEN];
static int t_sock; /* plays node 2 */
static struct sockaddr_in t_to; /* node 1's UDP address */
static uint64_t t_seq;
static int t_leader_events, t_last_leader = -2, t_up_events;
static uint64_t t_last_epoch, t_last_alive;

static void
t_listener(const struct cluster_event *ev, void *arg)
{
	(void)arg;
	t_last_alive = ev->alive;
	if (ev->type == CLUSTER_EV_LEADER) {
		t_leader_events++;
		t_last_leader = ev->leader;
		t_last_epoch = ev->epoch;
	} else if (ev->type == CLUSTER_EV_NODE_UP)
		t_up_events++;
}

/* A UDP socket on a loopback port the kernel chooses. */
static int
t_bind(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&a, sizeof a) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) == -1)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

/* A UDP socket on loopback port port (node 2 back after a restart). */
static int
t_bind_port(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (fd == -1 || bind(fd, (struct sockaddr *)&a, sizeof a) == -1)
		abort();
	return fd;
}

/* Send one frame as `sender` to node 1, with payload and options. */
static void
t_send(int type, int sender, uint64_t inc, uint64_t seq, const struct buf *p,
    const uint8_t *key, int cut, int extra)
{
	struct wire_hdr h;
	struct buf b;

	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.type = (uint8_t)type;
	h.sender = (uint16_t)sender;
	h.incarnation = inc;
	h.seq = seq;
	buf_init(&b);
	wire_encode(&b, &h, p != NULL ? buf_data(p) : NULL,
	    p != NULL ? buf_len(p) : 0, key);
	if (extra)
		buf_add(&b, "x", 1);
	sendto(t_sock, buf_data(&b), buf_len(&b) - (size_t)cut, 0,
	    (struct sockaddr *)&t_to, sizeof t_to);
	buf_free(&b);
}

/* A GOSSIP payload with node 2's own entry. */
static void
t_gossip(struct buf *p, uint64_t inc, uint64_t hb)
{
	struct proto_gossip g;

	memset(&g, 0, sizeof g);
	g.n = 1;
	g.e[0].id = 2;
	g.e[0].incarnation = inc;
	g.e[0].heartbeat = hb;
	buf_reset(p);
	proto_gossip_encode(p, &g);
}

static void
t_vote(struct buf *p, int sender, int state, int leader, uint64_t epoch)
{
	struct proto_vote v;

	memset(&v, 0, sizeof v);
	v.sender = (uint16_t)sender;
	v.state = (uint8_t)state;
	v.flags = PROTO_VOTE_LEADER;
	v.leader = (uint16_t)leader;
	v.epoch = epoch;
	buf_reset(p);
	proto_vote_encode(p, &v);
}

/* A metric's value from cluster_write_metrics, -1 if absent. */
static long long
t_metric(struct cluster *c, const char *name)
{
	struct buf b;
	const char *s, *at;
	long long v = -1;

	buf_init(&b);
	cluster_write_metrics(c, &b);
	s = buf_cstr(&b);
	for (at = strstr(s, name); at != NULL; at = strstr(at + 1, name)) {
		if ((at == s || at[-1] == '\n') && at[strlen(name)] == ' ') {
			v = atoll(at + strlen(name) + 1);
			break;
		}
	}
	buf_free(&b);
	return v;
}

/* Run the loop until cond(c) holds or 3 s pass. */
static int
t_until(struct ev *ev, struct cluster *c, int (*cond)(struct cluster *))
{
	int64_t end = ev_update_time(ev) + 3000;

	while (!cond(c)) {
		if (ev_update_time(ev) > end)
			return 0;
		ev_run_once(ev, 20);
	}
	return 1;
}

static int
t_drained(struct cluster *c)
{
	static long long last = -1;
	long long n = t_metric(c, "jdp_cluster_datagrams_received_total");
	int same = n == last;

	last = n;
	return same && n > 0;
}

static long long withheld = -1;

static int
t_withheld(struct cluster *c)
{
	return t_metric(c, "jdp_cluster_votes_withheld_total") > 0;
}

static int
t_withheld_more(struct cluster *c)
{
	return t_metric(c, "jdp_cluster_votes_withheld_total") > withheld;
}

static int
t_heard_two(struct cluster *c)
{
	(void)c;
	return t_last_leader == 2;
}

static int t_received_valid(int *);

/* Node 1 sent node 2 a VOTE. */
static int
t_voted(struct cluster *c)
{
	static int types;

	(void)c;
	t_received_valid(&types);
	return (types & (1 << PROTO_VOTE)) != 0;
}

static int
t_following(struct cluster *c)
{
	return cluster_leader(c) == 2;
}

static int
t_two_failed(struct cluster *c)
{
	return !cluster_alive(c, 2);
}

/* Receive what node 1 sent to "node 2"; 1 if a valid frame from 1 came. */
static int
t_received_valid(int *types)
{
	uint8_t pkt[65536];
	struct wire_msg m;
	enum wire_err err;
	ssize_t n;
	int good = 0;

	while ((n = recv(t_sock, pkt, sizeof pkt, MSG_DONTWAIT)) > 0) {
		if (wire_decode(pkt, (size_t)n, t_key, 65536, &m, &err) == n &&
		    m.h.sender == 1) {
			good = 1;
			*types |= 1 << m.h.type;
		}
	}
	return good;
}

/* The tag of the last PROBE_ACK node 1 sent to "node 2" (0: none yet). */
static uint64_t t_ack_tag;

/* Node 1 answered a PROBE: t_ack_tag is set. */
static int
t_acked(struct cluster *c)
{
	uint8_t pkt[65536];
	struct wire_msg m;
	enum wire_err err;
	ssize_t n;

	(void)c;
	while ((n = recv(t_sock, pkt, sizeof pkt, MSG_DONTWAIT)) > 0) {
		if (wire_decode(pkt, (size_t)n, t_key, 65536, &m, &err) == n &&
		    m.h.sender == 1 && m.h.type == PROTO_PROBE_ACK &&
		    proto_probe_decode(m.payload, m.plen, &t_ack_tag) == -1)
			t_ack_tag = 1; /* malformed: not the tag sent */
	}
	return t_ack_tag != 0;
}

int
main(void)
{
	char dir[] = "/tmp/jdp-test-cluster.XXXXXX", *text, *cause = NULL;
	struct conf *conf;
	struct cluster *c;
	struct ev *ev;
	struct buf p, info;
	int port1, port2, probe, i, types = 0;
	long long before;
	char *old;
	FILE *f;
	char line[128];

	for (i = 0; i < WIRE_KEY_LEN; i++) {
		t_key[i] = (uint8_t)(i * 7 + 1);
		t_bad[i] = (uint8_t)(i * 7 + 2);
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	/* Node 2 is our socket; node 1 gets a port the kernel found free. */
	t_sock = t_bind(&port2);
	probe = t_bind(&port1);
	close(probe);
	if (asprintf(&text,
		"node 0 gateway 127.0.0.1:1000 http 1005\n"
		"node 1 peer 127.0.0.1:%d\n"
		"node 2 peer 127.0.0.1:%d\n"
		"cluster-key-file /nonexistent\n"
		"failure-timeout 30s\n"
		"cleanup-timeout 60s\n"
		"state-dir %s/state\n"
		"log-dir %s\n",
		port1, port2, dir, dir) == -1)
		return 1;
	if (conf_parse("test.conf", text, &conf, &cause) == -1) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	free(text);
	if (log_open(1, dir, LOGLVL_ERROR, &cause) == -1) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	t_to = conf_find_node(conf, 1)->addr;

	ev = ev_new();
	c = cluster_new(ev, conf, 1, t_key, &cause);
	if (c == NULL) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	ok(cluster_add_listener(c, t_listener, NULL) == 0, "a listener");
	ok(t_leader_events == 1 && t_last_leader == -1 &&
		t_last_epoch == cluster_epoch(c),
	    "a new listener hears the current (leader, epoch) at once");
	is_int((int)t_last_alive, 1 << 1, "and that only node 1 is alive");
	is_str(cluster_role_name(c), "LOOKING", "a new peer is LOOKING");
	is_int(cluster_leader(c), -1, "with no leader");

	buf_init(&p);
	t_gossip(&p, 5, 10);
	t_send(PROTO_GOSSIP, 2, 5, ++t_seq, &p, t_key, 0, 0);
	t_send(PROTO_GOSSIP, 2, 5, t_seq, &p, t_key, 0, 0); /* replay */
	t_send(PROTO_GOSSIP, 2, 5, ++t_seq, &p, t_bad, 0, 0);
	t_send(PROTO_GOSSIP, 9, 5, ++t_seq, &p, t_key, 0, 0);
	t_send(PROTO_GOSSIP, 1, 5, ++t_seq, &p, t_key, 0, 0);
	t_send(PROTO_WORK, 2, 5, ++t_seq, &p, t_key, 0, 0);
	t_send(PROTO_VOTE, 2, 5, ++t_seq, &p, t_key, 0, 0);
	t_send(PROTO_GOSSIP, 2, 5, ++t_seq, &p, t_key, 10, 0);
	t_send(PROTO_GOSSIP, 2, 5, ++t_seq, &p, t_key, 0, 1);
	sendto(t_sock, "garbage", 7, 0, (struct sockaddr *)&t_to, sizeof t_to);
	t_vote(&p, 3, PROTO_LOOKING, 3, 0);
	t_send(PROTO_VOTE, 2, 5, ++t_seq, &p, t_key, 0, 0);
	t_send(PROTO_VOTE, 2, 4, ++t_seq, &p, t_key, 0, 0); /* older inc */
	ok(t_until(ev, c, t_drained), "the datagrams arrive");

	is_int(t_metric(c, "jdp_cluster_datagrams_received_total"), 12,
	    "12 datagrams received");
	is_int(
	    t_metric(c, "jdp_cluster_messages_received_total{type=\"GOSSIP\"}"),
	    1, "1 GOSSIP accepted");
	ok(cluster_alive(c, 2), "node 2 is alive from its gossip");
	is_int(t_up_events, 1, "listeners heard node 2 come up");
	is_int((int)t_last_alive, 1 << 1 | 1 << 2,
	    "events carry the live nodes: 1 and 2");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"replay\"}"), 2,
	    "a repeated sequence and an older incarnation: replay");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"tag\"}"), 1,
	    "wrong key: tag");
	is_int(
	    t_metric(c, "jdp_cluster_dropped_total{reason=\"unknown_sender\"}"),
	    2, "sender 9 and a sender claiming to be us: unknown_sender");
	is_int(
	    t_metric(c, "jdp_cluster_dropped_total{reason=\"unknown_type\"}"),
	    1, "a WORK frame over UDP: unknown_type");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"bad_payload\"}"),
	    2,
	    "a GOSSIP body as VOTE, a VOTE naming another sender: bad_payload");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"short\"}"), 1,
	    "a cut frame: short");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"trailing\"}"), 1,
	    "a byte after the frame: trailing");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"magic\"}"), 1,
	    "plain garbage: magic");
	is_str(cluster_role_name(c), "LOOKING", "none of it changed the state");

	/* A flood: more datagrams than one wake-up may handle. */
	before = t_metric(c, "jdp_cluster_datagrams_received_total");
	for (i = 0; i < CLUSTER_READ_MAX + 36; i++)
		sendto(t_sock, "garbage", 7, 0, (struct sockaddr *)&t_to,
		    sizeof t_to);
	ev_run_once(ev, 1000);
	is_int(t_metric(c, "jdp_cluster_datagrams_received_total") - before,
	    CLUSTER_READ_MAX,
	    "a flood: %d datagrams per wake-up, then the loop returns",
	    CLUSTER_READ_MAX);
	ok(t_until(ev, c, t_drained), "the rest on the next wake-ups");
	is_int(t_metric(c, "jdp_cluster_datagrams_received_total") - before,
	    CLUSTER_READ_MAX + 36, "every one of them counted");

	/* 2 votes for itself: 1 adopts it, 2 of 2 voters agree. */
	t_vote(&p, 2, PROTO_LOOKING, 2, 0);
	t_send(PROTO_VOTE, 2, 5, ++t_seq, &p, t_key, 0, 0);
	ok(t_until(ev, c, t_following), "1 follows 2 after the finalize wait");
	is_str(cluster_role_name(c), "FOLLOWING", "role FOLLOWING");
	ok(t_leader_events >= 1 && t_last_leader == 2,
	    "listeners heard leader 2");
	is_int(t_metric(c, "jdp_cluster_state{state=\"FOLLOWING\"}"), 1,
	    "/metrics: state FOLLOWING");
	ok(t_received_valid(&types) && (types & (1 << PROTO_VOTE)) &&
		(types & (1 << PROTO_GOSSIP)),
	    "1 sent authenticated VOTE and GOSSIP frames to 2");

	t_vote(&p, 2, PROTO_LEADING, 2, 0);
	t_send(PROTO_VOTE, 2, 5, ++t_seq, &p, t_key, 0, 0);
	ok(t_until(ev, c, t_drained), "a LEADING ping arrives");
	buf_init(&info);
	cluster_write_info(c, &info, 0);
	is_str(buf_cstr(&info), "Server 1 - FOLLOWER\nServer 2 - LEADER\n",
	    "/cluster-info text: live nodes sorted, with roles");
	buf_reset(&info);
	cluster_write_info(c, &info, 1);
	ok(strstr(buf_cstr(&info), "\"leader\":2,\"epoch\":0,") != NULL &&
		strstr(buf_cstr(&info),
		    "{\"id\":0,\"role\":\"OBSERVER\","
		    "\"address\":\"127.0.0.1:") != NULL &&
		strstr(buf_cstr(&info), "\"alive\":false,\"heartbeat\":null") !=
		    NULL &&
		strstr(buf_cstr(&info), "\"id\":2,\"role\":\"LEADER\"") != NULL,
	    "/cluster-info JSON: leader, epoch, every node");
	buf_free(&info);

	/* A PROBE from 2 is answered at once with its tag. */
	buf_reset(&p);
	proto_probe_encode(&p, 0xfeedfacecafef00dULL);
	t_send(PROTO_PROBE, 2, 5, ++t_seq, &p, t_key, 0, 0);
	ok(t_until(ev, c, t_acked) && t_ack_tag == 0xfeedfacecafef00dULL,
	    "a PROBE is answered with a PROBE_ACK echoing its tag");
	is_int(
	    t_metric(c, "jdp_cluster_messages_received_total{type=\"PROBE\"}"),
	    1, "/metrics: 1 PROBE received");
	is_int(
	    t_metric(c, "jdp_cluster_messages_sent_total{type=\"PROBE_ACK\"}"),
	    1, "/metrics: 1 PROBE_ACK sent");
	buf_reset(&p);
	proto_probe_encode(&p, 0);
	t_send(PROTO_PROBE, 2, 5, ++t_seq, &p, t_key, 0, 0);
	ok(t_until(ev, c, t_drained), "a PROBE with tag 0 arrives");
	is_int(t_metric(c, "jdp_cluster_dropped_total{reason=\"bad_payload\"}"),
	    3, "and is dropped: bad_payload");

	/* Node 0 never ran: the kernel refuses every datagram to it. */
	ok(t_metric(c, "jdp_cluster_unreachable_total{verdict=\"ignored\"}") >
		0,
	    "port unreachable for node 0, never heard of: ignored");
	is_int(t_metric(c, "jdp_cluster_send_errors_total"), 0,
	    "the datagram sent after such a report is not lost");
	/* Node 2's process goes: 1's FOLLOWING pings meet a closed port. */
	close(t_sock);
	ok(t_until(ev, c, t_two_failed),
	    "leader 2's closed port fails it long before failure-timeout");
	is_int(
	    t_metric(c, "jdp_cluster_unreachable_total{verdict=\"suspect\"}"),
	    1, "/metrics: a report made it a suspect (probed)");
	is_int(t_metric(c, "jdp_cluster_unreachable_total{verdict=\"failed\"}"),
	    1, "/metrics: the report quoting the probe failed it");
	ok(t_metric(c, "jdp_cluster_messages_sent_total{type=\"PROBE\"}") >= 1,
	    "/metrics: the probe was sent");
	is_int(t_metric(c, "jdp_cluster_failures_total"), 1,
	    "/metrics: one failure");
	is_str(cluster_role_name(c), "LOOKING", "1 looks for a new leader");
	ok(t_last_leader == -1 && t_last_epoch == cluster_epoch(c) &&
		t_last_epoch > 0,
	    "listeners heard no leader in the new epoch");
	is_int((int)t_last_alive, 1 << 1, "and that node 2 is gone");
	is_int(t_metric(c, "jdp_cluster_errqueue_other_total"), 0,
	    "nothing else was on the error queue");

	/* The accepted pair is on disk and survives a restart. */
	if (asprintf(&text, "%s/state/node-1.accepted", dir) == -1)
		return 1;
	f = fopen(text, "r");
	ok(f != NULL && fgets(line, sizeof line, f) != NULL &&
		strcmp(line, "epoch 0 leader 2\n") == 0,
	    "STATE-DIR/node-1.accepted holds epoch 0 leader 2");
	if (f != NULL)
		fclose(f);
	cluster_free(c);
	c = cluster_new(ev, conf, 1, t_key, &cause);
	ok(c != NULL, "restart on the same port");
	is_int(cluster_epoch(c), 1, "after the restart it looks in epoch 1");
	cluster_add_listener(c, t_listener, NULL);
	ok(t_last_leader == -1 && t_last_epoch == 1,
	    "a listener hears epoch 1 with no leader at once");
	cluster_free(c);
	/* An epoch that could wrap is a corrupt file (fuzz_cluster). */
	f = fopen(text, "w");
	if (f == NULL ||
	    fputs("epoch 18446744073709551615 leader 2\n", f) < 0 ||
	    fclose(f) != 0)
		return 1;
	c = cluster_new(ev, conf, 1, t_key, &cause);
	ok(c != NULL && cluster_epoch(c) == 0,
	    "a pair in epoch 2^64-1 is ignored: it starts afresh in epoch 0");
	cluster_free(c);
	unlink(text);
	free(text);

	/* An upgrade: the pair only in LOG-DIR, where it used to be. */
	if (asprintf(&text, "%s/node-1.accepted", dir) == -1 ||
	    asprintf(&old, "%s/state/node-1.accepted", dir) == -1)
		return 1;
	if ((f = fopen(text, "w")) == NULL ||
	    fputs("epoch 5 leader 2\n", f) < 0 || fclose(f) != 0)
		return 1;
	c = cluster_new(ev, conf, 1, t_key, &cause);
	ok(c != NULL && cluster_epoch(c) == 6,
	    "a pair in LOG-DIR (epoch 5) is read: it looks in epoch 6");
	f = fopen(old, "r");
	ok(f != NULL && fgets(line, sizeof line, f) != NULL &&
		strcmp(line, "epoch 5 leader 2\n") == 0,
	    "and moved to STATE-DIR");
	if (f != NULL)
		fclose(f);
	ok(access(text, F_OK) == -1, "the LOG-DIR file is gone");
	cluster_free(c);
	unlink(old);
	free(old);
	free(text);

	/* A state-dir that cannot be written: no vote leaves the node. */
	if (asprintf(&text, "%s/blocked", dir) == -1)
		return 1;
	if ((f = fopen(text, "w")) == NULL || fclose(f) != 0)
		return 1;
	free(conf->state_dir);
	if (asprintf(&conf->state_dir, "%s/sub", text) == -1)
		return 1;
	t_sock = t_bind_port(port2);
	c = cluster_new(ev, conf, 1, t_key, &cause);
	ok(c != NULL, "a node whose state-dir is under a plain file starts");
	cluster_add_listener(c, t_listener, NULL);
	t_vote(&p, 2, PROTO_LEADING, 2, cluster_epoch(c));
	t_send(PROTO_VOTE, 2, 6, ++t_seq, &p, t_key, 0, 0);
	ok(t_until(ev, c, t_withheld),
	    "it accepts leader 2 but withholds "
	    "its votes");
	is_str(cluster_role_name(c), "FOLLOWING", "the election follows 2");
	is_int(cluster_leader(c), -1, "the node reports no leader");
	ok(t_last_leader == -1, "and its listeners heard none");
	ok(t_metric(c, "jdp_cluster_state_save_errors_total") > 0,
	    "/metrics counts the failed saves");
	types = 0;
	t_received_valid(&types); /* what it sent before */
	withheld = t_metric(c, "jdp_cluster_votes_withheld_total");
	ok(t_until(ev, c, t_withheld_more), "its pings are withheld too");
	types = 0;
	ok(!t_received_valid(&types) || !(types & (1 << PROTO_VOTE)),
	    "no VOTE reached node 2");
	/* The operator fixes it: the pair is saved, the node votes again. */
	unlink(text);
	if (mkdir(text, 0755) == -1)
		return 1;
	ok(t_until(ev, c, t_heard_two),
	    "once state-dir can be written, it "
	    "follows 2 again");
	types = 0;
	ok(t_until(ev, c, t_voted), "and votes");
	cluster_free(c);
	if (asprintf(&old, "%s/sub/node-1.accepted", text) == -1)
		return 1;
	unlink(old);
	free(old);
	if (asprintf(&old, "%s/sub", text) == -1)
		return 1;
	rmdir(old);
	free(old);
	rmdir(text);
	free(text);
	close(t_sock);

	buf_free(&p);
	ev_free(ev);
	conf_free(conf);
	log_close();
	for (i = 0; i < 2; i++) {
		if (asprintf(&text, "%s/node-1.%s.log", dir,
			i ? "verbose" : "summary") == -1)
			return 1;
		unlink(text);
		free(text);
	}
	if (asprintf(&text, "%s/state", dir) == -1)
		return 1;
	rmdir(text);
	free(text);
	rmdir(dir);
	return tap_done();
}
