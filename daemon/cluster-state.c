/*
 * cluster-state.c: the accepted (epoch, leader) pair of the election on
 * disk, STATE-DIR/node-ID.accepted (PROTOCOL.md): read at start (moved
 * from log-dir, where earlier versions kept it), written before a vote
 * that depends on it; a node that cannot write it does not vote.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster-int.h"
#include "cluster.h"
#include "conf.h"
#include "election.h"
#include "ev.h"
#include "log.h"
#include "xmalloc.h"

static void cluster_state_failed(struct cluster *, const char *);

/*
 * Read the pair from path into acc; 1 if the file exists (valid or not),
 * 0 if it does not.
 */
static int
cluster_state_read(
    struct cluster *c, const char *path, struct election_accepted *acc)
{
	unsigned long long epoch;
	char line[128];
	FILE *f;
	int leader;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			log_warn("%s: %s", path, strerror(errno));
		return errno != ENOENT;
	}
	if (fgets(line, sizeof line, f) != NULL &&
	    sscanf(line, "epoch %llu leader %d", &epoch, &leader) == 2 &&
	    epoch < ELECT_EPOCH_MAX &&
	    conf_find_node(c->conf, leader) != NULL) {
		acc->valid = 1;
		acc->epoch = epoch;
		acc->leader = leader;
		log_info("accepted leader [%d] in epoch [%llu] before the "
			 "restart",
		    leader, epoch);
	} else
		log_warn("%s: not an accepted pair, ignored", path);
	fclose(f);
	return 1;
}

/*
 * The pair from STATE-DIR, or (once, on an upgrade from a version that
 * kept it with the logs) from LOG-DIR, moved to STATE-DIR.
 */
void
cluster_state_load(struct cluster *c, struct election_accepted *acc)
{
	memset(acc, 0, sizeof *acc);
	if (cluster_state_read(c, c->acc_path, acc) ||
	    !cluster_state_read(c, c->acc_old_path, acc))
		return;
	if (acc->valid && cluster_state_save(c, acc->leader, acc->epoch) == 0) {
		log_info("accepted pair moved from %s to %s", c->acc_old_path,
		    c->acc_path);
		unlink(c->acc_old_path);
	}
}

/*
 * Write the pair before anything announces it (write, then rename); -1
 * (logged) if it could not be written. Until a save succeeds the node
 * sends no vote (cluster_election_out).
 */
int
cluster_state_save(struct cluster *c, int leader, uint64_t epoch)
{
	char *tmp;
	FILE *f;
	int ok;

	c->acc_unsaved = 1;
	c->acc_leader = leader;
	c->acc_epoch = epoch;
	xasprintf(&tmp, "%s.tmp", c->acc_path);
	/* Other nodes on this host may create the directory at once. */
	if ((f = fopen(tmp, "w")) == NULL && errno == ENOENT &&
	    (mkdir(c->conf->state_dir, 0755) == 0 || errno == EEXIST))
		f = fopen(tmp, "w");
	if (f == NULL) {
		cluster_state_failed(c, tmp);
		free(tmp);
		return -1;
	}
	fprintf(f, "epoch %llu leader %d\n", (unsigned long long)epoch, leader);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, c->acc_path) == -1) {
		cluster_state_failed(c, c->acc_path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	if (c->acc_failed_at != 0)
		log_info("%s: the accepted pair is saved again; voting",
		    c->acc_path);
	c->acc_failed_at = 0;
	c->acc_unsaved = 0;
	return 0;
}

/* Saving the pair failed: an error, at most one a second. */
static void
cluster_state_failed(struct cluster *c, const char *path)
{
	int64_t now = ev_now(c->ev);

	c->acc_failures++;
	if (c->acc_failed_at != 0 && now - c->acc_failed_at < 1000)
		return;
	c->acc_failed_at = now;
	log_error("%s: %s: cannot save the accepted (epoch %llu, leader "
		  "%d); this node does not vote until it can (state-dir)",
	    path, strerror(errno), (unsigned long long)c->acc_epoch,
	    c->acc_leader);
}
