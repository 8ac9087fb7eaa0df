/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Components, the decision: basicdm-udev-backing's answer to udev, like
 * multipath's "multipath -u": is the device of this event a component of
 * a volume (it backs one), to be marked not ready for systemd, its
 * file-system signature hidden and skipped by LVM?  From the marks
 * (component-mark.h) and the claims (component-claims-source.h).
 *
 * It never asks the daemon (a udev worker must not wait on anything): it
 * reads what the daemon left in its runtime directory, the configuration,
 * sysfs and udev's database.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backing-match.h"
#include "config-model.h"

enum component_state {
	COMPONENT_NONE,		/* no component: udev leaves it alone */
	COMPONENT_MAPPED,	/* mapped, or about to be: held by a map of ours or marked */
	COMPONENT_CLAIMED,	/* a configured volume's backing, not mapped yet */
};

struct component_answer {
	enum component_state state;
	const char *volume;	/* the volume it backs; points into the facts */
};

/* What the helper knows of the device; the last three are asked only when needed. */
struct component_facts {
	/* the volume whose map holds the device (its UUID after "BASICDM-"), or NULL */
	const char *held_by;
	const char *mark_volume;	/* the volume its marker names, or NULL: no marker */
	uint64_t mark_diskseq;		/* the marker's DISKSEQ; 0: none recorded */
	uint64_t diskseq;		/* the event's DISKSEQ; 0: not known */
	const struct device_view *device;
	/* udev's database: the device's previous event marked it */
	bool (*was_marked)(void *userdata);
	/* the volumes basicdm claims (claims file, or the configuration), or NULL */
	const struct config *(*claims)(void *userdata);
	/* someone else has the device open exclusively: mounted, a map, a RAID member */
	bool (*in_use)(void *userdata);
	void *userdata;
};

/*
 * The answer, the first of:
 *  1. a map of ours holds the device: mapped; a map whose UUID has our
 *     prefix but not a volume's name after it (volume_name_valid()) is
 *     not ours;
 *  2. its marker, written for this disk (the same DISKSEQ, or none
 *     recorded): mapped;
 *  3. it backs a claimed volume: claimed, but not when it is in use and its
 *     previous event had not marked it: a device that may be mounted must
 *     not turn not-ready under systemd, which would unmount it (the daemon
 *     fails to map it, and says why);
 *  4. none.
 * The answer's volume is a volume's name, whatever the facts hold: a
 * marker's and a claim's are checked where they are read.
 */
struct component_answer component_decide(const struct component_facts *f);

/* "mapped", "claimed", or NULL for COMPONENT_NONE. */
const char *component_state_to_string(enum component_state s);
