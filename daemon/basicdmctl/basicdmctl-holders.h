/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who keeps a map open, so that a deferred removal says what it waits for:
 * the map's mount points (in basicdmctl's mount namespace), the devices
 * stacked on it (a dm-crypt or LVM map, an md array), else how many times
 * it is open.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct map_holders {
	char **mounts;		/* mount points, in mountinfo's order */
	size_t n_mounts;
	char **devices;		/* "/dev/mapper/crypt", "/dev/md0": sorted */
	size_t n_devices;
	int open_count;		/* -1: unknown */
};

/*
 * The mount points of block device DEV in TEXT, a /proc/PID/mountinfo,
 * with their octal escapes ("\040") decoded; 0 or -ENOMEM.  A line is
 * DEV's when its third field is DEV's "MAJ:MIN" exactly.
 */
int mountinfo_mount_points(const char *text, dev_t dev, char ***ret, size_t *n);

/*
 * The devices stacked on DEV as the sysfs mounted at SYSFS ("/sys") lists
 * them in dev/block/MAJ:MIN/holders/: "/dev/mapper/NAME" for a DM device,
 * else "/dev/KERNELNAME".  A device without holders (or gone) has none: 0,
 * or -ENOMEM.
 */
int sysfs_holders(const char *sysfs, dev_t dev, char ***ret, size_t *n);

/* Both of DEV, as this system shows them now, and OPEN_COUNT (-1: unknown); 0 or -ENOMEM. */
int map_holders_get(dev_t dev, int open_count, struct map_holders *ret);

/*
 * What holds the map whose node is NODE, for "the map goes away when it
 * is closed; it is ...": "mounted on /mnt", "held by /dev/mapper/crypt",
 * or "open 1 time: fuser -v NODE names the process"; malloc'ed, NULL when
 * out of memory.
 */
char *map_holders_describe(const struct map_holders *h, const char *node);

void map_holders_clear(struct map_holders *h);
