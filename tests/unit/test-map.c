// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon/basicdmd/map.c: the table and status parsers, and the sequence of
 * device-mapper tasks behind each call.  libdevmapper's task calls are
 * replaced by a script: each dm_task_run() describes its task as one
 * string ("RELOAD uuid=BASICDM-data ro table=...") that the test expects,
 * and returns the errno the test queued.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>
#include <libdevmapper.h>

#include "map.h"

/* ---- libdevmapper, scripted -------------------------------------------- */

/*
 * A task is one of these, cast: dm_task_create() would ask the kernel for
 * its device-mapper version, which a build machine need not have.
 */
struct task_rec {
	int type;
	bool used;
	char name[130], uuid[130], table[200], msg[64];
	int major, minor;
	bool ro, deferred, udev_flags, no_open_count, add_node_on_resume;
	bool backing_gone, skip_lockfs, no_flush;
	uint64_t sector;
	int err;
};

static struct task_rec recs[8];
static bool create_fails;

static struct task_rec *rec_of(struct dm_task *t)
{
	struct task_rec *r = (struct task_rec *)t;

	assert_true(r >= recs && r < recs + sizeof(recs) / sizeof(recs[0]) && r->used);
	return r;
}

struct dm_task *__wrap_dm_task_create(int type)
{
	if (create_fails) {
		errno = ENODEV;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		if (!recs[i].used) {
			recs[i] = (struct task_rec){
				.type = type, .used = true, .major = -1, .minor = -1
			};
			return (struct dm_task *)&recs[i];
		}
	fail_msg("too many tasks alive: one is not destroyed");
	return NULL;
}

void __wrap_dm_task_destroy(struct dm_task *t)
{
	*rec_of(t) = (struct task_rec){};
}

static size_t tasks_alive(void)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		n += recs[i].used;
	return n;
}

int __wrap_dm_task_set_cookie(struct dm_task *t, uint32_t *cookie, uint16_t flags)
{
	/* with udev sync off the cookie stays 0; only the flags travel */
	assert_int_equal(flags & ~DM_SUBSYSTEM_UDEV_FLAG0, DM_UDEV_DISABLE_LIBRARY_FALLBACK);
	assert_int_equal(*cookie, 0);
	rec_of(t)->udev_flags = true;
	rec_of(t)->backing_gone = flags & DM_SUBSYSTEM_UDEV_FLAG0;
	return 1;
}

int __wrap_dm_task_skip_lockfs(struct dm_task *t)
{
	rec_of(t)->skip_lockfs = true;
	return 1;
}

int __wrap_dm_task_no_flush(struct dm_task *t)
{
	rec_of(t)->no_flush = true;
	return 1;
}

int __wrap_dm_task_set_add_node(struct dm_task *t, dm_add_node_t add_node)
{
	rec_of(t)->add_node_on_resume = add_node == DM_ADD_NODE_ON_RESUME;
	return 1;
}

int __wrap_dm_task_no_open_count(struct dm_task *t)
{
	rec_of(t)->no_open_count = true;
	return 1;
}

int __wrap_dm_task_set_name(struct dm_task *t, const char *name)
{
	snprintf(rec_of(t)->name, sizeof(rec_of(t)->name), "%s", name);
	return 1;
}

int __wrap_dm_task_set_uuid(struct dm_task *t, const char *uuid)
{
	snprintf(rec_of(t)->uuid, sizeof(rec_of(t)->uuid), "%s", uuid);
	return 1;
}

int __wrap_dm_task_set_major(struct dm_task *t, int major)
{
	rec_of(t)->major = major;
	return 1;
}

int __wrap_dm_task_set_minor(struct dm_task *t, int minor)
{
	rec_of(t)->minor = minor;
	return 1;
}

int __wrap_dm_task_set_ro(struct dm_task *t)
{
	rec_of(t)->ro = true;
	return 1;
}

int __wrap_dm_task_deferred_remove(struct dm_task *t)
{
	rec_of(t)->deferred = true;
	return 1;
}

/* The table of the last load, kept past its task: the round trip parses it. */
static char last_table[200];

int __wrap_dm_task_add_target(struct dm_task *t, uint64_t start, uint64_t size, const char *ttype,
			      const char *params)
{
	struct task_rec *r = rec_of(t);

	snprintf(r->table, sizeof(r->table), "%" PRIu64 " %" PRIu64 " %s %s", start, size, ttype,
		 params);
	snprintf(last_table, sizeof(last_table), "%s", r->table);
	return 1;
}

