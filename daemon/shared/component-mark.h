/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Components, the marks: the marker basicdmd leaves for each device it
 * maps, which basicdm-udev-backing reads to tell udev the device is a
 * component of a volume, and how both tell that one of our maps holds it.
 *
 * The marker RUNTIME_DIR/backing/MAJ:MIN says "this device is, or is about
 * to be, mapped".  basicdmd writes it before it loads a table onto the
 * device (for a file volume: before it binds the file to the loop device,
 * so the loop's first event carries it) and removes it once no map of ours
 * holds the device any more.  It holds
 *   BASICDM_VOLUME=<name>
 *   DISKSEQ=<n>	the disk's sequence number (a partition: its disk's);
 *			absent while not known yet (a loop device before the bind)
 * A marker whose DISKSEQ is not the device's is stale: the number now names
 * another disk or another loop binding, and the marker says nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define COMPONENT_MARK_DIR "backing"

/*
 * Writes DEV's marker for VOLUME (DISKSEQ 0: not known), replacing one with
 * other contents.  Returns 1 when DEV had no marker, 0 when it had one, or
 * a negative errno.
 */
int component_mark_write(const char *runtime_dir, dev_t dev, const char *volume,
			 uint64_t diskseq);

/*
 * DEV's marker: 0 with the volume's name in *VOLUME (malloc'ed) and its
 * DISKSEQ (0: not known), -ENOENT when there is none, -EINVAL when it
 * cannot be read as one (a line of another form, a key twice, a NUL byte,
 * more than a marker's size).
 */
int component_mark_read(const char *runtime_dir, dev_t dev, char **volume, uint64_t *diskseq);

/* Removes DEV's marker; 1 when there was one, 0 when not, or a negative errno. */
int component_mark_remove(const char *runtime_dir, dev_t dev);

/* The devices that have a marker, in *RET (malloc'ed, *N of them; none: NULL, 0). */
int component_mark_list(const char *runtime_dir, dev_t **ret, size_t *n);

/*
 * Whether a map of ours holds DEV (sysfs holders/): 1 with the volume's
 * name in *VOLUME (malloc'ed; VOLUME may be NULL), 0 when none does, or a
 * negative errno (-ENOENT: no such device).
 */
int component_held_by_map(dev_t dev, char **volume);

/* DEV's disk sequence number from sysfs (a partition: its disk's); -ENOENT without one. */
int component_device_diskseq(dev_t dev, uint64_t *ret);
