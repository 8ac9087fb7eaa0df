/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One configured volume and its life:
 *
 *   waiting ──backing appears──▶ activating ──udev made /dev/mapper/NAME──▶ active
 *      ▲                              │                                      │
 *      └──────── backing leaves (map removed, deferred while open) ─────────┘
 *   any step that fails ─▶ failed (retried on the next event or reload)
 *   basicdmctl deactivate ─▶ inactive (map removed; only activate leaves it)
 */
#pragma once

#include <libudev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

enum volume_state {
	VOLUME_WAITING,
	VOLUME_ACTIVATING,
	VOLUME_ACTIVE,
	VOLUME_FAILED,
	VOLUME_INACTIVE,	/* taken down on request: udev events leave it alone */
	_VOLUME_STATE_MAX,
};

struct volume {
	const struct volume_config *cfg; /* points into the manager's current config */
	enum volume_state state;
	uint64_t since_usec;		/* CLOCK_REALTIME of the last state change */
	dev_t backing;			/* 0 while there is none */
	char *backing_desc;		/* "/dev/loop0 (/var/lib/x.img)", "/dev/vdb" */
	dev_t map;			/* the DM device once created or adopted */
	char *reason;			/* why it failed */
};

const char *volume_state_to_string(enum volume_state s);

struct volume *volume_new(const struct volume_config *cfg);
struct volume *volume_free(struct volume *v);

/*
 * Maps the volume onto BACKING: adopts an identical existing map, reloads
 * a different one, or creates it.  Ends activating (or active when udev
 * already knows the map), or failed.
 */
int volume_attach(struct volume *v, struct udev *udev, dev_t backing, const char *desc);

/* File volumes: create the file if asked, find or attach its loop device, attach. */
int volume_attach_file(struct volume *v, struct udev *udev);

/* Reloads the table after a configuration change that keeps the backing. */
int volume_reload(struct volume *v, struct udev *udev);

/* Removes the map (deferred while open) and goes back to waiting. */
int volume_detach(struct volume *v, const char *why);

/* The map went away behind basicdm's back (dmsetup remove): failed, not re-created. */
void volume_map_vanished(struct volume *v);

/*
 * Taken down on request: removes the map (deferred while open) and stays
 * inactive, whatever udev reports, until volume_activate().
 */
int volume_deactivate(struct volume *v);

/*
 * Out of inactive or failed: a file volume is attached at once, a device
 * or match volume waits for its backing (the caller looks for it).
 */
int volume_activate(struct volume *v, struct udev *udev);

/* "trace on", "trace off", "stats reset": a message to the volume's map. */
int volume_message(struct volume *v, const char *message);

/* udev has processed DEV: if it is this volume's map with its link, active. */
bool volume_handle_dm_device(struct volume *v, struct udev_device *dev);

/* Does DEV back this (device or match) volume? */
bool volume_wants_device(const struct volume *v, struct udev_device *dev);
