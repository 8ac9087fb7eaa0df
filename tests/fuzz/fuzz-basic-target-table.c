// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: basic_target_parse_table(), how basicdmd reads back the table
 * of a map it finds (map.h, module/basic_target.rst).  The input's first
 * 8 bytes are the map's length in sectors, the rest the parameters after
 * "basic_target" (up to a NUL, as libdevmapper hands them over).
 *
 * What parses is a table the kernel would take: a length, a range that
 * fits 64 bits, a device number the kernel can hold.  Its words are the
 * fields it read: the device's major and minor, the offset, the feature
 * count and as many "trace" words in any case, each a strict decimal
 * number.  It formats (basic_target_format_table()) to the canonical line,
 * which parses back to the same table; a refused spec does not format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "fuzz-common.h"
#include "map.h"
#include "parse-util.h"
#include "util.h"

#define WORDS_MAX 16

static bool same_table(const struct basic_target_table *a, const struct basic_target_table *b)
{
	return a->sectors == b->sectors && a->backing == b->backing && a->offset == b->offset &&
	       a->read_only == b->read_only && a->trace == b->trace;
}

/* "MAJ:MIN", both strict decimal numbers, as the table's device. */
static void check_devnum(const char *word, dev_t dev)
{
	const char *colon = strchr(word, ':');
	uint64_t maj, min;
	char *left;

	FUZZ_ASSERT(colon);
	left = strndup(word, (size_t)(colon - word));
	FUZZ_ASSERT(left);
	FUZZ_ASSERT(parse_uint64(left, &maj) == 0 && parse_uint64(colon + 1, &min) == 0);
	FUZZ_ASSERT(maj == major(dev) && min == minor(dev));
	free(left);
}

/* The words of an accepted line, against the table read from it. */
static void check_words(char *params, const struct basic_target_table *t)
{
	char *words[WORDS_MAX], *save = NULL, *w;
	size_t n = 0, traces = 0;
	uint64_t v;

	for (w = strtok_r(params, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		FUZZ_ASSERT(n < WORDS_MAX);
		words[n++] = w;
	}
	FUZZ_ASSERT(n >= 2);
	check_devnum(words[0], t->backing);
	FUZZ_ASSERT(parse_uint64(words[1], &v) == 0 && v == t->offset);
	if (n == 2) {
		FUZZ_ASSERT(!t->trace);
		return;
	}
	FUZZ_ASSERT(parse_uint64(words[2], &v) == 0 && v == n - 3);
	for (size_t i = 3; i < n; i++) {
		FUZZ_ASSERT(strcasecmp(words[i], "trace") == 0);
		traces++;
	}
	FUZZ_ASSERT(traces <= 1 && t->trace == (traces == 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct basic_target_table t, back, untouched;
	char line[128], canonical[128], *params;
	uint64_t sectors;
	int r;

	if (size < sizeof(sectors))
		return 0;
	memcpy(&sectors, data, sizeof(sectors));
	params = strndup((const char *)data + sizeof(sectors), size - sizeof(sectors));
	FUZZ_ASSERT(params);

	memset(&t, 0xa5, sizeof(t));
	memset(&untouched, 0xa5, sizeof(untouched));
	r = basic_target_parse_table(params, sectors, &t);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
		/* the table is set only on success */
		FUZZ_ASSERT(memcmp(&t, &untouched, sizeof(t)) == 0);
		free(params);
		return 0;
	}
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(t.sectors == sectors && sectors > 0 && t.offset <= UINT64_MAX - sectors);
	FUZZ_ASSERT(major(t.backing) <= 0xfff && minor(t.backing) <= 0xfffff);
	FUZZ_ASSERT(!t.read_only);
	check_words(params, &t);
	free(params);

	/* formatted as the kernel prints it, and read back */
	FUZZ_ASSERT(basic_target_format_table(&t, line, sizeof(line)) == 0);
	memset(&back, 0x5a, sizeof(back));
	FUZZ_ASSERT(basic_target_parse_table(line, sectors, &back) == 0);
	FUZZ_ASSERT(same_table(&t, &back));
	snprintf(canonical, sizeof(canonical), "%u:%u %" PRIu64 "%s", major(t.backing),
		 minor(t.backing), t.offset, t.trace ? " 1 trace" : "");
	FUZZ_ASSERT(streq(line, canonical));
	/* no room: refused, never cut */
	FUZZ_ASSERT(basic_target_format_table(&t, line, strlen(line)) == -ENOBUFS);
	/* a spec the kernel refuses does not format */
	back.sectors = 0;
	FUZZ_ASSERT(basic_target_format_table(&back, line, sizeof(line)) == -EINVAL);
	return 0;
}
