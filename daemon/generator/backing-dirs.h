/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The drop-in basicdm-generator writes for basicdm.service: one
 * ReadWritePaths= line per directory the configured file volumes need to
 * write in (sandbox.h), so backing files may live wherever the
 * administrator names them.
 */
#pragma once

#include <stdio.h>

#include "basicdm-config.h"

/*
 * Writes the drop-in's text for C to F.  A directory the unit can write
 * anyway, one ProtectHome= hides (basicdmd --check names those), one of a
 * file whose path is not normalized ("..", "." or "//"), one that must
 * never be opened (sandbox_closed_dir(): /, /etc, /usr, ...) or that
 * leads to one through a symbolic link as it is now, or one whose
 * name a unit file cannot carry is left out; each but the first is
 * reported on LOG.  Returns the number of directories listed, or -ENOMEM.
 */
int backing_dirs_write(const struct config *c, FILE *f, FILE *log);
