// SPDX-License-Identifier: GPL-2.0-only
/*
 * map-stats.c against a fake dm-stats: libdevmapper's dm_stats_* and
 * dm_histogram_* calls are replaced by --wrap with a table of regions as
 * "@stats_list basicdm" would show them.  The region is found again,
 * never duplicated, made anew when its bounds or the map's length change,
 * deleted when switched off; a reading gives the counters and the bins.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include <libdevmapper.h>

#include "map-stats.h"

/* ---- the fake dm-stats of one map ---- */

struct fake_region {
	bool present;
	uint64_t start, len;
	int precise;
	char program_id[32], aux[64];
	struct latency_bounds bounds;
	uint64_t reads, writes, read_sectors, write_sectors, read_nsecs, write_nsecs;
	uint64_t bins[LATENCY_BOUNDS_MAX + 1];
};

static struct {
	struct fake_region regions[8];
	uint64_t map_sectors;
	bool list_fails;
	bool bad_print;		/* print a histogram with a count missing */
	int creates, deletes, lists, prints, handles;
	char bound_name[64];
	uint64_t cursor;
} fake;

/* The handle and a histogram are opaque to the code under test. */
static int handle_token;
#define HANDLE ((struct dm_stats *)(void *)&handle_token)

struct dm_histogram {
	uint64_t region;	/* index into fake.regions */
	bool bounds_only;
	struct latency_bounds bounds;
};

struct dm_stats *__wrap_dm_stats_create(const char *program_id)
{
	assert_string_equal(program_id, "basicdm");
	fake.handles++;
	return HANDLE;
}

void __wrap_dm_stats_destroy(struct dm_stats *dms)
{
	assert_ptr_equal(dms, HANDLE);
	fake.handles--;
}

int __wrap_dm_stats_bind_name(struct dm_stats *dms, const char *name)
{
	snprintf(fake.bound_name, sizeof(fake.bound_name), "%s", name);
	return 1;
}

int __wrap_dm_stats_list(struct dm_stats *dms, const char *program_id)
{
	assert_string_equal(program_id, "basicdm");
	fake.lists++;
	return !fake.list_fails;
}

uint64_t __wrap_dm_stats_get_nr_regions(const struct dm_stats *dms)
{
	uint64_t n = 0;

	for (size_t i = 0; i < 8; i++)
		n += fake.regions[i].present;
	return n;
}

static void skip_absent(void)
{
	while (fake.cursor < 8 && !fake.regions[fake.cursor].present)
		fake.cursor++;
}

int __wrap_dm_stats_walk_init(struct dm_stats *dms, uint64_t flags)
{
	return 1;
}

void __wrap_dm_stats_walk_start(struct dm_stats *dms)
{
	/* libdevmapper 1.02.185 crashes walking a handle without regions */
	assert_true(__wrap_dm_stats_get_nr_regions(dms) > 0);
	fake.cursor = 0;
	skip_absent();
}

void __wrap_dm_stats_walk_next_region(struct dm_stats *dms)
{
	fake.cursor++;
	skip_absent();
}

int __wrap_dm_stats_walk_end(struct dm_stats *dms)
{
	return fake.cursor >= 8;
}

uint64_t __wrap_dm_stats_get_current_region(const struct dm_stats *dms)
{
	return fake.cursor;
}

int __wrap_dm_stats_get_region_start(const struct dm_stats *dms, uint64_t *start, uint64_t id)
{
	*start = fake.regions[id].start;
	return 1;
}

int __wrap_dm_stats_get_region_len(const struct dm_stats *dms, uint64_t *len, uint64_t id)
{
	*len = fake.regions[id].len;
	return 1;
}

const char *__wrap_dm_stats_get_region_aux_data(const struct dm_stats *dms, uint64_t id)
{
	return fake.regions[id].aux;
}

static struct dm_histogram histograms[8];

struct dm_histogram *__wrap_dm_stats_get_histogram(const struct dm_stats *dms, uint64_t id,
						   uint64_t area)
{
	assert_int_equal(area, 0);
	if (fake.regions[id].bounds.n == 0)
		return NULL;
	histograms[id] = (struct dm_histogram){ .region = id, .bounds = fake.regions[id].bounds };
	return &histograms[id];
}

/* As libdevmapper 1.02.185 counts them: the open last bin too, its upper bound UINT64_MAX. */
int __wrap_dm_histogram_get_nr_bins(const struct dm_histogram *h)
{
	return (int)h->bounds.n + 1;
}

uint64_t __wrap_dm_histogram_get_bin_upper(const struct dm_histogram *h, int bin)
{
	assert_true(bin <= (int)h->bounds.n);
	return bin < (int)h->bounds.n ? h->bounds.ns[bin] : UINT64_MAX;
}

