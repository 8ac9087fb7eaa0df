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
 * Takes the BSD lock of udev's block-device protocol on DEV's whole disk
 * (for a partition, its disk's node), OPERATION being LOCK_EX or LOCK_SH.
 * LOCK_EX is a program's that works on the disk: udevd puts off every event
 * of the disk and its partitions until the fd is closed.  LOCK_SH is what
 * udevd's worker holds while it runs the rules of an event.  A lock held
 * the other way is waited for, up to TIMEOUT_MS.  An fd to close, or a
 * negative errno (-EAGAIN: still locked at the timeout).
 */
int blockdev_lock_disk(dev_t dev, int operation, unsigned timeout_ms);

/*
 * How long basicdmd and basicdm-udev-backing wait for that lock: udev's
 * work on one event of a slow disk, or basicdmd's one table load; a lock
 * held longer is another program's, and is not waited for.
 */
#define BLOCKDEV_LOCK_TIMEOUT_MS 10000
