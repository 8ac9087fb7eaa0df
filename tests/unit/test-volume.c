// SPDX-License-Identifier: GPL-2.0-only
/*
 * The volume state machine against a fake kernel: libdevmapper (through
 * map.c), loop devices, sysfs sizes and libudev (fake-udev.h) are replaced by
 * --wrap.  What
 * the volume decides on each thing that happens to it (start, a new
 * definition, a device present or gone, a request) and the one journal
 * event each step writes.
 */
// wrap: map_get_info map_create map_reload map_remove map_mark_backing_gone blockdev_get_sectors blockdev_get_read_only loop_prepare_file loop_follow_file loop_attach udev_device_new_from_devnum udev_device_get_is_initialized udev_device_get_devnum udev_device_get_devnode udev_device_get_property_value udev_device_unref block_device_has_path log_volume_event backing_check_volume
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <cmocka.h>

#include "backing-check.h"
#include "fake-udev.h"
#include "map-stats.h"
#include "map.h"
#include "volume.h"

/* ---- the fake kernel ---- */

static struct {
	bool exists;
	struct basic_target_table spec;
	dev_t devnum;
	int creates, reloads, removes, marked_gone;
	bool last_remove_deferred;
	bool open; /* held open: a deferred removal waits for the last close */
	bool deferred; /* its removal waits for the last close */
	bool foreign; /* made by someone else, under the volume's name */
	int create_error;
} fake_map;

/* the map's dm-stats region: what the volume last asked for */
static struct {
	int syncs;
	struct latency_bounds bounds;
	uint64_t sectors;
	int error;
} fake_stats;

int __wrap_map_stats_sync(const char *name, const struct latency_bounds *bounds, uint64_t sectors)
{
	fake_stats.syncs++;
	fake_stats.bounds = *bounds;
	fake_stats.sectors = sectors;
	return fake_stats.error;
}

static uint64_t fake_backing_sectors;
static char events[16][64];
static int n_events;

int __wrap_map_get_info(const char *name, struct map_info *ret)
{
	if (!fake_map.exists)
		return -ENODEV;
	*ret = (struct map_info){ .devnum = fake_map.devnum, .table = fake_map.spec,
				     .table_is_ours = true, .read_only = fake_map.spec.read_only,
				     .deferred_remove = fake_map.deferred,
				     .uuid = strdup(fake_map.foreign ? "CRYPT-LUKS2-x" : "BASICDM-data") };
	return 0;
}

int __wrap_map_create(const char *name, const struct basic_target_table *t)
{
	fake_map.creates++;
	if (fake_map.create_error)
		return fake_map.create_error;
	fake_map.exists = true;
	fake_map.spec = *t;
	fake_map.devnum = makedev(253, 0);
	return 0;
}

int __wrap_map_reload(const char *name, const struct basic_target_table *t)
{
	fake_map.reloads++;
	fake_map.spec = *t;
	return 0;
}

int __wrap_map_remove(const char *name, bool deferred)
{
	fake_map.removes++;
	fake_map.last_remove_deferred = deferred;
	if (fake_map.open && deferred)
		fake_map.deferred = true;
	else
		fake_map.exists = false;
	return 0;
}

int __wrap_map_mark_backing_gone(const char *name)
{
	assert_true(fake_map.exists && fake_map.deferred);
	fake_map.marked_gone++;
	return 0;
}

int __wrap_blockdev_get_sectors(dev_t dev, uint64_t *ret)
{
	*ret = fake_backing_sectors;
	return 0;
}

/* A write-protected medium: the backing device is read-only to the kernel. */
static bool fake_backing_read_only;

int __wrap_blockdev_get_read_only(dev_t dev, bool *ret)
{
	*ret = fake_backing_read_only;
	return 0;
}

/* What backing_check_volume() says of the file: NULL, it can be used. */
static const char *unusable_reason;
static int n_prepares;

int __wrap_backing_check_volume(const struct volume_config *v, const struct backing_view *view,
				char **reason)
{
	/* the daemon judges from inside its sandbox */
	assert_true(view->in_service);
	*reason = unusable_reason ? strdup(unusable_reason) : NULL;
	return 0;
}

static int n_follow_file;

int __wrap_loop_prepare_file(const char *path, uint64_t size, bool grow)
{
	n_prepares++;
	return 0;
}

int __wrap_loop_follow_file(dev_t loop, const char *file)
{
	n_follow_file++;
	return 0;
}

/* The loop device loop_attach() finds bound to a file (0: loop3, bound afresh). */
static dev_t fake_bound_loop;

int __wrap_loop_attach(struct loop_index *idx, const char *path, bool read_only,
		       const struct loop_bind_hook *hook, dev_t *devnum, int *fd, bool *reused)
{
	*devnum = fake_bound_loop ? fake_bound_loop : makedev(7, 3);
	*fd = -1;
	*reused = fake_bound_loop != 0;
	return 0;
}

