// SPDX-License-Identifier: GPL-2.0-only
#include "volume.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "backing-check.h"
#include "block-watch.h"
#include "blockdev.h"
#include "component.h"
#include "log.h"
#include "loop.h"
#include "map-stats.h"
#include "map.h"
#include "util.h"

static const char *const state_names[_VOLUME_STATE_MAX] = {
	[VOLUME_WAITING] = "waiting",
	[VOLUME_ACTIVATING] = "activating",
	[VOLUME_ACTIVE] = "active",
	[VOLUME_FAILED] = "failed",
	[VOLUME_INACTIVE] = "inactive",
};

const char *volume_state_to_string(enum volume_state s)
{
	return s < _VOLUME_STATE_MAX ? state_names[s] : "unknown";
}

/*
 * Every volume there is, the manager's: a file volume asks them whether
 * the loop device it found bound to its file already backs one of them
 * (attach_file()).
 */
static struct volume *all_volumes;

struct volume *volume_new(const struct volume_config *cfg)
{
	struct volume *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->cfg = cfg;
	v->state = VOLUME_WAITING;
	v->since_usec = clock_usec(CLOCK_REALTIME);
	v->next = all_volumes;
	if (all_volumes)
		all_volumes->prev = v;
	all_volumes = v;
	return v;
}

struct volume *volume_free(struct volume *v)
{
	if (!v)
		return NULL;
	if (v->prev)
		v->prev->next = v->next;
	else
		all_volumes = v->next;
	if (v->next)
		v->next->prev = v->prev;
	free(v->backing_desc);
	free(v->reason);
	free(v);
	return NULL;
}

/*
 * Only the transitions below change the state, and each writes its journal
 * event: waiting, failed, active, inactive (activating follows "attached"
 * or "reloaded", written where the map is made).
 */
static void set_state(struct volume *v, enum volume_state s)
{
	if (v->state == s)
		return;
	v->state = s;
	v->since_usec = clock_usec(CLOCK_REALTIME);
}

static void wait_for_backing(struct volume *v)
{
	set_state(v, VOLUME_WAITING);
	log_volume_event(LOG_INFO, v->cfg->name, "waiting", NULL, "waiting for its backing device");
}

static int fail(struct volume *v, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct volume *v, int r, const char *fmt, ...)
{
	char *reason = NULL;
	va_list ap;

	errno = r < 0 ? -r : r;
	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) < 0)
		reason = NULL;
	va_end(ap);
	free(v->reason);
	v->reason = reason;
	set_state(v, VOLUME_FAILED);
	log_volume_event(LOG_ERR, v->cfg->name, "failed", v->backing_desc, "failed: %s",
			 reason ? reason : "out of memory");
	return r;
}

static void become_active(struct volume *v, const char *link)
{
	set_state(v, VOLUME_ACTIVE);
	log_volume_event(LOG_INFO, v->cfg->name, "active", v->backing_desc, "active as %s", link);
}

static void become_inactive(struct volume *v)
{
	free(v->reason);
	v->reason = NULL;
	set_state(v, VOLUME_INACTIVE);
	log_volume_event(LOG_INFO, v->cfg->name, "inactive", NULL,
			 "inactive until activated again");
}

/*
 * A table the kernel refuses with EINVAL: most often the target type itself
 * is missing (the module is not installed or failed to load), and the
 * errno alone does not say so.
 */
static int fail_table(struct volume *v, int r, const char *what)
{
	if (r == -EINVAL && !basic_target_present())
		return fail(v, r,
			    "%s: the kernel has no " BASIC_TARGET_NAME " target (is the module "
			    "installed? modprobe " BASIC_TARGET_NAME "); reload once it is loaded",
			    what);
	return fail(v, r, "%s: %m", what);
}

/*
 * The table for BACKING as configured.  A write-protected backing device is
 * mapped read-only whatever the configuration says, as mount(8) does with
 * such a medium: *WRITE_PROTECTED tells the caller to say so.
 */
