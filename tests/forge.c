/*
 * forge.c: an attacker on the cluster network, for tests/integration/
 * security.sh. It only ever talks to 127.0.0.1.
 *
 *	forge capture PORT MS FILE	keep the datagrams sent to PORT for MS
 *					milliseconds in FILE (length-prefixed)
 *	forge replay FILE PORT [FIRST N]
 *					send each kept datagram (or the N from
 *					index FIRST) to PORT again, byte for byte
 *	forge vote KEYFILE|- SENDER EPOCH PORT
 *					a VOTE from SENDER claiming to lead
 *					EPOCH, signed with KEYFILE's key or,
 *					with "-", a random one
 *
 *	forge workflood PORT N MS	N idle TCP connections to the work
 *					port PORT, and one announcing a 64 MiB
 *					frame and trickling it a byte at a
 *					time, held until the node closes them
 *					or MS milliseconds pass
 *
 * Each prints how many datagrams it kept or sent; workflood prints how
 * many idle connections the node closed, then 1 if it closed the
 * trickling one (else 0).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "proto.h"
#include "wire.h"

static void
forge_addr(struct sockaddr_in *sa, const char *port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int
forge_socket(void)
{
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		perror("socket");
		exit(2);
	}
	return fd;
}

static int64_t
forge_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
forge_capture(const char *port, const char *ms, const char *file)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	uint8_t pkt[65536];
	uint32_t len;
	int64_t end;
	ssize_t n;
	FILE *f;
	int count = 0;

	forge_addr(&sa, port);
	pfd.fd = forge_socket();
	pfd.events = POLLIN;
	if (bind(pfd.fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		perror("bind");
		return 2;
	}
	if ((f = fopen(file, "wb")) == NULL) {
		perror(file);
		return 2;
	}
	end = forge_now_ms() + atoi(ms);
	while (forge_now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - forge_now_ms())) <= 0)
			continue;
		if ((n = recv(pfd.fd, pkt, sizeof pkt, 0)) <= 0)
			continue;
		len = (uint32_t)n;
		fwrite(&len, sizeof len, 1, f);
		fwrite(pkt, 1, len, f);
		count++;
	}
	fclose(f);
	printf("%d\n", count);
	return 0;
}

static int
forge_replay(const char *file, const char *port, long first, long n)
{
	struct sockaddr_in sa;
	uint8_t pkt[65536];
	uint32_t len;
	FILE *f;
	long i = 0;
	int fd, count = 0;

	forge_addr(&sa, port);
	fd = forge_socket();
	if ((f = fopen(file, "rb")) == NULL) {
		perror(file);
		return 2;
	}
	while (fread(&len, sizeof len, 1, f) == 1 && len <= sizeof pkt &&
	    fread(pkt, 1, len, f) == len) {
		if (i++ < first || (n >= 0 && i > first + n))
			continue;
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&sa,
			sizeof sa) == (ssize_t)len)
			count++;
	}
	fclose(f);
	printf("%d\n", count);
	return 0;
}

static int
forge_vote(const char *keyfile, const char *sender, const char *epoch,
    const char *port)
{
	uint8_t key[WIRE_KEY_LEN];
	struct sockaddr_in sa;
	struct proto_vote v;
	struct wire_hdr h;
	struct buf payload, frame;
	struct timeval tv;
	char *cause;
	int fd, rc;

	if (strcmp(keyfile, "-") == 0)
		randombytes_buf(key, sizeof key);
	else if (wire_key_load(keyfile, key, &cause) == -1) {
		fprintf(stderr, "forge: %s\n", cause);
		return 2;
	}
	memset(&v, 0, sizeof v);
	v.sender = (uint16_t)atoi(sender);
	v.state = PROTO_LEADING;
	v.flags = PROTO_VOTE_LEADER;
	v.leader = v.sender;
	v.epoch = strtoull(epoch, NULL, 10);
	gettimeofday(&tv, NULL);
	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.type = PROTO_VOTE;
	h.sender = v.sender;
	/* A newer incarnation than any real one: only the key can stop it. */
	h.incarnation = (uint64_t)tv.tv_sec * 1000000 + tv.tv_usec + 1000000;
	h.epoch = v.epoch;
	h.seq = 1;
	buf_init(&payload);
	buf_init(&frame);
	proto_vote_encode(&payload, &v);
	wire_encode(&frame, &h, buf_data(&payload), buf_len(&payload), key);
	forge_addr(&sa, port);
	fd = forge_socket();
	rc = sendto(fd, buf_data(&frame), buf_len(&frame), 0,
		 (struct sockaddr *)&sa, sizeof sa) == (ssize_t)buf_len(&frame)
	    ? 0
	    : 2;
	printf("%d\n", rc == 0);
	buf_free(&payload);
	buf_free(&frame);
	return rc;
}

