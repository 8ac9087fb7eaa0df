/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The files the unit tests and the fuzzers make in their scratch
 * directories, and read back.  Nothing here asserts: each says what went
 * wrong, and the caller checks it its own way (cmocka's
 * assert_int_equal(..., 0), the fuzzers' FUZZ_ASSERT).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * PATH, created or truncated, holds the SIZE bytes at DATA and has MODE,
 * whatever the umask (the config loader refuses what others may write).
 * 0 or a negative errno.
 */
int write_file(const char *path, const void *data, size_t size, mode_t mode);

/* write_file() of the string TEXT. */
int write_text(const char *path, const char *text, mode_t mode);

/* PATH's content whole, NUL-terminated, malloc'ed ("" for an empty file); NULL and errno. */
char *read_file(const char *path);
