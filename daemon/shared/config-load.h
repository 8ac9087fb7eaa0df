/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading the configuration: /etc/basicdm.conf (libconfig) plus the INI
 * drop-ins /etc/basicdm.conf.d/<name>.conf (inih), merged and validated
 * into one list of volumes.  Syntax and keys: basicdm.conf(5)
 * (man/basicdm.conf.5), conf/basicdm.conf.
 */
#pragma once

#include <sys/types.h>

#include "config-errors.h"
#include "config-model.h"

/*
 * Loads PATH and the drop-ins in DROPIN_DIR (NULL: PATH with ".d"
 * appended; a missing directory is fine), validates the whole, and on
 * success stores the model in *ret (RET may be NULL: checking only).
 * Returns 0, or -EINVAL with every problem appended to *errors (the
 * caller frees them), or another -errno when a file cannot be read at all
 * (also described in *errors).
 *
 * Like sshd's StrictModes, PATH, the files it @includes, the drop-in
 * directory and every drop-in must be owned by root and writable by
 * neither group nor others: judged with fstat() on the descriptor that is
 * then read.  Otherwise -EPERM, and *errors holds "file: reason; refusing
 * it: fix", e.g. "/etc/basicdm.conf: writable by group (mode 0664);
 * refusing it: chmod g-w /etc/basicdm.conf".
 */
int config_load(const char *path, const char *dropin_dir, struct config **ret,
		struct config_errors *errors);

/*
 * config_load() trusting files of OWNER instead of root: for tests and
 * fuzzers, whose files belong to whoever runs them.  The daemon and
 * basicdmctl always use config_load().
 */
int config_load_owned_by(const char *path, const char *dropin_dir, uid_t owner,
			 struct config **ret, struct config_errors *errors);
