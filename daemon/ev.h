/*
 * ev.h: the event loop, one per process: file descriptors (epoll) and
 * timers (a binary heap). Time is read only through ev_now, which is the
 * loop's cached monotonic clock in milliseconds, so tests can replace it.
 */
#ifndef JDP_EV_H
#define JDP_EV_H

#include <stdint.h>

#define EV_READ 0x1
#define EV_WRITE 0x2
/* Also reported to fd callbacks: hang-up or error on the fd. */
#define EV_ERROR 0x4

/* Returned by a timer callback to stop; any value >= 0 re-arms it. */
#define EV_TIMER_STOP (-1)

struct ev;

typedef void (*ev_fd_cb)(struct ev *, int, int, void *);
typedef int64_t (*ev_timer_cb)(struct ev *, void *);
typedef int64_t (*ev_clock_cb)(void *);

/* New loop; fatal if epoll is unavailable. */
struct ev *ev_new(void);
/* Free the loop (fds are not closed, timers are dropped). */
void ev_free(struct ev *);
/* Watch fd for events (EV_READ | EV_WRITE); 0 or -1. */
int ev_add_fd(struct ev *, int, int, ev_fd_cb, void *);
/* Change the events of a watched fd. */
int ev_mod_fd(struct ev *, int, int);
/* Stop watching fd (call before closing it). Safe inside callbacks. */
void ev_del_fd(struct ev *, int);
/*
 * Call cb after delay ms, then again after each value it returns >= 0.
 * Returns the timer's id (never 0).
 */
uint64_t ev_add_timer(struct ev *, int64_t, ev_timer_cb, void *);
/* Cancel a timer by id; unknown or finished ids are ignored. */
void ev_del_timer(struct ev *, uint64_t);
/* Monotonic milliseconds, as of the current loop iteration. */
int64_t ev_now(struct ev *);
/* Re-read the clock (after work that took a while). */
int64_t ev_update_time(struct ev *);
/* Replace the clock (tests). */
void ev_set_clock(struct ev *, ev_clock_cb, void *);
/* Wait at most max_ms (-1: until the next timer) and dispatch once. */
int ev_run_once(struct ev *, int64_t);
/* Run until ev_stop. Returns 0, or -1 if epoll_wait fails. */
int ev_run(struct ev *);
/* Make ev_run return after the current iteration. */
void ev_stop(struct ev *);

#endif
