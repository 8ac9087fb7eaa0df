// SPDX-License-Identifier: GPL-2.0-only
/* StrictModes for backing files: who could change the data under a map.  backing-trust.h. */
#include "backing-trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static bool trusted_owner(uid_t uid, uid_t owner)
{
	return uid == 0 || uid == owner;
}

/*
 * PATH, as fstat() saw it in ST: the backing file itself (FILE NULL), or a
 * directory above FILE.  0, or -EPERM with *REASON naming what is wrong
 * and the command that fixes it.
 */
static int judge(const char *path, const struct stat *st, uid_t owner, const char *file,
		 char **reason)
{
	static const char *const writers[] = { "", "others", "group", "group and others" };
	static const char *const fixes[] = { "", "o-w", "g-w", "go-w" };
	unsigned writable = (st->st_mode & S_IWGRP ? 2 : 0) | (st->st_mode & S_IWOTH ? 1 : 0);
	bool owned = trusted_owner(st->st_uid, owner);
	char want[48] = "root", problem[160], fix[PATH_MAX * 3 + 64];
	int n;

	/* others may add entries to a sticky directory, never remove or rename ours */
	if (file && (st->st_mode & S_ISVTX))
		writable = 0;
	if (owned && !writable)
		return 0;

	if (owner != 0)
		snprintf(want, sizeof(want), "root or uid %u", (unsigned)owner);
	if (!owned && writable)
		snprintf(problem, sizeof(problem), "is owned by uid %u, not by %s, and writable "
			 "by %s (mode %04o)", (unsigned)st->st_uid, want, writers[writable],
			 (unsigned)(st->st_mode & 07777));
	else if (!owned)
		snprintf(problem, sizeof(problem), "is owned by uid %u, not by %s",
			 (unsigned)st->st_uid, want);
	else
		snprintf(problem, sizeof(problem), "is writable by %s (mode %04o)",
			 writers[writable], (unsigned)(st->st_mode & 07777));

	n = 0;
	if (!owned)
		n = snprintf(fix, sizeof(fix), "chown root %s%s", path, writable ? " && " : "");
	if (writable && n >= 0 && (size_t)n < sizeof(fix))
		n += snprintf(fix + n, sizeof(fix) - n, "chmod %s %s", fixes[writable], path);
	/* a directory others share, as /tmp is: sticky keeps our entries ours */
	if (file && owned && writable && n >= 0 && (size_t)n < sizeof(fix))
		snprintf(fix + n, sizeof(fix) - n, ", or make it sticky: chmod +t %s", path);

	if (file)
		n = asprintf(reason, "%s, a directory above %s, %s; refusing %s: %s", path, file,
			     problem, file, fix);
	else
		n = asprintf(reason, "%s %s; refusing it: %s", path, problem, fix);
	if (n < 0) {
		*reason = NULL;
		return -ENOMEM;
	}
	return -EPERM;
}

int backing_trust_check_file(const char *path, const struct stat *st, uid_t owner,
			     char **reason)
{
	*reason = NULL;
	return judge(path, st, owner, NULL, reason);
}

/* NAME in DIR_FD is a symbolic link: never followed, the administrator names its target. */
static int refuse_symlink(int dir_fd, const char *name, const char *path, char **reason)
{
	char target[PATH_MAX];
	ssize_t n;
	int r;

	n = readlinkat(dir_fd, name, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		r = asprintf(reason, "%s is a symbolic link to %s; refusing it: name the file it "
			     "points to in 'file'", path, target);
	} else {
		r = asprintf(reason, "%s is a symbolic link; refusing it: name the file it points "
			     "to in 'file'", path);
	}
	if (r < 0) {
		*reason = NULL;
		return -ENOMEM;
	}
	return -ELOOP;
}

/* How many symbolic links a path may go through, as many as the kernel follows. */
#define LINKS_MAX 40

/*
 * HERE, a symbolic link on the way to FILE: followed only when root (or
 * OWNER) made it, in a directory already judged, so that no one else
 * could have put it there.
 */
static int judge_link(const char *here, const struct stat *st, uid_t owner, const char *file,
		      char **reason)
{
	char want[48] = "root";

	if (trusted_owner(st->st_uid, owner))
		return 0;
	if (owner != 0)
		snprintf(want, sizeof(want), "root or uid %u", (unsigned)owner);
	if (asprintf(reason, "%s, a symbolic link above %s, is owned by uid %u, not by %s; "
		     "refusing %s: chown -h root %s", here, file, (unsigned)st->st_uid, want,
		     file, here) < 0) {
		*reason = NULL;
		return -ENOMEM;
	}
	return -EPERM;
}

