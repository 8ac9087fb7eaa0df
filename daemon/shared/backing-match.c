// SPDX-License-Identifier: GPL-2.0-only
/* Which block device backs which volume: backing-match.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "backing-match.h"
#include "map-uuid.h"
#include "parse-util.h"
#include "util.h"

static const char *property(const struct device_view *d, const char *key)
{
	return d->property(d, key);
}

/* DEVLINKS: the links udev made, separated by spaces. */
static bool in_devlinks(const char *links, const char *path)
{
	size_t n = strlen(path);

	for (const char *p = links; p && *p;) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, path, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

static bool devnum_of(const struct device_view *d, dev_t *ret)
{
	uint64_t maj, min;

	if (parse_uint64(property(d, "MAJOR") ?: "", &maj) < 0 ||
	    parse_uint64(property(d, "MINOR") ?: "", &min) < 0)
		return false;
	*ret = makedev((unsigned)maj, (unsigned)min);
	return true;
}

bool device_has_path(const struct device_view *d, const char *path)
{
	struct stat st;
	dev_t devnum;

	if (streq_ptr(property(d, "DEVNAME"), path) || in_devlinks(property(d, "DEVLINKS"), path))
		return true;
	return devnum_of(d, &devnum) && stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	       st.st_rdev == devnum;
}

/* The loop device's backing file is the configured file, symbolic links resolved. */
static bool loop_backed_by(const struct device_view *d, const char *file)
{
	const char *backing = d->sysattr(d, "loop/backing_file");
	_cleanup_(freep) char *real = NULL;

	if (!backing)
		return false;
	real = realpath(file, NULL);
	return real && streq(real, backing);
}

/*
 * A component's file-system values are hidden from udev's other rules; the
 * helper kept each ID_FS_X as BASICDM_BACKING_FS_X, so a volume matched on
 * them still finds its own device (a restarted daemon looks for it again).
 */
static const char *match_value(const struct device_view *d, const char *key)
{
	char saved[256];

	if (!startswith(key, "ID_FS_") || !streq_ptr(property(d, "BASICDM_BACKING"), "1"))
		return property(d, key);
	if (snprintf(saved, sizeof(saved), COMPONENT_SAVED_FS_PREFIX "%s",
		     key + strlen("ID_FS_")) >= (int)sizeof(saved))
		return NULL;
	return property(d, saved);
}

static bool properties_match(const struct volume_config *c, const struct device_view *d)
{
	if (!streq_ptr(property(d, "DEVTYPE"), volume_match_devtype(c)))
		return false;
	for (size_t i = 0; i < c->n_match; i++)
		if (!streq_ptr(match_value(d, c->match[i].key), c->match[i].value))
			return false;
	return c->n_match > 0;
}

bool volume_backed_by(const struct volume_config *c, const struct device_view *d)
{
	if (map_uuid_is_ours(property(d, "DM_UUID")))
		return false;
	switch (c->kind) {
	case BACKING_FILE:
		return loop_backed_by(d, c->file);
	case BACKING_DEVICE:
		return device_has_path(d, c->device);
	case BACKING_MATCH:
		return properties_match(c, d);
	}
	return false;
}

const struct volume_config *config_backed_by(const struct config *config,
					     const struct device_view *d)
{
	for (size_t i = 0; config && i < config->n_volumes; i++)
		if (volume_backed_by(&config->volumes[i], d))
			return &config->volumes[i];
	return NULL;
}
