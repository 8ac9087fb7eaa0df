/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Comparing volume definitions, for the tests and fuzzers only: the daemon
 * judges a changed definition in reload-plan.c, field by field.
 */
#pragma once

#include <stdbool.h>

#include "config-model.h"

/* True when the two definitions would produce the same map and backing. */
bool volume_config_equal(const struct volume_config *a, const struct volume_config *b);
