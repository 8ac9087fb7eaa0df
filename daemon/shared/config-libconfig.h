/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The main file, /etc/basicdm.conf, read with libconfig into the raw tree
 * (config-raw.h): "volumes = ( { ... }, ... );" and what it @includes.
 * libconfig parses the text config-source.h prepares, so that 1.5 and 1.7
 * read it alike.  Every setting is named by the file and line it was
 * written on, an included file as a path beside the main file.
 */
#pragma once

#include <sys/types.h>

#include "config-errors.h"
#include "config-raw.h"

/*
 * Reads PATH, opened and judged with config_open_trusted(), and the files
 * it @includes, judged the same way before they are read, appending its
 * volumes to ROOT.  A syntax error, a number or string the libconfig
 * releases would read differently, a missing included file or a misplaced
 * setting goes to ERRORS and is no failure: loading goes on with the
 * drop-ins.  A negative errno, reported in ERRORS, when a file cannot be
 * read or is not trusted; -ENOMEM.
 */
int config_libconfig_load(const char *path, uid_t owner, struct raw_setting *root,
			  struct config_errors *errors);
