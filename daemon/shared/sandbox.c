// SPDX-License-Identifier: GPL-2.0-only
#include "sandbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ProtectHome=yes in units/basicdm.service.in. */
static const char *const hidden_roots[] = { "/home", "/root", "/run/user" };

/*
 * ProtectSystem=strict keeps the system's own trees read-only, and no
 * backing file belongs in them: a directory there, or below, is never
 * opened for writing.
 */
static const char *const system_roots[] = {
	"/etc", "/usr", "/boot", "/efi", "/proc", "/sys", "/dev", "/run",
};

/*
 * Directories that hold everyone's files: a backing file may live below
 * them, but writing in them would open all of it ("/" would undo
 * ProtectSystem=strict altogether).
 */
static const char *const shared_dirs[] = { "/", "/var", "/var/lib" };

/* True when PATH is DIR or below it: "/home" and "/home/x", not "/homes". */
static bool path_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *sandbox_hidden_root(const char *path)
{
	for (size_t i = 0; i < ELEMENTSOF(hidden_roots); i++)
		if (path_below(path, hidden_roots[i]))
			return hidden_roots[i];
	return NULL;
}

const char *sandbox_closed_dir(const char *dir, bool *shared)
{
	for (size_t i = 0; i < ELEMENTSOF(system_roots); i++)
		if (path_below(dir, system_roots[i])) {
			*shared = false;
			return system_roots[i];
		}
	for (size_t i = 0; i < ELEMENTSOF(shared_dirs); i++)
		if (streq(dir, shared_dirs[i])) {
			*shared = true;
			return shared_dirs[i];
		}
	return NULL;
}

char *sandbox_closed_target(const char *dir)
{
	_cleanup_(freep) char *resolved = realpath(dir, NULL);
	bool shared;

	if (!resolved || !sandbox_closed_dir(resolved, &shared))
		return NULL;
	return TAKE_PTR(resolved);
}

int sandbox_write_dir(const struct volume_config *v, char **ret)
{
	const char *slash;

	*ret = NULL;
	if (v->kind != BACKING_FILE || v->read_only)
		return 0;
	/* the validator made the path absolute: there is a slash */
	slash = strrchr(v->file, '/');
	*ret = slash == v->file ? strdup("/") : strndup(v->file, slash - v->file);
	return *ret ? 0 : -ENOMEM;
}

bool sandbox_dir_always_writable(const char *dir)
{
	return path_below(dir, SANDBOX_STATE_DIR);
}
