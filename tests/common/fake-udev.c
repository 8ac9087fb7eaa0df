// SPDX-License-Identifier: GPL-2.0-only
/* Block devices as udev shows them, for the unit tests: fake-udev.h. */
#include <string.h>

#include "fake-udev.h"

struct udev;

struct fake_dev *(*fake_udev_find)(dev_t devnum);

/* Property KEY of D, NULL if it has none: its field, or else from its list. */
static const char *property_value(const struct fake_dev *d, const char *key)
{
	const char *value = NULL;
	size_t n = strlen(key);

	if (!strcmp(key, "DM_UUID"))
		value = d->dm_uuid;
	else if (!strcmp(key, "DM_SUSPENDED"))
		value = d->dm_suspended;
	else if (!strcmp(key, "ID_SERIAL"))
		value = d->serial;
	else if (!strcmp(key, "ID_PART_ENTRY_NAME"))
		value = d->part_name;
	else if (!strcmp(key, "DEVTYPE"))
		value = d->devtype;
	else if (!strcmp(key, "DEVNAME"))
		value = d->devnode;
	else if (!strcmp(key, "DEVLINKS"))
		value = d->link;
	if (value)
		return value;
	for (const char *const *p = d->properties; p && *p; p++)
		if (!strncmp(*p, key, n) && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

/* ---- libudev, by --wrap ---- */

struct udev_device *__wrap_udev_device_new_from_devnum(struct udev *u, char type, dev_t devnum)
{
	return fake_udev_find ? UDEV_DEVICE(fake_udev_find(devnum)) : NULL;
}

int __wrap_udev_device_get_is_initialized(struct udev_device *d)
{
	return 1;
}

dev_t __wrap_udev_device_get_devnum(struct udev_device *d)
{
	return FAKE_DEV(d)->devnum;
}

const char *__wrap_udev_device_get_devnode(struct udev_device *d)
{
	return FAKE_DEV(d)->devnode;
}

const char *__wrap_udev_device_get_property_value(struct udev_device *d, const char *key)
{
	return property_value(FAKE_DEV(d), key);
}

struct udev_device *__wrap_udev_device_unref(struct udev_device *d)
{
	return NULL;
}

bool __wrap_block_device_has_path(struct udev_device *d, const char *path)
{
	return FAKE_DEV(d)->link && !strcmp(FAKE_DEV(d)->link, path);
}

/* ---- the matcher's view ---- */

const char *fake_dev_view_property(const struct device_view *d, const char *key)
{
	return property_value(d->userdata, key);
}

const char *fake_dev_view_sysattr(const struct device_view *d, const char *attr)
{
	const struct fake_dev *f = d->userdata;

	return !strcmp(attr, "loop/backing_file") ? f->backing_file : NULL;
}
