/*
 * hostile.c: a hostile HTTP client for tests/integration/hostile.sh.
 *
 *	hostile [-i MS] [-s SEED] [-t SECS] [-w SECS] HOST:PORT MODE [N]
 *
 * Modes, each with N connections (default 100) kept up while the attack
 * lasts (those the server closed are replaced every -i ms):
 *	idle		connect and say nothing
 *	slowloris	send a request head one byte at once, then one every
 *			-i ms (default 1000), never ending it
 *	huge		a head far beyond any limit: odd connections a
 *			1 MiB request line, even ones 1 MiB of header lines
 *	garbage		4 KiB of random bytes (seeded with -s)
 *	flood		connect as fast as possible, until socket() runs out
 *			of descriptors (EMFILE), the server stops completing
 *			handshakes, or N were opened; then hold them, none
 *			replaced (those the server closed keep their
 *			descriptors until the end, so the flood stops)
 *
 * It prints "ready ..." once the attack is up, and keeps it up until
 * SIGUSR1 (or SIGTERM, SIGINT; or -t seconds, default 300, have passed,
 * in case whoever was to send the signal has died). Then it stops replacing, waits up to -w
 * seconds (default 30) for the server to close every connection, closes
 * the rest itself and prints one summary line of key=value pairs: how many
 * connections, how they ended, bytes both ways, the status codes answered
 * and the longest time the server let a connection live.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_BIG (1024 * 1024)
#define HOSTILE_GARBAGE 4096
#define HOSTILE_BATCH 256 /* new connections per loop turn */
#define HOSTILE_STALL_MS 2000 /* a handshake this old: the server is full */

enum hostile_mode { H_IDLE, H_SLOWLORIS, H_HUGE, H_GARBAGE, H_FLOOD };

enum hostile_state { HC_CONNECTING, HC_OPEN };

struct hostile_conn {
	int fd;
	enum hostile_state state;
	int64_t opened; /* connect() called */
	const char *out; /* what to send, NULL for nothing */
	size_t outlen;
	size_t sent;
	char head[16]; /* start of the answer */
	size_t headlen;
};

static const char *hostile_names[] = {
    "idle", "slowloris", "huge", "garbage", "flood"};
static const char hostile_slow[] = "GET /health HTTP/1.1\r\nHost: hostile\r\n"
				   "X-Slowloris: ";

static volatile sig_atomic_t hostile_stop;

static struct sockaddr_in hostile_addr;
static enum hostile_mode hostile_mode;
static char *hostile_line, *hostile_headers, hostile_garbage[HOSTILE_GARBAGE];
static size_t hostile_line_len, hostile_headers_len;

static struct hostile_conn *hostile_conns;
static size_t hostile_nconns, hostile_capconns;
static int *hostile_dead; /* a flood's closed descriptors */
static size_t hostile_ndead;

/* Counters for the summary. */
static unsigned long long hostile_opened, hostile_connected, hostile_failed;
static unsigned long long hostile_eof, hostile_reset, hostile_released;
static unsigned long long hostile_bytes_out, hostile_bytes_in;
static unsigned long long hostile_status[600], hostile_answered;
static int64_t hostile_max_life;
static const char *hostile_why = "count"; /* why a flood stopped opening */

static int64_t
hostile_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
hostile_signal(int sig)
{
	(void)sig;
	hostile_stop = 1;
}

