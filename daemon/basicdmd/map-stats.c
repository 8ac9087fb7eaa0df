// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-stats regions: map-stats.h.  libdevmapper's calls return 1 or 0; its
 * messages go through the logger map_setup() installed.  The region's aux
 * data carries "created=USEC.", the wall clock time it was made, which
 * the kernel keeps: the interval a reading covers survives a restart.
 * (The dot: libdevmapper 1.02.185 drops the last character of aux data
 * followed by region options.)
 *
 * A reading never clears the counters, so that they count from the
 * region's making whoever reads them, however often: dm_stats_populate()
 * clears them ("@stats_print_clear", dmstats' interval reports), so the
 * region's line comes from dm_stats_print_region() without clearing, in
 * the kernel's format (Documentation/admin-guide/device-mapper/statistics.rst).
 */
#include "map-stats.h"

#include <errno.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static void stats_destroyp(struct dm_stats **dms)
{
	if (*dms)
		dm_stats_destroy(*dms);
}

static void histogram_bounds_destroyp(struct dm_histogram **h)
{
	if (*h)
		dm_histogram_bounds_destroy(*h);
}

/* A handle on map NAME listing the regions of ours. */
static int open_listed(const char *name, struct dm_stats **ret)
{
	_cleanup_(stats_destroyp) struct dm_stats *dms = dm_stats_create(MAP_STATS_PROGRAM_ID);

	if (!dms)
		return -ENOMEM;
	if (!dm_stats_bind_name(dms, name))
		return -EINVAL;
	if (!dm_stats_list(dms, MAP_STATS_PROGRAM_ID))
		return -ENODEV;		/* the map is gone, or the kernel has no dm-stats */
	*ret = TAKE_PTR(dms);
	return 0;
}

/*
 * The bounds of listed region ID: its histogram's upper bounds but the
 * open last bin's (which some libdevmapper versions count as a bin, some
 * not); n = 0 without a histogram.
 */
static int region_bounds(struct dm_stats *dms, uint64_t id, struct latency_bounds *ret)
{
	struct dm_histogram *h = dm_stats_get_histogram(dms, id, 0);
	int n = h ? dm_histogram_get_nr_bins(h) : 0;

	ret->n = 0;
	for (int i = 0; i < n; i++) {
		uint64_t upper = dm_histogram_get_bin_upper(h, i);

		if (upper == UINT64_MAX)
			break;
		if (ret->n == LATENCY_BOUNDS_MAX)
			return -E2BIG;
		ret->ns[ret->n++] = upper;
	}
	return 0;
}

/* Does region ID have exactly BOUNDS and cover SECTORS from sector 0? */
static bool region_fits(struct dm_stats *dms, uint64_t id, const struct latency_bounds *bounds,
			uint64_t sectors)
{
	struct latency_bounds have;
	uint64_t start = 1, len = 0;

	if (!dm_stats_get_region_start(dms, &start, id) || !dm_stats_get_region_len(dms, &len, id))
		return false;
	return start == 0 && len == sectors && region_bounds(dms, id, &have) >= 0 &&
	       latency_bounds_equal(&have, bounds);
}

static int create_region(struct dm_stats *dms, const struct latency_bounds *bounds)
{
	_cleanup_(histogram_bounds_destroyp) struct dm_histogram *h = NULL;
	uint64_t ns[LATENCY_BOUNDS_MAX + 1] = {}, id;
	char aux[64];

	memcpy(ns, bounds->ns, bounds->n * sizeof(ns[0]));	/* zero-terminated */
	h = dm_histogram_bounds_from_uint64(ns);
	if (!h)
		return -ENOMEM;
	snprintf(aux, sizeof(aux), "created=%" PRIu64 ".", clock_usec(CLOCK_REALTIME));
	/* start and length 0: the whole map; step -1: one area */
	if (!dm_stats_create_region(dms, &id, 0, 0, -1, 1, h, MAP_STATS_PROGRAM_ID, aux))
		return -EIO;
	return 1;
}

int map_stats_sync(const char *name, const struct latency_bounds *bounds, uint64_t sectors)
{
	_cleanup_(stats_destroyp) struct dm_stats *dms = NULL;
	uint64_t stale[64];
	size_t n_stale = 0;
	bool kept = false;
	int r;

	r = open_listed(name, &dms);
	if (r < 0)
		return r;
	/* libdevmapper 1.02.185 dereferences a NULL table walking a handle without regions */
	if (dm_stats_get_nr_regions(dms) > 0)
		dm_stats_foreach_region(dms) {
			uint64_t id = dm_stats_get_current_region(dms);

			if (!kept && bounds->n > 0 && region_fits(dms, id, bounds, sectors))
				kept = true;
			else if (n_stale < ELEMENTSOF(stale))
				stale[n_stale++] = id;
		}
	/* deleted after the walk: a deletion changes the table it walks */
	for (size_t i = 0; i < n_stale; i++)
		if (!dm_stats_delete_region(dms, stale[i]))
			return -EIO;
	if (kept || bounds->n == 0)
		return 0;
	return create_region(dms, bounds);
}

static uint64_t aux_created(const char *aux)
{
	const char *p = aux ? strstr(aux, "created=") : NULL;
	uint64_t usec;

	if (!p || sscanf(p + strlen("created="), "%" SCNu64, &usec) != 1)
		return 0;
	return usec;
}

/*
 * The region's line of "@stats_print": "START+LEN" and 13 counters (reads,
 * merged, sectors, nanoseconds; the same for writes; in flight, I/O time,
 * weighted I/O time, total read and write time), then the histogram's
 * N_BOUNDS + 1 counts separated by ':'.
 */
static int parse_print(const char *line, size_t n_bounds, struct map_stats_sample *s)
{
	uint64_t start, len, merged, io_nsecs, weighted, total_read, total_write;
	const char *p;
	int used = 0;

	if (sscanf(line,
		   "%" SCNu64 "+%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 "%n",
		   &start, &len, &s->reads, &merged, &s->read_sectors, &s->read_nsecs, &s->writes,
		   &merged, &s->write_sectors, &s->write_nsecs, &s->in_progress, &io_nsecs, &weighted,
		   &total_read, &total_write, &used) != 15)
		return -EBADMSG;
	p = line + used;
	for (size_t i = 0; i <= n_bounds; i++) {
		char *end;

		if (*p != (i ? ':' : ' '))
			return -EBADMSG;
		errno = 0;
		s->bins[i] = strtoull(p + 1, &end, 10);
		if (errno || end == p + 1)
			return -EBADMSG;
		p = end;
	}
	return 0;
}

static int read_region(struct dm_stats *dms, uint64_t id, struct map_stats_sample *s)
{
	char *text;
	int r;

	s->created_usec = aux_created(dm_stats_get_region_aux_data(dms, id));
	r = region_bounds(dms, id, &s->bounds);
	if (r < 0)
		return r;
	text = dm_stats_print_region(dms, id, 0, 0, 0);	/* 0: do not clear */
	if (!text)
		return -EIO;
	r = parse_print(text, s->bounds.n, s);
	dm_stats_buffer_destroy(dms, text);
	return r;
}

int map_stats_sample(const char *name, struct map_stats_sample *ret)
{
	_cleanup_(stats_destroyp) struct dm_stats *dms = NULL;
	struct map_stats_sample s = {};
	int r;

	r = open_listed(name, &dms);
	if (r < 0)
		return r;
	/* libdevmapper's walk of a handle without regions crashes */
	if (dm_stats_get_nr_regions(dms) == 0)
		return -ENOENT;
	dm_stats_foreach_region(dms) {
		r = read_region(dms, dm_stats_get_current_region(dms), &s);
		if (r < 0)
			return r;
		s.now_usec = clock_usec(CLOCK_REALTIME);
		*ret = s;
		return 0;	/* map_stats_sync() keeps one */
	}
	return -ENOENT;
}
