// SPDX-License-Identifier: GPL-2.0-only
/* Components, the daemon's side: marks and claims kept for udev (component.h). */
#include "component.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "block-watch.h"
#include "component-claims.h"
#include "component-mark.h"
#include "log.h"
#include "util.h"

static char *runtime_dir;

void component_setup(const char *dir)
{
	free(runtime_dir);
	runtime_dir = dir ? strdup(dir) : NULL;
	if (dir && !runtime_dir)
		log_warning("Out of memory: backing devices are not marked components in udev");
	if (runtime_dir && mkdir(runtime_dir, 0755) < 0 && errno != EEXIST)
		log_warning_errno(negative_errno(), "Cannot create %s, backing devices are not "
				  "marked components in udev: %m", runtime_dir);
}

static bool claim(dev_t backing, const char *volume, uint64_t diskseq)
{
	int r;

	if (!runtime_dir)
		return false;
	r = component_mark_write(runtime_dir, backing, volume, diskseq);
	if (r < 0)
		log_warning_errno(r, "Cannot mark %u:%u as backing volume %s, udev may show its "
				  "file system as well as the map's: %m", major(backing),
				  minor(backing), volume);
	return r > 0;
}

bool component_claim(dev_t backing, const char *volume)
{
	uint64_t diskseq = 0;

	/* a kernel without disk sequence numbers: the marker trusts the number alone */
	(void)component_device_diskseq(backing, &diskseq);
	return claim(backing, volume, diskseq);
}

void component_claim_loop(dev_t loop, const char *volume)
{
	(void)claim(loop, volume, 0);
}

void component_release(dev_t backing)
{
	int r;

	if (!runtime_dir || !backing)
		return;
	r = component_held_by_map(backing, NULL);
	if (r > 0)
		return;	/* a deferred removal: the map's own removal sweeps */
	r = component_mark_remove(runtime_dir, backing);
	if (r < 0)
		log_warning_errno(r, "Cannot remove the mark of %u:%u, udev keeps it a component "
				  "until the next start of basicdm: %m", major(backing), minor(backing));
	if (r > 0)
		(void)block_device_trigger(backing);	/* a failure is logged there */
}

void component_sweep(void)
{
	_cleanup_(freep) dev_t *marked = NULL;
	size_t n = 0;
	int r;

	if (!runtime_dir)
		return;
	r = component_mark_list(runtime_dir, &marked, &n);
	if (r < 0)
		log_warning_errno(r, "Cannot list the marks of backing devices: %m");
	for (size_t i = 0; i < n; i++)
		component_release(marked[i]);
}

void component_write_claims(const struct volume_config *const *volumes, size_t n)
{
	char path[PATH_MAX];
	int r;

	if (!runtime_dir)
		return;
	snprintf(path, sizeof(path), "%s/" COMPONENT_CLAIMS_FILE_NAME, runtime_dir);
	r = component_claims_write(path, volumes, n);
	if (r < 0)
		log_warning_errno(r, "Cannot write %s: udev marks a volume's device a component "
				  "only once it is mapped: %m", path);
}
