/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which block device backs which volume: the one rule basicdmd applies when
 * it attaches a device or match volume, and basicdm-udev-backing when it
 * marks a device a component in udev before the daemon has mapped it.
 *
 * The device is seen through what udev knows of it: its properties (DEVNAME,
 * DEVLINKS, DEVTYPE, MAJOR, MINOR, DM_UUID and whatever a match names) and
 * its sysfs attributes.  basicdmd reads them from udev's database, the
 * helper from the event's environment and sysfs.
 */
#pragma once

#include <stdbool.h>

#include "config-model.h"

/*
 * A component's ID_FS_X, kept under this prefix (BASICDM_BACKING_FS_UUID)
 * while udev's other rules see it hidden (basicdm-udev-backing).
 */
#define COMPONENT_SAVED_FS_PREFIX "BASICDM_BACKING_FS_"

struct device_view {
	/* The device's udev property KEY, or NULL. */
	const char *(*property)(const struct device_view *d, const char *key);
	/* Its sysfs attribute ATTR ("loop/backing_file"), or NULL. */
	const char *(*sysattr)(const struct device_view *d, const char *attr);
	void *userdata;
};

/*
 * True when the device is reachable as PATH: DEVNAME, one of DEVLINKS, or a
 * block device node PATH resolves to (a link udev does not manage, e.g. one
 * of the administrator's).
 */
bool device_has_path(const struct device_view *d, const char *path);

/*
 * True when the device backs volume C: for "file", a loop device bound to
 * that file; for "device", reachable as that path; for "match", of the kind
 * volume_match_devtype() names, with every property equal (the ID_FS_*
 * of a marked component are its kept ones).  A map of ours
 * backs nothing.  Whether the volume waits for a device at all is the
 * caller's business.
 */
bool volume_backed_by(const struct volume_config *c, const struct device_view *d);

/*
 * The volume of CONFIG device D backs, the first in the configuration's
 * order, or NULL.
 */
const struct volume_config *config_backed_by(const struct config *config,
					     const struct device_view *d);