int __wrap_dm_task_set_message(struct dm_task *t, const char *msg)
{
	snprintf(rec_of(t)->msg, sizeof(rec_of(t)->msg), "%s", msg);
	return 1;
}

int __wrap_dm_task_set_sector(struct dm_task *t, uint64_t sector)
{
	rec_of(t)->sector = sector;
	return 1;
}

static unsigned node_updates;

void __wrap_dm_task_update_nodes(void)
{
	node_updates++;
}

static const char *type_name(int type)
{
	switch (type) {
	case DM_DEVICE_CREATE: return "CREATE";
	case DM_DEVICE_RELOAD: return "RELOAD";
	case DM_DEVICE_REMOVE: return "REMOVE";
	case DM_DEVICE_SUSPEND: return "SUSPEND";
	case DM_DEVICE_RESUME: return "RESUME";
	case DM_DEVICE_INFO: return "INFO";
	case DM_DEVICE_STATUS: return "STATUS";
	case DM_DEVICE_TABLE: return "TABLE";
	case DM_DEVICE_LIST: return "LIST";
	case DM_DEVICE_CLEAR: return "CLEAR";
	case DM_DEVICE_TARGET_MSG: return "MSG";
	default: return "?";
	}
}

int __wrap_dm_task_run(struct dm_task *t)
{
	struct task_rec *r = rec_of(t);
	char desc[512];
	int n;

	n = snprintf(desc, sizeof(desc), "%s", type_name(r->type));
	if (r->name[0])
		n += snprintf(desc + n, sizeof(desc) - n, " name=%s", r->name);
	if (r->uuid[0])
		n += snprintf(desc + n, sizeof(desc) - n, " uuid=%s", r->uuid);
	if (r->major >= 0)
		n += snprintf(desc + n, sizeof(desc) - n, " dev=%d:%d", r->major, r->minor);
	if (r->ro)
		n += snprintf(desc + n, sizeof(desc) - n, " ro");
	if (r->deferred)
		n += snprintf(desc + n, sizeof(desc) - n, " deferred");
	if (r->no_open_count && r->type == DM_DEVICE_INFO)
		n += snprintf(desc + n, sizeof(desc) - n, " no-open-count");
	if (r->skip_lockfs)
		n += snprintf(desc + n, sizeof(desc) - n, " skip-lockfs");
	if (r->no_flush)
		n += snprintf(desc + n, sizeof(desc) - n, " no-flush");
	if (r->backing_gone)
		n += snprintf(desc + n, sizeof(desc) - n, " backing-gone");
	if (r->msg[0])
		n += snprintf(desc + n, sizeof(desc) - n, " msg=%s", r->msg);
	if (r->table[0])
		snprintf(desc + n, sizeof(desc) - n, " table=%s", r->table);

	/*
	 * The create's uevent goes without a cookie, and libdevmapper must
	 * not make the node itself: udev does at the resume.  Every other
	 * task carries the flags.
	 */
	if (r->type == DM_DEVICE_CREATE) {
		assert_false(r->udev_flags);
		assert_true(r->add_node_on_resume);
	} else {
		assert_true(r->udev_flags);
	}
	if (r->type == DM_DEVICE_TARGET_MSG)
		assert_int_equal(r->sector, 0);
	check_expected_ptr(desc);
	r->err = mock_type(int);
	return r->err == 0;
}

int __wrap_dm_task_get_errno(struct dm_task *t)
{
	return rec_of(t)->err;
}

int __wrap_dm_task_get_info(struct dm_task *t, struct dm_info *info)
{
	*info = *mock_ptr_type(const struct dm_info *);
	return 1;
}

const char *__wrap_dm_task_get_uuid(const struct dm_task *t)
{
	return mock_ptr_type(const char *);
}

struct fake_target {
	uint64_t start, length;
	const char *type, *params;
};

void *__wrap_dm_get_next_target(struct dm_task *t, void *next, uint64_t *start, uint64_t *length,
				char **target_type, char **params)
{
	const struct fake_target *f = mock_ptr_type(const struct fake_target *);

	if (!f) {
		*start = *length = 0;
		*target_type = *params = NULL;
		return NULL;
	}
	*start = f->start;
	*length = f->length;
	*target_type = (char *)f->type;
	*params = (char *)f->params;
	return mock_ptr_type(void *);	/* the "next" cursor */
}

struct dm_names *__wrap_dm_task_get_names(struct dm_task *t)
{
	return mock_ptr_type(struct dm_names *);
}

#define expect_task(d, err)                                                                \
	do {                                                                               \
		expect_string(__wrap_dm_task_run, desc, (d));                              \
		will_return(__wrap_dm_task_run, (err));                                    \
	} while (0)

