// SPDX-License-Identifier: GPL-2.0-only
/* The reload planner: what SIGHUP does to each volume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reload-plan.h"

static struct match_property serial_a[] = { { "ID_SERIAL", "A" } };
static struct match_property serial_b[] = { { "ID_SERIAL", "B" } };

#define FILE_VOL(n, f) { .name = n, .kind = BACKING_FILE, .file = f }

static enum plan_action action_of(struct plan_entry *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const struct volume_config *c = p[i].new ? p[i].new : p[i].old;

		if (!strcmp(c->name, name))
			return p[i].action;
	}
	fail_msg("no plan entry for %s", name);
	return PLAN_KEEP;
}

static void test_every_action(void **state)
{
	struct volume_config old_v[] = {
		FILE_VOL("keep", "/k.img"),
		FILE_VOL("gone", "/g.img"),
		FILE_VOL("offset", "/o.img"),
		FILE_VOL("ro", "/r.img"),
		FILE_VOL("moved", "/m.img"),
		{ .name = "disk", .kind = BACKING_MATCH, .match = serial_a, .n_match = 1 },
		FILE_VOL("sized", "/s.img"),
	};
	struct volume_config new_v[] = {
		FILE_VOL("keep", "/k.img"),
		{ .name = "offset", .kind = BACKING_FILE, .file = "/o.img", .offset = 8 },
		{ .name = "ro", .kind = BACKING_FILE, .file = "/r.img", .read_only = true },
		FILE_VOL("moved", "/elsewhere.img"),
		{ .name = "disk", .kind = BACKING_MATCH, .match = serial_b, .n_match = 1 },
		{ .name = "sized", .kind = BACKING_FILE, .file = "/s.img", .size_bytes = 1 << 20 },
		FILE_VOL("new", "/n.img"),
	};
	struct config old = { old_v, 7 }, new = { new_v, 7 };
	struct plan_entry *p;
	size_t n;

	assert_int_equal(reload_plan(&old, &new, &p, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(p[0].action, PLAN_REMOVE); /* removals come first */
	assert_string_equal(p[0].old->name, "gone");
	assert_null(p[0].new);
	assert_int_equal(action_of(p, n, "keep"), PLAN_KEEP);
	assert_int_equal(action_of(p, n, "offset"), PLAN_RELOAD);
	/* a loop device keeps its read-only flag: a new one is needed */
	assert_int_equal(action_of(p, n, "ro"), PLAN_REPLACE);
	assert_int_equal(action_of(p, n, "moved"), PLAN_REPLACE);
	assert_int_equal(action_of(p, n, "disk"), PLAN_REPLACE);
	/* a larger size: the file, its loop device and its map grow */
	assert_int_equal(action_of(p, n, "sized"), PLAN_RELOAD);
	assert_int_equal(action_of(p, n, "new"), PLAN_ADD);
	free(p);
}

static void test_same_config_touches_nothing(void **state)
{
	struct volume_config v[] = {
		FILE_VOL("a", "/a.img"),
		{ .name = "b", .kind = BACKING_DEVICE, .device = "/dev/vdb", .trace = true },
		{ .name = "c", .kind = BACKING_MATCH, .match = serial_a, .n_match = 1 },
	};
	struct config c = { v, 3 };
	struct plan_entry *p;
	size_t n;

	assert_int_equal(reload_plan(&c, &c, &p, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i].action, PLAN_KEEP);
	free(p);
}

static void test_trace_and_kind_changes(void **state)
{
	struct volume_config old_v[] = {
		{ .name = "t", .kind = BACKING_DEVICE, .device = "/dev/vdb" },
		{ .name = "k", .kind = BACKING_DEVICE, .device = "/dev/vdc" },
		{ .name = "r", .kind = BACKING_DEVICE, .device = "/dev/vdd" },
	};
	struct volume_config new_v[] = {
		{ .name = "t", .kind = BACKING_DEVICE, .device = "/dev/vdb", .trace = true },
		{ .name = "k", .kind = BACKING_MATCH, .match = serial_a, .n_match = 1 },
		{ .name = "r", .kind = BACKING_DEVICE, .device = "/dev/vdd", .read_only = true },
	};
	struct config old = { old_v, 3 }, new = { new_v, 3 };
	struct plan_entry *p;
	size_t n;

	assert_int_equal(reload_plan(&old, &new, &p, &n), 0);
	assert_int_equal(action_of(p, n, "t"), PLAN_RELOAD);
	assert_int_equal(action_of(p, n, "k"), PLAN_REPLACE);
	/* a disk's map changes mode by a table reload */
	assert_int_equal(action_of(p, n, "r"), PLAN_RELOAD);
	free(p);
}

/* Volumes follow their backing: which size changes touch the map. */
static void test_grow_and_shrink(void **state)
{
	struct volume_config old_v[] = {
		{ .name = "grow", .kind = BACKING_FILE, .file = "/g.img", .size_bytes = 16 << 20 },
		{ .name = "shrink", .kind = BACKING_FILE, .file = "/s.img", .size_bytes = 16 << 20 },
		{ .name = "unset", .kind = BACKING_FILE, .file = "/u.img", .size_bytes = 16 << 20 },
		{ .name = "fixed", .kind = BACKING_FILE, .file = "/f.img", .size_bytes = 16 << 20,
		  .sectors = 2048 },
		{ .name = "fewer", .kind = BACKING_DEVICE, .device = "/dev/vdb", .sectors = 4096 },
	};
	struct volume_config new_v[] = {
		{ .name = "grow", .kind = BACKING_FILE, .file = "/g.img", .size_bytes = 32 << 20 },
		{ .name = "shrink", .kind = BACKING_FILE, .file = "/s.img", .size_bytes = 8 << 20 },
		{ .name = "unset", .kind = BACKING_FILE, .file = "/u.img" },
		{ .name = "fixed", .kind = BACKING_FILE, .file = "/f.img", .size_bytes = 32 << 20,
		  .sectors = 2048 },
		{ .name = "fewer", .kind = BACKING_DEVICE, .device = "/dev/vdb", .sectors = 2048 },
	};
	struct config old = { old_v, 5 }, new = { new_v, 5 };
	struct plan_entry *p;
	size_t n;

	assert_int_equal(reload_plan(&old, &new, &p, &n), 0);
	assert_int_equal(action_of(p, n, "grow"), PLAN_RELOAD);
	/* never cut: a file larger than its size is refused before the plan (backing-check) */
	assert_int_equal(action_of(p, n, "shrink"), PLAN_KEEP);
	assert_int_equal(action_of(p, n, "unset"), PLAN_KEEP);
	/* 'sectors' holds the map: the file grows, the map is not touched */
	assert_int_equal(action_of(p, n, "fixed"), PLAN_KEEP);
	/* fewer sectors, asked for: the administrator's choice, applied */
	assert_int_equal(action_of(p, n, "fewer"), PLAN_RELOAD);
	free(p);
}

static void test_empty_configs(void **state)
{
	struct volume_config v[] = { FILE_VOL("a", "/a.img") };
	struct config empty = { NULL, 0 }, one = { v, 1 };
	struct plan_entry *p;
	size_t n;

	assert_int_equal(reload_plan(&empty, &one, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].action, PLAN_ADD);
	free(p);
	assert_int_equal(reload_plan(&one, &empty, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].action, PLAN_REMOVE);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_action),
		cmocka_unit_test(test_same_config_touches_nothing),
		cmocka_unit_test(test_trace_and_kind_changes),
		cmocka_unit_test(test_grow_and_shrink),
		cmocka_unit_test(test_empty_configs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
