// SPDX-License-Identifier: GPL-2.0-only
/* Latency histogram bounds: latency-bounds.h. */

#include "latency-bounds.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "parse-util.h"
#include "util.h"

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	/* ascending: the formatter takes the largest that divides */
	{ "ns", 1 },
	{ "us", 1000 },
	{ "ms", 1000000 },
	{ "s", 1000000000 },
};

/* One bound, "250us"; -EINVAL with *why. */
static int parse_one(const char *word, uint64_t *ret, const char **why)
{
	char digits[32];
	size_t n = strspn(word, "0123456789");
	uint64_t value;

	if (n == 0 || n >= sizeof(digits)) {
		*why = "each bound is a whole number with a unit: ns, us, ms or s";
		return -EINVAL;
	}
	memcpy(digits, word, n);
	digits[n] = '\0';
	if (parse_uint64(digits, &value) < 0)
		goto range;
	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		if (!streq(word + n, units[i].suffix))
			continue;
		if (value == 0) {
			*why = "a bound must be above 0";
			return -EINVAL;
		}
		if (value > UINT64_MAX / units[i].ns)
			goto range;
		*ret = value * units[i].ns;
		return 0;
	}
	*why = "each bound needs a unit: ns, us, ms or s";
	return -EINVAL;
range:
	*why = "a bound is out of range";
	return -EINVAL;
}

int latency_bounds_parse(const char *s, struct latency_bounds *ret, const char **why)
{
	struct latency_bounds b = {};
	char copy[512], *word, *save = NULL;
	size_t text = 0;

	if (streq(s, "off")) {
		*ret = b;
		return 0;
	}
	if (streq(s, "on"))
		s = LATENCY_BOUNDS_ON;
	if (strlen(s) >= sizeof(copy)) {
		*why = "too long";
		return -EINVAL;
	}
	strcpy(copy, s);
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		uint64_t ns;
		int r;

		word += strspn(word, " \t");
		word[strcspn(word, " \t")] = '\0';
		r = parse_one(word, &ns, why);
		if (r < 0)
			return r;
		if (b.n == LATENCY_BOUNDS_MAX) {
			*why = "more than 16 bounds";
			return -EINVAL;
		}
		text += snprintf(NULL, 0, "%s%" PRIu64, b.n ? "," : "", ns);
		if (text > LATENCY_BOUNDS_TEXT_MAX) {
			*why = "too many large bounds for dm-stats (at most 140 characters as "
			       "nanoseconds and commas)";
			return -EINVAL;
		}
		if (b.n > 0 && ns <= b.ns[b.n - 1]) {
			*why = "each bound must be above the one before";
			return -EINVAL;
		}
		b.ns[b.n++] = ns;
	}
	if (b.n == 0) {
		*why = "no bound given (\"on\" gives the standard bounds, \"off\" none)";
		return -EINVAL;
	}
	*ret = b;
	return 0;
}

int latency_bounds_format(const struct latency_bounds *b, char *buf, size_t size)
{
	size_t used = 0;

	if (b->n == 0)
		return snprintf(buf, size, "off") < (int)size ? 0 : -ENOBUFS;
	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < b->n; i++) {
		size_t u = ELEMENTSOF(units) - 1;
		int n;

		while (u > 0 && b->ns[i] % units[u].ns != 0)
			u--;
		n = snprintf(buf + used, size - used, "%s%" PRIu64 "%s", i ? "," : "",
			     b->ns[i] / units[u].ns, units[u].suffix);
		if (n < 0 || (size_t)n >= size - used)
			return -ENOBUFS;
		used += n;
	}
	return 0;
}

bool latency_bounds_equal(const struct latency_bounds *a, const struct latency_bounds *b)
{
	return a->n == b->n && memcmp(a->ns, b->ns, a->n * sizeof(a->ns[0])) == 0;
}