static const struct basic_target_table spec_data = {
	.sectors = 20000,
	.backing = 0x0706, /* makedev(7, 6) */
	.offset = 0,
};

#define TABLE_DATA "table=0 20000 basic_target 7:6 0"

static int setup_dm(void **state)
{
	map_setup();
	return 0;
}

/* Every path frees its tasks and drops the node operations it stacked. */
static int teardown_test(void **state)
{
	size_t alive = tasks_alive();

	/* a failed test leaves its task behind: do not fail the next ones too */
	memset(recs, 0, sizeof(recs));
	create_fails = false;
	assert_int_equal(alive, 0);
	return 0;
}

/* ---- the table a load passes ------------------------------------------- */

/*
 * The table T makes, as the RELOAD task's description shows it; the map is
 * then missing (ENXIO), so no other task follows.
 */
static void assert_loads(const struct basic_target_table *t, const char *desc)
{
	expect_task(desc, ENXIO);
	assert_int_equal(map_reload("data", t), -ENODEV);
}

/* T is refused before any task exists: none is expected. */
static void assert_refused(const struct basic_target_table *t)
{
	assert_int_equal(map_reload("data", t), -EINVAL);
}

static void test_format_plain(void **state)
{
	struct basic_target_table t = { .sectors = 20000, .backing = makedev(7, 6) };

	assert_loads(&t, "RELOAD uuid=BASICDM-data table=0 20000 basic_target 7:6 0");
}

static void test_format_trace_offset(void **state)
{
	struct basic_target_table t = {
		.sectors = 2097152, .backing = makedev(253, 17), .offset = 2048, .trace = true,
		.read_only = true,
	};

	/* read-only is a flag of the load, not a word of the table */
	assert_loads(&t, "RELOAD uuid=BASICDM-data ro "
			 "table=0 2097152 basic_target 253:17 2048 1 trace");
}

static void test_format_limits(void **state)
{
	struct basic_target_table t = { .sectors = UINT64_MAX, .backing = makedev(4095, 1048575) };

	assert_loads(&t, "RELOAD uuid=BASICDM-data "
			 "table=0 18446744073709551615 basic_target 4095:1048575 0");

	t.sectors = UINT64_MAX - 10;
	t.offset = 10;
	assert_loads(&t, "RELOAD uuid=BASICDM-data "
			 "table=0 18446744073709551605 basic_target 4095:1048575 10");
	t.offset = 11; /* the range passes the largest sector */
	assert_refused(&t);
}

static void test_format_invalid(void **state)
{
	struct basic_target_table t = { .sectors = 0, .backing = makedev(7, 6) };

	assert_refused(&t);
	t.sectors = 8;
	t.backing = makedev(4096, 0);
	assert_refused(&t);
	t.backing = makedev(7, 1048576);
	assert_refused(&t);
}

/* The longest parameters there are fit the loader's buffer whole. */
static void test_format_buffer(void **state)
{
	struct basic_target_table t = {
		.sectors = 1, .backing = makedev(4095, 1048575), .offset = UINT64_MAX - 1,
		.trace = true,
	};

	assert_loads(&t, "RELOAD uuid=BASICDM-data "
			 "table=0 1 basic_target 4095:1048575 18446744073709551614 1 trace");
}

/* ---- basic_target_parse_table ------------------------------------------- */

static void test_parse_params_plain(void **state)
{
	struct basic_target_table t;

	assert_int_equal(basic_target_parse_table("7:6 0", 20000, &t), 0);
	assert_int_equal(t.sectors, 20000);
	assert_int_equal(major(t.backing), 7);
	assert_int_equal(minor(t.backing), 6);
	assert_int_equal(t.offset, 0);
	assert_false(t.trace);
	assert_false(t.read_only);
}

static void test_parse_params_features(void **state)
{
	struct basic_target_table t;

	assert_int_equal(basic_target_parse_table("253:1 2048 1 trace", 100, &t), 0);
	assert_int_equal(major(t.backing), 253);
	assert_int_equal(minor(t.backing), 1);
	assert_int_equal(t.offset, 2048);
	assert_true(t.trace);

	assert_int_equal(basic_target_parse_table("8:16 0 1 TRACE", 100, &t), 0);
	assert_true(t.trace);

	assert_int_equal(basic_target_parse_table("8:16 0 0", 100, &t), 0);
	assert_false(t.trace);

	/* what the kernel prints may end in a newline */
	assert_int_equal(basic_target_parse_table("8:16 5\n", 100, &t), 0);
	assert_int_equal(t.offset, 5);

	assert_int_equal(basic_target_parse_table("4095:1048575 18446744073709551515", 100, &t), 0);
	assert_int_equal(t.offset, UINT64_MAX - 100);
}

