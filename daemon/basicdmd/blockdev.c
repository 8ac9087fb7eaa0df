// SPDX-License-Identifier: GPL-2.0-only
#include "blockdev.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/sysmacros.h>

#include "util.h"

int blockdev_get_sectors(dev_t dev, uint64_t *ret)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", major(dev), minor(dev));
	f = fopen(path, "re");
	if (!f)
		return negative_errno();
	ok = fscanf(f, "%" SCNu64, ret) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}
