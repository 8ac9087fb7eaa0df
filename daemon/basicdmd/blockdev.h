/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Size of block device DEV in 512-byte sectors, from sysfs. */
int blockdev_get_sectors(dev_t dev, uint64_t *ret);

/*
 * Whether block device DEV is read-only to the kernel, from sysfs: a
 * write-protected medium (a USB stick's switch, a read-only drive) or one
 * set read-only with blockdev --setro.
 */
int blockdev_get_read_only(dev_t dev, bool *ret);

/*
 * Opens block device DEV by the name the kernel gave it (DEVNAME in sysfs,
 * so /dev/loop3 in devtmpfs, with or without udev's /dev/block links), and
 * checks that the node is DEV.  An fd, or a negative errno.
 */
int blockdev_open(dev_t dev, int flags);

/*
 * Takes the BSD lock udev's block-device protocol gives a program that
 * works on a disk (LOCK_EX on the whole disk's node, for a partition its
 * disk's): udevd puts off every event of the disk and its partitions until
 * the fd is closed, and an event already running is waited for, up to
 * TIMEOUT_MS.  An fd to close, or a negative errno (-EAGAIN: still locked
 * at the timeout).
 */
int blockdev_lock_disk(dev_t dev, unsigned timeout_ms);
