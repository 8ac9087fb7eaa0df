/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsing helpers: decimal numbers, sizes with binary suffixes, words,
 * paths.
 * Shared by the config loaders, the control grammar and the daemon's
 * reading of tables and status lines, so each format has one reader.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decimal digits only, no sign, blanks or base prefix: -EINVAL, or -ERANGE past 64 bits. */
int parse_uint64(const char *s, uint64_t *ret);

/* "64M", "1G", "4096", "2T": bytes, binary multiples (K M G T, optional "iB"/"B"). */
int parse_size(const char *s, uint64_t *ret);

/*
 * Splits S in place at blanks (space, tab, newline) into at most MAX
 * words; more is -E2BIG.
 */
int split_words(char *s, char **words, size_t max, size_t *n);

/*
 * Why PATH is not written the one plain way, for "... (REASON)": "a '..'
 * component", "a '.' component", "'//'" or "a trailing '/'" (the first
 * found); NULL when it has none of them.  "/" alone is plain.  Only the
 * text is judged: symbolic links are not followed.
 */
const char *path_not_normalized(const char *path);
