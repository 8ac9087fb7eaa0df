// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl metrics: the status and stats replies in the Prometheus text
 * exposition format (version 0.0.4), every name beginning with basicdm_,
 * each family with its HELP and TYPE and its series together.  The file
 * for node_exporter's textfile collector is written whole or not at all:
 * a temporary file in the same directory, renamed over it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "basicdmctl.h"
#include "json-util.h"
#include "util.h"

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* basic_target's counters of the status reply: {metric, counter key, multiplier, help}. */
static const struct {
	const char *name, *key;
	uint64_t scale;
	const char *help;
} target_counters[] = {
	{ "basicdm_target_reads_total", "reads", 1, "Reads basic_target mapped for the volume." },
	{ "basicdm_target_read_bytes_total", "read_sectors", 512, "Bytes basic_target read for the volume." },
	{ "basicdm_target_writes_total", "writes", 1, "Writes basic_target mapped for the volume." },
	{ "basicdm_target_written_bytes_total", "write_sectors", 512, "Bytes basic_target wrote for the volume." },
	{ "basicdm_target_flushes_total", "flushes", 1, "Flushes basic_target passed on for the volume." },
	{ "basicdm_target_discards_total", "discards", 1, "Discards basic_target mapped for the volume." },
	{ "basicdm_target_discarded_bytes_total", "discard_sectors", 512, "Bytes basic_target discarded for the volume." },
	{ "basicdm_target_write_zeroes_total", "write_zeroes", 1, "Write-zeroes requests basic_target mapped for the volume." },
	{ "basicdm_target_secure_erases_total", "secure_erases", 1, "Secure erases basic_target mapped for the volume." },
};

/* dm-stats' counters of the stats reply: {metric, key, divisor, help}. */
static const struct {
	const char *name, *key;
	double divisor;
	const char *help;
} region_counters[] = {
	{ "basicdm_io_reads_total", "read_ios", 1, "Reads completed on the volume's map, counted by dm-stats." },
	{ "basicdm_io_writes_total", "write_ios", 1, "Writes completed on the volume's map, counted by dm-stats." },
	{ "basicdm_io_read_bytes_total", "read_bytes", 1, "Bytes read from the volume's map, counted by dm-stats." },
	{ "basicdm_io_written_bytes_total", "write_bytes", 1, "Bytes written to the volume's map, counted by dm-stats." },
	{ "basicdm_io_read_time_seconds_total", "read_latency_sum_ns", 1e9, "Summed latency of the completed reads on the volume's map." },
	{ "basicdm_io_write_time_seconds_total", "write_latency_sum_ns", 1e9, "Summed latency of the completed writes on the volume's map." },
};

static void print_latency_histogram(FILE *f, const char *volume, struct json_object *s)
{
	struct json_object *hist = json_member(s, "histogram");
	size_t n = hist ? json_object_array_length(hist) : 0;
	uint64_t count = 0;
	double sum;

	for (size_t i = 0; i < n; i++) {
		struct json_object *bin = json_object_array_get_idx(hist, i);
		double le_ms = json_member_double(bin, "le_ms");

		count += json_member_u64(bin, "ios");
		if (isnan(le_ms))
			fprintf(f, "basicdm_io_latency_seconds_bucket{volume=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
				volume, count);
		else
			fprintf(f, "basicdm_io_latency_seconds_bucket{volume=\"%s\",le=\"%.9g\"} %" PRIu64 "\n",
				volume, le_ms / 1e3, count);
	}
	sum = ((double)json_member_u64(s, "read_latency_sum_ns") +
	       (double)json_member_u64(s, "write_latency_sum_ns")) / 1e9;
	fprintf(f, "basicdm_io_latency_seconds_sum{volume=\"%s\"} %.9g\n", volume, sum);
	fprintf(f, "basicdm_io_latency_seconds_count{volume=\"%s\"} %" PRIu64 "\n", volume, count);
}

/* The "stats" object of volume NAME in the stats reply, NULL when it has none. */
static struct json_object *stats_of(struct json_object *stats_volumes, const char *name)
{
	size_t n = stats_volumes ? json_object_array_length(stats_volumes) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(stats_volumes, i);

		if (streq_ptr(json_member_string(v, "name"), name))
			return json_member(v, "stats");
	}
	return NULL;
}

void metrics_print(FILE *f, struct json_object *status_volumes, struct json_object *stats_volumes)
{
	size_t n = status_volumes ? json_object_array_length(status_volumes) : 0;

	family(f, "basicdm_up", "gauge", "Whether basicdmd answered (1) or not (0).");
	fprintf(f, "basicdm_up 1\n");

	/* Volume names are [A-Za-z0-9._-]: nothing in a label value needs escaping. */
	family(f, "basicdm_volume_state", "gauge",
	       "The volume's state (waiting, activating, active, failed, inactive): 1 for the one it is in.");
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(status_volumes, i);

		fprintf(f, "basicdm_volume_state{volume=\"%s\",state=\"%s\"} 1\n",
			json_member_string(v, "name") ?: "", json_member_string(v, "state") ?: "");
	}

	for (size_t c = 0; c < ELEMENTSOF(target_counters); c++) {
		family(f, target_counters[c].name, "counter", target_counters[c].help);
		for (size_t i = 0; i < n; i++) {
			struct json_object *v = json_object_array_get_idx(status_volumes, i);
			struct json_object *counters = json_member(v, "counters");

			if (counters)
				fprintf(f, "%s{volume=\"%s\"} %" PRIu64 "\n", target_counters[c].name,
					json_member_string(v, "name") ?: "",
					json_member_u64(counters, target_counters[c].key) *
						target_counters[c].scale);
		}
	}

	for (size_t c = 0; c < ELEMENTSOF(region_counters); c++) {
		family(f, region_counters[c].name, "counter", region_counters[c].help);
		for (size_t i = 0; i < n; i++) {
			const char *name = json_member_string(json_object_array_get_idx(status_volumes, i), "name");
			struct json_object *s = stats_of(stats_volumes, name);

			if (s)
				fprintf(f, "%s{volume=\"%s\"} %.9g\n", region_counters[c].name, name,
					(double)json_member_u64(s, region_counters[c].key) /
						region_counters[c].divisor);
		}
	}

	family(f, "basicdm_io_latency_seconds", "histogram",
	       "Latency of the I/Os completed on the volume's map, reads and writes together (dm-stats).");
	for (size_t i = 0; i < n; i++) {
		const char *name = json_member_string(json_object_array_get_idx(status_volumes, i), "name");
		struct json_object *s = stats_of(stats_volumes, name);

		if (s)
			print_latency_histogram(f, name, s);
	}
}

void metrics_print_down(FILE *f)
{
	family(f, "basicdm_up", "gauge", "Whether basicdmd answered (1) or not (0).");
	fprintf(f, "basicdm_up 0\n");
}

struct metrics_content {
	struct json_object *status_volumes, *stats_volumes;
};

static int put_metrics(FILE *f, void *userdata)
{
	const struct metrics_content *m = userdata;

	if (m->status_volumes)
		metrics_print(f, m->status_volumes, m->stats_volumes);
	else
		metrics_print_down(f);
	return 0;
}

int metrics_write_file(const char *path, struct json_object *status_volumes,
		       struct json_object *stats_volumes)
{
	struct metrics_content m = { status_volumes, stats_volumes };

	/* readable by node_exporter, which runs as its own user; the file
	 * beside it does not end in .prom, so the collector skips it */
	return atomic_file_write(path, 0644, true, put_metrics, &m);
}
