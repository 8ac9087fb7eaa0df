// SPDX-License-Identifier: GPL-2.0-only
/* The volume model: config-model.h. */

#include <stdlib.h>
#include <string.h>

#include "config-model.h"
#include "util.h"

static void volume_config_done(struct volume_config *v)
{
	for (size_t i = 0; i < v->n_match; i++) {
		free(v->match[i].key);
		free(v->match[i].value);
	}
	free(v->match);
	free(v->name);
	free(v->file);
	free(v->device);
	free(v->where.file);
	*v = (struct volume_config){};
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_volumes; i++)
		volume_config_done(&c->volumes[i]);
	free(c->volumes);
	free(c);
}

const struct volume_config *config_find(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_volumes; i++)
		if (streq_ptr(c->volumes[i].name, name))
			return &c->volumes[i];
	return NULL;
}

/* Both match lists are sorted by key, so equal sets are equal arrays. */
static bool match_equal(const struct volume_config *a, const struct volume_config *b)
{
	if (a->n_match != b->n_match)
		return false;
	for (size_t i = 0; i < a->n_match; i++)
		if (!streq(a->match[i].key, b->match[i].key) ||
		    !streq(a->match[i].value, b->match[i].value))
			return false;
	return true;
}

bool volume_same_backing(const struct volume_config *a, const struct volume_config *b)
{
	if (a->kind != b->kind)
		return false;

	switch (a->kind) {
	case BACKING_FILE:
		return streq_ptr(a->file, b->file);
	case BACKING_DEVICE:
		return streq_ptr(a->device, b->device);
	case BACKING_MATCH:
		return match_equal(a, b);
	}
	return false;
}

bool volume_name_valid(const char *name)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz"
				      "0123456789._-";
	size_t n;

	if (!name)
		return false;

	n = strlen(name);
	if (n == 0 || n > VOLUME_NAME_MAX)
		return false;

	/*
	 * The name becomes a path component under /dev/mapper and
	 * /dev/basicdm: "." and ".." would leave them, and /dev/mapper/control
	 * is device-mapper's own device (newer kernels refuse the name too).
	 */
	if (streq(name, ".") || streq(name, "..") || streq(name, "control"))
		return false;

	return strspn(name, allowed) == n;
}

bool match_key_partition_only(const char *key)
{
	return startswith(key, "ID_PART_ENTRY_");
}

const char *volume_match_devtype(const struct volume_config *v)
{
	bool partition_key = false;

	if (v->kind != BACKING_MATCH)
		return NULL;
	for (size_t i = 0; i < v->n_match; i++) {
		if (streq(v->match[i].key, "DEVTYPE"))
			return v->match[i].value;
		partition_key |= match_key_partition_only(v->match[i].key);
	}
	return partition_key ? "partition" : "disk";
}
