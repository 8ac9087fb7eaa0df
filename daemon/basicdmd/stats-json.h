/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's side of "stats": a reading of a volume's dm-stats region
 * (map-stats.h) as the JSON object basicdmctl(8) documents, with what it
 * means: rates over the interval since the region was made, mean
 * latencies, percentiles from the histogram.
 */
#pragma once

#include <json-c/json.h>

#include "map-stats.h"

/*
 * The latency below which a fraction P (0 < P <= 1) of the I/Os counted
 * in BINS completed, in nanoseconds: linear within the bin it falls in; in
 * the last, open bin, its lower bound (the last bound).  NAN when no I/O
 * was counted.
 */
double latency_percentile_ns(const struct latency_bounds *bounds, const uint64_t *bins, double p);

/* The "stats" member of a volume in a stats reply; NULL when out of memory. */
struct json_object *map_stats_sample_to_json(const struct map_stats_sample *s);
