// SPDX-License-Identifier: GPL-2.0-only
/*
 * A dm-stats reading as the "stats" reply shows it: stats-json.h.  The
 * keys carry their unit (_ns, _ms, _seconds, _bytes, _per_second) and
 * never change meaning.
 */
#include "stats-json.h"

#include <math.h>
#include <stdio.h>

#include "json-util.h"
#include "util.h"
#include "volume-json.h"

double latency_percentile_ns(const struct latency_bounds *bounds, const uint64_t *bins, double p)
{
	uint64_t total = 0, below = 0;
	double rank;

	for (size_t i = 0; i <= bounds->n; i++)
		total += bins[i];
	if (total == 0)
		return NAN;
	rank = p * (double)total;
	for (size_t i = 0; i < bounds->n; i++) {
		double lower = i ? (double)bounds->ns[i - 1] : 0, upper = (double)bounds->ns[i];

		if (bins[i] && (double)(below + bins[i]) >= rank)
			return lower + (upper - lower) * (rank - (double)below) / (double)bins[i];
		below += bins[i];
	}
	return bounds->n ? (double)bounds->ns[bounds->n - 1] : NAN;
}

static double ms(double ns)
{
	return ns / 1e6;
}

/* The members of one direction: "read_..." or "write_...". */
static int add_direction(struct json_object *o, const char *dir, uint64_t ios, uint64_t sectors,
			 uint64_t nsecs, double seconds)
{
	char key[64];
	int r;

#define KEY(suffix) (snprintf(key, sizeof(key), "%s_%s", dir, suffix), key)
	r = json_add_u64(o, KEY("ios"), ios);
	if (r >= 0)
		r = json_add_u64(o, KEY("bytes"), sectors * 512);
	if (r >= 0)
		r = json_add_double(o, KEY("ios_per_second"), seconds > 0 ? ios / seconds : NAN);
	if (r >= 0)
		r = json_add_double(o, KEY("bytes_per_second"),
				    seconds > 0 ? sectors * 512 / seconds : NAN);
	if (r >= 0)
		r = json_add_u64(o, KEY("latency_sum_ns"), nsecs);
	if (r >= 0)
		r = json_add_double(o, KEY("latency_mean_ms"),
				    ios ? ms((double)nsecs / (double)ios) : NAN);
#undef KEY
	return r;
}

static struct json_object *histogram_to_json(const struct map_stats_sample *s)
{
	_cleanup_(json_object_putp) struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i <= s->bounds.n; i++) {
		struct json_object *bin = json_object_new_object();
		int r;

		r = i < s->bounds.n ? json_add_double(bin, "le_ms", ms((double)s->bounds.ns[i]))
				    : json_add_null(bin, "le_ms");
		if (r >= 0)
			r = json_add_u64(bin, "ios", s->bins[i]);
		if (r < 0 || json_object_array_add(a, bin) < 0) {
			json_object_put(bin);
			return NULL;
		}
	}
	return TAKE_PTR(a);
}

struct json_object *map_stats_sample_to_json(const struct map_stats_sample *s)
{
	static const struct {
		const char *key;
		double p;
	} percentiles[] = {
		{ "latency_p50_ms", 0.50 },
		{ "latency_p90_ms", 0.90 },
		{ "latency_p99_ms", 0.99 },
	};
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	double seconds = NAN;
	char created[64], bounds[512];
	int r = 0;

	if (!o)
		return NULL;
	if (s->created_usec && s->now_usec > s->created_usec)
		seconds = (double)(s->now_usec - s->created_usec) / 1e6;
	if (s->created_usec && format_timestamp_utc(s->created_usec, created, sizeof(created)) >= 0)
		r = json_add_string(o, "created", created);
	else
		r = json_add_null(o, "created");
	if (r >= 0)
		r = json_add_double(o, "interval_seconds", seconds);
	if (r >= 0)
		r = add_direction(o, "read", s->reads, s->read_sectors, s->read_nsecs, seconds);
	if (r >= 0)
		r = add_direction(o, "write", s->writes, s->write_sectors, s->write_nsecs, seconds);
	if (r >= 0)
		r = json_add_u64(o, "ios_in_progress", s->in_progress);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(percentiles); i++)
		r = json_add_double(o, percentiles[i].key,
				    ms(latency_percentile_ns(&s->bounds, s->bins, percentiles[i].p)));
	if (r >= 0 && latency_bounds_format(&s->bounds, bounds, sizeof(bounds)) >= 0)
		r = json_add_string(o, "latency_bounds", bounds);
	if (r >= 0)
		r = json_add(o, "histogram", histogram_to_json(s));
	if (r < 0)
		return NULL;
	return TAKE_PTR(o);
}
