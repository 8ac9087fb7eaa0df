// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: basic_target_parse_status(), how basicdmd reads a map's
 * status line (map.h, module/basic_target.rst).  The input is the status
 * after "basic_target", up to a NUL, as libdevmapper hands it over.
 *
 * What parses has ten strict decimal counters, each the 64-bit value of
 * its word, then "trace" or "notrace" as the trace state; the counters
 * print back (as the module prints them) to a line that parses to the
 * same.  Words after the eleventh are a newer module's and change nothing;
 * a line cut before the eleventh is refused.  A refused line leaves the
 * counters as they were.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "map.h"
#include "parse-util.h"
#include "util.h"

#define FIELDS 10

static void counters_of(const struct basic_target_counters *c, uint64_t v[FIELDS])
{
	const uint64_t all[FIELDS] = {
		c->reads,	  c->read_sectors,    c->writes,
		c->write_sectors, c->flushes,	      c->discards,
		c->discard_sectors, c->write_zeroes, c->write_zeroes_sectors,
		c->secure_erases,
	};

	memcpy(v, all, sizeof(all));
}

static bool same_counters(const struct basic_target_counters *a,
			  const struct basic_target_counters *b)
{
	uint64_t x[FIELDS], y[FIELDS];

	counters_of(a, x);
	counters_of(b, y);
	return memcmp(x, y, sizeof(x)) == 0 && a->trace == b->trace;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct basic_target_counters c, back, untouched;
	char *status, *copy, *save = NULL, *w, *longer, line[512];
	uint64_t v[FIELDS], x;
	size_t n = 0;
	int r;

	status = strndup((const char *)data, size);
	FUZZ_ASSERT(status);
	memset(&c, 0xa5, sizeof(c));
	memset(&untouched, 0xa5, sizeof(untouched));
	r = basic_target_parse_status(status, &c);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
		FUZZ_ASSERT(memcmp(&c, &untouched, sizeof(c)) == 0);
		free(status);
		return 0;
	}
	FUZZ_ASSERT(r == 0);

	/* each word is what was read from it */
	counters_of(&c, v);
	copy = strdup(status);
	FUZZ_ASSERT(copy);
	for (w = strtok_r(copy, " \t\n", &save); w && n <= FIELDS; w = strtok_r(NULL, " \t\n", &save)) {
		if (n < FIELDS)
			FUZZ_ASSERT(parse_uint64(w, &x) == 0 && x == v[n]);
		else
			FUZZ_ASSERT(streq(w, c.trace ? "trace" : "notrace"));
		n++;
	}
	FUZZ_ASSERT(n == FIELDS + 1);
	free(copy);

	/* printed as the module prints it, and read back */
	snprintf(line, sizeof(line),
		 "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s",
		 v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
		 c.trace ? "trace" : "notrace");
	memset(&back, 0x5a, sizeof(back));
	FUZZ_ASSERT(basic_target_parse_status(line, &back) == 0);
	FUZZ_ASSERT(same_counters(&c, &back));

	/* a newer module's fields at the end change nothing */
	FUZZ_ASSERT(asprintf(&longer, "%s 7 future-field", status) > 0);
	memset(&back, 0x5a, sizeof(back));
	FUZZ_ASSERT(basic_target_parse_status(longer, &back) == 0);
	FUZZ_ASSERT(same_counters(&c, &back));
	free(longer);

	/* without the trace word: refused */
	line[strlen(line) - strlen(c.trace ? " trace" : " notrace")] = '\0';
	FUZZ_ASSERT(basic_target_parse_status(line, &back) == -EINVAL);

	free(status);
	return 0;
}
