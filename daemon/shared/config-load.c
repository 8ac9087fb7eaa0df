// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading the configuration: config-load.h.  The main file
 * (config-libconfig.c) and the drop-ins (config-ini.c) both become one
 * tree of raw settings, which config-validate.c turns into the model.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "config-ini.h"
#include "config-libconfig.h"
#include "config-load.h"
#include "config-raw.h"
#include "config-validate.h"
#include "util.h"

static void config_freep(struct config **c)
{
	config_free(*c);
}

int config_load_owned_by(const char *path, const char *dropin_dir, uid_t owner,
			 struct config **ret, struct config_errors *errors)
{
	_cleanup_(raw_setting_done) struct raw_setting root = {};
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_(freep) char *default_dir = NULL;
	size_t n_errors = errors->n;
	int r;

	r = config_libconfig_load(path, owner, &root, errors);
	if (r < 0)
		return r;

	if (!dropin_dir) {
		if (asprintf(&default_dir, "%s.d", path) < 0)
			return -ENOMEM;
		dropin_dir = default_dir;
	}
	r = config_ini_load_dir(dropin_dir, owner, &root, errors);
	if (r < 0)
		return r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = config_validate(&root, c, errors);
	if (r < 0)
		return r;
	if (errors->n > n_errors)
		return -EINVAL;

	if (ret)
		*ret = TAKE_PTR(c);
	return 0;
}

int config_load(const char *path, const char *dropin_dir, struct config **ret,
		struct config_errors *errors)
{
	return config_load_owned_by(path, dropin_dir, 0, ret, errors);
}