/* The level and text of the last event: what the administrator reads. */
static int last_event_level;
static char last_event_message[256];

void __wrap_log_volume_event(int level, const char *volume, const char *event, const char *backing,
			     const char *fmt, ...)
{
	va_list ap;

	if (n_events < 16)
		snprintf(events[n_events++], sizeof(events[0]), "%s:%s", volume, event);
	last_event_level = level;
	va_start(ap, fmt);
	vsnprintf(last_event_message, sizeof(last_event_message), fmt, ap);
	va_end(ap);
}

/* What udev's database holds: the one device udev_device_new_from_devnum() finds. */
static struct fake_dev *udev_db_entry;

static struct fake_dev *find_in_udev_db(dev_t devnum)
{
	if (!udev_db_entry || udev_db_entry->devnum != devnum)
		return NULL;
	return udev_db_entry;
}

/* ---- fixtures ---- */

static struct volume_config file_cfg = {
	.name = "data", .kind = BACKING_FILE, .file = "/var/lib/basicdm/data.img", .offset = 2048,
};
static struct volume_config disk_cfg = {
	.name = "data", .kind = BACKING_DEVICE, .device = "/dev/vdb",
};
/* a disk for it (devnum set in reset) */
static struct fake_dev disk = { .devnode = "/dev/vdb", .devtype = "disk", .link = "/dev/vdb" };
#define DEV(x) UDEV_DEVICE(&(x))

static void assert_events(const char *const *expected, int n)
{
	assert_int_equal(n_events, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(events[i], expected[i]);
}

/* the map as udev shows it once processed (devnum set in reset) */
static struct fake_dev map_dev_ready = {
	.link = "/dev/mapper/data", .dm_uuid = "BASICDM-data", .dm_suspended = "0",
};

static int reset(void **state)
{
	memset(&fake_map, 0, sizeof(fake_map));
	memset(&fake_stats, 0, sizeof(fake_stats));
	fake_backing_sectors = 65536;
	fake_backing_read_only = false;
	unusable_reason = NULL;
	n_prepares = 0;
	n_follow_file = 0;
	fake_bound_loop = 0;
	udev_db_entry = NULL;
	fake_udev_find = find_in_udev_db;
	n_events = 0;
	map_dev_ready.devnum = makedev(253, 0);
	disk.devnum = makedev(254, 16);
	return 0;
}

/* ---- tests ---- */

static void test_file_volume_comes_up(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(fake_map.creates, 1);
	assert_int_equal(fake_map.spec.backing, makedev(7, 3));
	assert_int_equal(fake_map.spec.offset, 2048);
	assert_int_equal(fake_map.spec.sectors, 65536 - 2048);
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_string_equal(v->backing_desc, "/dev/loop3 (/var/lib/basicdm/data.img)");

	/* udev processed the map: active */
	assert_true(volume_device_present(v, NULL, DEV(map_dev_ready)));
	assert_int_equal(v->state, VOLUME_ACTIVE);
	assert_events((const char *[]){ "data:attached", "data:active" }, 2);
	volume_free(v);
}

/* A file the sandbox or its file system forbids: failed with the fix, nothing touched. */
static void test_unusable_file_fails_before_anything(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	unusable_reason = "basicdm.service may not write in /srv/new: ...";
	assert_true(volume_start(v, NULL, NULL, false) < 0);
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_string_equal(v->reason, unusable_reason);
	assert_int_equal(n_prepares, 0);
	assert_int_equal(fake_map.creates, 0);
	assert_events((const char *[]){ "data:failed" }, 1);
	volume_free(v);
}

/*
 * A loop device found bound to the file is shared with another volume only
 * when that volume names the file alike: under another path (a hard link,
 * a symbolic link among the directories) it is refused, naming both.
 */
static void test_loop_device_of_another_path_is_refused(void **state)
{
	struct volume_config first_cfg = file_cfg, same_cfg = file_cfg, other_cfg = file_cfg;
	struct volume *first, *same, *other;

	first_cfg.name = "first";
	same_cfg.name = "same";
	same_cfg.offset = 4096;
	other_cfg.name = "other";
	other_cfg.file = "/srv/link/data.img";
	first = volume_new(&first_cfg);
	assert_int_equal(volume_start(first, NULL, NULL, false), 0);
	assert_int_equal(first->backing, makedev(7, 3));

	fake_bound_loop = makedev(7, 3);
	other = volume_new(&other_cfg);
	assert_int_equal(volume_start(other, NULL, NULL, false), -EBUSY);
	assert_int_equal(other->state, VOLUME_FAILED);
	assert_string_equal(other->reason,
			    "/srv/link/data.img is the file of volume 'first' (/dev/loop3), which "
			    "names it /var/lib/basicdm/data.img; refusing to map one file for two "
			    "volumes under different paths: name it /var/lib/basicdm/data.img here "
			    "too, or give 'other' a file of its own");
	assert_int_equal(fake_map.creates, 1);

	/* the same path: the validator keeps their sectors apart (each its own map) */
	fake_map.exists = false;
	same = volume_new(&same_cfg);
	assert_int_equal(volume_start(same, NULL, NULL, false), 0);
	assert_int_equal(same->backing, makedev(7, 3));
	assert_int_equal(fake_map.creates, 2);

	/* once the first and the one sharing it are gone, the loop device is nobody else's */
	volume_free(first);
	volume_free(same);
	fake_map.exists = false;
	assert_int_equal(volume_reconfigure(other, &other_cfg, false, NULL, NULL), 0);
	assert_int_equal(other->state, VOLUME_ACTIVATING);
	volume_free(other);
}

/*
 * A write-protected disk is mapped read-only although the volume does not
 * say read_only, and the journal says why; a read_only volume on a
 * writable disk stays read-only.
 */
static void test_write_protected_disk_maps_read_only(void **state)
{
	struct volume *v = volume_new(&disk_cfg);
	struct volume_config ro_cfg = disk_cfg;

	fake_backing_read_only = true;
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.creates, 1);
	assert_true(fake_map.spec.read_only);
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_events((const char *[]){ "data:attached" }, 1);
	assert_int_equal(last_event_level, LOG_WARNING);
	assert_non_null(strstr(last_event_message, "read-only: the device is write-protected"));
	volume_free(v);

	reset(state);
	ro_cfg.read_only = true;
	v = volume_new(&ro_cfg);
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_true(fake_map.spec.read_only);
	assert_int_equal(last_event_level, LOG_INFO);
	assert_non_null(strstr(last_event_message, ", read-only"));
	assert_null(strstr(last_event_message, "write-protected"));
	volume_free(v);
}

