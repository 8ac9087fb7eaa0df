// SPDX-License-Identifier: GPL-2.0-only
/* Comparing volume definitions: config-compare.h. */

#include "config-compare.h"
#include "util.h"

/* Where a definition was written does not change what it maps. */
bool volume_config_equal(const struct volume_config *a, const struct volume_config *b)
{
	return streq_ptr(a->name, b->name) && volume_same_backing(a, b) &&
	       a->size_bytes == b->size_bytes && a->offset == b->offset &&
	       a->sectors == b->sectors && a->read_only == b->read_only &&
	       a->trace == b->trace && latency_bounds_equal(&a->latency_histogram, &b->latency_histogram);
}
