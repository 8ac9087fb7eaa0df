// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl status for people: a table of every volume, or one volume in
 * detail.  Everything comes from the JSON reply, so what a person reads
 * and what a script reads can never disagree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "basicdmctl.h"
#include "json-util.h"
#include "util.h"

/* Local time of a since_usec, as a person reads it. */
static void format_since(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (!usec || !localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "-");
}

/* Binary units as lsblk prints them: 64M, 1.5G. */
static void format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, size, "%" PRIu64 "%c", (uint64_t)v, units[u]);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

/* "KEY=VALUE KEY=VALUE" of a match volume. */
static void format_match(struct json_object *match, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	json_object_object_foreach(match, key, value)
	{
		int n = snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "", key,
				 json_object_get_string(value));

		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
}

/* What backs the volume as configured: the file, the path, the match. */
void status_format_configured(struct json_object *backing, char *buf, size_t size)
{
	const char *kind = json_member_string(backing, "kind");
	const char *what = json_member_string(backing, streq_ptr(kind, "file") ? "file" : "path");

	if (streq_ptr(kind, "match"))
		format_match(json_member(backing, "match"), buf, size);
	else
		snprintf(buf, size, "%s", what ?: "-");
}

struct row {
	char name[72], state[16], since[32], size[16], map[24], backing[4200];
	char reads[24], writes[24];
};

enum { COL_NAME, COL_STATE, COL_SINCE, COL_SIZE, COL_MAP, COL_READS, COL_WRITES, COL_BACKING,
       _COL_MAX };

static const char *const headers[_COL_MAX] = { "NAME", "STATE", "SINCE", "SIZE", "MAP",
					       "READS", "WRITES", "BACKING" };

static const char *cell(const struct row *r, int col)
{
	const char *cells[_COL_MAX] = { r->name, r->state, r->since, r->size,
					r->map, r->reads, r->writes, r->backing };

	return cells[col];
}

static void fill_row(struct json_object *v, struct row *r)
{
	struct json_object *backing = json_member(v, "backing"), *dm = json_member(v, "dm");
	struct json_object *counters = json_member(v, "counters");
	const char *device = json_member_string(backing, "device");
	char configured[4096];

	snprintf(r->name, sizeof(r->name), "%s", json_member_string(v, "name") ?: "?");
	snprintf(r->state, sizeof(r->state), "%s", json_member_string(v, "state") ?: "?");
	format_since(json_member_u64(v, "since_usec"), r->since, sizeof(r->since));
	if (json_member(v, "size_sectors"))
		format_size(json_member_u64(v, "size_sectors") * 512, r->size, sizeof(r->size));
	else
		snprintf(r->size, sizeof(r->size), "-");
	snprintf(r->map, sizeof(r->map), "%s", json_member_string(dm, "devnum") ?: "-");
	status_format_configured(backing, configured, sizeof(configured));
	if (device)
		snprintf(r->backing, sizeof(r->backing), "%s (%s)", device, configured);
	else
		snprintf(r->backing, sizeof(r->backing), "%s", configured);
	if (counters) {
		snprintf(r->reads, sizeof(r->reads), "%" PRIu64,
			 json_member_u64(counters, "reads"));
		snprintf(r->writes, sizeof(r->writes), "%" PRIu64,
			 json_member_u64(counters, "writes"));
	} else {
		snprintf(r->reads, sizeof(r->reads), "-");
		snprintf(r->writes, sizeof(r->writes), "-");
	}
}

static void print_row(const struct row *r, const int *width, bool header)
{
	for (int c = 0; c < _COL_MAX; c++) {
		const char *text = header ? headers[c] : cell(r, c);
		bool numeric = c == COL_SIZE || c == COL_READS || c == COL_WRITES;

		if (c == _COL_MAX - 1)
			printf("%s\n", text); /* the last column is not padded */
		else
			printf(numeric ? "%*s  " : "%-*s  ", width[c], text);
	}
}

