/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A unit test's scratch directory (made by mkdtemp()): what it holds, and
 * its removal with all it holds.  Nothing here asserts: each returns a
 * negative errno on failure, for the caller's own check.
 */
#pragma once

/* How many entries DIR holds, those whose name begins with '.' left out; or a negative errno. */
int dir_entries(const char *dir);

/* DIR and everything below it removed, symbolic links not followed: 0 or a negative errno. */
int remove_tree(const char *dir);
