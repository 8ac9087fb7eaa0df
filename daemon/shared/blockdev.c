// SPDX-License-Identifier: GPL-2.0-only
#include "blockdev.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <sys/file.h>
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

/* The whole disk of DEV: DEV itself, or for a partition its parent's "dev". */
static int whole_disk(dev_t dev, dev_t *ret)
{
	char path[80];
	unsigned maj, min;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(dev), minor(dev));
	if (access(path, F_OK) < 0) {
		*ret = dev;
		return 0;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", major(dev), minor(dev));
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2)
		return -EIO;
	*ret = makedev(maj, min);
	return 0;
}

int blockdev_lock_disk(dev_t dev, int operation, unsigned timeout_ms)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000L };
	_cleanup_(closep) int fd = -1;
	dev_t disk;
	int r;

	r = whole_disk(dev, &disk);
	if (r < 0)
		return r;
	/* read-only: closing it is no IN_CLOSE_WRITE for udev's watch */
	fd = blockdev_open(disk, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fd;
	for (unsigned waited = 0;; waited += 10) {
		if (flock(fd, operation | LOCK_NB) == 0)
			return TAKE_FD(fd);
		if (errno != EWOULDBLOCK || waited >= timeout_ms)
			return negative_errno();
		nanosleep(&pause, NULL);
	}
}
