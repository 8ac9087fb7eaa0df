// SPDX-License-Identifier: GPL-2.0-only
/*
 * The manager's decisions against a fake world.  The configuration is a
 * real file in a scratch directory (read trusting whoever runs the test),
 * the sd-event loop is real; device-mapper, loop devices, sysfs sizes, udev
 * (its database and its events) and sd_notify are replaced by --wrap.
 * Asserted: when READY=1 is sent and what STATUS= says; what a reload does
 * to each volume, and that it leaves the rest alone; which stray maps go,
 * and when; when the initramfs's pass ends, and with what.
 */
// wrap: config_load map_setup map_list_ours map_get_info map_create map_reload map_remove map_cancel_deferred_remove basic_target_present blockdev_get_sectors blockdev_get_read_only loop_prepare_file loop_follow_file loop_attach block_watch_new block_watch_free block_watch_coldplug block_watch_udev block_device_has_path udev_device_new_from_devnum udev_device_get_is_initialized udev_device_get_devnum udev_device_get_devnode udev_device_get_property_value udev_device_unref sd_notify sd_notifyf log_volume_event log_reload_result volume_new backing_check_volume backing_check_config component_held_by_map component_device_diskseq block_device_trigger
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "latency-bounds.h"

#include "backing-check.h"
#include "component-claims.h"
#include "fake-udev.h"
#include "inactive.h"
#include "manager.h"
#include "map.h"
#include "scratch-dir.h"
#include "test-files.h"
#include "util.h"

#define SECTORS 65536	/* every backing device's size */

/* ---- what the daemon did: dm calls, notifications, journal ------------- */

static char calls[64][96];	/* "create a", "remove gone", "list" */
static int n_calls;
static char notes[64][160];	/* sd_notify lines */
static int n_watchdog;		/* WATCHDOG=1, counted apart: one per device and volume */
static int n_block_events;	/* devices handed to the manager's block callback */
/* WatchdogSec= as systemd would give it (0: none), and a monotonic clock
 * that moves CLOCK_STEP_USEC each time a device is handed to the manager. */
static uint64_t watchdog_usec, fake_monotonic_usec, clock_step_usec;
static int n_notes;
static char events[64][64];	/* "a:attached" */
static char event_messages[64][256];	/* "gone: map removed (no longer configured)" */
static int n_events;
static struct {
	bool applied;
	char message[256];
	int n;
} reload_log;

static void record(char (*list)[96], int *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void record(char (*list)[96], int *n, const char *fmt, ...)
{
	va_list ap;

	assert_true(*n < 64);
	va_start(ap, fmt);
	vsnprintf(list[(*n)++], sizeof(list[0]), fmt, ap);
	va_end(ap);
}

static int call_index(const char *call, int from)
{
	for (int i = from; i < n_calls; i++)
		if (!strcmp(calls[i], call))
			return i;
	return -1;
}

/* Any dm call at all that names volume NAME. */
static bool map_touched(const char *name)
{
	for (int i = 0; i < n_calls; i++) {
		const char *arg = strchr(calls[i], ' ');

		if (arg && !strcmp(arg + 1, name))
			return true;
	}
	return false;
}

static int notes_equal(const char *note)
{
	int k = 0;

	for (int i = 0; i < n_notes; i++)
		k += !strcmp(notes[i], note);
	return k;
}

static const char *last_status(void)
{
	for (int i = n_notes - 1; i >= 0; i--)
		if (!strncmp(notes[i], "STATUS=", 7))
			return notes[i] + 7;
	return "";
}

static bool event_logged(const char *message)
{
	for (int i = 0; i < n_events; i++)
		if (!strcmp(event_messages[i], message))
			return true;
	return false;
}

static int events_of(const char *name)
{
	size_t len = strlen(name);
	int k = 0;

	for (int i = 0; i < n_events; i++)
		k += !strncmp(events[i], name, len) && events[i][len] == ':';
	return k;
}

/*
 * The backing-file checks look at the real file system: here every file
 * can be used, but the one named UNUSABLE_FILE, refused as a reload must
 * refuse it (the daemon's view: inside the sandbox).
 */
static const char *unusable_file;

int __wrap_backing_check_volume(const struct volume_config *v, const struct backing_view *view,
				char **reason)
{
	assert_true(view->in_service);
	*reason = NULL;
	return 0;
}

int __wrap_backing_check_config(const struct config *c, const struct backing_view *view,
				struct config_errors *errors)
{
	int r = 0;

	assert_true(view->in_service);
	for (size_t i = 0; i < c->n_volumes; i++) {
		const struct volume_config *v = &c->volumes[i];

		if (unusable_file && v->kind == BACKING_FILE && !strcmp(v->file, unusable_file)) {
			assert_int_equal(config_error_add(errors, v->where.file, v->where.line,
							  "volume '%s': basicdm.service may not write in it",
							  v->name), 0);
			r = -EINVAL;
		}
	}
	return r;
}

static void forget_what_happened(void)
{
	n_calls = n_notes = n_events = n_watchdog = n_block_events = 0;
	reload_log.n = 0;
}

/* ---- fake udev devices: disks and the maps' DM devices ----------------- */

static struct fake_dev disks[4];	/* present: in udev's database */
static int n_disks;

static struct fake_dev *add_disk(const char *link, unsigned minor)
{
	struct fake_dev *d = &disks[n_disks++];

	*d = (struct fake_dev){ .devnum = makedev(254, minor), .devnode = link, .devtype = "disk",
				.link = link, .present = true };
	return d;
}

/* ---- the fake kernel: device-mapper, loop devices, sizes ---------------- */

struct fake_map {
	bool exists;
	char name[VOLUME_NAME_MAX + 1];
	char uuid[96];
	char link[96];
	struct basic_target_table table;
	struct fake_dev dev;	/* present once udev processed it */
};

static struct fake_map maps[16];
static unsigned next_map_minor;
static bool udev_processes_at_once;	/* a new map is in udev's database when made */

static struct fake_map *find_map(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(maps); i++)
		if (maps[i].exists && !strcmp(maps[i].name, name))
			return &maps[i];
	return NULL;
}