static void test_active_at_once_when_udev_already_knows(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	udev_db_entry = &map_dev_ready;
	assert_int_equal(volume_start(v, (struct udev *)(void *)1, NULL, false), 0);
	assert_int_equal(v->state, VOLUME_ACTIVE);
	volume_free(v);
}

static void test_suspended_map_is_not_active(void **state)
{
	struct fake_dev suspended = map_dev_ready;
	struct volume *v = volume_new(&file_cfg);

	suspended.dm_suspended = "1";
	volume_start(v, NULL, NULL, false);
	assert_true(volume_device_present(v, NULL, DEV(suspended)));
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	volume_free(v);
}

static void test_identical_map_is_adopted_untouched(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_map.exists = true;
	fake_map.devnum = makedev(253, 7);
	fake_map.spec = (struct basic_target_table){ 65536 - 2048, makedev(7, 3), 2048, false, false };
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(fake_map.creates + fake_map.reloads + fake_map.removes, 0);
	assert_int_equal(v->map, makedev(253, 7));
	assert_events((const char *[]){ "data:adopted", "data:attached" }, 2);
	volume_free(v);
}

static void test_different_map_is_reloaded(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_map.exists = true;
	fake_map.spec = (struct basic_target_table){ 65536, makedev(7, 3), 0, false, false };
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(fake_map.reloads, 1);
	assert_int_equal(fake_map.creates, 0);
	assert_int_equal(fake_map.spec.offset, 2048);
	volume_free(v);
}

static void test_offset_past_the_end_fails_without_touching_dm(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	struct volume_config sized = file_cfg;

	fake_backing_sectors = 2048;
	assert_int_equal(volume_start(v, NULL, NULL, false), -ERANGE);
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_string_equal(v->reason, "offset 2048 is past the end of /dev/loop3 "
				       "(/var/lib/basicdm/data.img) (2048 sectors)");
	assert_int_equal(fake_map.creates + fake_map.reloads, 0);
	assert_events((const char *[]){ "data:failed" }, 1);
	volume_free(v);

	/* inside the device, but too long for it */
	sized.sectors = 4096;
	fake_backing_sectors = 4096;
	v = volume_new(&sized);
	assert_int_equal(volume_start(v, NULL, NULL, false), -ERANGE);
	assert_string_equal(v->reason, "offset 2048 + 4096 sectors passes the end of /dev/loop3 "
				       "(/var/lib/basicdm/data.img) (4096 sectors)");
	assert_int_equal(fake_map.creates + fake_map.reloads, 0);
	volume_free(v);
}

