// SPDX-License-Identifier: GPL-2.0-only
/*
 * A backing device's mark as a component, the daemon's side: the marker a
 * volume writes before its table is loaded (before a file is bound to its
 * loop device), the "change" it asks udev for, and the marker's removal
 * once no map holds the device, at once or after a deferred removal.  The
 * kernel (libdevmapper, loop devices, sysfs) and udev (fake-udev.h) are
 * faked by --wrap; markers are real files in a scratch runtime directory.
 * And the claims file the udev helper reads, written and read back.
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
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "backing-check.h"
#include "component-claims.h"
#include "component-mark.h"
#include "component.h"
#include "fake-udev.h"
#include "map.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"
#include "volume.h"

static char runtime[] = "/tmp/test-component-XXXXXX";

/* ---- the fake kernel ---- */

static struct {
	bool exists;
	dev_t devnum;
	struct basic_target_table spec;
	int create_error;
	bool open;		/* a removal is deferred */
} map;

/* What the volume had done when the table was loaded. */
static struct {
	bool marked;
	char text[128];
	int triggers;
} at_load;

static dev_t held[4];		/* devices a map of ours holds (sysfs holders/) */
static dev_t triggered[8];	/* "change" asked for, in order */
static int n_triggered;
static uint64_t diskseq = 7;

static bool is_held(dev_t dev)
{
	for (size_t i = 0; i < 4; i++)
		if (held[i] == dev && dev)
			return true;
	return false;
}

static void hold(dev_t dev, bool on)
{
	for (size_t i = 0; i < 4; i++)
		if (on ? !held[i] : held[i] == dev) {
			held[i] = on ? dev : 0;
			return;
		}
}

static void read_marker(dev_t dev, char *buf, size_t size)
{
	_cleanup_(freep) char *text = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/backing/%u:%u", runtime, major(dev), minor(dev));
	text = read_file(path);	/* none: "" */
	snprintf(buf, size, "%s", text ? text : "");
}

static bool marked(dev_t dev)
{
	char text[128];

	read_marker(dev, text, sizeof(text));
	return text[0] != '\0';
}

int __wrap_map_get_info(const char *name, struct map_info *ret)
{
	if (!map.exists)
		return -ENODEV;
	*ret = (struct map_info){ .devnum = map.devnum, .table = map.spec, .table_is_ours = true,
				     .read_only = map.spec.read_only,
				     .uuid = strdup("BASICDM-data") };
	return 0;
}

int __wrap_map_create(const char *name, const struct basic_target_table *t)
{
	at_load.marked = marked(t->backing);
	read_marker(t->backing, at_load.text, sizeof(at_load.text));
	at_load.triggers = n_triggered;
	if (map.create_error)
		return map.create_error;
	map.exists = true;
	map.spec = *t;
	map.devnum = makedev(253, 0);
	hold(t->backing, true);
	return 0;
}

int __wrap_map_remove(const char *name, bool deferred)
{
	assert_true(map.exists);
	if (map.open && deferred)
		return 0;	/* gone at the last close */
	map.exists = false;
	hold(map.spec.backing, false);
	return 0;
}

int __wrap_blockdev_get_sectors(dev_t dev, uint64_t *ret)
{
	*ret = 65536;
	return 0;
}

int __wrap_blockdev_get_read_only(dev_t dev, bool *ret)
{
	*ret = false;
	return 0;
}

int __wrap_backing_check_volume(const struct volume_config *v, const struct backing_view *view,
				char **reason)
{
	*reason = NULL;
	return 0;
}

static int n_follow_file;

int __wrap_loop_prepare_file(const char *path, uint64_t size, bool grow)
{
	return 0;
}

int __wrap_loop_follow_file(dev_t loop, const char *file)
{
	n_follow_file++;
	return 0;
}

/* What the bind hook had done when the file was bound. */
static struct {
	bool marked;
	char text[128];
} at_bind;

int __wrap_loop_attach(struct loop_index *idx, const char *path, bool read_only,
		       const struct loop_bind_hook *hook, dev_t *devnum, int *fd, bool *reused)
{
	dev_t loop = makedev(7, 3);

	assert_non_null(hook);
	hook->fn(loop, true, hook->userdata);
	at_bind.marked = marked(loop);
	read_marker(loop, at_bind.text, sizeof(at_bind.text));
	*devnum = loop;
	*fd = -1;
	*reused = false;
	return 0;
}

void __wrap_log_volume_event(int level, const char *volume, const char *event, const char *backing,
			     const char *fmt, ...)
{
}

