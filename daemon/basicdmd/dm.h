/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device-mapper side, through libdevmapper: basicdm's maps are named
 * after their volume and carry the UUID "BASICDM-<name>".  All calls return
 * 0 or a negative errno and never wait on udev: udev sync is off, and the
 * caller learns that udev is done from the DM device's own uevent.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dm-uuid.h"

#define DM_TARGET_NAME "basic_target"

struct dm_table_spec {
	uint64_t sectors;	/* map length */
	dev_t backing;		/* backing block device */
	uint64_t offset;	/* sectors into it */
	bool read_only;
	bool trace;
};

struct dm_counters {
	uint64_t reads, read_sectors, writes, write_sectors, flushes;
	uint64_t discards, discard_sectors, write_zeroes, write_zeroes_sectors;
	uint64_t secure_erases;
	bool trace;
};

struct dm_map_info {
	char *name;
	char *uuid;
	dev_t devnum;		/* the DM device, e.g. 253:0 */
	bool suspended;
	int open_count;
	bool read_only;
	bool deferred_remove;	/* removal requested, waiting for the last close */
	struct dm_table_spec table; /* parsed when the table is one basic_target line */
	bool table_is_ours;
};

/* One-time setup: udev sync off, library fallback for nodes off, logging to ours. */
void dm_setup(void);

/* The parameter part after "basic_target" back into a spec (start 0). */
int dm_parse_table_params(const char *params, uint64_t sectors, struct dm_table_spec *t);
/* The status line's counters (module/basic_target.rst). */
int dm_parse_counters(const char *status, struct dm_counters *c);

int dm_map_create(const char *name, const struct dm_table_spec *t);	/* create, load, resume */
int dm_map_reload(const char *name, const struct dm_table_spec *t);	/* load, suspend, resume */
int dm_map_remove(const char *name, bool deferred);
int dm_map_get_info(const char *name, struct dm_map_info *ret);		/* -ENODEV if absent */
int dm_map_counters(const char *name, struct dm_counters *ret);
int dm_map_message(const char *name, const char *message);
/* Takes back a deferred removal that is still waiting for the last close. */
int dm_map_cancel_deferred_remove(const char *name);

/*
 * Says to udev that the backing device of volume NAME's map is gone while
 * the map stays open (its removal deferred): a suspend and resume that
 * leave the table as it is, the resume's uevent flagged so that
 * 60-basicdm.rules marks the map BASICDM_BACKING_GONE=1 and not ready for
 * systemd until basicdmd's next change of it.  systemd then stops the
 * units bound to the map and unmounts its file systems, and the last close
 * removes it.
 */
int dm_map_mark_backing_gone(const char *name);

/* Whether the kernel knows the basic_target target (its module is loaded). */
bool dm_target_present(void);

/* Every map whose UUID starts with DM_UUID_PREFIX. */
int dm_list_ours(struct dm_map_info **ret, size_t *n);
void dm_map_info_clear(struct dm_map_info *i);
void dm_map_info_free_array(struct dm_map_info *a, size_t n);
