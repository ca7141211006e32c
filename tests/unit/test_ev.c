/* test_ev.c: the event loop's timers (on a fake clock) and fd dispatch. */
#include "config.h"

#include <unistd.h>

#include "ev.h"
#include "tap.h"

static int64_t fake_now;
static char order[64];
static size_t norder;

static int64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

struct tmr {
	char name;
	int runs;
	int rearm; /* times to re-arm */
	int64_t every;
	int64_t at[8]; /* fake time of each run */
};

static int64_t
tmr_cb(struct ev *ev, void *arg)
{
	struct tmr *t = arg;

	if (t->runs < 8)
		t->at[t->runs] = ev_now(ev);
	t->runs++;
	if (norder < sizeof order - 1)
		order[norder++] = t->name;
	if (t->rearm-- > 0)
		return t->every;
	return EV_TIMER_STOP;
}

static struct ev *self_ev;
static uint64_t self_id;

static int64_t
tmr_self_delete(struct ev *ev, void *arg)
{
	int *runs = arg;

	(*runs)++;
	ev_del_timer(ev, self_id); /* deleting yourself stops you */
	return 10;
}

static void
advance(struct ev *ev, int64_t ms)
{
	fake_now += ms;
	ev_run_once(ev, 0);
}

struct rd {
	int calls;
	int what;
	char c;
};

static void
rd_cb(struct ev *ev, int fd, int what, void *arg)
{
	struct rd *r = arg;

	(void)ev;
	r->calls++;
	r->what = what;
	if (read(fd, &r->c, 1) != 1)
		r->c = 0;
}

static void
rd_del_other(struct ev *ev, int fd, int what, void *arg)
{
	int *other = arg;

	(void)fd;
	(void)what;
	ev_del_fd(ev, *other); /* its pending event must not be delivered */
}

int
main(void)
{
	struct ev *ev;
	struct tmr a = {'a', 0, 0, 0, {0}}, b = {'b', 0, 2, 100, {0}};
	struct tmr c = {'c', 0, 0, 0, {0}}, d = {'d', 0, 0, 0, {0}};
	struct rd r1 = {0, 0, 0}, r2 = {0, 0, 0};
	uint64_t id;
	int p1[2], p2[2], runs = 0;

	ev = ev_new();
	fake_now = 1000;
	ev_set_clock(ev, fake_clock, NULL);
	is_int(ev_now(ev), 1000, "fake clock is the loop's time");

	ev_add_timer(ev, 50, tmr_cb, &a);
	ev_add_timer(ev, 20, tmr_cb, &b);
	id = ev_add_timer(ev, 30, tmr_cb, &c);
	ev_add_timer(ev, 20, tmr_cb, &d);
	ev_del_timer(ev, id);
	ev_del_timer(ev, 9999); /* unknown ids are ignored */

	advance(ev, 19);
	is_int(norder, 0, "nothing runs before it is due");
	advance(ev, 1);
	order[norder] = '\0';
	is_str(order, "bd", "timers due together run in the order added");
	advance(ev, 30);
	order[norder] = '\0';
	is_str(order, "bda", "the 50 ms timer runs at 50 ms");
	is_int(c.runs, 0, "a deleted timer never runs");
	is_int(a.at[0], 1050, "callback sees the loop time");

	advance(ev, 69);
	is_int(b.runs, 1, "not before its period");
	advance(ev, 1);
	is_int(b.runs, 2, "re-armed timer runs again after its period");
	is_int(b.at[1], 1120, "re-armed at callback time + period");
	advance(ev, 1000);
	is_int(b.runs, 3, "a late timer runs once, not once per missed period");
	advance(ev, 1000);
	is_int(b.runs, 3, "EV_TIMER_STOP stops it");

	self_ev = ev;
	self_id = ev_add_timer(ev, 5, tmr_self_delete, &runs);
	advance(ev, 5);
	advance(ev, 50);
	is_int(runs, 1, "a timer that deletes itself is not re-armed");

	/* Zero-delay re-arm must not spin within one iteration. */
	{
		struct tmr z = {'z', 0, 1000, 0, {0}};

		ev_add_timer(ev, 0, tmr_cb, &z);
		ev_run_once(ev, 0);
		is_int(z.runs, 1, "zero re-arm waits for the next iteration");
		advance(ev, 1);
		is_int(z.runs, 2, "and then runs again");
		z.rearm = 0;
		advance(ev, 1);
	}

	/* File descriptors. */
	if (pipe(p1) == -1 || pipe(p2) == -1)
		return 1;
	ok(ev_add_fd(ev, p1[0], EV_READ, rd_cb, &r1) == 0, "add fd");
	ok(ev_add_fd(ev, p1[0], EV_READ, rd_cb, &r1) == -1,
	    "adding twice fails");
	ev_run_once(ev, 0);
	is_int(r1.calls, 0, "no event without data");
	if (write(p1[1], "x", 1) != 1)
		return 1;
	ev_run_once(ev, 100);
	is_int(r1.calls, 1, "readable fd calls back");
	ok(r1.what & EV_READ, "with EV_READ");
	is_int(r1.c, 'x', "and the data is there");

	/* A callback deleting another fd whose event is already pending. */
	ev_del_fd(ev, p1[0]);
	ev_add_fd(ev, p1[0], EV_READ, rd_del_other, &p2[0]);
	ev_add_fd(ev, p2[0], EV_READ, rd_cb, &r2);
	if (write(p1[1], "y", 1) != 1 || write(p2[1], "z", 1) != 1)
		return 1;
	ev_run_once(ev, 100);
	is_int(r2.calls, 0, "a removed fd's pending event is dropped");
	ev_del_fd(ev, p1[0]);

	ok(ev_mod_fd(ev, p1[0], EV_READ) == -1,
	    "modifying an unwatched fd fails");
	close(p1[1]);
	ev_add_fd(ev, p1[0], EV_READ, rd_cb, &r1);
	ev_run_once(ev, 100);
	is_int(r1.calls, 2, "hang-up is reported");
	ok(r1.what & EV_READ, "as readable (read returns 0)");

	ev_free(ev);
	return tap_done();
}