static void test_parse_params_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"7:6",				/* no offset */
		"7:6 0 1",			/* a feature counted, none given */
		"7:6 0 1 trace extra",		/* more words than counted */
		"7:6 0 2 trace",
		"7:6 0 2 trace trace",		/* given twice */
		"7:6 0 1 discard",		/* unknown feature */
		"7:6 0 9 trace trace trace trace trace trace trace trace trace",
		"7:6 0 x",
		"7:6 0 -1",
		"7:6 -1",
		"7:6 +1",
		"7:6 0x10",
		"7:6 1e3",
		"7:6 12abc",
		"7:6 18446744073709551616",	/* one past UINT64_MAX */
		"7 0",
		"/dev/loop6 0",
		":6 0",
		"7: 0",
		"7:6:1 0",
		"-7:6 0",
		"7:-6 0",
		"4096:0 0",			/* past the kernel's major range */
		"7:1048576 0",			/* past the kernel's minor range */
		"99999999999999999999999:1 0",
	};
	struct basic_target_table t = { .sectors = 42, .offset = 42, .trace = true };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = basic_target_parse_table(bad[i], 100, &t);

		if (r != -EINVAL)
			fail_msg("\"%s\": %d, expected -EINVAL", bad[i], r);
		/* nothing written on failure */
		assert_int_equal(t.sectors, 42);
		assert_int_equal(t.offset, 42);
		assert_true(t.trace);
	}
}

static void test_parse_params_range(void **state)
{
	struct basic_target_table t;

	assert_int_equal(basic_target_parse_table("7:6 0", 0, &t), -EINVAL);
	assert_int_equal(basic_target_parse_table("7:6 1", UINT64_MAX, &t), -EINVAL);
	assert_int_equal(basic_target_parse_table("7:6 0", UINT64_MAX, &t), 0);
}

/* The table a load passes, parsed, gives the spec back: the kernel's round trip. */
static void test_round_trip(void **state)
{
	static const struct basic_target_table specs[] = {
		{ .sectors = 1, .backing = 0x0700 },
		{ .sectors = 20000, .backing = 0x0706, .offset = 0 },
		{ .sectors = 2097152, .backing = 0xfd11, .offset = 2048, .trace = true },
		{ .sectors = UINT64_MAX - 7, .backing = 0x103, .offset = 7, .trace = true },
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct basic_target_table back;
		uint64_t start, length;
		char type[32];
		int params;

		last_table[0] = '\0';
		expect_any(__wrap_dm_task_run, desc);
		will_return(__wrap_dm_task_run, ENXIO);
		assert_int_equal(map_reload("data", &specs[i]), -ENODEV);
		assert_int_equal(sscanf(last_table, "%" SCNu64 " %" SCNu64 " %31s %n", &start,
					&length, type, &params),
				 3);
		assert_int_equal(start, 0);
		assert_string_equal(type, "basic_target");
		assert_int_equal(basic_target_parse_table(last_table + params, length, &back), 0);
		assert_memory_equal(&back, &specs[i], sizeof(back));
	}
}

/* ---- basic_target_parse_status ------------------------------------------ */

static void test_counters(void **state)
{
	struct basic_target_counters c;

	assert_int_equal(basic_target_parse_status("1 2 3 4 5 6 7 8 9 10 notrace", &c), 0);
	assert_int_equal(c.reads, 1);
	assert_int_equal(c.read_sectors, 2);
	assert_int_equal(c.writes, 3);
	assert_int_equal(c.write_sectors, 4);
	assert_int_equal(c.flushes, 5);
	assert_int_equal(c.discards, 6);
	assert_int_equal(c.discard_sectors, 7);
	assert_int_equal(c.write_zeroes, 8);
	assert_int_equal(c.write_zeroes_sectors, 9);
	assert_int_equal(c.secure_erases, 10);
	assert_false(c.trace);

	assert_int_equal(basic_target_parse_status("0 0 0 0 0 0 0 0 0 18446744073709551615 trace\n", &c),
			 0);
	assert_int_equal(c.reads, 0);
	assert_int_equal(c.secure_erases, UINT64_MAX);
	assert_true(c.trace);
}

/* basic_target.rst: new fields only ever come at the end. */
static void test_counters_newer_module(void **state)
{
	struct basic_target_counters c;

	assert_int_equal(basic_target_parse_status("1 2 3 4 5 6 7 8 9 10 trace 11 future", &c), 0);
	assert_int_equal(c.secure_erases, 10);
	assert_true(c.trace);
}

