/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The volume model: what a loaded configuration says, whichever file and
 * syntax it came from.  Keys and their meaning: basicdm.conf(5)
 * (man/basicdm.conf.5), conf/basicdm.conf.  Built by config_load()
 * (config-load.h), read by basicdmd and basicdmctl.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "latency-bounds.h"

#define VOLUME_NAME_MAX 64

enum backing_kind {
	BACKING_FILE,	/* file = "/path": attached to a loop device */
	BACKING_DEVICE, /* device = "/dev/...": a path, usually a udev link */
	BACKING_MATCH,	/* match = { PROP = "value"; ... }: udev properties, all equal */
};

struct match_property {
	char *key;
	char *value;
};

/* Where a definition came from, for "file:line: reason" messages. */
struct source_location {
	char *file;
	int line;
};

struct volume_config {
	char *name;
	enum backing_kind kind;
	char *file;		/* BACKING_FILE */
	uint64_t size_bytes;	/* BACKING_FILE: create sparse if missing; 0 = not given */
	char *device;		/* BACKING_DEVICE */
	struct match_property *match; /* BACKING_MATCH, sorted by key */
	size_t n_match;
	uint64_t offset;	/* 512-byte sectors skipped on the backing device */
	uint64_t sectors;	/* length in sectors; 0 = the rest of the backing device */
	bool read_only;
	bool trace;
	/* the dm-stats latency histogram: its own, else the defaults', else built in */
	struct latency_bounds latency_histogram;
	struct source_location where;
};

struct config {
	struct volume_config *volumes;
	size_t n_volumes;
};

/* Frees C and every volume in it; C may be NULL. */
void config_free(struct config *c);

/* The volume called NAME, or NULL; C and NAME may be NULL. */
const struct volume_config *config_find(const struct config *c, const char *name);

/*
 * The kind of block device ("disk" or "partition", udev's DEVTYPE) match
 * volume V considers: the DEVTYPE it names, else partitions when it names
 * a property only partitions have (ID_PART_ENTRY_*), else whole disks
 * (partitions inherit their disk's ID_SERIAL).  NULL for other volumes.
 */
const char *volume_match_devtype(const struct volume_config *v);

/* True for a udev property that only partitions carry (ID_PART_ENTRY_NAME, ...). */
bool match_key_partition_only(const char *key);

/* True when both name the same backing: file, device path or match set. */
bool volume_same_backing(const struct volume_config *a, const struct volume_config *b);

/* [A-Za-z0-9._-], 1..VOLUME_NAME_MAX characters, not ".", ".." or "control". */
bool volume_name_valid(const char *name);
