/* SPDX-License-Identifier: GPL-2.0-only */
/* The verdict of `basicdmd --check` and `basicdmctl check`. */
#pragma once

#include "config-errors.h"
#include "config-model.h"

/*
 * Prints the result R of config_load(PATH) into C and ERRORS: every error
 * on stderr, one a line; when R is 0, "PATH: N volumes, configuration
 * valid" on stdout.
 */
void config_print_check(const char *path, int r, const struct config *c,
			const struct config_errors *errors);

/* Each of WARNINGS on stderr, one a line, as "warning: ...". */
void config_print_warnings(const struct config_errors *warnings);