static void test_counters_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"notrace",
		"1 2 3 4 5 6 7 8 9 notrace",		/* nine counters */
		"1 2 3 4 5 6 7 8 9 10",			/* no trace word */
		"1 2 3 4 5 6 7 8 9 10 11 notrace",	/* the 11th field is not trace */
		"1 2 3 4 5 6 7 8 9 10 on",
		"1 2 3 4 5 6 7 8 9 10 TRACE",
		"x 2 3 4 5 6 7 8 9 10 notrace",
		"-1 2 3 4 5 6 7 8 9 10 notrace",
		"1 2 3 4 5 6 7 8 9 1.5 notrace",
		"1 2 3 4 5 6 7 8 9 18446744073709551616 notrace",
	};
	struct basic_target_counters c = { .reads = 42 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = basic_target_parse_status(bad[i], &c);

		if (r != -EINVAL)
			fail_msg("\"%s\": %d, expected -EINVAL", bad[i], r);
		assert_int_equal(c.reads, 42);
	}
}

/* ---- tasks: create ------------------------------------------------------ */

static void test_create(void **state)
{
	unsigned updates = node_updates;

	expect_task("CREATE name=data uuid=BASICDM-data", 0);
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, 0);
	expect_task("RESUME uuid=BASICDM-data", 0);
	assert_int_equal(map_create("data", &spec_data), 0);
	/* the skipped node operations are dropped after every run */
	assert_int_equal(node_updates - updates, 3);
}

static void test_create_read_only_trace(void **state)
{
	struct basic_target_table t = spec_data;

	t.read_only = true;
	t.trace = true;
	expect_task("CREATE name=data uuid=BASICDM-data", 0);
	expect_task("RELOAD uuid=BASICDM-data ro table=0 20000 basic_target 7:6 0 1 trace", 0);
	expect_task("RESUME uuid=BASICDM-data", 0);
	assert_int_equal(map_create("data", &t), 0);
}

static void test_create_name_taken(void **state)
{
	/* not ours to remove: nothing follows */
	expect_task("CREATE name=data uuid=BASICDM-data", EBUSY);
	assert_int_equal(map_create("data", &spec_data), -EBUSY);
}

static void test_create_load_refused(void **state)
{
	expect_task("CREATE name=data uuid=BASICDM-data", 0);
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, EINVAL);
	expect_task("REMOVE uuid=BASICDM-data", EBUSY);
	expect_task("REMOVE uuid=BASICDM-data", 0);
	assert_int_equal(map_create("data", &spec_data), -EINVAL);
}

static void test_create_resume_fails(void **state)
{
	expect_task("CREATE name=data uuid=BASICDM-data", 0);
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, 0);
	expect_task("RESUME uuid=BASICDM-data", ENXIO);
	expect_task("REMOVE uuid=BASICDM-data", 0);
	assert_int_equal(map_create("data", &spec_data), -ENODEV);
}

/* Refused before any task exists. */
static void test_create_invalid(void **state)
{
	struct basic_target_table t = spec_data;
	char name[200];

	assert_int_equal(map_create("a/b", &spec_data), -EINVAL);
	assert_int_equal(map_create("", &spec_data), -EINVAL);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(map_create(name, &spec_data), -EINVAL);
	name[125] = '\0'; /* a valid DM name, but the UUID would not fit */
	assert_int_equal(map_create(name, &spec_data), -ENAMETOOLONG);
	t.sectors = 0;
	assert_int_equal(map_create("data", &t), -EINVAL);
}

static void test_no_device_mapper(void **state)
{
	struct map_info i;

	create_fails = true;
	assert_int_equal(map_create("data", &spec_data), -EOPNOTSUPP);
	assert_int_equal(map_get_info("data", &i), -EOPNOTSUPP);
	create_fails = false;
}

/* ---- tasks: reload ------------------------------------------------------ */

static void test_reload(void **state)
{
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, 0);
	expect_task("SUSPEND uuid=BASICDM-data", 0);
	expect_task("RESUME uuid=BASICDM-data", 0);
	assert_int_equal(map_reload("data", &spec_data), 0);
}

static void test_reload_refused(void **state)
{
	/* the live table stays: no suspend, no resume */
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, EINVAL);
	assert_int_equal(map_reload("data", &spec_data), -EINVAL);
}

