/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * StrictModes, as sshd has it: a configuration file, or the directory its
 * drop-ins are added to, is read only when it belongs to the trusted owner
 * (root for the daemon) and is writable by neither group nor others.  A
 * file is judged by what was opened (fstat), then read through that same
 * descriptor: no window in which it could be swapped.
 */
#pragma once

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config-errors.h"

/*
 * PATH, as fstat() saw it in ST, must belong to OWNER and be writable by
 * neither group nor others.  Returns 0, or -EPERM with each problem in
 * ERRORS as "PATH: reason; refusing it: fix", e.g. "/etc/basicdm.conf:
 * writable by group (mode 0664); refusing it: chmod g-w /etc/basicdm.conf".
 */
int config_check_trusted(const char *path, const struct stat *st, uid_t owner,
			 struct config_errors *errors);

/*
 * Opens NAME (relative to DIR_FD, or AT_FDCWD) for reading and judges what
 * was opened with config_check_trusted(); PATH names it in messages.  0
 * and *RET the stream, or 0 and NULL for a directory (the caller decides
 * whether that is an error); a negative errno, reported in ERRORS, when it
 * cannot be read or is not trusted.
 */
int config_open_trusted(int dir_fd, const char *name, const char *path, uid_t owner,
			struct config_errors *errors, FILE **ret);

