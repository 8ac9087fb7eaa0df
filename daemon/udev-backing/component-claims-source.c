// SPDX-License-Identifier: GPL-2.0-only
/* Components, the claims udev's helper goes by: component-claims-source.h. */
#include "component-claims-source.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "basicdm-config.h"
#include "component-claims.h"
#include "util.h"

static bool any_match(const char *pattern)
{
	glob_t g = {};
	bool found;

	found = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return found;
}

bool unit_enabled(const char *const *unit_dirs, const char *unit)
{
	char path[PATH_MAX];
	_cleanup_(freep) char *target = NULL;

	if (!unit_dirs[0])
		return false;
	/* masked: a link to /dev/null in the administrator's directory */
	snprintf(path, sizeof(path), "%s/%s", unit_dirs[0], unit);
	target = realpath(path, NULL);
	if (target && streq(target, "/dev/null"))
		return false;
	for (size_t i = 0; unit_dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/*.wants/%s", unit_dirs[i], unit);
		if (any_match(path))
			return true;
		snprintf(path, sizeof(path), "%s/*.requires/%s", unit_dirs[i], unit);
		if (any_match(path))
			return true;
	}
	return false;
}

struct config *component_claims_source_load(const char *runtime_dir, const char *config_path,
					     bool enabled)
{
	struct config_errors errors = {};
	struct config *c = NULL;
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/" COMPONENT_CLAIMS_FILE_NAME, runtime_dir);
	r = component_claims_load(path, &c);
	if (r >= 0)
		return c;
	if (!enabled)
		return NULL;
	r = config_load(config_path, NULL, &c, &errors);
	config_errors_clear(&errors);
	return r < 0 ? NULL : c;
}
