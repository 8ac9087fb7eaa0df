// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdmctl's waits, the decision part: is what one look saw (the
 * daemon's status of a volume, built here by the daemon's own
 * volume_status_to_json(), and the nodes /dev/mapper/NAME and
 * /dev/basicdm/NAME) the awaited state, and what the user reads when it is
 * not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "basicdmctl-wait.h"
#include "volume-json.h"

#define MAP makedev(253, 4)
#define OTHER makedev(253, 9)

/* What a node's path may show: nothing, a link to the map or to another device, a dangling link. */
#define NONE ((struct node_view){ .present = false })
#define ON_MAP ((struct node_view){ .present = true, .rdev = MAP })
#define ON_OTHER ((struct node_view){ .present = true, .rdev = OTHER })
#define DANGLING ((struct node_view){ .present = true, .rdev = 0 })

static struct match_property match[] = { { "ID_SERIAL", "USB_BACKUP_01" } };
static struct volume_config match_cfg = {
	.name = "backup", .kind = BACKING_MATCH, .match = match, .n_match = 1,
};
static struct volume_config file_cfg = {
	.name = "data", .kind = BACKING_FILE, .file = "/srv/data.img",
};

/* The daemon's status object of CFG in STATE, with a map at MAP when MAPPED. */
static struct json_object *status(const struct volume_config *cfg, const char *state,
				  const char *reason, bool mapped, bool deferred)
{
	struct map_info info = {
		.name = cfg->name, .uuid = "BASICDM-x", .devnum = MAP, .open_count = 1,
		.deferred_remove = deferred,
	};
	struct volume_status s = {
		.cfg = cfg, .state = state, .reason = reason, .map = mapped ? &info : NULL,
	};
	struct json_object *o = volume_status_to_json(&s);

	assert_non_null(o);
	return o;
}

struct look {
	enum wait_verdict verdict;
	char why[4400];
};

/* The verdict on STATUS (taken) and the nodes, and its explanation. */
static struct look judge(enum wait_goal goal, struct json_object *st, struct node_view mapper,
			 struct node_view link)
{
	struct volume_view v = {
		.name = st ? json_object_get_string(json_object_object_get(st, "name")) : "gone",
		.status = st, .mapper = mapper, .link = link,
	};
	struct look l;

	l.verdict = wait_verdict(goal, &v);
	wait_explain(goal, &v, l.why, sizeof(l.why));
	json_object_put(st);
	return l;
}

static void test_activate_done_once_active_and_both_links_lead_to_the_map(void **state)
{
	struct look l;

	l = judge(WAIT_ACTIVE, status(&file_cfg, "active", NULL, true, false), ON_MAP, ON_MAP);
	assert_int_equal(l.verdict, WAIT_DONE);
}

static void test_activate_waits_for_udev(void **state)
{
	struct look l;

	l = judge(WAIT_ACTIVE, status(&file_cfg, "activating", NULL, true, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "still activating: udev has not announced /dev/mapper/data yet "
				   "(is systemd-udevd running?)");

	/* the daemon's "active", but a look at /dev before udev's links */
	l = judge(WAIT_ACTIVE, status(&file_cfg, "active", NULL, true, false), ON_MAP, NONE);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "/dev/basicdm/data does not lead to its map 253:4 (is basicdm's "
				   "udev rule 60-basicdm.rules installed?)");

	/* a link left by an older map of the name */
	l = judge(WAIT_ACTIVE, status(&file_cfg, "active", NULL, true, false), ON_OTHER, ON_MAP);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "/dev/mapper/data does not lead to its map 253:4 (is "
				   "systemd-udevd running?)");
	l = judge(WAIT_ACTIVE, status(&file_cfg, "active", NULL, true, false), ON_MAP, DANGLING);
	assert_int_equal(l.verdict, WAIT_PENDING);
}

