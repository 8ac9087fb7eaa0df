// SPDX-License-Identifier: GPL-2.0-only
/* The rule "this map is ours": dm-uuid.h. */
#include <string.h>

#include "dm-uuid.h"
#include "util.h"

bool dm_uuid_is_ours(const char *uuid)
{
	return uuid && startswith(uuid, DM_UUID_PREFIX);
}

bool dm_uuid_is_volume(const char *uuid, const char *name)
{
	return dm_uuid_is_ours(uuid) && name && streq(uuid + strlen(DM_UUID_PREFIX), name);
}