/* "@stats_print ID" without clearing: the kernel's line for the one area. */
char *__wrap_dm_stats_print_region(struct dm_stats *dms, uint64_t id, unsigned start_line,
				   unsigned num_lines, unsigned clear)
{
	const struct fake_region *r = &fake.regions[id];
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_int_equal(clear, 0);	/* never: the counters count since the region was made */
	fake.prints++;
	fprintf(f, "0+%" PRIu64 " %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " %" PRIu64 " 0 %" PRIu64
		   " %" PRIu64 " 0 7 8 9 10",
		r->len, r->reads, r->read_sectors, r->read_nsecs, r->writes, r->write_sectors,
		r->write_nsecs);
	for (size_t i = 0; i <= r->bounds.n - fake.bad_print; i++)
		fprintf(f, "%c%" PRIu64, i ? ':' : ' ', r->bins[i]);
	fputc('\n', f);
	fclose(f);
	return text;
}

void __wrap_dm_stats_buffer_destroy(struct dm_stats *dms, char *buffer)
{
	free(buffer);
}

struct dm_histogram *__wrap_dm_histogram_bounds_from_uint64(const uint64_t *bounds)
{
	struct dm_histogram *h = calloc(1, sizeof(*h));

	h->bounds_only = true;
	while (bounds[h->bounds.n])
		h->bounds.ns[h->bounds.n] = bounds[h->bounds.n], h->bounds.n++;
	return h;
}

void __wrap_dm_histogram_bounds_destroy(struct dm_histogram *h)
{
	free(h);
}

int __wrap_dm_stats_create_region(struct dm_stats *dms, uint64_t *region_id, uint64_t start,
				  uint64_t len, int64_t step, int precise,
				  struct dm_histogram *bounds, const char *program_id,
				  const char *user_data)
{
	size_t i = 0;

	while (fake.regions[i].present)
		i++;
	assert_true(i < 8);
	/* start and length 0: the kernel takes the map's whole length */
	assert_int_equal(start, 0);
	assert_int_equal(len, 0);
	assert_int_equal(step, -1);
	fake.regions[i] = (struct fake_region){ .present = true, .len = fake.map_sectors,
						.precise = precise, .bounds = bounds->bounds };
	snprintf(fake.regions[i].program_id, sizeof(fake.regions[i].program_id), "%s", program_id);
	snprintf(fake.regions[i].aux, sizeof(fake.regions[i].aux), "%s", user_data);
	fake.creates++;
	*region_id = i;
	return 1;
}

int __wrap_dm_stats_delete_region(struct dm_stats *dms, uint64_t id)
{
	assert_true(fake.regions[id].present);
	fake.regions[id].present = false;
	fake.deletes++;
	return 1;
}


static int reset(void **state)
{
	memset(&fake, 0, sizeof(fake));
	fake.map_sectors = 65536;
	return 0;
}

static int no_leak(void **state)
{
	assert_int_equal(fake.handles, 0);
	return 0;
}

static const struct latency_bounds two = { 2, { 1000000, 20000000 } };
static const struct latency_bounds three = { 3, { 1000000, 20000000, 100000000 } };
static const struct latency_bounds off = { 0 };

static struct fake_region ours(const struct latency_bounds *b, uint64_t len)
{
	return (struct fake_region){ .present = true, .len = len, .precise = 1, .bounds = *b,
				     .program_id = "basicdm", .aux = "created=1700000000000000." };
}

/* ---- tests ---- */

static void test_new_map_gets_a_region(void **state)
{
	assert_int_equal(map_stats_sync("data", &two, 65536), 1);
	assert_string_equal(fake.bound_name, "data");
	assert_int_equal(fake.creates, 1);
	assert_true(fake.regions[0].present);
	assert_int_equal(fake.regions[0].precise, 1);
	assert_string_equal(fake.regions[0].program_id, "basicdm");
	assert_true(latency_bounds_equal(&fake.regions[0].bounds, &two));
	assert_true(strncmp(fake.regions[0].aux, "created=", 8) == 0);
	/* a character after the number: libdevmapper 1.02.185 drops the last one */
	assert_int_equal(fake.regions[0].aux[strlen(fake.regions[0].aux) - 1], '.');
}

/* After a restart, an adoption or a reload with the same bounds: found, not made again. */
static void test_region_found_again(void **state)
{
	fake.regions[3] = ours(&two, 65536);
	assert_int_equal(map_stats_sync("data", &two, 65536), 0);
	assert_int_equal(fake.creates + fake.deletes, 0);
	assert_int_equal(map_stats_sync("data", &two, 65536), 0);
	assert_int_equal(fake.creates + fake.deletes, 0);
}