static int volume_table(struct volume *v, dev_t backing, struct basic_target_table *t,
			bool *write_protected)
{
	const struct volume_config *c = v->cfg;
	uint64_t size;
	int r;

	r = blockdev_get_sectors(backing, &size);
	if (r < 0)
		return fail(v, r, "cannot read the size of %s: %m", v->backing_desc);
	v->backing_sectors = size;
	r = blockdev_get_read_only(backing, write_protected);
	if (r < 0)
		return fail(v, r, "cannot read whether %s is read-only: %m", v->backing_desc);
	if (c->offset >= size)
		return fail(v, -ERANGE,
			    "offset %" PRIu64 " is past the end of %s (%" PRIu64 " sectors)",
			    c->offset, v->backing_desc, size);
	if (c->sectors && c->sectors > size - c->offset)
		return fail(v, -ERANGE,
			    "offset %" PRIu64 " + %" PRIu64 " sectors passes the end of %s (%" PRIu64
			    " sectors)",
			    c->offset, c->sectors, v->backing_desc, size);

	*t = (struct basic_target_table){
		.sectors = c->sectors ? c->sectors : size - c->offset,
		.backing = backing,
		.offset = c->offset,
		.read_only = c->read_only || *write_protected,
		.trace = c->trace,
	};
	*write_protected = *write_protected && !c->read_only;
	return 0;
}

/* How the journal says the table's mode: "", ", read-only", or why it is read-only. */
static const char *mode_text(const struct basic_target_table *t, bool write_protected)
{
	if (write_protected)
		return ", read-only: the device is write-protected";
	return t->read_only ? ", read-only" : "";
}

static bool spec_equal(const struct basic_target_table *a, const struct basic_target_table *b)
{
	return a->sectors == b->sectors && a->backing == b->backing && a->offset == b->offset &&
	       a->read_only == b->read_only && a->trace == b->trace;
}

/* udev has processed DEV: if it is this volume's map with its link, active. */
static bool map_processed(struct volume *v, struct udev_device *dev)
{
	char link[64 + VOLUME_NAME_MAX];
	const char *suspended;

	if (!v->map || udev_device_get_devnum(dev) != v->map)
		return false;
	suspended = udev_device_get_property_value(dev, "DM_SUSPENDED");
	snprintf(link, sizeof(link), "/dev/mapper/%s", v->cfg->name);
	if (v->state == VOLUME_ACTIVATING && !streq_ptr(suspended, "1") &&
	    block_device_has_path(dev, link))
		become_active(v, link);
	return true;
}

/* Active as soon as udev's database shows /dev/mapper/NAME for the map. */
static void check_udev(struct volume *v, struct udev *udev)
{
	struct udev_device *dev;

	if (!udev || !v->map)
		return;
	dev = udev_device_new_from_devnum(udev, 'b', v->map);
	if (!dev)
		return;
	if (udev_device_get_is_initialized(dev))
		map_processed(v, dev);
	udev_device_unref(dev);
}

/*
 * The map's dm-stats region as configured (map-stats.h), after every
 * create, adoption, reload and reconfiguration: found again, never made
 * twice.  Without it the volume only lacks its statistics.
 */
static void sync_stats(struct volume *v)
{
	int r;

	if (!v->map)
		return;
	r = map_stats_sync(v->cfg->name, &v->cfg->latency_histogram, v->map_sectors);
	if (r < 0)
		log_warning_errno(r, "%s: cannot set up its dm-stats latency histogram, ignoring: %m",
				  v->cfg->name);
	else if (r > 0)
		log_debug("%s: dm-stats region made", v->cfg->name);
}

