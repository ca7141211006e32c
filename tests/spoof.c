/*
 * spoof.c: forge ICMP port-unreachable errors from a raw socket, for
 * tests/integration/spoof.sh. Needs CAP_NET_RAW; the test runs it inside a
 * network namespace it created.
 *
 *	spoof VICTIM MEMBER PORT N MS
 *		send VICTIM (an IPv4 address) N ICMP port-unreachable errors,
 *		MS milliseconds apart, each claiming that a UDP datagram from
 *		VICTIM:PORT to MEMBER:PORT met a closed port at MEMBER (the
 *		error's source address is MEMBER's); the quoted datagram is a
 *		made-up frame header
 *
 * Prints how many it sent; exits 1 if the raw socket cannot be had.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* IPv4 header (20) + ICMP (8) + quoted IPv4 (20) + UDP (8) + 42 bytes. */
#define SPOOF_QUOTE 42
#define SPOOF_LEN (20 + 8 + 20 + 8 + SPOOF_QUOTE)

/* The Internet checksum of (p, len). */
static uint16_t
spoof_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Write an IPv4 header at p: proto, total length, src, dst. */
static void
spoof_ip(
    uint8_t *p, int proto, size_t len, struct in_addr src, struct in_addr dst)
{
	uint16_t sum;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = (uint8_t)proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	sum = spoof_sum(p, 20);
	p[10] = (uint8_t)(sum >> 8);
	p[11] = (uint8_t)sum;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in to;
	struct in_addr victim, member;
	struct timespec ts;
	uint8_t pkt[SPOOF_LEN], *icmp = pkt + 20, *q = pkt + 28;
	uint16_t port, sum;
	long n, ms, i, sent = 0;
	int fd;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &victim) != 1 ||
	    inet_pton(AF_INET, argv[2], &member) != 1) {
		fprintf(stderr, "usage: spoof VICTIM MEMBER PORT N MS\n");
		return 2;
	}
	port = (uint16_t)atoi(argv[3]);
	n = atol(argv[4]);
	ms = atol(argv[5]);
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1) {
		fprintf(stderr, "spoof: raw socket: %s\n", strerror(errno));
		return 1;
	}

	/* The quoted datagram: VICTIM:PORT -> MEMBER:PORT, a fake frame. */
	spoof_ip(q, IPPROTO_UDP, 20 + 8 + SPOOF_QUOTE, victim, member);
	q[20] = (uint8_t)(port >> 8);
	q[21] = (uint8_t)port;
	q[22] = (uint8_t)(port >> 8);
	q[23] = (uint8_t)port;
	q[24] = 0;
	q[25] = 8 + SPOOF_QUOTE;
	q[26] = q[27] = 0; /* no UDP checksum */
	memset(q + 28, 0, SPOOF_QUOTE);
	q[28] = 0x4a; /* WIRE_MAGIC, a PROBE (17) it never sent */
	q[29] = 0x44;
	q[30] = 1;
	q[31] = 17;

	/* ICMP destination unreachable, port unreachable. */
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 3;
	sum = spoof_sum(icmp, SPOOF_LEN - 20);
	icmp[2] = (uint8_t)(sum >> 8);
	icmp[3] = (uint8_t)sum;
	spoof_ip(pkt, IPPROTO_ICMP, SPOOF_LEN, member, victim);

	memset(&to, 0, sizeof to);
	to.sin_family = AF_INET;
	to.sin_addr = victim;
	for (i = 0; i < n; i++) {
		if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to,
			sizeof to) == (ssize_t)sizeof pkt)
			sent++;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
	printf("%ld\n", sent);
	close(fd);
	return 0;
}