static void test_activate_waits_for_the_disk_and_says_which(void **state)
{
	struct look l;

	l = judge(WAIT_ACTIVE, status(&match_cfg, "waiting", NULL, false, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "still waiting for its backing device (ID_SERIAL=USB_BACKUP_01); "
				   "it stays activated and comes up when the device is plugged in (a "
				   "longer --timeout waits for that)");
}

static void test_activate_fails_with_the_reason(void **state)
{
	struct look l;

	l = judge(WAIT_ACTIVE,
		  status(&file_cfg, "failed", "cannot prepare /srv/data.img: Read-only file system",
			 false, false),
		  NONE, NONE);
	assert_int_equal(l.verdict, WAIT_FAILED);
	assert_string_equal(l.why, "cannot prepare /srv/data.img: Read-only file system");

	l = judge(WAIT_ACTIVE, status(&file_cfg, "inactive", NULL, false, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_FAILED);
	assert_string_equal(l.why, "it was deactivated meanwhile (basicdmctl activate data brings "
				   "it up)");

	l = judge(WAIT_ACTIVE, NULL, NONE, NONE);
	assert_int_equal(l.verdict, WAIT_FAILED);
	assert_string_equal(l.why, "no volume named gone is configured any more");
}

static void test_deactivate_done_once_the_map_and_both_nodes_are_gone(void **state)
{
	struct look l;

	l = judge(WAIT_GONE, status(&file_cfg, "inactive", NULL, false, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_DONE);

	/* the kernel removed the map, udev has not removed its links yet */
	l = judge(WAIT_GONE, status(&file_cfg, "inactive", NULL, false, false), DANGLING, NONE);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "/dev/mapper/data is still there: udev has not processed the "
				   "removal of the map (is systemd-udevd running?)");
	l = judge(WAIT_GONE, status(&file_cfg, "inactive", NULL, false, false), NONE, DANGLING);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "/dev/basicdm/data is still there: udev has not processed the "
				   "removal of the map (is systemd-udevd running?)");

	/* /dev/mapper/data of a map basicdm did not make: not the volume's to wait for */
	l = judge(WAIT_GONE, status(&file_cfg, "inactive", NULL, false, false), ON_OTHER, NONE);
	assert_int_equal(l.verdict, WAIT_DONE);
}

static void test_deactivate_of_an_open_map_is_deferred(void **state)
{
	struct look l;

	l = judge(WAIT_GONE, status(&file_cfg, "inactive", NULL, true, true), ON_MAP, ON_MAP);
	assert_int_equal(l.verdict, WAIT_DEFERRED);

	/* a map that is neither removed nor waiting for its last close */
	l = judge(WAIT_GONE, status(&file_cfg, "inactive", NULL, true, false), ON_MAP, ON_MAP);
	assert_int_equal(l.verdict, WAIT_PENDING);
	assert_string_equal(l.why, "its map is still there (dmsetup info data shows it; the "
				   "daemon's journal says why it was not removed)");
}

static void test_deactivate_fails_when_activated_again(void **state)
{
	struct look l;

	l = judge(WAIT_GONE, status(&file_cfg, "activating", NULL, true, false), ON_MAP, ON_MAP);
	assert_int_equal(l.verdict, WAIT_FAILED);
	assert_string_equal(l.why, "it was activated again meanwhile (it is activating)");
}

/* A reload's removal: no status any more, the nodes and the reload's "deferred" tell. */
static void test_removed_volume(void **state)
{
	struct volume_view v = { .name = "old", .mapper = NONE, .link = NONE };
	char why[512];

	assert_int_equal(wait_verdict(WAIT_GONE, &v), WAIT_DONE);

	/* the map was removed: udev not done with its links yet */
	v.mapper = DANGLING;
	assert_int_equal(wait_verdict(WAIT_GONE, &v), WAIT_PENDING);
	wait_explain(WAIT_GONE, &v, why, sizeof(why));
	assert_string_equal(why, "/dev/mapper/old is still there: udev has not processed the "
				 "removal of the map (is systemd-udevd running?)");
	/* a name another map took: not the volume's */
	v.mapper = ON_OTHER;
	assert_int_equal(wait_verdict(WAIT_GONE, &v), WAIT_DONE);

	/* the reload left the map open: its removal waits for the last close */
	v.removal_deferred = true;
	v.mapper = ON_MAP;
	v.link = ON_MAP;
	assert_int_equal(wait_verdict(WAIT_GONE, &v), WAIT_DEFERRED);
	/* closed meanwhile */
	v.mapper = DANGLING;
	v.link = DANGLING;
	assert_int_equal(wait_verdict(WAIT_GONE, &v), WAIT_PENDING);
	v.mapper = NONE;
	v.link = NONE;
	assert_int_equal(wait_verdict(WAIT_GONE, &v), WAIT_DONE);
}

/* A reload's addition or change: settled when no longer activating. */
static void test_reload_settles(void **state)
{
	struct look l;

	l = judge(WAIT_SETTLED, status(&file_cfg, "activating", NULL, true, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_PENDING);
	l = judge(WAIT_SETTLED, status(&file_cfg, "active", NULL, true, false), ON_MAP, NONE);
	assert_int_equal(l.verdict, WAIT_PENDING);
	l = judge(WAIT_SETTLED, status(&file_cfg, "active", NULL, true, false), ON_MAP, ON_MAP);
	assert_int_equal(l.verdict, WAIT_DONE);
	/* a disk that is not there is no reason to hold the reload */
	l = judge(WAIT_SETTLED, status(&match_cfg, "waiting", NULL, false, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_DONE);
	l = judge(WAIT_SETTLED, status(&file_cfg, "inactive", NULL, false, false), NONE, NONE);
	assert_int_equal(l.verdict, WAIT_DONE);
	l = judge(WAIT_SETTLED, status(&file_cfg, "failed", "offset 8 + 16 sectors passes the end",
				       false, false),
		  NONE, NONE);
	assert_int_equal(l.verdict, WAIT_FAILED);
	assert_string_equal(l.why, "offset 8 + 16 sectors passes the end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activate_done_once_active_and_both_links_lead_to_the_map),
		cmocka_unit_test(test_activate_waits_for_udev),
		cmocka_unit_test(test_activate_waits_for_the_disk_and_says_which),
		cmocka_unit_test(test_activate_fails_with_the_reason),
		cmocka_unit_test(test_deactivate_done_once_the_map_and_both_nodes_are_gone),
		cmocka_unit_test(test_deactivate_of_an_open_map_is_deferred),
		cmocka_unit_test(test_deactivate_fails_when_activated_again),
		cmocka_unit_test(test_removed_volume),
		cmocka_unit_test(test_reload_settles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