static int load_map(struct volume *v, const struct basic_target_table *t)
{
	struct map_info info = {};
	const char *name = v->cfg->name;
	int r;

	r = map_get_info(name, &info);
	if (r >= 0 && !map_uuid_is_volume(info.uuid, name)) {
		map_info_clear(&info);
		return fail(v, -EEXIST, "a map named %s exists that basicdm did not create (UUID %s)",
			    name, info.uuid && *info.uuid ? info.uuid : "none");
	}
	if (r >= 0 && info.deferred_remove) {
		/* deactivated while open, wanted again before the last close */
		r = map_cancel_deferred_remove(name);
		if (r < 0) {
			map_info_clear(&info);
			return fail(v, r, "cannot cancel the pending removal of the map: %m");
		}
	}
	if (r == -ENODEV) {
		r = map_create(name, t);
		if (r < 0)
			return fail_table(v, r, "cannot create the map");
		r = map_get_info(name, &info);
	} else if (r >= 0 && (!info.table_is_ours || !spec_equal(&info.table, t) ||
			      info.read_only != t->read_only)) {
		r = map_reload(name, t);
		if (r < 0) {
			map_info_clear(&info);
			return fail_table(v, r, "cannot reload the existing map");
		}
		log_volume_event(LOG_INFO, name, "reloaded", v->backing_desc,
				 "existing map reloaded with the configured table");
	} else if (r >= 0) {
		log_volume_event(LOG_INFO, name, "adopted", v->backing_desc,
				 "existing map adopted unchanged");
	}
	if (r < 0)
		return fail(v, r, "cannot query the map: %m");
	v->map = info.devnum;
	v->map_sectors = t->sectors;
	map_info_clear(&info);
	sync_stats(v);
	return 0;
}

static int attach(struct volume *v, struct udev *udev, dev_t backing, const char *desc)
{
	struct basic_target_table t;
	bool write_protected, new_mark;
	int r, lock;
	char *d;

	d = strdup(desc);
	if (!d)
		return fail(v, -ENOMEM, "out of memory");
	free(v->backing_desc);
	v->backing_desc = d;
	v->backing = backing;

	r = volume_table(v, backing, &t, &write_protected);
	if (r < 0)
		return r;
	/*
	 * udev's rules wait while the table loads: basicdm-udev-backing's
	 * test of an unmarked device opens it O_EXCL, and the load would then
	 * fail with EBUSY.  The helper runs under the lock shared (udev's
	 * worker's, or its own).  Without the lock (none in 10 s) the load is
	 * tried.
	 */
	lock = blockdev_lock_disk(backing, LOCK_EX, BLOCKDEV_LOCK_TIMEOUT_MS);
	if (lock < 0)
		log_full(LOG_DEBUG, lock, "%s: no udev lock on %s, loading without: %m",
			 v->cfg->name, v->backing_desc);
	/* marked before the load: no event of the device under the map goes unmarked */
	new_mark = component_claim(backing, v->cfg->name);
	r = load_map(v, &t);
	if (lock >= 0)
		close(lock);
	if (r < 0) {
		component_release(backing);
		return r;
	}
	if (new_mark)
		(void)block_device_trigger(backing);	/* a failure is logged there */

	free(v->reason);
	v->reason = NULL;
	/* v->backing_desc, not DESC: a re-attach passes the old one, freed above */
	log_volume_event(write_protected ? LOG_WARNING : LOG_INFO, v->cfg->name, "attached",
			 v->backing_desc, "mapped onto %s: %" PRIu64 " sectors from sector %" PRIu64 "%s",
			 v->backing_desc,
			 t.sectors, t.offset, mode_text(&t, write_protected));
	set_state(v, VOLUME_ACTIVATING);
	check_udev(v, udev);
	return 0;
}

/* A free loop device about to be bound to the volume's file is marked first. */
static void claim_loop(dev_t loop, bool bind, void *userdata)
{
	const struct volume *v = userdata;

	if (bind)
		component_claim_loop(loop, v->cfg->name);
	else
		component_release(loop);
}

/*
 * The file as 'size' says: created sparse when missing, grown when smaller
 * (never shrunk: a smaller 'size' is refused before this, backing-check.c).
 * A read-only volume's file is opened for reading only: never grown.
 */
static int prepare_file(struct volume *v)
{
	const struct volume_config *c = v->cfg;
	int r;

	r = loop_prepare_file(c->file, c->size_bytes, !c->read_only);
	if (r == -ENOSPC)
		return fail(v, r,
			    "no room for %s to hold its %" PRIu64 " bytes on that file system; "
			    "free some space and reload", c->file, c->size_bytes);
	if (r < 0)
		return fail(v, r, "cannot prepare %s: %m", c->file);
	return 0;
}

/*
 * The other file volume that loop device LOOP already backs under another
 * path than V's (a hard link, a symbolic link among its directories), or
 * NULL.  Several volumes may share a file's loop device only when they
 * name the file alike: the validator keeps their sectors apart, which it
 * cannot do for two paths.
 */