static struct fake_map *add_map(const char *name, const char *uuid, const struct basic_target_table *t)
{
	for (size_t i = 0; i < ELEMENTSOF(maps); i++) {
		struct fake_map *f = &maps[i];

		if (f->exists)
			continue;
		*f = (struct fake_map){ .exists = true, .table = *t };
		snprintf(f->name, sizeof(f->name), "%s", name);
		snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
		snprintf(f->link, sizeof(f->link), "/dev/mapper/%s", name);
		f->dev = (struct fake_dev){ .devnum = makedev(253, next_map_minor++),
					    .devtype = "disk", .link = f->link, .dm_uuid = f->uuid,
					    .dm_suspended = "0", .present = udev_processes_at_once };
		return f;
	}
	fail_msg("too many maps");
	return NULL;
}

int __wrap_map_stats_sync(const char *name, const struct latency_bounds *bounds, uint64_t sectors)
{
	return 0;
}

void __wrap_map_setup(void)
{
}

bool __wrap_basic_target_present(void)
{
	return true;
}

int __wrap_map_list_ours(struct map_info **ret, size_t *n)
{
	struct map_info *a = calloc(ELEMENTSOF(maps), sizeof(*a));
	size_t k = 0;

	record(calls, &n_calls, "list");
	assert_non_null(a);
	for (size_t i = 0; i < ELEMENTSOF(maps); i++)
		if (maps[i].exists && map_uuid_is_ours(maps[i].uuid))	/* the rule itself */
			a[k++] = (struct map_info){ .name = strdup(maps[i].name),
						       .uuid = strdup(maps[i].uuid),
						       .devnum = maps[i].dev.devnum };
	*ret = a;
	*n = k;
	return 0;
}

int __wrap_map_get_info(const char *name, struct map_info *ret)
{
	struct fake_map *f = find_map(name);

	record(calls, &n_calls, "info %s", name);
	if (!f)
		return -ENODEV;
	*ret = (struct map_info){ .name = strdup(f->name), .uuid = strdup(f->uuid),
				     .devnum = f->dev.devnum, .table = f->table,
				     .table_is_ours = true, .read_only = f->table.read_only };
	return 0;
}

int __wrap_map_create(const char *name, const struct basic_target_table *t)
{
	char uuid[96];

	record(calls, &n_calls, "create %s", name);
	snprintf(uuid, sizeof(uuid), MAP_UUID_PREFIX "%s", name);
	add_map(name, uuid, t);
	return 0;
}

int __wrap_map_reload(const char *name, const struct basic_target_table *t)
{
	struct fake_map *f = find_map(name);

	record(calls, &n_calls, "reload %s", name);
	assert_non_null(f);
	f->table = *t;
	return 0;
}

int __wrap_map_remove(const char *name, bool deferred)
{
	struct fake_map *f = find_map(name);

	record(calls, &n_calls, "remove %s", name);
	if (!f)
		return -ENODEV;
	f->exists = false;
	return 0;
}

int __wrap_map_cancel_deferred_remove(const char *name)
{
	record(calls, &n_calls, "cancel-remove %s", name);
	return 0;
}

int __wrap_blockdev_get_sectors(dev_t dev, uint64_t *ret)
{
	*ret = SECTORS;
	return 0;
}