static uint64_t
hostile_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The payloads: built once, shared by every connection. */
static void
hostile_payloads(uint64_t seed)
{
	size_t n = 0;
	int i;

	hostile_line = malloc(HOSTILE_BIG + 64);
	hostile_headers = malloc(HOSTILE_BIG + 256);
	if (hostile_line == NULL || hostile_headers == NULL)
		abort();
	memcpy(hostile_line, "GET /", 5);
	memset(hostile_line + 5, 'a', HOSTILE_BIG);
	memcpy(hostile_line + 5 + HOSTILE_BIG, " HTTP/1.1\r\n\r\n", 13);
	hostile_line_len = 5 + HOSTILE_BIG + 13;

	n = (size_t)sprintf(hostile_headers, "GET /health HTTP/1.1\r\n");
	for (i = 0; n < HOSTILE_BIG; i++) {
		n += (size_t)sprintf(hostile_headers + n, "X-Pad-%d: ", i);
		memset(hostile_headers + n, 'b', 100);
		n += 100;
		memcpy(hostile_headers + n, "\r\n", 2);
		n += 2;
	}
	memcpy(hostile_headers + n, "\r\n", 2);
	hostile_headers_len = n + 2;

	for (n = 0; n < HOSTILE_GARBAGE; n++)
		hostile_garbage[n] = (char)hostile_rand(&seed);
}

/* Open one connection; -1 if socket() failed (errno says why). */
static int
hostile_open(void)
{
	struct hostile_conn *c;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (hostile_nconns + hostile_ndead >= hostile_capconns) {
		hostile_capconns =
		    hostile_capconns ? hostile_capconns * 2 : 256;
		hostile_conns = realloc(
		    hostile_conns, hostile_capconns * sizeof *hostile_conns);
		hostile_dead = realloc(
		    hostile_dead, hostile_capconns * sizeof *hostile_dead);
		if (hostile_conns == NULL || hostile_dead == NULL)
			abort();
	}
	c = &hostile_conns[hostile_nconns++];
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->state = HC_CONNECTING;
	c->opened = hostile_now();
	switch (hostile_mode) {
	case H_HUGE:
		if (hostile_opened % 2 == 0) {
			c->out = hostile_line;
			c->outlen = hostile_line_len;
		} else {
			c->out = hostile_headers;
			c->outlen = hostile_headers_len;
		}
		break;
	case H_GARBAGE:
		c->out = hostile_garbage;
		c->outlen = HOSTILE_GARBAGE;
		break;
	default:
		break;
	}
	hostile_opened++;
	if (connect(fd, (struct sockaddr *)&hostile_addr,
		sizeof hostile_addr) == -1 &&
	    errno != EINPROGRESS) {
		hostile_failed++;
		close(fd);
		hostile_nconns--;
		return 0;
	}
	return 0;
}

/* Forget connection i (closed by the server, failed or released). */
static void
hostile_drop(size_t i, unsigned long long *counter)
{
	struct hostile_conn *c = &hostile_conns[i];
	int64_t life = hostile_now() - c->opened;
	int status;

	if (counter != NULL)
		(*counter)++;
	if (counter == &hostile_eof || counter == &hostile_reset) {
		if (life > hostile_max_life)
			hostile_max_life = life;
	}
	if (c->headlen >= 12 && memcmp(c->head, "HTTP/1.", 7) == 0) {
		status = atoi(c->head + 9);
		if (status > 0 && status < 600)
			hostile_status[status]++;
		hostile_answered++;
	}
	if (hostile_mode == H_FLOOD && counter != &hostile_released)
		hostile_dead[hostile_ndead++] = c->fd;
	else
		close(c->fd);
	hostile_conns[i] = hostile_conns[--hostile_nconns];
}

