/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Components, the claims: the volumes basicdmd maps or waits for, so that
 * basicdm-udev-backing marks a device a component before it is mapped.
 *
 * The claims file, RUNTIME_DIR/claims: the backing of every volume basicdmd
 * maps or waits for, that is, every configured volume but those taken down
 * with "basicdmctl deactivate".  basicdmd rewrites it whenever that set
 * changes (start, reload, activate, deactivate); basicdm-udev-backing
 * matches a new device against it before the daemon has mapped it.
 *
 * One volume a line, fields separated by one space, each field with the
 * bytes up to and including space, DEL, high bytes and "\" written as \xNN:
 *   file NAME PATH
 *   device NAME PATH
 *   match NAME KEY=VALUE...
 * Lines starting with "#" are comments.
 */
#pragma once

#include <stddef.h>

#include "config-model.h"

#define COMPONENT_CLAIMS_FILE_NAME "claims"

/* Writes the backings of VOLUMES (N of them) to PATH, atomically (renamed into place). */
int component_claims_write(const char *path, const struct volume_config *const *volumes, size_t n);

/*
 * Reads PATH into *RET: volumes with their name and backing only.
 * -ENOENT when there is no such file, -EINVAL when it is not a claims file
 * (a line of another form, a NUL byte anywhere).
 */
int component_claims_load(const char *path, struct config **ret);