int __wrap_blockdev_get_read_only(dev_t dev, bool *ret)
{
	*ret = false;
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

/* The loop index each loop_attach() was given, in order. */
static struct loop_index *loop_indexes[32];
static int n_loop_attaches;
static char loop_files[16][128];

int __wrap_loop_attach(struct loop_index *idx, const char *path, bool read_only,
		       const struct loop_bind_hook *hook, dev_t *devnum, int *fd, bool *reused)
{
	unsigned i;

	assert_true(n_loop_attaches < 32);
	loop_indexes[n_loop_attaches++] = idx;
	for (i = 0; i < ELEMENTSOF(loop_files) && loop_files[i][0]; i++)
		if (!strcmp(loop_files[i], path))
			break;
	assert_true(i < ELEMENTSOF(loop_files));
	snprintf(loop_files[i], sizeof(loop_files[i]), "%s", path);
	*devnum = makedev(7, i);
	*fd = -1;
	*reused = false;
	return 0;
}

/* All attaches since FROM went through one index, and a real one. */
static void assert_one_loop_index(int from)
{
	assert_true(n_loop_attaches > from);
	for (int i = from; i < n_loop_attaches; i++) {
		assert_non_null(loop_indexes[i]);
		assert_ptr_equal(loop_indexes[i], loop_indexes[from]);
	}
}

/* ---- udev's database ------------------------------------------------------ */

static struct fake_dev *find_in_udev_db(dev_t devnum)
{
	for (int i = 0; i < n_disks; i++)
		if (disks[i].present && disks[i].devnum == devnum)
			return &disks[i];
	for (size_t i = 0; i < ELEMENTSOF(maps); i++)
		if (maps[i].exists && maps[i].dev.present && maps[i].dev.devnum == devnum)
			return &maps[i].dev;
	return NULL;
}

/* ---- sysfs, for the marks of backing devices: a map holds its backing ---- */

int __wrap_component_held_by_map(dev_t dev, char **volume)
{
	for (size_t i = 0; i < ELEMENTSOF(maps); i++)
		if (maps[i].exists && maps[i].table.backing == dev)
			return 1;
	return 0;
}

int __wrap_component_device_diskseq(dev_t dev, uint64_t *ret)
{
	return -ENOENT;
}

int __wrap_block_device_trigger(dev_t dev)
{
	record(calls, &n_calls, "trigger %u:%u", major(dev), minor(dev));
	return 0;
}

/* ---- the block watch: udev's events, delivered by the test -------------- */

static block_event_fn watch_fn;
static void *watch_userdata;
static int coldplug_error;
static int watch_token;

int __wrap_block_watch_new(sd_event *event, block_event_fn fn, void *userdata,
			   struct block_watch **ret)
{
	watch_fn = fn;
	watch_userdata = userdata;
	*ret = (struct block_watch *)(void *)&watch_token;
	return 0;
}

struct block_watch *__wrap_block_watch_free(struct block_watch *w)
{
	return NULL;
}

struct udev *__wrap_block_watch_udev(struct block_watch *w)
{
	return (struct udev *)(void *)&watch_token;
}

int __wrap_block_watch_coldplug(struct block_watch *w)
{
	if (coldplug_error)
		return coldplug_error;
	for (int i = 0; i < n_disks; i++)
		if (disks[i].present) {
			n_block_events++;
			fake_monotonic_usec += clock_step_usec;
			watch_fn(UDEV_DEVICE(&disks[i]), BLOCK_EVENT_PRESENT, watch_userdata);
		}
	for (size_t i = 0; i < ELEMENTSOF(maps); i++)
		if (maps[i].exists && maps[i].dev.present) {
			n_block_events++;
			fake_monotonic_usec += clock_step_usec;
			watch_fn(UDEV_DEVICE(&maps[i].dev), BLOCK_EVENT_PRESENT, watch_userdata);
		}
	return 0;
}

/* udev is done with map NAME: /dev/mapper/NAME is there, its event comes. */
static void udev_processes(const char *name)
{
	struct fake_map *f = find_map(name);

	assert_non_null(f);
	f->dev.present = true;
	n_block_events++;
	fake_monotonic_usec += clock_step_usec;
	watch_fn(UDEV_DEVICE(&f->dev), BLOCK_EVENT_PRESENT, watch_userdata);
}

/* ---- sd_notify, the journal, memory ------------------------------------- */

int __wrap_sd_notify(int unset_environment, const char *state)
{
	if (!strcmp(state, "WATCHDOG=1")) {
		n_watchdog++;
		return 0;
	}
	assert_true(n_notes < 64);
	snprintf(notes[n_notes++], sizeof(notes[0]), "%s", state);
	return 0;
}

int __wrap_sd_watchdog_enabled(int unset_environment, uint64_t *usec)
{
	if (!watchdog_usec)
		return 0;
	*usec = watchdog_usec;
	return 1;
}

int __real_clock_gettime(clockid_t clock, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	if (clock != CLOCK_MONOTONIC)
		return __real_clock_gettime(clock, ts);
	ts->tv_sec = (time_t)(fake_monotonic_usec / 1000000);
	ts->tv_nsec = (long)(fake_monotonic_usec % 1000000 * 1000);
	return 0;
}

int __wrap_sd_notifyf(int unset_environment, const char *format, ...)
{
	va_list ap;

	assert_true(n_notes < 64);
	va_start(ap, format);
	vsnprintf(notes[n_notes++], sizeof(notes[0]), format, ap);
	va_end(ap);
	return 0;
}

void __wrap_log_volume_event(int level, const char *volume, const char *event, const char *backing,
			     const char *fmt, ...)
{
	char message[200];
	va_list ap;

	assert_true(n_events < 64);
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(events[n_events], sizeof(events[0]), "%s:%s", volume, event);
	snprintf(event_messages[n_events++], sizeof(event_messages[0]), "%s: %s", volume, message);
}

void __wrap_log_reload_result(bool applied, const char *fmt, ...)
{
	va_list ap;

	reload_log.applied = applied;
	reload_log.n++;
	va_start(ap, fmt);
	vsnprintf(reload_log.message, sizeof(reload_log.message), fmt, ap);
	va_end(ap);
}

static const char *no_room_for;	/* volume_new() of this volume runs out of memory */
struct volume *__real_volume_new(const struct volume_config *cfg);

struct volume *__wrap_volume_new(const struct volume_config *cfg)
{
	if (no_room_for && !strcmp(cfg->name, no_room_for))
		return NULL;
	return __real_volume_new(cfg);
}

/* ---- the configuration, a real file ------------------------------------- */

int __wrap_config_load(const char *path, const char *dropin_dir, struct config **ret,
		       struct config_errors *errors)
{
	return config_load_owned_by(path, dropin_dir, getuid(), ret, errors);
}

static char dir[64], conf_path[128];
static struct manager *m;

static void write_config(const char *text)
{
	/* what the loader trusts, whatever the umask */
	assert_int_equal(write_text(conf_path, text, 0644), 0);
}

static struct json_object *no_handler(const struct control_request *req,
				      const struct ucred *peer, void *userdata)
{
	return NULL;
}

/* A manager on CONFIG, started; the scratch directory is its runtime directory too. */
static void start(const char *config)
{
	write_config(config);
	assert_int_equal(manager_new(conf_path, NULL, dir, no_handler, &m), 0);
	assert_int_equal(manager_start(m, NULL), 0);
}

static struct volume *volume(const char *name)
{
	struct volume *v = manager_find_volume(m, name);

	assert_non_null(v);
	return v;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-manager.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/basicdm.conf", dir);
	memset(maps, 0, sizeof(maps));
	memset(loop_files, 0, sizeof(loop_files));
	next_map_minor = 0;
	n_disks = 0;
	n_loop_attaches = 0;
	udev_processes_at_once = false;
	fake_udev_find = find_in_udev_db;
	coldplug_error = 0;
	no_room_for = NULL;
	unusable_file = NULL;
	watchdog_usec = clock_step_usec = 0;
	fake_monotonic_usec = 1000 * 1000000ULL;
	forget_what_happened();
	m = NULL;
	return 0;
}

static int teardown(void **state)
{
	m = manager_free(m);
	remove_tree(dir);
	return 0;
}

/* ---- READY=1 and STATUS= ------------------------------------------------ */

static void test_ready_at_once_when_nothing_activates(void **state)
{
	udev_processes_at_once = true;
	start("volumes = (\n"
	      "  { name = \"a\"; file = \"/srv/a.img\"; },\n"
	      "  { name = \"b\"; file = \"/srv/b.img\"; },\n"
	      "  { name = \"raw\"; device = \"/dev/disk/by-id/raw\"; }\n"
	      ");\n");
	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "2 active, 1 waiting, 0 failed");
	assert_null(m->ready_timer);
}

