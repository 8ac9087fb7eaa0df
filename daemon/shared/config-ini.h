/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The drop-ins, every NAME.conf in /etc/basicdm.conf.d, read with inih
 * into the raw tree (config-raw.h): one [volume NAME] section per volume,
 * the same keys as the main file, every value untyped text (RAW_TEXT),
 * udev properties as "match.PROPERTY = value".
 */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "config-errors.h"
#include "config-raw.h"

/*
 * Appends the volumes of every *.conf in DIR, in byte order of their
 * names, to ROOT; DIR and each file are opened and judged as
 * config-trust.h says.  Mistakes go to ERRORS and parsing goes on; returns
 * a negative errno only when a file cannot be read at all, is refused as
 * untrusted (as is DIR itself), or memory runs out.  A missing DIR is fine.
 */
int config_ini_load_dir(const char *dir, uid_t owner, struct raw_setting *root,
			struct config_errors *errors);

/*
 * One drop-in, already opened and judged, read from F; PATH names it in
 * messages.  Returns as config_ini_load_dir() does.
 */
int config_ini_load_file(FILE *f, const char *path, struct raw_setting *root,
			 struct config_errors *errors);
