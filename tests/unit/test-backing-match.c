// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which block device backs which volume (backing-match.c): the one matcher
 * basicdmd and basicdm-udev-backing share, on devices described by their
 * udev properties and sysfs attributes, as udev shows them.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "backing-match.h"
#include "fake-udev.h"
#include "test-files.h"
#include "util.h"

/* V backed by a device of PROPERTIES ("KEY=VALUE", NULL-terminated) and BACKING_FILE? */
static bool backs(const struct volume_config *v, const char *const *properties,
		  const char *backing_file)
{
	struct fake_dev f = { .properties = properties, .backing_file = backing_file };
	struct device_view view = FAKE_DEV_VIEW(&f);

	return volume_backed_by(v, &view);
}

/* 252:16 is not a device on any machine these tests run on. */
#define DISK_VDB "DEVNAME=/dev/vdb", "MAJOR=252", "MINOR=16", "DEVTYPE=disk"

static void test_device_by_node_or_link(void **state)
{
	struct volume_config by_node = { .name = "a", .kind = BACKING_DEVICE, .device = "/dev/vdb" };
	struct volume_config by_link = { .name = "a", .kind = BACKING_DEVICE,
					 .device = "/dev/disk/by-id/virtio-RAW01" };
	struct volume_config by_prefix = { .name = "a", .kind = BACKING_DEVICE,
					   .device = "/dev/disk/by-id/virtio-RAW" };
	const char *const vdb[] = {
		DISK_VDB,
		"DEVLINKS=/dev/disk/by-path/pci-0000:00:05.0 /dev/disk/by-id/virtio-RAW01 "
		"/dev/disk/by-uuid/0b2c",
		NULL,
	};
	const char *const other[] = { "DEVNAME=/dev/vdc", "MAJOR=252", "MINOR=32",
				      "DEVTYPE=disk", "DEVLINKS=/dev/disk/by-id/virtio-RAW02", NULL };

	assert_true(backs(&by_node, vdb, NULL));
	assert_true(backs(&by_link, vdb, NULL));
	/* a link is one word of DEVLINKS, not a part of one */
	assert_false(backs(&by_prefix, vdb, NULL));
	assert_false(backs(&by_node, other, NULL));
	assert_false(backs(&by_link, other, NULL));
}

/* A path udev does not manage names the block device it resolves to. */
static void test_device_by_administrators_link(void **state)
{
	char dir[] = "/tmp/test-match-XXXXXX", node[PATH_MAX], link[PATH_MAX];
	struct volume_config v = { .name = "a", .kind = BACKING_DEVICE, .device = link };
	const char *const vdb[] = { DISK_VDB, NULL };
	const char *const vdc[] = { "DEVNAME=/dev/vdc", "MAJOR=252", "MINOR=32", NULL };
	const char *const no_numbers[] = { "DEVNAME=/dev/vdb", NULL };

	assert_non_null(mkdtemp(dir));
	snprintf(node, sizeof(node), "%s/node", dir);
	snprintf(link, sizeof(link), "%s/backup-disk", dir);
	if (mknod(node, S_IFBLK | 0600, makedev(252, 16)) < 0) {
		rmdir(dir);
		skip();	/* no CAP_MKNOD */
	}
	assert_int_equal(symlink(node, link), 0);
	assert_true(backs(&v, vdb, NULL));
	assert_false(backs(&v, vdc, NULL));
	assert_false(backs(&v, no_numbers, NULL));
	unlink(link);
	/* a node that is not a block device names nothing */
	unlink(node);
	assert_int_equal(mknod(node, S_IFCHR | 0600, makedev(252, 16)), 0);
	assert_int_equal(symlink(node, link), 0);
	assert_false(backs(&v, vdb, NULL));
	unlink(link);
	unlink(node);
	rmdir(dir);
}

static void test_match_all_properties_of_the_kind(void **state)
{
	struct match_property serial[] = { { (char *)"ID_SERIAL", (char *)"ARCHIVE01" } };
	struct match_property two[] = { { (char *)"ID_SERIAL", (char *)"ARCHIVE01" },
					{ (char *)"ID_VENDOR", (char *)"QEMU" } };
	struct match_property part[] = { { (char *)"ID_PART_ENTRY_NAME", (char *)"backup" } };
	struct volume_config by_serial = { .name = "a", .kind = BACKING_MATCH, .match = serial,
					   .n_match = 1 };
	struct volume_config by_two = { .name = "a", .kind = BACKING_MATCH, .match = two,
					.n_match = 2 };
	struct volume_config by_part = { .name = "a", .kind = BACKING_MATCH, .match = part,
					 .n_match = 1 };
	const char *const disk[] = { DISK_VDB, "ID_SERIAL=ARCHIVE01", NULL };
	/* a partition inherits its disk's serial */
	const char *const partition[] = { "DEVNAME=/dev/vdb1", "DEVTYPE=partition",
					  "ID_SERIAL=ARCHIVE01", "ID_PART_ENTRY_NAME=backup", NULL };

	assert_true(backs(&by_serial, disk, NULL));
	assert_false(backs(&by_serial, partition, NULL));
	assert_false(backs(&by_two, disk, NULL));
	assert_true(backs(&by_part, partition, NULL));
	assert_false(backs(&by_part, disk, NULL));
}