static void test_reload_suspend_fails(void **state)
{
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, 0);
	expect_task("SUSPEND uuid=BASICDM-data", EINTR);
	expect_task("CLEAR uuid=BASICDM-data", 0);
	assert_int_equal(map_reload("data", &spec_data), -EINTR);
}

static void test_reload_resume_fails(void **state)
{
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, 0);
	expect_task("SUSPEND uuid=BASICDM-data", 0);
	expect_task("RESUME uuid=BASICDM-data", EINVAL);
	expect_task("RESUME uuid=BASICDM-data", 0);
	assert_int_equal(map_reload("data", &spec_data), -EINVAL);
}

static void test_reload_missing(void **state)
{
	expect_task("RELOAD uuid=BASICDM-data " TABLE_DATA, ENXIO);
	assert_int_equal(map_reload("data", &spec_data), -ENODEV);
}

/* ---- tasks: backing gone ------------------------------------------------ */

/*
 * The table stays; the resume's uevent carries the flag for the udev rule.
 * The suspend neither freezes the file system on the map nor flushes: the
 * disk under it is gone.
 */
static void test_mark_backing_gone(void **state)
{
	expect_task("SUSPEND uuid=BASICDM-data skip-lockfs no-flush", 0);
	expect_task("RESUME uuid=BASICDM-data backing-gone", 0);
	assert_int_equal(map_mark_backing_gone("data"), 0);
}

static void test_mark_backing_gone_suspend_fails(void **state)
{
	expect_task("SUSPEND uuid=BASICDM-data skip-lockfs no-flush", ENXIO);
	assert_int_equal(map_mark_backing_gone("data"), -ENODEV);
}

static void test_mark_backing_gone_resume_fails(void **state)
{
	/* never left suspended: a plain resume follows */
	expect_task("SUSPEND uuid=BASICDM-data skip-lockfs no-flush", 0);
	expect_task("RESUME uuid=BASICDM-data backing-gone", EINVAL);
	expect_task("RESUME uuid=BASICDM-data", 0);
	assert_int_equal(map_mark_backing_gone("data"), -EINVAL);
}

/* ---- tasks: remove ------------------------------------------------------ */

static void test_remove(void **state)
{
	expect_task("REMOVE uuid=BASICDM-data", 0);
	assert_int_equal(map_remove("data", false), 0);
}

static void test_remove_deferred(void **state)
{
	/* deferred: the kernel removes it at last close, never a retry */
	expect_task("REMOVE uuid=BASICDM-data deferred", EBUSY);
	assert_int_equal(map_remove("data", true), -EBUSY);
}

static void test_remove_busy_bounded(void **state)
{
	for (int i = 0; i < 5; i++)
		expect_task("REMOVE uuid=BASICDM-data", EBUSY);
	assert_int_equal(map_remove("data", false), -EBUSY);
}

static void test_remove_missing(void **state)
{
	expect_task("REMOVE uuid=BASICDM-data", ENXIO);
	assert_int_equal(map_remove("data", false), -ENODEV);
}

static void test_remove_no_errno(void **state)
{
	/* a failure that was not the ioctl's (no control device, say) */
	expect_task("REMOVE uuid=BASICDM-data", -1);
	assert_int_equal(map_remove("data", false), -EIO);
}

/* ---- tasks: info, counters, message, list ------------------------------- */

static const struct dm_info info_absent = { .exists = 0 };
static const struct dm_info info_data = {
	.exists = 1, .live_table = 1, .open_count = 2, .major = 253, .minor = 3,
	.read_only = 1, .target_count = 1,
};
static const struct dm_info info_no_table = { .exists = 1, .major = 253, .minor = 4 };

static void test_info_absent(void **state)
{
	struct map_info i;

	expect_task("INFO name=data", 0);
	will_return(__wrap_dm_task_get_info, &info_absent);
	assert_int_equal(map_get_info("data", &i), -ENODEV);
}

static void test_info_ours(void **state)
{
	static const struct fake_target target = { 0, 1000, "basic_target", "7:6 2048 1 trace" };
	struct map_info i;

	expect_task("INFO name=data", 0);
	will_return(__wrap_dm_task_get_info, &info_data);
	will_return(__wrap_dm_task_get_uuid, "BASICDM-data");
	/* the table of the very device the info named, by number */
	expect_task("TABLE dev=253:3", 0);
	will_return(__wrap_dm_get_next_target, &target);
	will_return(__wrap_dm_get_next_target, NULL);

	assert_int_equal(map_get_info("data", &i), 0);
	assert_string_equal(i.name, "data");
	assert_string_equal(i.uuid, "BASICDM-data");
	assert_int_equal(i.devnum, makedev(253, 3));
	assert_false(i.suspended);
	assert_int_equal(i.open_count, 2);
	assert_true(i.read_only);
	assert_true(i.table_is_ours);
	assert_int_equal(i.table.sectors, 1000);
	assert_int_equal(i.table.backing, makedev(7, 6));
	assert_int_equal(i.table.offset, 2048);
	assert_true(i.table.trace);
	assert_true(i.table.read_only);
	map_info_clear(&i);
	assert_null(i.name);
}

