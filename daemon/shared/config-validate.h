/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From the raw tree (config-raw.h) to the volume model (config-model.h):
 * each key's type and value, one backing per volume, unique names, no two
 * volumes over the same sectors.  Every problem is reported, not just the
 * first, as "file:line: volume 'NAME': reason".
 */
#pragma once

#include "config-errors.h"
#include "config-model.h"
#include "config-raw.h"

/*
 * Checks every volume of ROOT and appends it to C.  Every problem goes to
 * ERRORS; returns a negative errno only when memory runs out.  C may hold
 * half-checked volumes when ERRORS grew: the caller discards it then.
 */
int config_validate(const struct raw_setting *root, struct config *c, struct config_errors *errors);