static void test_ready_when_the_last_activating_is_active(void **state)
{
	struct fake_map *f;

	start("volumes = (\n"
	      "  { name = \"a\"; file = \"/srv/a.img\"; },\n"
	      "  { name = \"b\"; file = \"/srv/b.img\"; }\n"
	      ");\n");
	assert_int_equal(volume("a")->state, VOLUME_ACTIVATING);
	assert_int_equal(notes_equal("READY=1"), 0);
	assert_non_null(m->ready_timer);

	udev_processes("a");
	assert_int_equal(volume("a")->state, VOLUME_ACTIVE);
	assert_int_equal(notes_equal("READY=1"), 0);	/* b still activating */

	udev_processes("b");
	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "2 active, 0 waiting, 0 failed");
	assert_null(m->ready_timer);

	/* from then on a change updates STATUS= only: dmsetup remove a */
	f = find_map("a");
	f->exists = f->dev.present = false;
	watch_fn(UDEV_DEVICE(&f->dev), BLOCK_EVENT_REMOVED, watch_userdata);
	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "1 active, 0 waiting, 1 failed");
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	__real_clock_gettime(CLOCK_MONOTONIC, &ts);	/* sd-event's clock, not the fake */
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void test_ready_by_timeout(void **state)
{
	uint64_t when, now;

	start("volumes = ( { name = \"a\"; file = \"/srv/a.img\"; } );\n");
	assert_non_null(m->ready_timer);
	now = monotonic_usec();
	assert_int_equal(sd_event_source_get_time(m->ready_timer, &when), 0);
	assert_true(when > now + 59 * 1000000ULL && when <= now + 60 * 1000000ULL);
	assert_int_equal(notes_equal("READY=1"), 0);

	/* udev never shows the map: the timer's time comes */
	assert_int_equal(sd_event_source_set_time(m->ready_timer, now), 0);
	assert_true(sd_event_run(m->event, 5 * 1000000ULL) > 0);
	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "0 active, 1 waiting, 0 failed");
	assert_int_equal(volume("a")->state, VOLUME_ACTIVATING);
}

static void test_status_counts(void **state)
{
	udev_processes_at_once = true;
	assert_int_equal(inactive_mark(dir, "off", true), 0);
	start("volumes = (\n"
	      "  { name = \"up\"; file = \"/srv/up.img\"; },\n"
	      "  { name = \"raw\"; device = \"/dev/disk/by-id/raw\"; },\n"
	      "  { name = \"bad\"; file = \"/srv/bad.img\"; offset = 100000; },\n"
	      "  { name = \"off\"; file = \"/srv/off.img\"; }\n"
	      ");\n");
	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "1 active, 1 waiting, 1 failed, 1 inactive");
	assert_false(map_touched("off"));
}

