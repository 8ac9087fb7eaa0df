// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdm-udev-backing's answer to udev (component-decide.c): whether the
 * device of an event is a component of a volume, mapped or only claimed,
 * from what it knows of the device; and what it takes for the claims when
 * the daemon runs, before it runs and when it is not enabled
 * (component-claims-source.c), on real files in a scratch directory.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "component-claims-source.h"
#include "component-claims.h"
#include "component-decide.h"
#include "fake-udev.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"

/* ---- the device of the event: vdb, serial ARCHIVE01 ---- */

static const struct fake_dev vdb_dev = {
	.devnode = "/dev/vdb", .devtype = "disk", .serial = "ARCHIVE01",
};
static const struct device_view vdb = FAKE_DEV_VIEW(&vdb_dev);

static struct match_property archive_serial[] = { { (char *)"ID_SERIAL", (char *)"ARCHIVE01" } };
static struct volume_config claimed_volumes[] = {
	{ .name = (char *)"other", .kind = BACKING_DEVICE, .device = (char *)"/dev/vdc" },
	{ .name = (char *)"archive", .kind = BACKING_MATCH, .match = archive_serial, .n_match = 1 },
};
static const struct config claims_archive = { claimed_volumes, 2 };
static const struct config claims_other = { claimed_volumes, 1 };

/* What the helper would find, and which questions it asked. */
static struct {
	const struct config *claims;
	bool was_marked, in_use;
	int asked_claims, asked_marked, asked_in_use;
} world;

static const struct config *get_claims(void *userdata)
{
	world.asked_claims++;
	return world.claims;
}

static bool get_was_marked(void *userdata)
{
	world.asked_marked++;
	return world.was_marked;
}

static bool get_in_use(void *userdata)
{
	world.asked_in_use++;
	return world.in_use;
}

static struct component_facts facts(void)
{
	return (struct component_facts){
		.device = &vdb, .diskseq = 18, .was_marked = get_was_marked,
		.claims = get_claims, .in_use = get_in_use,
	};
}

static int reset(void **state)
{
	memset(&world, 0, sizeof(world));
	return 0;
}

static void assert_answer(struct component_answer a, enum component_state state,
			  const char *volume)
{
	assert_int_equal(a.state, state);
	if (volume)
		assert_string_equal(a.volume, volume);
	else
		assert_null(a.volume);
}

/* ---- the answer ---- */

/* Held by a map of ours: mapped, whatever the claims say; nothing else asked. */
static void test_held_by_a_map(void **state)
{
	struct component_facts f = facts();

	f.held_by = "archive";
	world.claims = &claims_other;
	assert_answer(component_decide(&f), COMPONENT_MAPPED, "archive");
	assert_int_equal(world.asked_claims + world.asked_in_use + world.asked_marked, 0);
}

/*
 * A holder whose UUID has our prefix but not a volume's name after it was
 * not made by basicdmd: its suffix would go into BASICDM_VOLUME, a udev
 * property, as it is.  It says nothing; the marker and the claims decide.
 */
static void test_held_by_a_map_not_ours(void **state)
{
	static const char *const not_names[] = {
		"", "..", "control", "a b", "data\nBASICDM_STATE=claimed", "x/../../etc",
		"a-name-of-sixty-five-characters-is-one-more-than-a-volume-may-hav",
	};
	struct component_facts f = facts();

	for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++) {
		f.held_by = not_names[i];
		f.mark_volume = NULL;
		world.claims = &claims_other;
		assert_answer(component_decide(&f), COMPONENT_NONE, NULL);
		world.claims = &claims_archive;
		assert_answer(component_decide(&f), COMPONENT_CLAIMED, "archive");
		f.mark_volume = "data";
		assert_answer(component_decide(&f), COMPONENT_MAPPED, "data");
	}
	/* a volume's name of the longest */
	f.held_by = "a-name-of-sixty-four-characters-is-the-longest-a-volume-may-have";
	assert_answer(component_decide(&f), COMPONENT_MAPPED, f.held_by);
}

/* The daemon's marker for this disk: mapped, even in use (it is the map's). */
static void test_marked_by_the_daemon(void **state)
{
	struct component_facts f = facts();

	f.mark_volume = "archive";
	f.mark_diskseq = 18;
	world.in_use = true;
	assert_answer(component_decide(&f), COMPONENT_MAPPED, "archive");
	/* a loop device's marker before the bind, or a kernel without numbers */
	f.mark_diskseq = 0;
	assert_answer(component_decide(&f), COMPONENT_MAPPED, "archive");
	f.mark_diskseq = 18;
	f.diskseq = 0;
	assert_answer(component_decide(&f), COMPONENT_MAPPED, "archive");
	assert_int_equal(world.asked_claims + world.asked_in_use, 0);
}

/* A marker written for another disk that had the same number says nothing. */
static void test_stale_marker(void **state)
{
	struct component_facts f = facts();

	f.mark_volume = "archive";
	f.mark_diskseq = 11;
	assert_answer(component_decide(&f), COMPONENT_NONE, NULL);
	world.claims = &claims_archive;
	assert_answer(component_decide(&f), COMPONENT_CLAIMED, "archive");
}