static void test_duplicates_are_deleted(void **state)
{
	fake.regions[0] = ours(&two, 65536);
	fake.regions[1] = ours(&two, 65536);
	fake.regions[2] = ours(&three, 65536);
	assert_int_equal(map_stats_sync("data", &two, 65536), 0);
	assert_int_equal(fake.creates, 0);
	assert_int_equal(fake.deletes, 2);
	assert_true(fake.regions[0].present);
}

static void test_other_bounds_make_a_new_region(void **state)
{
	fake.regions[0] = ours(&two, 65536);
	assert_int_equal(map_stats_sync("data", &three, 65536), 1);
	assert_int_equal(fake.deletes, 1);
	assert_int_equal(fake.creates, 1);
	assert_int_equal(__wrap_dm_stats_get_nr_regions(NULL), 1);
	assert_true(latency_bounds_equal(&fake.regions[0].bounds, &three));
}

/* A map whose table grew: the region must cover all of it again. */
static void test_other_length_makes_a_new_region(void **state)
{
	fake.regions[0] = ours(&two, 32768);
	assert_int_equal(map_stats_sync("data", &two, 65536), 1);
	assert_int_equal(fake.deletes, 1);
	assert_int_equal(fake.regions[0].len, 65536);
}

static void test_off_deletes_ours(void **state)
{
	fake.regions[0] = ours(&two, 65536);
	fake.regions[5] = ours(&three, 65536);
	assert_int_equal(map_stats_sync("data", &off, 65536), 0);
	assert_int_equal(fake.deletes, 2);
	assert_int_equal(fake.creates, 0);
	assert_int_equal(__wrap_dm_stats_get_nr_regions(NULL), 0);
	/* and nothing to do when there is none */
	assert_int_equal(map_stats_sync("data", &off, 65536), 0);
	assert_int_equal(fake.creates, 0);
}

static void test_map_gone(void **state)
{
	struct map_stats_sample s;

	fake.list_fails = true;
	assert_int_equal(map_stats_sync("data", &two, 65536), -ENODEV);
	assert_int_equal(map_stats_sample("data", &s), -ENODEV);
}

static void test_sample(void **state)
{
	struct map_stats_sample s;

	fake.regions[2] = ours(&two, 65536);
	fake.regions[2].reads = 10;
	fake.regions[2].writes = 5;
	fake.regions[2].read_sectors = 80;
	fake.regions[2].write_sectors = 40;
	fake.regions[2].read_nsecs = 10 * 500000;
	fake.regions[2].write_nsecs = 5 * 30000000;
	fake.regions[2].bins[0] = 10;	/* <= 1 ms */
	fake.regions[2].bins[1] = 0;	/* <= 20 ms */
	fake.regions[2].bins[2] = 5;	/* slower */
	assert_int_equal(map_stats_sample("data", &s), 0);
	assert_int_equal(fake.prints, 1);
	assert_int_equal(s.created_usec, 1700000000000000);
	assert_true(s.now_usec > s.created_usec);
	assert_int_equal(s.reads, 10);
	assert_int_equal(s.writes, 5);
	assert_int_equal(s.read_sectors, 80);
	assert_int_equal(s.write_sectors, 40);
	assert_int_equal(s.read_nsecs, 5000000);
	assert_int_equal(s.write_nsecs, 150000000);
	assert_true(latency_bounds_equal(&s.bounds, &two));
	assert_int_equal(s.bins[0], 10);
	assert_int_equal(s.bins[1], 0);
	assert_int_equal(s.bins[2], 5);	/* the open bin */
}

/* The aux data as libdevmapper 1.02.185 gives it back, its last character dropped. */
static void test_created_survives_a_dropped_character(void **state)
{
	struct map_stats_sample s;

	fake.regions[0] = ours(&two, 65536);
	strcpy(fake.regions[0].aux, "created=1700000000000000");
	assert_int_equal(map_stats_sample("data", &s), 0);
	assert_int_equal(s.created_usec, 1700000000000000);
}

/* A line the kernel would not write is an error, not numbers made up. */
static void test_sample_bad_line(void **state)
{
	struct map_stats_sample s;

	fake.regions[0] = ours(&two, 65536);
	fake.regions[0].bounds.n = 2;
	fake.bad_print = true;
	assert_int_equal(map_stats_sample("data", &s), -EBADMSG);
}

static void test_sample_without_region(void **state)
{
	struct map_stats_sample s;

	assert_int_equal(map_stats_sample("data", &s), -ENOENT);
	assert_int_equal(fake.prints, 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_map_gets_a_region, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_region_found_again, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_duplicates_are_deleted, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_other_bounds_make_a_new_region, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_other_length_makes_a_new_region, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_off_deletes_ours, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_map_gone, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_sample, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_sample_without_region, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_created_survives_a_dropped_character, reset, no_leak),
		cmocka_unit_test_setup_teardown(test_sample_bad_line, reset, no_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