/* / opened in *FD (closing the one there), and judged. */
static int open_root(int *fd, uid_t owner, const char *file, char **reason)
{
	struct stat st;

	if (*fd >= 0)
		close(*fd);
	*fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) < 0)
		return negative_errno();
	return judge("/", &st, owner, file, reason);
}

int backing_trust_open_dir(const char *path, uid_t owner, int *dir_fd, char **name,
			   char **reason)
{
	_cleanup_(freep) char *todo = NULL, *resolved = NULL, *last = NULL;
	_cleanup_(closep) int fd = -1;
	const char *slash, *p;
	unsigned links = 0;
	int r;

	*dir_fd = -1;
	*name = NULL;
	*reason = NULL;
	/* the validator made the path absolute: there is a slash */
	slash = strrchr(path, '/');
	if (!slash)
		return -EINVAL;
	todo = strndup(path, slash - path);	/* the directories still to go through */
	last = strdup(slash + 1);
	resolved = strdup("");			/* those gone through, "" for / */
	if (!todo || !last || !resolved)
		return -ENOMEM;
	r = open_root(&fd, owner, path, reason);
	if (r < 0)
		return r;

	/*
	 * Down from /, each directory opened in the one judged before it, and
	 * each symbolic link on the way resolved there, once: what it points
	 * to is gone through and judged in its turn.
	 */
	for (p = todo;;) {
		_cleanup_(freep) char *component = NULL, *here = NULL;
		struct stat st;
		size_t n;
		int next;

		p += strspn(p, "/");
		if (!*p)
			break;
		n = strcspn(p, "/");
		component = strndup(p, n);
		if (!component)
			return -ENOMEM;
		p += n;
		if (streq(component, "."))
			continue;
		if (streq(component, "..")) {
			char *up = strrchr(resolved, '/');

			if (up)
				*up = '\0';
			if (asprintf(&here, "%s", *resolved ? resolved : "/") < 0)
				return -ENOMEM;
		} else if (asprintf(&here, "%s/%s", resolved, component) < 0) {
			return -ENOMEM;
		}

		next = openat(fd, component, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return negative_errno();
		if (fstat(next, &st) < 0) {
			r = negative_errno();
			close(next);
			return r;
		}
		if (S_ISLNK(st.st_mode)) {
			_cleanup_(freep) char *rest = NULL;
			char target[PATH_MAX];
			ssize_t len;

			r = judge_link(here, &st, owner, path, reason);
			/* the link judged, not one put there since */
			len = r < 0 ? 0 : readlinkat(next, "", target, sizeof(target) - 1);
			if (len < 0)
				r = negative_errno();
			close(next);
			if (r < 0)
				return r;
			if (++links > LINKS_MAX)
				return -ELOOP;
			target[len] = '\0';
			if (asprintf(&rest, "%s/%s", target, p) < 0)
				return -ENOMEM;
			free(todo);
			todo = TAKE_PTR(rest);
			p = todo;
			if (target[0] == '/') {
				resolved[0] = '\0';
				r = open_root(&fd, owner, path, reason);
				if (r < 0)
					return r;
			}
			continue;
		}
		close(fd);
		fd = next;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		r = judge(here, &st, owner, path, reason);
		if (r < 0)
			return r;
		if (!streq(component, "..")) {
			free(resolved);
			resolved = TAKE_PTR(here);
		}
	}
	*dir_fd = TAKE_FD(fd);
	*name = TAKE_PTR(last);
	return 0;
}

int backing_trust_open_file(int dir_fd, const char *name, const char *path, int flags,
			    uid_t owner, struct stat *st, char **reason)
{
	_cleanup_(closep) int pfd = -1, fd = -1;
	struct stat now;
	int r;

	*reason = NULL;
	/* O_PATH: nothing that is not a file is opened for real, a FIFO or a device */
	pfd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return negative_errno();
	if (fstat(pfd, st) < 0)
		return negative_errno();
	if (S_ISLNK(st->st_mode))
		return refuse_symlink(dir_fd, name, path, reason);
	r = judge(path, st, owner, NULL, reason);
	if (r < 0)
		return r;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (flags & O_PATH)
		return TAKE_FD(pfd);

	fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &now) < 0)
		return negative_errno();
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return -ESTALE;
	/* judged again: the descriptor is what is used */
	*st = now;
	r = judge(path, st, owner, NULL, reason);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

int backing_trust_open(const char *path, int flags, uid_t owner, struct stat *st, char **reason)
{
	_cleanup_(freep) char *name = NULL;
	_cleanup_(closep) int dir_fd = -1;
	int r;

	r = backing_trust_open_dir(path, owner, &dir_fd, &name, reason);
	if (r < 0)
		return r;
	return backing_trust_open_file(dir_fd, name, path, flags, owner, st, reason);
}
