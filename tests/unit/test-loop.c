// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon/loop.c: preparing backing files in a scratch directory, the files
 * it refuses to grow or attach (a symbolic link, a file or directory
 * someone but root could change), and what loop_attach refuses before
 * touching any loop device.  The tests that bind
 * a real loop device skip unless they can; autoclear frees the device when
 * its descriptor closes, even if the test dies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "scratch-dir.h"
#include "test-files.h"

struct scratch {
	char dir[64];
	char path[128];
};

static int setup_scratch(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-loop.XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s/vol.img", s->dir);
	*state = s;
	return 0;
}

static int teardown_scratch(void **state)
{
	struct scratch *s = *state;

	remove_tree(s->dir);
	free(s);
	return 0;
}

/* PATH still begins with CONTENT: what the user had in the file is kept. */
static void assert_file_begins(const char *path, const char *content)
{
	char buf[64] = {};
	size_t n = strlen(content);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0 && n < sizeof(buf));
	assert_int_equal(read(fd, buf, n), (ssize_t)n);
	close(fd);
	assert_string_equal(buf, content);
}

/*
 * The loop device bound to PATH's inode, as the kernel reports it: the
 * tests' own look, independent of loop.c's.  0 and *devnum, or -ENOENT.
 */
static int bound_loop(const char *path, dev_t *devnum)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = -ENOENT;

	if (stat(path, &st) < 0)
		return -ENOENT;
	d = opendir("/sys/block");
	assert_non_null(d);
	while (r < 0 && (de = readdir(d))) {
		struct loop_info64 info = {};
		struct stat lst;
		char dev[300];
		int fd;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
		fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (ioctl(fd, LOOP_GET_STATUS64, &info) == 0 && info.lo_device == st.st_dev &&
		    info.lo_inode == st.st_ino && fstat(fd, &lst) == 0) {
			*devnum = lst.st_rdev;
			r = 0;
		}
		close(fd);
	}
	closedir(d);
	return r;
}

/* Autoclear: the last close detaches the device, asynchronously in newer kernels. */
static void wait_detached(const char *path)
{
	dev_t found;

	for (int i = 0; i < 100 && bound_loop(path, &found) == 0; i++)
		usleep(10000);
	assert_int_equal(bound_loop(path, &found), -ENOENT);
}

/* ---- loop_prepare_file -------------------------------------------------- */

static void test_creates_sparse(void **state)
{
	struct scratch *s = *state;
	struct stat st;

	assert_int_equal(loop_prepare_file(s->path, 64ull << 20, false), 0);
	assert_int_equal(stat(s->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 64ll << 20);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_existing_untouched(void **state)
{
	struct scratch *s = *state;
	struct stat before, after;

	assert_int_equal(write_text(s->path, "keep me", 0644), 0);
	assert_int_equal(stat(s->path, &before), 0);

	/* without grow (a read-only volume) a configured size never resizes a file */
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), 0);
	assert_int_equal(loop_prepare_file(s->path, 0, false), 0);

	assert_int_equal(stat(s->path, &after), 0);
	assert_int_equal(after.st_size, 7);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_file_begins(s->path, "keep me");
}

/* A larger size grows the file sparse, in place; a smaller one never cuts it. */
static void test_grows_never_shrinks(void **state)
{
	struct scratch *s = *state;
	struct stat before, after;

	assert_int_equal(write_text(s->path, "keep me", 0644), 0);
	assert_int_equal(stat(s->path, &before), 0);

	assert_int_equal(loop_prepare_file(s->path, 4 << 20, true), 0);
	assert_int_equal(stat(s->path, &after), 0);
	assert_int_equal(after.st_size, 4 << 20);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_true(after.st_blocks <= before.st_blocks + 8);	/* sparse: no data written */

	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), 0);
	assert_int_equal(loop_prepare_file(s->path, 0, true), 0);
	assert_int_equal(stat(s->path, &after), 0);
	assert_int_equal(after.st_size, 4 << 20);
	assert_file_begins(s->path, "keep me");
}

static void test_missing_without_size(void **state)
{
	struct scratch *s = *state;

	assert_int_equal(loop_prepare_file(s->path, 0, false), -ENOENT);
	assert_int_equal(access(s->path, F_OK), -1);
}

