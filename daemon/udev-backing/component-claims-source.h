/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Components, the claims as udev's helper finds them: the volumes whose
 * devices basicdm-udev-backing marks components before they are mapped.
 *
 * The running daemon's claims file (component-claims.h) when there is one;
 * before the daemon has started (at boot, when a disk's first udev event
 * comes before the daemon) or after it stopped, the configuration, but
 * only when basicdm.service is enabled, since nobody else will map the
 * device.
 */
#pragma once

#include <stdbool.h>

#include "config-model.h"

/*
 * Whether UNIT is enabled in one of UNIT_DIRS (NULL-terminated): a
 * *.wants/UNIT or *.requires/UNIT link in one of them, and UNIT not masked
 * in the first.
 */
bool unit_enabled(const char *const *unit_dirs, const char *unit);

/*
 * The claims in RUNTIME_DIR, else CONFIG_PATH's volumes when ENABLED, else
 * NULL (also when the configuration cannot be loaded: nothing is claimed).
 */
struct config *component_claims_source_load(const char *runtime_dir, const char *config_path,
					     bool enabled);
