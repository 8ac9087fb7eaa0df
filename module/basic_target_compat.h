/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What basic_target needs from device-mapper, spelled the same on every
 * kernel it is built for: Debian 12's 6.1 and 6.12, and newer kernels a
 * DKMS build may meet. Where a kernel names the feature, test the name;
 * where only the signature changed, test the version.
 */
#ifndef BASIC_TARGET_COMPAT_H
#define BASIC_TARGET_COMPAT_H

#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/fs.h>
#include <linux/version.h>

/*
 * The mode a table opens its devices with: fmode_t up to 6.4, blk_mode_t
 * (with its own BLK_OPEN_* bits) from 6.5 (dm_get_device,
 * dm_table_get_mode).
 */
#ifdef BLK_OPEN_WRITE
typedef blk_mode_t basic_mode_t;
#define BASIC_MODE_WRITE BLK_OPEN_WRITE
#else
typedef fmode_t basic_mode_t;
#define BASIC_MODE_WRITE FMODE_WRITE
#endif

/*
 * prepare_ioctl: 6.16 passes the ioctl (cmd, arg) and lets a target
 * answer it itself by clearing *forward. basic_target always forwards,
 * so it ignores the three and leaves *forward set.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define BASIC_PREPARE_IOCTL_PARAMS(ti, bdev) \
	struct dm_target *ti, struct block_device **bdev, \
	unsigned int cmd, unsigned long arg, bool *forward
#else
#define BASIC_PREPARE_IOCTL_PARAMS(ti, bdev) \
	struct dm_target *ti, struct block_device **bdev
#endif

/*
 * Atomic writes (6.14): a target that remaps a bio whole, never splitting
 * it, may pass REQ_ATOMIC writes down; older kernels have no such bios.
 */
#ifdef DM_TARGET_ATOMIC_WRITES
#define BASIC_TARGET_ATOMIC_WRITES DM_TARGET_ATOMIC_WRITES
#else
#define BASIC_TARGET_ATOMIC_WRITES 0
#endif

#endif /* BASIC_TARGET_COMPAT_H */