static void expect_info_with_target(const struct fake_target *target, void *next)
{
	expect_task("INFO name=data", 0);
	will_return(__wrap_dm_task_get_info, &info_data);
	will_return(__wrap_dm_task_get_uuid, "BASICDM-data");
	expect_task("TABLE dev=253:3", 0);
	will_return(__wrap_dm_get_next_target, target);
	if (target)
		will_return(__wrap_dm_get_next_target, next);
}

static void test_info_foreign_tables(void **state)
{
	static const struct fake_target linear = { 0, 1000, "linear", "7:6 0" };
	static const struct fake_target shifted = { 8, 1000, "basic_target", "7:6 0" };
	static const struct fake_target garbled = { 0, 1000, "basic_target", "7:6" };
	static const struct fake_target ours = { 0, 1000, "basic_target", "7:6 0" };
	static int more; /* any non-NULL cursor: a second target follows */
	const struct fake_target *cases[] = { &linear, &shifted, &garbled, &ours, NULL };
	struct map_info i;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		expect_info_with_target(cases[k], cases[k] == &ours ? &more : NULL);
		assert_int_equal(map_get_info("data", &i), 0);
		assert_false(i.table_is_ours);
		map_info_clear(&i);
	}
}

static void test_info_no_live_table(void **state)
{
	struct map_info i;

	expect_task("INFO name=data", 0);
	will_return(__wrap_dm_task_get_info, &info_no_table);
	will_return(__wrap_dm_task_get_uuid, "");
	assert_int_equal(map_get_info("data", &i), 0);
	assert_string_equal(i.uuid, "");
	assert_false(i.table_is_ours);
	map_info_clear(&i);
}

static void test_counters_task(void **state)
{
	static const struct fake_target target = { 0, 1000, "basic_target",
						    "10 80 3 24 1 0 0 0 0 0 trace" };
	struct basic_target_counters c;

	expect_task("STATUS uuid=BASICDM-data", 0);
	will_return(__wrap_dm_task_get_info, &info_data);
	will_return(__wrap_dm_get_next_target, &target);
	will_return(__wrap_dm_get_next_target, NULL);
	assert_int_equal(map_counters("data", &c), 0);
	assert_int_equal(c.reads, 10);
	assert_int_equal(c.write_sectors, 24);
	assert_true(c.trace);

	/* STATUS succeeds on a missing map, with "exists" unset */
	expect_task("STATUS uuid=BASICDM-data", 0);
	will_return(__wrap_dm_task_get_info, &info_absent);
	assert_int_equal(map_counters("data", &c), -ENODEV);
}

static void test_counters_foreign(void **state)
{
	static const struct fake_target linear = { 0, 1000, "linear", "" };
	struct basic_target_counters c;

	expect_task("STATUS uuid=BASICDM-data", 0);
	will_return(__wrap_dm_task_get_info, &info_data);
	will_return(__wrap_dm_get_next_target, &linear);
	will_return(__wrap_dm_get_next_target, NULL);
	assert_int_equal(map_counters("data", &c), -EMEDIUMTYPE);
}

static void test_message(void **state)
{
	expect_task("MSG uuid=BASICDM-data msg=trace on", 0);
	assert_int_equal(map_message("data", "trace on"), 0);
	expect_task("MSG uuid=BASICDM-data msg=bogus", EINVAL);
	assert_int_equal(map_message("data", "bogus"), -EINVAL);
}

/* Packs NAMES into BUF as the kernel's name list, 8-byte aligned entries. */
static struct dm_names *names_list(uint64_t *buf, size_t size, const char *const *names, size_t n)
{
	char *p = (char *)buf;

	memset(buf, 0, size);
	for (size_t i = 0; i < n; i++) {
		struct dm_names *e = (struct dm_names *)p;
		size_t len = offsetof(struct dm_names, name) + strlen(names[i]) + 1;

		len = (len + 7) & ~(size_t)7;
		assert_true(p + len <= (char *)buf + size);
		e->dev = makedev(253, i);
		strcpy(e->name, names[i]);
		e->next = i + 1 < n ? len : 0;
		p += len;
	}
	return (struct dm_names *)buf;
}

