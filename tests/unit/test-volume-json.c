// SPDX-License-Identifier: GPL-2.0-only
/*
 * The status JSON on the daemon's side: one volume's object, key for key,
 * as basicdmctl(8) documents it, for each kind of backing and state, and
 * a status reply of many volumes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "control-protocol.h"
#include "reply-wire.h"
#include "volume-json.h"

static void test_timestamp(void **state)
{
	char buf[32];

	assert_int_equal(format_timestamp_utc(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(format_timestamp_utc(1714564801123456ULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2024-05-01T12:00:01Z");
	assert_int_equal(format_timestamp_utc(1714564801123456ULL, buf, 10), -ENOBUFS);
}

static struct volume_config file_cfg = {
	.name = "scratch", .kind = BACKING_FILE, .file = "/var/lib/basicdm/scratch.img",
	.offset = 2048, .trace = false,
};

static void test_status_of_an_active_file_volume(void **state)
{
	struct map_info map = {
		.name = "scratch", .uuid = "BASICDM-scratch", .devnum = makedev(253, 0),
		.open_count = 1, .table_is_ours = true,
		.table = { .sectors = 129024, .backing = makedev(7, 0), .offset = 2048 },
	};
	struct basic_target_counters counters = {
		.reads = 1, .read_sectors = 2, .writes = 3, .write_sectors = 4, .flushes = 5,
		.discards = 6, .discard_sectors = 7, .write_zeroes = 8, .write_zeroes_sectors = 9,
		.secure_erases = 10, .trace = true,
	};
	struct volume_status s = {
		.cfg = &file_cfg, .state = "active", .since_usec = 1714564801123456ULL,
		.backing = makedev(7, 0), .backing_node = "/dev/loop0", .map = &map,
		.counters = &counters,
	};

	assert_wire(volume_status_to_json(&s),
		    "{\"name\":\"scratch\",\"state\":\"active\",\"since\":\"2024-05-01T12:00:01Z\","
		    "\"since_usec\":1714564801123456,\"reason\":null,"
		    "\"backing\":{\"kind\":\"file\",\"file\":\"/var/lib/basicdm/scratch.img\","
		    "\"path\":null,\"match\":null,\"device\":\"/dev/loop0\","
		    "\"loop_device\":\"/dev/loop0\",\"devnum\":\"7:0\"},"
		    "\"offset_sectors\":2048,\"size_sectors\":129024,\"read_only\":false,"
		    "\"trace\":true,"
		    "\"dm\":{\"name\":\"scratch\",\"uuid\":\"BASICDM-scratch\",\"devnum\":\"253:0\","
		    "\"device\":\"/dev/mapper/scratch\",\"open_count\":1,\"read_only\":false,"
		    "\"suspended\":false,\"deferred_remove\":false},"
		    "\"counters\":{\"reads\":1,\"read_sectors\":2,\"writes\":3,\"write_sectors\":4,"
		    "\"flushes\":5,\"discards\":6,\"discard_sectors\":7,\"write_zeroes\":8,"
		    "\"write_zeroes_sectors\":9,\"secure_erases\":10}}\n");
}

static void test_status_of_a_waiting_match_volume(void **state)
{
	struct match_property match[] = { { "ID_SERIAL", "ARCHIVE01" }, { "ID_TYPE", "disk" } };
	struct volume_config cfg = {
		.name = "archive", .kind = BACKING_MATCH, .match = match, .n_match = 2,
		.read_only = true, .trace = true,
	};
	struct volume_status s = {
		.cfg = &cfg, .state = "waiting", .since_usec = 0,
	};

	/* no map: nulls, and trace as configured */
	assert_wire(volume_status_to_json(&s),
		    "{\"name\":\"archive\",\"state\":\"waiting\",\"since\":\"1970-01-01T00:00:00Z\","
		    "\"since_usec\":0,\"reason\":null,"
		    "\"backing\":{\"kind\":\"match\",\"file\":null,\"path\":null,"
		    "\"match\":{\"ID_SERIAL\":\"ARCHIVE01\",\"ID_TYPE\":\"disk\"},"
		    "\"device\":null,\"loop_device\":null,\"devnum\":null},"
		    "\"offset_sectors\":0,\"size_sectors\":null,\"read_only\":true,\"trace\":true,"
		    "\"dm\":null,\"counters\":null}\n");
}

static void test_status_of_a_failed_device_volume(void **state)
{
	struct volume_config cfg = {
		.name = "raw", .kind = BACKING_DEVICE, .device = "/dev/disk/by-id/virtio-RAW01",
	};
	struct map_info map = {
		.name = "raw", .uuid = "BASICDM-raw", .devnum = makedev(253, 3),
		.deferred_remove = true, .suspended = true, .read_only = true,
		.table_is_ours = false,
	};
	struct volume_status s = {
		.cfg = &cfg, .state = "failed", .since_usec = 1000000,
		.reason = "offset 8 + 16 sectors passes the end of /dev/vdb (8 sectors)",
		.backing = makedev(254, 16), .backing_node = "/dev/vdb", .map = &map,
	};
	char *text = wire(volume_status_to_json(&s));

	assert_non_null(strstr(text, "\"reason\":\"offset 8 + 16 sectors passes the end of /dev/vdb (8 sectors)\""));
	assert_non_null(strstr(text, "\"backing\":{\"kind\":\"device\",\"file\":null,"
				     "\"path\":\"/dev/disk/by-id/virtio-RAW01\",\"match\":null,"
				     "\"device\":\"/dev/vdb\",\"loop_device\":null,\"devnum\":\"254:16\"}"));
	/* a table that is not one basic_target line has no size of ours */
	assert_non_null(strstr(text, "\"size_sectors\":null"));
	assert_non_null(strstr(text, "\"read_only\":true,\"suspended\":true,\"deferred_remove\":true}"));
	assert_non_null(strstr(text, "\"counters\":null"));
	free(text);
}

static void test_status_reply_of_many_volumes(void **state)
{
	struct json_object *reply = control_reply_new(), *list = json_object_new_array();
	struct volume_status s = { .cfg = &file_cfg, .state = "waiting" };
	char *text;

	assert_int_equal(json_add(reply, "volumes", list), 0);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(json_object_array_add(list, volume_status_to_json(&s)), 0);
	text = wire(reply);
	assert_true(strncmp(text, "{\"ok\":true,\"volumes\":[{\"name\":\"scratch\"", 38) == 0);
	free(text);
	/* a failed add (NULL object) frees the value and says so */
	assert_int_equal(json_add(NULL, "x", json_object_new_int(1)), -ENOMEM);
	reply = json_object_new_object();
	assert_int_equal(json_add(reply, "x", NULL), -ENOMEM);
	json_object_put(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_status_of_an_active_file_volume),
		cmocka_unit_test(test_status_of_a_waiting_match_volume),
		cmocka_unit_test(test_status_of_a_failed_device_volume),
		cmocka_unit_test(test_status_reply_of_many_volumes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
