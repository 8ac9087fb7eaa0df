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
#include <systemd/sd-event.h>

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

/* True when DEV is reachable as PATH: its node, one of its links, or PATH's target. */
bool block_device_has_path(struct udev_device *dev, const char *path);

/* True when every KEY=VALUE pair equals DEV's udev property. */
bool block_device_matches(struct udev_device *dev, const char *const *keys,
			 const char *const *values, size_t n);