static void test_list_ours(void **state)
{
	static const char *const names[] = { "data", "vg-root", "gone", "scratch" };
	static const struct dm_info info_scratch = { .exists = 1, .major = 253, .minor = 9,
						     .live_table = 1 };
	static const struct fake_target target = { 0, 64, "basic_target", "7:0 0" };
	struct map_info *maps = NULL;
	uint64_t buf[64];
	size_t n = 0;

	expect_task("LIST", 0);
	will_return(__wrap_dm_task_get_names, names_list(buf, sizeof(buf), names, 4));

	expect_task("INFO name=data", 0);
	will_return(__wrap_dm_task_get_info, &info_no_table);
	will_return(__wrap_dm_task_get_uuid, "BASICDM-data");

	/* foreign: its table is never read */
	expect_task("INFO name=vg-root", 0);
	will_return(__wrap_dm_task_get_info, &info_data);
	will_return(__wrap_dm_task_get_uuid, "LVM-abcdef");

	/* removed since the list was taken */
	expect_task("INFO name=gone", 0);
	will_return(__wrap_dm_task_get_info, &info_absent);

	expect_task("INFO name=scratch", 0);
	will_return(__wrap_dm_task_get_info, &info_scratch);
	will_return(__wrap_dm_task_get_uuid, "BASICDM-scratch");
	expect_task("TABLE dev=253:9", 0);
	will_return(__wrap_dm_get_next_target, &target);
	will_return(__wrap_dm_get_next_target, NULL);

	assert_int_equal(map_list_ours(&maps, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(maps[0].name, "data");
	assert_false(maps[0].table_is_ours);
	assert_string_equal(maps[1].name, "scratch");
	assert_int_equal(maps[1].devnum, makedev(253, 9));
	assert_true(maps[1].table_is_ours);
	assert_int_equal(maps[1].table.sectors, 64);
	map_info_free_array(maps, n);
}

static void test_list_empty(void **state)
{
	struct map_info *maps = (void *)1;
	uint64_t buf[4] = {};
	size_t n = 99;

	/* no maps at all: one entry with dev 0 */
	expect_task("LIST", 0);
	will_return(__wrap_dm_task_get_names, (struct dm_names *)buf);
	assert_int_equal(map_list_ours(&maps, &n), 0);
	assert_int_equal(n, 0);
	map_info_free_array(maps, n);
}

static void test_list_fails(void **state)
{
	static const char *const names[] = { "data", "other" };
	struct map_info *maps = NULL;
	uint64_t buf[16];
	size_t n = 0;

	expect_task("LIST", 0);
	will_return(__wrap_dm_task_get_names, names_list(buf, sizeof(buf), names, 2));
	expect_task("INFO name=data", 0);
	will_return(__wrap_dm_task_get_info, &info_no_table);
	will_return(__wrap_dm_task_get_uuid, "BASICDM-data");
	expect_task("INFO name=other", EACCES);
	assert_int_equal(map_list_ours(&maps, &n), -EACCES);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown_test)
	const struct CMUnitTest tests[] = {
		T(test_format_plain),
		T(test_format_trace_offset),
		T(test_format_limits),
		T(test_format_invalid),
		T(test_format_buffer),
		T(test_parse_params_plain),
		T(test_parse_params_features),
		T(test_parse_params_malformed),
		T(test_parse_params_range),
		T(test_round_trip),
		T(test_counters),
		T(test_counters_newer_module),
		T(test_counters_malformed),
		T(test_create),
		T(test_create_read_only_trace),
		T(test_create_name_taken),
		T(test_create_load_refused),
		T(test_create_resume_fails),
		T(test_create_invalid),
		T(test_no_device_mapper),
		T(test_reload),
		T(test_reload_refused),
		T(test_reload_suspend_fails),
		T(test_reload_resume_fails),
		T(test_reload_missing),
		T(test_mark_backing_gone),
		T(test_mark_backing_gone_suspend_fails),
		T(test_mark_backing_gone_resume_fails),
		T(test_remove),
		T(test_remove_deferred),
		T(test_remove_busy_bounded),
		T(test_remove_missing),
		T(test_remove_no_errno),
		T(test_info_absent),
		T(test_info_ours),
		T(test_info_foreign_tables),
		T(test_info_no_live_table),
		T(test_counters_task),
		T(test_counters_foreign),
		T(test_message),
		T(test_list_ours),
		T(test_list_empty),
		T(test_list_fails),
	};

	return cmocka_run_group_tests(tests, setup_dm, NULL);
}