static const struct volume *loop_taken(const struct volume *v, dev_t loop)
{
	for (const struct volume *o = all_volumes; o; o = o->next)
		if (o != v && o->cfg->kind == BACKING_FILE && o->backing == loop &&
		    !streq(o->cfg->file, v->cfg->file))
			return o;
	return NULL;
}

/* Creates the file if asked, finds or attaches its loop device, attaches onto it. */
static int attach_file(struct volume *v, struct udev *udev, struct loop_index *loops)
{
	_cleanup_(closep) int fd = -1;
	char desc[PATH_MAX + 64];
	bool reused;
	dev_t loop;
	_cleanup_(freep) char *unusable = NULL;
	const struct volume *other;
	int r;

	/* what the sandbox, the file system or backing-trust.h forbids, said with its fix */
	r = backing_check_volume(v->cfg, &(const struct backing_view){ .in_service = true },
				 &unusable);
	if (r < 0)
		return fail(v, r, "out of memory");
	if (unusable)
		return fail(v, -EPERM, "%s", unusable);
	r = prepare_file(v);
	if (r < 0)
		return r;
	r = loop_attach(loops, v->cfg->file, v->cfg->read_only,
			&(const struct loop_bind_hook){ claim_loop, v }, &loop, &fd, &reused);
	if (r < 0)
		return fail(v, r, "cannot attach %s to a loop device: %m", v->cfg->file);
	other = reused ? loop_taken(v, loop) : NULL;
	if (other)
		return fail(v, -EBUSY, "%s is the file of volume '%s' (/dev/loop%u), which names it "
			    "%s; refusing to map one file for two volumes under different paths: "
			    "name it %s here too, or give '%s' a file of its own",
			    v->cfg->file, other->cfg->name, minor(loop), other->cfg->file,
			    other->cfg->file, v->cfg->name);
	/* attached before the file grew to a larger 'size' (a restart after the edit) */
	r = reused ? loop_follow_file(loop, v->cfg->file) : 0;
	if (r < 0)
		log_warning("%s: cannot have loop%u take the size of %s: %s; the map keeps the "
			    "size it had", v->cfg->name, minor(loop), v->cfg->file, strerror(-r));
	snprintf(desc, sizeof(desc), "/dev/loop%u (%s)", minor(loop), v->cfg->file);
	/* once mapped, the map holds the loop device; autoclear frees it with the map */
	r = attach(v, udev, loop, desc);
	if (r < 0 && !reused)
		v->backing = 0; /* closing fd releases the loop device: forget its number */
	return r;
}

/* A file volume is attached, a device or match volume waits for its backing. */
static int bring_up(struct volume *v, struct udev *udev, struct loop_index *loops)
{
	if (v->cfg->kind == BACKING_FILE)
		return attach_file(v, udev, loops);
	wait_for_backing(v);
	return 0;
}

/*
 * "resized" when the map's size changed because its backing did (a disk
 * grown, a file given a larger size), with both sizes; else "reloaded", as
 * for any other change of the table.
 */
static void log_table_loaded(struct volume *v, const struct basic_target_table *t,
			     uint64_t old_sectors, bool backing_resized, bool write_protected)
{
	int level = write_protected ? LOG_WARNING : LOG_INFO;

	if (backing_resized && t->sectors != old_sectors)
		log_volume_event(level, v->cfg->name, "resized", v->backing_desc,
				 "resized from %" PRIu64 " to %" PRIu64 " sectors (from sector %"
				 PRIu64 " of %s)%s", old_sectors, t->sectors, t->offset,
				 v->backing_desc, mode_text(t, write_protected));
	else
		log_volume_event(level, v->cfg->name, "reloaded", v->backing_desc,
				 "table reloaded: %" PRIu64 " sectors from sector %" PRIu64 "%s",
				 t->sectors, t->offset, mode_text(t, write_protected));
}

