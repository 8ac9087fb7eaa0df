/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Block-device events from udev inside the sd-event loop.  The monitor is
 * enabled before the coldplug enumeration so no device slips between the
 * two; devices udev has not initialized yet are skipped (their own event
 * follows).  When the socket overflows (a burst of events while the daemon
 * was busy), fn hears BLOCK_EVENT_LOST and then every present device again.
 */
#pragma once

#include <libudev.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "backing-match.h"

enum block_event {
	BLOCK_EVENT_PRESENT,	/* add, change, coldplug: the device is there */
	BLOCK_EVENT_REMOVED,	/* remove */
	BLOCK_EVENT_LOST,	/* dev is NULL: events were lost, a coldplug follows */
};

typedef void (*block_event_fn)(struct udev_device *dev, enum block_event event, void *userdata);

struct block_watch;

int block_watch_new(sd_event *event, block_event_fn fn, void *userdata, struct block_watch **ret);
struct block_watch *block_watch_free(struct block_watch *w);

/* Calls fn for every initialized block device present now. */
int block_watch_coldplug(struct block_watch *w);

struct udev *block_watch_udev(struct block_watch *w);

/* DEV as the shared matcher sees it (backing-match.h): its properties and sysfs attributes. */
struct device_view block_device_view(struct udev_device *dev);

/* True when DEV is reachable as PATH: its node, one of its links, or PATH's target. */
bool block_device_has_path(struct udev_device *dev, const char *path);

/*
 * Asks udev to run its rules for block device DEV again, then for each of
 * its partitions (udev orders a partition's event after its disk's): a
 * "change" uevent through sysfs.  0 also when DEV is gone; a failure is
 * logged.
 */
int block_device_trigger(dev_t dev);
