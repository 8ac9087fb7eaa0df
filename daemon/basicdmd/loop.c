// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loop devices for file-backed volumes.  A file is matched to a loop device
 * by the backing inode the kernel reports (LOOP_GET_STATUS64), not by the
 * path in sysfs, which goes stale when the file is renamed or replaced.
 */
#include "loop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backing-trust.h"
#include "blockdev.h"
#include "log.h"
#include "util.h"

/* Another process may take the free device between GET_FREE and CONFIGURE. */
#define ATTACH_TRIES 16

#define SYSFS_BLOCK "/sys/block"
#define LOOP_CONTROL "/dev/loop-control"

/*
 * Sparse: blocks are allocated as the volume is written.  But a file the
 * file system has no room for would fail those writes later, as I/O errors
 * under whoever uses the volume: refuse it now instead.  Free blocks, not
 * available ones: the daemon runs as root.
 */
static int set_size(int fd, uint64_t from, uint64_t size)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) == 0 && (uint64_t)sv.f_bfree * sv.f_frsize < size - from)
		return -ENOSPC;
	if (ftruncate(fd, (off_t)size) < 0)
		return negative_errno();
	return 0;
}

/*
 * Whose backing files are trusted besides root's (backing-trust.h): the
 * daemon runs as root, so root's alone; a test run by a user, the user's.
 */
static uid_t trusted_owner(void)
{
	return geteuid();
}

/*
 * A backing file refused by backing-trust.h's rules, said with its fix.
 * basicdm checks them before it prepares or attaches a file
 * (backing-check.c), so this is a file changed in between.
 */
static int refuse(int r, const char *reason)
{
	if (reason)
		log_error("%s", reason);
	return r;
}

/* The file NAME in DIR_FD, ST, grown to SIZE through a descriptor of its own. */
static int grow_file(int dir_fd, const char *name, const char *path, const struct stat *st,
		     uint64_t size)
{
	_cleanup_(freep) char *reason = NULL;
	_cleanup_(closep) int fd = -1;
	struct stat now;

	fd = backing_trust_open_file(dir_fd, name, path, O_RDWR, trusted_owner(), &now, &reason);
	if (fd < 0)
		return refuse(fd, reason);
	/* the file opened is the one judged, and it may have grown meanwhile */
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return -ESTALE;
	if ((uint64_t)now.st_size >= size)
		return 0;
	return set_size(fd, (uint64_t)now.st_size, size);
}

/* NAME created in DIR_FD, sparse, SIZE bytes; -EEXIST when it is there already. */
static int create_file(int dir_fd, const char *name, const char *path, uint64_t size)
{
	_cleanup_(freep) char *reason = NULL;
	_cleanup_(closep) int fd = -1;
	struct stat st;
	int r;

	/* O_EXCL: never a file, or a symbolic link, someone put there since */
	fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		    0600);
	if (fd < 0)
		return negative_errno();
	r = fstat(fd, &st) < 0 ? negative_errno() : 0;
	if (r == 0) {
		r = backing_trust_check_file(path, &st, trusted_owner(), &reason);
		(void)refuse(r, reason);
	}
	if (r == 0)
		r = set_size(fd, 0, size);
	if (r < 0)
		(void)unlinkat(dir_fd, name, 0);
	return r;
}

int loop_prepare_file(const char *path, uint64_t size, bool grow)
{
	_cleanup_(freep) char *name = NULL, *reason = NULL;
	_cleanup_(closep) int dir_fd = -1, fd = -1;
	struct stat st;
	int r;

	if (size > INT64_MAX)
		return -EFBIG;
	/* a missing parent directory fails here with ENOENT */
	r = backing_trust_open_dir(path, trusted_owner(), &dir_fd, &name, &reason);
	if (r < 0)
		return refuse(r, reason);

	fd = backing_trust_open_file(dir_fd, name, path, O_PATH, trusted_owner(), &st, &reason);
	if (fd >= 0) {
		if (!grow || (uint64_t)st.st_size >= size)
			return 0;	/* never shrunk */
		return grow_file(dir_fd, name, path, &st, size);
	}
	if (fd != -ENOENT)
		return refuse(fd, reason);
	if (size == 0)
		return -ENOENT;

	r = create_file(dir_fd, name, path, size);
	if (r != -EEXIST)
		return r;
	/* created by someone else since: judged on what is there now, and left as it is */
	fd = backing_trust_open_file(dir_fd, name, path, O_PATH, trusted_owner(), &st, &reason);
	return fd < 0 ? refuse(fd, reason) : 0;
}