static void test_foreign_map_with_the_name_is_left_alone(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_map.exists = true;
	fake_map.foreign = true;
	assert_int_equal(volume_start(v, NULL, NULL, false), -EEXIST);
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_non_null(strstr(v->reason, "basicdm did not create"));
	assert_int_equal(fake_map.creates + fake_map.reloads + fake_map.removes, 0);
	volume_free(v);
}

static void test_create_failure_is_reported(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_map.create_error = -EBUSY;
	assert_int_equal(volume_start(v, NULL, NULL, false), -EBUSY);
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_non_null(strstr(v->reason, "cannot create the map"));
	volume_free(v);
}

/* The disk under a device volume goes: the map is removed, deferred, and it waits. */
static void test_detach_removes_deferred_and_waits(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	volume_start(v, NULL, NULL, false);
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	volume_device_removed(v, disk.devnum);
	assert_int_equal(fake_map.removes, 1);
	assert_true(fake_map.last_remove_deferred);
	assert_int_equal(v->state, VOLUME_WAITING);
	assert_int_equal(v->map, 0);
	assert_int_equal(v->backing, 0);
	assert_events((const char *[]){ "data:waiting", "data:attached", "data:removed",
					"data:waiting" }, 4);
	volume_free(v);
}

/*
 * The disk goes while the map is open (mounted, say): the map stays until
 * the last close, and udev is told that its disk is gone, so that systemd
 * stops what is bound to it.  A closed map is simply gone: nothing to tell.
 */
static void test_detach_open_map_marks_it_gone(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	volume_device_present(v, NULL, DEV(disk));
	fake_map.open = true;
	n_events = 0;
	volume_device_removed(v, disk.devnum);
	assert_int_equal(fake_map.removes, 1);
	assert_true(fake_map.last_remove_deferred);
	assert_int_equal(fake_map.marked_gone, 1);
	assert_int_equal(v->state, VOLUME_WAITING);
	assert_int_equal(v->map, 0);
	assert_events((const char *[]){ "data:removed", "data:waiting" }, 2);
	volume_free(v);
}

static void test_detach_closed_map_is_not_marked(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	volume_device_present(v, NULL, DEV(disk));
	volume_device_removed(v, disk.devnum);
	assert_false(fake_map.exists);
	assert_int_equal(fake_map.marked_gone, 0);
	volume_free(v);
}

/* A deactivation while open leaves a working map behind: systemd keeps it. */
static void test_deactivate_open_map_is_not_marked(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	volume_device_present(v, NULL, DEV(disk));
	fake_map.open = true;
	assert_int_equal(volume_deactivate(v), 0);
	assert_true(fake_map.deferred);
	assert_int_equal(fake_map.marked_gone, 0);
	volume_free(v);
}

static void test_reload_changes_only_the_table(void **state)
{
	struct volume_config cfg = file_cfg;
	struct volume *v = volume_new(&cfg);

	volume_start(v, NULL, NULL, false);
	cfg.offset = 4096;
	cfg.read_only = true;
	assert_int_equal(volume_reconfigure(v, &cfg, true, NULL, NULL), 0);
	assert_int_equal(fake_map.reloads, 1);
	assert_int_equal(fake_map.spec.offset, 4096);
	assert_true(fake_map.spec.read_only);
	assert_int_equal(fake_map.spec.sectors, 65536 - 4096);
	/* a shorter map from the configuration, not from its backing: "reloaded" */
	assert_string_equal(events[n_events - 1], "data:reloaded");
	volume_free(v);
}

/* ---- volumes follow their backing ---- */

/* A disk volume without 'sectors', mapped on a 65536-sector disk. */
static struct volume *mapped_disk_volume(const struct volume_config *cfg)
{
	struct volume *v = volume_new(cfg);

	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_true(volume_device_present(v, NULL, DEV(map_dev_ready)));
	assert_int_equal(v->state, VOLUME_ACTIVE);
	n_events = 0;
	return v;
}

/* The disk grew: the map is reloaded online to the new size, less the offset. */
static void test_grown_disk_grows_the_map(void **state)
{
	struct volume_config cfg = disk_cfg;
	struct volume *v;

	cfg.offset = 2048;
	v = mapped_disk_volume(&cfg);
	assert_int_equal(fake_map.spec.sectors, 65536 - 2048);

	/* a change event of the same size (udev's watch, a trigger): nothing */
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 0);

	fake_backing_sectors = 131072;
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 1);
	assert_int_equal(fake_map.spec.sectors, 131072 - 2048);
	assert_int_equal(fake_map.spec.offset, 2048);
	assert_int_equal(fake_map.creates, 1);	/* the same map, reloaded */
	assert_int_equal(v->map_sectors, 131072 - 2048);
	assert_events((const char *[]){ "data:resized" }, 1);
	assert_non_null(strstr(last_event_message, "from 63488 to 129024 sectors"));
	assert_int_equal(v->state, VOLUME_ACTIVE);
	/* the dm-stats region is made again over the new length */
	assert_int_equal(fake_stats.syncs, 2);
	assert_int_equal(fake_stats.sectors, 131072 - 2048);

	/* the same size again: nothing more */
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 1);
	volume_free(v);
}

