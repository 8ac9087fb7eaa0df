/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Block devices as udev shows them, for the unit tests: a struct fake_dev
 * stands for a struct udev_device.  fake-udev.c replaces libudev's getters
 * the daemon calls (udev_device_new_from_devnum, _get_devnum, _get_devnode,
 * _get_property_value, _get_is_initialized, _unref) and
 * block_device_has_path() by --wrap, for every test that includes this
 * header (tests/unit/CMakeLists.txt); and it shows a fake_dev to the
 * matcher as a struct device_view, as basicdm-udev-backing sees a device.
 * Each test keeps its own devices, and says what udev's database holds.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "backing-match.h"

struct udev_device;

struct fake_dev {
	dev_t devnum;
	const char *devnode;	/* DEVNAME */
	const char *devtype;	/* DEVTYPE: "disk", "partition" */
	const char *link;	/* DEVLINKS: the one path block_device_has_path() answers to */
	const char *dm_uuid;	/* DM_UUID */
	const char *dm_suspended;	/* DM_SUSPENDED */
	const char *serial;	/* ID_SERIAL */
	const char *part_name;	/* ID_PART_ENTRY_NAME of a GPT partition */
	/* more properties, "KEY=VALUE", NULL-terminated: any key, one above left NULL too */
	const char *const *properties;
	const char *backing_file;	/* the sysfs attribute loop/backing_file */
	bool present;		/* in udev's database: the test's fake_udev_find() may ask */
};

/* The device a fake_dev stands for, and back. */
#define UDEV_DEVICE(d) ((struct udev_device *)(void *)(d))
#define FAKE_DEV(d) ((struct fake_dev *)(void *)(d))

/*
 * What udev's database holds: the device udev_device_new_from_devnum()
 * finds for DEVNUM, or NULL.  Each test sets its own; unset, udev has
 * processed no device at all.
 */
extern struct fake_dev *(*fake_udev_find)(dev_t devnum);

/* An initializer: the device_view of fake_dev D (a pointer), for the matcher. */
#define FAKE_DEV_VIEW(d)                                                       \
	{ .property = fake_dev_view_property, .sysattr = fake_dev_view_sysattr, \
	  .userdata = (void *)(d) }

const char *fake_dev_view_property(const struct device_view *d, const char *key);
const char *fake_dev_view_sysattr(const struct device_view *d, const char *attr);
