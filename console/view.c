/*
 * view.c: parse /cluster-info JSON (json-c) into a struct view, and build
 * the membership-only view of a local cluster's jdp.conf.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "view.h"

const char *
view_role_name(const char *role, int alive)
{
	if (!alive)
		return "FAILED";
	if (role == NULL)
		return "?";
	if (strcmp(role, "LEADER") == 0 || strcmp(role, "LEADING") == 0)
		return "LEADING";
	if (strcmp(role, "FOLLOWER") == 0 || strcmp(role, "FOLLOWING") == 0)
		return "FOLLOWING";
	if (strcmp(role, "OBSERVER") == 0 || strcmp(role, "OBSERVING") == 0)
		return "OBSERVING";
	if (strcmp(role, "LOOKING") == 0)
		return "LOOKING";
	return "?";
}

static int64_t
view_get_int(struct json_object *o, const char *key, int *present)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    (!json_object_is_type(v, json_type_int) &&
		!json_object_is_type(v, json_type_double))) {
		*present = 0;
		return 0;
	}
	return json_object_get_int64(v);
}

static uint64_t
view_get_u64(struct json_object *o, const char *key, int *present)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_int)) {
		*present = 0;
		return 0;
	}
	return json_object_get_uint64(v);
}

static void
view_parse_node(struct json_object *o, struct view_node *n)
{
	struct json_object *v;
	const char *role = NULL;
	int present = 1, dummy = 1;

	memset(n, 0, sizeof *n);
	n->id = (int)view_get_int(o, "id", &dummy);
	if (json_object_object_get_ex(o, "role", &v) &&
	    json_object_is_type(v, json_type_string))
		role = json_object_get_string(v);
	if (json_object_object_get_ex(o, "address", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(n->address, sizeof n->address, "%s",
		    json_object_get_string(v));
	n->alive = json_object_object_get_ex(o, "alive", &v) &&
	    json_object_get_boolean(v);
	n->heartbeat = view_get_u64(o, "heartbeat", &present);
	n->last_heard_ms = view_get_int(o, "last_heard_ms", &present);
	n->incarnation = view_get_u64(o, "incarnation", &present);
	n->known = present;
	snprintf(n->role, sizeof n->role, "%s", view_role_name(role, n->alive));
}

int
view_parse(const char *text, size_t len, struct view *v, const char **err)
{
	struct json_tokener *tok;
	struct json_object *root, *nodes, *o;
	int i, n, dummy = 1;

	memset(v, 0, sizeof *v);
	v->self = v->leader = -1;
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		*err = "not a JSON object";
		json_object_put(root);
		return -1;
	}
	if (!json_object_object_get_ex(root, "nodes", &nodes) ||
	    !json_object_is_type(nodes, json_type_array)) {
		*err = "no \"nodes\" array in the answer";
		json_object_put(root);
		return -1;
	}
	v->self = (int)view_get_int(root, "self", &dummy);
	dummy = 1;
	v->leader = (int)view_get_int(root, "leader", &dummy);
	if (!dummy)
		v->leader = -1;
	v->epoch = view_get_u64(root, "epoch", &dummy);
	n = (int)json_object_array_length(nodes);
	for (i = 0; i < n && v->nnodes < CONF_MAX_NODES; i++) {
		o = json_object_array_get_idx(nodes, (size_t)i);
		if (o == NULL || !json_object_is_type(o, json_type_object))
			continue;
		view_parse_node(o, &v->nodes[v->nnodes++]);
	}
	json_object_put(root);
	return 0;
}

void
view_from_conf(struct view *v, const struct conf *conf)
{
	struct view_node *n;
	int i;

	memset(v, 0, sizeof *v);
	v->self = v->leader = -1;
	for (i = 0; i < conf->nnodes && i < CONF_MAX_NODES; i++) {
		n = &v->nodes[v->nnodes++];
		n->id = conf->nodes[i].id;
		snprintf(n->role, sizeof n->role, "?");
		snprintf(n->address, sizeof n->address, "%.40s:%u",
		    conf->nodes[i].host, (unsigned)conf->nodes[i].port);
	}
}

int
view_from_dir(struct view *v, const char *dir)
{
	struct conf *conf;
	char path[4096], *cause;

	snprintf(path, sizeof path, "%s/jdp.conf", dir);
	if (conf_load(path, &conf, &cause) == -1) {
		free(cause);
		return -1;
	}
	view_from_conf(v, conf);
	conf_free(conf);
	return 0;
}

const struct view_node *
view_find(const struct view *v, int id)
{
	int i;

	for (i = 0; i < v->nnodes; i++) {
		if (v->nodes[i].id == id)
			return &v->nodes[i];
	}
	return NULL;
}

void
view_counts(const struct view *v, int *live, int *failed)
{
	int i;

	*live = *failed = 0;
	for (i = 0; i < v->nnodes; i++) {
		if (v->nodes[i].alive)
			(*live)++;
		else
			(*failed)++;
	}
}
