// SPDX-License-Identifier: GPL-2.0-only
/* Parsing helpers shared by the config loaders, map.c and the control grammar. */

#include <errno.h>
#include <string.h>

#include "parse-util.h"
#include "util.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "", "B", "K", "KB", "KiB", ... "TiB"; the letter in either case. */
static int size_suffix_factor(const char *suffix, uint64_t *ret)
{
	static const char upper[] = "KMGT", lower[] = "kmgt";
	const char *rest = suffix + 1;
	size_t i;

	if (streq(suffix, "") || streq(suffix, "B")) {
		*ret = 1;
		return 0;
	}

	for (i = 0; i < strlen(upper); i++)
		if (suffix[0] == upper[i] || suffix[0] == lower[i])
			break;
	if (i == strlen(upper))
		return -EINVAL;

	if (!streq(rest, "") && !streq(rest, "B") && !streq(rest, "iB"))
		return -EINVAL;

	*ret = UINT64_C(1) << (10 * (i + 1));
	return 0;
}

/* The digits at the start of S; *end points past them. */
static int parse_digits(const char *s, uint64_t *ret, const char **end)
{
	uint64_t value = 0;
	const char *p;

	/* A leading digit rules out "", "-1", "+1", " 1" and ".5" at once. */
	if (!s || !is_digit(s[0]))
		return -EINVAL;

	for (p = s; is_digit(*p); p++) {
		unsigned int digit = *p - '0';

		if (value > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
	}

	*ret = value;
	*end = p;
	return 0;
}

int parse_uint64(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t value;
	int r;

	r = parse_digits(s, &value, &end);
	if (r < 0)
		return r;
	if (*end != '\0')
		return -EINVAL;

	*ret = value;
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	uint64_t value, factor;
	const char *suffix;
	int r;

	r = parse_digits(s, &value, &suffix);
	if (r < 0)
		return r;

	r = size_suffix_factor(suffix, &factor);
	if (r < 0)
		return r;

	if (value > UINT64_MAX / factor)
		return -ERANGE;

	*ret = value * factor;
	return 0;
}

int split_words(char *s, char **words, size_t max, size_t *n)
{
	char *save = NULL, *w;
	size_t i = 0;

	for (w = strtok_r(s, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (i == max)
			return -E2BIG;
		words[i++] = w;
	}
	*n = i;
	return 0;
}

const char *path_not_normalized(const char *path)
{
	for (const char *p = path; *p;) {
		size_t n;

		if (*p == '/') {
			if (p[1] == '/')
				return "'//'";
			if (p[1] == '\0' && p != path)
				return "a trailing '/'";
			p++;
			continue;
		}
		n = strcspn(p, "/");
		if (n == 1 && p[0] == '.')
			return "a '.' component";
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "a '..' component";
		p += n;
	}
	return NULL;
}
