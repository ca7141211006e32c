/* runner.h: the job runner (being written; see issue 4). */
#ifndef JDP_RUNNER_H
#define JDP_RUNNER_H

struct conf;

/* Run one Java file and print its result; returns the exit status. */
int	runner_exec_main(const struct conf *, const char *, int);

#endif
