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
 * Opens NAME (relative to DIR_FD, or AT_FDCWD) for reading, O_CLOEXEC and
 * O_NOCTTY, without ever waiting: it is opened O_NONBLOCK, so that a FIFO
 * with no writer or a device cannot hang the daemon, basicdmd --check,
 * the generator or the udev helper, and *ST is what fstat() saw of it.
 * The descriptor of a regular file, made blocking again; -EISDIR for a
 * directory; -EBADFD (as systemd has it; open() never returns it) for
 * anything else that is not a regular file (a FIFO, a device, a socket:
 * *ST says which); another negative errno when it cannot be opened.
 * Reports nothing.
 */
int config_open_regular(int dir_fd, const char *name, struct stat *st);

/* What a file of MODE is, for messages: "a FIFO", "a character device", ... */
const char *config_file_kind(mode_t mode);

/*
 * Opens NAME with config_open_regular() and judges what was opened with
 * config_check_trusted(); PATH names it in messages.  0 and *RET the
 * stream, or 0 and NULL for a directory (the caller decides whether that
 * is an error); a negative errno, reported in ERRORS, when it cannot be
 * read, is not a regular file ("PATH: not a regular file (a FIFO);
 * refusing it: replace it with a regular file", -EINVAL) or is not
 * trusted.
 */
int config_open_trusted(int dir_fd, const char *name, const char *path, uid_t owner,
			struct config_errors *errors, FILE **ret);