/* ---- a reload ----------------------------------------------------------- */

#define CONFIG_BEFORE                                                   \
	"volumes = (\n"                                                 \
	"  { name = \"keep\"; file = \"/srv/keep.img\"; },\n"           \
	"  { name = \"gone\"; file = \"/srv/gone.img\"; },\n"           \
	"  { name = \"table\"; file = \"/srv/table.img\"; },\n"         \
	"  { name = \"moved\"; file = \"/srv/moved.img\"; }\n"          \
	");\n"
#define CONFIG_AFTER                                                    \
	"volumes = (\n"                                                 \
	"  { name = \"keep\"; file = \"/srv/keep.img\"; },\n"           \
	"  { name = \"table\"; file = \"/srv/table.img\"; offset = 8; },\n" \
	"  { name = \"moved\"; file = \"/srv/elsewhere.img\"; },\n"     \
	"  { name = \"new\"; file = \"/srv/new.img\"; }\n"              \
	");\n"

static void test_reload_applies_the_difference(void **state)
{
	struct reload_result res = {};
	dev_t keep_map;
	int loops_before;

	udev_processes_at_once = true;
	start(CONFIG_BEFORE);
	assert_one_loop_index(0);	/* the start-up pass: one index for all */
	keep_map = volume("keep")->map;
	loops_before = n_loop_attaches;
	forget_what_happened();

	write_config(CONFIG_AFTER);
	assert_int_equal(manager_reload(m, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.removed, 1);
	assert_int_equal(res.reloaded, 1);
	assert_int_equal(res.replaced, 1);
	assert_int_equal(res.unchanged, 1);
	assert_int_equal(res.not_set_up, 0);
	assert_int_equal(res.rescan_error, 0);
	assert_true(reload_log.applied);
	assert_string_equal(reload_log.message, "configuration reloaded: 1 added, 1 removed, "
						"1 reloaded, 1 replaced, 1 unchanged");
	/* the plan as applied, for basicdmctl: a removal's name outlives the old configuration */
	assert_int_equal(res.n_plan, 5);
	assert_int_equal(res.plan[0].action, PLAN_REMOVE);
	assert_string_equal(res.plan[0].old->name, "gone");
	assert_ptr_equal(res.plan[0].old, config_find(res.old_config, "gone"));
	for (size_t i = 1; i < res.n_plan; i++)
		assert_ptr_equal(res.plan[i].new, config_find(m->config, res.plan[i].new->name));

	assert_true(call_index("remove gone", 0) >= 0);
	assert_null(manager_find_volume(m, "gone"));
	assert_true(call_index("reload table", 0) >= 0);
	assert_int_equal(find_map("table")->table.offset, 8);
	assert_true(call_index("remove moved", 0) >= 0);
	assert_true(call_index("create moved", 0) > call_index("remove moved", 0));
	assert_int_equal(find_map("moved")->table.backing, volume("moved")->backing);
	assert_true(call_index("create new", 0) >= 0);
	assert_int_equal(volume("new")->state, VOLUME_ACTIVE);
	assert_int_equal(m->n_volumes, 4);
	assert_one_loop_index(loops_before);	/* the reload: one index for moved and new */

	/* untouched: not a single dm call, no journal event */
	assert_false(map_touched("keep"));
	assert_int_equal(events_of("keep"), 0);
	assert_int_equal(volume("keep")->map, keep_map);
	assert_int_equal(volume("keep")->state, VOLUME_ACTIVE);

	assert_int_equal(notes_equal("RELOADING=1\nSTATUS=Reloading the configuration"), 1);
	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "4 active, 0 waiting, 0 failed");
	reload_result_clear(&res);
}

static void test_refused_reload_changes_nothing(void **state)
{
	struct reload_result res = {};
	enum volume_state states[4];
	int loops_before;

	udev_processes_at_once = true;
	start(CONFIG_BEFORE);
	for (size_t i = 0; i < m->n_volumes; i++)
		states[i] = m->volumes[i]->state;
	loops_before = n_loop_attaches;
	forget_what_happened();

	write_config("volumes = (\n"
		     "  { name = \"keep\"; file = \"/srv/keep.img\"; },\n"
		     "  { name = \"new\"; file = \"/srv/new.img\"; size = \"lots\"; }\n"
		     ");\n");
	assert_true(manager_reload(m, &res) < 0);
	assert_true(res.errors.n > 0);
	assert_false(reload_log.applied);
	assert_non_null(strstr(reload_log.message, "refused, nothing changed"));
	assert_int_equal(n_calls, 0);
	assert_int_equal(n_events, 0);
	assert_int_equal(n_loop_attaches, loops_before);
	assert_int_equal(m->n_volumes, 4);
	for (size_t i = 0; i < m->n_volumes; i++)
		assert_int_equal(m->volumes[i]->state, states[i]);
	assert_null(manager_find_volume(m, "new"));
	assert_int_equal(notes_equal("READY=1"), 1);	/* the reload is over all the same */
	/* systemd's status line is the counts again, not "Reloading" */
	assert_string_equal(last_status(), "4 active, 0 waiting, 0 failed");
	reload_result_clear(&res);
}

