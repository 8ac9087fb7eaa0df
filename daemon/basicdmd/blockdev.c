// SPDX-License-Identifier: GPL-2.0-only
#include "blockdev.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util.h"

/* One number from /sys/dev/block/MAJ:MIN/ATTR. */
static int read_attr(dev_t dev, const char *attr, uint64_t *ret)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(dev), minor(dev), attr);
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	ok = fscanf(f, "%" SCNu64, ret) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

int blockdev_get_sectors(dev_t dev, uint64_t *ret)
{
	return read_attr(dev, "size", ret);
}

int blockdev_get_read_only(dev_t dev, bool *ret)
{
	uint64_t ro;
	int r;

	r = read_attr(dev, "ro", &ro);
	if (r < 0)
		return r;
	*ret = ro != 0;
	return 0;
}

int blockdev_open(dev_t dev, int flags)
{
	char path[64], line[PATH_MAX], node[PATH_MAX + 8];
	_cleanup_(closep) int fd = -1;
	struct stat st;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = startswith(line, "DEVNAME=") && line[8] && !strstr(line, "..");
	}
	fclose(f);
	if (!found)
		return -ENODEV;
	snprintf(node, sizeof(node), "/dev/%s", line + 8);
	fd = open(node, flags | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISBLK(st.st_mode) || st.st_rdev != dev)
		return -ENODEV;	/* the name went to another device meanwhile */
	return TAKE_FD(fd);
}
