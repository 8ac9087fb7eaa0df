/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rule "this map is ours": its device-mapper UUID is MAP_UUID_PREFIX and
 * the volume's name.  A map of a volume's name with another UUID belongs to
 * someone else and is never touched.  Shared by basicdmd and
 * basicdm-udev-backing, which tells a device one of our maps holds.
 */
#pragma once

#include <stdbool.h>

#define MAP_UUID_PREFIX "BASICDM-"

bool map_uuid_is_ours(const char *uuid);			/* any volume's map */
bool map_uuid_is_volume(const char *uuid, const char *name);	/* volume NAME's map */
