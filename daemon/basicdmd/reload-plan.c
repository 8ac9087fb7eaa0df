// SPDX-License-Identifier: GPL-2.0-only
#include "reload-plan.h"

#include <errno.h>
#include <stdlib.h>

static bool same_table(const struct volume_config *a, const struct volume_config *b)
{
	return a->offset == b->offset && a->sectors == b->sectors &&
	       a->read_only == b->read_only && a->trace == b->trace;
}

static enum plan_action compare(const struct volume_config *old, const struct volume_config *new)
{
	/* a loop device keeps the read-only flag it was attached with */
	if (!volume_same_backing(old, new) ||
	    (new->kind == BACKING_FILE && old->read_only != new->read_only))
		return PLAN_REPLACE;
	/*
	 * A larger 'size' grows the file, then a map that follows the file's
	 * size (no 'sectors'); a smaller one never reaches here when the file
	 * is larger (backing-check.c refuses it), and is nothing to do otherwise.
	 */
	if (new->kind == BACKING_FILE && !new->sectors && new->size_bytes > old->size_bytes)
		return PLAN_RELOAD;
	return same_table(old, new) ? PLAN_KEEP : PLAN_RELOAD;
}

int reload_plan(const struct config *old, const struct config *new, struct plan_entry **ret,
		size_t *n)
{
	struct plan_entry *p;
	size_t k = 0;

	p = calloc(old->n_volumes + new->n_volumes + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;

	for (size_t i = 0; i < old->n_volumes; i++)
		if (!config_find(new, old->volumes[i].name))
			p[k++] = (struct plan_entry){ PLAN_REMOVE, &old->volumes[i], NULL };

	for (size_t i = 0; i < new->n_volumes; i++) {
		const struct volume_config *o = config_find(old, new->volumes[i].name);

		p[k++] = (struct plan_entry){ o ? compare(o, &new->volumes[i]) : PLAN_ADD, o,
					      &new->volumes[i] };
	}
	*ret = p;
	*n = k;
	return 0;
}