/* The disk shrank: the map is never cut, the journal says so once. */
static void test_shrunk_disk_leaves_the_map(void **state)
{
	struct volume *v = mapped_disk_volume(&disk_cfg);

	fake_backing_sectors = 32768;
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 0);
	assert_int_equal(fake_map.spec.sectors, 65536);
	assert_events((const char *[]){ "data:shrunk" }, 1);
	assert_int_equal(last_event_level, LOG_WARNING);
	assert_int_equal(fake_stats.syncs, 1);	/* the map, and so its region, unchanged */
	assert_int_equal(fake_stats.sectors, 65536);
	assert_non_null(strstr(last_event_message, "the map is left as it is"));
	assert_int_equal(v->state, VOLUME_ACTIVE);

	/* grown back to where it was: the map fits it again, nothing to reload */
	fake_backing_sectors = 65536;
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 0);
	volume_free(v);
}

/* 'sectors' is the administrator's: a grown disk leaves the map as it is. */
static void test_explicit_sectors_do_not_follow(void **state)
{
	struct volume_config cfg = disk_cfg;
	struct volume *v;

	cfg.sectors = 8192;
	v = mapped_disk_volume(&cfg);
	fake_backing_sectors = 131072;
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 0);
	assert_int_equal(n_events, 0);

	/* below the configured range: said, not followed */
	fake_backing_sectors = 4096;
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.reloads, 0);
	assert_events((const char *[]){ "data:shrunk" }, 1);

	/* fewer sectors in the configuration: applied */
	fake_backing_sectors = 65536;
	cfg.sectors = 4096;
	assert_int_equal(volume_reconfigure(v, &cfg, true, NULL, NULL), 0);
	assert_int_equal(fake_map.reloads, 1);
	assert_int_equal(fake_map.spec.sectors, 4096);
	volume_free(v);
}

/* A larger 'size': the file grows, then its loop device, then the map. */
static void test_file_size_grown_on_reload(void **state)
{
	struct volume_config cfg = file_cfg, bigger;
	struct volume *v = volume_new(&cfg);

	cfg.size_bytes = 32 << 20;
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(n_prepares, 1);
	n_events = 0;

	bigger = cfg;
	bigger.size_bytes = 64 << 20;
	fake_backing_sectors = 131072;	/* what the loop device says after LOOP_SET_CAPACITY */
	assert_int_equal(volume_reconfigure(v, &bigger, true, NULL, NULL), 0);
	assert_int_equal(n_prepares, 2);
	assert_int_equal(n_follow_file, 1);
	assert_int_equal(fake_map.reloads, 1);
	assert_int_equal(fake_map.spec.sectors, 131072 - 2048);
	assert_events((const char *[]){ "data:resized" }, 1);

	/* its loop device's change event afterwards: already done */
	volume_free(v);
}

/* Whether a volume of CFG in STATE takes DEV as its backing when udev reports it. */
static bool takes(const struct volume_config *cfg, enum volume_state state, struct fake_dev *dev)
{
	struct volume *v = volume_new(cfg);
	bool taken;

	v->state = state;
	assert_false(volume_device_present(v, NULL, DEV(*dev)));	/* not its map */
	taken = v->backing == dev->devnum;
	volume_free(v);
	fake_map.exists = false;
	return taken;
}

/* Every map made, adopted or reloaded gets its region synced with the map's length. */
static void test_stats_region_follows_the_map(void **state)
{
	struct volume_config cfg = file_cfg;
	struct volume *v = volume_new(&cfg);

	cfg.latency_histogram = (struct latency_bounds){ 2, { 1000000, 20000000 } };
	volume_start(v, NULL, NULL, false);
	assert_int_equal(fake_stats.syncs, 1);
	assert_int_equal(fake_stats.sectors, 65536 - 2048);
	assert_true(latency_bounds_equal(&fake_stats.bounds, &cfg.latency_histogram));

	/* a new table: synced to the new length */
	cfg.offset = 4096;
	assert_int_equal(volume_reconfigure(v, &cfg, true, NULL, NULL), 0);
	assert_int_equal(fake_stats.syncs, 2);
	assert_int_equal(fake_stats.sectors, 65536 - 4096);

	/* only the histogram changed: no reload, the region alone follows */
	cfg.latency_histogram.n = 0;
	assert_int_equal(volume_reconfigure(v, &cfg, false, NULL, NULL), 0);
	assert_int_equal(fake_map.reloads, 1);
	assert_int_equal(fake_stats.syncs, 3);
	assert_int_equal(fake_stats.bounds.n, 0);

	/* no map, no region to sync */
	volume_deactivate(v);
	assert_int_equal(volume_reconfigure(v, &cfg, false, NULL, NULL), 0);
	assert_int_equal(fake_stats.syncs, 3);
	volume_free(v);
}

