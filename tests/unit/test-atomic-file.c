// SPDX-License-Identifier: GPL-2.0-only
/*
 * atomic_file_write: a reader finds the old content or the new, never a
 * part; the mode is the one asked for whatever the umask; a failed write
 * leaves the old file as it was and nothing beside it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "atomic-file.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"

struct dir {
	char path[64];
	char file[96];
};

static int fill_text(FILE *f, void *userdata)
{
	fputs(userdata, f);
	return 0;
}

/* writes half, then fails as a real writer would on a short read */
static int fill_half_then_fail(FILE *f, void *userdata)
{
	(void)userdata;
	fputs("half", f);
	return -ENOSPC;
}

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	strcpy(d->path, "/tmp/test-atomic-file.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/claims", d->path);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;

	assert_int_equal(remove_tree(d->path), 0);
	free(d);
	return 0;
}

static void test_creates_then_replaces(void **state)
{
	struct dir *d = *state;
	_cleanup_(freep) char *one = NULL, *two = NULL;
	struct stat st;
	mode_t old_umask = umask(077);

	assert_int_equal(atomic_file_write(d->file, 0644, false, fill_text, "one\n"), 0);
	one = read_file(d->file);
	assert_non_null(one);
	assert_string_equal(one, "one\n");
	assert_int_equal(stat(d->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);	/* not masked by the umask */
	assert_int_equal(atomic_file_write(d->file, 0644, true, fill_text, "two\n"), 0);
	two = read_file(d->file);
	assert_non_null(two);
	assert_string_equal(two, "two\n");
	assert_int_equal(dir_entries(d->path), 1);	/* no file left beside it */
	umask(old_umask);
}

static void test_failed_fill_keeps_the_old_file(void **state)
{
	struct dir *d = *state;
	_cleanup_(freep) char *text = NULL;

	assert_int_equal(atomic_file_write(d->file, 0644, false, fill_text, "kept\n"), 0);
	assert_int_equal(atomic_file_write(d->file, 0644, false, fill_half_then_fail, NULL),
			 -ENOSPC);
	text = read_file(d->file);
	assert_non_null(text);
	assert_string_equal(text, "kept\n");
	assert_int_equal(dir_entries(d->path), 1);
}

static void test_missing_directory(void **state)
{
	struct dir *d = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/gone/claims", d->path);
	assert_int_equal(atomic_file_write(path, 0644, false, fill_text, "x"), -ENOENT);
	assert_int_equal(dir_entries(d->path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_creates_then_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_fill_keeps_the_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