static int
forge_tcp(const char *port)
{
	struct sockaddr_in sa;
	int fd;

	forge_addr(&sa, port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		perror("connect");
		exit(2);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Has the peer closed fd (end of file or reset)? */
static int
forge_closed(int fd)
{
	char tmp[256];
	ssize_t n;

	n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
	return n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int
forge_workflood(const char *port, int n, const char *ms)
{
	uint8_t key[WIRE_KEY_LEN], hdr[WIRE_HDR_LEN];
	struct wire_hdr h;
	struct buf frame;
	int64_t end;
	int *fds, *gone, big, big_gone = 0, closed = 0, i;
	size_t sent = 0;

	/* A header announcing the largest payload any frame may carry. */
	randombytes_buf(key, sizeof key);
	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.type = PROTO_WORK;
	h.seq = 1;
	buf_init(&frame);
	wire_encode(&frame, &h, NULL, 0, key);
	memcpy(hdr, buf_data(&frame), sizeof hdr);
	buf_free(&frame);
	hdr[38] = (uint8_t)(WIRE_MAX_PAYLOAD >> 24);
	hdr[39] = (uint8_t)(WIRE_MAX_PAYLOAD >> 16);
	hdr[40] = (uint8_t)(WIRE_MAX_PAYLOAD >> 8);
	hdr[41] = (uint8_t)WIRE_MAX_PAYLOAD;

	fds = calloc((size_t)n, sizeof *fds);
	gone = calloc((size_t)n, sizeof *gone);
	if (fds == NULL || gone == NULL)
		return 2;
	for (i = 0; i < n; i++)
		fds[i] = forge_tcp(port);
	big = forge_tcp(port);
	end = forge_now_ms() + atoi(ms);
	while (forge_now_ms() < end && (closed < n || !big_gone)) {
		for (i = 0; i < n; i++) {
			if (!gone[i] && forge_closed(fds[i])) {
				gone[i] = 1;
				closed++;
			}
		}
		if (!big_gone && forge_closed(big))
			big_gone = 1;
		else if (!big_gone) {
			/* The header, then the payload, a byte at a time. */
			if (send(big, sent < sizeof hdr ? &hdr[sent] : hdr, 1,
				MSG_NOSIGNAL) == 1)
				sent++;
		}
		poll(NULL, 0, 20);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(big);
	free(fds);
	free(gone);
	printf("%d %d\n", closed, big_gone);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() == -1)
		return 2;
	if (argc == 5 && strcmp(argv[1], "capture") == 0)
		return forge_capture(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "replay") == 0)
		return forge_replay(argv[2], argv[3], 0, -1);
	if (argc == 6 && strcmp(argv[1], "replay") == 0)
		return forge_replay(
		    argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc == 6 && strcmp(argv[1], "vote") == 0)
		return forge_vote(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "workflood") == 0)
		return forge_workflood(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr,
	    "usage: forge capture PORT MS FILE | replay FILE PORT |\n"
	    "             vote KEYFILE|- SENDER EPOCH PORT |\n"
	    "             workflood PORT N MS\n");
	return 2;
}