int loop_follow_file(dev_t loop, const char *file)
{
	_cleanup_(freep) char *reason = NULL;
	_cleanup_(closep) int fd = -1, file_fd = -1;
	struct loop_info64 info = {};
	uint64_t sectors;
	struct stat st;
	int r;

	file_fd = backing_trust_open(file, O_PATH, trusted_owner(), &st, &reason);
	if (file_fd < 0)
		return refuse(file_fd, reason);
	fd = blockdev_open(loop, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	/* the size of the file the loop device is bound to, not of another at that path */
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		return negative_errno();
	if (info.lo_device != (uint64_t)st.st_dev || info.lo_inode != (uint64_t)st.st_ino)
		return -ESTALE;
	r = blockdev_get_sectors(loop, &sectors);
	if (r < 0)
		return r;
	/* the loop device covers the whole sectors of the file, from byte 0 */
	if (sectors == (uint64_t)st.st_size >> 9)
		return 0;
	if (ioctl(fd, LOOP_SET_CAPACITY, 0) < 0)
		return negative_errno();
	return 1;
}

/* True for "loop<N>", the kernel's names of loop block devices. */
static bool is_loop_name(const char *name)
{
	const char *p;

	if (!startswith(name, "loop") || !name[4])
		return false;
	for (p = name + 4; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * Whether loop device NAME is bound to the whole of the inode ST names,
 * and then its device number and flags.  Only bound devices have a
 * "loop" directory in sysfs; unbound ones are not even opened.
 */
static bool loop_matches(const char *name, const struct stat *st, dev_t *devnum,
			 uint32_t *flags)
{
	_cleanup_(closep) int fd = -1;
	struct loop_info64 info = {};
	char subdir[PATH_MAX], dev[NAME_MAX + 8];
	struct stat lst;

	snprintf(subdir, sizeof(subdir), SYSFS_BLOCK "/%s/loop", name);
	if (access(subdir, F_OK) < 0)
		return false;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	/* ENXIO: unbound or being torn down meanwhile */
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		return false;
	if (info.lo_device != (uint64_t)st->st_dev || info.lo_inode != (uint64_t)st->st_ino)
		return false;
	/* a window into the file (losetup -o / --sizelimit) is not the file */
	if (info.lo_offset != 0 || info.lo_sizelimit != 0)
		return false;
	if (fstat(fd, &lst) < 0 || !S_ISBLK(lst.st_mode))
		return false;
	*devnum = lst.st_rdev;
	*flags = info.lo_flags;
	return true;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int scan_loops(const struct stat *st, dev_t *devnum, uint32_t *flags)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	/* sysfs lists only the loop devices that exist */
	d = opendir(SYSFS_BLOCK);
	if (!d)
		return negative_errno();
	while ((de = readdir(d)))
		if (is_loop_name(de->d_name) &&
		    loop_matches(de->d_name, st, devnum, flags))
			return 0;
	return -ENOENT;
}

/*
 * Without an index, attaching N files scans up to N loop devices each, N^2
 * opens and ioctls in all: minutes at start-up with a thousand volumes.
 */
struct loop_entry {
	dev_t file_dev;
	ino_t file_ino;
	unsigned number;	/* loop<number> */
};

struct loop_index {
	bool read;		/* the bound devices have been read */
	struct loop_entry *entries;
	size_t n, allocated;
};

struct loop_index *loop_index_new(void)
{
	return calloc(1, sizeof(struct loop_index));
}

struct loop_index *loop_index_free(struct loop_index *idx)
{
	if (!idx)
		return NULL;
	free(idx->entries);
	free(idx);
	return NULL;
}

static void index_add(struct loop_index *idx, dev_t file_dev, ino_t file_ino, unsigned number)
{
	if (idx->n == idx->allocated) {
		size_t a = idx->allocated ? 2 * idx->allocated : 64;
		struct loop_entry *e = reallocarray(idx->entries, a, sizeof(*e));

		if (!e)
			return;	/* a hint less: the device is found by a scan */
		idx->entries = e;
		idx->allocated = a;
	}
	idx->entries[idx->n++] = (struct loop_entry){ file_dev, file_ino, number };
}

static void index_read(struct loop_index *idx)
{
	_cleanup_(closedirp) DIR *d = opendir(SYSFS_BLOCK);
	struct dirent *de;

	idx->read = true;
	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_(closep) int fd = -1;
		struct loop_info64 info = {};
		char dev[NAME_MAX + 8];

		if (!is_loop_name(de->d_name))
			continue;
		snprintf(dev, sizeof(dev), "%s/loop", de->d_name);
		if (faccessat(dirfd(d), dev, F_OK, 0) < 0)
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
		fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) == 0)
			index_add(idx, (dev_t)info.lo_device, (ino_t)info.lo_inode, info.lo_number);
	}
}