static void test_missing_parent(void **state)
{
	struct scratch *s = *state;
	char path[192];

	snprintf(path, sizeof(path), "%s/no-such-dir/vol.img", s->dir);
	assert_int_equal(loop_prepare_file(path, 1 << 20, false), -ENOENT);
	assert_int_equal(loop_prepare_file(path, 0, false), -ENOENT);
}

static void test_not_a_file(void **state)
{
	struct scratch *s = *state;

	assert_int_equal(mkdir(s->path, 0700), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), -EISDIR);
	assert_int_equal(rmdir(s->path), 0);

	assert_int_equal(mkfifo(s->path, 0600), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), -EINVAL);
}

static void test_size_too_large(void **state)
{
	struct scratch *s = *state;

	assert_int_equal(loop_prepare_file(s->path, (uint64_t)INT64_MAX + 1, false), -EFBIG);
	assert_int_equal(access(s->path, F_OK), -1);
}

/* A file that cannot take its size is not left behind half made. */
static void test_truncate_fails(void **state)
{
	struct scratch *s = *state;
	struct rlimit old, small = { .rlim_cur = 1 << 20 };
	void (*old_handler)(int);
	int r;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

	r = loop_prepare_file(s->path, 2 << 20, false);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(r, -EFBIG);
	assert_int_equal(access(s->path, F_OK), -1);
}

/* ---- files someone but root could change: backing-trust.h -------------- */

/*
 * A symbolic link at the path is never followed: the file it points to
 * (root's, 0600) is neither grown nor attached, and a link to nothing is
 * not created through.
 */
static void test_symlink_never_followed(void **state)
{
	struct scratch *s = *state;
	char target[160];
	bool reused;
	dev_t dev;
	int fd = 42;
	struct stat st;

	snprintf(target, sizeof(target), "%s/root-only", s->dir);
	assert_int_equal(write_text(target, "twelve bytes", 0600), 0);
	assert_int_equal(symlink(target, s->path), 0);

	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), -ELOOP);
	assert_int_equal(loop_prepare_file(s->path, 0, false), -ELOOP);
	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused), -ELOOP);
	assert_int_equal(fd, 42);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 12);
	assert_file_begins(target, "twelve bytes");

	assert_int_equal(unlink(target), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
}

/* A directory others may write in, not sticky: the file in it could be anyone's. */
static void test_untrusted_directory(void **state)
{
	struct scratch *s = *state;
	char missing[160];
	bool reused;
	dev_t dev;
	int fd = 42;
	struct stat st;

	snprintf(missing, sizeof(missing), "%s/new.img", s->dir);
	assert_int_equal(write_text(s->path, "keep me", 0600), 0);
	assert_int_equal(chmod(s->dir, 0777), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), -EPERM);
	assert_int_equal(loop_prepare_file(missing, 1 << 20, true), -EPERM);
	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused), -EPERM);
	assert_int_equal(fd, 42);
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_size, 7);
	assert_int_equal(access(missing, F_OK), -1);

	/* sticky, as /tmp: the file is root's, others cannot replace it */
	assert_int_equal(chmod(s->dir, 01777), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), 0);
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	assert_int_equal(loop_prepare_file(missing, 1 << 20, true), 0);
	assert_int_equal(chmod(s->dir, 0700), 0);
}

/* A file others may write: they would keep access to the data under the map. */
static void test_untrusted_file(void **state)
{
	struct scratch *s = *state;
	bool reused;
	dev_t dev;
	int fd = 42;
	struct stat st;

	assert_int_equal(write_text(s->path, "keep me", 0666), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), -EPERM);
	assert_int_equal(loop_attach(NULL, s->path, true, NULL, &dev, &fd, &reused), -EPERM);
	assert_int_equal(fd, 42);
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_size, 7);

	/* one of nobody's, in a sticky directory others may write in */
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(s->path, 0600), 0);
	assert_int_equal(chown(s->path, 65534, 65534), 0);
	assert_int_equal(chmod(s->dir, 01777), 0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, true), -EPERM);
	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused), -EPERM);
	assert_int_equal(fd, 42);
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_size, 7);
	assert_int_equal(chmod(s->dir, 0700), 0);
}

/* ---- loop_attach without a loop device --------------------------------- */