int __wrap_component_held_by_map(dev_t dev, char **volume)
{
	return is_held(dev);
}

int __wrap_component_device_diskseq(dev_t dev, uint64_t *ret)
{
	*ret = diskseq;
	return 0;
}

int __wrap_block_device_trigger(dev_t dev)
{
	assert_true(n_triggered < 8);
	triggered[n_triggered++] = dev;
	return 0;
}

/* ---- fixtures ---- */

static struct volume_config disk_cfg = {
	.name = "data", .kind = BACKING_DEVICE, .device = "/dev/vdb",
};
static struct volume_config file_cfg = {
	.name = "data", .kind = BACKING_FILE, .file = "/var/lib/basicdm/data.img",
};
/* a disk, as udev shows it (devnum set in reset); udev has not processed the map yet */
static struct fake_dev vdb = { .devnode = "/dev/vdb", .devtype = "disk" };
#define VDB makedev(254, 16)
#define LOOP3 makedev(7, 3)

static int setup(void **state)
{
	assert_non_null(mkdtemp(runtime));
	component_setup(runtime);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(remove_tree(runtime), 0);
	return 0;
}

static int reset(void **state)
{
	dev_t *marks = NULL;
	size_t n = 0;

	memset(&map, 0, sizeof(map));
	memset(&at_load, 0, sizeof(at_load));
	memset(&at_bind, 0, sizeof(at_bind));
	memset(held, 0, sizeof(held));
	n_triggered = 0;
	diskseq = 7;
	vdb.devnum = VDB;
	assert_int_equal(component_mark_list(runtime, &marks, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(component_mark_remove(runtime, marks[i]), 1);
	free(marks);
	return 0;
}

/* A disk volume, attached onto vdb; no trigger counted yet. */
static struct volume *disk_volume_attached(void)
{
	struct volume *v = volume_new(&disk_cfg);

	assert_non_null(v);
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_false(volume_device_present(v, NULL, UDEV_DEVICE(&vdb)));
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	return v;
}

/* ---- tests ---- */

/* The marker is there when the table is loaded; udev is asked to look again after. */
static void test_disk_marked_before_the_load(void **state)
{
	struct volume *v = disk_volume_attached();

	assert_true(at_load.marked);
	assert_string_equal(at_load.text, "BASICDM_VOLUME=data\nDISKSEQ=7\n");
	assert_int_equal(at_load.triggers, 0);
	assert_int_equal(n_triggered, 1);
	assert_int_equal(triggered[0], VDB);
	volume_free(v);
}

/* A table the kernel refuses leaves no mark behind, and udev hears of it. */
static void test_failed_load_leaves_no_mark(void **state)
{
	struct volume *v = volume_new(&disk_cfg);

	map.create_error = -EBUSY;
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	volume_device_present(v, NULL, UDEV_DEVICE(&vdb));
	assert_int_equal(v->state, VOLUME_FAILED);
	assert_true(at_load.marked);
	assert_false(marked(VDB));
	assert_int_equal(n_triggered, 1);
	assert_int_equal(triggered[0], VDB);
	volume_free(v);
}

/*
 * A loop device is marked before the file is bound to it, so the binding's
 * own event carries the mark: with no DISKSEQ yet, since the binding
 * changes it; the volume then records the bound device's.  No trigger.
 */
static void test_loop_marked_before_the_bind(void **state)
{
	struct volume *v = volume_new(&file_cfg);

	diskseq = 12;
	assert_int_equal(volume_start(v, NULL, NULL, false), 0);
	assert_true(at_bind.marked);
	assert_string_equal(at_bind.text, "BASICDM_VOLUME=data\n");
	assert_string_equal(at_load.text, "BASICDM_VOLUME=data\nDISKSEQ=12\n");
	assert_int_equal(n_triggered, 0);
	volume_free(v);
}

/* basicdmctl deactivate: the map goes, so does the mark, and udev is told. */
static void test_deactivate_unmarks(void **state)
{
	struct volume *v = disk_volume_attached();

	n_triggered = 0;
	assert_int_equal(volume_deactivate(v), 0);
	assert_false(marked(VDB));
	assert_int_equal(n_triggered, 1);
	assert_int_equal(triggered[0], VDB);
	volume_free(v);
}

/* A map still open keeps its device marked until it is really gone. */
static void test_deferred_removal_keeps_the_mark(void **state)
{
	struct volume *v = disk_volume_attached();

	n_triggered = 0;
	map.open = true;
	assert_int_equal(volume_deactivate(v), 0);
	assert_true(marked(VDB));
	assert_int_equal(n_triggered, 0);

	/* a removal event of some other device changes nothing */
	component_sweep();
	assert_true(marked(VDB));
	assert_int_equal(n_triggered, 0);

	/* the last close: the kernel removes the map */
	map.exists = false;
	hold(VDB, false);
	component_sweep();
	assert_false(marked(VDB));
	assert_int_equal(n_triggered, 1);
	assert_int_equal(triggered[0], VDB);
	volume_free(v);
}

/* The disk pulled: its mark goes with the map. */
static void test_backing_gone_unmarks(void **state)
{
	struct volume *v = disk_volume_attached();

	hold(VDB, false);	/* sysfs has no holders/ for a device that is gone */
	volume_device_removed(v, VDB);
	assert_int_equal(v->state, VOLUME_WAITING);
	assert_false(marked(VDB));
	volume_free(v);
}

/*
 * A restarted daemon adopts its map: a marker kept across the restart is
 * not asked for again; one a stopped daemon lost is written and applied.
 */
static void test_adopted_map(void **state)
{
	struct volume *v;

	map.exists = true;
	map.devnum = makedev(253, 0);
	map.spec = (struct basic_target_table){ .sectors = 65536, .backing = VDB };
	hold(VDB, true);
	assert_int_equal(component_mark_write(runtime, VDB, "data", 7), 1);

	v = volume_new(&disk_cfg);
	volume_start(v, NULL, NULL, false);
	volume_device_present(v, NULL, UDEV_DEVICE(&vdb));
	assert_int_equal(v->state, VOLUME_ACTIVATING);
	assert_true(marked(VDB));
	assert_int_equal(n_triggered, 0);
	volume_free(v);

	assert_int_equal(component_mark_remove(runtime, VDB), 1);
	v = volume_new(&disk_cfg);
	volume_start(v, NULL, NULL, false);
	volume_device_present(v, NULL, UDEV_DEVICE(&vdb));
	assert_true(marked(VDB));
	assert_int_equal(n_triggered, 1);
	volume_free(v);
}

/* At start, marks on devices no map holds any more go; the others stay. */
static void test_sweep_at_start(void **state)
{
	assert_int_equal(component_mark_write(runtime, VDB, "data", 7), 1);
	assert_int_equal(component_mark_write(runtime, LOOP3, "files", 0), 1);
	hold(LOOP3, true);
	component_sweep();
	assert_false(marked(VDB));
	assert_true(marked(LOOP3));
	assert_int_equal(n_triggered, 1);
	assert_int_equal(triggered[0], VDB);
}

static void test_marker_format(void **state)
{
	static const char nul[] = "BASICDM_VOLUME=data\n\0DISKSEQ=x\n";
	char *volume = NULL, path[PATH_MAX];
	uint64_t seq = 1;

	assert_int_equal(component_mark_write(runtime, VDB, "data", 7), 1);
	/* the same again: nothing new */
	assert_int_equal(component_mark_write(runtime, VDB, "data", 7), 0);
	assert_int_equal(component_mark_read(runtime, VDB, &volume, &seq), 0);
	assert_string_equal(volume, "data");
	assert_int_equal(seq, 7);
	free(volume);
	assert_int_equal(component_mark_read(runtime, LOOP3, &volume, &seq), -ENOENT);
	/* a name could end up in a udev property: never one that is not a volume's */
	assert_int_equal(component_mark_write(runtime, LOOP3, "a\nb", 0), -EINVAL);

	snprintf(path, sizeof(path), "%s/backing/7:3", runtime);
	assert_int_equal(write_text(path, "BASICDM_VOLUME=data\nDISKSEQ=x\n", 0644), 0);
	assert_int_equal(component_mark_read(runtime, LOOP3, &volume, &seq), -EINVAL);
	/* each key once; a NUL would hide the rest */
	assert_int_equal(write_text(path, "BASICDM_VOLUME=data\nDISKSEQ=3\nDISKSEQ=4\n", 0644), 0);
	assert_int_equal(component_mark_read(runtime, LOOP3, &volume, &seq), -EINVAL);
	assert_int_equal(write_text(path, "BASICDM_VOLUME=a\nBASICDM_VOLUME=b\n", 0644), 0);
	assert_int_equal(component_mark_read(runtime, LOOP3, &volume, &seq), -EINVAL);
	assert_int_equal(write_file(path, nul, sizeof(nul) - 1, 0644), 0);
	assert_int_equal(component_mark_read(runtime, LOOP3, &volume, &seq), -EINVAL);
	/* in any order, without the last newline */
	assert_int_equal(write_text(path, "DISKSEQ=9\nBASICDM_VOLUME=data", 0644), 0);
	assert_int_equal(component_mark_read(runtime, LOOP3, &volume, &seq), 0);
	assert_string_equal(volume, "data");
	assert_int_equal(seq, 9);
	free(volume);
}

/* ---- the claims file ---- */

static void test_claims_round_trip(void **state)
{
	struct match_property props[] = {
		{ (char *)"ID_FS_LABEL", (char *)"my backup\\disk" },
		{ (char *)"ID_SERIAL", (char *)"Kingston_DT=1 \xc3\xa9" },
	};
	struct volume_config a = { .name = (char *)"files", .kind = BACKING_FILE,
				   .file = (char *)"/srv/images/a b.img" };
	struct volume_config b = { .name = (char *)"usb", .kind = BACKING_MATCH, .match = props,
				   .n_match = 2 };
	struct volume_config c = { .name = (char *)"raw", .kind = BACKING_DEVICE,
				   .device = (char *)"/dev/disk/by-id/virtio-RAW01" };
	const struct volume_config *const all[] = { &a, &b, &c };
	struct config *back = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" COMPONENT_CLAIMS_FILE_NAME, runtime);
	assert_int_equal(component_claims_load(path, &back), -ENOENT);
	assert_int_equal(component_claims_write(path, all, 3), 0);
	assert_int_equal(component_claims_load(path, &back), 0);
	assert_int_equal(back->n_volumes, 3);
	assert_string_equal(back->volumes[0].name, "files");
	assert_int_equal(back->volumes[0].kind, BACKING_FILE);
	assert_string_equal(back->volumes[0].file, "/srv/images/a b.img");
	assert_int_equal(back->volumes[1].kind, BACKING_MATCH);
	assert_int_equal(back->volumes[1].n_match, 2);
	assert_string_equal(back->volumes[1].match[0].key, "ID_FS_LABEL");
	assert_string_equal(back->volumes[1].match[0].value, "my backup\\disk");
	assert_string_equal(back->volumes[1].match[1].value, "Kingston_DT=1 \xc3\xa9");
	assert_int_equal(back->volumes[2].kind, BACKING_DEVICE);
	assert_string_equal(back->volumes[2].device, "/dev/disk/by-id/virtio-RAW01");
	config_free(back);

	/* none wanted: an empty claims file, which claims nothing */
	assert_int_equal(component_claims_write(path, NULL, 0), 0);
	assert_int_equal(component_claims_load(path, &back), 0);
	assert_int_equal(back->n_volumes, 0);
	config_free(back);
}

static void test_claims_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"disk data /dev/vdb\n",			/* no such kind */
		"device ../x /dev/vdb\n",		/* not a volume name */
		"device data dev/vdb\n",		/* not a path */
		"device data /dev/vdb extra\n",
		"match data\n",				/* no property */
		"match data =value\n",
		"match data KEY\n",
		"file data /a\\x00b\n",			/* a NUL byte */
		"file data /a\\x4\n",
	};
	static const char nul_line[] = "device data /dev/vdb\0x\n", nul_comment[] = "# a\0b\n";
	char path[PATH_MAX];
	struct config *c = NULL;

	snprintf(path, sizeof(path), "%s/garbage", runtime);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(write_text(path, bad[i], 0644), 0);
		if (component_claims_load(path, &c) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	}
	/* a raw NUL byte, which the writer never leaves unescaped, in a line or a comment */
	assert_int_equal(write_file(path, nul_line, sizeof(nul_line) - 1, 0644), 0);
	assert_int_equal(component_claims_load(path, &c), -EINVAL);
	assert_int_equal(write_file(path, nul_comment, sizeof(nul_comment) - 1, 0644), 0);
	assert_int_equal(component_claims_load(path, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_disk_marked_before_the_load, reset),
		cmocka_unit_test_setup(test_failed_load_leaves_no_mark, reset),
		cmocka_unit_test_setup(test_loop_marked_before_the_bind, reset),
		cmocka_unit_test_setup(test_deactivate_unmarks, reset),
		cmocka_unit_test_setup(test_deferred_removal_keeps_the_mark, reset),
		cmocka_unit_test_setup(test_backing_gone_unmarks, reset),
		cmocka_unit_test_setup(test_adopted_map, reset),
		cmocka_unit_test_setup(test_sweep_at_start, reset),
		cmocka_unit_test_setup(test_marker_format, reset),
		cmocka_unit_test_setup(test_claims_round_trip, reset),
		cmocka_unit_test_setup(test_claims_refuses_garbage, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