/* A region that cannot be made costs the statistics, not the volume. */
static void test_stats_failure_leaves_the_volume_up(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_stats.error = -EIO;
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_int_equal(fake_stats.syncs, 1);
	volume_free(v);
}

/* An adopted map keeps its region: the sync finds it, it is not made twice (test-map-stats). */
static void test_adopted_map_syncs_its_region(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_map.exists = true;
	fake_map.devnum = makedev(253, 7);
	fake_map.spec = (struct basic_target_table){ 65536 - 2048, makedev(7, 3), 2048, false, false };
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(fake_stats.syncs, 1);
	assert_int_equal(fake_stats.sectors, 65536 - 2048);
	volume_free(v);
}

static void test_which_devices_a_volume_wants(void **state)
{
	struct match_property serial[] = { { "ID_SERIAL", "ARCHIVE01" } };
	struct volume_config match_cfg = {
		.name = "archive", .kind = BACKING_MATCH, .match = serial, .n_match = 1,
	};
	struct volume_config dev_cfg = {
		.name = "raw", .kind = BACKING_DEVICE, .device = "/dev/disk/by-id/virtio-RAW01",
	};
	struct fake_dev archive = { .devnum = makedev(254, 16), .devnode = "/dev/vdb",
				    .devtype = "disk", .serial = "ARCHIVE01" };
	struct fake_dev part = { .devnum = makedev(254, 17), .devnode = "/dev/vdb1",
				 .devtype = "partition", .serial = "ARCHIVE01" };
	struct fake_dev other = { .devnum = makedev(254, 32), .devnode = "/dev/vdc",
				  .devtype = "disk", .serial = "OTHER" };
	struct fake_dev raw = { .devnum = makedev(254, 48), .devnode = "/dev/vdd", .devtype = "disk",
				.link = "/dev/disk/by-id/virtio-RAW01" };
	struct fake_dev ours = { .devnum = makedev(253, 1), .devnode = "/dev/dm-1",
				 .devtype = "disk", .serial = "ARCHIVE01", .dm_uuid = "BASICDM-x" };

	assert_true(takes(&match_cfg, VOLUME_WAITING, &archive));
	assert_false(takes(&match_cfg, VOLUME_WAITING, &part));  /* partitions share the serial */
	assert_false(takes(&match_cfg, VOLUME_WAITING, &other));
	assert_false(takes(&match_cfg, VOLUME_WAITING, &ours));  /* never stack on our own maps */
	assert_true(takes(&dev_cfg, VOLUME_WAITING, &raw));
	assert_false(takes(&dev_cfg, VOLUME_WAITING, &archive));
	assert_false(takes(&file_cfg, VOLUME_WAITING, &archive)); /* file volumes ignore udev */

	assert_true(takes(&match_cfg, VOLUME_FAILED, &archive));  /* tried again */
	assert_false(takes(&match_cfg, VOLUME_ACTIVE, &archive)); /* already has its backing */
}

/* A property only partitions have makes a match consider partitions, DEVTYPE or not. */
static void test_partition_matched_by_its_own_properties(void **state)
{
	struct match_property by_name[] = { { "ID_PART_ENTRY_NAME", "backup" } };
	struct match_property serial_part[] = { { "DEVTYPE", "partition" },
						{ "ID_SERIAL", "ARCHIVE01" } };
	struct volume_config name_cfg = {
		.name = "backup", .kind = BACKING_MATCH, .match = by_name, .n_match = 1,
	};
	struct volume_config serial_cfg = {
		.name = "parts", .kind = BACKING_MATCH, .match = serial_part, .n_match = 2,
	};
	struct fake_dev disk_dev = { .devnum = makedev(254, 16), .devnode = "/dev/vdb",
				     .devtype = "disk", .serial = "ARCHIVE01" };
	struct fake_dev backup = { .devnum = makedev(254, 17), .devnode = "/dev/vdb1",
				   .devtype = "partition", .serial = "ARCHIVE01", .part_name = "backup" };
	struct fake_dev media = { .devnum = makedev(254, 18), .devnode = "/dev/vdb2",
				  .devtype = "partition", .serial = "ARCHIVE01", .part_name = "media" };

	assert_string_equal(volume_match_devtype(&name_cfg), "partition");
	assert_true(takes(&name_cfg, VOLUME_WAITING, &backup));
	assert_false(takes(&name_cfg, VOLUME_WAITING, &media));
	assert_false(takes(&name_cfg, VOLUME_WAITING, &disk_dev));
	/* an explicit DEVTYPE still decides */
	assert_string_equal(volume_match_devtype(&serial_cfg), "partition");
	assert_true(takes(&serial_cfg, VOLUME_WAITING, &backup));
	assert_false(takes(&serial_cfg, VOLUME_WAITING, &disk_dev));
}

