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

#include "basicdm-config.h"
#include "loop.h"

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
	uint64_t map_sectors;		/* the size its table maps, as last loaded */
	uint64_t backing_sectors;	/* the backing's size when last looked at */
	char *reason;			/* why it failed */
	struct volume *prev, *next;	/* every volume there is (volume.c) */
};

const char *volume_state_to_string(enum volume_state s);

struct volume *volume_new(const struct volume_config *cfg);
struct volume *volume_free(struct volume *v);

/*
 * What happens to a volume is handed to it by one of the calls below; the
 * volume decides what to do about it and writes the journal event of each
 * step it takes.  Those returning int give 0, or the error the volume
 * failed with: it is logged, and the volume shows it (failed, v->reason).
 */

/*
 * The start-up pass, or a reload that adds the volume: inactive when
 * INACTIVE_MARKED (inactive.h), else a file volume is attached at once
 * (its loop device looked up in LOOPS, NULL: scanned for) and a device or
 * match volume waits for its backing.
 */
int volume_start(struct volume *v, struct udev *udev, struct loop_index *loops,
		 bool inactive_marked);

/*
 * A reload keeps the volume on the same backing, defined by CFG from now on;
 * TABLE_CHANGED (offset, sectors, read_only, trace, a file's size): its
 * map's table is reloaded, after a file volume's file and loop device grew
 * to a larger 'size'.  A reload is also the administrator's "try again" for a failed
 * volume: with its table unchanged, a file volume is attached anew; with its
 * table changed, a volume that has its backing is attached onto it again.
 */
int volume_reconfigure(struct volume *v, const struct volume_config *cfg, bool table_changed,
		       struct udev *udev, struct loop_index *loops);

/*
 * The volume leaves the configuration (WHY: removed, or replaced by a
 * definition with another backing): its map is removed, deferred while
 * open.  A failure is logged; the caller frees the volume next.
 */
void volume_remove(struct volume *v, const char *why);

/*
 * udev reports DEV present (add, change, coldplug): the volume's own map
 * processed (then active), the backing a device or match volume waits for
 * (then attached), or the volume's backing with a new size (a volume
 * without 'sectors' follows a growth online and never a shrink).  True
 * when DEV is this volume's map: no other volume's business.
 */
bool volume_device_present(struct volume *v, struct udev *udev, struct udev_device *dev);

/*
 * Block device DEVNUM is gone.  The volume's map: it was removed behind
 * basicdm's back (dmsetup remove), failed, not re-created.  The disk under
 * a device or match volume: its map is removed (deferred while open) and it
 * waits for its backing again.  A file volume's loop device is its own and
 * goes with its map.
 */
void volume_device_removed(struct volume *v, dev_t devnum);

/* udev events were lost: the removals among them, found by looking in udev's database. */
void volume_events_lost(struct volume *v, struct udev *udev);

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
