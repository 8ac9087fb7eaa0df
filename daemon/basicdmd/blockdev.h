/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Size of block device DEV in 512-byte sectors, from sysfs. */
int blockdev_get_sectors(dev_t dev, uint64_t *ret);
