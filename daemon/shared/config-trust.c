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

int config_open_trusted(int dir_fd, const char *name, const char *path, uid_t owner,
			struct config_errors *errors, FILE **ret)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;
	int r;

	*ret = NULL;
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, negative_errno());
	if (fstat(fd, &st) < 0)
		return config_error_cannot_read(errors, path, CONFIG_READ_FILE, negative_errno());
	if (S_ISDIR(st.st_mode))
		return 0;
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