/*
 * A long pass (a plan, a rescan of many devices) runs in one callback:
 * it pings systemd's watchdog itself, each time a quarter of WatchdogSec=
 * has gone by, and not once a device, since every message wakes systemd;
 * nor is a STATUS= line sent again unchanged.
 */
static void test_watchdog_and_status_are_paced(void **state)
{
	struct reload_result res = {};
	int notes_before;

	watchdog_usec = 30 * 1000000ULL;
	udev_processes_at_once = true;
	/* the clock standing still: the first ping, none for the devices after */
	start(CONFIG_BEFORE);
	assert_true(n_block_events >= 4);
	assert_int_equal(n_watchdog, 1);

	/* 8 s a device, more than a quarter of 30 s: a ping each */
	forget_what_happened();
	clock_step_usec = 8 * 1000000ULL;
	assert_int_equal(manager_reload(m, &res), 0);
	reload_result_clear(&res);
	assert_true(n_block_events >= 4);
	assert_int_equal(n_watchdog, n_block_events);

	/* 7 s a device: every other one */
	forget_what_happened();
	clock_step_usec = 7 * 1000000ULL;
	assert_int_equal(manager_reload(m, &res), 0);
	reload_result_clear(&res);
	assert_int_equal(n_watchdog, n_block_events / 2);

	/* devices that change nothing: no STATUS= line */
	notes_before = n_notes;
	assert_int_equal(block_watch_coldplug(m->block_watch), 0);
	assert_true(n_block_events > 0);
	assert_int_equal(n_notes, notes_before);

	/* no WatchdogSec=: no ping at all */
	m = manager_free(m);
	watchdog_usec = 0;
	forget_what_happened();
	start(CONFIG_BEFORE);
	assert_int_equal(n_watchdog, 0);
}

/* A backing file the unit cannot use refuses the reload before anything changes. */
static void test_reload_refused_for_an_unusable_file(void **state)
{
	struct reload_result res = {};
	int loops_before;

	udev_processes_at_once = true;
	start(CONFIG_BEFORE);
	loops_before = n_loop_attaches;
	forget_what_happened();

	unusable_file = "/srv/new/n.img";
	write_config("volumes = (\n"
		     "  { name = \"keep\"; file = \"/srv/keep.img\"; },\n"
		     "  { name = \"n\"; file = \"/srv/new/n.img\"; size = \"1M\"; }\n"
		     ");\n");
	assert_true(manager_reload(m, &res) < 0);
	assert_int_equal(res.errors.n, 1);
	assert_non_null(strstr(res.errors.messages[0], ":3: volume 'n': basicdm.service may not write"));
	assert_false(reload_log.applied);
	assert_non_null(strstr(reload_log.message, "refused, nothing changed"));
	assert_int_equal(n_calls, 0);
	assert_int_equal(n_events, 0);
	assert_int_equal(n_loop_attaches, loops_before);
	assert_int_equal(m->n_volumes, 4);
	assert_null(manager_find_volume(m, "n"));
	reload_result_clear(&res);
}

