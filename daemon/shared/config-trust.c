// SPDX-License-Identifier: GPL-2.0-only
/* sshd's StrictModes: who could have written what we read.  config-trust.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "config-trust.h"
#include "util.h"

int config_check_trusted(const char *path, const struct stat *st, uid_t owner,
			 struct config_errors *errors)
{
	static const char *const writers[] = { "", "others", "group", "group and others" };
	static const char *const fixes[] = { "", "o-w", "g-w", "go-w" };
	unsigned writable = (st->st_mode & S_IWGRP ? 2 : 0) | (st->st_mode & S_IWOTH ? 1 : 0);
	char want[32] = "root", chown_to[32] = "root";
	int r = 0;

	if (st->st_uid != owner) {
		if (owner != 0) {
			snprintf(want, sizeof(want), "uid %u", (unsigned)owner);
			snprintf(chown_to, sizeof(chown_to), "%u", (unsigned)owner);
		}
		if (config_error_add(errors, path, 0, "owned by uid %u, not by %s; refusing it: chown %s %s",
				     (unsigned)st->st_uid, want, chown_to, path) < 0)
			return -ENOMEM;
		r = -EPERM;
	}
	if (writable) {
		if (config_error_add(errors, path, 0,
				     "writable by %s (mode %04o); refusing it: chmod %s %s",
				     writers[writable], (unsigned)(st->st_mode & 07777),
				     fixes[writable], path) < 0)
			return -ENOMEM;
		r = -EPERM;
	}
	return r;
}

const char *config_file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFLNK:
		return "a symbolic link";
	}
	return "of an unknown type";
}

int config_open_regular(int dir_fd, const char *name, struct stat *st)
{
	_cleanup_(closep) int fd = -1;
	int flags;

	/* O_NONBLOCK: a FIFO with no writer, or a device, is refused, not waited on */
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		/* a socket cannot be opened at all: say what it is all the same */
		if (errno == ENXIO && fstatat(dir_fd, name, st, 0) == 0 && !S_ISREG(st->st_mode))
			return -EBADFD;
		return negative_errno();
	}
	if (fstat(fd, st) < 0)
		return negative_errno();
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EBADFD;
	/* read as any file is: a short read is the end, not "try again" */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return negative_errno();
	return TAKE_FD(fd);
}

int config_open_trusted(int dir_fd, const char *name, const char *path, uid_t owner,
			struct config_errors *errors, FILE **ret)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;
	int r;

	*ret = NULL;
	fd = config_open_regular(dir_fd, name, &st);
	if (fd == -EISDIR)
		return 0;
	if (fd == -EBADFD) {
		if (config_error_add(errors, path, 0, "not a regular file (%s); refusing it: "
				     "replace it with a regular file",
				     config_file_kind(st.st_mode)) < 0)
			return -ENOMEM;
		return -EINVAL;
	}
	if (fd < 0)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, fd);
	r = config_check_trusted(path, &st, owner, errors);
	if (r < 0)
		return r;
	*ret = fdopen(fd, "re");
	if (!*ret) {
		r = negative_errno();
		return r == -ENOMEM ? r : config_error_cannot_read(errors, path, CONFIG_READ_FILE, r);
	}
	(void)TAKE_FD(fd);	/* the stream has it now */
	return 0;
}
