// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who holds a map open, as basicdmctl says it when a removal is deferred:
 * the mount points read from a mountinfo, the devices stacked on the map
 * read from a sysfs tree (made here in a temporary directory), and the
 * sentence built from them.
 */
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

#include "basicdmctl-holders.h"
#include "scratch-dir.h"
#include "test-files.h"

static const char mountinfo[] =
	"22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
	"31 22 253:4 / /mnt rw,relatime shared:12 - ext4 /dev/mapper/data rw\n"
	"32 22 253:40 / /srv/other rw,relatime shared:13 - ext4 /dev/mapper/other rw\n"
	"33 22 253:4 /photos /srv/my\\040photos\\134raw rw shared:14 - ext4 /dev/mapper/data rw\n"
	"34 22 0:4 / /proc rw - proc proc rw\n"
	"truncated line 253:4\n"
	/* none of these is 253:4's: a sign, a tail, a number past 32 bits, a field missing */
	"36 22 +253:4 / /plus - ext4 /dev/mapper/data rw\n"
	"37 22 253:4x / /tail - ext4 /dev/mapper/data rw\n"
	"38 22 4294967549:4 / /wrapped - ext4 /dev/mapper/data rw\n"
	"39 22  253:4 / /shifted - ext4 /dev/mapper/data rw\n"
	"40 22 253:4 /  - ext4 /dev/mapper/data rw\n"
	"35 22 253:4 / /last - ext4 /dev/mapper/data rw";

static void test_mount_points_of_the_map(void **state)
{
	char **mounts = NULL;
	size_t n = 0;

	assert_int_equal(mountinfo_mount_points(mountinfo, makedev(253, 4), &mounts, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(mounts[0], "/mnt");
	/* the kernel's octal escapes, decoded: a space and a backslash */
	assert_string_equal(mounts[1], "/srv/my photos\\raw");
	assert_string_equal(mounts[2], "/last");
	for (size_t i = 0; i < n; i++)
		free(mounts[i]);
	free(mounts);

	assert_int_equal(mountinfo_mount_points(mountinfo, makedev(253, 5), &mounts, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mountinfo_mount_points(NULL, makedev(253, 4), &mounts, &n), 0);
	assert_int_equal(n, 0);
}

static char sysfs[64];

static void make(const char *fmt, const char *content)
{
	char path[256], *slash;

	snprintf(path, sizeof(path), "%s/%s", sysfs, fmt);
	for (slash = strchr(path + strlen(sysfs) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	if (content)
		assert_int_equal(write_text(path, content, 0644), 0);
	else
		mkdir(path, 0755);
}

static void test_devices_stacked_on_the_map(void **state)
{
	char **devices = NULL;
	size_t n = 0;

	snprintf(sysfs, sizeof(sysfs), "/tmp/test-holders-XXXXXX");
	assert_non_null(mkdtemp(sysfs));
	/* dm-7 is a dm-crypt map, md0 an array: the names users know them by */
	make("dev/block/253:4/holders/md0", NULL);
	make("dev/block/253:4/holders/dm-7", NULL);
	make("block/dm-7/dm/name", "crypt\n");
	make("block/md0/size", "100\n");
	make("dev/block/253:5/holders", NULL);

	assert_int_equal(sysfs_holders(sysfs, makedev(253, 4), &devices, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(devices[0], "/dev/mapper/crypt");
	assert_string_equal(devices[1], "/dev/md0");
	for (size_t i = 0; i < n; i++)
		free(devices[i]);
	free(devices);

	assert_int_equal(sysfs_holders(sysfs, makedev(253, 5), &devices, &n), 0);
	assert_int_equal(n, 0);
	/* a map gone meanwhile has no holders */
	assert_int_equal(sysfs_holders(sysfs, makedev(253, 6), &devices, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(remove_tree(sysfs), 0);
}

static void describe(const struct map_holders *h, const char *expected)
{
	char *s = map_holders_describe(h, "/dev/mapper/data");

	assert_non_null(s);
	assert_string_equal(s, expected);
	free(s);
}

static void test_the_sentence(void **state)
{
	char *mounts[] = { "/mnt", "/srv/x" }, *devices[] = { "/dev/mapper/crypt" };

	describe(&(struct map_holders){ .mounts = mounts, .n_mounts = 1, .open_count = 1 },
		 "mounted on /mnt");
	describe(&(struct map_holders){ .mounts = mounts, .n_mounts = 2, .open_count = 2 },
		 "mounted on /mnt, /srv/x");
	describe(&(struct map_holders){ .devices = devices, .n_devices = 1, .open_count = 1 },
		 "held by /dev/mapper/crypt");
	describe(&(struct map_holders){ .mounts = mounts, .n_mounts = 1, .devices = devices,
					.n_devices = 1, .open_count = 2 },
		 "mounted on /mnt and held by /dev/mapper/crypt");
	describe(&(struct map_holders){ .open_count = 1 },
		 "open 1 time: fuser -v /dev/mapper/data names the process");
	describe(&(struct map_holders){ .open_count = 3 },
		 "open 3 times: fuser -v /dev/mapper/data names the process");
	describe(&(struct map_holders){ .open_count = -1 },
		 "open: fuser -v /dev/mapper/data names the process");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_points_of_the_map),
		cmocka_unit_test(test_devices_stacked_on_the_map),
		cmocka_unit_test(test_the_sentence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