#define MAP_CALLS() (fake_map.creates + fake_map.reloads + fake_map.removes)

static void test_start_marked_inactive_touches_nothing(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	assert_int_equal(volume_start(v, NULL, NULL, true), 0);
	assert_int_equal(v->state, VOLUME_INACTIVE);
	assert_int_equal(MAP_CALLS(), 0);
	assert_events((const char *[]){ "data:inactive" }, 1);
	volume_free(v);
}

static void test_start_disk_volume_waits(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_int_equal(v->state, VOLUME_WAITING);
	assert_int_equal(MAP_CALLS(), 0);
	assert_events((const char *[]){ "data:waiting" }, 1);
	volume_free(v);
}

/* An unchanged definition (a reload's KEEP) touches neither the map nor the journal. */
static void test_keep_touches_nothing(void **state)
{
	struct volume_config same = file_cfg;
	struct volume *v = volume_new(&file_cfg);

	volume_start(v, NULL, NULL, false);
	n_events = 0;
	assert_int_equal(volume_reconfigure(v, &same, false, NULL, NULL), 0);
	assert_ptr_equal(v->cfg, &same);
	assert_int_equal(fake_map.creates, 1);
	assert_int_equal(fake_map.reloads + fake_map.removes, 0);
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_events(NULL, 0);
	volume_free(v);
}

/* A reload is the administrator's "try again": a failed file volume is attached anew. */
static void test_keep_retries_a_failed_file_volume(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	fake_backing_sectors = 2048;
	volume_start(v, NULL, NULL, false);
	assert_int_equal(v->state, VOLUME_FAILED);
	fake_backing_sectors = 65536;
	assert_int_equal(volume_reconfigure(v, &file_cfg, false, NULL, NULL), 0);
	assert_int_equal(fake_map.creates, 1);
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_null(v->reason);
	assert_events((const char *[]){ "data:failed", "data:attached" }, 2);
	volume_free(v);
}

/* A failed disk volume keeps failing until its table changes or its disk comes again. */
static void test_keep_leaves_a_failed_disk_volume(void **state)
{
	struct volume_config cfg = disk_cfg;
	struct volume *v = volume_new(&cfg);

	cfg.offset = 100000;
	volume_device_present(v, NULL, DEV(disk));
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_int_equal(volume_reconfigure(v, &cfg, false, NULL, NULL), 0);
	assert_int_equal(MAP_CALLS(), 0);
	assert_int_equal(v->state, VOLUME_FAILED);
	volume_free(v);
}

/* A failed volume whose table changed is attached again onto the backing it has. */
static void test_new_table_reattaches_a_failed_volume(void **state)
{
	struct volume_config bad = disk_cfg, good = disk_cfg;
	struct volume *v = volume_new(&bad);

	bad.offset = 100000;
	good.offset = 8;
	volume_device_present(v, NULL, DEV(disk));
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_int_equal(volume_reconfigure(v, &good, true, NULL, NULL), 0);
	assert_int_equal(fake_map.creates, 1);
	assert_int_equal(fake_map.spec.backing, disk.devnum);
	assert_int_equal(fake_map.spec.offset, 8);
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	volume_free(v);
}

/* dmsetup remove behind basicdm's back: failed, not made again by itself. */
static void test_map_removed_outside(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	volume_start(v, NULL, NULL, false);
	/* a late remove event of an older map with the same number: still there */
	volume_device_removed(v, makedev(253, 0));
	assert_int_equal(v->state, VOLUME_ACTIVATING);

	fake_map.exists = false;
	volume_device_removed(v, makedev(253, 0));
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_int_equal(v->map, 0);
	assert_non_null(strstr(v->reason, "removed outside basicdm"));
	assert_int_equal(fake_map.creates, 1);
	assert_string_equal(events[n_events - 1], "data:failed");
	volume_free(v);
}

/* A file volume's loop device is its own: its removal event changes nothing. */
static void test_file_volume_ignores_its_loop_device(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	volume_start(v, NULL, NULL, false);
	n_events = 0;
	volume_device_removed(v, makedev(7, 3));
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_int_equal(v->backing, makedev(7, 3));
	assert_int_equal(fake_map.removes, 0);
	assert_events(NULL, 0);
	volume_free(v);
}