/* A missing file is no loop device's, with an index as without one. */
static void test_attach_missing_file(void **state)
{
	struct scratch *s = *state;
	struct loop_index *idx = loop_index_new();
	bool reused;
	dev_t dev;
	int fd = 42;

	assert_non_null(idx);
	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused), -ENOENT);
	assert_int_equal(loop_attach(idx, s->path, false, NULL, &dev, &fd, &reused), -ENOENT);
	assert_int_equal(fd, 42);
	loop_index_free(idx);
}

static void test_attach_refuses(void **state)
{
	struct scratch *s = *state;
	bool reused;
	dev_t dev;
	int fd = 42;

	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused), -ENOENT);

	/* read-only opens a FIFO for reading: it must not wait for a writer */
	assert_int_equal(mkfifo(s->path, 0600), 0);
	assert_int_equal(loop_attach(NULL, s->path, true, NULL, &dev, &fd, &reused), -EINVAL);
	assert_int_equal(unlink(s->path), 0);

	assert_int_equal(mkdir(s->path, 0700), 0);
	assert_int_equal(loop_attach(NULL, s->path, true, NULL, &dev, &fd, &reused), -EISDIR);
	assert_int_equal(fd, 42);
}

/* ---- a real loop device, where there is one ----------------------------- */

/* What the bind hook heard: the device, and whether it was still unbound then. */
struct heard {
	dev_t loop;
	bool bind, was_bound;
	int calls;
};

static void hear_bind(dev_t loop, bool bind, void *userdata)
{
	struct heard *h = userdata;
	char path[64];

	h->loop = loop;
	h->bind = bind;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop", major(loop), minor(loop));
	h->was_bound = access(path, F_OK) == 0;
	h->calls++;
}

/*
 * Skips a test that needs real loop devices where there are none to use
 * (no /dev/loop-control, or R: the first attach, refused by the host).
 */
static void skip_without_loop_devices(int r)
{
	if (access("/dev/loop-control", W_OK) < 0)
		skip();
	if (r == -EPERM || r == -EACCES || r == -ENODEV || r == -ENOENT || r == -ENXIO)
		skip();
}

static void test_attach_find_reuse(void **state)
{
	struct scratch *s = *state;
	bool reused = true, again = false;
	struct heard heard = {};
	dev_t dev, found, dev2;
	int fd = -1, fd2 = 0, r;

	skip_without_loop_devices(0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), 0);
	r = loop_attach(NULL, s->path, false, &(const struct loop_bind_hook){ hear_bind, &heard },
			&dev, &fd, &reused);
	skip_without_loop_devices(r);
	assert_int_equal(r, 0);
	assert_true(fd >= 0);
	assert_false(reused);
	assert_int_equal(major(dev), 7);
	/* told of the device before the file was bound to it: its marker comes first */
	assert_int_equal(heard.calls, 1);
	assert_true(heard.bind);
	assert_int_equal(heard.loop, dev);
	assert_false(heard.was_bound);

	assert_int_equal(bound_loop(s->path, &found), 0);
	assert_int_equal(found, dev);

	/* never attached twice */
	assert_int_equal(loop_attach(NULL, s->path, true, NULL, &dev2, &fd2, &again), 0);
	assert_true(again);
	assert_int_equal(fd2, -1);
	assert_int_equal(dev2, dev);

	/* autoclear: the last close detaches it */
	close(fd);
	wait_detached(s->path);
}

/* A read-write volume cannot use a read-only loop device of its file. */
static void test_attach_read_only_conflict(void **state)
{
	struct scratch *s = *state;
	bool reused;
	dev_t dev, dev2;
	int fd = -1, fd2 = -1, r;

	skip_without_loop_devices(0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), 0);
	r = loop_attach(NULL, s->path, true, NULL, &dev, &fd, &reused);
	skip_without_loop_devices(r);
	assert_int_equal(r, 0);
	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &dev2, &fd2, &reused), -EROFS);
	assert_int_equal(fd2, -1);
	close(fd);
}

