/*
 * cluster-info.c: what a node says about the cluster over HTTP (cluster.h):
 * GET /cluster-info as text or JSON, and the jdp_cluster_* lines of
 * /metrics.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "cluster-int.h"
#include "cluster.h"
#include "conf.h"
#include "election.h"
#include "ev.h"
#include "gossip.h"
#include "net.h"

static const char *
cluster_info_msg_name(int m)
{
	switch (m) {
	case CLUSTER_MSG_VOTE:
		return "VOTE";
	case CLUSTER_MSG_GOSSIP:
		return "GOSSIP";
	case CLUSTER_MSG_PROBE:
		return "PROBE";
	case CLUSTER_MSG_PROBE_ACK:
		return "PROBE_ACK";
	}
	return "OTHER";
}

/* LEADER, FOLLOWER, OBSERVER or LOOKING: how /cluster-info names roles. */
static const char *
cluster_info_role(struct cluster *c, int id)
{
	switch (election_member_state(c->election, id)) {
	case ELECT_LEADING:
		return "LEADER";
	case ELECT_FOLLOWING:
		return "FOLLOWER";
	case ELECT_OBSERVING:
		return "OBSERVER";
	case ELECT_LOOKING:
		break;
	}
	return "LOOKING";
}

void
cluster_write_info(struct cluster *c, struct buf *b, int json)
{
	const struct conf_node *n;
	struct gossip_info info;
	int64_t now = ev_now(c->ev);
	int ids[CONF_MAX_NODES], nids, i, known;
	const char *addr;

	if (!json) {
		nids = gossip_alive_set(c->gossip, ids, CONF_MAX_NODES);
		for (i = 0; i < nids; i++)
			buf_printf(b, "Server %d - %s\n", ids[i],
			    cluster_info_role(c, ids[i]));
		return;
	}
	buf_printf(b,
	    "{\"self\":%d,\"state\":\"%s\",\"leader\":%d,\"epoch\":%llu,"
	    "\"job_mode\":\"%s\",\"nodes\":[",
	    c->self->id, cluster_role_name(c), cluster_leader(c),
	    (unsigned long long)cluster_epoch(c),
	    conf_job_mode_name(c->conf->job_mode));
	for (i = 0; i < c->conf->nnodes; i++) {
		n = &c->conf->nodes[i];
		known = gossip_get(c->gossip, n->id, &info) == 0;
		addr = net_addr_str(&n->addr);
		buf_printf(b, "%s{\"id\":%d,\"role\":", i ? "," : "", n->id);
		buf_json_str(b, cluster_info_role(c, n->id),
		    strlen(cluster_info_role(c, n->id)));
		buf_puts(b, ",\"address\":");
		buf_json_str(b, addr, strlen(addr));
		buf_printf(b, ",\"alive\":%s",
		    gossip_alive(c->gossip, n->id) ? "true" : "false");
		if (known)
			buf_printf(b,
			    ",\"heartbeat\":%llu,\"last_heard_ms\":%lld,"
			    "\"incarnation\":%llu}",
			    (unsigned long long)info.heartbeat,
			    (long long)(now - info.last_heard),
			    (unsigned long long)info.incarnation);
		else
			buf_puts(b,
			    ",\"heartbeat\":null,\"last_heard_ms\":null,"
			    "\"incarnation\":null}");
	}
	buf_puts(b, "]}\n");
}

/* A HELP line: what metric name counts. */
static void
cluster_info_help(struct buf *b, const char *name, const char *text)
{
	buf_printf(b, "# HELP %s %s\n", name, text);
}

