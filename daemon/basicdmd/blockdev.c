// SPDX-License-Identifier: GPL-2.0-only
#include "blockdev.h"

#include <inttypes.h>
#include <stdio.h>
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
