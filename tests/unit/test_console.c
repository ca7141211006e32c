/*
 * test_console.c: the console's pure parts: /cluster-info JSON into a
 * view, timeline events from summary log lines (merged in time order,
 * lines split across answers), jobs from /metrics, /v1/run answers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "submit.h"
#include "tap.h"
#include "tui.h"
#include "view.h"

static void
test_view(void)
{
	const char *json =
	    "{\"self\":0,\"state\":\"OBSERVING\",\"leader\":3,\"epoch\":7,"
	    "\"nodes\":[{\"id\":0,\"role\":\"OBSERVER\",\"address\":"
	    "\"127.0.0.1:8000\",\"alive\":true,\"heartbeat\":18,"
	    "\"last_heard_ms\":182,\"incarnation\":1795545187426671},"
	    "{\"id\":1,\"role\":\"LOOKING\",\"address\":\"127.0.0.1:8010\","
	    "\"alive\":false,\"heartbeat\":null,\"last_heard_ms\":null,"
	    "\"incarnation\":null},{\"id\":3,\"role\":\"LEADER\",\"address\":"
	    "\"127.0.0.1:8030\",\"alive\":true,\"heartbeat\":17,"
	    "\"last_heard_ms\":0,\"incarnation\":5}]}";
	struct view v;
	const char *err;
	int live, failed;

	is_int(view_parse(json, strlen(json), &v, &err), 0, "view: parses");
	is_int(v.leader, 3, "view: leader");
	is_int(v.epoch, 7, "view: epoch");
	is_int(v.nnodes, 3, "view: nodes");
	is_str(v.nodes[0].role, "OBSERVING", "view: OBSERVER is OBSERVING");
	is_str(v.nodes[1].role, "FAILED", "view: not alive is FAILED");
	is_str(v.nodes[2].role, "LEADING", "view: LEADER is LEADING");
	is_int(v.nodes[0].incarnation, 1795545187426671ULL,
	    "view: 64-bit incarnation");
	is_int(v.nodes[1].known, 0, "view: null heartbeat is unknown");
	is_str(v.nodes[2].address, "127.0.0.1:8030", "view: address");
	view_counts(&v, &live, &failed);
	ok(live == 2 && failed == 1, "view: 2 live, 1 failed");
	ok(view_find(&v, 3) == &v.nodes[2] && view_find(&v, 2) == NULL,
	    "view: find by id");
	is_int(view_parse("Server 3 - LEADER\n", 18, &v, &err), -1,
	    "view: text is refused");
	is_int(view_parse("{\"leader\":1}", 12, &v, &err), -1,
	    "view: no nodes is refused");
}

static void
test_events(void)
{
	struct tui_event ev;
	const char *l;

	l = "2026-11-24 17:30:00.123 FOLLOWING [3]: no heartbeat from "
	    "server [1] - SERVER FAILED";
	is_int(tui_model_parse_event(l, strlen(l), &ev), 0, "event: failure");
	is_int(ev.kind, TUI_EV_FAILED, "event: kind FAILED");
	is_int(ev.node, 3, "event: node");
	is_str(ev.when, "2026-11-24 17:30:00.123", "event: time");
	is_str(ev.text, "no heartbeat from server [1] - SERVER FAILED",
	    "event: text");
	l = "2026-11-24 17:30:00.200 FOLLOWING [3]: switching from "
	    "[FOLLOWING] to [LOOKING]";
	tui_model_parse_event(l, strlen(l), &ev);
	is_int(ev.kind, TUI_EV_ELECTION, "event: to LOOKING is an election");
	l = "2026-11-24 17:30:00.400 LEADING [5]: switching from [LOOKING] "
	    "to [LEADING]";
	tui_model_parse_event(l, strlen(l), &ev);
	is_int(ev.kind, TUI_EV_SWITCH, "event: other switches");
	l = "2026-11-24 17:30:00.400 LEADING [5]: leader is [5] in epoch [2] "
	    "(elected)";
	tui_model_parse_event(l, strlen(l), &ev);
	is_int(ev.kind, TUI_EV_LEADER, "event: leader");
	l = "2026-11-24 17:30:09.000 FOLLOWING [2]: server [1] restarted: "
	    "incarnation 9, accepted again";
	tui_model_parse_event(l, strlen(l), &ev);
	is_int(ev.kind, TUI_EV_REJOIN, "event: rejoin");
	l = "2026-11-24 17:30:00.123 FOLLOWING [3]: updated [5]'s heartbeat "
	    "sequence to [17] based on message from [4] at node time [1234]";
	is_int(tui_model_parse_event(l, strlen(l), &ev), -1,
	    "event: heartbeat updates are not events");
	l = "garbage [3]: no heartbeat from server [1] - SERVER FAILED";
	is_int(tui_model_parse_event(l, strlen(l), &ev), -1,
	    "event: a line without a time is not");
}

static void
test_merge(void)
{
	static struct tui_model m;
	const char *a = "2026-11-24 17:30:00.300 FOLLOWING [1]: switching from "
			"[FOLLOWING] to [LOOKING]\n2026-11-24 17:30:00.500 ";
	const char *a2 = "FOLLOWING [1]: leader is [2] in epoch [4] "
			 "(elected)\n";
	const char *b = "2026-11-24 17:30:00.100 FOLLOWING [2]: no heartbeat "
			"from server [3] - SERVER FAILED\n"
			"2026-11-24 17:30:00.400 LEADING [2]: switching from "
			"[LOOKING] to [LEADING]\n";
	const char *metrics = "# TYPE jdp_work_jobs_done_total counter\n"
			      "jdp_work_jobs_done_total 12\n"
			      "jdp_work_follower_running 2\n"
			      "jdp_work_leader_jobs 1\n";

	tui_model_init(&m, "http://gw", NULL);
	m.nnodes = 2;
	m.nodes[0].v.id = 1;
	m.nodes[1].v.id = 2;
	buf_init(&m.nodes[0].carry);
	buf_init(&m.nodes[1].carry);
	tui_model_summary(&m, 0, a, strlen(a), strlen(a));
	is_int(m.nevents, 1, "merge: an unfinished line waits");
	tui_model_summary(&m, 1, b, strlen(b), strlen(b));
	tui_model_summary(&m, 0, a2, strlen(a2), strlen(a) + strlen(a2));
	is_int(m.nevents, 4, "merge: four events");
	ok(strcmp(m.events[0].when + 20, "100") == 0 &&
		strcmp(m.events[1].when + 20, "300") == 0 &&
		strcmp(m.events[2].when + 20, "400") == 0 &&
		strcmp(m.events[3].when + 20, "500") == 0,
	    "merge: in time order across nodes");
	is_int(m.events[3].node, 1, "merge: the finished line is node 1's");
	is_int(m.nodes[0].sum_off, strlen(a) + strlen(a2),
	    "merge: the next offset is kept");
	tui_model_metrics(&m, 1, metrics, 1000);
	ok(m.nodes[1].jobs_known && m.nodes[1].jobs_done == 12 &&
		m.nodes[1].in_flight == 3,
	    "metrics: done 12, in flight 3");
	m.filter[0] = '\0';
	ok(tui_model_match(&m, "anything"), "filter: empty matches all");
	strcpy(m.filter, "server failed");
	ok(tui_model_match(&m, "no heartbeat - SERVER FAILED") &&
		!tui_model_match(&m, "switching"),
	    "filter: case-insensitive substring");
	tui_model_log_open(&m, 2, 0);
	tui_model_log_data(&m, "one\ntwo\nthr", 11, 11);
	tui_model_log_data(&m, "ee\n", 3, 14);
	ok(m.log_n == 3 && strcmp(tui_model_log_line(&m, 2), "three") == 0,
	    "log viewer: lines joined across answers");
	tui_model_job_add(&m, "/tmp/A.java", 5);
	tui_model_job_add(&m, "/tmp/B.java", 6);
	ok(tui_model_job_find(&m, 1) == &m.jobs[1] &&
		strcmp(m.jobs[1].file, "A.java") == 0,
	    "jobs: newest first, found by sequence number");
	tui_model_done(&m);
}

static void
test_submit(void)
{
	struct submit_answer a;
	const char *ok_json =
	    "{\"id\":\"1\",\"status\":\"ok\",\"result\":\"Hello 42\","
	    "\"stdout\":\"\",\"stderr\":\"\",\"node\":2,\"timings\":"
	    "{\"compile_ms\":3,\"run_ms\":4,\"total_ms\":9},\"cached\":false}";
	const char *bad = "{\"status\":\"compile_error\",\"result\":\"Code did "
			  "not compile:\\nError\",\"node\":1}";
	char *req;

	is_int(submit_parse(200, ok_json, strlen(ok_json), &a), 0,
	    "submit: parses an answer");
	ok(a.outcome == SUBMIT_OK && strcmp(a.result, "Hello 42") == 0 &&
		a.node == 2 && a.total_ms == 9 && !a.cached,
	    "submit: ok, result, node, total_ms");
	submit_answer_free(&a);
	submit_parse(200, bad, strlen(bad), &a);
	ok(a.outcome == SUBMIT_JOB_ERROR &&
		strncmp(a.result, "Code did not compile:\n", 22) == 0,
	    "submit: a compile error is a job error");
	submit_answer_free(&a);
	submit_parse(503, "{\"error\":\"no leader\"}", 21, &a);
	is_int(a.outcome, SUBMIT_UNAVAILABLE, "submit: 503 is unavailable");
	submit_answer_free(&a);
	is_int(submit_parse(502, "<html>", 6, &a), -1,
	    "submit: not JSON is refused");
	req = submit_request_json(
	    "class A { String s = \"\\n\"; }", 28, NULL, 0, 0);
	is_str(req, "{\"source\":\"class A { String s = \\\"\\\\n\\\"; }\"}",
	    "submit: the request escapes the source");
	free(req);
	req = submit_request_json("S", 1, "a\0\"b", 4, 1.5);
	is_str(req,
	    "{\"source\":\"S\",\"stdin\":\"a\\u0000\\\"b\",\"timeout\":1.5}",
	    "submit: stdin (NUL and quote escaped) and timeout");
	free(req);
	req = submit_request_json("S", 1, "", 0, 0);
	is_str(req, "{\"source\":\"S\",\"stdin\":\"\"}",
	    "submit: an empty stdin is sent, no timeout is not");
	free(req);
}

int
main(void)
{
	test_view();
	test_events();
	test_merge();
	test_submit();
	return tap_done();
}