static int find_loop(struct loop_index *idx, const struct stat *st, dev_t *devnum, uint32_t *flags)
{
	if (!idx)
		return scan_loops(st, devnum, flags);

	if (!idx->read)
		index_read(idx);
	for (size_t i = 0; i < idx->n; i++) {
		const struct loop_entry *e = &idx->entries[i];
		char name[32];

		if (e->file_dev != st->st_dev || e->file_ino != st->st_ino)
			continue;
		snprintf(name, sizeof(name), "loop%u", e->number);
		if (loop_matches(name, st, devnum, flags))
			return 0;
		/* detached or rebound since the index was read */
		return scan_loops(st, devnum, flags);
	}
	return -ENOENT;
}

/*
 * LOOP_CONFIGURE binds FILE_FD in one step.  Direct I/O spares the page
 * cache a second copy of the data; a kernel that refuses it for this file
 * gets buffered I/O instead.
 */
static int configure(int loop_fd, int file_fd, const char *path, bool read_only)
{
	struct loop_config cfg = {
		.fd = (uint32_t)file_fd,
		.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO |
				 (read_only ? LO_FLAGS_READ_ONLY : 0),
	};

	snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", path);
	if (ioctl(loop_fd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL)
		return negative_errno();

	cfg.info.lo_flags &= ~(uint32_t)LO_FLAGS_DIRECT_IO;
	if (ioctl(loop_fd, LOOP_CONFIGURE, &cfg) < 0)
		return negative_errno();
	log_debug("%s: direct I/O refused, the loop device uses buffered I/O", path);
	return 0;
}

/*
 * Opens the backing file as backing-trust.h judges it, never through a
 * symbolic link, and in blocking mode for the loop device.
 */
static int open_backing(const char *path, bool read_only, struct stat *st)
{
	_cleanup_(freep) char *reason = NULL;
	_cleanup_(closep) int fd = -1;
	int flags;

	fd = backing_trust_open(path, read_only ? O_RDONLY : O_RDWR, trusted_owner(), st, &reason);
	if (fd < 0)
		return refuse(fd, reason);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return negative_errno();
	return TAKE_FD(fd);
}

/* Binds FILE_FD to a free loop device, HOOK told first; returns the loop device's fd. */
static int bind_free_loop(int file_fd, const char *path, bool read_only,
			  const struct loop_bind_hook *hook)
{
	_cleanup_(closep) int control = -1;
	struct stat st;
	char dev[32];
	int r = -EBUSY;

	control = open(LOOP_CONTROL, O_RDWR | O_CLOEXEC);
	if (control < 0)
		return negative_errno();

	for (int i = 0; i < ATTACH_TRIES; i++) {
		_cleanup_(closep) int loop_fd = -1;
		int n;

		n = ioctl(control, LOOP_CTL_GET_FREE);
		if (n < 0)
			return negative_errno();
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		/* the open mode is the device's mode: O_RDONLY would make it read-only */
		loop_fd = open(dev, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (loop_fd < 0)
			return negative_errno();
		if (hook) {
			if (fstat(loop_fd, &st) < 0)
				return negative_errno();
			hook->fn(st.st_rdev, true, hook->userdata);
		}
		r = configure(loop_fd, file_fd, path, read_only);
		if (r == 0)
			return TAKE_FD(loop_fd);
		if (hook)
			hook->fn(st.st_rdev, false, hook->userdata);
		if (r != -EBUSY)
			return r;
		log_debug("%s was taken before it could be bound, trying another", dev);
	}
	return r;
}

int loop_attach(struct loop_index *idx, const char *path, bool read_only,
		const struct loop_bind_hook *hook, dev_t *devnum, int *fd, bool *reused)
{
	_cleanup_(closep) int file_fd = -1, loop_fd = -1;
	uint32_t flags;
	struct loop_info64 info;
	struct stat st;
	dev_t found;
	int r;

	/* the file opened is the one looked for, and the one bound */
	file_fd = open_backing(path, read_only, &st);
	if (file_fd < 0)
		return file_fd;
	r = find_loop(idx, &st, &found, &flags);
	if (r == 0) {
		/* a read-only loop device cannot back a read-write table */
		if (!read_only && (flags & LO_FLAGS_READ_ONLY))
			return -EROFS;
		*devnum = found;
		*fd = -1;
		*reused = true;
		return 0;
	}
	if (r != -ENOENT)
		return r;

	loop_fd = bind_free_loop(file_fd, path, read_only, hook);
	if (loop_fd < 0)
		return loop_fd;
	if (fstat(loop_fd, &st) < 0)
		return negative_errno();

	if (idx && ioctl(loop_fd, LOOP_GET_STATUS64, &info) == 0)
		index_add(idx, (dev_t)info.lo_device, (ino_t)info.lo_inode, info.lo_number);
	/* the loop device holds its own reference to the file now */
	*devnum = st.st_rdev;
	*fd = TAKE_FD(loop_fd);
	*reused = false;
	return 0;
}