/* The loop device follows its file when the file grew, and only then. */
static void test_follow_file(void **state)
{
	struct scratch *s = *state;
	uint64_t bytes = 0;
	bool reused;
	dev_t dev;
	int fd = -1, r;

	skip_without_loop_devices(0);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), 0);
	r = loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused);
	skip_without_loop_devices(r);
	assert_int_equal(r, 0);
	assert_int_equal(loop_follow_file(dev, s->path), 0);	/* same size: left alone */
	/* grown by a part sector too: the loop device covers the whole sectors */
	assert_int_equal(loop_prepare_file(s->path, (2 << 20) + 100, true), 0);
	assert_int_equal(loop_follow_file(dev, s->path), 1);
	assert_int_equal(ioctl(fd, BLKGETSIZE64, &bytes), 0);
	assert_int_equal(bytes, 2 << 20);
	assert_int_equal(loop_follow_file(dev, s->path), 0);
	close(fd);
	wait_detached(s->path);
}

/* Another file put at the path since: its size is not the loop device's to take. */
static void test_follow_file_replaced(void **state)
{
	struct scratch *s = *state;
	char other[160];
	bool reused;
	dev_t dev;
	int fd = -1, r;

	skip_without_loop_devices(0);
	snprintf(other, sizeof(other), "%s/other.img", s->dir);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), 0);
	r = loop_attach(NULL, s->path, false, NULL, &dev, &fd, &reused);
	skip_without_loop_devices(r);
	assert_int_equal(r, 0);
	assert_int_equal(loop_prepare_file(other, 2 << 20, false), 0);
	assert_int_equal(rename(other, s->path), 0);
	assert_int_equal(loop_follow_file(dev, s->path), -ESTALE);
	close(fd);
}

/*
 * Through an index the bound devices are looked up in a list read once: a
 * file bound before the index was read is still found, one bound through it
 * is reused, and a device detached since the index was read is not handed
 * out again.
 */
static void test_index(void **state)
{
	struct scratch *s = *state;
	char other[160];
	struct loop_index *idx;
	bool reused;
	dev_t before, dev, again, dev_other, found;
	int fd_before = -1, fd = -1, fd_other = -1, r;

	skip_without_loop_devices(0);
	snprintf(other, sizeof(other), "%s/other.img", s->dir);
	assert_int_equal(loop_prepare_file(s->path, 1 << 20, false), 0);
	assert_int_equal(loop_prepare_file(other, 1 << 20, false), 0);
	r = loop_attach(NULL, s->path, false, NULL, &before, &fd_before, &reused);
	skip_without_loop_devices(r);
	assert_int_equal(r, 0);

	idx = loop_index_new();
	assert_non_null(idx);
	assert_int_equal(loop_attach(idx, s->path, false, NULL, &dev, &fd, &reused), 0);
	assert_true(reused);
	assert_int_equal(dev, before);

	assert_int_equal(loop_attach(idx, other, false, NULL, &dev_other, &fd_other, &reused), 0);
	assert_false(reused);
	assert_int_not_equal(dev_other, before);
	assert_int_equal(loop_attach(idx, other, false, NULL, &again, &fd, &reused), 0);
	assert_true(reused);
	assert_int_equal(again, dev_other);

	/* detached behind the index's back: found gone, bound afresh */
	close(fd_before);
	wait_detached(s->path);
	assert_int_equal(loop_attach(idx, s->path, false, NULL, &dev, &fd_before, &reused), 0);
	assert_false(reused);
	assert_true(fd_before >= 0);
	loop_index_free(idx);

	/* the device bound through the index, found by a scan too */
	assert_int_equal(bound_loop(s->path, &found), 0);
	assert_int_equal(found, dev);
	assert_int_equal(loop_attach(NULL, s->path, false, NULL, &again, &fd, &reused), 0);
	assert_true(reused);
	assert_int_equal(again, dev);
	close(fd_before);
	close(fd_other);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_scratch, teardown_scratch)
	const struct CMUnitTest tests[] = {
		T(test_creates_sparse),
		T(test_grows_never_shrinks),
		T(test_existing_untouched),
		T(test_missing_without_size),
		T(test_missing_parent),
		T(test_not_a_file),
		T(test_size_too_large),
		T(test_truncate_fails),
		T(test_symlink_never_followed),
		T(test_untrusted_directory),
		T(test_untrusted_file),
		T(test_attach_missing_file),
		T(test_attach_refuses),
		T(test_attach_find_reuse),
		T(test_attach_read_only_conflict),
		T(test_follow_file),
		T(test_follow_file_replaced),
		T(test_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