/* The ID_FS_* of a marked component are hidden; the kept copies match. */
static void test_match_on_hidden_fs_values(void **state)
{
	struct match_property uuid[] = { { (char *)"ID_FS_UUID", (char *)"0b2c" } };
	struct volume_config v = { .name = "a", .kind = BACKING_MATCH, .match = uuid, .n_match = 1 };
	const char *const unmarked[] = { DISK_VDB, "ID_FS_UUID=0b2c", NULL };
	const char *const marked[] = { DISK_VDB, "BASICDM_BACKING=1", "ID_FS_TYPE=basicdm_member",
				       "BASICDM_BACKING_FS_UUID=0b2c", NULL };
	const char *const marked_other[] = { DISK_VDB, "BASICDM_BACKING=1",
					     "BASICDM_BACKING_FS_UUID=ffff", NULL };
	/* the copies say nothing about a device that is no component */
	const char *const stale_copy[] = { DISK_VDB, "BASICDM_BACKING_FS_UUID=0b2c", NULL };

	assert_true(backs(&v, unmarked, NULL));
	assert_true(backs(&v, marked, NULL));
	assert_false(backs(&v, marked_other, NULL));
	assert_false(backs(&v, stale_copy, NULL));
}

static void test_maps_of_ours_back_nothing(void **state)
{
	struct volume_config v = { .name = "a", .kind = BACKING_DEVICE, .device = "/dev/dm-0" };
	const char *const ours[] = { "DEVNAME=/dev/dm-0", "DEVTYPE=disk", "DM_UUID=BASICDM-x",
				     NULL };
	const char *const lv[] = { "DEVNAME=/dev/dm-0", "DEVTYPE=disk", "DM_UUID=LVM-abc", NULL };

	assert_false(backs(&v, ours, NULL));
	assert_true(backs(&v, lv, NULL));
}

/* A file volume's loop device: bound to that file, its links resolved. */
static void test_file_by_loop_backing(void **state)
{
	char dir[] = "/tmp/test-match-XXXXXX", file[PATH_MAX], alias[PATH_MAX];
	struct volume_config v = { .name = "a", .kind = BACKING_FILE, .file = alias };
	struct volume_config missing = { .name = "b", .kind = BACKING_FILE,
					 .file = (char *)"/nonexistent/x.img" };
	const char *const loop[] = { "DEVNAME=/dev/loop3", "DEVTYPE=disk", NULL };
	_cleanup_(freep) char *real = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/x.img", dir);
	snprintf(alias, sizeof(alias), "%s/alias.img", dir);
	assert_int_equal(write_text(file, "", 0644), 0);
	assert_int_equal(symlink(file, alias), 0);
	real = realpath(file, NULL);
	assert_non_null(real);

	assert_true(backs(&v, loop, real));
	assert_false(backs(&v, loop, "/var/lib/basicdm/other.img"));
	/* the kernel's name of a file deleted since */
	assert_false(backs(&v, loop, "/tmp/x.img (deleted)"));
	assert_false(backs(&v, loop, NULL));
	assert_false(backs(&missing, loop, "/nonexistent/x.img"));
	unlink(alias);
	unlink(file);
	rmdir(dir);
}

static void test_first_volume_in_order(void **state)
{
	struct match_property serial[] = { { (char *)"ID_SERIAL", (char *)"ARCHIVE01" } };
	struct volume_config volumes[] = {
		{ .name = (char *)"raw", .kind = BACKING_DEVICE, .device = (char *)"/dev/vdc" },
		{ .name = (char *)"first", .kind = BACKING_MATCH, .match = serial, .n_match = 1 },
		{ .name = (char *)"second", .kind = BACKING_DEVICE, .device = (char *)"/dev/vdb",
		  .offset = 4096 },
	};
	struct config c = { volumes, 3 };
	const char *const disk[] = { DISK_VDB, "ID_SERIAL=ARCHIVE01", NULL };
	const char *const none[] = { "DEVNAME=/dev/vdd", "DEVTYPE=disk", NULL };
	struct fake_dev f = { .properties = disk }, g = { .properties = none };
	struct device_view view = FAKE_DEV_VIEW(&f);
	struct device_view nothing = FAKE_DEV_VIEW(&g);

	assert_ptr_equal(config_backed_by(&c, &view), &volumes[1]);
	assert_null(config_backed_by(&c, &nothing));
	assert_null(config_backed_by(NULL, &view));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_by_node_or_link),
		cmocka_unit_test(test_device_by_administrators_link),
		cmocka_unit_test(test_match_all_properties_of_the_kind),
		cmocka_unit_test(test_match_on_hidden_fs_values),
		cmocka_unit_test(test_maps_of_ours_back_nothing),
		cmocka_unit_test(test_file_by_loop_backing),
		cmocka_unit_test(test_first_volume_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