/* A volume with no room is left out, said, and set up by the next reload. */
static void test_reload_out_of_memory_for_a_volume(void **state)
{
	struct reload_result res = {};

	udev_processes_at_once = true;
	start(CONFIG_BEFORE);
	forget_what_happened();

	no_room_for = "new";
	write_config(CONFIG_AFTER);
	assert_int_equal(manager_reload(m, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.not_set_up, 1);
	assert_true(reload_log.applied);
	assert_string_equal(reload_log.message, "configuration reloaded: 1 added, 1 removed, "
						"1 reloaded, 1 replaced, 1 unchanged; "
						"1 not set up (out of memory)");
	assert_null(manager_find_volume(m, "new"));
	assert_false(map_touched("new"));
	reload_result_clear(&res);

	no_room_for = NULL;
	assert_int_equal(manager_reload(m, &res), 0);
	assert_int_equal(res.unchanged, 4);
	assert_int_equal(res.not_set_up, 0);
	assert_true(call_index("create new", 0) >= 0);
	assert_int_equal(volume("new")->state, VOLUME_ACTIVE);
	reload_result_clear(&res);
}

/* The disks of new volumes cannot be looked for: logged, and the result says so. */
static void test_reload_rescan_failure_is_said(void **state)
{
	struct reload_result res = {};

	udev_processes_at_once = true;
	start("volumes = ( { name = \"a\"; file = \"/srv/a.img\"; } );\n");
	add_disk("/dev/disk/by-id/raw", 16);
	coldplug_error = -EIO;
	write_config("volumes = (\n"
		     "  { name = \"a\"; file = \"/srv/a.img\"; },\n"
		     "  { name = \"raw\"; device = \"/dev/disk/by-id/raw\"; }\n"
		     ");\n");
	assert_int_equal(manager_reload(m, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.rescan_error, -EIO);
	assert_true(reload_log.applied);
	assert_non_null(strstr(reload_log.message, "1 added"));
	assert_non_null(strstr(reload_log.message, "; block devices not rescanned ("));
	assert_int_equal(volume("raw")->state, VOLUME_WAITING);
	reload_result_clear(&res);
}

/* ---- stray maps --------------------------------------------------------- */

static void test_stray_maps(void **state)
{
	struct fake_dev *disk = add_disk("/dev/disk/by-id/present", 16);
	struct basic_target_table present = { SECTORS, disk->devnum, 0, false, false };
	struct basic_target_table other = { 1024, makedev(254, 99), 0, false, false };
	int second_list;

	udev_processes_at_once = true;
	add_map("gone", "BASICDM-gone", &other);		/* no longer configured */
	add_map("present", "BASICDM-present", &present);	/* configured, disk there */
	add_map("unplugged", "BASICDM-unplugged", &other);	/* configured, disk gone */
	add_map("off", "BASICDM-off", &other);		/* configured, inactive */
	add_map("other", "CRYPT-LUKS2-other", &other);	/* someone else's */
	add_map("taken", "LVM-taken", &other);		/* someone else's, a volume's name */
	assert_int_equal(inactive_mark(dir, "off", true), 0);

	start("volumes = (\n"
	      "  { name = \"present\"; device = \"/dev/disk/by-id/present\"; },\n"
	      "  { name = \"unplugged\"; device = \"/dev/disk/by-id/unplugged\"; },\n"
	      "  { name = \"off\"; file = \"/srv/off.img\"; },\n"
	      "  { name = \"taken\"; file = \"/srv/taken.img\"; }\n"
	      ");\n");

	/* before the start-up pass: only the map no longer configured */
	assert_int_equal(call_index("list", 0), 0);
	assert_int_equal(call_index("remove gone", 0), 1);
	assert_true(event_logged("gone: map removed (no longer configured)"));

	/* after the coldplug: the maps their volumes do not hold */
	second_list = call_index("list", 1);
	assert_true(second_list > 1);
	assert_true(call_index("remove unplugged", 0) > second_list);
	assert_true(event_logged("unplugged: map removed (its backing is gone)"));
	assert_true(call_index("remove off", 0) > second_list);
	assert_true(event_logged("off: map removed (the volume is inactive)"));

	/* kept: the configured one on its disk, adopted as it is */
	assert_int_equal(call_index("remove present", 0), -1);
	assert_int_equal(call_index("reload present", 0), -1);
	assert_non_null(find_map("present"));
	assert_int_equal(volume("present")->map, find_map("present")->dev.devnum);
	assert_int_equal(volume("present")->state, VOLUME_ACTIVE);

	/* foreign maps: never listed, never touched */
	assert_false(map_touched("other"));
	assert_non_null(find_map("other"));
	assert_int_equal(call_index("remove taken", 0), -1);
	assert_int_equal(call_index("reload taken", 0), -1);
	assert_int_equal(call_index("create taken", 0), -1);
	assert_non_null(find_map("taken"));
	assert_int_equal(volume("taken")->state, VOLUME_FAILED);

	assert_int_equal(notes_equal("READY=1"), 1);
	assert_string_equal(last_status(), "1 active, 1 waiting, 1 failed, 1 inactive");
}

/* ---- the claims file for udev's helper ---------------------------------- */

/* The names in the claims file, in order, space-separated. */
static const char *claimed(void)
{
	static char names[256];
	struct config *c = NULL;
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/claims", dir);
	assert_int_equal(component_claims_load(path, &c), 0);
	names[0] = '\0';
	for (size_t i = 0; i < c->n_volumes; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? " " : "", c->volumes[i].name);
	config_free(c);
	return names;
}

/*
 * Every volume the daemon maps or waits for is claimed; one taken down is
 * not, from before its map goes (so the "change" after it finds the disk
 * no longer claimed) until it is activated again; a reload claims what the
 * new configuration holds.
 */
static void test_claims_follow_the_wanted_volumes(void **state)
{
	udev_processes_at_once = true;
	assert_int_equal(inactive_mark(dir, "off", true), 0);
	start("volumes = (\n"
	      "  { name = \"a\"; file = \"/srv/a.img\"; },\n"
	      "  { name = \"raw\"; device = \"/dev/disk/by-id/raw\"; },\n"
	      "  { name = \"off\"; file = \"/srv/off.img\"; }\n"
	      ");\n");
	assert_string_equal(claimed(), "a raw");

	assert_int_equal(manager_deactivate(m, "a"), 0);
	assert_string_equal(claimed(), "raw");
	assert_int_equal(manager_activate(m, "off"), 0);
	assert_string_equal(claimed(), "raw off");
	assert_int_equal(manager_activate(m, "a"), 0);
	assert_string_equal(claimed(), "a raw off");

	write_config("volumes = (\n"
		     "  { name = \"raw\"; device = \"/dev/disk/by-id/raw\"; },\n"
		     "  { name = \"new\"; match = { ID_SERIAL = \"NEW01\"; }; }\n"
		     ");\n");
	assert_int_equal(manager_reload(m, NULL), 0);
	assert_string_equal(claimed(), "raw new");
}

/* A deactivated file volume's loop device is unmarked once its map is gone. */
static void test_deactivate_unmarks_the_backing(void **state)
{
	char marker[PATH_MAX + 32], trigger[64];
	dev_t loop;

	udev_processes_at_once = true;
	start("volumes = ( { name = \"a\"; file = \"/srv/a.img\"; } );\n");
	loop = volume("a")->backing;
	snprintf(marker, sizeof(marker), "%s/backing/%u:%u", dir, major(loop), minor(loop));
	assert_int_equal(access(marker, F_OK), 0);
	forget_what_happened();

	assert_int_equal(manager_deactivate(m, "a"), 0);
	assert_int_equal(access(marker, F_OK), -1);
	snprintf(trigger, sizeof(trigger), "trigger %u:%u", major(loop), minor(loop));
	assert_true(call_index("remove a", 0) >= 0);
	assert_true(call_index(trigger, 0) > call_index("remove a", 0));
}

/* ---- the initramfs's pass (manager_run_until_active) -------------------- */

/* A manager on CONFIG as basicdmd --initramfs starts it: no control socket. */
static void start_for_initramfs(const char *config)
{
	write_config(config);
	assert_int_equal(manager_new(conf_path, NULL, dir, NULL, &m), 0);
	assert_int_equal(manager_start(m, NULL), 0);
}

static void test_initramfs_pass_ends_when_all_are_active(void **state)
{
	char socket_path[192];

	udev_processes_at_once = true;
	start_for_initramfs("volumes = ( { name = \"a\"; file = \"/srv/a.img\"; } );\n");
	assert_int_equal(manager_run_until_active(m, 60 * 1000000ULL), 0);
	assert_int_equal(volume("a")->state, VOLUME_ACTIVE);
	/* the initramfs serves no basicdmctl */
	snprintf(socket_path, sizeof(socket_path), "%s/" CONTROL_SOCKET_NAME, dir);
	assert_int_equal(access(socket_path, F_OK), -1);
}

static int udev_processes_a(sd_event_source *s, void *userdata)
{
	udev_processes("a");
	return 0;
}

static void test_initramfs_pass_waits_for_udev(void **state)
{
	_cleanup_(sd_event_source_unrefp) sd_event_source *later = NULL;

	start_for_initramfs("volumes = ( { name = \"a\"; file = \"/srv/a.img\"; } );\n");
	assert_int_equal(volume("a")->state, VOLUME_ACTIVATING);
	/* udev announces the map once the loop runs */
	assert_int_equal(sd_event_add_defer(m->event, &later, udev_processes_a, NULL), 0);
	assert_int_equal(manager_run_until_active(m, 60 * 1000000ULL), 0);
	assert_int_equal(volume("a")->state, VOLUME_ACTIVE);
}

static void test_initramfs_pass_times_out(void **state)
{
	udev_processes_at_once = true;
	start_for_initramfs("volumes = (\n"
			    "  { name = \"a\"; file = \"/srv/a.img\"; },\n"
			    "  { name = \"root\"; device = \"/dev/disk/by-id/never\"; }\n"
			    ");\n");
	assert_int_equal(manager_run_until_active(m, 100 * 1000ULL), -ETIMEDOUT);
	assert_int_equal(volume("a")->state, VOLUME_ACTIVE);
	assert_int_equal(volume("root")->state, VOLUME_WAITING);
}

static void test_initramfs_pass_stops_at_a_failure(void **state)
{
	udev_processes_at_once = true;
	start_for_initramfs("volumes = (\n"
			    "  { name = \"a\"; file = \"/srv/a.img\"; },\n"
			    "  { name = \"bad\"; file = \"/srv/bad.img\"; offset = 100000; }\n"
			    ");\n");
	/* no waiting for what cannot come: at once, whatever the timeout */
	assert_int_equal(manager_run_until_active(m, 3600 * 1000000ULL), -EIO);
	assert_int_equal(volume("bad")->state, VOLUME_FAILED);
}

/*
 * A file that does not load: the start fails before anything is mapped,
 * and the caller gets every problem by file and line (the initramfs's
 * console names them).
 */
static void test_initramfs_start_names_what_does_not_load(void **state)
{
	struct config_errors errors = {};
	char want[192];

	write_config("volumes = (\n"
		     "  { name = \"a\"; file = \"/srv/a.img\"; }\n"
		     "  oops\n"
		     ");\n");
	assert_int_equal(manager_new(conf_path, NULL, dir, NULL, &m), 0);
	assert_true(manager_start(m, &errors) < 0);
	assert_int_equal(errors.n, 1);
	snprintf(want, sizeof(want), "%s:3: syntax error", conf_path);
	assert_string_equal(errors.messages[0], want);
	assert_int_equal(call_index("create a", 0), -1);
	config_errors_clear(&errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_initramfs_pass_ends_when_all_are_active),
		T(test_initramfs_pass_waits_for_udev),
		T(test_initramfs_pass_times_out),
		T(test_initramfs_pass_stops_at_a_failure),
		T(test_initramfs_start_names_what_does_not_load),
		T(test_claims_follow_the_wanted_volumes),
		T(test_deactivate_unmarks_the_backing),
		T(test_ready_at_once_when_nothing_activates),
		T(test_ready_when_the_last_activating_is_active),
		T(test_ready_by_timeout),
		T(test_status_counts),
		T(test_reload_applies_the_difference),
		T(test_refused_reload_changes_nothing),
		T(test_watchdog_and_status_are_paced),
		T(test_reload_refused_for_an_unusable_file),
		T(test_reload_out_of_memory_for_a_volume),
		T(test_reload_rescan_failure_is_said),
		T(test_stray_maps),
	};
	sigset_t mask;

	/* sd-event takes these through signalfd, as main() sets them up */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