/* Not mapped yet but claimed: marked at its first event. */
static void test_claimed(void **state)
{
	struct component_facts f = facts();

	world.claims = &claims_archive;
	assert_answer(component_decide(&f), COMPONENT_CLAIMED, "archive");
	assert_int_equal(world.asked_in_use, 1);
	world.claims = &claims_other;
	assert_answer(component_decide(&f), COMPONENT_NONE, NULL);
	world.claims = NULL;
	assert_answer(component_decide(&f), COMPONENT_NONE, NULL);
	/* nothing claims it: whether it is in use does not matter */
	assert_int_equal(world.asked_in_use, 1);
}

/*
 * Claimed, but someone else has it open (mounted, say) and it was not
 * marked before: it must not turn not-ready under systemd, which would
 * unmount it.  Once marked, it stays marked.
 */
static void test_in_use_is_refused(void **state)
{
	struct component_facts f = facts();

	world.claims = &claims_archive;
	world.in_use = true;
	assert_answer(component_decide(&f), COMPONENT_NONE, NULL);
	world.was_marked = true;
	assert_answer(component_decide(&f), COMPONENT_CLAIMED, "archive");
}

static void test_state_names(void **state)
{
	assert_string_equal(component_state_to_string(COMPONENT_MAPPED), "mapped");
	assert_string_equal(component_state_to_string(COMPONENT_CLAIMED), "claimed");
	assert_null(component_state_to_string(COMPONENT_NONE));
}

/* ---- where the claims come from ---- */

static char tmp[] = "/tmp/test-udev-backing-XXXXXX";

static void test_unit_enabled(void **state)
{
	char etc[128], lib[128], wants[256], link[512];
	const char *const dirs[] = { etc, lib, NULL };

	snprintf(etc, sizeof(etc), "%s/etc", tmp);
	snprintf(lib, sizeof(lib), "%s/lib", tmp);
	assert_int_equal(mkdir(etc, 0755), 0);
	assert_int_equal(mkdir(lib, 0755), 0);
	assert_false(unit_enabled(dirs, "basicdm.service"));

	/* systemctl enable: WantedBy=sysinit.target */
	snprintf(wants, sizeof(wants), "%s/sysinit.target.wants", etc);
	assert_int_equal(mkdir(wants, 0755), 0);
	snprintf(link, sizeof(link), "%s/basicdm.service", wants);
	assert_int_equal(symlink("/usr/lib/systemd/system/basicdm.service", link), 0);
	assert_true(unit_enabled(dirs, "basicdm.service"));
	assert_false(unit_enabled(dirs, "other.service"));

	/* systemctl mask wins */
	snprintf(link, sizeof(link), "%s/basicdm.service", etc);
	assert_int_equal(symlink("/dev/null", link), 0);
	assert_false(unit_enabled(dirs, "basicdm.service"));
	unlink(link);

	/* a vendor's Requires= link counts too */
	snprintf(link, sizeof(link), "%s/sysinit.target.wants/basicdm.service", etc);
	unlink(link);
	snprintf(wants, sizeof(wants), "%s/local-fs.target.requires", lib);
	assert_int_equal(mkdir(wants, 0755), 0);
	snprintf(link, sizeof(link), "%s/basicdm.service", wants);
	assert_int_equal(symlink("../basicdm.service", link), 0);
	assert_true(unit_enabled(dirs, "basicdm.service"));
}

static void test_claims_source(void **state)
{
	char run[128], claims[256], conf[256];
	struct config *c;

	snprintf(run, sizeof(run), "%s/run", tmp);
	snprintf(claims, sizeof(claims), "%s/" COMPONENT_CLAIMS_FILE_NAME, run);
	snprintf(conf, sizeof(conf), "%s/basicdm.conf", tmp);
	assert_int_equal(mkdir(run, 0755), 0);
	assert_int_equal(write_text(conf, "volumes = ( { name = \"archive\"; "
					  "match = { ID_SERIAL = \"ARCHIVE01\"; }; } );\n", 0644), 0);

	/* nothing runs, nothing is enabled: nothing is claimed */
	assert_null(component_claims_source_load(run, conf, false));

	/* enabled, not started yet (at boot): the configuration */
	if (geteuid() == 0) {	/* only root's configuration is trusted */
		c = component_claims_source_load(run, conf, true);
		assert_non_null(c);
		assert_int_equal(c->n_volumes, 1);
		assert_string_equal(c->volumes[0].name, "archive");
		config_free(c);
	}

	/* the daemon's claims, whatever the configuration and the unit say */
	assert_int_equal(write_text(claims, "device raw /dev/vdc\n", 0644), 0);
	c = component_claims_source_load(run, conf, false);
	assert_non_null(c);
	assert_int_equal(c->n_volumes, 1);
	assert_string_equal(c->volumes[0].name, "raw");
	config_free(c);

	/* a broken configuration claims nothing */
	unlink(claims);
	assert_int_equal(write_text(conf, "volumes = ( { name = ", 0644), 0);
	assert_null(component_claims_source_load(run, conf, true));
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(remove_tree(tmp), 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_held_by_a_map, reset),
		cmocka_unit_test_setup(test_held_by_a_map_not_ours, reset),
		cmocka_unit_test_setup(test_marked_by_the_daemon, reset),
		cmocka_unit_test_setup(test_stale_marker, reset),
		cmocka_unit_test_setup(test_claimed, reset),
		cmocka_unit_test_setup(test_in_use_is_refused, reset),
		cmocka_unit_test_setup(test_state_names, reset),
		cmocka_unit_test(test_unit_enabled),
		cmocka_unit_test(test_claims_source),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
