/* proto.c: message names and payload codecs (see proto.h). */
#include "config.h"

#include "proto.h"

const char *
proto_type_name(int type)
{
	switch (type) {
	case PROTO_VOTE:
		return "VOTE";
	case PROTO_GOSSIP:
		return "GOSSIP";
	case PROTO_WORK:
		return "WORK";
	case PROTO_RESULT:
		return "RESULT";
	case PROTO_RESULT_ACK:
		return "RESULT_ACK";
	case PROTO_LAST_WORK_QUERY:
		return "LAST_WORK_QUERY";
	case PROTO_LAST_WORK_REPLY:
		return "LAST_WORK_REPLY";
	}
	return "UNKNOWN";
}