void
cluster_write_metrics(struct cluster *c, struct buf *b)
{
	static const enum election_state states[] = {
	    ELECT_LOOKING, ELECT_FOLLOWING, ELECT_LEADING, ELECT_OBSERVING};
	static const char *rx = "jdp_cluster_messages_received_total";
	static const char *tx = "jdp_cluster_messages_sent_total";
	static const char *drop = "jdp_cluster_dropped_total";
	static const char *unreach = "jdp_cluster_unreachable_total";
	static const char *state = "jdp_cluster_state";
	enum election_state st = election_state(c->election);
	struct gossip_info self;
	int ids[CONF_MAX_NODES], i;

	cluster_info_help(b, "jdp_cluster_datagrams_received_total",
	    "UDP datagrams received.");
	buf_metric(
	    b, "counter", "jdp_cluster_datagrams_received_total", c->datagrams);
	cluster_info_help(b, rx, "Cluster messages accepted, by type.");
	buf_metric_type(b, "counter", rx);
	for (i = 0; i < CLUSTER_MSG_COUNT - 1; i++)
		buf_metric_label(
		    b, rx, "type", cluster_info_msg_name(i), c->in[i]);
	cluster_info_help(b, tx, "Cluster messages sent, by type.");
	buf_metric_type(b, "counter", tx);
	for (i = 0; i < CLUSTER_MSG_COUNT - 1; i++)
		buf_metric_label(
		    b, tx, "type", cluster_info_msg_name(i), c->out[i]);
	cluster_info_help(b, drop, "Datagrams dropped, by reason.");
	buf_metric_type(b, "counter", drop);
	for (i = WIRE_OK + 1; i < CLUSTER_DROP_COUNT; i++)
		buf_metric_label(
		    b, drop, "reason", cluster_drop_name(i), c->dropped[i]);
	buf_metric(
	    b, "counter", "jdp_cluster_send_errors_total", c->send_errors);
	buf_metric(b, "counter", "jdp_cluster_gossip_unknown_entries_total",
	    c->unknown_entries);
	cluster_info_help(b, "jdp_cluster_elections_total",
	    "Times this node started looking for a leader.");
	buf_metric(b, "counter", "jdp_cluster_elections_total",
	    election_count(c->election));
	cluster_info_help(
	    b, "jdp_cluster_failures_total", "Nodes declared failed.");
	buf_metric(b, "counter", "jdp_cluster_failures_total", c->failures);
	cluster_info_help(b, unreach,
	    "ICMP port unreachable reports about members: made a suspect "
	    "(probed), failed at once (it quoted our probe), or ignored.");
	buf_metric_type(b, "counter", unreach);
	buf_metric_label(b, unreach, "verdict", "suspect",
	    c->unreachable[CLUSTER_UNREACH_SUSPECT]);
	buf_metric_label(b, unreach, "verdict", "failed",
	    c->unreachable[CLUSTER_UNREACH_FAILED]);
	buf_metric_label(b, unreach, "verdict", "ignored",
	    c->unreachable[CLUSTER_UNREACH_IGNORED]);
	cluster_info_help(b, "jdp_cluster_errqueue_other_total",
	    "Other socket errors queued (dropped).");
	buf_metric(b, "counter", "jdp_cluster_errqueue_other_total",
	    c->errqueue_other);
	cluster_info_help(b, "jdp_cluster_state_save_errors_total",
	    "Times the accepted pair could not be written to state-dir.");
	buf_metric(b, "counter", "jdp_cluster_state_save_errors_total",
	    c->acc_failures);
	cluster_info_help(b, "jdp_cluster_votes_withheld_total",
	    "Votes not sent because the accepted pair is not on disk.");
	buf_metric(b, "counter", "jdp_cluster_votes_withheld_total",
	    c->votes_withheld);
	buf_metric(b, "gauge", "jdp_cluster_epoch", cluster_epoch(c));
	buf_metric(b, "gauge", "jdp_cluster_leader", cluster_leader(c));
	buf_metric(b, "gauge", "jdp_cluster_alive_nodes",
	    gossip_alive_set(c->gossip, ids, CONF_MAX_NODES));
	if (gossip_get(c->gossip, c->self->id, &self) == 0)
		buf_metric(b, "gauge", "jdp_cluster_heartbeat", self.heartbeat);
	cluster_info_help(b, state, "1 for this node's election state.");
	buf_metric_type(b, "gauge", state);
	for (i = 0; i < 4; i++)
		buf_metric_label(b, state, "state",
		    election_state_name(states[i]), st == states[i]);
}