/* Reloads the table of the volume's map after a change that keeps the backing. */
static int reload_table(struct volume *v, struct udev *udev)
{
	uint64_t backing_before = v->backing_sectors;
	struct basic_target_table t;
	bool write_protected;
	int r;

	/* a larger 'size': the file grows first, then its loop device */
	if (v->cfg->kind == BACKING_FILE) {
		r = prepare_file(v);
		if (r < 0)
			return r;
		r = loop_follow_file(v->backing, v->cfg->file);
		if (r < 0)
			return fail(v, r, "cannot have %s take the size of %s: %m", v->backing_desc,
				    v->cfg->file);
	}
	r = volume_table(v, v->backing, &t, &write_protected);
	if (r < 0)
		return r;
	r = map_reload(v->cfg->name, &t);
	if (r < 0)
		return fail_table(v, r, "cannot reload the map");
	log_table_loaded(v, &t, v->map_sectors, v->backing_sectors != backing_before,
			 write_protected);
	v->map_sectors = t.sectors;
	sync_stats(v);	/* a region of the old length is made anew at the new one */
	if (v->state == VOLUME_FAILED)
		set_state(v, VOLUME_ACTIVATING);
	check_udev(v, udev);
	return 0;
}

/*
 * The backing device has a new size (udev's change event: a LUN or virtual
 * disk grown, a loop device that took its file's new size).  A volume with
 * 'sectors' keeps them: the administrator chose them.  One without follows
 * a growth online: the map is reloaded to the new size less the offset, the
 * same device, so a mounted file system stays mounted and can be grown
 * (resize2fs).  A shrink is never followed, since the map would cut what is
 * on it: the table stays as it is and the journal says so, once per size.
 */
static void follow_backing_size(struct volume *v, struct udev *udev)
{
	const struct volume_config *c = v->cfg;
	uint64_t size, old_size = v->backing_sectors, want;

	if (blockdev_get_sectors(v->backing, &size) < 0 || size == old_size)
		return;
	want = size > c->offset ? size - c->offset : 0;
	if (want == v->map_sectors || (c->sectors && c->sectors <= want)) {
		v->backing_sectors = size;
		return;
	}
	if (c->sectors || want < v->map_sectors) {
		v->backing_sectors = size;
		log_volume_event(LOG_WARNING, c->name, "shrunk", v->backing_desc,
				 "%s shrank from %" PRIu64 " to %" PRIu64 " sectors, less than the "
				 "map's %" PRIu64 " sectors from sector %" PRIu64 ": the map is left "
				 "as it is, and I/O past the device's new end fails",
				 v->backing_desc, old_size, size, v->map_sectors, c->offset);
		return;
	}
	/* volume_table() takes the new size: "resized" */
	(void)reload_table(v, udev);	/* a failure is logged there */
}

/* Removes the map (deferred while open) and forgets the backing; the state is the caller's. */
static int remove_map(struct volume *v, const char *why)
{
	int r = 0;

	if (v->map) {
		r = map_remove(v->cfg->name, true);
		if (r < 0 && r != -ENODEV)
			log_volume_event(LOG_ERR, v->cfg->name, "failed", v->backing_desc,
					 "cannot remove the map: %s", strerror(-r));
		else
			log_volume_event(LOG_INFO, v->cfg->name, "removed", v->backing_desc,
					 "map removed (%s)", why);
		v->map = 0;	/* its dm-stats region goes with it, in the kernel */
	}
	/* its mark goes with the map, at once or once a deferred removal is done */
	component_release(v->backing);
	v->backing = 0;
	return r == -ENODEV ? 0 : r;
}

static void map_vanished(struct volume *v)
{
	struct map_info info = {};
	bool still_there;

	/* a late remove event of an older map may carry a reused number */
	still_there = map_get_info(v->cfg->name, &info) >= 0 && info.devnum == v->map;
	map_info_clear(&info);
	if (still_there)
		return;
	v->map = 0;
	fail(v, -ENODEV, "its map was removed outside basicdm; reload to create it again");
}

/* Does DEV back this (device or match) volume, which waits for it? */
static bool wants_device(const struct volume *v, struct udev_device *dev)
{
	struct device_view view = block_device_view(dev);

	if (v->state != VOLUME_WAITING && v->state != VOLUME_FAILED)
		return false;
	/* a file volume attaches its own loop device */
	return v->cfg->kind != BACKING_FILE && volume_backed_by(v->cfg, &view);
}