void status_print_table(struct json_object *volumes)
{
	size_t n = volumes ? json_object_array_length(volumes) : 0;
	int width[_COL_MAX];
	struct row *rows;

	if (n == 0) {
		puts("No volumes configured.");
		return;
	}
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		fputs("basicdmctl: out of memory\n", stderr);
		return;
	}
	for (int c = 0; c < _COL_MAX; c++)
		width[c] = (int)strlen(headers[c]);
	for (size_t i = 0; i < n; i++) {
		fill_row(json_object_array_get_idx(volumes, i), &rows[i]);
		for (int c = 0; c < _COL_MAX; c++)
			if ((int)strlen(cell(&rows[i], c)) > width[c])
				width[c] = (int)strlen(cell(&rows[i], c));
	}
	print_row(NULL, width, true);
	for (size_t i = 0; i < n; i++)
		print_row(&rows[i], width, false);
	/* the reason is too long for a column, and it is what one wants to know */
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(volumes, i);
		const char *reason = json_member_string(v, "reason");

		if (reason)
			printf("%s: %s\n", rows[i].name, reason);
	}
	free(rows);
}

static void print_counter(const char *label, struct json_object *counters, const char *count,
			  const char *sectors)
{
	if (sectors)
		printf("%14s: %" PRIu64 " (%" PRIu64 " sectors)\n", label,
		       json_member_u64(counters, count), json_member_u64(counters, sectors));
	else
		printf("%14s: %" PRIu64 "\n", label, json_member_u64(counters, count));
}

void status_print_details(struct json_object *v)
{
	struct json_object *backing = json_member(v, "backing"), *dm = json_member(v, "dm");
	struct json_object *counters = json_member(v, "counters");
	const char *reason = json_member_string(v, "reason");
	const char *device = json_member_string(backing, "device");
	uint64_t sectors = json_member_u64(v, "size_sectors");
	char since[32], size[16], configured[4096];

	format_since(json_member_u64(v, "since_usec"), since, sizeof(since));
	status_format_configured(backing, configured, sizeof(configured));

	printf("%s\n", json_member_string(v, "name") ?: "?");
	printf("%14s: %s since %s\n", "State", json_member_string(v, "state") ?: "?", since);
	if (reason)
		printf("%14s: %s\n", "Reason", reason);
	printf("%14s: %s %s", "Backing", json_member_string(backing, "kind") ?: "?", configured);
	if (device)
		printf(", on %s (%s)", device, json_member_string(backing, "devnum") ?: "?");
	putchar('\n');
	if (dm) {
		uint64_t opened = json_member_u64(dm, "open_count");

		printf("%14s: %s (%s), UUID %s, open %" PRIu64 " time%s%s%s\n", "Map",
		       json_member_string(dm, "device") ?: "?",
		       json_member_string(dm, "devnum") ?: "?",
		       json_member_string(dm, "uuid") ?: "?", opened, opened == 1 ? "" : "s",
		       json_member_bool(dm, "suspended") ? ", suspended" : "",
		       json_member_bool(dm, "deferred_remove") ? ", removed at the last close"
							       : "");
	} else {
		printf("%14s: none\n", "Map");
	}
	if (json_member(v, "size_sectors")) {
		format_size(sectors * 512, size, sizeof(size));
		printf("%14s: %" PRIu64 " sectors (%s)", "Size", sectors, size);
	} else {
		printf("%14s: -", "Size");
	}
	printf(" from sector %" PRIu64 ", %s\n", json_member_u64(v, "offset_sectors"),
	       json_member_bool(v, "read_only") ? "read-only" : "read-write");
	printf("%14s: %s\n", "Trace", json_member_bool(v, "trace") ? "on" : "off");
	if (!counters)
		return;
	print_counter("Reads", counters, "reads", "read_sectors");
	print_counter("Writes", counters, "writes", "write_sectors");
	print_counter("Flushes", counters, "flushes", NULL);
	print_counter("Discards", counters, "discards", "discard_sectors");
	print_counter("Write zeroes", counters, "write_zeroes", "write_zeroes_sectors");
	print_counter("Secure erases", counters, "secure_erases", NULL);
}
