/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A volume's dm-stats region, through libdevmapper's dm_stats_* API (the
 * one dmstats(8) uses): one region over the whole map, with precise
 * (nanosecond) timestamps and a latency histogram, made by program id
 * MAP_STATS_PROGRAM_ID so that a restarted daemon finds it again among
 * those of other programs.  The kernel keeps it with the map, through
 * table reloads, and drops it when the map is removed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "latency-bounds.h"

#define MAP_STATS_PROGRAM_ID "basicdm"

/* The region's counters since it was made (dm-stats' own, not basic_target's). */
struct map_stats_sample {
	uint64_t created_usec;		/* CLOCK_REALTIME the region was made; 0: not known */
	uint64_t now_usec;		/* CLOCK_REALTIME of this reading */
	uint64_t reads, writes;		/* completed I/Os */
	uint64_t read_sectors, write_sectors;
	uint64_t read_nsecs, write_nsecs; /* the durations of the completed I/Os, summed */
	uint64_t in_progress;
	struct latency_bounds bounds;
	/*
	 * I/Os, reads and writes together (the kernel keeps one histogram):
	 * bins[i] took at most bounds.ns[i] (and more than the bound before),
	 * bins[bounds.n] longer than the last bound.
	 */
	uint64_t bins[LATENCY_BOUNDS_MAX + 1];
};

/*
 * Makes the region of map NAME (SECTORS long) what BOUNDS says: kept when
 * one of ours has these bounds and covers the map, else made anew (ours
 * that differ are deleted, never duplicated); BOUNDS off deletes ours.
 * Returns 1 when it made a region, 0 when it kept or deleted, or a
 * negative errno.
 */
int map_stats_sync(const char *name, const struct latency_bounds *bounds, uint64_t sectors);

/*
 * The counters of map NAME's region of ours, since it was made (a reading
 * clears nothing); -ENOENT when it has none.
 */
int map_stats_sample(const char *name, struct map_stats_sample *ret);
