/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The main file, /etc/basicdm.conf, read with libconfig into the raw tree
 * (config-raw.h): "volumes = ( { ... }, ... );" and what it @includes.
 * Every setting is named by the file it was written in, an included file
 * as a path beside the main file.
 */
#pragma once

#include <sys/types.h>

#include "config-errors.h"
#include "config-raw.h"

/*
 * Reads PATH, opened and judged with config_open_trusted(), and the files
 * it @includes, judged with config_check_included(), appending its volumes
 * to ROOT.  A syntax error or a misplaced setting goes to ERRORS and is no
 * failure: loading goes on with the drop-ins.  A negative errno, reported
 * in ERRORS, when a file cannot be read or is not trusted; -ENOMEM.
 *
 * libconfig before 1.7 cuts an integer written without 'L' to 32 bits:
 * such a setting is RAW_TRUNCATED with the literal in its text.
 */
int config_libconfig_load(const char *path, uid_t owner, struct raw_setting *root,
			  struct config_errors *errors);
