// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl stats for people: per volume the interval its dm-stats region
 * covers, reads and writes per second, throughput and mean latency, the
 * percentiles and the histogram.  Everything comes from the JSON reply.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "basicdmctl.h"
#include "json-util.h"
#include "util.h"

/* A number of the reply with DECIMALS, or "-" when it is null (not known). */
static void format_number(double v, int decimals, const char *unit, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f%s", decimals, v, unit);
}

static void print_direction(struct json_object *s, const char *label, const char *dir)
{
	char key[64], iops[32], mibs[32], mean[32];

	snprintf(key, sizeof(key), "%s_ios_per_second", dir);
	format_number(json_member_double(s, key), 1, "", iops, sizeof(iops));
	snprintf(key, sizeof(key), "%s_bytes_per_second", dir);
	format_number(json_member_double(s, key) / (1 << 20), 2, "", mibs, sizeof(mibs));
	snprintf(key, sizeof(key), "%s_latency_mean_ms", dir);
	format_number(json_member_double(s, key), 3, "", mean, sizeof(mean));
	snprintf(key, sizeof(key), "%s_ios", dir);
	printf("  %-6s %10s %10s %12s %12" PRIu64 "\n", label, iops, mibs, mean,
	       json_member_u64(s, key));
}

static void print_histogram(struct json_object *hist)
{
	size_t n = hist ? json_object_array_length(hist) : 0;
	double last = NAN;

	for (size_t i = 0; i < n; i++) {
		struct json_object *bin = json_object_array_get_idx(hist, i);
		double le = json_member_double(bin, "le_ms");
		char bound[48];

		if (isnan(le))
			snprintf(bound, sizeof(bound), "> %g ms", last);
		else
			snprintf(bound, sizeof(bound), "<= %g ms", le);
		printf("    %-14s %" PRIu64 "\n", bound, json_member_u64(bin, "ios"));
		last = le;
	}
}

static void print_volume(struct json_object *v)
{
	struct json_object *s = json_member(v, "stats");
	const char *name = json_member_string(v, "name") ?: "?";
	char interval[32], p50[32], p90[32], p99[32];

	if (!s) {
		printf("%s: no statistics (%s)\n", name,
		       json_member_string(v, "stats_missing") ?: "unknown");
		return;
	}
	format_number(json_member_double(s, "interval_seconds"), 1, " s", interval,
		      sizeof(interval));
	printf("%s: over %s since %s\n", name, interval, json_member_string(s, "created") ?: "-");
	printf("  %-6s %10s %10s %12s %12s\n", "", "IOPS", "MiB/s", "mean ms", "I/Os");
	print_direction(s, "read", "read");
	print_direction(s, "write", "write");
	format_number(json_member_double(s, "latency_p50_ms"), 3, "", p50, sizeof(p50));
	format_number(json_member_double(s, "latency_p90_ms"), 3, "", p90, sizeof(p90));
	format_number(json_member_double(s, "latency_p99_ms"), 3, "", p99, sizeof(p99));
	printf("  latency, reads and writes: p50 %s ms, p90 %s ms, p99 %s ms\n", p50, p90, p99);
	printf("  histogram:\n");
	print_histogram(json_member(s, "histogram"));
}

void stats_print(struct json_object *volumes)
{
	size_t n = volumes ? json_object_array_length(volumes) : 0;

	if (n == 0) {
		puts("No volumes configured.");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar('\n');
		print_volume(json_object_array_get_idx(volumes, i));
	}
}
