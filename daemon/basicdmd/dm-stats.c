// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-stats regions: dm-stats.h.  libdevmapper's calls return 1 or 0; its
 * messages go through the logger dm_setup() installed.  The region's aux
 * data carries "created=USEC", the wall clock time it was made, which
 * the kernel keeps: the interval a reading covers survives a restart.
 */
#include "dm-stats.h"

#include <errno.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

static void dm_stats_destroyp(struct dm_stats **dms)
{
	if (*dms)
		dm_stats_destroy(*dms);
}

static void dm_histogram_bounds_destroyp(struct dm_histogram **h)
{
	if (*h)
		dm_histogram_bounds_destroy(*h);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A handle on map NAME listing the regions of ours. */
static int open_listed(const char *name, struct dm_stats **ret)
{
	_cleanup_(dm_stats_destroyp) struct dm_stats *dms = dm_stats_create(DM_STATS_PROGRAM_ID);

	if (!dms)
		return -ENOMEM;
	if (!dm_stats_bind_name(dms, name))
		return -EINVAL;
	if (!dm_stats_list(dms, DM_STATS_PROGRAM_ID))
		return -ENODEV;		/* the map is gone, or the kernel has no dm-stats */
	*ret = TAKE_PTR(dms);
	return 0;
}

/* Does region ID have exactly BOUNDS and cover SECTORS from sector 0? */
static bool region_fits(struct dm_stats *dms, uint64_t id, const struct latency_bounds *bounds,
			uint64_t sectors)
{
	struct dm_histogram *h = dm_stats_get_histogram(dms, id, 0);
	uint64_t start = 1, len = 0;

	if (!dm_stats_get_region_start(dms, &start, id) || !dm_stats_get_region_len(dms, &len, id))
		return false;
	if (start != 0 || len != sectors || !h || dm_histogram_get_nr_bins(h) != (int)bounds->n)
		return false;
	for (size_t i = 0; i < bounds->n; i++)
		if (dm_histogram_get_bin_upper(h, (int)i) != bounds->ns[i])
			return false;
	return true;
}

static int create_region(struct dm_stats *dms, const struct latency_bounds *bounds)
{
	_cleanup_(dm_histogram_bounds_destroyp) struct dm_histogram *h = NULL;
	uint64_t ns[LATENCY_BOUNDS_MAX + 1] = {}, id;
	char aux[64];

	memcpy(ns, bounds->ns, bounds->n * sizeof(ns[0]));	/* zero-terminated */
	h = dm_histogram_bounds_from_uint64(ns);
	if (!h)
		return -ENOMEM;
	snprintf(aux, sizeof(aux), "created=%" PRIu64, now_usec());
	/* start and length 0: the whole map; step -1: one area */
	if (!dm_stats_create_region(dms, &id, 0, 0, -1, 1, h, DM_STATS_PROGRAM_ID, aux))
		return -EIO;
	return 1;
}

int dmstats_sync(const char *name, const struct latency_bounds *bounds, uint64_t sectors)
{
	_cleanup_(dm_stats_destroyp) struct dm_stats *dms = NULL;
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

static void read_counters(struct dm_stats *dms, uint64_t id, struct dmstats_sample *s)
{
	struct dm_histogram *h = dm_stats_get_histogram(dms, id, 0);
	uint64_t counted = 0;
	int n_bins;

	s->created_usec = aux_created(dm_stats_get_region_aux_data(dms, id));
	s->reads = dm_stats_get_reads(dms, id, 0);
	s->writes = dm_stats_get_writes(dms, id, 0);
	s->read_sectors = dm_stats_get_read_sectors(dms, id, 0);
	s->write_sectors = dm_stats_get_write_sectors(dms, id, 0);
	s->read_nsecs = dm_stats_get_read_nsecs(dms, id, 0);
	s->write_nsecs = dm_stats_get_write_nsecs(dms, id, 0);
	s->in_progress = dm_stats_get_io_in_progress(dms, id, 0);

	n_bins = h ? dm_histogram_get_nr_bins(h) : 0;	/* the bounds: the open bin is not counted */
	if (n_bins < 0 || n_bins > LATENCY_BOUNDS_MAX)
		n_bins = 0;
	s->bounds.n = n_bins;
	for (int i = 0; i < n_bins; i++) {
		s->bounds.ns[i] = dm_histogram_get_bin_upper(h, i);
		s->bins[i] = dm_histogram_get_bin_count(h, i);
		counted += s->bins[i];
	}
	/* every completed I/O lands in one bin: the rest took longer than the last bound */
	s->bins[n_bins] = s->reads + s->writes > counted ? s->reads + s->writes - counted : 0;
}

int dmstats_sample(const char *name, struct dmstats_sample *ret)
{
	_cleanup_(dm_stats_destroyp) struct dm_stats *dms = NULL;
	struct dmstats_sample s = {};
	int r;

	r = open_listed(name, &dms);
	if (r < 0)
		return r;
	/*
	 * libdevmapper calls a populate without regions an error, and its
	 * walk of such a handle crashes: none is no error here
	 */
	if (dm_stats_get_nr_regions(dms) == 0)
		return -ENOENT;
	if (!dm_stats_populate(dms, DM_STATS_PROGRAM_ID, DM_STATS_REGIONS_ALL))
		return -EIO;
	s.now_usec = now_usec();
	dm_stats_foreach_region(dms) {
		read_counters(dms, dm_stats_get_current_region(dms), &s);
		*ret = s;
		return 0;	/* dmstats_sync() keeps one */
	}
	return -ENOENT;
}
