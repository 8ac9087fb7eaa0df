/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A volume's map, the device-mapper side through libdevmapper: basicdm's
 * maps are named after their volume and carry the UUID "BASICDM-<name>"
 * (map-uuid.h).  map_* act on a volume's map; basic_target_* read the
 * target's table and status lines (module/basic_target.rst).  All calls
 * return 0 or a negative errno and never wait on udev: udev sync is off,
 * and the caller learns that udev is done from the DM device's own uevent.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "map-uuid.h"

#define BASIC_TARGET_NAME "basic_target"

struct basic_target_table {
	uint64_t sectors;	/* map length */
	dev_t backing;		/* backing block device */
	uint64_t offset;	/* sectors into it */
	bool read_only;
	bool trace;
};

struct basic_target_counters {
	uint64_t reads, read_sectors, writes, write_sectors, flushes;
	uint64_t discards, discard_sectors, write_zeroes, write_zeroes_sectors;
	uint64_t secure_erases;
	bool trace;
};

struct map_info {
	char *name;
	char *uuid;
	dev_t devnum;		/* the DM device, e.g. 253:0 */
	bool suspended;
	int open_count;
	bool read_only;
	bool deferred_remove;	/* removal requested, waiting for the last close */
	struct basic_target_table table; /* parsed when the table is one basic_target line */
	bool table_is_ours;
};

/* One-time setup: udev sync off, library fallback for nodes off, logging to ours. */
void map_setup(void);

/*
 * The parameter part after "basic_target", as the kernel prints it back
 * ("8:16 2048 1 trace"), into BUF: -EINVAL for a spec the kernel would
 * refuse (no sectors, a range past 64 bits, a device number it cannot
 * hold), -ENOBUFS.
 */
int basic_target_format_table(const struct basic_target_table *t, char *buf, size_t size);
/* The parameter part after "basic_target" back into a spec (start 0). */
int basic_target_parse_table(const char *params, uint64_t sectors, struct basic_target_table *t);
/* The status line's counters (module/basic_target.rst). */
int basic_target_parse_status(const char *status, struct basic_target_counters *c);

/* create, load, resume */
int map_create(const char *name, const struct basic_target_table *t);
/* load, suspend, resume */
int map_reload(const char *name, const struct basic_target_table *t);
int map_remove(const char *name, bool deferred);
int map_get_info(const char *name, struct map_info *ret);	/* -ENODEV if absent */
int map_counters(const char *name, struct basic_target_counters *ret);
int map_message(const char *name, const char *message);
/* Takes back a deferred removal that is still waiting for the last close. */
int map_cancel_deferred_remove(const char *name);

/*
 * Says to udev that the backing device of volume NAME's map is gone while
 * the map stays open (its removal deferred): a suspend and resume that
 * leave the table as it is, the resume's uevent flagged so that
 * 60-basicdm.rules marks the map BASICDM_BACKING_GONE=1 and not ready for
 * systemd until basicdmd's next change of it.  systemd then stops the
 * units bound to the map and unmounts its file systems, and the last close
 * removes it.
 */
int map_mark_backing_gone(const char *name);

/* Whether the kernel knows the basic_target target (its module is loaded). */
bool basic_target_present(void);

/* Every map whose UUID starts with MAP_UUID_PREFIX. */
int map_list_ours(struct map_info **ret, size_t *n);
void map_info_clear(struct map_info *i);
void map_info_free_array(struct map_info *a, size_t n);
