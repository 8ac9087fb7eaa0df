// SPDX-License-Identifier: GPL-2.0-only
#include "volume.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "blockdev.h"
#include "dm.h"
#include "log.h"
#include "loop.h"
#include "block-watch.h"
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

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct volume *volume_new(const struct volume_config *cfg)
{
	struct volume *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->cfg = cfg;
	v->state = VOLUME_WAITING;
	v->since_usec = now_usec();
	return v;
}

struct volume *volume_free(struct volume *v)
{
	if (!v)
		return NULL;
	free(v->backing_desc);
	free(v->reason);
	free(v);
	return NULL;
}

static void set_state(struct volume *v, enum volume_state s)
{
	if (v->state == s)
		return;
	v->state = s;
	v->since_usec = now_usec();
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

/*
 * A table the kernel refuses with EINVAL: most often the target type itself
 * is missing (the module is not installed or failed to load), and the
 * errno alone does not say so.
 */
static int fail_table(struct volume *v, int r, const char *what)
{
	if (r == -EINVAL && !dm_target_present())
		return fail(v, r,
			    "%s: the kernel has no " DM_TARGET_NAME " target (is the module "
			    "installed? modprobe " DM_TARGET_NAME "); reload once it is loaded",
			    what);
	return fail(v, r, "%s: %m", what);
}

static int volume_table(struct volume *v, dev_t backing, struct dm_table_spec *t)
{
	const struct volume_config *c = v->cfg;
	uint64_t size;
	int r;

	r = blockdev_get_sectors(backing, &size);
	if (r < 0)
		return fail(v, r, "cannot read the size of %s: %m", v->backing_desc);
	if (c->offset >= size || (c->sectors && c->sectors > size - c->offset))
		return fail(v, -ERANGE,
			    "offset %" PRIu64 " + %" PRIu64 " sectors passes the end of %s (%" PRIu64
			    " sectors)",
			    c->offset, c->sectors ? c->sectors : size - c->offset, v->backing_desc,
			    size);

	*t = (struct dm_table_spec){
		.sectors = c->sectors ? c->sectors : size - c->offset,
		.backing = backing,
		.offset = c->offset,
		.read_only = c->read_only,
		.trace = c->trace,
	};
	return 0;
}

static bool spec_equal(const struct dm_table_spec *a, const struct dm_table_spec *b)
{
	return a->sectors == b->sectors && a->backing == b->backing && a->offset == b->offset &&
	       a->read_only == b->read_only && a->trace == b->trace;
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
		volume_handle_dm_device(v, dev);
	udev_device_unref(dev);
}

static int load_map(struct volume *v, const struct dm_table_spec *t)
{
	struct dm_map_info info = {};
	const char *name = v->cfg->name;
	int r;

	r = dm_map_get_info(name, &info);
	if (r >= 0 && !dm_uuid_is_volume(info.uuid, name)) {
		dm_map_info_clear(&info);
		return fail(v, -EEXIST, "a map named %s exists that basicdm did not create (UUID %s)",
			    name, info.uuid && *info.uuid ? info.uuid : "none");
	}
	if (r >= 0 && info.deferred_remove) {
		/* deactivated while open, wanted again before the last close */
		r = dm_map_cancel_deferred_remove(name);
		if (r < 0) {
			dm_map_info_clear(&info);
			return fail(v, r, "cannot cancel the pending removal of the map: %m");
		}
	}
	if (r == -ENODEV) {
		r = dm_map_create(name, t);
		if (r < 0)
			return fail_table(v, r, "cannot create the map");
		r = dm_map_get_info(name, &info);
	} else if (r >= 0 && (!info.table_is_ours || !spec_equal(&info.table, t) ||
			      info.read_only != t->read_only)) {
		r = dm_map_reload(name, t);
		if (r < 0) {
			dm_map_info_clear(&info);
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
	dm_map_info_clear(&info);
	return 0;
}

int volume_attach(struct volume *v, struct udev *udev, dev_t backing, const char *desc)
{
	struct dm_table_spec t;
	char *d;
	int r;

	d = strdup(desc);
	if (!d)
		return -ENOMEM;
	free(v->backing_desc);
	v->backing_desc = d;
	v->backing = backing;

	r = volume_table(v, backing, &t);
	if (r < 0)
		return r;
	r = load_map(v, &t);
	if (r < 0)
		return r;

	free(v->reason);
	v->reason = NULL;
	log_volume_event(LOG_INFO, v->cfg->name, "attached", desc,
			 "mapped onto %s: %" PRIu64 " sectors from sector %" PRIu64 "%s", desc,
			 t.sectors, t.offset, t.read_only ? ", read-only" : "");
	set_state(v, VOLUME_ACTIVATING);
	check_udev(v, udev);
	return 0;
}

int volume_attach_file(struct volume *v, struct udev *udev)
{
	_cleanup_(closep) int fd = -1;
	char desc[PATH_MAX + 64];
	bool reused;
	dev_t loop;
	int r;

	r = loop_prepare_file(v->cfg->file, v->cfg->size_bytes);
	if (r == -ENOSPC)
		return fail(v, r,
			    "cannot create %s: no room for its %" PRIu64 " bytes on that filesystem; "
			    "free some space and reload", v->cfg->file, v->cfg->size_bytes);
	if (r < 0)
		return fail(v, r, "cannot prepare %s: %m", v->cfg->file);
	r = loop_attach(v->cfg->file, v->cfg->read_only, &loop, &fd, &reused);
	if (r < 0)
		return fail(v, r, "cannot attach %s to a loop device: %m", v->cfg->file);
	snprintf(desc, sizeof(desc), "/dev/loop%u (%s)", minor(loop), v->cfg->file);
	/* once mapped, the map holds the loop device; autoclear frees it with the map */
	r = volume_attach(v, udev, loop, desc);
	if (r < 0 && !reused)
		v->backing = 0; /* closing fd releases the loop device: forget its number */
	return r;
}

int volume_reload(struct volume *v, struct udev *udev)
{
	struct dm_table_spec t;
	int r;

	if (!v->map)
		return 0;
	r = volume_table(v, v->backing, &t);
	if (r < 0)
		return r;
	r = dm_map_reload(v->cfg->name, &t);
	if (r < 0)
		return fail_table(v, r, "cannot reload the map");
	log_volume_event(LOG_INFO, v->cfg->name, "reloaded", v->backing_desc,
			 "table reloaded: %" PRIu64 " sectors from sector %" PRIu64 "%s", t.sectors,
			 t.offset, t.read_only ? ", read-only" : "");
	if (v->state == VOLUME_FAILED)
		set_state(v, VOLUME_ACTIVATING);
	check_udev(v, udev);
	return 0;
}

int volume_detach(struct volume *v, const char *why)
{
	int r = 0;

	if (v->map) {
		r = dm_map_remove(v->cfg->name, true);
		if (r < 0 && r != -ENODEV)
			log_volume_event(LOG_ERR, v->cfg->name, "failed", v->backing_desc,
					 "cannot remove the map: %s", strerror(-r));
		else
			log_volume_event(LOG_INFO, v->cfg->name, "removed", v->backing_desc,
					 "map removed (%s)", why);
		v->map = 0;
	}
	v->backing = 0;
	set_state(v, VOLUME_WAITING);
	return r == -ENODEV ? 0 : r;
}

void volume_map_vanished(struct volume *v)
{
	struct dm_map_info info = {};
	bool still_there;

	/* a late remove event of an older map may carry a reused number */
	still_there = dm_map_get_info(v->cfg->name, &info) >= 0 && info.devnum == v->map;
	dm_map_info_clear(&info);
	if (still_there)
		return;
	v->map = 0;
	fail(v, -ENODEV, "its map was removed outside basicdm; reload to create it again");
}

int volume_deactivate(struct volume *v)
{
	int r;

	r = volume_detach(v, "deactivated on request");
	free(v->reason);
	v->reason = NULL;
	set_state(v, VOLUME_INACTIVE);
	log_volume_event(LOG_INFO, v->cfg->name, "inactive", NULL,
			 "inactive until activated again");
	return r;
}

int volume_activate(struct volume *v, struct udev *udev)
{
	if (v->state == VOLUME_ACTIVE || v->state == VOLUME_ACTIVATING)
		return 0;
	if (v->cfg->kind == BACKING_FILE)
		return volume_attach_file(v, udev);

	free(v->reason);
	v->reason = NULL;
	set_state(v, VOLUME_WAITING);
	log_volume_event(LOG_INFO, v->cfg->name, "waiting", NULL, "waiting for its backing device");
	return 0;
}

int volume_message(struct volume *v, const char *message)
{
	int r;

	if (!v->map)
		return -ENODEV;
	r = dm_map_message(v->cfg->name, message);
	if (r < 0)
		return r;
	log_volume_event(LOG_INFO, v->cfg->name, "message", v->backing_desc, "message sent: %s",
			 message);
	return 0;
}

bool volume_handle_dm_device(struct volume *v, struct udev_device *dev)
{
	char link[64 + VOLUME_NAME_MAX];
	const char *suspended;

	if (!v->map || udev_device_get_devnum(dev) != v->map)
		return false;
	suspended = udev_device_get_property_value(dev, "DM_SUSPENDED");
	snprintf(link, sizeof(link), "/dev/mapper/%s", v->cfg->name);
	if (v->state == VOLUME_ACTIVATING && !streq_ptr(suspended, "1") &&
	    block_device_has_path(dev, link)) {
		set_state(v, VOLUME_ACTIVE);
		log_volume_event(LOG_INFO, v->cfg->name, "active", v->backing_desc, "active as %s",
				 link);
	}
	return true;
}

bool volume_wants_device(const struct volume *v, struct udev_device *dev)
{
	const struct volume_config *c = v->cfg;
	const char *keys[c->n_match ? c->n_match : 1], *values[c->n_match ? c->n_match : 1];
	bool has_devtype = false;
	const char *devtype;

	if (v->state != VOLUME_WAITING && v->state != VOLUME_FAILED)
		return false;
	if (c->kind == BACKING_FILE || dm_uuid_is_ours(udev_device_get_property_value(dev, "DM_UUID")))
		return false;
	if (c->kind == BACKING_DEVICE)
		return block_device_has_path(dev, c->device);

	for (size_t i = 0; i < c->n_match; i++) {
		keys[i] = c->match[i].key;
		values[i] = c->match[i].value;
		has_devtype |= streq(keys[i], "DEVTYPE");
	}
	/* partitions inherit their disk's ID_SERIAL: by default, whole disks only */
	devtype = udev_device_get_devtype(dev);
	if (!has_devtype && !streq_ptr(devtype, "disk"))
		return false;
	return block_device_matches(dev, keys, values, c->n_match);
}
