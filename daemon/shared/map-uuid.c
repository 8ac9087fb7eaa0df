// SPDX-License-Identifier: GPL-2.0-only
/* The rule "this map is ours": map-uuid.h. */
#include <string.h>

#include "map-uuid.h"
#include "util.h"

bool map_uuid_is_ours(const char *uuid)
{
	return uuid && startswith(uuid, MAP_UUID_PREFIX);
}

bool map_uuid_is_volume(const char *uuid, const char *name)
{
	return map_uuid_is_ours(uuid) && name && streq(uuid + strlen(MAP_UUID_PREFIX), name);
}