/* Leaving the configuration removes the map; the volume does not wait for anything. */
static void test_remove_does_not_wait(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	volume_start(v, NULL, NULL, false);
	n_events = 0;
	volume_remove(v, "removed from the configuration");
	assert_int_equal(fake_map.removes, 1);
	assert_true(fake_map.last_remove_deferred);
	assert_events((const char *[]){ "data:removed" }, 1);
	volume_free(v);
}

static void test_deactivate_then_activate(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	volume_device_present(v, NULL, DEV(disk));
	n_events = 0;
	assert_int_equal(volume_deactivate(v), 0);
	assert_int_equal(fake_map.removes, 1);
	assert_true(fake_map.last_remove_deferred);
	assert_int_equal(v->state, VOLUME_INACTIVE);
	/* inactive: the disk is not taken again */
	assert_false(volume_device_present(v, NULL, DEV(disk)));
	assert_int_equal(fake_map.creates, 1);

	assert_int_equal(volume_activate(v, NULL), 0);
	assert_int_equal(v->state, VOLUME_WAITING);
	assert_events((const char *[]){ "data:removed", "data:inactive", "data:waiting" }, 3);
	volume_free(v);
}

/* Lost udev events: a backing udev no longer has is gone; a map it still has stays. */
static void test_events_lost(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	volume_device_present(v, NULL, DEV(disk));
	udev_db_entry = &map_dev_ready;	/* the map is there, the disk is not */
	volume_events_lost(v, (struct udev *)(void *)1);
	assert_int_equal(fake_map.removes, 1);
	assert_int_equal(v->state, VOLUME_WAITING);
	assert_string_equal(events[n_events - 1], "data:waiting");
	volume_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_file_volume_comes_up, reset),
		cmocka_unit_test_setup(test_loop_device_of_another_path_is_refused, reset),
		cmocka_unit_test_setup(test_unusable_file_fails_before_anything, reset),
		cmocka_unit_test_setup(test_write_protected_disk_maps_read_only, reset),
		cmocka_unit_test_setup(test_active_at_once_when_udev_already_knows, reset),
		cmocka_unit_test_setup(test_suspended_map_is_not_active, reset),
		cmocka_unit_test_setup(test_identical_map_is_adopted_untouched, reset),
		cmocka_unit_test_setup(test_different_map_is_reloaded, reset),
		cmocka_unit_test_setup(test_offset_past_the_end_fails_without_touching_dm, reset),
		cmocka_unit_test_setup(test_foreign_map_with_the_name_is_left_alone, reset),
		cmocka_unit_test_setup(test_create_failure_is_reported, reset),
		cmocka_unit_test_setup(test_detach_removes_deferred_and_waits, reset),
		cmocka_unit_test_setup(test_detach_open_map_marks_it_gone, reset),
		cmocka_unit_test_setup(test_detach_closed_map_is_not_marked, reset),
		cmocka_unit_test_setup(test_deactivate_open_map_is_not_marked, reset),
		cmocka_unit_test_setup(test_reload_changes_only_the_table, reset),
		cmocka_unit_test_setup(test_stats_region_follows_the_map, reset),
		cmocka_unit_test_setup(test_stats_failure_leaves_the_volume_up, reset),
		cmocka_unit_test_setup(test_adopted_map_syncs_its_region, reset),
		cmocka_unit_test_setup(test_grown_disk_grows_the_map, reset),
		cmocka_unit_test_setup(test_shrunk_disk_leaves_the_map, reset),
		cmocka_unit_test_setup(test_explicit_sectors_do_not_follow, reset),
		cmocka_unit_test_setup(test_file_size_grown_on_reload, reset),
		cmocka_unit_test_setup(test_which_devices_a_volume_wants, reset),
		cmocka_unit_test_setup(test_partition_matched_by_its_own_properties, reset),
		cmocka_unit_test_setup(test_start_marked_inactive_touches_nothing, reset),
		cmocka_unit_test_setup(test_start_disk_volume_waits, reset),
		cmocka_unit_test_setup(test_keep_touches_nothing, reset),
		cmocka_unit_test_setup(test_keep_retries_a_failed_file_volume, reset),
		cmocka_unit_test_setup(test_keep_leaves_a_failed_disk_volume, reset),
		cmocka_unit_test_setup(test_new_table_reattaches_a_failed_volume, reset),
		cmocka_unit_test_setup(test_map_removed_outside, reset),
		cmocka_unit_test_setup(test_file_volume_ignores_its_loop_device, reset),
		cmocka_unit_test_setup(test_remove_does_not_wait, reset),
		cmocka_unit_test_setup(test_deactivate_then_activate, reset),
		cmocka_unit_test_setup(test_events_lost, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
