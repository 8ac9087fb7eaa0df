/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Block-device events from udev inside the sd-event loop.  The monitor is
 * enabled before the coldplug enumeration so no device slips between the
 * two; devices udev has not initialized yet are skipped (their own event
 * follows).  When the socket overflows (a burst of events while the daemon
 * was busy), fn hears UDEV_ACTION_LOST and then every present device again.
 */
#pragma once

#include <libudev.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

enum udev_action {
	UDEV_ACTION_ADD,    /* add, change, coldplug: the device is there */
	UDEV_ACTION_REMOVE, /* remove */
	UDEV_ACTION_LOST,   /* dev is NULL: events were lost, a coldplug follows */
};

typedef void (*udev_block_fn)(struct udev_device *dev, enum udev_action action, void *userdata);

struct udev_watch;

int udev_watch_new(sd_event *event, udev_block_fn fn, void *userdata, struct udev_watch **ret);
struct udev_watch *udev_watch_free(struct udev_watch *w);

/* Calls fn for every initialized block device present now. */
int udev_watch_coldplug(struct udev_watch *w);

struct udev *udev_watch_udev(struct udev_watch *w);

/* True when DEV is reachable as PATH: its node, one of its links, or PATH's target. */
bool udev_device_has_path(struct udev_device *dev, const char *path);

/* True when every KEY=VALUE pair equals DEV's udev property. */
bool udev_device_matches(struct udev_device *dev, const char *const *keys,
			 const char *const *values, size_t n);
