/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a reload must do to go from one configuration to the next, per
 * volume, touching nothing that did not change (a reload of every map
 * would suspend I/O everywhere for nothing).
 */
#pragma once

#include <stddef.h>

#include "basicdm-config.h"

enum plan_action {
	PLAN_KEEP,    /* same definition: not touched */
	PLAN_ADD,     /* new volume */
	PLAN_REMOVE,  /* gone from the configuration: map removed */
	PLAN_RELOAD,  /* same backing, other table (offset, sectors, read_only, trace, a larger size) */
	PLAN_REPLACE, /* other backing: map removed, volume set up anew */
};

struct plan_entry {
	enum plan_action action;
	const struct volume_config *old; /* NULL for PLAN_ADD */
	const struct volume_config *new; /* NULL for PLAN_REMOVE */
};

/* One entry per name in either configuration: removals first, then the new order. */
int reload_plan(const struct config *old, const struct config *new, struct plan_entry **ret,
		size_t *n);