/* Read what the server sent; 1 if it closed the connection. */
static int
hostile_read(struct hostile_conn *c, unsigned long long **how)
{
	static char buf[65536];
	ssize_t n;
	size_t k;

	for (;;) {
		n = read(c->fd, buf, sizeof buf);
		if (n > 0) {
			hostile_bytes_in += (unsigned long long)n;
			k = sizeof c->head - c->headlen;
			if ((size_t)n < k)
				k = (size_t)n;
			memcpy(c->head + c->headlen, buf, k);
			c->headlen += k;
			continue;
		}
		if (n == 0) {
			*how = &hostile_eof;
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		*how = &hostile_reset;
		return 1;
	}
}

/* Send what the mode wants now; 1 if the server closed the connection. */
static int
hostile_write(struct hostile_conn *c, int tick, unsigned long long **how)
{
	ssize_t n;
	char b;

	if (hostile_mode == H_SLOWLORIS) {
		if (!tick && c->sent > 0) /* the first byte at once */
			return 0;
		b = c->sent < sizeof hostile_slow - 1 ? hostile_slow[c->sent]
						      : 'a';
		n = send(c->fd, &b, 1, MSG_NOSIGNAL);
	} else if (c->out != NULL && c->sent < c->outlen)
		n = send(
		    c->fd, c->out + c->sent, c->outlen - c->sent, MSG_NOSIGNAL);
	else
		return 0;
	if (n > 0) {
		c->sent += (size_t)n;
		hostile_bytes_out += (unsigned long long)n;
		return 0;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* Closed under us: keep the answer it may have sent first. */
	if (!hostile_read(c, how))
		*how = &hostile_reset;
	return 1;
}

/* Open connections up to want; for a flood, until something runs out. */
static void
hostile_fill(size_t want, int64_t now)
{
	size_t i, n = 0;

	if (hostile_mode == H_FLOOD) {
		for (i = 0; i < hostile_nconns; i++) {
			if (hostile_conns[i].state == HC_CONNECTING &&
			    now - hostile_conns[i].opened > HOSTILE_STALL_MS) {
				hostile_why = "stalled";
				return;
			}
		}
	}
	while (hostile_nconns + hostile_ndead < want && n++ < HOSTILE_BATCH) {
		if (hostile_open() == -1) {
			if (hostile_mode == H_FLOOD)
				hostile_why = "emfile";
			else
				fprintf(stderr, "hostile: socket: %s\n",
				    strerror(errno));
			return;
		}
	}
}

static void
hostile_summary(void)
{
	int i;

	printf("mode=%s conns=%llu connected=%llu failed=%llu "
	       "server_closed=%llu server_reset=%llu released=%llu "
	       "bytes_sent=%llu bytes_received=%llu answered=%llu "
	       "max_life_ms=%lld",
	    hostile_names[hostile_mode], hostile_opened, hostile_connected,
	    hostile_failed, hostile_eof, hostile_reset, hostile_released,
	    hostile_bytes_out, hostile_bytes_in, hostile_answered,
	    (long long)hostile_max_life);
	for (i = 100; i < 600; i++) {
		if (hostile_status[i] > 0)
			printf(" status_%d=%llu", i, hostile_status[i]);
	}
	printf("\n");
}

static void
hostile_usage(void)
{
	fprintf(stderr,
	    "usage: hostile [-i ms] [-s seed] [-t secs] [-w secs] host:port "
	    "idle|slowloris|huge|garbage|flood [n]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct pollfd *pfd = NULL;
	struct hostile_conn *c;
	unsigned long long *how;
	int64_t interval = 1000, drain = 30000, now, next_tick, deadline = 0;
	int64_t start, limit = 300000;
	uint64_t seed = 1;
	size_t want = 100, i, npfd = 0;
	int ch, draining = 0, ready = 0, tick, timeout, err;
	socklen_t len;
	char *colon;

	while ((ch = getopt(argc, argv, "i:s:t:w:")) != -1) {
		switch (ch) {
		case 't':
			limit = atoll(optarg) * 1000;
			break;
		case 'i':
			interval = atoll(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10) | 1;
			break;
		case 'w':
			drain = atoll(optarg) * 1000;
			break;
		default:
			hostile_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || (colon = strrchr(argv[0], ':')) == NULL)
		hostile_usage();
	*colon = '\0';
	memset(&hostile_addr, 0, sizeof hostile_addr);
	hostile_addr.sin_family = AF_INET;
	hostile_addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, argv[0], &hostile_addr.sin_addr) != 1)
		hostile_usage();
	for (ch = 0; ch <= H_FLOOD; ch++) {
		if (strcmp(argv[1], hostile_names[ch]) == 0)
			break;
	}
	if (ch > H_FLOOD)
		hostile_usage();
	hostile_mode = ch;
	if (argc > 2)
		want = strtoul(argv[2], NULL, 10);
	else if (hostile_mode == H_FLOOD)
		want = SIZE_MAX;
	hostile_payloads(seed);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hostile_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	start = next_tick = hostile_now();
	limit += start;
	for (;;) {
		now = hostile_now();
		if (hostile_stop && !draining) {
			draining = 1;
			deadline = now + drain;
		}
		if (draining && (hostile_nconns == 0 || now >= deadline))
			break;
		if (!draining && now >= limit) {
			fprintf(stderr, "hostile: no SIGUSR1 in %lld s\n",
			    (long long)(limit - start) / 1000);
			hostile_stop = 1;
			continue;
		}
		tick = now >= next_tick;
		if (tick)
			next_tick = now + interval;
		/*
		 * Keep the attack up: replace what the server closed once a
		 * tick. A flood opens as fast as it can, and only until it
		 * stops.
		 */
		if (!draining && (!ready || (tick && hostile_mode != H_FLOOD)))
			hostile_fill(want, now);
		if (!ready && hostile_mode == H_FLOOD &&
		    (hostile_nconns + hostile_ndead >= want ||
			strcmp(hostile_why, "count") != 0)) {
			ready = 1;
			printf("ready mode=flood opened=%llu why=%s\n",
			    hostile_opened, hostile_why);
		} else if (!ready && hostile_mode != H_FLOOD &&
		    hostile_connected >= want) {
			ready = 1;
			printf("ready mode=%s opened=%zu\n",
			    hostile_names[hostile_mode], hostile_nconns);
		}

		if (npfd < hostile_nconns) {
			npfd = hostile_capconns;
			free(pfd);
			if ((pfd = calloc(npfd, sizeof *pfd)) == NULL)
				abort();
		}
		for (i = 0; i < hostile_nconns; i++) {
			c = &hostile_conns[i];
			pfd[i].fd = c->fd;
			pfd[i].revents = 0;
			if (c->state == HC_CONNECTING)
				pfd[i].events = POLLOUT;
			else {
				pfd[i].events = POLLIN | POLLRDHUP;
				if (c->out != NULL && c->sent < c->outlen)
					pfd[i].events |= POLLOUT;
			}
		}
		timeout = (int)(next_tick - now);
		if (timeout < 0)
			timeout = 0;
		if (timeout > 100)
			timeout = 100;
		if (!draining && !ready && timeout > 10)
			timeout = 10;
		if (poll(pfd, hostile_nconns, timeout) == -1 && errno != EINTR)
			abort();

		/* Backwards: hostile_drop moves the last one into slot i. */
		for (i = hostile_nconns; i-- > 0;) {
			c = &hostile_conns[i];
			how = NULL;
			if (c->state == HC_CONNECTING) {
				if (pfd[i].revents == 0)
					continue;
				err = 0;
				len = sizeof err;
				getsockopt(
				    c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err != 0) {
					hostile_drop(i, &hostile_failed);
					continue;
				}
				c->state = HC_OPEN;
				hostile_connected++;
			}
			if ((pfd[i].revents &
				(POLLIN | POLLRDHUP | POLLHUP | POLLERR)) &&
			    hostile_read(c, &how)) {
				hostile_drop(i, how);
				continue;
			}
			if (hostile_write(c, tick, &how))
				hostile_drop(i, how);
		}
	}
	while (hostile_nconns > 0)
		hostile_drop(hostile_nconns - 1, &hostile_released);
	while (hostile_ndead > 0)
		close(hostile_dead[--hostile_ndead]);
	hostile_summary();
	free(pfd);
	free(hostile_conns);
	free(hostile_dead);
	free(hostile_line);
	free(hostile_headers);
	return 0;
}
