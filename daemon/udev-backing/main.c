// SPDX-License-Identifier: GPL-2.0-only
/*
 * basicdm-udev-backing: run by udev's rules (IMPORT{program}) for a block
 * device's event, with the event's properties in its environment.  When the
 * device backs a volume it prints
 *   BASICDM_BACKING=1
 *   BASICDM_VOLUME=<name>
 *   BASICDM_STATE=mapped|claimed
 * and every ID_FS_X of the event as BASICDM_BACKING_FS_X (a volume matched
 * on them still finds its device once they are hidden), and nothing
 * otherwise; the rules then mark it a component (basicdm.conf(5),
 * COMPONENTS).  It always exits 0: a failure here must
 * not fail the event.
 */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockdev.h"
#include "component-claims-source.h"
#include "component-decide.h"
#include "component-mark.h"
#include "parse-util.h"
#include "util.h"

#define SERVICE "basicdm.service"

/* Where enablement links live, the administrator's first (systemd.unit(5)). */
static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system", NULL,
};

struct event {
	dev_t devnum;
	bool may_probe;			/* in_use() may open it O_EXCL */
	char sysattr[PATH_MAX];		/* the last attribute read */
	struct config *claims;
	bool claims_read;
};

static const char *env_property(const struct device_view *d, const char *key)
{
	return getenv(key);
}

static const char *sys_attribute(const struct device_view *d, const char *attr)
{
	struct event *e = d->userdata;
	const char *devpath = getenv("DEVPATH");
	char path[PATH_MAX];
	FILE *f;
	bool ok;

	if (!devpath || snprintf(path, sizeof(path), "/sys%s/%s", devpath, attr) >= (int)sizeof(path))
		return NULL;
	f = fopen(path, "re");
	if (!f)
		return NULL;
	ok = fgets(e->sysattr, sizeof(e->sysattr), f) != NULL;
	fclose(f);
	if (!ok)
		return NULL;
	e->sysattr[strcspn(e->sysattr, "\n")] = '\0';
	return e->sysattr;
}

static const struct config *load_claims(void *userdata)
{
	struct event *e = userdata;

	if (!e->claims_read) {
		e->claims_read = true;
		e->claims = component_claims_source_load(BASICDM_RUNTIME_DIR, BASICDM_CONFIG_PATH,
							 unit_enabled(unit_dirs, SERVICE));
	}
	return e->claims;
}

/* udev's database still holds the device's previous event while this one runs. */
static bool was_marked(void *userdata)
{
	struct event *e = userdata;
	struct udev *udev = udev_new();
	struct udev_device *dev;
	bool marked = false;

	dev = udev ? udev_device_new_from_devnum(udev, 'b', e->devnum) : NULL;
	if (dev)
		marked = streq_ptr(udev_device_get_property_value(dev, "BASICDM_BACKING"), "1");
	udev_device_unref(dev);
	udev_unref(udev);
	return marked;
}

/*
 * An exclusive open fails while it is mounted, a map's, a RAID member or
 * swap.  Only under the disk's lock where udev locks one: that open would
 * fail basicdmd's table load with EBUSY, and basicdmd holds the lock
 * exclusively for the load.
 */
static bool in_use(void *userdata)
{
	struct event *e = userdata;
	const char *node = getenv("DEVNAME");
	int fd;

	if (!node || !e->may_probe)
		return false;
	fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EBUSY;
}

/*
 * Whether udev's worker locks the disk of this device for its events: not
 * for a map, an md array or a DRBD device, whose nodes it leaves unopened
 * (systemd's udev worker; opening an md array being stopped can bring it
 * back).  Neither does this helper.
 */
static bool udev_locks(const char *devname)
{
	const char *name = devname ? strrchr(devname, '/') : NULL;

	name = name ? name + 1 : devname;
	return name && !startswith(name, "dm-") && !startswith(name, "md") &&
	       !startswith(name, "drbd");
}

/* Quoted, so udev keeps the blanks and quotes of a label as they are. */
static void print_kept_fs(void)
{
	for (char **e = environ; *e; e++) {
		const char *name, *eq;

		if (!startswith(*e, "ID_FS_"))
			continue;
		name = *e + strlen("ID_FS_");
		eq = strchr(name, '=');
		if (!eq || !eq[1] || strchr(eq, '\n'))
			continue;
		printf(COMPONENT_SAVED_FS_PREFIX "%.*s=\"%s\"\n", (int)(eq - name), name, eq + 1);
	}
}

int main(int argc, char **argv)
{
	struct event e = {};
	struct device_view view = { env_property, sys_attribute, &e };
	struct component_facts f = {
		.device = &view, .was_marked = was_marked, .claims = load_claims,
		.in_use = in_use, .userdata = &e,
	};
	_cleanup_(freep) char *held_by = NULL, *mark_volume = NULL;
	_cleanup_(closep) int lock = -1;
	struct component_answer a;
	uint64_t maj, min;

	if (parse_uint64(getenv("MAJOR"), &maj) < 0 || parse_uint64(getenv("MINOR"), &min) < 0)
		return 0;	/* not run by udev for a block device */
	e.devnum = makedev((unsigned)maj, (unsigned)min);
	(void)parse_uint64(getenv("DISKSEQ"), &f.diskseq);

	/*
	 * Under udev's lock of the disk, shared (blockdev.h): basicdmd holds
	 * it exclusively while it marks a device and loads its map, so the
	 * facts below are from before that or after it, and the in-use test's
	 * O_EXCL open never fails the load.  udev's worker holds the lock
	 * already, except when its own open of the disk failed: a loop device
	 * being cleared, which basicdmd may bind again for a volume while
	 * this runs.  Without the lock (none in 10 s) there is no in-use test;
	 * a device udev does not lock is tested as udev's rules find it.
	 */
	if (udev_locks(getenv("DEVNAME"))) {
		lock = blockdev_lock_disk(e.devnum, LOCK_SH, BLOCKDEV_LOCK_TIMEOUT_MS);
		e.may_probe = lock >= 0;
	} else {
		e.may_probe = true;	/* udev locks none: nothing to wait for */
	}
	if (component_held_by_map(e.devnum, &held_by) <= 0)
		held_by = NULL;
	if (component_mark_read(BASICDM_RUNTIME_DIR, e.devnum, &mark_volume, &f.mark_diskseq) < 0)
		mark_volume = NULL;
	f.held_by = held_by;
	f.mark_volume = mark_volume;

	a = component_decide(&f);
	if (a.state != COMPONENT_NONE) {
		printf("BASICDM_BACKING=1\nBASICDM_VOLUME=%s\nBASICDM_STATE=%s\n", a.volume,
		       component_state_to_string(a.state));
		print_kept_fs();
	}
	config_free(e.claims);
	return 0;
}
