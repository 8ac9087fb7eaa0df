// SPDX-License-Identifier: GPL-2.0-only
#include "inactive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basicdm-config.h"
#include "util.h"

static int mark_path(const char *dir, const char *name, char *buf, size_t size)
{
	int n;

	/* the name becomes a file name: never a path */
	if (!volume_name_valid(name))
		return -EINVAL;
	n = snprintf(buf, size, "%s/inactive/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int inactive_mark(const char *dir, const char *name, bool on)
{
	char path[PATH_MAX], sub[PATH_MAX];
	int fd, r;

	r = mark_path(dir, name, path, sizeof(path));
	if (r < 0)
		return r;
	if (!on)
		return unlink(path) < 0 && errno != ENOENT ? negative_errno() : 0;

	snprintf(sub, sizeof(sub), "%s/inactive", dir);
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	close(fd);
	return 0;
}

bool inactive_is_marked(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return mark_path(dir, name, path, sizeof(path)) >= 0 && access(path, F_OK) == 0;
}
