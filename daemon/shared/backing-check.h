/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whether each backing file can be used where the administrator put it,
 * judged before anything is attached: a file ProtectHome= hides, a
 * symbolic link, a file or a directory above it that someone but root
 * could change (backing-trust.h), one file named by two volumes under
 * different paths, a missing file with no size to create it, a 'size'
 * smaller than the file (never truncated), larger than its file system
 * has room for or than the whole file system, a directory that does not
 * exist, a file system mounted read-only, a directory basicdm.service may
 * not write in, or one it must never write in (/, /etc, /usr, ...).
 * Each reason names its fix.  Unlike the validator this looks at the file
 * system, so it is run where that matters: basicdmd --check and
 * basicdmctl check (the administrator's view), and the daemon at start and
 * at a reload (the sandbox's view).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "basicdm-config.h"
#include "sandbox.h"

/* The drop-in basicdm-generator wrote for the running system (systemd.generator(7)). */
#define BACKING_GENERATED_DROPIN "/run/systemd/generator/" SANDBOX_DROPIN_DIR "/" SANDBOX_DROPIN_NAME

struct backing_view {
	/* inside basicdm.service's sandbox, or outside it (the administrator's shell) */
	bool in_service;
	/*
	 * Outside: the generated drop-in, to tell a directory the generator
	 * has not opened yet (BACKING_GENERATED_DROPIN); NULL, or a missing
	 * file, says nothing either way.
	 */
	const char *generated_dropin;
	/*
	 * Whose files and directories are trusted besides root's: 0, root
	 * alone, for the daemon and the administrator's checks; a test's own
	 * uid, for its scratch directory.
	 */
	uid_t owner;
};

/*
 * Why file volume V cannot be used, in *REASON (malloc'ed, no "file:line"
 * and no volume name), or NULL when it can.  Volumes that are not file
 * volumes always can.  Returns 0 or -ENOMEM.
 */
int backing_check_volume(const struct volume_config *v, const struct backing_view *view,
			 char **reason);

/*
 * Every file volume of C: each problem as "file:line: volume 'NAME': reason"
 * in ERRORS, and a file that two volumes name under different paths (a
 * hard link, a symbolic link among the directories: the same st_dev and
 * st_ino), said of the second with the first's name and file:line.
 * Returns 0, -EINVAL when it found one, or -ENOMEM.
 */
int backing_check_config(const struct config *c, const struct backing_view *view,
			 struct config_errors *errors);

/*
 * What `basicdmd --check` and `basicdmctl check` judge: config_load() of
 * PATH and, when it loads, every file volume in the administrator's view.
 * Returns as config_load() does; -EINVAL with *RET set when only the files
 * have problems (the caller frees *RET either way).
 */
int backing_check_load(const char *path, struct config **ret, struct config_errors *errors);
