// SPDX-License-Identifier: GPL-2.0-only
#include "block-watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define SYSFS_DEV_BLOCK "/sys/dev/block"

struct block_watch {
	struct udev *udev;
	struct udev_monitor *monitor;
	sd_event_source *io;
	block_event_fn fn;
	void *userdata;
};

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static void dispatch(struct block_watch *w, struct udev_device *dev, const char *action)
{
	if (streq_ptr(action, "remove")) {
		w->fn(dev, BLOCK_EVENT_REMOVED, w->userdata);
		return;
	}
	/* add, change, bind, online...: the device is present */
	if (!udev_device_get_is_initialized(dev))
		return;
	w->fn(dev, BLOCK_EVENT_PRESENT, w->userdata);
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct block_watch *w = userdata;
	struct udev_device *dev;
	bool lost = false;
	int r;

	/* drain: one wakeup may carry several events */
	for (;;) {
		dev = udev_monitor_receive_device(w->monitor);
		if (dev) {
			dispatch(w, dev, udev_device_get_action(dev));
			udev_device_unref(dev);
		} else if (errno == ENOBUFS) {
			lost = true;	/* reported once; what follows is intact */
		} else {
			break;
		}
	}
	if (lost) {
		/*
		 * The buffer cannot be raised past net.core.rmem_max without
		 * CAP_NET_ADMIN, which the unit does not grant: a thousand maps
		 * made at once overflow it.  The state udev keeps is complete,
		 * so read it all again.
		 */
		log_warning("udev events were lost (receive buffer overrun), rescanning block devices");
		w->fn(NULL, BLOCK_EVENT_LOST, w->userdata);
		r = block_watch_coldplug(w);
		if (r < 0)
			log_error_errno(r, "Cannot rescan block devices: a device added among the lost "
					   "events is seen at its next udev event: %m");
	}
	return 0;
}

int block_watch_new(sd_event *event, block_event_fn fn, void *userdata, struct block_watch **ret)
{
	struct block_watch *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->userdata = userdata;

	w->udev = udev_new();
	if (!w->udev) {
		r = -ENOMEM;
		goto fail;
	}
	w->monitor = udev_monitor_new_from_netlink(w->udev, "udev");
	if (!w->monitor) {
		r = negative_errno();
		goto fail;
	}
	r = udev_monitor_filter_add_match_subsystem_devtype(w->monitor, "block", NULL);
	if (r < 0)
		goto fail;
	/* a burst of hotplug events must not overflow the socket */
	(void)udev_monitor_set_receive_buffer_size(w->monitor, 16 * 1024 * 1024);
	r = udev_monitor_enable_receiving(w->monitor);
	if (r < 0)
		goto fail;
	r = sd_event_add_io(event, &w->io, udev_monitor_get_fd(w->monitor), EPOLLIN, on_monitor, w);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(w->io, "udev-monitor");
	*ret = w;
	return 0;
fail:
	block_watch_free(w);
	return r;
}

struct block_watch *block_watch_free(struct block_watch *w)
{
	if (!w)
		return NULL;
	sd_event_source_disable_unref(w->io);
	udev_monitor_unref(w->monitor);
	udev_unref(w->udev);
	free(w);
	return NULL;
}

struct udev *block_watch_udev(struct block_watch *w)
{
	return w->udev;
}

int block_watch_coldplug(struct block_watch *w)
{
	struct udev_enumerate *e;
	struct udev_list_entry *entry;
	int r;

	e = udev_enumerate_new(w->udev);
	if (!e)
		return -ENOMEM;
	r = udev_enumerate_add_match_subsystem(e, "block");
	if (r >= 0)
		r = udev_enumerate_add_match_is_initialized(e);
	if (r >= 0)
		r = udev_enumerate_scan_devices(e);
	if (r < 0) {
		udev_enumerate_unref(e);
		return r;
	}
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e))
	{
		struct udev_device *dev;

		dev = udev_device_new_from_syspath(w->udev, udev_list_entry_get_name(entry));
		if (!dev)
			continue; /* gone meanwhile */
		dispatch(w, dev, "add");
		udev_device_unref(dev);
	}
	udev_enumerate_unref(e);
	/*
	 * The enumeration held every block device's properties at once:
	 * with a thousand volumes, 7 MiB of heap that glibc would keep after
	 * it is freed (measured, tests/bench).  Give the pages back.
	 */
	(void)malloc_trim(0);
	return 0;
}

static const char *view_property(const struct device_view *d, const char *key)
{
	return udev_device_get_property_value(d->userdata, key);
}

static const char *view_sysattr(const struct device_view *d, const char *attr)
{
	return udev_device_get_sysattr_value(d->userdata, attr);
}

struct device_view block_device_view(struct udev_device *dev)
{
	return (struct device_view){
		.property = view_property, .sysattr = view_sysattr, .userdata = dev,
	};
}

bool block_device_has_path(struct udev_device *dev, const char *path)
{
	struct device_view view = block_device_view(dev);

	return device_has_path(&view, path);
}

/* "change" into DIR/uevent: udev runs its rules for the device again. */
static int write_uevent(const char *dir)
{
	char path[PATH_MAX];
	_cleanup_(closep) int fd = -1;

	snprintf(path, sizeof(path), "%s/uevent", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (write(fd, "change", strlen("change")) < 0)
		return negative_errno();
	return 0;
}

int block_device_trigger(dev_t dev)
{
	char dir[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int r;

	snprintf(dir, sizeof(dir), SYSFS_DEV_BLOCK "/%u:%u", major(dev), minor(dev));
	r = write_uevent(dir);
	if (r == -ENOENT)
		return 0;	/* gone: so is its mark */
	if (r == -EROFS)
		return log_warning_errno(r, "Cannot ask udev to look at %u:%u again: %m (the unit "
					 "needs ReadWritePaths=/sys/devices); its component mark "
					 "changes at its next event, or now with: udevadm trigger "
					 "--action=change /dev/block/%u:%u", major(dev), minor(dev),
					 major(dev), minor(dev));
	if (r < 0)
		return log_warning_errno(r, "Cannot ask udev to look at %u:%u again: %m; its "
					 "component mark changes at its next event, or now with: "
					 "udevadm trigger --action=change /dev/block/%u:%u",
					 major(dev), minor(dev), major(dev), minor(dev));
	/* after the disk: udev orders a partition's event after its disk's */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char part[PATH_MAX + NAME_MAX + 2], flag[PATH_MAX + NAME_MAX + 16];

		if (de->d_name[0] == '.')
			continue;
		snprintf(part, sizeof(part), "%s/%s", dir, de->d_name);
		snprintf(flag, sizeof(flag), "%s/partition", part);
		if (access(flag, F_OK) == 0)
			(void)write_uevent(part);
	}
	return 0;
}