/* The device DEVNUM is still there (udev has it in sysfs). */
static bool device_present(struct udev *udev, dev_t devnum)
{
	struct udev_device *dev = udev_device_new_from_devnum(udev, 'b', devnum);

	udev_device_unref(dev);
	return dev != NULL;
}

int volume_start(struct volume *v, struct udev *udev, struct loop_index *loops,
		 bool inactive_marked)
{
	if (inactive_marked)
		return volume_deactivate(v);
	return bring_up(v, udev, loops);
}

int volume_reconfigure(struct volume *v, const struct volume_config *cfg, bool table_changed,
		       struct udev *udev, struct loop_index *loops)
{
	uint64_t old_size = v->cfg->size_bytes;

	v->cfg = cfg;
	if (!table_changed) {
		if (v->state == VOLUME_FAILED && cfg->kind == BACKING_FILE)
			return attach_file(v, udev, loops);
		sync_stats(v);	/* its histogram may be all that changed */
		/* with 'sectors' the map stays as it is, but the file is as 'size' says */
		if (cfg->kind == BACKING_FILE && v->map && cfg->size_bytes > old_size)
			return prepare_file(v);
		return 0;
	}
	if (v->map)
		return reload_table(v, udev);
	if (v->state == VOLUME_FAILED && v->backing)
		return attach(v, udev, v->backing, v->backing_desc);
	return 0;
}

void volume_remove(struct volume *v, const char *why)
{
	(void)remove_map(v, why);	/* a failure is logged there */
}

bool volume_device_present(struct volume *v, struct udev *udev, struct udev_device *dev)
{
	if (map_processed(v, dev))
		return true;
	if (v->map && v->backing == udev_device_get_devnum(dev)) {
		follow_backing_size(v, udev);
		return false;
	}
	/* one disk may back several volumes, at different offsets */
	if (wants_device(v, dev))
		(void)attach(v, udev, udev_device_get_devnum(dev), udev_device_get_devnode(dev));
	return false;
}

/*
 * A map still open when its disk went away outlives the disk until the last
 * close: udev is told, so that systemd stops the units bound to the map and
 * unmounts its file systems, as it does for a disk pulled from under them.
 */
static void backing_gone(struct volume *v)
{
	const char *name = v->cfg->name;
	struct map_info info = {};
	bool open;
	int r;

	(void)remove_map(v, "its backing device went away");	/* logged there */
	open = map_get_info(name, &info) >= 0 && map_uuid_is_volume(info.uuid, name) &&
	       info.deferred_remove;
	map_info_clear(&info);
	if (open) {
		r = map_mark_backing_gone(name);
		if (r < 0)
			log_warning("%s: cannot mark the map not ready for systemd, so units bound to it "
				    "keep running: %s; stop them and unmount it by hand",
				    name, strerror(-r));
		else
			log_info("%s: the map is still open and goes at its last close; marked not "
				 "ready, so that systemd stops the units bound to it and unmounts it",
				 name);
	}
	wait_for_backing(v);
}

void volume_device_removed(struct volume *v, dev_t devnum)
{
	if (v->map == devnum)
		map_vanished(v);
	else if (v->backing == devnum && v->cfg->kind != BACKING_FILE)
		backing_gone(v);
}

void volume_events_lost(struct volume *v, struct udev *udev)
{
	if (v->map && !device_present(udev, v->map))
		volume_device_removed(v, v->map);
	else if (v->backing && !device_present(udev, v->backing))
		volume_device_removed(v, v->backing);
}

int volume_deactivate(struct volume *v)
{
	int r;

	r = remove_map(v, "deactivated on request");
	become_inactive(v);
	return r;
}

int volume_activate(struct volume *v, struct udev *udev)
{
	if (v->state == VOLUME_ACTIVE || v->state == VOLUME_ACTIVATING)
		return 0;
	free(v->reason);
	v->reason = NULL;
	return bring_up(v, udev, NULL);
}

int volume_message(struct volume *v, const char *message)
{
	int r;

	if (!v->map)
		return -ENODEV;
	r = map_message(v->cfg->name, message);
	if (r < 0)
		return r;
	log_volume_event(LOG_INFO, v->cfg->name, "message", v->backing_desc, "message sent: %s",
			 message);
	return 0;
}
