/*
 * fuzz_runner.c: the runner's record parsers (runner-record.c) on
 * arbitrary bytes, as a stream of a run JVM's control records and of the
 * compile server's answers, with a limit taken from the first bytes. A
 * record is never longer than the input, its payload lies inside it, a
 * text record is within the limit, and what is BAD says why.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "runner-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

typedef ssize_t (*fuzz_runner_parser)(
    const uint8_t *, size_t, uint64_t, struct runner_record *);

static void
fuzz_runner_stream(fuzz_runner_parser parse, size_t hdr, const uint8_t *p,
    size_t len, uint64_t max)
{
	struct runner_record rec;
	struct buf why;
	ssize_t n;

	while (len > 0) {
		n = parse(p, len, max, &rec);
		if (n == RUNNER_RECORD_PARTIAL)
			return;
		if (n == RUNNER_RECORD_BAD) {
			if (rec.why == RUNNER_RECORD_NONE)
				abort();
			buf_init(&why);
			runner_record_why(&why, &rec, max);
			if (buf_len(&why) == 0)
				abort();
			buf_free(&why);
			return;
		}
		/* Beyond the limit only 'X', of one byte. */
		if (n < 0 || (size_t)n > len || (size_t)n != hdr + rec.len ||
		    rec.data != p + hdr ||
		    (rec.len > max && (rec.len != 1 || rec.kind != 'X')))
			abort();
		p += n;
		len -= (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *copy;
	uint64_t max;

	if (len < 2)
		return 0;
	/* A small limit, so that the fuzzer reaches it. */
	max = (uint64_t)data[0] << 8 | data[1];
	copy = malloc(len - 2 + 1);
	memcpy(copy, data + 2, len - 2);
	fuzz_runner_stream(
	    runner_record_parse, RUNNER_RUN_HDR, copy, len - 2, max);
	fuzz_runner_stream(
	    runner_record_parse_cs, RUNNER_CS_HDR, copy, len - 2, max);
	free(copy);
	return 0;
}
